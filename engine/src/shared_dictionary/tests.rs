use super::*;
use crate::directory::MemoryDirectory;
use crate::schema::col;

fn open(dir: &Arc<MemoryDirectory>) -> Result<SharedDictionaries> {
    SharedDictionaries::open(dir.clone() as Arc<dyn Directory>, "dictionaries")
}

fn student(d: &SharedDictionaries) -> &SharedDictionary {
    d.column(col::STUDENT).expect("student has a shared dictionary")
}

fn is_corruption<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StorageError::Corruption { .. }))
}

#[test]
fn ids_are_assigned_in_order_given_and_survive_a_reopen_once_persisted() {
    let dir = Arc::new(MemoryDirectory::new());
    let d = open(&dir).unwrap();
    assert!(d.column(col::SIGNAL_ID).is_none() && d.column(col::SCHOOL).is_none());
    assert_eq!(student(&d).ids_of(&[30, 10, 20]).unwrap(), vec![0, 1, 2]);
    assert_eq!(student(&d).ids_of(&[10, 40, 30]).unwrap(), vec![1, 3, 0]);
    assert_eq!(
        d.column(col::CLASS).unwrap().ids_of(&[40]).unwrap(),
        vec![0],
        "each column numbers its own"
    );
    // Not persisted: a reopen does not see them.
    assert!(student(&open(&dir).unwrap()).is_empty().unwrap());
    d.persist().unwrap();
    d.persist().unwrap();
    assert_eq!(
        dir.list().unwrap().len(),
        2,
        "one chunk per column that grew, none for an idle persist"
    );
    student(&d).ids_of(&[50]).unwrap();
    d.persist().unwrap();
    let again = open(&dir).unwrap();
    assert_eq!(
        student(&again).values_of(&[0, 1, 2, 3, 4]).unwrap(),
        Some(vec![30, 10, 20, 40, 50])
    );
    assert_eq!(student(&again).values_of(&[5]).unwrap(), None);
    assert_eq!(student(&again).ids_of(&[50, 60]).unwrap(), vec![4, 5]);
    let bytes: u64 = again.file_bytes().unwrap().iter().map(|(_, b)| b).sum();
    assert_eq!(bytes, 3 * (chunk_overhead() as u64) + 16 * 6);
}

fn chunk_overhead() -> usize {
    chunk::encode(
        &ChunkName {
            column: col::STUDENT,
            first: 0,
            end: 0,
        },
        &[],
    )
    .len()
}

#[test]
fn many_chunks_are_consolidated_and_leftovers_of_a_crash_are_cleaned_up() {
    let dir = Arc::new(MemoryDirectory::new());
    let d = open(&dir).unwrap();
    let mut leftover = None;
    for v in 0..40u128 {
        student(&d).ids_of(&[v]).unwrap();
        d.persist().unwrap();
        if v == 3 {
            let name = dir.list().unwrap().into_iter().next().unwrap();
            leftover = Some((name.clone(), dir.open_read(&name).unwrap().to_vec()));
        }
        assert!(dir.list().unwrap().len() <= MAX_CHUNKS_PER_COLUMN + 1);
    }
    // A crash between writing a consolidated chunk and deleting what it covers leaves old chunks behind.
    let (name, bytes) = leftover.unwrap();
    dir.atomic_write(&name, &bytes).unwrap();
    let again = open(&dir).unwrap();
    assert!(!dir.exists(&name), "the covered chunk is deleted on open");
    assert_eq!(student(&again).len().unwrap(), 40);
    assert_eq!(
        student(&again).ids_of(&(0..40).collect::<Vec<u128>>()).unwrap(),
        (0..40).collect::<Vec<u32>>()
    );
}

/// A store whose student dictionary holds 1..=6 in three chunks, and the chunk names.
fn three_chunks() -> (Arc<MemoryDirectory>, Vec<String>) {
    let dir = Arc::new(MemoryDirectory::new());
    let d = open(&dir).unwrap();
    for v in [[1u128, 2], [3, 4], [5, 6]] {
        student(&d).ids_of(&v).unwrap();
        d.persist().unwrap();
    }
    let names = dir.list().unwrap();
    (dir, names)
}

/// `three_chunks` plus a chunk of `column` holding `values` from id `first`.
fn with_extra_chunk(column: usize, first: u32, values: &[u128]) -> Arc<MemoryDirectory> {
    let (dir, _) = three_chunks();
    let name = ChunkName {
        column,
        first,
        end: first + values.len() as u32,
    };
    dir.atomic_write(&name.file_name(), &chunk::encode(&name, values))
        .unwrap();
    dir
}

#[test]
fn damaged_missing_or_contradicting_chunks_are_corruption() {
    let (dir, names) = three_chunks();
    dir.flip_bit(&names[1], 30, 0).unwrap();
    let err = open(&dir).unwrap_err();
    assert!(err.to_string().contains(&names[1]), "{err}");
    assert!(is_corruption::<()>(Err(err)));

    let (dir, names) = three_chunks();
    dir.delete(&names[1]).unwrap();
    assert!(is_corruption(open(&dir)), "a gap in the ids");

    let (dir, names) = three_chunks();
    let wrong = ChunkName {
        column: col::STUDENT,
        first: 0,
        end: 3,
    };
    dir.atomic_write(&wrong.file_name(), &dir.open_read(&names[0]).unwrap())
        .unwrap();
    assert!(is_corruption(open(&dir)), "contents not matching the name");

    assert!(
        is_corruption(open(&with_extra_chunk(col::STUDENT, 1, &[2, 9]))),
        "overlapping chunks disagree"
    );
    // A value listed twice keeps its first id for writing, and both ids read back as the value.
    let twice = open(&with_extra_chunk(col::STUDENT, 6, &[1])).unwrap();
    assert_eq!(student(&twice).values_of(&[0, 6]).unwrap(), Some(vec![1, 1]));
    assert_eq!(student(&twice).ids_of(&[1, 7]).unwrap(), vec![0, 7]);
    assert!(
        is_corruption(open(&with_extra_chunk(col::SIGNAL, 0, &[1]))),
        "a chunk for a column without a shared dictionary"
    );
    assert_eq!(
        student(&open(&with_extra_chunk(col::STUDENT, 1, &[2, 3])).unwrap())
            .len()
            .unwrap(),
        6,
        "agreeing overlaps are fine"
    );

    let (dir, _) = three_chunks();
    dir.atomic_write("notes.txt", b"hello").unwrap();
    assert_eq!(
        student(&open(&dir).unwrap()).len().unwrap(),
        6,
        "other files are ignored"
    );
}

#[test]
fn chunk_names_round_trip_and_reject_lookalikes() {
    let name = ChunkName {
        column: col::ASSIGNMENT,
        first: 7,
        end: 19,
    };
    assert_eq!(name.file_name(), "assignment-0000000007-0000000019.dict");
    assert_eq!(ChunkName::parse(&name.file_name()), Some(name));
    for bad in [
        "assignment-7-19.dict",
        "assignment-0000000019-0000000007.dict",
        "nosuch-0000000000-0000000001.dict",
        "assignment-0000000000-0000000001.txt",
    ] {
        assert_eq!(ChunkName::parse(bad), None, "{bad}");
    }
}

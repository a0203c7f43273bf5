//! Segment round-trip, index and corruption tests (property tests compare against brute force).

use super::writer::encode_segment_v3;
use super::*;
use crate::batch::{BatchBuilder, EventBatch, ValueRef};
use crate::directory::{Directory, FileBytes, MemoryDirectory, MmapDirectory};
use crate::error::StorageError;
use crate::schema::{col, ColumnType, EVENT_COLUMNS};
use proptest::prelude::*;

const INTS: [i64; 6] = [i64::MIN, -5, 0, 7, 1_000_000, i64::MAX];
const DOUBLES: [f64; 6] = [0.0, -1.5, 2.25, f64::MAX, -0.0, f64::NAN];
pub(super) const TEXTS: [&str; 6] = ["", "a", "b", "ä", "zz", "a b"];

/// Builds a batch from per-row times and per-cell codes: code 0 is NULL in nullable columns,
/// otherwise the code picks a value from the pool of the column's type.
fn batch_from_codes(rows: &[(i64, Vec<u8>)]) -> EventBatch {
    batch_from_codes_with(rows, &TEXTS)
}

/// Canonical UUIDs in lower case, upper case and without hex letters (which fit either case).
pub(super) const UUIDS: [&str; 6] = [
    "00000000-0000-0000-0000-000000000001",
    "0a000000-0000-0000-0000-00000000000b",
    "0A000000-0000-0000-0000-00000000000B",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
    "12345678-1234-1234-1234-123456789012",
];

/// Like [`batch_from_codes`], text values taken from `texts`.
pub(super) fn batch_from_codes_with(rows: &[(i64, Vec<u8>)], texts: &[&str; 6]) -> EventBatch {
    let mut b = BatchBuilder::new();
    for (time, codes) in rows {
        let row: Vec<ValueRef<'_>> = EVENT_COLUMNS
            .iter()
            .zip(codes)
            .enumerate()
            .map(|(c, (def, &code))| match (c, def.ty) {
                (col::TIME, _) => ValueRef::Int(*time),
                _ if code == 0 && def.nullable => ValueRef::Null,
                (_, ColumnType::Timestamp | ColumnType::Int) => ValueRef::Int(INTS[code as usize % 6]),
                (_, ColumnType::Double) => ValueRef::Double(DOUBLES[code as usize % 6]),
                (_, ColumnType::Text) => ValueRef::Text(texts[code as usize % 6]),
            })
            .collect();
        b.push_row(&row).unwrap();
    }
    b.finish()
}

/// `n` rows of random codes for [`batch_from_codes`] with times below `max_time`, always the same.
fn random_code_rows(n: usize, max_time: u64) -> Vec<(i64, Vec<u8>)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let time = (next() % max_time) as i64;
            (time, (0..col::COUNT).map(|_| (next() % 7) as u8).collect())
        })
        .collect()
}

pub(super) fn rows_strategy(max_rows: usize) -> impl Strategy<Value = Vec<(i64, Vec<u8>)>> {
    let time = prop_oneof![0i64..1_000, any::<i64>()];
    proptest::collection::vec((time, proptest::collection::vec(0u8..7, col::COUNT)), 0..max_rows)
}

pub(super) fn meta_for(batch: &EventBatch) -> SegmentMeta {
    SegmentMeta::for_batch(42, 1_000, 7, 123, batch)
}

fn cell_key(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "N".into(),
        ValueRef::Int(i) => format!("I{i}"),
        ValueRef::Double(d) => format!("D{:x}", d.to_bits()),
        ValueRef::Text(_) | ValueRef::Uuid { .. } => format!("T{}", v.text().unwrap_or_default()),
    }
}

/// Every row of `batch` as cell keys, in batch order.
pub(super) fn rows_in_order(batch: &EventBatch) -> Vec<Vec<String>> {
    (0..batch.len())
        .map(|r| batch.columns.iter().map(|c| cell_key(c.get(r))).collect())
        .collect()
}

fn sorted_rows(batch: &EventBatch) -> Vec<Vec<String>> {
    let mut rows = rows_in_order(batch);
    rows.sort();
    rows
}

fn text(batch: &EventBatch, c: usize, row: usize) -> Option<String> {
    batch.columns[c].text(row).map(|s| s.into_owned())
}

/// Every cell through the typed accessors, as `cell_key` strings, row by row.
fn rows_via_accessors(seg: &Segment) -> Result<Vec<Vec<String>>, StorageError> {
    let mut rows = vec![Vec::new(); seg.num_rows()];
    for (c, def) in EVENT_COLUMNS.iter().enumerate() {
        for (r, row) in rows.iter_mut().enumerate() {
            let key = match def.ty {
                ColumnType::Timestamp | ColumnType::Int => seg.int_column(c)?.value(r).map(ValueRef::Int),
                ColumnType::Double => seg.double_column(c)?.value(r).map(ValueRef::Double),
                ColumnType::Text => seg.text_column(c)?.value(r).map(ValueRef::Text),
            };
            row.push(cell_key(key.unwrap_or(ValueRef::Null)));
        }
    }
    Ok(rows)
}

/// Segments past `PARALLEL_ROWS` rows encode their columns on several threads; the bytes must be the
/// ones the one-column-at-a-time path writes. Compaction's merge writes columns one at a time, so the
/// merge of two small (single-threaded) halves must equal the parallel encoding of the whole, and its
/// rows must be the input's.
#[test]
fn large_segments_encoded_in_parallel_equal_the_sequential_encoding() {
    let rows = random_code_rows(80_000, 86_400_000_000);
    let (first, second) = rows.split_at(40_000);
    for pool in [&TEXTS, &UUIDS] {
        let whole = batch_from_codes_with(&rows, pool);
        let meta = meta_for(&whole);
        let parallel = encode_segment(&whole, &meta).unwrap();
        let halves: Vec<Segment> = [first, second]
            .iter()
            .map(|half| {
                let batch = batch_from_codes_with(half, pool);
                Segment::from_batch(&batch, &meta_for(&batch)).unwrap()
            })
            .collect();
        let refs: Vec<&Segment> = halves.iter().collect();
        let template = SegmentMeta {
            rows: 0,
            min_time: 0,
            max_time: 0,
            ..meta.clone()
        };
        let (merged_meta, merged) = merge_segments(&refs, &template, None).unwrap();
        assert_eq!(merged_meta, meta);
        assert!(merged == parallel, "parallel encoding differs from the sequential one");
        let decoded = Segment::open(FileBytes::from_vec(parallel), "p.seg")
            .unwrap()
            .to_batch()
            .unwrap();
        assert_eq!(sorted_rows(&decoded), sorted_rows(&whole));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Compaction's merge of encoded segments writes exactly what encoding the concatenated rows does,
    /// whether the inputs are of this format or of version 3 (signal ids as a sorted dictionary, indexed
    /// columns with Values blocks).
    #[test]
    fn merging_segments_equals_encoding_their_concatenated_rows(
        inputs in proptest::collection::vec((rows_strategy(40), 0u8..4, any::<bool>()), 1..5)
    ) {
        let segments: Vec<Segment> = inputs
            .iter()
            .map(|(rows, pool, version_3)| {
                // Pools: plain strings, UUIDs of any case, lower-case (or letterless) UUIDs, upper-case ones.
                let pools = [TEXTS, UUIDS, [UUIDS[0], UUIDS[1], UUIDS[3], UUIDS[5], UUIDS[1], UUIDS[0]],
                    [UUIDS[0], UUIDS[2], UUIDS[4], UUIDS[5], UUIDS[2], UUIDS[0]]];
                let batch = batch_from_codes_with(rows, &pools[*pool as usize]);
                if *version_3 {
                    let bytes = encode_segment_v3(&batch, &meta_for(&batch)).unwrap();
                    Segment::open(FileBytes::from_vec(bytes), "v3.seg").unwrap()
                } else {
                    Segment::from_batch(&batch, &meta_for(&batch)).unwrap()
                }
            })
            .collect();
        let batches: Vec<EventBatch> = segments.iter().map(|s| s.to_batch().unwrap()).collect();
        let mut concatenated = batches[0].clone();
        batches[1..].iter().for_each(|b| concatenated.extend(b));
        let meta = meta_for(&concatenated);
        let expected = encode_segment(&concatenated, &meta).unwrap();
        let refs: Vec<&Segment> = segments.iter().collect();
        let template = SegmentMeta { rows: 0, min_time: 0, max_time: 0, ..meta.clone() };
        let (merged_meta, merged) = merge_segments(&refs, &template, None).unwrap();
        prop_assert_eq!(&merged_meta, &meta);
        let decoded = Segment::open(FileBytes::from_vec(merged.clone()), "m.seg").unwrap().to_batch().unwrap();
        let reference = Segment::open(FileBytes::from_vec(expected.clone()), "e.seg").unwrap().to_batch().unwrap();
        prop_assert_eq!(rows_in_order(&decoded), rows_in_order(&reference));
        prop_assert!(merged == expected, "merged bytes differ from the encoded concatenation");
    }

    /// A segment does not depend on how its text columns were held: UUID columns parsed into 128-bit
    /// values (as `Db::append` does), whole or over a subset of rows, encode to the same bytes as the text.
    #[test]
    fn uuid_columns_encode_like_their_text(rows in rows_strategy(60), pool in 0u8..3, every in 1usize..4) {
        let pools = [UUIDS, [UUIDS[0], UUIDS[1], UUIDS[3], UUIDS[5], UUIDS[1], UUIDS[0]],
            [UUIDS[0], UUIDS[2], UUIDS[4], UUIDS[5], UUIDS[2], UUIDS[0]]];
        let text = batch_from_codes_with(&rows, &pools[pool as usize]);
        let mut parsed = text.clone();
        parsed.parse_uuid_columns();
        prop_assert_eq!(rows_in_order(&parsed), rows_in_order(&text));
        let picked: Vec<u32> = (0..text.len() as u32).filter(|r| *r as usize % every == 0).collect();
        let times: Vec<i64> = picked.iter().map(|&r| text.times()[r as usize]).collect();
        let meta = SegmentMeta {
            rows: picked.len() as u32,
            min_time: times.iter().copied().min().unwrap_or(0),
            max_time: times.iter().copied().max().unwrap_or(0),
            ..meta_for(&text)
        };
        prop_assert!(
            encode_segment_rows(&parsed, &picked, &meta, None).unwrap() == encode_segment_rows(&text, &picked, &meta, None).unwrap(),
            "the UUID representation changed the segment bytes"
        );
    }

    #[test]
    fn random_batches_round_trip(rows in rows_strategy(60)) {
        let batch = batch_from_codes(&rows);
        let meta = meta_for(&batch);
        let seg = Segment::open(FileBytes::from_vec(encode_segment(&batch, &meta).unwrap()), "t.seg").unwrap();
        prop_assert_eq!(seg.meta(), &meta);
        prop_assert_eq!(seg.num_rows(), batch.len());
        let stored = seg.to_batch().unwrap();
        stored.validate().unwrap();
        prop_assert_eq!(sorted_rows(&stored), sorted_rows(&batch));
        let mut accessor_rows = rows_via_accessors(&seg).unwrap();
        accessor_rows.sort();
        prop_assert_eq!(accessor_rows, sorted_rows(&batch));
        let key = |r: usize| (text(&stored, col::SCHOOL, r), text(&stored, col::CLASS, r),
            text(&stored, col::STUDENT, r), stored.times()[r]);
        for r in 1..stored.len() {
            prop_assert!(key(r - 1) <= key(r), "rows {} and {} out of order", r - 1, r);
        }
    }

    #[test]
    fn index_lookup_matches_brute_force(rows in rows_strategy(80)) {
        let batch = batch_from_codes(&rows);
        // Looked up before any column is decoded (dictionary searched in place) ...
        let fresh = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
        let cold: Vec<Option<roaring::RoaringBitmap>> = (0..EVENT_COLUMNS.len())
            .flat_map(|c| TEXTS.iter().chain(&["absent"]).map(move |v| (c, v)))
            .map(|(c, v)| fresh.index_lookup(c, v).unwrap())
            .collect();
        // ... and after (decoded dictionary).
        let seg = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
        let stored = seg.to_batch().unwrap();
        let mut cold = cold.into_iter();
        for (c, def) in EVENT_COLUMNS.iter().enumerate() {
            for value in TEXTS.iter().chain(&["absent"]) {
                let found = seg.index_lookup(c, value).unwrap();
                prop_assert_eq!(&cold.next().unwrap(), &found);
                if !def.indexed {
                    prop_assert!(found.is_none());
                    continue;
                }
                let expected: Vec<u32> =
                    (0..stored.len()).filter(|&r| text(&stored, c, r) .as_deref() == Some(*value)).map(|r| r as u32).collect();
                let original_count = (0..batch.len()).filter(|&r| text(&batch, c, r) .as_deref() == Some(*value)).count();
                let found = found.unwrap();
                prop_assert_eq!(found.iter().collect::<Vec<_>>(), expected);
                prop_assert_eq!(found.len() as usize, original_count);
            }
        }
    }
}

/// A small deterministic batch shaped like real data (few schools, more classes, many students,
/// near-unique signal ids, mostly-NULL optional columns).
pub(super) fn realistic_batch(rows: usize) -> EventBatch {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut b = BatchBuilder::new();
    for i in 0..rows {
        let (student, signal_id) = (
            format!("student-{}", next(40)),
            format!("{i:08x}-0000-4000-8000-00000000000a"),
        );
        let (class, school) = (format!("class-{}", next(9)), format!("school-{}", next(3)));
        let mut row = vec![ValueRef::Null; col::COUNT];
        row[col::TIME] = ValueRef::Int(1_700_000_000_000_000 + next(86_400) as i64 * 1_000_000);
        row[col::SIGNAL_ID] = ValueRef::Text(&signal_id);
        row[col::SIGNAL] = ValueRef::Text(["VisitTeamChannel", "CallRecording", "SubmitAssignment"][next(3) as usize]);
        row[col::APP] = ValueRef::Text(["Teams", "Word", "Reading Progress"][next(3) as usize]);
        row[col::STUDENT] = ValueRef::Text(&student);
        if next(5) > 0 {
            row[col::CLASS] = ValueRef::Text(&class);
            row[col::SCHOOL] = ValueRef::Text(&school);
        }
        if next(4) == 0 {
            row[col::MEETING_SECONDS] = ValueRef::Int(next(3600) as i64);
            row[col::GRADE] = ValueRef::Double(next(100) as f64 / 4.0);
        }
        b.push_row(&row).unwrap();
    }
    b.finish()
}

/// Everything a reader can observe: meta, all rows, and every index bitmap.
type Observation = (SegmentMeta, Vec<Vec<String>>, Vec<Vec<u32>>);

fn observe(seg: &Segment) -> Result<Observation, StorageError> {
    let rows = rows_via_accessors(seg)?;
    let mut bitmaps = Vec::new();
    for (c, def) in EVENT_COLUMNS.iter().enumerate() {
        if def.indexed {
            for id in 0..seg.text_column(c)?.dict.len() as u32 {
                bitmaps.push(seg.index_bitmap(c, id)?.map(|b| b.iter().collect()).unwrap_or_default());
            }
        }
    }
    Ok((seg.meta().clone(), rows, bitmaps))
}

#[test]
fn every_flipped_bit_is_reported_as_corruption() {
    let batch = realistic_batch(120);
    let bytes = encode_segment(&batch, &meta_for(&batch)).unwrap();
    let dir = MemoryDirectory::new();
    dir.atomic_write("s.seg", &bytes).unwrap();
    let intact = Segment::open(dir.open_read("s.seg").unwrap(), "s.seg").unwrap();
    observe(&intact).unwrap();
    // Decoding reads every block: since format version 4 that includes the index of an indexed column
    // (even an all-NULL one, like action here), which is where its values come from.
    assert!(intact.text_column(col::ACTION).unwrap().dict.is_empty());
    for offset in 0..bytes.len() {
        dir.flip_bit("s.seg", offset, offset as u8).unwrap();
        let result = Segment::open(dir.open_read("s.seg").unwrap(), "s.seg").and_then(|seg| observe(&seg));
        match result {
            Err(StorageError::Corruption { file, .. }) => assert_eq!(file, std::path::Path::new("s.seg")),
            other => panic!("flip at byte {offset} of {}: {other:?}", bytes.len()),
        }
        dir.flip_bit("s.seg", offset, offset as u8).unwrap();
    }
}

#[test]
fn truncated_or_extended_files_are_corruption() {
    let batch = realistic_batch(50);
    let bytes = encode_segment(&batch, &meta_for(&batch)).unwrap();
    for len in 0..bytes.len() {
        let err = Segment::open(FileBytes::from_vec(bytes[..len].to_vec()), "t.seg").unwrap_err();
        assert!(matches!(err, StorageError::Corruption { .. }), "length {len}: {err:?}");
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"junk");
    assert!(matches!(
        Segment::open(FileBytes::from_vec(longer), "t.seg"),
        Err(StorageError::Corruption { .. })
    ));
}

#[test]
fn accessors_reject_wrong_types_and_columns() {
    let batch = realistic_batch(10);
    let seg = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
    let invalid = |r: Result<(), StorageError>| matches!(r, Err(StorageError::InvalidInput(_)));
    assert!(invalid(seg.int_column(col::STUDENT).map(|_| ())));
    assert!(invalid(seg.double_column(col::TIME).map(|_| ())));
    assert!(invalid(seg.text_column(col::GRADE).map(|_| ())));
    assert!(invalid(seg.int_column(col::COUNT).map(|_| ())));
    assert!(invalid(seg.index_bitmap(col::STUDENT, 1_000_000).map(|_| ())));
    assert!(seg
        .index_lookup(col::SIGNAL_ID, "00000001-0000-4000-8000-00000000000a")
        .unwrap()
        .is_none());
    assert!(seg.index_lookup(col::STUDENT, "nobody").unwrap().unwrap().is_empty());
    assert_eq!(seg.int_column(col::TIME).unwrap().values.len(), 10);
}

#[test]
fn meta_must_describe_the_batch() {
    let batch = realistic_batch(10);
    let mut meta = meta_for(&batch);
    meta.rows += 1;
    assert!(matches!(
        encode_segment(&batch, &meta),
        Err(StorageError::InvalidInput(_))
    ));
    let mut meta = meta_for(&batch);
    meta.min_time -= 1;
    assert!(matches!(
        encode_segment(&batch, &meta),
        Err(StorageError::InvalidInput(_))
    ));
}

#[test]
fn empty_batch_makes_an_empty_segment() {
    let batch = BatchBuilder::new().finish();
    let seg = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
    assert_eq!(seg.num_rows(), 0);
    assert_eq!(seg.to_batch().unwrap().len(), 0);
    assert!(seg.index_lookup(col::SCHOOL, "x").unwrap().unwrap().is_empty());
}

#[test]
fn segments_open_from_an_mmap_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = MmapDirectory::open(tmp.path()).unwrap();
    let batch = realistic_batch(500);
    let meta = meta_for(&batch);
    dir.atomic_write(&meta.file_name(), &encode_segment(&batch, &meta).unwrap())
        .unwrap();
    assert_eq!(dir.list().unwrap(), vec!["000000000000002a.seg".to_string()]);
    assert_eq!(parse_segment_file_name(&dir.list().unwrap()[0]), Some(42));
    let seg = Segment::open(
        dir.open_read(&meta.file_name()).unwrap(),
        dir.path_of(&meta.file_name()),
    )
    .unwrap();
    assert_eq!(seg.meta(), &meta);
    assert_eq!(
        seg.size_bytes(),
        std::fs::metadata(dir.path_of(&meta.file_name())).unwrap().len() as usize
    );
    assert_eq!(sorted_rows(&seg.to_batch().unwrap()), sorted_rows(&batch));
    let students = seg.text_column(col::STUDENT).unwrap();
    let id = students.lookup("student-7").unwrap();
    let rows = seg.index_bitmap(col::STUDENT, id).unwrap().unwrap();
    assert!(rows.iter().all(|r| students.value(r as usize) == Some("student-7")));
    assert!(seg
        .text_column(col::SCHOOL)
        .unwrap()
        .dict
        .windows(2)
        .all(|w| w[0] < w[1]));
}

#[test]
fn uuid_dictionaries_answer_lookups_before_and_after_decoding() {
    let ids = [
        "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
        "5ca2485d-59cb-4207-8359-4056c7704656",
        "99999999-9999-4999-8999-999999999999",
    ];
    let mut b = BatchBuilder::new();
    for (i, student) in ids.iter().cycle().take(10).enumerate() {
        let mut row = vec![ValueRef::Null; col::COUNT];
        row[col::TIME] = ValueRef::Int(1_700_000_000_000_000 + i as i64);
        row[col::SIGNAL_ID] = ValueRef::Text("s");
        row[col::SIGNAL] = ValueRef::Text("VisitTeamChannel");
        row[col::APP] = ValueRef::Text("Teams");
        row[col::STUDENT] = ValueRef::Text(student);
        b.push_row(&row).unwrap();
    }
    let batch = b.finish();
    let meta = meta_for(&batch);
    let count = |seg: &Segment, v: &str| seg.index_lookup(col::STUDENT, v).unwrap().unwrap().len();
    for decode_first in [false, true] {
        let seg = Segment::from_batch(&batch, &meta).unwrap();
        if decode_first {
            seg.text_column(col::STUDENT).unwrap();
        }
        assert_eq!(count(&seg, ids[0]), 4);
        assert_eq!(count(&seg, ids[1]), 3);
        assert_eq!(count(&seg, ids[2]), 3);
        assert_eq!(count(&seg, &ids[1].to_uppercase()), 0, "a different string");
        assert_eq!(count(&seg, "5ca2485d-59cb-4207-8359-4056c7704657"), 0);
        assert_eq!(count(&seg, "not a uuid"), 0);
    }
}

pub(super) fn is_corruption<T>(result: Result<T, StorageError>) -> bool {
    matches!(result, Err(StorageError::Corruption { .. }))
}

/// `bytes` with the footer's format version replaced by `version` (and the footer crc fixed).
pub(super) fn with_version(mut bytes: Vec<u8>, version: u32) -> Vec<u8> {
    let trailer = bytes.len() - 20;
    let footer = u64::from_le_bytes(bytes[trailer..trailer + 8].try_into().unwrap()) as usize;
    bytes[footer..footer + 4].copy_from_slice(&version.to_le_bytes());
    let crc = crc32fast::hash(&bytes[footer..trailer]);
    bytes[trailer + 8..trailer + 12].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// `realistic_batch(300)` as written by the format 2 writer (commit 57f3452).
const V2_FILE: &[u8] = include_bytes!("../../tests/data/segment-v2.seg");
/// `realistic_batch(300)` as written by the format 3 writer (commit d734837).
const V3_FILE: &[u8] = include_bytes!("../../tests/data/segment-v3.seg");

#[test]
fn older_versions_read_and_version_3_forms_need_version_3() {
    // Version 2 and 3 files (this batch, written by those writers): every value and index entry.
    let batch = realistic_batch(300);
    let v2 = Segment::open(FileBytes::from_vec(V2_FILE.to_vec()), "v2.seg").unwrap();
    let v3 = Segment::open(FileBytes::from_vec(V3_FILE.to_vec()), "v3.seg").unwrap();
    let current = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
    assert_eq!(observe(&v2).unwrap(), observe(&current).unwrap());
    assert_eq!(observe(&v3).unwrap(), observe(&current).unwrap());
    assert!(v2.size_bytes() > v3.size_bytes());
    assert!(v3.size_bytes() > current.size_bytes());
    // The tests' version 3 writer is that writer.
    assert!(encode_segment_v3(&batch, &meta_for(&batch)).unwrap() == V3_FILE);
    let rows = |fraction: i64| -> Vec<(i64, Vec<u8>)> {
        (0..300)
            .map(|i| {
                (
                    i * 1_000_000 + if i % 10 == 3 { fraction } else { 0 },
                    vec![1; col::COUNT],
                )
            })
            .collect()
    };
    let whole = batch_from_codes(&rows(0));
    // Every 10th time with a fraction of a second: the time column is patched, which version 2 lacks.
    let fractional = batch_from_codes(&rows(123_457));
    let bytes = encode_segment_v3(&fractional, &meta_for(&fractional)).unwrap();
    let v3 = Segment::open(FileBytes::from_vec(bytes.clone()), "v3.seg").unwrap();
    assert_eq!(sorted_rows(&v3.to_batch().unwrap()), sorted_rows(&fractional));
    let v2 = Segment::open(FileBytes::from_vec(with_version(bytes, 2)), "v2.seg").unwrap();
    assert!(is_corruption(v2.int_column(col::TIME)));
    // Grades are NULL exactly where meeting seconds are: one shared null set, which version 2 lacks.
    let shared = realistic_batch(300);
    let bytes = encode_segment_v3(&shared, &meta_for(&shared)).unwrap();
    let v3 = Segment::open(FileBytes::from_vec(bytes.clone()), "v3.seg").unwrap();
    assert_eq!(sorted_rows(&v3.to_batch().unwrap()), sorted_rows(&shared));
    let v2 = Segment::open(FileBytes::from_vec(with_version(bytes, 2)), "v2.seg").unwrap();
    assert!(v2.double_column(col::GRADE).is_ok());
    assert!(is_corruption(v2.int_column(col::MEETING_SECONDS)));
    let next = with_version(encode_segment(&whole, &meta_for(&whole)).unwrap(), FORMAT_VERSION + 1);
    assert!(is_corruption(Segment::open(FileBytes::from_vec(next), "next.seg")));
}

/// The six indexed Text columns.
fn index_only_columns() -> Vec<usize> {
    (0..col::COUNT)
        .filter(|&c| EVENT_COLUMNS[c].indexed && EVENT_COLUMNS[c].ty == ColumnType::Text)
        .collect()
}

/// Batches covering the index-only columns: realistic ones (NULL classes and schools, an all-NULL action)
/// and random ones over both text pools (every indexed column with NULLs and several values).
fn index_only_batches() -> Vec<EventBatch> {
    let rows = random_code_rows(3_000, 1_000);
    vec![
        realistic_batch(300),
        realistic_batch(5_000),
        batch_from_codes_with(&rows, &TEXTS),
        batch_from_codes_with(&rows, &UUIDS),
    ]
}

#[test]
fn indexed_text_columns_and_signal_ids_have_no_values_block_and_decode_like_version_3() {
    assert_eq!(index_only_columns().len(), 6);
    for batch in index_only_batches() {
        let meta = meta_for(&batch);
        let seg = Segment::from_batch(&batch, &meta).unwrap();
        let v3 = Segment::open(FileBytes::from_vec(encode_segment_v3(&batch, &meta).unwrap()), "v3.seg").unwrap();
        let has = |seg: &Segment, kind: SegmentComponent, c: usize| {
            seg.blocks().iter().any(|b| b.kind == kind && b.column as usize == c)
        };
        for c in 0..col::COUNT {
            // signal_id keeps its values in row order, in its Dictionary block.
            let values_elsewhere = index_only_columns().contains(&c) || c == col::SIGNAL_ID;
            assert_eq!(
                has(&seg, SegmentComponent::Values, c),
                !values_elsewhere,
                "{}",
                EVENT_COLUMNS[c].name
            );
            assert!(has(&v3, SegmentComponent::Values, c));
        }
        // Smaller, unless signal ids repeat (a few random codes), which row order stores again each time.
        if seg.text_column(col::SIGNAL_ID).unwrap().dict.len() == batch.len() {
            assert!(seg.size_bytes() < v3.size_bytes());
        }
        // The same ids as the version 3 Values blocks held, and the same rows as the input.
        for c in index_only_columns().into_iter().chain([col::SIGNAL_ID]) {
            let (mine, old) = (seg.text_column(c).unwrap(), v3.text_column(c).unwrap());
            assert_eq!((&mine.ids, &mine.dict, &mine.nulls), (&old.ids, &old.dict, &old.nulls));
        }
        assert_eq!(sorted_rows(&seg.to_batch().unwrap()), sorted_rows(&batch));
        assert_eq!(observe(&seg).unwrap(), observe(&v3).unwrap());
    }
}

/// `bytes` (a segment) with the `kind` block of column `c` replaced by `block` (added if there is none,
/// dropped if `None`), laid out anew with the directory and every checksum fixed, so that only the
/// reader's structural checks can tell.
fn with_block(bytes: &[u8], kind: SegmentComponent, c: usize, block: Option<&[u8]>) -> Vec<u8> {
    let footer = footer::Footer::read(bytes).unwrap();
    let mut contents: Vec<(SegmentComponent, usize, &[u8])> = footer
        .blocks
        .iter()
        .filter(|b| (b.kind, b.column as usize) != (kind, c))
        .map(|b| {
            (
                b.kind,
                b.column as usize,
                &bytes[b.offset as usize..(b.offset + b.len) as usize],
            )
        })
        .collect();
    contents.extend(block.map(|block| (kind, c, block)));
    let mut out = MAGIC.to_vec();
    let mut blocks = Vec::new();
    for (kind, column, block) in contents {
        blocks.push(BlockEntry {
            kind,
            column: column as u8,
            offset: out.len() as u64,
            len: block.len() as u64,
            crc: crc32fast::hash(block),
        });
        out.extend_from_slice(block);
    }
    footer::Footer { blocks, ..footer }.write_with_trailer(&mut out);
    out
}

/// An Index block listing `rows[id]` for each dictionary id, as run lists or as roaring bitmaps.
fn index_block(rows: &[Vec<u32>], roaring: bool) -> Vec<u8> {
    let mut area = Vec::new();
    let mut lengths = Vec::new();
    for list in rows {
        let start = area.len();
        if roaring {
            bitmap::serialize_sorted(list.iter().copied(), &mut area);
        } else {
            bitmap::serialize_run_list(list, &mut area);
        }
        lengths.push((area.len() - start) as i64);
    }
    let mut out = (rows.len() as u32).to_le_bytes().to_vec();
    encoding::encode_ints(&lengths, &mut out);
    out.extend_from_slice(&area);
    out
}

#[test]
fn an_index_only_column_must_list_every_non_null_row_once() {
    let batch = realistic_batch(300);
    let bytes = encode_segment(&batch, &meta_for(&batch)).unwrap();
    let seg = Segment::open(FileBytes::from_vec(bytes.clone()), "s.seg").unwrap();
    let rows = seg.num_rows() as u32;
    // Class has NULL rows (school shares them).
    for c in [col::STUDENT, col::CLASS, col::SIGNAL] {
        let column = seg.text_column(c).unwrap();
        let listed: Vec<Vec<u32>> = (0..column.dict.len() as u32)
            .map(|id| seg.index_bitmap(c, id).unwrap().unwrap().iter().collect())
            .collect();
        let null_row = column.nulls.as_ref().and_then(|n| n.min());
        assert_eq!(null_row.is_some(), c == col::CLASS);
        let decode = |index: &[u8]| {
            let bad = with_block(&bytes, SegmentComponent::Index, c, Some(index));
            let seg = Segment::open(FileBytes::from_vec(bad), "s.seg").unwrap();
            seg.text_column(c).map(|col| col.ids.clone())
        };
        let changed = |f: &dyn Fn(&mut Vec<Vec<u32>>)| {
            let mut l = listed.clone();
            f(&mut l);
            l.iter_mut().for_each(|rows| rows.sort_unstable());
            l
        };
        for roaring in [false, true] {
            // The rebuilt entries, in either form, give back the column.
            assert_eq!(decode(&index_block(&listed, roaring)).unwrap(), column.ids);
            let first = listed[0][0];
            let broken = [
                ("a row listed twice", changed(&|l| l[1].push(first))),
                (
                    "a row not listed",
                    changed(&|l| {
                        l[0].remove(0);
                    }),
                ),
                ("a row past the end", changed(&|l| l[0].push(rows))),
                ("an entry too few", changed(&|l| drop(l.pop()))),
                ("an entry too many", changed(&|l| l.push(vec![]))),
                ("a NULL row listed", changed(&|l| l[0].extend(null_row))),
            ];
            for (what, index) in broken {
                if what == "a NULL row listed" && null_row.is_none() {
                    continue;
                }
                let read = decode(&index_block(&index, roaring));
                let caught = matches!(&read, Err(StorageError::Corruption { .. }));
                assert!(caught, "{what} (roaring {roaring}): {read:?}");
            }
        }
    }
    // A version 4 indexed column must not have a Values block, and other columns must have theirs.
    let v3 = encode_segment_v3(&batch, &meta_for(&batch)).unwrap();
    let v3_footer = footer::Footer::read(&v3).unwrap();
    let values = v3_footer
        .blocks
        .iter()
        .find(|b| b.kind == SegmentComponent::Values && b.column as usize == col::STUDENT)
        .unwrap();
    let extra = with_block(
        &bytes,
        SegmentComponent::Values,
        col::STUDENT,
        Some(&v3[values.offset as usize..(values.offset + values.len) as usize]),
    );
    assert!(is_corruption(Segment::open(FileBytes::from_vec(extra), "s.seg")));
    let missing = with_block(&bytes, SegmentComponent::Values, col::ASSIGNMENT, None);
    assert!(is_corruption(Segment::open(FileBytes::from_vec(missing), "s.seg")));
    // A version 3 indexed column must have one.
    let missing = with_block(&v3, SegmentComponent::Values, col::STUDENT, None);
    assert!(is_corruption(Segment::open(FileBytes::from_vec(missing), "s.seg")));
}

#[test]
fn visiting_text_values_sees_every_non_null_row_once() {
    for pool in [TEXTS, UUIDS] {
        let batch = batch_from_codes_with(&random_code_rows(400, 1_000), &pool);
        let seg = Segment::from_batch(&batch, &meta_for(&batch)).unwrap();
        for c in [col::SIGNAL_ID, col::STUDENT, col::ACTION] {
            let mut visited = Vec::new();
            seg.for_each_text_value(c, |v| visited.push(v.to_string())).unwrap();
            let mut expected: Vec<String> = (0..batch.len()).filter_map(|r| text(&batch, c, r)).collect();
            visited.sort();
            expected.sort();
            assert_eq!(visited, expected, "{}", EVENT_COLUMNS[c].name);
        }
        assert!(seg.for_each_text_value(col::TIME, |_| {}).is_err());
    }
}

#[test]
fn signal_ids_in_row_order_are_checked_like_any_block() {
    let batch = realistic_batch(300);
    let bytes = encode_segment(&batch, &meta_for(&batch)).unwrap();
    let seg = Segment::open(FileBytes::from_vec(bytes.clone()), "s.seg").unwrap();
    let ids = seg.text_column(col::SIGNAL_ID).unwrap();
    assert_eq!(ids.dict.len(), 300, "distinct, sorted on decode");
    assert!(ids.dict.windows(2).all(|w| w[0] < w[1]));
    let block = seg
        .blocks()
        .iter()
        .find(|b| b.kind == SegmentComponent::Dictionary && b.column as usize == col::SIGNAL_ID)
        .copied()
        .unwrap();
    let original = &bytes[block.offset as usize..(block.offset + block.len) as usize];
    assert_eq!(original.len(), 1 + 4 + 16 * 300, "layout, count, 16 bytes per row");
    let read = |block: Vec<u8>| {
        let bad = with_block(&bytes, SegmentComponent::Dictionary, col::SIGNAL_ID, Some(&block));
        Segment::open(FileBytes::from_vec(bad), "s.seg").and_then(|s| s.text_column(col::SIGNAL_ID).map(|_| ()))
    };
    read(original.to_vec()).unwrap();
    let mut fewer = original[..original.len() - 16].to_vec();
    fewer[1..5].copy_from_slice(&299u32.to_le_bytes());
    assert!(is_corruption(read(fewer)), "a value count other than the rows");
    assert!(
        is_corruption(read(original[..original.len() - 1].to_vec())),
        "truncated"
    );
    let mut unknown = original.to_vec();
    unknown[0] = 1; // a sorted-dictionary layout: signal_id has no Values block to go with it
    assert!(is_corruption(read(unknown)));
    // Repeated ids (the engine does not require them unique) decode to one dictionary entry each.
    let mut repeated = original.to_vec();
    let first = repeated[5..21].to_vec();
    repeated[21..37].copy_from_slice(&first);
    let bad = with_block(&bytes, SegmentComponent::Dictionary, col::SIGNAL_ID, Some(&repeated));
    let seg = Segment::open(FileBytes::from_vec(bad), "s.seg").unwrap();
    let ids = seg.text_column(col::SIGNAL_ID).unwrap();
    assert_eq!((ids.dict.len(), ids.ids[0], ids.ids[1]), (299, ids.ids[0], ids.ids[0]));
}

#[test]
fn a_shared_null_set_must_name_an_earlier_column_with_nulls() {
    let batch = realistic_batch(300);
    let bytes = encode_segment(&batch, &meta_for(&batch)).unwrap();
    let seg = Segment::open(FileBytes::from_vec(bytes.clone()), "s.seg").unwrap();
    let blocks = seg.blocks().to_vec();
    let (i, entry) = blocks
        .iter()
        .enumerate()
        .find(|(_, b)| b.kind == SegmentComponent::Nulls && b.column as usize == col::MEETING_SECONDS)
        .unwrap();
    let at = entry.offset as usize;
    assert_eq!(
        &bytes[at..at + 2],
        [2, col::GRADE as u8],
        "the grade column's set, shared"
    );
    for (named, valid) in [
        (col::GRADE, true),
        (col::MEETING_SECONDS, false),
        (col::TIME, false),
        (200, false),
    ] {
        let mut bad = bytes.clone();
        bad[at + 1] = named as u8;
        // Fix the block's crc in the directory and then the footer's crc.
        let trailer = bad.len() - 20;
        let crc_at = trailer - 22 * (blocks.len() - i) + 18;
        let crc = crc32fast::hash(&bad[at..at + 2]);
        bad[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
        let bad = with_version(bad, FORMAT_VERSION);
        let seg = Segment::open(FileBytes::from_vec(bad), "s.seg").unwrap();
        let read = seg.int_column(col::MEETING_SECONDS);
        assert_eq!(read.is_ok(), valid, "named {named}: {read:?}");
        assert!(valid || is_corruption(read));
    }
}

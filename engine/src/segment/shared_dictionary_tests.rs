//! Segments whose UUID columns refer to a store's shared dictionaries (format version 4).

use super::tests::{
    batch_from_codes_with, is_corruption, meta_for, rows_in_order, rows_strategy, with_version, TEXTS, UUIDS,
};
use super::*;
use crate::batch::EventBatch;
use crate::directory::{FileBytes, MemoryDirectory};
use crate::schema::{col, EVENT_COLUMNS};
use crate::shared_dictionary::SharedDictionaries;
use proptest::prelude::*;
use std::sync::Arc;

fn dictionaries() -> Arc<SharedDictionaries> {
    Arc::new(SharedDictionaries::open(Arc::new(MemoryDirectory::new()), "dictionaries").unwrap())
}

fn encode_shared(batch: &EventBatch, shared: &SharedDictionaries) -> Vec<u8> {
    let rows: Vec<u32> = (0..batch.len() as u32).collect();
    encode_segment_rows(batch, &rows, &meta_for(batch), Some(shared)).unwrap()
}

fn open_shared(bytes: Vec<u8>, shared: &Arc<SharedDictionaries>) -> Segment {
    Segment::open_with_dictionaries(FileBytes::from_vec(bytes), "s.seg", shared.clone()).unwrap()
}

/// Lower-case (or letterless) UUIDs: one case, so shared-dictionary columns use the shared layout.
const LOWER: [&str; 6] = [UUIDS[0], UUIDS[1], UUIDS[3], UUIDS[5], UUIDS[1], UUIDS[0]];

/// Bytes of the Dictionary blocks of column `c`.
fn dictionary_bytes(bytes: &[u8], c: usize) -> u64 {
    let seg = Segment::open(FileBytes::from_vec(bytes.to_vec()), "d.seg").unwrap();
    seg.blocks()
        .iter()
        .filter(|b| b.kind == SegmentComponent::Dictionary && b.column as usize == c)
        .map(|b| b.len)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the values (plain strings fall back to a segment's own dictionary), a segment written
    /// against shared dictionaries reads back the rows of one that is not, and merging such segments
    /// writes what encoding their concatenation does.
    #[test]
    fn shared_dictionary_segments_read_like_local_ones_and_merge_like_their_concatenation(
        inputs in proptest::collection::vec((rows_strategy(40), 0u8..3), 1..4)
    ) {
        let shared = dictionaries();
        let pools = [TEXTS, UUIDS, LOWER];
        let batches: Vec<EventBatch> = inputs.iter().map(|(rows, pool)| batch_from_codes_with(rows, &pools[*pool as usize])).collect();
        let segments: Vec<Segment> = batches.iter().map(|b| open_shared(encode_shared(b, &shared), &shared)).collect();
        for (seg, batch) in segments.iter().zip(&batches) {
            let local = Segment::from_batch(batch, &meta_for(batch)).unwrap();
            prop_assert_eq!(rows_in_order(&seg.to_batch().unwrap()), rows_in_order(&local.to_batch().unwrap()));
        }
        let mut concatenated = segments[0].to_batch().unwrap();
        segments[1..].iter().for_each(|s| concatenated.extend(&s.to_batch().unwrap()));
        let meta = meta_for(&concatenated);
        let refs: Vec<&Segment> = segments.iter().collect();
        let template = SegmentMeta { rows: 0, min_time: 0, max_time: 0, ..meta.clone() };
        let (_, merged) = merge_segments(&refs, &template, Some(&shared)).unwrap();
        prop_assert!(merged == encode_shared(&concatenated, &shared), "merged bytes differ from the encoded concatenation");
    }
}

/// A day of a few students: every shared-dictionary column holds lower-case UUIDs.
fn uuid_day(students: &[&str], rows: usize) -> EventBatch {
    let codes: Vec<(i64, Vec<u8>)> = (0..rows)
        .map(|r| (r as i64, vec![(r % 5 + 1) as u8; col::COUNT]))
        .collect();
    let pool: [&str; 6] = std::array::from_fn(|i| students[i % students.len()]);
    batch_from_codes_with(&codes, &pool)
}

#[test]
fn shared_columns_store_ids_and_resolve_them_through_the_store() {
    let shared = dictionaries();
    let batch = uuid_day(&LOWER, 50);
    let bytes = encode_shared(&batch, &shared);
    let local = encode_segment(&batch, &meta_for(&batch)).unwrap();
    for (c, def) in EVENT_COLUMNS.iter().enumerate().filter(|(_, d)| d.shared_dictionary) {
        assert!(
            dictionary_bytes(&bytes, c) < dictionary_bytes(&local, c),
            "{} keeps its values in the shared dictionary",
            def.name
        );
    }
    assert_eq!(
        shared.column(col::STUDENT).unwrap().len().unwrap(),
        4,
        "the four distinct UUIDs"
    );
    let seg = open_shared(bytes.clone(), &shared);
    // Index lookups before and after the column is decoded, through the resolved dictionary.
    for decode_first in [false, true] {
        let seg = open_shared(bytes.clone(), &shared);
        if decode_first {
            seg.text_column(col::STUDENT).unwrap();
        }
        let count = |v: &str| seg.index_lookup(col::STUDENT, v).unwrap().unwrap().len();
        let expected = |v: &str| {
            (0..batch.len())
                .filter(|&r| batch.columns[col::STUDENT].text(r).as_deref() == Some(v))
                .count() as u64
        };
        for v in [UUIDS[0], UUIDS[1], UUIDS[3], UUIDS[5]] {
            assert_eq!(count(v), expected(v), "{v}");
        }
        assert_eq!(count(&UUIDS[3].to_uppercase()), 0, "a different string");
        assert_eq!(count("not a uuid"), 0);
    }
    assert_eq!(
        rows_in_order(&seg.to_batch().unwrap()),
        rows_in_order(
            &Segment::from_batch(&batch, &meta_for(&batch))
                .unwrap()
                .to_batch()
                .unwrap()
        )
    );

    // Without the store's dictionaries, or with ones lacking its entries, the column cannot be read:
    // a Corruption error saying so, never a value.
    let alone = Segment::open(FileBytes::from_vec(bytes.clone()), "alone.seg").unwrap();
    assert!(is_corruption(alone.text_column(col::STUDENT)));
    assert!(is_corruption(alone.index_lookup(col::STUDENT, UUIDS[0])));
    assert!(
        alone.text_column(col::SIGNAL).is_ok(),
        "columns without a shared dictionary still read"
    );
    let older = FileBytes::from_vec(with_version(bytes.clone(), 3));
    assert!(
        is_corruption(Segment::open_with_dictionaries(older, "v3.seg", shared.clone())),
        "version 3 has neither shared layouts nor index-only columns"
    );
    let empty = dictionaries();
    let stranger = open_shared(bytes, &empty);
    assert!(is_corruption(stranger.text_column(col::CLASS)));
    assert!(is_corruption(stranger.index_lookup(col::CLASS, UUIDS[0])));
}

#[test]
fn new_values_get_ascending_ids_so_later_days_store_small_differences() {
    let shared = dictionaries();
    // Day one introduces four students; day two one more, which sorts between them.
    encode_shared(&uuid_day(&LOWER, 40), &shared);
    let newcomer = "05000000-0000-4000-8000-000000000000";
    let day_two = uuid_day(&[UUIDS[0], newcomer, UUIDS[1], UUIDS[3]], 40);
    let bytes = encode_shared(&day_two, &shared);
    let dict = shared.column(col::STUDENT).unwrap();
    assert_eq!(
        dict.ids_of(&[crate::uuid::parse_uuid(newcomer.as_bytes()).unwrap().0])
            .unwrap(),
        vec![4]
    );
    let seg = open_shared(bytes, &shared);
    let mut values: Vec<String> = seg.text_column(col::STUDENT).unwrap().dict.clone();
    let sorted = {
        let mut v = values.clone();
        v.sort();
        v
    };
    assert_eq!(values, sorted, "the segment's dictionary stays in string order");
    values.retain(|v| v == newcomer);
    assert_eq!(values.len(), 1);
}

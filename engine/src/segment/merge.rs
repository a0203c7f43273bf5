//! Merging already-encoded segments into one (compaction) without going back to strings: the inputs'
//! sorted dictionaries are merged (UUIDs as their 128 bits), each input's ids remapped, and the rows,
//! already sorted by (school, class, student, time) within each input, merged by that key.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::dictionary::SortedDict;
use super::footer::{has_row_order_values, FORMAT_VERSION};
use super::meta::SegmentMeta;
use super::reader::{RawColumn, Segment};
use super::row_values::RowValues;
use super::writer::{stored_order, SegmentBuilder, StoredColumn};
use crate::error::{Result, StorageError};
use crate::schema::{col, ColumnType, EVENT_COLUMNS};
use crate::shared_dictionary::SharedDictionaries;
use crate::uuid::{format_uuid, hex_alphabet, LOWER, UPPER};

/// Encodes the rows of `segments`, taken in that order, as one segment: the same bytes as
/// [`super::encode_segment`] of the concatenation of their [`Segment::to_batch`] (same dictionaries,
/// same stored row order, ties between equal keys in input order). `meta`'s `rows`, `min_time` and
/// `max_time` are replaced by the merged rows' values; the returned meta is the one written.
///
/// Every block read is checksummed and validated as for any read; damage is `Corruption`.
///
/// `shared`: as for [`super::encode_segment_rows`] (the store passes its shared dictionaries, which
/// already hold every value of its segments).
pub fn merge_segments(
    segments: &[&Segment],
    meta: &SegmentMeta,
    shared: Option<&SharedDictionaries>,
) -> Result<(SegmentMeta, Vec<u8>)> {
    let total: usize = segments.iter().map(|s| s.num_rows()).sum();
    if total > u32::MAX as usize {
        return Err(StorageError::InvalidInput(format!(
            "{total} rows do not fit in one segment"
        )));
    }
    let mut columns: Vec<Vec<RawColumn<'_>>> = segments
        .iter()
        .map(|s| (0..EVENT_COLUMNS.len()).map(|c| s.raw_column(c)).collect())
        .collect::<Result<_>>()?;
    row_order_values_of_older_inputs(&mut columns);
    let column = |c: usize| columns.iter().map(move |cols| &cols[c]);

    // Text columns: merged dictionary and, per concatenated row, the id in it.
    let mut texts: Vec<Option<(MergedDict<'_>, Vec<u32>)>> = Vec::with_capacity(EVENT_COLUMNS.len());
    for c in 0..EVENT_COLUMNS.len() {
        let inputs: Vec<(&SortedDict<'_>, &[u32])> = column(c)
            .filter_map(|raw| match raw {
                RawColumn::Text { dict, ids, .. } => Some((dict, ids.as_slice())),
                _ => None,
            })
            .collect();
        texts.push(if inputs.is_empty() {
            None
        } else {
            let (dict, remaps) = merge_dicts(inputs.iter().map(|(d, _)| *d).collect());
            let mut ids = Vec::with_capacity(total);
            for ((_, input), remap) in inputs.iter().zip(&remaps) {
                // NULL rows hold id 0, which stays in range for a non-empty dictionary and is never read.
                ids.extend(input.iter().map(|&id| remap.get(id as usize).copied().unwrap_or(0)));
            }
            Some((dict, ids))
        });
    }
    let valid: Vec<Option<Vec<bool>>> = (0..EVENT_COLUMNS.len())
        .map(|c| concat_validity(column(c).map(nulls_of).collect(), segments))
        .collect();

    let rank = |c: usize| -> Result<Vec<u32>> {
        let (_, ids) = texts[c]
            .as_ref()
            .ok_or_else(|| StorageError::Internal("sort key column is not text".into()))?;
        Ok(match &valid[c] {
            Some(v) => ids
                .iter()
                .zip(v)
                .map(|(&id, &ok)| if ok { id + 1 } else { 0 })
                .collect(),
            None => ids.iter().map(|&id| id + 1).collect(),
        })
    };
    let mut times = Vec::with_capacity(total);
    for raw in column(col::TIME) {
        match raw {
            RawColumn::Int(t) => times.extend_from_slice(&t.values),
            _ => return Err(StorageError::Internal("time column is not an integer column".into())),
        }
    }
    let order = stored_order([&rank(col::SCHOOL)?, &rank(col::CLASS)?, &rank(col::STUDENT)?], &times);
    let meta = SegmentMeta {
        rows: total as u32,
        min_time: times.iter().copied().min().unwrap_or(0),
        max_time: times.iter().copied().max().unwrap_or(0),
        ..meta.clone()
    };

    let mut w = SegmentBuilder::new(FORMAT_VERSION);
    for (c, text) in texts.into_iter().enumerate() {
        let plain: Vec<Cow<'_, str>>;
        let formatted: Vec<String>;
        let in_row_order: Vec<&RowValues<'_>> = column(c)
            .filter_map(|raw| match raw {
                RawColumn::InRowOrder { values, .. } => Some(values),
                _ => None,
            })
            .collect();
        let data = match (text, EVENT_COLUMNS[c].ty) {
            (None, ColumnType::Text) if has_row_order_values(&EVENT_COLUMNS[c], FORMAT_VERSION) => {
                // Values kept in row order: the concatenated non-NULL values, taken in the merged order.
                let present_index = present_positions(valid[c].as_deref(), total);
                let taken = || order.iter().filter_map(|&p| present_index[p as usize]);
                let uuids: Option<(Vec<u128>, bool)> = concat_uuids(&in_row_order);
                StoredColumn::InRowOrder(match uuids {
                    Some((all, upper)) => RowValues::from_uuids(taken().map(|i| all[i]).collect(), upper),
                    None => {
                        formatted = in_row_order.iter().flat_map(|v| v.to_strings()).collect();
                        RowValues::from_strs(taken().map(|i| formatted[i].as_str()).collect())
                    }
                })
            }
            (Some((dict, ids)), _) => StoredColumn::Text {
                dict: match dict {
                    MergedDict::Uuid { values, upper } => SortedDict::Uuid { values, upper },
                    MergedDict::Plain(values) => {
                        plain = values;
                        SortedDict::Plain(plain.iter().map(|s| s.as_ref()).collect())
                    }
                },
                ids: gather(&order, &ids)?,
            },
            (None, ColumnType::Double) => {
                let mut all = Vec::with_capacity(total);
                for raw in column(c) {
                    if let RawColumn::Double(v) = raw {
                        all.extend_from_slice(&v.values);
                    }
                }
                StoredColumn::Double(gather(&order, &all)?)
            }
            (None, _) => {
                let mut all = Vec::with_capacity(total);
                for raw in column(c) {
                    if let RawColumn::Int(v) = raw {
                        all.extend_from_slice(&v.values);
                    }
                }
                StoredColumn::Int(gather(&order, &all)?)
            }
        };
        let stored_valid: Option<Vec<bool>> = valid[c].as_deref().map(|v| gather(&order, v)).transpose()?;
        w.column(c, stored_valid.as_deref(), &data, shared)?;
    }
    Ok((meta.clone(), w.finish(&meta)))
}

/// `all[p]` for each position `p` of `order`; `Internal` if an input column was shorter than its rows.
fn gather<T: Copy>(order: &[u32], all: &[T]) -> Result<Vec<T>> {
    order
        .iter()
        .map(|&p| all.get(p as usize).copied())
        .collect::<Option<Vec<T>>>()
        .ok_or_else(|| StorageError::Internal("merged column shorter than its rows".into()))
}

fn nulls_of<'r>(raw: &'r RawColumn<'_>) -> Option<&'r roaring::RoaringBitmap> {
    match raw {
        RawColumn::Int(c) => c.nulls.as_ref(),
        RawColumn::Double(c) => c.nulls.as_ref(),
        RawColumn::Text { nulls, .. } | RawColumn::InRowOrder { nulls, .. } => nulls.as_ref(),
    }
}

/// Where an input (a segment of an older format) holds a column that this format keeps in row order as a
/// sorted dictionary and ids, turns it into the values of its non-NULL rows in row order, so that every
/// input of such a column merges alike, without sorting.
fn row_order_values_of_older_inputs(columns: &mut [Vec<RawColumn<'_>>]) {
    for cols in columns.iter_mut() {
        for (c, raw) in cols.iter_mut().enumerate() {
            if !has_row_order_values(&EVENT_COLUMNS[c], FORMAT_VERSION) {
                continue;
            }
            let RawColumn::Text { dict, ids, nulls } = raw else {
                continue;
            };
            // The reader checked every id against the dictionary.
            let present = ids
                .iter()
                .enumerate()
                .filter(|&(row, _)| !nulls.as_ref().is_some_and(|n| n.contains(row as u32)))
                .map(|(_, &id)| id as usize);
            let values = match dict {
                SortedDict::Uuid { values, upper } => RowValues::Uuid {
                    values: present.map(|id| values[id]).collect(),
                    upper: *upper,
                },
                SortedDict::Plain(values) => RowValues::Plain(present.map(|id| values[id]).collect()),
            };
            let nulls = nulls.take();
            *raw = RawColumn::InRowOrder { values, nulls };
        }
    }
}

/// For each of the `total` concatenated rows, its index among the non-NULL ones (`None` at a NULL row).
fn present_positions(valid: Option<&[bool]>, total: usize) -> Vec<Option<usize>> {
    let mut next = 0;
    (0..total)
        .map(|row| {
            valid.is_none_or(|v| v[row]).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// The inputs' values concatenated as 128-bit UUIDs and their common case, if every input holds UUIDs
/// and no two use different letter cases (values without letters fit either); `None` otherwise, when
/// the merged column is built from strings as the concatenated text would be.
fn concat_uuids(inputs: &[&RowValues<'_>]) -> Option<(Vec<u128>, bool)> {
    let cases = inputs.iter().fold(0, |cases, input| cases | input.cases());
    if cases == LOWER | UPPER {
        return None;
    }
    let mut all = Vec::new();
    for input in inputs {
        if let RowValues::Uuid { values, .. } = input {
            all.extend_from_slice(values);
        }
    }
    Some((all, cases == UPPER))
}

/// The validity of the concatenated rows (`None` if no input has a NULL in this column).
fn concat_validity(nulls: Vec<Option<&roaring::RoaringBitmap>>, segments: &[&Segment]) -> Option<Vec<bool>> {
    if nulls.iter().all(Option::is_none) {
        return None;
    }
    let mut valid = Vec::new();
    for (n, s) in nulls.iter().zip(segments) {
        let (base, rows) = (valid.len(), s.num_rows());
        let nulls = n.map_or(0, |n| n.len() as usize);
        // Mark whichever of the NULL and the present rows are fewer (mostly-NULL columns are common).
        let (fill, marked) = if nulls * 2 > rows {
            let mut present = roaring::RoaringBitmap::new();
            present.insert_range(0..rows as u32);
            if let Some(n) = n {
                present -= *n;
            }
            (false, present)
        } else {
            (true, n.cloned().unwrap_or_default())
        };
        valid.resize(base + rows, fill);
        for row in &marked {
            if let Some(v) = valid.get_mut(base + row as usize) {
                *v = !fill;
            }
        }
    }
    Some(valid)
}

/// A merged dictionary: UUIDs stay integers; plain values borrow the inputs where they can.
enum MergedDict<'a> {
    Uuid { values: Vec<u128>, upper: bool },
    Plain(Vec<Cow<'a, str>>),
}

/// Merges sorted dictionaries into the one the writer would build for all their values, and maps each
/// input id to the merged id. The UUID layout is kept when every value is a UUID and no two inputs
/// disagree on the letter case (a UUID without hex letters fits either); otherwise values are strings.
fn merge_dicts<'a>(dicts: Vec<&SortedDict<'a>>) -> (MergedDict<'a>, Vec<Vec<u32>>) {
    let cases = dicts.iter().fold(0, |acc, d| acc | d.cases());
    let all_uuid = dicts
        .iter()
        .all(|d| matches!(d, SortedDict::Uuid { .. }) || d.is_empty());
    if all_uuid && cases != LOWER | UPPER && dicts.iter().any(|d| !d.is_empty()) {
        let lists: Vec<&[u128]> = dicts
            .iter()
            .map(|d| match d {
                SortedDict::Uuid { values, .. } => values.as_slice(),
                SortedDict::Plain(_) => &[],
            })
            .collect();
        let (values, remaps) = merge_sorted(&lists);
        let upper = cases == UPPER;
        return (MergedDict::Uuid { values, upper }, remaps);
    }
    let lists: Vec<Vec<Cow<'a, str>>> = dicts
        .iter()
        .map(|d| match d {
            SortedDict::Plain(values) => values.iter().map(|&s| Cow::Borrowed(s)).collect(),
            SortedDict::Uuid { values, upper } => {
                let alphabet = hex_alphabet(*upper);
                values
                    .iter()
                    .map(|v| Cow::Owned(format_uuid(v.to_be_bytes(), alphabet)))
                    .collect()
            }
        })
        .collect();
    let slices: Vec<&[Cow<'a, str>]> = lists.iter().map(Vec::as_slice).collect();
    let (values, remaps) = merge_sorted(&slices);
    (MergedDict::Plain(values), remaps)
}

/// Merges strictly ascending lists into one ascending list without duplicates, and maps each list's
/// positions to positions in it.
fn merge_sorted<T: Ord + Clone>(lists: &[&[T]]) -> (Vec<T>, Vec<Vec<u32>>) {
    let mut remaps: Vec<Vec<u32>> = lists.iter().map(|l| Vec::with_capacity(l.len())).collect();
    if let [only] = lists {
        return (only.to_vec(), vec![(0..only.len() as u32).collect()]);
    }
    let mut merged: Vec<T> = Vec::with_capacity(lists.iter().map(|l| l.len()).max().unwrap_or(0));
    let mut heap: BinaryHeap<Reverse<(&T, usize)>> = lists
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.first().map(|v| Reverse((v, i))))
        .collect();
    while let Some(Reverse((value, i))) = heap.pop() {
        if merged.last() != Some(value) {
            merged.push(value.clone());
        }
        remaps[i].push(merged.len() as u32 - 1);
        if let Some(next) = lists[i].get(remaps[i].len()) {
            heap.push(Reverse((next, i)));
        }
    }
    (merged, remaps)
}

#[cfg(test)]
mod tests {
    use super::merge_sorted;

    #[test]
    fn merged_lists_are_ascending_without_duplicates_and_remaps_point_at_equal_values() {
        let a = [1, 4, 9];
        let b = [2, 4, 10, 11];
        let c: [i32; 0] = [];
        let (merged, remaps) = merge_sorted(&[&a[..], &b[..], &c[..]]);
        assert_eq!(merged, vec![1, 2, 4, 9, 10, 11]);
        assert_eq!(remaps, vec![vec![0, 2, 3], vec![1, 2, 4, 5], vec![]]);
    }
}

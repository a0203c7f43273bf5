//! Per-segment row selection for the `events` scan: bitmap predicates on indexed columns evaluated as
//! roaring-bitmap unions, intersections and differences with SQL's three-valued logic, then the time
//! bounds applied on the time column only where a segment straddles them.

use engine::col;
use engine::segment::Segment;
use roaring::RoaringBitmap;

use super::eval::Subqueries;
use super::ExecError;
use crate::plan::{EventsFilter, IndexPredicate, IndexValues};

/// The rows of `seg` that satisfy `filter` (assumes the segment's time range intersects the bounds).
pub fn select_rows(seg: &Segment, filter: &EventsFilter, sq: &dyn Subqueries) -> Result<RoaringBitmap, ExecError> {
    let n = seg.num_rows() as u32;
    if filter.empty || n == 0 {
        return Ok(RoaringBitmap::new());
    }
    let mut selection: Option<RoaringBitmap> = None;
    for p in &filter.index {
        let rows = truth(seg, p, true, sq)?;
        selection = Some(match selection {
            None => rows,
            Some(s) => s & rows,
        });
        if selection.as_ref().is_some_and(RoaringBitmap::is_empty) {
            return Ok(RoaringBitmap::new());
        }
    }
    let meta = seg.meta();
    let from = filter.from.unwrap_or(i64::MIN);
    let to = filter.to.unwrap_or(i64::MAX);
    let straddles = meta.min_time < from || meta.max_time >= to;
    if !straddles {
        return Ok(selection.unwrap_or_else(|| full(n)));
    }
    let times = &seg.int_column(col::TIME)?.values;
    let in_range = |r: &u32| times.get(*r as usize).is_some_and(|t| (from..to).contains(t));
    Ok(match selection {
        Some(s) => {
            let mut kept = Vec::with_capacity(s.len() as usize);
            s.iter().for_each(|r| {
                if in_range(&r) {
                    kept.push(r);
                }
            });
            RoaringBitmap::from_sorted_iter(kept).unwrap_or_default()
        }
        None => (0..n).filter(in_range).collect(),
    })
}

fn full(n: u32) -> RoaringBitmap {
    let mut b = RoaringBitmap::new();
    b.insert_range(0..n);
    b
}

/// The rows where `p` is TRUE (`want == true`) or FALSE (`want == false`); rows where it is NULL are in
/// neither set.
fn truth(seg: &Segment, p: &IndexPredicate, want: bool, sq: &dyn Subqueries) -> Result<RoaringBitmap, ExecError> {
    let n = seg.num_rows() as u32;
    Ok(match p {
        IndexPredicate::In { column, values } => {
            let (matching, unknown_if_missing) = lookup(seg, *column, values, sq)?;
            let empty_subquery = match values {
                IndexValues::Subquery(i) => sq.set(*i).is_ok_and(|s| s.is_empty() && !s.has_null),
                IndexValues::List(_) => false,
            };
            if want {
                matching
            } else if empty_subquery {
                // Nothing is in an empty result, not even NULL: every row is "not in" it.
                full(n)
            } else if unknown_if_missing {
                // `x IN (…, NULL)` is NULL, never FALSE, where x is not found.
                RoaringBitmap::new()
            } else {
                non_null(seg, *column)? - matching
            }
        }
        IndexPredicate::IsNull { column, negated } => {
            let nulls = nulls(seg, *column)?;
            let is_null = if *negated { full(n) - nulls } else { nulls };
            if want {
                is_null
            } else {
                full(n) - is_null
            }
        }
        IndexPredicate::Not(x) => truth(seg, x, !want, sq)?,
        IndexPredicate::And(terms) | IndexPredicate::Or(terms) => {
            // AND's TRUE set and OR's FALSE set intersect; the other two unite.
            let intersect = matches!(p, IndexPredicate::And(_)) == want;
            let mut acc: Option<RoaringBitmap> = None;
            for t in terms {
                let rows = truth(seg, t, want, sq)?;
                acc = Some(match acc {
                    None => rows,
                    Some(a) if intersect => a & rows,
                    Some(a) => a | rows,
                });
                if intersect && acc.as_ref().is_some_and(RoaringBitmap::is_empty) {
                    break;
                }
            }
            acc.unwrap_or_else(|| if intersect { full(n) } else { RoaringBitmap::new() })
        }
    })
}

/// Rows whose `column` value is one of `values`, and whether missing values are unknown (a NULL in the
/// subquery result).
fn lookup(
    seg: &Segment,
    column: usize,
    values: &IndexValues,
    sq: &dyn Subqueries,
) -> Result<(RoaringBitmap, bool), ExecError> {
    let mut rows = RoaringBitmap::new();
    let mut add = |v: &str| -> Result<(), ExecError> {
        match seg.index_lookup(column, v)? {
            Some(b) => {
                rows |= b;
                Ok(())
            }
            None => Err(ExecError::Internal(format!("column {column} has no index"))),
        }
    };
    match values {
        IndexValues::List(list) => {
            for v in list {
                add(v)?;
            }
            Ok((rows, false))
        }
        IndexValues::Subquery(i) => {
            let set = sq.set(*i)?;
            let dict = &seg.text_column(column)?.dict;
            if set.len() > dict.len() {
                // A large set: walk the (smaller) dictionary instead of looking every value up.
                for (id, v) in dict.iter().enumerate() {
                    if set.contains_text(v) {
                        if let Some(b) = seg.index_bitmap(column, id as u32)? {
                            rows |= b;
                        }
                    }
                }
            } else {
                for v in set.texts() {
                    add(v)?;
                }
            }
            Ok((rows, set.has_null))
        }
    }
}

fn nulls(seg: &Segment, column: usize) -> Result<RoaringBitmap, ExecError> {
    Ok(seg.text_column(column)?.nulls.clone().unwrap_or_default())
}

fn non_null(seg: &Segment, column: usize) -> Result<RoaringBitmap, ExecError> {
    let nulls = nulls(seg, column)?;
    Ok(full(seg.num_rows() as u32) - nulls)
}

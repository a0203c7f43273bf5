//! Sorting: a full sort of a materialized batch, and a top-N sink (`ORDER BY … LIMIT n`) that keeps a
//! bounded candidate buffer per worker instead of materializing every row. Ties are broken by arrival
//! order (segment, row), so results are deterministic.

use std::cmp::Ordering;
use std::rc::Rc;

use super::array::{Array, Batch};
use super::chunk::Chunk;
use super::eval::eval;
use super::memory::Reservation;
use super::pipeline::Sink;
use super::subquery::SubqueryResults;
use super::ExecError;
use crate::plan::SortKey;
use crate::value::{DataType, Value};

/// The order of two values of which at least one is NULL (`None` if neither is), under `key`'s NULL
/// placement.
fn null_order(a_null: bool, b_null: bool, key: &SortKey) -> Option<Ordering> {
    let first = if key.nulls_first {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    match (a_null, b_null) {
        (false, false) => None,
        (true, true) => Some(Ordering::Equal),
        (true, false) => Some(first),
        (false, true) => Some(first.reverse()),
    }
}

/// `o` in `key`'s direction.
fn directed(o: Ordering, key: &SortKey) -> Ordering {
    if key.desc {
        o.reverse()
    } else {
        o
    }
}

/// Orders two values under a sort key's direction and NULL placement.
pub fn cmp_values(a: &Value, b: &Value, key: &SortKey) -> Ordering {
    null_order(a.is_null(), b.is_null(), key).unwrap_or_else(|| directed(a.total_cmp(b), key))
}

/// Orders rows `i` and `j` of one key array without materializing values where possible.
fn cmp_rows(a: &Array<'_>, i: usize, j: usize, key: &SortKey) -> Ordering {
    if let Some(o) = null_order(!a.is_valid(i), !a.is_valid(j), key) {
        return o;
    }
    let o = match a {
        Array::Int(v, _) | Array::Timestamp(v, _) => v[i].cmp(&v[j]),
        Array::Double(v, _) => crate::value::cmp_f64(v[i], v[j]),
        Array::Bool(v, _) => v[i].cmp(&v[j]),
        Array::Text(t) => t.get(i).unwrap_or("").as_bytes().cmp(t.get(j).unwrap_or("").as_bytes()),
        a => a.value(i).total_cmp(&a.value(j)),
    };
    directed(o, key)
}

/// Sorts a batch by `keys` (expressions over its columns); stable.
pub fn sort_batch(batch: Batch, keys: &[SortKey], sq: &SubqueryResults) -> Result<Batch, ExecError> {
    if batch.rows <= 1 {
        return Ok(batch);
    }
    let order = {
        let chunk = Chunk::from_batch(&batch);
        let arrays: Vec<Rc<Array<'_>>> = keys
            .iter()
            .map(|k| Ok(eval(&k.expr, &chunk, sq)?.into_array(k.expr.data_type(), batch.rows)))
            .collect::<Result<_, ExecError>>()?;
        let mut order: Vec<u32> = (0..batch.rows as u32).collect();
        order.sort_by(|&i, &j| {
            for (a, k) in arrays.iter().zip(keys) {
                let o = cmp_rows(a, i as usize, j as usize, k);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        order
    };
    Ok(Batch {
        columns: batch.columns.iter().map(|c| c.take(&order).into_owned()).collect(),
        rows: batch.rows,
    })
}

/// A candidate row of a top-N: its sort key values, arrival position and output values.
struct Candidate {
    keys: Vec<Value>,
    seq: (usize, u32),
    row: Vec<Value>,
}

/// The sink of `ORDER BY … LIMIT n`: keeps at most about `2n` candidates, pruning to the best `n`.
pub struct TopNSink<'p> {
    keys: &'p [SortKey],
    keep: usize,
    types: Vec<DataType>,
    sq: &'p SubqueryResults,
    candidates: Vec<Candidate>,
    /// The worst key values kept after the last pruning (rows not better than it are skipped).
    threshold: Option<Vec<Value>>,
    memory: Reservation,
}

impl<'p> TopNSink<'p> {
    /// Keeps the first `keep` rows under `keys`; `types` are the output column types.
    pub fn new(
        keys: &'p [SortKey],
        keep: usize,
        types: Vec<DataType>,
        sq: &'p SubqueryResults,
        memory: Reservation,
    ) -> Self {
        TopNSink {
            keys,
            keep,
            types,
            sq,
            candidates: Vec::new(),
            threshold: None,
            memory,
        }
    }

    fn cmp_candidates(&self, a: &Candidate, b: &Candidate) -> Ordering {
        for ((x, y), k) in a.keys.iter().zip(&b.keys).zip(self.keys) {
            let o = cmp_values(x, y, k);
            if o != Ordering::Equal {
                return o;
            }
        }
        a.seq.cmp(&b.seq)
    }

    fn prune(&mut self) {
        let mut c = std::mem::take(&mut self.candidates);
        c.sort_by(|a, b| self.cmp_candidates(a, b));
        c.truncate(self.keep);
        self.threshold = if c.len() == self.keep {
            c.last().map(|l| l.keys.clone())
        } else {
            None
        };
        self.candidates = c;
    }

    /// The kept rows, best first.
    pub fn finish(mut self) -> Batch {
        self.prune();
        let rows: Vec<Vec<Value>> = self.candidates.into_iter().map(|c| c.row).collect();
        Batch::from_rows(&self.types, &rows)
    }
}

impl Sink for TopNSink<'_> {
    fn consume(&mut self, seq: usize, chunk: Chunk<'_>) -> Result<(), ExecError> {
        let n = chunk.len();
        if self.keep == 0 || n == 0 {
            return Ok(());
        }
        let key_arrays: Vec<Rc<Array<'_>>> = self
            .keys
            .iter()
            .map(|k| Ok(eval(&k.expr, &chunk, self.sq)?.into_array(k.expr.data_type(), n)))
            .collect::<Result<_, ExecError>>()?;
        let columns: Vec<Rc<Array<'_>>> = (0..self.types.len())
            .map(|c| chunk.column(c))
            .collect::<Result<_, _>>()?;
        for i in 0..n {
            if let Some(t) = &self.threshold {
                // Skip rows that cannot beat the worst kept row (ties lose: they arrived later).
                let mut o = Ordering::Equal;
                for ((a, k), tv) in key_arrays.iter().zip(self.keys).zip(t) {
                    o = cmp_values(&a.value(i), tv, k);
                    if o != Ordering::Equal {
                        break;
                    }
                }
                if o != Ordering::Less {
                    continue;
                }
            }
            self.candidates.push(Candidate {
                keys: key_arrays.iter().map(|a| a.value(i)).collect(),
                seq: (seq, i as u32),
                row: columns.iter().map(|a| a.value(i)).collect(),
            });
            if self.candidates.len() >= self.keep.saturating_mul(2).max(1024) {
                self.prune();
            }
        }
        let per_row = 48 * (self.types.len() + self.keys.len()) + 64;
        self.memory.resize(self.candidates.len() * per_row)
    }

    fn merge(&mut self, other: Self) -> Result<(), ExecError> {
        self.candidates.extend(other.candidates);
        self.prune();
        Ok(())
    }
}

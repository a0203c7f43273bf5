//! Hash joins. One side is materialized and indexed on its keys (the roster side, typically a few
//! thousand rows); the other streams through as a pipeline step. A single text key that is dictionary-
//! encoded on the hashed side is indexed by dictionary id, and a dictionary-encoded probe key is looked
//! up once per distinct dictionary entry, so neither side hashes a string per row. Inner and left outer
//! joins, with a residual condition.

use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::array::{Array, Batch, TextArray};
use super::chunk::Chunk;
use super::eval::{eval, eval_mask, Datum};
use super::postings::Postings;
use super::subquery::{SubqueryResults, ValueKey};
use super::ExecError;
use crate::ast::JoinKind;
use crate::plan::ScalarExpr;

/// How the hashed side finds its rows by key.
enum JoinIndex {
    /// One text key, dictionary-encoded: rows by dictionary id.
    Dict(Postings),
    /// Any keys: values → rows (rows with a NULL key are never matched).
    Values(FxHashMap<Vec<ValueKey>, Vec<u32>>),
}

/// The materialized, indexed side of a join.
pub struct JoinTable {
    /// The hashed side's rows.
    pub batch: Arc<Batch>,
    index: JoinIndex,
}

impl JoinTable {
    /// Indexes `batch` on `keys` (expressions over its columns). Plain text columns are dictionary-
    /// encoded first, so joined rows carry ids rather than strings.
    pub fn build(batch: Arc<Batch>, keys: &[ScalarExpr], sq: &SubqueryResults) -> Result<JoinTable, ExecError> {
        let batch = if batch
            .columns
            .iter()
            .any(|c| matches!(c, Array::Text(TextArray::Plain { .. })))
        {
            let mut owned = Arc::unwrap_or_clone(batch);
            for col in &mut owned.columns {
                *col = std::mem::replace(col, Array::Null(0)).dictionary_encoded(None);
            }
            Arc::new(owned)
        } else {
            batch
        };
        let index = {
            let chunk = Chunk::from_batch(&batch);
            let arrays: Vec<Rc<Array<'_>>> = keys
                .iter()
                .map(|k| Ok(eval(k, &chunk, sq)?.into_array(k.data_type(), batch.rows)))
                .collect::<Result<_, ExecError>>()?;
            match arrays.as_slice() {
                [a] => match a.as_ref() {
                    Array::Text(TextArray::Dict { ids, dict, valid }) => dict
                        .as_shared()
                        .map(|dict| JoinIndex::Dict(Postings::build(ids, dict, valid))),
                    _ => None,
                },
                _ => None,
            }
            .map_or_else(|| values_index(&arrays, batch.rows), Ok)?
        };
        Ok(JoinTable { batch, index })
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        let index = match &self.index {
            JoinIndex::Dict(p) => p.heap_bytes(),
            JoinIndex::Values(m) => m.len() * 64,
        };
        self.batch.heap_bytes() + index
    }

    /// The hashed rows whose single text key is `s`.
    fn rows_for_text(&self, s: &str) -> &[u32] {
        match &self.index {
            JoinIndex::Dict(p) => p.rows_for(s),
            JoinIndex::Values(m) => m.get(&vec![ValueKey::Text(s.to_string())]).map_or(&[], Vec::as_slice),
        }
    }

    /// The hashed rows whose keys are `key`.
    fn rows_for_key(&self, key: &[ValueKey]) -> &[u32] {
        match (&self.index, key) {
            (JoinIndex::Values(m), _) => m.get(key).map_or(&[], Vec::as_slice),
            (JoinIndex::Dict(p), [ValueKey::Text(s)]) => p.rows_for(s),
            (JoinIndex::Dict(_), _) => &[],
        }
    }
}

fn values_index(arrays: &[Rc<Array<'_>>], n: usize) -> Result<JoinIndex, ExecError> {
    let mut map: FxHashMap<Vec<ValueKey>, Vec<u32>> = FxHashMap::default();
    for row in 0..n {
        let key: Option<Vec<ValueKey>> = arrays.iter().map(|a| ValueKey::of(&a.value(row))).collect();
        if let Some(key) = key {
            map.entry(key).or_default().push(row as u32);
        }
    }
    Ok(JoinIndex::Values(map))
}

/// A probe step: streams rows through `table`.
pub struct ProbeStep<'p> {
    /// The hashed side.
    pub table: JoinTable,
    /// Key expressions over the streaming side.
    pub probe_keys: &'p [ScalarExpr],
    /// Condition over the joined row (left columns then right columns).
    pub residual: Option<&'p ScalarExpr>,
    /// Inner or left outer (left = the streaming side).
    pub kind: JoinKind,
    /// Whether the hashed side is the join's left input (its columns come first).
    pub build_is_left: bool,
    /// Columns of the streaming side.
    pub probe_width: usize,
    /// Which output columns later steps read.
    pub required: Vec<bool>,
    /// Most joined pairs one chunk may produce (from the query's memory limit).
    pub max_pairs: usize,
    /// The query's memory limit, for the error.
    pub memory_limit: usize,
}

/// A worker's cache of probe lookups for dictionary-encoded keys: dictionary → matching hashed rows
/// per id, as a range of the index (or a list for the generic index).
#[derive(Default)]
pub struct ProbeCache {
    by_dict: FxHashMap<(usize, usize), Vec<Option<Rc<[u32]>>>>,
    ranges: FxHashMap<(usize, usize), Vec<(u32, u32)>>,
}

impl ProbeStep<'_> {
    fn width(&self) -> usize {
        self.probe_width + self.table.batch.columns.len()
    }

    /// Joins a chunk of the streaming side.
    pub fn probe<'a>(
        &self,
        chunk: Chunk<'a>,
        cache: &mut ProbeCache,
        sq: &SubqueryResults,
    ) -> Result<Chunk<'a>, ExecError> {
        let n = chunk.len();
        let datums: Vec<Datum<'a>> = self
            .probe_keys
            .iter()
            .map(|k| eval(k, &chunk, sq))
            .collect::<Result<_, _>>()?;
        let mut probe_rows: Vec<u32> = Vec::with_capacity(n);
        let mut build_rows: Vec<Option<u32>> = Vec::with_capacity(n);
        let left_outer = self.kind == JoinKind::Left;
        let mut overflow = false;
        let max_pairs = self.max_pairs;
        let mut emit = |i: usize, matches: &[u32]| {
            if overflow || probe_rows.len() + matches.len() > max_pairs {
                // The join would outgrow the query's memory: stop collecting pairs.
                overflow = true;
                return;
            }
            if matches.is_empty() {
                if left_outer {
                    probe_rows.push(i as u32);
                    build_rows.push(None);
                }
                return;
            }
            for &b in matches {
                probe_rows.push(i as u32);
                build_rows.push(Some(b));
            }
        };
        match datums.as_slice() {
            [Datum::Array(a)] if matches!(a.as_ref(), Array::Text(_)) => match a.as_ref() {
                Array::Text(TextArray::Dict { ids, dict, valid }) => {
                    if let JoinIndex::Dict(postings) = &self.table.index {
                        // Both sides dictionary-encoded: match the dictionaries once, then rows by id.
                        let ranges = cache
                            .ranges
                            .entry(dict.addr())
                            .or_insert_with(|| postings.ranges_for(dict, dict.sorted));
                        for (i, &id) in ids.iter().enumerate() {
                            if valid.as_ref().is_some_and(|v| !v[i]) {
                                emit(i, &[]);
                            } else {
                                emit(i, postings.rows(ranges[id as usize]));
                            }
                        }
                    } else {
                        let entry = cache
                            .by_dict
                            .entry(dict.addr())
                            .or_insert_with(|| vec![None; dict.len()]);
                        for (i, &id) in ids.iter().enumerate() {
                            if valid.as_ref().is_some_and(|v| !v[i]) {
                                emit(i, &[]);
                                continue;
                            }
                            let m = entry[id as usize]
                                .get_or_insert_with(|| Rc::from(self.table.rows_for_text(&dict[id as usize])))
                                .clone();
                            emit(i, &m);
                        }
                    }
                }
                Array::Text(t) => {
                    for i in 0..n {
                        match t.get(i) {
                            Some(s) => emit(i, self.table.rows_for_text(s)),
                            None => emit(i, &[]),
                        }
                    }
                }
                _ => {}
            },
            _ => {
                let arrays: Vec<Rc<Array<'a>>> = datums
                    .into_iter()
                    .zip(self.probe_keys)
                    .map(|(d, k)| d.into_array(k.data_type(), n))
                    .collect();
                for i in 0..n {
                    let key: Option<Vec<ValueKey>> = arrays.iter().map(|a| ValueKey::of(&a.value(i))).collect();
                    match key {
                        Some(k) => emit(i, self.table.rows_for_key(&k)),
                        None => emit(i, &[]),
                    }
                }
            }
        }

        if overflow {
            return Err(ExecError::ResourcesExhausted {
                limit: self.memory_limit,
                what: "JOIN",
            });
        }
        let joined = self.assemble(&chunk, &probe_rows, &build_rows, self.residual.is_some())?;
        let Some(residual) = self.residual else {
            return Ok(joined);
        };
        let mask = eval_mask(residual, &joined, sq)?;
        if !left_outer {
            return Ok(joined.filter(&mask));
        }
        // LEFT JOIN: a streaming row whose every match fails the condition still appears, NULL-extended.
        let mut kept_probe = Vec::with_capacity(probe_rows.len());
        let mut kept_build = Vec::with_capacity(probe_rows.len());
        let mut k = 0;
        while k < probe_rows.len() {
            let row = probe_rows[k];
            let mut any = false;
            while k < probe_rows.len() && probe_rows[k] == row {
                if mask[k] && build_rows[k].is_some() {
                    kept_probe.push(row);
                    kept_build.push(build_rows[k]);
                    any = true;
                }
                k += 1;
            }
            if !any {
                kept_probe.push(row);
                kept_build.push(None);
            }
        }
        self.assemble(&chunk, &kept_probe, &kept_build, false)
    }

    /// The joined chunk: streaming columns gathered at `probe_rows`, hashed-side columns at `build_rows`.
    fn assemble<'a>(
        &self,
        chunk: &Chunk<'a>,
        probe_rows: &[u32],
        build_rows: &[Option<u32>],
        all_columns: bool,
    ) -> Result<Chunk<'a>, ExecError> {
        let width = self.width();
        let build_width = self.table.batch.columns.len();
        let (probe_at, build_at) = if self.build_is_left {
            (build_width, 0)
        } else {
            (0, self.probe_width)
        };
        let mut arrays: Vec<Option<Rc<Array<'a>>>> = vec![None; width];
        for (c, slot) in arrays.iter_mut().enumerate() {
            if !(all_columns || self.required.get(c).copied().unwrap_or(true)) {
                continue;
            }
            if (probe_at..probe_at + self.probe_width).contains(&c) {
                *slot = Some(Rc::new(chunk.column(c - probe_at)?.take(probe_rows)));
            } else {
                let b = &self.table.batch.columns[c - build_at];
                *slot = Some(Rc::new(b.take_opt(build_rows)));
            }
        }
        Ok(Chunk::from_arrays(arrays, probe_rows.len()))
    }
}

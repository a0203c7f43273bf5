//! Hash joins. One side is materialized and hashed on its keys (the roster side, typically a few
//! thousand rows); the other streams through as a pipeline step. A dictionary-encoded probe key is
//! looked up once per distinct dictionary entry. Inner and left outer joins, with a residual condition.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::array::{Array, Batch, TextArray};
use super::chunk::Chunk;
use super::eval::{eval, eval_mask, Datum};
use super::subquery::{SubqueryResults, ValueKey};
use super::ExecError;
use crate::ast::JoinKind;
use crate::plan::ScalarExpr;

/// The materialized, hashed side of a join.
pub struct JoinTable {
    /// The build side's rows.
    pub batch: Batch,
    /// Key values → build rows (rows with a NULL key are never matched).
    map: FxHashMap<Vec<ValueKey>, Vec<u32>>,
}

impl JoinTable {
    /// Hashes `batch` on `keys` (expressions over its columns).
    pub fn build(mut batch: Batch, keys: &[ScalarExpr], sq: &SubqueryResults) -> Result<JoinTable, ExecError> {
        // Text the join outputs stays dictionary-encoded: joined rows carry build-row ids, not strings.
        for col in &mut batch.columns {
            *col = std::mem::replace(col, Array::Null(0)).dictionary_encoded(None);
        }
        let mut map: FxHashMap<Vec<ValueKey>, Vec<u32>> = FxHashMap::default();
        {
            let chunk = Chunk::from_batch(&batch);
            let arrays: Vec<Rc<Array<'_>>> = keys
                .iter()
                .map(|k| Ok(eval(k, &chunk, sq)?.into_array(k.data_type(), batch.rows)))
                .collect::<Result<_, ExecError>>()?;
            for row in 0..batch.rows {
                let key: Option<Vec<ValueKey>> = arrays.iter().map(|a| ValueKey::of(&a.value(row))).collect();
                if let Some(key) = key {
                    map.entry(key).or_default().push(row as u32);
                }
            }
        }
        Ok(JoinTable { batch, map })
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.batch.heap_bytes() + self.map.len() * 64
    }
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
}

/// A worker's cache of probe lookups for dictionary-encoded keys: dictionary → build-row list per id.
#[derive(Default)]
pub struct ProbeCache {
    by_dict: FxHashMap<(usize, usize), Vec<Option<Rc<[u32]>>>>,
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
        let mut emit = |i: usize, matches: Option<&[u32]>| match matches {
            Some(m) if !m.is_empty() => {
                for &b in m {
                    probe_rows.push(i as u32);
                    build_rows.push(Some(b));
                }
            }
            _ if left_outer => {
                probe_rows.push(i as u32);
                build_rows.push(None);
            }
            _ => {}
        };
        let single_dict = match datums.as_slice() {
            [Datum::Array(a)] => match a.as_ref() {
                Array::Text(TextArray::Dict { ids, dict, valid, .. }) => Some((ids, dict, valid)),
                _ => None,
            },
            _ => None,
        };
        if let Some((ids, dict, valid)) = single_dict {
            let entry = cache
                .by_dict
                .entry(dict.addr())
                .or_insert_with(|| vec![None; dict.len()]);
            let empty: Rc<[u32]> = Rc::from(Vec::new());
            for (i, &id) in ids.iter().enumerate() {
                if valid.as_ref().is_some_and(|v| !v[i]) {
                    emit(i, None);
                    continue;
                }
                let m = entry[id as usize]
                    .get_or_insert_with(|| {
                        let key = vec![ValueKey::Text(dict[id as usize].clone())];
                        self.table
                            .map
                            .get(&key)
                            .map_or(empty.clone(), |v| Rc::from(v.as_slice()))
                    })
                    .clone();
                emit(i, Some(&m));
            }
        } else {
            let arrays: Vec<Rc<Array<'a>>> = datums
                .into_iter()
                .zip(self.probe_keys)
                .map(|(d, k)| d.into_array(k.data_type(), n))
                .collect();
            for i in 0..n {
                let key: Option<Vec<ValueKey>> = arrays.iter().map(|a| ValueKey::of(&a.value(i))).collect();
                emit(i, key.as_ref().and_then(|k| self.table.map.get(k)).map(Vec::as_slice));
            }
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

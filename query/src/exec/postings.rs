//! Rows grouped by dictionary id (a CSR layout): the index a hash join builds on a dictionary-encoded
//! key, and the index of a cached roster column that turns `column = 'value'` into a lookup.

use rustc_hash::FxHashMap;

use super::array::{DictRef, Validity};

/// For each entry of a dictionary, the rows holding it.
pub struct Postings {
    dict: DictRef<'static>,
    /// Entry → id, for a dictionary that is not sorted (a sorted one is binary-searched).
    lookup: Option<FxHashMap<String, u32>>,
    offsets: Vec<u32>,
    rows: Vec<u32>,
}

impl Postings {
    /// Indexes rows `0..ids.len()` by their id in `dict`; NULL rows are left out.
    pub fn build(ids: &[u32], dict: DictRef<'static>, valid: &Validity) -> Postings {
        let ok = |i: usize| valid.as_ref().is_none_or(|v| v[i]);
        let mut offsets = vec![0u32; dict.len() + 1];
        for (i, &id) in ids.iter().enumerate() {
            if ok(i) {
                offsets[id as usize + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0u32; offsets.last().copied().unwrap_or(0) as usize];
        for (i, &id) in ids.iter().enumerate() {
            if ok(i) {
                let at = &mut next[id as usize];
                rows[*at as usize] = i as u32;
                *at += 1;
            }
        }
        let lookup = (!dict.sorted).then(|| dict.iter().enumerate().map(|(i, s)| (s.clone(), i as u32)).collect());
        Postings {
            dict,
            lookup,
            offsets,
            rows,
        }
    }

    /// The rows holding `value` (ascending).
    pub fn rows_for(&self, value: &str) -> &[u32] {
        let id = match &self.lookup {
            Some(m) => m.get(value).copied(),
            None => self
                .dict
                .binary_search_by(|d| d.as_str().cmp(value))
                .ok()
                .map(|i| i as u32),
        };
        match id {
            Some(id) => &self.rows[self.offsets[id as usize] as usize..self.offsets[id as usize + 1] as usize],
            None => &[],
        }
    }

    /// For each entry of `other`, the range of [`Postings::rows`] holding the same string (empty if
    /// none). Two sorted dictionaries are matched in one merge pass, with no lookup per entry.
    pub fn ranges_for(&self, other: &[String], other_sorted: bool) -> Vec<(u32, u32)> {
        let range = |id: usize| (self.offsets[id], self.offsets[id + 1]);
        if other_sorted && self.lookup.is_none() {
            let mut out = vec![(0, 0); other.len()];
            let (mut i, mut j) = (0, 0);
            while i < other.len() && j < self.dict.len() {
                match other[i].as_str().cmp(self.dict[j].as_str()) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        out[i] = range(j);
                        i += 1;
                        j += 1;
                    }
                }
            }
            return out;
        }
        other
            .iter()
            .map(|s| match &self.lookup {
                Some(m) => m.get(s.as_str()).map_or((0, 0), |&id| range(id as usize)),
                None => self.dict.binary_search_by(|d| d.as_str().cmp(s)).map_or((0, 0), range),
            })
            .collect()
    }

    /// The rows of a range from [`Postings::ranges_for`].
    pub fn rows(&self, (start, end): (u32, u32)) -> &[u32] {
        &self.rows[start as usize..end as usize]
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        (self.offsets.len() + self.rows.len()) * 4
    }
}

//! A map keyed by roster ids (people, classes) tuned for the per-row lookups of an import: ids that
//! are lower-case GUIDs are stored as 128-bit numbers inline in the table, so a lookup hashes two
//! words and compares them without following a pointer; other ids are kept as text.

use crate::fasthash::FastMap;
use crate::signal_key::{parse_guid, SignalKey};

/// Maps ids to values; lookups are exact on the id's text.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    guids: FastMap<GuidKey, V>,
    texts: FastMap<Box<str>, V>,
}

/// A GUID as two 64-bit halves: 8-byte aligned, so a table entry with a small value takes 24 bytes
/// instead of the 32 a 16-byte aligned `u128` needs, and more of the table stays in cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GuidKey(u64, u64);

impl From<u128> for GuidKey {
    #[inline]
    fn from(g: u128) -> GuidKey {
        GuidKey((g >> 64) as u64, g as u64)
    }
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            guids: FastMap::default(),
            texts: FastMap::default(),
        }
    }
}

impl<V> IdMap<V> {
    /// Sets the value of `id` (replacing an earlier one).
    pub fn insert(&mut self, id: &str, value: V) {
        match parse_guid(id) {
            Some(g) => self.guids.insert(g.into(), value),
            None => self.texts.insert(id.into(), value),
        };
    }

    /// The value of `id`, if any.
    #[inline]
    pub fn get(&self, id: &str) -> Option<&V> {
        self.get_key(SignalKey::of(id))
    }

    /// The value of the id whose key is `key` ([`SignalKey::of`] the id), if any. Lets a caller
    /// decode a batch of ids first and then probe for them back to back.
    #[inline]
    pub fn get_key(&self, key: SignalKey<'_>) -> Option<&V> {
        match key {
            SignalKey::Guid(g) => self.guids.get(&g.into()),
            SignalKey::Text(id) => self.texts.get(id),
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.guids.len() + self.texts.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, V> FromIterator<(&'a str, V)> for IdMap<V> {
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(iter: I) -> Self {
        let mut map = IdMap::default();
        for (id, v) in iter {
            map.insert(id, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_and_text_ids_are_exact() {
        let lower = "54cb71be-256e-4579-b899-b4224db14957";
        let upper = "54CB71BE-256E-4579-B899-B4224DB14957";
        let map: IdMap<u8> = [(lower, 1), ("office_id_sec4", 2)].into_iter().collect();
        assert_eq!(map.get(lower), Some(&1));
        assert_eq!(map.get(upper), None);
        assert_eq!(map.get("office_id_sec4"), Some(&2));
        assert_eq!(map.get("office_id_sec5"), None);
        assert_eq!(map.len(), 2);
    }
}

//! A direct-mapped cache of recently seen values and the ids a dictionary gave them, put in front of the
//! dictionary's hash table wherever a column is dictionary-encoded row by row (the segment writer, the
//! WAL codec). A low-cardinality column (signal types, apps, actions, classes, schools) finds nearly
//! every value here with one short compare, where the table would hash the whole value and probe.

/// A value that can be cached: cheap to copy and compare, with a slot picked from a few of its bytes.
pub(crate) trait CacheKey: Copy + Eq {
    /// The value an empty slot holds (never matched: empty slots have no id).
    const EMPTY: Self;
    /// The slot, below [`SLOTS`].
    fn slot(&self) -> usize;
}

/// Number of slots.
const SLOTS: usize = 256;

/// The cache: one `(value, id)` per slot; a new value evicts the one in its slot.
pub(crate) struct RecentValues<K: CacheKey> {
    slots: [(K, u32); SLOTS],
}

impl<K: CacheKey> Default for RecentValues<K> {
    fn default() -> Self {
        RecentValues {
            slots: [(K::EMPTY, u32::MAX); SLOTS],
        }
    }
}

impl<K: CacheKey> RecentValues<K> {
    /// The id of `value` if cached, else `miss()`'s, which is then cached.
    #[inline]
    pub(crate) fn get_or_insert(&mut self, value: K, miss: impl FnOnce() -> u32) -> u32 {
        let slot = &mut self.slots[value.slot()];
        if slot.1 != u32::MAX && slot.0 == value {
            return slot.1;
        }
        let id = miss();
        *slot = (value, id);
        id
    }
}

/// The top byte of a multiplicative hash of `word`.
#[inline]
fn top_byte(word: u64) -> usize {
    (word.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

impl CacheKey for &[u8] {
    const EMPTY: Self = &[];

    /// A slot from the length and the first and last (up to) 8 bytes: two fixed-size loads for values of
    /// 8 bytes or more (a variable-length copy would be a call to `memcpy` on every lookup).
    #[inline]
    fn slot(&self) -> usize {
        let n = self.len();
        let (head, tail) = match (self.first_chunk::<8>(), self.last_chunk::<8>()) {
            (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
            _ => {
                let mut w = [0u8; 8];
                for (d, s) in w.iter_mut().zip(self.iter()) {
                    *d = *s;
                }
                let w = u64::from_le_bytes(w);
                (w, w)
            }
        };
        top_byte(head ^ tail.rotate_left(29) ^ n as u64)
    }
}

impl CacheKey for u128 {
    const EMPTY: Self = 0;

    /// A slot from both halves (UUIDs: random bits in either).
    #[inline]
    fn slot(&self) -> usize {
        top_byte((*self >> 64) as u64 ^ (*self as u64).rotate_left(17))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_ids_come_back_and_evicted_values_ask_again() {
        let mut cache: RecentValues<&[u8]> = RecentValues::default();
        let mut misses = 0;
        let mut id_of = |cache: &mut RecentValues<&'static [u8]>, v: &'static [u8], id: u32| {
            cache.get_or_insert(v, || {
                misses += 1;
                id
            })
        };
        assert_eq!(id_of(&mut cache, b"Teams", 7), 7);
        assert_eq!(id_of(&mut cache, b"Teams", 99), 7, "a hit keeps the cached id");
        // The empty value is a value like any other, not an empty slot.
        assert_eq!(id_of(&mut cache, b"", 3), 3);
        assert_eq!(id_of(&mut cache, b"", 4), 3);
        assert_eq!(misses, 2);
        let mut ids: RecentValues<u128> = RecentValues::default();
        assert_eq!(ids.get_or_insert(0, || 5), 5);
        assert_eq!(ids.get_or_insert(0, || 6), 5);
        // Values sharing a slot evict each other, and each gets its own id back from `miss`.
        let a = 1u128;
        let b = (2..).find(|v: &u128| v.slot() == a.slot()).unwrap();
        assert_eq!(ids.get_or_insert(a, || 1), 1);
        assert_eq!(ids.get_or_insert(b, || 2), 2);
        assert_eq!(ids.get_or_insert(a, || 1), 1);
    }
}

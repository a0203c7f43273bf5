//! A fast, non-cryptographic hasher for the importer's in-process maps (roster lookups, SignalId
//! sets): the FxHash word mix of rustc, with MurmurHash3's finaliser so the low bits that pick a bucket
//! depend on every input byte. Not DoS-resistant; keys come from files the operator chose to import.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of FxHash (rustc's `FxHasher`).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
/// The multipliers of MurmurHash3's `fmix64`.
const FMIX_1: u64 = 0xff51_afd7_ed55_8ccd;
const FMIX_2: u64 = 0xc4ce_b9fe_1a85_ec53;

/// Word-at-a-time multiplicative hasher. Equal inputs give equal hashes within one process.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // MurmurHash3's 64-bit finaliser: every bit of the state reaches the low bits hashbrown
        // uses to pick a bucket (a bare multiply only carries bits upwards).
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(FMIX_1);
        h ^= h >> 33;
        h = h.wrapping_mul(FMIX_2);
        h ^ (h >> 33)
    }
}

/// `BuildHasher` for [`FastHasher`].
pub type FastBuild = BuildHasherDefault<FastHasher>;
/// A `HashMap` using [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, FastBuild>;
/// A `HashSet` using [`FastHasher`].
pub type FastSet<T> = HashSet<T, FastBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash + ?Sized>(t: &T) -> u64 {
        FastBuild::default().hash_one(t)
    }

    #[test]
    fn equal_keys_hash_equally_and_maps_work() {
        assert_eq!(hash("54cb71be-256e-4579"), hash(&"54cb71be-256e-4579".to_string()));
        assert_ne!(hash("a"), hash("b"));
        let mut m: FastMap<String, u32> = FastMap::default();
        m.insert("x".into(), 1);
        assert_eq!(m.get("x"), Some(&1));
    }

    #[test]
    fn sequential_keys_spread_over_low_bits() {
        // A weak finish would put consecutive ids in few buckets; check 1024 keys hit most of 1024 slots.
        let slots: FastSet<u64> = (0u128..1024).map(|i| hash(&(i << 64)) & 1023).collect();
        assert!(slots.len() > 600, "{}", slots.len());
        let slots: FastSet<u64> = (0..1024).map(|i| hash(&format!("class-{i}")) & 1023).collect();
        assert!(slots.len() > 600, "{}", slots.len());
    }
}

//! A small, dependency-free PRNG (xoshiro256** seeded by SplitMix64) so generated data never changes
//! with a dependency bump.

/// One step of SplitMix64: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several 64-bit keys into one well-distributed value (stable across versions and platforms).
pub fn hash_keys(keys: &[u64]) -> u64 {
    let mut state = 0x005E_ED0F_D15C_u64;
    let mut out = 0;
    for &k in keys {
        state ^= k;
        out = splitmix64(&mut state);
        state = out;
    }
    out
}

/// xoshiro256** (Blackman & Vigna): fast, 256-bit state, good statistical quality.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// An independent stream derived from `seed` and a list of keys (e.g. class and day).
    pub fn derive(seed: u64, keys: &[u64]) -> Rng {
        let mut all = Vec::with_capacity(keys.len() + 1);
        all.push(seed);
        all.extend_from_slice(keys);
        Rng::new(hash_keys(&all))
    }

    /// Next 64 uniformly random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// 128 random bits, e.g. for a GUID.
    #[inline]
    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; `n == 0` yields 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform float in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal variate (Box–Muller; one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson variate with the given mean (Knuth for small means, rounded normal otherwise).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u32;
        }
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut count = 0;
        while product > limit {
            count += 1;
            product *= self.unit();
        }
        count
    }

    /// Index drawn from a cumulative weight table (`cumulative` ascending, last entry = total).
    #[inline]
    pub fn pick_cumulative(&mut self, cumulative: &[u32]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0);
        let x = self.below(u64::from(total)) as u32;
        cumulative.partition_point(|&c| c <= x)
    }
}

/// Turns weights into the cumulative table [`Rng::pick_cumulative`] expects.
pub fn cumulative(weights: &[u32]) -> Vec<u32> {
    weights
        .iter()
        .scan(0u32, |acc, &w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::new(7);
        assert!(a.iter().all(|&x| x == r.next_u64()));
        let mut other = Rng::new(8);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn below_and_pick_stay_in_range_and_follow_weights() {
        let mut r = Rng::new(1);
        let table = cumulative(&[1, 0, 3]);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            assert!(r.below(10) < 10);
            counts[r.pick_cumulative(&table)] += 1;
        }
        assert_eq!(counts[1], 0);
        let ratio = f64::from(counts[2]) / f64::from(counts[0]);
        assert!((2.7..3.3).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut r = Rng::new(3);
        for mean in [0.5, 4.0, 50.0] {
            let n = 20_000;
            let total: u64 = (0..n).map(|_| u64::from(r.poisson(mean))).sum();
            let got = total as f64 / f64::from(n);
            assert!((got - mean).abs() < mean * 0.05 + 0.02, "mean {mean} got {got}");
        }
    }
}

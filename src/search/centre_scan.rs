//! The centre scan of [`super::clusters::ClusterIndex`]: every ball centre compared with one
//! query, keeping the balls that may hold a hit. The image-upload search spends most of its
//! time here (tens of thousands of centres for each of about 40 query hashes per photo).
//!
//! Two paths give the same output: a scalar one (two of the four words first; most balls
//! are ruled out by them alone), and one that compares eight centres at once with AVX-512
//! (`VPOPCNTQ`, the per-lane bit count of AVX512-VPOPCNTDQ) over the centres stored word by
//! word, taken when the processor has it. The tests check the two against each other.

use crate::hash::Hash256;

/// Ball centres stored word by word (`words[k][c]` is word `k` of centre `c`), with each ball's
/// radius, bits.
#[derive(Debug, Clone, Default)]
pub(crate) struct CentreScan {
    words: [Vec<u64>; 4],
    radii: Vec<u32>,
}

impl CentreScan {
    /// The centres and their balls' radii (same length).
    pub(crate) fn new(centres: &[Hash256], radii: &[u32]) -> Self {
        assert_eq!(centres.len(), radii.len(), "one radius per centre");
        let words = [0, 1, 2, 3].map(|k| centres.iter().map(|c| c.0[k]).collect());
        CentreScan {
            words,
            radii: radii.to_vec(),
        }
    }

    /// Appends to `out`, in increasing order of `c`, each ball `c` whose centre is within
    /// `radius` + its own radius of `query`, with that distance (bits).
    pub(crate) fn near(&self, query: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
        {
            // SAFETY: the features the function is compiled for were just detected.
            unsafe { self.near_avx512(query, radius, out) };
            return;
        }
        self.near_scalar(query, radius, 0, out);
    }

    /// Number of centres.
    pub(crate) fn len(&self) -> usize {
        self.radii.len()
    }

    /// Bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.words.iter().map(|w| w.capacity() * 8).sum::<usize>() + self.radii.capacity() * 4
    }

    /// The scalar scan of centres `from..`.
    fn near_scalar(&self, query: &Hash256, radius: u32, from: usize, out: &mut Vec<(u32, u32)>) {
        let q = &query.0;
        let [w0, w1, w2, w3] = &self.words;
        for c in from..self.radii.len() {
            let reach = radius + self.radii[c];
            let half = (q[0] ^ w0[c]).count_ones() + (q[1] ^ w1[c]).count_ones();
            if half > reach {
                continue;
            }
            let d = half + (q[2] ^ w2[c]).count_ones() + (q[3] ^ w3[c]).count_ones();
            if d <= reach {
                out.push((c as u32, d));
            }
        }
    }

    /// Eight centres per step with AVX-512; the last `len % 8` by [`Self::near_scalar`].
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    unsafe fn near_avx512(&self, query: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        use std::arch::x86_64::*;
        let n = self.radii.len();
        let whole = n - n % 8;
        let q = query.0.map(|w| _mm512_set1_epi64(w as i64));
        let radius_lanes = _mm512_set1_epi64(i64::from(radius));
        let mut c = 0;
        while c < whole {
            let mut d = _mm512_setzero_si512();
            for (k, qk) in q.iter().enumerate() {
                // SAFETY: c + 8 <= whole <= n = words[k].len().
                let w = unsafe { _mm512_loadu_si512(self.words[k].as_ptr().add(c).cast()) };
                d = _mm512_add_epi64(d, _mm512_popcnt_epi64(_mm512_xor_si512(w, *qk)));
            }
            // SAFETY: c + 8 <= n = radii.len().
            let radii = unsafe { _mm256_loadu_si256(self.radii.as_ptr().add(c).cast()) };
            let reach = _mm512_add_epi64(radius_lanes, _mm512_cvtepu32_epi64(radii));
            let mut near = _mm512_cmple_epu64_mask(d, reach);
            if near != 0 {
                let mut lanes = [0u64; 8];
                // SAFETY: 8 u64 lanes into an 8-element array.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), d) };
                while near != 0 {
                    let lane = near.trailing_zeros() as usize;
                    out.push(((c + lane) as u32, lanes[lane] as u32));
                    near &= near - 1;
                }
            }
            c += 8;
        }
        self.near_scalar(query, radius, whole, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The twin check: the dispatched scan (AVX-512 where the processor has it) gives the
    /// scalar scan's output, for centre counts that are and are not multiples of eight, queries
    /// near and far from the centres, and radii from 0 to 256.
    #[test]
    fn fast_scan_equals_the_scalar_scan() {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for n in [0usize, 1, 7, 8, 9, 63, 64, 1001] {
            let centres: Vec<Hash256> = (0..n)
                .map(|_| Hash256([0; 4].map(|_: u64| xorshift(&mut state))))
                .collect();
            let radii: Vec<u32> = (0..n).map(|_| (xorshift(&mut state) % 49) as u32).collect();
            let scan = CentreScan::new(&centres, &radii);
            let mut queries: Vec<Hash256> = centres.iter().take(5).copied().collect();
            queries.extend((0..5).map(|_| Hash256([0; 4].map(|_: u64| xorshift(&mut state)))));
            for q in &queries {
                for radius in [0, 8, 32, 56, 80, 100, 128, 256] {
                    let (mut fast, mut slow) = (Vec::new(), Vec::new());
                    scan.near(q, radius, &mut fast);
                    scan.near_scalar(q, radius, 0, &mut slow);
                    assert_eq!(fast, slow, "n {n} radius {radius}");
                }
            }
        }
    }

    #[test]
    fn a_centre_is_near_itself_at_radius_zero() {
        let centres = [Hash256([1, 2, 3, 4]), Hash256([!0, 0, !0, 0])];
        let scan = CentreScan::new(&centres, &[0, 0]);
        let mut out = Vec::new();
        scan.near(&centres[1], 0, &mut out);
        assert_eq!(out, vec![(1, 0)]);
    }
}

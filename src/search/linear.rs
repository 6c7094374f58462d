//! Brute-force linear scan: the oracle. Compares the query with every hash (XOR + popcount).
//!
//! [`LinearIndex::search`] and [`LinearIndex::search_range`] are the plain loop over
//! [`Hash256::distance`]; the blocked many-query scan ([`scan_many`], behind `search_many`)
//! rejects a hash as soon as its first 128 bits differ in more than `radius` bits and, on
//! x86-64 CPUs that have it, counts bits with the `popcnt` instruction (chosen at run time).
//! Tests check it hit for hit against the plain loop.

use super::{HammingIndex, Hit};
use crate::hash::Hash256;
use rayon::prelude::*;
use std::ops::Range;

/// Hashes per block of the blocked scan (128 KiB: stays in L2 while every query passes over it).
const BLOCK: usize = 4096;
/// Queries per parallel task of [`HammingIndex::search_many`].
const QUERIES_PER_TASK: usize = 16;

/// A flat array of hashes scanned in full for every query.
#[derive(Debug, Clone, Default)]
pub struct LinearIndex {
    hashes: Vec<Hash256>,
}

impl LinearIndex {
    /// Indexes `hashes` (ids are positions).
    pub fn new(hashes: Vec<Hash256>) -> Self {
        LinearIndex { hashes }
    }

    /// The indexed hashes, in id order.
    pub fn hashes(&self) -> &[Hash256] {
        &self.hashes
    }

    /// Gives the hashes back (e.g. to build another index over them without a copy).
    pub fn into_hashes(self) -> Vec<Hash256> {
        self.hashes
    }
}

/// Blocked scan of `hashes` (ids are positions): each cached block serves a group of queries,
/// the groups run in parallel (rayon). `out[i]` receives the hits of `queries[i]`, in id order.
pub(crate) fn scan_many(
    hashes: &[Hash256],
    queries: &[Hash256],
    radius: u32,
    out: &mut [Vec<Hit>],
) {
    assert!(out.len() >= queries.len(), "one output per query");
    queries
        .par_chunks(QUERIES_PER_TASK)
        .zip(out.par_chunks_mut(QUERIES_PER_TASK))
        .for_each(|(queries, out)| {
            for (block_index, block) in hashes.chunks(BLOCK).enumerate() {
                let base = block_index * BLOCK;
                for (q, hits) in queries.iter().zip(out.iter_mut()) {
                    scan_block_dispatch(q, block, base, radius, hits);
                }
            }
        });
}

/// [`scan_block`] with the fastest bit count this CPU has.
fn scan_block_dispatch(
    query: &Hash256,
    block: &[Hash256],
    base: usize,
    radius: u32,
    hits: &mut Vec<Hit>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
        {
            // SAFETY: the CPU has AVX-512F and VPOPCNTDQ (checked just above).
            unsafe { avx512::scan_block(query, block, base, radius, hits) };
            return;
        }
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the `popcnt` instruction (checked just above).
            unsafe { scan_block_popcnt(query, block, base, radius, hits) };
            return;
        }
    }
    scan_block(query, block, base, radius, hits);
}

/// The scan with AVX-512: two hashes per 512-bit register, XOR with the query, `vpopcntq` per
/// 64-bit word, the four words of each hash summed by two shuffles, compared with `radius`.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Hash256, Hit};
    use std::arch::x86_64::*;

    /// As [`super::scan_block`] (same hits, same order).
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    pub(super) fn scan_block(
        query: &Hash256,
        block: &[Hash256],
        base: usize,
        radius: u32,
        hits: &mut Vec<Hit>,
    ) {
        let q = query.0.map(|w| w as i64);
        let qq = _mm512_set_epi64(q[3], q[2], q[1], q[0], q[3], q[2], q[1], q[0]);
        let limit = _mm512_set1_epi64(radius as i64);
        let pairs = block.chunks_exact(2);
        let rest = pairs.remainder();
        for (p, pair) in pairs.enumerate() {
            // SAFETY: `pair` is two consecutive `Hash256` (`[u64; 4]`, 64 bytes in all);
            // the load is unaligned.
            let r = unsafe { _mm512_loadu_si512(pair.as_ptr().cast()) };
            let counts = _mm512_popcnt_epi64(_mm512_xor_si512(qq, r));
            // Words (0 1 2 3 | 4 5 6 7): add neighbours, then neighbouring 128-bit lanes, so
            // every word of a half holds its hash's distance.
            let s = _mm512_add_epi64(counts, _mm512_shuffle_epi32::<0x4E>(counts));
            let s = _mm512_add_epi64(s, _mm512_shuffle_i64x2::<0xB1>(s, s));
            let within = _mm512_cmple_epu64_mask(s, limit);
            if within != 0 {
                let mut d = [0u64; 8];
                // SAFETY: `d` is 64 bytes; the store is unaligned.
                unsafe { _mm512_storeu_si512(d.as_mut_ptr().cast(), s) };
                for (k, lane) in [(0usize, 0usize), (1, 4)] {
                    if within & (1 << lane) != 0 {
                        hits.push(Hit {
                            id: (base + 2 * p + k) as u32,
                            distance: d[lane] as u32,
                        });
                    }
                }
            }
        }
        let done = block.len() - rest.len();
        super::scan_block(query, rest, base + done, radius, hits);
    }
}

/// [`scan_block`] compiled with the `popcnt` instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn scan_block_popcnt(
    query: &Hash256,
    block: &[Hash256],
    base: usize,
    radius: u32,
    hits: &mut Vec<Hit>,
) {
    scan_block(query, block, base, radius, hits);
}

/// Appends to `hits` every hash of `block` within `radius` bits of `query` (ids from `base`),
/// in order. A hash whose first two words already differ in more than `radius` bits is
/// rejected without counting the other two (most hashes at PDQ radii: random 128-bit halves
/// differ in 64 ± 6 bits).
#[inline(always)]
fn scan_block(query: &Hash256, block: &[Hash256], base: usize, radius: u32, hits: &mut Vec<Hit>) {
    let q = &query.0;
    for (i, h) in block.iter().enumerate() {
        let h = &h.0;
        let half = (q[0] ^ h[0]).count_ones() + (q[1] ^ h[1]).count_ones();
        if half > radius {
            continue;
        }
        let d = half + (q[2] ^ h[2]).count_ones() + (q[3] ^ h[3]).count_ones();
        if d <= radius {
            hits.push(Hit {
                id: (base + i) as u32,
                distance: d,
            });
        }
    }
}

impl HammingIndex for LinearIndex {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn search(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        for (i, h) in self.hashes.iter().enumerate() {
            let d = query.distance(h);
            if d <= radius {
                out.push(Hit {
                    id: i as u32,
                    distance: d,
                });
            }
        }
    }

    /// Blocked (many queries share one pass over memory), parallel over groups of queries.
    fn search_many(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        scan_many(&self.hashes, queries, radius, out);
    }

    fn search_range(&self, query: &Hash256, radius: u32, ids: Range<u32>, out: &mut Vec<Hit>) {
        let end = (ids.end as usize).min(self.hashes.len());
        let start = (ids.start as usize).min(end);
        for (i, h) in self.hashes[start..end].iter().enumerate() {
            let d = query.distance(h);
            if d <= radius {
                out.push(Hit {
                    id: (start + i) as u32,
                    distance: d,
                });
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        self.hashes.len() * std::mem::size_of::<Hash256>()
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

    /// Every kernel the CPU can run gives the plain loop's hits (ids, distances, order) on
    /// blocks of odd and even length holding near and far hashes, at radii 0–256.
    #[test]
    fn kernels_equal_the_plain_loop() {
        let mut state = 0x9e3779b97f4a7c15u64;
        let query = Hash256([0; 4].map(|_: u64| xorshift(&mut state)));
        let block: Vec<Hash256> = (0..1001)
            .map(|i| {
                let mut h = query;
                // Flip i % 97 random bits: distances from 0 up, and random far hashes.
                for _ in 0..i % 97 {
                    let b = xorshift(&mut state) % 256;
                    h.0[(b / 64) as usize] ^= 1 << (b % 64);
                }
                if i % 5 == 0 {
                    h = Hash256([0; 4].map(|_: u64| xorshift(&mut state)));
                }
                h
            })
            .collect();
        for radius in [0, 1, 8, 31, 52, 56, 64, 100, 128, 200, 256] {
            for len in [0, 1, 2, 7, 1000, 1001] {
                let part = &block[..len];
                let plain: Vec<Hit> = part
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| {
                        let d = query.distance(h);
                        (d <= radius).then_some(Hit {
                            id: (7 + i) as u32,
                            distance: d,
                        })
                    })
                    .collect();
                let mut got = Vec::new();
                scan_block(&query, part, 7, radius, &mut got);
                assert_eq!(got, plain, "portable, radius {radius}, len {len}");
                got.clear();
                scan_block_dispatch(&query, part, 7, radius, &mut got);
                assert_eq!(got, plain, "dispatched, radius {radius}, len {len}");
                #[cfg(target_arch = "x86_64")]
                {
                    if std::arch::is_x86_feature_detected!("popcnt") {
                        got.clear();
                        // SAFETY: the CPU has popcnt (checked).
                        unsafe { scan_block_popcnt(&query, part, 7, radius, &mut got) };
                        assert_eq!(got, plain, "popcnt, radius {radius}, len {len}");
                    }
                    if std::arch::is_x86_feature_detected!("avx512f")
                        && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
                    {
                        got.clear();
                        // SAFETY: the CPU has AVX-512F and VPOPCNTDQ (checked).
                        unsafe { avx512::scan_block(&query, part, 7, radius, &mut got) };
                        assert_eq!(got, plain, "avx512, radius {radius}, len {len}");
                    }
                }
            }
        }
    }
}

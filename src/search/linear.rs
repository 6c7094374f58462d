//! Brute-force linear scan: the oracle. Compares the query with every hash (XOR + popcount).
//!
//! [`LinearIndex::search`] and [`LinearIndex::search_range`] are the plain loop over
//! [`Hash256::distance`]; the blocked many-query scan (`scan_many`, behind `search_many`)
//! rejects a hash as soon as its first 128 bits differ in more than `radius` bits and, on
//! x86-64 CPUs that have it, counts bits with the `popcnt` instruction, or with AVX-512
//! VPOPCNTQ over eight hashes at a time from a word-by-word copy of each block (chosen at run
//! time). Tests check every kernel hit for hit against the plain loop.

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
    columns: ColumnCache,
}

impl LinearIndex {
    /// Indexes `hashes` (ids are positions).
    pub fn new(hashes: Vec<Hash256>) -> Self {
        LinearIndex {
            hashes,
            columns: ColumnCache::default(),
        }
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

/// The blocks of a hash array laid out word by word ([`Columns`]) for the AVX-512 kernel, built
/// on the first many-query scan that needs them and kept (as much memory again as the hashes;
/// none on CPUs without AVX-512, or when no such scan runs).
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnCache(std::sync::OnceLock<Vec<Columns>>);

impl ColumnCache {
    /// The layout of `hashes`, which must be the same hashes on every call.
    fn get(&self, hashes: &[Hash256]) -> &[Columns] {
        self.0.get_or_init(|| {
            hashes
                .chunks(BLOCK)
                .map(|block| {
                    let mut columns = Columns::default();
                    columns.fill(block);
                    columns
                })
                .collect()
        })
    }
}

/// Blocked scan of `hashes` (ids are positions): each cached block serves a group of queries,
/// the groups run in parallel (rayon). `out[i]` receives the hits of `queries[i]`, in id order.
/// With AVX-512 the wide kernel reads the blocks from `columns`, the word-by-word layout of
/// `hashes` (made on first use and kept).
pub(crate) fn scan_many(
    hashes: &[Hash256],
    columns: &ColumnCache,
    queries: &[Hash256],
    radius: u32,
    out: &mut [Vec<Hit>],
) {
    assert!(out.len() >= queries.len(), "one output per query");
    let layout: &[Columns] = if avx512_available() && !queries.is_empty() {
        columns.get(hashes)
    } else {
        &[]
    };
    queries
        .par_chunks(QUERIES_PER_TASK)
        .zip(out.par_chunks_mut(QUERIES_PER_TASK))
        .for_each(|(queries, out)| {
            for (block_index, block) in hashes.chunks(BLOCK).enumerate() {
                let base = block_index * BLOCK;
                #[cfg(target_arch = "x86_64")]
                if let Some(columns) = layout.get(block_index) {
                    // SAFETY: `layout` is empty unless the CPU has AVX-512F and VPOPCNTDQ
                    // (`avx512_available`).
                    unsafe { avx512::scan_columns_many(queries, columns, base, radius, out) };
                    continue;
                }
                for (q, hits) in queries.iter().zip(out.iter_mut()) {
                    scan_block_dispatch(q, block, base, radius, hits);
                }
            }
        });
}

/// True when this CPU has AVX-512F with VPOPCNTDQ (checked at run time).
fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A block of hashes stored word by word: `words[k][i]` is word `k` of hash `i`, so that one
/// 512-bit load holds the same word of eight hashes.
#[derive(Debug, Clone, Default)]
struct Columns {
    words: [Vec<u64>; 4],
}

impl Columns {
    /// Lays out `block`, replacing what was there.
    fn fill(&mut self, block: &[Hash256]) {
        for (k, column) in self.words.iter_mut().enumerate() {
            column.clear();
            column.extend(block.iter().map(|h| h.0[k]));
        }
    }
}

/// [`scan_block`] with the fastest bit count this CPU has short of AVX-512.
pub(crate) fn scan_block_dispatch(
    query: &Hash256,
    block: &[Hash256],
    base: usize,
    radius: u32,
    hits: &mut Vec<Hit>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the `popcnt` instruction (checked just above).
            unsafe { scan_block_popcnt(query, block, base, radius, hits) };
            return;
        }
    }
    scan_block(query, block, base, radius, hits);
}

/// The scan with AVX-512 over [`Columns`]: eight hashes per step, each of the four words XORed
/// with the query's, counted with `vpopcntq` and summed lane by lane, compared with `radius`.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Columns, Hash256, Hit};
    use std::arch::x86_64::*;

    /// As [`super::scan_block`] for each of `queries` over the block laid out in `columns`
    /// (same hits, same order): `hits[i]` receives the hits of `queries[i]`. Queries go four
    /// at a time, so that each load of eight hashes' words serves four queries.
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    pub(super) fn scan_columns_many(
        queries: &[Hash256],
        columns: &Columns,
        base: usize,
        radius: u32,
        hits: &mut [Vec<Hit>],
    ) {
        let mut groups = queries.chunks_exact(4).zip(hits.chunks_exact_mut(4));
        for (q, h) in &mut groups {
            let q: &[Hash256; 4] = q.try_into().expect("chunks of 4");
            scan_columns_n::<4>(q, columns, base, radius, h);
        }
        let done = queries.len() / 4 * 4;
        for (q, h) in queries[done..].iter().zip(&mut hits[done..]) {
            scan_columns_n::<1>(&[*q], columns, base, radius, std::slice::from_mut(h));
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    fn scan_columns_n<const N: usize>(
        queries: &[Hash256; N],
        columns: &Columns,
        base: usize,
        radius: u32,
        hits: &mut [Vec<Hit>],
    ) {
        let n = columns.words[0].len();
        let q: [[__m512i; 4]; N] = queries.map(|q| q.0.map(|w| _mm512_set1_epi64(w as i64)));
        let limit = _mm512_set1_epi64(radius as i64);
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: `i + 8 <= n` = every column's length; the loads are unaligned.
            let r: [__m512i; 4] = std::array::from_fn(|k| unsafe {
                _mm512_loadu_si512(columns.words[k][i..i + 8].as_ptr().cast())
            });
            for (qq, out) in q.iter().zip(hits.iter_mut()) {
                let mut sum = _mm512_popcnt_epi64(_mm512_xor_si512(qq[0], r[0]));
                for k in 1..4 {
                    sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(_mm512_xor_si512(qq[k], r[k])));
                }
                let within = _mm512_cmple_epu64_mask(sum, limit);
                if within != 0 {
                    let mut d = [0u64; 8];
                    // SAFETY: `d` is 64 bytes; the store is unaligned.
                    unsafe { _mm512_storeu_si512(d.as_mut_ptr().cast(), sum) };
                    for (lane, &distance) in d.iter().enumerate() {
                        if within & (1 << lane) != 0 {
                            out.push(Hit {
                                id: (base + i + lane) as u32,
                                distance: distance as u32,
                            });
                        }
                    }
                }
            }
            i += 8;
        }
        for (query, out) in queries.iter().zip(hits.iter_mut()) {
            for j in i..n {
                let d: u32 = (0..4)
                    .map(|k| (query.0[k] ^ columns.words[k][j]).count_ones())
                    .sum();
                if d <= radius {
                    out.push(Hit {
                        id: (base + j) as u32,
                        distance: d,
                    });
                }
            }
        }
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
        scan_many(&self.hashes, &self.columns, queries, radius, out);
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
                    if avx512_available() {
                        got.clear();
                        let mut columns = Columns::default();
                        columns.fill(part);
                        // SAFETY: the CPU has AVX-512F and VPOPCNTDQ (checked).
                        unsafe {
                            avx512::scan_columns_many(
                                &[query],
                                &columns,
                                7,
                                radius,
                                std::slice::from_mut(&mut got),
                            )
                        };
                        assert_eq!(got, plain, "avx512, radius {radius}, len {len}");
                        // Several queries at once (groups of 4 and the rest), each as alone.
                        let queries = [query, block[3], query, block[10], block[20], query];
                        let mut many = vec![Vec::new(); queries.len()];
                        // SAFETY: as above.
                        unsafe {
                            avx512::scan_columns_many(&queries, &columns, 7, radius, &mut many)
                        };
                        for (q, hits) in queries.iter().zip(&many) {
                            let mut alone = Vec::new();
                            scan_block(q, part, 7, radius, &mut alone);
                            assert_eq!(hits, &alone, "avx512 x{}, radius {radius}", queries.len());
                        }
                    }
                }
            }
        }
    }
}

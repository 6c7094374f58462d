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
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the `popcnt` instruction (checked just above).
        unsafe { scan_block_popcnt(query, block, base, radius, hits) };
        return;
    }
    scan_block(query, block, base, radius, hits);
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

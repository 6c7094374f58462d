//! Brute-force linear scan: the oracle. Compares the query with every hash (XOR + popcount).

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
                    for (i, h) in block.iter().enumerate() {
                        let d = q.distance(h);
                        if d <= radius {
                            hits.push(Hit {
                                id: (base + i) as u32,
                                distance: d,
                            });
                        }
                    }
                }
            }
        });
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

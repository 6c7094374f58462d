//! Brute-force linear scan: the oracle. Compares the query with every hash (XOR + popcount).

use super::{HammingIndex, Hit};
use crate::hash::Hash256;

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

    /// Searches many queries in one pass over memory (blocked: each cached block of the index
    /// serves every query). `out[i]` receives the hits of `queries[i]`, in id order.
    pub fn search_many(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        const BLOCK: usize = 4096;
        for (block_index, block) in self.hashes.chunks(BLOCK).enumerate() {
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

    fn memory_bytes(&self) -> usize {
        self.hashes.len() * std::mem::size_of::<Hash256>()
    }
}

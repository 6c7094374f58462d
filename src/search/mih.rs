//! Multi-index hashing (Norouzi, Punjani, Fleet, CVPR 2012).
//!
//! A 256-bit hash is split into [`SUBSTRINGS`] substrings of 16 bits. By the pigeonhole
//! principle, a hash within radius `r` of the query agrees with it within `floor(r / 16)` bits
//! on at least one substring. Each substring has a table (bucket per 16-bit value, stored as
//! one sorted id array plus offsets); a query probes every value within that small radius in
//! every table, then checks the full distance of each candidate once. Results are exact.

use super::{HammingIndex, Hit};
use crate::hash::Hash256;

/// Substrings per hash (16 x 16 bits, the published choice for PDQ).
pub const SUBSTRINGS: usize = 16;
const BUCKETS: usize = 1 << 16;

/// The multi-index hash tables and the hashes themselves.
pub struct MihIndex {
    hashes: Vec<Hash256>,
    /// `offsets[t * (BUCKETS + 1) + v]..offsets[t * (BUCKETS + 1) + v + 1]` are the positions in
    /// `ids[t]` of the hashes whose substring `t` equals `v`.
    offsets: Vec<u32>,
    ids: Vec<Vec<u32>>,
}

#[inline]
fn substring(h: &Hash256, t: usize) -> usize {
    ((h.0[t / 4] >> ((t % 4) * 16)) & 0xffff) as usize
}

impl MihIndex {
    /// Builds the tables over `hashes` (ids are positions). Counting sort: O(n) per table.
    pub fn new(hashes: Vec<Hash256>) -> Self {
        let n = hashes.len();
        let mut offsets = vec![0u32; SUBSTRINGS * (BUCKETS + 1)];
        let mut ids = Vec::with_capacity(SUBSTRINGS);
        for t in 0..SUBSTRINGS {
            let off = &mut offsets[t * (BUCKETS + 1)..(t + 1) * (BUCKETS + 1)];
            for h in &hashes {
                off[substring(h, t) + 1] += 1;
            }
            for v in 0..BUCKETS {
                off[v + 1] += off[v];
            }
            let mut fill: Vec<u32> = off[..BUCKETS].to_vec();
            let mut table = vec![0u32; n];
            for (i, h) in hashes.iter().enumerate() {
                let v = substring(h, t);
                table[fill[v] as usize] = i as u32;
                fill[v] += 1;
            }
            ids.push(table);
        }
        MihIndex {
            hashes,
            offsets,
            ids,
        }
    }

    fn bucket(&self, t: usize, v: usize) -> &[u32] {
        let base = t * (BUCKETS + 1);
        let (a, b) = (
            self.offsets[base + v] as usize,
            self.offsets[base + v + 1] as usize,
        );
        &self.ids[t][a..b]
    }
}

/// Calls `f` with every 16-bit value within `radius` bits of `v`.
fn for_each_neighbour(v: u16, radius: u32, f: &mut impl FnMut(u16)) {
    fn rec(v: u16, start: u32, left: u32, f: &mut impl FnMut(u16)) {
        f(v);
        if left == 0 {
            return;
        }
        for bit in start..16 {
            rec(v ^ (1 << bit), bit + 1, left - 1, f);
        }
    }
    rec(v, 0, radius.min(16), f);
}

impl HammingIndex for MihIndex {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn search(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        let sub_radius = radius / SUBSTRINGS as u32;
        let mut candidates: Vec<u32> = Vec::new();
        for t in 0..SUBSTRINGS {
            let v = substring(query, t) as u16;
            for_each_neighbour(v, sub_radius, &mut |n| {
                candidates.extend_from_slice(self.bucket(t, n as usize));
            });
        }
        candidates.sort_unstable();
        candidates.dedup();
        for id in candidates {
            let d = query.distance(&self.hashes[id as usize]);
            if d <= radius {
                out.push(Hit { id, distance: d });
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        self.hashes.len() * std::mem::size_of::<Hash256>()
            + self.offsets.len() * 4
            + self.ids.iter().map(|t| t.len() * 4).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::linear::LinearIndex;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn mih_equals_linear_scan() {
        let mut s = 0x9e3779b97f4a7c15u64;
        let hashes: Vec<Hash256> = (0..3000)
            .map(|_| {
                Hash256([
                    xorshift(&mut s),
                    xorshift(&mut s),
                    xorshift(&mut s),
                    xorshift(&mut s),
                ])
            })
            .collect();
        let mih = MihIndex::new(hashes.clone());
        let lin = LinearIndex::new(hashes.clone());
        for (qi, radius) in [(0usize, 0u32), (5, 8), (17, 31), (99, 40), (1234, 70)] {
            let mut q = hashes[qi];
            for k in 0..radius.min(60) / 2 {
                let bit = (xorshift(&mut s) % 256) as usize;
                q.0[bit / 64] ^= 1 << (bit % 64);
                let _ = k;
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mih.search(&q, radius, &mut a);
            lin.search(&q, radius, &mut b);
            assert_eq!(a, b, "radius {radius}");
            assert!(!b.is_empty());
        }
    }
}

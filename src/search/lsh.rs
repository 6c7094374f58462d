//! Approximate radius search over binary descriptors by bit-sampling locality-sensitive hashing
//! (Indyk & Motwani, "Approximate nearest neighbors: towards removing the curse of
//! dimensionality", STOC 1998; Gionis, Indyk & Motwani, VLDB 1999), for keypoint descriptors
//! ([`crate::hash::keypoints`]), where multi-index hashing does not help: at 48 bits of 256
//! every substring may differ in several bits.
//!
//! Each of [`TABLES`] tables keys every descriptor by [`KEY_BITS`] fixed, randomly chosen bit
//! positions; a query's candidates are the descriptors that share its key in at least one
//! table, and the candidates within the radius are returned with their exact distances. Two
//! descriptors `d` bits apart share a table's key with probability `(1 - d/256)^KEY_BITS`, so
//! near pairs are found in most cases and far ones (random descriptors differ in about 128
//! bits) almost never are: the search costs a few table lookups per query instead of a pass
//! over every descriptor. It may miss a pair the exhaustive scan finds (never the reverse);
//! [`crate::search::local`] needs only a share of an upload's true pairs.

use super::{prefetch, Hit};
use crate::hash::keypoints::splitmix64;
use crate::hash::Hash256;
use rayon::prelude::*;

/// Tables, each with its own bit positions.
pub const TABLES: usize = 16;

/// Queries per parallel task of [`LshIndex::search_many`], searched in stages together.
pub const GROUP: usize = 64;

/// Bit positions per table key. A pair 24 bits apart shares one table's key with probability
/// 0.14 and at least one of [`TABLES`] with 0.91; 40 bits apart, 0.034 and 0.42; random
/// descriptors, 2^-20 per table. On the dev photos the placements found keep 77–100 % of the
/// inliers of an exhaustive search (median 98 %).
pub const KEY_BITS: usize = 20;

/// One table: descriptor ids sorted by their key.
#[derive(Debug, Clone, Default)]
struct Table {
    /// The bit positions (0–255) forming the key, most significant first.
    bits: Vec<u8>,
    /// `(key, id)` of every descriptor, sorted.
    entries: Vec<(u32, u32)>,
    /// Bits of the key that address [`Table::offsets`] (its top bits).
    prefix_bits: u32,
    /// `offsets[p]..offsets[p + 1]`: the entries whose key starts with prefix `p` (one
    /// lookup instead of a binary search that misses the cache at every step).
    offsets: Vec<u32>,
}

impl Table {
    fn key(&self, h: &Hash256) -> u32 {
        self.bits.iter().fold(0u32, |key, &b| {
            (key << 1) | ((h.0[(b / 64) as usize] >> (b % 64)) & 1) as u32
        })
    }

    /// Sorts the entries and builds the prefix directory: about one prefix per entry.
    fn finish(&mut self) {
        self.entries.sort_unstable();
        let n = self.entries.len().max(1);
        self.prefix_bits = (usize::BITS - (n - 1).leading_zeros()).clamp(4, KEY_BITS as u32);
        let shift = KEY_BITS as u32 - self.prefix_bits;
        let mut offsets = vec![0u32; (1usize << self.prefix_bits) + 1];
        for e in &self.entries {
            offsets[(e.0 >> shift) as usize + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        self.offsets = offsets;
    }

    /// The ids whose key equals `key`.
    fn bucket(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let p = (key >> (KEY_BITS as u32 - self.prefix_bits)) as usize;
        let range = self.offsets[p] as usize..self.offsets[p + 1] as usize;
        self.entries[range]
            .iter()
            .filter(move |e| e.0 == key)
            .map(|e| e.1)
    }
}

/// Bit-sampling LSH over a fixed list of 256-bit descriptors (ids are positions).
#[derive(Debug, Clone, Default)]
pub struct LshIndex {
    descriptors: Vec<Hash256>,
    tables: Vec<Table>,
}

impl LshIndex {
    /// Indexes `descriptors`. The bit positions are drawn from a fixed seed (SplitMix64), so
    /// that every build finds the same pairs.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` descriptors.
    pub fn new(descriptors: Vec<Hash256>) -> LshIndex {
        assert!(
            descriptors.len() <= u32::MAX as usize,
            "too many descriptors"
        );
        let mut state = 0x5eed_1234_abcd_0001u64;
        let tables = (0..TABLES)
            .map(|_| {
                // KEY_BITS distinct positions (partial Fisher-Yates over 0..256).
                let mut all: Vec<u8> = (0..=255u8).collect();
                for i in 0..KEY_BITS {
                    let j = i + (splitmix64(&mut state) % (256 - i) as u64) as usize;
                    all.swap(i, j);
                }
                Table {
                    bits: all[..KEY_BITS].to_vec(),
                    ..Table::default()
                }
            })
            .collect::<Vec<_>>();
        let tables = tables
            .into_par_iter()
            .map(|mut t| {
                t.entries = descriptors
                    .iter()
                    .enumerate()
                    .map(|(id, d)| (t.key(d), id as u32))
                    .collect();
                t.finish();
                t
            })
            .collect();
        LshIndex {
            descriptors,
            tables,
        }
    }

    /// Number of indexed descriptors.
    pub fn len(&self) -> usize {
        self.descriptors.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }

    /// The indexed descriptors, in id order.
    pub fn descriptors(&self) -> &[Hash256] {
        &self.descriptors
    }

    /// Appends to `out` the descriptors within `radius` bits of `query` that share a key with
    /// it in some table, with their exact distances, in increasing id order: a subset of what
    /// an exhaustive scan finds.
    pub fn search(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        let from = out.len();
        for table in &self.tables {
            for id in table.bucket(table.key(query)) {
                let distance = query.distance(&self.descriptors[id as usize]);
                if distance <= radius {
                    out.push(Hit { id, distance });
                }
            }
        }
        super::sort_and_dedup_hits(out, from);
    }

    /// [`LshIndex::search`] for each query (in parallel, rayon, [`GROUP`] queries per task):
    /// `out[i]` receives the hits of `queries[i]`, the same hits in the same order.
    ///
    /// A group runs in stages so that its random reads overlap instead of waiting on each
    /// other (the tables outgrow the caches: 16 x 8 bytes per reference descriptor): every
    /// key and its directory slot, then every bucket's bounds, then the ids with the key, then
    /// their descriptors, each stage prefetching what the next one reads.
    ///
    /// # Panics
    /// When `out` is shorter than `queries`.
    pub fn search_many(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        assert!(out.len() >= queries.len(), "one output per query");
        queries
            .par_chunks(GROUP)
            .zip(out.par_chunks_mut(GROUP))
            .for_each(|(group, hits)| self.search_group(group, radius, hits));
    }

    /// The staged search of one group of queries ([`LshIndex::search_many`]).
    fn search_group(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        if self.tables.is_empty() {
            return;
        }
        // Stage 1: (key, directory slot) of every query in every table.
        let mut probes: Vec<(u32, usize)> = Vec::with_capacity(queries.len() * self.tables.len());
        for q in queries {
            for table in &self.tables {
                let key = table.key(q);
                let slot = (key >> (KEY_BITS as u32 - table.prefix_bits)) as usize;
                prefetch(table.offsets.as_ptr().wrapping_add(slot));
                probes.push((key, slot));
            }
        }
        // Stage 2: the entries under each slot.
        let mut buckets: Vec<(u32, u32)> = Vec::with_capacity(probes.len());
        for (i, &(_, slot)) in probes.iter().enumerate() {
            let table = &self.tables[i % self.tables.len()];
            let (a, b) = (table.offsets[slot], table.offsets[slot + 1]);
            if a < b {
                prefetch(table.entries.as_ptr().wrapping_add(a as usize));
            }
            buckets.push((a, b));
        }
        // Stage 3: the ids whose whole key matches, by query.
        let mut candidates: Vec<(usize, u32)> = Vec::new();
        for (i, (&(key, _), &(a, b))) in probes.iter().zip(&buckets).enumerate() {
            let table = &self.tables[i % self.tables.len()];
            for e in &table.entries[a as usize..b as usize] {
                if e.0 == key {
                    prefetch(self.descriptors.as_ptr().wrapping_add(e.1 as usize));
                    candidates.push((i / self.tables.len(), e.1));
                }
            }
        }
        // Stage 4: their exact distances.
        let from: Vec<usize> = out.iter().map(Vec::len).collect();
        for (q, id) in candidates {
            let distance = queries[q].distance(&self.descriptors[id as usize]);
            if distance <= radius {
                out[q].push(Hit { id, distance });
            }
        }
        for (hits, from) in out.iter_mut().zip(from) {
            super::sort_and_dedup_hits(hits, from);
        }
    }

    /// Bytes of memory held (approximate).
    pub fn memory_bytes(&self) -> usize {
        self.descriptors.len() * std::mem::size_of::<Hash256>()
            + self
                .tables
                .iter()
                .map(|t| t.entries.len() * 8 + t.offsets.len() * 4)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::linear::LinearIndex;
    use crate::search::HammingIndex;

    fn random(state: &mut u64) -> Hash256 {
        Hash256([0; 4].map(|_: u64| splitmix64(state)))
    }

    fn flipped(h: &Hash256, bits: u32, state: &mut u64) -> Hash256 {
        let mut out = *h;
        let mut flipped = 0;
        while flipped < bits {
            let b = splitmix64(state) % 256;
            let mask = 1u64 << (b % 64);
            if (out.0[(b / 64) as usize] ^ h.0[(b / 64) as usize]) & mask == 0 {
                out.0[(b / 64) as usize] ^= mask;
                flipped += 1;
            }
        }
        out
    }

    /// Against the exhaustive scan: every hit is a true hit with its exact distance, in id
    /// order; near pairs are found nearly always, pairs 40 bits apart often, and random
    /// descriptors are not even candidates.
    #[test]
    fn finds_a_subset_of_the_exhaustive_hits_with_the_expected_recall() {
        let mut state = 7u64;
        let base: Vec<Hash256> = (0..5000).map(|_| random(&mut state)).collect();
        let lsh = LshIndex::new(base.clone());
        let linear = LinearIndex::new(base.clone());
        let mut found = [0usize; 3];
        let trials = 300;
        for t in 0..trials {
            let target = &base[(t * 17) % base.len()];
            for (slot, bits) in [(0, 8u32), (1, 24), (2, 40)] {
                let query = flipped(target, bits, &mut state);
                let mut exact = Vec::new();
                linear.search(&query, 48, &mut exact);
                let mut got = Vec::new();
                lsh.search(&query, 48, &mut got);
                assert!(got.windows(2).all(|w| w[0].id < w[1].id), "id order");
                for hit in &got {
                    assert!(exact.contains(hit), "{hit:?} is not an exhaustive hit");
                }
                let target_id = ((t * 17) % base.len()) as u32;
                if got.iter().any(|h| h.id == target_id) {
                    found[slot] += 1;
                }
            }
        }
        let share = found.map(|f| f as f64 / trials as f64);
        assert!(share[0] >= 0.99, "8 bits apart: {share:?}");
        assert!((0.8..=0.98).contains(&share[1]), "24 bits apart: {share:?}");
        assert!((0.25..=0.6).contains(&share[2]), "40 bits apart: {share:?}");
        // Random queries share a key with about 100 x 16 x 5000 / 2^20 = 8 descriptors in all
        // (the scan compares 500 000 pairs).
        let mut many = vec![Vec::new(); 100];
        let queries: Vec<Hash256> = (0..100).map(|_| random(&mut state)).collect();
        lsh.search_many(&queries, 256, &mut many);
        let candidates: usize = many.iter().map(Vec::len).sum();
        assert!(candidates <= 20, "{candidates} candidates");
    }

    /// The staged many-query search against its twin, the one-query search: the same hits in
    /// the same order, for groups cut anywhere and outputs that already hold hits.
    #[test]
    fn staged_search_equals_one_query_at_a_time() {
        let mut state = 11u64;
        let base: Vec<Hash256> = (0..3000).map(|_| random(&mut state)).collect();
        let lsh = LshIndex::new(base.clone());
        let queries: Vec<Hash256> = (0..GROUP * 3 + 17)
            .map(|i| match i % 3 {
                0 => flipped(&base[i * 7 % base.len()], 6, &mut state),
                1 => flipped(&base[i * 13 % base.len()], 30, &mut state),
                _ => random(&mut state),
            })
            .collect();
        let seed = Hit {
            id: u32::MAX,
            distance: 0,
        };
        let mut staged = vec![vec![seed]; queries.len()];
        lsh.search_many(&queries, 48, &mut staged);
        let mut found = 0;
        for (q, got) in queries.iter().zip(&staged) {
            let mut one = vec![seed];
            lsh.search(q, 48, &mut one);
            assert_eq!(got, &one);
            found += one.len() - 1;
        }
        assert!(
            found >= 100,
            "{found} hits: the test must exercise the hits"
        );
    }

    #[test]
    fn empty_index_finds_nothing() {
        let lsh = LshIndex::new(Vec::new());
        let mut out = Vec::new();
        lsh.search(&Hash256([1, 2, 3, 4]), 256, &mut out);
        assert!(out.is_empty() && lsh.is_empty());
    }
}

//! Hamming search over reference frame hashes.
//!
//! [`HammingIndex`] is one trait with two implementations: [`linear::LinearIndex`], the
//! brute-force oracle every faster index is tested against, and [`mih::MihIndex`],
//! multi-index hashing (Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with
//! Multi-Index Hashing", CVPR 2012), which answers the searches too wide for its tables (image
//! uploads) through the balls of [`clusters::ClusterIndex`] (a list of clusters). Keypoint descriptors, searched at a radius where
//! neither pays, go through [`lsh::LshIndex`] (approximate, with the linear scan as its twin).

pub mod bench;
mod centre_scan;
pub mod clusters;
pub mod extend;
pub mod linear;
pub mod local;
pub mod lsh;
pub mod mih;

use crate::hash::Hash256;
use std::ops::Range;

/// One hash found within the radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Position of the hash in the indexed list.
    pub id: u32,
    /// Hamming distance to the query, bits.
    pub distance: u32,
}

/// Sorts `out[from..]` by id and keeps one hit per id there (a hash found through several
/// tables of an index is the same hit).
pub(crate) fn sort_and_dedup_hits(out: &mut Vec<Hit>, from: usize) {
    out[from..].sort_unstable();
    let mut kept = from;
    for i in from..out.len() {
        if kept == from || out[kept - 1].id != out[i].id {
            out[kept] = out[i];
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// Starts loading the cache line at `p` (never faults; any address is allowed).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that does not access memory architecturally: it cannot
    // fault, whatever the address. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// An exact radius search over a fixed list of hashes.
pub trait HammingIndex: Send + Sync {
    /// Number of indexed hashes.
    fn len(&self) -> usize;
    /// True when empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends to `out` every indexed hash within `radius` bits of `query` (inclusive), in
    /// increasing id order. Exact: no false negatives, no false positives.
    fn search(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>);
    /// Searches many queries (e.g. every frame hash of one upload) at once; `out[i]` receives
    /// the hits of `queries[i]` as [`HammingIndex::search`] would. Implementations may use every
    /// core (rayon) and share passes over memory between queries.
    ///
    /// # Panics
    /// When `out` is shorter than `queries`.
    fn search_many(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        assert!(out.len() >= queries.len(), "one output per query");
        for (q, hits) in queries.iter().zip(out.iter_mut()) {
            self.search(q, radius, hits);
        }
    }
    /// Appends to `out` every hash with an id in `ids` within `radius` of `query`, in id order
    /// (a scan of that id range). For seed-and-extend: once a tight search found candidate
    /// works, their frames (contiguous ids) are searched at the looser radius only.
    fn search_range(&self, query: &Hash256, radius: u32, ids: Range<u32>, out: &mut Vec<Hit>);
    /// Bytes of memory the index holds (approximate, excluding allocator overhead).
    fn memory_bytes(&self) -> usize;
}

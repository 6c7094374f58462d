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

/// Most hits kept for one query hash: its closest ones (by distance, then id). A query frame
/// of ordinary footage meets a few reference frames of its shot in a few views; one of a
/// still or endlessly repeated picture (a photo held for an hour, an animation looping two
/// frames) meets every frame of such a reference, and without a bound the pairs of an upload
/// grow with the product of both lengths (a looping 5,000-frame GIF scanned against itself
/// ran out of 24 GB). The closest pairs carry the timing either way.
pub const MAX_HITS_PER_QUERY: usize = 256;

/// Sorts `hits` by id, keeps one hit per id and, when more than `cap` are left, only the
/// `cap` closest, still in id order. Among equally close hits the smaller `tie(id)` wins, then
/// the smaller id (for a query frame against a still, where every reference frame is equally
/// close, the caller passes the distance from the query's time to the reference frame's, so
/// that the pairs kept lie along one line rather than all at the reference's start).
pub fn keep_closest(hits: &mut Vec<Hit>, cap: usize, tie: &dyn Fn(u32) -> i64) {
    hits.sort_unstable();
    hits.dedup_by_key(|h| h.id);
    if hits.len() > cap {
        hits.select_nth_unstable_by_key(cap, |h| (h.distance, tie(h.id), h.id));
        hits.truncate(cap);
        hits.sort_unstable();
        hits.shrink_to_fit();
    }
}

/// [`HammingIndex::search_many`] with each query's hits bounded by [`keep_closest`] (`tie`
/// receives the query's position and the hit's id), searched a few queries per thread at a
/// time, so that the unbounded lists of a still upload (hundreds of thousands of hits per
/// query hash against a still reference) never exist all at once.
///
/// # Panics
/// When `out` is shorter than `queries`.
pub fn search_many_closest(
    index: &dyn HammingIndex,
    queries: &[Hash256],
    radius: u32,
    cap: usize,
    tie: &dyn Fn(usize, u32) -> i64,
    out: &mut [Vec<Hit>],
) {
    assert!(out.len() >= queries.len(), "one output per query");
    let chunk = 4 * rayon::current_num_threads().max(1);
    for (c, (q, o)) in queries.chunks(chunk).zip(out.chunks_mut(chunk)).enumerate() {
        index.search_many(q, radius, o);
        for (k, hits) in o.iter_mut().enumerate() {
            let i = c * chunk + k;
            keep_closest(hits, cap, &|id| tie(i, id));
        }
    }
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

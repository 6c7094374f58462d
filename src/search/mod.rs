//! Hamming search over reference frame hashes.
//!
//! [`HammingIndex`] is one trait with two implementations: [`linear::LinearIndex`], the
//! brute-force oracle every faster index is tested against, and [`mih::MihIndex`],
//! multi-index hashing (Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with
//! Multi-Index Hashing", CVPR 2012).

pub mod linear;
pub mod mih;

use crate::hash::Hash256;

/// One hash found within the radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Position of the hash in the indexed list.
    pub id: u32,
    /// Hamming distance to the query, bits.
    pub distance: u32,
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
    /// Bytes of memory the index holds (approximate, excluding allocator overhead).
    fn memory_bytes(&self) -> usize;
}

//! List of clusters over Hamming space (Chávez & Navarro, "A compact space decomposition for
//! effective metric indexing", Pattern Recognition Letters 26(9), 2005): an exact radius search
//! for the wide radii (image uploads, ~56 bits) where multi-index hashing would probe more
//! buckets than there are hashes.
//!
//! The frame hashes of a video catalogue come in tight groups: the same view of consecutive
//! frames of one shot, the copied views of a static shot. Ids are therefore partitioned into
//! balls: a centre (one of the hashes) and the members within [`MAX_CLUSTER_RADIUS`] bits of
//! it. A query `d` bits from a centre is more than `radius` bits from every member when
//! `d > radius + r` (`r`: the ball's own radius; triangle inequality), so a query far from
//! the catalogue, as most uploads are, compares itself with the centres and little else.
//! Inside a ball the members are sorted by their distance `m` to the centre, and only those with
//! `|d - m| <= radius` are compared.
//!
//! Exact: no false negative, no false positive; [`super::linear::LinearIndex`] is its twin in
//! the tests. On hashes with no structure (uniform random) every hash is its own centre and the
//! search is a plain scan of them.

use super::centre_scan::CentreScan;
use super::Hit;
use crate::hash::Hash256;
use rayon::prelude::*;

/// Largest distance from a member to its centre, bits. Wider balls mean fewer centres to
/// compare but fewer balls ruled out (a ball is skipped when the query is more than
/// `radius + its radius` from its centre; random 256-bit hashes are 128 ± 8 apart). On the dev
/// catalogue (207k frame hashes, 129 views per video frame) 32 / 40 / 48 / 56 / 64 bits make
/// 73k / 47k / 34k / 25k / 18k balls; 48 searched the image uploads fastest.
pub const MAX_CLUSTER_RADIUS: u32 = 48;
/// Recently opened balls a hash may join (ids are visited in order; catalogue ids run by work,
/// time and view, so a hash's group is among the last ones opened). On the dev catalogue 128
/// makes 35k balls in 80 ms, 512 34k in 250 ms, 2048 33k in 1.2 s.
pub const RECENT_CLUSTERS: usize = 128;

/// Balls over a fixed list of hashes (which the caller keeps and passes to each search).
#[derive(Debug, Clone, Default)]
pub struct ClusterIndex {
    /// Members of ball `c`: `members[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    /// Member ids, ball by ball, each ball sorted by distance to its centre.
    members: Vec<u32>,
    /// Distance of each member (same positions as `members`) to its centre, bits.
    member_distance: Vec<u8>,
    /// The centre hash and radius (largest member distance, bits) of each ball, word by word,
    /// for the scan that compares a query with every centre.
    scan: CentreScan,
}

impl ClusterIndex {
    /// Partitions `hashes` (ids are positions) into balls: each hash, in id order, joins the
    /// nearest of the last [`RECENT_CLUSTERS`] centres opened if it is within
    /// [`MAX_CLUSTER_RADIUS`] bits, else opens a ball of its own. O(n x RECENT_CLUSTERS) bit
    /// counts, one thread.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` hashes.
    pub fn new(hashes: &[Hash256]) -> Self {
        assert!(
            hashes.len() <= u32::MAX as usize,
            "too many hashes for u32 ids"
        );
        let mut centres: Vec<Hash256> = Vec::new();
        let mut ball_of: Vec<u32> = Vec::with_capacity(hashes.len());
        let mut distance_of: Vec<u8> = Vec::with_capacity(hashes.len());
        for h in hashes {
            let recent = centres.len().saturating_sub(RECENT_CLUSTERS);
            let nearest = centres[recent..]
                .iter()
                .enumerate()
                .map(|(i, c)| (h.distance(c), recent + i))
                .min();
            match nearest {
                Some((d, ball)) if d <= MAX_CLUSTER_RADIUS => {
                    ball_of.push(ball as u32);
                    distance_of.push(d as u8);
                }
                _ => {
                    ball_of.push(centres.len() as u32);
                    distance_of.push(0);
                    centres.push(*h);
                }
            }
        }
        // Group the ids by ball (counting sort), then order each ball by distance to its centre.
        let mut starts = vec![0u32; centres.len() + 1];
        for &b in &ball_of {
            starts[b as usize + 1] += 1;
        }
        for c in 0..centres.len() {
            starts[c + 1] += starts[c];
        }
        let mut next: Vec<u32> = starts[..centres.len()].to_vec();
        let mut members = vec![0u32; hashes.len()];
        for (id, &b) in ball_of.iter().enumerate() {
            members[next[b as usize] as usize] = id as u32;
            next[b as usize] += 1;
        }
        let mut radii = vec![0u32; centres.len()];
        for c in 0..centres.len() {
            let ball = &mut members[starts[c] as usize..starts[c + 1] as usize];
            ball.sort_unstable_by_key(|&id| (distance_of[id as usize], id));
            radii[c] = ball
                .last()
                .map_or(0, |&id| u32::from(distance_of[id as usize]));
        }
        let member_distance = members.iter().map(|&id| distance_of[id as usize]).collect();
        let scan = CentreScan::new(&centres, &radii);
        ClusterIndex {
            scan,
            starts,
            members,
            member_distance,
        }
    }

    /// Number of hashes indexed.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when no hash is indexed.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Number of balls (centres compared by every search).
    pub fn clusters(&self) -> usize {
        self.scan.len()
    }

    /// Appends to `out` every hash of `hashes` (the list the index was built over) within
    /// `radius` bits of `query`, in increasing id order, with its distance.
    ///
    /// # Panics
    /// When `hashes` is not the list the index was built over (shorter than it).
    pub fn search(&self, hashes: &[Hash256], query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        assert!(
            hashes.len() >= self.members.len(),
            "the hashes the index was built over"
        );
        let from = out.len();
        let mut balls = Vec::new();
        self.near_balls(query, radius, &mut balls);
        for (c, d) in balls {
            let (start, end) = (
                self.starts[c as usize] as usize,
                self.starts[c as usize + 1] as usize,
            );
            let near = &self.member_distance[start..end];
            // Members with |d - m| <= radius: m in [d - radius, d + radius] (sorted by m).
            let low = d.saturating_sub(radius);
            let first = near.partition_point(|&m| u32::from(m) < low);
            let last = near.partition_point(|&m| u32::from(m) <= d + radius);
            for &id in &self.members[start + first..start + last] {
                let distance = query.distance(&hashes[id as usize]);
                if distance <= radius {
                    out.push(Hit { id, distance });
                }
            }
        }
        out[from..].sort_unstable();
    }

    /// Appends to `out` each ball that may hold a hash within `radius` bits of `query` (its
    /// centre within `radius` + its radius), with the distance to its centre.
    fn near_balls(&self, query: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        self.scan.near(query, radius, out);
    }

    /// [`ClusterIndex::search`] for each of `queries` (`out[i]` receives the hits of
    /// `queries[i]`), in parallel over the queries (rayon).
    ///
    /// # Panics
    /// When `out` is shorter than `queries`, or as [`ClusterIndex::search`].
    pub fn search_many(
        &self,
        hashes: &[Hash256],
        queries: &[Hash256],
        radius: u32,
        out: &mut [Vec<Hit>],
    ) {
        assert!(out.len() >= queries.len(), "one output per query");
        queries
            .par_iter()
            .zip(out.par_iter_mut())
            .for_each(|(q, hits)| self.search(hashes, q, radius, hits));
    }

    /// Bytes the index holds (approximate).
    pub fn memory_bytes(&self) -> usize {
        (self.starts.capacity() + self.members.capacity()) * 4
            + self.member_distance.capacity()
            + self.scan.memory_bytes()
    }
}

/// A [`ClusterIndex`] over a fixed hash list, built on the first search that needs it and kept;
/// `None` when the hashes have too little structure for the balls to pay (more than half of
/// them centres: the blocked linear scan is then faster).
#[derive(Debug, Default)]
pub(crate) struct ClusterCache(std::sync::OnceLock<Option<ClusterIndex>>);

impl ClusterCache {
    /// The balls over `hashes`, which must be the same hashes on every call.
    pub(crate) fn get(&self, hashes: &[Hash256]) -> Option<&ClusterIndex> {
        self.0
            .get_or_init(|| {
                let index = ClusterIndex::new(hashes);
                (index.clusters() * 2 <= hashes.len()).then_some(index)
            })
            .as_ref()
    }

    /// Bytes held (0 before the first use).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.0
            .get()
            .and_then(Option::as_ref)
            .map_or(0, ClusterIndex::memory_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::linear::LinearIndex;
    use crate::search::HammingIndex;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn random_hash(state: &mut u64) -> Hash256 {
        Hash256([0; 4].map(|_: u64| xorshift(state)))
    }

    fn flip(h: &Hash256, bits: u32, state: &mut u64) -> Hash256 {
        let mut h = *h;
        for _ in 0..bits {
            let b = xorshift(state) % 256;
            h.0[(b / 64) as usize] ^= 1 << (b % 64);
        }
        h
    }

    /// A catalogue shaped like a video one: shots of `views` views whose frames drift a few
    /// bits from frame to frame, plus random hashes.
    fn shots(state: &mut u64) -> Vec<Hash256> {
        let mut hashes = Vec::new();
        for shot in 0..40 {
            let views: Vec<Hash256> = (0..7).map(|_| random_hash(state)).collect();
            let mut current = views.clone();
            for _frame in 0..(5 + shot % 13) {
                for v in current.iter_mut() {
                    *v = flip(v, (xorshift(state) % 12) as u32, state);
                    hashes.push(*v);
                }
            }
            hashes.push(random_hash(state));
        }
        hashes
    }

    /// The twin check: the same hits (ids, distances, order) as the linear scan, for queries
    /// near indexed hashes, on ball edges and far from everything, at radii 0–256.
    #[test]
    fn equals_the_linear_scan() {
        let mut state = 0x2545_f491_4f6c_dd1d;
        let hashes = shots(&mut state);
        let index = ClusterIndex::new(&hashes);
        assert!(
            index.clusters() < hashes.len() / 3,
            "{} balls for {} hashes",
            index.clusters(),
            hashes.len()
        );
        let linear = LinearIndex::new(hashes.clone());
        let mut queries: Vec<Hash256> = (0..60)
            .map(|i| {
                let base = hashes[(xorshift(&mut state) as usize) % hashes.len()];
                flip(&base, i % 70, &mut state)
            })
            .collect();
        queries.extend((0..10).map(|_| random_hash(&mut state)));
        // The first hash opens the first ball: a query on a centre.
        queries.push(hashes[0]);
        for radius in [0, 1, 8, 31, 32, 52, 56, 64, 90, 128, 200, 256] {
            let mut many = vec![Vec::new(); queries.len()];
            index.search_many(&hashes, &queries, radius, &mut many);
            for (q, got) in queries.iter().zip(&many) {
                let mut want = Vec::new();
                linear.search(q, radius, &mut want);
                assert_eq!(got, &want, "radius {radius}");
            }
        }
    }

    #[test]
    fn empty_and_random_lists() {
        let empty = ClusterIndex::new(&[]);
        let mut out = vec![Hit { id: 9, distance: 9 }];
        empty.search(&[], &Hash256::default(), 256, &mut out);
        assert_eq!(out.len(), 1, "hits already there are kept, none added");
        assert!(empty.is_empty());

        // Unstructured hashes: every hash is its own ball, and the search is still exact.
        let mut state = 7;
        let hashes: Vec<Hash256> = (0..500).map(|_| random_hash(&mut state)).collect();
        let index = ClusterIndex::new(&hashes);
        assert_eq!(index.clusters(), hashes.len());
        let mut got = Vec::new();
        index.search(&hashes, &hashes[17], 0, &mut got);
        assert_eq!(
            got,
            vec![Hit {
                id: 17,
                distance: 0
            }]
        );
    }
}

//! Seed-and-extend search for one upload.
//!
//! Multi-index hashing is fast at small radii and slow at large ones (Norouzi et al. 2012:
//! the number of probed buckets grows combinatorially with `floor(r / m)`). Video matching
//! needs a loose radius (52 bits) because the temporal alignment, not the single pair, is the
//! evidence. So one upload is searched in two steps, as BLAST-style aligners do:
//!
//! 1. **Seed**: every query hash is searched in the whole index at the tight
//!    [`SeedExtend::seed_radius`] (fast with MIH).
//! 2. **Extend**: each query frame at time `q` is then searched at the loose
//!    [`SeedExtend::radius`] only within the reference spans that a seed of a nearby query frame
//!    (`|q - q_s| ≤ gap_ms`) points to: from `r_s + min_speed·(q - q_s)` to
//!    `r_s + max_speed·(q - q_s)`, widened by `margin_ms`, on the seed's reference track.
//!
//! The result is exact with respect to that definition: every reference hash within `radius`
//! of a query hash inside the extension spans is found, whatever the index (the brute-force
//! twin [`seed_and_extend`] over a [`super::linear::LinearIndex`] gives the same hits, checked
//! in the tests). Pairs at `radius` far from every seed are not searched: a copy has to show at
//! least one frame pair within `seed_radius` every `gap_ms` of upload time to be followed.

use super::{keep_closest, search_many_closest, HammingIndex, Hit, MAX_HITS_PER_QUERY};
use crate::hash::Hash256;
use std::ops::Range;

/// Parameters of a seed-and-extend search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedExtend {
    /// Radius of the seed search over the whole index, bits.
    pub seed_radius: u32,
    /// Radius of the extension inside the seeded spans, bits (≥ `seed_radius`).
    pub radius: u32,
    /// A seed reaches query frames this far from its own query time, ms.
    pub gap_ms: i64,
    /// Slowest and fastest playback speed of a copy relative to the work (e.g. 0.5 and 2).
    pub min_speed: f64,
    /// See `min_speed`.
    pub max_speed: f64,
    /// Slack added on both sides of each reference span, ms.
    pub margin_ms: i64,
}

impl Default for SeedExtend {
    fn default() -> Self {
        SeedExtend {
            seed_radius: 31,
            radius: 52,
            gap_ms: 4000,
            min_speed: 0.5,
            max_speed: 2.0,
            margin_ms: 1000,
        }
    }
}

/// Where each indexed hash sits in time: ids of one reference (track) are contiguous and in
/// non-decreasing time order.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Track of each id.
    track: Vec<u32>,
    /// Time of each id, ms.
    t_ms: Vec<i64>,
    /// Id range of each track.
    ranges: Vec<Range<u32>>,
}

impl Timeline {
    /// Builds a timeline from `(track, t_ms)` per id, in id order.
    ///
    /// # Errors
    /// Returns `None` when the ids of a track are not contiguous or not in time order.
    pub fn new(entries: impl IntoIterator<Item = (u32, i64)>) -> Option<Timeline> {
        let mut tl = Timeline::default();
        for (id, (track, t)) in entries.into_iter().enumerate() {
            let id = u32::try_from(id).ok()?;
            match tl.track.last() {
                Some(&last) if last == track => {
                    if t < *tl.t_ms.last()? {
                        return None;
                    }
                    tl.ranges.last_mut()?.end = id + 1;
                }
                _ => {
                    if (track as usize) < tl.ranges.len() && !tl.ranges[track as usize].is_empty() {
                        return None;
                    }
                    if tl.ranges.len() <= track as usize {
                        tl.ranges.resize(track as usize + 1, 0..0);
                    }
                    tl.ranges[track as usize] = id..id + 1;
                }
            }
            tl.track.push(track);
            tl.t_ms.push(t);
        }
        Some(tl)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.track.len()
    }

    /// True when no id.
    pub fn is_empty(&self) -> bool {
        self.track.is_empty()
    }

    /// Track of `id`.
    pub fn track(&self, id: u32) -> u32 {
        self.track[id as usize]
    }

    /// Time of `id`, ms.
    pub fn t_ms(&self, id: u32) -> i64 {
        self.t_ms[id as usize]
    }

    /// Ids of `track` with a time in `[from_ms, to_ms]`.
    pub fn span(&self, track: u32, from_ms: i64, to_ms: i64) -> Range<u32> {
        let Some(r) = self.ranges.get(track as usize) else {
            return 0..0;
        };
        let times = &self.t_ms[r.start as usize..r.end as usize];
        let lo = times.partition_point(|&t| t < from_ms) as u32;
        let hi = times.partition_point(|&t| t <= to_ms) as u32;
        r.start + lo..r.start + hi.max(lo)
    }
}

/// One query hash of an upload: the time of its frame and the hash (any view, any
/// orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryHash {
    /// Query frame time, ms.
    pub q_ms: i64,
    /// The hash.
    pub hash: Hash256,
}

/// Searches one upload's hashes: seeds at `params.seed_radius` over the whole `index`, then
/// extension at `params.radius` inside the spans of `timeline` the seeds point to, repeated
/// with each query frame's best extension hit per track as a further seed until no new seed
/// appears (see the module documentation). `out[i]` receives the hits of `queries[i]` in
/// increasing id order, without duplicates, at most [`MAX_HITS_PER_QUERY`] of them (the
/// closest; the seeds and each extension round are bounded alike). `timeline` must describe
/// the ids of `index`.
pub fn seed_and_extend(
    index: &dyn HammingIndex,
    timeline: &Timeline,
    queries: &[QueryHash],
    params: &SeedExtend,
) -> Vec<Vec<Hit>> {
    let hashes: Vec<Hash256> = queries.iter().map(|q| q.hash).collect();
    let mut out = vec![Vec::new(); queries.len()];
    let seed_radius = params.seed_radius.min(params.radius);
    // Equally close hits (a still): those nearest the query's own time.
    let off_time = |i: usize, id: u32| (timeline.t_ms(id) - queries[i].q_ms).abs();
    search_many_closest(
        index,
        &hashes,
        seed_radius,
        MAX_HITS_PER_QUERY,
        &off_time,
        &mut out,
    );
    if params.radius <= seed_radius {
        return out;
    }
    // Seeds: (query time, track, reference time), sorted and deduplicated.
    let mut seeds: Vec<(i64, u32, i64)> = Vec::new();
    for (q, hits) in queries.iter().zip(&out) {
        seeds.extend(
            hits.iter()
                .map(|h| (q.q_ms, timeline.track(h.id), timeline.t_ms(h.id))),
        );
    }
    seeds.sort_unstable();
    seeds.dedup();
    for hits in out.iter_mut() {
        hits.clear();
    }

    // Query frames (hashes sharing a time), each with the spans already searched.
    let mut order: Vec<usize> = (0..queries.len()).collect();
    order.sort_by_key(|&i| queries[i].q_ms);
    let mut groups: Vec<(i64, Range<usize>)> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        match groups.last_mut() {
            Some((t, r)) if *t == queries[i].q_ms => r.end = k + 1,
            _ => groups.push((queries[i].q_ms, k..k + 1)),
        }
    }
    let mut searched: Vec<Vec<Range<u32>>> = vec![Vec::new(); groups.len()];
    let mut spans: Vec<Range<u32>> = Vec::new();
    let mut best: Vec<(u32, u32, u32)> = Vec::new();
    loop {
        let mut new_seeds: Vec<(i64, u32, i64)> = Vec::new();
        for ((q_ms, members), done) in groups.iter().zip(searched.iter_mut()) {
            let q_ms = *q_ms;
            seed_spans(timeline, &seeds, q_ms, params, &mut spans);
            let fresh = subtract(&spans, done);
            if fresh.is_empty() {
                continue;
            }
            for &i in &order[members.clone()] {
                for span in &fresh {
                    index.search_range(&queries[i].hash, params.radius, span.clone(), &mut out[i]);
                }
                keep_closest(&mut out[i], MAX_HITS_PER_QUERY, &|id| off_time(i, id));
            }
            std::mem::swap(done, &mut spans);
            // The frame's best pair on each track seeds the next round.
            best.clear();
            for &i in &order[members.clone()] {
                for h in &out[i] {
                    best.push((timeline.track(h.id), h.distance, h.id));
                }
            }
            best.sort_unstable();
            best.dedup_by_key(|b| b.0);
            for &(track, _, id) in &best {
                let seed = (q_ms, track, timeline.t_ms(id));
                if seeds.binary_search(&seed).is_err() {
                    new_seeds.push(seed);
                }
            }
        }
        if new_seeds.is_empty() {
            break;
        }
        seeds.extend(new_seeds);
        seeds.sort_unstable();
        seeds.dedup();
    }
    out
}

/// The merged reference spans that the seeds within `gap_ms` of `q_ms` point to.
fn seed_spans(
    timeline: &Timeline,
    seeds: &[(i64, u32, i64)],
    q_ms: i64,
    params: &SeedExtend,
    spans: &mut Vec<Range<u32>>,
) {
    spans.clear();
    let first = seeds.partition_point(|s| s.0 < q_ms.saturating_sub(params.gap_ms));
    for &(q_s, track, r_s) in seeds[first..]
        .iter()
        .take_while(|s| s.0 <= q_ms.saturating_add(params.gap_ms))
    {
        let dq = (q_ms - q_s) as f64;
        let a = r_s as f64 + params.min_speed * dq;
        let b = r_s as f64 + params.max_speed * dq;
        let span = timeline.span(
            track,
            a.min(b).floor() as i64 - params.margin_ms,
            a.max(b).ceil() as i64 + params.margin_ms,
        );
        if !span.is_empty() {
            spans.push(span);
        }
    }
    merge(spans);
}

/// The parts of the merged ranges `spans` not covered by the merged ranges `done`.
fn subtract(spans: &[Range<u32>], done: &[Range<u32>]) -> Vec<Range<u32>> {
    let mut fresh = Vec::new();
    let mut d = 0;
    for s in spans {
        let mut start = s.start;
        while d < done.len() && done[d].end <= start {
            d += 1;
        }
        let mut k = d;
        while start < s.end {
            match done.get(k) {
                Some(r) if r.start < s.end => {
                    if r.start > start {
                        fresh.push(start..r.start);
                    }
                    start = start.max(r.end);
                    k += 1;
                }
                _ => {
                    fresh.push(start..s.end);
                    break;
                }
            }
        }
    }
    fresh
}

/// Sorts and merges overlapping or touching ranges in place.
fn merge(spans: &mut Vec<Range<u32>>) {
    spans.sort_unstable_by_key(|r| r.start);
    let mut merged: Vec<Range<u32>> = Vec::with_capacity(spans.len());
    for r in spans.drain(..) {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    *spans = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{linear::LinearIndex, mih::MihIndex};

    fn hash(seed: u64) -> Hash256 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut h = Hash256::default();
        for w in h.0.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = x;
        }
        h
    }

    fn flip(h: &Hash256, bits: &[u32]) -> Hash256 {
        let mut out = *h;
        for &b in bits {
            out.0[(b / 64) as usize] ^= 1 << (b % 64);
        }
        out
    }

    #[test]
    fn timeline_spans_and_validation() {
        let tl = Timeline::new([(0, 0), (0, 0), (0, 200), (1, 0), (1, 500)]).unwrap();
        assert_eq!(tl.span(0, 0, 0), 0..2);
        assert_eq!(tl.span(0, 100, 1000), 2..3);
        assert_eq!(tl.span(1, -50, 600), 3..5);
        assert_eq!(tl.span(1, 600, 700), 5..5);
        assert_eq!(tl.span(7, 0, 100), 0..0);
        assert!(Timeline::new([(0, 100), (0, 0)]).is_none(), "time order");
        assert!(
            Timeline::new([(0, 0), (1, 0), (0, 5)]).is_none(),
            "contiguous"
        );
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn subtract_leaves_the_uncovered_parts() {
        assert_eq!(subtract(&[0..10], &[]), vec![0..10]);
        assert_eq!(subtract(&[0..10], &[2..4, 6..7]), vec![0..2, 4..6, 7..10]);
        assert_eq!(subtract(&[0..3, 5..9], &[0..9]), Vec::<Range<u32>>::new());
        assert_eq!(subtract(&[0..3, 5..9], &[2..6]), vec![0..2, 6..9]);
    }

    #[test]
    fn merge_joins_overlaps() {
        let mut v = vec![5..8, 0..2, 1..3, 8..9, 20..21];
        merge(&mut v);
        assert_eq!(v, vec![0..3, 5..9, 20..21]);
    }

    #[test]
    fn extends_along_the_seeded_line_only() {
        // Two tracks of 100 frames at 200 ms; the upload copies track 1 from 4 s, with every
        // other frame too far for a seed (40 bits) but within the extension radius.
        let n = 100u32;
        let refs: Vec<Hash256> = (0..2 * n).map(|i| hash(i as u64 + 1)).collect();
        let tl = Timeline::new((0..2 * n).map(|i| (i / n, i64::from(i % n) * 200))).unwrap();
        let queries: Vec<QueryHash> = (0..20u32)
            .map(|j| {
                let bits: Vec<u32> = (0..if j % 2 == 0 { 10 } else { 40 }).collect();
                QueryHash {
                    q_ms: i64::from(j) * 200,
                    hash: flip(&refs[(n + 20 + j) as usize], &bits),
                }
            })
            .collect();
        let params = SeedExtend::default();
        let linear = LinearIndex::new(refs.clone());
        let mih = MihIndex::new(refs.clone());
        let got = seed_and_extend(&linear, &tl, &queries, &params);
        assert_eq!(got, seed_and_extend(&mih, &tl, &queries, &params));
        for (j, hits) in got.iter().enumerate() {
            let want = n + 20 + j as u32;
            assert!(
                hits.iter().any(|h| h.id == want),
                "query {j} should find {want}: {hits:?}"
            );
            assert!(hits.windows(2).all(|w| w[0].id < w[1].id));
        }
        // A lone hash at 40 bits with no seed anywhere near is not followed.
        let lone = [QueryHash {
            q_ms: 0,
            hash: flip(&refs[5], &(0..40).collect::<Vec<_>>()),
        }];
        assert!(seed_and_extend(&linear, &tl, &lone, &params)[0].is_empty());
    }
    /// A still reference (one picture held for 2,000 frames, ids 0..2000, a second track of
    /// another picture after it): every frame of an upload of that still is within reach of
    /// every reference frame, and each keeps only [`MAX_HITS_PER_QUERY`] hits, the closest
    /// (the few frames of the still that differ by 2 bits are dropped first), and among those
    /// the ones nearest its own time.
    #[test]
    fn hits_of_a_still_are_bounded_closest_first() {
        let n = 2000u32;
        let still = hash(7);
        let mut refs: Vec<Hash256> = (0..n)
            .map(|i| {
                if i % 100 == 0 {
                    flip(&still, &[3, 9])
                } else {
                    still
                }
            })
            .collect();
        refs.extend((0..10).map(|i| hash(1000 + i)));
        let tl = Timeline::new((0..n + 10).map(|i| (i / n, i64::from(i % n) * 200))).unwrap();
        let queries: Vec<QueryHash> = (0..50)
            .map(|j| QueryHash {
                q_ms: j * 250,
                hash: still,
            })
            .collect();
        let linear = LinearIndex::new(refs);
        let got = seed_and_extend(&linear, &tl, &queries, &SeedExtend::default());
        for (q, hits) in queries.iter().zip(&got) {
            assert_eq!(hits.len(), MAX_HITS_PER_QUERY);
            assert!(hits.iter().all(|h| h.distance == 0 && h.id % 100 != 0));
            // The reference frames kept are those around the query's own time.
            let farthest = hits.iter().map(|h| (tl.t_ms(h.id) - q.q_ms).abs()).max();
            assert!(farthest.unwrap() <= 200 * MAX_HITS_PER_QUERY as i64 + 1000);
            assert!(hits.windows(2).all(|w| w[0].id < w[1].id));
        }
    }

    #[test]
    fn keep_closest_keeps_the_nearest_in_id_order() {
        let mut hits: Vec<Hit> = [(5, 9), (1, 3), (5, 9), (2, 1), (8, 3), (4, 0)]
            .map(|(id, distance)| Hit { id, distance })
            .to_vec();
        keep_closest(&mut hits, 3, &|_| 0);
        let kept: Vec<(u32, u32)> = hits.iter().map(|h| (h.id, h.distance)).collect();
        assert_eq!(kept, vec![(1, 3), (2, 1), (4, 0)]);
    }
}

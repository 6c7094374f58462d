//! Multi-index hashing (Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with
//! Multi-Index Hashing", CVPR 2012, and the TPAMI 2014 version "Fast Exact Search in Hamming
//! Space with Multi-Index Hashing").
//!
//! A 256-bit hash is split into `m` disjoint substrings ([`MihLayout`]). Each substring has a
//! table: one bucket per substring value, stored as an offsets array plus one array of `u32`
//! positions sorted by bucket (CSR). A query probes, in every table, each bucket whose value
//! lies within a small radius of the query's substring, then checks the full distance of every
//! candidate. Results are exact: identical to the linear scan.
//!
//! **Probe radii.** Write `r = m·r' + a` with `0 ≤ a < m`. If a hash is within `r` of the query,
//! then one of the first `a + 1` substrings is within `r'` of the query's, or one of the others
//! is within `r' − 1` (TPAMI 2014, Proposition 1: otherwise the distance would be at least
//! `(a + 1)(r' + 1) + (m − a − 1)r' = r + 1`). So the first `a + 1` tables are probed at `r'`,
//! the rest at `r' − 1` (not at all when `r' = 0`): at radius 16 with 16 substrings that is 32
//! buckets instead of the 272 of the plain `floor(r / m)` rule.
//!
//! **Layout, as measured** (`swordnet bench search`, 10 M random hashes, issue 4):
//! - substrings: Norouzi's rule `m ≈ 256 / log2(n)`, clamped to 12..=16. At 10 M hashes, 12
//!   substrings of 21–22 bits beat 13, 14 and the published 16 x 16 bits at every radius
//!   (16 x 16 bits: ~7x more candidates at radius 31), and stay under 1 GB.
//! - strided substrings (substring `t` takes bits `t, t + m, t + 2m, ...`) below 16
//!   substrings. Random hashes do not care; real PDQ frame hashes do: their bits are DCT
//!   coefficients in row order and neighbours are correlated, so contiguous runs have less
//!   entropy. On the dev catalogue's 127 k frame hashes, strided 12–15 substrings check
//!   1.2–2.4x fewer candidates; with 16 substrings (one DCT row each) strided is slightly
//!   worse, so 16 stays contiguous.
//! - memory: `u32` positions into one array of the hashes, in id order. Inline hashes in the
//!   buckets (one copy of every hash per table, 12x the memory) were no faster: with 21–22-bit
//!   substrings a bucket holds 2–5 hashes, so each probe is a random read either way. Storing
//!   the hashes in the bucket order of table 0 (no position array for it, sequential reads)
//!   was no measurable gain either, and id order keeps each work's frames contiguous for
//!   [`HammingIndex::search_range`].
//! - the search runs in stages (bucket bounds of every probe, then positions, then hashes)
//!   with software prefetch, so that its random reads overlap instead of waiting on each
//!   other, and the arrays ask for transparent huge pages (fewer TLB misses): about 1.8x
//!   together at radius 31.
//!
//! **Large radii.** When the probes and candidates would cost more than a scan of every hash
//! (decided from the actual bucket sizes, so clustered data is handled too), the search goes
//! through the balls of [`super::clusters`] when the hashes form them (a video catalogue's
//! do), else it scans the hashes: same results, bounded cost.

use super::linear::scan_block_dispatch;
use super::prefetch;
use super::{HammingIndex, Hit};
use crate::hash::Hash256;
use memory::{advise_huge_pages, counting_sort};
use rayon::prelude::*;
use std::ops::Range;

mod memory;

/// Substrings of the published PDQ layout (16 x 16 bits, as in Meta's HMA).
pub const SUBSTRINGS: usize = 16;

/// Widest substring supported (the offsets array of a table has `2^width + 1` entries).
pub const MAX_WIDTH: u32 = 24;

/// Cost of one probe (bucket bounds + positions: two random reads), in units of one
/// sequential hash compare of the scan (measured at 10 M hashes).
const PROBE_COST: f64 = 32.0;
/// Cost of checking one candidate (a random read), same unit.
const CANDIDATE_COST: f64 = 16.0;
/// Probe masks cached per substring width (the probe balls of radius up to ~4–6).
const MAX_MASKS: f64 = 65536.0;
/// Prefetch distance of the position reads, in buckets.
const PREFETCH_BUCKETS: usize = 8;
/// Prefetch distance of the hash reads, in candidates.
const PREFETCH_HASHES: usize = 16;

/// How the 256 bits are cut into substrings, widest first: contiguous runs of bits, or
/// strided (substring `t` of `m` takes bits `t, t + m, t + 2m, ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MihLayout {
    widths: Vec<u32>,
    strided: bool,
}

impl MihLayout {
    /// `m` substrings whose widths differ by at most one bit (`m` in 11..=256, so that no
    /// substring is wider than [`MAX_WIDTH`]).
    pub fn uniform(m: usize) -> MihLayout {
        let m = m.clamp(11, 256);
        let base = 256 / m as u32;
        let wider = 256 % m;
        let widths = (0..m).map(|i| base + u32::from(i < wider)).collect();
        MihLayout {
            widths,
            strided: false,
        }
    }

    /// Takes substring `t` from bits `t, t + m, t + 2m, ...` instead of a contiguous run (same
    /// widths). PDQ bits are DCT coefficients in row order, and neighbouring ones are
    /// correlated: on real frame hashes, strided substrings put fewer hashes in the same
    /// bucket (see the module notes).
    pub fn strided(mut self, strided: bool) -> MihLayout {
        self.strided = strided;
        self
    }

    /// True when the substrings are strided.
    pub fn is_strided(&self) -> bool {
        self.strided
    }

    /// Norouzi's rule `m = ceil(256 / log2(n))`, clamped to 12..=16 substrings: 16 x 16 bits up
    /// to about 100 k hashes, 13 substrings at 1 M, 12 substrings of 21–22 bits at 10 M;
    /// strided below 16 substrings (measured on real frame hashes: fewer candidates with 12–15
    /// substrings, slightly more with 16).
    pub fn for_len(n: usize) -> MihLayout {
        let log2 = (n.max(2) as f64).log2();
        let m = ((256.0 / log2).ceil() as usize).clamp(12, SUBSTRINGS);
        MihLayout::uniform(m).strided(m < SUBSTRINGS)
    }

    /// Number of substrings.
    pub fn substrings(&self) -> usize {
        self.widths.len()
    }

    /// Width of each substring, bits.
    pub fn widths(&self) -> &[u32] {
        &self.widths
    }
}

/// One substring's table.
struct Table {
    /// First bit of the substring.
    start: u32,
    /// Distance between its bits: 1 (contiguous) or the number of substrings (strided).
    stride: u32,
    /// Width, bits.
    width: u32,
    /// Strided: how to gather the substring's bits from each word of the hash.
    gather: Vec<Gather>,
    /// `positions[offsets[v]..offsets[v + 1]]` hold the hashes whose substring equals `v`.
    offsets: Vec<u32>,
    /// Ids (positions in the hashes), grouped by bucket, ascending inside a bucket.
    positions: Vec<u32>,
}

impl Table {
    #[inline]
    fn key(&self, h: &Hash256) -> u32 {
        if self.stride == 1 {
            substring(h, self.start, self.width)
        } else {
            self.gather
                .iter()
                .fold(0, |key, g| key | g.apply(h.0[g.word]))
        }
    }
}

/// Gathers the bits of one word that belong to a strided substring (`count` bits, `stride`
/// apart from `first`) into consecutive key bits from `offset`, with one multiplication: bit
/// `i` at `first + stride·i` is shifted by `shift − first − i·(stride − 1)` to `shift + i`. The
/// partial products of other pairs land on distinct positions outside that window (they are
/// `(i − i')·(stride − 1)` away, and `stride − 1 ≥ count`), so nothing carries into it.
#[derive(Debug, Clone, Copy)]
struct Gather {
    word: usize,
    mask: u64,
    magic: u128,
    shift: u32,
    count: u32,
    offset: u32,
}

impl Gather {
    /// The gathers of the substring `start, start + stride, ...` (`width` bits).
    fn for_substring(start: u32, stride: u32, width: u32) -> Vec<Gather> {
        let mut out: Vec<Gather> = Vec::new();
        for j in 0..width {
            let b = start + stride * j;
            let (word, bit) = ((b / 64) as usize, b % 64);
            match out.last_mut() {
                Some(g) if g.word == word => {
                    g.mask |= 1 << bit;
                    g.count += 1;
                }
                _ => out.push(Gather {
                    word,
                    mask: 1 << bit,
                    magic: 0,
                    shift: bit,
                    count: 1,
                    offset: j,
                }),
            }
        }
        for g in &mut out {
            assert!(
                g.count == 1 || stride > g.count,
                "stride too small to gather"
            );
            let first = g.shift;
            let span = (g.count - 1) * (stride - 1);
            g.shift = first + span;
            g.magic = (0..g.count)
                .map(|i| 1u128 << (span - i * (stride - 1)))
                .sum();
        }
        out
    }

    #[inline]
    fn apply(&self, word: u64) -> u32 {
        let gathered = ((word & self.mask) as u128 * self.magic) >> self.shift;
        ((gathered as u32) & ((1u32 << self.count) - 1)) << self.offset
    }
}

/// Bits `start, start + stride, ...` of `h` (`width` of them, ≤ 32), one by one.
#[cfg(test)]
fn strided_substring(h: &Hash256, start: u32, stride: u32, width: u32) -> u32 {
    let mut v = 0u32;
    let mut b = start;
    for j in 0..width {
        v |= (((h.0[(b / 64) as usize] >> (b % 64)) & 1) as u32) << j;
        b += stride;
    }
    v
}

/// Bits `start..start + width` of `h` (`width` ≤ 32).
#[inline]
fn substring(h: &Hash256, start: u32, width: u32) -> u32 {
    let word = (start / 64) as usize;
    let bit = start % 64;
    let mut v = h.0[word] >> bit;
    if bit + width > 64 && word + 1 < 4 {
        v |= h.0[word + 1] << (64 - bit);
    }
    (v & ((1u64 << width) - 1)) as u32
}

/// Every `width`-bit mask with at most `max_weight` bits set, by increasing weight: the first
/// `ball_size(width, r)` of them are the probe ball of radius `r`.
struct Masks {
    width: u32,
    max_weight: u32,
    masks: Vec<u32>,
}

impl Masks {
    fn new(width: u32) -> Masks {
        let mut max_weight = 0;
        while max_weight < width && ball_size(width, max_weight + 1) <= MAX_MASKS {
            max_weight += 1;
        }
        let mut masks = Vec::with_capacity(ball_size(width, max_weight) as usize);
        for_each_neighbour(0, width, max_weight, &mut |m| masks.push(m));
        masks.sort_by_key(|m| (m.count_ones(), *m));
        Masks {
            width,
            max_weight,
            masks,
        }
    }
}

/// The multi-index hash tables and the hashes themselves.
pub struct MihIndex {
    /// The hashes, in id order.
    hashes: Vec<Hash256>,
    tables: Vec<Table>,
    masks: Vec<Masks>,
    scan_fallback: bool,
    /// The hashes laid out for the blocked scan, made the first time a search falls back to it.
    columns: super::linear::ColumnCache,
    /// Balls over the hashes for the searches too wide for the tables, made on the first one.
    balls: super::clusters::ClusterCache,
}

/// Number of values within `radius` bits of a `width`-bit value.
fn ball_size(width: u32, radius: u32) -> f64 {
    let mut total = 0.0;
    let mut c = 1.0;
    for k in 0..=radius.min(width) {
        total += c;
        c = c * (width - k) as f64 / (k + 1) as f64;
    }
    total
}

/// Calls `f` with every `width`-bit value within `radius` bits of `v` (each once).
fn for_each_neighbour(v: u32, width: u32, radius: u32, f: &mut impl FnMut(u32)) {
    fn rec(v: u32, start: u32, width: u32, left: u32, f: &mut impl FnMut(u32)) {
        for bit in start..width {
            let n = v ^ (1 << bit);
            f(n);
            if left > 1 {
                rec(n, bit + 1, width, left - 1, f);
            }
        }
    }
    f(v);
    if radius > 0 {
        rec(v, 0, width, radius.min(width), f);
    }
}

impl MihIndex {
    /// Builds the tables over `hashes` (ids are positions in `hashes`) with the layout of
    /// [`MihLayout::for_len`].
    pub fn new(hashes: Vec<Hash256>) -> Self {
        let layout = MihLayout::for_len(hashes.len());
        MihIndex::with_layout(hashes, &layout)
    }

    /// Builds the tables with an explicit layout, in parallel (rayon). The hashes are first
    /// copied into huge-page memory (the given vector is freed before the tables are built);
    /// besides the index, each table under construction needs two `u32` per hash.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` hashes, or the layout does not cover 256 bits.
    pub fn with_layout(hashes: Vec<Hash256>, layout: &MihLayout) -> Self {
        let n = hashes.len();
        assert!(n <= u32::MAX as usize, "too many hashes for u32 ids");
        assert_eq!(
            layout.widths.iter().sum::<u32>(),
            256,
            "layout must cover 256 bits"
        );
        assert!(layout.widths.iter().all(|&w| (1..=MAX_WIDTH).contains(&w)));
        let hashes = {
            let mut copy = Vec::with_capacity(n);
            advise_huge_pages(&mut copy);
            copy.extend_from_slice(&hashes);
            drop(hashes);
            copy
        };
        let m = layout.widths.len() as u32;
        let mut shapes = Vec::with_capacity(layout.widths.len());
        let mut start = 0;
        for (t, &width) in layout.widths.iter().enumerate() {
            shapes.push(if layout.strided {
                (t as u32, m, width)
            } else {
                (start, 1, width)
            });
            start += width;
        }
        let hashes_ref = &hashes;
        let tables: Vec<Table> = shapes
            .into_par_iter()
            .map(|(start, stride, width)| {
                let mut table = Table {
                    start,
                    stride,
                    width,
                    gather: if stride > 1 {
                        Gather::for_substring(start, stride, width)
                    } else {
                        Vec::new()
                    },
                    offsets: Vec::new(),
                    positions: Vec::new(),
                };
                let keys: Vec<u32> = hashes_ref.iter().map(|h| table.key(h)).collect();
                (table.offsets, table.positions) = counting_sort(keys, width);
                table
            })
            .collect();
        let mut widths: Vec<u32> = layout.widths.clone();
        widths.sort_unstable();
        widths.dedup();
        let masks = widths.into_iter().map(Masks::new).collect();
        MihIndex {
            hashes,
            tables,
            masks,
            scan_fallback: true,
            columns: Default::default(),
            balls: Default::default(),
        }
    }

    /// Turns off (or on) the scan of every hash when it is estimated cheaper than probing, so
    /// that tests and benchmarks exercise the tables at any size and radius. Results are the
    /// same either way.
    pub fn with_scan_fallback(mut self, on: bool) -> Self {
        self.scan_fallback = on;
        self
    }

    /// The layout in use.
    pub fn layout(&self) -> MihLayout {
        MihLayout {
            widths: self.tables.iter().map(|t| t.width).collect(),
            strided: self.tables.iter().any(|t| t.stride > 1),
        }
    }

    /// The indexed hash with this id.
    pub fn hash(&self, id: u32) -> Option<&Hash256> {
        self.hashes.get(id as usize)
    }

    /// Probe radius of each table for a search at `radius` (`None`: table not probed).
    fn probe_radii(&self, radius: u32) -> Vec<Option<u32>> {
        let m = self.tables.len() as u32;
        let (r1, a) = (radius / m, radius % m);
        (0..m)
            .map(|t| if t <= a { Some(r1) } else { r1.checked_sub(1) })
            .collect()
    }

    /// The cached probe masks of a `width`-bit table at `radius`, if cached.
    fn masks(&self, width: u32, radius: u32) -> Option<&[u32]> {
        let m = self.masks.iter().find(|m| m.width == width)?;
        (radius <= m.max_weight).then(|| &m.masks[..ball_size(width, radius) as usize])
    }

    /// Estimated cost of a search at `radius` for uniformly spread hashes, in units of one
    /// compare of the scan; the scan costs `len()`.
    fn estimated_cost(&self, radius: u32) -> f64 {
        let n = self.hashes.len() as f64;
        self.tables
            .iter()
            .zip(self.probe_radii(radius))
            .filter_map(|(t, r)| {
                let probes = ball_size(t.width, r?);
                Some(probes * (PROBE_COST + n / (1u64 << t.width) as f64 * CANDIDATE_COST))
            })
            .sum()
    }

    /// Stage 1 of a search: the bucket bounds `(start, end)` of every probe, table after table
    /// (`table_ends[t]` is the end of table `t`'s probes in `ranges`). Returns false, doing
    /// nothing, when the probes alone would cost more than a scan.
    fn probe(
        &self,
        query: &Hash256,
        radius: u32,
        ranges: &mut Vec<(u32, u32)>,
        table_ends: &mut Vec<usize>,
    ) -> bool {
        let radii = self.probe_radii(radius);
        let probes: f64 = self
            .tables
            .iter()
            .zip(&radii)
            .filter_map(|(t, r)| r.map(|r| ball_size(t.width, r)))
            .sum();
        if self.scan_fallback && probes * PROBE_COST > self.hashes.len() as f64 {
            return false;
        }
        ranges.reserve(probes as usize);
        for (table, r) in self.tables.iter().zip(&radii) {
            if let Some(r) = *r {
                let key = table.key(query);
                let bounds = |v: u32| {
                    let v = v as usize;
                    (table.offsets[v], table.offsets[v + 1])
                };
                match self.masks(table.width, r) {
                    Some(masks) => ranges.extend(masks.iter().map(|m| bounds(key ^ m))),
                    None => {
                        for_each_neighbour(key, table.width, r, &mut |v| ranges.push(bounds(v)))
                    }
                }
            }
            table_ends.push(ranges.len());
        }
        true
    }

    /// The work a search at `radius` does: `(buckets probed, candidates checked)`, or `None`
    /// when it scans every hash instead.
    pub fn search_cost(&self, query: &Hash256, radius: u32) -> Option<(usize, usize)> {
        let (mut ranges, mut table_ends) = (Vec::new(), Vec::new());
        if !self.probe(query, radius, &mut ranges, &mut table_ends) {
            return None;
        }
        let total: usize = ranges.iter().map(|&(a, b)| (b - a) as usize).sum();
        let cost = ranges.len() as f64 * PROBE_COST + total as f64 * CANDIDATE_COST;
        (!self.scan_fallback || cost <= self.hashes.len() as f64).then_some((ranges.len(), total))
    }

    /// A search too wide for the tables: through the balls of [`super::clusters`] when the
    /// hashes form them, else a scan of every hash.
    fn search_wide(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        match self.balls.get(&self.hashes) {
            Some(balls) => balls.search(&self.hashes, query, radius, out),
            None => scan_block_dispatch(query, &self.hashes, 0, radius, out),
        }
    }

    /// Exact search; hits are appended to `out` in id order, each once.
    ///
    /// Runs in stages so that the random reads of one stage do not wait for each other (each
    /// costs ~100 ns; the processor overlaps about ten independent ones, prefetch helps it):
    /// the bucket bounds of every probe of every table, then the positions of every bucket,
    /// then the hashes.
    fn search_tables(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        let (mut ranges, mut table_ends) = (Vec::new(), Vec::new());
        if !self.probe(query, radius, &mut ranges, &mut table_ends) {
            self.search_wide(query, radius, out);
            return;
        }
        let total: usize = ranges.iter().map(|&(a, b)| (b - a) as usize).sum();
        let cost = ranges.len() as f64 * PROBE_COST + total as f64 * CANDIDATE_COST;
        if self.scan_fallback && cost > self.hashes.len() as f64 {
            self.search_wide(query, radius, out);
            return;
        }
        // Stage 2: the positions of every bucket.
        let mut candidates: Vec<u32> = Vec::with_capacity(total);
        let mut begin = 0;
        for (table, &end) in self.tables.iter().zip(&table_ends) {
            let table_ranges = &ranges[begin..end];
            for (i, &(a, b)) in table_ranges.iter().enumerate() {
                if let Some(&(ahead, _)) = table_ranges.get(i + PREFETCH_BUCKETS) {
                    prefetch(table.positions.as_ptr().wrapping_add(ahead as usize));
                }
                candidates.extend_from_slice(&table.positions[a as usize..b as usize]);
            }
            begin = end;
        }
        // Stage 3: the hashes.
        let from = out.len();
        for (i, &id) in candidates.iter().enumerate() {
            if let Some(&ahead) = candidates.get(i + PREFETCH_HASHES) {
                prefetch(self.hashes.as_ptr().wrapping_add(ahead as usize));
            }
            let d = query.distance(&self.hashes[id as usize]);
            if d <= radius {
                out.push(Hit { id, distance: d });
            }
        }
        // A hash near the query is a candidate in several tables: keep one hit per id.
        super::sort_and_dedup_hits(out, from);
    }
}

impl HammingIndex for MihIndex {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn search(&self, query: &Hash256, radius: u32, out: &mut Vec<Hit>) {
        self.search_tables(query, radius, out);
    }

    /// Parallel over the queries (rayon). When the tables would cost more than a scan (large
    /// radius), the balls of [`super::clusters`] serve the queries, or, over hashes without
    /// that structure, one blocked scan serves them all.
    fn search_many(&self, queries: &[Hash256], radius: u32, out: &mut [Vec<Hit>]) {
        assert!(out.len() >= queries.len(), "one output per query");
        if self.scan_fallback && self.estimated_cost(radius) > self.hashes.len() as f64 {
            match self.balls.get(&self.hashes) {
                Some(balls) => balls.search_many(&self.hashes, queries, radius, out),
                None => super::linear::scan_many(&self.hashes, &self.columns, queries, radius, out),
            }
            return;
        }
        queries
            .par_iter()
            .zip(out.par_iter_mut())
            .with_min_len(4)
            .for_each(|(q, hits)| self.search_tables(q, radius, hits));
    }

    fn search_range(&self, query: &Hash256, radius: u32, ids: Range<u32>, out: &mut Vec<Hit>) {
        let end = (ids.end as usize).min(self.hashes.len());
        let start = (ids.start as usize).min(end);
        scan_block_dispatch(query, &self.hashes[start..end], start, radius, out);
    }

    fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<Hash256>()
            + self
                .tables
                .iter()
                .map(|t| (t.offsets.capacity() + t.positions.capacity()) * 4)
                .sum::<usize>()
            + self
                .masks
                .iter()
                .map(|m| m.masks.capacity() * 4)
                .sum::<usize>()
            + self.balls.memory_bytes()
    }
}

#[cfg(test)]
mod tests;

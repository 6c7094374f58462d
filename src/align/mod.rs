//! Temporal alignment: turns frame-level candidates into matched segments with time ranges.
//!
//! A copy of an excerpt puts its candidates on a line `r_ms = speed · q_ms + offset_ms`.
//! [`align`] votes over (speed, offset) — speeds from 0.5 to 2 on a geometric grid, offsets in
//! bins — takes the strongest line, fits it by least squares, splits it where the query has a
//! long gap, reports each run as a [`Segment`], removes the query time it explains and looks
//! for the next line (compilations, repeated excerpts). A bag of frames cannot give time
//! ranges; this can.

mod held;
mod line;
pub mod placement;

use serde::Serialize;

/// One (query frame, reference frame) pair within the search radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Query frame time, ms.
    pub q_ms: i64,
    /// Reference frame time, ms.
    pub r_ms: i64,
    /// Hamming distance, bits.
    pub distance: u32,
}

/// A matched span: query `[q_start_ms, q_end_ms]` ↔ reference `[r_start_ms, r_end_ms]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Start in the query, ms.
    pub q_start_ms: i64,
    /// End in the query, ms.
    pub q_end_ms: i64,
    /// Start in the reference, ms.
    pub r_start_ms: i64,
    /// End in the reference, ms.
    pub r_end_ms: i64,
    /// Reference seconds per query second (1.25 for a copy sped up 1.25x); 0 when the
    /// reference is a still image.
    pub speed: f64,
    /// `r_ms - speed · q_ms`, ms.
    pub offset_ms: f64,
    /// Query frames on the line.
    pub matched_frames: u32,
    /// Mean Hamming distance of those frames' best pairs, bits.
    pub mean_distance: f64,
}

impl Segment {
    /// Query duration covered, ms.
    pub fn query_duration_ms(&self) -> i64 {
        self.q_end_ms - self.q_start_ms
    }
}

/// Alignment settings. Defaults suit references sampled every 200 ms and queries every 250 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignParams {
    /// Slowest speed considered (default 0.5).
    pub min_speed: f64,
    /// Fastest speed considered (default 2.0).
    pub max_speed: f64,
    /// Offset bin width of the vote, ms (default 300).
    pub offset_bin_ms: f64,
    /// Largest distance of a pair from the line to count as on it, ms (default 450).
    pub tolerance_ms: f64,
    /// A query gap longer than this splits a segment, ms (default 3000).
    pub max_gap_ms: i64,
    /// Fewest query frames for a segment (default 2).
    pub min_frames: u32,
    /// Most segments per (work, orientation) (default 8).
    pub max_segments: usize,
    /// Query sampling interval, ms: each matched frame stands for this much time (default 250).
    pub query_interval_ms: i64,
    /// Query duration, ms: segment ends are clamped to it (0 = unknown).
    pub query_duration_ms: i64,
    /// Reference duration, ms: reference ends are clamped to it (0 = unknown).
    pub reference_duration_ms: i64,
}

impl Default for AlignParams {
    fn default() -> Self {
        AlignParams {
            min_speed: 0.5,
            max_speed: 2.0,
            offset_bin_ms: 300.0,
            tolerance_ms: 450.0,
            max_gap_ms: 3000,
            min_frames: 2,
            max_segments: 8,
            query_interval_ms: 250,
            query_duration_ms: 0,
            reference_duration_ms: 0,
        }
    }
}

/// Aligns candidates between one query and one video reference (one orientation).
/// Returns segments, strongest first.
pub fn align(candidates: &[Candidate], params: &AlignParams) -> Vec<Segment> {
    line::align_lines(candidates, params)
}

/// Aligns a video query with a still-image reference: runs of consecutive matching query
/// frames (gaps up to `max_gap_ms`) become segments with reference range `[0, 0]`, speed 0.
pub fn align_still(candidates: &[Candidate], params: &AlignParams) -> Vec<Segment> {
    let mut best: std::collections::BTreeMap<i64, u32> = std::collections::BTreeMap::new();
    for c in candidates {
        let e = best.entry(c.q_ms).or_insert(c.distance);
        *e = (*e).min(c.distance);
    }
    let mut segments = Vec::new();
    let mut run: Vec<(i64, u32)> = Vec::new();
    let flush = |run: &mut Vec<(i64, u32)>, segments: &mut Vec<Segment>| {
        if !run.is_empty() {
            let sum: u32 = run.iter().map(|r| r.1).sum();
            let q_end = run.last().map(|r| r.0).unwrap_or(0) + params.query_interval_ms;
            segments.push(Segment {
                q_start_ms: run[0].0,
                q_end_ms: clamp_end(q_end, params.query_duration_ms),
                r_start_ms: 0,
                r_end_ms: 0,
                speed: 0.0,
                offset_ms: 0.0,
                matched_frames: run.len() as u32,
                mean_distance: sum as f64 / run.len() as f64,
            });
        }
        run.clear();
    };
    for (q, d) in best {
        if let Some(last) = run.last() {
            if q - last.0 > params.max_gap_ms {
                flush(&mut run, &mut segments);
            }
        }
        run.push((q, d));
    }
    flush(&mut run, &mut segments);
    segments.sort_by_key(|s| std::cmp::Reverse(s.matched_frames));
    segments
}

/// Clamps an end time to a known duration (0 = unknown).
fn clamp_end(t: i64, duration: i64) -> i64 {
    if duration > 0 {
        t.min(duration)
    } else {
        t
    }
}

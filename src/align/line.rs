//! Line finding for [`super::align`]: Hough-style voting over (speed, offset), least-squares
//! refinement, gap splitting.

use super::{clamp_end, AlignParams, Candidate, Segment};
use std::collections::HashMap;

/// Speeds voted over: a geometric grid from `min` to `max` with 2 % steps, always with 1.0.
fn speed_grid(min: f64, max: f64) -> Vec<f64> {
    let mut speeds = vec![1.0];
    let step: f64 = 1.02;
    let mut s = step;
    while s <= max + 1e-9 {
        speeds.push(s);
        s *= step;
    }
    let mut s = 1.0 / step;
    while s >= min - 1e-9 {
        speeds.push(s);
        s /= step;
    }
    speeds
}

/// A candidate line: (speed, offset in ms, votes = distinct query frames on it, weight = sum
/// of `1 - distance / 256` over those votes).
type Line = (f64, f64, u32, f64);

/// Share of the best line's votes within which a line of clearly closer pairs wins: in a still
/// scene lines of many speeds gather about as many frames, and the true one pairs the nearest
/// hashes.
const CLOSER_PAIRS_MARGIN: f64 = 0.1;

/// How much closer (mean Hamming distance, bits of 256) such a line's pairs must be.
const CLOSER_PAIRS_BITS: f64 = 3.0;

/// Fewest votes of the leading line for closer pairs to overrule it: a still scene held for
/// two seconds at the upload sampling rate; over a few frames (a short animation) the mean
/// distance says too little.
const CLOSER_PAIRS_MIN_VOTES: u32 = 8;

/// Share of the chosen line's votes within which the speed-1 line is as good.
const UNTOLD_SPEED_MARGIN: f64 = 0.05;

/// Mean distance (bits of 256) within which the speed-1 line's pairs are as close.
const UNTOLD_SPEED_BITS: f64 = 1.0;

/// The best (speed, offset) line by distinct query frames voting for it (ties: closer pairs),
/// unless it has [`CLOSER_PAIRS_MIN_VOTES`] or more and a line within [`CLOSER_PAIRS_MARGIN`]
/// of its votes pairs hashes closer by more than [`CLOSER_PAIRS_BITS`] on average: then the
/// closest such line. When the speed-1 line has within [`UNTOLD_SPEED_MARGIN`] of that line's
/// votes and pairs within [`UNTOLD_SPEED_BITS`] as close, the speed-1 line.
fn vote(cands: &[Candidate], params: &AlignParams, speeds: &[f64]) -> Option<(f64, f64, u32)> {
    let mut scratch = HashMap::new();
    let per_speed: Vec<Line> = speeds
        .iter()
        .filter_map(|&s| vote_at(cands, params, s, &mut scratch))
        .collect();
    let mean_distance = |v: &Line| 256.0 * (1.0 - v.3 / v.2.max(1) as f64);
    // Most votes, then closer pairs; on a full tie the first speed of the grid (1x first).
    let most = per_speed.iter().copied().reduce(|best, v| {
        if v.2 > best.2 || (v.2 == best.2 && v.3 > best.3 + 1e-9) {
            v
        } else {
            best
        }
    })?;
    let floor = most.2 as f64 * (1.0 - CLOSER_PAIRS_MARGIN);
    let closest = per_speed
        .iter()
        .copied()
        .filter(|v| v.2 as f64 >= floor)
        .min_by(|a, b| mean_distance(a).total_cmp(&mean_distance(b)))?;
    let chosen = if most.2 >= CLOSER_PAIRS_MIN_VOTES
        && mean_distance(&closest) + CLOSER_PAIRS_BITS < mean_distance(&most)
    {
        closest
    } else {
        most
    };
    // A scene that hardly moves fits lines of every speed about equally: what the frames
    // cannot tell apart is taken at speed 1 (the grid's first), the speed of most copies.
    let plain = per_speed.first().copied().filter(|v| v.0 == 1.0);
    if let Some(plain) = plain.filter(|p| {
        p.2 as f64 >= chosen.2 as f64 * (1.0 - UNTOLD_SPEED_MARGIN)
            && mean_distance(p) <= mean_distance(&chosen) + UNTOLD_SPEED_BITS
    }) {
        return Some((plain.0, plain.1, plain.2));
    }
    Some((chosen.0, chosen.1, chosen.2))
}

/// The best line of speed `s`: (speed, offset, votes, weight); `votes` is scratch memory
/// reused from one speed to the next.
fn vote_at(
    cands: &[Candidate],
    params: &AlignParams,
    s: f64,
    votes: &mut HashMap<i64, (u32, f64, i64)>,
) -> Option<Line> {
    let bin = params.offset_bin_ms;
    votes.clear();
    let mut keyed: Vec<(i64, i64, u32)> = cands
        .iter()
        .map(|c| {
            (
                ((c.r_ms as f64 - s * c.q_ms as f64) / bin).floor() as i64,
                c.q_ms,
                c.distance,
            )
        })
        .collect();
    keyed.sort_unstable();
    keyed.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    // Each (bin, query frame) votes for its bin and the next, so a line near a bin edge is not
    // split between two bins.
    for &(b, q, d) in &keyed {
        for key in [b, b + 1] {
            let e = votes.entry(key).or_insert((0, 0.0, i64::MIN));
            if e.2 != q {
                e.0 += 1;
                e.1 += 1.0 - d as f64 / 256.0;
                e.2 = q;
            }
        }
    }
    // Most votes, then most weight; on a full tie (a line inside one bin votes for it and the
    // next alike) the lower bin, whatever the map's iteration order, so that a run gives the
    // same result every time.
    let mut best: Option<(i64, u32, f64)> = None;
    for (&key, &(count, weight, _)) in votes.iter() {
        let better = match best {
            None => true,
            Some((k, c, w)) => {
                count > c
                    || (count == c && weight > w + 1e-9)
                    || (count == c && (weight - w).abs() <= 1e-9 && key < k)
            }
        };
        if better {
            best = Some((key, count, weight));
        }
    }
    // Window [key-1, key+1) bins: centre at key * bin.
    best.map(|(key, count, weight)| (s, key as f64 * bin, count, weight))
}

/// Per query frame, the candidate closest to the line (within tolerance).
fn inliers(cands: &[Candidate], speed: f64, offset: f64, tol: f64) -> Vec<Candidate> {
    let mut by_q: HashMap<i64, (f64, Candidate)> = HashMap::new();
    for c in cands {
        let err = (c.r_ms as f64 - (speed * c.q_ms as f64 + offset)).abs();
        if err <= tol {
            let e = by_q.entry(c.q_ms).or_insert((f64::MAX, *c));
            let key = err + c.distance as f64 * 10.0;
            if key < e.0 {
                *e = (key, *c);
            }
        }
    }
    let mut v: Vec<Candidate> = by_q.into_values().map(|(_, c)| c).collect();
    v.sort_by_key(|c| c.q_ms);
    v
}

/// Least-squares fit of r = speed · q + offset; keeps the grid speed when the span is short.
fn fit(points: &[Candidate], speed: f64, params: &AlignParams) -> (f64, f64) {
    let n = points.len() as f64;
    let span =
        points.last().map(|p| p.q_ms).unwrap_or(0) - points.first().map(|p| p.q_ms).unwrap_or(0);
    let mean_q = points.iter().map(|p| p.q_ms as f64).sum::<f64>() / n;
    let mean_r = points.iter().map(|p| p.r_ms as f64).sum::<f64>() / n;
    let mut s = speed;
    if points.len() >= 4 && span >= 2000 {
        let sqq: f64 = points
            .iter()
            .map(|p| (p.q_ms as f64 - mean_q).powi(2))
            .sum();
        let sqr: f64 = points
            .iter()
            .map(|p| (p.q_ms as f64 - mean_q) * (p.r_ms as f64 - mean_r))
            .sum();
        if sqq > 0.0 {
            s = (sqr / sqq).clamp(params.min_speed, params.max_speed);
        }
    }
    (s, mean_r - s * mean_q)
}

pub(super) fn align_lines(candidates: &[Candidate], params: &AlignParams) -> Vec<Segment> {
    let speeds = speed_grid(params.min_speed, params.max_speed);
    let mut remaining: Vec<Candidate> = candidates.to_vec();
    let mut segments = Vec::new();
    while segments.len() < params.max_segments {
        let Some((speed, offset, votes)) = vote(&remaining, params, &speeds) else {
            break;
        };
        if votes < params.min_frames {
            break;
        }
        let first = inliers(
            &remaining,
            speed,
            offset,
            params.tolerance_ms + params.offset_bin_ms,
        );
        if (first.len() as u32) < params.min_frames {
            break;
        }
        let (speed, offset) = fit(&first, speed, params);
        let points = inliers(&remaining, speed, offset, params.tolerance_ms);
        let mut found = Vec::new();
        for run in split_runs(&points, params.max_gap_ms) {
            if (run.len() as u32) >= params.min_frames {
                found.push(segment_of(run, speed, offset, params));
            }
        }
        if found.is_empty() {
            // The strongest line is only scattered frames: drop its points and go on.
            let used: Vec<i64> = points.iter().map(|p| p.q_ms).collect();
            remaining.retain(|c| !used.contains(&c.q_ms));
            if points.is_empty() {
                break;
            }
            continue;
        }
        for seg in &found {
            remaining.retain(|c| c.q_ms < seg.q_start_ms || c.q_ms >= seg.q_end_ms);
        }
        segments.extend(found);
    }
    let segments = join_across_weak_wedges(segments, params);
    let mut segments = super::held::merge_held_pictures(segments, params);
    segments.sort_by_key(|s| std::cmp::Reverse(s.matched_frames));
    segments
}

/// How much farther apart (mean Hamming distance, bits of 256) the pairs of every segment
/// wedged between two parts of one line must be than those of both parts for the parts to be
/// joined across them.
const WEDGE_WORSE_BITS: f64 = 10.0;

/// Longest query gap, ms, joined across weak wedges.
const MAX_JOINED_GAP_MS: i64 = 10_000;

/// Joins two segments on one line (speeds within 2 %, the first's line passing within
/// `tolerance_ms` of the second's start) when the query time between them holds only
/// segments of other lines whose pairs are [`WEDGE_WORSE_BITS`] farther apart than both
/// parts': the wedged frames belong to the same copy, matched poorly (fast motion falling
/// between the reference's samples) and taken by a chance line. A gap with nothing in it, or
/// with a segment that matches well (a compilation cutting to another scene), stays split.
fn join_across_weak_wedges(mut segments: Vec<Segment>, params: &AlignParams) -> Vec<Segment> {
    'again: loop {
        segments.sort_by_key(|s| (s.q_start_ms, s.q_end_ms));
        for i in 0..segments.len() {
            for j in i + 1..segments.len() {
                let (a, b) = (&segments[i], &segments[j]);
                let gap = b.q_start_ms - a.q_end_ms;
                let same_line = (a.speed / b.speed - 1.0).abs() <= 0.02
                    && (a.speed * b.q_start_ms as f64 + a.offset_ms
                        - (b.speed * b.q_start_ms as f64 + b.offset_ms))
                        .abs()
                        <= params.tolerance_ms;
                if gap <= 0 || gap > MAX_JOINED_GAP_MS || !same_line {
                    continue;
                }
                let worst_part = a.mean_distance.max(b.mean_distance);
                let wedged: Vec<usize> = (0..segments.len())
                    .filter(|&k| k != i && k != j)
                    .filter(|&k| {
                        segments[k].q_end_ms > a.q_end_ms && segments[k].q_start_ms < b.q_start_ms
                    })
                    .collect();
                let weak = |k: &usize| {
                    let w = &segments[*k];
                    w.q_start_ms >= a.q_end_ms - params.query_interval_ms
                        && w.q_end_ms <= b.q_start_ms + params.query_interval_ms
                        && w.mean_distance >= worst_part + WEDGE_WORSE_BITS
                };
                if wedged.is_empty() || !wedged.iter().all(weak) {
                    continue;
                }
                let frames = a.matched_frames + b.matched_frames;
                let line = if a.matched_frames >= b.matched_frames {
                    a
                } else {
                    b
                };
                let (speed, offset) = (line.speed, line.offset_ms);
                let r_at = |q: i64| (speed * q as f64 + offset).round() as i64;
                let r_start = r_at(a.q_start_ms).max(0);
                let joined = Segment {
                    q_start_ms: a.q_start_ms,
                    q_end_ms: b.q_end_ms,
                    r_start_ms: r_start,
                    r_end_ms: clamp_end(r_at(b.q_end_ms), params.reference_duration_ms)
                        .max(r_start),
                    speed,
                    offset_ms: offset,
                    matched_frames: frames,
                    mean_distance: (a.mean_distance * a.matched_frames as f64
                        + b.mean_distance * b.matched_frames as f64)
                        / frames as f64,
                };
                let mut gone = wedged;
                gone.extend([i, j]);
                let mut k = 0;
                segments.retain(|_| {
                    k += 1;
                    !gone.contains(&(k - 1))
                });
                segments.push(joined);
                continue 'again;
            }
        }
        return segments;
    }
}

fn split_runs(points: &[Candidate], max_gap: i64) -> Vec<&[Candidate]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=points.len() {
        if i == points.len() || points[i].q_ms - points[i - 1].q_ms > max_gap {
            if i > start {
                runs.push(&points[start..i]);
            }
            start = i;
        }
    }
    runs
}

fn segment_of(run: &[Candidate], speed: f64, offset: f64, params: &AlignParams) -> Segment {
    let q_start = run[0].q_ms;
    let q_end = clamp_end(
        run[run.len() - 1].q_ms + params.query_interval_ms,
        params.query_duration_ms,
    );
    let r_at = |q: i64| (speed * q as f64 + offset).round() as i64;
    let r_start = r_at(q_start).max(0);
    let r_end = clamp_end(r_at(q_end), params.reference_duration_ms).max(r_start);
    Segment {
        q_start_ms: q_start,
        q_end_ms: q_end.max(q_start),
        r_start_ms: r_start,
        r_end_ms: r_end,
        speed,
        offset_ms: offset,
        matched_frames: run.len() as u32,
        mean_distance: run.iter().map(|c| c.distance as f64).sum::<f64>() / run.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q0: i64, n: i64, step: i64, speed: f64, offset: f64) -> Vec<Candidate> {
        (0..n)
            .map(|i| {
                let q = q0 + i * step;
                Candidate {
                    q_ms: q,
                    r_ms: (speed * q as f64 + offset) as i64,
                    distance: 10,
                }
            })
            .collect()
    }

    fn segment(q: (i64, i64), offset: f64, frames: u32, distance: f64) -> Segment {
        Segment {
            q_start_ms: q.0,
            q_end_ms: q.1,
            r_start_ms: q.0 + offset as i64,
            r_end_ms: q.1 + offset as i64,
            speed: 1.0,
            offset_ms: offset,
            matched_frames: frames,
            mean_distance: distance,
        }
    }

    /// A plain 12 s cut of a fast cartoon: its middle matched poorly and a chance line took
    /// it. The two parts of the true line are joined across it; a wedge that matches well
    /// (a compilation's other scene) or an empty gap keeps them apart.
    #[test]
    fn parts_of_one_line_join_across_a_weak_wedge_only() {
        let params = AlignParams::default();
        let a = segment((0, 4000), 35_000.0, 16, 10.8);
        let b = segment((8750, 11_750), 35_000.0, 12, 18.2);
        let chance = segment((4500, 8500), 36_330.0, 9, 35.5);
        let joined = join_across_weak_wedges(vec![b, chance, a], &params);
        assert_eq!(joined.len(), 1, "{joined:?}");
        let j = joined[0];
        assert_eq!((j.q_start_ms, j.q_end_ms), (0, 11_750));
        assert_eq!((j.r_start_ms, j.r_end_ms), (35_000, 46_750));
        assert_eq!(j.matched_frames, 28);

        let other_scene = segment((4500, 8500), 80_000.0, 9, 12.0);
        assert_eq!(
            join_across_weak_wedges(vec![a, other_scene, b], &params).len(),
            3
        );
        assert_eq!(join_across_weak_wedges(vec![a, b], &params).len(), 2);
        let elsewhere = segment((8750, 11_750), 50_000.0, 12, 18.2);
        assert_eq!(
            join_across_weak_wedges(vec![a, chance, elsewhere], &params).len(),
            3
        );
    }

    #[test]
    fn finds_excerpt_with_speed_and_offset() {
        let mut c = line(0, 32, 250, 1.25, 40_000.0);
        c.push(Candidate {
            q_ms: 1000,
            r_ms: 5_000,
            distance: 30,
        });
        let segs = align_lines(&c, &AlignParams::default());
        assert_eq!(segs.len(), 1);
        let s = segs[0];
        assert!((s.speed - 1.25).abs() < 0.02, "{s:?}");
        assert_eq!(s.q_start_ms, 0);
        assert_eq!(s.q_end_ms, 8000);
        assert!((s.r_start_ms - 40_000).abs() < 100);
        assert!((s.r_end_ms - 50_000).abs() < 150);
        assert_eq!(s.matched_frames, 32);
    }

    /// A still scene: a wrong speed gathers a few more frames than the true line, at 6 bits,
    /// the true line pairs at 1 bit. The closer line wins; with equally close pairs the line
    /// of more frames still does.
    #[test]
    fn in_a_still_scene_the_line_of_closer_pairs_wins() {
        let at = |mut c: Vec<Candidate>, d: u32| {
            c.iter_mut().for_each(|x| x.distance = d);
            c
        };
        let mut c = at(line(0, 33, 250, 0.56, 10_000.0), 6);
        c.extend(at(line(0, 31, 250, 1.0, 10_000.0), 1));
        let segs = align_lines(&c, &AlignParams::default());
        assert!((segs[0].speed - 1.0).abs() < 0.03, "{segs:?}");
        let mut c = at(line(0, 33, 250, 0.56, 10_000.0), 6);
        c.extend(at(line(0, 31, 250, 1.0, 10_000.0), 5));
        let segs = align_lines(&c, &AlignParams::default());
        assert!((segs[0].speed - 0.56).abs() < 0.03, "{segs:?}");
    }

    /// A scene that hardly moves: every upload frame pairs with every reference frame of a
    /// 6 s stretch at about the same distance, so lines of every speed gather the same votes.
    /// The speed-1 line is taken; a copy sped up 1.25x in a moving scene keeps its speed
    /// (above).
    #[test]
    fn a_scene_that_hardly_moves_is_taken_at_speed_one() {
        let mut c = Vec::new();
        for q in (0..6000).step_by(250) {
            for r in (30_000..36_000).step_by(200) {
                // Distances 8–10 bits with no trend: chance decides between slow lines.
                let distance = 8 + ((q / 250 * 7 + r / 200 * 3) % 3) as u32;
                c.push(Candidate {
                    q_ms: q,
                    r_ms: r,
                    distance,
                });
            }
        }
        let segs = align_lines(&c, &AlignParams::default());
        assert!((segs[0].speed - 1.0).abs() < 0.03, "{segs:?}");
        assert!(segs[0].q_end_ms - segs[0].q_start_ms >= 5000, "{segs:?}");
    }

    /// A line inside one offset bin votes for that bin and the next alike: the lower bin is
    /// chosen whatever the order of the vote map (a fresh map per call has a fresh order).
    #[test]
    fn full_ties_go_to_the_lower_offset_bin() {
        let params = AlignParams::default();
        let c = line(0, 12, 250, 1.0, 3_000.0 + params.offset_bin_ms / 2.0);
        let expected = 10.0 * params.offset_bin_ms;
        for _ in 0..20 {
            let mut votes = HashMap::new();
            let (_, offset, count, _) = vote_at(&c, &params, 1.0, &mut votes).unwrap();
            assert_eq!((offset, count), (expected, 12));
        }
    }

    #[test]
    fn finds_two_segments_of_a_compilation() {
        let mut c = line(0, 24, 250, 1.0, 10_000.0);
        c.extend(line(6000, 24, 250, 1.0, -2_000.0));
        let segs = align_lines(&c, &AlignParams::default());
        assert_eq!(segs.len(), 2);
        let mut starts: Vec<i64> = segs.iter().map(|s| s.q_start_ms).collect();
        starts.sort();
        assert_eq!(starts, vec![0, 6000]);
    }
}

//! One picture held on screen (a film still shown for seconds, a frame repeated by a damaged
//! or variable-frame-rate container): every query frame matches the same few reference
//! frames, which no line of speed 0.5–2 fits; the slowest lines each take a piece. Such pieces
//! are one segment.

use super::{AlignParams, Segment};

/// Two segments are pieces of a held picture when together they move through the reference
/// at most this share of the slowest speed considered.
const HELD_SPEED_SHARE: f64 = 0.8;

/// Merges segments that are pieces of one held picture: next to each other in the query (gap
/// at most `params.max_gap_ms`), overlapping in the reference, and together spanning under
/// [`HELD_SPEED_SHARE`] x `params.min_speed` reference seconds per query second, which no copy
/// at the speeds considered does. The merged segment spans both in the query and the
/// reference; its speed is reference span over query span, its frames the sum and its mean
/// distance their weighted mean. A copy played twice (together speed 0.5) and pieces that do
/// not meet in the reference stay apart.
pub(super) fn merge_held_pictures(
    mut segments: Vec<Segment>,
    params: &AlignParams,
) -> Vec<Segment> {
    segments.sort_by_key(|s| s.q_start_ms);
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments {
        if let Some(last) = merged.last_mut() {
            let next_to = s.q_start_ms - last.q_end_ms <= params.max_gap_ms;
            let meet = s.r_start_ms <= last.r_end_ms && last.r_start_ms <= s.r_end_ms;
            let q_span = last.q_end_ms.max(s.q_end_ms) - last.q_start_ms.min(s.q_start_ms);
            let r_span = last.r_end_ms.max(s.r_end_ms) - last.r_start_ms.min(s.r_start_ms);
            let held = (r_span as f64) < HELD_SPEED_SHARE * params.min_speed * q_span as f64;
            if next_to && meet && held {
                let frames = last.matched_frames + s.matched_frames;
                last.mean_distance = (last.mean_distance * f64::from(last.matched_frames)
                    + s.mean_distance * f64::from(s.matched_frames))
                    / f64::from(frames.max(1));
                last.matched_frames = frames;
                last.q_start_ms = last.q_start_ms.min(s.q_start_ms);
                last.q_end_ms = last.q_end_ms.max(s.q_end_ms);
                last.r_start_ms = last.r_start_ms.min(s.r_start_ms);
                last.r_end_ms = last.r_end_ms.max(s.r_end_ms);
                let q_span = (last.q_end_ms - last.q_start_ms).max(1) as f64;
                last.speed = (last.r_end_ms - last.r_start_ms) as f64 / q_span;
                last.offset_ms = last.r_start_ms as f64 - last.speed * last.q_start_ms as f64;
                continue;
            }
        }
        merged.push(s);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(q: (i64, i64), r: (i64, i64), speed: f64, frames: u32) -> Segment {
        Segment {
            q_start_ms: q.0,
            q_end_ms: q.1,
            r_start_ms: r.0,
            r_end_ms: r.1,
            speed,
            offset_ms: r.0 as f64 - speed * q.0 as f64,
            matched_frames: frames,
            mean_distance: 10.0,
        }
    }

    #[test]
    fn pieces_of_a_held_picture_are_one_segment() {
        let params = AlignParams::default();
        let pieces = vec![
            seg((3500, 5200), (15900, 16800), 0.5, 7),
            seg((0, 1800), (15900, 16800), 0.55, 8),
            seg((1800, 3200), (15900, 16800), 0.57, 6),
            seg((3200, 3500), (16200, 16500), 1.0, 2),
        ];
        let merged = merge_held_pictures(pieces, &params);
        assert_eq!(merged.len(), 1, "{merged:?}");
        let m = &merged[0];
        assert_eq!((m.q_start_ms, m.q_end_ms), (0, 5200));
        assert_eq!((m.r_start_ms, m.r_end_ms), (15900, 16800));
        assert_eq!(m.matched_frames, 23);
        assert!((m.speed - 900.0 / 5200.0).abs() < 1e-9);
    }

    #[test]
    fn a_copy_played_twice_and_distant_pieces_stay_apart() {
        let params = AlignParams::default();
        // Played twice at speed 1: the same reference range, next to each other.
        let twice = vec![
            seg((0, 60_000), (0, 60_000), 1.0, 240),
            seg((60_000, 120_000), (0, 60_000), 1.0, 240),
        ];
        assert_eq!(merge_held_pictures(twice, &params).len(), 2);
        // Slow pieces that do not meet in the reference, or far apart in the query.
        let apart = vec![
            seg((0, 2000), (10_000, 11_000), 0.5, 8),
            seg((2000, 4000), (30_000, 31_000), 0.5, 8),
            seg((60_000, 62_000), (30_000, 31_000), 0.5, 8),
        ];
        assert_eq!(merge_held_pictures(apart, &params).len(), 3);
    }
}

//! Where a still upload sits inside a reference picture, from matched keypoints: the
//! similarity without rotation `reference = scale · query + offset` that most point pairs
//! agree on, found by RANSAC (Fischler & Bolles, "Random sample consensus", CACM 1981) over
//! hypotheses made from two pairs each. A crop, a zoom, a resize or a shift is such a
//! map; mirroring is handled by the caller (mirrored query columns); rotation is left out on
//! purpose, since whole-picture hashes cover quarter turns and a free rotation lets chance
//! matches agree more easily.

use crate::hash::keypoints::splitmix64;

/// One tentative correspondence between an upload keypoint and a reference keypoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointPair {
    /// Upload point (column, row) in pixels of the upload's level-0 picture.
    pub query: (f32, f32),
    /// Reference point (column, row) in pixels of the reference's level-0 picture.
    pub reference: (f32, f32),
    /// Pyramid scale the upload point was found at (level-0 pixels per level pixel).
    pub query_scale: f32,
    /// Pyramid scale the reference point was found at.
    pub reference_scale: f32,
}

/// A placement of the upload in the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Reference pixels per upload pixel (0.5: the upload shows the reference's detail at
    /// twice the size, i.e. a crop enlarged).
    pub scale: f32,
    /// Reference column of the upload's column 0, pixels.
    pub offset_x: f32,
    /// Reference row of the upload's row 0, pixels.
    pub offset_y: f32,
    /// Pairs that agree, counted once per reference point and once per upload point (the
    /// smaller of the two counts): points repeated in a texture cannot inflate it.
    pub inliers: u32,
}

/// A pair agrees with a placement when the mapped upload point lands within this many
/// reference pixels of its reference point.
pub const INLIER_TOLERANCE_PX: f32 = 6.0;

/// Placements whose scale is outside this range (reference pixels per upload pixel) are not
/// considered: beyond it the upload would be a 5x enlargement or a 5x reduction.
pub const SCALE_RANGE: (f32, f32) = (0.2, 5.0);

/// A pair's keypoint scales (reference over upload) may differ from the placement's scale
/// by this factor at most: the two points must have been found at matching pyramid levels.
pub const LEVEL_SLACK: f32 = 1.6;

/// Hypotheses tried when there are too many pairs to try every two of them.
pub const MAX_HYPOTHESES: usize = 1500;

/// The two pairs of a hypothesis must be at least this far apart in the upload, pixels, so
/// that the scale they imply is well defined.
const MIN_BASELINE_PX: f32 = 16.0;

/// The best-supported placement (most inliers; ties broken by hypothesis order), or `None`
/// when fewer than two pairs exist or no hypothesis is valid. Every two pairs are tried when
/// there are at most `MAX_HYPOTHESES` of them ([`fit_exhaustive`]); otherwise
/// [`MAX_HYPOTHESES`] pairs of pairs are drawn with a fixed seed, so results are repeatable.
pub fn fit(pairs: &[PointPair]) -> Option<Placement> {
    let n = pairs.len();
    if n * n.saturating_sub(1) / 2 <= MAX_HYPOTHESES {
        return fit_exhaustive(pairs);
    }
    let mut state = 0x0123_4567_89ab_cdef_u64;
    let mut next = move |bound: usize| (splitmix64(&mut state) % bound as u64) as usize;
    let mut best: Option<Placement> = None;
    for _ in 0..MAX_HYPOTHESES {
        let (i, j) = (next(n), next(n));
        if i != j {
            consider(pairs, &pairs[i], &pairs[j], &mut best);
        }
    }
    best.map(|p| refine(pairs, p))
}

/// As [`fit`], trying every two pairs: the brute-force twin of the sampled search.
pub fn fit_exhaustive(pairs: &[PointPair]) -> Option<Placement> {
    let mut best: Option<Placement> = None;
    for (i, a) in pairs.iter().enumerate() {
        for b in &pairs[i + 1..] {
            consider(pairs, a, b, &mut best);
        }
    }
    best.map(|p| refine(pairs, p))
}

/// The least-squares placement over the pairs that agree with `p` (the local optimisation of
/// LO-RANSAC: Chum, Matas & Kittler, "Locally optimized RANSAC", DAGM 2003): a placement
/// from two pairs carries their localisation error, one fitted to all its inliers much less.
/// Repeated while the inliers grow (at most [`REFINE_ROUNDS`] times); each step is kept only
/// when it has at least as many inliers as the placement before it.
fn refine(pairs: &[PointPair], mut p: Placement) -> Placement {
    for _ in 0..REFINE_ROUNDS {
        let next = refine_once(pairs, p);
        let grew = next.inliers > p.inliers;
        p = next;
        if !grew {
            break;
        }
    }
    p
}

/// Least-squares steps of [`refine`] at most.
const REFINE_ROUNDS: usize = 4;

/// One least-squares step of [`refine`].
fn refine_once(pairs: &[PointPair], p: Placement) -> Placement {
    let agreeing: Vec<&PointPair> = pairs
        .iter()
        .filter(|q| agrees(q, p.scale, p.offset_x, p.offset_y))
        .collect();
    if agreeing.len() < 3 {
        return p;
    }
    let n = agreeing.len() as f32;
    let mean = |f: &dyn Fn(&PointPair) -> f32| agreeing.iter().map(|q| f(q)).sum::<f32>() / n;
    let (qx, qy) = (mean(&|q| q.query.0), mean(&|q| q.query.1));
    let (rx, ry) = (mean(&|q| q.reference.0), mean(&|q| q.reference.1));
    let (mut cross, mut spread) = (0.0f32, 0.0f32);
    for q in &agreeing {
        let (dx, dy) = (q.query.0 - qx, q.query.1 - qy);
        cross += dx * (q.reference.0 - rx) + dy * (q.reference.1 - ry);
        spread += dx * dx + dy * dy;
    }
    if spread <= 0.0 {
        return p;
    }
    let scale = cross / spread;
    if !(SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale) {
        return p;
    }
    let (offset_x, offset_y) = (rx - scale * qx, ry - scale * qy);
    let inliers = count_inliers(pairs, scale, offset_x, offset_y);
    if inliers >= p.inliers {
        Placement {
            scale,
            offset_x,
            offset_y,
            inliers,
        }
    } else {
        p
    }
}

/// True when `p` lands within [`INLIER_TOLERANCE_PX`] of its reference point under the
/// placement, at matching pyramid levels.
fn agrees(p: &PointPair, scale: f32, offset_x: f32, offset_y: f32) -> bool {
    let x = scale * p.query.0 + offset_x;
    let y = scale * p.query.1 + offset_y;
    (x - p.reference.0).hypot(y - p.reference.1) <= INLIER_TOLERANCE_PX && levels_agree(p, scale)
}

/// Scores the hypothesis made from pairs `a` and `b`, keeping it in `best` if it has more
/// inliers.
fn consider(pairs: &[PointPair], a: &PointPair, b: &PointPair, best: &mut Option<Placement>) {
    let Some((scale, offset_x, offset_y)) = hypothesis(a, b) else {
        return;
    };
    let inliers = count_inliers(pairs, scale, offset_x, offset_y);
    if best.is_none_or(|p| inliers > p.inliers) {
        *best = Some(Placement {
            scale,
            offset_x,
            offset_y,
            inliers,
        });
    }
}

/// The placement mapping `a` and `b` onto their reference points (scale from the distance
/// ratio, offset from `a`), if both agree with it at their own pyramid levels.
fn hypothesis(a: &PointPair, b: &PointPair) -> Option<(f32, f32, f32)> {
    let dq = (a.query.0 - b.query.0).hypot(a.query.1 - b.query.1);
    if dq < MIN_BASELINE_PX {
        return None;
    }
    let dr = (a.reference.0 - b.reference.0).hypot(a.reference.1 - b.reference.1);
    let scale = dr / dq;
    if !(SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale) || !levels_agree(a, scale) {
        return None;
    }
    let offset_x = a.reference.0 - scale * a.query.0;
    let offset_y = a.reference.1 - scale * a.query.1;
    Some((scale, offset_x, offset_y))
}

fn levels_agree(p: &PointPair, scale: f32) -> bool {
    let ratio = p.reference_scale / p.query_scale;
    ratio > scale / LEVEL_SLACK && ratio < scale * LEVEL_SLACK
}

/// Inliers of a placement: distinct reference points and distinct upload points among the
/// agreeing pairs, the smaller count.
fn count_inliers(pairs: &[PointPair], scale: f32, offset_x: f32, offset_y: f32) -> u32 {
    let mut reference_points = Vec::new();
    let mut query_points = Vec::new();
    for p in pairs {
        if agrees(p, scale, offset_x, offset_y) {
            reference_points.push((p.reference.0.to_bits(), p.reference.1.to_bits()));
            query_points.push((p.query.0.to_bits(), p.query.1.to_bits()));
        }
    }
    for points in [&mut reference_points, &mut query_points] {
        points.sort_unstable();
        points.dedup();
    }
    reference_points.len().min(query_points.len()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `inliers` pairs on the placement (scale 0.5, offset (100, 40)) and `outliers` pairs
    /// scattered at random, all found at matching pyramid levels.
    fn pairs(inliers: usize, outliers: usize) -> Vec<PointPair> {
        let mut state = 7u64;
        let mut unit = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f32 / (1u64 << 31) as f32
        };
        let mut out = Vec::new();
        for i in 0..inliers + outliers {
            let q = (unit() * 400.0, unit() * 400.0);
            let r = if i < inliers {
                (0.5 * q.0 + 100.0, 0.5 * q.1 + 40.0)
            } else {
                (unit() * 500.0, unit() * 500.0)
            };
            out.push(PointPair {
                query: q,
                reference: r,
                query_scale: 2.0,
                reference_scale: 1.0,
            });
        }
        out
    }

    #[test]
    fn finds_the_placement_among_outliers() {
        let p = fit(&pairs(30, 70)).unwrap();
        assert!((p.scale - 0.5).abs() < 1e-3, "{p:?}");
        assert!((p.offset_x - 100.0).abs() < 0.5 && (p.offset_y - 40.0).abs() < 0.5);
        assert!((30..=32).contains(&p.inliers), "{p:?}");
    }

    #[test]
    fn sampled_search_equals_the_exhaustive_twin() {
        for (inliers, outliers) in [(25, 100), (60, 200), (12, 60)] {
            let set = pairs(inliers, outliers);
            assert!(set.len() * (set.len() - 1) / 2 > MAX_HYPOTHESES);
            let sampled = fit(&set).unwrap();
            let exhaustive = fit_exhaustive(&set).unwrap();
            assert_eq!(sampled.inliers, exhaustive.inliers, "{inliers}+{outliers}");
            assert!((sampled.scale - exhaustive.scale).abs() < 1e-3);
        }
    }

    #[test]
    fn random_pairs_agree_on_little() {
        let p = fit(&pairs(0, 200)).unwrap();
        assert!(p.inliers <= 6, "{p:?}");
    }

    #[test]
    fn pairs_from_the_wrong_level_do_not_count() {
        let mut set = pairs(30, 0);
        for p in &mut set {
            p.query_scale = 1.0; // would need reference points at scale 0.5
            p.reference_scale = 2.0;
        }
        assert!(fit(&set).is_none_or(|p| p.inliers == 0));
    }

    #[test]
    fn too_few_pairs_give_nothing() {
        assert_eq!(fit(&[]), None);
        assert_eq!(fit(&pairs(1, 0)), None);
    }
}

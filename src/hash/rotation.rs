//! Small rotations: detecting an upload turned by a few degrees about its centre on its own
//! canvas, its turned-back views, and the bilinear rotation itself. Such an upload
//! (`ffmpeg -vf rotate`, an editor's "rotate" slider) has four corners of fill (black, or any
//! one colour) bounded by straight lines, whose shape gives the angle. Turned back by that
//! angle and cut to a centred window that the fill does not reach, the upload is the original
//! picture again, which the references' centred crop views hold; a PDQ hash of the upload as
//! it is, 3° off, is 80+ bits from every view.
//!
//! The fill is what stays the same in every frame at the level of the corners; the angle is
//! the one, on a grid of [`ANGLE_STEP`] up to [`MAX_ANGLE`] (whole degrees first, then the
//! steps within a degree of the best), whose predicted corners (the pixels `rotate`
//! leaves outside the turned picture) best overlap the fill
//! near the frame's edges (intersection over union).

use super::views::View;
use super::Picture;

/// Largest angle looked for, degrees.
pub const MAX_ANGLE: f32 = 20.0;
/// Smallest angle reported, degrees (below it the hashes and crop views already match).
pub const MIN_ANGLE: f32 = 1.5;
/// Step of the angles tried, degrees.
pub const ANGLE_STEP: f32 = 0.25;
/// Largest change of a fill pixel over the frames, and largest difference from the corners'
/// level (0–255 luma).
const FILL_TOLERANCE: f32 = 12.0;
/// Smallest overlap (intersection over union) of the predicted and the found corners.
const MIN_OVERLAP: f32 = 0.6;
/// Largest share of the sample points inside the turned picture (near its corners) that may
/// look like fill.
const MAX_FILL_INSIDE: f32 = 0.25;
/// Sample points across the longer side (the fill is measured on a grid, not every pixel).
const GRID: usize = 160;

/// The angle in degrees (counter-clockwise positive, as [`super::views::View::Rotate`]) by
/// which `frames` (same size, at least 32 px a side) were turned on their own canvas, when
/// their corners are fill of that shape; `None` otherwise (the usual case: a corner that
/// moves, or corners of different levels, end the search at once).
pub fn detect(frames: &[&Picture]) -> Option<f32> {
    let first = frames.first()?;
    let (w, h) = (first.width as usize, first.height as usize);
    if w < 32 || h < 32 || frames.iter().any(|f| f.luma.len() != w * h) {
        return None;
    }
    let step = (w.max(h) / GRID).max(1);
    let range = |x: usize, y: usize| {
        let values = frames.iter().map(|f| f.luma[y * w + x]);
        let (lo, hi) = values.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        (lo, hi)
    };
    // The four corners: steady, and of one level.
    let corners = [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)].map(|(x, y)| range(x, y));
    let level = corners.iter().map(|&(lo, hi)| (lo + hi) / 2.0).sum::<f32>() / 4.0;
    if corners
        .iter()
        .any(|&(lo, hi)| hi - lo > FILL_TOLERANCE || (lo - level).abs() > FILL_TOLERANCE)
    {
        return None;
    }
    // Sample points where a corner can reach (outside the turned picture at the widest
    // angle), and which of them are fill.
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let mut points: Vec<(f32, f32, bool)> = Vec::new();
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            if beyond(dx, dy, cx, cy, MAX_ANGLE) <= 0.0 && beyond(dx, dy, cx, cy, -MAX_ANGLE) <= 0.0
            {
                continue;
            }
            let (lo, hi) = range(x, y);
            let fill = hi - lo <= FILL_TOLERANCE
                && (lo - level).abs() <= FILL_TOLERANCE
                && (hi - level).abs() <= FILL_TOLERANCE;
            points.push((dx, dy, fill));
        }
    }
    // The turned picture's edge is blurred by interpolation and compression, so the fill
    // seen stops short of it: points of the predicted corners within half a sample step of
    // the edge count neither way (without this, angles came out 0.5° short on ffmpeg's
    // turns).
    let margin = step as f32 / 2.0;
    let overlap_at = |angle: f32| {
        let (mut both, mut either) = (0usize, 0usize);
        for &(dx, dy, fill) in &points {
            let beyond = beyond(dx, dy, cx, cy, angle);
            if beyond > 0.0 && beyond < margin {
                continue;
            }
            let predicted = beyond > 0.0;
            both += (predicted && fill) as usize;
            either += (predicted || fill) as usize;
        }
        both as f32 / either.max(1) as f32
    };
    // Whole degrees first, then the steps around the best of them (the overlap rises
    // steadily towards the true angle, from a degree away as from a step away).
    let best_of = |angles: &mut dyn Iterator<Item = f32>| {
        angles
            .map(|a| (a, overlap_at(a)))
            .fold(None, |best: Option<(f32, f32)>, (a, o)| {
                if best.is_none_or(|(_, bo)| o > bo) {
                    Some((a, o))
                } else {
                    best
                }
            })
    };
    let whole = MAX_ANGLE as i32;
    let (coarse, _) = best_of(&mut (-whole..=whole).filter(|&k| k != 0).map(|k| k as f32))?;
    let per_degree = (1.0 / ANGLE_STEP).round() as i32;
    let best = best_of(
        &mut (-per_degree..=per_degree)
            .map(|k| coarse + k as f32 * ANGLE_STEP)
            .filter(|a| (ANGLE_STEP..=MAX_ANGLE).contains(&a.abs())),
    );
    // Under the smallest angle the views as they are match already.
    let (angle, overlap) = best.filter(|(a, _)| a.abs() >= MIN_ANGLE)?;
    // The picture itself must not look like fill (a blank or steady dark frame matches every
    // wedge).
    let (mut inside, mut inside_fill) = (0usize, 0usize);
    for &(dx, dy, fill) in &points {
        if beyond(dx, dy, cx, cy, angle) <= 0.0 {
            inside += 1;
            inside_fill += fill as usize;
        }
    }
    let picture_like_fill = inside_fill as f32 > MAX_FILL_INSIDE * inside.max(1) as f32;
    (overlap >= MIN_OVERLAP && inside > 0 && !picture_like_fill).then_some(angle)
}

/// How far, pixels, the pixel at `(dx, dy)` from the centre `(cx, cy)` lies outside the
/// picture turned by `degrees`, as `rotate` maps it (source = R(-θ) ·
/// destination): positive outside, negative inside (distance to the nearer edge's line).
fn beyond(dx: f32, dy: f32, cx: f32, cy: f32, degrees: f32) -> f32 {
    let (s, c) = degrees.to_radians().sin_cos();
    let (sx, sy) = (c * dx - s * dy, s * dx + c * dy);
    (sx.abs() - cx).max(sy.abs() - cy)
}

/// Sides (fractions) of the centred crop views of a reference still image
/// ([`super::views::reference_image_views`]).
const CENTRED_IMAGE_CROPS: [f32; 3] = [0.9, 0.85, 0.7];
/// Sides (fractions) of the centred crop views of a reference video frame
/// ([`super::views::reference_video_views`]; its 90 % and 94 % grids have no centred offset).
const CENTRED_VIDEO_CROPS: [f32; 2] = [0.85, 0.8];

/// How far past the turned picture's edge a kept window's corner may reach, fraction of the
/// window: a sliver of fill in a corner moves a PDQ hash a few bits, a missing crop view
/// many more.
pub const DEROTATE_SLACK: f32 = 0.03;

/// Largest side (fraction) of a centred window of a `width` x `height` frame that lies
/// inside the frame's own picture once the frame, turned by `degrees` on its canvas, is
/// turned back: the window's corners, turned, must stay inside the canvas.
pub fn derotated_window(width: u32, height: u32, degrees: f32) -> f32 {
    let (s, c) = degrees.to_radians().sin_cos();
    let (s, c) = (s.abs(), c.abs());
    let (hw, hh) = (width as f32 / 2.0, height.max(1) as f32 / 2.0);
    let by_width = hw / (hw * c + hh * s);
    let by_height = hh / (hw * s + hh * c);
    by_width.min(by_height).min(1.0)
}

/// Views searched for an upload of `width` x `height` turned by `degrees` on its own canvas
/// ([`super::rotation::detect`]): turned back and cut to each of the references' centred
/// crop sizes (of a still image when `still`, of a video frame otherwise) that the
/// turned-away corners leave whole (within [`DEROTATE_SLACK`]).
pub fn derotated_views(width: u32, height: u32, degrees: f32, still: bool) -> Vec<View> {
    let fits = derotated_window(width, height, degrees) + DEROTATE_SLACK;
    let sizes: &[f32] = if still {
        &CENTRED_IMAGE_CROPS
    } else {
        &CENTRED_VIDEO_CROPS
    };
    sizes
        .iter()
        .copied()
        .filter(|&keep| keep <= fits)
        .map(|keep| View::Derotate { degrees, keep })
        .collect()
}

/// Bilinear rotation about the centre, same canvas, black outside.
pub(crate) fn rotate(p: &Picture, degrees: f32) -> Picture {
    rotate_window(p, degrees, (0, 0, p.width, p.height))
}

/// The window `(x, y, width, height)` (pixels, clamped to the canvas) of `p` rotated by
/// `degrees` about its centre on its own canvas, black outside the turned picture; only the
/// window's pixels are computed.
pub(crate) fn rotate_window(p: &Picture, degrees: f32, window: (u32, u32, u32, u32)) -> Picture {
    let (w, h) = (p.width as usize, p.height as usize);
    let x0w = (window.0 as usize).min(w);
    let y0w = (window.1 as usize).min(h);
    let ww = (window.2 as usize).min(w - x0w);
    let wh = (window.3 as usize).min(h - y0w);
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let (max_x, max_y) = ((w.max(1) - 1) as f32, (h.max(1) - 1) as f32);
    let mut luma = vec![0.0f32; ww * wh];
    for (row, out) in luma.chunks_exact_mut(ww.max(1)).enumerate() {
        let dy = (y0w + row) as f32 - cy;
        for (col, value) in out.iter_mut().enumerate() {
            let dx = (x0w + col) as f32 - cx;
            // Inverse mapping: source = R(-θ) · destination (y axis points down).
            let sx = c * dx - s * dy + cx;
            let sy = s * dx + c * dy + cy;
            if !(0.0..=max_x).contains(&sx) || !(0.0..=max_y).contains(&sy) {
                continue;
            }
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let (top, bottom) = (&p.luma[y0 * w..], &p.luma[y1 * w..]);
            let upper = top[x0] + (top[x1] - top[x0]) * fx;
            let lower = bottom[x0] + (bottom[x1] - bottom[x0]) * fx;
            *value = upper + (lower - upper) * fy;
        }
    }
    Picture {
        width: ww as u32,
        height: wh as u32,
        luma,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::views::render;

    /// Smooth texture that moves from frame to frame.
    fn footage(w: u32, h: u32, seed: u32) -> Picture {
        let luma = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let phase = seed as f32 * 3.0;
                120.0 + 60.0 * ((x + phase) / 17.0).sin() * ((y - phase) / 11.0).cos() + 30.0
            })
            .collect();
        Picture {
            width: w,
            height: h,
            luma,
        }
    }

    #[test]
    fn finds_the_angle_of_a_turned_video() {
        for angle in [-19.5f32, -12.0, -7.0, -3.0, 1.75, 2.0, 3.0, 6.5, 15.0] {
            let frames: Vec<Picture> = (0..6)
                .map(|s| render(View::Rotate(angle), &footage(320, 180, s)).unwrap())
                .collect();
            let refs: Vec<&Picture> = frames.iter().collect();
            let found = detect(&refs).unwrap_or(f32::NAN);
            assert!((found - angle).abs() <= ANGLE_STEP, "{angle}: {found}");
        }
        // A single turned picture (a photo) too, tall as well as wide.
        let photo = render(View::Rotate(-10.0), &footage(300, 400, 1)).unwrap();
        let found = detect(&[&photo]).unwrap_or(f32::NAN);
        assert!((found + 10.0).abs() <= ANGLE_STEP, "{found}");
    }

    #[test]
    fn no_angle_without_turned_corners() {
        let frames: Vec<Picture> = (0..6).map(|s| footage(320, 180, s)).collect();
        let refs: Vec<&Picture> = frames.iter().collect();
        assert_eq!(detect(&refs), None);
        // Letterbox bars: steady corners of one level, but no wedge.
        let barred: Vec<Picture> = frames
            .iter()
            .map(|f| {
                let mut b = f.clone();
                b.luma[..320 * 20].fill(0.0);
                b.luma[320 * 160..].fill(0.0);
                b
            })
            .collect();
        let refs: Vec<&Picture> = barred.iter().collect();
        assert_eq!(detect(&refs), None);
        // Under the smallest angle: nothing to turn back.
        let slight: Vec<Picture> = frames
            .iter()
            .map(|f| render(View::Rotate(0.5), f).unwrap())
            .collect();
        let refs: Vec<&Picture> = slight.iter().collect();
        assert_eq!(detect(&refs), None);
        // Blank.
        let blank = Picture {
            width: 64,
            height: 64,
            luma: vec![0.0; 64 * 64],
        };
        assert_eq!(detect(&[&blank]), None);
    }

    /// The window left whole by a turn, against the corners worked out by hand (16:9 at 7°:
    /// the turned window's corner must stay under half the height), the views kept for it,
    /// and a turned and turned-back picture against its centred crop.
    #[test]
    fn derotated_windows_and_views() {
        let at7 = derotated_window(1280, 720, 7.0);
        let (s, c) = 7f32.to_radians().sin_cos();
        assert!(
            (at7 - 360.0 / (640.0 * s + 360.0 * c)).abs() < 1e-5,
            "{at7}"
        );
        assert!((0.82..0.83).contains(&at7), "{at7}");
        assert_eq!(derotated_window(1280, 720, -7.0), at7);
        assert_eq!(derotated_window(640, 480, 0.0), 1.0);
        let keeps = |v: Vec<View>| -> Vec<f32> {
            v.iter()
                .map(|v| match v {
                    View::Derotate { keep, .. } => *keep,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(keeps(derotated_views(1280, 720, 7.0, false)), [0.85, 0.8]);
        assert_eq!(
            keeps(derotated_views(1280, 720, 15.0, false)),
            Vec::<f32>::new()
        );
        assert_eq!(keeps(derotated_views(800, 600, -15.0, true)), [0.7]);
        assert_eq!(
            keeps(derotated_views(800, 600, 3.0, true)),
            [0.9, 0.85, 0.7]
        );
        // Turned 7° and back: the centred 80 % is the picture's own, bar interpolation.
        let (w, h) = (320u32, 180u32);
        let p = Picture {
            width: w,
            height: h,
            luma: (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    128.0 + 80.0 * (x / 23.0).sin() * (y / 19.0).cos()
                })
                .collect(),
        };
        let turned = render(View::Rotate(7.0), &p).unwrap();
        let back = render(
            View::Derotate {
                degrees: 7.0,
                keep: 0.8,
            },
            &turned,
        )
        .unwrap();
        let crop = render(
            View::Crop {
                scale: 0.8,
                x: 0.1,
                y: 0.1,
            },
            &p,
        )
        .unwrap();
        assert_eq!((back.width, back.height), (crop.width, crop.height));
        let mean = back
            .luma
            .iter()
            .zip(&crop.luma)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / back.luma.len() as f32;
        assert!(mean < 3.0, "{mean}");
    }
}

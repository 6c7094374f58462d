//! Local features of a still picture: corner keypoints over a scale pyramid, each described by
//! a 256-bit binary descriptor, for finding a tight crop of a photo that no whole-picture hash
//! survives (a square cut around one subject keeps a quarter of the photo).
//!
//! Detection is the Harris corner measure (Harris & Stephens, "A combined corner and edge
//! detector", Alvey Vision Conference 1988) on every level of a pyramid whose levels shrink by
//! [`LEVEL_SCALE`]; description is BRIEF (Calonder et al., "BRIEF: Binary Robust Independent
//! Elementary Features", ECCV 2010): 256 intensity comparisons between point pairs drawn from
//! an isotropic Gaussian over a [`PATCH_SIDE`]-pixel patch of the smoothed level, as ORB does
//! with a pyramid for scale (Rublee et al., "ORB: an efficient alternative to SIFT or SURF",
//! ICCV 2011). The descriptor is upright (not steered): uploads are rarely rotated more than a
//! few degrees, and whole-picture hashes already cover the quarter turns. A mirrored copy is
//! matched with [`Features::mirrored`], which BRIEF gives for free by mirroring the pattern.

use super::{Hash256, Picture};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Each pyramid level is this much smaller (per side) than the one before: 2^(1/3), so a copy
/// at any scale meets a level within ±12 % of its own, inside BRIEF's scale tolerance.
pub const LEVEL_SCALE: f32 = 1.26;

/// Keypoints described for a reference photo (about 44 KB stored per photo).
pub const REFERENCE_KEYPOINTS: usize = 1000;

/// Keypoints described for an image upload.
pub const QUERY_KEYPOINTS: usize = 300;

/// Side in pixels of the patch a descriptor compares pixels in (ORB's 31).
pub const PATCH_SIDE: u32 = 31;

/// Longest side, in pixels, of an upload's finest pyramid level ([`Levels::Equally`]): finer
/// levels only meet reference levels finer than the reference's own picture when the upload is
/// an enlarged crop, the case local features are for, and they cost three quarters of the
/// detection (measured on the dev photos: no tight crop lost, see the `local_features` tests).
pub const UPLOAD_TOP_SIDE: u32 = 288;

/// Smallest side, in pixels, a pyramid level may have.
pub const MIN_LEVEL_SIDE: u32 = 64;

/// Keypoints never lie closer than this to a level's edge, so that every descriptor test
/// reads inside the picture (half the patch, plus the smoothing radius).
const EDGE_MARGIN: u32 = PATCH_SIDE / 2 + 3;

/// Harris measure's `k` in `det(M) - k trace(M)^2` (the usual 0.04).
const HARRIS_K: f32 = 0.04;

/// Smallest Harris response a keypoint may have, in (luma units)^4 after the 3x3 window sum:
/// flat or blank pictures (gradients of a few levels from noise and JPEG blocks) give none.
/// Kept near that floor rather than higher: a smooth photo (a motion-blurred storm sky, even
/// contrast-stretched) had 3 corners above 1e5 and 65 above 1e4, enough to place a copy
/// cropped, mirrored and recoloured; on the dev photos an upload's best placement in a work it
/// does not copy stayed at 6 inliers or fewer.
const MIN_RESPONSE: f32 = 1.0e4;

/// A corner found on one pyramid level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keypoint {
    /// Column in pixels of the level-0 picture.
    pub x: f32,
    /// Row in pixels of the level-0 picture.
    pub y: f32,
    /// Level-0 pixels per pixel of the level it was found on (1 on level 0, then
    /// [`LEVEL_SCALE`]^level).
    pub scale: f32,
    /// BRIEF descriptor of the upright patch: bit `i` is set when the smoothed level is
    /// darker at the first point of pair `i` than at the second.
    pub descriptor: Hash256,
}

/// The keypoints of one picture, with the descriptors of the same points in the picture
/// mirrored left to right (`mirrored[i]` belongs to `keypoints[i]`, whose column becomes
/// `width - 1 - x` there).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Width in pixels of the level-0 picture.
    pub width: u32,
    /// Height in pixels of the level-0 picture.
    pub height: u32,
    /// The keypoints, level by level.
    pub keypoints: Vec<Keypoint>,
    /// Their mirrored descriptors.
    pub mirrored: Vec<Hash256>,
}

/// The 256 BRIEF point pairs, `(x1, y1, x2, y2)` offsets from the patch centre, drawn once
/// from an isotropic Gaussian (sigma = [`PATCH_SIDE`] / 5, BRIEF's G II sampling) with a fixed
/// seed and clamped to the patch: stored descriptors depend on it, so it never changes.
fn pattern() -> &'static [[i32; 4]; 256] {
    static PATTERN: OnceLock<[[i32; 4]; 256]> = OnceLock::new();
    PATTERN.get_or_init(|| {
        // SplitMix64 and Box-Muller: deterministic on every platform.
        let mut state = 0x5357_4f52_444e_4554_u64;
        let mut next_unit =
            move || ((splitmix64(&mut state) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let sigma = PATCH_SIDE as f64 / 5.0;
        let half = (PATCH_SIDE / 2) as f64;
        let mut gaussian = move || {
            let (u, v) = (next_unit(), next_unit());
            let g = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos() * sigma;
            g.round().clamp(-half, half) as i32
        };
        let mut pairs = [[0i32; 4]; 256];
        for pair in pairs.iter_mut() {
            loop {
                *pair = [gaussian(), gaussian(), gaussian(), gaussian()];
                if pair[0] != pair[2] || pair[1] != pair[3] {
                    break;
                }
            }
        }
        pairs
    })
}

/// How a picture's keypoint budget is shared among its pyramid levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Levels {
    /// In proportion to each level's area (most on the full-size level): for reference
    /// photos, whose every part must keep points at full detail.
    ByArea,
    /// The same number on every level from the first whose longer side is at most
    /// [`UPLOAD_TOP_SIDE`]: for uploads, whose detail may be a tight crop enlarged several
    /// times, met only on a coarse level.
    Equally,
}

/// The next value of the SplitMix64 generator (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) whose state is `state`: fixed-seed
/// sequences that are the same on every platform.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Up to about `max_points` keypoints of `picture`, shared among the levels as `spread_over`
/// says, and within a level spread over its area ([`CELL_SIDE`] cells) strongest first.
/// Pictures with a side under [`MIN_LEVEL_SIDE`] and flat pictures give none. Cost: about
/// 15 ms for a 512 x 512 picture on one core.
pub fn features(picture: &Picture, max_points: usize, spread_over: Levels) -> Features {
    let mut levels = Vec::new();
    // Low-contrast pictures (a grey storm sky) stretched to full range, so that corner
    // strength does not depend on exposure; blank ones are left as they are and stay flat.
    let stretched = picture.contrast_stretched();
    let mut level = Cow::Borrowed(stretched.as_ref().unwrap_or(picture));
    let mut scale = 1.0f32;
    if spread_over == Levels::Equally {
        // Skip the levels larger than UPLOAD_TOP_SIDE in one resize.
        let long = level.width.max(level.height) as f32;
        let skipped = (long / UPLOAD_TOP_SIDE as f32).ln() / LEVEL_SCALE.ln();
        if skipped > 0.0 {
            let top_scale = LEVEL_SCALE.powi(skipped.ceil() as i32);
            let w = (level.width as f32 / top_scale).round() as u32;
            let h = (level.height as f32 / top_scale).round() as u32;
            match shrink(&level, w, h) {
                Some(top) => {
                    level = Cow::Owned(top);
                    scale = top_scale;
                }
                None => {
                    return Features {
                        width: picture.width,
                        height: picture.height,
                        ..Features::default()
                    }
                }
            }
        }
    }
    while level.width.min(level.height) >= MIN_LEVEL_SIDE {
        let next_w = (level.width as f32 / LEVEL_SCALE).round() as u32;
        let next_h = (level.height as f32 / LEVEL_SCALE).round() as u32;
        let Some(next) = shrink(&level, next_w, next_h) else {
            break;
        };
        levels.push((level, scale));
        level = Cow::Owned(next);
        scale *= LEVEL_SCALE;
    }
    let total_area: f32 = levels
        .iter()
        .map(|(l, _)| (l.width * l.height) as f32)
        .sum();
    let mut out = Features {
        width: picture.width,
        height: picture.height,
        ..Features::default()
    };
    for (level, scale) in &levels {
        let share = match spread_over {
            Levels::ByArea => (level.width * level.height) as f32 / total_area,
            Levels::Equally => 1.0 / levels.len() as f32,
        };
        let budget = (max_points as f32 * share).ceil() as usize;
        let sums = SummedArea::new(level);
        for (x, y) in corners(level, budget) {
            let (descriptor, mirrored) = describe(&sums, x, y);
            out.keypoints.push(Keypoint {
                x: (x as f32 + 0.5) * scale - 0.5,
                y: (y as f32 + 0.5) * scale - 0.5,
                scale: *scale,
                descriptor,
            });
            out.mirrored.push(mirrored);
        }
    }
    out
}

/// The `budget` strongest Harris corners of `p` that are local maxima over their 5x5
/// neighbourhood and at least [`EDGE_MARGIN`] from every edge.
fn corners(p: &Picture, budget: usize) -> Vec<(u32, u32)> {
    let (w, h) = (p.width as usize, p.height as usize);
    let m = EDGE_MARGIN as usize;
    if w <= 2 * m || h <= 2 * m || budget == 0 {
        return Vec::new();
    }
    let response = harris_response(p);
    let mut found = Vec::new();
    for y in m..h - m {
        let row = &response[y * w..(y + 1) * w];
        for x in m..w - m {
            let r = row[x];
            if r < MIN_RESPONSE || r < row[x - 1] || r <= row[x + 1] {
                continue;
            }
            let mut is_max = true;
            'window: for ny in y - 2..=y + 2 {
                for nx in x - 2..=x + 2 {
                    let other = response[ny * w + nx];
                    if other > r || (other == r && (ny, nx) < (y, x)) {
                        is_max = false;
                        break 'window;
                    }
                }
            }
            if is_max {
                found.push((r, x as u32, y as u32));
            }
        }
    }
    spread(found, budget, w, h)
}

/// Side in pixels of the cells among which a level's keypoints are shared.
pub const CELL_SIDE: usize = 48;

/// Up to `budget` of the corners `(response, x, y)` of a `w` x `h` level: first an equal
/// share of each [`CELL_SIDE`] cell's strongest, then the strongest of the rest. Without
/// this, corners crowd into the most contrasted part of a photo (a face, whiskers) and a
/// crop of a quieter part finds none to match.
fn spread(mut found: Vec<(f32, u32, u32)>, budget: usize, w: usize, h: usize) -> Vec<(u32, u32)> {
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.2, a.1).cmp(&(b.2, b.1))));
    let columns = w.div_ceil(CELL_SIDE);
    let cells = columns * h.div_ceil(CELL_SIDE);
    let per_cell = (budget / cells).max(1);
    let mut taken = vec![0usize; cells];
    let (mut first, mut rest) = (Vec::new(), Vec::new());
    for (_, x, y) in found {
        let cell = (y as usize / CELL_SIDE) * columns + x as usize / CELL_SIDE;
        if taken[cell] < per_cell {
            taken[cell] += 1;
            first.push((x, y));
        } else {
            rest.push((x, y));
        }
    }
    first.truncate(budget);
    let room = budget - first.len();
    first.extend(rest.into_iter().take(room));
    first
}

/// The Harris measure `det(M) - k trace(M)^2` at every pixel of `p`, where `M` sums the
/// products of the Sobel gradients (in luma levels per pixel) over the 3x3 window around the
/// pixel; 0 within two pixels of the edges. One pass over the picture, three rows of window
/// sums kept at a time.
fn harris_response(p: &Picture) -> Vec<f32> {
    let (w, h) = (p.width as usize, p.height as usize);
    let mut response = vec![0f32; w * h];
    if w < 5 || h < 5 {
        return response;
    }
    let l = &p.luma;
    // Gradient products of one row, then their horizontal 3-sums for the last three rows.
    let mut products = [vec![0f32; w], vec![0f32; w], vec![0f32; w]];
    let mut rows: [[Vec<f32>; 3]; 3] =
        std::array::from_fn(|_| std::array::from_fn(|_| vec![0f32; w]));
    for y in 1..h - 1 {
        let (up, row, down) = (
            &l[(y - 1) * w..y * w],
            &l[y * w..(y + 1) * w],
            &l[(y + 1) * w..(y + 2) * w],
        );
        for x in 1..w - 1 {
            let gx = (up[x + 1] + 2.0 * row[x + 1] + down[x + 1])
                - (up[x - 1] + 2.0 * row[x - 1] + down[x - 1]);
            let gy =
                (down[x - 1] + 2.0 * down[x] + down[x + 1]) - (up[x - 1] + 2.0 * up[x] + up[x + 1]);
            let (gx, gy) = (gx * 0.125, gy * 0.125);
            products[0][x] = gx * gx;
            products[1][x] = gy * gy;
            products[2][x] = gx * gy;
        }
        let slot = &mut rows[y % 3];
        for (sums, product) in slot.iter_mut().zip(&products) {
            for x in 2..w - 2 {
                sums[x] = product[x - 1] + product[x] + product[x + 1];
            }
        }
        if y < 3 {
            continue;
        }
        // Rows y-2, y-1 and y are in the ring: the window of row y-1 is complete.
        let out = &mut response[(y - 1) * w..y * w];
        let [r0, r1, r2] = &rows;
        for x in 2..w - 2 {
            let a = r0[0][x] + r1[0][x] + r2[0][x];
            let b = r0[1][x] + r1[1][x] + r2[1][x];
            let c = r0[2][x] + r1[2][x] + r2[2][x];
            let trace = a + b;
            out[x] = a * b - c * c - HARRIS_K * trace * trace;
        }
    }
    response
}

/// `p` resampled to `width` x `height` (convolution with a bilinear kernel widened to the
/// reduction, so it averages like an area filter); `None` if the resizer refuses the sizes.
fn shrink(p: &Picture, width: u32, height: u32) -> Option<Picture> {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let src = ImageRef::new(
        p.width,
        p.height,
        bytemuck::cast_slice(&p.luma),
        PixelType::F32,
    )
    .ok()?;
    let mut dst = Image::new(width, height, PixelType::F32);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&src, &mut dst, &options).ok()?;
    let luma = bytemuck::pod_collect_to_vec(dst.buffer());
    Some(Picture {
        width,
        height,
        luma,
    })
}

/// Summed-area table of a level (Crow, "Summed-area tables for texture mapping", SIGGRAPH
/// 1984): any box sum in four reads. BRIEF compares 5x5 box sums instead of single pixels,
/// as ORB does, which smooths away noise and JPEG blocking.
struct SummedArea {
    /// Row stride: the level's width + 1.
    stride: usize,
    /// `(width + 1) * (height + 1)` sums; entry `(x, y)` sums the pixels above and left of it.
    sums: Vec<f64>,
}

impl SummedArea {
    fn new(p: &Picture) -> SummedArea {
        let (w, h) = (p.width as usize, p.height as usize);
        let stride = w + 1;
        let mut sums = vec![0f64; stride * (h + 1)];
        for (y, row) in p.luma.chunks_exact(w.max(1)).take(h).enumerate() {
            let (above, below) = sums[y * stride..(y + 2) * stride].split_at_mut(stride);
            let mut row_sum = 0f64;
            for ((out, &up), &v) in below[1..].iter_mut().zip(&above[1..]).zip(row) {
                row_sum += f64::from(v);
                *out = up + row_sum;
            }
        }
        SummedArea { stride, sums }
    }

    /// Sum of the 5x5 box centred on `(x, y)` (which must lie at least 2 pixels inside).
    #[inline]
    fn box5(&self, x: i32, y: i32) -> f64 {
        let (x0, y0) = ((x - 2) as usize, (y - 2) as usize);
        let (x1, y1) = (x0 + 5, y0 + 5);
        let s = self.stride;
        self.sums[y1 * s + x1] - self.sums[y0 * s + x1] - self.sums[y1 * s + x0]
            + self.sums[y0 * s + x0]
    }
}

/// The BRIEF pattern and its mirror image as comparisons between the distinct patch points
/// they read: the 1024 point reads of one keypoint (256 pairs, upright and mirrored) fall on
/// far fewer distinct points near the patch centre, so each point's box sum is taken once.
struct Sampling {
    /// The distinct `(dx, dy)` offsets from the patch centre read by either pattern.
    points: Vec<(i32, i32)>,
    /// For pair `i`: indices into `points` of its upright first and second points, then of
    /// its mirrored first and second points.
    pairs: [[u16; 4]; 256],
}

/// The [`Sampling`] of [`pattern`], built once.
fn sampling() -> &'static Sampling {
    static SAMPLING: OnceLock<Sampling> = OnceLock::new();
    SAMPLING.get_or_init(|| {
        let mut points: Vec<(i32, i32)> = Vec::new();
        let mut index_of = |p: (i32, i32)| -> u16 {
            match points.iter().position(|&q| q == p) {
                Some(i) => i as u16,
                None => {
                    points.push(p);
                    (points.len() - 1) as u16
                }
            }
        };
        let mut pairs = [[0u16; 4]; 256];
        for (pair, &[x1, y1, x2, y2]) in pairs.iter_mut().zip(pattern().iter()) {
            *pair = [
                index_of((x1, y1)),
                index_of((x2, y2)),
                index_of((-x1, y1)),
                index_of((-x2, y2)),
            ];
        }
        Sampling { points, pairs }
    })
}

/// BRIEF descriptors at `(x, y)` of a level given by its summed-area table: upright, and with
/// the pattern mirrored left to right (the descriptor of the mirrored picture's corresponding
/// point). Each distinct point's 5x5 box sum is read once ([`Sampling`]); the bits are those
/// of comparing the pairs' box sums one by one (`describe_pairwise` in the tests).
fn describe(s: &SummedArea, x: u32, y: u32) -> (Hash256, Hash256) {
    let sampling = sampling();
    let mut sums = [0f64; 1024];
    for (sum, &(dx, dy)) in sums.iter_mut().zip(&sampling.points) {
        *sum = s.box5(x as i32 + dx, y as i32 + dy);
    }
    let mut upright = [0u64; 4];
    let mut mirrored = [0u64; 4];
    for (i, &[a, b, ma, mb]) in sampling.pairs.iter().enumerate() {
        let bit = 1u64 << (i % 64);
        if sums[a as usize] < sums[b as usize] {
            upright[i / 64] |= bit;
        }
        if sums[ma as usize] < sums[mb as usize] {
            mirrored[i / 64] |= bit;
        }
    }
    (Hash256(upright), Hash256(mirrored))
}

#[cfg(test)]
mod tests;

//! Border detection: find the active picture area inside letterbox / pillarbox bars, padding,
//! and the blurred, enlarged copy of itself that a 16:9 film is placed on in a 9:16 repost.
//!
//! Detection runs over several frames of one video at once so that the area is stable over
//! time (a dark scene does not shrink it). Two detectors:
//! - **uniform bars**: edge rows/columns whose pixels are flat (low spread) in every frame
//!   and whose level does not change over time (black, white or any solid colour);
//! - **blurred fill**: edge rows/columns whose detail (mean absolute gradient) is far below
//!   that of the picture's centre, symmetric on both sides (enlarged, blurred background);
//!   rows first, then columns measured within the picture's rows (a picture narrower than
//!   the frame has fill on all four sides).

use super::Picture;

/// A rectangle in relative coordinates (0..1 of width and height).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActiveArea {
    /// Left edge, fraction of the width.
    pub x: f32,
    /// Top edge, fraction of the height.
    pub y: f32,
    /// Width, fraction of the width.
    pub w: f32,
    /// Height, fraction of the height.
    pub h: f32,
}

impl ActiveArea {
    /// The whole picture.
    pub const FULL: ActiveArea = ActiveArea {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
    };

    /// True when the area is (nearly) the whole picture: less than 3 % cut on each axis.
    pub fn is_full(&self) -> bool {
        self.w > 0.97 && self.h > 0.97
    }

    /// Crops `picture` to this area.
    pub fn apply(&self, picture: &Picture) -> Picture {
        let (pw, ph) = (picture.width as f32, picture.height as f32);
        let x = (self.x * pw).round() as u32;
        let y = (self.y * ph).round() as u32;
        let w = ((self.w * pw).round() as u32).max(1);
        let h = ((self.h * ph).round() as u32).max(1);
        picture.crop(x, y, w, h)
    }
}

/// Which detectors to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BorderMode {
    /// Uniform bars only (safe for references).
    UniformBars,
    /// Uniform bars, then blurred fill inside them (for queries).
    BarsAndBlur,
}

/// Largest spread (standard deviation, 0–255 luma) of a row or column that is still a flat bar.
const FLAT_SPREAD: f32 = 6.0;
/// Largest change of a bar's level over time (luma).
const BAR_LEVEL_DRIFT: f32 = 10.0;
/// A fill line has less than this fraction of the centre's detail (after the median of
/// [`blur_extent`]). The blurred copy of a cartoon re-encoded at CRF 30 keeps 0.3–0.45 of the
/// picture's detail (the encoder's blocks, the copy's large shapes), and a darkened one as
/// much: at 0.35 such fills ended early on one side and were not found.
const BLUR_DETAIL_RATIO: f32 = 0.5;

/// The active area of a video (or image) from `frames` (all the same size). `None` when no
/// border was found or the frames carry no detail. Over several frames (a video), uniform bars
/// must come in centred pairs (`paired`); in one picture (a screenshot) they need not.
pub fn detect(frames: &[&Picture], mode: BorderMode) -> Option<ActiveArea> {
    let first = frames.first()?;
    let (w, h) = (first.width as usize, first.height as usize);
    if w < 16
        || h < 16
        || frames
            .iter()
            .any(|f| f.width as usize != w || f.height as usize != h)
    {
        return None;
    }
    if mode == BorderMode::UniformBars && !edges_flat(first, w, h) {
        // No flat line at any edge of one frame: no flat line there over all the frames
        // either (a line's spread is its worst over frames), so no bar anywhere. Most frames
        // have none; this skips the full pass over them.
        return None;
    }
    measured(frames, w, h, mode)
}

/// [`detect`] from the line statistics of every row and column of `frames` (`w` x `h`).
fn measured(frames: &[&Picture], w: usize, h: usize, mode: BorderMode) -> Option<ActiveArea> {
    let (rows, cols) = line_stats(frames, w, h, mode == BorderMode::BarsAndBlur);
    let (mut top, mut bottom) = flat_extent(&rows);
    let (mut left, mut right) = flat_extent(&cols);
    if frames.len() > 1 {
        (top, bottom) = paired(top, bottom, h);
        (left, right) = paired(left, right, w);
    }
    if top + bottom >= h * 4 / 5 || left + right >= w * 4 / 5 {
        return None; // blank or nearly blank: nothing to crop to
    }
    if mode == BorderMode::BarsAndBlur {
        let row_detail: Vec<f32> = rows[top..h - bottom].iter().map(|s| s.detail).collect();
        let (bt, bb) = blur_extent(&row_detail);
        top += bt;
        bottom += bb;
        // A picture narrower than the frame (fill on all four sides): its columns are told
        // from the fill within its own rows only; over the whole height the fill above and
        // below would drown their detail.
        let col_detail = if bt + bb > 0 {
            column_detail(frames, w, top + 1..h - bottom)
        } else {
            cols.iter().map(|s| s.detail).collect()
        };
        let (bl, br) = blur_extent(&col_detail[left..w - right]);
        left += bl;
        right += br;
    }
    let area = ActiveArea {
        x: left as f32 / w as f32,
        y: top as f32 / h as f32,
        w: (w - left - right) as f32 / w as f32,
        h: (h - top - bottom) as f32 / h as f32,
    };
    (!area.is_full() && area.w >= 0.2 && area.h >= 0.2).then_some(area)
}

/// Per line (row or column): the worst in-line spread over frames, the drift of its mean
/// level over frames, and its mean detail (absolute gradient along and across the line).
struct LineStat {
    spread: f32,
    drift: f32,
    detail: f32,
}

/// The statistics of every row and of every column, in one row-major pass over each frame;
/// `detail` stays 0 unless `with_detail` (only blurred fill needs it).
fn line_stats(
    frames: &[&Picture],
    w: usize,
    h: usize,
    with_detail: bool,
) -> (Vec<LineStat>, Vec<LineStat>) {
    let mut rows = LineAccumulator::new(h);
    let mut cols = LineAccumulator::new(w);
    let mut col_sum = vec![0.0f32; w];
    let mut col_sq = vec![0.0f32; w];
    let mut row_mean = vec![0.0f32; h];
    let mut row_spread = vec![0.0f32; h];
    let mut gradient = vec![0.0f32; w];
    for p in frames {
        col_sum.fill(0.0);
        col_sq.fill(0.0);
        for y in 0..h {
            let row = &p.luma[y * w..(y + 1) * w];
            for ((&v, s), q) in row.iter().zip(col_sum.iter_mut()).zip(col_sq.iter_mut()) {
                *s += v;
                *q += v * v;
            }
            let (sum, sq) = lane_sums(row);
            if with_detail {
                // Gradient along the row plus across it, counted in this row's detail and in
                // each column's: branch-free passes over whole rows (vectorised), the row's
                // sum in eight lanes.
                gradient.fill(0.0);
                for ((g, &v), &left) in gradient[1..].iter_mut().zip(&row[1..]).zip(row) {
                    *g = (v - left).abs();
                }
                if y > 0 {
                    let above = &p.luma[(y - 1) * w..y * w];
                    for ((g, &v), &a) in gradient.iter_mut().zip(row).zip(above) {
                        *g += (v - a).abs();
                    }
                }
                for (c, &g) in cols.detail.iter_mut().zip(gradient.iter()) {
                    *c += g;
                }
                rows.detail[y] += lane_sum(&gradient);
            }
            row_mean[y] = sum / w as f32;
            row_spread[y] = spread(sum, sq, w);
        }
        rows.add_frame(&row_mean, &row_spread);
        let means: Vec<f32> = col_sum.iter().map(|s| s / h as f32).collect();
        let spreads: Vec<f32> = col_sum
            .iter()
            .zip(&col_sq)
            .map(|(&s, &q)| spread(s, q, h))
            .collect();
        cols.add_frame(&means, &spreads);
    }
    (rows.finish(frames.len(), w), cols.finish(frames.len(), h))
}

/// True when the top or bottom row or the left or right column of `p` (`w` x `h`) is flat
/// (spread at most [`FLAT_SPREAD`]), computed exactly as [`line_stats`] computes it.
fn edges_flat(p: &Picture, w: usize, h: usize) -> bool {
    let row = |y: usize| {
        let (sum, sq) = lane_sums(&p.luma[y * w..(y + 1) * w]);
        spread(sum, sq, w)
    };
    let column = |x: usize| {
        let (mut sum, mut sq) = (0.0f32, 0.0f32);
        for y in 0..h {
            let v = p.luma[y * w + x];
            sum += v;
            sq += v * v;
        }
        spread(sum, sq, h)
    };
    [row(0), row(h - 1), column(0), column(w - 1)]
        .iter()
        .any(|&s| s <= FLAT_SPREAD)
}

/// Sum of `values` in eight independent lanes (so that the additions vectorise).
fn lane_sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// Sum and sum of squares of `values`, each in eight independent lanes.
fn lane_sums(values: &[f32]) -> (f32, f32) {
    let (mut sums, mut squares) = ([0.0f32; 8], [0.0f32; 8]);
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for ((s, q), &v) in sums.iter_mut().zip(squares.iter_mut()).zip(c) {
            *s += v;
            *q += v * v;
        }
    }
    let rest = chunks.remainder();
    (
        sums.iter().sum::<f32>() + rest.iter().sum::<f32>(),
        squares.iter().sum::<f32>() + rest.iter().map(|v| v * v).sum::<f32>(),
    )
}

/// Standard deviation of `n` values from their sum and sum of squares.
fn spread(sum: f32, sq: f32, n: usize) -> f32 {
    let mean = sum / n as f32;
    (sq / n as f32 - mean * mean).max(0.0).sqrt()
}

/// Running per-line statistics over frames.
struct LineAccumulator {
    spread: Vec<f32>,
    lo: Vec<f32>,
    hi: Vec<f32>,
    detail: Vec<f32>,
}

impl LineAccumulator {
    fn new(lines: usize) -> Self {
        LineAccumulator {
            spread: vec![0.0; lines],
            lo: vec![f32::MAX; lines],
            hi: vec![f32::MIN; lines],
            detail: vec![0.0; lines],
        }
    }

    fn add_frame(&mut self, means: &[f32], spreads: &[f32]) {
        for (i, (&m, &s)) in means.iter().zip(spreads).enumerate() {
            self.spread[i] = self.spread[i].max(s);
            self.lo[i] = self.lo[i].min(m);
            self.hi[i] = self.hi[i].max(m);
        }
    }

    /// Per-line statistics; `len` is the length of a line in pixels.
    fn finish(self, frames: usize, len: usize) -> Vec<LineStat> {
        (0..self.spread.len())
            .map(|i| LineStat {
                spread: self.spread[i],
                drift: self.hi[i] - self.lo[i],
                detail: self.detail[i] / (frames * len) as f32,
            })
            .collect()
    }
}

/// How many lines at each end are flat, steady bars.
fn flat_extent(lines: &[LineStat]) -> (usize, usize) {
    let flat = |s: &LineStat| s.spread <= FLAT_SPREAD && s.drift <= BAR_LEVEL_DRIFT;
    let start = lines.iter().take_while(|s| flat(s)).count();
    let end = lines.iter().rev().take_while(|s| flat(s)).count();
    (start, end.min(lines.len() - start))
}

/// Largest difference between the two bars of a pair, as a fraction of the picture's side
/// (bars of a centred picture differ by rounding and by dark rows of the picture next to them).
const BAR_PAIR_SLACK: f32 = 0.03;

/// The bars of a video kept as a centred pair: a letterbox, pillarbox or padding to a square
/// puts bars on both sides of the picture. A flat band along one edge only (or far deeper than
/// its opposite) is most often a caption box or a lower third over the picture; trimming it
/// would shift every view of the frame against the reference's, so only the depth both sides
/// share is removed. (The per-frame [`View::FrameBars`](super::views::View::FrameBars) view
/// still removes a one-sided bar, for a film padded along one edge.)
fn paired(start: usize, end: usize, side: usize) -> (usize, usize) {
    let slack = ((side as f32 * BAR_PAIR_SLACK) as usize).max(2);
    if start.abs_diff(end) <= slack {
        (start, end)
    } else {
        let both = start.min(end);
        (both, both)
    }
}

/// Mean detail (absolute gradient along the row plus across it, as [`line_stats`] measures
/// it) of every column of `frames` (`w` pixels wide) over the rows `rows` only.
fn column_detail(frames: &[&Picture], w: usize, rows: std::ops::Range<usize>) -> Vec<f32> {
    let mut detail = vec![0.0f32; w];
    let mut gradient = vec![0.0f32; w];
    let count = rows.len() * frames.len();
    for p in frames {
        for y in rows.clone().filter(|&y| y > 0) {
            let row = &p.luma[y * w..(y + 1) * w];
            let above = &p.luma[(y - 1) * w..y * w];
            gradient[0] = 0.0;
            for ((g, &v), &left) in gradient[1..].iter_mut().zip(&row[1..]).zip(row) {
                *g = (v - left).abs();
            }
            for (((d, &g), &v), &a) in detail.iter_mut().zip(&gradient).zip(row).zip(above) {
                *d += g + (v - a).abs();
            }
        }
    }
    for d in &mut detail {
        *d /= count.max(1) as f32;
    }
    detail
}

/// Lines on each side of a line whose median detail stands for it in [`blur_extent`].
const BLUR_MEDIAN_REACH: usize = 3;

/// How many lines at each end are blurred fill, from the `detail` of each line: far less
/// detail than the middle third, on both sides in similar amounts (a centred picture on its
/// own blurred copy). Each line's detail is the median of the [`BLUR_MEDIAN_REACH`] lines on
/// either side, so that one line of the fill made busier by the encoder (its blocks, a bright
/// patch of the enlarged copy) does not end the fill early, nor one sharp line (the edge
/// between fill and picture) make it run on.
fn blur_extent(detail: &[f32]) -> (usize, usize) {
    let n = detail.len();
    if n < 12 {
        return (0, 0);
    }
    let mut middle: Vec<f32> = detail[n / 3..2 * n / 3].to_vec();
    middle.sort_by(|a, b| a.total_cmp(b));
    let reference = middle[middle.len() / 2];
    if reference < 1.0 {
        return (0, 0);
    }
    let smoothed: Vec<f32> = (0..n)
        .map(|i| {
            let window =
                &detail[i.saturating_sub(BLUR_MEDIAN_REACH)..(i + BLUR_MEDIAN_REACH + 1).min(n)];
            let mut sorted = window.to_vec();
            sorted.sort_by(|a, b| a.total_cmp(b));
            sorted[sorted.len() / 2]
        })
        .collect();
    let low = |d: &f32| *d < reference * BLUR_DETAIL_RATIO;
    let start = smoothed.iter().take_while(|d| low(d)).count();
    let end = smoothed.iter().rev().take_while(|d| low(d)).count();
    let (small, large) = (start.min(end), start.max(end));
    if small < n / 20 || large > small * 2 + n / 20 || start + end > n * 3 / 4 {
        return (0, 0);
    }
    (start, end)
}

#[cfg(test)]
mod tests;

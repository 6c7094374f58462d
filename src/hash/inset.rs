//! Picture-in-picture detection: a rectangle whose four sides are edges that persist over time.
//!
//! An inset (a film shown small over other footage) has straight borders where its picture
//! meets the background. Both pictures move, but the border stays: at each pixel boundary we
//! count in how many sampled frames the luma jumps; lines of persistent jumps are the inset's
//! sides. Among rectangles whose sides are supported (or lie on the frame edge), the inset is
//! the one with a film's aspect ratio (a side on the frame edge is first moved in to the
//! nearest standard aspect), then with the most sides on lines, then the largest; when that
//! one takes in a strip of flat background along a side (a screen recording: the player's
//! edges line up with the page's sidebar or progress bar), the best one without such a strip
//! is kept too. A stack (a film beside, above or below other footage, as reaction and
//! split-screen reposts show it) has a single such line across the frame: the film-shaped
//! parts it cuts off are kept too ([`windows`]). Static scenes also have persistent edges, so the results are only extra
//! query views.

use super::borders::ActiveArea;
use super::views::STANDARD_ASPECTS;
use super::Picture;

/// A luma jump this large (0–255) marks an edge between two pixels.
const EDGE_STEP: f32 = 10.0;
/// Share of frames in which a boundary pixel must be an edge to count as persistent.
const PERSISTENT: f32 = 0.6;
/// Share of a side's pixels that must be persistent edge (an inset's side over busy footage
/// measured 0.49–0.58 on the dev picture-in-picture uploads).
const SIDE_SUPPORT: f32 = 0.5;
/// Side support asked when no rectangle has [`SIDE_SUPPORT`] on its sides: an inset whose
/// picture is light at its edges over light footage (a white-table product clip over a pale
/// cartoon, the dev upload q0155) shows its left and right sides in 43–45 % of their pixels.
const WEAK_SIDE_SUPPORT: f32 = 0.4;
/// Lines of each orientation kept as candidates.
const MAX_LINES: usize = 10;

/// A candidate side: a column (or row) boundary with the prefix sums of its persistent-edge
/// pixels along the other axis.
#[derive(Debug, Clone)]
struct Line {
    at: usize,
    prefix: Vec<u32>,
}

impl Line {
    /// Share of `[a, b)` along the line that is persistent edge.
    fn support(&self, a: usize, b: usize) -> f32 {
        if b <= a {
            return 0.0;
        }
        (self.prefix[b] - self.prefix[a]) as f32 / (b - a) as f32
    }
}

/// The strongest lines: boundaries `0..across` with the most persistent pixels along `along`,
/// at least 3 px apart.
fn lines(persistent: &dyn Fn(usize, usize) -> bool, across: usize, along: usize) -> Vec<Line> {
    let mut all: Vec<Line> = (0..across)
        .map(|a| {
            let mut prefix = Vec::with_capacity(along + 1);
            prefix.push(0u32);
            for b in 0..along {
                let last = prefix[b];
                prefix.push(last + persistent(a, b) as u32);
            }
            Line { at: a + 1, prefix }
        })
        .filter(|l| l.prefix[along] as usize >= along / 8)
        .collect();
    all.sort_by_key(|l| std::cmp::Reverse(l.prefix[along]));
    let mut kept: Vec<Line> = Vec::new();
    for l in all {
        if kept.len() >= MAX_LINES {
            break;
        }
        if kept.iter().all(|k| k.at.abs_diff(l.at) > 2) {
            kept.push(l);
        }
    }
    kept
}

/// Persistent edges of a run of frames: the strongest column and row boundaries.
struct Edges {
    width: usize,
    height: usize,
    /// Column boundaries (`at` = x of the first pixel right of it), support along y.
    cols: Vec<Line>,
    /// Row boundaries (`at` = y of the first pixel below it), support along x.
    rows: Vec<Line>,
}

impl Edges {
    /// The persistent edges of `frames` (same size, at least 8 frames, 32 px a side).
    fn of(frames: &[&Picture]) -> Option<Edges> {
        let first = frames.first()?;
        let (w, h) = (first.width as usize, first.height as usize);
        if frames.len() < 8
            || w < 32
            || h < 32
            || frames
                .iter()
                .any(|f| f.width as usize != w || f.height as usize != h)
        {
            return None;
        }
        // vertical[y * w + x]: frames with a jump between (x, y) and (x + 1, y); horizontal
        // likewise down.
        let mut vertical = vec![0u16; w * h];
        let mut horizontal = vec![0u16; w * h];
        // Branch-free over whole rows, so that the compiler vectorises the counting.
        for f in frames {
            for y in 0..h {
                let row = &f.luma[y * w..(y + 1) * w];
                let counts = &mut vertical[y * w..y * w + w - 1];
                for ((c, &a), &b) in counts.iter_mut().zip(row).zip(&row[1..]) {
                    *c += ((b - a).abs() > EDGE_STEP) as u16;
                }
                if y + 1 < h {
                    let below = &f.luma[(y + 1) * w..(y + 2) * w];
                    let counts = &mut horizontal[y * w..(y + 1) * w];
                    for ((c, &a), &b) in counts.iter_mut().zip(row).zip(below) {
                        *c += ((b - a).abs() > EDGE_STEP) as u16;
                    }
                }
            }
        }
        let need = (PERSISTENT * frames.len() as f32).ceil() as u16;
        // Columns: the boundary between x and x+1, running along y; rows likewise.
        Some(Edges {
            width: w,
            height: h,
            cols: lines(&|x, y| vertical[y * w + x] >= need, w - 1, h),
            rows: lines(&|y, x| horizontal[y * w + x] >= need, h - 1, w),
        })
    }
}

/// The extra query windows of a video from its first frames (same size, at least 8 frames, 32
/// px a side; else none): the picture-in-picture inset first, then the film-shaped parts of a
/// stack (at most [`MAX_STACK_PARTS`]), none twice (module documentation).
pub fn windows(frames: &[&Picture]) -> Vec<ActiveArea> {
    let Some(edges) = Edges::of(frames) else {
        return Vec::new();
    };
    let mut found: Vec<ActiveArea> = insets_of(&edges, frames);
    for part in stack_parts(&edges) {
        if !found.contains(&part) {
            found.push(part);
        }
    }
    found
}

/// Most stack parts [`windows`] returns (each is one more view searched per frame).
pub const MAX_STACK_PARTS: usize = 3;

/// The film-shaped parts of a stack among the persistent edges: a film beside, above or below other footage
/// (reaction and split-screen reposts) meets it along one persistent line across the whole
/// frame, the other three sides being the frame's edges. Every part cut off by such a line
/// (supported along at least half its length) that has a film's aspect ratio and covers
/// 20–80 % of the frame, best supported first, at most [`MAX_STACK_PARTS`]: the footage
/// beside the film may have straight persistent edges of its own (test patterns, a game's
/// interface), which cut off film-shaped parts too, so more than one is kept.
fn stack_parts(e: &Edges) -> Vec<ActiveArea> {
    let (w, h) = (e.width, e.height);
    // (support, area, rectangle (x1, x2, y1, y2)).
    let mut parts: Vec<(f32, usize, Sides)> = Vec::new();
    for l in &e.cols {
        let support = l.support(0, h);
        parts.push((support, l.at * h, (0, l.at, 0, h)));
        parts.push((support, (w - l.at) * h, (l.at, w, 0, h)));
    }
    for l in &e.rows {
        let support = l.support(0, w);
        parts.push((support, l.at * w, (0, w, 0, l.at)));
        parts.push((support, (h - l.at) * w, (0, w, l.at, h)));
    }
    parts.retain(|&(support, area, rect)| {
        let share = area as f32 / (w * h) as f32;
        support >= SIDE_SUPPORT && (0.2..=0.8).contains(&share) && film_aspect(rect)
    });
    parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    parts
        .into_iter()
        .take(MAX_STACK_PARTS)
        .map(|(_, _, rect)| fraction_of(rect, w, h))
        .collect()
}

/// A rectangle of a `w` x `h` frame in pixels as fractions of the frame.
fn fraction_of((x1, x2, y1, y2): Sides, w: usize, h: usize) -> ActiveArea {
    ActiveArea {
        x: x1 as f32 / w as f32,
        y: y1 as f32 / h as f32,
        w: (x2 - x1) as f32 / w as f32,
        h: (y2 - y1) as f32 / h as f32,
    }
}

/// The inset among the persistent edges ([`inset_candidates`], best first), and, when that one
/// has a side along flat background ([`along_background`]: a screen recording's player, whose
/// persistent edges also run along the page's sidebar, title bar or progress bar, makes larger
/// film-shaped rectangles that take in a strip of the page), the best candidate without such
/// a side as well; and the smallest candidate of the best one's rank that lies inside it and
/// moves one of its sides in (the inset, when the best one reaches out to a persistent edge of
/// the background beside it: on an upload that shows a film 35 % wide over an old cartoon,
/// the cartoon's own frame edge 10 px left of the inset).
fn insets_of(e: &Edges, frames: &[&Picture]) -> Vec<ActiveArea> {
    let mut candidates = inset_candidates(e, SIDE_SUPPORT);
    if candidates.is_empty() {
        candidates = inset_candidates(e, WEAK_SIDE_SUPPORT);
    }
    let Some(&(best, best_rank)) = candidates.first() else {
        return Vec::new();
    };
    let mut found = vec![best];
    if along_background(frames, best) {
        if let Some(&(clean, _)) = candidates
            .iter()
            .find(|&&(r, _)| !along_background(frames, r))
        {
            found.push(clean);
        }
    }
    // The largest candidate may take in a strip of background whose own persistent edge (the
    // frame of an old film, a bar) runs beside the inset's side. The smallest candidate of the
    // same rank inside it that differs from it in one side only is kept as well.
    let shared = |(a1, a2, b1, b2): Sides| {
        let (x1, x2, y1, y2) = best;
        [a1 == x1, a2 == x2, b1 == y1, b2 == y2]
            .iter()
            .filter(|&&s| s)
            .count()
    };
    let inside = |(a1, a2, b1, b2): Sides| {
        let (x1, x2, y1, y2) = best;
        a1 >= x1 && a2 <= x2 && b1 >= y1 && b2 <= y2
    };
    let nested = candidates
        .iter()
        .take_while(|&&(_, rank)| rank == best_rank)
        .filter(|&&(r, _)| r != best && inside(r) && shared(r) == 3)
        .min_by_key(|&&((x1, x2, y1, y2), _)| (x2 - x1) * (y2 - y1));
    if let Some(&(smaller, _)) = nested {
        if !found.contains(&smaller) {
            found.push(smaller);
        }
    }
    found
        .into_iter()
        .map(|r| fraction_of(r, e.width, e.height))
        .collect()
}

/// Largest spread (standard deviation, 0–255 luma) of a line of flat background next to an
/// inset (as [`super::borders`] measures a uniform bar).
const BACKGROUND_SPREAD: f32 = 6.0;

/// True when some side of `rect` runs along flat background: the two lines just inside it
/// (the side's own line skipped: scaling blends it with its neighbour) are flat in every
/// frame. A film inset's own edges show the film; a static, uniform strip inside the
/// rectangle is page or backdrop taken in with it.
fn along_background(frames: &[&Picture], (x1, x2, y1, y2): Sides) -> bool {
    if x2 < x1 + 8 || y2 < y1 + 8 {
        return false;
    }
    let flat = |values: &mut dyn Iterator<Item = f32>| {
        let (mut n, mut sum, mut sq) = (0.0f32, 0.0f32, 0.0f32);
        for v in values {
            n += 1.0;
            sum += v;
            sq += v * v;
        }
        let mean = sum / n;
        (sq / n - mean * mean).max(0.0).sqrt() <= BACKGROUND_SPREAD
    };
    let column_flat = |x: usize| {
        frames.iter().all(|f| {
            let w = f.width as usize;
            flat(&mut (y1..y2).map(|y| f.luma[y * w + x]))
        })
    };
    let row_flat = |y: usize| {
        frames.iter().all(|f| {
            let w = f.width as usize;
            flat(&mut f.luma[y * w + x1..y * w + x2].iter().copied())
        })
    };
    (column_flat(x1 + 1) && column_flat(x1 + 2))
        || (column_flat(x2 - 2) && column_flat(x2 - 3))
        || (row_flat(y1 + 1) && row_flat(y1 + 2))
        || (row_flat(y2 - 2) && row_flat(y2 - 3))
}

/// The inset candidates among the persistent edges, best first: rectangles covering 8–70 % of
/// the frame whose four sides are persistent lines (supported along at least `side_support` of
/// the side) or the frame's edge, at least three of them lines, ranked by a film's aspect
/// ratio, then sides on lines, then area; each with its rank (aspect, sides on lines).
fn inset_candidates(e: &Edges, side_support: f32) -> Vec<(Sides, (bool, usize))> {
    let (w, h) = (e.width, e.height);
    let (cols, rows) = (&e.cols, &e.rows);
    let mut xs: Vec<(usize, Option<&Line>)> = cols.iter().map(|l| (l.at, Some(l))).collect();
    xs.extend([(0, None), (w, None)]);
    let mut ys: Vec<(usize, Option<&Line>)> = rows.iter().map(|l| (l.at, Some(l))).collect();
    ys.extend([(0, None), (h, None)]);
    let supported = |line: &Option<&Line>, a: usize, b: usize| -> bool {
        line.is_none_or(|l| l.support(a, b) >= side_support)
    };
    // Score: a film's aspect, sides on lines, area; and the rectangle.
    let mut all: Vec<((bool, usize, usize), Sides)> = Vec::new();
    for (i, (x1, left)) in xs.iter().enumerate() {
        for (x2, right) in xs.iter().skip(i + 1).chain(xs.iter().take(i)) {
            if x2 <= x1 {
                continue;
            }
            for (j, (y1, top)) in ys.iter().enumerate() {
                for (y2, bottom) in ys.iter().skip(j + 1).chain(ys.iter().take(j)) {
                    if y2 <= y1 {
                        continue;
                    }
                    let area = (x2 - x1) * (y2 - y1);
                    let share = area as f32 / (w * h) as f32;
                    // At least three sides must be real lines (not the frame's edge).
                    let real = [left, right, top, bottom]
                        .iter()
                        .filter(|l| l.is_some())
                        .count();
                    if !(0.08..=0.7).contains(&share) || real < 3 {
                        continue;
                    }
                    let on_edge = [left, right, top, bottom].map(|l| l.is_none());
                    let rect = snap_edge_side((*x1, *x2, *y1, *y2, on_edge));
                    let (sx1, sx2, sy1, sy2) = rect;
                    if !(supported(left, sy1, sy2)
                        && supported(right, sy1, sy2)
                        && supported(top, sx1, sx2)
                        && supported(bottom, sx1, sx2))
                    {
                        continue;
                    }
                    // A film's own aspect first (a persistent edge inside the film, a horizon
                    // or a table, also makes a rectangle), then sides on lines, then size.
                    all.push(((film_aspect(rect), real, area), rect));
                }
            }
        }
    }
    // Best first; among equals, the first found (as the single best was kept before).
    all.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
    let mut rects: Vec<(Sides, (bool, usize))> = all
        .into_iter()
        .map(|((aspect, real, _), rect)| (rect, (aspect, real)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    rects.retain(|(r, _)| seen.insert(*r));
    rects
}

/// Largest relative difference between a rectangle's aspect ratio and a standard one for it to
/// count as a film frame.
const ASPECT_TOLERANCE: f32 = 0.06;

/// True when `(x1, x2, y1, y2)` has a standard film or phone aspect ratio (±6 %).
fn film_aspect((x1, x2, y1, y2): Sides) -> bool {
    let aspect = (x2 - x1) as f32 / (y2 - y1).max(1) as f32;
    STANDARD_ASPECTS
        .iter()
        .any(|&a| (aspect / a - 1.0).abs() <= ASPECT_TOLERANCE)
}

/// A rectangle in pixels: `(x1, x2, y1, y2)`, right and bottom exclusive.
type Sides = (usize, usize, usize, usize);

/// A candidate inset in pixels: `(x1, x2, y1, y2, on_edge)`, `on_edge` telling which of the
/// left, right, top and bottom sides lie on the frame's edge rather than on a found line.
type Rect = (usize, usize, usize, usize, [bool; 4]);

/// An inset shows a whole film frame, so its aspect ratio is a standard one. A side taken
/// from the frame's edge (its own edge was not found, e.g. a low-contrast border) is moved
/// in, by at most half the inset, to where the standard aspect nearest to that puts it.
fn snap_edge_side((x1, x2, y1, y2, on_edge): Rect) -> Sides {
    let (w, h) = ((x2 - x1) as f32, (y2 - y1) as f32);
    // The largest side length below `current` (and at least half of it) a standard aspect gives.
    let snapped = |current: f32, length_for: &dyn Fn(f32) -> f32| -> Option<usize> {
        STANDARD_ASPECTS
            .iter()
            .map(|&a| length_for(a))
            .filter(|&l| l < current && l >= 0.5 * current)
            .max_by(f32::total_cmp)
            .map(|l| l.round() as usize)
    };
    match on_edge {
        [true, false, _, _] => {
            snapped(w, &|a| h * a).map_or((x1, x2, y1, y2), |l| (x2 - l, x2, y1, y2))
        }
        [false, true, _, _] => {
            snapped(w, &|a| h * a).map_or((x1, x2, y1, y2), |l| (x1, x1 + l, y1, y2))
        }
        [_, _, true, false] => {
            snapped(h, &|a| w / a).map_or((x1, x2, y1, y2), |l| (x1, x2, y2 - l, y2))
        }
        [_, _, false, true] => {
            snapped(h, &|a| w / a).map_or((x1, x2, y1, y2), |l| (x1, x2, y1, y1 + l))
        }
        _ => (x1, x2, y1, y2),
    }
}

#[cfg(test)]
mod tests;

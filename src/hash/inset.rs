//! Picture-in-picture detection: a rectangle whose four sides are edges that persist over time.
//!
//! An inset (a film shown small over other footage) has straight borders where its picture
//! meets the background. Both pictures move, but the border stays: at each pixel boundary we
//! count in how many sampled frames the luma jumps; lines of persistent jumps are the inset's
//! sides. The largest rectangle whose sides are supported (or lie on the frame edge) is the
//! inset. Static scenes also have persistent edges, so the result is only an extra query view.

use super::borders::ActiveArea;
use super::Picture;

/// A luma jump this large (0–255) marks an edge between two pixels.
const EDGE_STEP: f32 = 10.0;
/// Share of frames in which a boundary pixel must be an edge to count as persistent.
const PERSISTENT: f32 = 0.6;
/// Share of a side's pixels that must be persistent edge.
const SIDE_SUPPORT: f32 = 0.6;
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

/// Finds an inset covering 8–70 % of the frame in `frames` (same size, at least 8 frames).
pub fn detect(frames: &[&Picture]) -> Option<ActiveArea> {
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
    // vertical[y * w + x]: frames with a jump between (x, y) and (x + 1, y); horizontal likewise down.
    let mut vertical = vec![0u16; w * h];
    let mut horizontal = vec![0u16; w * h];
    for f in frames {
        for y in 0..h {
            for x in 0..w {
                let v = f.luma[y * w + x];
                if x + 1 < w && (f.luma[y * w + x + 1] - v).abs() > EDGE_STEP {
                    vertical[y * w + x] += 1;
                }
                if y + 1 < h && (f.luma[(y + 1) * w + x] - v).abs() > EDGE_STEP {
                    horizontal[y * w + x] += 1;
                }
            }
        }
    }
    let need = (PERSISTENT * frames.len() as f32).ceil() as u16;
    // Columns: the boundary between x and x+1, running along y; rows likewise.
    let cols = lines(&|x, y| vertical[y * w + x] >= need, w - 1, h);
    let rows = lines(&|y, x| horizontal[y * w + x] >= need, h - 1, w);
    let mut xs: Vec<(usize, Option<&Line>)> = cols.iter().map(|l| (l.at, Some(l))).collect();
    xs.extend([(0, None), (w, None)]);
    let mut ys: Vec<(usize, Option<&Line>)> = rows.iter().map(|l| (l.at, Some(l))).collect();
    ys.extend([(0, None), (h, None)]);
    let supported = |line: &Option<&Line>, a: usize, b: usize| -> bool {
        line.is_none_or(|l| l.support(a, b) >= SIDE_SUPPORT)
    };
    // Best: most sides on real lines, then largest.
    let mut best: Option<((usize, usize), ActiveArea)> = None;
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
                    if supported(left, *y1, *y2)
                        && supported(right, *y1, *y2)
                        && supported(top, *x1, *x2)
                        && supported(bottom, *x1, *x2)
                        && best.is_none_or(|(score, _)| (real, area) > score)
                    {
                        best = Some((
                            (real, area),
                            ActiveArea {
                                x: *x1 as f32 / w as f32,
                                y: *y1 as f32 / h as f32,
                                w: (x2 - x1) as f32 / w as f32,
                                h: (y2 - y1) as f32 / h as f32,
                            },
                        ));
                    }
                }
            }
        }
    }
    best.map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seed: u32, inset: (usize, usize, usize, usize)) -> Picture {
        let (w, h) = (160usize, 90usize);
        let mut luma = vec![0.0; w * h];
        let mut s = seed.wrapping_mul(2654435761).max(1);
        for (i, v) in luma.iter_mut().enumerate() {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let (x, y) = (i % w, i / w);
            let inside =
                x >= inset.0 && x < inset.0 + inset.2 && y >= inset.1 && y < inset.1 + inset.3;
            // Smooth background, smooth inset of another level: the border is the only edge.
            *v = if inside {
                200.0 - (s % 4) as f32
            } else {
                60.0 + (x as f32 / 8.0) + (s % 4) as f32
            };
        }
        Picture {
            width: w as u32,
            height: h as u32,
            luma,
        }
    }

    #[test]
    fn finds_a_corner_inset() {
        let frames: Vec<Picture> = (0..10).map(|i| frame(i + 1, (8, 8, 64, 36))).collect();
        let refs: Vec<&Picture> = frames.iter().collect();
        let a = detect(&refs).expect("inset");
        assert!(
            (a.x - 8.0 / 160.0).abs() < 0.02 && (a.w - 64.0 / 160.0).abs() < 0.02,
            "{a:?}"
        );
        assert!(
            (a.y - 8.0 / 90.0).abs() < 0.03 && (a.h - 36.0 / 90.0).abs() < 0.03,
            "{a:?}"
        );
    }
}

//! The content block of a picture: the photo inside a phone screenshot, found as the longest
//! run of rows, then of columns inside it, that are not flat background (bars of one colour,
//! possibly carrying a line of text or icons).

use super::Picture;
use crate::hash::picture::luma_level;

/// A line is background (a flat bar, possibly with a line of text on it) when at least this
/// share of its pixels lie within [`BACKGROUND_TOLERANCE`] of its most common level.
const BACKGROUND_SHARE: f32 = 0.7;
/// Luma steps around the most common level that still count as background.
const BACKGROUND_TOLERANCE: usize = 3;

/// Share of `levels` (8-bit luma levels) within the tolerance of their most common level (0–1).
fn dominant_share(levels: &[u8]) -> f32 {
    // Four interleaved histograms, so that a flat line's run of equal levels does not make
    // each count wait for the previous one.
    let mut parts = [[0u32; 256]; 4];
    let mut quads = levels.chunks_exact(4);
    for q in &mut quads {
        parts[0][q[0] as usize] += 1;
        parts[1][q[1] as usize] += 1;
        parts[2][q[2] as usize] += 1;
        parts[3][q[3] as usize] += 1;
    }
    for &v in quads.remainder() {
        parts[0][v as usize] += 1;
    }
    let n = levels.len() as u32;
    if n == 0 {
        return 1.0;
    }
    let histogram: [u32; 256] =
        std::array::from_fn(|i| parts[0][i] + parts[1][i] + parts[2][i] + parts[3][i]);
    let window = 2 * BACKGROUND_TOLERANCE + 1;
    let mut best = 0u32;
    let mut sum: u32 = histogram[..window].iter().sum();
    for i in window..=256 {
        best = best.max(sum);
        if i < 256 {
            sum += histogram[i];
            sum -= histogram[i - window];
        }
    }
    best as f32 / n as f32
}

/// The longest run of rows, then of columns inside it, that are not background: a photo inside
/// a screenshot whose bars carry text and icons.
pub(crate) fn content_block(p: &Picture) -> Option<Picture> {
    let (w, h) = (p.width as usize, p.height as usize);
    if w < 16 || h < 16 {
        return None;
    }
    let levels: Vec<u8> = p.luma.iter().map(|&v| luma_level(v) as u8).collect();
    let row_shares: Vec<f32> = levels.chunks_exact(w).map(dominant_share).collect();
    let content_rows: Vec<bool> = row_shares.iter().map(|&s| s < BACKGROUND_SHARE).collect();
    // Lines beside the content are background of the screen's own colour (the level most
    // common in the rows that are not content), not any flat colour: a photo's flat sky or wall stays in.
    let screen = screen_level(&levels, &content_rows, w);
    let background = |line: &[u8]| match screen {
        Some(level) => share_near(line, level) >= BACKGROUND_SHARE,
        None => dominant_share(line) >= BACKGROUND_SHARE,
    };
    let rows: Vec<bool> = match screen {
        // Without a screen colour a row is background by its own dominant level: the shares
        // just computed.
        None => content_rows.clone(),
        Some(_) => levels.chunks_exact(w).map(|row| !background(row)).collect(),
    };
    let (top, height) = longest_run(&rows, h / 100)?;
    // The rows of the run, transposed: each column's levels in a row of their own.
    let mut columns = vec![0u8; w * height];
    for (y, row) in levels.chunks_exact(w).skip(top).take(height).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            columns[x * height + y] = v;
        }
    }
    let cols: Vec<bool> = columns
        .chunks_exact(height)
        .map(|column| !background(column))
        .collect();
    let (left, width) = longest_run(&cols, w / 100)?;
    let full = width as f32 > 0.95 * w as f32 && height as f32 > 0.95 * h as f32;
    let tiny = (width as f32) < 0.25 * w as f32 || (height as f32) < 0.15 * h as f32;
    if full || tiny {
        return None;
    }
    Some(p.crop(left as u32, top as u32, width as u32, height as u32))
}

/// The most common level (±[`BACKGROUND_TOLERANCE`]) of the rows not flagged as content:
/// the screen's background around the content. `None` without such rows.
fn screen_level(levels: &[u8], content_rows: &[bool], w: usize) -> Option<u8> {
    let mut histogram = [0u32; 256];
    for (row, _) in levels
        .chunks_exact(w)
        .zip(content_rows)
        .filter(|(_, &content)| !content)
    {
        for &v in row {
            histogram[v as usize] += 1;
        }
    }
    let window = |c: usize| -> u32 {
        let lo = c.saturating_sub(BACKGROUND_TOLERANCE);
        let hi = (c + BACKGROUND_TOLERANCE).min(255);
        histogram[lo..=hi].iter().sum()
    };
    let best = (0..256).max_by_key(|&c| window(c))?;
    (window(best) > 0).then_some(best as u8)
}

/// Share of `levels` within [`BACKGROUND_TOLERANCE`] of `level` (0–1).
fn share_near(levels: &[u8], level: u8) -> f32 {
    if levels.is_empty() {
        return 1.0;
    }
    let near = levels
        .iter()
        .filter(|&&v| v.abs_diff(level) as usize <= BACKGROUND_TOLERANCE)
        .count();
    near as f32 / levels.len() as f32
}

/// The longest run of `true`, bridging gaps of up to `max_gap` entries: (start, length).
fn longest_run(flags: &[bool], max_gap: usize) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut start: Option<usize> = None;
    let mut last_true = 0;
    for (i, &f) in flags.iter().enumerate() {
        if f {
            if start.is_none() || i - last_true > max_gap + 1 {
                start = Some(i);
            }
            last_true = i;
            let s = start.unwrap_or(i);
            let len = i - s + 1;
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((s, len));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::views::{render, View, VIEW_MAX_SIDE};

    /// A 100 x 200 screen of level 20 with a textured photo in rows 60..140; pixels of the
    /// photo where `flat(x, y)` are a flat 200 instead.
    fn screen_with_photo(flat: impl Fn(usize, usize) -> bool) -> Picture {
        let (w, h) = (100usize, 200usize);
        let mut luma = vec![20.0f32; w * h];
        for y in 60..140 {
            for x in 0..w {
                luma[y * w + x] = if flat(x, y) {
                    200.0
                } else {
                    ((x * 37 + y * 91) % 200) as f32
                };
            }
        }
        Picture {
            width: w as u32,
            height: h as u32,
            luma,
        }
    }

    #[test]
    fn finds_photo_between_text_bars() {
        let mut p = screen_with_photo(|_, _| false);
        for x in 10..30 {
            p.luma[20 * 100 + x] = 250.0; // a line of "text"
        }
        let block = content_block(&p).unwrap();
        assert_eq!((block.width, block.height), (100, 80));
        // The view is the block at the working size.
        let view = render(View::ContentBlock, &p).unwrap();
        assert_eq!((view.width, view.height), (VIEW_MAX_SIDE, 410));
    }

    /// A photo with a flat wall (a colour other than the screen's) at its top and in its
    /// middle columns is kept whole: only lines flat in the screen's colour are background.
    #[test]
    fn keeps_a_photos_own_flat_areas() {
        let p = screen_with_photo(|x, y| y < 80 || (40..60).contains(&x));
        let block = content_block(&p).unwrap();
        assert_eq!((block.width, block.height), (100, 80));
    }
}

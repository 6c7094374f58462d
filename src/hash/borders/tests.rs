//! Tests of border, letterbox and blurred-fill detection on made-up frames.

use super::*;

fn textured(w: u32, h: u32, seed: u32) -> Picture {
    let luma = (0..w * h)
        .map(|i| ((i.wrapping_mul(2654435761).wrapping_add(seed)) >> 24) as f32)
        .collect();
    Picture {
        width: w,
        height: h,
        luma,
    }
}

/// A 9:16 repost: a picture 80 % of the width and 34 % of the height on an enlarged copy
/// of itself, blurred (here: the same texture at `fill_detail` of its contrast).
fn on_blurred_fill(seed: u32, fill_detail: f32) -> Picture {
    let (w, h) = (120usize, 200usize);
    let mut p = textured(w as u32, h as u32, seed);
    for y in 0..h {
        for x in 0..w {
            if !((12..108).contains(&x) && (66..134).contains(&y)) {
                let v = &mut p.luma[y * w + x];
                *v = 100.0 + fill_detail * (*v - 128.0);
            }
        }
    }
    p
}

#[test]
fn finds_a_picture_on_its_blurred_copy() {
    // The fill's columns have 0.3 of the picture's detail within its rows, but 0.55 of
    // its columns' over the whole height: they are told apart within the picture's rows.
    let frames: Vec<Picture> = (0..3).map(|s| on_blurred_fill(s * 7 + 1, 0.3)).collect();
    let refs: Vec<&Picture> = frames.iter().collect();
    let area = detect(&refs, BorderMode::BarsAndBlur).unwrap();
    // Within a pixel: the first line of fill past the picture's far edge has the edge's
    // gradient (measured from the line before it).
    let near = |f: f32, side: f32, pixels: f32| (f * side - pixels).abs() <= 1.0;
    assert!(
        near(area.x, 120.0, 12.0) && near(area.w, 120.0, 96.0),
        "{area:?}"
    );
    assert!(
        near(area.y, 200.0, 66.0) && near(area.h, 200.0, 68.0),
        "{area:?}"
    );
    // Bars only: the fill is picture.
    assert_eq!(detect(&refs, BorderMode::UniformBars), None);
    // A fill as busy as the picture is no fill.
    let busy: Vec<Picture> = (0..3).map(|s| on_blurred_fill(s * 7 + 1, 1.0)).collect();
    let refs: Vec<&Picture> = busy.iter().collect();
    assert_eq!(detect(&refs, BorderMode::BarsAndBlur), None);
}

#[test]
fn blur_extent_rides_over_busy_lines_of_the_fill() {
    // 30 lines of fill at 0.3–0.45 of the picture's detail with one busy line (an encoder
    // block row) inside, the sharp edge line, 100 lines of picture, the edge, 26 of fill.
    let mut detail = Vec::new();
    for i in 0..30 {
        detail.push(if i == 12 {
            8.0
        } else {
            3.0 + (i % 4) as f32 * 0.5
        });
    }
    detail.push(25.0);
    detail.extend((0..100).map(|i| 9.0 + (i % 5) as f32));
    detail.push(25.0);
    detail.extend((0..26).map(|i| 2.0 + (i % 3) as f32));
    assert_eq!(blur_extent(&detail), (30, 26));
    // Low detail along one edge only (a dark sky over a picture): no fill.
    let one_sided: Vec<f32> = (0..150).map(|i| if i < 40 { 2.0 } else { 10.0 }).collect();
    assert_eq!(blur_extent(&one_sided), (0, 0));
}

#[test]
fn finds_letterbox_bars() {
    let mut p = textured(160, 160, 7);
    for y in (0..20).chain(140..160) {
        for x in 0..160 {
            p.luma[y * 160 + x] = 0.0;
        }
    }
    let area = detect(&[&p], BorderMode::UniformBars).unwrap();
    assert!((area.y - 0.125).abs() < 0.01 && (area.h - 0.75).abs() < 0.01);
    assert_eq!(area.w, 1.0);
}

/// `frames` textured pictures of 160 x 160 with the rows of each `(from, to)` band set to a
/// flat grey.
fn with_flat_rows(frames: u32, bands: &[(usize, usize)]) -> Vec<Picture> {
    (0..frames)
        .map(|seed| {
            let mut p = textured(160, 160, seed * 11 + 3);
            for y in bands.iter().flat_map(|&(from, to)| from..to) {
                p.luma[y * 160..(y + 1) * 160].fill(40.0);
            }
            p
        })
        .collect()
}

#[test]
fn edge_shortcut_agrees_with_the_full_measure() {
    // Frames with bars on every side, one side, none, flat left column only, blank; alone
    // and in a group whose first frame has no flat edge.
    let mut cases: Vec<Vec<Picture>> = vec![
        vec![textured(160, 90, 1)],
        with_flat_rows(1, &[(0, 12), (148, 160)]),
        with_flat_rows(3, &[(140, 160)]),
        vec![Picture {
            width: 64,
            height: 48,
            luma: vec![17.0; 64 * 48],
        }],
    ];
    let mut left = textured(120, 80, 5);
    for y in 0..80 {
        left.luma[y * 120..y * 120 + 10].fill(3.0);
    }
    cases.push(vec![left]);
    let mut mixed = vec![textured(160, 160, 9)];
    mixed.extend(with_flat_rows(2, &[(0, 20), (140, 160)]));
    cases.push(mixed);
    for frames in &cases {
        let refs: Vec<&Picture> = frames.iter().collect();
        let (w, h) = (refs[0].width as usize, refs[0].height as usize);
        assert_eq!(
            detect(&refs, BorderMode::UniformBars),
            measured(&refs, w, h, BorderMode::UniformBars)
        );
    }
    assert!(detect(&[&cases[4][0]], BorderMode::UniformBars).is_some());
}

#[test]
fn video_bars_come_in_pairs() {
    // A caption box's flat rows along the bottom edge of a video: not a border.
    let caption = with_flat_rows(3, &[(140, 160)]);
    let refs: Vec<&Picture> = caption.iter().collect();
    assert_eq!(detect(&refs, BorderMode::UniformBars), None);
    // Letterbox bars one row apart: both removed.
    let letterbox = with_flat_rows(3, &[(0, 20), (139, 160)]);
    let refs: Vec<&Picture> = letterbox.iter().collect();
    let area = detect(&refs, BorderMode::UniformBars).unwrap();
    assert_eq!((area.y, area.h), (20.0 / 160.0, 119.0 / 160.0));
    // Bars of 10 and 30 rows: the 10 both share are removed.
    let uneven = with_flat_rows(3, &[(0, 10), (130, 160)]);
    let refs: Vec<&Picture> = uneven.iter().collect();
    let area = detect(&refs, BorderMode::UniformBars).unwrap();
    assert_eq!((area.y, area.h), (10.0 / 160.0, 140.0 / 160.0));
    // One picture (a screenshot with a bar along one edge): the bar is removed.
    let area = detect(&[&caption[0]], BorderMode::UniformBars).unwrap();
    assert_eq!((area.y, area.h), (0.0, 140.0 / 160.0));
}

/// The statistics of one line straight from their definition (the twin of the one-pass
/// [`line_stats`]).
fn line_stat_reference(frames: &[&Picture], line: usize, rows: bool) -> LineStat {
    let (w, h) = (frames[0].width as usize, frames[0].height as usize);
    let len = if rows { w } else { h };
    let at = |p: &Picture, line: usize, i: usize| {
        if rows {
            p.luma[line * w + i]
        } else {
            p.luma[i * w + line]
        }
    };
    let (mut spread, mut lo, mut hi, mut detail) = (0.0f32, f32::MAX, f32::MIN, 0.0f32);
    for p in frames {
        let values: Vec<f32> = (0..len).map(|i| at(p, line, i)).collect();
        let mean = values.iter().sum::<f32>() / len as f32;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / len as f32;
        spread = spread.max(var.sqrt());
        lo = lo.min(mean);
        hi = hi.max(mean);
        for i in 0..len {
            if i > 0 {
                detail += (values[i] - values[i - 1]).abs();
            }
            if line > 0 {
                detail += (values[i] - at(p, line - 1, i)).abs();
            }
        }
    }
    LineStat {
        spread,
        drift: hi - lo,
        detail: detail / (frames.len() * len) as f32,
    }
}

#[test]
fn one_pass_line_stats_match_their_definition() {
    let a = textured(37, 23, 1);
    let mut b = textured(37, 23, 9);
    for v in b.luma.iter_mut().take(37 * 4) {
        *v = 16.0;
    }
    let frames = [&a, &b];
    let (rows, cols) = line_stats(&frames, 37, 23, true);
    let close = |x: f32, y: f32| (x - y).abs() <= 1e-3 * (1.0 + y.abs());
    for (stats, rows_first) in [(&rows, true), (&cols, false)] {
        for (line, got) in stats.iter().enumerate() {
            let want = line_stat_reference(&frames, line, rows_first);
            assert!(close(got.spread, want.spread), "spread {line}");
            assert!(close(got.drift, want.drift), "drift {line}");
            assert!(close(got.detail, want.detail), "detail {line}");
        }
    }
}

#[test]
fn no_border_on_full_picture_or_blank() {
    let p = textured(100, 80, 3);
    assert!(detect(&[&p], BorderMode::BarsAndBlur).is_none());
    let blank = Picture {
        width: 100,
        height: 80,
        luma: vec![0.0; 8000],
    };
    assert!(detect(&[&blank], BorderMode::BarsAndBlur).is_none());
}

//! Tests of inset detection on made-up frames.

use super::*;

/// The best inset of `frames` ([`insets_of`]).
fn detect(frames: &[&Picture]) -> Option<ActiveArea> {
    let e = Edges::of(frames)?;
    insets_of(&e, frames).first().copied()
}

/// The stack parts of `frames` ([`stack_parts`]).
fn stacked(frames: &[&Picture]) -> Vec<ActiveArea> {
    Edges::of(frames).map_or_else(Vec::new, |e| stack_parts(&e))
}

fn frame(seed: u32, inset: (usize, usize, usize, usize)) -> Picture {
    let (w, h) = (160usize, 90usize);
    let mut luma = vec![0.0; w * h];
    let mut s = seed.wrapping_mul(2654435761).max(1);
    for (i, v) in luma.iter_mut().enumerate() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let (x, y) = (i % w, i / w);
        let inside = x >= inset.0 && x < inset.0 + inset.2 && y >= inset.1 && y < inset.1 + inset.3;
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

/// A screen recording: a film of 80 x 45 px at (8, 12) on a flat page, with a flat sidebar
/// of another shade from x = 96 on, along the same rows. The page strip between the two
/// makes a larger rectangle of a film's aspect (88 x 45, about 1.85:1) on persistent edges.
#[test]
fn finds_a_player_beside_a_sidebar() {
    let (w, h) = (160usize, 90usize);
    let frames: Vec<Picture> = (0..10u32)
        .map(|seed| {
            let luma = (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    let rows = (12..57).contains(&y);
                    if rows && (8..88).contains(&x) {
                        // Smooth diagonal waves moving right: no persistent edge of
                        // their own, no flat row or column.
                        let phase = (x + y) as f32 + 3.0 * seed as f32;
                        90.0 + 60.0 * (phase / 9.0).sin()
                    } else if rows && (96..150).contains(&x) {
                        50.0
                    } else {
                        20.0
                    }
                })
                .collect();
            Picture {
                width: w as u32,
                height: h as u32,
                luma,
            }
        })
        .collect();
    let refs: Vec<&Picture> = frames.iter().collect();
    let e = Edges::of(&refs).unwrap();
    let film = fraction_of((8, 88, 12, 57), w, h);
    let found = insets_of(&e, &refs);
    assert!(found.contains(&film), "{found:?}");
    assert!(along_background(&refs, (8, 96, 12, 57)));
    assert!(!along_background(&refs, (8, 88, 12, 57)));
}

/// An inset whose bottom border does not show (the strip below it has the inset's level):
/// the bottom side comes from the frame's edge and is moved up to 16:9, the standard
/// aspect that needs the least move (4:3 would not fit).
#[test]
fn snaps_an_unseen_side_to_the_film_aspect() {
    let frames: Vec<Picture> = (0..10)
        .map(|i| {
            let mut f = frame(i + 1, (88, 50, 64, 36));
            for y in 86..90 {
                for x in 88..152 {
                    f.luma[y * 160 + x] = 200.0;
                }
            }
            f
        })
        .collect();
    let refs: Vec<&Picture> = frames.iter().collect();
    let a = detect(&refs).expect("inset");
    assert!((a.x - 88.0 / 160.0).abs() < 0.02, "{a:?}");
    assert!(
        (a.y - 50.0 / 90.0).abs() < 0.03 && (a.h - 36.0 / 90.0).abs() < 0.03,
        "{a:?}"
    );
    assert!(film_aspect((0, 64, 0, 36)) && !film_aspect((0, 64, 0, 42)));
}

/// Ten frames of `w` x `h`: a smooth "film" of level 200 inside `film` (x1, x2, y1, y2),
/// smooth footage of another level elsewhere, with vertical bars every `bars` px (a test
/// pattern's persistent edges; 0: none).
fn stack_frames(w: usize, h: usize, film: Sides, bars: usize) -> Vec<Picture> {
    (0..10u32)
        .map(|i| {
            let mut s = (i + 1).wrapping_mul(2654435761).max(1);
            let luma = (0..w * h)
                .map(|p| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    let (x, y) = (p % w, p / w);
                    let noise = (s % 4) as f32;
                    if x >= film.0 && x < film.1 && y >= film.2 && y < film.3 {
                        200.0 - noise
                    } else if let Some(bar) = x.checked_div(bars) {
                        40.0 + 30.0 * (bar % 3) as f32 + noise
                    } else {
                        60.0 + (x as f32 / 8.0) + noise
                    }
                })
                .collect();
            Picture {
                width: w as u32,
                height: h as u32,
                luma,
            }
        })
        .collect()
}

/// A 16:9 film stacked above other footage in a 9:16 frame: one line across the frame.
#[test]
fn finds_a_film_stacked_above_other_footage() {
    let film = (0, 90, 0, 51);
    let frames = stack_frames(90, 160, film, 0);
    let refs: Vec<&Picture> = frames.iter().collect();
    assert_eq!(stacked(&refs), vec![fraction_of(film, 90, 160)]);
    assert!(windows(&refs).contains(&fraction_of(film, 90, 160)));
    // Not an inset: only one side is a line.
    assert_eq!(detect(&refs), None);
}

/// A 16:9 film beside a test pattern whose bars make film-shaped parts too: the film's
/// part is among those kept.
#[test]
fn finds_a_film_beside_a_test_pattern() {
    let film = (0, 128, 0, 72);
    let frames = stack_frames(256, 72, film, 21);
    let refs: Vec<&Picture> = frames.iter().collect();
    let parts = stacked(&refs);
    assert!(parts.len() <= MAX_STACK_PARTS);
    assert!(parts.contains(&fraction_of(film, 256, 72)), "{parts:?}");
}

/// A frame without persistent lines has no stack parts.
#[test]
fn no_stack_in_plain_footage() {
    let frames = stack_frames(160, 90, (0, 0, 0, 0), 0);
    let refs: Vec<&Picture> = frames.iter().collect();
    assert!(stacked(&refs).is_empty());
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
/// The background has a persistent edge of its own (a dark frame edge down its left side,
/// as an old film's scan shows) a few pixels left of the inset: the rectangle out to it is
/// larger and has a film's aspect too (70 x 36, 1.94:1, near 1.85:1). The inset itself
/// (64 x 36) is kept beside it.
#[test]
fn keeps_the_inset_beside_a_background_edge() {
    let frames: Vec<Picture> = (0..10)
        .map(|i| {
            let mut f = frame(i + 1, (20, 46, 64, 36));
            for y in 0..90 {
                for x in 0..14 {
                    f.luma[y * 160 + x] = 10.0;
                }
            }
            f
        })
        .collect();
    let refs: Vec<&Picture> = frames.iter().collect();
    let e = Edges::of(&refs).unwrap();
    let found = insets_of(&e, &refs);
    assert_eq!(found[0], fraction_of((14, 84, 46, 82), 160, 90));
    assert!(
        found.contains(&fraction_of((20, 84, 46, 82), 160, 90)),
        "{found:?}"
    );
}
/// A 16:9 inset whose left and right sides show in 4 of every 9 rows (44 %; in the others
/// the background ramps up to the inset's own level over 20 px beside it, in steps under
/// [`EDGE_STEP`]): no rectangle has [`SIDE_SUPPORT`], and the inset is found at
/// [`WEAK_SIDE_SUPPORT`].
#[test]
fn finds_an_inset_with_faint_sides() {
    let frames: Vec<Picture> = (0..10)
        .map(|i| {
            let mut f = frame(i + 1, (48, 30, 64, 36));
            for y in (30..66).filter(|y| y % 9 < 5) {
                for d in 1..=20 {
                    for x in [48 - d, 111 + d] {
                        let background = 61.5 + x as f32 / 8.0;
                        let share = (21 - d) as f32 / 21.0;
                        f.luma[y * 160 + x] = background + (200.0 - background) * share;
                    }
                }
            }
            f
        })
        .collect();
    let refs: Vec<&Picture> = frames.iter().collect();
    let e = Edges::of(&refs).unwrap();
    let strong = inset_candidates(&e, SIDE_SUPPORT);
    assert!(strong.is_empty(), "{strong:?}");
    let found = insets_of(&e, &refs);
    assert_eq!(
        found.first(),
        Some(&fraction_of((48, 112, 30, 66), 160, 90))
    );
}

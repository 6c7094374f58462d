//! Tests of the keypoint detector and BRIEF descriptors.
use super::*;

/// A picture of scattered bright and dark blocks (corners everywhere).
fn blocks(width: u32, height: u32) -> Picture {
    let mut state = 99u64;
    let mut cells = Vec::new();
    for _ in 0..((width / 16) * (height / 16)) {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        cells.push(((state >> 40) % 256) as f32);
    }
    let luma = (0..height)
        .flat_map(|y| {
            let cells = &cells;
            (0..width).map(move |x| cells[((y / 16) * (width / 16) + x / 16) as usize])
        })
        .collect();
    Picture {
        width,
        height,
        luma,
    }
}

#[test]
fn pattern_is_fixed() {
    // Stored descriptors depend on these pairs: they must never change.
    let p = pattern();
    let checksum: i64 = p
        .iter()
        .enumerate()
        .map(|(i, q)| (i as i64 + 1) * (q[0] + 2 * q[1] + 3 * q[2] + 5 * q[3]) as i64)
        .sum();
    let half = (PATCH_SIDE / 2) as i32;
    assert!(p.iter().flatten().all(|v| v.abs() <= half));
    assert_eq!((p[0], checksum), (PATTERN_0, PATTERN_CHECKSUM));
}

const PATTERN_0: [i32; 4] = [-12, -4, 13, -1];
const PATTERN_CHECKSUM: i64 = -25459;

#[test]
fn mirrored_descriptor_is_the_descriptor_of_the_mirrored_picture() {
    let p = blocks(256, 192);
    let mut mirrored = p.clone();
    for row in mirrored.luma.chunks_exact_mut(p.width as usize) {
        row.reverse();
    }
    let (a, b) = (
        features(&p, 300, Levels::ByArea),
        features(&mirrored, 300, Levels::ByArea),
    );
    assert!(a.keypoints.len() > 100);
    let mut checked = 0;
    for (k, m) in a.keypoints.iter().zip(&a.mirrored) {
        let x = p.width as f32 - 1.0 - k.x;
        if let Some(other) = b
            .keypoints
            .iter()
            .find(|o| o.scale == k.scale && (o.x - x).abs() < 0.01 && (o.y - k.y).abs() < 0.01)
        {
            assert_eq!(other.descriptor, *m);
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} points found in both");
}

#[test]
fn budget_is_kept_and_spread_over_levels() {
    let p = blocks(512, 384);
    for levels in [Levels::ByArea, Levels::Equally] {
        let f = features(&p, 400, levels);
        assert!(
            f.keypoints.len() <= 400 + 16,
            "{levels:?}: {}",
            f.keypoints.len()
        );
        let coarse = f.keypoints.iter().filter(|k| k.scale > 2.0).count();
        assert!(coarse > 0, "{levels:?}");
        if levels == Levels::Equally {
            assert!(coarse > f.keypoints.len() / 4, "{coarse}");
        }
        let inside = |k: &Keypoint| k.x >= 0.0 && k.y >= 0.0 && k.x < 512.0 && k.y < 384.0;
        assert!(f.keypoints.iter().all(inside));
    }
}

/// The one-pass Harris response against its definition, pixel by pixel.
#[test]
fn harris_response_equals_the_definition() {
    let p = blocks(96, 80);
    let (w, h) = (96usize, 80usize);
    let at = |x: usize, y: usize| p.luma[y * w + x];
    let gradient = |x: usize, y: usize| {
        let gx = (at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1))
            - (at(x - 1, y - 1) + 2.0 * at(x - 1, y) + at(x - 1, y + 1));
        let gy = (at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1))
            - (at(x - 1, y - 1) + 2.0 * at(x, y - 1) + at(x + 1, y - 1));
        (gx / 8.0, gy / 8.0)
    };
    let fast = harris_response(&p);
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            let (mut a, mut b, mut c) = (0f64, 0f64, 0f64);
            for ny in y - 1..=y + 1 {
                for nx in x - 1..=x + 1 {
                    let (gx, gy) = gradient(nx, ny);
                    a += f64::from(gx * gx);
                    b += f64::from(gy * gy);
                    c += f64::from(gx * gy);
                }
            }
            let r = a * b - c * c - f64::from(HARRIS_K) * (a + b) * (a + b);
            let got = f64::from(fast[y * w + x]);
            assert!(
                (got - r).abs() <= 1e-3 * r.abs().max(1.0),
                "({x}, {y}): {got} vs {r}"
            );
        }
    }
}

/// Every 5x5 box sum of the summed-area table against the pixels added one by one.
#[test]
fn box_sums_equal_the_pixels_added() {
    let luma = (0..37 * 29)
        .map(|i| ((i * 7919) % 251) as f32 + 0.25)
        .collect();
    let p = Picture {
        width: 37,
        height: 29,
        luma,
    };
    let sums = SummedArea::new(&p);
    for y in 2..29 - 2 {
        for x in 2..37 - 2 {
            let mut direct = 0f64;
            for ny in y - 2..=y + 2 {
                for nx in x - 2..=x + 2 {
                    direct += f64::from(p.luma[ny * 37 + nx]);
                }
            }
            let got = sums.box5(x as i32, y as i32);
            assert!((got - direct).abs() < 1e-6, "({x}, {y}): {got} vs {direct}");
        }
    }
}

/// [`describe`] as BRIEF defines it: every pair's two box sums read and compared.
fn describe_pairwise(s: &SummedArea, x: u32, y: u32) -> (Hash256, Hash256) {
    let at = |dx: i32, dy: i32| s.box5(x as i32 + dx, y as i32 + dy);
    let mut upright = [0u64; 4];
    let mut mirrored = [0u64; 4];
    for (i, [x1, y1, x2, y2]) in pattern().iter().copied().enumerate() {
        if at(x1, y1) < at(x2, y2) {
            upright[i / 64] |= 1 << (i % 64);
        }
        if at(-x1, y1) < at(-x2, y2) {
            mirrored[i / 64] |= 1 << (i % 64);
        }
    }
    (Hash256(upright), Hash256(mirrored))
}

/// The deduplicated sampling gives the same bits as the pairwise definition at every
/// describable point of a textured picture.
#[test]
fn describe_equals_the_pairwise_definition() {
    let p = blocks(96, 80);
    let sums = SummedArea::new(&p);
    let m = EDGE_MARGIN;
    let mut described = 0;
    for y in m..80 - m {
        for x in m..96 - m {
            assert_eq!(
                describe(&sums, x, y),
                describe_pairwise(&sums, x, y),
                "({x}, {y})"
            );
            described += 1;
        }
    }
    assert_eq!(described, (96 - 2 * m as usize) * (80 - 2 * m as usize));
    assert!(sampling().points.len() < 1024);
}

#[test]
fn tiny_pictures_have_none() {
    assert!(features(&blocks(48, 48), 100, Levels::ByArea)
        .keypoints
        .is_empty());
}

//! The fast paths against a literal port of Meta's C++ (`box1DFloat`,
//! `jaroszFilterFloat`, `decimateFloat`, `dct16OriginalTo*`), bit for bit.
use super::*;

/// Meta's `box1DFloat`, line for line.
fn box1d(inv: &[f32], outv: &mut [f32], len: usize, stride: usize, window: usize) {
    let half = (window + 2) / 2;
    let (p1, p2, p3, p4) = (half - 1, window - half + 1, len - window, half - 1);
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut sum = 0.0f32;
    let mut cur = 0usize;
    for _ in 0..p1 {
        sum += inv[ri];
        cur += 1;
        ri += stride;
    }
    for _ in 0..p2 {
        sum += inv[ri];
        cur += 1;
        outv[oi] = sum / cur as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p3 {
        sum += inv[ri];
        sum -= inv[li];
        outv[oi] = sum / cur as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p4 {
        sum -= inv[li];
        cur -= 1;
        outv[oi] = sum / cur as f32;
        li += stride;
        oi += stride;
    }
}

/// Meta's `jaroszFilterFloat` (2 reps) + `decimateFloat` to 64x64.
fn naive_downsample(luma: &[f32], w: usize, h: usize) -> Mat64 {
    let wr = jarosz_window_size(w, 64);
    let wc = jarosz_window_size(h, 64);
    let mut b1 = luma.to_vec();
    let mut b2 = vec![0.0f32; w * h];
    for _ in 0..2 {
        for i in 0..h {
            box1d(&b1[i * w..], &mut b2[i * w..], w, 1, wr);
        }
        for j in 0..w {
            box1d(&b2[j..], &mut b1[j..], h, w, wc);
        }
    }
    let mut out = [[0.0f32; 64]; 64];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = b1[decimate_index(i, h, 64) * w + decimate_index(j, w, 64)];
        }
    }
    out
}

#[allow(clippy::needless_range_loop)] // mirrors Meta's loops on purpose
fn naive_quality(b: &Mat64) -> u8 {
    let mut g: i64 = 0;
    for i in 0..63 {
        for j in 0..64 {
            g += i64::from((((b[i][j] - b[i + 1][j]) * 100.0) / 255.0) as i32).abs();
        }
    }
    for i in 0..64 {
        for j in 0..63 {
            g += i64::from((((b[i][j] - b[i][j + 1]) * 100.0) / 255.0) as i32).abs();
        }
    }
    (g / 90).clamp(0, 100) as u8
}

fn naive_dihedral(a: &Mat16) -> [HashBits; 8] {
    type Rule = fn(usize, usize) -> bool;
    let transforms: [(bool, Rule); 8] = [
        (false, |_, _| false),
        (true, |_, j| j & 1 == 0),
        (false, |i, j| (i + j) & 1 == 1),
        (true, |i, _| i & 1 == 0),
        (false, |i, _| i & 1 == 0),
        (false, |_, j| j & 1 == 0),
        (true, |_, _| false),
        (true, |i, j| (i + j) & 1 == 1),
    ];
    transforms.map(|(xpose, neg)| {
        let mut b = [[0.0f32; 16]; 16];
        for i in 0..16 {
            for j in 0..16 {
                let v = if neg(i, j) { -a[i][j] } else { a[i][j] };
                if xpose {
                    b[j][i] = v;
                } else {
                    b[i][j] = v;
                }
            }
        }
        let mut v: Vec<f32> = b.iter().flatten().copied().collect();
        v.sort_by(f32::total_cmp);
        let med = v[127];
        let mut h = [0u64; 4];
        for i in 0..16 {
            for j in 0..16 {
                if b[i][j] > med {
                    h[(i * 16 + j) / 64] |= 1 << ((i * 16 + j) % 64);
                }
            }
        }
        h
    })
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Pictures of every kind the fast paths distinguish: 8-bit levels (with
/// structure, flat, with -0.0), fractional levels, large integers, NaN.
fn picture(rng: &mut Rng, w: usize, h: usize, kind: u64) -> Vec<f32> {
    let fx = 1.0 + rng.below(40) as f32;
    let fy = 1.0 + rng.below(40) as f32;
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let smooth = 127.0 + 100.0 * (x / fx).sin() * (y / fy).cos();
            let noise = rng.below(24) as f32;
            match kind {
                0 => (smooth + noise).clamp(0.0, 255.0).round(),
                1 => (smooth + noise).clamp(0.0, 255.0) * 0.999 + 0.0123,
                2 => {
                    if rng.below(3) == 0 {
                        -0.0
                    } else {
                        (rng.below(3)) as f32
                    }
                }
                3 => (smooth * 250.0).round() - 30000.0,
                4 => 77.0,
                _ => {
                    if rng.below(997) == 0 {
                        f32::NAN
                    } else {
                        smooth.round()
                    }
                }
            }
        })
        .collect()
}

#[test]
fn filtered_whole_picture_is_exact_pdq() {
    let mut rng = Rng(0x5eed_0000_f117_0001);
    for &(w, h) in &[
        (512usize, 288usize),
        (288, 512),
        (461, 259),
        (100, 37),
        (5, 9),
    ] {
        for kind in [0, 1, 3] {
            let luma = picture(&mut rng, w, h, kind);
            let f = JaroszFiltered::new(&luma, w, h, jarosz_windows(w, h)).unwrap();
            assert_eq!(
                f.crop_pdq(0, 0, w, h),
                Some(pdq_from_luma(&luma, w, h)),
                "{w}x{h} kind {kind}"
            );
        }
    }
}

#[test]
fn filtered_crops_stay_near_pdq_of_the_crop() {
    // A smooth, photo-like picture (no per-pixel noise): the edge effect of filtering
    // before cropping moves only a few of the 256 bits.
    let (w, h) = (512usize, 288usize);
    let luma: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            127.0 + 60.0 * (x / 23.0).sin() * (y / 31.0).cos() + 50.0 * ((x + 2.0 * y) / 57.0).sin()
        })
        .map(f32::round)
        .collect();
    let mut worst = 0;
    for &(scale, fx, fy) in &[
        (0.9f32, 0.0f32, 0.0f32),
        (0.9, 0.1, 0.05),
        (0.94, 0.03, 0.06),
        (0.8, 0.1, 0.1),
    ] {
        let (cw, ch) = (
            (scale * w as f32).round() as usize,
            (scale * h as f32).round() as usize,
        );
        let (x, y) = (
            (fx * w as f32).round() as usize,
            (fy * h as f32).round() as usize,
        );
        let crop: Vec<f32> = (y..y + ch)
            .flat_map(|r| luma[r * w + x..r * w + x + cw].iter().copied())
            .collect();
        let exact = pdq_from_luma(&crop, cw, ch);
        let f = JaroszFiltered::new(&luma, w, h, jarosz_windows(cw, ch)).unwrap();
        let got = f.crop_pdq(x, y, cw, ch).unwrap();
        assert_eq!(
            f.crop_pdq_upright(x, y, cw, ch),
            Some((got.hash, got.quality)),
            "upright-only crop hash"
        );
        let d = hamming_distance(&got.hash, &exact.hash);
        worst = worst.max(d);
        assert!(got.quality.abs_diff(exact.quality) <= 2);
    }
    assert!(worst <= 12, "crop hashes {worst} bits from PDQ of the crop");
    let f = JaroszFiltered::new(&[0.0; 100], 10, 10, (1, 1)).unwrap();
    assert!(f.crop_pdq(6, 0, 5, 5).is_none());
    assert!(f.crop_pdq(0, 0, 4, 10).is_none());
    assert!(f.crop_pdq_upright(0, 0, 4, 10).is_none());
    assert!(JaroszFiltered::new(&[0.0; 100], 10, 10, (11, 1)).is_none());
}

#[test]
fn fast_paths_are_bit_exact() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut sizes = vec![
        (5, 5),
        (5, 300),
        (300, 5),
        (64, 64),
        (63, 65),
        (127, 129),
        (128, 128),
        (461, 259),
        (512, 288),
        (288, 512),
        (470, 265),
        (1280, 720),
        (8200, 9),
        (17, 1000),
        (1700, 40),
        (3000, 12),
    ];
    for _ in 0..20 {
        sizes.push((5 + rng.below(700) as usize, 5 + rng.below(700) as usize));
    }
    let mut scratch = Scratch::default();
    for (n, &(w, h)) in sizes.iter().enumerate() {
        for kind in 0..6 {
            let luma = picture(&mut rng, w, h, kind);
            let want = naive_downsample(&luma, w, h);
            let mut got = [[0.0f32; 64]; 64];
            downsample(&luma, w, h, &mut scratch, &mut got);
            for i in 0..64 {
                for j in 0..64 {
                    assert_eq!(
                        got[i][j].to_bits(),
                        want[i][j].to_bits(),
                        "{w}x{h} kind {kind} (case {n}): [{i}][{j}] {} vs {}",
                        got[i][j],
                        want[i][j]
                    );
                }
            }
            assert_eq!(quality_metric(&got), naive_quality(&want));
            let dct = dct64_to_16(&got);
            let portable = dct64_to_16_portable(&got);
            assert!(
                dct.iter()
                    .flatten()
                    .zip(portable.iter().flatten())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "DCT fast path differs from the portable one ({w}x{h} kind {kind})"
            );
            let mut dihedral = [[0u64; 4]; 8];
            dihedral_hashes(&dct, &mut dihedral);
            assert_eq!(dihedral, naive_dihedral(&dct), "{w}x{h} kind {kind}");
        }
    }
}

/// The folded DCT of crop views (the brute-force twin is PDQ's own transform): the same
/// coefficients within float rounding, and hashes at most a few bits apart, on every kind of
/// 64x64 input the filter hands it.
#[test]
fn folded_dct_matches_the_exact_one() {
    let mut rng = Rng(0x5eed_d00d_0064_0016);
    let mut scratch = Scratch::default();
    let mut worst_bits = 0;
    for case in 0..40 {
        let (w, h) = (64 + rng.below(600) as usize, 64 + rng.below(600) as usize);
        for kind in [0, 1, 3] {
            let luma = picture(&mut rng, w, h, kind);
            let mut a = [[0.0f32; 64]; 64];
            downsample(&luma, w, h, &mut scratch, &mut a);
            let exact = dct64_to_16(&a);
            let folded = dct64_to_16_folded(&a);
            let portable = dct64_to_16_folded_portable(&a, |x, y, acc| x * y + acc);
            // Rounding of sums of 64 products of samples: relative to the samples' size.
            let scale = a.iter().flatten().fold(1.0f32, |m, v| m.max(v.abs()));
            for (i, (e, (f, p))) in exact
                .iter()
                .flatten()
                .zip(folded.iter().flatten().zip(portable.iter().flatten()))
                .enumerate()
            {
                assert!(
                    (e - f).abs() <= scale * 1e-4 && (e - p).abs() <= scale * 1e-4,
                    "case {case} kind {kind} coefficient {i}: exact {e}, folded {f}, portable {p}"
                );
            }
            let bits = hamming_distance(&bits_from_dct(&exact), &bits_from_dct(&folded));
            worst_bits = worst_bits.max(bits);
        }
    }
    assert!(
        worst_bits <= 4,
        "folded DCT hashes {worst_bits} bits from PDQ's"
    );
}

/// The fast filter of crop views (its brute-force twin is the exact filter, itself checked
/// against Meta's port above): the same filtered values within float rounding, and crop
/// hashes at most a few bits apart, on every kind of picture and window the views use.
#[test]
fn fast_filter_matches_the_exact_one() {
    let mut rng = Rng(0x5eed_f457_0000_0002);
    let mut worst_bits = 0;
    let mut total_bits = 0;
    let mut crops = 0;
    for case in 0..12 {
        let (w, h) = (64 + rng.below(700) as usize, 64 + rng.below(500) as usize);
        for kind in [0, 1, 3] {
            let luma = picture(&mut rng, w, h, kind);
            let windows = [
                jarosz_windows(w, h),
                jarosz_windows(w * 8 / 10, h * 8 / 10),
                (1 + rng.below(9) as usize, 1 + rng.below(9) as usize),
            ];
            let exact =
                JaroszFiltered::new_many(&luma, w, h, &windows.map(|w| (w, Filtering::Exact)));
            let fast =
                JaroszFiltered::new_many(&luma, w, h, &windows.map(|w| (w, Filtering::Fast)));
            for (e, f) in exact.iter().zip(&fast) {
                let (e, f) = (e.as_ref().unwrap(), f.as_ref().unwrap());
                assert_eq!(e.windows(), f.windows());
                let scale = e.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                for (i, (a, b)) in e.data.iter().zip(&f.data).enumerate() {
                    assert!(
                        (a - b).abs() <= scale * 1e-5,
                        "case {case} kind {kind} {:?} value {i}: exact {a}, fast {b}",
                        e.windows()
                    );
                }
                for _ in 0..8 {
                    let (cw, ch) = (w / 2 + rng.below(w as u64 / 2) as usize, h / 2);
                    let (x, y) = (rng.below((w - cw + 1) as u64) as usize, h / 4);
                    let (a, b) = (e.crop_pdq(x, y, cw, ch), f.crop_pdq(x, y, cw, ch));
                    let (a, b) = (a.unwrap(), b.unwrap());
                    let bits = hamming_distance(&a.hash, &b.hash);
                    worst_bits = worst_bits.max(bits);
                    total_bits += bits;
                    crops += 1;
                    assert!(a.quality.abs_diff(b.quality) <= 1);
                }
            }
        }
    }
    // Measured: 0 bits over all 864 crops.
    assert!(worst_bits <= 2, "fast filter: crop {worst_bits} bits away");
    assert!(
        total_bits * 50 <= crops,
        "fast filter: {total_bits} bits over {crops} crops"
    );
    // The whole picture of a fast filter is not claimed exact: its DCT is the folded one.
    let luma = picture(&mut rng, 300, 200, 0);
    let f = JaroszFiltered::new_many(
        &luma,
        300,
        200,
        &[(jarosz_windows(300, 200), Filtering::Fast)],
    );
    assert_eq!(f[0].as_ref().unwrap().filtering, Filtering::Fast);
}

/// Eight rows through [`box_rows`] (AVX lanes where the CPU has them) against Meta's
/// `box1DFloat` port a row at a time, bit for bit, for every kind of sample and window.
#[test]
fn box_rows_match_the_reference_port() {
    let mut rng = Rng(0x5eed_b0c5_0000_0004);
    for case in 0..200 {
        let width = 1 + rng.below(if case < 100 { 40 } else { 1500 }) as usize;
        let window = 1 + rng.below(width.min(70) as u64) as usize;
        let src = picture(&mut rng, width, LANES, case % 6);
        let mut got = vec![0.0f32; width * LANES];
        box_rows(&src, &mut got, width, window);
        let mut want = vec![0.0f32; width * LANES];
        for (s, w) in src.chunks_exact(width).zip(want.chunks_exact_mut(width)) {
            box1d(s, w, width, 1, window);
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "width {width} window {window} kind {} value {i}: {g} vs {w}",
                case % 6
            );
        }
    }
}

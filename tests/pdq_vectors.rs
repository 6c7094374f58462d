//! Bit-exactness tests of `pdq` against Meta's reference vectors.
use std::path::Path;
use swordnet::hash::pdq::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/pdq");

struct Row {
    file: String,
    width: usize,
    height: usize,
    hex: String,
    quality: u8,
    dihedral: Vec<String>,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(Path::new(DIR).join("pdq_reference.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..5],
        ["file", "width", "height", "pdq_hex", "quality"]
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.trim().split(',').collect();
            assert_eq!(f.len(), 13, "bad row {l}");
            Row {
                file: f[0].to_string(),
                width: f[1].parse().unwrap(),
                height: f[2].parse().unwrap(),
                hex: f[3].to_string(),
                quality: f[4].parse().unwrap(),
                dihedral: f[5..13].iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect()
}

fn load_rgb(file: &str) -> (Vec<u8>, usize, usize) {
    let img = image::open(Path::new(DIR).join(file)).unwrap().to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    (img.into_raw(), w, h)
}

#[test]
fn reference_vectors_bit_exact() {
    let rows = rows();
    assert!(rows.len() >= 28);
    let mut failures = Vec::new();
    for r in &rows {
        let (rgb, w, h) = load_rgb(&r.file);
        assert_eq!((w, h), (r.width, r.height), "{}", r.file);
        let luma = luma_from_rgb8(&rgb, w, h);
        let out = pdq_from_luma(&luma, w, h);
        let mut bad = Vec::new();
        let expected = hash_from_hex(&r.hex).unwrap();
        if hash_to_hex(&out.hash) != r.hex {
            bad.push(format!(
                "hash (dist {})",
                hamming_distance(&out.hash, &expected)
            ));
        }
        if out.quality != r.quality {
            bad.push(format!("quality {} != {}", out.quality, r.quality));
        }
        for (k, exp) in r.dihedral.iter().enumerate() {
            if hash_to_hex(&out.dihedral[k]) != *exp {
                let e = hash_from_hex(exp).unwrap();
                bad.push(format!(
                    "dihedral_{k} (dist {})",
                    hamming_distance(&out.dihedral[k], &e)
                ));
            }
        }
        if !bad.is_empty() {
            failures.push(format!("{}: {}", r.file, bad.join(", ")));
        }
    }
    println!(
        "{} of {} rows matched exactly",
        rows.len() - failures.len(),
        rows.len()
    );
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn hex_round_trip() {
    for r in rows() {
        let h = hash_from_hex(&r.hex).unwrap();
        assert_eq!(hash_to_hex(&h), r.hex);
        let upper = r.hex.to_ascii_uppercase();
        assert_eq!(hash_from_hex(&upper), Some(h));
    }
    // Bit order: Meta's bit 0 is the last hex digit's low bit; bit 255 the first digit's high bit.
    let mut h = [0u64; 4];
    h[0] = 1;
    assert_eq!(hash_to_hex(&h), format!("{}1", "0".repeat(63)));
    let mut h = [0u64; 4];
    h[3] = 1 << 63;
    assert_eq!(hash_to_hex(&h), format!("8{}", "0".repeat(63)));
    // Meta's w[1] (bits 16..31) is the 4 hex digits before the last 4.
    let mut h = [0u64; 4];
    h[0] = 0xabcd << 16;
    assert_eq!(hash_to_hex(&h), format!("{}abcd0000", "0".repeat(56)));
    assert_eq!(hash_from_hex(""), None);
    assert_eq!(hash_from_hex(&"0".repeat(63)), None);
    assert_eq!(hash_from_hex(&"0".repeat(65)), None);
    assert_eq!(hash_from_hex(&format!("+{}", "0".repeat(63))), None);
    assert_eq!(hash_from_hex(&format!("g{}", "0".repeat(63))), None);
    assert_eq!(hash_from_hex(&format!("é{}", "0".repeat(62))), None);
}

#[test]
fn hamming() {
    let z = [0u64; 4];
    let f = [u64::MAX; 4];
    assert_eq!(hamming_distance(&z, &z), 0);
    assert_eq!(hamming_distance(&z, &f), 256);
    assert_eq!(hamming_distance(&[1, 2, 4, 8], &[0, 0, 0, 0]), 4);
    let rows = rows();
    let a = hash_from_hex(&rows[1].hex).unwrap();
    let b = hash_from_hex(&rows[2].hex).unwrap();
    assert_eq!(hamming_distance(&a, &b), hamming_distance(&b, &a));
    // Against a bitwise count on the hex digits.
    let count = rows[1]
        .hex
        .chars()
        .zip(rows[2].hex.chars())
        .map(|(x, y)| (x.to_digit(16).unwrap() ^ y.to_digit(16).unwrap()).count_ones())
        .sum::<u32>();
    assert_eq!(hamming_distance(&a, &b), count);
    // Dihedral hashes of one image are far apart; the hash is close to itself.
    let out = rows
        .iter()
        .find(|r| r.file == "p_sk_astronaut.png")
        .unwrap();
    let d0 = hash_from_hex(&out.dihedral[0]).unwrap();
    let d1 = hash_from_hex(&out.dihedral[1]).unwrap();
    assert!(hamming_distance(&d0, &d1) > 31);
}

#[test]
fn gray_and_rgb_paths_agree() {
    // Every grey level: R = G = B = v gives exactly v.
    let levels: Vec<u8> = (0..=255).collect();
    let rgb: Vec<u8> = levels.iter().flat_map(|&v| [v, v, v]).collect();
    assert_eq!(luma_from_rgb8(&rgb, 256, 1), luma_from_gray8(&levels));
    for file in [
        "p_sk_coins.png",
        "p_sk_astronaut.png",
        "gradient_97x61.png",
        "p_mdn_tiger.png",
        "black.png",
    ] {
        let img = image::open(Path::new(DIR).join(file)).unwrap();
        let gray = img.to_luma8();
        let (w, h) = (gray.width() as usize, gray.height() as usize);
        let g = gray.into_raw();
        let rgb: Vec<u8> = g.iter().flat_map(|&v| [v, v, v]).collect();
        let lg = luma_from_gray8(&g);
        let lr = luma_from_rgb8(&rgb, w, h);
        assert_eq!(lg, lr, "{file}");
        let og = pdq_from_luma(&lg, w, h);
        let or = pdq_from_luma(&lr, w, h);
        assert_eq!(og, or, "{file}");
        // The image crate's RGB decode of the grey PNG also hashes the same.
        let rgb2 = image::DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(w as u32, h as u32, g.clone()).unwrap(),
        )
        .to_rgb8();
        assert_eq!(
            pdq_from_luma(&luma_from_rgb8(rgb2.as_raw(), w, h), w, h),
            og,
            "{file}"
        );
    }
}

#[test]
fn cpp_f32_luma_variant() {
    // Meta's C++ fillFloatLumaFromRGB arithmetic, all in f32.
    let rgb = [255u8, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30];
    let l = luma_from_rgb8_f32(&rgb, 4, 1);
    let r = 0.299f64 as f32;
    let g = 0.587f64 as f32;
    let b = 0.114f64 as f32;
    assert_eq!(
        l,
        vec![
            r * 255.0,
            g * 255.0,
            b * 255.0,
            r * 10.0 + g * 200.0 + b * 30.0
        ]
    );
    // On photos it gives the same hashes as the reference vectors' luma.
    let rows = rows();
    let r = rows
        .iter()
        .find(|r| r.file == "p_sk_astronaut.png")
        .unwrap();
    let (rgb, w, h) = load_rgb(&r.file);
    assert_eq!(
        hash_to_hex(&pdq_from_luma(&luma_from_rgb8_f32(&rgb, w, h), w, h).hash),
        r.hex
    );
}

#[test]
fn tiny_and_degenerate_inputs_do_not_panic() {
    let zero = PdqOutput::default();
    assert_eq!(pdq_from_luma(&[], 0, 0), zero);
    assert_eq!(pdq_from_luma(&[], 10, 0), zero);
    assert_eq!(pdq_from_luma(&[], 0, 10), zero);
    assert_eq!(pdq_from_luma(&[1.0], 1, 1), zero);
    assert_eq!(pdq_from_luma(&[1.0; 16], 4, 4), zero);
    assert_eq!(pdq_from_luma(&[1.0; 10], 5, 5), zero); // too short
    assert_eq!(pdq_from_luma(&[1.0; 10], usize::MAX, 2), zero); // overflow
    assert_eq!(luma_from_rgb8(&[1, 2], 1, 1).len(), 0);
    assert_eq!(luma_from_rgb8(&[], usize::MAX, usize::MAX).len(), 0);
    // Every size from 1x1 to 70x70 (covers < 64, = 64, > 64, odd) runs.
    for w in 1..=70 {
        for h in 1..=70 {
            let luma: Vec<f32> = (0..w * h)
                .map(|k| ((k * 37 + k / w * 11) % 256) as f32)
                .collect();
            let out = pdq_from_luma(&luma, w, h);
            assert!(out.quality <= 100);
            if w < 5 || h < 5 {
                assert_eq!(out, zero);
            }
        }
    }
    // Very thin / long images and large windows.
    for (w, h) in [(5, 3000), (3000, 5), (1000, 7), (129, 257)] {
        let luma: Vec<f32> = (0..w * h).map(|k| (k % 251) as f32).collect();
        let _ = pdq_from_luma(&luma, w, h);
    }
    // Non-finite input must not hang or panic.
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX] {
        let mut luma = vec![100.0f32; 80 * 60];
        luma[123] = bad;
        let _ = pdq_from_luma(&luma, 80, 60);
        let _ = pdq_from_luma(&vec![bad; 64 * 64], 64, 64);
    }
    // Flat image: all-zero hash? Not necessarily, but quality is 0.
    let out = pdq_from_luma(&vec![128.0; 100 * 100], 100, 100);
    assert_eq!(out.quality, 0);
}

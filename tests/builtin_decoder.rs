//! Integration tests of the built-in MP4/H.264 decoder on real files.
//!
//! Files come from two places:
//! * `tests/fixtures/` (small clips made with ffmpeg/x264/x265 when the tests were written,
//!   committed with the tests);
//! * the project's shared case and corpus folders, found under `$SWORDNET_SHARED`
//!   (default `../shared` beside the repository). A test whose shared file is missing fails loudly.
//!
//! Expected values (frame counts, first/last presentation times, sizes) were cross-checked
//! with ffprobe/ffmpeg; decoded luma matched ffmpeg's to within a few code values.

use std::path::{Path, PathBuf};
use swordnet::media::video::openh264::{decode_mp4, probe_mp4, BuiltinError, LumaFrame};

fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("SWORDNET_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let p = root.join(rel);
    assert!(p.exists(), "test input missing: {}", p.display());
    p
}

fn case(name: &str) -> PathBuf {
    shared(&format!("cases/inputs/{name}"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/h264")
        .join(name)
}

const BIG: u64 = 100_000_000;

fn frames(path: &Path, max_side: u32) -> Result<Vec<LumaFrame>, BuiltinError> {
    let mut out = Vec::new();
    decode_mp4(path, max_side, BIG, &mut |_| true, &mut |f| {
        out.push(f);
        true
    })?;
    Ok(out)
}

fn times(fr: &[LumaFrame]) -> Vec<i64> {
    fr.iter().map(|f| f.t_ms).collect()
}

fn assert_well_formed(fr: &[LumaFrame]) {
    for f in fr {
        assert_eq!(f.pixels.len(), (f.width * f.height) as usize);
    }
    assert!(
        times(fr).windows(2).all(|w| w[0] < w[1]),
        "times not strictly increasing: {:?}",
        times(fr)
    );
}

/// Mean absolute difference of two equally sized planes.
fn mad(a: &LumaFrame, b: &LumaFrame) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let s: u64 = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    s as f64 / a.pixels.len() as f64
}

fn mean(f: &LumaFrame) -> f64 {
    f.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / f.pixels.len() as f64
}

// ----------------------------------------------------------------------------------------
// The shared cases (CASES.md)
// ----------------------------------------------------------------------------------------

#[test]
fn b25_audio_first_picks_video_track() {
    let p = case("b25_audio_stream_first.mp4");
    let info = probe_mp4(&p).unwrap();
    assert!(info.has_video);
    assert_eq!(
        (info.width, info.height, info.rotation_degrees),
        (160, 120, 0)
    );
    assert_eq!(info.frame_count, 20);
    assert_eq!(info.duration_ms, 2000);
    assert_eq!(info.codec, "avc1");
    let fr = frames(&p, 0).unwrap();
    assert_eq!(fr.len(), 20);
    assert_eq!(times(&fr), (0..20).map(|i| i * 100).collect::<Vec<i64>>());
    assert!(fr.iter().all(|f| (f.width, f.height) == (160, 120)));
    assert_well_formed(&fr);
}

#[test]
fn b25_audio_only_is_no_video_stream() {
    let p = case("b25_audio_only_named.mp4");
    let info = probe_mp4(&p).unwrap();
    assert!(!info.has_video);
    assert_eq!(info.frame_count, 0);
    assert_eq!(info.duration_ms, 2000);
    let err = frames(&p, 0).unwrap_err();
    assert!(matches!(err, BuiltinError::NoVideoStream), "{err:?}");
    assert_eq!(err.to_string(), "no video stream in file");
}

#[test]
fn b22_zero_bytes_is_truncated() {
    let p = case("b22_zero_bytes.mp4");
    for err in [probe_mp4(&p).unwrap_err(), frames(&p, 0).unwrap_err()] {
        match &err {
            BuiltinError::Truncated(m) => assert!(m.contains("empty file"), "{m}"),
            e => panic!("expected Truncated, got {e:?}"),
        }
        assert!(err
            .to_string()
            .starts_with("truncated or unreadable container: empty file"));
    }
}

#[test]
fn b22_no_moov_is_truncated() {
    let p = case("b22_truncated_no_moov.mp4");
    for err in [probe_mp4(&p).unwrap_err(), frames(&p, 0).unwrap_err()] {
        match &err {
            BuiltinError::Truncated(m) => assert!(m.contains("no moov"), "{m}"),
            e => panic!("expected Truncated, got {e:?}"),
        }
    }
}

#[test]
fn b16_display_matrix_rotation_is_applied() {
    let rotated_by_matrix = case("b16_displaymatrix_minus90.mp4");
    let really_rotated = case("b16_pixels_rotated.mp4");
    let info = probe_mp4(&rotated_by_matrix).unwrap();
    assert_eq!(
        (info.width, info.height, info.rotation_degrees),
        (180, 320, 90)
    );
    assert_eq!(info.frame_count, 30);
    let a = frames(&rotated_by_matrix, 0).unwrap();
    let b = frames(&really_rotated, 0).unwrap();
    assert_eq!(a.len(), 30);
    assert_eq!(b.len(), 30);
    assert_eq!(times(&a), times(&b));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.width, x.height), (180, 320));
        let d = mad(x, y);
        assert!(
            d < 2.0,
            "frame at {} ms differs from the really rotated one: MAD {d}",
            x.t_ms
        );
    }
    // Downscaled, both still agree, and the wrong orientation would not.
    let a = frames(&rotated_by_matrix, 64).unwrap();
    let b = frames(&really_rotated, 64).unwrap();
    assert_eq!((a[0].width, a[0].height), (36, 64));
    assert!(mad(&a[10], &b[10]) < 2.0);
    let upside_down = LumaFrame {
        pixels: a[10].pixels.iter().rev().copied().collect(),
        ..a[10].clone()
    };
    assert!(mad(&upside_down, &b[10]) > 2.0 * mad(&a[10], &b[10]) + 2.0);
}

#[test]
fn b21_padded_square_60fps() {
    let p = case("b21_608x1080_padded_1080sq_60fps.mp4");
    let info = probe_mp4(&p).unwrap();
    assert_eq!(
        (info.width, info.height, info.frame_count, info.duration_ms),
        (1080, 1080, 60, 1000)
    );
    let fr = frames(&p, 256).unwrap();
    assert_eq!(fr.len(), 60);
    assert_eq!(fr[0].t_ms, 0);
    assert_eq!(fr[1].t_ms, 17);
    assert_eq!(fr[59].t_ms, 983);
    assert!(fr.iter().all(|f| (f.width, f.height) == (256, 256)));
    assert_well_formed(&fr);
    // The padding (left and right borders) is dark, the middle is not.
    let f = &fr[30];
    let col_mean = |x: usize| {
        (0..256)
            .map(|y| f64::from(f.pixels[y * 256 + x]))
            .sum::<f64>()
            / 256.0
    };
    assert!(
        col_mean(5) < 20.0 && col_mean(250) < 20.0,
        "{} {}",
        col_mean(5),
        col_mean(250)
    );
}

#[test]
fn b07_all_black_clip() {
    let fr = frames(&case("b07_all_black_2s.mp4"), 0).unwrap();
    assert_eq!(fr.len(), 30);
    assert_eq!((fr[0].t_ms, fr[29].t_ms), (0, 1933));
    assert!(fr.iter().all(|f| (f.width, f.height) == (320, 240)));
    assert!(fr.iter().all(|f| f.pixels.iter().all(|&p| p <= 17)));
}

#[test]
fn b18_original_clip() {
    let p = case("b18_original.mp4");
    let fr = frames(&p, 0).unwrap();
    assert_eq!(fr.len(), 30);
    assert_eq!((fr[0].t_ms, fr[29].t_ms), (0, 1933));
    assert!(fr.iter().all(|f| (f.width, f.height) == (320, 180)));
    assert_well_formed(&fr);
    // The mirrored twin decodes to the mirror image.
    let m = frames(&case("b18_hflipped.mp4"), 0).unwrap();
    let f = &fr[15];
    let mirrored: Vec<u8> = f
        .pixels
        .chunks(320)
        .flat_map(|r| r.iter().rev().copied())
        .collect();
    let d = mad(
        &LumaFrame {
            pixels: mirrored,
            ..f.clone()
        },
        &m[15],
    );
    assert!(d < 3.0, "MAD {d}");
}

#[test]
fn not_an_mp4_is_unsupported() {
    let err = probe_mp4(&case("b01_exif_orient6.jpg")).unwrap_err();
    assert!(matches!(err, BuiltinError::Unsupported(_)), "{err:?}");
    let err = frames(&case("b12_truncated.png"), 0).unwrap_err();
    assert!(matches!(err, BuiltinError::Unsupported(_)), "{err:?}");
}

// ----------------------------------------------------------------------------------------
// Corpus files
// ----------------------------------------------------------------------------------------

fn check_corpus(rel: &str, n: usize, w: u32, h: u32, last_ms: i64, duration_ms: u64) {
    let p = shared(rel);
    let info = probe_mp4(&p).unwrap();
    assert_eq!((info.width, info.height), (w, h), "{rel}");
    assert_eq!(info.frame_count, n as u64, "{rel}");
    assert_eq!(info.duration_ms, duration_ms, "{rel}");
    let mut count = 0usize;
    let mut first = None;
    let mut last = -1i64;
    let mut size = (0, 0);
    decode_mp4(&p, 0, BIG, &mut |_| true, &mut |f| {
        count += 1;
        first.get_or_insert(f.t_ms);
        assert!(f.t_ms > last, "{rel}: {} after {last}", f.t_ms);
        last = f.t_ms;
        size = (f.width, f.height);
        true
    })
    .unwrap();
    assert_eq!(count, n, "{rel}");
    assert_eq!(first, Some(0), "{rel}");
    assert_eq!(last, last_ms, "{rel}");
    assert_eq!(size, (w, h), "{rel}");
}

#[test]
fn corpus_reference_bottle() {
    // High profile with B-frames, 29.83 fps
    check_corpus(
        "corpus/dev/references/v_intel_bottle.mp4",
        1189,
        640,
        360,
        39821,
        39855,
    );
}

#[test]
fn corpus_reference_person() {
    // Main profile, 10 fps, 139.4 s
    check_corpus(
        "corpus/dev/references/v_intel_person.mp4",
        1394,
        768,
        432,
        139_300,
        139_400,
    );
}

#[test]
fn corpus_queries() {
    check_corpus("corpus/dev/queries/q0002.mp4", 418, 960, 540, 13900, 13933);
    check_corpus("corpus/dev/queries/q0094.mp4", 705, 960, 540, 11745, 11762);
    check_corpus("corpus/dev/queries/q0160.mp4", 23, 270, 480, 1821, 1903);
}

#[test]
fn corpus_vfr_query() {
    check_corpus(
        "corpus/dev/queries/q0046.mp4",
        692,
        288,
        172,
        Q0046_LAST,
        Q0046_DUR,
    );
}

const Q0046_LAST: i64 = 11528;
const Q0046_DUR: u64 = 11545;

// ----------------------------------------------------------------------------------------
// Fixtures
// ----------------------------------------------------------------------------------------

fn rotate_cw(f: &LumaFrame, deg: u32) -> LumaFrame {
    let (w, h) = (f.width as usize, f.height as usize);
    let mut out = f.clone();
    match deg {
        90 => {
            out.width = h as u32;
            out.height = w as u32;
            for y in 0..w {
                for x in 0..h {
                    out.pixels[y * h + x] = f.pixels[(h - 1 - x) * w + y];
                }
            }
        }
        180 => out.pixels.reverse(),
        270 => {
            out.width = h as u32;
            out.height = w as u32;
            for y in 0..w {
                for x in 0..h {
                    out.pixels[y * h + x] = f.pixels[x * w + (w - 1 - y)];
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn rotations_90_180_270_are_exact() {
    let src = frames(&fixture("src.mp4"), 0).unwrap();
    assert_eq!(src.len(), 10);
    // ffmpeg's `rotate=90` tag writes a matrix that shows the picture turned 270 degrees
    // clockwise (and vice versa); ffmpeg's own autorotated output agrees with these.
    for (name, deg) in [("rot90.mp4", 270), ("rot180.mp4", 180), ("rot270.mp4", 90)] {
        let p = fixture(name);
        let info = probe_mp4(&p).unwrap();
        assert_eq!(info.rotation_degrees, deg, "{name}");
        let expect_size = if deg == 180 { (96, 64) } else { (64, 96) };
        assert_eq!((info.width, info.height), expect_size, "{name}");
        let fr = frames(&p, 0).unwrap();
        assert_eq!(fr.len(), 10);
        for (a, s) in fr.iter().zip(&src) {
            assert_eq!(*a, rotate_cw(s, deg), "{name} at {} ms", s.t_ms);
        }
        // Downscaled rotated frames: longer side limited, orientation kept.
        let small = frames(&p, 48).unwrap();
        let expect_small = if deg == 180 { (48, 32) } else { (32, 48) };
        assert_eq!((small[0].width, small[0].height), expect_small, "{name}");
    }
}

#[test]
fn non_h264_codecs_are_unsupported() {
    for (name, needle) in [
        ("hevc.mp4", "hev1"),
        ("mpeg4.mp4", "mp4v"),
        ("h264_444.mp4", "4:4:4"),
        ("h264_10bit.mp4", "10-bit"),
        ("h264_interlaced.mp4", "interlaced"),
    ] {
        let p = fixture(name);
        let info = probe_mp4(&p).unwrap();
        assert!(info.has_video, "{name}");
        assert_eq!(
            (info.width, info.height, info.frame_count),
            (96, 64, 10),
            "{name}"
        );
        match frames(&p, 0) {
            Err(BuiltinError::Unsupported(m)) => assert!(m.contains(needle), "{name}: {m}"),
            other => panic!("{name}: expected Unsupported, got {other:?}"),
        }
    }
    assert_eq!(probe_mp4(&fixture("hevc.mp4")).unwrap().codec, "hev1");
    assert_eq!(probe_mp4(&fixture("mpeg4.mp4")).unwrap().codec, "mp4v");
}

#[test]
fn monochrome_h264_decodes() {
    let fr = frames(&fixture("h264_gray.mp4"), 0).unwrap();
    assert_eq!(fr.len(), 10);
    assert_eq!((fr[0].width, fr[0].height), (96, 64));
}

#[test]
fn fragmented_mp4() {
    for name in ["frag.mp4", "frag_nodbm.mp4"] {
        let p = fixture(name);
        let info = probe_mp4(&p).unwrap();
        assert_eq!(
            (info.width, info.height, info.frame_count, info.duration_ms),
            (96, 64, 30, 3000),
            "{name}"
        );
        let fr = frames(&p, 0).unwrap();
        assert_eq!(
            times(&fr),
            (0..30).map(|i| i * 100).collect::<Vec<i64>>(),
            "{name}"
        );
        assert_well_formed(&fr);
    }
    // Both muxings decode to the same pictures.
    let a = frames(&fixture("frag.mp4"), 0).unwrap();
    let b = frames(&fixture("frag_nodbm.mp4"), 0).unwrap();
    assert_eq!(a, b);
}

#[test]
fn variable_frame_rate_times_come_from_the_sample_table() {
    let fr = frames(&fixture("vfr.mp4"), 0).unwrap();
    assert_eq!(
        times(&fr),
        vec![0, 30, 40, 100, 250, 260, 270, 600, 610, 1500, 1990]
    );
}

#[test]
fn h264_track_is_preferred_over_an_earlier_video_track() {
    let p = fixture("two_video_mpeg4_first.mp4");
    let info = probe_mp4(&p).unwrap();
    assert_eq!(
        (
            info.codec.as_str(),
            info.width,
            info.height,
            info.frame_count
        ),
        ("avc1", 96, 64, 10)
    );
    assert_eq!(frames(&p, 0).unwrap().len(), 10);
}

// ----------------------------------------------------------------------------------------
// API behaviour
// ----------------------------------------------------------------------------------------

#[test]
fn too_large_is_refused_before_decoding() {
    let p = case("b25_audio_stream_first.mp4");
    let mut called = 0;
    let err = decode_mp4(&p, 0, 1000, &mut |_| true, &mut |_| {
        called += 1;
        true
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            BuiltinError::TooLarge {
                pixels: 19200,
                limit: 1000
            }
        ),
        "{err:?}"
    );
    assert_eq!(called, 0);
    assert_eq!(
        err.to_string(),
        "video too large (19200 px > limit 1000 px)"
    );
    // Exactly at the limit is fine.
    assert_eq!(
        {
            let mut n = 0;
            decode_mp4(&p, 0, 19200, &mut |_| true, &mut |_| {
                n += 1;
                true
            })
            .unwrap();
            n
        },
        20
    );
}

#[test]
fn want_filter_and_early_stop() {
    let p = case("b25_audio_stream_first.mp4");
    let mut asked = Vec::new();
    let mut got = Vec::new();
    decode_mp4(
        &p,
        0,
        BIG,
        &mut |t| {
            asked.push(t);
            t % 500 == 0
        },
        &mut |f| {
            got.push(f.t_ms);
            true
        },
    )
    .unwrap();
    assert_eq!(asked, (0..20).map(|i| i * 100).collect::<Vec<i64>>());
    assert_eq!(got, vec![0, 500, 1000, 1500]);

    let mut n = 0;
    decode_mp4(&p, 0, BIG, &mut |_| true, &mut |_| {
        n += 1;
        n < 3
    })
    .unwrap();
    assert_eq!(n, 3);
}

#[test]
fn downscale_keeps_aspect_and_never_upscales() {
    let p = case("b25_audio_stream_first.mp4");
    for (max_side, w, h) in [
        (0, 160, 120),
        (1000, 160, 120),
        (160, 160, 120),
        (80, 80, 60),
        (101, 101, 76),
        (7, 7, 5),
    ] {
        let fr = frames(&p, max_side).unwrap();
        assert_eq!(fr.len(), 20);
        assert!(
            fr.iter().all(|f| (f.width, f.height) == (w, h)),
            "max_side {max_side}"
        );
        assert_well_formed(&fr);
    }
    // Area average keeps the mean brightness.
    let full = frames(&p, 0).unwrap();
    let small = frames(&p, 101).unwrap();
    for (a, b) in full.iter().zip(&small) {
        assert!((mean(a) - mean(b)).abs() < 1.0);
    }
}

// ----------------------------------------------------------------------------------------
// Robustness: corrupt and cut files never panic or hang
// ----------------------------------------------------------------------------------------

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "builtin_h264_test_{}_{tag}.mp4",
        std::process::id()
    ))
}

fn run_all(p: &Path) {
    let _ = probe_mp4(p);
    let mut n = 0u32;
    let _ = decode_mp4(p, 64, BIG, &mut |_| true, &mut |_| {
        n += 1;
        true
    });
}

#[test]
fn cut_files_give_errors_not_panics() {
    let data = std::fs::read(case("b25_audio_stream_first.mp4")).unwrap();
    let tmp = temp_path("cut");
    let mut step = 1;
    let mut len = 0;
    while len < data.len() {
        std::fs::write(&tmp, &data[..len]).unwrap();
        run_all(&tmp);
        len += step;
        step = (step * 2).min(997);
    }
    // moov at the end (faststart not used): any cut loses it.
    std::fs::write(&tmp, &data[..data.len() - 1]).unwrap();
    if let Err(e) = probe_mp4(&tmp) {
        assert!(matches!(e, BuiltinError::Truncated(_)), "{e:?}");
    }
    let _ = std::fs::remove_file(&tmp);
}

fn fuzz_file(data: &[u8], tag: &str, iters: usize, seed: u64) {
    // Index boxes: moov (plain files) or moof (fragmented): mutate from the first of them.
    let idx_at = data
        .windows(4)
        .position(|w| w == b"moov" || w == b"moof")
        .unwrap()
        - 4;
    let tmp = temp_path(tag);
    let mut seed = seed;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..iters {
        let mut d = data.to_vec();
        let flips = 1 + (rnd() % 4) as usize;
        for _ in 0..flips {
            let i = idx_at + (rnd() as usize) % (d.len() - idx_at);
            d[i] = match rnd() % 4 {
                0 => 0,
                1 => 0xff,
                2 => d[i].wrapping_add(1),
                _ => rnd() as u8,
            };
        }
        std::fs::write(&tmp, &d).unwrap();
        run_all(&tmp);
    }
    // Corrupt the whole file, bitstream included.
    for _ in 0..iters / 4 {
        let mut d = data.to_vec();
        for _ in 0..20 {
            let i = (rnd() as usize) % d.len();
            d[i] = rnd() as u8;
        }
        std::fs::write(&tmp, &d).unwrap();
        run_all(&tmp);
    }
    let _ = std::fs::remove_file(&tmp);
}

fn fuzz_iters() -> usize {
    std::env::var("BUILTIN_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn corrupted_files_never_panic() {
    let n = fuzz_iters();
    fuzz_file(
        &std::fs::read(case("b25_audio_stream_first.mp4")).unwrap(),
        "fuzz_b25",
        n,
        0x2545_f491_4f6c_dd1d,
    );
    fuzz_file(
        &std::fs::read(fixture("frag_nodbm.mp4")).unwrap(),
        "fuzz_frag",
        n,
        0x9e37_79b9_7f4a_7c15,
    );
    fuzz_file(
        &std::fs::read(fixture("vfr.mp4")).unwrap(),
        "fuzz_vfr",
        n,
        0xdead_beef_cafe_f00d,
    );
}

/// `--sample keyframes` with the builtin decoder decodes only the pictures that stand alone
/// (IDR), as ffmpeg's does: a few frames, the first at the start, all of them also among the
/// frames of a full decode.
#[test]
fn keyframes_only_decodes_the_idr_pictures() {
    use swordnet::media::video::openh264::decode_mp4_with;
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/queries/bottle_excerpt.mp4");
    let mut all = Vec::new();
    decode_mp4_with(&p, 64, BIG, false, &mut |_| true, &mut |f| {
        all.push(f.t_ms);
        true
    })
    .unwrap();
    let mut keyframes = Vec::new();
    decode_mp4_with(&p, 64, BIG, true, &mut |_| true, &mut |f| {
        keyframes.push(f.t_ms);
        true
    })
    .unwrap();
    assert!(
        !keyframes.is_empty() && keyframes.len() * 10 < all.len(),
        "{keyframes:?} of {}",
        all.len()
    );
    assert_eq!(keyframes[0], all[0]);
    assert!(keyframes.iter().all(|t| all.contains(t)), "{keyframes:?}");
}

/// A media header patched to claim 100 hours over an 8 s sample table: the length is the
/// sample table's (it was refused as too long, while ffmpeg read the copy).
#[test]
fn track_length_comes_from_its_samples_not_a_patched_header() {
    let original = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/references/v_intel_bottle.mp4"),
    )
    .unwrap();
    let real = swordnet::media::video::openh264::probe_mp4_bytes(&original)
        .unwrap()
        .duration_ms;
    let mut patched = original.clone();
    let at = patched.windows(4).position(|w| w == b"mdhd").unwrap();
    assert_eq!(patched[at + 4], 0, "mdhd version 0");
    let timescale = u32::from_be_bytes(patched[at + 16..at + 20].try_into().unwrap());
    let claimed = (timescale as u64 * 360_000).min(u32::MAX as u64 - 1) as u32;
    patched[at + 20..at + 24].copy_from_slice(&claimed.to_be_bytes());
    let info = swordnet::media::video::openh264::probe_mp4_bytes(&patched).unwrap();
    assert_eq!(info.duration_ms, real);
    assert!(real > 20_000 && real < 200_000, "{real}");
}

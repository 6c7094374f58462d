//! Fuzz regressions (issue 6). Every input kept in `tests/fuzz_regressions/<target>/` (each
//! made a fuzz target crash, hang or run out of memory before its fix; see the README there)
//! and every seed in `fuzz/corpus/<target>/` goes through the very checks the cargo-fuzz
//! targets run (`fuzz/checks.rs`): no panic anywhere in swordnet, and a value back, `Ok` or an
//! `Err` that says what is wrong. The seeds' outcomes are also pinned, so that the targets are
//! known to reach the real decoding paths.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};
use swordnet::media::sniff::Sniffed;
use swordnet::media::video::openh264::BuiltinError;
use swordnet::ErrorKind;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of the regression folder and the seed corpus of `target`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        root().join("tests/fuzz_regressions").join(target),
        root().join("fuzz/corpus").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() && path.extension().is_none_or(|e| e != "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `check` over every input of `target`; fails with the list of inputs that panicked.
/// Returns each file name with what `check` said about it.
fn run_all(target: &str, check: impl Fn(&[u8]) -> String) -> Vec<(String, String)> {
    static HOOK: Once = Once::new();
    HOOK.call_once(checks::install_panic_hook);
    let files = inputs(target);
    assert!(
        files.len() >= 5,
        "the seed corpus of {target} is missing ({} files)",
        files.len()
    );
    let mut outcomes = Vec::new();
    let mut panicked = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let before = checks::own_panics();
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| check(&bytes)));
        let elapsed = started.elapsed();
        match result {
            Ok(_) if checks::own_panics() != before => {
                panicked.push(format!("{} (a caught panic)", shown(path)))
            }
            Ok(outcome) => {
                println!("{target} {} ({elapsed:.1?}): {outcome}", shown(path));
                outcomes.push((name, outcome));
            }
            Err(_) => panicked.push(shown(path)),
        }
        // Hangs found by the fuzzer must stay fixed: every input is small and quick.
        assert!(
            elapsed < Duration::from_secs(10),
            "{target} took {elapsed:?} on {}",
            shown(path)
        );
    }
    assert!(
        panicked.is_empty(),
        "{target} panicked in swordnet on {panicked:?}; see the output above"
    );
    outcomes
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The outcome recorded for the seed `name`.
fn outcome<'a>(outcomes: &'a [(String, String)], name: &str) -> &'a str {
    &outcomes
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("seed {name} missing"))
        .1
}

#[test]
fn sniff_inputs() {
    let outcomes = run_all("sniff", |data| {
        let o = checks::sniff(data);
        let sniffed = match o.sniffed {
            Sniffed::Image(f) => format!("image {f:?}"),
            other => format!("{other:?}"),
        };
        format!(
            "{sniffed}; audio {:?}; heif {:?}; cut short {:?}",
            o.audio, o.heif, o.cut_short
        )
    });
    for (name, starts) in [
        ("plain.mp4", "Mp4; audio None; heif None; cut short None"),
        ("cut.mp4", "Mp4; audio None; heif None; cut short Some("),
        (
            "tiny.webm",
            "OtherVideo; audio None; heif None; cut short None",
        ),
        (
            "cut.webm",
            "OtherVideo; audio None; heif None; cut short Some(",
        ),
        (
            "tiny.avi",
            "OtherVideo; audio None; heif None; cut short None",
        ),
        ("tiny.ts", "OtherVideo"),
        ("tiny.flv", "OtherVideo"),
        ("tiny.ogg", "OtherVideo"),
        ("tiny.wav", "Unknown; audio Some(\"WAV\")"),
        ("head.flac", "Unknown; audio Some(\"FLAC\")"),
        ("tiny.mp3", "Unknown; audio Some("),
        ("b04_gray_1comp.jpg", "image Jpeg"),
        ("b09_1x1.png", "image Png"),
        ("b09_2x2.gif", "image Gif"),
        ("still_lossy.webp", "image WebP"),
        ("img.bmp", "image Bmp"),
        ("img.tiff", "image Tiff"),
        ("raw.tga", "Unknown"),
    ] {
        let got = outcome(&outcomes, name);
        assert!(got.starts_with(starts), "{name}: {got}");
    }
}

#[test]
fn image_decode_inputs() {
    let outcomes = run_all("image_decode", |data| match checks::image_decode(data) {
        None => "not an image".into(),
        Some(Ok(info)) => format!(
            "Ok {}x{} frames {} animated {}",
            info.width, info.height, info.frame_count, info.animated
        ),
        Some(Err(e)) => format!("Err {:?}: {}", e.kind, e.message),
    });
    for (name, starts) in [
        ("b04_gray_1comp.jpg", "Ok ".to_string()),
        ("b01_exif_orient6.jpg", "Ok ".into()),
        ("b02_triangle_rgba.png", "Ok ".into()),
        ("gray16.png", "Ok 20x20 frames 1".into()),
        ("anim.png", "Ok 24x20 frames 3 animated true".into()),
        // Ok in the fuzz (debug) build, a Decode error on its fdAT sequence in release: either
        // way no panic and a value back (see the README there).
        ("apng_long_held_frame.png", String::new()),
        ("b10_anim_a.gif", "Ok ".into()),
        ("b10_anim_b.webp", "Ok ".into()),
        ("still_lossy.webp", "Ok 24x20 frames 1".into()),
        ("still_lossless.webp", "Ok 24x20 frames 1".into()),
        ("img.bmp", "Ok 24x20".into()),
        ("pal.bmp", "Ok 20x20".into()),
        ("img.tiff", "Ok 24x20".into()),
        ("lzw.tiff", "Ok 20x20".into()),
        ("rgba.tiff", "Ok 24x20".into()),
        ("raw.tga", "Ok 24x20".into()),
        ("b12_gray_rle.tga", "Ok ".into()),
        ("b09_1x1.png", format!("Err {:?}", ErrorKind::TooSmall)),
        ("b09_2x2.gif", format!("Err {:?}", ErrorKind::TooSmall)),
        (
            "b13_header_says_60000x60000.png",
            format!("Err {:?}", ErrorKind::TooLarge),
        ),
        (
            "b12_truncated.jpg",
            format!("Err {:?}", ErrorKind::Truncated),
        ),
        (
            "b12_truncated.tga",
            format!("Err {:?}", ErrorKind::Truncated),
        ),
    ] {
        let got = outcome(&outcomes, name);
        assert!(got.starts_with(&starts), "{name}: {got}");
    }
}

#[test]
fn container_probe_inputs() {
    let outcomes = run_all("container_probe", |data| {
        match checks::container_probe(data) {
            Ok(i) => format!(
                "Ok video {} {} {}x{} rot {} frames {} {} ms",
                i.has_video,
                i.codec,
                i.width,
                i.height,
                i.rotation_degrees,
                i.frame_count,
                i.duration_ms
            ),
            Err(e) => {
                let kind = match e {
                    BuiltinError::NoVideoStream => "NoVideoStream",
                    BuiltinError::Unsupported(_) => "Unsupported",
                    BuiltinError::Truncated(_) => "Truncated",
                    BuiltinError::Decode(_) => "Decode",
                    BuiltinError::TooLarge { .. } => "TooLarge",
                    BuiltinError::Io(_) => "Io",
                };
                format!("Err {kind}: {e}")
            }
        }
    });
    for (name, starts) in [
        ("plain.mp4", "Ok video true avc1 32x32 rot 0 frames 4"),
        ("bframes.mp4", "Ok video true avc1 32x32 rot 0 frames 6"),
        ("frag.mp4", "Ok video true avc1 32x32 rot 0 frames 4"),
        ("rot90.mp4", "Ok video true avc1 32x32 rot 270 frames 4"),
        ("av.mp4", "Ok video true avc1 32x32 rot 0 frames 3"),
        ("qt.mov", "Ok video true avc1 32x32 rot 0 frames 3"),
        ("mpeg4.mp4", "Ok video true mp4v 32x32"),
        ("audio.m4a", "Ok video false"),
        ("b25_audio_only_named.mp4", "Ok video false"),
        ("cut.mp4", "Err Truncated"),
        // Regressions (tests/fuzz_regressions/README.md).
        (
            "trun_4g_samples_no_fields.mp4",
            "Err Truncated: truncated or unreadable container: a fragment run claims 4294967295",
        ),
        (
            "stbl_overlapping_chunks_18m_samples.mp4",
            "Err Truncated: truncated or unreadable container: the video samples listed",
        ),
    ] {
        let got = outcome(&outcomes, name);
        assert!(got.starts_with(starts), "{name}: {got}");
    }
}

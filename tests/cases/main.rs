//! The bad-input cases of `../shared/cases/CASES.md`, each as assertions on real values
//! (verdicts, error kinds, sizes, frame counts, hash distances), and for each case the
//! *kind* of input, not only the one file: variants are made at run time (with the `image`
//! crate, by patching bytes, or with ffmpeg when it is on PATH) and must behave the same.
//!
//! Video cases run with the builtin decoder and, when ffmpeg is on PATH, with ffmpeg too.
//! `whole_batch_of_case_inputs` runs one batch over every case input plus good sample
//! queries: every good file judged as expected, every bad one a per-file error, no panic.
//!
//! This file holds the shared helpers; each section of CASES.md is a module of its own.

#[path = "../common/mod.rs"]
mod common;

use common::ffmpeg;
use image::metadata::Orientation as ExifOrientation;
use image::{DynamicImage, ImageEncoder, ImageFormat, RgbImage, Rgba, RgbaImage};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use swordnet::engine::{index_file, Engine, EngineOptions, IndexOutcome, WorkMeta};
use swordnet::fingerprint::{fingerprint_file, Fingerprint, FrameHash, Role};
use swordnet::hash::{hasher_for, Algorithm, Hash256};
use swordnet::limits::Limits;
use swordnet::media::video::DecoderChoice;
use swordnet::media::{decode_file, DecodeOptions, Frame, MediaInfo, MediaType};
use swordnet::paths::{display_path, path_from_bytes, path_to_bytes};
use swordnet::report::summary::Summary;
use swordnet::report::QueryReport;
use swordnet::sampler::SamplePlan;
use swordnet::scan::scan_batch;
use swordnet::verdict::VerdictKind;
use swordnet::ErrorKind;

// ----------------------------------------------------------------------------------------
// Per-thread allocation tracking (B13: memory stays bounded; limits are checked before
// anything large is allocated). Still images are decoded on the calling thread.
// ----------------------------------------------------------------------------------------

mod alloc_track {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Tracking;

    thread_local! {
        static ON: Cell<bool> = const { Cell::new(false) };
        static LIVE: Cell<i64> = const { Cell::new(0) };
        static PEAK: Cell<i64> = const { Cell::new(0) };
    }

    fn add(delta: i64) {
        let _ = ON.try_with(|on| {
            if on.get() {
                let _ = LIVE.try_with(|live| {
                    let v = live.get() + delta;
                    live.set(v);
                    let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
                });
            }
        });
    }

    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                add(layout.size() as i64);
            }
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                add(layout.size() as i64);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            add(-(layout.size() as i64));
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                add(new_size as i64 - layout.size() as i64);
            }
            p
        }
    }

    /// Runs `f` and returns its result with the peak of bytes allocated (and not yet freed)
    /// by this thread while it ran.
    pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
        LIVE.with(|l| l.set(0));
        PEAK.with(|p| p.set(0));
        ON.with(|o| o.set(true));
        let out = f();
        ON.with(|o| o.set(false));
        (out, PEAK.with(|p| p.get()).max(0) as u64)
    }
}

#[global_allocator]
static GLOBAL: alloc_track::Tracking = alloc_track::Tracking;

// ----------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------

const MIB: u64 = 1 << 20;

/// The video decoders to run: builtin always, ffmpeg when on PATH.
fn decoders() -> Vec<DecoderChoice> {
    let mut d = vec![DecoderChoice::Builtin];
    if common::have_ffmpeg() {
        d.push(DecoderChoice::Ffmpeg);
    } else {
        eprintln!("ffmpeg not on PATH: ffmpeg runs skipped (CI installs it)");
    }
    d
}

fn options(decoder: DecoderChoice, plan: SamplePlan) -> DecodeOptions {
    DecodeOptions {
        decoder,
        plan,
        ..DecodeOptions::default()
    }
}

/// Every frame (the plan takes all of them).
const ALL_FRAMES: SamplePlan = SamplePlan::IntervalMs(1);

fn fingerprint_with(
    path: &Path,
    decoder: DecoderChoice,
    plan: SamplePlan,
) -> swordnet::Result<Fingerprint> {
    let hasher = hasher_for(Algorithm::Pdq);
    let mut fp = fingerprint_file(path, &options(decoder, plan), hasher.as_ref(), Role::Plain)?;
    // The frames themselves (view 0): extra internal views (e.g. contrast-stretched hashes of
    // dark frames) are the engine's business.
    fp.frames.retain(|f| f.view == 0);
    Ok(fp)
}

/// The fingerprint (primary views only) with the upload sampling plan.
fn fingerprint(path: &Path, decoder: DecoderChoice) -> Fingerprint {
    fingerprint_with(path, decoder, SamplePlan::QUERY_DEFAULT)
        .unwrap_or_else(|e| panic!("fingerprint of {}: {e}", path.display()))
}

/// The hash of a still image (one frame at 0 ms).
fn still(path: &Path) -> FrameHash {
    let fp = fingerprint(path, DecoderChoice::Auto);
    assert_eq!(fp.media, MediaType::Image, "{}", path.display());
    assert_eq!(fp.frames.len(), 1, "{}", path.display());
    assert_eq!(fp.frames[0].t_ms, 0);
    fp.frames[0]
}

fn decode_all(path: &Path, decoder: DecoderChoice) -> swordnet::Result<(MediaInfo, Vec<Frame>)> {
    let mut frames = Vec::new();
    let info = decode_file(path, &options(decoder, ALL_FRAMES), &mut |f| {
        frames.push(f);
        true
    })?;
    Ok((info, frames))
}

fn error_kind<T: std::fmt::Debug>(r: swordnet::Result<T>) -> ErrorKind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            // Logging never fails: the error and its escaped path can always be shown.
            let shown = e.to_string();
            assert!(!shown.is_empty());
            e.kind
        }
    }
}

fn dist(a: &Hash256, b: &Hash256) -> u32 {
    a.distance(b)
}

/// Indexes `works` with `decoder` and judges `query`.
fn judge(works: &[PathBuf], query: &Path, decoder: DecoderChoice) -> QueryReport {
    let (_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, works, decoder);
    engine.judge_file(query)
}

fn name_of(report_reference: &str) -> &str {
    report_reference
        .rsplit('/')
        .next()
        .unwrap_or(report_reference)
}

fn assert_low_quality(r: &QueryReport, what: &str) {
    assert_eq!(r.status, "low_quality", "{what}: {r:?}");
    assert_eq!(r.verdict, VerdictKind::Clean, "{what}: {r:?}");
    assert!(r.error.is_none(), "{what}: {r:?}");
    assert!(r.matches.is_empty(), "{what}: {r:?}");
    assert_eq!(r.informative_frames, 0, "{what}: {r:?}");
    assert!(
        r.frames > 0,
        "{what}: a result with frame hashes, not an empty one"
    );
    assert!(
        r.reasons.iter().any(|s| s.contains("insufficient content")),
        "{what}: {:?}",
        r.reasons
    );
}

fn assert_error_report(r: &QueryReport, kind: &str, what: &str) {
    assert_eq!(r.verdict, VerdictKind::Error, "{what}: {r:?}");
    assert_eq!(r.status, "error", "{what}: {r:?}");
    let e = r
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no error in {r:?}"));
    assert_eq!(e.kind, kind, "{what}: {e:?}");
    assert!(!e.message.is_empty(), "{what}");
    assert!(r.matches.is_empty(), "{what}");
    assert_eq!(r.frames, 0, "{what}: no hash for a file that failed");
}

/// An upload cut short whose readable part matches nothing: an error of kind `truncated`
/// (never `clean`), whatever frames its readable part gave.
fn assert_cut_short_unmatched(r: &QueryReport, what: &str) {
    assert_eq!(r.verdict, VerdictKind::Error, "{what}: {r:?}");
    assert_eq!(r.status, "error", "{what}: {r:?}");
    assert!(r.matches.is_empty(), "{what}: {r:?}");
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.kind, "truncated", "{what}: {e:?}");
    assert!(e.message.contains("no match in"), "{what}: {}", e.message);
}

/// Indexing must fail with `kind` and store nothing.
fn assert_index_refused(path: &Path, decoder: DecoderChoice, kind: ErrorKind) {
    let (_dir, cat) = common::catalogue();
    let got = index_file(
        &cat,
        path,
        &WorkMeta::default(),
        &common::reference_options(decoder),
        50,
    );
    assert_eq!(error_kind(got), kind, "{} ({decoder:?})", path.display());
    assert!(cat.works().unwrap().is_empty(), "{}", path.display());
    assert!(cat.all_frames().unwrap().is_empty(), "{}", path.display());
}

/// Runs ffmpeg (`-v error -y` + `args`) to make a test input; panics on failure.
fn p(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Encodes `img` in `format` to `path` (`exif`: an Exif/TIFF blob to embed).
fn save(img: &DynamicImage, path: &Path, format: ImageFormat, exif: Option<Vec<u8>>) {
    let mut bytes = Vec::new();
    match format {
        ImageFormat::Png => {
            let mut e = image::codecs::png::PngEncoder::new(&mut bytes);
            if let Some(x) = exif {
                e.set_exif_metadata(x).unwrap();
            }
            img.write_with_encoder(e).unwrap();
        }
        ImageFormat::Jpeg => {
            let mut e = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95);
            if let Some(x) = exif {
                e.set_exif_metadata(x).unwrap();
            }
            img.write_with_encoder(e).unwrap();
        }
        ImageFormat::WebP => {
            let mut e = image::codecs::webp::WebPEncoder::new_lossless(&mut bytes);
            if let Some(x) = exif {
                e.set_exif_metadata(x).unwrap();
            }
            img.write_with_encoder(e).unwrap();
        }
        other => {
            assert!(exif.is_none());
            img.write_to(&mut std::io::Cursor::new(&mut bytes), other)
                .unwrap_or_else(|e| panic!("encode {other:?}: {e}"));
        }
    }
    std::fs::write(path, bytes).unwrap();
}

/// A deterministic pseudo-random sequence (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A picture with detail everywhere (for made-up inputs): rings and bars.
fn detailed_picture(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let r = ((fx * 7.0 + seed as f32).sin() * 127.0 + 128.0) as u8;
        let g = (((fx - 0.5).hypot(fy - 0.3) * 23.0 + seed as f32).sin() * 127.0 + 128.0) as u8;
        let b = if (x / 13 + y / 17 + seed).is_multiple_of(3) {
            230
        } else {
            30
        };
        image::Rgb([r, g, b])
    })
}

// The cases, one module per section of CASES.md.
mod alpha;
mod animations;
mod audio;
mod bombs;
mod dark_clips;
mod display_matrix;
mod exif_orientation;
mod file_names;
mod layouts;
mod mirrored;
mod odd_videos;
mod shared_intro;
mod too_small;
mod truncated_images;
mod truncated_videos;
mod uniform;
mod whole_batch;
use uniform::check_low_quality_file;

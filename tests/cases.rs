//! The bad-input cases of `../shared/cases/CASES.md`, each as assertions on real values
//! (verdicts, error kinds, sizes, frame counts, hash distances), and for each case the
//! *kind* of input, not only the one file: variants are made at run time (with the `image`
//! crate, by patching bytes, or with ffmpeg when it is on PATH) and must behave the same.
//!
//! Video cases run with the builtin decoder and, when ffmpeg is on PATH, with ffmpeg too.
//! `whole_batch_of_case_inputs` runs one batch over every case input plus good sample
//! queries: every good file judged as expected, every bad one a per-file error, no panic.

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

// ----------------------------------------------------------------------------------------
// B01: EXIF orientation
// ----------------------------------------------------------------------------------------

#[test]
fn b01_exif_orientation_is_applied_before_hashing() {
    let upright = still(&common::case("b01_upright_reference.jpg"));
    let tagged_fp = fingerprint(&common::case("b01_exif_orient6.jpg"), DecoderChoice::Auto);
    assert_eq!((tagged_fp.width, tagged_fp.height), (180, 320));
    let tagged = tagged_fp.frames[0];
    let d = dist(&tagged.hash, &upright.hash);
    assert!(d <= 6, "tagged file vs upright reference: {d} bits");
    assert!(tagged.quality >= 50);

    // The untagged file is the sideways view: far as shown, close once turned a quarter.
    let side_fp = fingerprint(
        &common::case("b01_stored_landscape.jpg"),
        DecoderChoice::Auto,
    );
    assert_eq!((side_fp.width, side_fp.height), (320, 180));
    let side = side_fp.frames[0];
    let d = dist(&side.hash, &upright.hash);
    assert!(
        d > 64,
        "landscape view hashes like the upright one ({d} bits)"
    );
    let dir = tempfile::tempdir().unwrap();
    let sideways = image::open(common::case("b01_stored_landscape.jpg")).unwrap();
    let turned = [sideways.rotate90(), sideways.rotate270()]
        .iter()
        .enumerate()
        .map(|(i, img)| {
            let path = dir.path().join(format!("turned{i}.png"));
            save(img, &path, ImageFormat::Png, None);
            dist(&still(&path).hash, &upright.hash)
        })
        .min()
        .unwrap();
    assert!(
        turned <= 6,
        "landscape pixels turned upright: {turned} bits"
    );

    // In the engine: the tagged file is a plain copy, the landscape one a rotated copy.
    let works = [common::case("b01_upright_reference.jpg")];
    let r = judge(
        &works,
        &common::case("b01_exif_orient6.jpg"),
        DecoderChoice::Auto,
    );
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    assert_eq!(r.media.as_deref(), Some("image"));
    assert_eq!(
        name_of(&r.matches[0].reference),
        "b01_upright_reference.jpg"
    );
    assert_eq!(r.matches[0].transform, "none");
    assert!(r.matches[0].mean_distance <= 6.0);
    let r = judge(
        &works,
        &common::case("b01_stored_landscape.jpg"),
        DecoderChoice::Auto,
    );
    assert!(
        r.matches
            .first()
            .is_some_and(|m| m.transform.starts_with("rotated")),
        "landscape view should match only as a rotated copy: {r:?}"
    );
}

/// An Exif (TIFF) blob holding only the Orientation tag.
fn exif_orientation(value: u16, big_endian: bool) -> Vec<u8> {
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut x = Vec::new();
    x.extend_from_slice(if big_endian { b"MM\0*" } else { b"II*\0" });
    x.extend_from_slice(&u32b(8));
    x.extend_from_slice(&u16b(1)); // one entry
    x.extend_from_slice(&u16b(0x0112)); // Orientation
    x.extend_from_slice(&u16b(3)); // SHORT
    x.extend_from_slice(&u32b(1));
    x.extend_from_slice(&u16b(value));
    x.extend_from_slice(&[0, 0]);
    x.extend_from_slice(&u32b(0)); // no next IFD
    x
}

/// Every EXIF orientation (1–8), little- and big-endian, in JPEG, PNG (eXIf) and WebP: the
/// stored pixels are the upright picture turned the other way, so applying the tag must give
/// back the upright picture and its hash.
#[test]
fn b01_kind_every_exif_orientation_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let upright_img = image::open(common::case("b01_upright_reference.jpg")).unwrap();
    let upright_img = DynamicImage::ImageRgb8(upright_img.to_rgb8());
    let upright_png = dir.path().join("upright.png");
    save(&upright_img, &upright_png, ImageFormat::Png, None);
    let upright = still(&upright_png);
    for value in 1..=8u8 {
        let o = ExifOrientation::from_exif(value).unwrap();
        let inverse = match o {
            ExifOrientation::Rotate90 => ExifOrientation::Rotate270,
            ExifOrientation::Rotate270 => ExifOrientation::Rotate90,
            other => other, // flips, 180° turn, transpose and transverse undo themselves
        };
        let mut stored = upright_img.clone();
        stored.apply_orientation(inverse);
        for (format, ext, max_bits) in [
            (ImageFormat::Png, "png", 0),
            (ImageFormat::WebP, "webp", 0),
            (ImageFormat::Jpeg, "jpg", 8),
        ] {
            for big_endian in [false, true] {
                let path = dir
                    .path()
                    .join(format!("orient{value}_{}.{ext}", u8::from(big_endian)));
                save(
                    &stored,
                    &path,
                    format,
                    Some(exif_orientation(value as u16, big_endian)),
                );
                let fp = fingerprint(&path, DecoderChoice::Auto);
                assert_eq!(
                    (fp.width, fp.height),
                    (180, 320),
                    "orientation {value} in {ext}"
                );
                let d = dist(&fp.frames[0].hash, &upright.hash);
                assert!(
                    d <= max_bits,
                    "orientation {value} in {ext} (big endian {big_endian}): {d} bits from upright"
                );
            }
        }
    }
}

/// A still picture in a container only ffmpeg reads (AVIF, an MP4-like file): with ffmpeg it
/// is a photo (media "image", matched as one); the builtin decoder says clearly it cannot.
#[test]
fn b01_kind_avif_still_is_a_photo() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let avif = dir.path().join("copy.avif");
    ffmpeg(&[
        "-i",
        p(&common::case("b01_upright_reference.jpg")),
        "-c:v",
        "libaom-av1",
        "-cpu-used",
        "8",
        "-crf",
        "20",
        "-still-picture",
        "1",
        p(&avif),
    ]);
    let fp = fingerprint(&avif, DecoderChoice::Ffmpeg);
    assert_eq!(fp.media, MediaType::Image);
    assert_eq!((fp.width, fp.height, fp.duration_ms), (180, 320, 0));
    let upright = still(&common::case("b01_upright_reference.jpg"));
    let d = dist(&fp.frames[0].hash, &upright.hash);
    assert!(d <= 16, "AVIF copy: {d} bits");
    let r = judge(
        &[common::case("b01_upright_reference.jpg")],
        &avif,
        DecoderChoice::Ffmpeg,
    );
    assert_eq!(r.media.as_deref(), Some("image"));
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    let err = decode_file(
        &avif,
        &options(DecoderChoice::Builtin, ALL_FRAMES),
        &mut |_| true,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
    assert!(err.message.contains("AVIF"), "{}", err.message);
}

// ----------------------------------------------------------------------------------------
// B02: alpha
// ----------------------------------------------------------------------------------------

#[test]
fn b02_alpha_is_composited_on_white() {
    let circle = still(&common::case("b02_circle_rgba.png"));
    let on_white = still(&common::case("b02_circle_on_white.png"));
    let triangle = still(&common::case("b02_triangle_rgba.png"));
    for h in [&circle, &on_white, &triangle] {
        assert!(h.quality >= 50, "quality {}", h.quality);
    }
    let d = dist(&circle.hash, &on_white.hash);
    assert!(d <= 4, "RGBA circle vs circle on white: {d} bits");
    let d = dist(&circle.hash, &triangle.hash);
    assert!(d > 64, "circle vs triangle hash too close: {d} bits");
    assert_eq!(swordnet::media::image::ALPHA_BACKGROUND, [255, 255, 255]);

    let works = [common::case("b02_circle_rgba.png")];
    let r = judge(
        &works,
        &common::case("b02_circle_on_white.png"),
        DecoderChoice::Auto,
    );
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    let r = judge(
        &works,
        &common::case("b02_triangle_rgba.png"),
        DecoderChoice::Auto,
    );
    assert_eq!(r.verdict, VerdictKind::Clean, "{r:?}");
    assert!(r.matches.is_empty(), "{r:?}");
}

/// Whatever the hidden colour under transparent pixels and whatever the alpha layout (RGBA8,
/// RGBA16, grey + alpha, WebP, TIFF, TGA, GIF transparency), the picture hashes as the same
/// picture flattened on white.
#[test]
fn b02_kind_hidden_colours_and_alpha_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let on_white = still(&common::case("b02_circle_on_white.png"));
    let rgba = image::open(common::case("b02_circle_rgba.png"))
        .unwrap()
        .to_rgba8();
    assert!(
        rgba.pixels().any(|p| p.0[3] == 0),
        "the case file has transparent pixels"
    );
    // Grey + alpha keeps only luminance (with the image crate's weights): compare it with the
    // flattened circle turned grey the same way.
    let grey_on_white = {
        let path = dir.path().join("grey_on_white.png");
        let img = image::open(common::case("b02_circle_on_white.png")).unwrap();
        save(
            &DynamicImage::ImageLuma8(img.to_luma8()),
            &path,
            ImageFormat::Png,
            None,
        );
        still(&path)
    };
    let mut rng = Rng(0x5eed);
    let hidden = |fill: &mut dyn FnMut() -> [u8; 3]| -> RgbaImage {
        let mut img = rgba.clone();
        for p in img.pixels_mut() {
            if p.0[3] == 0 {
                let [r, g, b] = fill();
                *p = Rgba([r, g, b, 0]);
            }
        }
        img
    };
    let variants: Vec<(&str, DynamicImage, ImageFormat, u32)> = vec![
        (
            "hidden_black",
            DynamicImage::ImageRgba8(hidden(&mut || [0, 0, 0])),
            ImageFormat::Png,
            2,
        ),
        (
            "hidden_white",
            DynamicImage::ImageRgba8(hidden(&mut || [255, 255, 255])),
            ImageFormat::Png,
            2,
        ),
        (
            "hidden_noise",
            DynamicImage::ImageRgba8(hidden(&mut || {
                let v = rng.next();
                [v as u8, (v >> 8) as u8, (v >> 16) as u8]
            })),
            ImageFormat::Png,
            2,
        ),
        (
            "rgba16",
            DynamicImage::ImageRgba16(DynamicImage::ImageRgba8(rgba.clone()).to_rgba16()),
            ImageFormat::Png,
            2,
        ),
        (
            "gray_alpha",
            DynamicImage::ImageLumaA8(DynamicImage::ImageRgba8(rgba.clone()).to_luma_alpha8()),
            ImageFormat::Png,
            4,
        ),
        (
            "webp",
            DynamicImage::ImageRgba8(rgba.clone()),
            ImageFormat::WebP,
            2,
        ),
        (
            "tiff",
            DynamicImage::ImageRgba8(rgba.clone()),
            ImageFormat::Tiff,
            2,
        ),
        (
            "tga",
            DynamicImage::ImageRgba8(rgba.clone()),
            ImageFormat::Tga,
            2,
        ),
    ];
    for (name, img, format, max_bits) in variants {
        let path = dir
            .path()
            .join(format!("{name}.{}", format.extensions_str()[0]));
        save(&img, &path, format, None);
        let h = still(&path);
        let expected = if name == "gray_alpha" {
            &grey_on_white
        } else {
            &on_white
        };
        let d = dist(&h.hash, &expected.hash);
        assert!(d <= max_bits, "{name}: {d} bits from the circle on white");
    }
    // GIF transparency (one palette entry) over hidden black, on a detailed picture (the
    // circle's faint texture does not survive a 256-colour palette): hashes like the
    // picture flattened on white.
    let detailed = detailed_picture(160, 120, 4);
    let holed = RgbaImage::from_fn(160, 120, |x, y| {
        let inside = (x as i32 - 80).pow(2) + (y as i32 - 60).pow(2) < 40 * 40;
        let p = detailed.get_pixel(x, y).0;
        if inside {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([p[0], p[1], p[2], 255])
        }
    });
    let flat = RgbImage::from_fn(160, 120, |x, y| {
        let p = holed.get_pixel(x, y).0;
        if p[3] == 0 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([p[0], p[1], p[2]])
        }
    });
    let gif = dir.path().join("holed.gif");
    let flat_png = dir.path().join("flat.png");
    save(
        &DynamicImage::ImageRgba8(holed.clone()),
        &gif,
        ImageFormat::Gif,
        None,
    );
    save(
        &DynamicImage::ImageRgb8(flat),
        &flat_png,
        ImageFormat::Png,
        None,
    );
    let d = dist(&still(&gif).hash, &still(&flat_png).hash);
    assert!(
        d <= 20,
        "GIF with a transparent hole: {d} bits from the flattened picture"
    );
}

// ----------------------------------------------------------------------------------------
// B04: channel layouts and bit depths
// ----------------------------------------------------------------------------------------

#[test]
fn b04_any_channel_layout_and_bit_depth_hashes_alike() {
    let twin = still(&common::case("b04_rgb_twin.png"));
    assert!(twin.quality >= 50);
    for name in ["b04_gray_L.png", "b04_gray16_L.png", "b04_gray_1comp.jpg"] {
        let fp = fingerprint(&common::case(name), DecoderChoice::Auto);
        assert_eq!((fp.width, fp.height), (160, 120), "{name}");
        let d = dist(&fp.frames[0].hash, &twin.hash);
        assert!(d <= 2, "{name}: {d} bits from the RGB twin");
    }
}

#[test]
fn b04_kind_generated_layouts_depths_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let twin_img = image::open(common::case("b04_rgb_twin.png")).unwrap();
    let twin = still(&common::case("b04_rgb_twin.png"));
    let rgb = DynamicImage::ImageRgb8(twin_img.to_rgb8());
    let variants: Vec<(&str, DynamicImage, ImageFormat, u32)> = vec![
        (
            "l8",
            DynamicImage::ImageLuma8(rgb.to_luma8()),
            ImageFormat::Png,
            2,
        ),
        (
            "l16",
            DynamicImage::ImageLuma16(rgb.to_luma16()),
            ImageFormat::Png,
            2,
        ),
        (
            "la8",
            DynamicImage::ImageLumaA8(rgb.to_luma_alpha8()),
            ImageFormat::Png,
            2,
        ),
        (
            "la16",
            DynamicImage::ImageLumaA16(rgb.to_luma_alpha16()),
            ImageFormat::Png,
            2,
        ),
        (
            "rgb16",
            DynamicImage::ImageRgb16(rgb.to_rgb16()),
            ImageFormat::Png,
            2,
        ),
        (
            "rgba8",
            DynamicImage::ImageRgba8(rgb.to_rgba8()),
            ImageFormat::Png,
            2,
        ),
        ("bmp", rgb.clone(), ImageFormat::Bmp, 2),
        (
            "tiff_l8",
            DynamicImage::ImageLuma8(rgb.to_luma8()),
            ImageFormat::Tiff,
            2,
        ),
        (
            "tiff_l16",
            DynamicImage::ImageLuma16(rgb.to_luma16()),
            ImageFormat::Tiff,
            2,
        ),
        (
            "tiff_rgb16",
            DynamicImage::ImageRgb16(rgb.to_rgb16()),
            ImageFormat::Tiff,
            2,
        ),
        (
            "tga_l8",
            DynamicImage::ImageLuma8(rgb.to_luma8()),
            ImageFormat::Tga,
            2,
        ),
        ("webp", rgb.clone(), ImageFormat::WebP, 2),
        (
            "jpeg_gray",
            DynamicImage::ImageLuma8(rgb.to_luma8()),
            ImageFormat::Jpeg,
            8,
        ),
    ];
    for (name, img, format, max_bits) in variants {
        let path = dir
            .path()
            .join(format!("{name}.{}", format.extensions_str()[0]));
        save(&img, &path, format, None);
        let fp = fingerprint(&path, DecoderChoice::Auto);
        assert_eq!((fp.width, fp.height), (160, 120), "{name}");
        let d = dist(&fp.frames[0].hash, &twin.hash);
        assert!(d <= max_bits, "{name}: {d} bits from the RGB twin");
    }
}

// ----------------------------------------------------------------------------------------
// B06 / B07: uniform and all-black inputs
// ----------------------------------------------------------------------------------------

fn check_low_quality_file(path: &Path, decoder: DecoderChoice) {
    let what = format!("{} ({decoder:?})", path.display());
    let fp = fingerprint(path, decoder);
    assert!(!fp.frames.is_empty(), "{what}: no frame hashed");
    for f in &fp.frames {
        assert!(
            f.quality < 50,
            "{what}: frame at {} ms quality {}",
            f.t_ms,
            f.quality
        );
    }
    assert_index_refused(path, decoder, ErrorKind::LowQuality);
    let r = judge(&[common::case("b18_original.mp4")], path, decoder);
    assert_low_quality(&r, &what);
}

#[test]
fn b06_uniform_images_are_low_quality_never_works_never_matches() {
    for name in ["b06_uniform_blue.png", "b06_uniform_white.png"] {
        let h = still(&common::case(name));
        assert_eq!(h.quality, 0, "{name}");
        check_low_quality_file(&common::case(name), DecoderChoice::Auto);
    }
}

#[test]
fn b07_all_black_image_and_clip_are_well_formed_low_quality_results() {
    let img = common::case("b07_all_black.jpg");
    let h = still(&img);
    assert_eq!(h.quality, 0);
    check_low_quality_file(&img, DecoderChoice::Auto);
    let clip = common::case("b07_all_black_2s.mp4");
    for dec in decoders() {
        let fp = fingerprint(&clip, dec);
        assert_eq!(fp.media, MediaType::Video);
        assert_eq!(fp.duration_ms, 2000, "{dec:?}");
        assert_eq!(
            fp.frames.len(),
            8,
            "{dec:?}: one frame every 250 ms over 2 s"
        );
        assert!(fp.frames.iter().all(|f| f.quality == 0), "{dec:?}");
        check_low_quality_file(&clip, dec);
    }
}

#[test]
fn b06_b07_kind_uniform_colours_sizes_formats_and_clips() {
    let dir = tempfile::tempdir().unwrap();
    let colours: [[u8; 3]; 5] = [
        [0, 0, 0],
        [255, 255, 255],
        [200, 30, 30],
        [128, 128, 128],
        [10, 200, 90],
    ];
    for (i, c) in colours.iter().enumerate() {
        for (w, h) in [(16, 16), (640, 360), (2000, 20)] {
            for format in [
                ImageFormat::Png,
                ImageFormat::Jpeg,
                ImageFormat::Gif,
                ImageFormat::Bmp,
            ] {
                let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(w, h, image::Rgb(*c)));
                let path = dir
                    .path()
                    .join(format!("u{i}_{w}x{h}.{}", format.extensions_str()[0]));
                save(&img, &path, format, None);
                let hsh = still(&path);
                assert_eq!(hsh.quality, 0, "{}", path.display());
            }
        }
    }
    // One of each through the engine and the catalogue.
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 200, image::Rgb([40, 90, 200])));
    let path = dir.path().join("uniform.png");
    save(&img, &path, ImageFormat::Png, None);
    check_low_quality_file(&path, DecoderChoice::Auto);
    if common::have_ffmpeg() {
        let red = dir.path().join("red.mp4");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=320x180:r=15:d=2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&red),
        ]);
        let black_webm = dir.path().join("black.webm");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=320x180:r=15:d=2",
            "-c:v",
            "libvpx-vp9",
            p(&black_webm),
        ]);
        for dec in decoders() {
            check_low_quality_file(&red, dec);
        }
        check_low_quality_file(&black_webm, DecoderChoice::Ffmpeg);
    }
}

// ----------------------------------------------------------------------------------------
// B09: too small
// ----------------------------------------------------------------------------------------

#[test]
fn b09_tiny_images_are_refused_as_too_small() {
    let min = swordnet::limits::MIN_SIDE_PX;
    assert_eq!(min, 16);
    for name in ["b09_1x1.png", "b09_2x2.gif"] {
        let path = common::case(name);
        let got = decode_file(&path, &DecodeOptions::default(), &mut |_| {
            panic!("{name}: no frame may be delivered")
        });
        let err = got.unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooSmall, "{name}");
        assert!(err.message.contains("at least 16 px"), "{}", err.message);
        assert_index_refused(&path, DecoderChoice::Auto, ErrorKind::TooSmall);
        let r = judge(
            &[common::case("b18_original.mp4")],
            &path,
            DecoderChoice::Auto,
        );
        assert_error_report(&r, "too_small", name);
    }
}

#[test]
fn b09_kind_sizes_around_the_minimum_in_every_format_and_tiny_video() {
    let dir = tempfile::tempdir().unwrap();
    for (w, h, ok) in [
        (1, 1, false),
        (15, 15, false),
        (15, 400, false),
        (400, 15, false),
        (16, 16, true),
        (16, 300, true),
    ] {
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::Gif,
            ImageFormat::Bmp,
            ImageFormat::WebP,
            ImageFormat::Tga,
            ImageFormat::Tiff,
        ] {
            let img = DynamicImage::ImageRgb8(detailed_picture(w, h, 1));
            let path = dir
                .path()
                .join(format!("s{w}x{h}.{}", format.extensions_str()[0]));
            save(&img, &path, format, None);
            let got = fingerprint_with(&path, DecoderChoice::Auto, SamplePlan::QUERY_DEFAULT);
            if ok {
                let fp = got.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!((fp.width, fp.height), (w, h));
            } else {
                assert_eq!(error_kind(got), ErrorKind::TooSmall, "{}", path.display());
            }
        }
    }
    // A tiny animation and a tiny video.
    let frames: Vec<image::Frame> = (0..3)
        .map(|i| {
            image::Frame::from_parts(
                DynamicImage::ImageRgb8(detailed_picture(4, 4, i)).to_rgba8(),
                0,
                0,
                image::Delay::from_numer_denom_ms(100, 1),
            )
        })
        .collect();
    let gif = dir.path().join("tiny_anim.gif");
    {
        let mut file = std::fs::File::create(&gif).unwrap();
        let mut enc = image::codecs::gif::GifEncoder::new(&mut file);
        enc.encode_frames(frames).unwrap();
    }
    assert_eq!(
        error_kind(fingerprint_with(
            &gif,
            DecoderChoice::Auto,
            SamplePlan::QUERY_DEFAULT
        )),
        ErrorKind::TooSmall
    );
    if common::have_ffmpeg() {
        let tiny = dir.path().join("tiny8x8.mp4");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=8x8:rate=10:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&tiny),
        ]);
        for dec in decoders() {
            let got = decode_file(&tiny, &options(dec, ALL_FRAMES), &mut |_| {
                panic!("no frame of a too-small video may be delivered")
            });
            assert_eq!(error_kind(got), ErrorKind::TooSmall, "{dec:?}");
        }
    }
}

// ----------------------------------------------------------------------------------------
// B10: animations
// ----------------------------------------------------------------------------------------

#[test]
fn b10_animations_are_fingerprinted_over_time() {
    let a = fingerprint(&common::case("b10_anim_a.gif"), DecoderChoice::Auto);
    let b = fingerprint(&common::case("b10_anim_b.gif"), DecoderChoice::Auto);
    let webp = fingerprint(&common::case("b10_anim_b.webp"), DecoderChoice::Auto);
    for (name, fp) in [("a.gif", &a), ("b.gif", &b), ("b.webp", &webp)] {
        assert_eq!(fp.media, MediaType::Video, "{name}");
        assert_eq!(fp.frames.len(), 3, "{name}: 3 frames");
        assert_eq!(
            fp.frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            [0, 250, 500],
            "{name}"
        );
        assert_eq!(fp.duration_ms, 750, "{name}");
        assert_eq!((fp.width, fp.height), (96, 96), "{name}");
    }
    // The WebP holds the same 3 frames as its GIF.
    for (g, w) in b.frames.iter().zip(&webp.frames) {
        let d = dist(&g.hash, &w.hash);
        assert!(d <= 16, "frame at {} ms: WebP vs GIF {d} bits", g.t_ms);
    }
    // a and b share frame 1 only (a black disc on white: a symmetric picture whose PDQ
    // bits are unstable, so it is not compared bit for bit here).

    for dec in decoders() {
        // a vs b: at most a partial match, never the same work.
        for (work, query) in [
            ("b10_anim_a.gif", "b10_anim_b.gif"),
            ("b10_anim_b.gif", "b10_anim_a.gif"),
        ] {
            let r = judge(&[common::case(work)], &common::case(query), dec);
            assert_ne!(
                r.verdict,
                VerdictKind::Infringing,
                "{query} vs {work}: {r:?}"
            );
            assert!(r.error.is_none());
            for m in &r.matches {
                assert!(m.matched_frames <= 1, "{query} vs {work}: {m:?}");
            }
        }
        // The WebP is a copy of its GIF: all 3 frames matched, in order.
        let r = judge(
            &[common::case("b10_anim_b.gif")],
            &common::case("b10_anim_b.webp"),
            dec,
        );
        let m = r
            .matches
            .first()
            .unwrap_or_else(|| panic!("webp should match its gif: {r:?}"));
        assert!(
            r.verdict >= VerdictKind::Review && r.verdict != VerdictKind::Error,
            "{r:?}"
        );
        assert_eq!(m.matched_frames, 3, "{m:?}");
        assert_eq!((m.query_start_ms, m.reference_start_ms), (0, 0), "{m:?}");
        assert!(m.query_end_ms >= 500 && m.reference_end_ms >= 500, "{m:?}");
        assert!(m.mean_distance <= 8.0, "{m:?}");
    }
}

fn write_gif(path: &Path, frames: Vec<(RgbaImage, u32)>) {
    let mut file = std::fs::File::create(path).unwrap();
    let mut enc = image::codecs::gif::GifEncoder::new_with_speed(&mut file, 30);
    enc.set_repeat(image::codecs::gif::Repeat::Infinite)
        .unwrap();
    enc.encode_frames(frames.into_iter().map(|(img, delay_ms)| {
        image::Frame::from_parts(img, 0, 0, image::Delay::from_numer_denom_ms(delay_ms, 1))
    }))
    .unwrap();
}

/// A slideshow: an animation of a protected photo held for seconds is sampled over time like
/// a video of that still, and matches for its whole length.
#[test]
fn b10_kind_slideshow_of_long_frames_matches_for_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let photo = common::samples().join("references/p_mdn_tiger.jpg");
    let picture = image::open(&photo).unwrap().thumbnail(320, 320).to_rgba8();
    let brighter = image::imageops::colorops::brighten(&picture, 25);
    let gif = dir.path().join("slideshow.gif");
    write_gif(&gif, vec![(picture, 4000), (brighter, 4000)]);
    let (info, frames) = decode_all(&gif, DecoderChoice::Auto).unwrap();
    assert_eq!(info.duration_ms, 8000);
    // Every 100 ms from each picture's start up to its last whole step.
    assert_eq!(frames.len(), 80);
    assert_eq!((frames[39].t_ms, frames[40].t_ms), (3900, 4000));
    let r = judge(&[photo], &gif, DecoderChoice::Auto);
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    let m = &r.matches[0];
    assert!(m.query_end_ms - m.query_start_ms >= 7000, "{m:?}");
}

#[test]
fn b10_kind_frame_times_sampling_limits_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 40 distinct frames, 50 ms apart: 2 s; the upload plan (250 ms) takes 8 of them.
    let gif = dir.path().join("forty.gif");
    write_gif(
        &gif,
        (0..40)
            .map(|i| {
                (
                    DynamicImage::ImageRgb8(detailed_picture(64, 48, i)).to_rgba8(),
                    50,
                )
            })
            .collect(),
    );
    let fp = fingerprint(&gif, DecoderChoice::Auto);
    assert_eq!(fp.media, MediaType::Video);
    assert_eq!(fp.duration_ms, 2000);
    assert_eq!(
        fp.frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
        (0..8).map(|i| i * 250).collect::<Vec<i64>>()
    );
    let (info, frames) = decode_all(&gif, DecoderChoice::Auto).unwrap();
    assert_eq!(frames.len(), 40);
    assert_eq!(info.sampled_frames, 40);
    assert_eq!(frames[39].t_ms, 1950);

    // Delays of 0 (and 10 ms) are shown at 100 ms, as browsers do.
    let zero = dir.path().join("zero_delay.gif");
    write_gif(
        &zero,
        (0..3)
            .map(|i| {
                (
                    DynamicImage::ImageRgb8(detailed_picture(64, 48, i)).to_rgba8(),
                    0,
                )
            })
            .collect(),
    );
    let (info, frames) = decode_all(&zero, DecoderChoice::Auto).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
        [0, 100, 200]
    );
    assert_eq!(info.duration_ms, 300);

    // A one-frame GIF is a still image.
    let single = dir.path().join("single.gif");
    write_gif(
        &single,
        vec![(
            DynamicImage::ImageRgb8(detailed_picture(64, 48, 1)).to_rgba8(),
            100,
        )],
    );
    assert_eq!(
        fingerprint(&single, DecoderChoice::Auto).media,
        MediaType::Image
    );

    // Frame limit: a clear error, not a silent cut.
    let few = DecodeOptions {
        limits: Limits {
            max_frames: 10,
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };
    let got = decode_file(&gif, &few, &mut |_| true);
    assert_eq!(error_kind(got), ErrorKind::TooLarge);

    // Many frames: memory does not grow with the frame count (frames are streamed).
    let long = dir.path().join("long.gif");
    write_gif(
        &long,
        (0..600)
            .map(|i| {
                let mut img = DynamicImage::ImageRgb8(detailed_picture(160, 120, i % 7)).to_rgba8();
                img.put_pixel(i % 160, 0, Rgba([255, 0, 0, 255]));
                (img, 40)
            })
            .collect(),
    );
    let (got, peak) = alloc_track::peak_during(|| {
        let mut n = 0;
        decode_file(
            &long,
            &options(DecoderChoice::Auto, ALL_FRAMES),
            &mut |_| {
                n += 1;
                true
            },
        )
        .map(|i| (i, n))
    });
    let (info, n) = got.unwrap();
    assert_eq!((info.sampled_frames, n), (600, 600));
    assert_eq!(info.duration_ms, 24_000);
    // 600 RGBA frames would be 46 MB; a few frames' worth is allowed.
    assert!(
        peak < 8 * MIB,
        "peak allocation {peak} bytes for a 600-frame GIF"
    );

    if common::have_ffmpeg() {
        // The same animation as animated WebP and APNG: the same frames and times.
        let webp = dir.path().join("forty.webp");
        ffmpeg(&[
            "-i",
            p(&gif),
            "-c:v",
            "libwebp_anim",
            "-lossless",
            "1",
            "-loop",
            "0",
            p(&webp),
        ]);
        let apng = dir.path().join("forty_apng.png");
        ffmpeg(&["-i", p(&gif), "-f", "apng", "-plays", "0", p(&apng)]);
        let reference = decode_all(&gif, DecoderChoice::Auto).unwrap().1;
        let hasher = hasher_for(Algorithm::Pdq);
        for other in [&webp, &apng] {
            let (info, frames) = decode_all(other, DecoderChoice::Auto)
                .unwrap_or_else(|e| panic!("{}: {e}", other.display()));
            assert_eq!(info.media, MediaType::Video, "{}", other.display());
            assert_eq!(frames.len(), 40, "{}", other.display());
            for (g, o) in reference.iter().zip(&frames) {
                assert_eq!(g.t_ms, o.t_ms, "{}", other.display());
                let d = dist(&hasher.hash(&g.picture).hash, &hasher.hash(&o.picture).hash);
                assert!(
                    d <= 8,
                    "{} frame at {} ms: {d} bits",
                    other.display(),
                    g.t_ms
                );
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// B12: TGA, truncated images, malformed images
// ----------------------------------------------------------------------------------------

#[test]
fn b12_rle_tga_decodes_and_truncated_images_are_per_file_errors() {
    let tga = common::case("b12_gray_rle.tga");
    let fp = fingerprint(&tga, DecoderChoice::Auto);
    assert_eq!((fp.width, fp.height), (128, 96));
    assert_eq!(fp.media, MediaType::Image);
    assert!(
        fp.frames[0].quality >= 50,
        "quality {}",
        fp.frames[0].quality
    );
    for name in [
        "b12_truncated.jpg",
        "b12_truncated.png",
        "b12_truncated.tga",
    ] {
        let path = common::case(name);
        let got = decode_file(&path, &DecodeOptions::default(), &mut |_| {
            panic!("{name}: a truncated image delivered a frame")
        });
        let err = got.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated, "{name}: {err}");
        assert!(err.message.contains("truncated"), "{}", err.message);
        assert_index_refused(&path, DecoderChoice::Auto, ErrorKind::Truncated);
        let r = judge(
            &[common::case("b18_original.mp4")],
            &path,
            DecoderChoice::Auto,
        );
        assert_error_report(&r, "truncated", name);
    }
}

#[test]
fn b12_kind_every_format_cut_short_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let img = DynamicImage::ImageRgb8(detailed_picture(200, 150, 3));
    let mut formats: Vec<(&str, ImageFormat, DynamicImage)> = vec![
        ("png", ImageFormat::Png, img.clone()),
        ("jpg", ImageFormat::Jpeg, img.clone()),
        ("gif", ImageFormat::Gif, img.clone()),
        ("webp", ImageFormat::WebP, img.clone()),
        ("bmp", ImageFormat::Bmp, img.clone()),
        ("tiff", ImageFormat::Tiff, img.clone()),
        ("tga", ImageFormat::Tga, img.clone()),
    ];
    formats.push((
        "gray.tga",
        ImageFormat::Tga,
        DynamicImage::ImageLuma8(img.to_luma8()),
    ));
    for (ext, format, picture) in formats {
        let full = dir.path().join(format!("full.{ext}"));
        save(&picture, &full, format, None);
        let whole = fingerprint(&full, DecoderChoice::Auto);
        assert_eq!((whole.width, whole.height), (200, 150), "{ext}");
        let bytes = std::fs::read(&full).unwrap();
        for pct in [5, 25, 50, 75, 90, 98] {
            let n = bytes.len() * pct / 100;
            let cut = dir.path().join(format!("cut{pct}.{ext}"));
            std::fs::write(&cut, &bytes[..n]).unwrap();
            let got = decode_file(&cut, &DecodeOptions::default(), &mut |_| {
                panic!("{ext} cut at {pct} %: a frame was delivered")
            });
            let err = got.unwrap_err();
            assert_eq!(
                err.kind,
                ErrorKind::Truncated,
                "{ext} cut at {pct} %: {err}"
            );
        }
    }
    // A greyscale RLE TGA made here hashes like the same picture as PNG.
    let gray = DynamicImage::ImageLuma8(
        image::open(common::case("b04_rgb_twin.png"))
            .unwrap()
            .to_luma8(),
    );
    let tga = dir.path().join("twin.tga");
    save(&gray, &tga, ImageFormat::Tga, None);
    assert_eq!(std::fs::read(&tga).unwrap()[2], 11, "RLE greyscale TGA");
    let d = dist(
        &still(&tga).hash,
        &still(&common::case("b04_rgb_twin.png")).hash,
    );
    assert!(d <= 2, "TGA vs PNG: {d} bits");
}

/// Bytes flipped at random in every case image: each file gives a result or a per-file
/// error, never a panic (not even a caught one: `internal` would mean a bug).
#[test]
fn b12_kind_corrupted_images_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (_cdir, cat) = common::catalogue();
    let engine = common::engine_over(
        &cat,
        &[common::case("b01_upright_reference.jpg")],
        DecoderChoice::Auto,
    );
    let mut rng = Rng(0xc0ffee);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(common::shared("cases/inputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["jpg", "png", "gif", "webp", "tga"].contains(&ext)
        })
        .filter(|p| std::fs::metadata(p).unwrap().len() < 20_000)
        .collect();
    inputs.sort();
    let mut files = Vec::new();
    for (i, src) in inputs.iter().enumerate() {
        let bytes = std::fs::read(src).unwrap();
        for round in 0..6 {
            let mut b = bytes.clone();
            let flips = 1 + (rng.next() % 8) as usize;
            for _ in 0..flips {
                let at = 8 + (rng.next() as usize) % (b.len().saturating_sub(8).max(1));
                if at < b.len() {
                    b[at] = rng.next() as u8;
                }
            }
            let ext = src.extension().unwrap().to_str().unwrap();
            let path = dir.path().join(format!("c{i}_{round}.{ext}"));
            std::fs::write(&path, b).unwrap();
            files.push(path);
        }
    }
    let reports = scan_batch(&engine, &files, None, 2, &|_, _, _| {}).unwrap();
    assert_eq!(reports.len(), files.len());
    for r in &reports {
        if let Some(e) = &r.error {
            assert_ne!(e.kind, "internal", "{}: {e:?}", r.query);
            assert!(
                [
                    "truncated",
                    "decode",
                    "unsupported",
                    "too_large",
                    "too_small"
                ]
                .contains(&e.kind.as_str()),
                "{}: {e:?}",
                r.query
            );
        } else {
            assert!(r.frames > 0, "{r:?}");
        }
    }
}

// ----------------------------------------------------------------------------------------
// B13: decompression bombs and lying headers
// ----------------------------------------------------------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Checks that `path` is refused as too large from its header, with the numbers in the
/// message, allocating next to nothing, and that a batch containing it goes on.
fn assert_bomb_refused(path: &Path, limits: Limits, pixels: u64) {
    let opts = DecodeOptions {
        limits,
        ..DecodeOptions::default()
    };
    let (got, peak) = alloc_track::peak_during(|| {
        decode_file(path, &opts, &mut |_| panic!("a bomb delivered a frame"))
    });
    let err = got.unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{}: {err}", path.display());
    assert!(
        err.message.contains("too large")
            && err.message.contains(&format!("{pixels} px"))
            && err
                .message
                .contains(&format!("limit {} px", limits.max_pixels)),
        "{}: {}",
        path.display(),
        err.message
    );
    assert!(peak < 4 * MIB, "{}: {peak} bytes allocated", path.display());
}

#[test]
fn b13_pixel_limit_is_checked_from_the_header_before_allocating() {
    let limits = Limits::default();
    assert_eq!(limits.max_pixels, 50_000_000);
    assert_bomb_refused(
        &common::case("b13_bomb_16000x16000_1bit.png"),
        limits,
        256_000_000,
    );
    assert_bomb_refused(
        &common::case("b13_header_says_60000x60000.png"),
        limits,
        3_600_000_000,
    );
    for name in [
        "b13_bomb_16000x16000_1bit.png",
        "b13_header_says_60000x60000.png",
    ] {
        assert_index_refused(
            &common::case(name),
            DecoderChoice::Auto,
            ErrorKind::TooLarge,
        );
    }
    // In a batch (worker threads): a too_large error each, and the good file is judged.
    let (_dir, cat) = common::catalogue();
    let engine = common::engine_over(
        &cat,
        &[common::case("b01_upright_reference.jpg")],
        DecoderChoice::Auto,
    );
    let files = [
        common::case("b13_bomb_16000x16000_1bit.png"),
        common::case("b13_header_says_60000x60000.png"),
        common::case("b01_exif_orient6.jpg"),
    ];
    let reports = scan_batch(&engine, &files, None, 2, &|_, _, _| {}).unwrap();
    assert_error_report(&reports[0], "too_large", "bomb");
    assert_error_report(&reports[1], "too_large", "60000x60000 header");
    assert_eq!(reports[2].verdict, VerdictKind::Infringing);
}

/// Lying headers in every image format, and a configurable limit for images and videos.
#[test]
fn b13_kind_lying_headers_in_every_format_and_configurable_limit() {
    let dir = tempfile::tempdir().unwrap();
    let small = DynamicImage::ImageRgb8(detailed_picture(32, 32, 5));
    let limits = Limits::default();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let encode = |format: ImageFormat| {
        let mut v = Vec::new();
        small
            .write_to(&mut std::io::Cursor::new(&mut v), format)
            .unwrap();
        v
    };

    // PNG: IHDR says 60000 x 60000 (CRC fixed).
    let mut png = encode(ImageFormat::Png);
    png[16..20].copy_from_slice(&60000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_bomb_refused(&write("big.png", &png), limits, 3_600_000_000);

    // GIF: logical screen 65535 x 65535.
    let mut gif = encode(ImageFormat::Gif);
    gif[6..8].copy_from_slice(&65535u16.to_le_bytes());
    gif[8..10].copy_from_slice(&65535u16.to_le_bytes());
    assert_bomb_refused(&write("big.gif", &gif), limits, 65535 * 65535);

    // JPEG: SOF0 says 65500 x 65500.
    let mut jpg = encode(ImageFormat::Jpeg);
    let sof = jpg
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("SOF0");
    jpg[sof + 5..sof + 7].copy_from_slice(&65500u16.to_be_bytes());
    jpg[sof + 7..sof + 9].copy_from_slice(&65500u16.to_be_bytes());
    assert_bomb_refused(&write("big.jpg", &jpg), limits, 65500 * 65500);

    // BMP: 60000 x 60000.
    let mut bmp = encode(ImageFormat::Bmp);
    bmp[18..22].copy_from_slice(&60000i32.to_le_bytes());
    bmp[22..26].copy_from_slice(&60000i32.to_le_bytes());
    assert_bomb_refused(&write("big.bmp", &bmp), limits, 3_600_000_000);

    // TGA: 65535 x 65535.
    let mut tga = encode(ImageFormat::Tga);
    tga[12..14].copy_from_slice(&65535u16.to_le_bytes());
    tga[14..16].copy_from_slice(&65535u16.to_le_bytes());
    assert_bomb_refused(&write("big.tga", &tga), limits, 65535 * 65535);

    // WebP (lossless): 16000 x 16000 (14-bit sizes minus one).
    let mut webp = encode(ImageFormat::WebP);
    assert_eq!(&webp[12..16], b"VP8L");
    let mut bits = u32::from_le_bytes(webp[21..25].try_into().unwrap());
    bits = (bits & !0x0fff_ffff) | 15999 | (15999 << 14);
    webp[21..25].copy_from_slice(&bits.to_le_bytes());
    assert_bomb_refused(&write("big.webp", &webp), limits, 16000 * 16000);

    // GIF whose one frame is far larger than its screen: refused, memory bounded.
    let mut g = Vec::new();
    g.extend_from_slice(b"GIF89a");
    g.extend_from_slice(&100u16.to_le_bytes());
    g.extend_from_slice(&100u16.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    g.push(0x2c);
    g.extend_from_slice(&[0, 0, 0, 0]);
    g.extend_from_slice(&60000u16.to_le_bytes());
    g.extend_from_slice(&60000u16.to_le_bytes());
    g.extend_from_slice(&[0, 2, 2, 0x4c, 0x01, 0, 0x3b]);
    let path = write("frame_bigger_than_screen.gif", &g);
    let (got, peak) =
        alloc_track::peak_during(|| decode_file(&path, &DecodeOptions::default(), &mut |_| true));
    assert!(peak < 64 * MIB, "{peak} bytes for a lying GIF frame");
    if let Err(e) = got {
        assert!(
            matches!(
                e.kind,
                ErrorKind::TooLarge | ErrorKind::Decode | ErrorKind::Truncated
            ),
            "{e}"
        );
    }

    // The limit is configurable: a 180 x 320 picture (57,600 px) over a 50,000 px limit.
    let tight = Limits {
        max_pixels: 50_000,
        ..Limits::default()
    };
    assert_bomb_refused(&common::case("b01_upright_reference.jpg"), tight, 57_600);
    // ... and applies to video frames too, from the container header, with both decoders.
    for dec in decoders() {
        let opts = DecodeOptions {
            limits: tight,
            decoder: dec,
            ..DecodeOptions::default()
        };
        let got = decode_file(&common::case("b18_original.mp4"), &opts, &mut |_| {
            panic!("a frame over the pixel limit was decoded")
        });
        let err = got.unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooLarge, "{dec:?}: {err}");
        assert!(err.message.contains("57600 px"), "{}", err.message);
    }
}

// ----------------------------------------------------------------------------------------
// B15: file names
// ----------------------------------------------------------------------------------------

/// The names B15 asks for, as raw bytes.
fn awkward_names() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("invalid_utf8", b"clip_\xff\xfe_\xc3(.mp4".to_vec()),
        ("nfc", "caf\u{e9}_film.mp4".as_bytes().to_vec()),
        ("nfd", "cafe\u{301}_film.mp4".as_bytes().to_vec()),
        (
            "cjk_rlo",
            "\u{6d77}\u{8cca}\u{7248}_\u{202e}4pm.exe"
                .as_bytes()
                .to_vec(),
        ),
        (
            "cjk_rlo_mp4",
            "\u{6620}\u{753b}_\u{202e}gpj.mp4".as_bytes().to_vec(),
        ),
        ("newline_dash", b"-i\nnew line.mp4".to_vec()),
        ("protocol_like", b"concat:a|b.mp4".to_vec()),
    ]
}

/// An MP4 with a `free` box appended (the same media, another SHA-256).
fn with_free_box(mp4: &[u8], tag: u8) -> Vec<u8> {
    let mut out = mp4.to_vec();
    out.extend_from_slice(&[0, 0, 0, 12]);
    out.extend_from_slice(b"free");
    out.extend_from_slice(&[tag, tag, tag, tag]);
    out
}

fn assert_shown_escaped(shown: &str, raw: &Path) {
    for c in ['\u{202e}', '\u{fffd}', '\n'] {
        assert!(
            !shown.contains(c),
            "{shown:?} holds {c:?} (raw {:?})",
            path_to_bytes(raw)
        );
    }
    assert_eq!(shown, display_path(raw));
}

#[test]
fn b15_awkward_file_names_are_hashed_stored_losslessly_and_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(common::case("b15_clip.mp4")).unwrap();
    let names = awkward_names();
    let mut copies: Vec<PathBuf> = Vec::new();
    for (i, (_, name)) in names.iter().enumerate() {
        let path = dir.path().join(path_from_bytes(name));
        std::fs::write(&path, with_free_box(&clip, i as u8)).unwrap();
        copies.push(path);
    }
    // The escaped forms: override neutralised, invalid bytes as \xNN, NFC != NFD.
    let shown: Vec<String> = copies.iter().map(|p| display_path(p)).collect();
    assert!(
        shown[0].ends_with("clip_\\xff\\xfe_\\xc3(.mp4"),
        "{}",
        shown[0]
    );
    assert!(shown[3].contains("\\u{202e}4pm.exe"), "{}", shown[3]);
    assert!(shown[5].contains("-i\\u{000a}new line.mp4"), "{}", shown[5]);
    assert_ne!(shown[1], shown[2], "NFC and NFD names are two names");
    for (s, p) in shown.iter().zip(&copies) {
        assert_shown_escaped(s, p);
    }

    for dec in decoders() {
        // Every copy is hashed, the same as the original.
        let original = fingerprint(&common::case("b15_clip.mp4"), dec);
        for p in &copies {
            let fp = fingerprint(p, dec);
            assert_eq!(
                fp.frames.len(),
                original.frames.len(),
                "{} ({dec:?})",
                display_path(p)
            );
            for (a, b) in fp.frames.iter().zip(&original.frames) {
                assert_eq!(a.hash, b.hash, "{} ({dec:?})", display_path(p));
            }
        }
        // Indexed as works: the paths come back byte for byte, titles are escaped.
        let (_cdir, cat) = common::catalogue();
        for p in &copies {
            let outcome = index_file(
                &cat,
                p,
                &WorkMeta::default(),
                &common::reference_options(dec),
                50,
            )
            .unwrap_or_else(|e| panic!("index {e}"));
            assert!(matches!(outcome, IndexOutcome::Added { .. }), "{outcome:?}");
        }
        let works = cat.works().unwrap();
        let stored: BTreeSet<Vec<u8>> = works.iter().map(|w| path_to_bytes(&w.path)).collect();
        let given: BTreeSet<Vec<u8>> = copies.iter().map(|p| path_to_bytes(p)).collect();
        assert_eq!(stored, given, "{dec:?}");
        for w in &works {
            assert!(
                !w.title.contains('\u{202e}') && !w.title.contains('\n'),
                "{:?}",
                w.title
            );
        }
        // Scanned and stored as a scan: every copy matches, reports are escaped, the
        // stored query paths are the raw bytes.
        let engine = Engine::from_catalogue(
            &cat,
            EngineOptions {
                decode: options(dec, SamplePlan::QUERY_DEFAULT),
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let scan = cat.begin_scan("{}").unwrap();
        let reports = scan_batch(&engine, &copies, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        for (r, p) in reports.iter().zip(&copies) {
            assert_shown_escaped(&r.query, p);
            assert!(r.error.is_none(), "{r:?}");
            assert!(!r.matches.is_empty(), "{} ({dec:?}): {r:?}", r.query);
            let json = serde_json::to_string(r).unwrap();
            assert!(!json.contains('\u{202e}'), "{json}");
            for m in &r.matches {
                assert!(shown.contains(&m.reference), "{}", m.reference);
            }
        }
        let stored: BTreeSet<Vec<u8>> = cat
            .scan_results(scan)
            .unwrap()
            .iter()
            .map(|s| path_to_bytes(&s.query))
            .collect();
        assert_eq!(stored, given, "{dec:?}");
        cat.integrity_check().unwrap();
    }
}

/// NFC and NFD names of byte-identical files: two files that match each other and keep their
/// own names; an error on an awkward name is shown escaped too.
#[test]
fn b15_nfc_and_nfd_names_are_two_files_that_match_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(common::case("b15_clip.mp4")).unwrap();
    let nfc = dir.path().join("caf\u{e9}.mp4");
    let nfd = dir.path().join("cafe\u{301}.mp4");
    std::fs::write(&nfc, &clip).unwrap();
    std::fs::write(&nfd, &clip).unwrap();
    let listed: BTreeSet<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listed.len(), 2, "two files on disk");
    for dec in decoders() {
        for (work, query) in [(&nfc, &nfd), (&nfd, &nfc)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_eq!(r.query, display_path(query));
            let m = r
                .matches
                .first()
                .unwrap_or_else(|| panic!("{dec:?}: {r:?}"));
            assert_eq!(m.reference, display_path(work));
            assert_ne!(m.reference, r.query);
            // Byte-identical files: the upload and the work are sampled at other times,
            // so frames are neighbours, not the same frames.
            assert!(m.mean_distance <= 31.0, "{m:?}");
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        }
        // A broken file under a name with an override: the error is clean text.
        let bad = dir.path().join("\u{6620}\u{753b}_\u{202e}4pm.exe");
        std::fs::write(&bad, &clip[..clip.len() / 3]).unwrap();
        let r = judge(std::slice::from_ref(&nfc), &bad, dec);
        assert_eq!(r.verdict, VerdictKind::Error, "{dec:?}: {r:?}");
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains('\u{202e}'), "{dec:?}: {json}");
        let err = decode_file(&bad, &options(dec, SamplePlan::QUERY_DEFAULT), &mut |_| {
            true
        })
        .unwrap_err();
        let line = err.to_string();
        assert!(
            !line.contains('\u{202e}') && line.contains("\\u{202e}"),
            "{line}"
        );
        std::fs::remove_file(&bad).unwrap();
    }
}

// ----------------------------------------------------------------------------------------
// B16: display-matrix rotation
// ----------------------------------------------------------------------------------------

#[test]
fn b16_display_matrix_is_applied_and_rotated_copies_match() {
    let matrix = common::case("b16_displaymatrix_minus90.mp4");
    let pixels = common::case("b16_pixels_rotated.mp4");
    for dec in decoders() {
        let a = fingerprint(&matrix, dec);
        let b = fingerprint(&pixels, dec);
        assert_eq!((a.width, a.height), (180, 320), "{dec:?}");
        assert_eq!((b.width, b.height), (180, 320), "{dec:?}");
        assert_eq!(a.frames.len(), b.frames.len());
        for (x, y) in a.frames.iter().zip(&b.frames) {
            let d = dist(&x.hash, &y.hash);
            assert!(d <= 16, "{dec:?} frame at {} ms: {d} bits", x.t_ms);
        }
        let (info, frames) = decode_all(&matrix, dec).unwrap();
        assert_eq!((info.width, info.height), (180, 320));
        assert_eq!(frames.len(), 30);
        assert!(frames
            .iter()
            .all(|f| (f.picture.width, f.picture.height) == (180, 320)));
        for (work, query) in [(&pixels, &matrix), (&matrix, &pixels)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
            assert_eq!(r.matches[0].transform, "none", "{dec:?}: {r:?}");
            assert!(r.matches[0].mean_distance <= 31.0, "{:?}", r.matches[0]);
        }
        // The catalogue records the displayed size.
        let (_d, cat) = common::catalogue();
        common::engine_over(&cat, std::slice::from_ref(&matrix), dec);
        let w = &cat.works().unwrap()[0];
        assert_eq!((w.width, w.height), (180, 320), "{dec:?}");
    }
}

/// Display matrices of 90, 180 and 270 degrees against the same turns done on the pixels.
#[test]
fn b16_kind_every_rotation_matches_its_pixel_rotated_twin() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = common::case("b16_source_landscape.mp4");
    for (degrees, size) in [(90, (180, 320)), (180, (320, 180)), (270, (180, 320))] {
        // Rotation by display matrix only (the pixels stay landscape) ...
        let tagged = dir.path().join(format!("tagged{degrees}.mp4"));
        ffmpeg(&[
            "-i",
            p(&src),
            "-c",
            "copy",
            "-metadata:s:v:0",
            &format!("rotate={degrees}"),
            p(&tagged),
        ]);
        // ... and the same turn written into the pixels (ffmpeg applies the matrix when it
        // re-encodes), with no matrix left.
        let turned = dir.path().join(format!("turned{degrees}.mp4"));
        ffmpeg(&[
            "-i",
            p(&tagged),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-metadata:s:v:0",
            "rotate=0",
            p(&turned),
        ]);
        let mut per_decoder = Vec::new();
        for dec in decoders() {
            let a = fingerprint(&tagged, dec);
            let b = fingerprint(&turned, dec);
            assert_eq!((a.width, a.height), size, "{degrees}° {dec:?}");
            assert_eq!((b.width, b.height), size, "{degrees}° {dec:?}");
            assert_eq!(a.frames.len(), b.frames.len());
            for (x, y) in a.frames.iter().zip(&b.frames) {
                let d = dist(&x.hash, &y.hash);
                assert!(d <= 20, "{degrees}° {dec:?} at {} ms: {d} bits", x.t_ms);
            }
            let r = judge(std::slice::from_ref(&turned), &tagged, dec);
            assert_eq!(
                r.verdict,
                VerdictKind::Infringing,
                "{degrees}° {dec:?}: {r:?}"
            );
            assert_eq!(r.matches[0].transform, "none", "{degrees}° {dec:?}: {r:?}");
            per_decoder.push(a);
        }
        // Both decoders turn the same way.
        if let [builtin, ffmpeg_fp] = &per_decoder[..] {
            for (x, y) in builtin.frames.iter().zip(&ffmpeg_fp.frames) {
                let d = dist(&x.hash, &y.hash);
                assert!(
                    d <= 16,
                    "{degrees}°: builtin vs ffmpeg at {} ms: {d} bits",
                    x.t_ms
                );
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// B18: mirrored copies
// ----------------------------------------------------------------------------------------

#[test]
fn b18_mirrored_clip_matches_with_transform_mirrored() {
    for dec in decoders() {
        let r = judge(
            &[common::case("b18_original.mp4")],
            &common::case("b18_hflipped.mp4"),
            dec,
        );
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        let m = &r.matches[0];
        assert_eq!(name_of(&m.reference), "b18_original.mp4");
        assert!(m.mirrored, "{m:?}");
        assert_eq!(m.transform, "mirrored");
        assert!(m.query_end_ms - m.query_start_ms >= 1500, "{m:?}");
        // And the other way round.
        let r = judge(
            &[common::case("b18_hflipped.mp4")],
            &common::case("b18_original.mp4"),
            dec,
        );
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert_eq!(r.matches[0].transform, "mirrored");
    }
}

#[test]
fn b18_kind_mirrored_images_and_other_clips() {
    let dir = tempfile::tempdir().unwrap();
    let upright = image::open(common::case("b01_upright_reference.jpg")).unwrap();
    let flipped = dir.path().join("flipped.png");
    save(&upright.fliph(), &flipped, ImageFormat::Png, None);
    let r = judge(
        &[common::case("b01_upright_reference.jpg")],
        &flipped,
        DecoderChoice::Auto,
    );
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    assert!(r.matches[0].mirrored);
    assert_eq!(r.matches[0].transform, "mirrored");
    if common::have_ffmpeg() {
        let src = common::case("b19_intro_then_a.mp4");
        let mirrored = dir.path().join("mirrored.mp4");
        ffmpeg(&[
            "-i",
            p(&src),
            "-vf",
            "hflip",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&mirrored),
        ]);
        for dec in decoders() {
            let r = judge(std::slice::from_ref(&src), &mirrored, dec);
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
            assert_eq!(r.matches[0].transform, "mirrored", "{dec:?}: {r:?}");
            assert!(r.matches[0].query_end_ms - r.matches[0].query_start_ms >= 4000);
        }
    }
}

// ----------------------------------------------------------------------------------------
// B19: a shared intro
// ----------------------------------------------------------------------------------------

fn assert_intro_only(r: &QueryReport, intro_ms: i64, what: &str) {
    assert!(r.error.is_none(), "{what}: {r:?}");
    assert_ne!(r.verdict, VerdictKind::Infringing, "{what}: {r:?}");
    for m in &r.matches {
        assert_ne!(m.verdict, VerdictKind::Infringing, "{what}: {m:?}");
        // Within the intro, with a frame of slack.
        assert!(
            m.query_start_ms >= 0 && m.query_end_ms <= intro_ms + 500,
            "{what}: {m:?}"
        );
        assert!(
            m.reference_start_ms >= 0 && m.reference_end_ms <= intro_ms + 500,
            "{what}: {m:?}"
        );
    }
}

#[test]
fn b19_a_shared_intro_is_never_infringing() {
    let a = common::case("b19_intro_then_a.mp4");
    let b = common::case("b19_intro_then_b.mp4");
    for dec in decoders() {
        for (work, query) in [(&a, &b), (&b, &a)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_intro_only(
                &r,
                3000,
                &format!("{} vs {} ({dec:?})", query.display(), work.display()),
            );
        }
        // Each is a copy of itself (the policy is not simply blind).
        let r = judge(std::slice::from_ref(&a), &a, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
    }
}

#[test]
fn b19_kind_moving_intro_then_different_content() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str, tail: &str| {
        let out = dir.path().join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=15:d=3",
            "-f",
            "lavfi",
            "-i",
            &format!("{tail},format=yuv420p"),
            "-filter_complex",
            "[0:v]format=yuv420p,setsar=1[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&out),
        ]);
        out
    };
    let a = make(
        "intro_mandelbrot.mp4",
        "mandelbrot=s=320x180:r=15,trim=duration=5",
    );
    let b = make(
        "intro_bars.mp4",
        "rgbtestsrc=s=320x180:r=15:d=5,hue=H=2*PI*t",
    );
    for dec in decoders() {
        for (work, query) in [(&a, &b), (&b, &a)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_intro_only(&r, 3000, &format!("{} ({dec:?})", query.display()));
        }
    }
}

// ----------------------------------------------------------------------------------------
// B21: padded square 60 fps, odd-sized 4:4:4
// ----------------------------------------------------------------------------------------

#[test]
fn b21_padded_square_and_odd_sized_444_hash() {
    let padded = common::case("b21_608x1080_padded_1080sq_60fps.mp4");
    let odd = common::case("b21_odd_321x241_yuv444.mkv");
    for dec in decoders() {
        let fp = fingerprint(&padded, dec);
        assert_eq!((fp.width, fp.height), (1080, 1080), "{dec:?}");
        assert_eq!(fp.duration_ms, 1000);
        assert_eq!(fp.frames.len(), 4, "{dec:?}: 1 s at 250 ms");
        assert!(fp.frames.iter().all(|f| f.quality >= 50));
        let area = fp
            .active_area
            .unwrap_or_else(|| panic!("{dec:?}: padding not found"));
        assert!((area.w - 608.0 / 1080.0).abs() < 0.04, "{dec:?}: {area:?}");
        assert!(area.h > 0.95, "{dec:?}: {area:?}");
        let (info, frames) = decode_all(&padded, dec).unwrap();
        assert_eq!(frames.len(), 60, "{dec:?}: every frame of 1 s at 60 fps");
        assert_eq!(info.sampled_frames, 60);
        assert!(frames
            .iter()
            .all(|f| f.picture.width.max(f.picture.height) <= 512));
    }
    // The odd-sized 4:4:4 Matroska: ffmpeg reads it, the builtin decoder says why it cannot.
    let got = decode_file(
        &odd,
        &options(DecoderChoice::Builtin, ALL_FRAMES),
        &mut |_| true,
    );
    assert_eq!(error_kind(got), ErrorKind::Unsupported);
    if common::have_ffmpeg() {
        let fp = fingerprint(&odd, DecoderChoice::Ffmpeg);
        assert_eq!((fp.width, fp.height), (321, 241));
        assert!(fp.frames.len() >= 4);
        assert!(fp.frames.iter().all(|f| f.quality >= 50));
        let (_, frames) = decode_all(&odd, DecoderChoice::Ffmpeg).unwrap();
        assert_eq!(frames.len(), 10);
        assert!(frames
            .iter()
            .all(|f| (f.picture.width, f.picture.height) == (321, 241)));
    }
}

#[test]
fn b21_kind_padding_as_border_odd_sizes_and_chroma_formats() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let padded = common::case("b21_608x1080_padded_1080sq_60fps.mp4");
    // The active area alone as the work: the padded upload matches it, cropped.
    let active = dir.path().join("active_608x1080.mp4");
    ffmpeg(&[
        "-i",
        p(&padded),
        "-vf",
        "crop=608:1080:236:0",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&active),
    ]);
    // A letterboxed copy (bars top and bottom) of a landscape clip.
    let src = common::case("b19_intro_then_a.mp4");
    let boxed = dir.path().join("letterboxed.mp4");
    ffmpeg(&[
        "-i",
        p(&src),
        "-vf",
        "pad=320:320:0:70:black",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&boxed),
    ]);
    for dec in decoders() {
        let r = judge(std::slice::from_ref(&active), &padded, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert!(r.matches[0].cropped, "{dec:?}: {:?}", r.matches[0]);
        let r = judge(std::slice::from_ref(&src), &boxed, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert!(r.matches[0].cropped, "{dec:?}: {:?}", r.matches[0]);
    }
    // Odd sizes and chroma layouts: ffmpeg converts them; the builtin decoder refuses the
    // ones it cannot decode with a clear reason, never garbage.
    let base = dir.path().join("base_420.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=10:d=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&base),
    ]);
    for (name, vf, pix_fmt, size, builtin_note) in [
        (
            "odd444.mp4",
            "scale=321:241",
            "yuv444p",
            (321, 241),
            Some("4:4:4"),
        ),
        ("odd444.mkv", "scale=321:241", "yuv444p", (321, 241), None),
        ("s422.mp4", "null", "yuv422p", (320, 240), Some("4:2:2")),
        ("s10bit.mp4", "null", "yuv420p10le", (320, 240), Some("bit")),
        (
            "crop420.mp4",
            "crop=318:238:0:0",
            "yuv420p",
            (318, 238),
            Some(""),
        ),
    ] {
        let out = dir.path().join(name);
        let made = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                p(&base),
                "-vf",
                vf,
                "-c:v",
                "libx264",
                "-pix_fmt",
                pix_fmt,
                p(&out),
            ])
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let fp = fingerprint(&out, DecoderChoice::Ffmpeg);
        assert_eq!((fp.width, fp.height), size, "{name}");
        let r = judge(std::slice::from_ref(&base), &out, DecoderChoice::Ffmpeg);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
        let got = fingerprint_with(&out, DecoderChoice::Builtin, SamplePlan::QUERY_DEFAULT);
        match (builtin_note, got) {
            (Some(""), Ok(fp)) => assert_eq!((fp.width, fp.height), size, "{name}"),
            (Some(note), Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Unsupported, "{name}: {e}");
                assert!(e.message.contains(note), "{name}: {}", e.message);
            }
            (None, Err(e)) => assert_eq!(e.kind, ErrorKind::Unsupported, "{name}: {e}"),
            (note, got) => panic!("{name}: builtin {note:?} gave {got:?}"),
        }
    }
}

// ----------------------------------------------------------------------------------------
// B22: truncated and empty videos
// ----------------------------------------------------------------------------------------

#[test]
fn b22_truncated_and_empty_videos_are_per_file_errors_and_store_nothing() {
    let cut = common::case("b22_truncated_no_moov.mp4");
    let empty = common::case("b22_zero_bytes.mp4");
    for dec in decoders() {
        let err = decode_file(&cut, &options(dec, ALL_FRAMES), &mut |_| true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated, "{dec:?}: {err}");
        assert!(
            err.message.contains("truncated or unreadable container"),
            "{}",
            err.message
        );
        let err = decode_file(&empty, &options(dec, ALL_FRAMES), &mut |_| true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Empty, "{dec:?}: {err}");
        assert!(err.message.contains("empty file"), "{}", err.message);
        assert_index_refused(&cut, dec, ErrorKind::Truncated);
        assert_index_refused(&empty, dec, ErrorKind::Empty);

        // In a stored batch: the good work stays, the failures are counted and stored.
        let (_d, cat) = common::catalogue();
        let engine = common::engine_over(&cat, &[common::case("b18_original.mp4")], dec);
        let scan = cat.begin_scan("{}").unwrap();
        let files = [cut.clone(), empty.clone(), common::case("b18_hflipped.mp4")];
        let reports = scan_batch(&engine, &files, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        assert_error_report(&reports[0], "truncated", "no moov");
        assert_error_report(&reports[1], "empty", "zero bytes");
        assert_eq!(reports[2].verdict, VerdictKind::Infringing);
        let summary = Summary::of(&reports);
        assert_eq!(summary.count(VerdictKind::Error), 2);
        assert_eq!(summary.errors_by_kind.get("truncated"), Some(&1));
        assert_eq!(summary.errors_by_kind.get("empty"), Some(&1));
        let stored = cat.scan_results(scan).unwrap();
        assert_eq!(stored.len(), 3);
        let kinds: BTreeSet<_> = stored.iter().filter_map(|s| s.error_kind.clone()).collect();
        assert_eq!(
            kinds,
            BTreeSet::from(["empty".to_string(), "truncated".to_string()])
        );
        assert_eq!(cat.works().unwrap().len(), 1);
        cat.integrity_check().unwrap();
    }
}

#[test]
fn b22_kind_videos_cut_anywhere_and_empty_files_of_any_type() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["mp4", "mkv", "jpg", "png", "gif", "webp", "mov", "bin"] {
        let path = dir.path().join(format!("zero.{ext}"));
        std::fs::write(&path, b"").unwrap();
        for dec in decoders() {
            let got = decode_file(&path, &options(dec, ALL_FRAMES), &mut |_| true);
            assert_eq!(error_kind(got), ErrorKind::Empty, "{ext}");
        }
    }
    // Cut MP4s, index at the end (b18) or at the front (faststart), at many points.
    let mut sources = vec![(
        "moov_last",
        std::fs::read(common::case("b18_original.mp4")).unwrap(),
    )];
    if common::have_ffmpeg() {
        let fast = dir.path().join("faststart.mp4");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            p(&fast),
        ]);
        sources.push(("moov_first", std::fs::read(&fast).unwrap()));
        let mkv = dir.path().join("full.mkv");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c",
            "copy",
            p(&mkv),
        ]);
        sources.push(("mkv", std::fs::read(&mkv).unwrap()));
        let avi = dir.path().join("full.avi");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c:v",
            "mpeg4",
            p(&avi),
        ]);
        sources.push(("avi", std::fs::read(&avi).unwrap()));
    }
    for (label, bytes) in &sources {
        for pct in [1, 10, 30, 50, 70, 90, 99] {
            let n = bytes.len() * pct / 100;
            let ext = match *label {
                "mkv" | "avi" => *label,
                _ => "mp4",
            };
            let path = dir.path().join(format!("{label}_{pct}.{ext}"));
            std::fs::write(&path, &bytes[..n]).unwrap();
            for dec in decoders() {
                if ext != "mp4" && dec == DecoderChoice::Builtin {
                    continue;
                }
                let got = decode_file(&path, &options(dec, ALL_FRAMES), &mut |_| true);
                let kind = error_kind(got);
                assert_eq!(
                    kind,
                    ErrorKind::Truncated,
                    "{label} cut at {pct} % ({dec:?})"
                );
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// B23: dark, nearly black clips
// ----------------------------------------------------------------------------------------

#[test]
fn b23_dark_clips_are_insufficient_content_not_duplicates() {
    let dot = common::case("b23_dark_moving_dot.mp4");
    let dots = common::case("b23_dark_two_dots.mp4");
    for dec in decoders() {
        for path in [&dot, &dots] {
            let fp = fingerprint(path, dec);
            assert_eq!(fp.frames.len(), 8, "{dec:?}");
            assert_eq!(fp.informative_frames(50), 0, "{dec:?}: {:?}", fp.frames);
            check_low_quality_file(path, dec);
        }
        // Whatever else the catalogue holds, neither is a match of the other.
        let r = judge(&[common::case("b18_original.mp4")], &dots, dec);
        assert_low_quality(&r, "two dots");
    }
}

#[test]
fn b23_kind_other_dark_clips() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dark = dir.path().join("dark_box.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x040404:s=320x180:r=15:d=2",
        "-vf",
        "drawbox=x='t*60':y=80:w=8:h=8:color=0x141414:t=fill",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&dark),
    ]);
    let fade = dir.path().join("faded_out.webm");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=15:d=2",
        "-vf",
        "eq=brightness=-0.9:contrast=0.05",
        "-c:v",
        "libvpx-vp9",
        p(&fade),
    ]);
    for dec in decoders() {
        check_low_quality_file(&dark, dec);
    }
    check_low_quality_file(&fade, DecoderChoice::Ffmpeg);
}

// ----------------------------------------------------------------------------------------
// B25: audio streams
// ----------------------------------------------------------------------------------------

#[test]
fn b25_video_stream_is_chosen_by_type_and_audio_only_is_an_error() {
    let first = common::case("b25_audio_stream_first.mp4");
    let only = common::case("b25_audio_only_named.mp4");
    for dec in decoders() {
        let (info, frames) = decode_all(&first, dec).unwrap();
        assert_eq!(frames.len(), 20, "{dec:?}");
        assert_eq!(
            frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            (0..20).map(|i| i * 100).collect::<Vec<i64>>(),
            "{dec:?}: 10 fps"
        );
        assert_eq!(
            (info.width, info.height, info.duration_ms),
            (160, 120, 2000)
        );
        assert_eq!(info.media, MediaType::Video);
        let fp = fingerprint(&first, dec);
        assert!(fp.frames.iter().all(|f| f.quality >= 50), "{dec:?}");

        let err = decode_file(&only, &options(dec, ALL_FRAMES), &mut |_| {
            panic!("audio only delivered a frame")
        })
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoVideoStream, "{dec:?}: {err}");
        assert!(err.message.contains("no video stream"), "{}", err.message);
        assert_index_refused(&only, dec, ErrorKind::NoVideoStream);
        let r = judge(&[common::case("b18_original.mp4")], &only, dec);
        assert_error_report(&r, "no_video_stream", "audio only");
    }
}

#[test]
fn b25_kind_audio_only_in_any_container_and_audio_first_elsewhere() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"];
    let mut audio = Vec::new();
    for (name, codec) in [
        ("m4a_named.mp4", "aac"),
        ("mp3_named.mp4", "libmp3lame"),
        ("wav_named.mp4", "pcm_s16le"),
        ("flac_named.mov", "flac"),
        ("opus_named.mkv", "libopus"),
        ("vorbis.ogg", "libvorbis"),
    ] {
        let out = dir.path().join(name);
        let fmt = match name {
            "m4a_named.mp4" => "mp4",
            "mp3_named.mp4" => "mp3",
            "wav_named.mp4" => "wav",
            "flac_named.mov" => "flac",
            "opus_named.mkv" => "matroska",
            _ => "ogg",
        };
        let mut args: Vec<&str> = sine.to_vec();
        args.extend(["-c:a", codec, "-f", fmt, p(&out)]);
        ffmpeg(&args);
        audio.push(out);
    }
    // An MP3 with cover art: a picture stream, but no video.
    let cover_png = dir.path().join("cover.png");
    save(
        &DynamicImage::ImageRgb8(detailed_picture(64, 64, 2)),
        &cover_png,
        ImageFormat::Png,
        None,
    );
    let cover = dir.path().join("with_cover.mp3");
    let mut args: Vec<&str> = sine.to_vec();
    args.extend([
        "-i",
        p(&cover_png),
        "-map",
        "0",
        "-map",
        "1",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "mjpeg",
        "-disposition:v",
        "attached_pic",
        p(&cover),
    ]);
    ffmpeg(&args);
    audio.push(cover);
    for path in &audio {
        for dec in decoders() {
            let got = decode_file(path, &options(dec, ALL_FRAMES), &mut |_| {
                panic!("{}: audio delivered a frame", path.display())
            });
            let kind = error_kind(got);
            let is_matroska_or_ogg = path.extension().is_some_and(|e| e == "mkv" || e == "ogg");
            if dec == DecoderChoice::Builtin && is_matroska_or_ogg {
                // The builtin decoder reads MP4 only: it says so.
                assert_eq!(kind, ErrorKind::Unsupported, "{}", path.display());
            } else {
                assert_eq!(
                    kind,
                    ErrorKind::NoVideoStream,
                    "{} ({dec:?})",
                    path.display()
                );
            }
        }
    }
    // Audio first in Matroska too.
    let mkv = dir.path().join("audio_first.mkv");
    ffmpeg(&[
        "-i",
        p(&common::case("b25_audio_stream_first.mp4")),
        "-map",
        "0:a",
        "-map",
        "0:v",
        "-c",
        "copy",
        p(&mkv),
    ]);
    let (_, frames) = decode_all(&mkv, DecoderChoice::Ffmpeg).unwrap();
    assert_eq!(frames.len(), 20);
    assert_eq!(frames[19].t_ms, 1900);
}

// ----------------------------------------------------------------------------------------
// One batch over every case input and good sample queries
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Infringing, best match with this work file name.
    Copy(&'static str),
    /// Matched this work but weaker than infringing is fine (review or infringing).
    Match(&'static str),
    /// Review or infringing, with this work among the matches (the synthetic inputs share
    /// test-pattern content, so another work may rank first).
    AmongMatches(&'static str),
    /// Not infringing; no error.
    NotInfringing,
    /// Clean with no match, status ok.
    Clean,
    /// Clean with status low_quality.
    LowQuality,
    /// A per-file error of this kind.
    Error(&'static str),
}

fn expected(name: &str, decoder: DecoderChoice) -> Expect {
    use Expect::*;
    match name {
        "b01_exif_orient6.jpg" | "b01_upright_reference.jpg" => Copy("b01_upright_reference.jpg"),
        "b01_stored_landscape.jpg" => AmongMatches("b01_upright_reference.jpg"),
        "b02_circle_on_white.png" | "b02_circle_rgba.png" => Copy("b02_circle_rgba.png"),
        "b02_triangle_rgba.png" => Clean,
        n if n.starts_with("b04_") => Clean,
        n if n.starts_with("b06_") || n.starts_with("b07_") || n.starts_with("b23_") => LowQuality,
        n if n.starts_with("b09_") => Error("too_small"),
        "b10_anim_a.gif" => NotInfringing,
        "b10_anim_b.gif" | "b10_anim_b.webp" => Match("b10_anim_b.gif"),
        "b12_gray_rle.tga" => Clean,
        n if n.starts_with("b12_truncated") => Error("truncated"),
        n if n.starts_with("b13_") => Error("too_large"),
        "b15_clip.mp4" | "b25_audio_stream_first.mp4" => NotInfringing,
        "b16_displaymatrix_minus90.mp4" | "b16_pixels_rotated.mp4" => {
            Copy("b16_pixels_rotated.mp4")
        }
        "b16_source_landscape.mp4" => AmongMatches("b16_pixels_rotated.mp4"),
        "b18_original.mp4" | "b18_hflipped.mp4" => Copy("b18_original.mp4"),
        "b19_intro_then_a.mp4" => Copy("b19_intro_then_a.mp4"),
        "b19_intro_then_b.mp4" => NotInfringing,
        "b21_608x1080_padded_1080sq_60fps.mp4" => Clean,
        "b21_odd_321x241_yuv444.mkv" if decoder == DecoderChoice::Builtin => Error("unsupported"),
        "b21_odd_321x241_yuv444.mkv" => Clean,
        "b22_truncated_no_moov.mp4" => Error("truncated"),
        "b22_zero_bytes.mp4" => Error("empty"),
        "b25_audio_only_named.mp4" => Error("no_video_stream"),
        other => panic!("no expectation for case input {other}: add one"),
    }
}

fn check_expected(r: &QueryReport, want: Expect, name: &str) {
    assert_ne!(
        r.error.as_ref().map(|e| e.kind.as_str()),
        Some("internal"),
        "{name}: {r:?}"
    );
    match want {
        Expect::Copy(work) => {
            assert_eq!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
            assert_eq!(name_of(&r.matches[0].reference), work, "{name}");
        }
        Expect::Match(work) => {
            assert!(
                matches!(r.verdict, VerdictKind::Review | VerdictKind::Infringing),
                "{name}: {r:?}"
            );
            assert_eq!(name_of(&r.matches[0].reference), work, "{name}");
        }
        Expect::AmongMatches(work) => {
            assert!(
                matches!(r.verdict, VerdictKind::Review | VerdictKind::Infringing),
                "{name}: {r:?}"
            );
            assert!(
                r.matches.iter().any(|m| name_of(&m.reference) == work),
                "{name}: {work} not among {r:?}"
            );
        }
        Expect::NotInfringing => {
            assert!(r.error.is_none(), "{name}: {r:?}");
            assert_ne!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
        }
        Expect::Clean => {
            assert_eq!(r.verdict, VerdictKind::Clean, "{name}: {r:?}");
            assert_eq!(r.status, "ok", "{name}: {r:?}");
            assert!(r.matches.is_empty(), "{name}: {r:?}");
        }
        Expect::LowQuality => assert_low_quality(r, name),
        Expect::Error(kind) => assert_error_report(r, kind, name),
    }
}

#[test]
fn whole_batch_of_case_inputs_and_sample_queries() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(common::shared("cases/inputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 40, "case inputs missing: {}", inputs.len());
    let truth = swordnet::eval::read_truth(&common::samples().join("truth.csv")).unwrap();
    let good = [
        "bottle_excerpt.mp4",
        "tiger_mirrored.jpg",
        "clean_photo_1.jpg",
        "person_excerpt.mp4",
    ];
    let mut works: Vec<PathBuf> = std::fs::read_dir(common::samples().join("references"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    works.sort();
    works.extend(
        [
            "b01_upright_reference.jpg",
            "b02_circle_rgba.png",
            "b10_anim_b.gif",
            "b16_pixels_rotated.mp4",
            "b18_original.mp4",
            "b19_intro_then_a.mp4",
        ]
        .map(common::case),
    );
    for dec in decoders() {
        let (_d, cat) = common::catalogue();
        let engine = common::engine_over(&cat, &works, dec);
        let mut files = inputs.clone();
        files.extend(
            good.iter()
                .map(|g| common::samples().join("queries").join(g)),
        );
        let scan = cat.begin_scan("{}").unwrap();
        let reports = scan_batch(&engine, &files, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        assert_eq!(reports.len(), files.len(), "{dec:?}: one result per file");
        for (path, r) in files.iter().zip(&reports) {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(r.query, display_path(path));
            if let Some(row) = truth.iter().find(|t| t.query == name) {
                if row.verdict == "clean" {
                    assert_ne!(
                        r.verdict,
                        VerdictKind::Infringing,
                        "{name} ({dec:?}): {r:?}"
                    );
                    assert!(r.error.is_none(), "{name}: {r:?}");
                } else {
                    assert_eq!(
                        r.verdict,
                        VerdictKind::Infringing,
                        "{name} ({dec:?}): {r:?}"
                    );
                    assert!(r.matches[0].reference.ends_with(&row.reference), "{name}");
                }
                continue;
            }
            check_expected(r, expected(name, dec), &format!("{name} ({dec:?})"));
        }
        // Everything stored: every work kept, one result per file, failures counted.
        assert_eq!(cat.works().unwrap().len(), works.len());
        assert_eq!(cat.scan_results(scan).unwrap().len(), files.len());
        let summary = Summary::of(&reports);
        let errors = reports.iter().filter(|r| r.error.is_some()).count();
        assert_eq!(summary.count(VerdictKind::Error), errors);
        assert_eq!(summary.errors_by_kind.values().sum::<usize>(), errors);
        cat.integrity_check().unwrap();
    }
}

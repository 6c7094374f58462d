//! Still images: a recoloured copy matches on its lightness view; a reference photo is hashed
//! whole even when its edges are flat.

mod common;

use image::{Rgb, RgbImage};
use std::path::Path;
use swordnet::fingerprint::{fingerprint_file, Fingerprint, Role, LIGHTNESS_VIEW};
use swordnet::hash::{Hash256, PdqHasher};
use swordnet::media::DecodeOptions;

fn fingerprint(path: &Path, role: Role) -> Fingerprint {
    fingerprint_file(path, &DecodeOptions::default(), &PdqHasher, role).unwrap()
}

fn view(fp: &Fingerprint, view: u8) -> Option<Hash256> {
    fp.frames.iter().find(|f| f.view == view).map(|f| f.hash)
}

/// Rotating the colour channels (R→G→B→R) turns every hue by 120° and keeps each pixel's
/// largest and smallest channel, so the lightness hash is unchanged while the luminance hash
/// moves.
#[test]
fn hue_rotated_copy_matches_on_lightness() {
    let photo = image::open(common::samples().join("references/p_mdn_tiger.jpg"))
        .unwrap()
        .to_rgb8();
    let mut rotated = photo.clone();
    for p in rotated.pixels_mut() {
        let [r, g, b] = p.0;
        *p = Rgb([b, r, g]);
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    photo.save(&a).unwrap();
    rotated.save(&b).unwrap();
    let reference = fingerprint(&a, Role::Reference);
    let upload = fingerprint(&b, Role::Query);
    let luma_distance = view(&reference, 0)
        .unwrap()
        .distance(&view(&upload, 0).unwrap());
    assert!(
        luma_distance >= 10,
        "luminance hashes {luma_distance} bits apart"
    );
    let lightness = view(&reference, LIGHTNESS_VIEW).unwrap();
    assert_eq!(view(&upload, LIGHTNESS_VIEW), Some(lightness));
    // Plain hashing (`swordnet hash`, exchange) stays standard PDQ only.
    assert_eq!(view(&fingerprint(&a, Role::Plain), LIGHTNESS_VIEW), None);
}

#[test]
fn grey_images_get_no_lightness_view() {
    let grey = RgbImage::from_fn(200, 150, |x, y| {
        let v = ((x * 7 + y * 13) % 256) as u8;
        Rgb([v, v, v])
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grey.png");
    grey.save(&path).unwrap();
    assert_eq!(
        view(&fingerprint(&path, Role::Reference), LIGHTNESS_VIEW),
        None
    );
}

/// A photo on a flat backdrop (here flat margins on both sides, as padding would be): an
/// upload loses them as bars (and keeps an uncropped view), the reference is kept whole.
#[test]
fn reference_photo_with_flat_edges_is_kept_whole() {
    let photo = image::open(common::samples().join("references/p_sk_rocket.jpg"))
        .unwrap()
        .to_rgb8();
    let (w, h) = (photo.width() + 200, photo.height());
    let padded = RgbImage::from_fn(w, h, |x, y| {
        if (100..100 + photo.width()).contains(&x) {
            *photo.get_pixel(x - 100, y)
        } else {
            Rgb([230, 210, 60])
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.png");
    padded.save(&path).unwrap();
    assert_eq!(fingerprint(&path, Role::Reference).active_area, None);
    let area = fingerprint(&path, Role::Query).active_area.unwrap();
    let expected = photo.width() as f32 / w as f32;
    assert!((area.w - expected).abs() < 0.01, "{area:?}");
}

/// A centred 90 % crop (the most common crop) lands on a reference view: the reference's
/// crop grid has no offset at 5 %, so its exact centre crop is indexed too (without it the
/// nearest views of these three photos were 18, 24 and 24 bits away; with it 8, 4 and 18).
#[test]
fn centred_crop_matches_a_reference_view_closely() {
    let dir = tempfile::tempdir().unwrap();
    let mut nearest_of = Vec::new();
    for name in [
        "p_mdn_tiger.jpg",
        "p_sk_rocket.jpg",
        "p_mdn_wave_and_surfer.jpg",
    ] {
        let source = common::samples().join("references").join(name);
        let photo = image::open(&source).unwrap().to_rgb8();
        let (w, h) = photo.dimensions();
        let crop = image::imageops::crop_imm(
            &photo,
            (w as f32 * 0.05).round() as u32,
            (h as f32 * 0.05).round() as u32,
            (w as f32 * 0.9).round() as u32,
            (h as f32 * 0.9).round() as u32,
        )
        .to_image();
        let path = dir.path().join(format!("crop_{name}.png"));
        crop.save(&path).unwrap();
        let reference = fingerprint(&source, Role::Reference);
        let upload = view(&fingerprint(&path, Role::Query), 0).unwrap();
        let nearest = reference
            .frames
            .iter()
            .map(|f| f.hash.distance(&upload))
            .min()
            .unwrap();
        nearest_of.push((name, nearest));
    }
    assert!(
        nearest_of.iter().all(|&(_, d)| d <= 20),
        "nearest reference views: {nearest_of:?}"
    );
    assert!(
        nearest_of.iter().map(|&(_, d)| d).sum::<u32>() <= 36,
        "nearest reference views: {nearest_of:?}"
    );
}

/// A file named as an image whose bytes are not that image (text, HTML, a video renamed) is a
/// decode error naming the format, not a 0x0 picture "too small" (ffmpeg's reading of it).
#[test]
fn file_named_as_an_image_without_its_signature_is_a_decode_error() {
    use swordnet::error::ErrorKind;
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("notes.png", b"hello, this is text\nnot a picture\n", "PNG"),
        (
            "page.jpg",
            b"<!doctype html><html><body>404</body></html>",
            "JPEG",
        ),
        ("x.webp", b"RIFF\x10\0\0\0WAVEfmt ", "WebP"),
        ("y.tiff", &[0u8; 64], "TIFF"),
    ];
    for (name, bytes, format) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = swordnet::media::decode_file(&path, &DecodeOptions::default(), &mut |_| true)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Decode, "{name}: {err:?}");
        assert!(
            err.message.contains(&format!("not a {format} file")),
            "{name}: {}",
            err.message
        );
    }
}

/// Netpbm, QOI and ICO copies of a photo are read like the photo (its view-0 hash within a
/// few bits); JPEG 2000, Photoshop, OpenEXR and SVG files are `unsupported`, naming their
/// format, never "not a video".
#[test]
fn other_still_formats_are_read_or_named_unsupported() {
    use swordnet::error::ErrorKind;
    let dir = tempfile::tempdir().unwrap();
    let photo = image::open(common::samples().join("references/p_sk_rocket.jpg"))
        .unwrap()
        .resize(256, 256, image::imageops::FilterType::Triangle)
        .to_rgb8();
    let original = dir.path().join("rocket.png");
    photo.save(&original).unwrap();
    let expected = view(&fingerprint(&original, Role::Plain), 0).unwrap();
    for name in ["rocket.ppm", "rocket.qoi", "rocket.ico"] {
        let path = dir.path().join(name);
        // An icon's PNG is RGBA.
        image::DynamicImage::ImageRgb8(photo.clone())
            .to_rgba8()
            .save(&path)
            .unwrap();
        let got = view(&fingerprint(&path, Role::Plain), 0).unwrap();
        assert!(
            got.distance(&expected) <= 4,
            "{name}: {}",
            got.distance(&expected)
        );
    }
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "a.jp2",
            b"\0\0\0\x0cjP  \r\n\x87\n\0\0\0\x14ftypjp2 ",
            "JPEG 2000",
        ),
        ("a.psd", b"8BPS\0\x01\0\0\0\0\0\0\0\x03", "Photoshop"),
        ("a.exr", b"\x76\x2f\x31\x01\x02\0\0\0channels", "OpenEXR"),
        (
            "a.svg",
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "SVG",
        ),
    ];
    for (name, bytes, format) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = swordnet::media::decode_file(&path, &DecodeOptions::default(), &mut |_| true)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported, "{name}: {err:?}");
        assert!(err.message.starts_with(format), "{name}: {}", err.message);
    }
}

/// A HEIF/HEIC photo (no `moov` index, HEVC picture items) is read when the ffmpeg on PATH
/// can read it, and is otherwise `unsupported`, never "truncated": it is not damaged.
#[test]
fn heif_photo_is_read_or_unsupported_never_truncated() {
    use swordnet::error::ErrorKind;
    use swordnet::media::video::DecoderChoice;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/heif/rocket_160.heic");
    for decoder in [DecoderChoice::Auto, DecoderChoice::Builtin] {
        let options = DecodeOptions {
            decoder,
            ..DecodeOptions::default()
        };
        match fingerprint_file(&path, &options, &PdqHasher, Role::Query) {
            Ok(fp) => assert_eq!(fp.media, swordnet::media::MediaType::Image, "{decoder:?}"),
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Unsupported, "{decoder:?}: {e}");
                assert!(e.message.contains("HEIF"), "{decoder:?}: {e}");
            }
        }
    }
}

/// An upside-down copy of a photo is searched only when asked for: clean under the default
/// orientations (as is, mirrored, quarter turns), infringing and named `rotated180` under all
/// eight.
#[test]
fn upside_down_copy_is_found_under_all_orientations() {
    use swordnet::engine::{Engine, EngineOptions};
    use swordnet::hash::Orientation;
    use swordnet::media::video::DecoderChoice;
    use swordnet::verdict::VerdictKind;
    let reference = common::samples().join("references/p_mdn_tiger.jpg");
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("tiger_upside_down.png");
    image::imageops::rotate180(&image::open(&reference).unwrap().to_rgb8())
        .save(&upload)
        .unwrap();
    let (_guard, cat) = common::catalogue();
    let default = common::engine_over(&cat, &[reference], DecoderChoice::Auto);
    assert_eq!(default.judge_file(&upload).verdict, VerdictKind::Clean);
    let all = Engine::from_catalogue(
        &cat,
        EngineOptions {
            orientations: Orientation::ALL.to_vec(),
            ..EngineOptions::default()
        },
    )
    .unwrap();
    let report = all.judge_file(&upload);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    assert_eq!(report.matches[0].transform, "rotated180");
}

/// A dark, misty photo (its levels squeezed into 51-82 of 255: PDQ quality 19, under PDQ's 50)
/// is a real picture: it is accepted as a protected work and its copies match, on the hash
/// of the contrast-stretched picture (keypoints left out, so the hash is what is tested).
#[test]
fn a_dark_misty_photo_is_a_protected_work() {
    let photo = image::open(common::samples().join("references/p_mdn_wave_and_surfer.jpg"))
        .unwrap()
        .to_rgb8();
    let mut dark = photo.clone();
    for p in dark.pixels_mut() {
        for c in &mut p.0 {
            *c = 51 + (*c as u32 * 31 / 255) as u8;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (reference, upload) = (dir.path().join("misty.png"), dir.path().join("copy.jpg"));
    dark.save(&reference).unwrap();
    image::imageops::resize(&dark, 640, 350, image::imageops::FilterType::Triangle)
        .save(&upload)
        .unwrap();
    assert!(view(&fingerprint(&reference, Role::Reference), 0).is_some());
    let (_cat_dir, cat) = common::catalogue();
    let mut engine_options = swordnet::engine::EngineOptions::default();
    engine_options.policy.local_features = false;
    swordnet::engine::index_file(
        &cat,
        &reference,
        &swordnet::engine::WorkMeta::default(),
        &DecodeOptions::default(),
        50,
    )
    .expect("a misty photo is accepted");
    let engine = swordnet::engine::Engine::from_catalogue(&cat, engine_options).unwrap();
    let report = engine.judge_file(&upload);
    assert_eq!(report.status, "ok", "{report:?}");
    assert_eq!(
        report.verdict,
        swordnet::verdict::VerdictKind::Infringing,
        "{report:?}"
    );
    assert!(report.matches[0].mean_distance <= 20.0, "{report:?}");
}

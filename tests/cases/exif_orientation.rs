//! B01: EXIF orientation

use super::*;

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

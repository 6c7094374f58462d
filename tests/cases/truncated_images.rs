//! B12: TGA, truncated images, malformed images

use super::*;

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
        // A JPEG cut short is judged on what it shows (the decoder fills the missing rows);
        // PNG and TGA data cut short cannot be decoded at all.
        if name.ends_with(".jpg") {
            assert_cut_short_unmatched(&r, name);
        } else {
            assert_error_report(&r, "truncated", name);
        }
    }
}

/// Browsers show a JPEG without its end-of-image marker and a PNG without its IEND chunk
/// whole: an upload stripped of them (the cheapest way to make a file "unreadable" to a
/// strict scanner) is still matched, with the cut reported. A PNG cut inside its data stays a
/// `truncated` error; a JPEG cut inside its data that matches nothing is an error, never
/// `clean`; references must be whole.
#[test]
fn b12_kind_uploads_without_their_end_marker_are_still_matched() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work.png");
    DynamicImage::ImageRgb8(detailed_picture(320, 240, 5))
        .save(&work)
        .unwrap();
    let work_jpg = dir.path().join("work.jpg");
    DynamicImage::ImageRgb8(detailed_picture(320, 240, 5))
        .save(&work_jpg)
        .unwrap();
    let cut = |source: &Path, name: &str, keep: usize| -> PathBuf {
        let bytes = std::fs::read(source).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..keep.min(bytes.len())]).unwrap();
        path
    };
    let png_len = std::fs::metadata(&work).unwrap().len() as usize;
    let jpg_len = std::fs::metadata(&work_jpg).unwrap().len() as usize;
    let png_no_iend = cut(&work, "no_iend.png", png_len - 12);
    let jpg_no_eoi = cut(&work_jpg, "no_eoi.jpg", jpg_len - 2);
    let png_half = cut(&work, "half.png", png_len / 2);
    let other = common::case("b01_upright_reference.jpg");
    let other_len = std::fs::metadata(&other).unwrap().len() as usize;
    let other_cut = cut(&other, "other_cut.jpg", other_len * 6 / 10);

    for path in [&png_no_iend, &jpg_no_eoi, &png_half, &other_cut] {
        let got = decode_file(path, &DecodeOptions::default(), &mut |_| true);
        assert_eq!(error_kind(got), ErrorKind::Truncated, "{}", path.display());
        assert_index_refused(path, DecoderChoice::Auto, ErrorKind::Truncated);
    }
    for whole in [&png_no_iend, &jpg_no_eoi] {
        let r = judge(std::slice::from_ref(&work), whole, DecoderChoice::Auto);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
        assert_eq!(r.status, "cut_short");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.kind, "truncated");
        assert!(e.message.contains("matched on"), "{}", e.message);
        assert!(r.matches[0].mean_distance <= 16.0, "{:?}", r.matches[0]);
    }
    let r = judge(std::slice::from_ref(&work), &png_half, DecoderChoice::Auto);
    assert_error_report(&r, "truncated", "PNG cut inside its data");
    let r = judge(std::slice::from_ref(&work), &other_cut, DecoderChoice::Auto);
    assert_cut_short_unmatched(&r, "another picture, cut");
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

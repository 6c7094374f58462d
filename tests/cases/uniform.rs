//! B06 / B07: uniform and all-black inputs

use super::*;

pub(super) fn check_low_quality_file(path: &Path, decoder: DecoderChoice) {
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

//! B09: too small

use super::*;

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

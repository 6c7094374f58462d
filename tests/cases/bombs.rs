//! B13: decompression bombs and lying headers

use super::*;

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
        assert!(
            err.message.starts_with("video frames too large"),
            "{}",
            err.message
        );
    }
}

/// Memory per picture counts bytes, not only pixels: a 16-bit RGBA picture under the pixel
/// limit but over 4 bytes per pixel of it is refused before its pixels are decoded; the same
/// size at 8 bits decodes. An animation's frames are bounded in total pixels decoded (every
/// frame is decoded to composite the next), so a big canvas with many frames is refused long
/// before the decode timeout.
#[test]
fn b13_kind_decoded_bytes_and_animation_pixels_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let tight = DecodeOptions {
        limits: Limits {
            max_pixels: 10_000,
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };
    let eight = DynamicImage::ImageRgb8(detailed_picture(80, 80, 3));
    let deep = dir.path().join("deep.png");
    DynamicImage::ImageRgba16(eight.to_rgba16())
        .save(&deep)
        .unwrap();
    let err = decode_file(&deep, &tight, &mut |_| true).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(
        err.message
            .contains("8 bytes per pixel = 51200 bytes > limit 40000 bytes"),
        "{err}"
    );
    let plain = dir.path().join("plain.png");
    DynamicImage::ImageRgba8(eight.to_rgba8())
        .save(&plain)
        .unwrap();
    decode_file(&plain, &tight, &mut |_| true).unwrap();

    // 100 x 100 canvas (at the pixel limit): 100 frames fit the 1,000,000 px budget, 101 not
    // (a GIF is refused from its headers, before decoding).
    let frames = |n: u32| -> Vec<image::Frame> {
        (0..n)
            .map(|i| {
                let img = DynamicImage::ImageRgb8(detailed_picture(100, 100, i % 7)).to_rgba8();
                image::Frame::from_parts(img, 0, 0, image::Delay::from_numer_denom_ms(40, 1))
            })
            .collect()
    };
    for (n, fits) in [(100, true), (101, false)] {
        let gif = dir.path().join(format!("frames_{n}.gif"));
        let mut file = std::fs::File::create(&gif).unwrap();
        let mut enc = image::codecs::gif::GifEncoder::new_with_speed(&mut file, 30);
        enc.set_repeat(image::codecs::gif::Repeat::Infinite)
            .unwrap();
        enc.encode_frames(frames(n)).unwrap();
        drop(enc);
        let got = decode_file(&gif, &tight, &mut |_| true);
        if fits {
            assert_eq!(got.unwrap().media, MediaType::Video);
        } else {
            let err = got.unwrap_err();
            assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
            assert!(err.message.contains("animation too large"), "{err}");
        }
    }
}

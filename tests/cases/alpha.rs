//! B02: alpha

use super::*;

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

//! B04: channel layouts and bit depths

use super::*;

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

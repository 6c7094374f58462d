//! Reducing a decoded RGB picture to the working size before it becomes luminance.
//!
//! Meta's reference photo hasher (`pdq-photo-hasher`, `pdqHash256FromFile` in
//! ThreatExchange's `pdq/cpp/io/pdqio.cpp`) resizes any image larger than 512 px to 512 x 512
//! before hashing ("the two-pass Jarosz filter is prohibitively expensive for larger images").
//! swordnet does the same for still and animated images, as the video decoder does for video
//! frames: the longer side is reduced to the decoder's `max_side` (aspect ratio kept) by area
//! averaging (a box filter over each output pixel's footprint, `fast_image_resize`), so every
//! picture the hashers see is at most `max_side` px a side.

use crate::hash::Picture;
use crate::media::image::ALPHA_BACKGROUND;
use crate::media::video::fit_for_hashing;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbaImage};

/// The luminance picture of packed 8-bit RGB `rgb` (`width * height * 3` bytes), reduced first
/// so that its longer side is at most `max_side` px (0: never reduced; never enlarged).
pub fn luma_picture(width: u32, height: u32, rgb: &[u8], max_side: u32) -> Picture {
    match reduce_rgb(width, height, rgb, max_side) {
        Some((w, h, small)) => Picture::from_rgb8(w, h, &small),
        None => Picture::from_rgb8(width, height, rgb),
    }
}

/// As [`luma_picture`], with the reduced picture's HSL lightness beside it
/// ([`Picture::lightness_from_rgb8`]; `None` for a grey picture).
pub fn luma_and_lightness(
    width: u32,
    height: u32,
    rgb: &[u8],
    max_side: u32,
) -> (Picture, Option<Picture>) {
    let small = reduce_rgb(width, height, rgb, max_side);
    let (w, h, rgb) = match &small {
        Some((w, h, small)) => (*w, *h, small.as_slice()),
        None => (width, height, rgb),
    };
    (
        Picture::from_rgb8(w, h, rgb),
        Picture::lightness_from_rgb8(w, h, rgb),
    )
}

/// `rgb` area-averaged down to fit `max_side`; `None` when it already fits (or cannot be
/// resized, which leaves the picture at full size rather than failing the file).
fn reduce_rgb(width: u32, height: u32, rgb: &[u8], max_side: u32) -> Option<(u32, u32, Vec<u8>)> {
    if max_side == 0 || width.max(height) <= max_side {
        return None;
    }
    let (w, h) = fit_for_hashing(width, height, max_side);
    let src = ImageRef::new(width, height, rgb, PixelType::U8x3).ok()?;
    let mut dst = Image::new(w, h, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box));
    Resizer::new().resize(&src, &mut dst, &options).ok()?;
    Some((w, h, dst.into_vec()))
}

/// Composites `rgba` onto [`ALPHA_BACKGROUND`] and returns the luminance picture, reduced to
/// fit `max_side`.
pub fn flatten(rgba: &RgbaImage, max_side: u32) -> Picture {
    luma_picture(rgba.width(), rgba.height(), &flattened_rgb(rgba), max_side)
}

/// `rgba` composited onto [`ALPHA_BACKGROUND`]: packed 8-bit RGB.
pub(crate) fn flattened_rgb(rgba: &RgbaImage) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(rgba.width() as usize * rgba.height() as usize * 3);
    for p in rgba.pixels() {
        let a = p.0[3] as u32;
        for (channel, background) in p.0[..3].iter().zip(ALPHA_BACKGROUND) {
            let v = (*channel as u32 * a + background as u32 * (255 - a) + 127) / 255;
            rgb.push(v as u8);
        }
    }
    rgb
}

/// A still image's luminance and, for a colour image, its HSL lightness
/// ([`crate::media::Frame::lightness`]), both reduced to fit `max_side`.
pub fn still_pictures(img: &DynamicImage, max_side: u32) -> (Picture, Option<Picture>) {
    if img.color().has_alpha() {
        let rgb = flattened_rgb(&img.to_rgba8());
        luma_and_lightness(img.width(), img.height(), &rgb, max_side)
    } else if let Some(rgb) = img.as_rgb8() {
        luma_and_lightness(rgb.width(), rgb.height(), rgb.as_raw(), max_side)
    } else {
        let rgb = img.to_rgb8();
        luma_and_lightness(rgb.width(), rgb.height(), rgb.as_raw(), max_side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_to_fit_keeping_aspect_and_mean() {
        // 1024 x 640 halves: left half black, right half white.
        let (w, h) = (1024u32, 640u32);
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        for y in 0..h {
            for x in w / 2..w {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[255, 255, 255]);
            }
        }
        let p = luma_picture(w, h, &rgb, 512);
        assert_eq!((p.width, p.height), (512, 320));
        let mean = p.luma.iter().sum::<f32>() / p.luma.len() as f32;
        assert!((mean - 127.5).abs() < 1.0, "mean {mean}");
        assert!(p.luma[0] < 1.0 && p.luma[511] > 254.0);
    }

    #[test]
    fn lightness_of_colour_pictures_only() {
        // A red / blue split: luma differs (76 vs 29), lightness does not (127.5 both).
        let (w, h) = (1024u32, 2u32);
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
            px[if (i as u32 % w) < w / 2 { 0 } else { 2 }] = 255;
        }
        let (luma, lightness) = luma_and_lightness(w, h, &rgb, 512);
        let lightness = lightness.unwrap();
        assert_eq!(
            (lightness.width, lightness.height),
            (luma.width, luma.height)
        );
        assert!((luma.luma[0] - 76.245).abs() < 0.01 && (luma.luma[511] - 29.07).abs() < 0.01);
        assert!(lightness.luma.iter().all(|&v| v == 127.5));
        let grey = vec![90u8; 300 * 200 * 3];
        assert_eq!(luma_and_lightness(300, 200, &grey, 512).1, None);
    }

    /// A banner 9000 x 40 px reduced to 512 px long would be 2 px tall, which PDQ cannot
    /// hash (an all-zero hash of quality 0): it keeps 16 px of height and hashes.
    #[test]
    fn thin_strips_keep_a_hashable_height() {
        use crate::hash::{FrameHasher, PdqHasher};
        let (w, h) = (9000u32, 40u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let v = (127.0 + 100.0 * (x / 37.0).sin() * (y / 5.0).cos()) as u8;
                [v, v / 2, 255 - v]
            })
            .collect();
        let p = luma_picture(w, h, &rgb, 512);
        assert_eq!((p.width, p.height), (3600, 16));
        let hash = PdqHasher.hash(&p);
        assert!(hash.quality >= 50, "quality {}", hash.quality);
        assert_ne!(hash.hash.0, [0; 4]);
    }

    #[test]
    fn small_or_unbounded_pictures_stay_whole() {
        let rgb = vec![90u8; 300 * 200 * 3];
        let p = luma_picture(300, 200, &rgb, 512);
        assert_eq!((p.width, p.height), (300, 200));
        let p = luma_picture(300, 200, &rgb, 0);
        assert_eq!((p.width, p.height), (300, 200));
    }
}

//! Still and animated images through the `image` crate.
//!
//! EXIF orientation is applied; alpha is composited onto white ([`ALPHA_BACKGROUND`]); any bit
//! depth or channel layout is converted to 8-bit RGB, then to PDQ luminance. Animated GIF, APNG
//! and WebP yield one frame per picture with times from the frame delays, like a video.
//! Dimensions are checked against [`Limits`] from the header before decoding.

use crate::error::{Error, ErrorKind, Result};
use crate::hash::Picture;
use crate::limits::Limits;
use crate::media::Frame;
use crate::sampler::SamplePlan;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};
use std::io::Cursor;

/// The background transparent pixels are composited onto: white (255, 255, 255).
pub const ALPHA_BACKGROUND: [u8; 3] = [255, 255, 255];

/// Frame delay used when an animation says 0 ms (as browsers do), in ms.
const DEFAULT_FRAME_DELAY_MS: i64 = 100;

/// What an image file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// Width after EXIF orientation, in pixels.
    pub width: u32,
    /// Height after EXIF orientation, in pixels.
    pub height: u32,
    /// More than one frame.
    pub animated: bool,
    /// Frames in the file (1 for a still).
    pub frame_count: u64,
    /// Sum of the frame delays in ms (0 for a still).
    pub duration_ms: u64,
}

fn decode_error(err: image::ImageError) -> Error {
    let kind = match &err {
        image::ImageError::Limits(_) => ErrorKind::TooLarge,
        image::ImageError::Unsupported(_) => ErrorKind::Unsupported,
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ErrorKind::Truncated
        }
        _ => ErrorKind::Decode,
    };
    let message = match kind {
        ErrorKind::Truncated => format!("truncated image: {err}"),
        _ => format!("cannot decode image: {err}"),
    };
    Error::new(kind, message).with_source(err)
}

fn reader<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    limits: &Limits,
) -> ImageReader<Cursor<&'a [u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut l = image::Limits::default();
    // One RGBA8 copy plus a converted copy of the largest allowed picture.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(64 << 20));
    reader.limits(l);
    reader
}

/// Reads the picture size from the header only, without decoding pixels.
pub fn dimensions(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<(u32, u32)> {
    reader(bytes, format, limits)
        .into_dimensions()
        .map_err(decode_error)
}

/// Composites `rgba` onto [`ALPHA_BACKGROUND`] and returns the luminance picture.
fn flatten(rgba: &RgbaImage) -> Picture {
    let mut rgb = Vec::with_capacity((rgba.width() * rgba.height() * 3) as usize);
    for p in rgba.pixels() {
        let a = p.0[3] as u32;
        for (channel, background) in p.0[..3].iter().zip(ALPHA_BACKGROUND) {
            let v = (*channel as u32 * a + background as u32 * (255 - a) + 127) / 255;
            rgb.push(v as u8);
        }
    }
    Picture::from_rgb8(rgba.width(), rgba.height(), &rgb)
}

fn to_picture(img: &DynamicImage) -> Picture {
    if img.color().has_alpha() {
        flatten(&img.to_rgba8())
    } else {
        let rgb = img.to_rgb8();
        Picture::from_rgb8(rgb.width(), rgb.height(), rgb.as_raw())
    }
}

/// Decodes an image file's bytes; calls `on_frame` for each frame the plan takes (a still has
/// one frame at 0 ms). Errors: [`ErrorKind::TooLarge`] / [`ErrorKind::TooSmall`] from the header,
/// [`ErrorKind::Truncated`], [`ErrorKind::Decode`], [`ErrorKind::Unsupported`].
pub fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<ImageInfo> {
    let (w, h) = dimensions(bytes, format, limits)?;
    limits.check_dimensions(w, h)?;
    if let Some(info) = decode_animation(bytes, format, limits, plan, on_frame)? {
        return Ok(info);
    }
    let mut decoder = reader(bytes, format, limits)
        .into_decoder()
        .map_err(decode_error)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    let picture = to_picture(&img);
    let info = ImageInfo {
        width: picture.width,
        height: picture.height,
        animated: false,
        frame_count: 1,
        duration_ms: 0,
    };
    on_frame(Frame { t_ms: 0, picture });
    Ok(info)
}

/// For animated GIF / APNG / WebP with more than one frame: decodes every frame (they build
/// on each other), hands the sampled ones to `on_frame`. `None` for a still image.
fn decode_animation(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<Option<ImageInfo>> {
    let frames: image::Frames = match format {
        ImageFormat::Gif => {
            let d =
                image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
            d.into_frames()
        }
        ImageFormat::WebP => {
            let d =
                image::codecs::webp::WebPDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
            if !d.has_animation() {
                return Ok(None);
            }
            d.into_frames()
        }
        ImageFormat::Png => {
            let d =
                image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
            if !d.is_apng().map_err(decode_error)? {
                return Ok(None);
            }
            d.apng().map_err(decode_error)?.into_frames()
        }
        _ => return Ok(None),
    };
    let mut pictures = Vec::new();
    let mut t_ms: i64 = 0;
    for frame in frames {
        let frame = frame.map_err(decode_error)?;
        if pictures.len() as u64 >= limits.max_frames {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "animation has more than {} frames (limit)",
                    limits.max_frames
                ),
            ));
        }
        let (num, den) = frame.delay().numer_denom_ms();
        let delay = if den == 0 || num == 0 {
            DEFAULT_FRAME_DELAY_MS
        } else {
            (num as i64 / den as i64).max(1)
        };
        pictures.push((t_ms, frame.into_buffer()));
        t_ms += delay;
        if t_ms as u64 > limits.max_duration_ms {
            break;
        }
    }
    if pictures.len() <= 1 {
        return Ok(None);
    }
    let (width, height) = pictures[0].1.dimensions();
    let info = ImageInfo {
        width,
        height,
        animated: true,
        frame_count: pictures.len() as u64,
        duration_ms: t_ms as u64,
    };
    let mut sampler = plan.sampler();
    for (t, rgba) in pictures {
        if sampler.want(t)
            && !on_frame(Frame {
                t_ms: t,
                picture: flatten(&rgba),
            })
        {
            break;
        }
    }
    Ok(Some(info))
}

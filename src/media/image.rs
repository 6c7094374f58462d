//! Still and animated images through the `image` crate.
//!
//! EXIF orientation is applied; alpha is composited onto white ([`ALPHA_BACKGROUND`]); any bit
//! depth or channel layout is converted to 8-bit RGB, then to PDQ luminance. Animated GIF, APNG
//! and WebP yield one frame per picture with times from the frame delays, like a video; frames
//! are streamed to the caller (only the frame being composed is held), so memory does not grow
//! with the number of frames.
//!
//! Untrusted input is bounded before anything large is allocated: the picture size is read
//! from the header and checked against [`Limits`] (pixels, and at least
//! [`crate::limits::MIN_SIDE_PX`] a side), the decoders get an allocation limit, an animation
//! may not have more than [`Limits::max_frames`] frames nor last longer than
//! [`Limits::max_duration_ms`], and decoding one file may not take longer than
//! [`Limits::decode_timeout_s`].
//!
//! Files cut short are errors of kind [`ErrorKind::Truncated`], never a silent partial
//! picture: a JPEG whose data ends before its end-of-image marker (decoders would fill the
//! missing part with grey), a PNG, GIF, WebP, TGA, BMP or TIFF whose data runs out. A panic
//! inside a third-party decoder on malformed data is caught and reported as
//! [`ErrorKind::Decode`].

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::media::{fit, Frame};
use crate::sampler::{SamplePlan, Sampler};
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};
use std::io::{BufRead, Cursor, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

mod apng;
mod gif;
mod jpeg;

use jpeg::{check_jpeg_complete, unsupported_jpeg_coding};

/// The background transparent pixels are composited onto: white (255, 255, 255).
pub const ALPHA_BACKGROUND: [u8; 3] = [255, 255, 255];

/// Frame delay used when an animation says 10 ms or less (as browsers do), in ms.
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

/// True when a decoder's words say the data ran out.
fn says_end_of_data(err: &image::ImageError) -> bool {
    if let image::ImageError::IoError(e) = err {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return true;
        }
    }
    let text = err.to_string().to_lowercase();
    [
        "end of file",
        "unexpected eof",
        "failed to fill whole buffer",
        "not enough bytes",
    ]
    .iter()
    .any(|w| text.contains(w))
}

fn decode_error(err: image::ImageError) -> Error {
    let kind = match &err {
        image::ImageError::Limits(_) => ErrorKind::TooLarge,
        image::ImageError::Unsupported(_) => ErrorKind::Unsupported,
        e if says_end_of_data(e) => ErrorKind::Truncated,
        _ => ErrorKind::Decode,
    };
    let message = match kind {
        ErrorKind::Truncated => format!("truncated image: {err}"),
        ErrorKind::TooLarge => format!("image too large to decode within the memory limit: {err}"),
        ErrorKind::Unsupported => format!("unsupported image: {err}"),
        _ => format!("cannot decode image: {err}"),
    };
    Error::new(kind, message).with_source(err)
}

/// An animation whose first `frames` frames of `width` x `height` already pass
/// [`Limits::max_animation_pixels`].
fn animation_too_large(limits: &Limits, frames: u64, width: u32, height: u32) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        format!(
            "animation too large: {frames} frames of {width}x{height} make more than {} px to decode (limit: {} x the {} px picture limit)",
            limits.max_animation_pixels(),
            crate::limits::ANIMATION_PICTURES,
            limits.max_pixels
        ),
    )
}

/// Largest file, bytes, that [`decode_with_end_marker`] reads into memory to repair.
pub const MAX_REPAIR_BYTES: u64 = 256 << 20;

/// The bytes that end a well-formed file of `format`: JPEG's end-of-image marker (`FF D9`),
/// PNG's `IEND` chunk; `None` for other formats.
fn end_marker(format: ImageFormat) -> Option<&'static [u8]> {
    match format {
        ImageFormat::Jpeg => Some(&[0xff, 0xd9]),
        ImageFormat::Png => Some(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]),
        _ => None,
    }
}

/// Decodes a JPEG or PNG file that is cut short with its end marker put back, as browsers
/// show such files: a file whose only loss is the marker (a JPEG without `FF D9`, a PNG
/// without `IEND`) decodes whole; a JPEG cut inside its data decodes with the decoder's fill
/// for the missing rows. `Ok(None)` for other formats and files over [`MAX_REPAIR_BYTES`];
/// errors as [`decode_image`] (a PNG cut inside its data stays `Truncated`).
pub fn decode_with_end_marker(
    path: &std::path::Path,
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    max_side: u32,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<Option<ImageInfo>> {
    let Some(marker) = end_marker(format) else {
        return Ok(None);
    };
    let io = |e: std::io::Error| Error::io(e, path);
    if std::fs::metadata(path).map_err(io)?.len() > MAX_REPAIR_BYTES {
        return Ok(None);
    }
    let mut bytes = std::fs::read(path).map_err(io)?;
    bytes.extend_from_slice(marker);
    decode_image(&bytes, format, limits, plan, max_side, on_frame).map(Some)
}

/// Runs a third-party decoder step; a panic on malformed data becomes a `Decode` error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        Err(Error::new(
            ErrorKind::Decode,
            format!("cannot decode image: the {what} decoder failed on malformed data ({detail})"),
        ))
    })
}

/// The allocation limit handed to the `image` decoders: one RGBA8 copy plus a converted copy
/// of the largest allowed picture (at least 64 MiB).
fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(64 << 20));
    l
}

fn rewind<R: Seek>(input: &mut R) -> Result<()> {
    input.seek(SeekFrom::Start(0)).map(|_| ()).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot re-read the file: {e}")).with_source(e)
    })
}

fn reader<R: BufRead + Seek>(input: R, format: ImageFormat, limits: &Limits) -> ImageReader<R> {
    let mut reader = ImageReader::with_format(input, format);
    reader.limits(image_limits(limits));
    reader
}

/// Reads the picture size from the header only, without decoding pixels.
pub fn dimensions(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<(u32, u32)> {
    dimensions_from(&mut Cursor::new(bytes), format, limits)
}

fn dimensions_from<R: BufRead + Seek>(
    input: &mut R,
    format: ImageFormat,
    limits: &Limits,
) -> Result<(u32, u32)> {
    rewind(input)?;
    guarded("image header", || {
        reader(&mut *input, format, limits)
            .into_dimensions()
            .map_err(decode_error)
    })
}

/// Decodes an image file's bytes; calls `on_frame` for each frame the plan takes (a still has
/// one frame at 0 ms), each picture reduced so that its longer side is at most `max_side` px
/// (0: full size; [`fit`]). Errors: [`ErrorKind::TooLarge`] / [`ErrorKind::TooSmall`] from the header,
/// [`ErrorKind::Truncated`], [`ErrorKind::Decode`], [`ErrorKind::Unsupported`],
/// [`ErrorKind::Timeout`].
pub fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    max_side: u32,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<ImageInfo> {
    decode_image_from(Cursor::new(bytes), format, limits, plan, max_side, on_frame)
}

/// As [`decode_image`], reading from a seekable stream (e.g. a buffered file) so that the
/// compressed file is never held in memory whole.
pub fn decode_image_from<R: BufRead + Seek>(
    mut input: R,
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    max_side: u32,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<ImageInfo> {
    let started = Instant::now();
    let mut checked_then_decoded = || {
        let (w, h) = dimensions_from(&mut input, format, limits)?;
        limits.check_dimensions(w, h)?;
        if format == ImageFormat::Jpeg {
            rewind(&mut input)?;
            check_jpeg_complete(&mut input)?;
        }
        decode_pictures(
            &mut input, format, limits, plan, max_side, started, on_frame,
        )
    };
    let result = checked_then_decoded();
    result.map_err(|e| refine_truncation(e, &mut input, format))
}

fn decode_pictures<R: BufRead + Seek>(
    input: &mut R,
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    max_side: u32,
    started: Instant,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<ImageInfo> {
    if let Some(info) = decode_animation(input, format, limits, plan, max_side, started, on_frame)?
    {
        return Ok(info);
    }
    rewind(input)?;
    let ((picture, lightness), width, height) = guarded("image", || {
        let mut decoder = reader(&mut *input, format, limits)
            .into_decoder()
            .map_err(decode_error)?;
        let (w, h) = decoder.dimensions();
        limits.check_decoded_bytes(w, h, decoder.total_bytes())?;
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
        img.apply_orientation(orientation);
        Ok((
            fit::still_pictures(&img, max_side),
            img.width(),
            img.height(),
        ))
    })?;
    let info = ImageInfo {
        width,
        height,
        animated: false,
        frame_count: 1,
        duration_ms: 0,
    };
    on_frame(Frame {
        t_ms: 0,
        picture,
        lightness,
    });
    Ok(info)
}

/// A decode error of a file whose container says it is cut short becomes `Truncated`; one of
/// a JPEG coded in a way the decoder does not implement becomes `Unsupported`, naming it.
fn refine_truncation<R: BufRead + Seek>(err: Error, input: &mut R, format: ImageFormat) -> Error {
    if err.kind != ErrorKind::Decode {
        return err;
    }
    if format == ImageFormat::Jpeg {
        if let Some(coding) = unsupported_jpeg_coding(input) {
            let mut err = err;
            err.kind = ErrorKind::Unsupported;
            err.message = format!(
                "unsupported image: {coding}; swordnet reads 8-bit baseline and progressive \
                 JPEG ({})",
                err.message
            );
            return err;
        }
    }
    let cut = match format {
        ImageFormat::WebP => riff_cut_short(input),
        _ => None,
    };
    match cut {
        Some(detail) => {
            let mut err = err;
            err.kind = ErrorKind::Truncated;
            err.message = format!("truncated image: {detail} ({})", err.message);
            err
        }
        None => err,
    }
}

/// For a RIFF file (WebP): the size its header declares against the bytes present.
fn riff_cut_short<R: Read + Seek>(input: &mut R) -> Option<String> {
    input.seek(SeekFrom::Start(0)).ok()?;
    let mut head = [0u8; 8];
    input.read_exact(&mut head).ok()?;
    if &head[..4] != b"RIFF" {
        return None;
    }
    let declared = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64 + 8;
    let actual = input.seek(SeekFrom::End(0)).ok()?;
    (actual < declared)
        .then(|| format!("the file has {actual} of the {declared} bytes its header declares"))
}

/// For animated GIF / APNG / WebP with more than one frame: decodes every frame in order
/// (they build on each other) and hands the sampled ones to `on_frame` as they come. `None`
/// for a still image (one frame).
fn decode_animation<R: BufRead + Seek>(
    input: &mut R,
    format: ImageFormat,
    limits: &Limits,
    plan: SamplePlan,
    max_side: u32,
    started: Instant,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<Option<ImageInfo>> {
    if !matches!(
        format,
        ImageFormat::Gif | ImageFormat::WebP | ImageFormat::Png
    ) {
        return Ok(None);
    }
    if format == ImageFormat::Gif {
        // Every frame is composited onto the whole canvas: refuse from the headers a file
        // whose frames would take too long to decode (a 20 KB GIF of 1x1-pixel frames on a
        // 4000x3000 canvas held a worker for a minute).
        rewind(input)?;
        let budget = limits.max_animation_pixels();
        if let Some(shape) = gif::gif_shape(input, budget) {
            let canvas = u64::from(shape.width) * u64::from(shape.height);
            if shape.frames.saturating_mul(canvas) > budget {
                return Err(animation_too_large(
                    limits,
                    shape.frames,
                    shape.width,
                    shape.height,
                ));
            }
        }
    }
    if format == ImageFormat::Png {
        // Likewise an APNG: its acTL chunk declares the frames, each composited on the canvas
        // (a 54 KB APNG of 100 1x1 frames on a 7000x7000 canvas took 34 s and 1 GB).
        rewind(input)?;
        if let Some((width, height, frames)) = apng::apng_shape(input) {
            let canvas = u64::from(width) * u64::from(height);
            if frames.saturating_mul(canvas) > limits.max_animation_pixels() {
                return Err(animation_too_large(limits, frames, width, height));
            }
        }
    }
    rewind(input)?;
    let frames: Option<image::Frames> = guarded("animation", || {
        let l = image_limits(limits);
        Ok(match format {
            ImageFormat::Gif => {
                let mut d =
                    image::codecs::gif::GifDecoder::new(&mut *input).map_err(decode_error)?;
                d.set_limits(l).map_err(decode_error)?;
                Some(d.into_frames())
            }
            ImageFormat::WebP => {
                let mut d =
                    image::codecs::webp::WebPDecoder::new(&mut *input).map_err(decode_error)?;
                if !d.has_animation() {
                    return Ok(None);
                }
                d.set_limits(l).map_err(decode_error)?;
                Some(d.into_frames())
            }
            _ => {
                let mut d =
                    image::codecs::png::PngDecoder::new(&mut *input).map_err(decode_error)?;
                if !d.is_apng().map_err(decode_error)? {
                    return Ok(None);
                }
                d.set_limits(l).map_err(decode_error)?;
                Some(d.apng().map_err(decode_error)?.into_frames())
            }
        })
    })?;
    let Some(mut frames) = frames else {
        return Ok(None);
    };
    let timeout = Duration::from_secs(limits.decode_timeout_s.max(1));
    let mut sampler = plan.sampler();
    // The first frame is held until a second one shows the file is animated.
    let mut first: Option<(i64, i64, RgbaImage)> = None;
    let mut count: u64 = 0;
    let mut decoded_px: u64 = 0;
    let mut t_ms: i64 = 0;
    let mut size = (0, 0);
    let mut stopped = false;
    loop {
        let next = guarded("animation", || {
            frames.next().transpose().map_err(decode_error)
        })?;
        let Some(frame) = next else { break };
        if started.elapsed() > timeout {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "decoding the animation took more than {} s (limit)",
                    limits.decode_timeout_s
                ),
            ));
        }
        count += 1;
        if count > limits.max_frames {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "animation has more than {} frames (limit)",
                    limits.max_frames
                ),
            ));
        }
        let canvas = frame.buffer();
        decoded_px += u64::from(canvas.width()) * u64::from(canvas.height());
        if decoded_px > limits.max_animation_pixels() {
            return Err(animation_too_large(
                limits,
                count,
                canvas.width(),
                canvas.height(),
            ));
        }
        let (num, den) = frame.delay().numer_denom_ms();
        let delay = if den == 0 {
            DEFAULT_FRAME_DELAY_MS
        } else {
            let ms = num as i64 / den as i64;
            if ms <= 10 {
                DEFAULT_FRAME_DELAY_MS
            } else {
                ms
            }
        };
        let buffer = frame.into_buffer();
        if count == 1 {
            size = buffer.dimensions();
            first = Some((t_ms, delay, buffer));
        } else {
            if let Some((t0, delay0, b0)) = first.take() {
                stopped = !shown(&mut sampler, plan, t0, delay0, &b0, max_side, on_frame);
            }
            if !stopped {
                stopped = !shown(&mut sampler, plan, t_ms, delay, &buffer, max_side, on_frame);
            }
        }
        t_ms = t_ms.saturating_add(delay);
        if t_ms as u64 > limits.max_duration_ms {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "animation too long (more than {} ms > limit {} ms)",
                    t_ms, limits.max_duration_ms
                ),
            ));
        }
        if stopped {
            break;
        }
    }
    if count <= 1 {
        return Ok(None);
    }
    Ok(Some(ImageInfo {
        width: size.0,
        height: size.1,
        animated: true,
        frame_count: count,
        duration_ms: t_ms as u64,
    }))
}

/// Delivers the animation frame `picture`, shown from `t_ms` for `delay_ms`, at its start and
/// at every step of the sampling plan inside that span (at least [`DEFAULT_FRAME_DELAY_MS`]
/// apart), as a video decoder delivers a still scene held for seconds: a slideshow GIF of 4 s
/// pictures is sampled like a 4 s shot, not once. Keyframes plans take it once. Returns false
/// when `on_frame` asks to stop.
fn shown(
    sampler: &mut Sampler,
    plan: SamplePlan,
    t_ms: i64,
    delay_ms: i64,
    picture: &RgbaImage,
    max_side: u32,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> bool {
    let step = match plan {
        SamplePlan::IntervalMs(ms) => (ms as i64).max(DEFAULT_FRAME_DELAY_MS),
        SamplePlan::Keyframes => delay_ms.max(1),
    };
    let end = t_ms + delay_ms.max(1);
    let mut flat: Option<crate::hash::Picture> = None;
    let mut at = t_ms;
    loop {
        if sampler.want(at) {
            let picture = flat
                .get_or_insert_with(|| fit::flatten(picture, max_side))
                .clone();
            if !on_frame(Frame {
                t_ms: at,
                picture,
                lightness: None,
            }) {
                return false;
            }
        }
        at += step;
        // Repeated only with a whole step of the span after it, so that the next frame's own
        // start stays due: frames shorter than two steps are taken at their start or not at
        // all, never late.
        if at + step > end {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real baseline JPEG whose frame header is rewritten to another coding process or
    /// precision: an `Unsupported` error naming it, not a `Decode` error.
    #[test]
    fn jpeg_codings_the_decoder_lacks_are_unsupported() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/queries/clean_photo_1.jpg");
        let original = std::fs::read(path).unwrap();
        let sof = original
            .windows(2)
            .position(|w| w == [0xff, 0xc0])
            .expect("a baseline frame header");
        let decode = |bytes: &[u8]| {
            decode_image(
                bytes,
                ImageFormat::Jpeg,
                &Limits::default(),
                SamplePlan::QUERY_DEFAULT,
                512,
                &mut |_| true,
            )
        };
        assert!(decode(&original).is_ok());
        for (marker, precision, named) in [
            (0xc9, 8, "arithmetic-coded JPEG"),
            (0xc3, 8, "lossless JPEG"),
            (0xf7, 8, "JPEG-LS"),
            (0xc1, 12, "12-bit JPEG"),
        ] {
            let mut bytes = original.clone();
            bytes[sof + 1] = marker;
            bytes[sof + 4] = precision;
            let e = decode(&bytes).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Unsupported, "{named}: {e}");
            assert!(e.message.contains(named), "{named}: {e}");
        }
    }
}

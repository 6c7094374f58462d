//! Thumbnails for evidence reports: a small colour picture of a file at a given time.
//!
//! Still images are decoded with the `image` crate (EXIF orientation applied, transparency
//! composited onto white, the first frame of an animation). Videos are read with the ffmpeg
//! command-line tool when it is chosen (`ffmpeg -ss T -i FILE -frames:v 1`, one seek per time,
//! in colour), or else with the embedded H.264 decoder, which decodes the file once for all the
//! times asked and gives grey pictures (it produces luminance only). The picture taken for a
//! time `t` is the first frame at or after `t` (within half a frame); a time past the end
//! gives the last frame.
//!
//! Untrusted input is bounded as for fingerprinting ([`Limits`]): file size and picture area
//! are checked before decoding, a decoder panic is caught, and ffmpeg is killed after
//! [`Limits::decode_timeout_s`]. Every failure is an [`Error`] for that picture only.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::media::sniff::Sniffed;
use crate::media::video::{self, DecoderChoice};
use builtin::builtin_frames;
use ffmpeg::ffmpeg_frames;
use image::{DynamicImage, ImageFormat, ImageReader, RgbImage};
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

mod builtin;
mod ffmpeg;

/// Default longest side of a thumbnail, in pixels.
pub const DEFAULT_MAX_SIDE: u32 = 240;

/// How thumbnails are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThumbnailOptions {
    /// Longest side of the returned pictures, px (smaller pictures are not enlarged).
    pub max_side: u32,
    /// Video decoder: `Auto` uses ffmpeg when it is on PATH, else the embedded decoder.
    pub decoder: DecoderChoice,
    /// Bounds for the input file.
    pub limits: Limits,
    /// The video stream to show, by the container's stream index (ffmpeg only); `None`: the
    /// one ffmpeg would choose.
    pub video_stream: Option<u64>,
}

impl Default for ThumbnailOptions {
    fn default() -> Self {
        ThumbnailOptions {
            max_side: DEFAULT_MAX_SIDE,
            decoder: DecoderChoice::Auto,
            limits: Limits::default(),
            video_stream: None,
        }
    }
}

/// The picture of `path` at `t_ms` (ignored for a still image), its longest side at most
/// `max_side` pixels. Errors: the file cannot be read or decoded, or has no frame.
pub fn frame_at(path: &Path, t_ms: i64, max_side: u32) -> Result<RgbImage> {
    let options = ThumbnailOptions {
        max_side,
        ..ThumbnailOptions::default()
    };
    frames_at(path, &[t_ms], &options)
        .pop()
        .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no picture asked for")))
}

/// The pictures of `path` at each of `times_ms`, in that order: one result per time, so a
/// picture that cannot be made does not spoil the others. A video is decoded once for all
/// the times with the embedded decoder; ffmpeg seeks once per time.
pub fn frames_at(
    path: &Path,
    times_ms: &[i64],
    options: &ThumbnailOptions,
) -> Vec<Result<RgbImage>> {
    if times_ms.is_empty() {
        return Vec::new();
    }
    let fail = |e: Error| -> Vec<Result<RgbImage>> {
        let e = e.with_path(path);
        times_ms
            .iter()
            .map(|_| Err(Error::new(e.kind, e.message.clone()).with_path(path)))
            .collect()
    };
    let sniffed = match crate::media::sniff_file(path, &options.limits) {
        Ok(s) => s.sniffed,
        Err(e) => return fail(e),
    };
    let use_ffmpeg = match options.decoder {
        DecoderChoice::Builtin => false,
        _ => video::ffmpeg::available(),
    };
    match sniffed {
        Sniffed::Image(format) => match still(path, format, options) {
            Ok(img) => times_ms.iter().map(|_| Ok(img.clone())).collect(),
            Err(e) => fail(e),
        },
        Sniffed::Mp4 | Sniffed::OtherVideo | Sniffed::Unknown if use_ffmpeg => {
            ffmpeg_frames(path, times_ms, options)
                .into_iter()
                .map(|r| r.map_err(|e| e.with_path(path)))
                .collect()
        }
        Sniffed::Mp4 if options.decoder != DecoderChoice::Ffmpeg => {
            builtin_frames(path, times_ms, options)
                .into_iter()
                .map(|r| r.map_err(|e| e.with_path(path)))
                .collect()
        }
        Sniffed::Mp4 | Sniffed::OtherVideo => fail(Error::new(
            ErrorKind::Unsupported,
            "this video needs ffmpeg, which is not on PATH",
        )),
        Sniffed::Unknown => fail(Error::new(
            ErrorKind::Unsupported,
            "unrecognised file format (not an image or video this build can read)",
        )),
    }
}

/// Shrinks `img` so that its longest side is at most `max_side` (never enlarges).
fn fit(img: RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if max_side == 0 || (w <= max_side && h <= max_side) {
        return img;
    }
    let (nw, nh) = crate::media::video::fit_within(w, h, max_side);
    image::imageops::thumbnail(&img, nw.max(1), nh.max(1))
}

fn still(path: &Path, format: ImageFormat, options: &ThumbnailOptions) -> Result<RgbImage> {
    let limits = &options.limits;
    let open = || -> Result<ImageReader<BufReader<std::fs::File>>> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(e, path))?;
        let mut reader = ImageReader::with_format(BufReader::new(file), format);
        let mut l = image::Limits::default();
        l.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(64 << 20));
        reader.limits(l);
        Ok(reader)
    };
    let decode_error =
        |e: image::ImageError| Error::new(ErrorKind::Decode, format!("cannot decode image: {e}"));
    let guarded = catch_unwind(AssertUnwindSafe(|| -> Result<RgbImage> {
        let (w, h) = open()?.into_dimensions().map_err(decode_error)?;
        limits.check_dimensions(w, h)?;
        let mut decoder = open()?.into_decoder().map_err(decode_error)?;
        let orientation = image::ImageDecoder::orientation(&mut decoder)
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
        img.apply_orientation(orientation);
        let rgb = if img.color().has_alpha() {
            let rgba = img.to_rgba8();
            let (w, h) = rgba.dimensions();
            RgbImage::from_raw(w, h, crate::media::fit::flattened_rgb(&rgba))
                .expect("3 bytes a pixel")
        } else {
            img.to_rgb8()
        };
        Ok(fit(rgb, options.max_side))
    }));
    guarded.unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Decode,
            "cannot decode image: the decoder failed on malformed data",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
    }

    #[test]
    fn still_image_thumbnail_is_small_and_coloured() {
        let img = frame_at(&samples().join("references/p_mdn_tiger.jpg"), 0, 120).unwrap();
        assert!(img.width() <= 120 && img.height() <= 120);
        assert!(img.width() == 120 || img.height() == 120);
        assert!(img.pixels().any(|p| p.0[0] != p.0[1] || p.0[1] != p.0[2]));
    }

    #[test]
    fn builtin_video_thumbnails_at_several_times() {
        let options = ThumbnailOptions {
            max_side: 160,
            decoder: DecoderChoice::Builtin,
            ..ThumbnailOptions::default()
        };
        let path = samples().join("queries/bottle_excerpt.mp4");
        let imgs = frames_at(&path, &[0, 5000, 99_000_000], &options);
        assert_eq!(imgs.len(), 3);
        let imgs: Vec<RgbImage> = imgs.into_iter().map(|r| r.unwrap()).collect();
        assert!(imgs.iter().all(|i| i.width().max(i.height()) == 160));
        assert_ne!(imgs[0], imgs[1]);
    }

    #[test]
    fn ffmpeg_takes_nearby_times_in_one_run() {
        if !video::ffmpeg::available() {
            return;
        }
        let options = ThumbnailOptions {
            max_side: 160,
            ..ThumbnailOptions::default()
        };
        let path = samples().join("references/v_intel_person.mp4");
        let one_run = ffmpeg::ffmpeg_run(&path, &[40_000, 41_000, 45_000], &options).unwrap();
        assert!(one_run.iter().all(Option::is_some));
        let times = [40_000, 41_000, 45_000, 100_000, 90_000];
        let runs = frames_at(&path, &times, &options);
        for (t, run) in times.iter().zip(runs) {
            let run = run.unwrap();
            let seek = ffmpeg::ffmpeg_frame(&path, *t, &options).unwrap();
            assert_eq!(run.dimensions(), seek.dimensions());
            let diff: u64 = run
                .as_raw()
                .iter()
                .zip(seek.as_raw())
                .map(|(a, b)| (*a as i64 - *b as i64).unsigned_abs())
                .sum();
            assert!(
                diff / run.as_raw().len() as u64 <= 2,
                "{t} ms: one run and a seek give other frames"
            );
        }
    }

    #[test]
    fn missing_file_is_an_error_per_time() {
        let r = frames_at(
            Path::new("/nonexistent/file.mp4"),
            &[0, 1],
            &ThumbnailOptions::default(),
        );
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|r| r.is_err()));
    }
}

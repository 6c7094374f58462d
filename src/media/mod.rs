//! Opening media: sniff the format by magic bytes, check limits from the header, decode to
//! luminance frames with presentation times.
//!
//! Still images are decoded exactly at full size ([`image`]); animated images and videos are
//! sampled by a [`SamplePlan`] and videos are scaled down by the decoder ([`video`]).

pub mod fit;
pub mod image;
pub mod sniff;
pub mod thumbnail;
pub mod video;

use crate::error::{Error, ErrorKind, Result};
use crate::hash::Picture;
use crate::limits::Limits;
use crate::sampler::SamplePlan;
use serde::{Deserialize, Serialize};
use sniff::Sniffed;
use std::io::Read;
use std::path::Path;
use video::{DecoderChoice, VideoBackend};

/// A decoded picture with its presentation time.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Presentation time in ms from the first frame (0 for a still image).
    pub t_ms: i64,
    /// The picture's luminance.
    pub picture: Picture,
    /// A still colour image's HSL lightness, same size as `picture`
    /// ([`Picture::lightness_from_rgb8`]); `None` for video frames, animated images' frames and
    /// grey pictures.
    pub lightness: Option<Picture>,
}

/// Whether a medium is a still image or has a time axis (video, animated image).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    /// A still image.
    Image,
    /// A video or an animated image (GIF, APNG, WebP).
    Video,
}

impl MediaType {
    /// `"image"` or `"video"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Video => "video",
        }
    }
}

/// What was learnt about a file while decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// Image or video.
    pub media: MediaType,
    /// Displayed width in pixels.
    pub width: u32,
    /// Displayed height in pixels.
    pub height: u32,
    /// Duration in ms (0 for a still image).
    pub duration_ms: u64,
    /// Frames handed to the caller.
    pub sampled_frames: u64,
    /// Who decoded it: `"image"`, `"ffmpeg"` or `"builtin"`.
    pub decoder: &'static str,
    /// Only from [`decode_readable`]: the video container is cut short (what is cut), and the
    /// frames handed over are those readable before the cut. `None`: the file is whole.
    pub cut_short: Option<String>,
    /// A video read by ffmpeg: the container's index of the video stream read.
    pub video_stream: Option<u64>,
    /// A video read by ffmpeg: the indexes of its other video streams (cover pictures left
    /// out), which [`DecodeOptions::video_stream`] can read.
    pub other_video_streams: Vec<u64>,
}

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// Bounds checked before decoding.
    pub limits: Limits,
    /// Video backend choice.
    pub decoder: DecoderChoice,
    /// Which frames of a video to take.
    pub plan: SamplePlan,
    /// Longest side of decoded frames, px (default 512): video frames are scaled by the
    /// decoder, still and animated images reduced after decoding ([`fit`], as Meta's reference
    /// photo hasher does); 0 leaves images at full size.
    pub max_side: u32,
    /// The video stream to read, by the container's stream index (ffmpeg only); `None`: the
    /// one ffmpeg would choose (the largest picture, the default stream preferred).
    pub video_stream: Option<u64>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            limits: Limits::default(),
            decoder: DecoderChoice::Auto,
            plan: SamplePlan::QUERY_DEFAULT,
            max_side: 512,
            video_stream: None,
        }
    }
}

fn backend(choice: DecoderChoice, sniffed: Sniffed) -> Result<Box<dyn VideoBackend>> {
    let ffmpeg = video::ffmpeg::available();
    match choice {
        DecoderChoice::Ffmpeg if !ffmpeg => Err(Error::new(
            ErrorKind::Config,
            "--decoder ffmpeg was asked for but ffmpeg/ffprobe are not on PATH",
        )),
        DecoderChoice::Ffmpeg => Ok(Box::new(video::ffmpeg::FfmpegBackend)),
        DecoderChoice::Auto if ffmpeg => Ok(Box::new(video::ffmpeg::FfmpegBackend)),
        _ if sniffed == Sniffed::Mp4 => Ok(Box::new(video::builtin::BuiltinBackend)),
        // --decoder builtin with ffmpeg installed: the remedy is the flag, not an install.
        _ if ffmpeg => Err(Error::new(
            ErrorKind::Unsupported,
            "this container needs ffmpeg (the builtin decoder reads H.264 in MP4/MOV only); ffmpeg is installed: use --decoder auto or ffmpeg",
        )),
        _ => Err(Error::new(
            ErrorKind::Unsupported,
            "this container needs ffmpeg (the builtin decoder reads H.264 in MP4/MOV only); install ffmpeg",
        )),
    }
}

/// Decodes `path`, calling `on_frame` for each sampled frame (until it returns false).
///
/// Errors (each a per-file result, never a panic): `Io`, `Empty` (0 bytes), `TooLarge`,
/// `TooSmall`, `Truncated`, `Decode`, `Unsupported`, `NoVideoStream`, `Timeout`.
///
/// A file cut short is `Truncated` with either decoder, never a silent partial
/// fingerprint: a JPEG without its end marker, an image whose data runs out, an MP4 or
/// Matroska file whose boxes / elements run past the end of the file. An audio-only file
/// (MP3, WAV, FLAC, M4A, ... whatever its name) is `NoVideoStream`.
pub fn decode_file(
    path: &Path,
    options: &DecodeOptions,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<MediaInfo> {
    decode_inner(path, options, false, on_frame).map_err(|e| e.with_path(path))
}

/// As [`decode_file`], but a video container cut short (an interrupted upload or copy: MP4,
/// Matroska / WebM, AVI whose data ends before its structure says) is decoded as far as it
/// can be read, and [`MediaInfo::cut_short`] says what is cut. For uploads: their readable
/// part can still be matched. Still `Truncated` when not one frame is readable (an MP4 whose
/// index is lost), and with the builtin decoder (it refuses a sample table that runs past the
/// end of the file). A JPEG or PNG cut short is decoded with its end marker put back
/// ([`image::decode_with_end_marker`]): whole when only the marker was cut (browsers show
/// such files whole), else with the decoder's fill for the missing rows (JPEG) or not at all
/// (PNG: `Truncated`).
pub fn decode_readable(
    path: &Path,
    options: &DecodeOptions,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<MediaInfo> {
    decode_inner(path, options, true, on_frame).map_err(|e| e.with_path(path))
}

/// A file's first bytes and what they say it is.
pub(crate) struct SniffedFile {
    /// The kind of file its signature (or, failing that, its extension) says.
    pub sniffed: Sniffed,
    /// The file name's extension, lower case.
    pub extension: Option<String>,
    /// The first 256 bytes (fewer for a shorter file).
    pub head: Vec<u8>,
}

/// Checks that `path` is a non-empty regular file no larger than `limits` allow, and sniffs
/// its first 256 bytes ([`sniff::sniff`]). Errors: `Io` (missing, unreadable, not a regular
/// file), `Empty`, `TooLarge`.
pub(crate) fn sniff_file(path: &Path, limits: &Limits) -> Result<SniffedFile> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(e, path))?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::Io, "not a regular file"));
    }
    if meta.len() == 0 {
        return Err(Error::new(ErrorKind::Empty, "empty file (0 bytes)"));
    }
    limits.check_bytes(meta.len())?;
    let mut head = Vec::with_capacity(256);
    std::fs::File::open(path)
        .and_then(|f| f.take(256).read_to_end(&mut head))
        .map_err(|e| Error::io(e, path))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    Ok(SniffedFile {
        sniffed: sniff::sniff(&head, extension.as_deref()),
        extension,
        head,
    })
}

fn decode_inner(
    path: &Path,
    options: &DecodeOptions,
    read_cut_short: bool,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<MediaInfo> {
    let limits = &options.limits;
    let SniffedFile {
        sniffed,
        extension,
        head,
    } = sniff_file(path, limits)?;
    if let Sniffed::Image(format) = sniffed {
        return decode_image_file(path, format, options, read_cut_short, on_frame);
    }
    if sniffed == Sniffed::Unknown {
        if let Some(name) = sniff::signed_image_extension(extension.as_deref()) {
            // The name says an image whose signature swordnet knows, and the bytes lack it:
            // never handed to the video probe (ffmpeg reads some such files as 0x0 pictures).
            return Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "not a {name} file: its first bytes are not the {name} signature (a file of another kind, or one damaged from its start)"
                ),
            ));
        }
        if let Some(format) = sniff::unsupported_image(&head) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{format}, a format swordnet does not read (images it reads: JPEG, PNG, GIF, WebP, BMP, TIFF, TGA, Netpbm, QOI, ICO; AVIF and HEIF through ffmpeg)"
                ),
            ));
        }
        if let Some(format) = sniff::audio_only(&head) {
            return Err(Error::new(
                ErrorKind::NoVideoStream,
                format!("no video stream in this file: it is audio only ({format})"),
            ));
        }
    }
    if sniffed == Sniffed::Unknown && !video::ffmpeg::available() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "unrecognised file format (not an image or video this build can read)",
        ));
    }
    let heif = sniff::heif_brand(&head);
    let backend = backend(options.decoder, sniffed)?;
    if let (Some(brand), "builtin") = (heif, backend.name()) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{brand} image: the builtin decoder reads H.264 video only; install ffmpeg to read it"
            ),
        ));
    }
    let cut_short = |e: Error| -> Error {
        // A HEIF still has no `moov` index: ffmpeg builds without HEIF support say "moov atom
        // not found" or "no video stream", which is not damage but an unsupported format.
        if let (Some(brand), ErrorKind::NoVideoStream | ErrorKind::Truncated | ErrorKind::Decode) =
            (heif, e.kind)
        {
            return Error::new(
                ErrorKind::Unsupported,
                format!("{brand} image that this ffmpeg cannot read as a picture"),
            );
        }
        // A decoder that cannot read a container (MP4 boxes, Matroska elements) that runs
        // past the end of the file, or finds no video track in a cut index: say
        // "truncated", as the builtin decoder does, whatever words the decoder used.
        if !matches!(e.kind, ErrorKind::Decode | ErrorKind::NoVideoStream) {
            return e;
        }
        match sniff::container_cut_short(path) {
            Some(detail) => {
                let mut e = e;
                e.kind = ErrorKind::Truncated;
                e.message = format!("truncated or unreadable container: {detail}");
                e
            }
            None => e,
        }
    };
    let mut cut = None;
    if backend.name() == "ffmpeg" {
        // ffmpeg decodes what it can of a cut file and often says nothing clear about it;
        // the builtin decoder refuses it. Check the container structure so that both say
        // "truncated".
        cut = sniff::container_cut_short(path);
        if let (Some(detail), false) = (&cut, read_cut_short) {
            return Err(Error::new(
                ErrorKind::Truncated,
                format!("truncated or unreadable container: {detail}"),
            ));
        }
    }
    let info = backend
        .probe(path, options.video_stream)
        .map_err(cut_short)?;
    limits.check_duration(info.duration_ms)?;
    limits.check_video_dimensions(info.width, info.height)?;
    // The header's duration can lie (a patched or damaged `mvhd`): the frames' own times
    // bound it from below, and bound the decoding by the duration limit.
    let mut span = FrameSpan::default();
    let mut too_long = None;
    let mut delivered = 0u64;
    let decoded = backend.decode(
        path,
        &info,
        options.plan,
        options.max_side,
        limits,
        &mut |frame| {
            span.add(frame.t_ms);
            if let Err(e) = limits.check_duration(span.end_ms()) {
                too_long = Some(e);
                return false;
            }
            delivered += 1;
            on_frame(frame)
        },
    );
    let frames = match decoded {
        // The decoder found the cut after handing over frames: they are the readable part.
        Err(e) if read_cut_short && e.kind == ErrorKind::Truncated && delivered > 0 => {
            let what = e
                .message
                .trim_start_matches("truncated or unreadable container: ");
            cut.get_or_insert(what.to_string());
            delivered
        }
        other => other.map_err(cut_short)?,
    };
    if let Some(e) = too_long {
        return Err(e);
    }
    let duration_ms = match cut {
        // What was read, not what the header promised.
        Some(_) => span.end_ms(),
        None => span.duration_ms(info.duration_ms),
    };
    if frames == 0 {
        return Err(match cut {
            Some(detail) => Error::new(
                ErrorKind::Truncated,
                format!("truncated or unreadable container: {detail} (no frame readable before the cut)"),
            ),
            None => Error::new(
                ErrorKind::Decode,
                "no frame could be decoded from the video stream",
            ),
        });
    }
    // One picture with no time span (an AVIF / HEIF still, or any single-picture file that
    // only ffmpeg reads) is a still image: it is matched as a photo, not as a video.
    let still = frames == 1 && duration_ms <= SINGLE_PICTURE_MAX_MS;
    Ok(MediaInfo {
        media: if still {
            MediaType::Image
        } else {
            MediaType::Video
        },
        width: info.width,
        height: info.height,
        duration_ms: if still { 0 } else { duration_ms },
        sampled_frames: frames,
        decoder: backend.name(),
        cut_short: cut,
        video_stream: (backend.name() == "ffmpeg").then_some(info.stream_index),
        other_video_streams: info.other_streams,
    })
}

/// The image branch of [`decode_inner`]: a still or animated image, read through a buffer
/// (never whole: the pixel limit bounds memory, not the file size). With `read_cut_short`, a
/// file cut short before any frame is decoded again with its end marker put back
/// ([`image::decode_with_end_marker`]).
fn decode_image_file(
    path: &Path,
    format: ::image::ImageFormat,
    options: &DecodeOptions,
    read_cut_short: bool,
    on_frame: &mut dyn FnMut(Frame) -> bool,
) -> Result<MediaInfo> {
    let count = std::cell::Cell::new(0u64);
    let mut counted = |f| {
        count.set(count.get() + 1);
        on_frame(f)
    };
    let (limits, plan, max_side) = (&options.limits, options.plan, options.max_side);
    let file = std::fs::File::open(path).map_err(|e| Error::io(e, path))?;
    let input = std::io::BufReader::with_capacity(1 << 16, file);
    let decoded = image::decode_image_from(input, format, limits, plan, max_side, &mut counted);
    let (info, cut) = match decoded {
        Err(e) if read_cut_short && e.kind == ErrorKind::Truncated && count.get() == 0 => {
            let repaired =
                image::decode_with_end_marker(path, format, limits, plan, max_side, &mut counted);
            let Ok(Some(info)) = repaired else {
                return Err(e);
            };
            let what = match format {
                ::image::ImageFormat::Png => "the PNG data ends before its IEND end chunk",
                _ => e.message.trim_start_matches("truncated image: "),
            };
            (info, Some(what.replace(" (file cut short)", "")))
        }
        other => (other?, None),
    };
    Ok(MediaInfo {
        media: if info.animated {
            MediaType::Video
        } else {
            MediaType::Image
        },
        width: info.width,
        height: info.height,
        duration_ms: info.duration_ms,
        sampled_frames: count.get(),
        decoder: "image",
        cut_short: cut,
        video_stream: None,
        other_video_streams: Vec::new(),
    })
}

/// The times of the frames delivered so far.
#[derive(Default)]
struct FrameSpan {
    last_ms: Option<i64>,
    step_ms: i64,
}

impl FrameSpan {
    fn add(&mut self, t_ms: i64) {
        if let Some(last) = self.last_ms {
            if t_ms > last {
                self.step_ms = t_ms - last;
            }
        }
        self.last_ms = Some(self.last_ms.map_or(t_ms, |l| l.max(t_ms)));
    }

    /// Where the frames end: the last frame's time plus one step between frames (0 before any
    /// frame; a single frame at 0 ms spans 0 ms).
    fn end_ms(&self) -> u64 {
        self.last_ms.map_or(0, |t| (t + self.step_ms).max(0) as u64)
    }

    /// The header's duration, unless frames were found after it: then where the frames end.
    fn duration_ms(&self, header_ms: u64) -> u64 {
        match self.last_ms {
            Some(last) if last > 0 && last as u64 > header_ms => self.end_ms(),
            _ => header_ms,
        }
    }
}

/// A "video" of one picture lasting at most this long (ms) is reported as a still image: one
/// sampled frame is one picture whatever the container says it lasts (a 101 ms clip of one
/// sampled frame was a video with no segment possible, and clean; the same frame as a 1-frame
/// MP4 was an image, infringing). At the default sampling (a frame every 250 ms of an upload,
/// 200 ms of a work) any video longer than this has several.
const SINGLE_PICTURE_MAX_MS: u64 = 1000;

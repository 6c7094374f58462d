//! Built-in (embedded) MP4 / H.264 video decoding: no external `ffmpeg` needed.
//!
//! * Container: ISO-BMFF / MP4 / QuickTime. The top-level box scan, the box-tree walk and the
//!   sample-table arithmetic are done here with bounds and overflow checks; the individual leaf
//!   boxes (`tkhd`, `mdhd`, `hdlr`, `stts`, `ctts`, `stsc`, `stsz`, `stco`, `co64`, `tfhd`,
//!   `tfdt`, `trun`, `trex`, `mvhd`) are parsed with the `re_mp4` crate, each from an in-memory
//!   copy of exactly that box, so a corrupt file can neither read outside a box nor make the
//!   parser allocate more than the file's size. Plain (`moov` + `mdat`) and fragmented
//!   (`moof` + `trun`) files are supported.
//! * Codec: H.264 (`avc1` / `avc3` sample entries), 8-bit 4:2:0 (or 4:0:0) progressive,
//!   Baseline / Main / High profiles, decoded by the bundled OpenH264 (Cisco) decoder in the
//!   `openh264` crate, built from source. Other codecs (HEVC, AV1, VP9, MPEG-4 Part 2, ...),
//!   H.264 4:2:2 / 4:4:4 / 10-bit and interlaced H.264 are reported as
//!   [`BuiltinError::Unsupported`] (checked from the SPS before decoding).
//! * Only the luma (Y) plane is produced, as coded (limited- or full-range values are not
//!   remapped); chroma is ignored.
//! * Edit lists (`elst`) are not applied: every sample in the track is decoded and times are
//!   relative to the track's first presentation time.
//! * Times are taken from the sample table (`stts` + `ctts`, or `trun` for fragments), so
//!   variable frame rate and B-frame reordering give correct presentation times.

// Layout (private submodules, one job each):
// * `boxes`: top-level file scan and bounds-checked box-tree walk;
// * `track`: choosing and describing the video track;
// * `sample_table`: sample offsets, sizes and presentation times;
// * `avcc`: H.264 configuration, SPS checks, NAL length to Annex-B;
// * `decode`: OpenH264 driving, reordering and flushing;
// * `picture`: luma downscaling and rotation;
// * `util`: small shared helpers.
mod avcc;
mod boxes;
mod decode;
mod picture;
mod sample_table;
mod track;
mod util;

use std::fmt;
use std::fs::File;
use std::path::Path;

use self::avcc::check_sps_supported;
use self::boxes::{movie_duration_ms, read_index};
use self::decode::DecodeRun;
use self::track::select_video_track;
use self::util::{check_pixels, codec_name, fourcc_str};

/// Facts read from the container header, before decoding anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4VideoInfo {
    /// Displayed width in pixels, i.e. after the rotation in [`Self::rotation_degrees`] is
    /// applied (the width of the frames [`decode_mp4`] returns before any downscale).
    /// 0 when there is no video track.
    pub width: u32,
    /// Displayed height in pixels, after rotation (see [`Self::width`]). 0 without video.
    pub height: u32,
    /// Clockwise rotation in degrees (0, 90, 180 or 270) that the track header display
    /// matrix applies to the stored pictures to show them upright.
    pub rotation_degrees: u32,
    /// Duration of the video track in milliseconds (of the whole movie when there is no
    /// video track).
    pub duration_ms: u64,
    /// Number of video samples (frames) in the video track's sample table.
    pub frame_count: u64,
    /// Four-character code of the video sample entry, e.g. `"avc1"`, `"hvc1"`; empty when
    /// there is no video track.
    pub codec: String,
    /// Whether the file has a video track (a track whose handler type is `vide`).
    pub has_video: bool,
}

/// Why a file could not be probed or decoded by the built-in decoder.
#[derive(Debug)]
pub enum BuiltinError {
    /// The file is a readable MP4 but has no video track (e.g. audio only).
    NoVideoStream,
    /// The file or its video codec is not supported by the built-in decoder (e.g. HEVC,
    /// 10-bit or interlaced H.264, or not an MP4 file at all); the text names what.
    Unsupported(String),
    /// The container is cut short or unreadable (empty file, no `moov` index, sample data
    /// past the end of the file, corrupt box structure); the text says which.
    Truncated(String),
    /// The H.264 bitstream could not be decoded; the text says why.
    Decode(String),
    /// The picture is larger than the caller's pixel limit; nothing was allocated for it.
    TooLarge {
        /// Picture area in pixels (width x height).
        pixels: u64,
        /// The caller's limit in pixels.
        limit: u64,
    },
    /// Reading the file failed.
    Io(std::io::Error),
}

impl fmt::Display for BuiltinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoVideoStream => write!(f, "no video stream in file"),
            Self::Unsupported(what) => write!(f, "unsupported by the built-in decoder: {what}"),
            Self::Truncated(what) => write!(f, "truncated or unreadable container: {what}"),
            Self::Decode(what) => write!(f, "video decode error: {what}"),
            Self::TooLarge { pixels, limit } => {
                write!(f, "video too large ({pixels} px > limit {limit} px)")
            }
            Self::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for BuiltinError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for BuiltinError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Self::Truncated(format!("unexpected end of file ({e})"))
        } else {
            Self::Io(e)
        }
    }
}

/// A decoded picture's luma (Y) plane, scaled so that the longer side is at most `max_side`
/// pixels (aspect preserved, area-average downscale; never upscale), rotated upright per the
/// display matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LumaFrame {
    /// Presentation time in milliseconds, from the container (decode time plus composition
    /// offset), relative to the smallest presentation time of the track, so the first
    /// displayed frame is at 0 ms.
    pub t_ms: i64,
    /// Width of [`Self::pixels`] in pixels.
    pub width: u32,
    /// Height of [`Self::pixels`] in pixels.
    pub height: u32,
    /// Luma samples (0 = black, 255 = white, as coded), row-major, `width * height` bytes.
    pub pixels: Vec<u8>,
}

/// Reads the container header of the MP4 file at `path` and describes its first video track
/// (the first track whose handler type is `vide`; an H.264 one is preferred when there are
/// several). Decodes nothing.
///
/// An audio-only file gives `Ok` with `has_video == false`.
///
/// # Errors
/// [`BuiltinError::Truncated`] for an empty, cut-short or corrupt file,
/// [`BuiltinError::Unsupported`] when the file is not an MP4/QuickTime file,
/// [`BuiltinError::Io`] when reading fails.
pub fn probe_mp4(path: &Path) -> Result<Mp4VideoInfo, BuiltinError> {
    let mut file = File::open(path)?;
    probe_index(&read_index(&mut file)?)
}

/// As [`probe_mp4`], over the bytes of a whole MP4 file held in memory (the same container
/// walk, sample-table checks and errors; used by the fuzz targets and regression tests).
///
/// # Errors
/// As [`probe_mp4`].
pub fn probe_mp4_bytes(bytes: &[u8]) -> Result<Mp4VideoInfo, BuiltinError> {
    probe_index(&read_index(&mut std::io::Cursor::new(bytes))?)
}

fn probe_index(index: &boxes::Index) -> Result<Mp4VideoInfo, BuiltinError> {
    let Some(track) = select_video_track(index)? else {
        let movie_ms = movie_duration_ms(index);
        return Ok(Mp4VideoInfo {
            width: 0,
            height: 0,
            rotation_degrees: 0,
            duration_ms: movie_ms,
            frame_count: 0,
            codec: String::new(),
            has_video: false,
        });
    };
    let (w, h) = track.stored_size();
    let (width, height) = if track.rotation % 180 == 90 {
        (h, w)
    } else {
        (w, h)
    };
    Ok(Mp4VideoInfo {
        width,
        height,
        rotation_degrees: track.rotation,
        duration_ms: track.duration_ms(),
        frame_count: track.samples.len() as u64,
        codec: fourcc_str(track.fourcc),
        has_video: true,
    })
}

/// Decodes the video track of the MP4 file at `path` (handler type `vide`; among several,
/// the H.264 ones first, then the enabled and largest, as ffmpeg chooses), in presentation
/// order.
///
/// * `max_side`: longest side, in pixels, of the returned frames; larger pictures are
///   downscaled (area average, aspect preserved), smaller ones are returned at their size.
///   0 means "never scale".
/// * `max_pixels`: largest picture area (width x height, in pixels) accepted; a larger video
///   gives [`BuiltinError::TooLarge`] before any picture buffer is allocated for it.
/// * `want(t_ms)` is asked for each decoded frame's presentation time (milliseconds, see
///   [`LumaFrame::t_ms`]) before scaling; frames not wanted are decoded (they must be, for
///   references) but not scaled or returned.
/// * `on_frame` receives each wanted frame and returns `false` to stop early (which is not an
///   error).
///
/// # Errors
/// [`BuiltinError::NoVideoStream`] when there is no video track, [`BuiltinError::Unsupported`]
/// for a video codec other than 8-bit 4:2:0 progressive H.264, [`BuiltinError::Truncated`] for
/// an empty, cut-short or corrupt container, [`BuiltinError::Decode`] when no picture at all
/// can be decoded, [`BuiltinError::TooLarge`], [`BuiltinError::Io`].
pub fn decode_mp4(
    path: &Path,
    max_side: u32,
    max_pixels: u64,
    want: &mut dyn FnMut(i64) -> bool,
    on_frame: &mut dyn FnMut(LumaFrame) -> bool,
) -> Result<(), BuiltinError> {
    decode_mp4_with(path, max_side, max_pixels, false, want, on_frame)
}

/// [`decode_mp4`], with `keyframes_only`: only the samples that hold an IDR slice (pictures
/// that decode on their own) are decoded, the others skipped unread by the decoder (the
/// `keyframes` sampling plan).
///
/// # Errors
/// As [`decode_mp4`].
pub fn decode_mp4_with(
    path: &Path,
    max_side: u32,
    max_pixels: u64,
    keyframes_only: bool,
    want: &mut dyn FnMut(i64) -> bool,
    on_frame: &mut dyn FnMut(LumaFrame) -> bool,
) -> Result<(), BuiltinError> {
    let mut file = File::open(path)?;
    let index = read_index(&mut file)?;
    let track = select_video_track(&index)?.ok_or(BuiltinError::NoVideoStream)?;
    if !matches!(&track.fourcc, b"avc1" | b"avc3") {
        return Err(BuiltinError::Unsupported(format!(
            "video codec '{}' ({}) is not H.264",
            fourcc_str(track.fourcc),
            codec_name(track.fourcc)
        )));
    }
    if let Some(sps) = &track.sps {
        check_sps_supported(sps)?;
    }
    let (w, h) = track.stored_size();
    check_pixels(w, h, max_pixels)?;
    if track.samples.is_empty() {
        return Err(BuiltinError::Decode(
            "the video track has no samples".into(),
        ));
    }
    let nal_len_size = track.avcc.as_ref().map_or(4, |c| c.nal_length_size);
    let mut run = DecodeRun::new(&track, max_side, max_pixels);
    run.keyframes_only = keyframes_only;
    run.run(&mut file, &track, nal_len_size, want, on_frame)
}

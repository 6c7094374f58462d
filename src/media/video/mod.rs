//! Video decoding behind one trait, [`VideoBackend`], with two implementations:
//! [`ffmpeg::FfmpegBackend`] (the `ffmpeg` / `ffprobe` command-line tools when on PATH: every
//! codec and container) and [`builtin::BuiltinBackend`] (embedded, needs nothing installed:
//! H.264 in MP4/MOV via the `openh264` crate and the `re_mp4` demuxer).
//!
//! Both hand over small upright luma frames (longest side at most `max_side` px) with their
//! presentation time in ms from the first video frame, the display-matrix rotation applied and
//! the video stream chosen by type.

pub mod builtin;
pub mod ffmpeg;
pub mod openh264;

use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;
use crate::sampler::SamplePlan;
use std::path::Path;

/// Facts about a video from its container header.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Displayed width in pixels (after rotation).
    pub width: u32,
    /// Displayed height in pixels (after rotation).
    pub height: u32,
    /// Duration in ms (0 if the container does not say).
    pub duration_ms: u64,
    /// Clockwise rotation from the display matrix, degrees (0, 90, 180, 270).
    pub rotation_degrees: u32,
    /// Codec name, e.g. `"h264"`.
    pub codec: String,
    /// The container's index of the video stream read (ffmpeg: the one asked for, else the
    /// one ffmpeg would choose; the built-in MP4 decoder picks its track itself and leaves 0).
    /// Decoding reads this stream, so a file's header is probed once.
    pub stream_index: u64,
    /// The container's indexes of the file's other video streams (cover pictures left out),
    /// in file order: a copy may hide in a stream players do not choose by default. Empty
    /// from the built-in MP4 decoder, which reads one track.
    pub other_streams: Vec<u64>,
}

/// A video decoder.
pub trait VideoBackend: Send + Sync {
    /// `"ffmpeg"` or `"builtin"`.
    fn name(&self) -> &'static str;
    /// Reads the header of video stream `stream` (the container's stream index; `None`: the
    /// stream ffmpeg would choose). Errors: `NoVideoStream` (also when `stream` is not a
    /// video stream), `Truncated`, `Unsupported` (also the built-in decoder given a
    /// `stream`), `Decode`, `Io`.
    fn probe(&self, path: &Path, stream: Option<u64>) -> Result<VideoInfo>;
    /// Decodes the frames that `plan` takes, scaled so the longer side is at most `max_side`
    /// pixels, and calls `on_frame` for each in presentation order until it returns false.
    /// Returns the number of frames delivered.
    fn decode(
        &self,
        path: &Path,
        info: &VideoInfo,
        plan: SamplePlan,
        max_side: u32,
        limits: &Limits,
        on_frame: &mut dyn FnMut(Frame) -> bool,
    ) -> Result<u64>;
}

/// Which backend to use (`--decoder`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DecoderChoice {
    /// ffmpeg when it is on PATH, else the builtin decoder.
    #[default]
    Auto,
    /// The ffmpeg command-line tool (error if missing).
    Ffmpeg,
    /// The embedded H.264/MP4 decoder.
    Builtin,
}

/// The size a `width` x `height` picture is scaled to so that its longer side is at most
/// `max_side` (aspect kept, never enlarged, at least 1 px a side).
pub fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_side || long == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = max_side as f64 / long as f64;
    (
        ((width as f64 * scale).round() as u32).max(1),
        ((height as f64 * scale).round() as u32).max(1),
    )
}

/// The size a `width` x `height` picture is reduced to for hashing: [`fit_within`] `max_side`,
/// except that a strip whose shorter side would fall under
/// [`crate::limits::MIN_SIDE_PX`] (and is not under it already) is reduced only as far as
/// keeps its shorter side at that, its longer side then beyond `max_side` (a 9000 x 40 banner
/// is hashed at 3600 x 16 px, not at 512 x 2, where PDQ sees nothing).
/// `max_side` 0 keeps the full size.
pub fn fit_for_hashing(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    if max_side == 0 {
        return (width.max(1), height.max(1));
    }
    let min_side = crate::limits::MIN_SIDE_PX;
    let (w, h) = fit_within(width, height, max_side);
    let short = width.min(height);
    if w.min(h) >= min_side || short < min_side {
        return (w, h);
    }
    let scale = min_side as f64 / short as f64;
    (
        ((width as f64 * scale).round() as u32).max(min_side),
        ((height as f64 * scale).round() as u32).max(min_side),
    )
}

/// A display matrix's clockwise rotation `degrees` as applied to the pictures: the right angle
/// (0, 90, 180, 270) it is within 1° of, or 0 for any other angle. Players do the same
/// (Chromium's `ComputeVideoTransformation` ignores a matrix that is not a right angle), so an
/// upload tagged 45° shows its picture upright, and is hashed upright.
pub fn right_angle(degrees: f64) -> u32 {
    if !degrees.is_finite() {
        return 0;
    }
    let turned = degrees.rem_euclid(360.0);
    let nearest = (turned / 90.0).round() * 90.0;
    if (turned - nearest).abs() <= 1.0 {
        (nearest as u32) % 360
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect() {
        assert_eq!(fit_within(1280, 720, 512), (512, 288));
        assert_eq!(fit_within(720, 1280, 512), (288, 512));
        assert_eq!(fit_within(320, 240, 512), (320, 240));
    }

    #[test]
    fn strips_keep_a_hashable_short_side() {
        assert_eq!(fit_for_hashing(1280, 720, 512), (512, 288));
        assert_eq!(fit_for_hashing(9000, 40, 512), (3600, 16));
        assert_eq!(fit_for_hashing(40, 9000, 512), (16, 3600));
        assert_eq!(fit_for_hashing(2048, 64, 512), (512, 16));
        assert_eq!(fit_for_hashing(9000, 16, 512), (9000, 16));
        // Already under the minimum (refused as too small elsewhere) or not reduced at all.
        assert_eq!(fit_for_hashing(9000, 12, 512), fit_within(9000, 12, 512));
        assert_eq!(fit_for_hashing(300, 20, 512), (300, 20));
        assert_eq!(fit_for_hashing(9000, 40, 0), (9000, 40));
    }
}

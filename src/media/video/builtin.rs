//! The embedded decoder: H.264 (8-bit 4:2:0, progressive) in MP4/MOV, nothing installed.
//! Adapts [`super::openh264`] (a checked MP4 demuxer over `re_mp4` boxes + the `openh264`
//! crate, built from its bundled source) to [`VideoBackend`]. No timeout is needed: it runs
//! in-process over a file whose sample table bounds the work, and every size is checked.

use super::openh264::{decode_mp4_with, probe_mp4, BuiltinError};
use super::{VideoBackend, VideoInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::hash::Picture;
use crate::limits::Limits;
use crate::media::Frame;
use crate::sampler::SamplePlan;
use std::path::Path;

/// H.264/MP4 decoding with `openh264` and `re_mp4`.
#[derive(Debug, Default, Clone)]
pub struct BuiltinBackend;

impl From<BuiltinError> for Error {
    /// The embedded decoder's error as a swordnet error of the matching kind.
    fn from(e: BuiltinError) -> Error {
        let message = e.to_string();
        let kind = match e {
            BuiltinError::NoVideoStream => ErrorKind::NoVideoStream,
            BuiltinError::Unsupported(_) => ErrorKind::Unsupported,
            BuiltinError::Truncated(_) => ErrorKind::Truncated,
            BuiltinError::Decode(_) => ErrorKind::Decode,
            BuiltinError::TooLarge { .. } => ErrorKind::TooLarge,
            BuiltinError::Io(_) => ErrorKind::Io,
        };
        Error::new(kind, message)
    }
}

/// Expands limited-range luma (16–235, as H.264 codes it) to 0–255, as ffmpeg's `gray`
/// output does, so both backends give the same pictures and the same quality scores.
fn full_range(width: u32, height: u32, y: &[u8]) -> Picture {
    Picture {
        width,
        height,
        luma: y
            .iter()
            .map(|&v| ((v as f32 - 16.0) * (255.0 / 219.0)).clamp(0.0, 255.0))
            .collect(),
    }
}

impl VideoBackend for BuiltinBackend {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn probe(&self, path: &Path, stream: Option<u64>) -> Result<VideoInfo> {
        if stream.is_some() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "the builtin decoder reads only the video track it chooses; use ffmpeg to read another",
            ));
        }
        let info = probe_mp4(path).map_err(Error::from)?;
        if !info.has_video {
            return Err(Error::new(
                ErrorKind::NoVideoStream,
                "no video stream in this file",
            ));
        }
        Ok(VideoInfo {
            width: info.width,
            height: info.height,
            duration_ms: info.duration_ms,
            rotation_degrees: info.rotation_degrees,
            codec: info.codec,
            stream_index: 0,
            other_streams: Vec::new(),
        })
    }

    fn decode(
        &self,
        path: &Path,
        _info: &VideoInfo,
        plan: SamplePlan,
        max_side: u32,
        limits: &Limits,
        on_frame: &mut dyn FnMut(Frame) -> bool,
    ) -> Result<u64> {
        let mut sampler = plan.sampler();
        let mut delivered = 0u64;
        let mut over_limit = false;
        // The decode timeout, checked at each decoded picture: past it the next picture is
        // taken only to stop the run there.
        let started = std::time::Instant::now();
        let timeout = std::time::Duration::from_secs(limits.decode_timeout_s.max(1));
        let timed_out = std::cell::Cell::new(false);
        let result = decode_mp4_with(
            path,
            max_side,
            limits.max_pixels,
            plan == SamplePlan::Keyframes,
            &mut |t| {
                if started.elapsed() > timeout {
                    timed_out.set(true);
                    return true;
                }
                sampler.want(t)
            },
            &mut |f| {
                if timed_out.get() {
                    return false;
                }
                if delivered >= limits.max_frames {
                    over_limit = true;
                    return false;
                }
                delivered += 1;
                on_frame(Frame {
                    t_ms: f.t_ms,
                    picture: full_range(f.width, f.height, &f.pixels),
                    lightness: None,
                })
            },
        );
        if over_limit {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("more than {} frames sampled (limit)", limits.max_frames),
            ));
        }
        if timed_out.get() {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "decoder stopped after {} s (limit)",
                    limits.decode_timeout_s.max(1)
                ),
            ));
        }
        result.map_err(Error::from)?;
        Ok(delivered)
    }
}

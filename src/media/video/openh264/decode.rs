//! Driving the OpenH264 decoder over the track's samples: feeding access units, mapping
//! output pictures back to presentation times through reordering, flushing at the end, and
//! handing wanted pictures to scaling, rotation and the caller.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::raw::{c_int, c_uchar};

use openh264::decoder::{Decoder, DecoderConfig, DecoderRawAPI, Flush};
use openh264::OpenH264API;

use super::avcc::to_annexb;
use super::picture::{rotate, scaled_size, Scaler};
use super::track::VideoTrack;
use super::util::{check_pixels, ticks_to_ms};
use super::{BuiltinError, LumaFrame};

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// OpenH264 `DECODING_STATE` bit meaning "frame pending" (not an error).
const DS_FRAME_PENDING: c_int = 0x01;

/// Returns a default value of the `SBufferInfo` type of the decoder's raw API (the type lives
/// in `openh264-sys2`, which this module does not name directly).
fn default_buffer_info<T: Default, R>(
    _f: unsafe fn(&DecoderRawAPI, *const c_uchar, c_int, *mut *mut c_uchar, *mut T) -> R,
) -> T {
    T::default()
}

/// State of one decode: timing bookkeeping, the scaler and its buffers.
pub(super) struct DecodeRun {
    max_side: u32,
    max_pixels: u64,
    rotation: u32,
    timescale: u32,
    min_pts: i64,
    /// Per sample: already output by the decoder.
    emitted: Vec<bool>,
    /// Samples fed but not yet output, as (pts, sample index).
    pending: std::collections::BTreeSet<(i64, usize)>,
    pts: Vec<i64>,
    scaler: Scaler,
    decoded: u64,
    /// Feed only samples holding an IDR slice ([`crate::sampler::SamplePlan::Keyframes`]).
    pub(super) keyframes_only: bool,
    stop: bool,
}

/// A decoded picture as returned by OpenH264 (borrowed decoder memory).
struct RawPicture {
    y: *const u8,
    stride: usize,
    width: usize,
    height: usize,
    timestamp: u64,
}

impl DecodeRun {
    pub(super) fn new(track: &VideoTrack, max_side: u32, max_pixels: u64) -> Self {
        Self {
            max_side,
            max_pixels,
            rotation: track.rotation,
            timescale: track.timescale,
            min_pts: track.min_pts,
            emitted: vec![false; track.samples.len()],
            pending: std::collections::BTreeSet::new(),
            pts: track.samples.iter().map(|s| s.pts).collect(),
            scaler: Scaler::default(),
            decoded: 0,
            keyframes_only: false,
            stop: false,
        }
    }

    pub(super) fn run(
        &mut self,
        file: &mut File,
        track: &VideoTrack,
        nal_len_size: usize,
        want: &mut dyn FnMut(i64) -> bool,
        on_frame: &mut dyn FnMut(LumaFrame) -> bool,
    ) -> Result<(), BuiltinError> {
        let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
        let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| BuiltinError::Decode(format!("cannot start the H.264 decoder: {e}")))?;
        // SAFETY: only the documented decode / flush entry points are called, with valid
        // buffers; no decoder parameter is changed.
        let raw: &mut DecoderRawAPI = unsafe { decoder.raw_api() };

        let mut errors = 0u64;
        let mut last_state: c_int = 0;
        let mut annexb: Vec<u8> = Vec::new();
        // Parameter sets from the avcC box first.
        if let Some(cfg) = &track.avcc {
            for nal in cfg.sps.iter().chain(cfg.pps.iter()) {
                annexb.extend_from_slice(&[0, 0, 0, 1]);
                annexb.extend_from_slice(nal);
            }
            if !annexb.is_empty() {
                let st = self.feed(raw, &annexb, 0, want, on_frame)?;
                if st & !DS_FRAME_PENDING != 0 {
                    errors += 1;
                    last_state = st;
                }
            }
        }
        let mut sample_buf: Vec<u8> = Vec::new();
        let mut last_end: Option<u64> = None;
        for (i, s) in track.samples.iter().enumerate() {
            if self.stop {
                return Ok(());
            }
            let size = s.size as usize;
            sample_buf.resize(size, 0);
            if last_end != Some(s.offset) {
                file.seek(SeekFrom::Start(s.offset))?;
            }
            file.read_exact(&mut sample_buf)?;
            last_end = Some(s.offset + u64::from(s.size));
            if self.keyframes_only && !has_idr_slice(&sample_buf, nal_len_size) {
                // Only pictures decodable on their own (IDR): the others are never fed.
                continue;
            }
            if !to_annexb(&sample_buf, nal_len_size, &mut annexb) {
                errors += 1;
            }
            if annexb.is_empty() {
                continue;
            }
            self.pending.insert((s.pts, i));
            let st = self.feed(raw, &annexb, i as u64 + 1, want, on_frame)?;
            if st & !DS_FRAME_PENDING != 0 {
                errors += 1;
                last_state = st;
            }
        }
        // Drain the pictures the decoder still holds for reordering.
        for _ in 0..(self.pending.len() + 32) {
            if self.stop {
                return Ok(());
            }
            let mut dst: [*mut c_uchar; 3] = [std::ptr::null_mut(); 3];
            let mut info = default_buffer_info(DecoderRawAPI::decode_frame_no_delay);
            // SAFETY: `dst` and `info` are valid for writes for the duration of the call.
            unsafe {
                raw.flush_frame(dst.as_mut_ptr(), &mut info);
            }
            if info.iBufferStatus != 1 {
                break;
            }
            // SAFETY: the decoder filled the system-buffer variant of the union.
            let sb = unsafe { info.UsrData.sSystemBuffer };
            let y = if dst[0].is_null() {
                info.pDst[0]
            } else {
                dst[0]
            };
            self.deliver(
                picture(
                    y,
                    sb.iStride[0],
                    sb.iWidth,
                    sb.iHeight,
                    info.uiOutYuvTimeStamp,
                ),
                want,
                on_frame,
            )?;
        }
        if self.decoded == 0 {
            return Err(BuiltinError::Decode(format!(
                "no picture could be decoded from {} samples ({} decoder errors, last state 0x{:x})",
                track.samples.len(),
                errors,
                last_state
            )));
        }
        Ok(())
    }

    /// Feeds one access unit (Annex-B) with input timestamp `ts`, delivers any picture that
    /// comes out, and returns the decoder state.
    fn feed(
        &mut self,
        raw: &mut DecoderRawAPI,
        data: &[u8],
        ts: u64,
        want: &mut dyn FnMut(i64) -> bool,
        on_frame: &mut dyn FnMut(LumaFrame) -> bool,
    ) -> Result<c_int, BuiltinError> {
        let len = c_int::try_from(data.len())
            .map_err(|_| BuiltinError::Decode("access unit too large".into()))?;
        let mut dst: [*mut c_uchar; 3] = [std::ptr::null_mut(); 3];
        let mut info = default_buffer_info(DecoderRawAPI::decode_frame_no_delay);
        info.uiInBsTimeStamp = ts;
        // SAFETY: `data` is valid for `len` bytes; `dst` and `info` are valid for writes.
        let state =
            unsafe { raw.decode_frame_no_delay(data.as_ptr(), len, dst.as_mut_ptr(), &mut info) };
        if info.iBufferStatus == 1 {
            // SAFETY: the decoder filled the system-buffer variant of the union.
            let sb = unsafe { info.UsrData.sSystemBuffer };
            let y = if dst[0].is_null() {
                info.pDst[0]
            } else {
                dst[0]
            };
            self.deliver(
                picture(
                    y,
                    sb.iStride[0],
                    sb.iWidth,
                    sb.iHeight,
                    info.uiOutYuvTimeStamp,
                ),
                want,
                on_frame,
            )?;
        }
        Ok(state)
    }

    fn deliver(
        &mut self,
        pic: Option<RawPicture>,
        want: &mut dyn FnMut(i64) -> bool,
        on_frame: &mut dyn FnMut(LumaFrame) -> bool,
    ) -> Result<(), BuiltinError> {
        let Some(pic) = pic else { return Ok(()) };
        if self.stop {
            return Ok(());
        }
        // Map the picture back to its sample: OpenH264 carries the input timestamp (sample
        // index + 1) through reordering; if that is ever lost, take the smallest pending PTS.
        let idx = usize::try_from(pic.timestamp)
            .ok()
            .and_then(|t| t.checked_sub(1));
        let pts = match idx {
            Some(i) if i < self.emitted.len() && self.pending.remove(&(self.pts[i], i)) => {
                self.emitted[i] = true;
                self.pts[i]
            }
            Some(i) if i < self.emitted.len() && self.emitted[i] => return Ok(()), // duplicate
            _ => match self.pending.pop_first() {
                Some((p, i)) => {
                    self.emitted[i] = true;
                    p
                }
                None => return Ok(()),
            },
        };
        self.decoded += 1;
        let t_ms = ticks_to_ms(pts.saturating_sub(self.min_pts), self.timescale);
        if !want(t_ms) {
            return Ok(());
        }
        let (w, h) = (pic.width, pic.height);
        check_pixels(w as u32, h as u32, self.max_pixels)?;
        // SAFETY: OpenH264 returned a luma plane of `height` rows of `stride` bytes, of which
        // the first `width` are picture; it stays valid until the next decoder call.
        let y = unsafe { std::slice::from_raw_parts(pic.y, pic.stride * (h - 1) + w) };
        let (dw, dh) = scaled_size(w as u32, h as u32, self.max_side);
        let scaled = self
            .scaler
            .scale(y, pic.stride, w, h, dw as usize, dh as usize);
        let (pixels, fw, fh) = rotate(scaled, dw as usize, dh as usize, self.rotation);
        let frame = LumaFrame {
            t_ms,
            width: fw as u32,
            height: fh as u32,
            pixels,
        };
        if !on_frame(frame) {
            self.stop = true;
        }
        Ok(())
    }
}

/// Validates the raw picture fields the decoder returned.
fn picture(
    y: *mut c_uchar,
    stride: c_int,
    width: c_int,
    height: c_int,
    timestamp: u64,
) -> Option<RawPicture> {
    if y.is_null() || width <= 0 || height <= 0 || stride < width {
        return None;
    }
    Some(RawPicture {
        y: y.cast_const(),
        stride: stride as usize,
        width: width as usize,
        height: height as usize,
        timestamp,
    })
}

/// True when the length-prefixed (`nal_len_size` bytes, big-endian) NAL units of `sample`
/// include an IDR slice (NAL unit type 5, ITU-T H.264 7.4.1.2): a picture that decodes
/// without any earlier one.
pub(super) fn has_idr_slice(sample: &[u8], nal_len_size: usize) -> bool {
    let mut at = 0usize;
    while at + nal_len_size < sample.len() {
        let len = sample[at..at + nal_len_size]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | b as usize);
        let start = at + nal_len_size;
        if len == 0 || start >= sample.len() {
            return false;
        }
        if sample[start] & 0x1f == 5 {
            return true;
        }
        at = start.saturating_add(len);
    }
    false
}

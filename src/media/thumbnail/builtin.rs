//! Thumbnails of H.264/MP4 videos with the embedded decoder (grey pictures: it gives
//! luminance only), decoding the file once for all the times asked.

use super::{fit, ThumbnailOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::media::video::openh264::{decode_mp4, probe_mp4};
use image::RgbImage;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Decodes the file once with the embedded decoder; takes, for each time, the first frame at
/// or after it (within half a frame).
pub(super) fn builtin_frames(
    path: &Path,
    times_ms: &[i64],
    options: &ThumbnailOptions,
) -> Vec<Result<RgbImage>> {
    let info = match probe_mp4(path) {
        Ok(i) if i.has_video => i,
        Ok(_) => {
            return times_ms
                .iter()
                .map(|_| {
                    Err(Error::new(
                        ErrorKind::NoVideoStream,
                        "no video stream in this file",
                    ))
                })
                .collect()
        }
        Err(e) => {
            let e = Error::from(e);
            return times_ms
                .iter()
                .map(|_| Err(Error::new(e.kind, e.message.clone())))
                .collect();
        }
    };
    let frame_ms = info
        .duration_ms
        .checked_div(info.frame_count)
        .map_or(40, |ms| ms.max(1) as i64);
    let last = (info.duration_ms as i64 - frame_ms).max(0);
    let targets: Vec<i64> = times_ms
        .iter()
        .map(|&t| t.clamp(0, last) - frame_ms / 2)
        .collect();
    let mut found: Vec<Option<RgbImage>> = vec![None; times_ms.len()];
    let mut latest: Option<RgbImage> = None;
    let max_side = options.max_side;
    let result = {
        let pending = |found: &[Option<RgbImage>], t: i64| {
            targets
                .iter()
                .zip(found)
                .any(|(&target, f)| f.is_none() && t >= target)
        };
        let found_ref = std::cell::RefCell::new(&mut found);
        let mut want = |t: i64| pending(&found_ref.borrow(), t);
        let mut on_frame = |frame: crate::media::video::openh264::LumaFrame| {
            let gray = RgbImage::from_fn(frame.width, frame.height, |x, y| {
                let v = frame.pixels[(y * frame.width + x) as usize] as f32;
                let v = ((v - 16.0) * (255.0 / 219.0)).clamp(0.0, 255.0) as u8;
                image::Rgb([v, v, v])
            });
            let mut found = found_ref.borrow_mut();
            for (slot, &target) in found.iter_mut().zip(&targets) {
                if slot.is_none() && frame.t_ms >= target {
                    *slot = Some(gray.clone());
                }
            }
            latest = Some(gray);
            found.iter().any(Option::is_none)
        };
        catch_unwind(AssertUnwindSafe(|| {
            decode_mp4(
                path,
                max_side,
                options.limits.max_pixels,
                &mut want,
                &mut on_frame,
            )
        }))
    };
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(Error::from(e)),
        Err(_) => Some(Error::new(
            ErrorKind::Decode,
            "the embedded decoder failed on malformed data",
        )),
    };
    found
        .into_iter()
        .zip(times_ms)
        .map(|(f, &t)| match (f, &error) {
            (Some(img), _) => Ok(fit(img, max_side)),
            (None, Some(e)) => Err(Error::new(e.kind, e.message.clone())),
            (None, None) => latest.clone().map(|i| fit(i, max_side)).ok_or_else(|| {
                Error::new(ErrorKind::Decode, format!("no frame decoded near {t} ms"))
            }),
        })
        .collect()
}

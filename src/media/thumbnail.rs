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
use crate::media::sniff::{self, Sniffed};
use crate::media::video::openh264::{decode_mp4, probe_mp4, BuiltinError};
use crate::media::video::{ffmpeg, DecoderChoice};
use image::{DynamicImage, ImageFormat, ImageReader, RgbImage};
use std::io::{BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
}

impl Default for ThumbnailOptions {
    fn default() -> Self {
        ThumbnailOptions {
            max_side: DEFAULT_MAX_SIDE,
            decoder: DecoderChoice::Auto,
            limits: Limits::default(),
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
    let sniffed = match check_and_sniff(path, &options.limits) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let use_ffmpeg = match options.decoder {
        DecoderChoice::Builtin => false,
        _ => ffmpeg::available(),
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

fn check_and_sniff(path: &Path, limits: &Limits) -> Result<Sniffed> {
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
    Ok(sniff::sniff(&head, extension.as_deref()))
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
            flatten(&img.to_rgba8())
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

/// Composites transparent pixels onto white.
fn flatten(rgba: &image::RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = p[3] as u32;
        image::Rgb([0, 1, 2].map(|c| ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8))
    })
}

/// Runs ffmpeg with `args`; returns its standard output and log, or an error with its last
/// log line.
fn run_ffmpeg(args: &[std::ffi::OsString], timeout: Duration) -> Result<(Vec<u8>, String)> {
    let mut child = Command::new("ffmpeg")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot run ffmpeg: {e}")))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(4 << 20).read_to_end(&mut buf);
        }
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("cannot wait for ffmpeg: {e}"),
                ))
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        None => Err(Error::new(
            ErrorKind::Timeout,
            format!("ffmpeg ran longer than {} s", timeout.as_secs()),
        )),
        Some(s) if !s.success() => {
            let log = String::from_utf8_lossy(&stderr);
            let last = log
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "ffmpeg could not take a picture: {}",
                    crate::paths::escape_bytes(last.trim().as_bytes())
                ),
            ))
        }
        Some(_) => Ok((stdout, String::from_utf8_lossy(&stderr).into_owned())),
    }
}

fn ffmpeg_frame(path: &Path, t_ms: i64, options: &ThumbnailOptions) -> Result<RgbImage> {
    let side = options.max_side.max(16);
    let mut input = std::ffi::OsString::from("file:");
    input.push(path.as_os_str());
    let seek = |flag: &str, value: String| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = ["-nostdin", "-v", "error", flag]
            .iter()
            .map(Into::into)
            .collect();
        a.push(value.into());
        a.push("-i".into());
        a.push(input.clone());
        for s in [
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-an",
            "-sn",
            "-vf",
            &format!("scale=w={side}:h={side}:force_original_aspect_ratio=decrease"),
            "-f",
            "image2pipe",
            "-vcodec",
            "png",
            "-",
        ] {
            a.push(s.into());
        }
        a
    };
    let timeout = Duration::from_secs(options.limits.decode_timeout_s.max(1));
    let t = format!("{:.3}", t_ms.max(0) as f64 / 1000.0);
    let mut png = run_ffmpeg(&seek("-ss", t), timeout)?.0;
    if png.is_empty() {
        // Past the end: take the last frame.
        png = run_ffmpeg(&seek("-sseof", "-0.5".into()), timeout)?.0;
    }
    if png.is_empty() {
        return Err(Error::new(
            ErrorKind::Decode,
            format!("ffmpeg gave no picture at {t_ms} ms"),
        ));
    }
    let img = image::load_from_memory_with_format(&png, ImageFormat::Png).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!("cannot read ffmpeg's picture: {e}"),
        )
    })?;
    Ok(fit(img.to_rgb8(), options.max_side))
}

/// Asked times closer than this to each other are taken in one ffmpeg run that decodes the
/// stretch between them; farther apart, each is a seek of its own. A seek decodes from the
/// keyframe before the time (up to seconds of HEVC at 1440p: ~1.3 s a picture); one run
/// through 30 s costs about as much as a few seeks.
const ONE_RUN_GAP_MS: i64 = 30_000;

/// Pictures at `times_ms` with ffmpeg: nearby times in one run, the others one seek each.
fn ffmpeg_frames(
    path: &Path,
    times_ms: &[i64],
    options: &ThumbnailOptions,
) -> Vec<Result<RgbImage>> {
    let mut order: Vec<usize> = (0..times_ms.len()).collect();
    order.sort_by_key(|&i| times_ms[i]);
    let mut out: Vec<Option<Result<RgbImage>>> = (0..times_ms.len()).map(|_| None).collect();
    let mut group: Vec<usize> = Vec::new();
    let flush = |group: &mut Vec<usize>, out: &mut Vec<Option<Result<RgbImage>>>| {
        if group.len() > 1 {
            let times: Vec<i64> = group.iter().map(|&i| times_ms[i].max(0)).collect();
            if let Ok(pictures) = ffmpeg_run(path, &times, options) {
                for (&i, p) in group.iter().zip(pictures) {
                    out[i] = p.map(Ok);
                }
            }
        }
        for &i in group.iter() {
            if out[i].is_none() {
                out[i] = Some(ffmpeg_frame(path, times_ms[i], options));
            }
        }
        group.clear();
    };
    for &i in &order {
        if let Some(&last) = group.last() {
            if times_ms[i] - times_ms[last] > ONE_RUN_GAP_MS {
                flush(&mut group, &mut out);
            }
        }
        group.push(i);
    }
    flush(&mut group, &mut out);
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "picture not taken"))))
        .collect()
}

/// One ffmpeg run from just before the first of `times_ms` (sorted) to just after the last,
/// keeping for each time the first frame at or after it. `None` for a time with no frame.
fn ffmpeg_run(
    path: &Path,
    times_ms: &[i64],
    options: &ThumbnailOptions,
) -> Result<Vec<Option<RgbImage>>> {
    let side = options.max_side.max(16);
    let start_ms = (times_ms[0] - 500).max(0);
    let targets: Vec<f64> = times_ms
        .iter()
        .map(|&t| (t - start_ms) as f64 / 1000.0)
        .collect();
    let select: Vec<String> = targets
        .iter()
        .map(|a| format!("gte(t\\,{a:.3})*not(gte(prev_selected_t\\,{a:.3}))"))
        .collect();
    let filter = format!(
        "select='{}',scale=w={side}:h={side}:force_original_aspect_ratio=decrease,showinfo",
        select.join("+")
    );
    let span = (times_ms[times_ms.len() - 1] - start_ms) as f64 / 1000.0 + 2.0;
    let mut input = std::ffi::OsString::from("file:");
    input.push(path.as_os_str());
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    for a in ["-nostdin", "-hide_banner", "-nostats", "-v", "info", "-ss"] {
        args.push(a.into());
    }
    args.push(format!("{:.3}", start_ms as f64 / 1000.0).into());
    args.push("-t".into());
    args.push(format!("{span:.3}").into());
    args.push("-i".into());
    args.push(input);
    for a in [
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-fps_mode",
        "passthrough",
        "-vf",
        &filter,
        "-f",
        "image2pipe",
        "-vcodec",
        "png",
        "-",
    ] {
        args.push(a.into());
    }
    let timeout = Duration::from_secs(options.limits.decode_timeout_s.max(1));
    let (stdout, log) = run_ffmpeg(&args, timeout)?;
    let times: Vec<f64> = log.lines().filter_map(showinfo_pts).collect();
    let pngs = split_pngs(&stdout);
    if pngs.len() != times.len() {
        return Err(Error::new(
            ErrorKind::Decode,
            format!(
                "ffmpeg gave {} pictures for {} frame times",
                pngs.len(),
                times.len()
            ),
        ));
    }
    let mut pictures: Vec<Option<RgbImage>> = Vec::with_capacity(pngs.len());
    for png in pngs {
        let img = image::load_from_memory_with_format(png, ImageFormat::Png).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("cannot read ffmpeg's picture: {e}"),
            )
        })?;
        pictures.push(Some(fit(img.to_rgb8(), options.max_side)));
    }
    Ok(targets
        .iter()
        .map(|&a| {
            times
                .iter()
                .position(|&t| t >= a - 0.0005)
                .and_then(|k| pictures[k].clone())
        })
        .collect())
}

/// The `pts_time:` of a `showinfo` frame line.
fn showinfo_pts(line: &str) -> Option<f64> {
    if !line.contains("Parsed_showinfo") {
        return None;
    }
    let rest = &line[line.find("pts_time:")? + "pts_time:".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Splits concatenated PNG files (ffmpeg's `image2pipe` output) at their `IEND` chunks.
fn split_pngs(mut bytes: &[u8]) -> Vec<&[u8]> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let mut out = Vec::new();
    while bytes.starts_with(SIGNATURE) {
        let mut at = SIGNATURE.len();
        let mut complete = false;
        while at + 12 <= bytes.len() {
            let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
                as usize;
            let kind = &bytes[at + 4..at + 8];
            at = match at.checked_add(12 + len) {
                Some(next) if next <= bytes.len() => next,
                _ => break,
            };
            if kind == b"IEND" {
                complete = true;
                break;
            }
        }
        if !complete {
            break;
        }
        out.push(&bytes[..at]);
        bytes = &bytes[at..];
    }
    out
}

fn builtin_error(e: BuiltinError) -> Error {
    let kind = match e {
        BuiltinError::NoVideoStream => ErrorKind::NoVideoStream,
        BuiltinError::Unsupported(_) => ErrorKind::Unsupported,
        BuiltinError::Truncated(_) => ErrorKind::Truncated,
        BuiltinError::TooLarge { .. } => ErrorKind::TooLarge,
        BuiltinError::Io(_) => ErrorKind::Io,
        _ => ErrorKind::Decode,
    };
    Error::new(kind, e.to_string())
}

/// Decodes the file once with the embedded decoder; takes, for each time, the first frame at
/// or after it (within half a frame).
fn builtin_frames(
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
            let e = builtin_error(e);
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
        Ok(Err(e)) => Some(builtin_error(e)),
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
        if !ffmpeg::available() {
            return;
        }
        let options = ThumbnailOptions {
            max_side: 160,
            ..ThumbnailOptions::default()
        };
        let path = samples().join("references/v_intel_person.mp4");
        let one_run = ffmpeg_run(&path, &[40_000, 41_000, 45_000], &options).unwrap();
        assert!(one_run.iter().all(Option::is_some));
        let times = [40_000, 41_000, 45_000, 100_000, 90_000];
        let runs = frames_at(&path, &times, &options);
        for (t, run) in times.iter().zip(runs) {
            let run = run.unwrap();
            let seek = ffmpeg_frame(&path, *t, &options).unwrap();
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

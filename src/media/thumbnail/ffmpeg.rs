//! Thumbnails of videos with the ffmpeg command-line tool: one seek per far-apart time, one
//! run through the stretch between nearby times, pictures piped back as PNG.

use super::{fit, ThumbnailOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::media::video::ffmpeg::{tool_command, FfmpegBackend, INPUT_OPTIONS};
use crate::media::video::VideoBackend;
use image::{ImageFormat, RgbImage};
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// ffmpeg's `-map` for the video stream the scan hashed: `stream` when given (the report's
/// [`crate::report::QueryReport::video_stream`]), else [`FfmpegBackend`]'s probe (not a decoy
/// stream placed first); the first video stream when the probe fails.
fn video_map(path: &Path, stream: Option<u64>) -> String {
    if let Some(stream) = stream {
        return format!("0:{stream}");
    }
    match FfmpegBackend.probe(path, None) {
        Ok(info) => format!("0:{}", info.stream_index),
        Err(_) => "0:v:0".to_string(),
    }
}

/// Runs ffmpeg with `args`; returns its standard output and log, or an error with its last
/// log line.
fn run_ffmpeg(args: &[std::ffi::OsString], timeout: Duration) -> Result<(Vec<u8>, String)> {
    let mut child = tool_command("ffmpeg")
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

pub(super) fn ffmpeg_frame(path: &Path, t_ms: i64, options: &ThumbnailOptions) -> Result<RgbImage> {
    let side = options.max_side.max(16);
    let mut input = std::ffi::OsString::from("file:");
    input.push(path.as_os_str());
    let seek = |flag: &str, value: String| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = ["-nostdin", "-v", "error", flag]
            .iter()
            .map(Into::into)
            .collect();
        a.push(value.into());
        a.extend(INPUT_OPTIONS.iter().map(Into::into));
        a.push("-i".into());
        a.push(input.clone());
        a.push("-map".into());
        a.push(video_map(path, options.video_stream).into());
        for s in [
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
pub(super) fn ffmpeg_frames(
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
pub(super) fn ffmpeg_run(
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
    args.extend(INPUT_OPTIONS.iter().map(Into::into));
    args.push("-i".into());
    args.push(input);
    args.push("-map".into());
    args.push(video_map(path, options.video_stream).into());
    for a in [
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

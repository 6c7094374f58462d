//! The ffmpeg command-line backend: `ffprobe` reads the header (JSON), `ffmpeg` decodes,
//! selects the sampled frames, scales them to small grey frames and pipes them out raw;
//! the `showinfo` filter reports each frame's PTS on stderr.
//!
//! ffmpeg applies the display-matrix rotation itself (autorotate). A watchdog kills a decoder
//! that runs past [`Limits::decode_timeout_s`].

use super::{fit_for_hashing, VideoBackend, VideoInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::hash::Picture;
use crate::limits::Limits;
use crate::media::Frame;
use crate::sampler::SamplePlan;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Decodes with the ffmpeg / ffprobe tools found on PATH.
#[derive(Debug, Default, Clone)]
pub struct FfmpegBackend;

/// True when both `ffmpeg` and `ffprobe` run.
pub fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        ["ffmpeg", "ffprobe"].iter().all(|tool| {
            Command::new(tool)
                .arg("-version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        })
    })
}

/// A command running `tool` (ffmpeg or ffprobe) on an upload. On Linux the child is killed
/// when the thread that started it ends (`PR_SET_PDEATHSIG`): a scan stopped by SIGTERM or
/// SIGKILL leaves no decoder running on (the thread waits for its child in every use).
pub(crate) fn tool_command(tool: &str) -> Command {
    #[allow(unused_mut)]
    let mut cmd = Command::new(tool);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs between fork and exec and only calls prctl, which is
        // async-signal-safe; it allocates nothing and touches no lock.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    cmd
}

/// The input argument for ffmpeg / ffprobe: `file:` + the path's bytes, so that a name is
/// never read as an option (`-x.mp4`) or as another protocol (`concat:`, `http:`, `pipe:`).
pub(crate) fn input_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path.as_os_str());
    arg
}

/// ffmpeg's log with the input's name taken out (the report carries the path, escaped) and
/// whatever is left escaped, so that a message never holds raw control or bidi characters.
fn scrub(log: &str, path: &Path) -> String {
    let name = path.to_string_lossy();
    let mut text = log.to_string();
    if !name.is_empty() {
        for prefixed in [format!("file:{name}"), name.to_string()] {
            text = text.replace(&format!("{prefixed}: "), "");
            text = text.replace(&prefixed, "<input>");
        }
    }
    crate::paths::escape_bytes(text.as_bytes())
}

/// Maps ffmpeg's words for a broken input to an error kind and message.
fn classify(stderr: &str, path: &Path) -> Error {
    let lower = stderr.to_lowercase();
    // ffmpeg ends a failed run with generic lines ("Conversion failed!"); the cause is the
    // last line before them.
    let generic = |l: &str| {
        let l = l.trim().to_lowercase();
        l.is_empty()
            || l.starts_with("conversion failed")
            || l.starts_with("error marking filters as finished")
            || l.starts_with("nothing was written into output file")
    };
    let last = stderr
        .lines()
        .rev()
        .find(|l| !generic(l))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string();
    let last = scrub(&last, path);
    let cut_short = lower.contains("moov atom not found")
        || lower.contains("end of file")
        || says_cut_short(&lower);
    let recognised = || {
        !matches!(
            crate::media::sniff::sniff_path(path),
            Some(crate::media::sniff::Sniffed::Unknown)
        )
    };
    if cut_short && !recognised() {
        // ffmpeg picks a demuxer by the name (.mp4 -> MP4, which then misses its index): a
        // file whose first bytes are no container at all is not a cut-short video.
        Error::new(
            ErrorKind::Decode,
            format!(
                "not a video: the file's first bytes match no known video or image format ({last})"
            ),
        )
    } else if cut_short {
        Error::new(
            ErrorKind::Truncated,
            format!("truncated or unreadable container: {last}"),
        )
    } else if lower.contains("invalid argument") && !recognised() {
        // The demuxer ffmpeg guessed is not in ALLOWED_DEMUXERS: a playlist, a file list or
        // another text file named as a video.
        Error::new(
            ErrorKind::Decode,
            format!(
                "not a video: the file's first bytes match no known video or image format, and ffmpeg reads media containers only, never playlists or file lists ({last})"
            ),
        )
    } else if lower.contains("cannot allocate memory") {
        Error::new(
            ErrorKind::TooLarge,
            format!(
                "ffmpeg refused the file: more than {MAX_STREAMS} streams, or more memory than it could get ({last})"
            ),
        )
    } else if lower.contains("no such file") || lower.contains("permission denied") {
        Error::new(ErrorKind::Io, last)
    } else if lower.contains("decoder not found") || lower.contains("unknown codec") {
        Error::new(ErrorKind::Unsupported, format!("unsupported codec: {last}"))
    } else {
        Error::new(
            ErrorKind::Decode,
            format!("ffmpeg cannot read this file: {last}"),
        )
    }
}

fn json_u64(v: &serde_json::Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .map(|f| f as u64)
    })
}

fn json_f64(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The video streams of a probe, cover art left out: (stream index, its JSON), in file order.
fn video_streams(probe: &serde_json::Value) -> Vec<(u64, &serde_json::Value)> {
    probe["streams"]
        .as_array()
        .map(|streams| {
            streams
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s["codec_type"] == "video"
                        && s["disposition"]["attached_pic"].as_u64() != Some(1)
                })
                .map(|(i, s)| (json_u64(&s["index"]).unwrap_or(i as u64), s))
                .collect()
        })
        .unwrap_or_default()
}

/// The video stream ffmpeg itself would choose (fftools `map_auto_video`), cover art left
/// out: the largest picture area in pixels, plus 5,000,000 for the default stream; the first
/// of equals. A small decoy stream placed first does not hide the copy players show.
/// (stream index, its JSON).
fn pick_video_stream(probe: &serde_json::Value) -> Option<(u64, &serde_json::Value)> {
    let score = |s: &serde_json::Value| {
        let area = json_u64(&s["width"]).unwrap_or(0) * json_u64(&s["height"]).unwrap_or(0);
        let default = s["disposition"]["default"].as_u64() == Some(1);
        area + if default { 5_000_000 } else { 0 }
    };
    video_streams(probe)
        .into_iter()
        .enumerate()
        .max_by_key(|&(position, (_, s))| (score(s), std::cmp::Reverse(position)))
        .map(|(_, stream)| stream)
}

/// Demuxers ffmpeg may use on an upload (`-format_whitelist`): media containers and raw video
/// streams. Playlists and other indirections (HLS, concat, image sequences) are refused: a
/// 62-byte text file named `.mp4` made ffmpeg read other files on the disk as the upload, or
/// wait minutes on a live playlist.
const ALLOWED_DEMUXERS: &str = "mov,matroska,avi,flv,live_flv,mpegts,mpeg,mpegvideo,asf,ogg,ivf,h264,hevc,m4v,yuv4mpegpipe,rm,nut,mxf,dv,obu,vc1,h263,wtv";

/// Most streams a file may have (`-max_streams`), audio and subtitles included: a 1.7 MB MP4
/// of 999 video tracks took ffprobe 6.6 GB; 128 tracks take about 250 MB. Film rips carry 20+
/// subtitle tracks, so the bound is well above that.
const MAX_STREAMS: &str = "64";

/// The input options every ffmpeg / ffprobe run on an upload takes before its input:
/// [`ALLOWED_DEMUXERS`] and [`MAX_STREAMS`].
pub(crate) const INPUT_OPTIONS: [&str; 4] = [
    "-format_whitelist",
    ALLOWED_DEMUXERS,
    "-max_streams",
    MAX_STREAMS,
];

/// Seconds of a Matroska `DURATION` tag, `HH:MM:SS.fraction` (the video stream's own
/// length: the container's may be a subtitle track's, seconds longer).
fn clock_seconds(text: &str) -> Option<f64> {
    let mut parts = text.trim().splitn(3, ':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    let total = hours * 3600.0 + minutes * 60.0 + seconds;
    (total.is_finite() && total >= 0.0).then_some(total)
}

/// The ffmpeg filters (ending in a comma, or empty) that turn a decoded picture clockwise by
/// `degrees` (0, 90, 180 or 270).
fn turn_filter(degrees: u32) -> &'static str {
    match degrees {
        90 => "transpose=clock,",
        180 => "hflip,vflip,",
        270 => "transpose=cclock,",
        _ => "",
    }
}

/// The display matrix's clockwise rotation (0, 90, 180, 270): other angles are not applied
/// ([`super::right_angle`]).
fn rotation_of(stream: &serde_json::Value) -> u32 {
    let from_side_data = stream["side_data_list"]
        .as_array()
        .and_then(|list| list.iter().find_map(|sd| json_f64(&sd["rotation"])));
    let from_tag = json_f64(&stream["tags"]["rotate"]).map(|r| -r);
    // ffprobe's side-data rotation is counter-clockwise; the legacy tag is clockwise.
    let ccw = from_side_data.or(from_tag).unwrap_or(0.0);
    super::right_angle(-ccw)
}

impl FfmpegBackend {
    fn probe_json(&self, path: &Path) -> Result<serde_json::Value> {
        let out = tool_command("ffprobe")
            .args(["-v", "error"])
            .args(INPUT_OPTIONS)
            .arg("-show_entries")
            .arg("stream=index,codec_type,codec_name,width,height,duration:stream_disposition=attached_pic,default:stream_side_data=rotation:stream_tags=rotate,DURATION:format=duration,format_name")
            .args(["-of", "json"])
            .arg(input_arg(path))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::new(ErrorKind::Unsupported, format!("cannot run ffprobe: {e}")))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(classify(&stderr, path));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| Error::new(ErrorKind::Decode, format!("unreadable ffprobe output: {e}")))
    }
}

impl VideoBackend for FfmpegBackend {
    fn name(&self) -> &'static str {
        "ffmpeg"
    }

    fn probe(&self, path: &Path, stream: Option<u64>) -> Result<VideoInfo> {
        let probe = self.probe_json(path)?;
        let chosen = match stream {
            None => pick_video_stream(&probe),
            Some(wanted) => video_streams(&probe)
                .into_iter()
                .find(|&(index, _)| index == wanted),
        };
        let (stream_index, stream) = chosen.ok_or_else(|| match stream {
            None => Error::new(ErrorKind::NoVideoStream, "no video stream in this file"),
            Some(wanted) => Error::new(
                ErrorKind::NoVideoStream,
                format!("stream {wanted} of this file is not a video stream"),
            ),
        })?;
        let other_streams = video_streams(&probe)
            .into_iter()
            .map(|(index, _)| index)
            .filter(|&index| index != stream_index)
            .collect();
        let rotation = rotation_of(stream);
        let (mut width, mut height) = (
            json_u64(&stream["width"]).unwrap_or(0) as u32,
            json_u64(&stream["height"]).unwrap_or(0) as u32,
        );
        if rotation % 180 == 90 {
            std::mem::swap(&mut width, &mut height);
        }
        let duration_s = json_f64(&stream["duration"])
            .or_else(|| stream["tags"]["DURATION"].as_str().and_then(clock_seconds))
            .or_else(|| json_f64(&probe["format"]["duration"]))
            .unwrap_or(0.0);
        Ok(VideoInfo {
            width,
            height,
            duration_ms: (duration_s.max(0.0) * 1000.0).round() as u64,
            rotation_degrees: rotation,
            codec: stream["codec_name"]
                .as_str()
                .unwrap_or("unknown")
                .to_string(),
            stream_index,
            other_streams,
        })
    }

    fn decode(
        &self,
        path: &Path,
        info: &VideoInfo,
        plan: SamplePlan,
        max_side: u32,
        limits: &Limits,
        on_frame: &mut dyn FnMut(Frame) -> bool,
    ) -> Result<u64> {
        let index = info.stream_index;
        let (w, h) = fit_for_hashing(info.width, info.height, max_side);
        let select = match plan {
            SamplePlan::IntervalMs(ms) => format!(
                "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{:.3})',",
                (ms as f64 - 8.0).max(1.0) / 1000.0
            ),
            // -skip_frame below; decoders that ignore it (libvpx) are filtered to intra frames.
            SamplePlan::Keyframes => "select='eq(pict_type\\,I)',".to_string(),
        };
        let filter = format!(
            "{select}{}scale={w}:{h}:flags=area,format=gray,showinfo",
            turn_filter(info.rotation_degrees)
        );
        let mut cmd = tool_command("ffmpeg");
        cmd.args([
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-v",
            "info",
            "-threads",
            "2",
        ]);
        if plan == SamplePlan::Keyframes {
            cmd.args(["-skip_frame", "nokey"]);
        }
        // The display matrix is applied by `turn_filter`, at the right angle nearest to it,
        // as players show it: ffmpeg's own autorotate turns a 45° matrix by 45°.
        cmd.args(INPUT_OPTIONS)
            .arg("-noautorotate")
            .arg("-i")
            .arg(input_arg(path))
            .args(["-map", &format!("0:{index}"), "-an", "-sn", "-dn"])
            .args(["-fps_mode", "passthrough", "-vf", &filter])
            .args(["-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::new(ErrorKind::Unsupported, format!("cannot run ffmpeg: {e}")))?;
        let mut stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let child = Arc::new(Mutex::new(child));

        // stderr: frame times from showinfo, the rest kept for error messages.
        let (pts_tx, pts_rx) = mpsc::channel::<f64>();
        let log = Arc::new(Mutex::new(String::new()));
        let log_writer = Arc::clone(&log);
        let cut_short = Arc::new(AtomicBool::new(false));
        let cut_short_writer = Arc::clone(&cut_short);
        let reader = std::thread::spawn(move || {
            // Bytes, not `lines()`: ffmpeg echoes names and metadata that need not be UTF-8,
            // and the pipe must be drained to the end or ffmpeg blocks.
            for line in BufReader::new(stderr).split(b'\n').map_while(|l| l.ok()) {
                let line = String::from_utf8_lossy(&line);
                let line = line.trim_end_matches('\r');
                if let Some(t) = parse_showinfo_pts(line) {
                    let _ = pts_tx.send(t);
                } else if !line.contains("showinfo") {
                    if says_cut_short(line) {
                        cut_short_writer.store(true, Ordering::Relaxed);
                    }
                    let mut log = log_writer.lock().unwrap_or_else(|e| e.into_inner());
                    if log.len() < 16_384 {
                        log.push_str(line);
                        log.push('\n');
                    }
                }
            }
        });

        // Watchdog: kill the decoder when it runs past the time limit.
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let watched = Arc::clone(&child);
        let timeout = Duration::from_secs(limits.decode_timeout_s.max(1));
        let watchdog = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
                let _ = watched.lock().unwrap_or_else(|e| e.into_inner()).kill();
                return true;
            }
            false
        });

        let frame_bytes = (w * h) as usize;
        let mut buf = vec![0u8; frame_bytes];
        let mut delivered = 0u64;
        let mut first_pts: Option<f64> = None;
        let mut stopped_early = false;
        let mut limit_error = None;
        while read_full(&mut stdout, &mut buf) {
            let pts = pts_rx.recv_timeout(Duration::from_secs(30)).ok();
            let pts = pts.unwrap_or(delivered as f64 * 0.04);
            let first = *first_pts.get_or_insert(pts);
            let t_ms = ((pts - first) * 1000.0).round() as i64;
            if delivered >= limits.max_frames {
                limit_error = Some(Error::new(
                    ErrorKind::TooLarge,
                    format!("more than {} frames sampled (limit)", limits.max_frames),
                ));
                break;
            }
            delivered += 1;
            if !on_frame(Frame {
                t_ms,
                picture: Picture::from_gray8(w, h, &buf),
                lightness: None,
            }) {
                stopped_early = true;
                break;
            }
        }
        if stopped_early || limit_error.is_some() {
            let _ = child.lock().unwrap_or_else(|e| e.into_inner()).kill();
        }
        drop(stdout);
        let status = child.lock().unwrap_or_else(|e| e.into_inner()).wait();
        let _ = done_tx.send(());
        let timed_out = watchdog.join().unwrap_or(false);
        let _ = reader.join();
        if let Some(err) = limit_error {
            return Err(err);
        }
        if timed_out {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("decoder killed after {} s (limit)", limits.decode_timeout_s),
            ));
        }
        let ok = status.map(|s| s.success()).unwrap_or(false);
        if !stopped_early && cut_short.load(Ordering::Relaxed) {
            // As the builtin decoder does: a file cut short is an error, not a silent
            // partial fingerprint.
            return Err(Error::new(
                ErrorKind::Truncated,
                format!(
                    "truncated or unreadable container: the file is cut short (its data ends before the end its header describes; {delivered} sampled frames were readable)"
                ),
            ));
        }
        if !ok && !stopped_early && delivered == 0 {
            let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
            return Err(classify(&log, path));
        }
        Ok(delivered)
    }
}

/// True for the demuxers' words for a file whose data ends early (MP4/MOV: "partial file",
/// Matroska/WebM: "File ended prematurely").
fn says_cut_short(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.contains("partial file")
        || lower.contains("file ended prematurely")
        // A stream whose format is still unknown at the end of the file: not one frame in it
        // (a fragmented MP4 cut before its first fragment).
        || lower.contains("after eof")
}

/// Reads exactly `buf.len()` bytes; false at end of stream (a partial last frame is dropped).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> bool {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => return false,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// The `pts_time:` of a `showinfo` frame line.
fn parse_showinfo_pts(line: &str) -> Option<f64> {
    if !line.contains("Parsed_showinfo") {
        return None;
    }
    let rest = &line[line.find("pts_time:")? + "pts_time:".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matroska_duration_tags_are_read() {
        assert_eq!(clock_seconds("00:01:00.000000000"), Some(60.0));
        assert_eq!(clock_seconds("01:02:03.5"), Some(3723.5));
        assert_eq!(clock_seconds("bad"), None);
        assert_eq!(clock_seconds("00:-1:00"), None);
    }

    /// ffmpeg's "moov atom not found" for a text file named .mp4 is no truncation; for a file
    /// that starts as an MP4 it is.
    #[test]
    fn a_file_that_is_no_container_is_not_called_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let log = "[mov,mp4 @ 0x1] moov atom not found\nfile:x.mp4: Invalid data found when processing input\n";
        let text = dir.path().join("notes.mp4");
        std::fs::write(&text, "just some text, not a video\n").unwrap();
        let e = classify(log, &text);
        assert_eq!(e.kind, ErrorKind::Decode, "{}", e.message);
        assert!(e.message.starts_with("not a video"), "{}", e.message);
        let cut = dir.path().join("cut.mp4");
        std::fs::write(&cut, b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2\0\0\0\x08mdat").unwrap();
        assert_eq!(classify(log, &cut).kind, ErrorKind::Truncated);
    }

    #[test]
    fn failure_is_named_by_its_cause_not_by_the_closing_line() {
        let path = Path::new("clip.mp4");
        let log = "[mov @ 0x1] stream 0, offset 0x30: partial file\nConversion failed!\n";
        let e = classify(log, path);
        assert_eq!(e.kind, ErrorKind::Truncated);
        assert!(e.message.ends_with("partial file"), "{}", e.message);
        // No frame before the end of a fragmented MP4 cut before its first fragment.
        let log = "Cannot determine format of input stream 0:0 after EOF\n\
                   Error marking filters as finished\nConversion failed!\n";
        let e = classify(log, path);
        assert_eq!(e.kind, ErrorKind::Truncated);
        assert!(e.message.contains("after EOF"), "{}", e.message);
        let e = classify("Conversion failed!\n", path);
        assert_eq!(e.kind, ErrorKind::Decode);
        assert!(e.message.ends_with("Conversion failed!"), "{}", e.message);
    }

    #[test]
    fn parses_showinfo_line() {
        let line = "[Parsed_showinfo_3 @ 0x5581] n:   2 pts:  12800 pts_time:0.5     duration:512 fmt:gray";
        assert_eq!(parse_showinfo_pts(line), Some(0.5));
        assert_eq!(parse_showinfo_pts("frame= 1"), None);
    }

    #[test]
    fn rotation_from_side_data() {
        let s: serde_json::Value =
            serde_json::from_str(r#"{"side_data_list":[{"rotation":-90}]}"#).unwrap();
        assert_eq!(rotation_of(&s), 90);
        let s: serde_json::Value = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(rotation_of(&s), 0);
        // A matrix at 45° or 89.5°: upright, and a right angle within 1°.
        for (ccw, expected) in [
            (-45.0, 0),
            (135.0, 0),
            (-89.5, 90),
            (90.0, 270),
            (180.0, 180),
        ] {
            let s = serde_json::json!({"side_data_list": [{"rotation": ccw}]});
            assert_eq!(rotation_of(&s), expected, "{ccw}");
        }
    }
}

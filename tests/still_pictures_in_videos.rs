//! Videos that show still pictures: one picture held for 10 s as a single frame (a photo
//! posted as a video, a still of a film), which variable-frame-rate encoders and `mpdecimate`
//! produce: a held frame counts for the time it is shown. And a photo cropped to fill a 9:16
//! video at 25 fps: a video showing one picture throughout is matched as a photo too.

mod common;

use swordnet::media::video::DecoderChoice;
use swordnet::verdict::VerdictKind;

/// Writes `out`: the picture `input`, through `scale` (a filter ending in `,`, or empty), as
/// one H.264 frame held 10 s.
fn held_ten_seconds(input: &std::path::Path, scale: &str, out: &std::path::Path) {
    common::ffmpeg(&[
        "-loop",
        "1",
        "-i",
        input.to_str().unwrap(),
        "-vf",
        &format!("{scale}fps=1/10"),
        "-t",
        "10",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        out.to_str().unwrap(),
    ]);
}

#[test]
fn a_picture_held_ten_seconds_in_one_frame_is_matched_for_its_time_on_screen() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let photo = common::samples().join("references/p_mdn_tiger.jpg");
    let film = common::samples().join("references/v_intel_bottle.mp4");
    let held_photo = dir.path().join("photo_held.mp4");
    held_ten_seconds(&photo, "scale=640:-2,", &held_photo);
    let still = dir.path().join("still.png");
    common::ffmpeg(&[
        "-ss",
        "5",
        "-i",
        film.to_str().unwrap(),
        "-frames:v",
        "1",
        still.to_str().unwrap(),
    ]);
    let held_still = dir.path().join("still_held.mkv");
    held_ten_seconds(&still, "", &held_still);
    let (_cat_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, &[photo, film], DecoderChoice::Auto);

    let report = engine.judge_file(&held_photo);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let m = &report.matches[0];
    assert_eq!(m.title, "p_mdn_tiger");
    assert!(m.query_start_ms <= 500 && m.query_end_ms >= 9_000, "{m:?}");

    // A still of the film held 10 s: one match over the whole upload (not a piece per
    // slowest line), at the film's 5 s.
    let report = engine.judge_file(&held_still);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    assert_eq!(report.matches.len(), 1, "{:?}", report.matches);
    let m = &report.matches[0];
    assert_eq!(m.title, "v_intel_bottle");
    assert!(m.query_start_ms <= 500 && m.query_end_ms >= 9_000, "{m:?}");
    assert!(
        m.reference_start_ms >= 2_000 && m.reference_end_ms <= 7_000,
        "{m:?}"
    );
}

#[test]
fn a_photo_cropped_to_fill_a_vertical_video_is_matched_as_a_photo() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let photo = common::samples().join("references/p_sk_rocket.jpg");
    let video = |name: &str, input: &[&str], filter: &str| {
        let path = dir.path().join(name);
        let mut args: Vec<&str> = input.to_vec();
        args.extend([
            "-t",
            "6",
            "-r",
            "25",
            "-vf",
            filter,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            path.to_str().unwrap(),
        ]);
        common::ffmpeg(&args);
        path
    };
    let fill = "scale=720:1280:force_original_aspect_ratio=increase,crop=720:1280,format=yuv420p";
    let vertical = video(
        "vertical.mp4",
        &["-loop", "1", "-i", photo.to_str().unwrap()],
        fill,
    );
    // A still picture that is no catalogued work, in the same kind of video.
    let other = video(
        "other.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=640x480:rate=1",
            "-frames:v",
            "1",
        ],
        "format=yuv420p",
    );
    let (_cat_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, &[photo], DecoderChoice::Auto);
    let report = engine.judge_file(&vertical);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let m = &report.matches[0];
    assert_eq!(m.title, "p_sk_rocket");
    assert_eq!(
        (m.query_start_ms, m.query_end_ms),
        (0, report.duration_ms as i64)
    );
    assert!(m.reason.contains("matched as a photo"), "{}", m.reason);
    let report = engine.judge_file(&other);
    assert_eq!(report.verdict, VerdictKind::Clean, "{report:?}");
}

/// A photo under a slow pan (a "Ken Burns" slideshow: a 77 % window sliding across it for
/// 10 s) changes from frame to frame, so it is neither one picture throughout nor close in
/// hash to a fixed crop; the photo is placed by keypoints inside pictures spread over the
/// video. A clean film scanned against the same photos stays clean.
#[test]
fn a_photo_under_a_slow_pan_is_placed_by_keypoints() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let photo = common::samples().join("references/p_sk_rocket.jpg");
    let pan = dir.path().join("pan.mp4");
    common::ffmpeg(&[
        "-loop",
        "1",
        "-i",
        photo.to_str().unwrap(),
        "-vf",
        "scale=1280:-2,zoompan=z=1.3:x='(iw-iw/zoom)*on/250':y='ih/2-(ih/zoom/2)':d=250:s=1280x720:fps=25,format=yuv420p",
        "-frames:v",
        "250",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        pan.to_str().unwrap(),
    ]);
    let (_cat_dir, cat) = common::catalogue();
    let photos = [
        "p_sk_rocket.jpg",
        "p_mdn_tiger.jpg",
        "p_mdn_wave_and_surfer.jpg",
    ]
    .map(|p| common::samples().join("references").join(p));
    let engine = common::engine_over(&cat, &photos, DecoderChoice::Auto);
    let report = engine.judge_file(&pan);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let m = &report.matches[0];
    assert_eq!(m.title, "p_sk_rocket");
    assert!(m.keypoint_inliers.unwrap() >= 20, "{m:?}");
    assert!(m.reason.contains("pictures of the video"), "{}", m.reason);
    assert_eq!((m.query_start_ms, m.query_end_ms), (0, 10_000));
    for clean in ["clean_video_1.mp4", "clean_video_2.mp4"] {
        let report = engine.judge_file(&common::samples().join("queries").join(clean));
        assert_eq!(report.verdict, VerdictKind::Clean, "{report:?}");
    }
}

/// A clip shorter than one sampling step (three frames, 0.1 s, of a film) gives one sampled
/// frame: it is one picture, matched as an image against the film's frames (it was a video
/// with no segment possible, and clean).
#[test]
fn a_clip_of_one_sampled_frame_is_matched_as_a_picture() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let film = common::samples().join("references/v_intel_bottle.mp4");
    let clip = dir.path().join("three_frames.mp4");
    common::ffmpeg(&[
        "-ss",
        "12",
        "-i",
        film.to_str().unwrap(),
        "-frames:v",
        "3",
        "-an",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        clip.to_str().unwrap(),
    ]);
    let (_cat_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, std::slice::from_ref(&film), DecoderChoice::Auto);
    let report = engine.judge_file(&clip);
    assert_eq!(report.media.as_deref(), Some("image"), "{report:?}");
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let m = &report.matches[0];
    assert!((11_500..=12_500).contains(&m.reference_start_ms), "{m:?}");
}

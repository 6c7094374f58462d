//! Containers that try to steer ffmpeg or the embedded decoder away from the copy: a decoy
//! video track placed first, a text playlist named as a video, a file of many streams.

mod common;

use std::path::Path;
use swordnet::error::ErrorKind;
use swordnet::media::video::DecoderChoice;
use swordnet::media::{decode_file, DecodeOptions};

fn options(decoder: DecoderChoice) -> DecodeOptions {
    DecodeOptions {
        decoder,
        ..DecodeOptions::default()
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A small decoy track first (not the default one) and the copy second: both decoders hash
/// the copy, the track ffmpeg and players show.
#[test]
fn a_decoy_track_placed_first_does_not_hide_the_copy() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = common::samples().join("queries/bottle_excerpt.mp4");
    let decoy = dir.path().join("decoy.mp4");
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=10",
        "-t",
        "4",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        path_str(&decoy),
    ]);
    for (container, decoders) in [
        ("mp4", &[DecoderChoice::Auto, DecoderChoice::Builtin][..]),
        ("mkv", &[DecoderChoice::Auto][..]),
    ] {
        let both = dir.path().join(format!("decoy_first.{container}"));
        common::ffmpeg(&[
            "-i",
            path_str(&decoy),
            "-i",
            path_str(&copy),
            "-map",
            "0:v",
            "-map",
            "1:v",
            "-c",
            "copy",
            "-disposition:v:0",
            "0",
            "-disposition:v:1",
            "default",
            path_str(&both),
        ]);
        for &decoder in decoders {
            let info = decode_file(&both, &options(decoder), &mut |_| true).unwrap();
            assert_eq!(
                (info.width, info.height),
                (640, 360),
                "{container} with {decoder:?}"
            );
        }
    }
}

/// HLS and concat playlists named `.mp4` are refused before ffmpeg follows them to other
/// files on the disk (or waits on a live playlist).
#[test]
fn playlists_named_as_videos_are_refused() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = common::samples().join("queries/bottle_excerpt.mp4");
    let target = target.canonicalize().unwrap();
    let playlists = [
        format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:40\n#EXTINF:40,\n{}\n#EXT-X-ENDLIST\n",
            target.display()
        ),
        "#EXTM3U\n#EXT-X-TARGETDURATION:1000\n#EXTINF:1000,\nself.mp4\n".to_string(),
        format!("ffconcat version 1.0\nfile '{}'\n", target.display()),
    ];
    for (i, text) in playlists.iter().enumerate() {
        let path = dir.path().join(format!("playlist_{i}.mp4"));
        std::fs::write(&path, text).unwrap();
        let err = decode_file(&path, &options(DecoderChoice::Auto), &mut |_| true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Decode, "{i}: {err}");
        assert!(err.to_string().contains("never playlists"), "{i}: {err}");
    }
}

/// A file of more streams than any upload needs is refused at once (999 tracks of one frame
/// took ffprobe 6.6 GB).
#[test]
fn a_file_of_many_streams_is_refused() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.mp4");
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=black:size=64x64:rate=1",
        "-frames:v",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        path_str(&one),
    ]);
    let many = dir.path().join("many.mkv");
    let mut args = vec!["-i", path_str(&one)];
    for _ in 0..80 {
        args.extend(["-map", "0:v"]);
    }
    args.extend(["-c", "copy", path_str(&many)]);
    common::ffmpeg(&args);
    let err = decode_file(&many, &options(DecoderChoice::Auto), &mut |_| true).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("more than 64 streams"), "{err}");
}

/// A copy hidden in a video stream that ffmpeg does not choose: behind a small decoy made the
/// default stream, and beside a decoy over 5 Mpx larger (which ffmpeg chooses by area). The scan judges
/// every video stream and names the one the copy is in; the decoy alone is clean.
#[test]
fn a_copy_in_a_stream_ffmpeg_does_not_choose_is_found() {
    use swordnet::verdict::VerdictKind;
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = common::samples().join("queries/bottle_excerpt.mp4");
    let decoy = |name: &str, size: &str| {
        let path = dir.path().join(name);
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={size}:rate=10"),
            "-t",
            "4",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            path_str(&path),
        ]);
        path
    };
    let small = decoy("small.mp4", "160x90");
    let large = decoy("large.mp4", "3200x1800");
    let pair = |name: &str, first: &Path, second: &Path, default_first: bool| {
        let both = dir.path().join(name);
        let (d0, d1) = if default_first {
            ("default", "0")
        } else {
            ("0", "default")
        };
        common::ffmpeg(&[
            "-i",
            path_str(first),
            "-i",
            path_str(second),
            "-map",
            "0:v",
            "-map",
            "1:v",
            "-c",
            "copy",
            "-disposition:v:0",
            d0,
            "-disposition:v:1",
            d1,
            path_str(&both),
        ]);
        both
    };
    let behind_default = pair("behind_default.mp4", &small, &copy, true);
    let beside_large = pair("beside_large.mkv", &copy, &large, true);
    let (_cat_dir, cat) = common::catalogue();
    let engine = common::engine_over(
        &cat,
        &[common::samples().join("references/v_intel_bottle.mp4")],
        DecoderChoice::Auto,
    );
    for (upload, stream) in [(&behind_default, 1), (&beside_large, 0)] {
        let report = engine.judge_file(upload);
        assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
        assert_eq!(report.video_stream, Some(stream), "{report:?}");
        assert!(
            report
                .reasons
                .iter()
                .any(|r| r.contains(&format!("found in video stream {stream}"))),
            "{:?}",
            report.reasons
        );
    }
    let decoys_only = pair("decoys.mp4", &small, &large, true);
    let report = engine.judge_file(&decoys_only);
    assert_eq!(report.verdict, VerdictKind::Clean, "{report:?}");
    assert_eq!(report.video_stream, None);

    // Behind 17 decoys the copy is past the 16 streams judged: not clean, but review.
    let many = dir.path().join("many.mkv");
    let mut args: Vec<String> = Vec::new();
    for _ in 0..17 {
        args.extend(["-i".into(), path_str(&small).into()]);
    }
    args.extend(["-i".into(), path_str(&copy).into()]);
    for i in 0..18 {
        args.extend(["-map".into(), format!("{i}:v")]);
    }
    for (stream, disposition) in [(0, "default"), (17, "0")] {
        args.extend([format!("-disposition:v:{stream}"), disposition.into()]);
    }
    args.extend(["-c".into(), "copy".into(), path_str(&many).into()]);
    common::ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let report = engine.judge_file(&many);
    assert_eq!(report.verdict, VerdictKind::Review, "{report:?}");
    assert!(
        report.reasons[0].contains("not every video stream"),
        "{report:?}"
    );
}

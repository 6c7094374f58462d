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
    for _ in 0..40 {
        args.extend(["-map", "0:v"]);
    }
    args.extend(["-c", "copy", path_str(&many)]);
    common::ffmpeg(&args);
    let err = decode_file(&many, &options(DecoderChoice::Auto), &mut |_| true).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("more than 16 streams"), "{err}");
}

//! B23: dark, nearly black clips

use super::*;

#[test]
fn b23_dark_clips_are_insufficient_content_not_duplicates() {
    let dot = common::case("b23_dark_moving_dot.mp4");
    let dots = common::case("b23_dark_two_dots.mp4");
    for dec in decoders() {
        for path in [&dot, &dots] {
            let fp = fingerprint(path, dec);
            assert_eq!(fp.frames.len(), 8, "{dec:?}");
            assert_eq!(fp.informative_frames(50), 0, "{dec:?}: {:?}", fp.frames);
            check_low_quality_file(path, dec);
        }
        // Whatever else the catalogue holds, neither is a match of the other.
        let r = judge(&[common::case("b18_original.mp4")], &dots, dec);
        assert_low_quality(&r, "two dots");
    }
}

#[test]
fn b23_kind_other_dark_clips() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dark = dir.path().join("dark_box.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x040404:s=320x180:r=15:d=2",
        "-vf",
        "drawbox=x='t*60':y=80:w=8:h=8:color=0x141414:t=fill",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&dark),
    ]);
    let fade = dir.path().join("faded_out.webm");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=15:d=2",
        "-vf",
        "eq=brightness=-0.9:contrast=0.05",
        "-c:v",
        "libvpx-vp9",
        p(&fade),
    ]);
    for dec in decoders() {
        check_low_quality_file(&dark, dec);
    }
    check_low_quality_file(&fade, DecoderChoice::Ffmpeg);
}

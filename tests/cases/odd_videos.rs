//! B21: padded square 60 fps, odd-sized 4:4:4

use super::*;

#[test]
fn b21_padded_square_and_odd_sized_444_hash() {
    let padded = common::case("b21_608x1080_padded_1080sq_60fps.mp4");
    let odd = common::case("b21_odd_321x241_yuv444.mkv");
    for dec in decoders() {
        let fp = fingerprint(&padded, dec);
        assert_eq!((fp.width, fp.height), (1080, 1080), "{dec:?}");
        assert_eq!(fp.duration_ms, 1000);
        assert_eq!(fp.frames.len(), 4, "{dec:?}: 1 s at 250 ms");
        assert!(fp.frames.iter().all(|f| f.quality >= 50));
        let area = fp
            .active_area
            .unwrap_or_else(|| panic!("{dec:?}: padding not found"));
        assert!((area.w - 608.0 / 1080.0).abs() < 0.04, "{dec:?}: {area:?}");
        assert!(area.h > 0.95, "{dec:?}: {area:?}");
        let (info, frames) = decode_all(&padded, dec).unwrap();
        assert_eq!(frames.len(), 60, "{dec:?}: every frame of 1 s at 60 fps");
        assert_eq!(info.sampled_frames, 60);
        assert!(frames
            .iter()
            .all(|f| f.picture.width.max(f.picture.height) <= 512));
    }
    // The odd-sized 4:4:4 Matroska: ffmpeg reads it, the builtin decoder says why it cannot.
    let got = decode_file(
        &odd,
        &options(DecoderChoice::Builtin, ALL_FRAMES),
        &mut |_| true,
    );
    assert_eq!(error_kind(got), ErrorKind::Unsupported);
    if common::have_ffmpeg() {
        let fp = fingerprint(&odd, DecoderChoice::Ffmpeg);
        assert_eq!((fp.width, fp.height), (321, 241));
        assert!(fp.frames.len() >= 4);
        assert!(fp.frames.iter().all(|f| f.quality >= 50));
        let (_, frames) = decode_all(&odd, DecoderChoice::Ffmpeg).unwrap();
        assert_eq!(frames.len(), 10);
        assert!(frames
            .iter()
            .all(|f| (f.picture.width, f.picture.height) == (321, 241)));
    }
}

#[test]
fn b21_kind_padding_as_border_odd_sizes_and_chroma_formats() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let padded = common::case("b21_608x1080_padded_1080sq_60fps.mp4");
    // The active area alone as the work: the padded upload matches it, cropped.
    let active = dir.path().join("active_608x1080.mp4");
    ffmpeg(&[
        "-i",
        p(&padded),
        "-vf",
        "crop=608:1080:236:0",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&active),
    ]);
    // A letterboxed copy (bars top and bottom) of a landscape clip.
    let src = common::case("b19_intro_then_a.mp4");
    let boxed = dir.path().join("letterboxed.mp4");
    ffmpeg(&[
        "-i",
        p(&src),
        "-vf",
        "pad=320:320:0:70:black",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&boxed),
    ]);
    for dec in decoders() {
        let r = judge(std::slice::from_ref(&active), &padded, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert!(r.matches[0].cropped, "{dec:?}: {:?}", r.matches[0]);
        let r = judge(std::slice::from_ref(&src), &boxed, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert!(r.matches[0].cropped, "{dec:?}: {:?}", r.matches[0]);
    }
    // Odd sizes and chroma layouts: ffmpeg converts them; the builtin decoder refuses the
    // ones it cannot decode with a clear reason, never garbage.
    let base = dir.path().join("base_420.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=10:d=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        p(&base),
    ]);
    for (name, vf, pix_fmt, size, builtin_note) in [
        (
            "odd444.mp4",
            "scale=321:241",
            "yuv444p",
            (321, 241),
            Some("4:4:4"),
        ),
        ("odd444.mkv", "scale=321:241", "yuv444p", (321, 241), None),
        ("s422.mp4", "null", "yuv422p", (320, 240), Some("4:2:2")),
        ("s10bit.mp4", "null", "yuv420p10le", (320, 240), Some("bit")),
        (
            "crop420.mp4",
            "crop=318:238:0:0",
            "yuv420p",
            (318, 238),
            Some(""),
        ),
    ] {
        let out = dir.path().join(name);
        let made = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                p(&base),
                "-vf",
                vf,
                "-c:v",
                "libx264",
                "-pix_fmt",
                pix_fmt,
                p(&out),
            ])
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let fp = fingerprint(&out, DecoderChoice::Ffmpeg);
        assert_eq!((fp.width, fp.height), size, "{name}");
        let r = judge(std::slice::from_ref(&base), &out, DecoderChoice::Ffmpeg);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
        let got = fingerprint_with(&out, DecoderChoice::Builtin, SamplePlan::QUERY_DEFAULT);
        match (builtin_note, got) {
            (Some(""), Ok(fp)) => assert_eq!((fp.width, fp.height), size, "{name}"),
            (Some(note), Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Unsupported, "{name}: {e}");
                assert!(e.message.contains(note), "{name}: {}", e.message);
            }
            (None, Err(e)) => assert_eq!(e.kind, ErrorKind::Unsupported, "{name}: {e}"),
            (note, got) => panic!("{name}: builtin {note:?} gave {got:?}"),
        }
    }
}

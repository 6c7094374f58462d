//! A repost of a film excerpt disguised as reposting accounts do: cropped a few per cent off
//! centre, mirrored, recoloured, and branded with a semi-transparent logo box in a bottom
//! corner. Made with ffmpeg from a sample reference (skipped without ffmpeg; CI installs it).

mod common;

use common::ffmpeg;
use std::path::Path;
use swordnet::media::video::DecoderChoice;
use swordnet::verdict::VerdictKind;

/// Seconds 8–18 of `reference`, cropped to 94 % at (`x`, `y`) % of the frame, mirrored,
/// recoloured (contrast, brightness, saturation, hue) and branded with a dark box of 40 % x 20 %
/// of the frame in the bottom-right corner, written to `out`.
fn branded_repost(reference: &Path, (x, y): (u32, u32), out: &Path) {
    let filter = format!(
        "crop=iw*0.94:ih*0.94:iw*{x}/100:ih*{y}/100,hflip,\
         eq=contrast=1.2:brightness=-0.08:saturation=1.5,hue=h=-28,\
         drawbox=x=iw*0.56:y=ih*0.76:w=iw*0.4:h=ih*0.2:color=black@0.6:t=fill,\
         drawbox=x=iw*0.6:y=ih*0.8:w=iw*0.3:h=ih*0.04:color=white:t=fill,\
         drawbox=x=iw*0.6:y=ih*0.88:w=iw*0.22:h=ih*0.04:color=yellow:t=fill"
    );
    excerpt(reference, (8, 10), &filter, 26, out);
}

/// Writes `out`: `seconds` (start, length) of `reference` through the ffmpeg `filter`, H.264
/// at quality `crf`, no audio.
fn excerpt(reference: &Path, (start, length): (u32, u32), filter: &str, crf: u32, out: &Path) {
    ffmpeg(&[
        "-ss",
        &start.to_string(),
        "-t",
        &length.to_string(),
        "-i",
        reference.to_str().unwrap(),
        "-vf",
        filter,
        "-an",
        "-c:v",
        "libx264",
        "-crf",
        &crf.to_string(),
        "-pix_fmt",
        "yuv420p",
        out.to_str().unwrap(),
    ]);
}

#[test]
fn cropped_mirrored_recoloured_branded_repost_is_infringing_with_its_range() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped (CI installs it)");
        return;
    }
    let reference = common::samples().join("references/v_intel_bottle.mp4");
    let (_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, std::slice::from_ref(&reference), DecoderChoice::Auto);
    let dir = tempfile::tempdir().unwrap();
    for offset in [(1, 5), (5, 2)] {
        let upload = dir
            .path()
            .join(format!("repost_{}_{}.mp4", offset.0, offset.1));
        branded_repost(&reference, offset, &upload);
        let report = engine.judge_file(&upload);
        assert_eq!(
            report.verdict,
            VerdictKind::Infringing,
            "{offset:?}: {report:?}"
        );
        let m = &report.matches[0];
        assert!(m.mirrored, "{m:?}");
        // The excerpt is seconds 8–18 of the work, shown from 0 to 10 s: a segment of at
        // least half of it, at that offset.
        assert!(m.query_end_ms - m.query_start_ms >= 5000, "{m:?}");
        let offset_ms = m.reference_start_ms - m.query_start_ms;
        assert!((7500..=8500).contains(&offset_ms), "{m:?}");
    }
}

/// `source` (from second `start` on, 10 s of it, when given) turned by `degrees` (ffmpeg:
/// clockwise positive) on its own canvas with `fill` corners, written to `out`.
fn turned(source: &Path, start: Option<&str>, degrees: i32, fill: &str, out: &Path) {
    let filter = format!("rotate={degrees}*PI/180:fillcolor={fill}");
    let mut args = vec![];
    if let Some(start) = start {
        args.extend(["-ss", start, "-t", "10"]);
    }
    let source = source.to_str().unwrap();
    args.extend(["-i", source, "-vf", &filter, "-an"]);
    if out.extension().is_some_and(|e| e == "mp4") {
        args.extend(["-c:v", "libx264", "-crf", "26", "-pix_fmt", "yuv420p"]);
    }
    args.push(out.to_str().unwrap());
    ffmpeg(&args);
}

/// An upload turned a few degrees on its own canvas (black or white corners) is infringing
/// with the excerpt's offset, a photo turned 10° too; a clean video turned the same way
/// stays clean.
#[test]
fn turned_uploads_are_infringing_and_a_turned_clean_video_is_not() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped (CI installs it)");
        return;
    }
    let film = common::samples().join("references/v_intel_person.mp4");
    let photo = common::samples().join("references/p_mdn_tiger.jpg");
    let (_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, &[film.clone(), photo.clone()], DecoderChoice::Auto);
    let dir = tempfile::tempdir().unwrap();
    for (degrees, fill) in [(6, "black"), (-4, "white")] {
        let upload = dir.path().join(format!("turned_{degrees}.mp4"));
        turned(&film, Some("3"), degrees, fill, &upload);
        let report = engine.judge_file(&upload);
        assert_eq!(
            report.verdict,
            VerdictKind::Infringing,
            "{degrees}: {report:?}"
        );
        let m = &report.matches[0];
        assert_eq!(m.title, "v_intel_person", "{m:?}");
        assert!(m.query_end_ms - m.query_start_ms >= 5000, "{m:?}");
        // ffmpeg turns clockwise for a positive angle; the report counts counter-clockwise.
        let turned = m.turned_degrees.unwrap_or(f64::NAN);
        assert!((turned + f64::from(degrees)).abs() <= 0.75, "{m:?}");
    }
    let upload = dir.path().join("turned_photo.jpg");
    turned(&photo, None, 10, "black", &upload);
    let report = engine.judge_file(&upload);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    assert_eq!(report.matches[0].title, "p_mdn_tiger");
    let clean = dir.path().join("turned_clean.mp4");
    let clean_source = common::samples().join("queries/clean_video_1.mp4");
    turned(&clean_source, None, 6, "black", &clean);
    let report = engine.judge_file(&clean);
    assert_eq!(report.verdict, VerdictKind::Clean, "{report:?}");
}

/// A film cut 15 % or 20 % from one side, or cropped to 85 % into a corner (a watermark or a
/// logo cut off), is infringing with its range: such off-centre parts are indexed views of the
/// reference frames (`views::ONE_SIDED_KEEPS`, `CORNER_KEEPS`). Before those views, 9 of 10
/// such copies of the sample videos were clean.
#[test]
fn a_film_cut_on_one_side_or_into_a_corner_is_infringing() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped (CI installs it)");
        return;
    }
    let references = [
        common::samples().join("references/v_intel_bottle.mp4"),
        common::samples().join("references/v_intel_person.mp4"),
    ];
    let (_dir, cat) = common::catalogue();
    let engine = common::engine_over(&cat, &references, DecoderChoice::Auto);
    let dir = tempfile::tempdir().unwrap();
    let cuts = [
        ("left15", "crop=iw*0.85:ih:iw*0.15:0"),
        ("top20", "crop=iw:ih*0.8:0:ih*0.2"),
        ("bottom_right15", "crop=iw*0.85:ih*0.85:iw*0.15:ih*0.15"),
    ];
    for reference in &references {
        for (name, crop) in cuts {
            let upload = dir.path().join(format!("{name}.mp4"));
            excerpt(reference, (4, 8), crop, 23, &upload);
            let report = engine.judge_file(&upload);
            assert_eq!(
                report.verdict,
                VerdictKind::Infringing,
                "{reference:?} {name}: {report:?}"
            );
            // Seconds 4–12 of the work: the matched range of the work covers most of them (a
            // near-still film aligns loosely).
            let m = &report.matches[0];
            let overlap = m.reference_end_ms.min(12_000) - m.reference_start_ms.max(4_000);
            assert!(overlap >= 6_000, "{name}: {m:?}");
        }
    }
}

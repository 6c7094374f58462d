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
    ffmpeg(&[
        "-ss",
        "8",
        "-t",
        "10",
        "-i",
        reference.to_str().unwrap(),
        "-vf",
        &filter,
        "-an",
        "-c:v",
        "libx264",
        "-crf",
        "26",
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

//! B16: display-matrix rotation

use super::*;

#[test]
fn b16_display_matrix_is_applied_and_rotated_copies_match() {
    let matrix = common::case("b16_displaymatrix_minus90.mp4");
    let pixels = common::case("b16_pixels_rotated.mp4");
    for dec in decoders() {
        let a = fingerprint(&matrix, dec);
        let b = fingerprint(&pixels, dec);
        assert_eq!((a.width, a.height), (180, 320), "{dec:?}");
        assert_eq!((b.width, b.height), (180, 320), "{dec:?}");
        assert_eq!(a.frames.len(), b.frames.len());
        for (x, y) in a.frames.iter().zip(&b.frames) {
            let d = dist(&x.hash, &y.hash);
            assert!(d <= 16, "{dec:?} frame at {} ms: {d} bits", x.t_ms);
        }
        let (info, frames) = decode_all(&matrix, dec).unwrap();
        assert_eq!((info.width, info.height), (180, 320));
        assert_eq!(frames.len(), 30);
        assert!(frames
            .iter()
            .all(|f| (f.picture.width, f.picture.height) == (180, 320)));
        for (work, query) in [(&pixels, &matrix), (&matrix, &pixels)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
            assert_eq!(r.matches[0].transform, "none", "{dec:?}: {r:?}");
            assert!(r.matches[0].mean_distance <= 31.0, "{:?}", r.matches[0]);
        }
        // The catalogue records the displayed size.
        let (_d, cat) = common::catalogue();
        common::engine_over(&cat, std::slice::from_ref(&matrix), dec);
        let w = &cat.works().unwrap()[0];
        assert_eq!((w.width, w.height), (180, 320), "{dec:?}");
    }
}

/// Display matrices of 90, 180 and 270 degrees against the same turns done on the pixels.
#[test]
fn b16_kind_every_rotation_matches_its_pixel_rotated_twin() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = common::case("b16_source_landscape.mp4");
    for (degrees, size) in [(90, (180, 320)), (180, (320, 180)), (270, (180, 320))] {
        // Rotation by display matrix only (the pixels stay landscape) ...
        let tagged = dir.path().join(format!("tagged{degrees}.mp4"));
        ffmpeg(&[
            "-i",
            p(&src),
            "-c",
            "copy",
            "-metadata:s:v:0",
            &format!("rotate={degrees}"),
            p(&tagged),
        ]);
        // ... and the same turn written into the pixels (ffmpeg applies the matrix when it
        // re-encodes), with no matrix left.
        let turned = dir.path().join(format!("turned{degrees}.mp4"));
        ffmpeg(&[
            "-i",
            p(&tagged),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-metadata:s:v:0",
            "rotate=0",
            p(&turned),
        ]);
        let mut per_decoder = Vec::new();
        for dec in decoders() {
            let a = fingerprint(&tagged, dec);
            let b = fingerprint(&turned, dec);
            assert_eq!((a.width, a.height), size, "{degrees}° {dec:?}");
            assert_eq!((b.width, b.height), size, "{degrees}° {dec:?}");
            assert_eq!(a.frames.len(), b.frames.len());
            for (x, y) in a.frames.iter().zip(&b.frames) {
                let d = dist(&x.hash, &y.hash);
                assert!(d <= 20, "{degrees}° {dec:?} at {} ms: {d} bits", x.t_ms);
            }
            let r = judge(std::slice::from_ref(&turned), &tagged, dec);
            assert_eq!(
                r.verdict,
                VerdictKind::Infringing,
                "{degrees}° {dec:?}: {r:?}"
            );
            assert_eq!(r.matches[0].transform, "none", "{degrees}° {dec:?}: {r:?}");
            per_decoder.push(a);
        }
        // Both decoders turn the same way.
        if let [builtin, ffmpeg_fp] = &per_decoder[..] {
            for (x, y) in builtin.frames.iter().zip(&ffmpeg_fp.frames) {
                let d = dist(&x.hash, &y.hash);
                assert!(
                    d <= 16,
                    "{degrees}°: builtin vs ffmpeg at {} ms: {d} bits",
                    x.t_ms
                );
            }
        }
    }
}

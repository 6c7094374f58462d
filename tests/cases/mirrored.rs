//! B18: mirrored copies

use super::*;

#[test]
fn b18_mirrored_clip_matches_with_transform_mirrored() {
    for dec in decoders() {
        let r = judge(
            &[common::case("b18_original.mp4")],
            &common::case("b18_hflipped.mp4"),
            dec,
        );
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        let m = &r.matches[0];
        assert_eq!(name_of(&m.reference), "b18_original.mp4");
        assert!(m.mirrored, "{m:?}");
        assert_eq!(m.transform, "mirrored");
        assert!(m.query_end_ms - m.query_start_ms >= 1500, "{m:?}");
        // And the other way round.
        let r = judge(
            &[common::case("b18_hflipped.mp4")],
            &common::case("b18_original.mp4"),
            dec,
        );
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        assert_eq!(r.matches[0].transform, "mirrored");
    }
}

#[test]
fn b18_kind_mirrored_images_and_other_clips() {
    let dir = tempfile::tempdir().unwrap();
    let upright = image::open(common::case("b01_upright_reference.jpg")).unwrap();
    let flipped = dir.path().join("flipped.png");
    save(&upright.fliph(), &flipped, ImageFormat::Png, None);
    let r = judge(
        &[common::case("b01_upright_reference.jpg")],
        &flipped,
        DecoderChoice::Auto,
    );
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    assert!(r.matches[0].mirrored);
    assert_eq!(r.matches[0].transform, "mirrored");
    if common::have_ffmpeg() {
        let src = common::case("b19_intro_then_a.mp4");
        let mirrored = dir.path().join("mirrored.mp4");
        ffmpeg(&[
            "-i",
            p(&src),
            "-vf",
            "hflip",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&mirrored),
        ]);
        for dec in decoders() {
            let r = judge(std::slice::from_ref(&src), &mirrored, dec);
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
            assert_eq!(r.matches[0].transform, "mirrored", "{dec:?}: {r:?}");
            assert!(r.matches[0].query_end_ms - r.matches[0].query_start_ms >= 4000);
        }
    }
}

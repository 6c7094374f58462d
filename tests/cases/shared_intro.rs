//! B19: a shared intro

use super::*;

fn assert_intro_only(r: &QueryReport, intro_ms: i64, what: &str) {
    assert!(r.error.is_none(), "{what}: {r:?}");
    assert_ne!(r.verdict, VerdictKind::Infringing, "{what}: {r:?}");
    for m in &r.matches {
        assert_ne!(m.verdict, VerdictKind::Infringing, "{what}: {m:?}");
        // Within the intro, with a frame of slack.
        assert!(
            m.query_start_ms >= 0 && m.query_end_ms <= intro_ms + 500,
            "{what}: {m:?}"
        );
        assert!(
            m.reference_start_ms >= 0 && m.reference_end_ms <= intro_ms + 500,
            "{what}: {m:?}"
        );
    }
}

#[test]
fn b19_a_shared_intro_is_never_infringing() {
    let a = common::case("b19_intro_then_a.mp4");
    let b = common::case("b19_intro_then_b.mp4");
    for dec in decoders() {
        for (work, query) in [(&a, &b), (&b, &a)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_intro_only(
                &r,
                3000,
                &format!("{} vs {} ({dec:?})", query.display(), work.display()),
            );
        }
        // Each is a copy of itself (the policy is not simply blind).
        let r = judge(std::slice::from_ref(&a), &a, dec);
        assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
    }
}

#[test]
fn b19_kind_moving_intro_then_different_content() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str, tail: &str| {
        let out = dir.path().join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=15:d=3",
            "-f",
            "lavfi",
            "-i",
            &format!("{tail},format=yuv420p"),
            "-filter_complex",
            "[0:v]format=yuv420p,setsar=1[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            p(&out),
        ]);
        out
    };
    let a = make(
        "intro_mandelbrot.mp4",
        "mandelbrot=s=320x180:r=15,trim=duration=5",
    );
    let b = make(
        "intro_bars.mp4",
        "rgbtestsrc=s=320x180:r=15:d=5,hue=H=2*PI*t",
    );
    for dec in decoders() {
        for (work, query) in [(&a, &b), (&b, &a)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_intro_only(&r, 3000, &format!("{} ({dec:?})", query.display()));
        }
    }
}

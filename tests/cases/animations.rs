//! B10: animations

use super::*;

#[test]
fn b10_animations_are_fingerprinted_over_time() {
    let a = fingerprint(&common::case("b10_anim_a.gif"), DecoderChoice::Auto);
    let b = fingerprint(&common::case("b10_anim_b.gif"), DecoderChoice::Auto);
    let webp = fingerprint(&common::case("b10_anim_b.webp"), DecoderChoice::Auto);
    for (name, fp) in [("a.gif", &a), ("b.gif", &b), ("b.webp", &webp)] {
        assert_eq!(fp.media, MediaType::Video, "{name}");
        assert_eq!(fp.frames.len(), 3, "{name}: 3 frames");
        assert_eq!(
            fp.frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            [0, 250, 500],
            "{name}"
        );
        assert_eq!(fp.duration_ms, 750, "{name}");
        assert_eq!((fp.width, fp.height), (96, 96), "{name}");
    }
    // The WebP holds the same 3 frames as its GIF.
    for (g, w) in b.frames.iter().zip(&webp.frames) {
        let d = dist(&g.hash, &w.hash);
        assert!(d <= 16, "frame at {} ms: WebP vs GIF {d} bits", g.t_ms);
    }
    // a and b share frame 1 only (a black disc on white: a symmetric picture whose PDQ
    // bits are unstable, so it is not compared bit for bit here).

    for dec in decoders() {
        // a vs b: at most a partial match, never the same work.
        for (work, query) in [
            ("b10_anim_a.gif", "b10_anim_b.gif"),
            ("b10_anim_b.gif", "b10_anim_a.gif"),
        ] {
            let r = judge(&[common::case(work)], &common::case(query), dec);
            assert_ne!(
                r.verdict,
                VerdictKind::Infringing,
                "{query} vs {work}: {r:?}"
            );
            assert!(r.error.is_none());
            for m in &r.matches {
                assert!(m.matched_frames <= 1, "{query} vs {work}: {m:?}");
            }
        }
        // The WebP is a copy of its GIF: all 3 frames matched, in order.
        let r = judge(
            &[common::case("b10_anim_b.gif")],
            &common::case("b10_anim_b.webp"),
            dec,
        );
        let m = r
            .matches
            .first()
            .unwrap_or_else(|| panic!("webp should match its gif: {r:?}"));
        assert!(
            r.verdict >= VerdictKind::Review && r.verdict != VerdictKind::Error,
            "{r:?}"
        );
        assert_eq!(m.matched_frames, 3, "{m:?}");
        assert_eq!((m.query_start_ms, m.reference_start_ms), (0, 0), "{m:?}");
        assert!(m.query_end_ms >= 500 && m.reference_end_ms >= 500, "{m:?}");
        assert!(m.mean_distance <= 8.0, "{m:?}");
    }
}

fn write_gif(path: &Path, frames: Vec<(RgbaImage, u32)>) {
    let mut file = std::fs::File::create(path).unwrap();
    let mut enc = image::codecs::gif::GifEncoder::new_with_speed(&mut file, 30);
    enc.set_repeat(image::codecs::gif::Repeat::Infinite)
        .unwrap();
    enc.encode_frames(frames.into_iter().map(|(img, delay_ms)| {
        image::Frame::from_parts(img, 0, 0, image::Delay::from_numer_denom_ms(delay_ms, 1))
    }))
    .unwrap();
}

/// A slideshow: an animation of a protected photo held for seconds is sampled over time like
/// a video of that still, and matches for its whole length.
#[test]
fn b10_kind_slideshow_of_long_frames_matches_for_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let photo = common::samples().join("references/p_mdn_tiger.jpg");
    let picture = image::open(&photo).unwrap().thumbnail(320, 320).to_rgba8();
    let brighter = image::imageops::colorops::brighten(&picture, 25);
    let gif = dir.path().join("slideshow.gif");
    write_gif(&gif, vec![(picture, 4000), (brighter, 4000)]);
    let (info, frames) = decode_all(&gif, DecoderChoice::Auto).unwrap();
    assert_eq!(info.duration_ms, 8000);
    // Every 100 ms from each picture's start up to its last whole step.
    assert_eq!(frames.len(), 80);
    assert_eq!((frames[39].t_ms, frames[40].t_ms), (3900, 4000));
    let r = judge(&[photo], &gif, DecoderChoice::Auto);
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    let m = &r.matches[0];
    assert!(m.query_end_ms - m.query_start_ms >= 7000, "{m:?}");
}

#[test]
fn b10_kind_frame_times_sampling_limits_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 40 distinct frames, 50 ms apart: 2 s; the upload plan (250 ms) takes 8 of them.
    let gif = dir.path().join("forty.gif");
    write_gif(
        &gif,
        (0..40)
            .map(|i| {
                (
                    DynamicImage::ImageRgb8(detailed_picture(64, 48, i)).to_rgba8(),
                    50,
                )
            })
            .collect(),
    );
    let fp = fingerprint(&gif, DecoderChoice::Auto);
    assert_eq!(fp.media, MediaType::Video);
    assert_eq!(fp.duration_ms, 2000);
    assert_eq!(
        fp.frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
        (0..8).map(|i| i * 250).collect::<Vec<i64>>()
    );
    let (info, frames) = decode_all(&gif, DecoderChoice::Auto).unwrap();
    assert_eq!(frames.len(), 40);
    assert_eq!(info.sampled_frames, 40);
    assert_eq!(frames[39].t_ms, 1950);

    // Delays of 0 (and 10 ms) are shown at 100 ms, as browsers do.
    let zero = dir.path().join("zero_delay.gif");
    write_gif(
        &zero,
        (0..3)
            .map(|i| {
                (
                    DynamicImage::ImageRgb8(detailed_picture(64, 48, i)).to_rgba8(),
                    0,
                )
            })
            .collect(),
    );
    let (info, frames) = decode_all(&zero, DecoderChoice::Auto).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
        [0, 100, 200]
    );
    assert_eq!(info.duration_ms, 300);

    // A one-frame GIF is a still image.
    let single = dir.path().join("single.gif");
    write_gif(
        &single,
        vec![(
            DynamicImage::ImageRgb8(detailed_picture(64, 48, 1)).to_rgba8(),
            100,
        )],
    );
    assert_eq!(
        fingerprint(&single, DecoderChoice::Auto).media,
        MediaType::Image
    );

    // Frame limit: a clear error, not a silent cut.
    let few = DecodeOptions {
        limits: Limits {
            max_frames: 10,
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };
    let got = decode_file(&gif, &few, &mut |_| true);
    assert_eq!(error_kind(got), ErrorKind::TooLarge);

    // Many frames: memory does not grow with the frame count (frames are streamed).
    let long = dir.path().join("long.gif");
    write_gif(
        &long,
        (0..600)
            .map(|i| {
                let mut img = DynamicImage::ImageRgb8(detailed_picture(160, 120, i % 7)).to_rgba8();
                img.put_pixel(i % 160, 0, Rgba([255, 0, 0, 255]));
                (img, 40)
            })
            .collect(),
    );
    let (got, peak) = alloc_track::peak_during(|| {
        let mut n = 0;
        decode_file(
            &long,
            &options(DecoderChoice::Auto, ALL_FRAMES),
            &mut |_| {
                n += 1;
                true
            },
        )
        .map(|i| (i, n))
    });
    let (info, n) = got.unwrap();
    assert_eq!((info.sampled_frames, n), (600, 600));
    assert_eq!(info.duration_ms, 24_000);
    // 600 RGBA frames would be 46 MB; a few frames' worth is allowed.
    assert!(
        peak < 8 * MIB,
        "peak allocation {peak} bytes for a 600-frame GIF"
    );

    if common::have_ffmpeg() {
        // The same animation as animated WebP and APNG: the same frames and times.
        let webp = dir.path().join("forty.webp");
        ffmpeg(&[
            "-i",
            p(&gif),
            "-c:v",
            "libwebp_anim",
            "-lossless",
            "1",
            "-loop",
            "0",
            p(&webp),
        ]);
        let apng = dir.path().join("forty_apng.png");
        ffmpeg(&["-i", p(&gif), "-f", "apng", "-plays", "0", p(&apng)]);
        let reference = decode_all(&gif, DecoderChoice::Auto).unwrap().1;
        let hasher = hasher_for(Algorithm::Pdq);
        for other in [&webp, &apng] {
            let (info, frames) = decode_all(other, DecoderChoice::Auto)
                .unwrap_or_else(|e| panic!("{}: {e}", other.display()));
            assert_eq!(info.media, MediaType::Video, "{}", other.display());
            assert_eq!(frames.len(), 40, "{}", other.display());
            for (g, o) in reference.iter().zip(&frames) {
                assert_eq!(g.t_ms, o.t_ms, "{}", other.display());
                let d = dist(&hasher.hash(&g.picture).hash, &hasher.hash(&o.picture).hash);
                assert!(
                    d <= 8,
                    "{} frame at {} ms: {d} bits",
                    other.display(),
                    g.t_ms
                );
            }
        }
    }
}

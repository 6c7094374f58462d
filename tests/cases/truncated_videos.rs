//! B22: truncated and empty videos

use super::*;

#[test]
fn b22_truncated_and_empty_videos_are_per_file_errors_and_store_nothing() {
    let cut = common::case("b22_truncated_no_moov.mp4");
    let empty = common::case("b22_zero_bytes.mp4");
    for dec in decoders() {
        let err = decode_file(&cut, &options(dec, ALL_FRAMES), &mut |_| true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated, "{dec:?}: {err}");
        assert!(
            err.message.contains("truncated or unreadable container"),
            "{}",
            err.message
        );
        let err = decode_file(&empty, &options(dec, ALL_FRAMES), &mut |_| true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Empty, "{dec:?}: {err}");
        assert!(err.message.contains("empty file"), "{}", err.message);
        assert_index_refused(&cut, dec, ErrorKind::Truncated);
        assert_index_refused(&empty, dec, ErrorKind::Empty);

        // In a stored batch: the good work stays, the failures are counted and stored.
        let (_d, cat) = common::catalogue();
        let engine = common::engine_over(&cat, &[common::case("b18_original.mp4")], dec);
        let scan = cat.begin_scan("{}").unwrap();
        let files = [cut.clone(), empty.clone(), common::case("b18_hflipped.mp4")];
        let reports = scan_batch(&engine, &files, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        assert_error_report(&reports[0], "truncated", "no moov");
        assert_error_report(&reports[1], "empty", "zero bytes");
        assert_eq!(reports[2].verdict, VerdictKind::Infringing);
        let summary = Summary::of(&reports);
        assert_eq!(summary.count(VerdictKind::Error), 2);
        assert_eq!(summary.errors_by_kind.get("truncated"), Some(&1));
        assert_eq!(summary.errors_by_kind.get("empty"), Some(&1));
        let stored = cat.scan_results(scan).unwrap();
        assert_eq!(stored.len(), 3);
        let kinds: BTreeSet<_> = stored.iter().filter_map(|s| s.error_kind.clone()).collect();
        assert_eq!(
            kinds,
            BTreeSet::from(["empty".to_string(), "truncated".to_string()])
        );
        assert_eq!(cat.works().unwrap().len(), 1);
        cat.integrity_check().unwrap();
    }
}

#[test]
fn b22_kind_videos_cut_anywhere_and_empty_files_of_any_type() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["mp4", "mkv", "jpg", "png", "gif", "webp", "mov", "bin"] {
        let path = dir.path().join(format!("zero.{ext}"));
        std::fs::write(&path, b"").unwrap();
        for dec in decoders() {
            let got = decode_file(&path, &options(dec, ALL_FRAMES), &mut |_| true);
            assert_eq!(error_kind(got), ErrorKind::Empty, "{ext}");
        }
    }
    // Cut MP4s, index at the end (b18) or at the front (faststart), at many points.
    let mut sources = vec![(
        "moov_last",
        std::fs::read(common::case("b18_original.mp4")).unwrap(),
    )];
    if common::have_ffmpeg() {
        let fast = dir.path().join("faststart.mp4");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            p(&fast),
        ]);
        sources.push(("moov_first", std::fs::read(&fast).unwrap()));
        let mkv = dir.path().join("full.mkv");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c",
            "copy",
            p(&mkv),
        ]);
        sources.push(("mkv", std::fs::read(&mkv).unwrap()));
        let avi = dir.path().join("full.avi");
        ffmpeg(&[
            "-i",
            p(&common::case("b18_original.mp4")),
            "-c:v",
            "mpeg4",
            p(&avi),
        ]);
        sources.push(("avi", std::fs::read(&avi).unwrap()));
    }
    for (label, bytes) in &sources {
        for pct in [1, 10, 30, 50, 70, 90, 99] {
            let n = bytes.len() * pct / 100;
            let ext = match *label {
                "mkv" | "avi" => *label,
                _ => "mp4",
            };
            let path = dir.path().join(format!("{label}_{pct}.{ext}"));
            std::fs::write(&path, &bytes[..n]).unwrap();
            for dec in decoders() {
                if ext != "mp4" && dec == DecoderChoice::Builtin {
                    continue;
                }
                let got = decode_file(&path, &options(dec, ALL_FRAMES), &mut |_| true);
                let kind = error_kind(got);
                assert_eq!(
                    kind,
                    ErrorKind::Truncated,
                    "{label} cut at {pct} % ({dec:?})"
                );
            }
        }
    }
}

/// An upload cut short (an interrupted upload, or a copy cut to evade the scan) is judged on
/// what is readable before the cut: a copy is still found, with the cut reported; a file
/// whose readable part matches nothing is an error, never `clean`; a reference cut short is
/// still refused.
#[test]
fn cut_short_uploads_are_matched_on_their_readable_part() {
    if !common::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cut_copy = |source: &Path, name: &str, extra: &[&str]| -> PathBuf {
        let whole = dir.path().join(format!("whole_{name}"));
        let mut args = vec!["-i", p(source), "-c", "copy"];
        args.extend_from_slice(extra);
        args.push(p(&whole));
        ffmpeg(&args);
        let bytes = std::fs::read(&whole).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..bytes.len() * 7 / 10]).unwrap();
        path
    };
    // A 10 s excerpt of a 40 s work, cut at 70 % of its bytes: about 7 s readable.
    let work = common::samples().join("references/v_intel_bottle.mp4");
    let excerpt = common::samples().join("queries/bottle_excerpt.mp4");
    let mkv = cut_copy(&excerpt, "copy_cut.mkv", &[]);
    let fragmented = cut_copy(
        &excerpt,
        "copy_cut.mp4",
        &["-movflags", "+frag_keyframe+empty_moov"],
    );
    let other = dir.path().join("other.mp4");
    let source = "mandelbrot=size=320x240:rate=10";
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-t",
        "4",
        "-pix_fmt",
        "yuv420p",
        p(&other),
    ]);
    let unrelated = cut_copy(&other, "other_cut.mkv", &[]);

    let (_d, cat) = common::catalogue();
    let original = common::case("b18_original.mp4");
    let works = [work, original.clone()];
    let engine = common::engine_over(&cat, &works, DecoderChoice::Ffmpeg);
    let files = [mkv.clone(), fragmented, unrelated];
    let reports = scan_batch(&engine, &files, None, 2, &|_, _, _| {}).unwrap();
    for r in &reports[..2] {
        assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
        assert_eq!(r.status, "cut_short");
        let error = r.error.as_ref().unwrap();
        assert_eq!(error.kind, "truncated");
        assert!(error.message.contains("cut short"), "{}", error.message);
        // Only the readable part: less than the 10 s the header promises.
        assert!(r.duration_ms > 4000 && r.duration_ms < 9500, "{r:?}");
        let m = &r.matches[0];
        assert!(m.reason.contains("min_match_ms"), "{}", m.reason);
        assert!(m.query_end_ms <= r.duration_ms as i64, "{m:?}");
        // The excerpt starts 11.3 s into the work.
        assert!((m.reference_start_ms - 11_290).abs() < 600, "{m:?}");
    }
    let other = &reports[2];
    assert_eq!(other.verdict, VerdictKind::Error, "{other:?}");
    assert_eq!(other.status, "error");
    assert!(other.matches.is_empty());
    let error = other.error.as_ref().unwrap();
    assert_eq!(error.kind, "truncated");
    assert!(
        error.message.contains("no match in the"),
        "{}",
        error.message
    );
    let summary = Summary::of(&reports);
    assert_eq!(summary.cut_short, 2);
    assert_eq!(summary.count(VerdictKind::Error), 1);
    assert_eq!(summary.errors_by_kind.get("truncated"), Some(&1));
    // The share of an upload cut short is unknown: 2 s of a work that are all of the readable
    // part are not "100 % of the upload" (its rest, never read, may be anything). The same
    // 2 s copy, whole, is infringing by the share rule. Cut short it is infringing only as
    // all of the 2 s work (the share of the work, not of the upload).
    let whole = common::case("b18_hflipped.mp4");
    let mut fp = fingerprint_file(
        &whole,
        &options(DecoderChoice::Ffmpeg, SamplePlan::QUERY_DEFAULT),
        hasher_for(engine.algorithm()).as_ref(),
        Role::Query,
    )
    .unwrap();
    let r = engine.judge_fingerprint(&whole, &fp);
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    assert!(r.matches[0].reason.contains("min_share"), "{r:?}");
    fp.cut_short = Some("made-up cut".into());
    let r = engine.judge_fingerprint(&whole, &fp);
    assert_eq!(r.verdict, VerdictKind::Infringing, "{r:?}");
    assert_eq!(r.status, "cut_short");
    let reason = &r.matches[0].reason;
    assert!(reason.contains("share of upload unknown"), "{r:?}");
    assert!(
        reason.starts_with("min_share 0.75 of the work reached"),
        "{r:?}"
    );
    // The plain decode still refuses it, and so does indexing.
    let got = decode_file(
        &mkv,
        &options(DecoderChoice::Ffmpeg, ALL_FRAMES),
        &mut |_| true,
    );
    assert_eq!(error_kind(got), ErrorKind::Truncated);
    assert_index_refused(&mkv, DecoderChoice::Ffmpeg, ErrorKind::Truncated);
}

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

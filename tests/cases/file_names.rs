//! B15: file names

use super::*;

/// The names B15 asks for, as raw bytes.
fn awkward_names() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("invalid_utf8", b"clip_\xff\xfe_\xc3(.mp4".to_vec()),
        ("nfc", "caf\u{e9}_film.mp4".as_bytes().to_vec()),
        ("nfd", "cafe\u{301}_film.mp4".as_bytes().to_vec()),
        (
            "cjk_rlo",
            "\u{6d77}\u{8cca}\u{7248}_\u{202e}4pm.exe"
                .as_bytes()
                .to_vec(),
        ),
        (
            "cjk_rlo_mp4",
            "\u{6620}\u{753b}_\u{202e}gpj.mp4".as_bytes().to_vec(),
        ),
        ("newline_dash", b"-i\nnew line.mp4".to_vec()),
        ("protocol_like", b"concat:a|b.mp4".to_vec()),
    ]
}

/// An MP4 with a `free` box appended (the same media, another SHA-256).
fn with_free_box(mp4: &[u8], tag: u8) -> Vec<u8> {
    let mut out = mp4.to_vec();
    out.extend_from_slice(&[0, 0, 0, 12]);
    out.extend_from_slice(b"free");
    out.extend_from_slice(&[tag, tag, tag, tag]);
    out
}

fn assert_shown_escaped(shown: &str, raw: &Path) {
    for c in ['\u{202e}', '\u{fffd}', '\n'] {
        assert!(
            !shown.contains(c),
            "{shown:?} holds {c:?} (raw {:?})",
            path_to_bytes(raw)
        );
    }
    assert_eq!(shown, display_path(raw));
}

#[test]
fn b15_awkward_file_names_are_hashed_stored_losslessly_and_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(common::case("b15_clip.mp4")).unwrap();
    let names = awkward_names();
    let mut copies: Vec<PathBuf> = Vec::new();
    for (i, (_, name)) in names.iter().enumerate() {
        let path = dir.path().join(path_from_bytes(name));
        std::fs::write(&path, with_free_box(&clip, i as u8)).unwrap();
        copies.push(path);
    }
    // The escaped forms: override neutralised, invalid bytes as \xNN, NFC != NFD.
    let shown: Vec<String> = copies.iter().map(|p| display_path(p)).collect();
    assert!(
        shown[0].ends_with("clip_\\xff\\xfe_\\xc3(.mp4"),
        "{}",
        shown[0]
    );
    assert!(shown[3].contains("\\u{202e}4pm.exe"), "{}", shown[3]);
    assert!(shown[5].contains("-i\\u{000a}new line.mp4"), "{}", shown[5]);
    assert_ne!(shown[1], shown[2], "NFC and NFD names are two names");
    for (s, p) in shown.iter().zip(&copies) {
        assert_shown_escaped(s, p);
    }

    for dec in decoders() {
        // Every copy is hashed, the same as the original.
        let original = fingerprint(&common::case("b15_clip.mp4"), dec);
        for p in &copies {
            let fp = fingerprint(p, dec);
            assert_eq!(
                fp.frames.len(),
                original.frames.len(),
                "{} ({dec:?})",
                display_path(p)
            );
            for (a, b) in fp.frames.iter().zip(&original.frames) {
                assert_eq!(a.hash, b.hash, "{} ({dec:?})", display_path(p));
            }
        }
        // Indexed as works: the paths come back byte for byte, titles are escaped.
        let (_cdir, cat) = common::catalogue();
        for p in &copies {
            let outcome = index_file(
                &cat,
                p,
                &WorkMeta::default(),
                &common::reference_options(dec),
                50,
            )
            .unwrap_or_else(|e| panic!("index {e}"));
            assert!(matches!(outcome, IndexOutcome::Added { .. }), "{outcome:?}");
        }
        let works = cat.works().unwrap();
        let stored: BTreeSet<Vec<u8>> = works.iter().map(|w| path_to_bytes(&w.path)).collect();
        let given: BTreeSet<Vec<u8>> = copies.iter().map(|p| path_to_bytes(p)).collect();
        assert_eq!(stored, given, "{dec:?}");
        for w in &works {
            assert!(
                !w.title.contains('\u{202e}') && !w.title.contains('\n'),
                "{:?}",
                w.title
            );
        }
        // Scanned and stored as a scan: every copy matches, reports are escaped, the
        // stored query paths are the raw bytes.
        let engine = Engine::from_catalogue(
            &cat,
            EngineOptions {
                decode: options(dec, SamplePlan::QUERY_DEFAULT),
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let scan = cat.begin_scan("{}").unwrap();
        let reports = scan_batch(&engine, &copies, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        for (r, p) in reports.iter().zip(&copies) {
            assert_shown_escaped(&r.query, p);
            assert!(r.error.is_none(), "{r:?}");
            assert!(!r.matches.is_empty(), "{} ({dec:?}): {r:?}", r.query);
            let json = serde_json::to_string(r).unwrap();
            assert!(!json.contains('\u{202e}'), "{json}");
            for m in &r.matches {
                assert!(shown.contains(&m.reference), "{}", m.reference);
            }
        }
        let stored: BTreeSet<Vec<u8>> = cat
            .scan_results(scan)
            .unwrap()
            .iter()
            .map(|s| path_to_bytes(&s.query))
            .collect();
        assert_eq!(stored, given, "{dec:?}");
        cat.integrity_check().unwrap();
    }
}

/// NFC and NFD names of byte-identical files: two files that match each other and keep their
/// own names; an error on an awkward name is shown escaped too.
#[test]
fn b15_nfc_and_nfd_names_are_two_files_that_match_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(common::case("b15_clip.mp4")).unwrap();
    let nfc = dir.path().join("caf\u{e9}.mp4");
    let nfd = dir.path().join("cafe\u{301}.mp4");
    std::fs::write(&nfc, &clip).unwrap();
    std::fs::write(&nfd, &clip).unwrap();
    let listed: BTreeSet<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listed.len(), 2, "two files on disk");
    for dec in decoders() {
        for (work, query) in [(&nfc, &nfd), (&nfd, &nfc)] {
            let r = judge(std::slice::from_ref(work), query, dec);
            assert_eq!(r.query, display_path(query));
            let m = r
                .matches
                .first()
                .unwrap_or_else(|| panic!("{dec:?}: {r:?}"));
            assert_eq!(m.reference, display_path(work));
            assert_ne!(m.reference, r.query);
            // Byte-identical files: the upload and the work are sampled at other times,
            // so frames are neighbours, not the same frames.
            assert!(m.mean_distance <= 31.0, "{m:?}");
            assert_eq!(r.verdict, VerdictKind::Infringing, "{dec:?}: {r:?}");
        }
        // A broken file under a name with an override: the error is clean text.
        let bad = dir.path().join("\u{6620}\u{753b}_\u{202e}4pm.exe");
        std::fs::write(&bad, &clip[..clip.len() / 3]).unwrap();
        let r = judge(std::slice::from_ref(&nfc), &bad, dec);
        assert_eq!(r.verdict, VerdictKind::Error, "{dec:?}: {r:?}");
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains('\u{202e}'), "{dec:?}: {json}");
        let err = decode_file(&bad, &options(dec, SamplePlan::QUERY_DEFAULT), &mut |_| {
            true
        })
        .unwrap_err();
        let line = err.to_string();
        assert!(
            !line.contains('\u{202e}') && line.contains("\\u{202e}"),
            "{line}"
        );
        std::fs::remove_file(&bad).unwrap();
    }
}

//! Hash exchange: `swordnet export --format pdq-csv` a catalogue of samples/references,
//! `swordnet import` it into a new catalogue without any media, and scan samples/queries
//! against both: every upload must get the same verdict and the same best work.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use swordnet::engine::{index_file, Engine, EngineOptions, WorkMeta};
use swordnet::hash::{Algorithm, Hash256};
use swordnet::media::video::DecoderChoice;
use swordnet::report::QueryReport;
use swordnet::scan::{collect_inputs, scan_batch};
use swordnet::store::{Catalogue, PDQ_CSV_COLUMNS};
use swordnet::verdict::VerdictKind;

fn swordnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swordnet"))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn scan(cat: &Catalogue) -> BTreeMap<String, QueryReport> {
    let engine = Engine::from_catalogue(cat, EngineOptions::default()).unwrap();
    let (queries, _) = collect_inputs(&[common::samples().join("queries")]);
    scan_batch(&engine, &queries, None, 2, &|_, _, _| {})
        .unwrap()
        .into_iter()
        .map(|r| {
            let name = PathBuf::from(&r.query)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r)
        })
        .collect()
}

/// A hash list carries no keypoints: an upload (a tight crop) that only they placed is not
/// found after import, and must not be found by the hashes either.
fn found_by_keypoints(report: &QueryReport) -> bool {
    report
        .matches
        .first()
        .is_some_and(|m| m.keypoint_inliers.is_some())
}

#[test]
fn export_import_scan_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let original_db = dir.path().join("original.db");
    let imported_db = dir.path().join("imported.db");
    let list = dir.path().join("hashes.csv");
    let original = Catalogue::open(&original_db, None).unwrap();
    let (refs, _) = collect_inputs(&[common::samples().join("references")]);
    for (i, r) in refs.iter().enumerate() {
        let meta = WorkMeta {
            title: Some(format!("Work \"{i}\", with a comma")),
            rights_holder: Some("Studio A".into()),
            key_work: i == 0,
        };
        index_file(
            &original,
            r,
            &meta,
            &common::reference_options(DecoderChoice::Auto),
            50,
        )
        .unwrap();
    }

    run_ok(
        swordnet()
            .args(["export", "--primary-only", "--db"])
            .arg(&original_db)
            .args(["--format", "pdq-csv"])
            .arg(&list),
    );

    // The list: one view-0 frame hash per line, 64 hex first, no header (Meta's PDQ tools
    // read every line as `hash,metadata`).
    let text = std::fs::read_to_string(&list).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let works = original.works().unwrap();
    let primary: usize = works
        .iter()
        .map(|w| {
            original
                .frames_of(w.id)
                .unwrap()
                .iter()
                .filter(|f| f.view == 0)
                .count()
        })
        .sum();
    assert_eq!(rows.len(), primary);
    assert_eq!(
        primary as u64,
        works.iter().map(|w| w.frame_count).sum::<u64>()
    );
    for (line, row) in text.lines().zip(&rows) {
        assert_eq!(row.len(), PDQ_CSV_COLUMNS.len());
        let hex = line.split(',').next().unwrap();
        assert_eq!(hex.len(), 64);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(Hash256::from_hex(hex, Algorithm::Pdq).is_some());
        let q: u8 = row[1].parse().unwrap();
        assert!(q <= 100);
    }

    // The list imported into the catalogue it came from adds nothing: every work is there.
    let again = original
        .import_pdq_csv(&mut text.as_bytes())
        .expect("own export imports");
    assert_eq!((again.works, again.already_present), (0, works.len()));
    assert_eq!(original.works().unwrap().len(), works.len());

    // The hash of a still work is what `swordnet hash` prints for its file.
    let tiger = works.iter().find(|w| w.media == "image").unwrap();
    let printed: serde_json::Value = serde_json::from_str(&run_ok(
        swordnet().arg("hash").arg(&tiger.path).arg("--json"),
    ))
    .unwrap();
    let printed_hash = printed["frames"][0]["hash"].as_str().unwrap().to_string();
    assert!(
        rows.iter()
            .any(|r| r[0] == printed_hash && r[3] == tiger.id.to_string()),
        "exported hash of {} differs from `swordnet hash`",
        tiger.title
    );

    run_ok(
        swordnet()
            .arg("import")
            .arg(&list)
            .arg("--db")
            .arg(&imported_db),
    );
    let imported = Catalogue::open(&imported_db, None).unwrap();
    let copies = imported.works().unwrap();
    assert_eq!(copies.len(), works.len());
    for (w, c) in works.iter().zip(&copies) {
        assert!(c.is_imported() && !w.is_imported());
        assert!(c.sha256.starts_with("import:"));
        assert_eq!(c.path, PathBuf::new());
        assert_eq!(
            (&c.title, &c.rights_holder, c.key_work, &c.media),
            (&w.title, &w.rights_holder, w.key_work, &w.media)
        );
        assert_eq!(
            (c.duration_ms, c.width, c.height, c.frame_count),
            (w.duration_ms, w.width, w.height, w.frame_count)
        );
        let a: Vec<_> = original
            .frames_of(w.id)
            .unwrap()
            .into_iter()
            .filter(|f| f.view == 0)
            .map(|f| (f.t_ms, f.hash, f.quality))
            .collect();
        let b: Vec<_> = imported
            .frames_of(c.id)
            .unwrap()
            .into_iter()
            .map(|f| (f.t_ms, f.hash, f.quality))
            .collect();
        assert_eq!(a, b, "frames of {}", w.title);
    }

    // Importing the same list again adds nothing.
    let out = swordnet()
        .arg("import")
        .arg(&list)
        .arg("--db")
        .arg(&imported_db)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 works added, 5 already present"));
    assert_eq!(imported.works().unwrap().len(), works.len());

    // Same verdicts, same best work, near the same time ranges.
    let before = scan(&original);
    let after = scan(&imported);
    assert_eq!(before.len(), 18);
    let mut differences = Vec::new();
    for (name, a) in &before {
        let b = &after[name];
        // A hash list carries no keypoints: a tight crop placed by them is not found after
        // import (it is clean there, and must not be found by hashes either).
        if a.matches
            .first()
            .is_some_and(|m| m.keypoint_inliers.is_some())
        {
            assert_eq!(b.verdict, VerdictKind::Clean, "{name}");
            continue;
        }
        if a.verdict != b.verdict {
            differences.push(format!(
                "{name}: {} -> {}",
                a.verdict.as_str(),
                b.verdict.as_str()
            ));
            continue;
        }
        match (a.matches.first(), b.matches.first()) {
            (Some(x), Some(y)) => {
                assert_eq!(x.title, y.title, "{name}: best work");
                assert_eq!(y.reference, "", "{name}: an imported work has no file");
                for (p, q) in [
                    (x.query_start_ms, y.query_start_ms),
                    (x.query_end_ms, y.query_end_ms),
                    (x.reference_start_ms, y.reference_start_ms),
                    (x.reference_end_ms, y.reference_end_ms),
                ] {
                    assert!((p - q).abs() <= 1000, "{name}: {x:?} vs {y:?}");
                }
            }
            (None, None) => {}
            (x, y) => differences.push(format!("{name}: best match {x:?} -> {y:?}")),
        }
    }
    assert!(
        differences.is_empty(),
        "verdicts changed after export/import:\n{}",
        differences.join("\n")
    );

    // By default the crop views travel too: the imported catalogue holds exactly the
    // original's hashes and judges every upload found by hashes exactly alike.
    let all_list = dir.path().join("all.csv");
    let all_db = dir.path().join("all.db");
    run_ok(
        swordnet()
            .args(["export", "--db"])
            .arg(&original_db)
            .arg(&all_list),
    );
    run_ok(
        swordnet()
            .arg("import")
            .arg(&all_list)
            .arg("--db")
            .arg(&all_db),
    );
    let all = Catalogue::open(&all_db, None).unwrap();
    let strip = |cat: &Catalogue| -> Vec<_> {
        cat.all_frames()
            .unwrap()
            .into_iter()
            .map(|f| (f.t_ms, f.view, f.hash, f.quality))
            .collect()
    };
    assert_eq!(strip(&original), strip(&all));
    assert_eq!(
        all.works()
            .unwrap()
            .iter()
            .map(|w| w.frame_count)
            .collect::<Vec<_>>(),
        works.iter().map(|w| w.frame_count).collect::<Vec<_>>()
    );
    let exact = scan(&all);
    for (name, a) in &before {
        let b = &exact[name];
        if found_by_keypoints(a) {
            assert_eq!(b.verdict, VerdictKind::Clean, "{name}");
            continue;
        }
        assert_eq!(a.verdict, b.verdict, "{name}");
        assert_eq!(a.matches.len(), b.matches.len(), "{name}");
        for (x, y) in a.matches.iter().zip(&b.matches) {
            assert_eq!(
                (x.title.as_str(), x.query_start_ms, x.query_end_ms, x.score),
                (y.title.as_str(), y.query_start_ms, y.query_end_ms, y.score),
                "{name}"
            );
        }
    }
}

#[test]
fn meta_style_lists_import_as_still_works() {
    // `hash,quality,name` lines as Meta's pdq-photo-hasher writes them, a header, a `hash=`.
    let a = "f".repeat(64);
    let b = format!("{}{}", "0".repeat(32), "a".repeat(32));
    let text = format!("hash,quality,name\n{a},90,cat.jpg\nhash={b}\n");
    let (_dir, cat) = common::catalogue();
    let s = cat.import_pdq_csv(&mut text.as_bytes()).unwrap();
    assert_eq!((s.works, s.hashes), (2, 2));
    let works = cat.works().unwrap();
    assert_eq!(works[0].title, "cat.jpg");
    assert_eq!(works[0].media, "image");
    let frames = cat.frames_of(works[1].id).unwrap();
    assert_eq!(frames[0].quality, 100);
    assert_eq!(frames[0].hash.to_hex(Algorithm::Pdq), b);

    let bad = format!("{a},90,0,1,t,,false,video,1000,10,10\nnot-a-hash,1\n");
    let err = cat.import_pdq_csv(&mut bad.as_bytes()).unwrap_err();
    assert!(err.message.contains("line 2"), "{err}");
    assert_eq!(cat.works().unwrap().len(), 2, "a bad file writes nothing");

    // Values that cannot be stored as given are refused, not clamped.
    for (line, expected) in [
        (
            format!("{a},90,0,1,t,,false,video,1000,99999999999,10\n"),
            "width",
        ),
        (
            format!("{a},90,-40,1,t,,false,video,1000,10,10\n"),
            "bad t_ms",
        ),
    ] {
        let err = cat.import_pdq_csv(&mut line.as_bytes()).unwrap_err();
        assert!(err.message.contains(expected), "{err}");
    }
}

/// `swordnet import` of a bad list into a path with no catalogue yet leaves no file behind.
#[test]
fn a_failed_import_creates_no_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "not-a-hash,100,x.jpg\n").unwrap();
    let db = dir.path().join("new.db");
    let out = swordnet()
        .args(["import", "--db"])
        .arg(&db)
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
    assert!(!db.exists(), "no empty catalogue left");
}

/// A quote opened at the start of a field and never closed is a bad line, not a title that
/// swallows the rest of the file (the CSV reader alone imported 501 of 1,001 hashes, the last
/// 500 lines becoming one title). Quotes inside a field and quoted titles with newlines and
/// `""` stay as they were.
#[test]
fn an_unclosed_quote_stops_the_import_naming_its_line() {
    let hash = |i: usize| format!("{:064x}", i * 7919 + 1);
    let mut text = String::new();
    for i in 0..20 {
        let name = if i == 10 {
            "\"draft.jpg".to_string()
        } else {
            format!("photo{i}.jpg")
        };
        text.push_str(&format!("{},100,{name}\n", hash(i)));
    }
    let (_dir, cat) = common::catalogue();
    let err = cat.import_pdq_csv(&mut text.as_bytes()).unwrap_err();
    assert!(err.message.contains("line 11"), "{err}");
    assert!(err.message.contains("never closed"), "{err}");
    assert!(cat.works().unwrap().is_empty(), "a bad file writes nothing");

    let fine = format!(
        "{},100,my \"draft\".jpg\n{},90,\"two\nlines, \"\"quoted\"\"\"\n{},80,last.jpg\n",
        hash(1),
        hash(2),
        hash(3)
    );
    let s = cat.import_pdq_csv(&mut fine.as_bytes()).unwrap();
    assert_eq!((s.works, s.hashes), (3, 3));
    let titles: Vec<String> = cat.works().unwrap().into_iter().map(|w| w.title).collect();
    assert_eq!(
        titles,
        ["my \"draft\".jpg", "two\nlines, \"quoted\"", "last.jpg"]
    );
}

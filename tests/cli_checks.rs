//! Command-line inputs that would silently give a wrong or empty answer are refused with a
//! clear message: an empty catalogue, a catalogue in a missing folder, a misspelt config key,
//! out-of-range thresholds, a truth file without its columns or with values it cannot score,
//! output paths that cannot be written, a resume with nothing to resume;
//! and `bench` over files that all fail reports no ratio.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn swordnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swordnet"))
}

/// The exit code and standard error of a run that must fail.
fn failure(out: Output) -> (i32, String) {
    assert!(!out.status.success(), "{out:?}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The exit code and standard error of `swordnet ARGS...`, which must fail.
fn refused<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String) {
    failure(swordnet().args(args).output().unwrap())
}

fn upload() -> std::path::PathBuf {
    common::samples().join("queries/rocket_mirrored.jpg")
}

fn index_rocket(db: &Path) {
    let out = swordnet()
        .args(["index", "--db"])
        .arg(db)
        .arg(common::samples().join("references/p_sk_rocket.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn an_empty_catalogue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A zero-byte file (a failed copy) and a catalogue with every work removed alike.
    let db = dir.path().join("empty.db");
    std::fs::write(&db, b"").unwrap();
    let (code, err) = refused(&[
        "scan".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        upload().as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("an empty file (0 bytes), not a catalogue") && err.contains("empty.db"),
        "{err}"
    );
    // Refused without writing a catalogue into the file.
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    // A catalogue whose works were all removed.
    let db = dir.path().join("removed.db");
    index_rocket(&db);
    let out = swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["remove", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, err) = refused(&[
        "scan".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        upload().as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("holds no works"), "{err}");
}

/// An output path naming the catalogue (or its journal), an upload being scanned, an existing
/// picture or another output is refused before anything is written; the catalogue and the
/// upload keep their bytes.
#[test]
fn outputs_never_overwrite_the_catalogue_or_an_upload() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cat.db");
    index_rocket(&db);
    let upload_copy = dir.path().join("upload.jpg");
    std::fs::copy(upload(), &upload_copy).unwrap();
    let before = (
        std::fs::read(&db).unwrap(),
        std::fs::read(&upload_copy).unwrap(),
    );
    let wal = dir.path().join("cat.db-wal");
    let scan = |flag: &str, out: &Path| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "scan".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            upload_copy.as_os_str(),
        ];
        args.push(flag.as_ref());
        args.push(out.as_os_str());
        refused(&args)
    };
    for (flag, out) in [
        ("--report", &db),
        ("--html", &wal),
        ("--takedown", &upload_copy),
    ] {
        let (code, err) = scan(flag, out);
        assert_eq!(code, 1, "{flag}");
        assert!(err.contains("would destroy it"), "{flag}: {err}");
    }
    let (code, err) = refused(&[
        "export".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        db.as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("is the catalogue"), "{err}");
    assert_eq!(before.0, std::fs::read(&db).unwrap());
    assert_eq!(before.1, std::fs::read(&upload_copy).unwrap());
}

#[test]
fn a_catalogue_in_a_missing_folder_or_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("no/such/folder/catalogue.db");
    let (_, err) = refused(&[
        "index".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        upload().as_os_str(),
    ]);
    assert!(
        err.contains("does not exist") && err.contains("folder"),
        "{err}"
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, [0x5a_u8; 4096]).unwrap();
    let (_, err) = refused(&[
        "scan".as_ref(),
        "--db".as_ref(),
        junk.as_os_str(),
        upload().as_os_str(),
    ]);
    assert!(
        err.contains("junk.db") && err.contains("not a database"),
        "{err}"
    );
}

#[test]
fn config_mistakes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    for (config, expected) in [
        (r#"{"limits":{"max_pixel":5}}"#, "unknown field `max_pixel`"),
        (
            r#"{"policy":{"standard":{"min_share":1.1}}}"#,
            "min_share 1.1 is not a share",
        ),
        (
            r#"{"policy":{"key_work":{"min_match_ms":-5}}}"#,
            "min_match_ms -5 is negative",
        ),
        (r#"{"limits":{"decode_timeout_s":0}}"#, "at least 1 s"),
        // An array would be read as the fields in order.
        ("[]", "expected a JSON object"),
        (
            r#"{"policy":{"min_quality":101}}"#,
            "min_quality 101 is over 100",
        ),
        // A byte-order mark is skipped: the mistake after it is found.
        (
            "\u{feff}{\"policy\":{\"min_quality\":101}}",
            "min_quality 101 is over 100",
        ),
    ] {
        let file = dir.path().join("config.json");
        std::fs::write(&file, config).unwrap();
        let (code, err) = refused(&[
            "scan".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            "--config".as_ref(),
            file.as_os_str(),
            upload().as_os_str(),
        ]);
        assert_eq!(code, 1, "{config}");
        assert!(err.contains(expected), "{config}: {err}");
    }
}

#[test]
fn a_truth_file_without_its_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    let truth = dir.path().join("truth.csv");
    // The error of `eval` with a truth file holding `text`.
    let eval_error = |text: &str| {
        std::fs::write(&truth, text).unwrap();
        refused(&[
            "eval".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            "--truth".as_ref(),
            truth.as_os_str(),
            common::samples().join("queries").as_os_str(),
        ])
        .1
    };
    let err = eval_error("a,b\n1,2\n");
    assert!(err.contains("no column query, media, verdict"), "{err}");
    let err = eval_error("query,media,verdict\n");
    assert!(err.contains("no rows"), "{err}");
    // Values that would be scored as something else name their line.
    let err = eval_error("query,media,verdict\na.jpg,image,clean\nb.jpg,image,maybe\n");
    assert!(err.contains("line 3") && err.contains("\"maybe\""), "{err}");
    let err = eval_error("query,media,verdict\na.jpg,imagee,clean\n");
    assert!(err.contains("line 2") && err.contains("imagee"), "{err}");
    let err = eval_error("query,media,verdict,ref_start\na.mp4,video,infringing,abc\n");
    assert!(err.contains("ref_start") && err.contains("abc"), "{err}");
    // A second row for one upload would score it twice.
    let err = eval_error(
        "query,media,verdict
a.jpg,image,clean
b.jpg,image,clean
a.jpg,image,infringing
",
    );
    assert!(err.contains("line 4") && err.contains("line 2"), "{err}");
    let err = eval_error(
        "query,media,verdict,ref_start,ref_end
a.mp4,video,infringing,1;5,3
",
    );
    assert!(
        err.contains("ref_start has 2 times but ref_end has 1"),
        "{err}"
    );
    let err = eval_error(
        "query,media,verdict,ref_start,ref_end
a.mp4,video,infringing,1;9,3;5
",
    );
    assert!(err.contains("ref_start 9 is after ref_end 5"), "{err}");
    // A truth file naming none of the folder's uploads scores nothing: the wrong folder.
    let err = eval_error("query,media,verdict\nnot_here.jpg,image,clean\n");
    assert!(err.contains("none of the 1 uploads"), "{err}");
}

#[test]
fn resume_needs_an_unfinished_scan() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    let scan = |resume: bool| {
        let mut c = swordnet();
        c.args(["scan", "--db"]).arg(&db).arg(upload());
        if resume {
            c.arg("--resume");
        }
        c.output().unwrap()
    };
    let (_, err) = failure(scan(true));
    assert!(err.contains("nothing to resume"), "{err}");
    assert_eq!(scan(false).status.code(), Some(4));
    // The scan finished: resuming it would add unrelated uploads to it.
    let (_, err) = failure(scan(true));
    assert!(err.contains("finished"), "{err}");
}

#[test]
fn bench_over_files_that_all_fail_has_no_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let out = swordnet()
        .args(["bench", "scan", "--json", "--db"])
        .arg(&db)
        .arg(&empty)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(figures["frames"], 0);
    assert_eq!(figures["ratio"], serde_json::Value::Null);
    // Keys in the documented order, with or without --by-media.
    let out = swordnet()
        .args(["bench", "scan", "--json", "--by-media", "--db"])
        .arg(&db)
        .arg(upload())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(r#"{"files":1,"media_seconds":"#)
            && text.contains(r#","media":"images"}"#),
        "{text}"
    );
    let (code, _) = refused(&[
        "bench".as_ref(),
        "scan".as_ref(),
        "--rounds".as_ref(),
        "0".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        upload().as_os_str(),
    ]);
    assert_eq!(code, 2);
}

/// A file name with a newline is shown escaped in the reports, and the HTML report still finds
/// the file for its thumbnails.
#[test]
fn html_thumbnails_of_a_file_named_with_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    let odd = dir.path().join("new\nline.jpg");
    std::fs::copy(upload(), &odd).unwrap();
    let html = dir.path().join("evidence.html");
    let out = swordnet()
        .args(["scan", "--db"])
        .arg(&db)
        .arg(&odd)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["query"]
        .as_str()
        .unwrap()
        .ends_with("new\\u{000a}line.jpg"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("no picture"), "a thumbnail is missing");
    assert_eq!(
        page.matches("<img ").count(),
        2,
        "upload and work thumbnails"
    );
}

/// A resumed scan reports every upload of the scan, those judged before the interruption too,
/// in input order.
#[test]
fn a_resumed_scan_reports_the_whole_scan() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    index_rocket(&db);
    let queries = common::samples().join("queries");
    let (first, second) = (
        queries.join("rocket_mirrored.jpg"),
        queries.join("rocket_jpeg_q30.jpg"),
    );
    let out = swordnet()
        .args(["scan", "--db"])
        .arg(&db)
        .arg(&second)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    // As if a scan of both had been killed after its second upload.
    let settings = serde_json::json!([
        swordnet::paths::display_path(&first),
        swordnet::paths::display_path(&second)
    ]);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE scans SET finished_at = NULL, settings = json_set(settings, '$.paths', json(?1))",
            [settings.to_string()],
        )
        .unwrap();
    // Resuming it over other inputs (or options) would leave uploads of it never judged.
    let (_, err) = failure(
        swordnet()
            .args(["scan", "--resume", "--db"])
            .arg(&db)
            .arg(&first)
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("cannot resume scan 1: its paths differ"),
        "{err}"
    );
    let out = swordnet()
        .args(["scan", "--resume", "--db"])
        .arg(&db)
        .args([&first, &second])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines.iter().map(|r| r["query"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with("rocket_mirrored.jpg") && names[1].ends_with("rocket_jpeg_q30.jpg"));
    assert!(lines.iter().all(|r| r["verdict"] == "infringing"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 uploads: 2 infringing"), "{stderr}");
    assert!(
        stderr.contains(
            "resuming scan 1: 1 of 2 uploads were judged before it stopped and are skipped; 1 left"
        ),
        "{stderr}"
    );
}

/// Output paths that cannot be written are refused before the scan runs, and the scan stores
/// nothing (a mistyped `--html` or `--takedown` folder used to be found only at the end).
#[test]
fn unwritable_output_paths_are_refused_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    index_rocket(&db);
    let missing = dir.path().join("no-such-folder/out.html");
    for flag in ["--html", "--takedown", "--report"] {
        let (code, err) = refused(&[
            "scan".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            flag.as_ref(),
            missing.as_os_str(),
            upload().as_os_str(),
        ]);
        assert_eq!(code, 1, "{flag}");
        assert!(
            err.contains("folder does not exist") && err.contains("out.html"),
            "{err}"
        );
    }
    let (code, err) = refused(&[
        "scan".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--takedown".as_ref(),
        dir.path().as_os_str(),
        upload().as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("this is a folder"), "{err}");
    // No scan was stored by the refused runs.
    let out = swordnet()
        .args(["report", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() || !text.contains("rocket"), "{text}");
}

/// `--takedown -` writes the takedown list to standard output (it wrote a file named `-`),
/// and two outputs meant for standard output together are refused before scanning.
#[test]
fn a_dash_means_standard_output_for_one_output_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    index_rocket(&db);
    let (code, err) = refused(&[
        "scan".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--takedown".as_ref(),
        "-".as_ref(),
        upload().as_os_str(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--takedown and the report would go to standard output together"),
        "{err}"
    );
    let report = dir.path().join("r.jsonl");
    let out = swordnet()
        .current_dir(dir.path())
        .args(["scan", "--db"])
        .arg(&db)
        .args(["--takedown", "-", "--report"])
        .arg(&report)
        .arg(upload())
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("query,verdict,reference,"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(!dir.path().join("-").exists());
    assert!(report.exists());
}

/// Rows changed behind swordnet's back (a frame hash or keypoint blob cut short, a negative
/// duration) stop the scan with a message that says the catalogue is damaged and names the
/// work, instead of a bare SQLite type error or a silently zeroed hash.
#[test]
fn damaged_catalogue_rows_are_named() {
    for (damage, expected) in [
        (
            "UPDATE frames SET hash = x'0102' WHERE idx = 0 AND view = 0",
            "a frame hash of work 1 is 2 bytes, not 32",
        ),
        (
            "UPDATE local_features SET keypoints = x'0102'",
            "the keypoints of work 1 are 2 bytes",
        ),
        (
            "UPDATE works SET duration_ms = -5",
            "duration_ms -5 is negative",
        ),
        (
            "UPDATE works SET frame_count = 'many'",
            "the catalogue is damaged",
        ),
        // Without it, new hashes of another algorithm would be mixed in.
        (
            "DELETE FROM meta WHERE key = 'algorithm'",
            "no record of their hash algorithm",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalogue.db");
        index_rocket(&db);
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute(damage, [])
            .unwrap();
        let (code, err) = refused(&[
            "scan".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            upload().as_os_str(),
        ]);
        assert_eq!(code, 1, "{damage}: {err}");
        assert!(err.contains(expected), "{damage}: {err}");
        assert!(err.contains("damaged"), "{damage}: {err}");
    }
}

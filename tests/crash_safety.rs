//! The catalogue survives `kill -9` at any moment, and a scan runs while an index run writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use swordnet::store::Catalogue;

fn swordnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swordnet"))
}

/// Photos from the dev corpus: many distinct small works (flat synthetic ones left out: they
/// are refused as protected works, by design).
fn photos(n: usize) -> Vec<PathBuf> {
    let truth = swordnet::eval::read_truth(&common::shared("corpus/dev/truth.csv")).unwrap();
    let queries = common::shared("corpus/dev/queries");
    let mut files: Vec<PathBuf> = truth
        .iter()
        .filter(|r| r.media == "image" && !r.transform.starts_with("synthetic"))
        .map(|r| queries.join(&r.query))
        .collect();
    files.sort();
    files.truncate(n);
    assert_eq!(files.len(), n);
    files
}

/// Every stored work has exactly the frames it says, and no content is stored twice.
fn assert_consistent(db: &Path) -> usize {
    let cat = Catalogue::open(db, None).expect("catalogue opens after kill -9");
    cat.integrity_check().expect("integrity_check ok");
    let works = cat.works().unwrap();
    let mut shas: Vec<&str> = works.iter().map(|w| w.sha256.as_str()).collect();
    shas.sort();
    shas.dedup();
    assert_eq!(shas.len(), works.len(), "a work is stored twice");
    for w in &works {
        let primary = cat
            .frames_of(w.id)
            .unwrap()
            .iter()
            .filter(|f| f.view == 0)
            .count();
        assert_eq!(
            primary as u64, w.frame_count,
            "work {} is half stored",
            w.id
        );
    }
    works.len()
}

#[test]
fn index_killed_mid_batch_resumes_without_loss() {
    let files = photos(120);
    for round in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalogue.db");
        let mut child = swordnet()
            .args(["index", "--jobs", "2", "--db"])
            .arg(&db)
            .args(&files)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once some works are in (or after a while), mid-batch.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(150 + 100 * round));
            let stored = Catalogue::open(&db, None)
                .ok()
                .and_then(|c| c.works().ok())
                .map_or(0, |w| w.len());
            if stored >= 5 + 10 * round as usize {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let before = assert_consistent(&db);
        assert!(
            before < files.len(),
            "the run finished before it could be killed"
        );
        let rerun = swordnet()
            .args(["index", "--db"])
            .arg(&db)
            .args(&files)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&rerun.stdout);
        // Only photos without detail may be refused (per-file errors, exit code 8).
        let refused = stdout.lines().filter(|l| l.starts_with("error")).count();
        for line in stdout.lines().filter(|l| l.starts_with("error")) {
            assert!(line.contains("low_quality"), "{line}");
        }
        assert!(
            matches!(rerun.status.code(), Some(0) | Some(8)),
            "rerun failed: {:?}",
            rerun.status
        );
        let after = assert_consistent(&db);
        assert!(after > before);
        assert_eq!(after + refused, files.len());
    }
}

#[test]
fn scan_runs_while_index_writes() {
    let files = photos(60);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    let status = swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .args(&files[..10])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let mut indexer = swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .args(&files[10..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let report = dir.path().join("report.jsonl");
    let scan = swordnet()
        .args(["scan", "--db"])
        .arg(&db)
        .arg(common::samples().join("queries"))
        .arg("--report")
        .arg(&report)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let index_status = indexer.wait().unwrap();
    assert!(
        matches!(index_status.code(), Some(0) | Some(8)),
        "index failed while a scan ran: {index_status:?}"
    );
    // 0: nothing infringing (the samples' works are not in this catalogue), never 1.
    assert!(
        matches!(scan.code(), Some(0) | Some(4)),
        "scan failed while an index ran: {scan:?}"
    );
    let lines = std::fs::read_to_string(&report).unwrap().lines().count();
    assert_eq!(
        lines,
        std::fs::read_dir(common::samples().join("queries"))
            .unwrap()
            .count()
    );
    assert!(assert_consistent(&db) >= 55);
}

#[test]
fn two_index_runs_into_one_catalogue_take_turns() {
    let files = photos(24);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    // The same files in opposite orders: each run meets works the other is writing.
    let mut reversed = files.clone();
    reversed.reverse();
    let runs: Vec<std::process::Child> = [&files, &reversed]
        .iter()
        .map(|list| {
            swordnet()
                .args(["index", "--jobs", "2", "--db"])
                .arg(&db)
                .args(list.iter())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{log}");
        assert!(!log.contains("locked"), "{log}");
    }
    assert_eq!(assert_consistent(&db), 24);
}

/// Ctrl-C during a scan: exit 130, a message saying the judged uploads are stored and how to
/// get their report and judge the rest; `report` then writes them and `--resume` finishes.
#[test]
fn a_stopped_scan_says_what_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    let out = swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .arg(common::samples().join("references/p_sk_rocket.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let uploads = photos(150);
    let scan = || {
        let mut cmd = swordnet();
        cmd.args(["scan", "--jobs", "1", "--db"])
            .arg(&db)
            .args(&uploads)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    let child = scan().spawn().unwrap();
    // Stop it once some uploads are judged (each is stored as it is judged).
    let started = Instant::now();
    let judged = |db: &Path| -> usize {
        let Ok(cat) = Catalogue::open(db, None) else {
            return 0;
        };
        cat.latest_scan()
            .ok()
            .flatten()
            .map_or(0, |s| cat.scan_results(s.id).map_or(0, |r| r.len()))
    };
    while judged(&db) < 5 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("judged so far are stored"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let kept = judged(&db);
    assert!(
        (5..uploads.len()).contains(&kept),
        "{kept} judged before the stop"
    );
    let report = swordnet()
        .args(["report", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&report.stdout).lines().count();
    assert_eq!(
        lines, kept,
        "the report of a stopped scan lists what it judged"
    );
    let out = scan().arg("--resume").output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert_eq!(judged(&db), uploads.len());
}

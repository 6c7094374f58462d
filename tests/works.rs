//! Works management from the command line: `works list` (table and JSON) shows title, rights
//! holder, key work, media, duration and frames; `works set` changes the title and the
//! key-work flag; unknown ids are errors.

mod common;

use std::process::{Command, Output};

fn swordnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swordnet"))
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn listed(db: &std::path::Path) -> Vec<serde_json::Value> {
    ok(swordnet()
        .args(["works", "--db"])
        .arg(db)
        .args(["list", "--json"])
        .output()
        .unwrap())
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

#[test]
fn list_and_set_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    let refs = common::samples().join("references");
    ok(swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .arg(refs.join("p_mdn_tiger.jpg"))
        .args([
            "--title",
            "Tiger",
            "--rights-holder",
            "Zoo Pictures",
            "--key-work",
        ])
        .output()
        .unwrap());
    ok(swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .arg(refs.join("p_sk_rocket.jpg"))
        .output()
        .unwrap());

    let works = listed(&db);
    assert_eq!(works.len(), 2);
    let (tiger, rocket) = (&works[0], &works[1]);
    assert_eq!(tiger["title"], "Tiger");
    assert_eq!(tiger["rights_holder"], "Zoo Pictures");
    assert_eq!(tiger["key_work"], true);
    assert_eq!(tiger["media"], "image");
    assert_eq!(tiger["duration_ms"], 0);
    assert_eq!(tiger["frame_count"], 1);
    assert_eq!(rocket["title"], "p_sk_rocket");
    assert_eq!(rocket["rights_holder"], serde_json::Value::Null);
    assert_eq!(rocket["key_work"], false);

    // `show` lists the one standard hash of the photo; --all-views every view, numbered.
    let id = tiger["id"].to_string();
    let show = |extra: &[&str]| {
        swordnet()
            .args(["works", "--db"])
            .arg(&db)
            .args(["show", &id])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = show(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    let hash_lines: Vec<&str> = text.lines().filter(|l| l.contains("  q")).collect();
    assert_eq!(hash_lines.len(), 1, "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--all-views lists them"));
    let text = String::from_utf8_lossy(&show(&["--all-views"]).stdout).to_string();
    let views: Vec<&str> = text.lines().filter(|l| l.contains("  view ")).collect();
    assert!(views.len() > 100, "{}", views.len());
    assert!(views[0].ends_with("view 0"), "{}", views[0]);

    let table = ok(swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .arg("list")
        .output()
        .unwrap());
    let header = table.lines().next().unwrap();
    for column in [
        "title",
        "rights holder",
        "key",
        "media",
        "duration",
        "frames",
    ] {
        assert!(header.contains(column), "no {column} column: {header}");
    }
    let row = table.lines().find(|l| l.contains("Tiger")).unwrap();
    for cell in ["Zoo Pictures", "yes", "image", "0.0s", " 1"] {
        assert!(row.contains(cell), "{cell:?} missing: {row}");
    }

    let rocket_id = rocket["id"].to_string();
    let tiger_id = tiger["id"].to_string();
    ok(swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args([
            "set",
            &rocket_id,
            "--key-work",
            "true",
            "--title",
            "Rocket launch",
        ])
        .output()
        .unwrap());
    ok(swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["set", &tiger_id, "--key-work", "false"])
        .output()
        .unwrap());
    let out = swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["set", &tiger_id, "--title", " "])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("title cannot be empty"));
    let works = listed(&db);
    assert_eq!(works[0]["title"], "Tiger", "title kept when not given");
    assert_eq!(works[0]["key_work"], false);
    assert_eq!(works[1]["title"], "Rocket launch");
    assert_eq!(works[1]["key_work"], true);

    // The change reaches the scan: the match names the new title and the key-work flag.
    let out = swordnet()
        .args(["scan", "--db"])
        .arg(&db)
        .arg(common::samples().join("queries/rocket_mirrored.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(report["matches"][0]["title"], "Rocket launch");
    assert_eq!(report["matches"][0]["key_work"], true);

    // Unknown id, bad flag value.
    let out = swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["set", "999", "--key-work", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no work with id 999"));
    let out = swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["set", &tiger_id, "--key-work", "maybe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(listed(&db).len(), 2);
}

/// `index --manifest works.csv` alone (no paths), as the README shows: titles, rights holders
/// and key-work flags come from the CSV, paths relative to it.
#[test]
fn index_from_a_manifest_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    let refs = common::samples().join("references");
    std::fs::copy(refs.join("p_sk_rocket.jpg"), dir.path().join("rocket.jpg")).unwrap();
    std::fs::copy(refs.join("p_mdn_tiger.jpg"), dir.path().join("tiger.jpg")).unwrap();
    let manifest = dir.path().join("works.csv");
    std::fs::write(
        &manifest,
        "path,title,rights_holder,key_work\nrocket.jpg,Rocket,Space Films,true\ntiger.jpg,Tiger,,false\n",
    )
    .unwrap();
    ok(swordnet()
        .args(["index", "--db"])
        .arg(&db)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap());
    // Work ids follow the order indexing finished in (two files on two threads): by title.
    let mut works = listed(&db);
    works.sort_by_key(|w| w["title"].as_str().unwrap().to_string());
    let titles: Vec<&str> = works.iter().map(|w| w["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Rocket", "Tiger"]);
    assert_eq!(works[0]["rights_holder"], "Space Films");
    assert_eq!(works[0]["key_work"], true);
    assert_eq!(works[1]["rights_holder"], serde_json::Value::Null);
    // A bad key_work names its manifest line, and nothing of the manifest is indexed.
    std::fs::write(
        &manifest,
        "path,title,rights_holder,key_work\nrocket.jpg,Rocket,,true\ntiger.jpg,Tiger,,maybe\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.db");
    let out = swordnet()
        .args(["index", "--db"])
        .arg(&bad)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("works.csv: bad manifest, line 3: key_work must be true or false"),
        "{err}"
    );
    // Without paths and without a manifest: a usage error, nothing indexed.
    let out = swordnet()
        .args(["index", "--db"])
        .arg(dir.path().join("other.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A manifest without its header line, with no rows, or listing one file twice with other
/// details is refused, naming the problem; the same line twice is one work.
#[test]
fn a_manifest_without_header_or_with_conflicting_lines_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let refs = common::samples().join("references");
    std::fs::copy(refs.join("p_sk_rocket.jpg"), dir.path().join("rocket.jpg")).unwrap();
    let manifest = dir.path().join("works.csv");
    let index = |text: &str, db: &str| {
        std::fs::write(&manifest, text).unwrap();
        swordnet()
            .args(["index", "--db"])
            .arg(dir.path().join(db))
            .arg("--manifest")
            .arg(&manifest)
            .output()
            .unwrap()
    };
    for (text, expected) in [
        (
            "rocket.jpg,Rocket,,true\n",
            "its first line must be the header path,title,rights_holder,key_work",
        ),
        ("path,title\n", "it lists no files under its header"),
        (
            "path,title\nrocket.jpg,Rocket\n./rocket.jpg,Rocket II\n",
            "is listed on line 2 and again on line 3",
        ),
    ] {
        let out = index(text, "bad.db");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    // Refused before the catalogue is created.
    assert!(!dir.path().join("bad.db").exists());
    let out = ok(index(
        "path,title\nrocket.jpg,Rocket\n./rocket.jpg,Rocket\n",
        "good.db",
    ));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("added\t")).count(),
        1,
        "{out}"
    );
    assert_eq!(listed(&dir.path().join("good.db")).len(), 1);
}

/// Indexing a file already in the catalogue with another title, rights holder or key-work
/// flag keeps the stored ones and says so; `works set` changes them, rights holder included.
#[test]
fn reindexing_keeps_metadata_and_set_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalogue.db");
    let tiger = common::samples().join("references/p_mdn_tiger.jpg");
    let index = |extra: &[&str]| {
        ok(swordnet()
            .args(["index", "--db"])
            .arg(&db)
            .arg(&tiger)
            .args(extra)
            .output()
            .unwrap())
    };
    assert!(index(&["--title", "Tiger"]).starts_with("added\t"));
    let again = index(&["--rights-holder", "Zoo Pictures", "--key-work"]);
    assert!(again.starts_with("exists\t"), "{again}");
    assert!(again.contains("kept as stored"), "{again}");
    // The same metadata again is no news.
    assert!(!index(&["--title", "Tiger"]).contains("kept"));
    let work = &listed(&db)[0];
    assert_eq!(work["rights_holder"], serde_json::Value::Null);
    assert_eq!(work["key_work"], false);

    let id = work["id"].to_string();
    let set = |extra: &[&str]| {
        ok(swordnet()
            .args(["works", "--db"])
            .arg(&db)
            .args(["set", &id])
            .args(extra)
            .output()
            .unwrap())
    };
    set(&["--rights-holder", "Zoo Pictures"]);
    let work = &listed(&db)[0];
    assert_eq!(work["rights_holder"], "Zoo Pictures");
    assert_eq!(work["title"], "Tiger");
    set(&["--rights-holder", ""]);
    assert_eq!(listed(&db)[0]["rights_holder"], serde_json::Value::Null);
    // Nothing to change is a usage error, not a silent no-op.
    let out = swordnet()
        .args(["works", "--db"])
        .arg(&db)
        .args(["set", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--title"));
}

/// `--db` naming another program's SQLite database is refused and the file left as it was
/// (no WAL switch, no swordnet tables added beside its own).
#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'a');",
        )
        .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let sample = common::samples().join("queries/clean_black.jpg");
    for args in [
        vec![
            "works".into(),
            "--db".into(),
            db.clone().into_os_string(),
            "list".into(),
        ],
        vec![
            "scan".into(),
            "--db".into(),
            db.clone().into_os_string(),
            sample.into_os_string(),
        ],
    ] {
        let out = swordnet().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not a swordnet catalogue"), "{stderr}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!dir.path().join("app.db-wal").exists());
}

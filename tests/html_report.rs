//! The evidence outputs end to end: index samples/references, run `swordnet scan --html
//! --takedown` on samples/queries, then
//! - open the HTML report in headless Chromium (`chromium --dump-dom`) and check the rendered
//!   DOM: one section per flagged upload, every expected thumbnail present as a `data:` image
//!   and actually decoded by the browser (an injected script counts `naturalWidth > 0`);
//! - parse the takedown list with the csv crate: one row per infringing match;
//! - re-render the stored scan with `swordnet report --html` and check it the same way.
//!
//! Chromium is required (CI installs Debian's `chromium`); without it these tests fail with a
//! message saying so. Set `SWORDNET_CHROMIUM` to use another binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use swordnet::engine::{index_file, WorkMeta};
use swordnet::media::video::DecoderChoice;
use swordnet::report::html::{match_times, HtmlOptions};
use swordnet::report::QueryReport;
use swordnet::scan::collect_inputs;
use swordnet::verdict::VerdictKind;

struct Scanned {
    dir: tempfile::TempDir,
    db: PathBuf,
    reports: Vec<QueryReport>,
}

impl Scanned {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn swordnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swordnet"))
}

/// Indexes the sample references (library) and scans the sample uploads (command line) once.
fn scanned() -> &'static Scanned {
    static SCANNED: OnceLock<Scanned> = OnceLock::new();
    SCANNED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalogue.db");
        {
            let cat = swordnet::store::Catalogue::open(&db, None).unwrap();
            let (refs, _) = collect_inputs(&[common::samples().join("references")]);
            let meta = WorkMeta {
                rights_holder: Some("Sample Studio".into()),
                ..WorkMeta::default()
            };
            for r in &refs {
                index_file(
                    &cat,
                    r,
                    &meta,
                    &common::reference_options(DecoderChoice::Auto),
                    50,
                )
                .unwrap();
            }
        }
        let out = swordnet()
            .arg("scan")
            .arg("--db")
            .arg(&db)
            .arg(common::samples().join("queries"))
            .arg("--report")
            .arg(dir.path().join("report.jsonl"))
            .arg("--html")
            .arg(dir.path().join("report.html"))
            .arg("--takedown")
            .arg(dir.path().join("takedown.csv"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(4),
            "scan should find infringing uploads: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.path().join("report.jsonl")).unwrap();
        let reports: Vec<QueryReport> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(reports.len(), 18);
        Scanned { dir, db, reports }
    })
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("SWORDNET_CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if found {
            return PathBuf::from(name);
        }
    }
    panic!(
        "headless Chromium is needed to check the HTML report but none was found on PATH \
         (tried chromium, chromium-browser, google-chrome): install it with \
         `apt-get install chromium` (as .ci/run does) or set SWORDNET_CHROMIUM"
    );
}

/// The DOM of `html` after Chromium has loaded it (images decoded, load event fired).
fn rendered_dom(html: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.canonicalize().unwrap().display()))
        .output()
        .expect("cannot run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A copy of the report with a script that records, on load, how many images the browser
/// decoded (the report itself has no script and its CSP forbids one).
fn with_image_probe(html: &str) -> String {
    let csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
    assert!(html.contains(csp), "the report should carry its CSP");
    html.replace(csp, &format!("{csp}; script-src 'unsafe-inline'"))
        .replace(
            "</body>",
            "<script>addEventListener('load', () => {\
               const all = [...document.images];\
               document.body.setAttribute('data-images', all.length);\
               document.body.setAttribute('data-decoded',\
                 all.filter(i => i.complete && i.naturalWidth > 0).length);\
             });</script></body>",
        )
}

fn expected_images(reports: &[QueryReport]) -> usize {
    let o = HtmlOptions::default();
    swordnet::report::html::flagged(reports)
        .iter()
        .map(|r| {
            let image = r.media.as_deref() == Some("image");
            r.matches
                .iter()
                .take(o.matches_with_frames)
                .map(|m| 2 * match_times(m, image, o.frames_per_match).len())
                .sum::<usize>()
        })
        .sum()
}

fn attr(dom: &str, name: &str) -> usize {
    let key = format!("{name}=\"");
    let start = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in the DOM"))
        + key.len();
    dom[start..].split('"').next().unwrap().parse().unwrap()
}

fn check_html(html_path: &Path, reports: &[QueryReport]) {
    let html = std::fs::read_to_string(html_path).unwrap();
    // Self-contained: nothing is fetched.
    for banned in [
        "<script",
        "<link",
        "src=\"http",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(!html.contains(banned), "report contains {banned:?}");
    }
    let dom = rendered_dom(html_path);
    assert!(
        dom.contains("swordnet evidence report"),
        "not rendered: {dom:.300}"
    );
    let count = |v: VerdictKind| reports.iter().filter(|r| r.verdict == v).count();
    let infringing = count(VerdictKind::Infringing);
    let review = count(VerdictKind::Review);
    assert_eq!(infringing, 12, "samples/truth.csv has 12 copies");
    assert_eq!(
        dom.matches("<section class=\"upload infringing\"").count(),
        infringing
    );
    assert_eq!(
        dom.matches("<section class=\"upload review\"").count(),
        review
    );
    for r in swordnet::report::html::flagged(reports) {
        assert!(
            dom.contains(&r.query),
            "{} missing from the report",
            r.query
        );
    }
    let expected = expected_images(reports);
    assert!(expected >= 2 * infringing);
    assert_eq!(
        dom.matches("<img src=\"data:image/jpeg;base64,").count(),
        expected,
        "thumbnails in the DOM"
    );
    assert!(!dom.contains("class=\"ph\""), "a thumbnail is missing");

    // The browser decoded every thumbnail.
    let probe = html_path.with_extension("probe.html");
    std::fs::write(&probe, with_image_probe(&html)).unwrap();
    let dom = rendered_dom(&probe);
    assert_eq!(attr(&dom, "data-images"), expected);
    assert_eq!(
        attr(&dom, "data-decoded"),
        expected,
        "undecodable thumbnails"
    );
}

#[test]
fn html_report_renders_in_chromium() {
    chromium(); // fail fast, before the scan, when Chromium is missing
    let s = scanned();
    check_html(&s.path("report.html"), &s.reports);
}

#[test]
fn stored_scan_rerenders_in_chromium() {
    chromium(); // fail fast, before the scan, when Chromium is missing
    let s = scanned();
    let out_path = s.path("rerendered.html");
    let out = swordnet()
        .args(["report", "--db"])
        .arg(&s.db)
        .args(["--scan", "1", "--html"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_html(&out_path, &s.reports);
    let a = std::fs::read_to_string(s.path("report.html")).unwrap();
    let b = std::fs::read_to_string(&out_path).unwrap();
    assert!(a.contains("scan 1 · started ") && b.contains("scan 1 · started "));
}

#[test]
fn takedown_list_has_one_row_per_infringing_match() {
    let s = scanned();
    let mut reader = csv::Reader::from_path(s.path("takedown.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    for column in [
        "query",
        "title",
        "rights_holder",
        "key_work",
        "query_start_ms",
        "query_end_ms",
        "reference_start_ms",
        "reference_end_ms",
        "score",
        "scan_id",
        "time",
        "transform",
        "cropped",
    ] {
        assert!(header.iter().any(|h| h == column), "no {column} column");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let expected: Vec<(String, String, i64)> = s
        .reports
        .iter()
        .flat_map(|r| {
            r.matches
                .iter()
                .filter(|m| m.verdict == VerdictKind::Infringing)
                .map(move |m| (r.query.clone(), m.title.clone(), m.query_start_ms))
        })
        .collect();
    assert_eq!(rows.len(), expected.len());
    assert!(rows.len() >= 12);
    let got: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[col("query")].to_string(),
                r[col("title")].to_string(),
                r[col("query_start_ms")].parse().unwrap(),
            )
        })
        .collect();
    let mut want = expected.clone();
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want);
    let cat = swordnet::store::Catalogue::open(&s.db, None).unwrap();
    let started = cat.scan(1).unwrap().started_at;
    for r in &rows {
        assert_eq!(&r[col("verdict")], "infringing");
        assert_eq!(&r[col("rights_holder")], "Sample Studio");
        assert_eq!(&r[col("scan_id")], "1");
        assert_eq!(&r[col("time")], started.as_str());
        let score: f64 = r[col("score")].parse().unwrap();
        assert!((0.0..=1.0).contains(&score));
    }
}

#[test]
fn format_csv_is_the_takedown_list() {
    // `--format csv` of the stored scan: the same rows as `--takedown`, byte for byte (the
    // `time` column is the scan's start in both).
    let s = scanned();
    let out = swordnet()
        .args(["report", "--db"])
        .arg(&s.db)
        .args(["--scan", "1", "--format", "csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let takedown = std::fs::read_to_string(s.path("takedown.csv")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), takedown);
    // `--format csv-all`: a row for every upload (clean ones too).
    let out = swordnet()
        .args(["report", "--db"])
        .arg(&s.db)
        .args(["--scan", "1", "--format", "csv-all"])
        .output()
        .unwrap();
    let all = String::from_utf8(out.stdout).unwrap();
    let rows = csv::Reader::from_reader(all.as_bytes()).records().count();
    assert!(
        rows >= s.reports.len(),
        "{rows} rows for {} uploads",
        s.reports.len()
    );
}

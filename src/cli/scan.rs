//! `swordnet scan` and `swordnet eval`.

use super::args::{EvalArgs, Format, ScanArgs};
use super::{config, progress, EXIT_FILE_ERRORS, EXIT_INFRINGING};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use swordnet::engine::{error_report, Engine, EngineOptions};
use swordnet::error::{Error, Result};
use swordnet::eval;
use swordnet::report::{self, summary::Summary, QueryReport};
use swordnet::scan::{collect_inputs, scan_batch, stored};
use swordnet::store::Catalogue;
use swordnet::verdict::VerdictKind;

/// Scans `paths` against the catalogue; stores the scan; returns the reports in input order.
pub fn scan_paths(
    catalogue: &Catalogue,
    engine: &Engine,
    paths: &[PathBuf],
    jobs: usize,
    resume: bool,
) -> Result<(i64, Vec<QueryReport>)> {
    let settings = serde_json::json!({
        "paths": paths.iter().map(|p| swordnet::paths::display_path(p)).collect::<Vec<_>>(),
        "sample": engine.options().decode.plan.to_string(),
        "policy": engine.options().policy,
        "algorithm": engine.algorithm().id(),
    });
    let scan_id = match (resume, catalogue.latest_scan()?) {
        (false, _) => catalogue.begin_scan(&settings.to_string())?,
        (true, Some(scan)) if scan.finished_at.is_none() => {
            check_same_settings(scan.id, &scan.settings, &settings)?;
            scan.id
        }
        (true, Some(scan)) => {
            return Err(Error::new(
                swordnet::ErrorKind::Config,
                format!(
                    "nothing to resume: the latest scan ({}) finished at {}; run without --resume for a new scan",
                    scan.id,
                    scan.finished_at.unwrap_or_default()
                ),
            ))
        }
        (true, None) => {
            return Err(Error::new(
                swordnet::ErrorKind::Config,
                "nothing to resume: this catalogue has no scan; run without --resume",
            ))
        }
    };
    // A resumed scan reports the uploads judged before the interruption too.
    let mut judged_before: HashMap<PathBuf, QueryReport> = if resume {
        super::report::stored_reports(catalogue, scan_id)?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let (files, missing) = collect_inputs(paths);
    super::warn_if_nothing_found(paths, files.len() + missing.len());
    let skipped = files
        .iter()
        .filter(|f| judged_before.contains_key(*f))
        .count();
    if resume {
        eprintln!(
            "swordnet: resuming scan {scan_id}: {skipped} of {} uploads were judged before it stopped and are skipped; {} left",
            files.len(),
            files.len() - skipped
        );
    }
    let bar = progress::bar(files.len() - skipped, "scanning");
    let mut reports = Vec::new();
    for (path, err) in &missing {
        let r = error_report(path, err);
        catalogue.store_result(scan_id, &stored(path, &r))?;
        reports.push(r);
    }
    let mut judged_now = scan_batch(
        engine,
        &files,
        Some((catalogue, scan_id)),
        jobs,
        &|_, _, _| bar.inc(1),
    )?
    .into_iter();
    bar.finish_and_clear();
    // In input order: scan_batch left out (in order) the files judged before.
    for f in &files {
        if let Some(r) = judged_before.remove(f).or_else(|| judged_now.next()) {
            reports.push(r);
        }
    }
    catalogue.finish_scan(scan_id)?;
    Ok((scan_id, reports))
}

/// A resumed scan must run over the same inputs with the same sampling, policy and hash as the
/// scan it continues: otherwise its stored results and the new ones would not be one scan
/// (uploads of the old list never judged, verdicts under two policies).
fn check_same_settings(scan_id: i64, stored: &str, now: &serde_json::Value) -> Result<()> {
    let stored: serde_json::Value = serde_json::from_str(stored).unwrap_or_default();
    let differ: Vec<&str> = ["paths", "sample", "policy", "algorithm"]
        .into_iter()
        .filter(|k| stored.get(k) != now.get(k))
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    let was = |k: &str| stored.get(k).map(|v| v.to_string()).unwrap_or_default();
    Err(Error::new(
        swordnet::ErrorKind::Config,
        format!(
            "cannot resume scan {scan_id}: its {} {} from this command's (it was run over {}); give the same inputs and options, or run without --resume for a new scan",
            differ.join(", "),
            if differ.len() == 1 && differ[0] != "paths" { "differs" } else { "differ" },
            was("paths")
        ),
    ))
}

/// Writes the reports to `path` (created; buffered), or to standard output when there is no
/// path or it is `-`.
pub(super) fn write_reports_to(
    path: Option<&Path>,
    reports: &[QueryReport],
    format: Format,
    scan_id: i64,
    time: Option<&str>,
) -> Result<()> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| Error::io(e, path))?;
            write_reports(
                &mut std::io::BufWriter::new(file),
                reports,
                format,
                scan_id,
                time,
            )
        }
        None => write_reports(
            &mut std::io::stdout().lock(),
            reports,
            format,
            scan_id,
            time,
        ),
    }
}

pub(super) fn write_reports(
    out: &mut dyn Write,
    reports: &[QueryReport],
    format: Format,
    scan_id: i64,
    time: Option<&str>,
) -> Result<()> {
    let io = |e: std::io::Error| Error::new(swordnet::ErrorKind::Io, e.to_string());
    match format {
        Format::Jsonl => {
            for r in reports {
                let line = serde_json::to_string(r)
                    .map_err(|e| Error::new(swordnet::ErrorKind::Internal, e.to_string()))?;
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        Format::Csv => report::csv::write_with_time(out, reports, Some(scan_id), time, true)?,
        Format::CsvAll => report::csv::write_with_time(out, reports, Some(scan_id), time, false)?,
        Format::Table => write!(out, "{}", report::table::render(reports)).map_err(io)?,
    }
    out.flush().map_err(io)
}

fn exit_code(summary: &Summary) -> u8 {
    let mut code = 0;
    if summary.count(VerdictKind::Infringing) > 0 {
        code |= EXIT_INFRINGING;
    }
    if summary.count(VerdictKind::Error) > 0 {
        code |= EXIT_FILE_ERRORS;
    }
    code
}

pub(super) fn summary_line(scan_id: i64, s: &Summary) -> String {
    let errors: Vec<String> = s
        .errors_by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let cut_short = match s.cut_short {
        0 => String::new(),
        n => format!("; {n} cut short but matched on their readable part"),
    };
    format!(
        "scan {scan_id}: {} uploads: {} infringing, {} review, {} clean, {} error{}{cut_short}",
        s.uploads,
        s.count(VerdictKind::Infringing),
        s.count(VerdictKind::Review),
        s.count(VerdictKind::Clean),
        s.count(VerdictKind::Error),
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join(", "))
        }
    )
}

/// Loads the catalogue and the engine for scanning.
pub fn engine_for(
    db: &Path,
    decode: swordnet::media::DecodeOptions,
    policy: swordnet::verdict::Policy,
    all_orientations: bool,
) -> Result<(Catalogue, Engine)> {
    let catalogue = super::open_existing(db)?;
    let engine = Engine::from_catalogue(
        &catalogue,
        EngineOptions {
            decode,
            policy,
            orientations: if all_orientations {
                swordnet::hash::Orientation::ALL.to_vec()
            } else {
                swordnet::hash::Orientation::QUERY_DEFAULT.to_vec()
            },
        },
    )?;
    if engine.works().is_empty() {
        // An empty (or truncated, or wrongly copied) catalogue would pass every upload as clean.
        return Err(Error::new(
            swordnet::ErrorKind::NotFound,
            "the catalogue holds no works, so nothing could match; add some with `swordnet index`",
        )
        .with_path(db));
    }
    Ok((catalogue, engine))
}

/// Fails when `path` cannot be written as an output file: its folder does not exist, or it
/// is a folder itself. Checked before a long scan, so that a mistyped `--html` or
/// `--takedown` path does not throw the scan's outputs away at the end.
fn check_output_path(path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let problem = if path.is_dir() {
        "this is a folder; give a file name to write"
    } else if !folder.is_dir() {
        "cannot write here: the folder does not exist"
    } else {
        return Ok(());
    };
    Err(Error::new(swordnet::ErrorKind::Io, problem).with_path(path))
}

/// `swordnet scan`.
pub fn run(args: ScanArgs) -> Result<u8> {
    for path in [&args.report, &args.html, &args.takedown]
        .into_iter()
        .flatten()
    {
        check_output_path(path)?;
    }
    super::outputs::check_beside_catalogue(
        &args.db,
        &[
            ("--report", args.report.as_deref()),
            ("--html", args.html.as_deref()),
            ("--takedown", args.takedown.as_deref()),
        ],
        args.paths
            .iter()
            .map(|p| ("an upload being scanned", p.as_path())),
    )?;
    if !super::report::one_stdout_at_most(&[
        (
            "--html",
            args.html.as_deref().is_some_and(super::report::is_stdout),
        ),
        (
            "--takedown",
            args.takedown
                .as_deref()
                .is_some_and(super::report::is_stdout),
        ),
        (
            "the report",
            args.report.as_deref().is_none_or(super::report::is_stdout),
        ),
    ]) {
        return Ok(super::EXIT_USAGE);
    }
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    let (catalogue, engine) =
        engine_for(&args.db, decode, policy, args.orientations.all_orientations)?;
    super::interrupt::explain_scan_stops(&args.db);
    let (scan_id, reports) = scan_paths(
        &catalogue,
        &engine,
        &args.paths,
        config::jobs(&args.decode),
        args.resume,
    )?;
    let started_at = catalogue.scan(scan_id)?.started_at;
    let format = if args.json {
        Format::Jsonl
    } else {
        args.format
    };
    write_reports_to(
        args.report.as_deref(),
        &reports,
        format,
        scan_id,
        Some(&started_at),
    )?;
    if args.html.is_some() || args.takedown.is_some() {
        if let Some(path) = &args.html {
            let options = super::report::html_options(
                &catalogue,
                scan_id,
                decode.decoder,
                decode.limits,
                swordnet::media::thumbnail::DEFAULT_MAX_SIDE,
            )?;
            super::report::write_html(path, &reports, &options)?;
        }
        if let Some(path) = &args.takedown {
            super::report::write_takedown(path, &reports, scan_id, Some(&started_at))?;
        }
    }
    let summary = Summary::of(&reports);
    eprintln!("{}", summary_line(scan_id, &summary));
    Ok(exit_code(&summary))
}

/// `swordnet eval`.
pub fn eval(args: EvalArgs) -> Result<u8> {
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    if let Some(report) = &args.report {
        check_output_path(report)?;
        super::outputs::check_beside_catalogue(
            &args.db,
            &[("--report", Some(report))],
            [
                ("the truth file", args.truth.as_path()),
                ("the queries", args.queries.as_path()),
            ],
        )?;
    }
    let truth = eval::read_truth(&args.truth)?;
    let (catalogue, engine) =
        engine_for(&args.db, decode, policy, args.orientations.all_orientations)?;
    let started = std::time::Instant::now();
    let (scan_id, reports) = scan_paths(
        &catalogue,
        &engine,
        std::slice::from_ref(&args.queries),
        config::jobs(&args.decode),
        false,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.report {
        let mut file = std::fs::File::create(path).map_err(|e| Error::io(e, path))?;
        write_reports(&mut file, &reports, Format::Jsonl, scan_id, None)?;
    }
    let figures = eval::evaluate(&truth, &reports);
    if figures.missing == figures.queries {
        // Nothing to score: every figure would be n/a.
        return Err(Error::new(
            swordnet::error::ErrorKind::Config,
            format!(
                "none of the {} uploads named in the truth file is in {} ({} files scanned): the wrong folder or the wrong truth file?",
                figures.queries,
                swordnet::paths::display_path(&args.queries),
                reports.len()
            ),
        ));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).unwrap_or_default()
        );
    } else {
        print!("{}", eval::render(&figures));
        if args.mistakes {
            for (name, what) in &figures.mistakes {
                println!("  {name}: {what}");
            }
        }
    }
    eprintln!(
        "{} in {seconds:.1} s",
        summary_line(scan_id, &Summary::of(&reports))
    );
    Ok(0)
}

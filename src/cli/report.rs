//! `swordnet report` (re-render a stored scan) and the `--html` / `--takedown` outputs of
//! `swordnet scan`.

use super::args::ReportArgs;
use std::path::Path;
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::limits::Limits;
use swordnet::media::thumbnail::ThumbnailOptions;
use swordnet::media::video::DecoderChoice;
use swordnet::report::{self, html::HtmlOptions, QueryReport};
use swordnet::store::Catalogue;

/// HTML options for a stored scan: its id and start time, the catalogue's work durations.
pub fn html_options(
    catalogue: &Catalogue,
    scan_id: i64,
    decoder: DecoderChoice,
    limits: Limits,
    thumbnail_size: u32,
) -> Result<HtmlOptions> {
    let scan = catalogue.scan(scan_id)?;
    Ok(HtmlOptions {
        scan_id: Some(scan_id),
        scan_started_at: Some(scan.started_at),
        work_durations: catalogue
            .works()?
            .into_iter()
            .map(|w| (w.id, w.duration_ms))
            .collect(),
        thumbnails: (thumbnail_size > 0).then_some(ThumbnailOptions {
            max_side: thumbnail_size,
            decoder,
            limits,
            video_stream: None,
        }),
        ..HtmlOptions::default()
    })
}

/// True when `path` is `-`: standard output.
pub(super) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuses two outputs sent to standard output together (`-`, or the report's default): one
/// stream with a CSV and an HTML page (or JSON Lines) in it is of no use. A bad command line:
/// says why on standard error and returns false (the caller exits with 2).
pub(super) fn one_stdout_at_most(outputs: &[(&str, bool)]) -> bool {
    let to_stdout: Vec<&str> = outputs
        .iter()
        .filter(|(_, stdout)| *stdout)
        .map(|(name, _)| *name)
        .collect();
    if to_stdout.len() > 1 {
        eprintln!(
            "swordnet: {} would go to standard output together: give all but one of them a file name (or --report FILE)",
            to_stdout.join(" and ")
        );
        return false;
    }
    true
}

/// A file to write (`-`: standard output).
fn create(path: &Path) -> Result<Box<dyn std::io::Write>> {
    if is_stdout(path) {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    std::fs::File::create(path)
        .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn std::io::Write>)
        .map_err(|e| Error::io(e, path))
}

/// Writes the HTML evidence report to `path`.
pub fn write_html(path: &Path, reports: &[QueryReport], options: &HtmlOptions) -> Result<()> {
    let mut file = create(path)?;
    report::html::write(&mut file, reports, options).map_err(|e| e.with_path(path))?;
    file.flush().map_err(|e| Error::io(e, path))
}

/// Writes the takedown list (infringing matches only, CSV) to `path`.
pub fn write_takedown(
    path: &Path,
    reports: &[QueryReport],
    scan_id: i64,
    time: Option<&str>,
) -> Result<()> {
    let mut file = create(path)?;
    report::csv::write_with_time(&mut file, reports, Some(scan_id), time, true)
        .map_err(|e| e.with_path(path))?;
    file.flush().map_err(|e| Error::io(e, path))
}

/// The stored results of scan `scan_id` as reports, with the path each was stored under, in
/// the order stored. Errors: [`ErrorKind::Store`] when a stored result is not a report.
pub(super) fn stored_reports(
    catalogue: &Catalogue,
    scan_id: i64,
) -> Result<Vec<(std::path::PathBuf, QueryReport)>> {
    catalogue
        .scan_results(scan_id)?
        .into_iter()
        .map(|stored| {
            let r: QueryReport = serde_json::from_str(&stored.report).map_err(|e| {
                Error::new(
                    ErrorKind::Store,
                    format!(
                        "stored result of {} in scan {scan_id} is not a report: {e}",
                        swordnet::paths::display_path(&stored.query),
                    ),
                )
            })?;
            Ok((stored.query, r))
        })
        .collect()
}

/// `swordnet report`.
pub fn run(args: ReportArgs) -> Result<u8> {
    let catalogue = super::open_existing(&args.db)?;
    let scan = match args.scan {
        Some(id) => catalogue.scan(id)?,
        None => catalogue
            .latest_scan()?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "this catalogue has no scan"))?,
    };
    let mut reports: Vec<QueryReport> = stored_reports(&catalogue, scan.id)?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    // Results are stored as they finish; show them in path order.
    reports.sort_by(|a, b| a.query.cmp(&b.query));
    super::outputs::check_beside_catalogue(
        &args.db,
        &[
            ("--report", args.report.as_deref()),
            ("--html", args.html.as_deref()),
            ("--takedown", args.takedown.as_deref()),
        ],
        reports
            .iter()
            .map(|r| ("an upload of this scan", Path::new(&r.query))),
    )?;
    let asked = args.report.is_some() || args.format.is_some();
    let printed = args.html.is_none() && args.takedown.is_none() || asked;
    if !one_stdout_at_most(&[
        ("--html", args.html.as_deref().is_some_and(is_stdout)),
        (
            "--takedown",
            args.takedown.as_deref().is_some_and(is_stdout),
        ),
        (
            "the report",
            printed && args.report.as_deref().is_none_or(is_stdout),
        ),
    ]) {
        return Ok(super::EXIT_USAGE);
    }
    if let Some(path) = &args.html {
        let options = html_options(
            &catalogue,
            scan.id,
            args.decoder,
            Limits::default(),
            args.thumbnail_size,
        )?;
        write_html(path, &reports, &options)?;
        eprintln!(
            "wrote {} ({} flagged uploads)",
            if is_stdout(path) {
                "the HTML report".into()
            } else {
                path.display().to_string()
            },
            report::html::flagged(&reports).len()
        );
    }
    if let Some(path) = &args.takedown {
        write_takedown(path, &reports, scan.id, Some(&scan.started_at))?;
    }
    if printed {
        super::scan::write_reports_to(
            args.report.as_deref(),
            &reports,
            args.format.unwrap_or(super::args::Format::Jsonl),
            scan.id,
            Some(&scan.started_at),
        )?;
    }
    let s = report::summary::Summary::of(&reports);
    eprintln!(
        "{} (started {})",
        super::scan::summary_line(scan.id, &s),
        scan.started_at
    );
    Ok(0)
}

//! CSV output: one row per match (a takedown list when filtered to infringing matches), or
//! one row for an upload without matches.

use super::QueryReport;
use crate::error::{Error, ErrorKind, Result};
use std::io::Write;

/// The CSV header, in order.
pub const HEADER: [&str; 16] = [
    "query",
    "verdict",
    "reference",
    "work_id",
    "title",
    "rights_holder",
    "key_work",
    "query_start_ms",
    "query_end_ms",
    "reference_start_ms",
    "reference_end_ms",
    "speed",
    "mirrored",
    "score",
    "scan_id",
    "error",
];

/// Writes `reports` as CSV: with `takedown_only`, only infringing matches of infringing uploads.
pub fn write(
    out: &mut dyn Write,
    reports: &[QueryReport],
    scan_id: Option<i64>,
    takedown_only: bool,
) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    let err = |e: ::csv::Error| Error::new(ErrorKind::Io, format!("cannot write CSV: {e}"));
    w.write_record(HEADER).map_err(err)?;
    let scan = scan_id.map(|s| s.to_string()).unwrap_or_default();
    for r in reports {
        let error = r
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.kind, e.message))
            .unwrap_or_default();
        let matches: Vec<_> = r
            .matches
            .iter()
            .filter(|m| !takedown_only || m.verdict == crate::verdict::VerdictKind::Infringing)
            .collect();
        if matches.is_empty() && !takedown_only {
            let mut row = vec![r.query.clone(), r.verdict.as_str().to_string()];
            row.extend(std::iter::repeat_n(String::new(), 12));
            row.push(scan.clone());
            row.push(error.clone());
            w.write_record(&row).map_err(err)?;
        }
        for m in matches {
            w.write_record([
                r.query.clone(),
                r.verdict.as_str().to_string(),
                m.reference.clone(),
                m.work_id.to_string(),
                m.title.clone(),
                m.rights_holder.clone().unwrap_or_default(),
                m.key_work.to_string(),
                m.query_start_ms.to_string(),
                m.query_end_ms.to_string(),
                m.reference_start_ms.to_string(),
                m.reference_end_ms.to_string(),
                format!("{:.3}", m.speed),
                m.mirrored.to_string(),
                format!("{:.3}", m.score),
                scan.clone(),
                error.clone(),
            ])
            .map_err(err)?;
        }
    }
    w.flush()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    Ok(())
}

//! CSV output: one row per match (a takedown list when filtered to infringing matches), or
//! one row for an upload without matches.
//!
//! Columns ([`HEADER`]): the upload path (`query`), its verdict, the work's file, id, title,
//! rights holder and key-work flag, the matched ranges in the upload and in the work (ms),
//! speed, mirrored, score, the scan id, the upload's error, and `time`: when the scan started
//! (UTC, ISO 8601), or when the rows were written if the scan's time is not known.

use super::QueryReport;
use crate::error::{Error, ErrorKind, Result};
use std::io::Write;

/// The CSV header, in order.
pub const HEADER: [&str; 17] = [
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
    "time",
];

/// Writes `reports` as CSV: with `takedown_only`, only infringing matches of infringing uploads
/// (a takedown list). The `time` column is the current time; see [`write_with_time`].
pub fn write(
    out: &mut dyn Write,
    reports: &[QueryReport],
    scan_id: Option<i64>,
    takedown_only: bool,
) -> Result<()> {
    write_with_time(out, reports, scan_id, None, takedown_only)
}

/// As [`write()`], with the `time` column set to `time` (e.g. the scan's start time, UTC ISO
/// 8601); `None` writes the current time.
pub fn write_with_time(
    out: &mut dyn Write,
    reports: &[QueryReport],
    scan_id: Option<i64>,
    time: Option<&str>,
    takedown_only: bool,
) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    let err = |e: ::csv::Error| Error::new(ErrorKind::Io, format!("cannot write CSV: {e}"));
    w.write_record(HEADER).map_err(err)?;
    let scan = scan_id.map(|s| s.to_string()).unwrap_or_default();
    let time = time.map(str::to_string).unwrap_or_else(now_utc);
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
            row.push(time.clone());
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
                time.clone(),
            ])
            .map_err(err)?;
        }
    }
    w.flush()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    Ok(())
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ` (the catalogue's format).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    utc_from_unix(secs)
}

/// Formats seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar).
fn utc_from_unix(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_767_225_599), "2025-12-31T23:59:59Z");
    }
}

//! CSV output: one row per match (a takedown list when filtered to infringing matches), or
//! one row for an upload without matches.
//!
//! Columns ([`HEADER`]): the upload path (`query`), its verdict, the work's file, id, title,
//! rights holder and key-work flag, the matched ranges in the upload and in the work (ms),
//! speed, mirrored, score, the scan id, the upload's error, and `time`: when the scan started
//! (UTC, ISO 8601), or when the rows were written if the scan's time is not known; last, the
//! upload's `transform` against the work (`none`, `mirrored`, `rotated_left`, ...) and whether it
//! was `cropped` (both added after `time`, so that readers by position keep working).

use super::QueryReport;
use crate::error::{Error, ErrorKind, Result};
use std::io::Write;

/// The CSV header, in order.
pub const HEADER: [&str; 19] = [
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
    "transform",
    "cropped",
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
            let mut row = vec![cell(&r.query), r.verdict.as_str().to_string()];
            row.extend(std::iter::repeat_n(String::new(), 12));
            row.push(scan.clone());
            row.push(cell(&error));
            row.push(time.clone());
            row.extend([String::new(), String::new()]);
            w.write_record(&row).map_err(err)?;
        }
        for m in matches {
            // Each row carries its match's own verdict: an infringing upload's weaker matches
            // are `review` rows, never takedowns.
            w.write_record([
                cell(&r.query),
                m.verdict.as_str().to_string(),
                cell(&m.reference),
                m.work_id.to_string(),
                cell(&m.title),
                cell(m.rights_holder.as_deref().unwrap_or_default()),
                m.key_work.to_string(),
                m.query_start_ms.to_string(),
                m.query_end_ms.to_string(),
                m.reference_start_ms.to_string(),
                m.reference_end_ms.to_string(),
                format!("{:.3}", m.speed),
                m.mirrored.to_string(),
                format!("{:.3}", m.score),
                scan.clone(),
                cell(&error),
                time.clone(),
                cell(&m.transform),
                m.cropped.to_string(),
            ])
            .map_err(err)?;
        }
    }
    w.flush()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    Ok(())
}

/// A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return: a title or file name chosen by an uploader or a third-party
/// hash list) gets a leading `'` (OWASP, "CSV Injection"); other text is written as it is.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
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

    fn report() -> QueryReport {
        let m = |title: &str, verdict: &str, start: i64| {
            format!(
                r#"{{"reference":"w.mp4","work_id":1,"title":"{title}","rights_holder":"+cmd|calc","key_work":false,"query_start_ms":{start},"query_end_ms":{},"reference_start_ms":0,"reference_end_ms":500,"speed":1.0,"mirrored":false,"transform":"none","cropped":false,"matched_frames":2,"mean_distance":25.0,"score":0.5,"verdict":"{verdict}","reason":"r"}}"#,
                start + 500
            )
        };
        let json = format!(
            r#"{{"query":"-up.mp4","media":"video","verdict":"infringing","error":null,"matches":[{},{}],"reasons":[],"duration_ms":60000,"frames":240,"informative_frames":240,"status":"ok","elapsed_ms":1}}"#,
            m("=HYPERLINK(1)", "infringing", 0),
            m("film", "review", 59_000)
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn rows_carry_their_match_verdict_and_no_formulas() {
        let mut out = Vec::new();
        write_with_time(&mut out, &[report()], Some(7), Some("T"), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(
            rows[1].starts_with("'-up.mp4,infringing,w.mp4,1,'=HYPERLINK(1),'+cmd|calc,"),
            "{}",
            rows[1]
        );
        assert!(
            rows[2].starts_with("'-up.mp4,review,w.mp4,1,film,"),
            "{}",
            rows[2]
        );
        let mut takedown = Vec::new();
        write_with_time(&mut takedown, &[report()], Some(7), Some("T"), true).unwrap();
        assert_eq!(String::from_utf8(takedown).unwrap().lines().count(), 2);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_767_225_599), "2025-12-31T23:59:59Z");
    }
}

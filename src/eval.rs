//! Scoring a scan against a truth file laid out like `corpus/dev/truth.csv`: precision, recall,
//! F1, false-positive rates (clean distractors, hard negatives), recall per transform and per
//! media kind, and the mean IoU of the matched time ranges.
//!
//! An infringing upload counts as found only when its verdict is `infringing` and every truth
//! reference is among its matches (compared by file name; a work imported from a hash list has
//! no file, and is compared by its title against the file name with or without extension). A
//! `review` verdict counts for the "review or better" column only.

use crate::error::{Error, ErrorKind, Result};
use crate::report::{MatchReport, QueryReport};
use crate::verdict::VerdictKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One row of truth.csv.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TruthRow {
    /// Upload file name.
    pub query: String,
    /// `video` or `image`.
    pub media: String,
    /// `infringing` or `clean`.
    pub verdict: String,
    /// Reference file name(s), `;`-separated.
    #[serde(default)]
    pub reference: String,
    /// Reference start(s), seconds.
    #[serde(default)]
    pub ref_start: String,
    /// Reference end(s), seconds.
    #[serde(default)]
    pub ref_end: String,
    /// Query start(s), seconds.
    #[serde(default)]
    pub query_start: String,
    /// Query end(s), seconds.
    #[serde(default)]
    pub query_end: String,
    /// Transform label.
    #[serde(default)]
    pub transform: String,
    /// `infringing`, `infringing_natural`, `distractor`, `hard_negative`.
    #[serde(default)]
    pub category: String,
}

/// Reads a truth CSV (header row first; columns as [`TruthRow`]'s fields, in any order).
///
/// Errors: [`ErrorKind::Io`] when it cannot be read; [`ErrorKind::Config`] when a column of
/// [`TRUTH_COLUMNS`] is missing, a row does not parse, or there is no row.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot read truth file: {e}")).with_path(path)
    })?;
    let bad = |message: String| Error::new(ErrorKind::Config, message).with_path(path);
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("bad truth file: {e}")))?
        .clone();
    let missing: Vec<&str> = TRUTH_COLUMNS
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "bad truth file: no column {} (its header must name at least {})",
            missing.join(", "),
            TRUTH_COLUMNS.join(",")
        )));
    }
    let rows = reader
        .deserialize()
        .collect::<std::result::Result<Vec<TruthRow>, _>>()
        .map_err(|e| bad(format!("bad truth file: {e}")))?;
    if rows.is_empty() {
        return Err(bad("bad truth file: no rows after the header".into()));
    }
    let mut rows = rows;
    let mut first_line: std::collections::HashMap<String, usize> = Default::default();
    for (i, row) in rows.iter_mut().enumerate() {
        check_truth_row(row).map_err(|e| bad(format!("bad truth file, line {}: {e}", i + 2)))?;
        if let Some(first) = first_line.insert(row.query.clone(), i + 2) {
            // Scored twice, a query would count as two uploads (and a conflicting row as a miss).
            return Err(bad(format!(
                "bad truth file, line {}: query {:?} already has a row (line {first}); one row per upload",
                i + 2,
                row.query
            )));
        }
    }
    Ok(rows)
}

/// Checks one truth row and writes its `verdict` and `media` in lower case: a verdict other
/// than `infringing` or `clean`, a media other than `video` or `image`, or a time that is not
/// a number would otherwise be scored silently as something else.
fn check_truth_row(row: &mut TruthRow) -> std::result::Result<(), String> {
    row.verdict = row.verdict.trim().to_ascii_lowercase();
    row.media = row.media.trim().to_ascii_lowercase();
    if !["infringing", "clean"].contains(&row.verdict.as_str()) {
        return Err(format!(
            "verdict {:?} (infringing or clean expected)",
            row.verdict
        ));
    }
    if !["video", "image"].contains(&row.media.as_str()) {
        return Err(format!("media {:?} (video or image expected)", row.media));
    }
    let times = [
        ("ref_start", &row.ref_start),
        ("ref_end", &row.ref_end),
        ("query_start", &row.query_start),
        ("query_end", &row.query_end),
    ];
    for (column, value) in times {
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            if !part.parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(format!("{column} {part:?} is not a time in seconds"));
            }
        }
    }
    // Multi-segment rows list their ranges as `a;b`: each start needs its end.
    let count = |v: &str| v.split(';').filter(|p| !p.trim().is_empty()).count();
    for (start, end, a, b) in [
        ("ref_start", "ref_end", &row.ref_start, &row.ref_end),
        ("query_start", "query_end", &row.query_start, &row.query_end),
    ] {
        if count(a) != count(b) {
            return Err(format!(
                "{start} has {} times but {end} has {}",
                count(a),
                count(b)
            ));
        }
        let times =
            |v: &str| -> Vec<f64> { v.split(';').filter_map(|p| p.trim().parse().ok()).collect() };
        for (s, e) in times(a).into_iter().zip(times(b)) {
            if s > e {
                return Err(format!("{start} {s} is after {end} {e}"));
            }
        }
    }
    Ok(())
}

/// Columns a truth CSV must have (the others may be left out).
pub const TRUTH_COLUMNS: [&str; 3] = ["query", "media", "verdict"];

/// Found / total for one group.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GroupRecall {
    /// Infringing rows.
    pub total: usize,
    /// Found (`infringing` with the right references).
    pub found: usize,
    /// Found as `review` or better with the right references.
    pub review_or_better: usize,
    /// found / total.
    pub recall: f64,
}

/// The evaluation's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EvalReport {
    /// Truth rows scored.
    pub queries: usize,
    /// Truth rows without a report (not scanned).
    pub missing: usize,
    /// Reports of uploads that have no truth row (scanned, not scored).
    pub unscored: usize,
    /// Uploads with verdict `error`.
    pub errors: usize,
    /// Infringing rows found.
    pub true_positives: usize,
    /// Flagged `infringing` but clean, or naming none of the right references.
    pub false_positives: usize,
    /// Infringing rows not found.
    pub false_negatives: usize,
    /// TP / (TP + FP); NaN (JSON `null`) when nothing was flagged.
    pub precision: f64,
    /// TP / infringing rows; NaN (JSON `null`) without infringing rows.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 2TP / (2TP + FP + FN); NaN (JSON `null`) when
    /// all three are 0.
    pub f1: f64,
    /// Clean rows flagged infringing / clean rows; NaN (JSON `null`) without clean rows (and
    /// likewise for the two rates below).
    pub false_positive_rate: f64,
    /// Among `distractor` rows.
    pub fpr_distractor: f64,
    /// Among `hard_negative` rows.
    pub fpr_hard_negative: f64,
    /// Clean rows given `review`.
    pub clean_in_review: usize,
    /// Recall per transform label.
    pub by_transform: BTreeMap<String, GroupRecall>,
    /// Recall per media kind.
    pub by_media: BTreeMap<String, GroupRecall>,
    /// Mean IoU of the upload time range, over found video matches with truth ranges; NaN
    /// (JSON `null`) when there are none.
    pub mean_iou_query: f64,
    /// Mean IoU of the reference time range, likewise.
    pub mean_iou_reference: f64,
    /// Found video matches that had truth ranges.
    pub iou_samples: usize,
    /// The file names of wrong calls, for inspection: (name, what went wrong).
    pub mistakes: Vec<(String, String)>,
}

/// Whether match `m` is with the truth reference file `r` (a file name): by the file name of
/// its reference, or, for a work imported without media (empty path), by its title.
fn names_reference(m: &MatchReport, r: &str) -> bool {
    if m.reference.is_empty() {
        let stem = Path::new(r)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        m.title == r || Some(&m.title) == stem.as_ref()
    } else {
        file_name(&m.reference) == r
    }
}

/// What a match is called in the list of mistakes: its reference's file name, or its title.
fn match_name(m: &MatchReport) -> String {
    if m.reference.is_empty() {
        m.title.clone()
    } else {
        file_name(&m.reference)
    }
}

fn file_name(s: &str) -> String {
    Path::new(s)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| s.to_string())
}

fn split(s: &str) -> Vec<String> {
    s.split(';')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let inter = (a.1.min(b.1) - a.0.max(b.0)).max(0.0);
    let union = (a.1.max(b.1) - a.0.min(b.0)).max(1e-9);
    inter / union
}

/// Scores `reports` against `truth`.
pub fn evaluate(truth: &[TruthRow], reports: &[QueryReport]) -> EvalReport {
    let by_name: HashMap<String, &QueryReport> =
        reports.iter().map(|r| (file_name(&r.query), r)).collect();
    let mut e = EvalReport {
        queries: truth.len(),
        ..Default::default()
    };
    let named: std::collections::HashSet<&str> = truth.iter().map(|r| r.query.as_str()).collect();
    e.unscored = by_name
        .keys()
        .filter(|name| !named.contains(name.as_str()))
        .count();
    let (mut clean, mut clean_flagged) = (0usize, 0usize);
    let mut per_category: HashMap<&str, (usize, usize)> = HashMap::new();
    let (mut iou_q, mut iou_r) = (0.0, 0.0);
    for row in truth {
        let Some(report) = by_name.get(&row.query) else {
            e.missing += 1;
            continue;
        };
        if report.verdict == VerdictKind::Error {
            e.errors += 1;
        }
        let flagged = report.verdict == VerdictKind::Infringing;
        let matched_refs: Vec<String> = report.matches.iter().map(match_name).collect();
        let names = |r: &String| report.matches.iter().any(|m| names_reference(m, r));
        if row.verdict != "infringing" {
            clean += 1;
            let c = per_category.entry(row.category.as_str()).or_default();
            c.0 += 1;
            if flagged {
                clean_flagged += 1;
                c.1 += 1;
                e.false_positives += 1;
                e.mistakes.push((
                    row.query.clone(),
                    format!(
                        "clean {} flagged as {}",
                        row.category,
                        matched_refs.join(";")
                    ),
                ));
            } else if report.verdict == VerdictKind::Review {
                e.clean_in_review += 1;
            }
            continue;
        }
        let refs = split(&row.reference);
        let all_refs = refs.iter().all(names);
        let found = flagged && all_refs;
        let review = report.verdict >= VerdictKind::Review
            && report.verdict != VerdictKind::Error
            && all_refs;
        for (key, map) in [
            (&row.transform, &mut e.by_transform),
            (&row.media, &mut e.by_media),
        ] {
            let g = map.entry(key.clone()).or_default();
            g.total += 1;
            g.found += found as usize;
            g.review_or_better += review as usize;
        }
        if found {
            e.true_positives += 1;
        } else {
            e.false_negatives += 1;
            // Flagged with none of the right works: a false accusation too.
            if flagged && !refs.iter().any(names) {
                e.false_positives += 1;
            }
            e.mistakes.push((
                row.query.clone(),
                format!(
                    "{} {} missed: verdict {} matches [{}]",
                    row.media,
                    row.transform,
                    report.verdict.as_str(),
                    matched_refs.join(";")
                ),
            ));
            continue;
        }
        let ranges = (
            split(&row.ref_start),
            split(&row.ref_end),
            split(&row.query_start),
            split(&row.query_end),
        );
        for (i, r) in refs.iter().enumerate() {
            let parse = |v: &Vec<String>| v.get(i).and_then(|s| s.parse::<f64>().ok());
            let (Some(rs), Some(re), Some(qs), Some(qe)) = (
                parse(&ranges.0),
                parse(&ranges.1),
                parse(&ranges.2),
                parse(&ranges.3),
            ) else {
                continue;
            };
            let best = report
                .matches
                .iter()
                .filter(|m| names_reference(m, r))
                .map(|m| {
                    let q = iou(
                        (qs, qe),
                        (
                            m.query_start_ms as f64 / 1000.0,
                            m.query_end_ms as f64 / 1000.0,
                        ),
                    );
                    let rr = iou(
                        (rs, re),
                        (
                            m.reference_start_ms as f64 / 1000.0,
                            m.reference_end_ms as f64 / 1000.0,
                        ),
                    );
                    (q, rr)
                })
                .max_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
            if let Some((q, rr)) = best {
                iou_q += q;
                iou_r += rr;
                e.iou_samples += 1;
            }
        }
    }
    // A figure whose denominator is empty is NaN (JSON null, "n/a" in the text), never a
    // perfect 1 or 0.
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { f64::NAN };
    let tp = e.true_positives as f64;
    let (fp, fn_) = (e.false_positives as f64, e.false_negatives as f64);
    e.precision = ratio(tp, tp + fp);
    e.recall = ratio(tp, tp + fn_);
    e.f1 = ratio(2.0 * tp, 2.0 * tp + fp + fn_);
    e.false_positive_rate = ratio(clean_flagged as f64, clean as f64);
    let rate = |c: Option<&(usize, usize)>| {
        c.map(|&(n, f)| ratio(f as f64, n as f64))
            .unwrap_or(f64::NAN)
    };
    e.fpr_distractor = rate(per_category.get("distractor"));
    e.fpr_hard_negative = rate(per_category.get("hard_negative"));
    for g in e.by_transform.values_mut().chain(e.by_media.values_mut()) {
        g.recall = if g.total > 0 {
            g.found as f64 / g.total as f64
        } else {
            0.0
        };
    }
    e.mean_iou_query = ratio(iou_q, e.iou_samples as f64);
    e.mean_iou_reference = ratio(iou_r, e.iou_samples as f64);
    e
}

/// The figures as a plain-text table.
pub fn render(e: &EvalReport) -> String {
    let mut s = String::new();
    // A figure whose denominator is empty (no upload flagged, no infringing row, no clean
    // row, no time range) is NaN: shown as n/a, not as a perfect 1.
    let figure = |value: f64, places: usize| {
        if value.is_nan() {
            "n/a".to_string()
        } else {
            format!("{value:.places$}")
        }
    };
    let precision = figure(e.precision, 4);
    let recall = figure(e.recall, 4);
    let f1 = figure(e.f1, 4);
    let unscored = if e.unscored > 0 {
        format!("  not in truth {} (not scored)", e.unscored)
    } else {
        String::new()
    };
    s.push_str(&format!(
        "queries {}  missing {}  errors {}{unscored}\nprecision {precision}  recall {recall}  F1 {f1}\nTP {}  FP {}  FN {}\nFPR {} (distractor {}, hard negative {}); clean rows in review: {}\nmean IoU query {}  reference {}  (over {} matches)\n\n",
        e.queries, e.missing, e.errors, e.true_positives, e.false_positives,
        e.false_negatives, figure(e.false_positive_rate, 4), figure(e.fpr_distractor, 4),
        figure(e.fpr_hard_negative, 4), e.clean_in_review,
        figure(e.mean_iou_query, 3), figure(e.mean_iou_reference, 3), e.iou_samples
    ));
    s.push_str(&format!(
        "{:<28} {:>6} {:>6} {:>8} {:>10}\n",
        "group", "total", "found", "recall", "review+"
    ));
    for (title, map) in [("media", &e.by_media), ("transform", &e.by_transform)] {
        for (k, g) in map {
            s.push_str(&format!(
                "{:<28} {:>6} {:>6} {:>8.3} {:>10}\n",
                format!("{title}:{k}"),
                g.total,
                g.found,
                g.recall,
                g.review_or_better
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::error_report;
    use crate::error::{Error, ErrorKind};

    fn clean_row(query: &str) -> TruthRow {
        TruthRow {
            query: query.into(),
            media: "image".into(),
            verdict: "clean".into(),
            reference: String::new(),
            ref_start: String::new(),
            ref_end: String::new(),
            query_start: String::new(),
            query_end: String::new(),
            transform: "plain_copy".into(),
            category: "distractor".into(),
        }
    }

    /// Without an infringing row or a flagged upload, precision and recall are not 1 but n/a;
    /// a report of an upload the truth does not name is counted as not scored.
    #[test]
    fn empty_denominators_are_not_perfect_scores() {
        let report = |name: &str| {
            let mut r = error_report(
                std::path::Path::new(name),
                &Error::new(ErrorKind::Io, "test"),
            );
            r.verdict = VerdictKind::Clean;
            r
        };
        let truth = [clean_row("a.jpg"), clean_row("b.jpg")];
        let e = evaluate(
            &truth,
            &[report("up/a.jpg"), report("up/b.jpg"), report("up/c.jpg")],
        );
        assert_eq!((e.queries, e.missing, e.unscored), (2, 0, 1));
        let text = render(&e);
        assert!(text.contains("precision n/a  recall n/a  F1 n/a"), "{text}");
        assert!(text.contains("not in truth 1 (not scored)"), "{text}");
        assert!(text.contains("mean IoU query n/a  reference n/a  (over 0 matches)"));
        // JSON: null, not a perfect score.
        let json = serde_json::to_value(&e).unwrap();
        for key in [
            "precision",
            "recall",
            "f1",
            "mean_iou_query",
            "fpr_hard_negative",
        ] {
            assert!(json[key].is_null(), "{key}: {}", json[key]);
        }
        assert_eq!(json["false_positive_rate"], 0.0);
    }
}

//! The HTML evidence report: one self-contained file a person can check in seconds.
//!
//! - A summary: uploads by verdict, flagged uploads by work (key works first), errors by kind.
//! - Per flagged upload (`infringing`, then `review`): the verdict with its reasons, and per
//!   match the work, the rule that decided it, a timeline bar of the upload and one of the work
//!   with the matched spans, and side-by-side thumbnails of the upload and the work at up to
//!   [`HtmlOptions::frames_per_match`] matched times ([`match_times`]). A mirrored or rotated
//!   copy is shown turned back, so that both pictures of a pair look alike.
//! - Clean uploads and uploads that could not be read, listed.
//!
//! Everything is inline: CSS in a `<style>` element, thumbnails as `data:image/jpeg;base64`
//! URIs, no script, no font, no link; a Content-Security-Policy forbids the page to load
//! anything else, so it opens offline and leaks nothing. A thumbnail that cannot be made (a
//! file moved since the scan, an imported work without media) is a grey placeholder with the
//! reason, never a failure of the report. The library only renders: [`render`] returns the
//! page and [`write()`] writes it.

use super::{MatchReport, QueryReport};
use crate::error::{Error, ErrorKind, Result};
use crate::hash::Orientation;
use crate::media::thumbnail::{frames_at, ThumbnailOptions};
use crate::paths::path_from_display;
use crate::verdict::VerdictKind;
use base64::Engine as _;
use image::RgbImage;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

mod pictures;
mod summary;

use pictures::{data_uri, gather, orient, orientation, Pictures};
use summary::header;

/// What the report shows besides the results.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Page title.
    pub title: String,
    /// The scan's id, shown in the header.
    pub scan_id: Option<i64>,
    /// When the scan started (UTC, ISO 8601), shown in the header.
    pub scan_started_at: Option<String>,
    /// Work durations in ms by work id, for the work's timeline bar (without one, the bar
    /// ends at the last matched time).
    pub work_durations: BTreeMap<i64, u64>,
    /// How thumbnails are made; `None`: no thumbnails (placeholders only).
    pub thumbnails: Option<ThumbnailOptions>,
    /// Thumbnail pairs per match (default 3).
    pub frames_per_match: usize,
    /// Matches of one upload that get thumbnails (default 5; the others get timelines only).
    pub matches_with_frames: usize,
    /// JPEG quality of the thumbnails, 1–100 (default 80).
    pub jpeg_quality: u8,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            title: "swordnet evidence report".into(),
            scan_id: None,
            scan_started_at: None,
            work_durations: BTreeMap::new(),
            thumbnails: Some(ThumbnailOptions::default()),
            frames_per_match: 3,
            matches_with_frames: 5,
            jpeg_quality: 80,
        }
    }
}

/// The times shown for a match: up to `n` (upload ms, work ms) pairs spread evenly inside the
/// matched span (at 1/(n+1), 2/(n+1), ... of it), the work time taken on the match's line.
/// An image upload or a zero-length span gives one pair at the start.
pub fn match_times(m: &MatchReport, query_is_image: bool, n: usize) -> Vec<(i64, i64)> {
    let q_len = m.query_end_ms - m.query_start_ms;
    if n == 0 {
        return Vec::new();
    }
    if query_is_image || q_len <= 0 {
        let q = if query_is_image { 0 } else { m.query_start_ms };
        return vec![(q, m.reference_start_ms)];
    }
    let r_len = m.reference_end_ms - m.reference_start_ms;
    (1..=n as i64)
        .map(|k| {
            let q = m.query_start_ms + q_len * k / (n as i64 + 1);
            let r = m.reference_start_ms + r_len * k / (n as i64 + 1);
            (q, r)
        })
        .collect()
}

/// The uploads the report details, in order: infringing before review, uploads matching a
/// key work first, then input order.
pub fn flagged(reports: &[QueryReport]) -> Vec<&QueryReport> {
    let mut v: Vec<(usize, &QueryReport)> = reports
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.verdict, VerdictKind::Infringing | VerdictKind::Review))
        .collect();
    v.sort_by_key(|(i, r)| {
        (
            r.verdict != VerdictKind::Infringing,
            !r.matches.iter().any(|m| m.key_work),
            *i,
        )
    });
    v.into_iter().map(|(_, r)| r).collect()
}

fn is_image(r: &QueryReport) -> bool {
    r.media.as_deref() == Some("image")
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: i64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

const STYLE: &str = r#"
:root{--inf:#b3261e;--rev:#b26a00;--cln:#2e7d32;--err:#555;--bar:#e4e4e4;--span:#1565c0}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:1.5em;color:#1b1b1b;background:#fff;line-height:1.4}
h1{margin:0 0 .2em}h2{font-size:1.15em;margin:0 0 .4em;word-break:break-all}h3{font-size:1em;margin:0 0 .3em}
.sub{color:#555;margin:0 0 1em}
table{border-collapse:collapse;margin:.4em 0 1.2em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right}
.badge{display:inline-block;padding:.05em .5em;border-radius:.8em;color:#fff;font-size:.85em;font-weight:600;vertical-align:middle}
.badge.infringing{background:var(--inf)}.badge.review{background:var(--rev)}.badge.clean{background:var(--cln)}.badge.error{background:var(--err)}
.key{display:inline-block;padding:0 .4em;border:1px solid var(--inf);color:var(--inf);border-radius:.3em;font-size:.8em;margin-left:.4em}
section.upload{border:1px solid #ccc;border-left:6px solid var(--rev);border-radius:4px;padding:1em;margin:1.2em 0}
section.upload.infringing{border-left-color:var(--inf)}
.meta{color:#555;margin:.2em 0 .5em}
ul.reasons{margin:.3em 0 .8em;padding-left:1.2em}
.match{border-top:1px dashed #ccc;padding-top:.8em;margin-top:.8em}
.facts{margin:.2em 0 .6em;color:#333}
.tl{display:grid;grid-template-columns:5em 1fr 7em;align-items:center;gap:.6em;margin:.25em 0;font-size:.85em}
.tl .bar{position:relative;height:14px;background:var(--bar);border-radius:3px;overflow:hidden}
.tl .span{position:absolute;top:0;bottom:0;background:var(--span);min-width:2px}
.tl .tick{position:absolute;top:-2px;bottom:-2px;width:2px;background:#ff9800}
.pairs{display:flex;flex-wrap:wrap;gap:.8em;margin-top:.6em}
figure.pair{margin:0;padding:.4em;border:1px solid #ddd;border-radius:4px;background:#fafafa}
figure.pair .imgs{display:flex;gap:.4em;align-items:flex-start}
figure.pair .side{display:flex;flex-direction:column;align-items:center;font-size:.75em;color:#555;max-width:160px}
figure.pair img{display:block;width:auto;height:auto;max-width:160px;max-height:180px;border:1px solid #bbb}
figure.pair figcaption{font-size:.8em;text-align:center;margin-top:.3em}
.ph{width:160px;height:90px;display:flex;align-items:center;justify-content:center;text-align:center;background:#ddd;color:#555;font-size:.75em;padding:.3em;border:1px solid #bbb;overflow:hidden}
details{margin:.6em 0}
"#;

/// Renders the report page.
pub fn render(reports: &[QueryReport], options: &HtmlOptions) -> String {
    let flagged = flagged(reports);
    let pictures = gather(&flagged, options);
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"swordnet {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&options.title)
    );
    header(&mut h, reports, &flagged, options);
    let _ = writeln!(h, "<main id=\"flagged\">");
    let _ = writeln!(h, "<h2>Flagged uploads ({})</h2>", flagged.len());
    if flagged.is_empty() {
        let _ = writeln!(h, "<p>No upload was flagged.</p>");
    }
    for (i, r) in flagged.iter().enumerate() {
        upload_section(&mut h, i, r, &pictures, options);
    }
    let _ = writeln!(h, "</main>");
    others(&mut h, reports);
    let _ = writeln!(h, "</body>\n</html>");
    h
}

/// Renders the report page into `out`.
pub fn write(
    out: &mut dyn std::io::Write,
    reports: &[QueryReport],
    options: &HtmlOptions,
) -> Result<()> {
    out.write_all(render(reports, options).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write HTML report: {e}")))
}

const KEY_BADGE: &str = "<span class=\"key\">key work</span>";

fn key_badge(key_work: bool) -> &'static str {
    if key_work {
        KEY_BADGE
    } else {
        ""
    }
}

/// The matched upload time, as text.
fn query_span(r: &QueryReport, m: &MatchReport) -> String {
    if is_image(r) {
        "still image".into()
    } else {
        format!("{}–{}", secs(m.query_start_ms), secs(m.query_end_ms))
    }
}

/// The matched work time, as text (a still work has none).
fn work_span(m: &MatchReport) -> String {
    if m.speed == 0.0 && m.reference_end_ms == 0 {
        "still image".into()
    } else if m.reference_end_ms == m.reference_start_ms {
        format!("at {}", secs(m.reference_start_ms))
    } else {
        format!(
            "{}–{}",
            secs(m.reference_start_ms),
            secs(m.reference_end_ms)
        )
    }
}

/// For an upload cut short and judged on its readable part: a mark saying so (empty else).
fn cut_short_mark(r: &QueryReport) -> &'static str {
    if r.status == "cut_short" {
        " · <strong>file cut short: judged on its readable part</strong>"
    } else {
        ""
    }
}

fn upload_section(h: &mut String, i: usize, r: &QueryReport, pictures: &Pictures, o: &HtmlOptions) {
    let v = r.verdict.as_str();
    let _ = writeln!(
        h,
        "<section class=\"upload {v}\" id=\"u{i}\" data-verdict=\"{v}\">\n<h2><span class=\"badge {v}\">{v}</span> {}</h2>",
        esc(&r.query)
    );
    let duration = if is_image(r) {
        "still image".to_string()
    } else {
        secs(r.duration_ms as i64)
    };
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} · {duration} · {} frames ({} informative) · {} match{}{}</p>",
        esc(r.media.as_deref().unwrap_or("unknown")),
        r.frames,
        r.informative_frames,
        r.matches.len(),
        if r.matches.len() == 1 { "" } else { "es" },
        cut_short_mark(r)
    );
    if !r.reasons.is_empty() {
        let _ = writeln!(h, "<ul class=\"reasons\">");
        for reason in &r.reasons {
            let _ = writeln!(h, "<li>{}</li>", esc(reason));
        }
        let _ = writeln!(h, "</ul>");
    }
    for (j, m) in r.matches.iter().enumerate() {
        match_block(h, r, m, j < o.matches_with_frames, pictures, o);
    }
    let _ = writeln!(h, "</section>");
}

/// One timeline row: `label`, a bar of `total_ms` with the span `[start, end]` and ticks.
fn timeline_row(h: &mut String, label: &str, total_ms: i64, start: i64, end: i64, ticks: &[i64]) {
    let pct = |ms: i64| -> f64 {
        if total_ms <= 0 {
            0.0
        } else {
            (ms as f64 / total_ms as f64 * 100.0).clamp(0.0, 100.0)
        }
    };
    let (left, width, len) = if total_ms <= 0 {
        (0.0, 100.0, "still image".to_string())
    } else {
        let l = pct(start);
        (l, (pct(end) - l).max(0.0), secs(total_ms))
    };
    let _ = write!(
        h,
        "<div class=\"tl\"><span>{label}</span><div class=\"bar\" title=\"{} of {len}\"><div class=\"span\" style=\"left:{left:.2}%;width:{width:.2}%\"></div>",
        if total_ms <= 0 {
            "whole picture".to_string()
        } else {
            format!("{}–{}", secs(start), secs(end))
        }
    );
    if total_ms > 0 {
        for &t in ticks {
            let _ = write!(
                h,
                "<div class=\"tick\" style=\"left:{:.2}%\"></div>",
                pct(t)
            );
        }
    }
    let _ = writeln!(h, "</div><span>{len}</span></div>");
}

fn picture_html(
    h: &mut String,
    pictures: &Pictures,
    path: &str,
    t: i64,
    o: &HtmlOptions,
    turn: Option<Orientation>,
    alt: &str,
) {
    let missing = |why: &str| {
        format!(
            "<div class=\"ph\" title=\"{0}\">no picture: {0}</div>",
            esc(why)
        )
    };
    let html = if path.is_empty() {
        missing("no media file (imported work)")
    } else if o.thumbnails.is_none() {
        missing("thumbnails turned off")
    } else {
        match pictures.get(&(path_from_display(path), t)) {
            Some(Ok(img)) => {
                let img = match turn {
                    Some(orientation) => orient(img, orientation),
                    None => img.clone(),
                };
                match data_uri(&img, o.jpeg_quality) {
                    Ok(uri) => format!(
                        "<img src=\"{uri}\" width=\"{}\" height=\"{}\" alt=\"{}\">",
                        img.width(),
                        img.height(),
                        esc(alt)
                    ),
                    Err(e) => missing(&e),
                }
            }
            Some(Err(e)) => missing(e),
            None => missing("not decoded"),
        }
    };
    h.push_str(&html);
}

fn match_block(
    h: &mut String,
    r: &QueryReport,
    m: &MatchReport,
    with_frames: bool,
    pictures: &Pictures,
    o: &HtmlOptions,
) {
    let v = m.verdict.as_str();
    let _ = writeln!(
        h,
        "<div class=\"match\" data-verdict=\"{v}\" data-work-id=\"{}\">\n<h3>{}{}</h3>",
        m.work_id,
        esc(&m.title),
        key_badge(m.key_work)
    );
    let _ = writeln!(
        h,
        "<p class=\"facts\"><span class=\"badge {v}\">{v}</span> {}</p>",
        esc(&m.reason)
    );
    let mut facts = vec![
        format!(
            "rights holder {}",
            esc(m.rights_holder.as_deref().unwrap_or("unknown"))
        ),
        format!("upload {} ↔ work {}", query_span(r, m), work_span(m)),
    ];
    if m.speed > 0.0 && (m.speed - 1.0).abs() > 0.005 {
        facts.push(format!("speed {:.2}x", m.speed));
    }
    if m.transform != "none" {
        facts.push(format!("transform {}", esc(&m.transform)));
    }
    if let Some(degrees) = m.turned_degrees {
        facts.push(format!(
            "turned {degrees:.2}° on its canvas (turned back to match)"
        ));
    }
    match m.keypoint_inliers {
        // Placed by local features: no hash distance to show; the score is inliers / 40.
        Some(inliers) => facts.push(format!(
            "placed inside the reference photo by {inliers} agreeing keypoints (no whole-picture hash matched) · score {:.2}",
            m.score
        )),
        None => {
            if m.cropped {
                facts.push("found in the upload's active area (borders removed)".into());
            }
            facts.push(format!(
                "{} matched frames · mean distance {:.1} bits · score {:.2}",
                m.matched_frames, m.mean_distance, m.score
            ));
        }
    }
    facts.push(format!(
        "work file {}",
        if m.reference.is_empty() {
            "none (imported hashes)".to_string()
        } else {
            esc(&m.reference)
        }
    ));
    let _ = writeln!(h, "<p class=\"facts\">{}</p>", facts.join(" · "));
    let times = if with_frames {
        match_times(m, is_image(r), o.frames_per_match)
    } else {
        Vec::new()
    };
    let q_total = if is_image(r) { 0 } else { r.duration_ms as i64 };
    let r_total = if m.speed == 0.0 && m.reference_end_ms == 0 {
        0
    } else {
        o.work_durations
            .get(&m.work_id)
            .map(|&d| d as i64)
            .unwrap_or(0)
            .max(m.reference_end_ms)
    };
    let q_ticks: Vec<i64> = times.iter().map(|t| t.0).collect();
    let r_ticks: Vec<i64> = times.iter().map(|t| t.1).collect();
    timeline_row(
        h,
        "upload",
        q_total,
        m.query_start_ms,
        m.query_end_ms,
        &q_ticks,
    );
    timeline_row(
        h,
        "work",
        r_total,
        m.reference_start_ms,
        m.reference_end_ms,
        &r_ticks,
    );
    if times.is_empty() {
        let _ = writeln!(h, "</div>");
        return;
    }
    let o_turn = orientation(&m.transform);
    let turned = o_turn != Orientation::Original;
    let _ = writeln!(h, "<div class=\"pairs\">");
    for (q, t) in times {
        let _ = write!(
            h,
            "<figure class=\"pair\"><div class=\"imgs\"><div class=\"side\">"
        );
        picture_html(
            h,
            pictures,
            &r.query,
            q,
            o,
            turned.then_some(o_turn),
            &format!("upload at {}", secs(q)),
        );
        let _ = write!(
            h,
            "<span>upload{}</span></div><div class=\"side\">",
            match o_turn {
                Orientation::Original => String::new(),
                Orientation::Mirror => " (mirrored back)".into(),
                Orientation::Rot90 | Orientation::Rot180 | Orientation::Rot270 => {
                    " (turned back)".into()
                }
                _ => format!(" ({} undone)", esc(&m.transform)),
            }
        );
        picture_html(
            h,
            pictures,
            &m.reference,
            t,
            o,
            None,
            &format!("work at {}", secs(t)),
        );
        let caption = if is_image(r) && r_total == 0 {
            "upload ↔ work".to_string()
        } else if is_image(r) {
            format!("upload ↔ work {}", secs(t))
        } else if r_total == 0 {
            format!("upload {} ↔ work", secs(q))
        } else {
            format!("upload {} ↔ work {}", secs(q), secs(t))
        };
        let _ = writeln!(
            h,
            "<span>work</span></div></div><figcaption>{caption}</figcaption></figure>"
        );
    }
    let _ = writeln!(h, "</div>\n</div>");
}

fn others(h: &mut String, reports: &[QueryReport]) {
    let errors: Vec<&QueryReport> = reports
        .iter()
        .filter(|r| r.verdict == VerdictKind::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(
            h,
            "<section id=\"errors\">\n<h2>Uploads that could not be judged ({})</h2>\n<table><tr><th>upload</th><th>kind</th><th>what happened</th></tr>",
            errors.len()
        );
        for r in errors {
            let (kind, message) = r
                .error
                .as_ref()
                .map(|e| (e.kind.as_str(), e.message.as_str()))
                .unwrap_or(("error", ""));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.query),
                esc(kind),
                esc(message)
            );
        }
        let _ = writeln!(h, "</table>\n</section>");
    }
    let clean: Vec<&QueryReport> = reports
        .iter()
        .filter(|r| r.verdict == VerdictKind::Clean)
        .collect();
    if !clean.is_empty() {
        let _ = writeln!(
            h,
            "<section id=\"clean\">\n<details><summary>Clean uploads ({})</summary>\n<table><tr><th>upload</th><th>why</th></tr>",
            clean.len()
        );
        for r in clean {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&r.query),
                esc(&r.reasons.join("; "))
            );
        }
        let _ = writeln!(h, "</table>\n</details>\n</section>");
    }
}

#[cfg(test)]
mod tests;

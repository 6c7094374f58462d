//! The report's header and summary section: uploads by verdict, flagged uploads by work (key
//! works first), errors by kind, and an index of the flagged uploads.

use super::{esc, key_badge, query_span, work_span, HtmlOptions, KEY_BADGE};
use crate::report::QueryReport;
use crate::verdict::VerdictKind;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Default)]
struct WorkCount {
    title: String,
    rights_holder: Option<String>,
    key_work: bool,
    infringing: usize,
    review: usize,
}

pub(super) fn header(
    h: &mut String,
    reports: &[QueryReport],
    flagged: &[&QueryReport],
    o: &HtmlOptions,
) {
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", esc(&o.title));
    let mut sub = Vec::new();
    if let Some(id) = o.scan_id {
        sub.push(format!("scan {id}"));
    }
    if let Some(t) = &o.scan_started_at {
        sub.push(format!("started {}", esc(t)));
    }
    sub.push(format!("{} uploads", reports.len()));
    let _ = writeln!(h, "<p class=\"sub\">{}</p>\n</header>", sub.join(" · "));
    let _ = writeln!(
        h,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"by-verdict\"><tr><th>verdict</th><th>uploads</th></tr>"
    );
    for v in [
        VerdictKind::Infringing,
        VerdictKind::Review,
        VerdictKind::Clean,
        VerdictKind::Error,
    ] {
        let n = reports.iter().filter(|r| r.verdict == v).count();
        let _ = writeln!(
            h,
            "<tr data-verdict=\"{0}\"><td><span class=\"badge {0}\">{0}</span></td><td class=\"n\">{n}</td></tr>",
            v.as_str()
        );
    }
    let _ = writeln!(h, "</table>");
    // Flagged uploads per work: each (upload, work) once, at its strongest verdict.
    let mut works: BTreeMap<i64, WorkCount> = BTreeMap::new();
    for r in flagged {
        let mut best: BTreeMap<i64, VerdictKind> = BTreeMap::new();
        for m in &r.matches {
            let e = best.entry(m.work_id).or_insert(m.verdict);
            *e = (*e).max(m.verdict);
            works.entry(m.work_id).or_insert_with(|| WorkCount {
                title: m.title.clone(),
                rights_holder: m.rights_holder.clone(),
                key_work: m.key_work,
                ..WorkCount::default()
            });
        }
        for (id, v) in best {
            let w = works.get_mut(&id).expect("inserted above");
            match v {
                VerdictKind::Infringing => w.infringing += 1,
                VerdictKind::Review => w.review += 1,
                _ => {}
            }
        }
    }
    let mut works: Vec<(i64, WorkCount)> = works.into_iter().collect();
    works.sort_by(|(ia, a), (ib, b)| {
        b.key_work
            .cmp(&a.key_work)
            .then(b.infringing.cmp(&a.infringing))
            .then(b.review.cmp(&a.review))
            .then(a.title.cmp(&b.title))
            .then(ia.cmp(ib))
    });
    if !works.is_empty() {
        let _ = writeln!(
            h,
            "<h3>By work</h3>\n<table class=\"by-work\"><tr><th>work</th><th>rights holder</th><th>key work</th><th>infringing uploads</th><th>review uploads</th></tr>"
        );
        for (id, w) in &works {
            let _ = writeln!(
                h,
                "<tr data-work-id=\"{id}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&w.title),
                esc(w.rights_holder.as_deref().unwrap_or("–")),
                if w.key_work { KEY_BADGE } else { "no" },
                w.infringing,
                w.review
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reports.iter().filter(|r| r.verdict == VerdictKind::Error) {
        if let Some(e) = &r.error {
            *errors.entry(e.kind.as_str()).or_default() += 1;
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Errors by kind</h3>\n<table class=\"by-error\"><tr><th>kind</th><th>uploads</th></tr>"
        );
        for (k, n) in errors {
            let _ = writeln!(h, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(k));
        }
        let _ = writeln!(h, "</table>");
    }
    if !flagged.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Flagged uploads</h3>\n<table class=\"index\"><tr><th>upload</th><th>verdict</th><th>work</th><th>upload time</th><th>work time</th></tr>"
        );
        for (i, r) in flagged.iter().enumerate() {
            let (work, qt, rt) = match r.matches.first() {
                Some(m) => (
                    format!("{}{}", esc(&m.title), key_badge(m.key_work)),
                    query_span(r, m),
                    work_span(m),
                ),
                None => ("–".into(), "–".into(), "–".into()),
            };
            let _ = writeln!(
                h,
                "<tr><td><a href=\"#u{i}\">{}</a>{2}</td><td><span class=\"badge {1}\">{1}</span></td><td>{work}</td><td>{qt}</td><td>{rt}</td></tr>",
                esc(&r.query),
                r.verdict.as_str(),
                super::cut_short_mark(r)
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(h, "</section>");
}

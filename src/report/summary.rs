//! Summary counts of a scan: by verdict, by error kind, by work.

use super::QueryReport;
use crate::verdict::VerdictKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts over a batch of reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Uploads judged.
    pub uploads: usize,
    /// Count per verdict.
    pub by_verdict: BTreeMap<String, usize>,
    /// Count of uploads with verdict `error`, per error kind.
    pub errors_by_kind: BTreeMap<String, usize>,
    /// Uploads cut short but judged on their readable part (status `cut_short`: a match
    /// there; their verdict is counted in `by_verdict`).
    pub cut_short: usize,
    /// Infringing uploads per work title.
    pub infringing_by_work: BTreeMap<String, usize>,
}

impl Summary {
    /// Counts `reports`.
    pub fn of(reports: &[QueryReport]) -> Summary {
        let mut s = Summary {
            uploads: reports.len(),
            ..Default::default()
        };
        for r in reports {
            *s.by_verdict
                .entry(r.verdict.as_str().to_string())
                .or_default() += 1;
            if r.status == "cut_short" {
                s.cut_short += 1;
            }
            if let (Some(e), VerdictKind::Error) = (&r.error, r.verdict) {
                *s.errors_by_kind.entry(e.kind.clone()).or_default() += 1;
            }
            if r.verdict == VerdictKind::Infringing {
                if let Some(m) = r.matches.first() {
                    *s.infringing_by_work.entry(m.title.clone()).or_default() += 1;
                }
            }
        }
        s
    }

    /// Number of uploads with this verdict.
    pub fn count(&self, verdict: VerdictKind) -> usize {
        self.by_verdict.get(verdict.as_str()).copied().unwrap_or(0)
    }
}

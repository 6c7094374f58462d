//! Scans and their per-upload results. A result is stored as the report's JSON object, so a
//! scan can be re-rendered and audited later; its verdict and error kind are columns too.

use super::Catalogue;
use crate::error::{Error, ErrorKind, Result};
use crate::paths::{path_from_bytes, path_to_bytes};
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A stored scan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScanRow {
    /// Scan id.
    pub id: i64,
    /// Start time (UTC, ISO 8601).
    pub started_at: String,
    /// End time, if it finished.
    pub finished_at: Option<String>,
    /// The settings it ran with (JSON).
    pub settings: String,
}

/// One stored result.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    /// The upload's path.
    pub query: PathBuf,
    /// `infringing`, `review`, `clean` or `error`.
    pub verdict: String,
    /// The error kind for `error`.
    pub error_kind: Option<String>,
    /// The JSON object written to the report.
    pub report: String,
}

impl Catalogue {
    /// Starts a scan; returns its id.
    pub fn begin_scan(&self, settings_json: &str) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO scans (settings) VALUES (?1)",
            params![settings_json],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// The latest scan, if any.
    pub fn latest_scan(&self) -> Result<Option<ScanRow>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT id, started_at, finished_at, settings FROM scans ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(ScanRow {
                        id: r.get(0)?,
                        started_at: r.get(1)?,
                        finished_at: r.get(2)?,
                        settings: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// One scan; [`ErrorKind::NotFound`] if absent.
    pub fn scan(&self, id: i64) -> Result<ScanRow> {
        let conn = self.conn();
        conn.query_row(
            "SELECT id, started_at, finished_at, settings FROM scans WHERE id = ?1",
            params![id],
            |r| {
                Ok(ScanRow {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    settings: r.get(3)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no scan with id {id}")))
    }

    /// Stores (or replaces) one upload's result.
    pub fn store_result(&self, scan_id: i64, result: &StoredResult) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO results (scan_id, query, verdict, error_kind, report) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                scan_id,
                path_to_bytes(&result.query),
                result.verdict,
                result.error_kind,
                result.report
            ],
        )?;
        Ok(())
    }

    /// Marks a scan finished.
    pub fn finish_scan(&self, scan_id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE scans SET finished_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1",
            params![scan_id],
        )?;
        Ok(())
    }

    /// The results of a scan, in the order stored.
    pub fn scan_results(&self, scan_id: i64) -> Result<Vec<StoredResult>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT query, verdict, error_kind, report FROM results WHERE scan_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![scan_id], |r| {
            Ok(StoredResult {
                query: path_from_bytes(&r.get::<_, Vec<u8>>(0)?),
                verdict: r.get(1)?,
                error_kind: r.get(2)?,
                report: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The uploads a scan has already judged (for `--resume`).
    pub fn done_queries(&self, scan_id: i64) -> Result<HashSet<PathBuf>> {
        Ok(self
            .scan_results(scan_id)?
            .into_iter()
            .map(|r| r.query)
            .collect())
    }

    /// Whether `query` has a stored result in `scan_id`.
    pub fn has_result(&self, scan_id: i64, query: &Path) -> Result<bool> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT 1 FROM results WHERE scan_id = ?1 AND query = ?2",
                params![scan_id, path_to_bytes(query)],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

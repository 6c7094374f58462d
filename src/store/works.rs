//! Works (protected references) and their frame hashes.

use super::Catalogue;
use crate::error::{Error, ErrorKind, Result};
use crate::fingerprint::Fingerprint;
use crate::hash::keypoints::Keypoint;
use crate::hash::Hash256;
use crate::paths::{path_from_bytes, path_to_bytes};
use rusqlite::{params, OptionalExtension, Row};
use std::path::{Path, PathBuf};

/// What the caller says about a new work.
#[derive(Debug, Clone, Default)]
pub struct NewWork {
    /// The file indexed.
    pub path: PathBuf,
    /// Title (default: the file name).
    pub title: String,
    /// Rights holder, if known.
    pub rights_holder: Option<String>,
    /// On the early-warning list (stricter policy).
    pub key_work: bool,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// A stored work.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkRow {
    /// Catalogue id.
    pub id: i64,
    /// The indexed file's path.
    #[serde(serialize_with = "crate::report::serialize_path")]
    pub path: PathBuf,
    /// Title.
    pub title: String,
    /// Rights holder.
    pub rights_holder: Option<String>,
    /// On the early-warning list.
    pub key_work: bool,
    /// `"image"` or `"video"`.
    pub media: String,
    /// Content SHA-256.
    pub sha256: String,
    /// Duration in ms (0 for images).
    pub duration_ms: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame hashes stored.
    pub frame_count: u64,
    /// When it was indexed (UTC, ISO 8601).
    pub indexed_at: String,
}

const WORK_COLUMNS: &str = "id, path, title, rights_holder, key_work, media, sha256, duration_ms, width, height, frame_count, indexed_at";

fn work_from_row(r: &Row<'_>) -> rusqlite::Result<WorkRow> {
    Ok(WorkRow {
        id: r.get(0)?,
        path: path_from_bytes(&r.get::<_, Vec<u8>>(1)?),
        title: r.get(2)?,
        rights_holder: r.get(3)?,
        key_work: r.get(4)?,
        media: r.get(5)?,
        sha256: r.get(6)?,
        duration_ms: non_negative(r, 7, "duration_ms")?,
        width: r.get(8)?,
        height: r.get(9)?,
        frame_count: non_negative(r, 10, "frame_count")?,
        indexed_at: r.get(11)?,
    })
}

/// A damaged-row error for column `index` of a stored row (see `From<rusqlite::Error>` for
/// [`Error`]).
pub(super) fn damaged(index: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, what.into())
}

/// Column `index` (named `name`) as a count or duration that cannot be negative.
fn non_negative(r: &Row<'_>, index: usize, name: &str) -> rusqlite::Result<u64> {
    let v: i64 = r.get(index)?;
    u64::try_from(v).map_err(|_| damaged(index, format!("{name} {v} is negative")))
}

/// One stored frame hash, as loaded into the search index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredFrame {
    /// The work.
    pub work_id: i64,
    /// Time in ms.
    pub t_ms: i64,
    /// View id (0: the frame itself; see [`crate::hash::views`]).
    pub view: u8,
    /// Hash.
    pub hash: Hash256,
    /// Quality 0–100.
    pub quality: u8,
}

impl Catalogue {
    /// The work with this content hash, if indexed.
    pub fn work_by_sha256(&self, sha256: &str) -> Result<Option<WorkRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {WORK_COLUMNS} FROM works WHERE sha256 = ?1");
        Ok(conn
            .query_row(&sql, params![sha256], work_from_row)
            .optional()?)
    }

    /// Stores a work, its frame hashes and its keypoints (still works; may be empty) in one
    /// transaction; returns its id. If a work with the same SHA-256 exists, nothing is written
    /// and its id is returned with `false`.
    pub fn add_work(
        &self,
        work: &NewWork,
        fingerprint: &Fingerprint,
        keypoints: &[Keypoint],
    ) -> Result<(i64, bool)> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM works WHERE sha256 = ?1",
                params![work.sha256],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
        tx.execute(
            "INSERT INTO works (path, title, rights_holder, key_work, media, sha256, duration_ms, width, height, frame_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                path_to_bytes(&work.path),
                work.title,
                work.rights_holder,
                work.key_work,
                fingerprint.media.as_str(),
                work.sha256,
                fingerprint.duration_ms as i64,
                fingerprint.width,
                fingerprint.height,
                fingerprint.primary_frames().count() as i64
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO frames (work_id, idx, t_ms, view, hash, quality) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, f) in fingerprint.frames.iter().enumerate() {
                insert.execute(params![
                    id,
                    i as i64,
                    f.t_ms,
                    f.view,
                    &f.hash.to_bytes()[..],
                    f.quality
                ])?;
            }
        }
        super::features::insert(&tx, id, keypoints)?;
        tx.commit()?;
        Ok((id, true))
    }

    /// All works, by id.
    pub fn works(&self) -> Result<Vec<WorkRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {WORK_COLUMNS} FROM works ORDER BY id");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], work_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One work; [`ErrorKind::NotFound`] if there is none with this id.
    pub fn work(&self, id: i64) -> Result<WorkRow> {
        let conn = self.conn();
        let sql = format!("SELECT {WORK_COLUMNS} FROM works WHERE id = ?1");
        conn.query_row(&sql, params![id], work_from_row)
            .optional()?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no work with id {id}")))
    }

    /// Removes a work and its frame hashes; [`ErrorKind::NotFound`] if absent.
    pub fn remove_work(&self, id: i64) -> Result<()> {
        let n = self
            .conn()
            .execute("DELETE FROM works WHERE id = ?1", params![id])?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no work with id {id}"),
            ));
        }
        Ok(())
    }

    /// Changes a work's title, rights holder (`Some("")` clears it) and/or key-work flag;
    /// `None` leaves a field as it is. Errors: [`ErrorKind::NotFound`] for an unknown id.
    pub fn update_work(
        &self,
        id: i64,
        title: Option<&str>,
        rights_holder: Option<&str>,
        key_work: Option<bool>,
    ) -> Result<()> {
        if title.is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::new(
                ErrorKind::Config,
                "a title cannot be empty (leave --title out to keep the current one)",
            ));
        }
        self.work(id)?;
        let conn = self.conn();
        if let Some(t) = title {
            conn.execute("UPDATE works SET title = ?1 WHERE id = ?2", params![t, id])?;
        }
        if let Some(r) = rights_holder {
            let r = (!r.is_empty()).then_some(r);
            conn.execute(
                "UPDATE works SET rights_holder = ?1 WHERE id = ?2",
                params![r, id],
            )?;
        }
        if let Some(k) = key_work {
            conn.execute(
                "UPDATE works SET key_work = ?1 WHERE id = ?2",
                params![k, id],
            )?;
        }
        Ok(())
    }

    /// Every stored frame hash, ordered by work then time, read in one consistent snapshot.
    pub fn all_frames(&self) -> Result<Vec<StoredFrame>> {
        self.query_frames(
            "SELECT work_id, t_ms, view, hash, quality FROM frames ORDER BY work_id, idx",
            None,
        )
    }

    /// The frame hashes of one work, in time order.
    pub fn frames_of(&self, work_id: i64) -> Result<Vec<StoredFrame>> {
        self.query_frames(
            "SELECT work_id, t_ms, view, hash, quality FROM frames WHERE work_id = ?1 ORDER BY idx",
            Some(work_id),
        )
    }

    fn query_frames(&self, sql: &str, work_id: Option<i64>) -> Result<Vec<StoredFrame>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql)?;
        let map = |r: &Row<'_>| {
            let bytes: Vec<u8> = r.get(3)?;
            let work_id: i64 = r.get(0)?;
            let hash = Hash256::from_bytes(&bytes).ok_or_else(|| {
                damaged(
                    3,
                    format!(
                        "a frame hash of work {work_id} is {} bytes, not 32",
                        bytes.len()
                    ),
                )
            })?;
            Ok(StoredFrame {
                work_id,
                t_ms: r.get(1)?,
                view: r.get(2)?,
                hash,
                quality: r.get(4)?,
            })
        };
        let rows = match work_id {
            Some(id) => stmt
                .query_map(params![id], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt
                .query_map([], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }
}

/// Title for a file without one: its file stem, escaped.
pub fn default_title(path: &Path) -> String {
    path.file_stem()
        .map(|s| crate::paths::display_path(Path::new(s)))
        .unwrap_or_else(|| crate::paths::display_path(path))
}

//! The catalogue: one SQLite database (WAL mode) holding works, their frame hashes, scans and
//! scan results. This is the only module with SQL.
//!
//! The schema is versioned with `PRAGMA user_version` ([`SCHEMA_VERSION`]); the catalogue
//! records its hash algorithm and refuses to be used with another
//! ([`ErrorKind::IncompatibleCatalogue`]). Each work is stored in one transaction, so a killed
//! run never leaves half a work behind; the content SHA-256 makes re-indexing a no-op.

mod exchange;
mod features;
mod scans;
mod works;

pub use exchange::{
    parse_pdq_csv, ExchangeSummary, ImportedFrame, ImportedWork, IMPORT_KEY_PREFIX,
    PDQ_CSV_COLUMNS, VIEW_COLUMN,
};
pub use features::KEYPOINT_BYTES;
pub use scans::{ScanRow, StoredResult};
pub use works::{default_title, NewWork, StoredFrame, WorkRow};

use crate::error::{Error, ErrorKind, Result};
use crate::hash::Algorithm;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The schema version this build writes and reads.
/// Version 2 added `local_features`; a version-1 catalogue is upgraded in place when opened
/// (its photos get keypoints when they are indexed again: `index` on the same files).
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS works (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL,
    title TEXT NOT NULL,
    rights_holder TEXT,
    key_work INTEGER NOT NULL DEFAULT 0,
    media TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    duration_ms INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frame_count INTEGER NOT NULL,
    indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
CREATE TABLE IF NOT EXISTS frames (
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    t_ms INTEGER NOT NULL,
    view INTEGER NOT NULL DEFAULT 0,
    hash BLOB NOT NULL,
    quality INTEGER NOT NULL,
    PRIMARY KEY (work_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS local_features (
    work_id INTEGER PRIMARY KEY REFERENCES works(id) ON DELETE CASCADE,
    count INTEGER NOT NULL,
    keypoints BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    finished_at TEXT,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    query BLOB NOT NULL,
    verdict TEXT NOT NULL,
    error_kind TEXT,
    report TEXT NOT NULL,
    PRIMARY KEY (scan_id, query)
);
";

/// An open catalogue. Safe to share between threads (one connection behind a mutex).
pub struct Catalogue {
    conn: Mutex<Connection>,
    algorithm: Algorithm,
}

impl Catalogue {
    /// Opens or creates the catalogue at `path`.
    ///
    /// A new catalogue records `algorithm` (default PDQ). An existing one keeps its own; asking
    /// for a different one is an [`ErrorKind::IncompatibleCatalogue`] error, as is a schema
    /// version this build does not know.
    ///
    /// Every error names `path`; a catalogue in a folder that does not exist says so.
    pub fn open(path: &Path, algorithm: Option<Algorithm>) -> Result<Catalogue> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = parent.filter(|p| !p.is_dir()) {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "the folder {} does not exist; create it first",
                    crate::paths::display_path(folder)
                ),
            )
            .with_path(path));
        }
        Self::open_in(path, algorithm).map_err(|e| e.with_path(path))
    }

    fn open_in(path: &Path, algorithm: Option<Algorithm>) -> Result<Catalogue> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let (version, stored) = match retry_busy(|| prepare(&conn))? {
            Prepared::Catalogue(version, stored) => (version, stored),
            Prepared::Foreign(tables) => {
                return Err(Error::new(
                    ErrorKind::IncompatibleCatalogue,
                    format!("not a swordnet catalogue: an SQLite database of {tables} other tables; left untouched (give a new file or a catalogue)"),
                ))
            }
        };
        if version > SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::IncompatibleCatalogue,
                format!("catalogue schema version {version} is newer than this build's ({SCHEMA_VERSION}); upgrade swordnet"),
            )
            .with_path(path));
        }
        let algorithm = match (stored, algorithm) {
            (None, _) if has_frames(&conn)? => {
                // Hashes without their algorithm: which one they are cannot be told, and new
                // ones of another would be mixed with them.
                return Err(Error::new(
                    ErrorKind::IncompatibleCatalogue,
                    "the catalogue is damaged: it holds frame hashes but no record of their hash algorithm; index the works again into a new catalogue",
                ));
            }
            (None, wanted) => {
                let a = wanted.unwrap_or(Algorithm::Pdq);
                retry_busy(|| {
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('algorithm', ?1)",
                        params![a.id()],
                    )
                })?;
                a
            }
            (Some(id), wanted) => {
                let Some(stored) = Algorithm::from_id(&id) else {
                    let message = if matches!(id.as_str(), "phash64-1" | "dhash64-1") {
                        format!("catalogue uses hash algorithm {id:?}, made by an older swordnet (its pHash matched unrelated pictures); index the works again into a new catalogue")
                    } else {
                        format!("catalogue uses hash algorithm {id:?}, unknown to this build")
                    };
                    return Err(
                        Error::new(ErrorKind::IncompatibleCatalogue, message).with_path(path)
                    );
                };
                if let Some(w) = wanted.filter(|w| *w != stored) {
                    return Err(Error::new(
                        ErrorKind::IncompatibleCatalogue,
                        format!(
                            "catalogue was built with {} but {} was asked for; use a new catalogue",
                            stored.id(),
                            w.id()
                        ),
                    )
                    .with_path(path));
                }
                stored
            }
        };
        Ok(Catalogue {
            conn: Mutex::new(conn),
            algorithm,
        })
    }

    /// The catalogue's hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `PRAGMA integrity_check`; `Ok(())` when it answers "ok".
    pub fn integrity_check(&self) -> Result<()> {
        let answer: String = self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Store,
                format!("integrity check failed: {answer}"),
            ))
        }
    }
}

/// How long a write waits for another process's write to the same catalogue.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Sets the connection up and creates the schema when it is missing: the schema version found
/// and the stored hash algorithm id (`None` for a new catalogue). Stops before the schema when
/// the version is newer than this build's, and before any change when the file is another
/// program's database.
fn prepare(conn: &Connection) -> rusqlite::Result<Prepared> {
    // Another program's database (tables, but not swordnet's) is left untouched: no WAL
    // switch, no schema added beside its tables.
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let ours = ["meta", "works"]
        .iter()
        .all(|t| tables.iter().any(|n| n == t));
    if !tables.is_empty() && !ours {
        return Ok(Prepared::Foreign(tables.len()));
    }
    // A newer schema is refused before anything is written (the WAL switch changes the file).
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Ok(Prepared::Catalogue(version, None));
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    if version < SCHEMA_VERSION {
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    let stored = conn
        .query_row("SELECT value FROM meta WHERE key = 'algorithm'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(Prepared::Catalogue(version, stored))
}

/// What [`prepare`] found.
enum Prepared {
    /// A swordnet catalogue (new or existing): its schema version and stored hash algorithm id.
    Catalogue(i64, Option<String>),
    /// Another program's SQLite database, with this many tables.
    Foreign(usize),
}

/// Runs `step` again while SQLite answers "database is locked" without waiting, for at most
/// [`BUSY_TIMEOUT`]: switching a new file to WAL and the first schema writes can meet another
/// process doing the same (two `index` runs creating one catalogue), where SQLite does not
/// call the busy handler. `step` must be safe to repeat.
fn retry_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Starts a transaction that takes the write lock at once (`BEGIN IMMEDIATE`). A deferred
/// transaction that reads and then writes cannot wait for another process's write (SQLite
/// answers "database is locked" at once to avoid a deadlock); an immediate one waits under the
/// busy timeout, so two `index` runs into one catalogue take turns.
fn write_transaction(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// True when the catalogue holds any frame hash.
fn has_frames(conn: &Connection) -> Result<bool> {
    Ok(retry_busy(|| {
        conn.query_row("SELECT EXISTS (SELECT 1 FROM frames)", [], |r| r.get(0))
    })?)
}

//! One error type for the whole library: an [`ErrorKind`] that callers can branch on, the path of the
//! file concerned (when there is one), a human-readable message and the underlying cause.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, as a stable machine-readable category. Reports print it in snake_case
/// (see [`ErrorKind::as_str`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Reading or writing a file failed (missing file, permission, disk full).
    Io,
    /// The file is empty (0 bytes).
    Empty,
    /// The container or image ends early (e.g. an MP4 without its `moov` index atom).
    Truncated,
    /// The bytes could not be decoded as the format they claim to be.
    Decode,
    /// A format or codec swordnet (or the available decoder backend) cannot read.
    Unsupported,
    /// A limit from [`crate::limits::Limits`] was exceeded; the message gives the numbers.
    TooLarge,
    /// The picture is smaller than [`crate::limits::MIN_SIDE_PX`] on a side.
    TooSmall,
    /// A video container without any video stream (e.g. audio only).
    NoVideoStream,
    /// Every frame is low-information (blank, uniform, near-black): nothing to fingerprint.
    LowQuality,
    /// A decoder did not finish within its time limit and was killed.
    Timeout,
    /// The SQLite catalogue failed.
    Store,
    /// The catalogue was made with another hash algorithm or schema than this run uses.
    IncompatibleCatalogue,
    /// A bad option, manifest or configuration value.
    Config,
    /// A work, scan or file that was asked for does not exist.
    NotFound,
    /// A bug: a worker panicked. The batch goes on; please report it.
    Internal,
}

impl ErrorKind {
    /// The snake_case name used in reports and the catalogue (`"too_large"`, `"no_video_stream"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Empty => "empty",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Decode => "decode",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::TooSmall => "too_small",
            ErrorKind::NoVideoStream => "no_video_stream",
            ErrorKind::LowQuality => "low_quality",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Store => "store",
            ErrorKind::IncompatibleCatalogue => "incompatible_catalogue",
            ErrorKind::Config => "config",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A swordnet error: kind, optional path, message and optional source.
#[derive(Debug)]
pub struct Error {
    /// The category.
    pub kind: ErrorKind,
    /// The file concerned, if any.
    pub path: Option<PathBuf>,
    /// What happened, in words, with the numbers (e.g. `"image too large (256000000 px > limit 50000000 px)"`).
    pub message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with `message`, made one line (a third-party decoder's text may
    /// end in or hold line breaks; reports, tables and CSV rows give each error one line).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        let message = message.trim_end().replace(['\r', '\n'], " ");
        Error {
            kind,
            path: None,
            message,
            source: None,
        }
    }

    /// Attaches the file path the error is about (keeps an existing one).
    pub fn with_path(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An [`ErrorKind::Io`] error from `err`, with the path.
    pub fn io(err: std::io::Error, path: &Path) -> Self {
        Error::new(ErrorKind::Io, err.to_string())
            .with_path(path)
            .with_source(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(
                f,
                "{}: {} ({})",
                crate::paths::display_path(p),
                self.message,
                self.kind
            ),
            None => write!(f, "{} ({})", self.message, self.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        // A value of the wrong type or size in a row swordnet wrote: the file was changed by
        // something else (or damaged), which SQLite's own message does not say.
        let damaged = |what: String| {
            format!(
                "the catalogue is damaged (a stored value is not what swordnet wrote): {what}; \
                 index the works again into a new catalogue"
            )
        };
        let message = match &err {
            E::FromSqlConversionFailure(_, _, inner) => damaged(inner.to_string()),
            E::InvalidColumnType(..) | E::IntegralValueOutOfRange(..) => damaged(err.to_string()),
            E::SqliteFailure(e, _)
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                format!(
                    "{err}: swordnet writes to its catalogue (scans are stored in it, and SQLite keeps its journal files beside it), so the file and its folder must be writable; copy it somewhere writable"
                )
            }
            E::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::DatabaseBusy => format!(
                "{err}: another program (another swordnet index, scan or works command?) kept the catalogue locked longer than swordnet waits; run again when it is done"
            ),
            _ => err.to_string(),
        };
        Error::new(ErrorKind::Store, message).with_source(err)
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_catalogue_says_it_must_be_writable() {
        let read_only = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some("attempt to write a readonly database".into()),
        );
        let e = Error::from(read_only);
        assert!(
            e.message
                .contains("readonly database: swordnet writes to its catalogue"),
            "{e}"
        );
    }

    #[test]
    fn a_locked_catalogue_says_who_may_hold_it() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        let e = Error::from(busy);
        assert_eq!(e.kind, ErrorKind::Store);
        assert!(
            e.message.starts_with("database is locked: another program"),
            "{e}"
        );
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::new(
            ErrorKind::Decode,
            "cannot decode image: Not enough bytes,\nexpected 1\r\n",
        );
        assert_eq!(
            e.message,
            "cannot decode image: Not enough bytes, expected 1"
        );
    }
}

//! Hash exchange: PDQ hash lists that rights holders can share with platforms without sending
//! their media, in the CSV layout of Meta's PDQ tools (ThreatExchange `pdq/cpp`, as read by
//! HMA-style matchers): one frame hash per line, the 64-hex PDQ hash first, then metadata.
//!
//! [`Catalogue::export_pdq_csv`] writes, for each work, the standard PDQ hash of every sampled
//! frame (view 0) as a line of [`PDQ_CSV_COLUMNS`], with no header line (Meta's loaders take
//! every line as a hash). [`Catalogue::import_pdq_csv`] builds works from such a file: no media
//! is needed, and the imported catalogue matches uploads like the original, except that crops
//! of the work are no longer indexed, so an upload cropped by more than a few per cent may
//! match more weakly or not at all.
//!
//! With `all_views`, the export also writes swordnet's extra views of each frame (crops and
//! small rotations, [`crate::hash::views`]), each a PDQ-style hash of that crop, with their view id
//! in a 12th column [`VIEW_COLUMN`]: 130–210 times more lines, and an import of them matches
//! exactly like the original catalogue. Other tools see them as more hashes of the work.
//!
//! An imported work has an empty file path (there is no file) and the content key
//! `import:<SHA-256 of its hash list>` in place of the SHA-256 of a file
//! ([`WorkRow::is_imported`]); importing the same list twice adds nothing, and neither does importing a catalogue's own export
//! into it (a work with exactly the same view-0 frame hashes is already present).

use super::{Catalogue, WorkRow};
use crate::error::{Error, ErrorKind, Result};
use crate::hash::{Algorithm, Hash256};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

/// The columns of a `pdq-csv` line, in order (there is no header line).
pub const PDQ_CSV_COLUMNS: [&str; 11] = [
    "hash",
    "quality",
    "t_ms",
    "work_id",
    "title",
    "rights_holder",
    "key_work",
    "media",
    "duration_ms",
    "width",
    "height",
];

/// The optional 12th column of a `pdq-csv` line: the view id (0, the frame itself, when
/// absent).
pub const VIEW_COLUMN: &str = "view";

/// Prefix of the content key of an imported work.
pub const IMPORT_KEY_PREFIX: &str = "import:";

/// A work made from exchanged hashes, without media.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportedWork {
    /// Title.
    pub title: String,
    /// Rights holder, if known.
    pub rights_holder: Option<String>,
    /// On the early-warning list.
    pub key_work: bool,
    /// `"image"` or `"video"`.
    pub media: String,
    /// Duration in ms (0 for an image).
    pub duration_ms: u64,
    /// Width of the original in pixels (0 if unknown).
    pub width: u32,
    /// Height of the original in pixels (0 if unknown).
    pub height: u32,
    /// The frame hashes, in time order, each frame's views in view order (view 0 first).
    pub frames: Vec<ImportedFrame>,
}

/// One exchanged frame hash.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImportedFrame {
    /// Time in the work, ms.
    pub t_ms: i64,
    /// View id: 0 for the frame itself (see [`crate::hash::views`]).
    pub view: u8,
    /// The PDQ hash.
    pub hash: Hash256,
    /// Quality 0–100.
    pub quality: u8,
}

impl ImportedWork {
    /// The content key: `import:` + SHA-256 of the lines `t_ms,hash,quality` (`,view` added
    /// for views other than 0).
    pub fn key(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.frames {
            let hex = f.hash.to_hex(Algorithm::Pdq);
            let line = match f.view {
                0 => format!("{},{hex},{}\n", f.t_ms, f.quality),
                v => format!("{},{hex},{},{v}\n", f.t_ms, f.quality),
            };
            h.update(line.as_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        format!("{IMPORT_KEY_PREFIX}{hex}")
    }
}

impl WorkRow {
    /// True for a work imported from a hash list (no media file; see [`crate::store`]).
    pub fn is_imported(&self) -> bool {
        self.sha256.starts_with(IMPORT_KEY_PREFIX)
    }
}

/// What an export or import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ExchangeSummary {
    /// Works written, or added.
    pub works: usize,
    /// Works already in the catalogue (import only): nothing written.
    pub already_present: usize,
    /// Frame hashes written or read.
    pub hashes: usize,
}

fn bad_line(line: u64, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Decode, format!("line {line}: {what}"))
}

fn pdq_only(catalogue: &Catalogue, what: &str) -> Result<()> {
    if catalogue.algorithm() != Algorithm::Pdq {
        return Err(Error::new(
            ErrorKind::IncompatibleCatalogue,
            format!(
                "{what} needs a PDQ catalogue; this one uses {}",
                catalogue.algorithm().id()
            ),
        ));
    }
    Ok(())
}

impl Catalogue {
    /// Stores a work made from exchanged hashes in one transaction; returns its
    /// id, and `false` when a work with the same key ([`ImportedWork::key`]) already exists.
    /// Errors: [`ErrorKind::IncompatibleCatalogue`] unless the catalogue uses PDQ;
    /// [`ErrorKind::Config`] for a work without frames or of unknown media.
    pub fn add_imported_work(&self, work: &ImportedWork) -> Result<(i64, bool)> {
        pdq_only(self, "importing PDQ hashes")?;
        if work.frames.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!("imported work {:?} has no frame hash", work.title),
            ));
        }
        if work.media != "image" && work.media != "video" {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "imported work {:?}: unknown media {:?}",
                    work.title, work.media
                ),
            ));
        }
        let key = work.key();
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM works WHERE sha256 = ?1",
                params![key],
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
                Vec::<u8>::new(),
                work.title,
                work.rights_holder,
                work.key_work,
                work.media,
                key,
                work.duration_ms as i64,
                work.width,
                work.height,
                work.frames.iter().filter(|f| f.view == 0).count() as i64
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO frames (work_id, idx, t_ms, view, hash, quality) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, f) in work.frames.iter().enumerate() {
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
        tx.commit()?;
        Ok((id, true))
    }

    /// Writes every work's view-0 PDQ frame hashes as `pdq-csv` lines ([`PDQ_CSV_COLUMNS`],
    /// no header), works by id, frames in time order; with `all_views`, every view of every
    /// frame, with its view id in a 12th column ([`VIEW_COLUMN`]).
    /// Errors: [`ErrorKind::IncompatibleCatalogue`] unless the catalogue uses PDQ; I/O.
    pub fn export_pdq_csv(&self, out: &mut dyn Write, all_views: bool) -> Result<ExchangeSummary> {
        pdq_only(self, "exporting PDQ hashes")?;
        let mut w = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        let err = |e: ::csv::Error| Error::new(ErrorKind::Io, format!("cannot write CSV: {e}"));
        let mut summary = ExchangeSummary::default();
        for work in self.works()? {
            summary.works += 1;
            for f in self
                .frames_of(work.id)?
                .iter()
                .filter(|f| all_views || f.view == 0)
            {
                summary.hashes += 1;
                let mut record = vec![
                    f.hash.to_hex(Algorithm::Pdq),
                    f.quality.to_string(),
                    f.t_ms.to_string(),
                    work.id.to_string(),
                    work.title.clone(),
                    work.rights_holder.clone().unwrap_or_default(),
                    work.key_work.to_string(),
                    work.media.clone(),
                    work.duration_ms.to_string(),
                    work.width.to_string(),
                    work.height.to_string(),
                ];
                if all_views {
                    record.push(f.view.to_string());
                }
                w.write_record(&record).map_err(err)?;
            }
        }
        w.flush()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write CSV: {e}")))?;
        Ok(summary)
    }

    /// Reads a `pdq-csv` file and adds its works (each in one transaction).
    ///
    /// Lines of [`PDQ_CSV_COLUMNS`] (and optionally [`VIEW_COLUMN`]) are grouped into works by
    /// their `work_id` column (the exporting catalogue's id; the new works get their own ids). Shorter lines, as Meta's
    /// tools write them (`hash`, `hash,quality` or `hash,quality,name`), each become a still
    /// image work titled by the name (or the hash); a missing quality counts as 100. A hash
    /// may be written `hash=<64 hex>`; a first line starting with `hash,` is taken as a header
    /// and skipped. The whole file is checked before anything is written: a bad line is an
    /// [`ErrorKind::Decode`] error naming its line.
    pub fn import_pdq_csv(&self, input: &mut dyn Read) -> Result<ExchangeSummary> {
        pdq_only(self, "importing PDQ hashes")?;
        self.add_imported_works(&parse_pdq_csv(input)?)
    }

    /// Stores works parsed by [`parse_pdq_csv`], each in one transaction (see
    /// [`Catalogue::add_imported_work`]); returns how many were added and already present.
    pub fn add_imported_works(&self, works: &[ImportedWork]) -> Result<ExchangeSummary> {
        let mut summary = ExchangeSummary::default();
        // The stored works (id, media, standard frames), read once; each work added joins them.
        let mut stored: Vec<(i64, String, u64)> = self
            .works()?
            .into_iter()
            .map(|w| (w.id, w.media, w.frame_count))
            .collect();
        for work in works {
            summary.hashes += work.frames.len();
            if self.has_same_frames(&stored, work)? {
                summary.already_present += 1;
                continue;
            }
            match self.add_imported_work(work)? {
                (id, true) => {
                    summary.works += 1;
                    let standard = work.frames.iter().filter(|f| f.view == 0).count();
                    stored.push((id, work.media.clone(), standard as u64));
                }
                (_, false) => summary.already_present += 1,
            }
        }
        Ok(summary)
    }
}

impl Catalogue {
    /// True when one of the `stored` works (id, media, number of standard frames) has exactly
    /// `work`'s standard frame hashes (view 0, same times): the list is this catalogue's own
    /// export, or an earlier import with other views.
    fn has_same_frames(&self, stored: &[(i64, String, u64)], work: &ImportedWork) -> Result<bool> {
        let wanted: Vec<(i64, Hash256)> = work
            .frames
            .iter()
            .filter(|f| f.view == 0)
            .map(|f| (f.t_ms, f.hash))
            .collect();
        for (id, media, frame_count) in stored {
            if *media != work.media || *frame_count != wanted.len() as u64 {
                continue;
            }
            let frames: Vec<(i64, Hash256)> = self
                .frames_of(*id)?
                .into_iter()
                .filter(|f| f.view == 0)
                .map(|f| (f.t_ms, f.hash))
                .collect();
            if frames == wanted {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The line (from 1) on which a quoted CSV field opens that the input never closes, if one
/// does: the CSV reader takes such a field to the end of the input without an error, so a
/// stray quote in one title would silently make every later line part of it. Quotes open a
/// field only at its start, as in RFC 4180 and the `csv` crate; `""` inside one is a quote.
fn unclosed_quote(bytes: &[u8]) -> Option<u64> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened_on) = (State::FieldStart, 1u64, 0u64);
    for &b in bytes {
        state = match (state, b) {
            (State::FieldStart, b'"') => {
                opened_on = line;
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b',' | b'\n' | b'\r') => State::FieldStart,
            _ => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened_on)
}

/// Parses a `pdq-csv` file into works (see [`Catalogue::import_pdq_csv`]).
pub fn parse_pdq_csv(input: &mut dyn Read) -> Result<Vec<ImportedWork>> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the hash list: {e}")))?;
    if let Some(line) = unclosed_quote(&bytes) {
        return Err(bad_line(
            line,
            "a quoted field opened on this line is never closed (every line after it would be read as its text)",
        ));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    // Works in order of first appearance; swordnet rows keyed by their work id.
    let mut works: Vec<ImportedWork> = Vec::new();
    let mut by_id: std::collections::HashMap<String, usize> = Default::default();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(n as u64 + 1, |p| p.line());
            bad_line(line, format!("not CSV: {e}"))
        })?;
        let line = record.position().map_or(n as u64 + 1, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        if n == 0 && field(0).eq_ignore_ascii_case("hash") {
            continue;
        }
        if record.len() == 1 && field(0).is_empty() {
            continue;
        }
        let text = field(0);
        let text = text.strip_prefix("hash=").unwrap_or(text);
        let hash = Hash256::from_hex(text, Algorithm::Pdq)
            .ok_or_else(|| bad_line(line, format!("not a 64-hex PDQ hash: {text:?}")))?;
        let quality = if record.len() >= 2 {
            let q: u8 = field(1)
                .parse()
                .map_err(|_| bad_line(line, format!("bad quality {:?}", field(1))))?;
            if q > 100 {
                return Err(bad_line(line, format!("quality {q} is over 100")));
            }
            q
        } else {
            100
        };
        if record.len() < PDQ_CSV_COLUMNS.len() {
            let name = if record.len() >= 3 {
                record.iter().skip(2).collect::<Vec<_>>().join(",")
            } else {
                hash.to_hex(Algorithm::Pdq)
            };
            works.push(ImportedWork {
                title: name,
                media: "image".into(),
                frames: vec![ImportedFrame {
                    t_ms: 0,
                    view: 0,
                    hash,
                    quality,
                }],
                ..ImportedWork::default()
            });
            continue;
        }
        let number = |i: usize| -> Result<u64> {
            field(i)
                .parse()
                .map_err(|_| bad_line(line, format!("bad {} {:?}", PDQ_CSV_COLUMNS[i], field(i))))
        };
        let pixels = |i: usize| -> Result<u32> {
            u32::try_from(number(i)?).map_err(|_| {
                bad_line(
                    line,
                    format!("{} {:?} is too large", PDQ_CSV_COLUMNS[i], field(i)),
                )
            })
        };
        let t_ms: i64 = field(2)
            .parse()
            .ok()
            .filter(|t| *t >= 0)
            .ok_or_else(|| bad_line(line, format!("bad t_ms {:?}", field(2))))?;
        let id = field(3).to_string();
        let idx = match by_id.get(&id) {
            Some(&i) => i,
            None => {
                let media = field(7).to_string();
                if media != "image" && media != "video" {
                    return Err(bad_line(line, format!("unknown media {media:?}")));
                }
                let key_work = match field(6) {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    other => return Err(bad_line(line, format!("bad key_work {other:?}"))),
                };
                works.push(ImportedWork {
                    title: record.get(4).unwrap_or("").to_string(),
                    rights_holder: Some(record.get(5).unwrap_or("").to_string())
                        .filter(|s| !s.is_empty()),
                    key_work,
                    media,
                    duration_ms: number(8)?,
                    width: pixels(9)?,
                    height: pixels(10)?,
                    frames: Vec::new(),
                });
                by_id.insert(id, works.len() - 1);
                works.len() - 1
            }
        };
        let view: u8 = match record.get(PDQ_CSV_COLUMNS.len()).map(str::trim) {
            None | Some("") => 0,
            Some(v) => v
                .parse()
                .map_err(|_| bad_line(line, format!("bad view {v:?}")))?,
        };
        works[idx].frames.push(ImportedFrame {
            t_ms,
            view,
            hash,
            quality,
        });
    }
    for w in &mut works {
        w.frames.sort_by_key(|f| (f.t_ms, f.view));
        if !w.frames.iter().any(|f| f.view == 0) {
            return Err(Error::new(
                ErrorKind::Decode,
                format!("work {:?} has no view-0 hash", w.title),
            ));
        }
    }
    Ok(works)
}

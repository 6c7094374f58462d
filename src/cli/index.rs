//! `swordnet index`.

use super::args::IndexArgs;
use super::{config, progress, EXIT_FILE_ERRORS};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use swordnet::engine::{IndexOutcome, WorkMeta};
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::paths::display_path;
use swordnet::scan::{collect_inputs, index_batch};
use swordnet::store::Catalogue;

#[derive(serde::Deserialize)]
struct ManifestRow {
    path: PathBuf,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    rights_holder: Option<String>,
    #[serde(default)]
    key_work: Option<String>,
}

fn parse_bool(s: &str) -> Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" => Ok(false),
        "1" | "true" | "yes" | "y" => Ok(true),
        other => Err(Error::new(
            ErrorKind::Config,
            format!("key_work must be true or false, not {other:?}"),
        )),
    }
}

fn read_manifest(path: &Path) -> Result<Vec<(PathBuf, WorkMeta)>> {
    let base = path.parent().unwrap_or(Path::new("."));
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()).with_path(path))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::new(ErrorKind::Config, format!("bad manifest: {e}")).with_path(path))?
        .clone();
    if !headers.iter().any(|h| h.trim() == "path") {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "bad manifest: its first line must be the header path,title,rights_holder,key_work (only path is required); it is {:?}",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        )
        .with_path(path));
    }
    let mut out: Vec<(PathBuf, WorkMeta)> = Vec::new();
    // The line each file was first listed on, to refuse a file listed twice with other details.
    let mut listed: std::collections::HashMap<PathBuf, (usize, usize)> = Default::default();
    for (n, row) in reader.deserialize::<ManifestRow>().enumerate() {
        // Line numbers count the header as line 1.
        let line = n + 2;
        let row = row.map_err(|e| {
            let e = match e.kind() {
                csv::ErrorKind::UnequalLengths { .. } => format!(
                    "{e} (a row with another number of fields, or a quote opened and never closed before it)"
                ),
                _ => e.to_string(),
            };
            Error::new(ErrorKind::Config, format!("bad manifest: {e}")).with_path(path)
        })?;
        let file = if row.path.is_absolute() {
            row.path.clone()
        } else {
            base.join(&row.path)
        };
        let meta = WorkMeta {
            title: row.title.filter(|t| !t.is_empty()),
            rights_holder: row.rights_holder.filter(|t| !t.is_empty()),
            key_work: parse_bool(row.key_work.as_deref().unwrap_or("")).map_err(|e| {
                Error::new(e.kind, format!("bad manifest, line {line}: {}", e.message))
                    .with_path(path)
            })?,
        };
        // The same file under two spellings (`a.jpg`, `./a.jpg`) is one file.
        let key = swordnet::paths::file_identity(&file);
        if let Some(&(first_line, at)) = listed.get(&key) {
            if out[at].1 == meta {
                continue;
            }
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "bad manifest: {} is listed on line {first_line} and again on line {line} with another title, rights holder or key-work flag; keep one line",
                    display_path(&file)
                ),
            )
            .with_path(path));
        }
        listed.insert(key, (line, out.len()));
        out.push((file, meta));
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Config,
            "bad manifest: it lists no files under its header",
        )
        .with_path(path));
    }
    Ok(out)
}

/// Indexes and prints one line per file; returns the exit code.
pub fn run(args: IndexArgs) -> Result<u8> {
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    // A bad manifest stops before the catalogue is created or opened.
    let listed = match &args.manifest {
        Some(m) => read_manifest(m)?,
        None => Vec::new(),
    };
    let catalogue = Catalogue::open(&args.db, args.algorithm)?;
    super::interrupt::explain_index_stops();
    let (files, missing) = collect_inputs(&args.paths);
    if !args.paths.is_empty() {
        super::warn_if_nothing_found(&args.paths, files.len() + missing.len());
    }
    if args.title.is_some() && files.len() > 1 {
        return Err(Error::new(
            ErrorKind::Config,
            "--title names one work; give one file or use --manifest",
        ));
    }
    let mut works: Vec<(PathBuf, WorkMeta)> = files
        .into_iter()
        .map(|f| {
            (
                f,
                WorkMeta {
                    title: args.title.clone(),
                    rights_holder: args.rights_holder.clone(),
                    key_work: args.key_work,
                },
            )
        })
        .collect();
    works.extend(listed);
    if works.is_empty() && missing.is_empty() {
        return Err(Error::new(
            ErrorKind::Config,
            "nothing to index: name files, folders or --manifest",
        ));
    }
    for (path, err) in &missing {
        println!(
            "error\t{}\t{}: {}",
            display_path(path),
            err.kind,
            err.message
        );
    }
    let bar = progress::bar(works.len(), "indexing");
    // Each line as its file is done (completion order), so that a run stopped half way has
    // said what it stored.
    let results = index_batch(
        &catalogue,
        &works,
        &decode,
        policy.min_quality,
        config::jobs(&args.decode),
        &|_, _, path, outcome| {
            let line = outcome_line(path, outcome);
            bar.suspend(|| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}").and_then(|_| out.flush());
            });
            bar.inc(1);
        },
    )?;
    bar.finish_and_clear();
    let mut failures = missing.len();
    let (mut added, mut skipped) = (0, 0);
    for (_, outcome) in &results {
        match outcome {
            Ok(IndexOutcome::Added { .. }) => added += 1,
            Ok(IndexOutcome::AlreadyIndexed { .. }) => skipped += 1,
            Err(_) => failures += 1,
        }
    }
    eprintln!("indexed {added} new, {skipped} already present, {failures} failed");
    let unwritable: Vec<&Error> = results
        .iter()
        .filter_map(|(_, outcome)| outcome.as_ref().err())
        .filter(|e| swordnet::scan::catalogue_unwritable(e))
        .collect();
    // The write that failed, not the files skipped after it.
    let first = unwritable
        .iter()
        .find(|e| !e.message.starts_with("not indexed"))
        .or(unwritable.first());
    if let Some(e) = first {
        return Err(Error::new(
            ErrorKind::Store,
            format!(
                "the catalogue cannot be written ({}); indexing stopped, the works stored before are kept",
                e.message
            ),
        ));
    }
    Ok(if failures > 0 { EXIT_FILE_ERRORS } else { 0 })
}

/// The output line of one file: `added`, `exists` or `error`, tab-separated.
fn outcome_line(path: &Path, outcome: &Result<IndexOutcome>) -> String {
    let shown = display_path(path);
    match outcome {
        Ok(IndexOutcome::Added { work_id, frames }) => {
            format!("added\t{shown}\twork {work_id}\t{frames} frames")
        }
        Ok(IndexOutcome::AlreadyIndexed {
            work_id,
            keypoints_added,
            metadata_kept,
        }) => {
            let mut line = format!("exists\t{shown}\twork {work_id}");
            if *keypoints_added > 0 {
                line.push_str(&format!("\t{keypoints_added} keypoints added"));
            }
            if *metadata_kept {
                line.push_str(&format!(
                    "\ttitle, rights holder and key work kept as stored; change them with `swordnet works set {work_id}`"
                ));
            }
            line
        }
        Err(e) => format!("error\t{shown}\t{}: {}", e.kind, e.message),
    }
}

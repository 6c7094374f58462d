//! `swordnet index`.

use super::args::IndexArgs;
use super::{config, progress, EXIT_FILE_ERRORS};
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
    let mut out = Vec::new();
    for row in reader.deserialize::<ManifestRow>() {
        let row = row.map_err(|e| {
            Error::new(ErrorKind::Config, format!("bad manifest: {e}")).with_path(path)
        })?;
        let file = if row.path.is_absolute() {
            row.path.clone()
        } else {
            base.join(&row.path)
        };
        out.push((
            file,
            WorkMeta {
                title: row.title.filter(|t| !t.is_empty()),
                rights_holder: row.rights_holder.filter(|t| !t.is_empty()),
                key_work: parse_bool(row.key_work.as_deref().unwrap_or(""))?,
            },
        ));
    }
    Ok(out)
}

/// Indexes and prints one line per file; returns the exit code.
pub fn run(args: IndexArgs) -> Result<u8> {
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    let catalogue = Catalogue::open(&args.db, args.algorithm)?;
    let (files, missing) = collect_inputs(&args.paths);
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
    if let Some(m) = &args.manifest {
        works.extend(read_manifest(m)?);
    }
    if works.is_empty() && missing.is_empty() {
        return Err(Error::new(
            ErrorKind::Config,
            "nothing to index: name files, folders or --manifest",
        ));
    }
    let bar = progress::bar(works.len(), "indexing");
    let results = index_batch(
        &catalogue,
        &works,
        &decode,
        policy.min_quality,
        config::jobs(&args.decode),
        &|_, _, _| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let mut failures = missing.len();
    for (path, err) in &missing {
        println!(
            "error\t{}\t{}: {}",
            display_path(path),
            err.kind,
            err.message
        );
    }
    let (mut added, mut skipped) = (0, 0);
    for (path, outcome) in results {
        match outcome {
            Ok(IndexOutcome::Added { work_id, frames }) => {
                added += 1;
                println!(
                    "added\t{}\twork {work_id}\t{frames} frames",
                    display_path(&path)
                );
            }
            Ok(IndexOutcome::AlreadyIndexed {
                work_id,
                keypoints_added,
            }) => {
                skipped += 1;
                if keypoints_added > 0 {
                    println!(
                        "exists\t{}\twork {work_id}\t{keypoints_added} keypoints added",
                        display_path(&path)
                    );
                } else {
                    println!("exists\t{}\twork {work_id}", display_path(&path));
                }
            }
            Err(e) => {
                failures += 1;
                println!("error\t{}\t{}: {}", display_path(&path), e.kind, e.message);
            }
        }
    }
    eprintln!("indexed {added} new, {skipped} already present, {failures} failed");
    Ok(if failures > 0 { EXIT_FILE_ERRORS } else { 0 })
}

//! Batches: index many works or scan many uploads in parallel (rayon, `jobs` threads). One bad
//! file is one error result, never an abort; a panic in a worker is caught and reported as an
//! [`ErrorKind::Internal`] result for that file.

use crate::engine::{error_report, index_file, Engine, IndexOutcome, WorkMeta};
use crate::error::{Error, ErrorKind, Result};
use crate::media::DecodeOptions;
use crate::report::QueryReport;
use crate::store::{Catalogue, StoredResult};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// File extensions picked up when a folder is walked (named files are always taken).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "tga", "mp4", "m4v", "mov", "mkv",
    "webm", "avi", "flv", "ts", "mts", "m2ts", "mpg", "mpeg", "wmv", "asf", "3gp", "ogv",
];

/// Expands files and folders (recursively, sorted, hidden entries skipped) into a file list.
/// A path that does not exist is an [`ErrorKind::NotFound`] error for that path.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, Error)>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            missing.push((
                p.clone(),
                Error::new(ErrorKind::NotFound, "no such file or folder").with_path(p),
            ));
        }
    }
    (files, missing)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .map(|n| n.to_string_lossy().starts_with('.'))
            .unwrap_or(false);
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else {
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if MEDIA_EXTENSIONS.contains(&ext.as_str()) {
                out.push(p);
            }
        }
    }
}

/// Called as files finish: (files done, files in all, the file just done).
pub type ProgressFn<'a> = &'a (dyn Fn(usize, usize, &Path) + Sync);

fn pool(jobs: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot start {jobs} threads: {e}"),
            )
        })
}

fn panic_error(path: &Path, payload: Box<dyn std::any::Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::new(ErrorKind::Internal, format!("worker panicked: {what}")).with_path(path)
}

/// Indexes `works` into `catalogue` in parallel. Results are in input order.
pub fn index_batch(
    catalogue: &Catalogue,
    works: &[(PathBuf, WorkMeta)],
    options: &DecodeOptions,
    min_quality: u8,
    jobs: usize,
    progress: ProgressFn<'_>,
) -> Result<Vec<(PathBuf, Result<IndexOutcome>)>> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = works.len();
    let results = pool(jobs)?.install(|| {
        works
            .par_iter()
            .map(|(path, meta)| {
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    index_file(catalogue, path, meta, options, min_quality)
                }))
                .unwrap_or_else(|p| Err(panic_error(path, p)));
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(n, total, path);
                (path.clone(), outcome)
            })
            .collect()
    });
    Ok(results)
}

/// Scans `files` with `engine` in parallel. With `store = Some((catalogue, scan_id))` each
/// result is stored as soon as it is known, and files already stored for that scan are
/// skipped (resume). Results are in input order (skipped files are left out).
pub fn scan_batch(
    engine: &Engine,
    files: &[PathBuf],
    store: Option<(&Catalogue, i64)>,
    jobs: usize,
    progress: ProgressFn<'_>,
) -> Result<Vec<QueryReport>> {
    let done_before = match store {
        Some((cat, scan)) => cat.done_queries(scan)?,
        None => Default::default(),
    };
    let todo: Vec<&PathBuf> = files.iter().filter(|f| !done_before.contains(*f)).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = todo.len();
    let results: Vec<Result<QueryReport>> = pool(jobs)?.install(|| {
        todo.par_iter()
            .map(|path| {
                let report = catch_unwind(AssertUnwindSafe(|| engine.judge_file(path)))
                    .unwrap_or_else(|p| error_report(path, &panic_error(path, p)));
                if let Some((cat, scan)) = store {
                    cat.store_result(scan, &stored(path, &report))?;
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(n, total, path);
                Ok(report)
            })
            .collect()
    });
    results.into_iter().collect()
}

/// The catalogue row of a report.
pub fn stored(path: &Path, report: &QueryReport) -> StoredResult {
    StoredResult {
        query: path.to_path_buf(),
        verdict: report.verdict.as_str().to_string(),
        error_kind: report.error.as_ref().map(|e| e.kind.clone()),
        report: serde_json::to_string(report).unwrap_or_else(|_| "{}".into()),
    }
}

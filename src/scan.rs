//! Batches: index many works or scan many uploads in parallel (rayon, `jobs` threads). One bad
//! file is one error result, never an abort; a panic in a worker is caught and reported as an
//! [`ErrorKind::Internal`] result for that file.

use crate::engine::{error_report, index_file, Engine, IndexOutcome, WorkMeta};
use crate::error::{Error, ErrorKind, Result};
use crate::media::DecodeOptions;
use crate::report::QueryReport;
use crate::schedule::{file_size, map_largest_first};
use crate::store::{Catalogue, StoredResult};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// File extensions picked up when a folder is walked (named files are always taken; a file
/// with another extension, or none, is taken when its first bytes are those of an image or
/// video format swordnet recognises, see [`crate::media::sniff::sniff`]).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "pjpeg", "png", "apng", "gif", "webp", "bmp", "dib", "tif",
    "tiff", "tga", "avif", "heic", "heif", "jxl", "ico", "qoi", "pnm", "pbm", "pgm", "ppm", "pam",
    "exr", "hdr", "dds", "mp4", "m4v", "mov", "mkv", "mk3d", "webm", "avi", "flv", "f4v", "ts",
    "mts", "m2ts", "mpg", "mpeg", "m2v", "vob", "mxf", "y4m", "wmv", "asf", "3gp", "3g2", "ogv",
    // Raw video streams ffmpeg reads (its demuxer list in media::video::ffmpeg).
    "h264", "264", "h26l", "26l", "avc", "h265", "265", "hevc", "hvc", "x265", "h263", "263", "m1v",
    "mpv", "mp4v", "cmp", "xvid", "ivf", "obu", "m4e", "nut", "rm", "rmvb", "dv",
];

/// True when `path`'s extension is one of [`MEDIA_EXTENSIONS`] (any case).
pub fn is_media_name(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.as_str()))
}

/// Expands files and folders into a file list: folders recursively (symbolic links followed,
/// entries sorted by name, hidden entries skipped), keeping media files by extension or, for
/// other names, by their first bytes. Named files are always kept (a file that is not media
/// then fails with a clear error of its own).
///
/// The second list holds one error per path that could not be taken: a path that does not
/// exist ([`ErrorKind::NotFound`]), a folder that cannot be read, a symbolic link that loops
/// back to a folder above it, or a media-named entry that is not a regular file (a FIFO, a
/// socket, a device) ([`ErrorKind::Io`]). A file reached twice (named twice, named and inside a
/// folder given, or through a symbolic link) is listed once, where it is first reached.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, Error)>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, &mut problems);
        } else if p.exists() || p.is_symlink() {
            files.push(p.clone());
        } else {
            problems.push((
                p.clone(),
                Error::new(ErrorKind::NotFound, "no such file or folder").with_path(p),
            ));
        }
    }
    // A file named twice, or named and also inside a folder given, is one upload (or work).
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(crate::paths::file_identity(f)));
    (files, problems)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<(PathBuf, Error)>) {
    let hidden = |e: &walkdir::DirEntry| {
        e.depth() > 0 && e.file_name().as_encoded_bytes().first() == Some(&b'.')
    };
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !hidden(e));
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let message = if let Some(ancestor) = e.loop_ancestor() {
                    format!(
                        "symbolic link loops back to {}; not followed",
                        crate::paths::display_path(ancestor)
                    )
                } else if e
                    .io_error()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
                {
                    "broken symbolic link (its target does not exist)".to_string()
                } else {
                    let cause = e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string());
                    format!("cannot read this folder entry: {cause}")
                };
                problems.push((
                    path.clone(),
                    Error::new(ErrorKind::Io, message).with_path(&path),
                ));
                continue;
            }
        };
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        let path = entry.path();
        let named_as_media = is_media_name(path);
        if !kind.is_file() {
            if named_as_media {
                problems.push((
                    path.to_path_buf(),
                    Error::new(
                        ErrorKind::Io,
                        "not a regular file (a FIFO, socket or device); skipped",
                    )
                    .with_path(path),
                ));
            }
            continue;
        }
        if named_as_media || sniffs_as_media(path) {
            out.push(path.to_path_buf());
        }
    }
}

/// True when the first bytes of the regular file `path` are the signature of an image or
/// video format. BMP's two-letter `BM` is too weak a signature to take a file by (a text file
/// can start with it): such files need their extension.
fn sniffs_as_media(path: &Path) -> bool {
    use crate::media::sniff::{sniff_path, Sniffed};
    !matches!(
        sniff_path(path),
        None | Some(Sniffed::Unknown | Sniffed::Image(image::ImageFormat::Bmp))
    )
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

/// Called as each work is stored (or fails): (files done, files in all, the file just done,
/// its outcome), so that a caller can report it at once (an interrupted run then has said
/// what it stored).
pub type IndexProgressFn<'a> = &'a (dyn Fn(usize, usize, &Path, &Result<IndexOutcome>) + Sync);

/// Indexes `works` into `catalogue` in parallel, largest files first
/// ([`map_largest_first`]). Results are in input order.
pub fn index_batch(
    catalogue: &Catalogue,
    works: &[(PathBuf, WorkMeta)],
    options: &DecodeOptions,
    min_quality: u8,
    jobs: usize,
    progress: IndexProgressFn<'_>,
) -> Result<Vec<(PathBuf, Result<IndexOutcome>)>> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = works.len();
    // Set by the first write the catalogue refuses for want of room or access: the files
    // after it are not decoded for nothing.
    let unwritable = std::sync::OnceLock::<String>::new();
    let results = pool(jobs)?.install(|| {
        map_largest_first(
            works,
            |(path, _)| file_size(path),
            |(path, meta)| {
                let outcome = match unwritable.get() {
                    Some(why) => Err(Error::new(
                        ErrorKind::Store,
                        format!("not indexed: the catalogue cannot be written ({why})"),
                    )
                    .with_path(path)),
                    None => catch_unwind(AssertUnwindSafe(|| {
                        index_file(catalogue, path, meta, options, min_quality)
                    }))
                    .unwrap_or_else(|p| Err(panic_error(path, p))),
                };
                if let Err(e) = &outcome {
                    if catalogue_unwritable(e) {
                        let _ = unwritable.set(e.message.clone());
                    }
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(n, total, path, &outcome);
                (path.clone(), outcome)
            },
        )
    });
    Ok(results)
}

/// True when `e` says the catalogue cannot take writes at all (SQLite's "database or disk is
/// full", "attempt to write a readonly database", "disk I/O error"), not that one file failed.
pub fn catalogue_unwritable(e: &Error) -> bool {
    e.kind == ErrorKind::Store
        && [
            "disk is full",
            "readonly database",
            "disk I/O error",
            "cannot be written",
        ]
        .iter()
        .any(|m| e.message.contains(m))
}

/// Scans `files` with `engine` in parallel, largest first ([`map_largest_first`]). With `store = Some((catalogue, scan_id))` each
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
        map_largest_first(
            &todo,
            |path| file_size(path),
            |path| {
                let report = catch_unwind(AssertUnwindSafe(|| engine.judge_file(path)))
                    .unwrap_or_else(|p| error_report(path, &panic_error(path, p)));
                if let Some((cat, scan)) = store {
                    cat.store_result(scan, &stored(path, &report))?;
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(n, total, path);
                Ok(report)
            },
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_or_read_only_catalogue_stops_indexing_and_a_bad_file_does_not() {
        let store = |m: &str| Error::new(ErrorKind::Store, m);
        assert!(catalogue_unwritable(&store("database or disk is full")));
        assert!(catalogue_unwritable(&store(
            "attempt to write a readonly database"
        )));
        assert!(!catalogue_unwritable(&store("UNIQUE constraint failed")));
        assert!(!catalogue_unwritable(&Error::new(
            ErrorKind::Decode,
            "database or disk is full"
        )));
    }
    use std::os::unix::fs::symlink;

    fn message_of(problems: &[(PathBuf, Error)], name: &str) -> String {
        problems
            .iter()
            .find(|(p, _)| p.file_name().is_some_and(|n| n == name))
            .map(|(_, e)| e.message.clone())
            .unwrap_or_else(|| panic!("no problem reported for {name}: {problems:?}"))
    }

    #[test]
    fn folder_walk_takes_media_and_reports_what_it_cannot_take() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let jpeg = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/references/p_mdn_tiger.jpg"),
        )
        .unwrap();
        std::fs::write(root.join("a.jpg"), &jpeg).unwrap();
        std::fs::write(root.join("b photo without extension"), &jpeg).unwrap();
        std::fs::write(root.join("c.AVIF"), b"not checked: named as media").unwrap();
        std::fs::write(root.join("notes.txt"), b"plain text").unwrap();
        std::fs::write(root.join("cars.txt"), b"BMW, Audi, Volvo and other makes").unwrap();
        std::fs::write(root.join(".hidden.jpg"), &jpeg).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        symlink("..", root.join("sub/up")).unwrap();
        symlink("gone.jpg", root.join("dangling.jpg")).unwrap();
        let fifo =
            std::ffi::CString::new(root.join("pipe.mp4").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file system entry.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);

        let (files, problems) = collect_inputs(&[root.to_path_buf()]);
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.jpg", "b photo without extension", "c.AVIF"]);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(message_of(&problems, "up").contains("loops back"));
        assert!(message_of(&problems, "dangling.jpg").contains("broken symbolic link"));
        assert!(message_of(&problems, "pipe.mp4").contains("not a regular file"));

        // Named, the FIFO is taken and fails on its own without blocking on open.
        let (files, problems) = collect_inputs(&[root.join("pipe.mp4")]);
        assert_eq!((files.len(), problems.len()), (1, 0));
        let e = crate::engine::sha256_file(&files[0]).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");

        // A file named twice, and inside the folder given, is one input.
        let a = root.join("a.jpg");
        let (files, _) = collect_inputs(&[a.clone(), root.join("./a.jpg"), root.to_path_buf()]);
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.jpg", "b photo without extension", "c.AVIF"]);
    }
}

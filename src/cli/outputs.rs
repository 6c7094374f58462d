//! Output paths checked before anything is written: never the catalogue (nor SQLite's journal
//! files beside it), never an input of the run, never two outputs in one file.

use std::path::{Path, PathBuf};
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::paths::{display_path, file_identity as identity};

/// [`check`] for a command run on the catalogue `db`: the outputs given (`(flag, path)`, `None`
/// when not asked for) against the catalogue's files and the `inputs` (`(what, path)`).
pub fn check_beside_catalogue<'a>(
    db: &Path,
    outputs: &[(&str, Option<&Path>)],
    inputs: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|&(flag, p)| Some((flag, p?)))
        .collect();
    let files = catalogue_files(db);
    let inputs: Vec<(&str, &Path)> = inputs.into_iter().collect();
    let protected: Vec<(&str, &Path)> = files
        .iter()
        .map(|f| ("the catalogue", f.as_path()))
        .chain(inputs.iter().copied())
        .collect();
    check(&outputs, &protected)
}

/// The catalogue at `db` and the files SQLite keeps beside it.
pub fn catalogue_files(db: &Path) -> Vec<PathBuf> {
    let mut files = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    files
}

/// Fails, before anything is written, when an output (`(flag, path)`; `-` is standard output)
/// names one of the `protected` files (`(what it is, path)`: the catalogue, an upload, a
/// truth file...), an existing file named as an image or a video (an upload, perhaps one of
/// another scan), or the same file as another output.
pub fn check(outputs: &[(&str, &Path)], protected: &[(&str, &Path)]) -> Result<()> {
    let protected: Vec<(&str, PathBuf)> = protected
        .iter()
        .map(|&(what, p)| (what, identity(p)))
        .collect();
    let mut written: Vec<(&str, PathBuf)> = Vec::new();
    for &(flag, path) in outputs {
        if path.as_os_str() == "-" {
            continue;
        }
        let id = identity(path);
        let clash = protected
            .iter()
            .find(|(_, p)| *p == id)
            .map(|(what, _)| what.to_string())
            .or_else(|| {
                (swordnet::scan::is_media_name(&id) && id.is_file())
                    .then(|| "an existing image or video".to_string())
            })
            .or_else(|| {
                written
                    .iter()
                    .find(|(_, p)| *p == id)
                    .map(|(other, _)| format!("the file {other} writes too"))
            });
        if let Some(what) = clash {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{flag} {} is {what}; writing there would destroy it: give another file",
                    display_path(path)
                ),
            ));
        }
        written.push((flag, id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_never_overwrite_the_catalogue_inputs_or_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cat.db");
        std::fs::write(&db, b"x").unwrap();
        let upload = dir.path().join("up.jpg");
        std::fs::write(&upload, b"x").unwrap();
        let files = catalogue_files(&db);
        let mut protected: Vec<(&str, &Path)> = files
            .iter()
            .map(|f| ("the catalogue", f.as_path()))
            .collect();
        protected.push(("an upload", &upload));
        let ok = |outputs: &[(&str, &Path)]| check(outputs, &protected);
        let spelled = dir.path().join(".").join("cat.db");
        let wal = dir.path().join("cat.db-wal");
        for bad in [&db, &spelled, &wal, &upload] {
            let e = ok(&[("--report", bad.as_path())]).unwrap_err();
            assert!(e.message.contains("would destroy it"), "{bad:?}: {e}");
        }
        let report = dir.path().join("report.jsonl");
        assert!(ok(&[("--report", &report), ("--html", Path::new("-"))]).is_ok());
        let e = ok(&[("--report", &report), ("--html", &report)]).unwrap_err();
        assert!(e.message.contains("the file --report writes too"), "{e}");
        // An existing picture is never overwritten; a new name is fine.
        let other = dir.path().join("other.mp4");
        std::fs::write(&other, b"x").unwrap();
        let e = ok(&[("--html", &other)]).unwrap_err();
        assert!(e.message.contains("an existing image or video"), "{e}");
        assert!(ok(&[("--html", &dir.path().join("new.jpg"))]).is_ok());
    }
}

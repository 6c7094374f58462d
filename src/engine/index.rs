//! Indexing one protected work: [`index_file`] fingerprints a file densely and stores it (with
//! a photo's keypoints) as a work of the catalogue, once per content (SHA-256).

use crate::error::{Error, ErrorKind, Result};
use crate::fingerprint::{fingerprint_file, Fingerprint, Role};
use crate::hash::keypoints;
use crate::hash::{hasher_for, Picture};
use crate::media::{DecodeOptions, MediaType};
use crate::store::{default_title, Catalogue, NewWork, WorkRow};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// What the caller says about a work being indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkMeta {
    /// Title (default: the file name without extension).
    pub title: Option<String>,
    /// Rights holder.
    pub rights_holder: Option<String>,
    /// On the early-warning list.
    pub key_work: bool,
}

/// What indexing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexOutcome {
    /// Stored as a new work.
    Added {
        /// Its id.
        work_id: i64,
        /// Frame hashes stored.
        frames: usize,
    },
    /// The same content (SHA-256) was already indexed: nothing written, except keypoints for
    /// a photo stored without them (by a build older than keypoints).
    AlreadyIndexed {
        /// The existing work's id.
        work_id: i64,
        /// Keypoints added to that work now (0: it had them, or is not a photo).
        keypoints_added: usize,
        /// The title, rights holder or key-work flag asked for differs from the stored one,
        /// which was kept (indexing never rewrites a work; `swordnet works set` does).
        metadata_kept: bool,
    },
}

/// True when `meta` asks for something `stored` does not have: another title or rights
/// holder (when given), or the key-work flag (when set).
fn metadata_differs(stored: &WorkRow, meta: &WorkMeta) -> bool {
    meta.title.as_ref().is_some_and(|t| *t != stored.title)
        || meta
            .rights_holder
            .as_ref()
            .is_some_and(|r| stored.rights_holder.as_ref() != Some(r))
        || (meta.key_work && !stored.key_work)
}

/// SHA-256 of a file's bytes, lower-case hex. Errors: `Io` when the file cannot be read or is
/// not a regular file (a FIFO would block the batch, a device never end).
pub fn sha256_file(path: &Path) -> Result<String> {
    if !std::fs::metadata(path)
        .map_err(|e| Error::io(e, path))?
        .is_file()
    {
        return Err(Error::new(ErrorKind::Io, "not a regular file").with_path(path));
    }
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(e, path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(e, path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Fingerprints `path` densely and stores it as a work (one transaction).
///
/// Errors: decoding errors of the file; [`ErrorKind::LowQuality`] when no frame has quality
/// ≥ `min_quality` (a blank or uniform file is never accepted as a protected work).
pub fn index_file(
    catalogue: &Catalogue,
    path: &Path,
    meta: &WorkMeta,
    options: &DecodeOptions,
    min_quality: u8,
) -> Result<IndexOutcome> {
    let sha256 = sha256_file(path)?;
    if let Some(w) = catalogue.work_by_sha256(&sha256)? {
        let keypoints_added = add_missing_keypoints(catalogue, &w, path, options)?;
        return Ok(IndexOutcome::AlreadyIndexed {
            work_id: w.id,
            keypoints_added,
            metadata_kept: metadata_differs(&w, meta),
        });
    }
    let hasher = hasher_for(catalogue.algorithm());
    let fp = fingerprint_file(path, options, hasher.as_ref(), Role::Reference)?;
    if fp.informative_frames(min_quality) == 0 {
        return Err(Error::new(
            ErrorKind::LowQuality,
            format!(
                "no frame has quality >= {min_quality} (blank, uniform or near-black): not accepted as a protected work"
            ),
        )
        .with_path(path));
    }
    let work = NewWork {
        path: path.to_path_buf(),
        title: meta.title.clone().unwrap_or_else(|| default_title(path)),
        rights_holder: meta.rights_holder.clone(),
        key_work: meta.key_work,
        sha256,
    };
    let keypoints = reference_keypoints(&fp);
    let (work_id, added) = catalogue.add_work(&work, &fp, &keypoints)?;
    Ok(if added {
        IndexOutcome::Added {
            work_id,
            frames: fp.primary_frames().count(),
        }
    } else {
        IndexOutcome::AlreadyIndexed {
            work_id,
            keypoints_added: 0,
            metadata_kept: false,
        }
    })
}

/// The keypoints stored for a reference: those of a still image, none for a video.
fn reference_keypoints(fp: &Fingerprint) -> Vec<keypoints::Keypoint> {
    fp.still.as_ref().map(still_keypoints).unwrap_or_default()
}

/// The keypoints of a reference photo's working picture.
fn still_keypoints(picture: &Picture) -> Vec<keypoints::Keypoint> {
    keypoints::features(
        picture,
        keypoints::REFERENCE_KEYPOINTS,
        keypoints::Levels::ByArea,
    )
    .keypoints
}

/// For an already indexed photo without keypoints (stored by an older build): decodes its
/// picture (no hashing), computes and stores its keypoints; returns how many.
fn add_missing_keypoints(
    catalogue: &Catalogue,
    work: &WorkRow,
    path: &Path,
    options: &DecodeOptions,
) -> Result<usize> {
    if work.media != MediaType::Image.as_str() || catalogue.has_local_features(work.id)? {
        return Ok(0);
    }
    let mut still = None;
    crate::media::decode_file(path, options, &mut |frame| {
        still = Some(frame.picture);
        false
    })?;
    let keypoints = still.as_ref().map(still_keypoints).unwrap_or_default();
    catalogue.add_local_features(work.id, &keypoints)?;
    Ok(keypoints.len())
}

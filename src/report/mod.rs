//! Reports: the per-upload result objects and their renderings — JSON Lines (one [`QueryReport`] per line, via serde),
//! CSV takedown lists ([`csv`]), the HTML evidence report ([`html`]), a terminal table
//! ([`table`]) and summary counts ([`summary`]).
//!
//! The JSON keys are an interface other tools read; they are fixed: `query`, `media`,
//! `verdict`, `error` (`null` or `{kind, message}`), `matches` (best first) with `reference`,
//! `work_id`, `title`, `query_start_ms`, `query_end_ms`, `reference_start_ms`,
//! `reference_end_ms`, `speed`, `mirrored`, `matched_frames`, `mean_distance`, `score`.

pub mod csv;
pub mod html;
pub mod summary;
pub mod table;

use crate::verdict::VerdictKind;
use serde::{Deserialize, Serialize, Serializer};
use std::path::Path;

/// Serializes a path with [`crate::paths::display_path`] (lossless bytes are in the catalogue).
pub fn serialize_path<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::paths::display_path(path))
}

/// An error, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// [`crate::error::ErrorKind::as_str`], e.g. `"truncated"`.
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// One matched segment with a work, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchReport {
    /// The indexed work's file path.
    pub reference: String,
    /// The work's catalogue id.
    pub work_id: i64,
    /// The work's title.
    pub title: String,
    /// Rights holder, if known.
    pub rights_holder: Option<String>,
    /// On the early-warning list.
    pub key_work: bool,
    /// Start of the match in the upload, ms.
    pub query_start_ms: i64,
    /// End of the match in the upload, ms.
    pub query_end_ms: i64,
    /// Start of the match in the work, ms.
    pub reference_start_ms: i64,
    /// End of the match in the work, ms.
    pub reference_end_ms: i64,
    /// Work seconds per upload second (1.25: the upload is sped up 1.25x; 0: still image).
    pub speed: f64,
    /// The upload is mirrored left-right.
    pub mirrored: bool,
    /// The geometric transform of the upload relative to the work: `none`, `mirrored`,
    /// `rotated_left` (turned 90° counter-clockwise), `rotated_right` (90° clockwise), ...
    pub transform: String,
    /// The match was found in the upload's active area (borders / blurred fill removed).
    pub cropped: bool,
    /// Upload frames matched.
    pub matched_frames: u32,
    /// Mean Hamming distance of matched frames, bits.
    pub mean_distance: f64,
    /// 0–1: `min(1, matched_frames / 8) × max(0, 1 − mean_distance / 64)` on the PDQ scale
    /// (an image match counts as 8 frames).
    pub score: f64,
    /// This match's own verdict under the policy.
    pub verdict: VerdictKind,
    /// Which rule decided it, with the numbers.
    pub reason: String,
    /// For an image upload placed inside a reference photo by its keypoints
    /// ([`crate::search::local`]): how many agree on the placement. Absent for hash matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keypoint_inliers: Option<u32>,
    /// The upload was turned this many degrees (counter-clockwise positive, 1.5–20) on its
    /// own canvas, corners filled, and matched once turned back. Absent when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turned_degrees: Option<f64>,
}

/// The result for one upload: one JSON Lines object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryReport {
    /// The upload's path as given (escaped when not printable).
    pub query: String,
    /// `"image"` or `"video"` (`null` when the file could not be recognised).
    pub media: Option<String>,
    /// `infringing`, `review`, `clean` or `error`.
    pub verdict: VerdictKind,
    /// `null`, or what went wrong.
    pub error: Option<ErrorReport>,
    /// Matches, best first.
    pub matches: Vec<MatchReport>,
    /// Why the verdict: the rule that fired for the best match, or why nothing matched.
    pub reasons: Vec<String>,
    /// Duration in ms (0 for an image).
    pub duration_ms: u64,
    /// Frames sampled from the upload (1 for a still image); each is hashed as several views.
    pub frames: u32,
    /// Frames with enough detail to match (quality ≥ the policy minimum).
    pub informative_frames: u32,
    /// `"ok"`, `"low_quality"` (no informative frame: insufficient content) or `"error"`.
    pub status: String,
    /// Milliseconds spent on this upload.
    pub elapsed_ms: u64,
    /// A video with several video streams whose matches were found in one that ffmpeg and
    /// most players do not choose by default: that stream's container index. Absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_stream: Option<u64>,
}

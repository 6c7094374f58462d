//! # swordnet
//!
//! A content-fingerprint matching engine: index a catalogue of protected works (videos,
//! images), then scan uploads and flag the ones that copy a work — which work, which seconds
//! of the upload match which seconds of the work, and how sure.
//!
//! The pipeline runs in one direction; each module uses only those before it (plus the leaves
//! [`error`], [`limits`], [`paths`]):
//!
//! ```text
//! media ─► sampler ─► hash ─► fingerprint ─► store ◄─► search ─► align ─► verdict ─► report
//! ```
//!
//! - [`media`]: sniff by magic bytes, decode images (EXIF orientation, alpha) and videos
//!   (ffmpeg or the embedded H.264 decoder) into luminance frames with presentation times.
//! - [`sampler`]: which frames to take (references dense, uploads sparser).
//! - [`hash`]: PDQ (bit-exact with Meta's reference), pHash/dHash, quality, border detection,
//!   keypoints of still pictures (for tight crops of photos).
//! - [`fingerprint`]: a file's ordered frame hashes.
//! - [`store`]: the SQLite catalogue (works, frame hashes, scans, results).
//! - [`search`]: exact Hamming radius search (linear oracle, multi-index hashing), and the
//!   local-feature search that pairs an upload photo's keypoints with the references'.
//! - [`align`]: candidates → segments with offset and speed; keypoint pairs → the placement
//!   of a photo inside a reference.
//! - [`verdict`]: the policy → `infringing` / `review` / `clean`.
//! - [`report`]: JSON Lines, CSV, tables, summaries.
//!
//! [`engine`] takes one file through it; [`scan`] runs batches in parallel; [`eval`] scores a
//! scan against a truth file. The library never prints.

#![deny(missing_docs)]

pub mod align;
pub mod bench;
pub mod engine;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod hash;
pub mod limits;
pub mod media;
pub mod paths;
pub mod report;
pub mod sampler;
pub mod scan;
pub mod schedule;
pub mod search;
pub mod store;
pub mod verdict;

pub use error::{Error, ErrorKind, Result};

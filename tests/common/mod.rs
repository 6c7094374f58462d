//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use swordnet::engine::{index_file, Engine, EngineOptions, WorkMeta};
use swordnet::media::video::DecoderChoice;
use swordnet::media::DecodeOptions;
use swordnet::sampler::SamplePlan;
use swordnet::store::Catalogue;

/// The repository's samples/ folder.
pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The shared folder beside the repository (cases, corpus, vectors).
pub fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("SWORDNET_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let p = root.join(rel);
    assert!(p.exists(), "test input missing: {}", p.display());
    p
}

/// Runs `ffmpeg` quietly with `args` (overwriting outputs); panics with its error output when
/// it fails.
pub fn ffmpeg(args: &[&str]) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A case input from shared/cases/inputs.
pub fn case(name: &str) -> PathBuf {
    shared(&format!("cases/inputs/{name}"))
}

/// True when ffmpeg and ffprobe are on PATH.
pub fn have_ffmpeg() -> bool {
    swordnet::media::video::ffmpeg::available()
}

/// Decode options for references with a decoder.
pub fn reference_options(decoder: DecoderChoice) -> DecodeOptions {
    DecodeOptions {
        decoder,
        plan: SamplePlan::REFERENCE_DEFAULT,
        ..DecodeOptions::default()
    }
}

/// A fresh catalogue in a temporary folder (kept alive by the returned guard).
pub fn catalogue() -> (tempfile::TempDir, Catalogue) {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalogue::open(&dir.path().join("catalogue.db"), None).unwrap();
    (dir, cat)
}

/// Indexes `paths` (must all succeed) and returns an engine over them.
pub fn engine_over(cat: &Catalogue, paths: &[PathBuf], decoder: DecoderChoice) -> Engine {
    for p in paths {
        index_file(
            cat,
            p,
            &WorkMeta::default(),
            &reference_options(decoder),
            50,
        )
        .unwrap_or_else(|e| panic!("indexing {}: {e}", p.display()));
    }
    let options = EngineOptions {
        decode: DecodeOptions {
            decoder,
            ..DecodeOptions::default()
        },
        ..EngineOptions::default()
    };
    Engine::from_catalogue(cat, options).unwrap()
}

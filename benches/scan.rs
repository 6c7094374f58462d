//! A small end-to-end scan: samples/references/v_intel_bottle.mp4 indexed once into a
//! temporary catalogue, then samples/queries/bottle_excerpt.mp4 judged (decode, hash, search,
//! align, verdict) per iteration.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use swordnet::engine::{index_file, Engine, EngineOptions, WorkMeta};
use swordnet::media::DecodeOptions;
use swordnet::sampler::SamplePlan;
use swordnet::store::Catalogue;
use swordnet::verdict::VerdictKind;

fn bench_scan(c: &mut Criterion) {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let reference = samples.join("references/v_intel_bottle.mp4");
    let query = samples.join("queries/bottle_excerpt.mp4");
    let dir = tempfile::tempdir().expect("temporary folder");
    let catalogue = Catalogue::open(&dir.path().join("bench.db"), None).expect("catalogue");
    let index_options = DecodeOptions {
        plan: SamplePlan::REFERENCE_DEFAULT,
        ..DecodeOptions::default()
    };
    index_file(
        &catalogue,
        &reference,
        &WorkMeta::default(),
        &index_options,
        50,
    )
    .expect("index the reference");
    let engine = Engine::from_catalogue(&catalogue, EngineOptions::default()).expect("engine");
    let first = engine.judge_file(&query);
    assert_eq!(first.verdict, VerdictKind::Infringing, "{first:?}");
    c.bench_function("scan bottle_excerpt.mp4 against v_intel_bottle.mp4", |b| {
        b.iter(|| black_box(engine.judge_file(black_box(&query))))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_scan
}
criterion_main!(benches);

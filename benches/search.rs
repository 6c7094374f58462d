//! Search over 1 M random frame hashes: linear scan vs multi-index hashing, at radii 8, 16
//! and 31 (`cargo bench --bench search`). Queries are indexed hashes with up to `radius` bits
//! flipped, so every search has at least one hit. The full-size figures (10 M hashes, memory,
//! build time, one upload) come from `swordnet bench search`.
//!
//! `wide_search_video_like`: the image uploads' radius (56 bits) over 200k hashes shaped like a
//! video catalogue (views drifting a few bits from frame to frame within shots), far queries as
//! most uploads are: the list of clusters vs the linear scan.
//!
//! `keypoint_lsh`: an image upload's 600 keypoint descriptors (300 upright, 300 mirrored) at 48
//! bits among the descriptors of 20 and 1000 reference photos (1000 each): the staged
//! many-query search vs one query at a time.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use swordnet::hash::Hash256;
use swordnet::search::clusters::ClusterIndex;
use swordnet::search::linear::LinearIndex;
use swordnet::search::lsh::LshIndex;
use swordnet::search::mih::MihIndex;
use swordnet::search::{HammingIndex, Hit};

const HASHES: usize = 1_000_000;
const QUERIES: usize = 64;

/// SplitMix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random_hash(state: &mut u64) -> Hash256 {
    Hash256([next(state), next(state), next(state), next(state)])
}

fn queries(hashes: &[Hash256], radius: u32, state: &mut u64) -> Vec<Hash256> {
    (0..QUERIES)
        .map(|_| {
            let mut q = hashes[(next(state) % hashes.len() as u64) as usize];
            for _ in 0..next(state) % (u64::from(radius) + 1) {
                let bit = next(state) % 256;
                q.0[(bit / 64) as usize] ^= 1 << (bit % 64);
            }
            q
        })
        .collect()
}

fn search(c: &mut Criterion) {
    let mut state = 2012;
    let hashes: Vec<Hash256> = (0..HASHES).map(|_| random_hash(&mut state)).collect();
    let linear = LinearIndex::new(hashes.clone());
    let mih = MihIndex::new(hashes.clone());
    let mut group = c.benchmark_group("search_1M");
    group.sample_size(20);
    for radius in [8u32, 16, 31] {
        let qs = queries(&hashes, radius, &mut state);
        let mut out: Vec<Hit> = Vec::new();
        let indexes: [(&str, &dyn HammingIndex); 2] = [("linear", &linear), ("mih", &mih)];
        for (name, index) in indexes {
            let mut i = 0;
            group.bench_with_input(BenchmarkId::new(name, radius), &radius, |b, &r| {
                b.iter(|| {
                    out.clear();
                    index.search(black_box(&qs[i % QUERIES]), r, &mut out);
                    i += 1;
                    out.len()
                })
            });
        }
    }
    group.finish();
}

/// Shots of 32 views over 25 frames each, every view drifting up to 9 bits per frame.
fn video_like(len: usize, state: &mut u64) -> Vec<Hash256> {
    let mut hashes = Vec::with_capacity(len);
    while hashes.len() < len {
        let mut views: Vec<Hash256> = (0..32).map(|_| random_hash(state)).collect();
        for _frame in 0..25 {
            for v in views.iter_mut() {
                for _ in 0..next(state) % 10 {
                    let bit = next(state) % 256;
                    v.0[(bit / 64) as usize] ^= 1 << (bit % 64);
                }
                hashes.push(*v);
            }
        }
    }
    hashes.truncate(len);
    hashes
}

fn wide_search(c: &mut Criterion) {
    let mut state = 56;
    let hashes = video_like(200_000, &mut state);
    let linear = LinearIndex::new(hashes.clone());
    let balls = ClusterIndex::new(&hashes);
    let far: Vec<Hash256> = (0..QUERIES).map(|_| random_hash(&mut state)).collect();
    let mut group = c.benchmark_group("wide_search_video_like_200k");
    group.sample_size(20);
    let radius = 56;
    let mut out: Vec<Hit> = Vec::new();
    let mut i = 0;
    group.bench_function("linear", |b| {
        b.iter(|| {
            out.clear();
            linear.search_many(
                std::slice::from_ref(black_box(&far[i % QUERIES])),
                radius,
                std::slice::from_mut(&mut out),
            );
            i += 1;
            out.len()
        })
    });
    group.bench_function("clusters", |b| {
        b.iter(|| {
            out.clear();
            balls.search(&hashes, black_box(&far[i % QUERIES]), radius, &mut out);
            i += 1;
            out.len()
        })
    });
    group.finish();
}

fn keypoint_lsh(c: &mut Criterion) {
    let mut state = 1998;
    let mut group = c.benchmark_group("keypoint_lsh");
    group.sample_size(20);
    for photos in [20usize, 1000] {
        let descriptors: Vec<Hash256> = (0..photos * 1000)
            .map(|_| random_hash(&mut state))
            .collect();
        // Half the upload's descriptors near reference ones (a copy), half unrelated.
        let uploads: Vec<Hash256> = (0..600)
            .map(|i| {
                if i % 2 == 0 {
                    let mut q = descriptors[(next(&mut state) % descriptors.len() as u64) as usize];
                    for _ in 0..20 {
                        let bit = next(&mut state) % 256;
                        q.0[(bit / 64) as usize] ^= 1 << (bit % 64);
                    }
                    q
                } else {
                    random_hash(&mut state)
                }
            })
            .collect();
        let lsh = LshIndex::new(descriptors);
        group.bench_with_input(BenchmarkId::new("staged", photos), &photos, |b, _| {
            b.iter(|| {
                let mut out = vec![Vec::new(); uploads.len()];
                lsh.search_many(black_box(&uploads), 48, &mut out);
                black_box(out)
            })
        });
        group.bench_with_input(
            BenchmarkId::new("one_at_a_time", photos),
            &photos,
            |b, _| {
                b.iter(|| {
                    let mut out = vec![Vec::new(); uploads.len()];
                    for (q, hits) in uploads.iter().zip(&mut out) {
                        lsh.search(black_box(q), 48, hits);
                    }
                    black_box(out)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, search, wide_search, keypoint_lsh);
criterion_main!(benches);

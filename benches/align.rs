//! Alignment: a 60-frame excerpt (every 250 ms) of a 10-minute reference, each query frame
//! with its true pair, near neighbours in time and random noise candidates.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use swordnet::align::{align, AlignParams, Candidate};

fn candidates() -> Vec<Candidate> {
    let mut state = 0x9e37_79b9_u32;
    let mut rnd = move |n: u32| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state % n
    };
    let reference_ms = 600_000i64;
    let offset = 123_400i64;
    let mut out = Vec::new();
    for i in 0..60i64 {
        let q_ms = i * 250;
        // The true pair (reference sampled every 200 ms: the nearest reference frame).
        let r_ms = ((q_ms + offset) / 200) * 200;
        out.push(Candidate {
            q_ms,
            r_ms,
            distance: 6 + rnd(10),
        });
        // Neighbours in a slow scene.
        for d in [-400i64, -200, 200, 400] {
            out.push(Candidate {
                q_ms,
                r_ms: r_ms + d,
                distance: 14 + rnd(20),
            });
        }
        // Noise: unrelated frames anywhere in the reference.
        for _ in 0..6 {
            out.push(Candidate {
                q_ms,
                r_ms: rnd(reference_ms as u32) as i64 / 200 * 200,
                distance: 30 + rnd(22),
            });
        }
    }
    out.sort_by_key(|c| (c.q_ms, c.r_ms, c.distance));
    out.dedup_by(|a, b| a.q_ms == b.q_ms && a.r_ms == b.r_ms);
    out
}

fn bench_align(c: &mut Criterion) {
    let cands = candidates();
    let params = AlignParams {
        query_interval_ms: 250,
        query_duration_ms: 15_000,
        reference_duration_ms: 600_000,
        ..AlignParams::default()
    };
    let found = align(&cands, &params);
    assert!(
        found.iter().any(|s| s.matched_frames >= 30),
        "the synthetic excerpt must be found: {found:?}"
    );
    c.bench_function("align 60-frame excerpt, 660 candidates", |b| {
        b.iter(|| black_box(align(black_box(&cands), &params)))
    });
}

criterion_group!(benches, bench_align);
criterion_main!(benches);

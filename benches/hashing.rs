//! Hashing one frame: PDQ (a 512x288 frame as the decoder hands it, a 1280x720 frame, a
//! 512x288 photo luma), pHash, the views of one reference video frame, and the keypoints of a
//! 512x384 photo (as stored for a reference, as described for an upload) with the search of an
//! upload's keypoints among 20 reference photos'.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use swordnet::hash::keypoints::{self, Levels, QUERY_KEYPOINTS, REFERENCE_KEYPOINTS};
use swordnet::hash::views::{self, View};
use swordnet::hash::{hasher_for, Algorithm, Picture};
use swordnet::search::local::LocalIndex;

/// A deterministic picture with structure at several scales, 8-bit levels (as a decoder's
/// grey frame) or fractional levels (as RGB luma).
fn picture(width: u32, height: u32, integer: bool) -> Picture {
    let mut state = 0x2545_f491_u32;
    let luma = (0..width * height)
        .map(|i| {
            let (x, y) = ((i % width) as f32, (i / width) as f32);
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state % 32) as f32;
            let v = 110.0
                + 60.0 * (x / 37.0).sin() * (y / 23.0).cos()
                + 40.0 * ((x + 2.0 * y) / 111.0).sin()
                + noise;
            let v = v.clamp(0.0, 255.0);
            if integer {
                v.round()
            } else {
                v * 0.997 + 0.123
            }
        })
        .collect();
    Picture {
        width,
        height,
        luma,
    }
}

fn bench_hashing(c: &mut Criterion) {
    let pdq = hasher_for(Algorithm::Pdq);
    let phash = hasher_for(Algorithm::Phash);
    let small = picture(512, 288, true);
    let hd = picture(1280, 720, true);
    let photo = picture(512, 288, false);
    c.bench_function("pdq 512x288 frame", |b| {
        b.iter(|| black_box(pdq.hash(black_box(&small))))
    });
    c.bench_function("pdq 1280x720 frame", |b| {
        b.iter(|| black_box(pdq.hash(black_box(&hd))))
    });
    c.bench_function("pdq 512x288 photo luma", |b| {
        b.iter(|| black_box(pdq.hash(black_box(&photo))))
    });
    c.bench_function("phash 512x288 frame", |b| {
        b.iter(|| black_box(phash.hash(black_box(&small))))
    });
    c.bench_function("phash 1280x720 frame", |b| {
        b.iter(|| black_box(phash.hash(black_box(&hd))))
    });
    // What indexing costs per reference video frame: every view rendered and hashed.
    let reference_views: Vec<View> = views::reference_video_views(512, 288);
    c.bench_function("pdq reference video views, 512x288 frame", |b| {
        b.iter(|| {
            for v in &reference_views {
                if let Some(p) = views::render(*v, &small) {
                    black_box(pdq.hash(&p));
                }
            }
        })
    });
    // The same views as indexing hashes them: the fixed windows batched, one filter pass per
    // window size ([`FrameHasher::hash_crops_upright`]).
    let rects: Vec<(u32, u32, u32, u32)> = reference_views
        .iter()
        .filter_map(|v| views::crop_rect(v, small.width, small.height))
        .collect();
    c.bench_function("pdq reference video views batched, 512x288 frame", |b| {
        b.iter(|| black_box(pdq.hash_crops_upright(black_box(&small), &rects)))
    });
    let photo = picture(512, 384, false);
    c.bench_function("keypoints 512x384 photo, reference (1000)", |b| {
        b.iter(|| {
            black_box(keypoints::features(
                black_box(&photo),
                REFERENCE_KEYPOINTS,
                Levels::ByArea,
            ))
        })
    });
    c.bench_function("keypoints 512x384 photo, upload (300)", |b| {
        b.iter(|| {
            black_box(keypoints::features(
                black_box(&photo),
                QUERY_KEYPOINTS,
                Levels::Equally,
            ))
        })
    });
    // Twenty reference photos' keypoints (the dev catalogue's size); the upload is a crop.
    let index = LocalIndex::new((0..20u32).map(|i| {
        let p = picture(512 + 8 * i, 384, false);
        (
            i,
            keypoints::features(&p, REFERENCE_KEYPOINTS, Levels::ByArea).keypoints,
        )
    }));
    let upload = keypoints::features(
        &photo.crop(100, 80, 256, 192),
        QUERY_KEYPOINTS,
        Levels::Equally,
    );
    c.bench_function("keypoint search, upload among 20 reference photos", |b| {
        b.iter(|| black_box(index.match_features(black_box(&upload))))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_hashing
}
criterion_main!(benches);

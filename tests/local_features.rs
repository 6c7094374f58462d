//! Tight crops of photos, which no whole-picture hash survives, are placed inside their
//! reference by keypoints; unrelated and flat pictures are not.

mod common;

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};
use std::path::{Path, PathBuf};
use swordnet::engine::{index_file, Engine, EngineOptions, IndexOutcome, WorkMeta};
use swordnet::fingerprint::{fingerprint_file, Role};
use swordnet::hash::keypoints::{features, Features, Levels, QUERY_KEYPOINTS, REFERENCE_KEYPOINTS};
use swordnet::hash::PdqHasher;
use swordnet::media::video::DecoderChoice;
use swordnet::media::DecodeOptions;
use swordnet::search::local::LocalIndex;
use swordnet::store::Catalogue;
use swordnet::verdict::{Policy, VerdictKind};

fn still_features(path: &Path, role: Role, max_points: usize) -> Features {
    let levels = if role == Role::Reference {
        Levels::ByArea
    } else {
        Levels::Equally
    };
    let fp = fingerprint_file(path, &DecodeOptions::default(), &PdqHasher, role).unwrap();
    features(
        fp.still.as_ref().expect("a still keeps its picture"),
        max_points,
        levels,
    )
}

/// Cuts the `side` x `side` square at (`x`, `y`) out of `reference`, enlarges it 1.5x,
/// optionally mirrors it, and saves it as a JPEG (quality 80) in `dir`.
fn crop_copy(reference: &Path, (x, y, side): (u32, u32, u32), mirror: bool, dir: &Path) -> PathBuf {
    let photo = image::open(reference).unwrap().to_rgb8();
    let crop = imageops::crop_imm(&photo, x, y, side, side).to_image();
    let mut copy = imageops::resize(&crop, side * 3 / 2, side * 3 / 2, FilterType::Triangle);
    if mirror {
        copy = imageops::flip_horizontal(&copy);
    }
    let path = dir.join(format!("crop_{x}_{y}_{side}_{mirror}.jpg"));
    let mut out = std::fs::File::create(&path).unwrap();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&copy)
        .unwrap();
    path
}

#[test]
fn tight_crop_is_placed_where_it_was_cut() {
    let reference = common::samples().join("references/p_mdn_tiger.jpg"); // 1280 x 1025
    let dir = tempfile::tempdir().unwrap();
    // A 400 px square (12 % of the photo's area) right of centre, shown 1.5x larger.
    let crop = crop_copy(&reference, (700, 300, 400), false, dir.path());
    let index = LocalIndex::new([(
        0,
        still_features(&reference, Role::Reference, REFERENCE_KEYPOINTS).keypoints,
    )]);
    let upload = still_features(&crop, Role::Query, QUERY_KEYPOINTS);
    let found = index.match_features(&upload);
    let best = found.first().expect("placed");
    assert!(!best.mirrored);
    let p = best.placement;
    assert!(p.inliers >= 40, "{best:?}");
    // The reference is hashed at 512 x 410 (2.5x smaller); the 600 px upload at 512.
    let (expected_scale, expected_x, expected_y) = (400.0 / 2.5 / 512.0, 700.0 / 2.5, 300.0 / 2.5);
    assert!((p.scale / expected_scale - 1.0).abs() < 0.04, "{p:?}");
    assert!(
        (p.offset_x - expected_x).abs() < 4.0 && (p.offset_y - expected_y).abs() < 4.0,
        "{p:?}"
    );
}

#[test]
fn mirrored_crop_is_placed_mirrored_and_judged_infringing() {
    let (_guard, cat) = common::catalogue();
    let references = [
        common::samples().join("references/p_mdn_tiger.jpg"),
        common::samples().join("references/p_sk_rocket.jpg"),
    ];
    let engine = common::engine_over(&cat, &references, DecoderChoice::Auto);
    let dir = tempfile::tempdir().unwrap();
    let crop = crop_copy(&references[0], (120, 100, 480), true, dir.path());
    let report = engine.judge_file(&crop);
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let m = &report.matches[0];
    assert!(m.reference.ends_with("p_mdn_tiger.jpg"));
    assert!(m.mirrored);
    assert!(m.keypoint_inliers.unwrap() >= Policy::default().standard.image_min_inliers);
    assert!(m.reason.contains("keypoints agree"), "{}", m.reason);

    // The policy can turn the keypoint search off: then nothing places the crop.
    let options = EngineOptions {
        policy: Policy {
            local_features: false,
            ..Policy::default()
        },
        ..EngineOptions::default()
    };
    let without = Engine::from_catalogue(&cat, options).unwrap();
    assert_eq!(without.judge_file(&crop).verdict, VerdictKind::Clean);
}

#[test]
fn real_square_crop_is_found() {
    // A 350 x 350 square around the surfer, shipped next to the photo by its publisher
    // (corpus/dev natural_variant q0421): about 14 % of the photo; no hash view of it comes
    // within 90 bits of the reference's.
    let (_guard, cat) = common::catalogue();
    let reference = common::samples().join("references/p_mdn_wave_and_surfer.jpg");
    let engine = common::engine_over(&cat, &[reference], DecoderChoice::Auto);
    let report = engine.judge_file(&common::samples().join("queries/surfer_square_crop.jpg"));
    assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
    let inliers = report.matches[0]
        .keypoint_inliers
        .expect("placed by keypoints");
    // The table shows no time ranges, speed or distance for it, and its note whole.
    let table = swordnet::report::table::render(std::slice::from_ref(&report));
    let row = table.lines().nth(1).unwrap();
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&columns[4..8], ["-", "-", "-", "-"], "{row}");
    assert!(
        row.ends_with(&format!("crop placed by {inliers} keypoints")),
        "{row}"
    );
}

/// The LSH descriptor search against its exhaustive twin, on crops of the three sample photos
/// (each searched among all three): both place each crop in its photo, in the right
/// orientation, where it was cut (within 6 px and 8 % of scale), and the LSH search keeps at
/// least 60 % of the twin's inliers (it misses some far pairs by design).
#[test]
fn lsh_matching_agrees_with_the_exhaustive_twin() {
    let names = [
        "p_mdn_tiger.jpg",
        "p_sk_rocket.jpg",
        "p_mdn_wave_and_surfer.jpg",
    ];
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| common::samples().join("references").join(n))
        .collect();
    let references: Vec<Features> = paths
        .iter()
        .map(|p| still_features(p, Role::Reference, REFERENCE_KEYPOINTS))
        .collect();
    let index = LocalIndex::new(
        references
            .iter()
            .enumerate()
            .map(|(i, f)| (i as u32, f.keypoints.clone())),
    );
    let dir = tempfile::tempdir().unwrap();
    for (i, path) in paths.iter().enumerate() {
        let (w, h) = image::image_dimensions(path).unwrap();
        // Original pixels per pixel of the reference's working picture.
        let factor = w as f32 / references[i].width as f32;
        let side = w.min(h) * 2 / 5;
        for (k, mirror) in [(0u32, false), (1, true)] {
            let (x, y) = (w / 5 + k * w / 4, h / 4);
            let copy = crop_copy(path, (x, y, side), mirror, dir.path());
            let upload = still_features(&copy, Role::Query, QUERY_KEYPOINTS);
            let expected_scale = side as f32 / factor / upload.width as f32;
            let (expected_x, expected_y) = (x as f32 / factor, y as f32 / factor);
            let fast = index.match_features(&upload);
            let twin = index.match_features_exhaustive(&upload);
            for m in [fast.first(), twin.first()] {
                let m = m.expect("placed");
                let p = m.placement;
                assert_eq!((m.work, m.mirrored), (i as u32, mirror), "{m:?}");
                assert!(
                    (p.scale / expected_scale - 1.0).abs() < 0.08
                        && (p.offset_x - expected_x).abs() < 6.0
                        && (p.offset_y - expected_y).abs() < 6.0,
                    "{}: {m:?}, expected scale {expected_scale} at ({expected_x}, {expected_y})",
                    names[i]
                );
            }
            let (f, t) = (fast[0].placement.inliers, twin[0].placement.inliers);
            assert!(f * 10 >= t * 6, "{}: {f} of {t} inliers", names[i]);
        }
    }
}

#[test]
fn unrelated_photos_are_not_placed() {
    let references = ["p_mdn_tiger.jpg", "p_sk_rocket.jpg"];
    let index = LocalIndex::new(references.iter().enumerate().map(|(i, name)| {
        let path = common::samples().join("references").join(name);
        (
            i as u32,
            still_features(&path, Role::Reference, REFERENCE_KEYPOINTS).keypoints,
        )
    }));
    let review = Policy::default().key_work.image_review_inliers;
    for name in ["clean_photo_1.jpg", "clean_photo_2.jpg"] {
        let upload = still_features(
            &common::samples().join("queries").join(name),
            Role::Query,
            QUERY_KEYPOINTS,
        );
        assert!(upload.keypoints.len() > 100, "{name}: textured photo");
        for m in index.match_features(&upload) {
            assert!(m.placement.inliers < review, "{name}: {m:?}");
        }
    }
}

#[test]
fn flat_and_near_black_pictures_have_no_keypoints() {
    let dir = tempfile::tempdir().unwrap();
    let pictures = [
        ("black", RgbImage::new(640, 360)),
        ("grey", RgbImage::from_pixel(640, 360, Rgb([128, 128, 128]))),
        (
            "near_black_noise",
            RgbImage::from_fn(640, 360, |x, y| {
                let v = ((x * 7919 + y * 104_729) % 5) as u8;
                Rgb([v, v, v])
            }),
        ),
    ];
    for (name, picture) in pictures {
        let path = dir.path().join(format!("{name}.png"));
        picture.save(&path).unwrap();
        let f = still_features(&path, Role::Query, QUERY_KEYPOINTS);
        assert!(
            f.keypoints.is_empty(),
            "{name}: {} keypoints",
            f.keypoints.len()
        );
    }
    let photo = still_features(
        &common::samples().join("references/p_sk_rocket.jpg"),
        Role::Query,
        QUERY_KEYPOINTS,
    );
    assert!(photo.keypoints.len() > 100);
    assert_eq!(photo.keypoints.len(), photo.mirrored.len());
}

/// A photo indexed by a build without keypoints (schema version 1: no local_features table)
/// gets them when it is indexed again, and its tight crops are found from then on; nothing
/// stored before is lost.
#[test]
fn reindexing_adds_keypoints_to_an_upgraded_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let reference = common::samples().join("references/p_mdn_tiger.jpg");
    let options = common::reference_options(DecoderChoice::Auto);
    {
        let cat = Catalogue::open(&db, None).unwrap();
        index_file(&cat, &reference, &WorkMeta::default(), &options, 50).unwrap();
    }
    let frames_before = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("DROP TABLE local_features; PRAGMA user_version = 1;")
            .unwrap();
        conn.query_row("SELECT COUNT(*) FROM frames", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let crop = crop_copy(&reference, (700, 300, 400), false, dir.path());
    let cat = Catalogue::open(&db, None).unwrap();
    let engine = Engine::from_catalogue(&cat, EngineOptions::default()).unwrap();
    assert_eq!(engine.judge_file(&crop).verdict, VerdictKind::Clean);

    match index_file(&cat, &reference, &WorkMeta::default(), &options, 50).unwrap() {
        IndexOutcome::AlreadyIndexed {
            keypoints_added, ..
        } => assert!(keypoints_added > 100, "{keypoints_added}"),
        other => panic!("{other:?}"),
    }
    // Once is enough.
    match index_file(&cat, &reference, &WorkMeta::default(), &options, 50).unwrap() {
        IndexOutcome::AlreadyIndexed {
            keypoints_added, ..
        } => assert_eq!(keypoints_added, 0),
        other => panic!("{other:?}"),
    }
    let engine = Engine::from_catalogue(&cat, EngineOptions::default()).unwrap();
    assert_eq!(engine.judge_file(&crop).verdict, VerdictKind::Infringing);
    assert_eq!(cat.all_frames().unwrap().len() as i64, frames_before);
}

/// A smooth, low-contrast photo (a motion-blurred storm sky over a road) has few strong
/// corners; with the detection floor at flat-picture level it still keeps enough keypoints
/// for a copy cropped 10 %, mirrored, recoloured and saved at JPEG quality 50 to be placed
/// in it, infringing under the default policy.
#[test]
fn smooth_low_contrast_photo_keeps_keypoints_for_a_disguised_copy() {
    let reference = common::shared("corpus/dev/references/p_mate_storm.jpg");
    let dir = tempfile::tempdir().unwrap();
    let photo = image::open(&reference).unwrap().to_rgb8();
    let (w, h) = photo.dimensions();
    let (cw, ch) = (w * 9 / 10, h * 9 / 10);
    let crop = imageops::crop_imm(&photo, w - cw, h / 40, cw, ch).to_image();
    let mut copy = imageops::flip_horizontal(&crop);
    copy = imageops::colorops::huerotate(&copy, -25);
    copy = imageops::colorops::contrast(&copy, 15.0);
    copy = imageops::colorops::brighten(&copy, 12);
    let path = dir.path().join("storm_copy.jpg");
    let mut out = std::fs::File::create(&path).unwrap();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 50)
        .encode_image(&copy)
        .unwrap();
    let features = still_features(&reference, Role::Reference, REFERENCE_KEYPOINTS);
    assert!(
        features.keypoints.len() > 40,
        "{}",
        features.keypoints.len()
    );
    let index = LocalIndex::new([(0, features.keypoints)]);
    let upload = still_features(&path, Role::Query, QUERY_KEYPOINTS);
    let matches = index.match_features(&upload);
    let needed = Policy::default().standard.image_min_inliers;
    assert!(
        matches
            .iter()
            .any(|m| m.mirrored && m.placement.inliers >= needed),
        "{matches:?}"
    );
}

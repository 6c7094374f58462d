//! Tests of the verdict policy.

use super::*;

fn video(duration_ms: i64, span: i64, frames: u32, key_work: bool) -> Evidence {
    Evidence {
        query_is_image: false,
        key_work,
        duration_ms,
        work_duration_ms: 0,
        query_span_ms: span,
        matched_frames: frames,
        mean_distance: 12.0,
        inliers: None,
        time_contrast: None,
        reference_is_still: false,
        reference_share: 0.0,
    }
}

/// A 3 s clip looped three times: each 3 s segment alone is weak, together they cover
/// the upload; a segment too far in distance does not borrow the others' coverage.
#[test]
fn a_looped_clip_counts_all_its_segments() {
    let p = Policy::default();
    let mut segment = video(2900, 9000, 12, false);
    assert_eq!(p.judge(&segment).0, VerdictKind::Review);
    segment.work_duration_ms = 8700;
    let (verdict, reason) = p.judge(&segment);
    assert_eq!(verdict, VerdictKind::Infringing, "{reason}");
    assert!(
        reason.contains("2900 ms matched, 8700 ms with the work's other segments (97 % of upload)"),
        "{reason}"
    );
    segment.mean_distance = 45.0;
    assert_eq!(p.judge(&segment).0, VerdictKind::Review);
}

#[test]
fn shared_intro_is_not_infringing_but_key_work_is() {
    let p = Policy::default();
    assert_eq!(
        p.judge(&video(3000, 6000, 12, false)).0,
        VerdictKind::Review
    );
    assert_eq!(
        p.judge(&video(3000, 6000, 12, true)).0,
        VerdictKind::Infringing
    );
    assert_eq!(
        p.judge(&video(8000, 8000, 32, false)).0,
        VerdictKind::Infringing
    );
    assert_eq!(
        p.judge(&video(2000, 2000, 8, false)).0,
        VerdictKind::Infringing
    );
}

/// A 4 s work copied whole into a 12 s compilation: 3.98 s is under min_match_ms and a third
/// of the upload, but all of the work.
#[test]
fn a_short_work_copied_whole_is_infringing() {
    let p = Policy::default();
    let mut segment = video(3984, 12_000, 16, false);
    assert_eq!(p.judge(&segment).0, VerdictKind::Review);
    segment.reference_share = 0.99;
    let (verdict, reason) = p.judge(&segment);
    assert_eq!(verdict, VerdictKind::Infringing, "{reason}");
    assert!(
        reason.starts_with("min_share 0.75 of the work reached (99 % of it)"),
        "{reason}"
    );
}

/// A photo shown whole for a second or two of a long video is a copy of all of it.
#[test]
fn a_photo_shown_for_two_seconds_is_infringing() {
    let p = Policy::default();
    let mut segment = video(2000, 20_000, 8, false);
    assert_eq!(p.judge(&segment).0, VerdictKind::Review);
    segment.reference_is_still = true;
    let (verdict, reason) = p.judge(&segment);
    assert_eq!(verdict, VerdictKind::Infringing, "{reason}");
    assert!(
        reason.starts_with("a photo shown for min_share_floor_ms 1000"),
        "{reason}"
    );
    segment.duration_ms = 500;
    assert_eq!(p.judge(&segment).0, VerdictKind::Review);
}

/// Far matches must be closer at their own times than seconds away; close ones need not
/// (a copy of a still shot is close everywhere), nor unmeasured ones.
#[test]
fn a_far_match_of_a_still_scene_is_only_review() {
    let p = Policy::default();
    let mut segment = video(9000, 9000, 36, false);
    segment.mean_distance = 36.0;
    segment.time_contrast = Some(4.0);
    let (verdict, reason) = p.judge(&segment);
    assert_eq!(verdict, VerdictKind::Review, "{reason}");
    assert!(
        reason.contains("only 4 bits closer than 3-6 s away"),
        "{reason}"
    );
    assert!(!p.is_strong_segment(false, 36.0, 36, Some(4.0)));
    segment.time_contrast = Some(30.0);
    assert_eq!(p.judge(&segment).0, VerdictKind::Infringing);
    segment.time_contrast = None;
    assert_eq!(p.judge(&segment).0, VerdictKind::Infringing);
    segment.mean_distance = 22.0;
    segment.time_contrast = Some(0.0);
    assert_eq!(p.judge(&segment).0, VerdictKind::Infringing);
    // Too far anyway: the usual weak-match review, not a contrast reason.
    segment.mean_distance = 43.0;
    segment.time_contrast = Some(0.0);
    let (verdict, reason) = p.judge(&segment);
    assert_eq!(verdict, VerdictKind::Review);
    assert!(reason.starts_with("weak match"), "{reason}");
}

#[test]
fn policy_checks_its_thresholds() {
    assert_eq!(Policy::default().check(), Ok(()));
    let p = Policy {
        min_time_contrast: f64::NAN,
        ..Policy::default()
    };
    assert!(p.check().unwrap_err().contains("min_time_contrast NaN"));
    let mut p = Policy::default();
    p.standard.image_min_inliers = 0;
    p.standard.image_review_inliers = 0;
    assert!(p.check().unwrap_err().contains("image_review_inliers 0"));
    let mut p = Policy::default();
    p.key_work.image_review_inliers = 50;
    assert!(p.check().unwrap_err().contains("key_work"));
    let p = Policy {
        video_radius: 256,
        ..Policy::default()
    };
    assert!(p
        .check()
        .unwrap_err()
        .contains("video_radius 256 is over 96"));
    let mut p = Policy::default();
    p.standard.image_review_distance = 200;
    assert!(p.check().unwrap_err().contains("image_review_distance 200"));
    let typo = serde_json::from_str::<Policy>(r#"{"standard": {"image_min_inlier": 9}}"#);
    assert!(typo.unwrap_err().to_string().contains("image_min_inlier"));
    let nested = serde_json::from_str::<Policy>(r#"{"image_min_inliers": 9}"#);
    assert!(nested.is_err());
}

#[test]
fn keypoint_placements_are_judged_by_agreeing_points() {
    let p = Policy::default();
    let placed = |inliers: u32, key_work: bool| {
        p.judge(&Evidence {
            query_is_image: true,
            key_work,
            duration_ms: 0,
            work_duration_ms: 0,
            query_span_ms: 0,
            matched_frames: 80,
            mean_distance: 0.0,
            inliers: Some(inliers),
            time_contrast: None,
            reference_is_still: true,
            reference_share: 0.0,
        })
    };
    assert_eq!(placed(55, false).0, VerdictKind::Infringing);
    assert!(placed(55, false).1.contains("55 keypoints agree"));
    assert_eq!(placed(15, false).0, VerdictKind::Review);
    assert_eq!(placed(17, true).0, VerdictKind::Infringing);
    assert_eq!(placed(6, false).0, VerdictKind::Clean);
}

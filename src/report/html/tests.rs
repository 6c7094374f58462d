use super::*;

fn m(q: (i64, i64), r: (i64, i64), transform: &str) -> MatchReport {
    MatchReport {
        reference: String::new(),
        work_id: 1,
        title: "A <b>film</b>".into(),
        rights_holder: None,
        key_work: false,
        query_start_ms: q.0,
        query_end_ms: q.1,
        reference_start_ms: r.0,
        reference_end_ms: r.1,
        speed: 1.0,
        mirrored: transform == "mirrored",
        transform: transform.into(),
        cropped: false,
        matched_frames: 10,
        mean_distance: 10.0,
        score: 0.8,
        verdict: VerdictKind::Infringing,
        reason: "because".into(),
        keypoint_inliers: None,
        turned_degrees: None,
    }
}

#[test]
fn times_are_spread_along_the_line() {
    let t = match_times(&m((0, 8000), (20000, 30000), "none"), false, 3);
    assert_eq!(t, vec![(2000, 22500), (4000, 25000), (6000, 27500)]);
    assert_eq!(
        match_times(&m((0, 0), (5, 5), "none"), true, 3),
        vec![(0, 5)]
    );
}

#[test]
fn text_is_escaped_and_imported_works_get_placeholders() {
    let r = QueryReport {
        query: "up<load>.mp4".into(),
        media: Some("video".into()),
        verdict: VerdictKind::Infringing,
        error: None,
        matches: vec![m((0, 8000), (0, 8000), "mirrored")],
        reasons: vec!["x & y".into()],
        duration_ms: 8000,
        frames: 32,
        informative_frames: 32,
        status: "ok".into(),
        elapsed_ms: 1,
        video_stream: None,
    };
    let html = render(&[r], &HtmlOptions::default());
    assert!(html.contains("up&lt;load&gt;.mp4"));
    assert!(html.contains("A &lt;b&gt;film&lt;/b&gt;"));
    assert!(!html.contains("<b>film"));
    assert!(html.contains("no media file (imported work)"));
    assert_eq!(html.matches("class=\"upload infringing\"").count(), 1);
}

#[test]
fn orientations_turn_back() {
    let img = RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 0]));
    let t = orient(&img, Orientation::FlipPlus1);
    assert_eq!(t.dimensions(), (2, 3));
    assert_eq!(t.get_pixel(1, 2).0, [2, 1, 0]);
    let a = orient(&img, Orientation::FlipMinus1);
    // (x, y) -> (H-1-y, W-1-x)
    assert_eq!(a.get_pixel(1, 2).0, [0, 0, 0]);
    assert_eq!(
        orient(&img, Orientation::Mirror).get_pixel(0, 0).0,
        [2, 0, 0]
    );
}

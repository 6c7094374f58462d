//! Image uploads placed inside reference photos by their keypoints: the local-feature step of
//! [`Engine`] for tight crops that no whole-picture hash survives.

use super::Engine;
use crate::fingerprint::Fingerprint;
use crate::hash::keypoints;
use crate::hash::Picture;
use crate::paths::display_path;
use crate::report::MatchReport;
use crate::search::local::LocalMatch;
use crate::store::WorkRow;
use crate::verdict::{Evidence, VerdictKind};

impl Engine {
    /// For an image upload no hash found infringing: its keypoints placed inside the reference
    /// photos ([`LocalIndex::match_features`]), each placement judged by the policy and added
    /// to `matches` unless that work already has a match at least as strong (a stronger one
    /// replaces it).
    pub(super) fn add_placements(&self, still: &Picture, matches: &mut Vec<MatchReport>) {
        for report in self.placements(still) {
            add_unless_weaker(matches, report);
        }
    }

    /// The reports of `picture` placed inside reference photos by its keypoints, judged by the
    /// policy; clean placements left out.
    fn placements(&self, picture: &Picture) -> Vec<MatchReport> {
        if self.local.is_empty() {
            return Vec::new();
        }
        let features = keypoints::features(
            picture,
            keypoints::QUERY_KEYPOINTS,
            keypoints::Levels::Equally,
        );
        let mut out = Vec::new();
        for m in self.local.match_features(&features) {
            let w = &self.works[m.work as usize];
            let evidence = Evidence {
                query_is_image: true,
                key_work: w.key_work,
                duration_ms: 0,
                work_duration_ms: 0,
                query_span_ms: 0,
                matched_frames: m.pairs,
                mean_distance: 0.0,
                inliers: Some(m.placement.inliers),
                time_contrast: None,
                reference_is_still: true,
                reference_share: 0.0,
            };
            let (verdict, reason) = self.options.policy.judge(&evidence);
            if verdict != VerdictKind::Clean {
                out.push(placement_report(w, &m, picture, verdict, reason));
            }
        }
        out
    }

    /// For a video upload nothing found infringing: reference photos placed by keypoints
    /// inside its spread pictures ([`Fingerprint::spread_pictures`]; a photo under a slow
    /// zoom or pan). Per work, the strongest placement stands; its upload range runs from the
    /// first picture placed to the picture after the last (or the upload's end), and its
    /// reason says in how many pictures the photo was placed.
    pub(super) fn add_placements_in_video(&self, fp: &Fingerprint, matches: &mut Vec<MatchReport>) {
        let pictures = &fp.spread_pictures;
        let span = fp.span_ms() as i64;
        let mut by_work: Vec<(MatchReport, Vec<i64>)> = Vec::new();
        for (i, (t_ms, picture)) in pictures.iter().enumerate() {
            let until = pictures.get(i + 1).map_or(span, |p| p.0).max(*t_ms);
            for mut report in self.placements(picture) {
                report.query_start_ms = *t_ms;
                report.query_end_ms = until;
                match by_work
                    .iter_mut()
                    .find(|(r, _)| r.work_id == report.work_id)
                {
                    None => by_work.push((report, vec![*t_ms])),
                    Some((best, times)) => {
                        times.push(*t_ms);
                        let (start, end) = (best.query_start_ms, until);
                        if (report.verdict, report.keypoint_inliers)
                            > (best.verdict, best.keypoint_inliers)
                        {
                            *best = report;
                        }
                        best.query_start_ms = start;
                        best.query_end_ms = end;
                    }
                }
            }
        }
        for (mut report, times) in by_work {
            let at: Vec<String> = times
                .iter()
                .map(|t| format!("{:.1} s", *t as f64 / 1000.0))
                .collect();
            report.matched_frames = times.len() as u32;
            report.reason = format!(
                "{}; placed in {} of {} pictures of the video (at {})",
                report.reason,
                times.len(),
                pictures.len(),
                at.join(", ")
            );
            add_unless_weaker(matches, report);
        }
    }
}

/// Adds `report` to `matches` unless its work already has a match at least as strong there (a
/// stronger one is replaced).
pub(super) fn add_unless_weaker(matches: &mut Vec<MatchReport>, report: MatchReport) {
    if let Some(i) = matches.iter().position(|x| x.work_id == report.work_id) {
        if matches[i].verdict >= report.verdict {
            return;
        }
        matches.remove(i);
    }
    matches.push(report);
}

/// The report of an image upload placed inside work `w` by its keypoints.
fn placement_report(
    w: &WorkRow,
    m: &LocalMatch,
    still: &Picture,
    verdict: VerdictKind,
    reason: String,
) -> MatchReport {
    let p = &m.placement;
    let (width, height) = (still.width as f32 * p.scale, still.height as f32 * p.scale);
    let reason = format!(
        "{reason}; the upload shows a {width:.0}x{height:.0} px region at ({:.0}, {:.0}) of the reference (at most 512 px), scale {:.2}",
        p.offset_x, p.offset_y, p.scale
    );
    MatchReport {
        reference: display_path(&w.path),
        work_id: w.id,
        title: w.title.clone(),
        rights_holder: w.rights_holder.clone(),
        key_work: w.key_work,
        query_start_ms: 0,
        query_end_ms: 0,
        reference_start_ms: 0,
        reference_end_ms: 0,
        speed: 0.0,
        mirrored: m.mirrored,
        transform: if m.mirrored { "mirrored" } else { "none" }.to_string(),
        cropped: true,
        matched_frames: 1,
        mean_distance: 0.0,
        score: ((p.inliers as f64 / 40.0).min(1.0) * 1000.0).round() / 1000.0,
        verdict,
        reason,
        keypoint_inliers: Some(p.inliers),
        turned_degrees: None,
    }
}

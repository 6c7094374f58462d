//! Image uploads placed inside reference photos by their keypoints: the local-feature step of
//! [`Engine`] for tight crops that no whole-picture hash survives.

use super::Engine;
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
        if self.local.is_empty() {
            return;
        }
        let features = keypoints::features(
            still,
            keypoints::QUERY_KEYPOINTS,
            keypoints::Levels::Equally,
        );
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
            };
            let (verdict, reason) = self.options.policy.judge(&evidence);
            if verdict == VerdictKind::Clean {
                continue;
            }
            if let Some(i) = matches.iter().position(|x| x.work_id == w.id) {
                if matches[i].verdict >= verdict {
                    continue;
                }
                matches.remove(i);
            }
            matches.push(placement_report(w, &m, still, verdict, reason));
        }
    }
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

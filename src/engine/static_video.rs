//! A video that shows one picture throughout (a photo posted as a video with music, a
//! slideshow of one picture): matched as a photo too, with the image rules and keypoints,
//! since a crop or fill that a video's tighter radius misses is routine for photos.

use super::placements::add_unless_weaker;
use super::Engine;
use crate::fingerprint::{fingerprint_picture, Fingerprint, Role};
use crate::hash::Picture;
use crate::report::MatchReport;

impl Engine {
    /// Matches `picture`, the one picture the video upload `fp` shows
    /// ([`Fingerprint::static_picture`]), as a photo upload, and adds each match to `matches`
    /// unless that work already has one at least as strong (a stronger one replaces it); only
    /// matches of photo works are added. The
    /// added matches cover the whole upload (`query_start_ms` 0 to its span) and their reason
    /// says how they were found.
    pub(super) fn add_static_picture_matches(
        &self,
        fp: &Fingerprint,
        picture: &Picture,
        matches: &mut Vec<MatchReport>,
    ) {
        let photo = fingerprint_picture(picture, self.hasher.as_ref(), Role::Query);
        let span = fp.span_ms() as i64;
        for mut m in self.find_matches(&photo) {
            // Photo works only: a video work is matched by its time line, and a slow scene of
            // another part of it (a turning globe) is as close to one of its frames as a
            // photo's copy is to the photo.
            if self
                .works
                .iter()
                .any(|w| w.id == m.work_id && w.media != "image")
            {
                continue;
            }
            m.query_start_ms = 0;
            m.query_end_ms = span;
            m.reason = format!(
                "{}; the video shows one picture throughout, matched as a photo",
                m.reason
            );
            add_unless_weaker(matches, m);
        }
    }
}

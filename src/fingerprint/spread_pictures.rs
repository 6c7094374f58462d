//! A few whole pictures of a video upload, spread over its length, kept for placing photos
//! inside them by keypoints ([`super::Fingerprint::spread_pictures`]): a photo shown in a video
//! under a slow zoom or pan (a "Ken Burns" slideshow) changes from frame to frame, so it is
//! neither one picture throughout nor close in hash to any fixed crop of the photo.

use crate::hash::Picture;

/// Most pictures kept.
pub const MAX_SPREAD_PICTURES: usize = 4;

/// Time between kept pictures at first, ms; it doubles whenever more would be kept.
const FIRST_SPACING_MS: i64 = 2000;

/// Keeps pictures at least `spacing` apart, at most [`MAX_SPREAD_PICTURES`]: when one more
/// is due, every other kept picture is dropped and the spacing doubles, so that the kept
/// pictures stay spread over however long the video turns out to be (its length is not
/// known while it streams).
#[derive(Debug, Default)]
pub(super) struct SpreadPictures {
    kept: Vec<(i64, Picture)>,
    spacing_ms: i64,
}

impl SpreadPictures {
    /// Offers the picture of time `t_ms` (times increasing).
    pub(super) fn offer(&mut self, t_ms: i64, picture: &Picture) {
        if self.spacing_ms == 0 {
            self.spacing_ms = FIRST_SPACING_MS;
        }
        if let Some(&(last, _)) = self.kept.last() {
            if t_ms - last < self.spacing_ms {
                return;
            }
        }
        if self.kept.len() == MAX_SPREAD_PICTURES {
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.spacing_ms *= 2;
            if t_ms - self.kept.last().map_or(i64::MIN / 2, |k| k.0) < self.spacing_ms {
                return;
            }
        }
        self.kept.push((t_ms, picture.clone()));
    }

    /// The kept pictures with their times, ms, in time order.
    pub(super) fn into_pictures(self) -> Vec<(i64, Picture)> {
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(frames_ms: impl Iterator<Item = i64>) -> Vec<i64> {
        let picture = Picture::from_gray8(16, 16, &[0; 256]);
        let mut s = SpreadPictures::default();
        for t in frames_ms {
            s.offer(t, &picture);
        }
        s.into_pictures().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn pictures_stay_spread_over_any_length() {
        // 250 ms sampling: a 5 s clip, a 15 s clip, a 2-minute video.
        assert_eq!(times((0..20).map(|i| i * 250)), [0, 2000, 4000]);
        assert_eq!(times((0..60).map(|i| i * 250)), [0, 4000, 8000, 12000]);
        let long = times((0..480).map(|i| i * 250));
        assert_eq!(long.len(), MAX_SPREAD_PICTURES);
        assert_eq!(long[0], 0);
        assert!(long[3] >= 64_000, "{long:?}");
    }
}

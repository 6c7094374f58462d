//! Videos that show still pictures: frames held on screen longer than the sampling interval
//! (sampled again while shown) and videos that show one picture throughout (matched as a
//! photo too, see [`super::Fingerprint::static_picture`]).

use super::FrameHash;

/// Most bits (PDQ, 256) a video frame's view-0 hash may lie from the first frame's for the
/// video to show one picture throughout ([`super::Fingerprint::static_picture`]): re-encoding moves
/// PDQ a few bits, any change of scene or camera dozens.
pub const STATIC_VIDEO_BITS: u32 = 16;

/// True when every view-0 hash of `frames` (hashes of `bits` bits) lies within
/// [`STATIC_VIDEO_BITS`] (scaled to the hash's length) of the first one, over at least two
/// sampled times.
pub(super) fn shows_one_picture(frames: &[FrameHash], bits: u32) -> bool {
    let mut primary = frames.iter().filter(|f| f.view == 0);
    let Some(first) = primary.next() else {
        return false;
    };
    let limit = STATIC_VIDEO_BITS * bits / 256;
    let mut later = 0;
    for f in primary {
        if f.hash.distance(&first.hash) > limit {
            return false;
        }
        later += 1;
    }
    later > 0
}

/// A video frame stays on screen until the next one: a frame held longer than the sampling
/// interval (one picture for 10 s, a slideshow with one frame per picture, duplicates dropped
/// by `mpdecimate`) is sampled again every `interval_ms` while it is shown, its hashes copied,
/// as an animated image's held frame is. `frames` are in time order, each frame's views
/// together; the last frame is held to `end_ms` when given (the video's duration). A gap is
/// filled when it exceeds 1.5 intervals: ordinary sampling jitter never is.
pub(super) fn fill_held_frames(frames: &mut Vec<FrameHash>, interval_ms: i64, end_ms: Option<i64>) {
    if interval_ms <= 0 || frames.is_empty() {
        return;
    }
    let mut filled = Vec::with_capacity(frames.len());
    let mut start = 0;
    while start < frames.len() {
        let t = frames[start].t_ms;
        let end = start + frames[start..].iter().take_while(|f| f.t_ms == t).count();
        filled.extend_from_slice(&frames[start..end]);
        let next = frames.get(end).map(|f| f.t_ms).or(end_ms);
        if let Some(next) = next.filter(|&next| next - t > interval_ms * 3 / 2) {
            let mut at = t + interval_ms;
            while next - at > interval_ms / 2 {
                filled.extend(
                    frames[start..end]
                        .iter()
                        .map(|f| FrameHash { t_ms: at, ..*f }),
                );
                at += interval_ms;
            }
        }
        start = end;
    }
    *frames = filled;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash256;

    fn frame(t_ms: i64, view: u8) -> FrameHash {
        FrameHash {
            t_ms,
            view,
            quality: 100,
            hash: Hash256::default(),
            dihedral: [Hash256::default(); 8],
        }
    }

    fn times(frames: &[FrameHash]) -> Vec<(i64, u8)> {
        frames.iter().map(|f| (f.t_ms, f.view)).collect()
    }

    #[test]
    fn a_held_frame_is_sampled_while_it_is_shown() {
        // Two views at 0, one frame at 1000 held to the end at 1600.
        let mut frames = vec![frame(0, 0), frame(0, 3), frame(1000, 0)];
        fill_held_frames(&mut frames, 250, Some(1600));
        assert_eq!(
            times(&frames),
            vec![
                (0, 0),
                (0, 3),
                (250, 0),
                (250, 3),
                (500, 0),
                (500, 3),
                (750, 0),
                (750, 3),
                (1000, 0),
                (1250, 0),
            ]
        );
    }

    #[test]
    fn ordinary_sampling_gaps_are_left_alone() {
        // A 30 fps video sampled every 250 ms has gaps of 233–267 ms; a cut-short video's
        // last frame is not held (its end is unknown).
        let mut frames: Vec<FrameHash> = (0..8).map(|i| frame(i * 267, 0)).collect();
        let before = frames.clone();
        fill_held_frames(&mut frames, 250, Some(8 * 267));
        assert_eq!(frames, before);
        fill_held_frames(&mut frames, 250, None);
        assert_eq!(frames, before);
        let mut one = vec![frame(0, 0)];
        fill_held_frames(&mut one, 250, Some(10_000));
        assert_eq!(one.len(), 40);
        assert_eq!(one.last().unwrap().t_ms, 9750);
    }
}

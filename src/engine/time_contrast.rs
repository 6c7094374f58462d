//! Time contrast of a video match: how much closer the upload's frames are to the work at the
//! matched times than at other times of the work. A copy of a moving scene is far closer on
//! its line (tens of bits) than seconds away from it; footage of the same fixed camera at
//! another time, the same set or studio, is about as close anywhere in the work (a few bits),
//! because what the hash sees is the unchanging background.

use super::Engine;
use crate::align::Segment;
use crate::fingerprint::Fingerprint;
use crate::hash::Orientation;
use crate::search::Hit;

/// Shifts from the matched reference time at which the off-line distance is measured, ms.
const SHIFTS_MS: [i64; 4] = [-6000, -3000, 3000, 6000];

/// Reference frames within this of a time count as "at" it, ms (the alignment's tolerance).
const AT_MS: i64 = 450;

/// Fewest query frames with a shifted time inside the work for a contrast to be measured.
const MIN_FRAMES: usize = 3;

impl Engine {
    /// The median over the segment's query frames of (closest distance to the work at any of
    /// [`SHIFTS_MS`] from the matched time) − (closest distance at the matched time), bits
    /// of the catalogue's hash; every view of a frame counts, in orientation `o`. `None` when
    /// fewer than [`MIN_FRAMES`] frames have both (a work too short to shift in).
    pub(super) fn time_contrast(
        &self,
        fp: &Fingerprint,
        work: u32,
        o: Orientation,
        s: &Segment,
    ) -> Option<f64> {
        let min_quality = self.options.policy.min_quality;
        let bits = self.algorithm().bits();
        let duration = self.works[work as usize].duration_ms as i64;
        let mut hits: Vec<Hit> = Vec::new();
        let mut contrasts: Vec<i64> = Vec::new();
        let mut closest = |views: &[crate::hash::Hash256], r_ms: i64| -> Option<u32> {
            let ids = self.timeline.span(work, r_ms - AT_MS, r_ms + AT_MS);
            if ids.is_empty() {
                return None;
            }
            let mut best = None;
            for v in views {
                hits.clear();
                self.index.search_range(v, bits, ids.clone(), &mut hits);
                if let Some(d) = hits.iter().map(|h| h.distance).min() {
                    best = Some(best.map_or(d, |b: u32| b.min(d)));
                }
            }
            best
        };
        let frames: Vec<_> = fp
            .frames
            .iter()
            .filter(|f| f.quality >= min_quality && (s.q_start_ms..=s.q_end_ms).contains(&f.t_ms))
            .collect();
        for group in frames.chunk_by(|a, b| a.t_ms == b.t_ms) {
            let views: Vec<_> = group.iter().map(|f| f.dihedral[o as usize]).collect();
            let r_ms = (s.speed * group[0].t_ms as f64 + s.offset_ms).round() as i64;
            let Some(on) = closest(&views, r_ms) else {
                continue;
            };
            let off = SHIFTS_MS
                .iter()
                .map(|d| r_ms + d)
                .filter(|&t| t >= 0 && (duration == 0 || t <= duration))
                .filter_map(|t| closest(&views, t))
                .min();
            if let Some(off) = off {
                contrasts.push(off as i64 - on as i64);
            }
        }
        if contrasts.len() < MIN_FRAMES {
            return None;
        }
        contrasts.sort_unstable();
        Some(contrasts[contrasts.len() / 2] as f64)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, EngineOptions};
    use crate::fingerprint::{Fingerprint, FrameHash};
    use crate::hash::{Algorithm, Hash256};
    use crate::media::MediaType;
    use crate::store::{Catalogue, ImportedFrame, ImportedWork};
    use crate::verdict::VerdictKind;
    use std::path::Path;

    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            // xorshift64
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn hash(&mut self) -> Hash256 {
            Hash256([self.next(), self.next(), self.next(), self.next()])
        }
        /// `h` with `n` distinct bits flipped.
        fn flip(&mut self, h: Hash256, n: u32) -> Hash256 {
            let mut out = h;
            while out.distance(&h) < n {
                let bit = (self.next() % 256) as usize;
                out.0[bit / 64] ^= 1 << (bit % 64);
            }
            out
        }
    }

    fn work(title: &str, hashes: Vec<Hash256>) -> ImportedWork {
        ImportedWork {
            title: title.into(),
            media: "video".into(),
            duration_ms: hashes.len() as u64 * 200,
            width: 640,
            height: 360,
            frames: hashes
                .into_iter()
                .enumerate()
                .map(|(i, hash)| ImportedFrame {
                    t_ms: i as i64 * 200,
                    view: 0,
                    hash,
                    quality: 100,
                })
                .collect(),
            ..ImportedWork::default()
        }
    }

    fn upload(hashes: Vec<Hash256>, other: &mut Random) -> Fingerprint {
        Fingerprint {
            algorithm: Algorithm::Pdq,
            media: MediaType::Video,
            width: 640,
            height: 360,
            duration_ms: hashes.len() as u64 * 200,
            frames: hashes
                .into_iter()
                .enumerate()
                .map(|(i, hash)| {
                    // Orientations other than as-is point nowhere near the works.
                    let mut dihedral = [hash; 8];
                    for d in &mut dihedral[1..] {
                        *d = other.hash();
                    }
                    FrameHash {
                        t_ms: i as i64 * 200,
                        view: 0,
                        quality: 100,
                        hash,
                        dihedral,
                    }
                })
                .collect(),
            active_area: None,
            decoder: "test",
            still: None,
            turned_degrees: None,
            cut_short: None,
            video_stream: None,
            other_video_streams: Vec::new(),
            static_picture: None,
            spread_pictures: Vec::new(),
        }
    }

    /// About 34 bits from a work is a heavily edited copy when the frames match their own times,
    /// and the same fixed camera at another time when the whole work is about as close.
    #[test]
    fn far_matches_need_the_work_at_their_times() {
        let mut rng = Random(0x5eed_1234_abcd_0001);
        let moving: Vec<Hash256> = (0..150).map(|_| rng.hash()).collect();
        let background = rng.hash();
        let fixed_camera: Vec<Hash256> = (0..150).map(|_| rng.flip(background, 3)).collect();
        let dir = tempfile::tempdir().unwrap();
        let catalogue = Catalogue::open(&dir.path().join("c.db"), Some(Algorithm::Pdq)).unwrap();
        catalogue
            .add_imported_work(&work("moving", moving.clone()))
            .unwrap();
        catalogue
            .add_imported_work(&work("street camera", fixed_camera))
            .unwrap();
        let engine = Engine::from_catalogue(&catalogue, EngineOptions::default()).unwrap();

        // Every fifth frame 26 bits off (the seeds, within PDQ's 31), the others 36: a mean
        // of 34 bits.
        let off = |i: usize| if i.is_multiple_of(5) { 26 } else { 36 };
        // Reference 5-13 s.
        let copy: Vec<Hash256> = moving[25..65]
            .iter()
            .enumerate()
            .map(|(i, &h)| rng.flip(h, off(i)))
            .collect();
        let report = engine.judge_fingerprint(Path::new("copy.mp4"), &upload(copy, &mut rng));
        assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
        assert_eq!(report.matches[0].title, "moving");
        assert_eq!(report.matches[0].reference_start_ms, 5000);

        let other_time: Vec<Hash256> = (0..40).map(|i| rng.flip(background, off(i))).collect();
        let report =
            engine.judge_fingerprint(Path::new("other.mp4"), &upload(other_time, &mut rng));
        assert_eq!(report.verdict, VerdictKind::Review, "{report:?}");
        let reason = &report.matches[0].reason;
        assert!(reason.contains("times not confirmed"), "{reason}");
        assert!(reason.contains("mean distance 3"), "{reason}");

        // The same camera 10 bits off stands on its distance.
        let close: Vec<Hash256> = (0..40).map(|_| rng.flip(background, 10)).collect();
        let report = engine.judge_fingerprint(Path::new("close.mp4"), &upload(close, &mut rng));
        assert_eq!(report.verdict, VerdictKind::Infringing, "{report:?}");
        assert_eq!(report.matches[0].title, "street camera");
    }
}

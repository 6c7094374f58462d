//! Local-feature search: every reference photo's keypoints ([`crate::hash::keypoints`]) in one
//! Hamming index over their descriptors (bit-sampling LSH, [`super::lsh`]), and
//! [`LocalIndex::match_features`], which turns an upload's keypoints into placements in the
//! works they come from; [`LocalIndex::match_features_exhaustive`] is its brute-force twin.
//!
//! Each upload descriptor (upright and mirrored) is searched at [`MATCH_RADIUS`]; within each
//! work its nearest reference descriptor is kept when it is clearly nearer than the work's
//! second nearest (Lowe's ratio test, "Distinctive image features from scale-invariant
//! keypoints", IJCV 2004, on Hamming distances). The kept pairs of a work are then fitted to
//! one placement ([`crate::align::placement`]); chance pairs rarely agree on one.

use super::linear::LinearIndex;
use super::lsh::LshIndex;
use super::{HammingIndex, Hit};
use crate::align::placement::{self, Placement, PointPair};
use crate::hash::keypoints::{Features, Keypoint};
use crate::hash::Hash256;
use std::collections::HashMap;

/// Largest Hamming distance, bits of 256, between an upload descriptor and a reference
/// descriptor for the two to be paired.
pub const MATCH_RADIUS: u32 = 48;

/// A pair is kept only when its distance is under this share of the distance to the same
/// work's second nearest descriptor.
pub const RATIO: f32 = 0.85;

/// Fewest pairs a work needs before a placement is fitted.
const MIN_PAIRS: usize = 4;

/// Reference keypoints of every work, searchable by descriptor.
#[derive(Debug, Default)]
pub struct LocalIndex {
    /// Work position (the caller's numbering) of each keypoint, by keypoint id.
    work: Vec<u32>,
    /// The keypoints, by id (contiguous per work).
    points: Vec<Keypoint>,
    descriptors: LshIndex,
}

/// An upload placed in one work by its keypoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalMatch {
    /// The work's position as given to [`LocalIndex::new`].
    pub work: u32,
    /// The upload matched mirrored left to right.
    pub mirrored: bool,
    /// Where the upload sits in the reference, and how many pairs agree.
    pub placement: Placement,
    /// Pairs that passed the ratio test (before the placement fit).
    pub pairs: u32,
}

impl LocalIndex {
    /// Indexes the keypoints of each work (`(work position, keypoints)`).
    pub fn new(works: impl IntoIterator<Item = (u32, Vec<Keypoint>)>) -> LocalIndex {
        let mut index = LocalIndex::default();
        let mut descriptors = Vec::new();
        for (work, points) in works {
            for p in points {
                index.work.push(work);
                descriptors.push(p.descriptor);
                index.points.push(p);
            }
        }
        index.descriptors = LshIndex::new(descriptors);
        index
    }

    /// Number of reference keypoints.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no work has keypoints.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Bytes of memory held (approximate).
    pub fn memory_bytes(&self) -> usize {
        self.points.len() * (std::mem::size_of::<Keypoint>() + 4) + self.descriptors.memory_bytes()
    }

    /// The upload's best placement in each work whose pairs support one (upright and mirrored
    /// tried separately), most inliers first. Empty when either side has no keypoints. The
    /// descriptors are searched in the LSH tables, which miss some pairs the exhaustive search
    /// finds (more of the far ones): placements have somewhat fewer inliers than
    /// [`LocalIndex::match_features_exhaustive`] gives, at a small share of the cost.
    pub fn match_features(&self, upload: &Features) -> Vec<LocalMatch> {
        self.match_with(upload, |queries, hits| {
            self.descriptors.search_many(queries, MATCH_RADIUS, hits)
        })
    }

    /// [`LocalIndex::match_features`] with every reference descriptor compared (a linear scan):
    /// the twin the LSH search is tested against.
    pub fn match_features_exhaustive(&self, upload: &Features) -> Vec<LocalMatch> {
        let linear = LinearIndex::new(self.descriptors.descriptors().to_vec());
        self.match_with(upload, |queries, hits| {
            linear.search_many(queries, MATCH_RADIUS, hits)
        })
    }

    /// Matching with `search(queries, hits)` filling each query's hits within
    /// [`MATCH_RADIUS`], in id order.
    fn match_with(
        &self,
        upload: &Features,
        search: impl FnOnce(&[Hash256], &mut [Vec<Hit>]),
    ) -> Vec<LocalMatch> {
        let n = upload.keypoints.len();
        if n == 0 || self.is_empty() {
            return Vec::new();
        }
        let queries: Vec<Hash256> = upload
            .keypoints
            .iter()
            .map(|k| k.descriptor)
            .chain(upload.mirrored.iter().copied())
            .collect();
        let mut hits = vec![Vec::new(); queries.len()];
        search(&queries, &mut hits);
        let mut groups: HashMap<(u32, bool), Vec<PointPair>> = HashMap::new();
        for (qi, hits) in hits.iter().enumerate() {
            let mirrored = qi >= n;
            let k = &upload.keypoints[qi % n];
            let x = if mirrored {
                upload.width as f32 - 1.0 - k.x
            } else {
                k.x
            };
            for best in self.distinct_nearest(hits) {
                let r = &self.points[best as usize];
                groups
                    .entry((self.work[best as usize], mirrored))
                    .or_default()
                    .push(PointPair {
                        query: (x, k.y),
                        reference: (r.x, r.y),
                        query_scale: k.scale,
                        reference_scale: r.scale,
                    });
            }
        }
        let mut found: Vec<LocalMatch> = groups
            .into_iter()
            .filter(|(_, pairs)| pairs.len() >= MIN_PAIRS)
            .filter_map(|((work, mirrored), pairs)| {
                placement::fit(&pairs).map(|placement| LocalMatch {
                    work,
                    mirrored,
                    placement,
                    pairs: pairs.len() as u32,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            (b.placement.inliers, a.work, a.mirrored).cmp(&(
                a.placement.inliers,
                b.work,
                b.mirrored,
            ))
        });
        found
    }

    /// For one upload descriptor's hits: per work, the id of the nearest reference keypoint
    /// if it passes the ratio test against that work's second nearest.
    fn distinct_nearest(&self, hits: &[Hit]) -> Vec<u32> {
        // Hits come in id order, so each work's hits are contiguous.
        let mut out = Vec::new();
        let mut start = 0;
        while start < hits.len() {
            let work = self.work[hits[start].id as usize];
            let end = start
                + hits[start..]
                    .iter()
                    .take_while(|h| self.work[h.id as usize] == work)
                    .count();
            let group = &hits[start..end];
            let best = group.iter().min_by_key(|h| (h.distance, h.id)).copied();
            if let Some(best) = best {
                let second = group
                    .iter()
                    .filter(|h| h.id != best.id)
                    .map(|h| h.distance)
                    .min()
                    .unwrap_or(MATCH_RADIUS + 1);
                if (best.distance as f32) < RATIO * second as f32 {
                    out.push(best.id);
                }
            }
            start = end;
        }
        out
    }
}

//! One file through the pipeline: [`index_file`] fingerprints a protected work into the
//! catalogue; [`Engine`] holds the in-memory search index over every reference frame hash and
//! judges one upload ([`Engine::judge_file`]): fingerprint ─► search (every query orientation
//! and view) ─► align per work ─► policy ─► [`QueryReport`].

mod coverage;
mod index;
mod placements;
mod static_video;
mod streams;
mod time_contrast;

pub use index::{index_file, sha256_file, IndexOutcome, WorkMeta};

use crate::align::{self, AlignParams, Candidate, Segment};
use crate::error::{Error, ErrorKind, Result};
use crate::fingerprint::{fingerprint_file, Fingerprint, Role};
use crate::hash::{hasher_for, Algorithm, FrameHasher, Orientation};
use crate::media::{sniff, DecodeOptions, MediaType};
use crate::paths::display_path;
use crate::report::{ErrorReport, MatchReport, QueryReport};
use crate::sampler::SamplePlan;
use crate::search::extend::{seed_and_extend, QueryHash, SeedExtend, Timeline};
use crate::search::local::LocalIndex;
use crate::search::{
    linear::LinearIndex, mih::MihIndex, search_many_closest, HammingIndex, Hit, MAX_HITS_PER_QUERY,
};
use crate::store::{Catalogue, WorkRow};
use crate::verdict::{Evidence, Policy, VerdictKind};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// Reference hashes at or above this count are searched with multi-index hashing; below it
/// the linear scan is faster.
pub const MIH_MIN_HASHES: usize = 100_000;

/// How uploads are judged.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Decoding and sampling of uploads.
    pub decode: DecodeOptions,
    /// The policy.
    pub policy: Policy,
    /// Orientations each upload frame is searched under.
    pub orientations: Vec<Orientation>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            decode: DecodeOptions::default(),
            policy: Policy::default(),
            orientations: Orientation::QUERY_DEFAULT.to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct RefFrame {
    work: u32,
    t_ms: i64,
}

/// The matcher: every reference frame hash of a catalogue in a search index, plus the works.
pub struct Engine {
    hasher: Box<dyn FrameHasher>,
    index: Box<dyn HammingIndex>,
    /// Work position and time of every indexed hash (ids contiguous per work).
    timeline: Timeline,
    /// Keypoints of the still works, for image uploads no hash places ([`Engine::judge_file`]).
    local: LocalIndex,
    works: Vec<WorkRow>,
    options: EngineOptions,
}

impl Engine {
    /// Loads every informative reference frame hash of `catalogue` into a search index.
    pub fn from_catalogue(catalogue: &Catalogue, options: EngineOptions) -> Result<Engine> {
        let works = catalogue.works()?;
        let position: HashMap<i64, u32> = works
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i as u32))
            .collect();
        let mut hashes = Vec::new();
        let mut frames = Vec::new();
        for f in catalogue.all_frames()? {
            let Some(&work) = position.get(&f.work_id) else {
                continue;
            };
            if f.quality < options.policy.min_quality {
                continue;
            }
            hashes.push(f.hash);
            frames.push(RefFrame { work, t_ms: f.t_ms });
        }
        // The catalogue lists frames by work, then in time order; the seed-and-extend search
        // relies on that (contiguous, time-ordered ids per work).
        if !frames
            .windows(2)
            .all(|w| (w[0].work, w[0].t_ms) <= (w[1].work, w[1].t_ms))
        {
            let mut order: Vec<usize> = (0..frames.len()).collect();
            order.sort_by_key(|&i| (frames[i].work, frames[i].t_ms));
            hashes = order.iter().map(|&i| hashes[i]).collect();
            frames = order.iter().map(|&i| frames[i]).collect();
        }
        let timeline = Timeline::new(frames.iter().map(|f| (f.work, f.t_ms)))
            .ok_or_else(|| Error::new(ErrorKind::Internal, "reference frames out of order"))?;
        let index: Box<dyn HammingIndex> = if hashes.len() >= MIH_MIN_HASHES {
            Box::new(MihIndex::new(hashes))
        } else {
            Box::new(LinearIndex::new(hashes))
        };
        let local = LocalIndex::new(
            catalogue
                .all_local_features()?
                .into_iter()
                .filter_map(|(id, points)| position.get(&id).map(|&work| (work, points))),
        );
        Ok(Engine {
            hasher: hasher_for(catalogue.algorithm()),
            index,
            timeline,
            local,
            works,
            options,
        })
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.hasher.algorithm()
    }

    /// The works loaded.
    pub fn works(&self) -> &[WorkRow] {
        &self.works
    }

    /// The options in force.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Fingerprints and judges one upload. Never fails: a bad file is a report with verdict
    /// `error`.
    pub fn judge_file(&self, path: &Path) -> QueryReport {
        let started = Instant::now();
        let mut report = match fingerprint_file(
            path,
            &self.options.decode,
            self.hasher.as_ref(),
            Role::Query,
        ) {
            Ok(fp) => {
                let report = self.judge_fingerprint(path, &fp);
                self.judge_other_streams(path, &fp, report, started)
            }
            Err(e) => error_report(path, &e),
        };
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        report
    }

    /// Judges an already computed fingerprint.
    pub fn judge_fingerprint(&self, path: &Path, fp: &Fingerprint) -> QueryReport {
        let policy = &self.options.policy;
        let informative = fp.informative_frames(policy.min_quality) as u32;
        let mut report = QueryReport {
            query: display_path(path),
            media: Some(fp.media.as_str().to_string()),
            verdict: VerdictKind::Clean,
            error: None,
            matches: Vec::new(),
            reasons: Vec::new(),
            duration_ms: fp.duration_ms,
            frames: fp.primary_frames().count() as u32,
            informative_frames: informative,
            status: "ok".into(),
            elapsed_ms: 0,
            video_stream: None,
        };
        if informative == 0 {
            report.status = "low_quality".into();
            report.reasons.push(format!(
                "insufficient content: no frame has quality >= {} (blank, uniform or near-black)",
                policy.min_quality
            ));
        } else {
            report.matches = self.find_matches(fp);
        }
        if let Some(what) = &fp.cut_short {
            return judged_cut_short(report, what);
        }
        if informative == 0 {
            return report;
        }
        report.verdict = report
            .matches
            .iter()
            .map(|m| m.verdict)
            .max()
            .unwrap_or(VerdictKind::Clean);
        match report.matches.first() {
            Some(best) => report.reasons.push(best.reason.clone()),
            None if self.options.decode.plan == SamplePlan::Keyframes
                && fp.media == MediaType::Video =>
            {
                // Few keyframes may be too few for a match: say how few were looked at.
                report.reasons.push(format!(
                    "no match with any indexed work (keyframes only: {} frames sampled; denser sampling may find one)",
                    sampled_times(fp).len()
                ))
            }
            None => report.reasons.push("no match with any indexed work".into()),
        }
        report
    }

    /// Candidates grouped by (work position, orientation). Video uploads are searched by
    /// seed-and-extend ([`Policy::seed_radius`], then `radius` along the seeds); images, with
    /// few hashes, at `radius` over the whole catalogue.
    fn candidates(
        &self,
        fp: &Fingerprint,
        radius: u32,
    ) -> HashMap<(u32, Orientation), Vec<Candidate>> {
        let policy = &self.options.policy;
        let mut keys: Vec<Orientation> = Vec::new();
        let mut queries: Vec<QueryHash> = Vec::new();
        for f in fp.frames.iter().filter(|f| f.quality >= policy.min_quality) {
            for &o in &self.options.orientations {
                keys.push(o);
                queries.push(QueryHash {
                    q_ms: f.t_ms,
                    hash: f.dihedral[o as usize],
                });
            }
        }
        let hits: Vec<Vec<Hit>> = if fp.media == MediaType::Image {
            let hashes: Vec<_> = queries.iter().map(|q| q.hash).collect();
            let mut out = vec![Vec::new(); hashes.len()];
            search_many_closest(
                self.index.as_ref(),
                &hashes,
                radius,
                MAX_HITS_PER_QUERY,
                &|_, _| 0,
                &mut out,
            );
            out
        } else {
            let params = SeedExtend {
                seed_radius: self.algorithm().scale_radius(policy.seed_radius),
                radius,
                ..SeedExtend::default()
            };
            seed_and_extend(self.index.as_ref(), &self.timeline, &queries, &params)
        };
        let mut groups: HashMap<(u32, Orientation), Vec<Candidate>> = HashMap::new();
        for ((q, o), hits) in queries.iter().zip(&keys).zip(&hits) {
            for h in hits {
                let work = self.timeline.track(h.id);
                groups.entry((work, *o)).or_default().push(Candidate {
                    q_ms: q.q_ms,
                    r_ms: self.timeline.t_ms(h.id),
                    distance: h.distance,
                });
            }
        }
        for cands in groups.values_mut() {
            cands.sort_by_key(|c| (c.q_ms, c.r_ms, c.distance));
            cands.dedup_by(|a, b| a.q_ms == b.q_ms && a.r_ms == b.r_ms);
            keep_nearest(cands, NEAREST_MARGIN);
        }
        groups
    }

    fn find_matches(&self, fp: &Fingerprint) -> Vec<MatchReport> {
        let policy = &self.options.policy;
        let algorithm = self.algorithm();
        let to_pdq_scale = 256.0 / algorithm.bits() as f64;
        let query_is_image = fp.media == MediaType::Image;
        let pdq_radius = if query_is_image {
            policy
                .standard
                .image_review_distance
                .max(policy.key_work.image_review_distance)
        } else {
            policy.video_radius
        };
        let radius = algorithm.scale_radius(pdq_radius);
        let interval = match self.options.decode.plan {
            SamplePlan::IntervalMs(ms) => ms as i64,
            SamplePlan::Keyframes => 1000,
        };
        let span = fp.span_ms() as i64;
        // Keyframes come seconds apart (a GOP of 250 frames is 10 s at 25 fps): the frames of
        // one copy are not split into runs by their own sampling gaps.
        let max_gap_ms = match self.options.decode.plan {
            SamplePlan::Keyframes => sampled_times(fp)
                .into_iter()
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| w[1] - w[0])
                .max()
                .map_or(0, |gap| gap + interval)
                .max(AlignParams::default().max_gap_ms),
            SamplePlan::IntervalMs(_) => AlignParams::default().max_gap_ms,
        };
        let mut found: Vec<(u32, Orientation, Segment)> = Vec::new();
        for ((work, orientation), cands) in self.candidates(fp, radius) {
            let w = &self.works[work as usize];
            let params = AlignParams {
                query_interval_ms: interval,
                query_duration_ms: span,
                max_gap_ms,
                reference_duration_ms: w.duration_ms as i64,
                ..AlignParams::default()
            };
            let segments = if query_is_image {
                best_single(&cands)
            } else if w.media == "image" {
                align::align_still(&cands, &params)
            } else {
                align::align(&cands, &params)
            };
            found.extend(segments.into_iter().map(|s| (work, orientation, s)));
        }
        // Strongest first; one segment per stretch of upload time per work. Full ties (a
        // symmetric scene matching as is and mirrored alike) go by work, orientation and time,
        // not by the candidate map's iteration order, so that every run reports the same.
        found.sort_by(|a, b| {
            b.2.matched_frames
                .cmp(&a.2.matched_frames)
                .then(a.2.mean_distance.total_cmp(&b.2.mean_distance))
                .then(a.0.cmp(&b.0))
                .then((a.1 as u8).cmp(&(b.1 as u8)))
                .then(a.2.q_start_ms.cmp(&b.2.q_start_ms))
                .then(a.2.r_start_ms.cmp(&b.2.r_start_ms))
        });
        let mut kept: Vec<(u32, Orientation, Segment)> = Vec::new();
        for (work, o, s) in found {
            let overlaps = kept
                .iter()
                .any(|(w, _, k)| *w == work && overlap(k, &s) > 0.5);
            if !overlaps {
                kept.push((work, o, s));
            }
        }
        // Far matches of a video work are checked against the work at other times.
        let contrasts: Vec<Option<f64>> = kept
            .iter()
            .map(|(work, o, s)| {
                let far = policy.needs_time_contrast(s.mean_distance * to_pdq_scale);
                let video_work = self.works[*work as usize].media == "video";
                (far && video_work && !query_is_image)
                    .then(|| {
                        self.time_contrast(fp, *work, *o, s)
                            .map(|c| c * to_pdq_scale)
                    })
                    .flatten()
            })
            .collect();
        let coverage = self.work_coverage(&kept, &contrasts, to_pdq_scale);
        let mut matches: Vec<MatchReport> = kept
            .into_iter()
            .zip(contrasts)
            .filter_map(|((work, o, s), time_contrast)| {
                let w = &self.works[work as usize];
                let mean_pdq = s.mean_distance * to_pdq_scale;
                let evidence = Evidence {
                    query_is_image,
                    key_work: w.key_work,
                    duration_ms: s.query_duration_ms(),
                    work_duration_ms: coverage.get(&work).copied().unwrap_or(0),
                    // The length of an upload cut short is unknown: no share of it is
                    // judged (its readable part is all that was matched against).
                    query_span_ms: if fp.cut_short.is_some() { 0 } else { span },
                    matched_frames: s.matched_frames,
                    mean_distance: mean_pdq,
                    inliers: None,
                    time_contrast,
                    reference_is_still: w.media == "image",
                    reference_share: if w.media == "video" && w.duration_ms > 0 {
                        ((s.r_end_ms - s.r_start_ms) as f64 / w.duration_ms as f64).clamp(0.0, 1.0)
                    } else {
                        0.0
                    },
                };
                let (verdict, reason) = policy.judge(&evidence);
                if verdict == VerdictKind::Clean {
                    return None;
                }
                let frames_factor = if query_is_image {
                    1.0
                } else {
                    (s.matched_frames as f64 / 8.0).min(1.0)
                };
                Some(MatchReport {
                    reference: display_path(&w.path),
                    work_id: w.id,
                    title: w.title.clone(),
                    rights_holder: w.rights_holder.clone(),
                    key_work: w.key_work,
                    query_start_ms: s.q_start_ms,
                    query_end_ms: s.q_end_ms,
                    reference_start_ms: s.r_start_ms,
                    reference_end_ms: s.r_end_ms,
                    speed: (s.speed * 1000.0).round() / 1000.0,
                    mirrored: o.is_mirrored(),
                    // What the uploader did: the inverse of the orientation that matched.
                    transform: o.inverse().transform_name().to_string(),
                    cropped: fp.active_area.is_some(),
                    matched_frames: s.matched_frames,
                    // On the 256-bit scale, as the reasons and the README give distances.
                    mean_distance: (mean_pdq * 10.0).round() / 10.0,
                    score: ((frames_factor * (1.0 - mean_pdq / 64.0).max(0.0)) * 1000.0).round()
                        / 1000.0,
                    verdict,
                    reason,
                    keypoint_inliers: None,
                    turned_degrees: fp.turned_degrees.map(f64::from),
                })
            })
            .collect();
        let settled = matches.iter().any(|m| m.verdict == VerdictKind::Infringing);
        if query_is_image && policy.local_features && !settled {
            if let Some(still) = &fp.still {
                self.add_placements(still, &mut matches);
            }
        }
        if let (false, false, Some(picture)) = (query_is_image, settled, &fp.static_picture) {
            self.add_static_picture_matches(fp, picture, &mut matches);
        }
        let settled = matches.iter().any(|m| m.verdict == VerdictKind::Infringing);
        if !query_is_image && !settled && policy.local_features {
            self.add_placements_in_video(fp, &mut matches);
        }
        matches.sort_by(|a, b| {
            b.verdict
                .cmp(&a.verdict)
                .then(b.score.total_cmp(&a.score))
                .then(b.matched_frames.cmp(&a.matched_frames))
        });
        matches
    }
}

/// Bits above a query frame's closest pair within which its other pairs are kept.
pub const NEAREST_MARGIN: u32 = 8;

/// Keeps, for each query frame, only the pairs within `margin` bits of its closest pair: in a
/// static scene every reference frame is near every query frame, and only the nearest ones
/// carry the timing.
fn keep_nearest(cands: &mut Vec<Candidate>, margin: u32) {
    let mut best: HashMap<i64, u32> = HashMap::new();
    for c in cands.iter() {
        let e = best.entry(c.q_ms).or_insert(c.distance);
        *e = (*e).min(c.distance);
    }
    cands.retain(|c| c.distance <= best[&c.q_ms] + margin);
}

/// The closest pair, as a zero-length segment (image uploads).
fn best_single(cands: &[Candidate]) -> Vec<Segment> {
    cands
        .iter()
        .min_by_key(|c| (c.distance, c.r_ms))
        .map(|c| Segment {
            q_start_ms: c.q_ms,
            q_end_ms: c.q_ms,
            r_start_ms: c.r_ms,
            r_end_ms: c.r_ms,
            speed: 0.0,
            offset_ms: 0.0,
            matched_frames: 1,
            mean_distance: c.distance as f64,
        })
        .into_iter()
        .collect()
}

/// Share of the shorter segment's query range that the other covers (1 for two points at
/// the same time).
fn overlap(a: &Segment, b: &Segment) -> f64 {
    let start = a.q_start_ms.max(b.q_start_ms);
    let end = a.q_end_ms.min(b.q_end_ms);
    let shorter = a.query_duration_ms().min(b.query_duration_ms());
    if shorter <= 0 {
        return if start <= end { 1.0 } else { 0.0 };
    }
    ((end - start).max(0) as f64) / shorter as f64
}

/// The report of an upload whose container is cut short, judged on the part readable before
/// the cut ([`Fingerprint::cut_short`]: `what` is cut). A match there (`infringing` or
/// `review`) stands, with the cut given as its `error` (kind `truncated`) and status
/// `"cut_short"`; with none the upload is not called clean (its rest was never read): verdict `error`, kind `truncated`.
fn judged_cut_short(mut report: QueryReport, what: &str) -> QueryReport {
    let readable = match report.duration_ms {
        0 => "what is readable of the picture".to_string(),
        ms => format!("the {:.1} s readable before the cut", ms as f64 / 1000.0),
    };
    let verdict = (report.matches.iter().map(|m| m.verdict).max())
        .filter(|v| matches!(v, VerdictKind::Review | VerdictKind::Infringing));
    let message = match verdict {
        Some(_) => format!("the file is cut short ({what}); matched on {readable}"),
        None => format!(
            "the file is cut short ({what}); no match in {readable}, the rest could not be read"
        ),
    };
    report.error = Some(ErrorReport {
        kind: ErrorKind::Truncated.as_str().to_string(),
        message: message.clone(),
    });
    match verdict {
        Some(v) => {
            report.verdict = v;
            report.status = "cut_short".into();
            if let Some(best) = report.matches.first() {
                report.reasons.push(best.reason.clone());
            }
            report.reasons.push(message);
        }
        None => {
            report.verdict = VerdictKind::Error;
            report.status = "error".into();
            report
                .reasons
                .push(format!("{}: {message}", ErrorKind::Truncated));
        }
    }
    report
}

/// The report of an upload that could not be judged.
pub fn error_report(path: &Path, err: &Error) -> QueryReport {
    QueryReport {
        query: display_path(path),
        media: guess_media(path),
        verdict: VerdictKind::Error,
        error: Some(ErrorReport {
            kind: err.kind.as_str().to_string(),
            message: err.message.clone(),
        }),
        matches: Vec::new(),
        reasons: vec![format!("{}: {}", err.kind, err.message)],
        duration_ms: 0,
        frames: 0,
        informative_frames: 0,
        status: "error".into(),
        elapsed_ms: 0,
        video_stream: None,
    }
}

/// "image" or "video" from the first bytes (or `None`).
fn guess_media(path: &Path) -> Option<String> {
    match sniff::sniff_path(path)? {
        sniff::Sniffed::Image(_) => Some("image".into()),
        sniff::Sniffed::Mp4 | sniff::Sniffed::OtherVideo => Some("video".into()),
        sniff::Sniffed::Unknown => None,
    }
}

/// The distinct frame times sampled in `fp`, ms, in order (its frames hold one entry per
/// view).
fn sampled_times(fp: &Fingerprint) -> std::collections::BTreeSet<i64> {
    fp.frames.iter().map(|f| f.t_ms).collect()
}

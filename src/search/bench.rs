//! The search benchmark behind `swordnet bench search`: builds the linear oracle and the
//! multi-index hash over the same hashes, runs the same queries through both, checks that every
//! result set is identical and measures time and memory. Returns figures; never prints.

use super::extend::{seed_and_extend, QueryHash, SeedExtend, Timeline};
use super::linear::LinearIndex;
use super::mih::{MihIndex, MihLayout};
use super::{HammingIndex, Hit};
use crate::hash::Hash256;
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct SearchBenchConfig {
    /// Random hashes to index (uniform 256-bit values from `seed`).
    pub hashes: usize,
    /// Real frame hashes indexed as well (e.g. every frame hash of a catalogue).
    pub real_hashes: Vec<Hash256>,
    /// Search radius of the timed queries, bits.
    pub radius: u32,
    /// Number of timed queries.
    pub queries: usize,
    /// Seed of every random choice (same seed, same hashes and queries).
    pub seed: u64,
    /// Substring layout of the index (default [`MihLayout::for_len`]).
    pub layout: Option<MihLayout>,
    /// Radii at which one upload is timed (e.g. the policy's video radius, then its image
    /// radii); the first is the headline `upload_ms`, searched as the engine searches a video
    /// upload: seed-and-extend with `seed_radius` ([`crate::search::extend`]). The others are
    /// plain radius searches of every upload hash.
    pub upload_radii: Vec<u32>,
    /// Seed radius of the headline upload search, bits (the policy's `seed_radius`).
    pub seed_radius: u32,
    /// Hashes per reference frame (views) in the modelled catalogue: indexed ids are laid out
    /// as 2-hour works sampled every 200 ms with this many hashes per frame, so that the
    /// extension spans are as wide as the engine's.
    pub reference_views: usize,
    /// Frame hashes of one upload (60 frames, plain and mirrored: 120).
    pub upload_hashes: usize,
    /// Uploads timed per radius (the median is reported).
    pub uploads: usize,
}

impl Default for SearchBenchConfig {
    fn default() -> Self {
        SearchBenchConfig {
            hashes: 1_000_000,
            real_hashes: Vec::new(),
            radius: 31,
            queries: 1000,
            seed: 0x5eed_2012,
            layout: None,
            upload_radii: vec![52, 31, 45],
            seed_radius: 31,
            reference_views: crate::hash::views::reference_video_views(1280, 720).len(),
            upload_hashes: 120,
            uploads: 5,
        }
    }
}

/// The time to search one upload at one radius.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadTiming {
    /// Radius, bits.
    pub radius: u32,
    /// Seed radius when searched by seed-and-extend, bits.
    pub seed_radius: Option<u32>,
    /// Median wall time over the timed uploads, every core ([`HammingIndex::search_many`]), ms.
    pub ms: f64,
    /// Median wall time on one thread, ms.
    pub single_thread_ms: f64,
    /// Median CPU time of that thread, ms (below the wall time when other processes share the
    /// cores).
    pub single_thread_cpu_ms: f64,
    /// Hits found in one upload (mean).
    pub hits: f64,
}

/// The figures of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchBenchReport {
    /// Hashes indexed (random + real).
    pub indexed: usize,
    /// Of which real frame hashes.
    pub real_hashes: usize,
    /// Radius of the timed queries.
    pub radius: u32,
    /// Timed queries.
    pub queries: usize,
    /// Substring widths of the index, bits.
    pub layout: Vec<u32>,
    /// Strided substrings (else contiguous).
    pub strided: bool,
    /// Mean buckets probed per timed query that used the tables.
    pub probes_per_query: f64,
    /// Mean candidates checked per timed query that used the tables.
    pub candidates_per_query: f64,
    /// Timed queries for which the index scanned every hash instead (too costly to probe).
    pub scanned_queries: usize,
    /// Seconds to build the index (every core).
    pub build_s: f64,
    /// Linear scan (blocked, one thread), ms per query.
    pub linear_ms_per_query: f64,
    /// Index (one query at a time, one thread), ms per query.
    pub index_ms_per_query: f64,
    /// CPU time of the linear scan's thread, ms per query (0 where unknown).
    pub linear_cpu_ms_per_query: f64,
    /// CPU time of the index's thread, ms per query (0 where unknown).
    pub index_cpu_ms_per_query: f64,
    /// `linear_ms_per_query / index_ms_per_query`.
    pub speedup: f64,
    /// Every result set of the index equals the linear scan's (timed queries and one upload per
    /// upload radius).
    pub identical: bool,
    /// Queries whose results differed.
    pub mismatches: usize,
    /// Hits over all timed queries.
    pub hits: usize,
    /// Timed queries with no hit.
    pub empty_queries: usize,
    /// Bytes the index holds.
    pub index_bytes: usize,
    /// Peak resident memory of the process (VmHWM), bytes; 0 where unknown.
    pub peak_rss_bytes: u64,
    /// Time to search one upload at the first upload radius, ms (every core).
    pub upload_ms: f64,
    /// Every upload radius.
    pub uploads: Vec<UploadTiming>,
}

/// SplitMix64: small, seedable, good enough for benchmark data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    fn hash(&mut self) -> Hash256 {
        Hash256([self.next(), self.next(), self.next(), self.next()])
    }
}

/// `base` with `k` distinct random bits flipped.
fn flip_bits(base: &Hash256, k: u32, rng: &mut Rng) -> Hash256 {
    let mut h = *base;
    let mut flipped = Hash256::default();
    let mut left = k.min(256);
    while left > 0 {
        let b = rng.below(256) as usize;
        let (w, bit) = (b / 64, 1u64 << (b % 64));
        if flipped.0[w] & bit == 0 {
            flipped.0[w] |= bit;
            h.0[w] ^= bit;
            left -= 1;
        }
    }
    h
}

/// A query near a random indexed hash (within `radius`), or, one time in ten, a random hash
/// (far from everything). With real hashes, half the near queries start from one of them.
fn make_query(
    hashes: &[Hash256],
    real_from: usize,
    radius: u32,
    far: bool,
    rng: &mut Rng,
) -> Hash256 {
    if far || hashes.is_empty() {
        return rng.hash();
    }
    let real = hashes.len() - real_from;
    let i = if real > 0 && rng.below(2) == 0 {
        real_from + rng.below(real as u64) as usize
    } else {
        rng.below(hashes.len() as u64) as usize
    };
    let k = rng.below(u64::from(radius.min(256)) + 1) as u32;
    flip_bits(&hashes[i], k, rng)
}

/// Milliseconds between the modelled reference frames.
const MODEL_FRAME_MS: i64 = 200;
/// Frames of one modelled work (2 hours at 200 ms).
const MODEL_WORK_FRAMES: usize = 36_000;

/// The modelled catalogue layout: consecutive ids form works of [`MODEL_WORK_FRAMES`] frames,
/// each frame `views` consecutive ids.
fn model_timeline(len: usize, views: usize) -> Timeline {
    let per_work = MODEL_WORK_FRAMES * views;
    Timeline::new((0..len).map(|i| {
        let frame = (i % per_work) / views;
        ((i / per_work) as u32, frame as i64 * MODEL_FRAME_MS)
    }))
    .unwrap_or_default()
}

/// One video upload: 60 frames at 250 ms copying a stretch of one modelled work, each within
/// 3/4 of `radius` of one view of the matching reference frame, plus a mirrored (far) hash per
/// frame.
fn clip_upload(
    hashes: &[Hash256],
    config: &SearchBenchConfig,
    radius: u32,
    rng: &mut Rng,
) -> Vec<QueryHash> {
    let views = config.reference_views.max(1);
    let frames = hashes.len() / views;
    let clip = config.upload_hashes.div_ceil(2);
    let mut out = Vec::with_capacity(config.upload_hashes);
    if frames == 0 {
        return (0..config.upload_hashes)
            .map(|i| QueryHash {
                q_ms: (i / 2) as i64 * 250,
                hash: rng.hash(),
            })
            .collect();
    }
    let span = (clip as i64 * 250 / MODEL_FRAME_MS + 1) as usize;
    let work_frames = MODEL_WORK_FRAMES.min(frames);
    let work = rng.below((frames / work_frames).max(1) as u64) as usize;
    let start = rng.below(work_frames.saturating_sub(span).max(1) as u64) as usize;
    for j in 0..clip {
        let q_ms = j as i64 * 250;
        let frame = work * work_frames + start + (q_ms / MODEL_FRAME_MS) as usize;
        let id = (frame * views + rng.below(views as u64) as usize).min(hashes.len() - 1);
        let k = rng.below(u64::from(radius * 3 / 4) + 1) as u32;
        out.push(QueryHash {
            q_ms,
            hash: flip_bits(&hashes[id], k, rng),
        });
        if out.len() < config.upload_hashes {
            out.push(QueryHash {
                q_ms,
                hash: rng.hash(),
            });
        }
    }
    out
}

/// Peak resident set size of this process (VmHWM in /proc/self/status), bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time of the calling thread so far (Linux: /proc/thread-self/schedstat), ns.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Runs `f` and returns its result with the CPU time of the calling thread it took, ms.
fn with_cpu_ms<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let before = thread_cpu_ns();
    let r = f();
    let ms = match (before, thread_cpu_ns()) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e6,
        _ => 0.0,
    };
    (r, ms)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn one_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Runs the benchmark. Memory: the hashes exist once (the linear index hands them to the
/// multi-index hash after its queries ran), so the peak is about the index size.
pub fn run(config: &SearchBenchConfig) -> SearchBenchReport {
    let mut rng = Rng(config.seed);
    let mut hashes: Vec<Hash256> = Vec::with_capacity(config.hashes + config.real_hashes.len());
    hashes.extend((0..config.hashes).map(|_| rng.hash()));
    let real_from = hashes.len();
    hashes.extend_from_slice(&config.real_hashes);

    let queries: Vec<Hash256> = (0..config.queries)
        .map(|i| make_query(&hashes, real_from, config.radius, i % 10 == 9, &mut rng))
        .collect();
    // Uploads. At the headline (video) radius: a 15 s clip of one modelled work, 60 frames
    // at 250 ms near that work's frame hashes (0 to 3/4 of the radius away, so some frames
    // are found only by the extension), and their mirrored views, which match nothing. At the
    // other radii: hashes near random indexed ones (at up to half the radius) and far ones.
    let timeline = model_timeline(hashes.len(), config.reference_views.max(1));
    let uploads: Vec<(u32, Vec<Vec<QueryHash>>)> = config
        .upload_radii
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let ups = (0..config.uploads.max(1))
                .map(|_| {
                    if k == 0 {
                        clip_upload(&hashes, config, r, &mut rng)
                    } else {
                        (0..config.upload_hashes)
                            .map(|i| QueryHash {
                                q_ms: (i / 2) as i64 * 250,
                                hash: make_query(&hashes, real_from, r / 2, i % 2 == 1, &mut rng),
                            })
                            .collect()
                    }
                })
                .collect();
            (r, ups)
        })
        .collect();
    let extend_params = |r: u32| SeedExtend {
        seed_radius: config.seed_radius,
        radius: r,
        ..SeedExtend::default()
    };
    let search_upload = |index: &dyn HammingIndex, k: usize, r: u32, upload: &[QueryHash]| {
        if k == 0 {
            seed_and_extend(index, &timeline, upload, &extend_params(r))
        } else {
            let hashes: Vec<Hash256> = upload.iter().map(|q| q.hash).collect();
            let mut out = vec![Vec::new(); hashes.len()];
            index.search_many(&hashes, r, &mut out);
            out
        }
    };

    // The oracle: the timed queries on one thread, then one upload per radius.
    let linear = LinearIndex::new(hashes);
    let mut expected = vec![Vec::new(); queries.len()];
    let started = Instant::now();
    let ((), linear_cpu_ms) =
        one_thread(|| with_cpu_ms(|| linear.search_many(&queries, config.radius, &mut expected)));
    let linear_s = started.elapsed().as_secs_f64();
    let expected_uploads: Vec<Vec<Vec<Hit>>> = uploads
        .iter()
        .enumerate()
        .map(|(k, (r, ups))| search_upload(&linear, k, *r, &ups[0]))
        .collect();

    let hashes = linear.into_hashes();
    let indexed = hashes.len();
    let started = Instant::now();
    let index = match &config.layout {
        Some(layout) => MihIndex::with_layout(hashes, layout),
        None => MihIndex::new(hashes),
    };
    let build_s = started.elapsed().as_secs_f64();

    let mut found = vec![Vec::new(); queries.len()];
    let started = Instant::now();
    let ((), index_cpu_ms) = with_cpu_ms(|| {
        for (q, hits) in queries.iter().zip(found.iter_mut()) {
            index.search(q, config.radius, hits);
        }
    });
    let index_s = started.elapsed().as_secs_f64();
    let mut mismatches = found.iter().zip(&expected).filter(|(a, b)| a != b).count();

    let mut timings = Vec::new();
    for (k, ((r, ups), expected)) in uploads.iter().zip(&expected_uploads).enumerate() {
        let (mut wall, mut single, mut single_cpu, mut hits) =
            (Vec::new(), Vec::new(), Vec::new(), 0usize);
        for (u, upload) in ups.iter().enumerate() {
            let started = Instant::now();
            let out = search_upload(&index, k, *r, upload);
            wall.push(started.elapsed().as_secs_f64() * 1000.0);
            hits += out.iter().map(Vec::len).sum::<usize>();
            if u == 0 {
                mismatches += out.iter().zip(expected).filter(|(a, b)| a != b).count();
            }
            let started = Instant::now();
            let (_, cpu) = one_thread(|| with_cpu_ms(|| search_upload(&index, k, *r, upload)));
            single.push(started.elapsed().as_secs_f64() * 1000.0);
            single_cpu.push(cpu);
        }
        timings.push(UploadTiming {
            radius: *r,
            seed_radius: (k == 0 && config.seed_radius < *r).then_some(config.seed_radius),
            ms: median(wall),
            single_thread_ms: median(single),
            single_thread_cpu_ms: median(single_cpu),
            hits: hits as f64 / ups.len() as f64,
        });
    }

    let costs: Vec<(usize, usize)> = queries
        .iter()
        .filter_map(|query| index.search_cost(query, config.radius))
        .collect();
    let probed = costs.len().max(1) as f64;
    let q = queries.len().max(1) as f64;
    let linear_ms_per_query = linear_s * 1000.0 / q;
    let index_ms_per_query = index_s * 1000.0 / q;
    SearchBenchReport {
        indexed,
        real_hashes: config.real_hashes.len(),
        radius: config.radius,
        queries: queries.len(),
        layout: index.layout().widths().to_vec(),
        strided: index.layout().is_strided(),
        probes_per_query: costs.iter().map(|c| c.0).sum::<usize>() as f64 / probed,
        candidates_per_query: costs.iter().map(|c| c.1).sum::<usize>() as f64 / probed,
        scanned_queries: queries.len() - costs.len(),
        build_s,
        linear_ms_per_query,
        index_ms_per_query,
        linear_cpu_ms_per_query: linear_cpu_ms / q,
        index_cpu_ms_per_query: index_cpu_ms / q,
        speedup: if index_ms_per_query > 0.0 {
            linear_ms_per_query / index_ms_per_query
        } else {
            f64::INFINITY
        },
        identical: mismatches == 0,
        mismatches,
        hits: found.iter().map(Vec::len).sum(),
        empty_queries: found.iter().filter(|h| h.is_empty()).count(),
        index_bytes: index.memory_bytes(),
        peak_rss_bytes: peak_rss_bytes().unwrap_or(0),
        upload_ms: timings.first().map_or(0.0, |t| t.ms),
        uploads: timings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_run_is_identical() {
        let config = SearchBenchConfig {
            hashes: 20_000,
            queries: 50,
            radius: 16,
            uploads: 1,
            upload_radii: vec![52, 31],
            ..SearchBenchConfig::default()
        };
        let r = run(&config);
        assert!(r.identical, "{r:?}");
        assert_eq!(r.indexed, 20_000);
        assert!(r.hits >= 45, "near queries find their source: {r:?}");
        assert_eq!(r.uploads.len(), 2);
        assert!(r.index_bytes > 20_000 * 32);
    }

    #[test]
    fn flip_bits_flips_exactly_k() {
        let mut rng = Rng(1);
        let h = rng.hash();
        for k in [0, 1, 31, 52, 256] {
            assert_eq!(flip_bits(&h, k, &mut rng).distance(&h), k);
        }
    }
}

//! Throughput benchmarks behind `swordnet bench scan` and `swordnet bench index`: how close a
//! scan (or an indexing run) comes to the speed of the decoder alone.
//!
//! Each run times, over the same files and with the same parallelism (rayon across files,
//! `jobs` threads, largest files started first: [`crate::schedule::map_largest_first`]):
//!
//! 1. **decode only**: [`media::decode_file`] with exactly the [`DecodeOptions`] the scan (or
//!    the indexing) uses — same decoder, sampling plan and scaling — every frame discarded;
//! 2. **the full pass**: [`scan_batch`] with the engine, nothing stored ([`scan`]), or
//!    [`index_batch`] into a fresh temporary catalogue ([`index`]).
//!
//! The files are read once before timing (so both passes find them in the page cache). With
//! several rounds the two passes alternate (decode first, then the full pass first, ...) and
//! the fastest time of each is kept: on a shared machine the minimum is the figure least
//! disturbed by other work. Returns figures; never prints.

use crate::engine::{Engine, WorkMeta};
use crate::error::Result;
use crate::hash::Algorithm;
use crate::media::{self, DecodeOptions, MediaType};
use crate::scan::{index_batch, scan_batch};
use crate::schedule::{file_size, map_largest_first};
use crate::store::Catalogue;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Which pass a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Decoding only, frames discarded.
    DecodeOnly,
    /// The full scan against the catalogue.
    Scan,
    /// Indexing into a temporary catalogue.
    Index,
}

impl Pass {
    /// `"decode only"`, `"scan"` or `"index"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pass::DecodeOnly => "decode only",
            Pass::Scan => "scan",
            Pass::Index => "index",
        }
    }
}

/// Progress, called as files finish: (pass, round from 1, files done, files in all, media
/// seconds of the files done). Media seconds are known from the first decode pass on.
pub type BenchProgressFn<'a> = &'a (dyn Fn(Pass, usize, usize, usize, f64) + Sync);

/// How to run a throughput benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchConfig {
    /// Worker threads of both passes.
    pub jobs: usize,
    /// Rounds of both passes; the fastest time of each pass is reported (at least 1).
    pub rounds: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig { jobs: 2, rounds: 1 }
    }
}

/// The figures of one benchmark, as `swordnet bench scan --json` prints them (exactly these
/// keys). For `bench index`, `scan_s` is the indexing wall time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThroughputReport {
    /// Files given (after expanding folders).
    pub files: usize,
    /// Seconds of video (and animation) in them.
    pub media_seconds: f64,
    /// Frames decoded (sampled video frames plus still images).
    pub frames: u64,
    /// Wall seconds of the decode-only pass (fastest round).
    pub decode_only_s: f64,
    /// Wall seconds of the full scan (or indexing) pass (fastest round).
    pub scan_s: f64,
    /// `scan_s / decode_only_s`: 1.0 means the scan runs at the speed of the decoder. NaN
    /// (JSON `null`) when no frame was decoded (every file failed).
    pub ratio: f64,
    /// Media seconds per wall second of the full pass.
    pub media_seconds_per_s: f64,
    /// Still images per wall second of the full pass (0 when there are none).
    pub images_per_s: f64,
    /// Details not in the JSON.
    #[serde(skip)]
    pub detail: ThroughputDetail,
}

/// What else was measured (printed by the text output only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThroughputDetail {
    /// Which full pass ran: [`Pass::Scan`] or [`Pass::Index`].
    pub pass: Option<Pass>,
    /// Worker threads.
    pub jobs: usize,
    /// Still images among the files.
    pub images: usize,
    /// Videos and animations among the files.
    pub videos: usize,
    /// Files that failed to decode (counted in `files`, their time included).
    pub errors: usize,
    /// Decode-only wall seconds of every round.
    pub decode_only_rounds_s: Vec<f64>,
    /// Full-pass wall seconds of every round.
    pub full_rounds_s: Vec<f64>,
    /// Media seconds per wall second of the decode-only pass.
    pub decode_only_media_seconds_per_s: f64,
    /// Still images per wall second of the decode-only pass.
    pub decode_only_images_per_s: f64,
    /// CPU seconds (this process and its decoder processes) of the decode-only pass, fastest
    /// round; less disturbed than wall time by other work on the machine.
    pub decode_only_cpu_s: f64,
    /// CPU seconds of the full pass (fastest round).
    pub full_cpu_s: f64,
    /// Frames of the full pass: frames sampled and hashed (each as several views) for a scan;
    /// frames stored for indexing.
    pub hashes: u64,
}

/// CPU seconds used so far by this process (every thread) and by its finished children (the
/// ffmpeg / ffprobe processes), user + system.
fn cpu_seconds() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage only writes the rusage struct it is given, which is zeroed and
        // owned here.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } == 0 {
            let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            total += tv(usage.ru_utime) + tv(usage.ru_stime);
        }
    }
    total
}

/// What the decode-only pass found out about the files.
#[derive(Debug, Default)]
struct Inventory {
    /// Media seconds per file (0 for stills and failures).
    seconds: HashMap<PathBuf, f64>,
    media_seconds: f64,
    frames: u64,
    images: usize,
    videos: usize,
    errors: usize,
}

/// Reads every file once so that both passes find them in the page cache.
fn warm_cache(files: &[PathBuf]) {
    let mut buf = vec![0u8; 1 << 20];
    for f in files
        .iter()
        .filter(|f| std::fs::metadata(f).is_ok_and(|m| m.is_file()))
    {
        if let Ok(mut file) = std::fs::File::open(f) {
            while matches!(file.read(&mut buf), Ok(n) if n > 0) {}
        }
    }
}

fn pool(jobs: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| {
            crate::error::Error::new(
                crate::error::ErrorKind::Config,
                format!("cannot start {jobs} threads: {e}"),
            )
        })
}

/// Decodes every file as the full pass would, frames discarded; returns the wall time and
/// what was decoded.
/// One file's decode-only outcome: (path, (media type, media seconds, frames) when it decoded).
type DecodedFile = (PathBuf, Option<(MediaType, f64, u64)>);
/// The full run of one round: given the round and the media seconds per file, (wall s, frames).
type FullRun<'a> = dyn FnMut(usize, &HashMap<PathBuf, f64>) -> Result<(f64, u64)> + 'a;

fn decode_only(
    files: &[PathBuf],
    options: &DecodeOptions,
    jobs: usize,
    round: usize,
    known: Option<&HashMap<PathBuf, f64>>,
    progress: BenchProgressFn<'_>,
) -> Result<(f64, Inventory)> {
    let pool = pool(jobs)?;
    let done = AtomicUsize::new(0);
    let seconds_done = Mutex::new(0.0f64);
    let total = files.len();
    let started = Instant::now();
    let results: Vec<DecodedFile> = pool.install(|| {
        map_largest_first(
            files,
            |path| file_size(path),
            |path| {
                let mut frames = 0u64;
                let mut last_ms = 0i64;
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    media::decode_file(path, options, &mut |frame| {
                        frames += 1;
                        last_ms = last_ms.max(frame.t_ms);
                        std::hint::black_box(&frame.picture.luma);
                        true
                    })
                }));
                let found = match outcome {
                    Ok(Ok(info)) => {
                        let secs = match info.media {
                            MediaType::Image => 0.0,
                            MediaType::Video => {
                                info.duration_ms.max(last_ms.max(0) as u64) as f64 / 1000.0
                            }
                        };
                        Some((info.media, secs, frames))
                    }
                    _ => None,
                };
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                let secs = found.map(|f| f.1).unwrap_or(0.0);
                let secs = known.and_then(|k| k.get(path).copied()).unwrap_or(secs);
                let mut s = seconds_done.lock().unwrap_or_else(|e| e.into_inner());
                *s += secs;
                progress(Pass::DecodeOnly, round, n, total, *s);
                (path.clone(), found)
            },
        )
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut inv = Inventory::default();
    for (path, found) in results {
        match found {
            Some((media, secs, frames)) => {
                match media {
                    MediaType::Image => inv.images += 1,
                    MediaType::Video => inv.videos += 1,
                }
                inv.media_seconds += secs;
                inv.frames += frames;
                inv.seconds.insert(path, secs);
            }
            None => {
                inv.errors += 1;
                inv.seconds.insert(path, 0.0);
            }
        }
    }
    Ok((elapsed, inv))
}

/// Runs `rounds` rounds of decode-only and `full` (alternating which goes first) and builds
/// the report from the fastest round of each.
fn run_rounds(
    files: &[PathBuf],
    options: &DecodeOptions,
    config: &BenchConfig,
    pass: Pass,
    progress: BenchProgressFn<'_>,
    full: &mut FullRun<'_>,
) -> Result<ThroughputReport> {
    warm_cache(files);
    let rounds = config.rounds.max(1);
    let mut inventory: Option<Inventory> = None;
    let mut decode_times = Vec::with_capacity(rounds);
    let mut full_times = Vec::with_capacity(rounds);
    let mut decode_cpu = Vec::with_capacity(rounds);
    let mut full_cpu = Vec::with_capacity(rounds);
    let mut hashes = 0;
    for round in 1..=rounds {
        let decode_first = round % 2 == 1 || inventory.is_none();
        let mut run_decode = |inventory: &mut Option<Inventory>| -> Result<()> {
            let known = inventory.as_ref().map(|i| &i.seconds);
            let cpu = cpu_seconds();
            let (t, inv) = decode_only(files, options, config.jobs, round, known, progress)?;
            decode_times.push(t);
            decode_cpu.push(cpu_seconds() - cpu);
            if inventory.is_none() {
                *inventory = Some(inv);
            }
            Ok(())
        };
        if decode_first {
            run_decode(&mut inventory)?;
        }
        let seconds = &inventory
            .as_ref()
            .map(|i| i.seconds.clone())
            .unwrap_or_default();
        let cpu = cpu_seconds();
        let (t, h) = full(round, seconds)?;
        full_cpu.push(cpu_seconds() - cpu);
        full_times.push(t);
        hashes = h;
        if !decode_first {
            run_decode(&mut inventory)?;
        }
    }
    let inv = inventory.unwrap_or_default();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let decode_s = min(&decode_times);
    let full_s = min(&full_times);
    let per_s = |x: f64, t: f64| if t > 0.0 { x / t } else { 0.0 };
    Ok(ThroughputReport {
        files: files.len(),
        // Summed per file: rounded to the millisecond (not 177.31900000000002).
        media_seconds: (inv.media_seconds * 1000.0).round() / 1000.0,
        frames: inv.frames,
        decode_only_s: decode_s,
        scan_s: full_s,
        // No frame decoded (every file failed): nothing was measured.
        ratio: if inv.frames == 0 {
            f64::NAN
        } else {
            per_s(full_s, decode_s)
        },
        media_seconds_per_s: per_s(inv.media_seconds, full_s),
        images_per_s: per_s(inv.images as f64, full_s),
        detail: ThroughputDetail {
            pass: Some(pass),
            jobs: config.jobs,
            images: inv.images,
            videos: inv.videos,
            errors: inv.errors,
            decode_only_cpu_s: min(&decode_cpu),
            full_cpu_s: min(&full_cpu),
            decode_only_rounds_s: decode_times,
            full_rounds_s: full_times,
            decode_only_media_seconds_per_s: per_s(inv.media_seconds, decode_s),
            decode_only_images_per_s: per_s(inv.images as f64, decode_s),
            hashes,
        },
    })
}

/// Progress of a full pass: media seconds looked up from the decode pass by path.
fn full_progress<'a>(
    pass: Pass,
    round: usize,
    seconds: &'a HashMap<PathBuf, f64>,
    progress: BenchProgressFn<'a>,
) -> impl Fn(usize, usize, &Path) + Sync + 'a {
    let done_seconds = Mutex::new(0.0f64);
    move |n, total, path| {
        let mut s = done_seconds.lock().unwrap_or_else(|e| e.into_inner());
        *s += seconds.get(path).copied().unwrap_or(0.0);
        progress(pass, round, n, total, *s);
    }
}

/// `swordnet bench scan`: decode-only vs the full scan of `files` with `engine` (nothing
/// stored). The decode options are the engine's ([`Engine::options`]).
pub fn scan(
    engine: &Engine,
    files: &[PathBuf],
    config: &BenchConfig,
    progress: BenchProgressFn<'_>,
) -> Result<ThroughputReport> {
    let options = engine.options().decode;
    run_rounds(
        files,
        &options,
        config,
        Pass::Scan,
        progress,
        &mut |round, seconds| {
            let on_file = full_progress(Pass::Scan, round, seconds, progress);
            let started = Instant::now();
            let reports = scan_batch(engine, files, None, config.jobs.max(1), &on_file)?;
            let elapsed = started.elapsed().as_secs_f64();
            let hashes = reports.iter().map(|r| r.frames as u64).sum();
            Ok((elapsed, hashes))
        },
    )
}

/// A temporary catalogue file, removed (with its WAL files) when dropped.
struct TempCatalogue(PathBuf);

impl TempCatalogue {
    fn new(round: usize) -> TempCatalogue {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        TempCatalogue(std::env::temp_dir().join(format!(
            "swordnet-bench-{}-{round}-{nanos}.db",
            std::process::id()
        )))
    }
}

impl Drop for TempCatalogue {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// `swordnet bench index`: decode-only vs indexing `files` (as protected works, with
/// `options`, hash `algorithm`) into a fresh temporary catalogue each round, removed after.
pub fn index(
    files: &[PathBuf],
    options: &DecodeOptions,
    algorithm: Algorithm,
    min_quality: u8,
    config: &BenchConfig,
    progress: BenchProgressFn<'_>,
) -> Result<ThroughputReport> {
    let works: Vec<(PathBuf, WorkMeta)> = files
        .iter()
        .map(|f| (f.clone(), WorkMeta::default()))
        .collect();
    run_rounds(
        files,
        options,
        config,
        Pass::Index,
        progress,
        &mut |round, seconds| {
            let temp = TempCatalogue::new(round);
            let catalogue = Catalogue::open(&temp.0, Some(algorithm))?;
            let on_file = full_progress(Pass::Index, round, seconds, progress);
            let started = Instant::now();
            let results = index_batch(
                &catalogue,
                &works,
                options,
                min_quality,
                config.jobs.max(1),
                &|done, total, path, _| on_file(done, total, path),
            )?;
            let elapsed = started.elapsed().as_secs_f64();
            let frames = results
                .iter()
                .map(|(_, r)| match r {
                    Ok(crate::engine::IndexOutcome::Added { frames, .. }) => *frames as u64,
                    _ => 0,
                })
                .sum();
            drop(catalogue);
            Ok((elapsed, frames))
        },
    )
}

//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use swordnet::hash::Algorithm;
use swordnet::media::video::DecoderChoice;
use swordnet::sampler::SamplePlan;

/// swordnet: find copies of protected videos and images among uploads.
#[derive(Parser, Debug)]
#[command(name = "swordnet", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Add protected works (files or folders, recursive) to a catalogue.
    Index(IndexArgs),
    /// Scan uploads (files or folders) for copies of catalogued works.
    Scan(ScanArgs),
    /// List, show, change or remove works.
    Works(WorksArgs),
    /// Scan a folder of uploads and score the verdicts against a truth CSV.
    Eval(EvalArgs),
    /// Build a catalogue from samples/ and scan the sample uploads.
    Demo(DemoArgs),
    /// Print the fingerprint of a file (time, hash, quality per frame).
    Hash(HashArgs),
    /// Measure swordnet on this machine (search index: `bench search`).
    Bench(BenchArgs),
    /// Re-render a stored scan: HTML evidence report, takedown list, JSON Lines, CSV or table.
    Report(ReportArgs),
    /// Write a catalogue's PDQ frame hashes for exchange (ThreatExchange / HMA CSV).
    Export(ExportArgs),
    /// Build a catalogue from an exchanged PDQ hash list, without media.
    Import(ImportArgs),
}

/// Decoding options shared by the commands that read media.
#[derive(Args, Debug, Clone)]
pub struct DecodeArgs {
    /// Video decoder: auto (ffmpeg if on PATH, else builtin), ffmpeg, builtin (H.264 in MP4/MOV).
    #[arg(long, value_enum, default_value_t = DecoderChoice::Auto)]
    pub decoder: DecoderChoice,
    /// Largest picture area in pixels [default: 50000000].
    #[arg(long)]
    pub max_pixels: Option<u64>,
    /// Largest file size in bytes [default: 8589934592].
    #[arg(long)]
    pub max_bytes: Option<u64>,
    /// Longest video in seconds [default: 14400].
    #[arg(long)]
    pub max_duration: Option<u64>,
    /// Most frames hashed from one file [default: 200000].
    #[arg(long)]
    pub max_frames: Option<u64>,
    /// Seconds a decoder may run on one file before it is killed [default: 600].
    #[arg(long)]
    pub decode_timeout: Option<u64>,
    /// JSON config file with "limits" and "policy" objects (see README).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads, 1 to 256 [default: number of cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
    /// Longest side, in pixels, video frames are scaled to before hashing, 64 to 4096
    /// [default: 512].
    #[arg(long, value_parser = clap::value_parser!(u32).range(64..=4096))]
    pub frame_size: Option<u32>,
}

/// Which orientations of an upload are searched (scan, eval, bench scan).
#[derive(Args, Debug, Clone, Copy)]
pub struct OrientationArgs {
    /// Also search upside-down copies (turned 180°, flipped top to bottom, transposed): all
    /// eight orientations instead of as is, mirrored and quarter turns; twice the search per
    /// frame.
    #[arg(long)]
    pub all_orientations: bool,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// The catalogue (SQLite file, created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// Files or folders to index (may be left out with --manifest).
    #[arg(required_unless_present = "manifest")]
    pub paths: Vec<PathBuf>,
    /// Title (default: file name); only with one file.
    #[arg(long)]
    pub title: Option<String>,
    /// Rights holder for every work of this run.
    #[arg(long)]
    pub rights_holder: Option<String>,
    /// Put these works on the early-warning list (stricter watch).
    #[arg(long)]
    pub key_work: bool,
    /// CSV with columns path,title,rights_holder,key_work (paths relative to the CSV).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Hash algorithm of a new catalogue.
    #[arg(long, value_enum)]
    pub algorithm: Option<Algorithm>,
    /// Reference sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::REFERENCE_DEFAULT)]
    pub sample: SamplePlan,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// Report formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per upload per line.
    Jsonl,
    /// The takedown list: one CSV row per infringing match.
    Csv,
    /// CSV, one row per match of every upload (clean and error uploads get one row too).
    CsvAll,
    /// A readable table.
    Table,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The catalogue.
    #[arg(long)]
    pub db: PathBuf,
    /// Upload files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the report here (default, or "-": standard output).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// JSON Lines, as `--format jsonl` (the default; accepted like `--json` of the other
    /// commands).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Upload sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::QUERY_DEFAULT)]
    pub sample: SamplePlan,
    #[command(flatten)]
    pub orientations: OrientationArgs,
    /// Continue the latest scan: skip uploads it already judged.
    #[arg(long)]
    pub resume: bool,
    /// Also write the HTML evidence report (self-contained, with thumbnails) here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Also write the takedown list (CSV, one row per infringing match) here.
    #[arg(long)]
    pub takedown: Option<PathBuf>,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Debug)]
pub struct WorksArgs {
    /// The catalogue.
    #[arg(long)]
    pub db: PathBuf,
    #[command(subcommand)]
    pub action: WorksAction,
}

#[derive(Subcommand, Debug)]
pub enum WorksAction {
    /// List every work.
    List {
        /// JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one work with the standard hash (view 0) of each sampled frame: time (ms), hash,
    /// quality.
    Show {
        /// Work id.
        id: i64,
        /// Also list the extra views of each frame (crops, rotations: 130-210 per frame), with
        /// their view id in a fourth column.
        #[arg(long)]
        all_views: bool,
    },
    /// Remove a work and its frame hashes.
    Remove {
        /// Work id.
        id: i64,
    },
    /// Change a work's title, rights holder or key-work flag (at least one of them).
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["title", "rights_holder", "key_work"])))]
    Set {
        /// Work id.
        id: i64,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New rights holder ("" clears it).
        #[arg(long)]
        rights_holder: Option<String>,
        /// true or false.
        #[arg(long)]
        key_work: Option<bool>,
    },
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The catalogue (references already indexed).
    #[arg(long)]
    pub db: PathBuf,
    /// truth.csv (columns as in corpus/dev/truth.csv).
    #[arg(long)]
    pub truth: PathBuf,
    /// Folder of uploads.
    pub queries: PathBuf,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the scan report (JSON Lines) here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// List every wrong call.
    #[arg(long)]
    pub mistakes: bool,
    /// Upload sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::QUERY_DEFAULT)]
    pub sample: SamplePlan,
    #[command(flatten)]
    pub orientations: OrientationArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder with references/ and queries/ (default: the samples/ folder of this source tree).
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// Keep the demo catalogue here instead of a temporary file.
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Debug)]
pub struct HashArgs {
    /// The file.
    pub file: PathBuf,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print every view hashed for an upload (crops, content block, uncropped), not only view 0.
    #[arg(long)]
    pub query_views: bool,
    /// Hash algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Pdq)]
    pub algorithm: Algorithm,
    /// Sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::REFERENCE_DEFAULT)]
    pub sample: SamplePlan,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchCommand,
}

/// What `swordnet bench` measures.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Linear scan vs multi-index hashing over N hashes: time, exactness, memory.
    Search(BenchSearchArgs),
    /// Decode-only vs full scan of uploads against a catalogue: ratio, media s/s, images/s.
    Scan(BenchScanArgs),
    /// Decode-only vs indexing works into a temporary catalogue.
    Index(BenchIndexArgs),
}

#[derive(Args, Debug)]
pub struct BenchScanArgs {
    /// The catalogue to scan against.
    #[arg(long)]
    pub db: PathBuf,
    /// Upload files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Upload sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::QUERY_DEFAULT)]
    pub sample: SamplePlan,
    #[command(flatten)]
    pub orientations: OrientationArgs,
    #[command(flatten)]
    pub pass: BenchPassArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// How `bench scan` and `bench index` run and report.
#[derive(Args, Debug)]
pub struct BenchPassArgs {
    /// Rounds of both passes (alternating order); the fastest time of each is reported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub rounds: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Measure videos and images apart (by their first bytes; GIFs count as video): one report
    /// per kind, videos first (with --json one JSON object per line, same keys).
    #[arg(long)]
    pub by_media: bool,
}

#[derive(Args, Debug)]
pub struct BenchIndexArgs {
    /// Work files or folders (indexed into a temporary catalogue, removed after).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Reference sampling: fps:N, ms:N or keyframes.
    #[arg(long, default_value_t = SamplePlan::REFERENCE_DEFAULT)]
    pub sample: SamplePlan,
    /// Hash algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Pdq)]
    pub algorithm: Algorithm,
    #[command(flatten)]
    pub pass: BenchPassArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Debug)]
pub struct BenchSearchArgs {
    /// Random hashes to index, up to 100,000,000 (about 3.2 GB for the hashes alone, more
    /// for the indexes).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub hashes: u64,
    /// Search radius of the timed queries, bits (0–256).
    #[arg(long, default_value_t = 31, value_parser = clap::value_parser!(u32).range(0..=256))]
    pub radius: u32,
    /// Timed queries (the same ones through both indexes).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Also index every frame hash of this catalogue (real hashes).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Substrings of the multi-index hash [default: 256 / log2(hashes), 12..=16].
    #[arg(long, value_parser = clap::value_parser!(u16).range(11..=64))]
    pub substrings: Option<u16>,
    /// Strided substrings (bits t, t + m, ...) instead of contiguous runs [default: strided
    /// below 16 substrings].
    #[arg(long)]
    pub strided: Option<bool>,
    /// Seed of the random hashes and queries.
    #[arg(long, default_value_t = 0x5eed_2012)]
    pub seed: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The catalogue.
    #[arg(long)]
    pub db: PathBuf,
    /// Scan id [default: the latest scan].
    #[arg(long)]
    pub scan: Option<i64>,
    /// Write the HTML evidence report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the takedown list (CSV, one row per infringing match) here.
    #[arg(long)]
    pub takedown: Option<PathBuf>,
    /// Write the report in --format here ("-": standard output, as without --report when
    /// neither --html nor --takedown is given, or when --format is).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Report format [default: jsonl]; given with --html or --takedown, the report is also
    /// printed.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Video decoder for the thumbnails: auto (ffmpeg if on PATH), ffmpeg, builtin.
    #[arg(long, value_enum, default_value_t = DecoderChoice::Auto)]
    pub decoder: DecoderChoice,
    /// Longest side of the thumbnails in pixels (0: no thumbnails).
    #[arg(long, default_value_t = 240)]
    pub thumbnail_size: u32,
}

/// Hash exchange formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeFormat {
    /// One PDQ frame hash per line: 64 hex, quality, t_ms, work id, title, rights holder,
    /// key work, media, duration ms, width, height (no header; Meta's PDQ tools' layout).
    PdqCsv,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The catalogue (PDQ).
    #[arg(long)]
    pub db: PathBuf,
    /// Format.
    #[arg(long, value_enum, default_value_t = ExchangeFormat::PdqCsv)]
    pub format: ExchangeFormat,
    /// Export only the standard PDQ hash of each frame (view 0, 11 columns), for tools that
    /// want one hash per frame. By default every view of every frame is written (crops and
    /// rotations, view id in a 12th column; 50-200x more lines), so that an import matches
    /// exactly like this catalogue.
    #[arg(long)]
    pub primary_only: bool,
    /// Every view (the default; kept for scripts written before it was).
    #[arg(long, hide = true, conflicts_with = "primary_only")]
    pub all_views: bool,
    /// Output file ("-": standard output).
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The hash list ("-": standard input).
    pub file: PathBuf,
    /// The catalogue to add the works to (created if missing; PDQ).
    #[arg(long)]
    pub db: PathBuf,
    /// Format.
    #[arg(long, value_enum, default_value_t = ExchangeFormat::PdqCsv)]
    pub format: ExchangeFormat,
}

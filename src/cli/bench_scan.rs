//! `swordnet bench scan` and `swordnet bench index`: decode-only vs the full pass, printed.

use super::args::{BenchIndexArgs, BenchScanArgs};
use super::{config, progress, scan};
use swordnet::bench::{self, BenchConfig, Pass, ThroughputReport};
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::scan::collect_inputs;

/// The files named (folders expanded); a missing path is an error of the run.
fn inputs(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>> {
    let (files, missing) = collect_inputs(paths);
    if let Some((_, err)) = missing.into_iter().next() {
        return Err(err);
    }
    if files.is_empty() {
        return Err(Error::new(ErrorKind::Config, "no media files to measure"));
    }
    Ok(files)
}

/// The files split into videos (GIFs included) and still images, by their first bytes;
/// unrecognised files go with the videos (they fail the same way in both passes).
fn by_media(files: Vec<std::path::PathBuf>) -> Vec<(&'static str, Vec<std::path::PathBuf>)> {
    use swordnet::media::sniff::{sniff_path, Sniffed};
    let (mut videos, mut images) = (Vec::new(), Vec::new());
    for f in files {
        match sniff_path(&f).unwrap_or(Sniffed::Unknown) {
            Sniffed::Image(image::ImageFormat::Gif) => videos.push(f),
            Sniffed::Image(_) => images.push(f),
            _ => videos.push(f),
        }
    }
    [("videos", videos), ("images", images)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Runs `measure` over `files` (or over each media kind apart with `split`) and prints each
/// report.
fn run_split(
    files: Vec<std::path::PathBuf>,
    split: bool,
    json: bool,
    mut measure: impl FnMut(&[std::path::PathBuf]) -> Result<ThroughputReport>,
) -> Result<()> {
    let groups = if split {
        by_media(files)
    } else {
        vec![("", files)]
    };
    for (kind, group) in groups {
        if !kind.is_empty() && !json {
            println!("== {kind}");
        }
        let report = measure(&group)?;
        print(&report, json, kind)?;
    }
    Ok(())
}

/// Runs `measure` with one progress bar per pass and round (hidden when stderr is not a
/// terminal).
fn with_bars(
    measure: impl FnOnce(bench::BenchProgressFn<'_>) -> Result<ThroughputReport>,
) -> Result<ThroughputReport> {
    let current: std::sync::Mutex<Option<(Pass, usize, indicatif::ProgressBar)>> =
        std::sync::Mutex::new(None);
    let on_progress = |pass: Pass, round: usize, done: usize, total: usize, seconds: f64| {
        let mut cur = current.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = !matches!(&*cur, Some((p, r, _)) if *p == pass && *r == round);
        if fresh {
            if let Some((_, _, bar)) = cur.take() {
                bar.finish_and_clear();
            }
            let label = format!("{} (round {round})", pass.as_str());
            *cur = Some((pass, round, progress::bar(total, &label)));
        }
        if let Some((_, _, bar)) = &*cur {
            bar.set_position(done as u64);
            progress::set_media_seconds(bar, seconds);
        }
    };
    let report = measure(&on_progress);
    if let Some((_, _, bar)) = current.lock().unwrap_or_else(|e| e.into_inner()).take() {
        bar.finish_and_clear();
    }
    report
}

/// Prints the report as JSON (exactly the documented keys, plus `media` naming the group of
/// a `--by-media` run) or as text.
fn print(report: &ThroughputReport, json: bool, media: &str) -> Result<()> {
    if json {
        let internal = |e: serde_json::Error| Error::new(ErrorKind::Internal, e.to_string());
        let mut text = serde_json::to_string(report).map_err(internal)?;
        if !media.is_empty() && text.ends_with('}') {
            // Appended, so that the documented keys keep their order.
            text.pop();
            let name = serde_json::to_string(media).map_err(internal)?;
            text.push_str(&format!(",\"media\":{name}}}"));
        }
        println!("{text}");
        return Ok(());
    }
    let d = &report.detail;
    let full = d.pass.unwrap_or(Pass::Scan).as_str();
    let rounds = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "files                {} ({} videos, {} images, {} unreadable), {} jobs",
        report.files, d.videos, d.images, d.errors, d.jobs
    );
    println!("media seconds        {:.1}", report.media_seconds);
    println!("frames decoded       {}", report.frames);
    println!(
        "decode only          {:.2} s wall (rounds: {}), {:.1} media s/s, {:.1} images/s",
        report.decode_only_s,
        rounds(&d.decode_only_rounds_s),
        d.decode_only_media_seconds_per_s,
        d.decode_only_images_per_s
    );
    println!(
        "{full:<20} {:.2} s wall (rounds: {}), {:.1} media s/s, {:.1} images/s",
        report.scan_s,
        rounds(&d.full_rounds_s),
        report.media_seconds_per_s,
        report.images_per_s
    );
    if d.hashes > 0 {
        let what = if d.pass == Some(Pass::Index) {
            "frames stored"
        } else {
            "frames hashed"
        };
        println!("{what:<20} {}", d.hashes);
    }
    println!(
        "cpu                  {:.1} s decode only, {:.1} s {full} (ratio {:.2})",
        d.decode_only_cpu_s,
        d.full_cpu_s,
        if d.decode_only_cpu_s > 0.0 {
            d.full_cpu_s / d.decode_only_cpu_s
        } else {
            0.0
        }
    );
    if report.ratio.is_finite() {
        println!("ratio {full}/decode   {:.2}", report.ratio);
    } else {
        println!("ratio {full}/decode   n/a (no frame decoded)");
    }
    Ok(())
}

/// `swordnet bench scan`.
pub fn scan(args: BenchScanArgs) -> Result<u8> {
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    let (_catalogue, engine) =
        scan::engine_for(&args.db, decode, policy, args.orientations.all_orientations)?;
    let files = inputs(&args.paths)?;
    let bench_config = BenchConfig {
        jobs: config::jobs(&args.decode),
        rounds: args.pass.rounds as usize,
    };
    run_split(files, args.pass.by_media, args.pass.json, |files| {
        with_bars(|p| bench::scan(&engine, files, &bench_config, p))
    })?;
    Ok(0)
}

/// `swordnet bench index`.
pub fn index(args: BenchIndexArgs) -> Result<u8> {
    let (decode, policy) = config::options(&args.decode, args.sample)?;
    let files = inputs(&args.paths)?;
    let bench_config = BenchConfig {
        jobs: config::jobs(&args.decode),
        rounds: args.pass.rounds as usize,
    };
    run_split(files, args.pass.by_media, args.pass.json, |files| {
        with_bars(|p| {
            bench::index(
                files,
                &decode,
                args.algorithm,
                policy.min_quality,
                &bench_config,
                p,
            )
        })
    })?;
    Ok(0)
}

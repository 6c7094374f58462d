//! `swordnet demo`: index samples/references, scan samples/queries, print a table.

use super::args::DemoArgs;
use super::{config, scan};
use std::path::PathBuf;
use swordnet::engine::{Engine, EngineOptions, IndexOutcome, WorkMeta};
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::eval;
use swordnet::report;
use swordnet::sampler::SamplePlan;
use swordnet::scan::{collect_inputs, index_batch};
use swordnet::store::Catalogue;

/// Runs the demo; returns 0 (or 1 on failure).
pub fn run(args: DemoArgs) -> Result<u8> {
    let samples = args
        .samples
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples"));
    let references = samples.join("references");
    let queries = samples.join("queries");
    if !references.is_dir() || !queries.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            "samples folder needs references/ and queries/",
        )
        .with_path(&samples));
    }
    let db = args.db.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("swordnet-demo-{}.db", std::process::id()))
    });
    let temporary = args.db.is_none();
    let (decode, policy) = config::options(&args.decode, SamplePlan::REFERENCE_DEFAULT)?;
    let jobs = config::jobs(&args.decode);
    let result = (|| -> Result<u8> {
        let catalogue = Catalogue::open(&db, None)?;
        let (files, _) = collect_inputs(std::slice::from_ref(&references));
        let works: Vec<(PathBuf, WorkMeta)> = files
            .into_iter()
            .map(|f| (f, WorkMeta::default()))
            .collect();
        println!(
            "Indexing {} protected works from {} ...",
            works.len(),
            references.display()
        );
        for (path, outcome) in index_batch(
            &catalogue,
            &works,
            &decode,
            policy.min_quality,
            jobs,
            &|_, _, _, _| {},
        )? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match outcome {
                Ok(IndexOutcome::Added { work_id, frames }) => {
                    println!("  work {work_id:>2}  {name:<36} {frames:>4} frame hashes")
                }
                Ok(IndexOutcome::AlreadyIndexed { work_id, .. }) => {
                    println!("  work {work_id:>2}  {name:<36} already indexed")
                }
                Err(e) => println!("  error    {name:<36} {}: {}", e.kind, e.message),
            }
        }
        let query_decode = swordnet::media::DecodeOptions {
            plan: SamplePlan::QUERY_DEFAULT,
            ..decode
        };
        let engine = Engine::from_catalogue(
            &catalogue,
            EngineOptions {
                decode: query_decode,
                policy,
                ..EngineOptions::default()
            },
        )?;
        println!("\nScanning uploads in {} ...\n", queries.display());
        let (scan_id, reports) = scan::scan_paths(
            &catalogue,
            &engine,
            std::slice::from_ref(&queries),
            jobs,
            false,
        )?;
        print!("{}", report::table::render(&reports));
        let summary = report::summary::Summary::of(&reports);
        println!(
            "\nscan {scan_id}: {} uploads: {} infringing, {} review, {} clean, {} error",
            summary.uploads,
            summary.by_verdict.get("infringing").unwrap_or(&0),
            summary.by_verdict.get("review").unwrap_or(&0),
            summary.by_verdict.get("clean").unwrap_or(&0),
            summary.by_verdict.get("error").unwrap_or(&0)
        );
        let truth = samples.join("truth.csv");
        if truth.is_file() {
            let figures = eval::evaluate(&eval::read_truth(&truth)?, &reports);
            println!(
                "against samples/truth.csv: precision {:.3}, recall {:.3}, false-positive rate {:.3}",
                figures.precision, figures.recall, figures.false_positive_rate
            );
        }
        println!("(times are seconds: upload range, work range; speed = work s per upload s; dist = mean Hamming distance of 256 bits)");
        Ok(0)
    })();
    if temporary {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    result
}

//! `swordnet bench ...`: measurements on this machine.

use super::args::{BenchArgs, BenchCommand, BenchSearchArgs};
use swordnet::error::Result;
use swordnet::search::bench::{self, SearchBenchConfig};
use swordnet::search::mih::MihLayout;
use swordnet::verdict::Policy;

/// `swordnet bench ...`.
pub fn run(args: BenchArgs) -> Result<u8> {
    match args.what {
        BenchCommand::Search(a) => search(a),
        BenchCommand::Scan(a) => super::bench_scan::scan(a),
        BenchCommand::Index(a) => super::bench_scan::index(a),
    }
}

/// `swordnet bench search`.
fn search(args: BenchSearchArgs) -> Result<u8> {
    let real_hashes = match &args.db {
        Some(db) => {
            let catalogue = super::open_existing(db)?;
            catalogue
                .all_frames()?
                .into_iter()
                .map(|f| f.hash)
                .collect()
        }
        None => Vec::new(),
    };
    // One upload searched with the policy's real radii: video first (the headline, by
    // seed-and-extend from the policy's seed radius, as the engine does), then plain searches
    // at the image match and review thresholds and at the seed radius alone.
    let policy = Policy::default();
    let config = SearchBenchConfig {
        hashes: args.hashes as usize,
        real_hashes,
        radius: args.radius,
        queries: args.queries,
        seed: args.seed,
        layout: match (args.substrings, args.strided) {
            (None, None) => None,
            (m, strided) => {
                let layout = match m {
                    Some(m) => MihLayout::uniform(m.into()),
                    None => MihLayout::for_len(args.hashes as usize),
                };
                let strided = strided.unwrap_or_else(|| layout.is_strided());
                Some(layout.strided(strided))
            }
        },
        upload_radii: {
            let mut radii = vec![policy.video_radius];
            for r in [
                policy.standard.image_max_distance,
                policy.standard.image_review_distance,
                policy.seed_radius,
            ] {
                if !radii.contains(&r) {
                    radii.push(r);
                }
            }
            radii
        },
        seed_radius: policy.seed_radius,
        ..SearchBenchConfig::default()
    };
    let r = bench::run(&config);
    if args.json {
        let json = serde_json::json!({
            "build_s": r.build_s,
            "linear_ms_per_query": r.linear_ms_per_query,
            "index_ms_per_query": r.index_ms_per_query,
            "speedup": r.speedup,
            "identical": r.identical,
            "index_bytes": r.index_bytes,
            "peak_rss_bytes": r.peak_rss_bytes,
            "upload_ms": r.upload_ms,
        });
        println!("{json}");
    } else {
        let mb = |b: u64| b as f64 / 1e6;
        println!(
            "hashes indexed      {} ({} real), radius {}, {} queries ({} hits, {} empty)",
            r.indexed, r.real_hashes, r.radius, r.queries, r.hits, r.empty_queries
        );
        println!(
            "index layout        {} {} substrings of {:?} bits",
            r.layout.len(),
            if r.strided { "strided" } else { "contiguous" },
            r.layout
        );
        println!("build               {:.2} s", r.build_s);
        println!(
            "per query           {:.0} buckets probed, {:.0} candidates checked ({} queries scanned instead)",
            r.probes_per_query, r.candidates_per_query, r.scanned_queries
        );
        println!(
            "linear scan         {:.3} ms/query (blocked, one thread; CPU {:.3} ms)",
            r.linear_ms_per_query, r.linear_cpu_ms_per_query
        );
        println!(
            "index               {:.4} ms/query (one thread; CPU {:.4} ms)",
            r.index_ms_per_query, r.index_cpu_ms_per_query
        );
        println!("speedup             {:.1}x", r.speedup);
        println!(
            "identical results   {}{}",
            if r.identical { "yes" } else { "NO" },
            if r.mismatches > 0 {
                format!(" ({} result sets differ)", r.mismatches)
            } else {
                String::new()
            }
        );
        println!("index memory        {:.1} MB", mb(r.index_bytes as u64));
        println!("peak RSS            {:.1} MB", mb(r.peak_rss_bytes));
        for u in &r.uploads {
            let how = match u.seed_radius {
                Some(seed) => format!("radius {} (seed {seed} + extend)", u.radius),
                None => format!("radius {}", u.radius),
            };
            println!(
                "upload, {} hashes  {:.2} ms at {how} ({:.2} ms on one thread, CPU {:.2} ms; {:.0} hits)",
                config.upload_hashes, u.ms, u.single_thread_ms, u.single_thread_cpu_ms, u.hits
            );
        }
    }
    Ok(if r.identical { 0 } else { 1 })
}

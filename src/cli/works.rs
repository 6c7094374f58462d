//! `swordnet works` and `swordnet hash`.

use super::args::{HashArgs, WorksAction, WorksArgs};
use super::config;
use swordnet::error::Result;
use swordnet::fingerprint::{fingerprint_file, Role};
use swordnet::hash::hasher_for;
use swordnet::paths::display_path;

/// `swordnet works ...`.
pub fn run(args: WorksArgs) -> Result<u8> {
    let catalogue = super::open_existing(&args.db)?;
    match args.action {
        WorksAction::List { json } => {
            let works = catalogue.works()?;
            if json {
                for w in &works {
                    println!("{}", serde_json::to_string(w).unwrap_or_default());
                }
            } else {
                println!(
                    "{:>5}  {:<30} {:<20} {:<4} {:<6} {:>9} {:>7}",
                    "id", "title", "rights holder", "key", "media", "duration", "frames"
                );
                // Titles and rights holders may come from a third-party list: control
                // characters (terminal escapes, newlines, direction overrides) are escaped.
                let shown = |s: &str| swordnet::paths::escape_bytes(s.as_bytes());
                for w in &works {
                    println!(
                        "{:>5}  {:<30} {:<20} {:<4} {:<6} {:>8.1}s {:>7}",
                        w.id,
                        shown(&w.title),
                        shown(w.rights_holder.as_deref().unwrap_or("-")),
                        if w.key_work { "yes" } else { "no" },
                        w.media,
                        w.duration_ms as f64 / 1000.0,
                        w.frame_count
                    );
                }
                eprintln!(
                    "{} works, algorithm {}",
                    works.len(),
                    catalogue.algorithm().id()
                );
            }
        }
        WorksAction::Show { id, all_views } => {
            let w = catalogue.work(id)?;
            println!("{}", serde_json::to_string_pretty(&w).unwrap_or_default());
            let frames = catalogue.frames_of(id)?;
            let extra = frames.iter().filter(|f| f.view != 0).count();
            for f in frames.iter().filter(|f| all_views || f.view == 0) {
                let hash = f.hash.to_hex(catalogue.algorithm());
                if all_views {
                    println!("{:>9}  {hash}  q{:<3}  view {}", f.t_ms, f.quality, f.view);
                } else {
                    println!("{:>9}  {hash}  q{}", f.t_ms, f.quality);
                }
            }
            if !all_views && extra > 0 {
                eprintln!("({extra} hashes of extra views not listed: --all-views lists them)");
            }
        }
        WorksAction::Remove { id } => {
            catalogue.remove_work(id)?;
            println!("removed work {id}");
        }
        WorksAction::Set {
            id,
            title,
            rights_holder,
            key_work,
        } => {
            catalogue.update_work(id, title.as_deref(), rights_holder.as_deref(), key_work)?;
            let w = catalogue.work(id)?;
            println!(
                "work {id}: title {:?}, rights holder {:?}, key work {}",
                w.title,
                w.rights_holder.as_deref().unwrap_or(""),
                w.key_work
            );
        }
    }
    Ok(0)
}

/// `swordnet hash FILE`.
pub fn hash(args: HashArgs) -> Result<u8> {
    let (decode, _) = config::options(&args.decode, args.sample)?;
    let hasher = hasher_for(args.algorithm);
    let role = if args.query_views {
        Role::Query
    } else {
        Role::Plain
    };
    let fp = fingerprint_file(&args.file, &decode, hasher.as_ref(), role)?;
    // Without --query-views only view 0 (a low-contrast frame also gets a stretched view).
    let shown: Vec<_> = fp
        .frames
        .iter()
        .filter(|f| args.query_views || f.view == 0)
        .collect();
    if args.json {
        let frames: Vec<_> = shown
            .iter()
            .map(|f| serde_json::json!({"t_ms": f.t_ms, "view": f.view, "hash": f.hash.to_hex(args.algorithm), "quality": f.quality}))
            .collect();
        let doc = serde_json::json!({
            "file": display_path(&args.file),
            "algorithm": args.algorithm.id(),
            "media": fp.media.as_str(),
            "width": fp.width,
            "height": fp.height,
            "duration_ms": fp.duration_ms,
            "active_area": fp.active_area,
            "frames": frames,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!(
            "# {} {} {}x{} {} ms {}",
            display_path(&args.file),
            fp.media.as_str(),
            fp.width,
            fp.height,
            fp.duration_ms,
            args.algorithm.id()
        );
        for f in &shown {
            println!(
                "{:>9}  {}  {:>3}  view {}",
                f.t_ms,
                f.hash.to_hex(args.algorithm),
                f.quality,
                f.view
            );
        }
    }
    Ok(0)
}

//! The command-line layer: parses arguments, calls the library, prints. Exit codes:
//! 0 nothing infringing and no per-file error; 1 the run itself failed; 2 bad command line;
//! 4 at least one upload infringing; 8 at least one upload (or work) could not be read;
//! 12 both 4 and 8.

pub mod args;
mod bench;
mod bench_scan;
mod config;
mod demo;
mod exchange;
mod index;
mod interrupt;
mod outputs;
mod progress;
mod report;
mod scan;
mod works;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// Exit code bit: at least one upload infringing.
pub const EXIT_INFRINGING: u8 = 4;
/// Exit code: bad command line (as clap's own refusals).
pub const EXIT_USAGE: u8 = 2;
/// Exit code bit: at least one file could not be read.
pub const EXIT_FILE_ERRORS: u8 = 8;

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index(a) => index::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Works(a) => works::run(a),
        Command::Eval(a) => scan::eval(a),
        Command::Demo(a) => demo::run(a),
        Command::Hash(a) => works::hash(a),
        Command::Bench(a) => bench::run(a),
        Command::Report(a) => report::run(a),
        Command::Export(a) => exchange::export(a),
        Command::Import(a) => exchange::import(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("swordnet: {e}");
            ExitCode::from(1)
        }
    }
}

/// Opens the catalogue at `db` for a command that reads one: a missing path or an empty file
/// is an error (never turned into a new, empty catalogue).
fn open_existing(db: &std::path::Path) -> swordnet::Result<swordnet::store::Catalogue> {
    use swordnet::error::{Error, ErrorKind};
    let problem = match std::fs::metadata(db) {
        Err(_) => "no catalogue here; create one with `swordnet index`",
        Ok(m) if m.is_file() && m.len() == 0 => {
            "an empty file (0 bytes), not a catalogue; create one with `swordnet index`"
        }
        Ok(_) => return swordnet::store::Catalogue::open(db, None),
    };
    Err(Error::new(ErrorKind::NotFound, problem).with_path(db))
}

/// Warns on standard error when the paths given hold no file to work on (an empty folder, a
/// folder of other files): the run still succeeds, with nothing done, but says so.
fn warn_if_nothing_found(paths: &[std::path::PathBuf], found: usize) {
    if found == 0 {
        let names: Vec<String> = paths
            .iter()
            .map(|p| swordnet::paths::display_path(p))
            .collect();
        eprintln!(
            "swordnet: warning: no image or video file found in {}",
            names.join(", ")
        );
    }
}

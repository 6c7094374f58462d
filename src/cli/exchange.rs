//! `swordnet export` and `swordnet import`: PDQ hash lists for exchange (see
//! `swordnet::store::PDQ_CSV_COLUMNS`).

use super::args::{ExportArgs, ImportArgs};
use std::io::Write;
use swordnet::error::{Error, Result};
use swordnet::hash::Algorithm;
use swordnet::store::{parse_pdq_csv, Catalogue};

/// `swordnet export`.
pub fn export(args: ExportArgs) -> Result<u8> {
    super::outputs::check_beside_catalogue(
        &args.db,
        &[("the export file", Some(args.file.as_path()))],
        [],
    )?;
    let catalogue = super::open_existing(&args.db)?;
    let all_views = !args.primary_only;
    let summary = if args.file.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        catalogue.export_pdq_csv(&mut out, all_views)?
    } else {
        let file = std::fs::File::create(&args.file).map_err(|e| Error::io(e, &args.file))?;
        let mut out = std::io::BufWriter::new(file);
        let s = catalogue
            .export_pdq_csv(&mut out, all_views)
            .map_err(|e| e.with_path(&args.file))?;
        out.flush().map_err(|e| Error::io(e, &args.file))?;
        s
    };
    eprintln!(
        "exported {} PDQ hashes of {} works to {}",
        summary.hashes,
        summary.works,
        args.file.display()
    );
    Ok(0)
}

/// `swordnet import`.
pub fn import(args: ImportArgs) -> Result<u8> {
    // The whole list is read and checked before the catalogue is opened: a bad list leaves
    // no new, empty catalogue behind.
    let works = if args.file.as_os_str() == "-" {
        parse_pdq_csv(&mut std::io::stdin().lock())?
    } else {
        let file = std::fs::File::open(&args.file).map_err(|e| Error::io(e, &args.file))?;
        parse_pdq_csv(&mut std::io::BufReader::new(file)).map_err(|e| e.with_path(&args.file))?
    };
    let catalogue = Catalogue::open(&args.db, Some(Algorithm::Pdq))?;
    let summary = catalogue.add_imported_works(&works)?;
    eprintln!(
        "imported {} PDQ hashes: {} works added, {} already present",
        summary.hashes, summary.works, summary.already_present
    );
    Ok(0)
}

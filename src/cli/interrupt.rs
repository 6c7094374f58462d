//! What `scan` and `index` say when they are stopped (Ctrl-C, SIGINT or SIGTERM): what they
//! finished is already stored in the catalogue, one transaction per file, so the user is told
//! how to get it and how to do the rest, and the process exits 128 + the signal.

use std::path::Path;
use std::sync::OnceLock;

/// The message written on a stop, composed before the handler is installed (a signal handler
/// may only call async-signal-safe functions: `write` and `_exit`, no formatting).
static MESSAGE: OnceLock<Vec<u8>> = OnceLock::new();

extern "C" fn on_stop(signal: libc::c_int) {
    if let Some(message) = MESSAGE.get() {
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer lives forever.
        unsafe {
            libc::write(2, message.as_ptr().cast(), message.len());
        }
    }
    // SAFETY: as above.
    unsafe { libc::_exit(128 + signal) };
}

/// Installs the stop handler of a scan into catalogue `db`.
pub fn explain_scan_stops(db: &Path) {
    let db = swordnet::paths::display_path(db);
    install(format!(
        "\nswordnet: stopped; the uploads judged so far are stored in the catalogue: \
         `swordnet report --db {db}` writes their report, and the same scan command with \
         --resume judges the rest\n"
    ));
}

/// Installs the stop handler of an index run.
pub fn explain_index_stops() {
    install(
        "\nswordnet: stopped; the works indexed so far are stored in the catalogue, and the \
         same index command indexes the rest (stored files are skipped)\n"
            .to_string(),
    );
}

fn install(message: String) {
    if MESSAGE.set(message.into_bytes()).is_ok() {
        let handler = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}

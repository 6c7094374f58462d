//! What `scan` says when it is stopped (Ctrl-C, SIGINT or SIGTERM): the uploads judged so
//! far are already stored in the catalogue, one transaction each, so the user is told how to
//! write their report and how to judge the rest, and the process exits 128 + the signal.

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
pub fn explain_stops(db: &Path) {
    let db = swordnet::paths::display_path(db);
    let message = format!(
        "\nswordnet: stopped; the uploads judged so far are stored in the catalogue: \
         `swordnet report --db {db}` writes their report, and the same scan command with \
         --resume judges the rest\n"
    );
    if MESSAGE.set(message.into_bytes()).is_ok() {
        let handler = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}

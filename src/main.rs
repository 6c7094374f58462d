//! The `swordnet` binary: a thin layer over the library (see `swordnet --help`).

mod cli;

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`swordnet scan ... | head`), as Unix tools do, instead of
    // panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}

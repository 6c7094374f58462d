//! Media sniffing of arbitrary bytes: magic numbers, audio-only and HEIF checks, and the
//! container cut-short walk (MP4 boxes, Matroska elements, RIFF chunks). See `../checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: checks::install_panic_hook(),
    |data: &[u8]| {
        checks::sniff(data);
    }
);

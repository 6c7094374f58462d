//! The builtin decoder's MP4 container probe over arbitrary bytes (box scan, track choice,
//! `avcC` / SPS, sample table). See `../checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: checks::install_panic_hook(),
    |data: &[u8]| {
        let _ = checks::container_probe(data);
    }
);

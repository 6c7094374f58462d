//! Image decoding of arbitrary bytes as an upload gets it (sniffed format, header limits,
//! EXIF orientation, animation frames, truncation checks). See `../checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: checks::install_panic_hook(),
    |data: &[u8]| {
        let _ = checks::image_decode(data);
    }
);

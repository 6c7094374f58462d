//! What each fuzz target runs and checks, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and by the regression test over their corpora and the crashes
//! they found (`tests/fuzz_regressions.rs`), so that both exercise exactly the same code.
//!
//! Every function takes arbitrary bytes, goes through the library the way an upload does, and
//! asserts the contract for untrusted input: no panic, the result is a value (`Ok`, or an
//! `Err` that says what is wrong), and what is handed out respects the limits.

#![allow(dead_code)]

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use swordnet::limits::Limits;
use swordnet::media::image::{decode_image, ImageInfo};
use swordnet::media::sniff::{self, Sniffed};
use swordnet::media::video::openh264::{probe_mp4_bytes, BuiltinError, Mp4VideoInfo};
use swordnet::sampler::SamplePlan;

/// How many leading bytes the library sniffs (`media::decode_file` reads 256).
const HEAD: usize = 256;

/// The limits the image target decodes under: the library's defaults, with a smaller picture
/// (4 megapixels) and animation bound so that one input stays fast; the header checks and the
/// decoders' allocation limit are the same code whatever the numbers.
pub fn image_limits() -> Limits {
    Limits {
        max_pixels: 4_000_000,
        max_frames: 200,
        max_duration_ms: 600_000,
        decode_timeout_s: 10,
        ..Limits::default()
    }
}

/// What the sniffing functions said about one input.
#[derive(Debug)]
pub struct SniffOutcome {
    /// `sniff` on the head, no file name extension.
    pub sniffed: Sniffed,
    /// `audio_only` on the head.
    pub audio: Option<&'static str>,
    /// `heif_brand` on the head.
    pub heif: Option<&'static str>,
    /// `container_cut_short` on the whole input.
    pub cut_short: Option<String>,
}

/// Media sniffing as `media::decode_file` does it: magic bytes of the first 256 bytes, audio-only
/// and HEIF brand checks, and the container structure walk over the whole file. The name
/// (extension) may only matter for TGA, which has no magic number.
pub fn sniff(data: &[u8]) -> SniffOutcome {
    let head = &data[..data.len().min(HEAD)];
    let sniffed = sniff::sniff(head, None);
    assert_eq!(
        sniff::sniff(head, Some("mp4")),
        sniffed,
        "a name changed the sniffed format"
    );
    let as_tga = sniff::sniff(head, Some("tga"));
    if sniffed != Sniffed::Unknown {
        assert_eq!(as_tga, sniffed, "a .tga name overrode a magic number");
    }
    let cut_short = sniff::container_cut_short_bytes(data);
    if let Some(detail) = &cut_short {
        assert!(!detail.is_empty());
    }
    SniffOutcome {
        sniffed,
        audio: sniff::audio_only(head),
        heif: sniff::heif_brand(head),
        cut_short,
    }
}

/// Image decoding as an upload gets it: the format sniffed from the head (named `.tga`, so that
/// bytes without a known magic number go to the TGA decoder, the one format sniffed by name),
/// then `media::image::decode_image` (the same code as the file path, over a cursor) under
/// [`image_limits`]. `None` when the bytes are not sniffed as an image.
///
/// Checks: every frame handed out is a whole picture within the pixel limit; `Ok` hands out at
/// least one frame; an `Err` has a message.
pub fn image_decode(data: &[u8]) -> Option<swordnet::Result<ImageInfo>> {
    let head = &data[..data.len().min(HEAD)];
    let Sniffed::Image(format) = sniff::sniff(head, Some("tga")) else {
        return None;
    };
    let limits = image_limits();
    let mut frames = 0u64;
    let result = decode_image(
        data,
        format,
        &limits,
        SamplePlan::QUERY_DEFAULT,
        512,
        &mut |frame| {
            let p = &frame.picture;
            let pixels = u64::from(p.width) * u64::from(p.height);
            assert_eq!(
                p.luma.len() as u64,
                pixels,
                "picture buffer of the wrong size"
            );
            assert!(
                pixels <= limits.max_pixels,
                "a {}x{} picture was decoded past the {} px limit",
                p.width,
                p.height,
                limits.max_pixels
            );
            frames += 1;
            true
        },
    );
    match &result {
        Ok(info) => {
            assert!(frames >= 1, "Ok without any frame");
            // A frame held longer than the sampling interval is sampled more than once (each
            // 250 ms of its delay), so the samples may outnumber the file's frames, never by
            // more than its duration allows.
            assert!(
                frames <= info.frame_count + info.duration_ms / 250,
                "{frames} samples of {} frames over {} ms",
                info.frame_count,
                info.duration_ms
            );
        }
        Err(e) => assert!(!e.message.is_empty(), "an error without a message"),
    }
    Some(result)
}

/// The builtin decoder's MP4 container probe (`probe_mp4`, over bytes): top-level box scan,
/// box-tree walk, track choice, `avcC` / SPS parsing, sample table. Checks the facts it gives
/// are consistent and an error says what is wrong.
pub fn container_probe(data: &[u8]) -> Result<Mp4VideoInfo, BuiltinError> {
    let result = probe_mp4_bytes(data);
    match &result {
        Ok(info) => {
            assert!(matches!(info.rotation_degrees, 0 | 90 | 180 | 270));
            if !info.has_video {
                assert_eq!((info.width, info.height, info.frame_count), (0, 0, 0));
                assert!(info.codec.is_empty());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an error without a message"),
    }
    result
}

thread_local! {
    /// Panics raised on this thread inside swordnet's own code (or the standard library),
    /// caught or not.
    static OWN_PANICS: Cell<usize> = const { Cell::new(0) };
}

/// How many panics were raised on this thread in swordnet's own code (or the standard
/// library) since [`install_panic_hook`], whether or not something caught them.
pub fn own_panics() -> usize {
    OWN_PANICS.with(Cell::get)
}

/// Whether a panic location is in a third-party crate (from crates.io or a git checkout).
fn in_dependency(file: &str) -> bool {
    let file = file.replace('\\', "/");
    file.contains("/registry/src/") || file.contains("/git/checkouts/")
}

/// Installs a panic hook. A panic raised inside a third-party decoder (the `image` codecs,
/// `re_mp4`) is let through to the library's `catch_unwind`, which turns it into a `Decode` /
/// `Truncated` error: that is the documented contract, not a swordnet crash (it is printed the
/// first few times). Any other panic, in swordnet or the standard library, is counted (see
/// [`own_panics`]) and handed to the previous hook: under libFuzzer that aborts, a crash, even
/// when something would have caught it.
pub fn install_panic_hook() {
    static DEPENDENCY_PANICS: AtomicUsize = AtomicUsize::new(0);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| in_dependency(l.file())) {
            if DEPENDENCY_PANICS.fetch_add(1, Ordering::Relaxed) < 3 {
                eprintln!("(a third-party decoder panicked; swordnet must catch it: {info})");
            }
            return;
        }
        OWN_PANICS.with(|n| n.set(n.get() + 1));
        previous(info);
    }));
}

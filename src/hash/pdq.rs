//! PDQ perceptual image hash (256 bits), bit-exact with Meta's reference.
//!
//! Source: Meta's paper "The TMK+PDQF Video-Hashing Algorithms and the PDQ
//! Image Hashing Algorithm" and the reference implementation in
//! github.com/facebook/ThreatExchange, `pdq/cpp` (`hashing/pdqhashing.cpp`,
//! `downscaling/downscaling.cpp`, `hashing/torben.cpp`,
//! `common/pdqhashtypes.cpp`).
//!
//! Pipeline (arithmetic in the same order as the C++ so that the result is
//! identical bit for bit):
//! 1. luminance `Y = 0.299 R + 0.587 G + 0.114 B` ([`luma_from_rgb8`]);
//!    every later step is `f32`;
//! 2. Jarosz tent filter: two passes of (box filter along rows, then box
//!    filter along columns), window sizes from Meta's
//!    `computeJaroszFilterWindowSize(dim, 64) = ceil(dim / 128)`;
//! 3. decimation to 64x64 by sampling at the target pixel centres;
//! 4. quality from the sum of quantised 64x64 gradients
//!    (`pdqImageDomainQualityMetric`), clamped to 0..=100;
//! 5. the 16x16 low-frequency corner (frequencies 1..=16) of the 2-D DCT-II
//!    of the 64x64 image, as `D A D^T` with a 16x64 DCT matrix;
//! 6. bit `i*16+j` of the hash is set when coefficient `[i][j]` is strictly
//!    greater than the median of the 256 coefficients.
//!
//! The eight dihedral hashes (rotations and flips of the image) are derived
//! from the same DCT by sign changes and transposition, as Meta's
//! `pdqDihedralHash256esFromFloatLuma` does.
//!
//! This file depends only on `std` and has no `unsafe`. The fast paths
//! (lockstep lanes, exact integer sums, shared medians) are checked bit for
//! bit against a literal port of the reference in the unit tests (`pdq/tests.rs`). The
//! filter and decimation live in `pdq/filter.rs`, quality, DCT and bits in `pdq/dct.rs`.

#[cfg(target_arch = "x86_64")]
mod box_rows_avx;
mod crops;
mod dct;
mod filter;
#[cfg(test)]
mod tests;

pub use crops::{jarosz_windows, Filtering, JaroszFiltered};
use dct::*;
use filter::*;

/// 256-bit PDQ hash.
///
/// Bit `i` (Meta's bit index 0..=255, i.e. DCT coefficient index
/// `i = row * 16 + col` of the 16x16 output, as in Meta's C++ `Hash256` where
/// it is bit `i % 16` of the 16-bit word `w[i / 16]`) is stored in
/// `words[i / 64]`, bit `i % 64`.
pub type HashBits = [u64; 4];

/// Result of hashing one image with [`pdq_from_luma`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct PdqOutput {
    /// The PDQ hash of the image as given (Meta's `pdqHash256FromFloatLuma`).
    pub hash: HashBits,
    /// Meta's image-domain quality metric, an integer in `0..=100`
    /// (gradient sum of the 64x64 downsample divided by 90, clamped).
    /// Meta suggests discarding hashes with quality below about 50.
    pub quality: u8,
    /// The eight dihedral hashes, indexed by the `DIHEDRAL_*` constants, in
    /// Meta's order: 0 original, 1 rotate 90, 2 rotate 180, 3 rotate 270,
    /// 4 flip X, 5 flip Y, 6 flip plus-1 (transpose), 7 flip minus-1
    /// (anti-transpose), as returned by Meta's C++
    /// `pdqDihedralHash256esFromFloatLuma`. Entry `i` is approximately (not
    /// bit for bit) the hash of the image transformed accordingly, so
    /// matching a query against all eight finds rotated or mirrored copies.
    pub dihedral: [HashBits; 8],
}

/// Index in [`PdqOutput::dihedral`] of the hash of the original image.
pub const DIHEDRAL_ORIGINAL: usize = 0;
/// Index in [`PdqOutput::dihedral`] of the hash of the image rotated by 90 degrees.
pub const DIHEDRAL_ROTATE_90: usize = 1;
/// Index in [`PdqOutput::dihedral`] of the hash of the image rotated by 180 degrees.
pub const DIHEDRAL_ROTATE_180: usize = 2;
/// Index in [`PdqOutput::dihedral`] of the hash of the image rotated by 270 degrees.
pub const DIHEDRAL_ROTATE_270: usize = 3;
/// Index in [`PdqOutput::dihedral`] of the hash of the image flipped about the
/// horizontal axis (Meta's `FlipX`: rows reversed, i.e. upside down).
pub const DIHEDRAL_FLIP_X: usize = 4;
/// Index in [`PdqOutput::dihedral`] of the hash of the image flipped about the
/// vertical axis (Meta's `FlipY`: columns reversed, i.e. mirrored left-right).
pub const DIHEDRAL_FLIP_Y: usize = 5;
/// Index in [`PdqOutput::dihedral`] of the hash of the image reflected about
/// the main diagonal (Meta's `FlipPlus1`: transpose).
pub const DIHEDRAL_FLIP_PLUS1: usize = 6;
/// Index in [`PdqOutput::dihedral`] of the hash of the image reflected about
/// the anti-diagonal (Meta's `FlipMinus1`).
pub const DIHEDRAL_FLIP_MINUS1: usize = 7;

/// Smallest width and height (pixels) that Meta's reference hashes
/// (`MIN_HASHABLE_DIM`); smaller images give an all-zero hash and quality 0.
pub const MIN_HASHABLE_DIM: usize = 5;

/// Side (pixels) of the square image the input is downsampled to before the DCT.
const DOWNSAMPLE_DIM: usize = 64;
/// Side of the square low-frequency DCT output.
const DCT_DIM: usize = 16;

// Meta's coefficients are written as double literals and stored as `float`;
// going through f64 mirrors that conversion exactly.
const LUMA_FROM_R: f32 = 0.299f64 as f32;
const LUMA_FROM_G: f32 = 0.587f64 as f32;
const LUMA_FROM_B: f32 = 0.114f64 as f32;

type Mat64 = [[f32; DOWNSAMPLE_DIM]; DOWNSAMPLE_DIM];
type Mat16 = [[f32; DCT_DIM]; DCT_DIM];

/// Meta's RGB -> luminance `Y = 0.299 R + 0.587 G + 0.114 B`, as computed by
/// the reference vectors' generator (Meta's C++ through its Python binding
/// `pdqhash`, whose `compute`/`compute_dihedral` evaluate
/// `R*0.299 + G*0.587 + B*0.114` in `f64`, left to right, then round to `f32`).
///
/// This is the exact real value correctly rounded to `f32` in all but
/// astronomically rare cases, so a grey pixel `R = G = B = v` gives exactly
/// `v` (the same luma as [`luma_from_gray8`]). Meta's C++ command-line path
/// (`fillFloatLumaFromRGB`) instead rounds every product and sum to `f32`
/// (see [`luma_from_rgb8_f32`]); the two differ by one `f32` ulp on some
/// pixels, which is invisible on photos but can change many bits of images
/// whose DCT is dominated by rounding noise (e.g. pure one-axis gradients).
///
/// `rgb` is row-major, 3 bytes per pixel (R, G, B), `width * height` pixels;
/// the result is row-major, one `f32` per pixel in `0.0..=255.0`. If `rgb`
/// holds fewer than `width * height` pixels, only the complete pixels present
/// are converted (the result is then shorter than `width * height`, which
/// [`pdq_from_luma`] treats as an empty image).
pub fn luma_from_rgb8(rgb: &[u8], width: usize, height: usize) -> Vec<f32> {
    let n = width.saturating_mul(height).min(rgb.len() / 3);
    rgb[..n * 3]
        .chunks_exact(3)
        .map(|p| {
            (f64::from(p[0]) * 0.299 + f64::from(p[1]) * 0.587 + f64::from(p[2]) * 0.114) as f32
        })
        .collect()
}

/// Meta's C++ RGB -> luminance (`fillFloatLumaFromRGB` in
/// `pdq/cpp/hashing/pdqhashing.cpp`): `0.299f * R + 0.587f * G + 0.114f * B`
/// with `f32` coefficients and every operation rounded to `f32`, as the C++
/// `pdq-photo-hasher` tool computes it. Same layout and length rules as
/// [`luma_from_rgb8`], which matches the published reference vectors where
/// this one can differ (see there).
pub fn luma_from_rgb8_f32(rgb: &[u8], width: usize, height: usize) -> Vec<f32> {
    let n = width.saturating_mul(height).min(rgb.len() / 3);
    rgb[..n * 3]
        .chunks_exact(3)
        .map(|p| {
            LUMA_FROM_R * f32::from(p[0])
                + LUMA_FROM_G * f32::from(p[1])
                + LUMA_FROM_B * f32::from(p[2])
        })
        .collect()
}

/// Grey (one byte per pixel) -> luminance, as Meta's `fillFloatLumaFromGrey`:
/// each byte converted to `f32` (`0.0..=255.0`), same length and order as `gray`.
pub fn luma_from_gray8(gray: &[u8]) -> Vec<f32> {
    gray.iter().map(|&v| f32::from(v)).collect()
}

/// Meta's 64-hex-digit text form of a hash, as used in ThreatExchange CSVs
/// (`Hash256::format`: words `w[15]` down to `w[0]`, each `%04hx`, i.e. bit 255
/// first), lower case.
pub fn hash_to_hex(h: &HashBits) -> String {
    format!("{:016x}{:016x}{:016x}{:016x}", h[3], h[2], h[1], h[0])
}

/// Parses Meta's 64-hex-digit form (inverse of [`hash_to_hex`]; upper or lower
/// case). Returns `None` unless `s` is exactly 64 ASCII hex digits.
pub fn hash_from_hex(s: &str) -> Option<HashBits> {
    let b = s.as_bytes();
    if b.len() != 64 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut h = [0u64; 4];
    for (k, word) in h.iter_mut().enumerate() {
        // words[3] comes first in the text.
        let chunk = &s[(3 - k) * 16..(4 - k) * 16];
        *word = u64::from_str_radix(chunk, 16).ok()?;
    }
    Some(h)
}

/// Hamming distance between two hashes: the number of differing bits
/// (popcount of the xor), `0..=256`. Meta's usual match threshold is <= 31.
pub fn hamming_distance(a: &HashBits, b: &HashBits) -> u32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x ^ y).count_ones())
        .sum()
}

/// Computes the PDQ hash, quality and the eight dihedral hashes of a luminance
/// image, bit-exact with Meta's C++ reference (`pdqHash256FromFloatLuma` for
/// `hash` and `quality`, `pdqDihedralHash256esFromFloatLuma` for `dihedral`).
///
/// `luma` is row-major, `width * height` values (extra trailing values are
/// ignored), normally in `0.0..=255.0` as produced by [`luma_from_rgb8`] or
/// [`luma_from_gray8`]. Any size is accepted without panicking: as in the
/// reference, an image narrower or shorter than [`MIN_HASHABLE_DIM`] pixels
/// gives all-zero hashes and quality 0, and so does an input whose `luma` is
/// shorter than `width * height`.
///
/// As in the reference, a 64x64 input is used directly as the downsample for
/// `hash` and `quality` (no blur), while `dihedral` always blurs; for that
/// one size `dihedral[0]` may therefore differ from `hash` in a few bits.
///
/// Cost is linear in the number of pixels (about 0.3 ms for 512x288 and
/// 1.7 ms for 1280x720 on one core of a 2020s x86-64). Work memory
/// (about `width * height + 6 * width + 64 * height` floats) is kept per thread and
/// reused across calls, so steady-state calls do not allocate; it stays
/// allocated at the size of the largest image hashed on that thread.
pub fn pdq_from_luma(luma: &[f32], width: usize, height: usize) -> PdqOutput {
    let n = match width.checked_mul(height) {
        Some(n) => n,
        None => return PdqOutput::default(),
    };
    if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM || luma.len() < n {
        return PdqOutput::default();
    }
    let luma = &luma[..n];

    let mut blurred: Mat64 = [[0.0; DOWNSAMPLE_DIM]; DOWNSAMPLE_DIM];
    let done = SCRATCH
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => {
                downsample(luma, width, height, &mut s, &mut blurred);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false);
    if !done {
        // Thread-local storage unavailable (e.g. during thread teardown).
        downsample(luma, width, height, &mut Scratch::default(), &mut blurred);
    }

    let mut out = PdqOutput::default();
    let dct = dct64_to_16(&blurred);
    dihedral_hashes(&dct, &mut out.dihedral);

    if width == DOWNSAMPLE_DIM && height == DOWNSAMPLE_DIM {
        // Meta's pdqFloat256FromFloatLuma: already 64x64, no blur.
        let mut direct: Mat64 = [[0.0; DOWNSAMPLE_DIM]; DOWNSAMPLE_DIM];
        for (row, src) in direct.iter_mut().zip(luma.chunks_exact(DOWNSAMPLE_DIM)) {
            row.copy_from_slice(src);
        }
        out.quality = quality_metric(&direct);
        out.hash = bits_from_dct(&dct64_to_16(&direct));
    } else {
        out.quality = quality_metric(&blurred);
        out.hash = out.dihedral[DIHEDRAL_ORIGINAL];
    }
    out
}

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
//! bit against a literal port of the reference in the unit tests below.

mod crops;

pub use crops::{jarosz_windows, JaroszFiltered};

use std::cell::RefCell;
use std::sync::OnceLock;

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

// ---------------------------------------------------------------------------
// Downsampling: Jarosz filter + decimation (downscaling.cpp).

/// Meta's `box1DFloat` along every row of `src` (whole rows of `width`) into `dst`: [`LANES`]
/// rows at once when there are exactly that many, else one at a time (each row sees the
/// reference's sequence of operations either way).
fn box_rows(src: &[f32], dst: &mut [f32], width: usize, window: usize) {
    if src.len() == width * LANES {
        let inp: [&[f32]; LANES] = std::array::from_fn(|k| &src[k * width..(k + 1) * width]);
        let mut it = dst.chunks_exact_mut(width);
        let mut outp: [&mut [f32]; LANES] = std::array::from_fn(|_| it.next().unwrap_or_default());
        box_lines(inp, &mut outp, window);
    } else {
        for (sr, dr) in src.chunks_exact(width).zip(dst.chunks_exact_mut(width)) {
            box_lines([sr], &mut [dr], window);
        }
    }
}

/// Meta's `computeJaroszFilterWindowSize(old, new)`: `ceil(old / (2 * new))`.
fn jarosz_window_size(old_dim: usize, new_dim: usize) -> usize {
    // Meta: (old + 2 * new - 1) / (2 * new), i.e. a rounded-up division.
    old_dim.div_ceil(2 * new_dim)
}

/// Meta's `decimateFloat` source index for output index `out_i`:
/// `(int)(((out_i + 0.5) * in_dim) / out_dim)` in double precision.
fn decimate_index(out_i: usize, in_dim: usize, out_dim: usize) -> usize {
    let idx = (((out_i as f64 + 0.5) * in_dim as f64) / out_dim as f64) as usize;
    idx.min(in_dim - 1)
}

/// Number of image rows whose row-direction box filters run in lockstep
/// (independent running sums, so the CPU can overlap them; each row still
/// sees exactly the reference's sequence of operations).
const LANES: usize = 8;

/// Largest row window for which the first row pass takes the exact integer
/// path ([`box_line_exact`]); wider rows (images over 8192 px) use the lanes.
const MAX_EXACT_WINDOW: usize = 64;

/// Largest magnitude of an input sample for the exact integer path: window
/// sums of such integers (at most `(MAX_EXACT_WINDOW + 1) * 65536 < 2^24`)
/// are exact in `f32`, whatever the order of the additions.
const EXACT_LIMIT: f32 = 65536.0;

/// Reusable per-thread work memory for [`downsample`].
#[derive(Default)]
struct Scratch {
    /// Full first row-pass output (height x width).
    a: Vec<f32>,
    /// Up to `LANES` consecutive rows of the first column-pass output.
    rows: Vec<f32>,
    /// Running column sums (width).
    sums: Vec<f32>,
    /// One row of a column-pass output (width).
    row: Vec<f32>,
    /// Second row-pass output at the 64 sampled columns (height x 64).
    c: Vec<f32>,
    /// Exact window sums of one row (integer input).
    acc: Vec<f32>,
    /// Exact sums of `2^j` consecutive samples of one row, and the next level.
    level: Vec<f32>,
    level_next: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Resizes `v` to `n` values, reusing its allocation. The contents are not
/// cleared: every buffer is fully written before it is read.
fn reset(v: &mut Vec<f32>, n: usize) {
    v.resize(n, 0.0);
}

/// True when every sample is an integer of magnitude at most
/// [`EXACT_LIMIT`] (decoded 8-bit frames and crops of them), so that the
/// reference's running sums along a row are exact.
fn small_integers(v: &[f32]) -> bool {
    v.chunks(256).all(|c| {
        c.iter().fold(true, |ok, &x| {
            ok & (x.trunc() == x) & (x.abs() <= EXACT_LIMIT)
        })
    })
}

/// Jarosz filter (two passes of rows-box then columns-box) followed by
/// decimation to 64x64, as Meta's `jaroszFilterFloat` + `decimateFloat`.
/// Only values that reach the decimated output are materialised, but every
/// running sum is accumulated in exactly the reference's order.
fn downsample(luma: &[f32], width: usize, height: usize, s: &mut Scratch, out: &mut Mat64) {
    let win_rows = jarosz_window_size(width, DOWNSAMPLE_DIM); // along each row
    let win_cols = jarosz_window_size(height, DOWNSAMPLE_DIM); // along each column

    let mut col_idx = [0usize; DOWNSAMPLE_DIM];
    let mut row_idx = [0usize; DOWNSAMPLE_DIM];
    for k in 0..DOWNSAMPLE_DIM {
        col_idx[k] = decimate_index(k, width, DOWNSAMPLE_DIM);
        row_idx[k] = decimate_index(k, height, DOWNSAMPLE_DIM);
    }

    // The first row pass (a) is produced LANES rows at a time, just before
    // the column pass needs them, into a ring of `slots` rows that stays in
    // the L1/L2 cache (the column pass needs only `win_cols + 1` rows at once).
    let slots = (win_cols + LANES).div_ceil(LANES) * LANES;
    let slots = if slots >= height { height } else { slots };
    reset(&mut s.a, width * slots);
    reset(&mut s.rows, width * LANES);
    reset(&mut s.sums, width);
    reset(&mut s.row, width);
    reset(&mut s.c, height * DOWNSAMPLE_DIM);

    let exact = win_rows <= MAX_EXACT_WINDOW && small_integers(luma);
    let Scratch {
        a,
        rows,
        sums,
        row,
        c,
        acc,
        level,
        level_next,
    } = s;
    // Pass 1: box along rows, luma -> a (rows `first..first + n`).
    let pass1 = |first: usize, a: &mut [f32]| -> usize {
        let n = LANES.min(height - first);
        let src = &luma[first * width..(first + n) * width];
        let slot = first % slots;
        let dst = &mut a[slot * width..(slot + n) * width];
        if exact {
            // Integer samples (decoded frames): the running sums are exact,
            // so any order of additions gives the reference's sums.
            for (sr, dr) in src.chunks_exact(width).zip(dst.chunks_exact_mut(width)) {
                box_line_exact(sr, dr, win_rows, acc, level, level_next);
            }
        } else {
            box_rows(src, dst, width, win_rows);
        }
        n
    };

    // Pass 2: box along columns, a -> b, one output row at a time, gathered
    // LANES rows at a time; then
    // pass 3: box along those rows of b, keeping only the sampled columns -> c.
    box_columns(
        a,
        slots,
        width,
        height,
        win_cols,
        sums,
        row,
        pass1,
        |oi, brow| {
            let k = oi % LANES;
            rows[k * width..(k + 1) * width].copy_from_slice(brow);
            if k + 1 < LANES && oi + 1 < height {
                return;
            }
            let r0 = oi - k;
            let n = k + 1;
            let c = &mut c[r0 * DOWNSAMPLE_DIM..(r0 + n) * DOWNSAMPLE_DIM];
            if n == LANES {
                let inp: [&[f32]; LANES] =
                    std::array::from_fn(|k| &rows[k * width..(k + 1) * width]);
                box_lines_sampled(inp, win_rows, &col_idx, c);
            } else {
                for (sr, dr) in rows
                    .chunks_exact(width)
                    .zip(c.chunks_exact_mut(DOWNSAMPLE_DIM))
                {
                    box_lines_sampled([sr], win_rows, &col_idx, dr);
                }
            }
        },
    );

    // Pass 4: box along columns of c, keeping only the sampled rows -> out.
    reset(&mut s.sums, DOWNSAMPLE_DIM);
    reset(&mut s.row, DOWNSAMPLE_DIM);
    let mut next = 0;
    box_columns(
        &mut s.c,
        height,
        DOWNSAMPLE_DIM,
        height,
        win_cols,
        &mut s.sums,
        &mut s.row,
        |_, _| height,
        |oi, drow| {
            while next < DOWNSAMPLE_DIM && row_idx[next] == oi {
                out[next].copy_from_slice(drow);
                next += 1;
            }
        },
    );
}

/// Phase lengths of Meta's `box1DFloat` for a line of `len` values and a full
/// window of `window` values: (phase1, phase2, phase3, phase4).
/// Requires `1 <= window <= len` (always true for Jarosz windows).
///
/// Phase 1 only accumulates inputs `0..p1`; phase 2 adds inputs `p1..window`
/// and writes outputs `0..p2`; phase 3 adds input `window + t`, subtracts
/// input `t` and writes output `p2 + t`; phase 4 subtracts inputs
/// `p3..p3 + p4` and writes outputs `p2 + p3..len`. Each output is the running
/// sum divided by the number of values currently in it.
fn box_phases(len: usize, window: usize) -> (usize, usize, usize, usize) {
    let half = (window + 2) / 2; // 7 -> 4, 8 -> 5
    (half - 1, window - half + 1, len - window, half - 1)
}

/// Meta's `box1DFloat` (stride 1) on `N` lines of equal length at once, each
/// with its own running sum, so that each line sees exactly the reference's
/// operations while the CPU overlaps the `N` dependency chains.
#[allow(clippy::needless_range_loop)] // explicit indices mirror the reference
fn box_lines<const N: usize>(inp: [&[f32]; N], out: &mut [&mut [f32]; N], window: usize) {
    let len = inp[0].len();
    let (p1, p2, p3, p4) = box_phases(len, window);
    let mut sum = [0.0f32; N];
    let mut cur = 0usize;
    // Sub-slices of exactly the loop lengths let the compiler drop bounds checks.
    let r1: [&[f32]; N] = inp.map(|r| &r[..p1]);
    for t in 0..p1 {
        for k in 0..N {
            sum[k] += r1[k][t];
        }
    }
    cur += p1;
    let r2: [&[f32]; N] = inp.map(|r| &r[p1..p1 + p2]);
    for t in 0..p2 {
        cur += 1;
        let w = cur as f32;
        for k in 0..N {
            sum[k] += r2[k][t];
            out[k][..p2][t] = sum[k] / w;
        }
    }
    let w = cur as f32;
    let add: [&[f32]; N] = inp.map(|r| &r[window..window + p3]);
    let sub: [&[f32]; N] = inp.map(|r| &r[..p3]);
    for t in 0..p3 {
        for k in 0..N {
            sum[k] += add[k][t];
            sum[k] -= sub[k][t];
            out[k][p2..p2 + p3][t] = sum[k] / w;
        }
    }
    let sub: [&[f32]; N] = inp.map(|r| &r[p3..p3 + p4]);
    for t in 0..p4 {
        cur -= 1;
        let w = cur as f32;
        for k in 0..N {
            sum[k] -= sub[k][t];
            out[k][p2 + p3..p2 + p3 + p4][t] = sum[k] / w;
        }
    }
}

/// [`box_lines`], but only the outputs at the (non-decreasing) positions
/// `idx` are computed: output `idx[j]` of line `k` goes to
/// `out[k * 64 + j]`. The running sums are exactly those of the full filter.
#[allow(clippy::needless_range_loop)] // explicit indices mirror the reference
fn box_lines_sampled<const N: usize>(
    inp: [&[f32]; N],
    window: usize,
    idx: &[usize; DOWNSAMPLE_DIM],
    out: &mut [f32],
) {
    let len = inp[0].len();
    let (p1, p2, p3, p4) = box_phases(len, window);
    let out = &mut out[..N * DOWNSAMPLE_DIM];
    let mut sum = [0.0f32; N];
    let mut cur = 0usize;
    let mut next = 0usize;
    // Next output position to write (usize::MAX once all are written).
    let mut target = idx[0];
    let mut emit = |oi: usize, sum: &[f32; N], w: f32, next: &mut usize, target: &mut usize| {
        while *next < DOWNSAMPLE_DIM && idx[*next] == oi {
            for (k, &sk) in sum.iter().enumerate() {
                out[k * DOWNSAMPLE_DIM + *next] = sk / w;
            }
            *next += 1;
        }
        *target = if *next < DOWNSAMPLE_DIM {
            idx[*next]
        } else {
            usize::MAX
        };
    };
    let r1: [&[f32]; N] = inp.map(|r| &r[..p1]);
    for t in 0..p1 {
        for k in 0..N {
            sum[k] += r1[k][t];
        }
    }
    cur += p1;
    let r2: [&[f32]; N] = inp.map(|r| &r[p1..p1 + p2]);
    for t in 0..p2 {
        for k in 0..N {
            sum[k] += r2[k][t];
        }
        cur += 1;
        if t == target {
            emit(t, &sum, cur as f32, &mut next, &mut target);
        }
    }
    let w = cur as f32;
    let add: [&[f32]; N] = inp.map(|r| &r[window..window + p3]);
    let sub: [&[f32]; N] = inp.map(|r| &r[..p3]);
    for t in 0..p3 {
        for k in 0..N {
            sum[k] += add[k][t];
            sum[k] -= sub[k][t];
        }
        if p2 + t == target {
            emit(p2 + t, &sum, w, &mut next, &mut target);
        }
    }
    let sub: [&[f32]; N] = inp.map(|r| &r[p3..p3 + p4]);
    for t in 0..p4 {
        for k in 0..N {
            sum[k] -= sub[k][t];
        }
        cur -= 1;
        if p2 + p3 + t == target {
            emit(p2 + p3 + t, &sum, cur as f32, &mut next, &mut target);
        }
    }
}

/// Meta's `box1DFloat` (stride 1) on one line of integer samples of
/// magnitude at most [`EXACT_LIMIT`] with `window <= MAX_EXACT_WINDOW`
/// ([`small_integers`]). Every running sum of the reference is then an exact
/// integer, so it equals the window sum computed in any order; the window
/// sums of the long middle phase are built from exact partial sums of
/// `2^j` samples (vectorisable), and each is divided by the same count as in
/// the reference. The result is bit-identical to the reference.
fn box_line_exact(
    inp: &[f32],
    out: &mut [f32],
    window: usize,
    acc: &mut Vec<f32>,
    level: &mut Vec<f32>,
    level_next: &mut Vec<f32>,
) {
    let len = inp.len();
    let (p1, p2, p3, p4) = box_phases(len, window);
    // Phases 1 and 2 exactly as the reference.
    let mut sum = 0.0f32;
    for &x in &inp[..p1] {
        sum += x;
    }
    let mut cur = p1;
    for (o, &x) in out[..p2].iter_mut().zip(&inp[p1..p1 + p2]) {
        sum += x;
        cur += 1;
        *o = sum / cur as f32;
    }
    // Phase 3: output `p2 + t` is the sum of inputs `t + 1 .. t + 1 + window`.
    if p3 > 0 {
        let mid = &mut out[p2..p2 + p3];
        let x = &inp[1..];
        match window {
            1 => window_mean_exact::<1>(x, mid),
            2 => window_mean_exact::<2>(x, mid),
            3 => window_mean_exact::<3>(x, mid),
            4 => window_mean_exact::<4>(x, mid),
            5 => window_mean_exact::<5>(x, mid),
            6 => window_mean_exact::<6>(x, mid),
            7 => window_mean_exact::<7>(x, mid),
            8 => window_mean_exact::<8>(x, mid),
            9 => window_mean_exact::<9>(x, mid),
            10 => window_mean_exact::<10>(x, mid),
            11 => window_mean_exact::<11>(x, mid),
            12 => window_mean_exact::<12>(x, mid),
            _ => {
                window_sums_exact(x, window, p3, acc, level, level_next);
                let w = window as f32;
                for (o, &a) in mid.iter_mut().zip(acc.iter()) {
                    *o = a / w;
                }
            }
        }
    }
    // Phase 4: output `p2 + p3 + t` is the sum of inputs `p3 + t + 1 .. len`.
    for t in 0..p4 {
        let lo = p3 + t + 1;
        let s = inp[lo..].iter().fold(0.0f32, |s, &x| s + x);
        out[p2 + p3 + t] = s / (len - lo) as f32;
    }
}

/// `out[i] = (x[i] + ... + x[i + W - 1]) / W` for every `i < out.len()`,
/// each sum from `+0.0` in one pass (exact under the conditions of
/// [`box_line_exact`], so equal to the reference's running sum).
#[inline(always)]
fn window_mean_exact<const W: usize>(x: &[f32], out: &mut [f32]) {
    let w = W as f32;
    let x = &x[..out.len() + W - 1];
    for (i, o) in out.iter_mut().enumerate() {
        let win: &[f32; W] = x[i..i + W].try_into().expect("a full window");
        let mut s = 0.0f32;
        for &v in win {
            s += v;
        }
        *o = s / w;
    }
}

/// `acc[i] = x[i] + ... + x[i + window - 1]` for `i < n`, from exact partial
/// sums of `2^j` samples (binary decomposition of `window`). Requires
/// `n + window - 1 <= x.len()` and sums that are exact in `f32`. Each sum
/// starts from `+0.0`, as the reference's running sum does, so an all-zero
/// window gives `+0.0`.
fn window_sums_exact(
    x: &[f32],
    window: usize,
    n: usize,
    acc: &mut Vec<f32>,
    level: &mut Vec<f32>,
    level_next: &mut Vec<f32>,
) {
    acc.clear();
    acc.resize(n, 0.0);
    level.clear();
    level.extend_from_slice(&x[..n + window - 1]);
    // level[i] = sum of x[i .. i + size]; `offset` samples already in acc.
    let mut size = 1;
    let mut offset = 0;
    let mut rest = window;
    loop {
        if rest & 1 == 1 {
            for (a, &v) in acc.iter_mut().zip(&level[offset..offset + n]) {
                *a += v;
            }
            offset += size;
        }
        rest >>= 1;
        if rest == 0 {
            break;
        }
        let next_len = level.len() - size;
        level_next.clear();
        level_next.extend(
            level[..next_len]
                .iter()
                .zip(&level[size..])
                .map(|(a, b)| a + b),
        );
        std::mem::swap(level, level_next);
        size *= 2;
    }
}

/// Meta's `boxAlongColsFloat` on a row-major `nrows x ncols` matrix, run on
/// all columns at once (each column sees exactly the reference's sequence of
/// operations). Each output row `oi` is handed to `emit(oi, row)` in order.
///
/// Input row `r` is read from slot `r % slots` of `inp` (`slots` rows of
/// `ncols`); before it is first read, `produce(first, inp)` is called with
/// the first row not yet produced, writes one or more rows from there into
/// their slots and returns how many. With `slots >= window + 1 +` (rows
/// produced at once - 1), no row is overwritten while still needed.
#[allow(clippy::too_many_arguments)]
fn box_columns(
    inp: &mut [f32],
    slots: usize,
    ncols: usize,
    nrows: usize,
    window: usize,
    sums: &mut [f32],
    row: &mut [f32],
    mut produce: impl FnMut(usize, &mut [f32]) -> usize,
    mut emit: impl FnMut(usize, &[f32]),
) {
    let (p1, p2, p3, p4) = box_phases(nrows, window);
    // Rows `0..ready` have been produced; row `r` lives in slot `r % slots`.
    let mut ready = 0;
    let mut need = |r: usize, inp: &mut [f32]| {
        while ready <= r {
            ready += produce(ready, inp);
        }
    };
    fn line(inp: &[f32], slots: usize, ncols: usize, r: usize) -> &[f32] {
        let slot = r % slots;
        &inp[slot * ncols..(slot + 1) * ncols]
    }
    let sums = &mut sums[..ncols];
    let row = &mut row[..ncols];
    sums.fill(0.0);
    let mut cur = 0usize;
    let mut ri = 0;
    let mut li = 0;
    let mut oi = 0;
    for _ in 0..p1 {
        need(ri, inp);
        for (s, &x) in sums.iter_mut().zip(line(inp, slots, ncols, ri)) {
            *s += x;
        }
        cur += 1;
        ri += 1;
    }
    for _ in 0..p2 {
        need(ri, inp);
        cur += 1;
        let w = cur as f32;
        for ((s, o), &x) in sums
            .iter_mut()
            .zip(row.iter_mut())
            .zip(line(inp, slots, ncols, ri))
        {
            *s += x;
            *o = *s / w;
        }
        emit(oi, row);
        ri += 1;
        oi += 1;
    }
    let w = cur as f32;
    for _ in 0..p3 {
        need(ri, inp);
        for (((s, o), &x), &y) in sums
            .iter_mut()
            .zip(row.iter_mut())
            .zip(line(inp, slots, ncols, ri))
            .zip(line(inp, slots, ncols, li))
        {
            *s += x;
            *s -= y;
            *o = *s / w;
        }
        emit(oi, row);
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p4 {
        cur -= 1;
        let w = cur as f32;
        for ((s, o), &y) in sums
            .iter_mut()
            .zip(row.iter_mut())
            .zip(line(inp, slots, ncols, li))
        {
            *s -= y;
            *o = *s / w;
        }
        emit(oi, row);
        li += 1;
        oi += 1;
    }
}

// ---------------------------------------------------------------------------
// Quality, DCT and bits (pdqhashing.cpp).

/// Meta's `pdqImageDomainQualityMetric`: sum over vertical and horizontal
/// neighbour pairs of `|trunc((u - v) * 100 / 255)|`, divided by 90 (integer
/// division), clamped to 100.
fn quality_metric(b: &Mat64) -> u8 {
    // Fastest path: each term `|trunc(d)|` is a non-negative integer, so while the total stays
    // below 2^24 every partial sum is an integer f32 represents exactly, in any order: eight
    // f32 lanes (vectorised) give the exact integer sum. Normal pictures (luma 0–255) give
    // terms of at most 100, a total of at most 806,400.
    let lanes = gradient_sum_lanes(b);
    if lanes.is_finite() && lanes < 16_777_216.0 {
        return ((lanes as i64) / 90).clamp(0, 100) as u8;
    }
    // Fast path: `|trunc(d)|` summed in f64 is exactly the integer sum whenever every term
    // converts to i32 without saturation (then each is an integer below 2^31 and the sum of
    // 8064 of them is exact in f64) and none is NaN; both hold when the sum is finite and
    // below 2^31. It vectorises, unlike the saturating float-to-int casts.
    let fast = gradient_sum(b, |u, v| {
        f64::from((((u - v) * 100.0) / 255.0).trunc().abs())
    });
    let sum = if fast.is_finite() && fast < 2_147_483_648.0 {
        fast as i64
    } else {
        gradient_sum(b, |u, v| {
            i64::from((((u - v) * 100.0) / 255.0) as i32).abs()
        })
    };
    (sum / 90).clamp(0, 100) as u8
}

/// `|trunc((u - v) * 100 / 255)|` over every vertical and horizontal neighbour pair, summed in
/// eight f32 lanes (exact only while the total stays below 2^24; see [`quality_metric`]).
fn gradient_sum_lanes(b: &Mat64) -> f32 {
    const L: usize = 8;
    let term = |u: f32, v: f32| (((u - v) * 100.0) / 255.0).trunc().abs();
    let mut acc = [0.0f32; L];
    for (upper, lower) in b.iter().zip(b.iter().skip(1)) {
        for (u, v) in upper.chunks_exact(L).zip(lower.chunks_exact(L)) {
            for k in 0..L {
                acc[k] += term(u[k], v[k]);
            }
        }
    }
    let mut tail = 0.0f32;
    for row in b.iter() {
        let (left, right) = (&row[..DOWNSAMPLE_DIM - 1], &row[1..]);
        let mut pairs = left.chunks_exact(L).zip(right.chunks_exact(L));
        for (u, v) in &mut pairs {
            for k in 0..L {
                acc[k] += term(u[k], v[k]);
            }
        }
        let done = (DOWNSAMPLE_DIM - 1) / L * L;
        for j in done..DOWNSAMPLE_DIM - 1 {
            tail += term(row[j], row[j + 1]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Sum of `term(u, v)` over vertical then horizontal neighbour pairs (written as zipped rows so
/// that it vectorises; the terms are integers, so the order does not change the sum).
#[inline(always)]
fn gradient_sum<T: std::iter::Sum<T> + std::ops::AddAssign + Default>(
    b: &Mat64,
    term: impl Fn(f32, f32) -> T + Copy,
) -> T {
    let mut total = T::default();
    for (upper, lower) in b.iter().zip(b.iter().skip(1)) {
        total += upper
            .iter()
            .zip(lower.iter())
            .map(|(&u, &v)| term(u, v))
            .sum::<T>();
    }
    for row in b.iter() {
        total += row
            .iter()
            .zip(row.iter().skip(1))
            .map(|(&u, &v)| term(u, v))
            .sum::<T>();
    }
    total
}

/// The 16x64 DCT matrix `D[i][j] = sqrt(2/64) * cos(pi/128 * (i+1) * (2j+1))`
/// (rows are frequencies 1..=16), computed as Meta's `dct_matrix_64`: scale
/// factor rounded to `f32`, product in `f64`, result rounded to `f32`.
/// Also stored transposed (64x16) for the second multiply.
struct DctMatrix {
    d: [[f32; DOWNSAMPLE_DIM]; DCT_DIM],
    dt: [[f32; DCT_DIM]; DOWNSAMPLE_DIM],
}

fn dct_matrix() -> &'static DctMatrix {
    static M: OnceLock<Box<DctMatrix>> = OnceLock::new();
    M.get_or_init(|| {
        let scale = (2.0f64 / DOWNSAMPLE_DIM as f64).sqrt() as f32;
        let mut m = Box::new(DctMatrix {
            d: [[0.0; DOWNSAMPLE_DIM]; DCT_DIM],
            dt: [[0.0; DCT_DIM]; DOWNSAMPLE_DIM],
        });
        for i in 0..DCT_DIM {
            for j in 0..DOWNSAMPLE_DIM {
                let arg = (std::f64::consts::PI / 2.0 / DOWNSAMPLE_DIM as f64)
                    * (i + 1) as f64
                    * (2 * j + 1) as f64;
                let v = (f64::from(scale) * arg.cos()) as f32;
                m.d[i][j] = v;
                m.dt[j][i] = v;
            }
        }
        m
    })
}

/// Meta's `dct64To16`: `B = (D A) D^T` for the 64x64 image `A`, giving the
/// 16x16 low-frequency block. Every dot product accumulates in `f32` from 0
/// in increasing `k`, as the reference's unrolled loops do.
///
/// Runs with AVX2 where the CPU has it (twice the lanes; the same multiplications and
/// additions per element, never fused, so the same bits: tested against the portable build).
fn dct64_to_16(a: &Mat64) -> Mat16 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dct64_to_16_avx2(a) };
    }
    dct64_to_16_portable(a)
}

/// [`dct64_to_16_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dct64_to_16_avx2(a: &Mat64) -> Mat16 {
    dct64_to_16_portable(a)
}

/// The body of [`dct64_to_16`] for any CPU.
#[inline(always)]
fn dct64_to_16_portable(a: &Mat64) -> Mat16 {
    let m = dct_matrix();
    // T = D A (16x64); loop order changed so the inner loop runs over j, but
    // each T[i][j] still sums D[i][k] * A[k][j] for k = 0, 1, ..., 63.
    let mut t = [[0.0f32; DOWNSAMPLE_DIM]; DCT_DIM];
    for (ti, di) in t.iter_mut().zip(m.d.iter()) {
        for (&dik, ak) in di.iter().zip(a.iter()) {
            for (tij, &akj) in ti.iter_mut().zip(ak.iter()) {
                *tij += dik * akj;
            }
        }
    }
    // B = T D^T (16x16): B[i][j] = sum_k T[i][k] * D[j][k].
    let mut b = [[0.0f32; DCT_DIM]; DCT_DIM];
    for (bi, ti) in b.iter_mut().zip(t.iter()) {
        for (&tik, dtk) in ti.iter().zip(m.dt.iter()) {
            for (bij, &djk) in bi.iter_mut().zip(dtk.iter()) {
                *bij += tik * djk;
            }
        }
    }
    b
}

/// Zero-based rank of the value torben returns: the `(n + 1) / 2`-th smallest
/// of `n = 256` values.
const MEDIAN_RANK: usize = (DCT_DIM * DCT_DIM).div_ceil(2) - 1;

/// The median Meta's `torben` returns for 256 values: the 128th smallest
/// (for finite input torben returns exactly this value; a selection is used
/// here so that NaN or infinite input cannot make it loop).
fn median256(m: &Mat16) -> f32 {
    let mut v = [0.0f32; DCT_DIM * DCT_DIM];
    for (dst, src) in v.chunks_exact_mut(DCT_DIM).zip(m.iter()) {
        dst.copy_from_slice(src);
    }
    let (_, &mut med, _) = v.select_nth_unstable_by(MEDIAN_RANK, f32::total_cmp);
    med
}

/// Meta's `pdqBuffer16x16ToBits`: bit `i*16+j` set iff `B[i][j] > median`.
fn bits_from_dct(b: &Mat16) -> HashBits {
    bits_above(b, median256(b), false)
}

/// The bits of `b` (transposed when `xpose`) above `med`: bit `i*16+j` is
/// `b[i][j] > med`, or `b[j][i] > med` when transposed.
fn bits_above(b: &Mat16, med: f32, xpose: bool) -> HashBits {
    let mut h = [0u64; 4];
    for (i, row) in b.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            let k = if xpose {
                j * DCT_DIM + i
            } else {
                i * DCT_DIM + j
            };
            // Branch-free: the comparison is a coin toss, which a branch mispredicts.
            h[k / 64] |= u64::from(x > med) << (k % 64);
        }
    }
    h
}

/// Meta's `dct16OriginalTo*` transforms followed by `pdqBuffer16x16ToBits`,
/// in the order of the `DIHEDRAL_*` constants.
///
/// Each transform negates the coefficients selected by one of four sign
/// rules and may transpose; a transposition does not change the multiset of
/// values, so each sign rule's median is computed once and serves both its
/// plain and its transposed hash (the bits are the reference's exactly).
fn dihedral_hashes(a: &Mat16, out: &mut [HashBits; 8]) {
    // (sign rule on the source index (i, j): true where negated,
    //  dihedral index without transposition, dihedral index with it).
    type Rule = fn(usize, usize) -> bool;
    let rules: [(Rule, usize, usize); 4] = [
        (|_, _| false, DIHEDRAL_ORIGINAL, DIHEDRAL_FLIP_PLUS1),
        (|_, j| j & 1 == 0, DIHEDRAL_FLIP_Y, DIHEDRAL_ROTATE_90),
        (
            |i, j| (i + j) & 1 == 1,
            DIHEDRAL_ROTATE_180,
            DIHEDRAL_FLIP_MINUS1,
        ),
        (|i, _| i & 1 == 0, DIHEDRAL_FLIP_X, DIHEDRAL_ROTATE_270),
    ];
    for &(neg, plain, transposed) in rules.iter() {
        let mut b = [[0.0f32; DCT_DIM]; DCT_DIM];
        for (i, (row, src)) in b.iter_mut().zip(a.iter()).enumerate() {
            for (j, (v, &x)) in row.iter_mut().zip(src.iter()).enumerate() {
                *v = if neg(i, j) { -x } else { x };
            }
        }
        let med = median256(&b);
        out[plain] = bits_above(&b, med, false);
        out[transposed] = bits_above(&b, med, true);
    }
}

#[cfg(test)]
mod tests {
    //! The fast paths against a literal port of Meta's C++ (`box1DFloat`,
    //! `jaroszFilterFloat`, `decimateFloat`, `dct16OriginalTo*`), bit for bit.
    use super::*;

    /// Meta's `box1DFloat`, line for line.
    fn box1d(inv: &[f32], outv: &mut [f32], len: usize, stride: usize, window: usize) {
        let half = (window + 2) / 2;
        let (p1, p2, p3, p4) = (half - 1, window - half + 1, len - window, half - 1);
        let (mut li, mut ri, mut oi) = (0, 0, 0);
        let mut sum = 0.0f32;
        let mut cur = 0usize;
        for _ in 0..p1 {
            sum += inv[ri];
            cur += 1;
            ri += stride;
        }
        for _ in 0..p2 {
            sum += inv[ri];
            cur += 1;
            outv[oi] = sum / cur as f32;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p3 {
            sum += inv[ri];
            sum -= inv[li];
            outv[oi] = sum / cur as f32;
            li += stride;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p4 {
            sum -= inv[li];
            cur -= 1;
            outv[oi] = sum / cur as f32;
            li += stride;
            oi += stride;
        }
    }

    /// Meta's `jaroszFilterFloat` (2 reps) + `decimateFloat` to 64x64.
    fn naive_downsample(luma: &[f32], w: usize, h: usize) -> Mat64 {
        let wr = jarosz_window_size(w, 64);
        let wc = jarosz_window_size(h, 64);
        let mut b1 = luma.to_vec();
        let mut b2 = vec![0.0f32; w * h];
        for _ in 0..2 {
            for i in 0..h {
                box1d(&b1[i * w..], &mut b2[i * w..], w, 1, wr);
            }
            for j in 0..w {
                box1d(&b2[j..], &mut b1[j..], h, w, wc);
            }
        }
        let mut out = [[0.0f32; 64]; 64];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = b1[decimate_index(i, h, 64) * w + decimate_index(j, w, 64)];
            }
        }
        out
    }

    #[allow(clippy::needless_range_loop)] // mirrors Meta's loops on purpose
    fn naive_quality(b: &Mat64) -> u8 {
        let mut g: i64 = 0;
        for i in 0..63 {
            for j in 0..64 {
                g += i64::from((((b[i][j] - b[i + 1][j]) * 100.0) / 255.0) as i32).abs();
            }
        }
        for i in 0..64 {
            for j in 0..63 {
                g += i64::from((((b[i][j] - b[i][j + 1]) * 100.0) / 255.0) as i32).abs();
            }
        }
        (g / 90).clamp(0, 100) as u8
    }

    fn naive_dihedral(a: &Mat16) -> [HashBits; 8] {
        type Rule = fn(usize, usize) -> bool;
        let transforms: [(bool, Rule); 8] = [
            (false, |_, _| false),
            (true, |_, j| j & 1 == 0),
            (false, |i, j| (i + j) & 1 == 1),
            (true, |i, _| i & 1 == 0),
            (false, |i, _| i & 1 == 0),
            (false, |_, j| j & 1 == 0),
            (true, |_, _| false),
            (true, |i, j| (i + j) & 1 == 1),
        ];
        transforms.map(|(xpose, neg)| {
            let mut b = [[0.0f32; 16]; 16];
            for i in 0..16 {
                for j in 0..16 {
                    let v = if neg(i, j) { -a[i][j] } else { a[i][j] };
                    if xpose {
                        b[j][i] = v;
                    } else {
                        b[i][j] = v;
                    }
                }
            }
            let mut v: Vec<f32> = b.iter().flatten().copied().collect();
            v.sort_by(f32::total_cmp);
            let med = v[127];
            let mut h = [0u64; 4];
            for i in 0..16 {
                for j in 0..16 {
                    if b[i][j] > med {
                        h[(i * 16 + j) / 64] |= 1 << ((i * 16 + j) % 64);
                    }
                }
            }
            h
        })
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Pictures of every kind the fast paths distinguish: 8-bit levels (with
    /// structure, flat, with -0.0), fractional levels, large integers, NaN.
    fn picture(rng: &mut Rng, w: usize, h: usize, kind: u64) -> Vec<f32> {
        let fx = 1.0 + rng.below(40) as f32;
        let fy = 1.0 + rng.below(40) as f32;
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let smooth = 127.0 + 100.0 * (x / fx).sin() * (y / fy).cos();
                let noise = rng.below(24) as f32;
                match kind {
                    0 => (smooth + noise).clamp(0.0, 255.0).round(),
                    1 => (smooth + noise).clamp(0.0, 255.0) * 0.999 + 0.0123,
                    2 => {
                        if rng.below(3) == 0 {
                            -0.0
                        } else {
                            (rng.below(3)) as f32
                        }
                    }
                    3 => (smooth * 250.0).round() - 30000.0,
                    4 => 77.0,
                    _ => {
                        if rng.below(997) == 0 {
                            f32::NAN
                        } else {
                            smooth.round()
                        }
                    }
                }
            })
            .collect()
    }

    #[test]
    fn filtered_whole_picture_is_exact_pdq() {
        let mut rng = Rng(0x5eed_0000_f117_0001);
        for &(w, h) in &[
            (512usize, 288usize),
            (288, 512),
            (461, 259),
            (100, 37),
            (5, 9),
        ] {
            for kind in [0, 1, 3] {
                let luma = picture(&mut rng, w, h, kind);
                let f = JaroszFiltered::new(&luma, w, h, jarosz_windows(w, h)).unwrap();
                assert_eq!(
                    f.crop_pdq(0, 0, w, h),
                    Some(pdq_from_luma(&luma, w, h)),
                    "{w}x{h} kind {kind}"
                );
            }
        }
    }

    #[test]
    fn filtered_crops_stay_near_pdq_of_the_crop() {
        // A smooth, photo-like picture (no per-pixel noise): the edge effect of filtering
        // before cropping moves only a few of the 256 bits.
        let (w, h) = (512usize, 288usize);
        let luma: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                127.0
                    + 60.0 * (x / 23.0).sin() * (y / 31.0).cos()
                    + 50.0 * ((x + 2.0 * y) / 57.0).sin()
            })
            .map(f32::round)
            .collect();
        let mut worst = 0;
        for &(scale, fx, fy) in &[
            (0.9f32, 0.0f32, 0.0f32),
            (0.9, 0.1, 0.05),
            (0.94, 0.03, 0.06),
            (0.8, 0.1, 0.1),
        ] {
            let (cw, ch) = (
                (scale * w as f32).round() as usize,
                (scale * h as f32).round() as usize,
            );
            let (x, y) = (
                (fx * w as f32).round() as usize,
                (fy * h as f32).round() as usize,
            );
            let crop: Vec<f32> = (y..y + ch)
                .flat_map(|r| luma[r * w + x..r * w + x + cw].iter().copied())
                .collect();
            let exact = pdq_from_luma(&crop, cw, ch);
            let f = JaroszFiltered::new(&luma, w, h, jarosz_windows(cw, ch)).unwrap();
            let got = f.crop_pdq(x, y, cw, ch).unwrap();
            assert_eq!(
                f.crop_pdq_upright(x, y, cw, ch),
                Some((got.hash, got.quality)),
                "upright-only crop hash"
            );
            let d = hamming_distance(&got.hash, &exact.hash);
            worst = worst.max(d);
            assert!(got.quality.abs_diff(exact.quality) <= 2);
        }
        assert!(worst <= 12, "crop hashes {worst} bits from PDQ of the crop");
        let f = JaroszFiltered::new(&[0.0; 100], 10, 10, (1, 1)).unwrap();
        assert!(f.crop_pdq(6, 0, 5, 5).is_none());
        assert!(f.crop_pdq(0, 0, 4, 10).is_none());
        assert!(f.crop_pdq_upright(0, 0, 4, 10).is_none());
        assert!(JaroszFiltered::new(&[0.0; 100], 10, 10, (11, 1)).is_none());
    }

    #[test]
    fn fast_paths_are_bit_exact() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut sizes = vec![
            (5, 5),
            (5, 300),
            (300, 5),
            (64, 64),
            (63, 65),
            (127, 129),
            (128, 128),
            (461, 259),
            (512, 288),
            (288, 512),
            (470, 265),
            (1280, 720),
            (8200, 9),
            (17, 1000),
            (1700, 40),
            (3000, 12),
        ];
        for _ in 0..20 {
            sizes.push((5 + rng.below(700) as usize, 5 + rng.below(700) as usize));
        }
        let mut scratch = Scratch::default();
        for (n, &(w, h)) in sizes.iter().enumerate() {
            for kind in 0..6 {
                let luma = picture(&mut rng, w, h, kind);
                let want = naive_downsample(&luma, w, h);
                let mut got = [[0.0f32; 64]; 64];
                downsample(&luma, w, h, &mut scratch, &mut got);
                for i in 0..64 {
                    for j in 0..64 {
                        assert_eq!(
                            got[i][j].to_bits(),
                            want[i][j].to_bits(),
                            "{w}x{h} kind {kind} (case {n}): [{i}][{j}] {} vs {}",
                            got[i][j],
                            want[i][j]
                        );
                    }
                }
                assert_eq!(quality_metric(&got), naive_quality(&want));
                let dct = dct64_to_16(&got);
                let portable = dct64_to_16_portable(&got);
                assert!(
                    dct.iter()
                        .flatten()
                        .zip(portable.iter().flatten())
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "DCT fast path differs from the portable one ({w}x{h} kind {kind})"
                );
                let mut dihedral = [[0u64; 4]; 8];
                dihedral_hashes(&dct, &mut dihedral);
                assert_eq!(dihedral, naive_dihedral(&dct), "{w}x{h} kind {kind}");
            }
        }
    }
}

//! PDQ quality metric, 64x64 -> 16x16 DCT, median threshold and the eight dihedral hashes
//! (`pdqhashing.cpp`, `torben.cpp`).

use super::{
    HashBits, Mat16, Mat64, DCT_DIM, DIHEDRAL_FLIP_MINUS1, DIHEDRAL_FLIP_PLUS1, DIHEDRAL_FLIP_X,
    DIHEDRAL_FLIP_Y, DIHEDRAL_ORIGINAL, DIHEDRAL_ROTATE_180, DIHEDRAL_ROTATE_270,
    DIHEDRAL_ROTATE_90, DOWNSAMPLE_DIM,
};
use std::sync::OnceLock;

/// Meta's `pdqImageDomainQualityMetric`: sum over vertical and horizontal
/// neighbour pairs of `|trunc((u - v) * 100 / 255)|`, divided by 90 (integer
/// division), clamped to 100.
pub(super) fn quality_metric(b: &Mat64) -> u8 {
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
/// Runs with AVX2 where the CPU has it (the same IEEE divisions, so the same terms; this loop
/// built for the x86-64-v2 baseline measured 2.4 us per 64x64 block against 1.6 us).
pub(super) fn gradient_sum_lanes(b: &Mat64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { gradient_sum_lanes_avx2(b) };
    }
    gradient_sum_lanes_portable(b)
}

/// [`gradient_sum_lanes_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn gradient_sum_lanes_avx2(b: &Mat64) -> f32 {
    gradient_sum_lanes_portable(b)
}

/// The body of [`gradient_sum_lanes`] for any CPU.
#[inline(always)]
fn gradient_sum_lanes_portable(b: &Mat64) -> f32 {
    gradient_sum_lanes_with(b, |u: f32, v: f32| {
        (((u - v) * 100.0) / 255.0).trunc().abs()
    })
}

/// The quality metric of a crop view (whose hash is approximate already: see
/// [`super::JaroszFiltered`]): [`quality_metric`] with each term's division by 255 taken as a
/// multiplication by `100 / 255`, which can move a term across an integer only when it lies
/// within float rounding of one (a difference of at most one level per such term); measured
/// 1.1 us per 64x64 block against 1.6 us for the exact one, whose divisions bound it.
pub(super) fn quality_metric_of_crop(b: &Mat64) -> u8 {
    #[cfg(target_arch = "x86_64")]
    let lanes = if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { crop_gradient_sum_avx2(b) }
    } else {
        crop_gradient_sum(b)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let lanes = crop_gradient_sum(b);
    if lanes.is_finite() && lanes < 16_777_216.0 {
        return ((lanes as i64) / 90).clamp(0, 100) as u8;
    }
    quality_metric(b)
}

/// [`crop_gradient_sum`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn crop_gradient_sum_avx2(b: &Mat64) -> f32 {
    crop_gradient_sum(b)
}

/// The gradient sum of [`quality_metric_of_crop`]: `|trunc((u - v) * (100 / 255))|` over
/// every neighbour pair, in eight f32 lanes.
#[inline(always)]
fn crop_gradient_sum(b: &Mat64) -> f32 {
    const SCALE: f32 = 100.0 / 255.0;
    gradient_sum_lanes_with(b, |u, v| ((u - v) * SCALE).trunc().abs())
}

/// `term(u, v)` over every vertical and horizontal neighbour pair, summed in eight f32 lanes.
#[inline(always)]
fn gradient_sum_lanes_with(b: &Mat64, term: impl Fn(f32, f32) -> f32) -> f32 {
    const L: usize = 8;
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
pub(super) fn gradient_sum<T: std::iter::Sum<T> + std::ops::AddAssign + Default>(
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
pub(super) struct DctMatrix {
    d: [[f32; DOWNSAMPLE_DIM]; DCT_DIM],
    dt: [[f32; DCT_DIM]; DOWNSAMPLE_DIM],
}

pub(super) fn dct_matrix() -> &'static DctMatrix {
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
pub(super) fn dct64_to_16(a: &Mat64) -> Mat16 {
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
pub(super) fn dct64_to_16_avx2(a: &Mat64) -> Mat16 {
    dct64_to_16_portable(a)
}

/// The body of [`dct64_to_16`] for any CPU.
#[inline(always)]
pub(super) fn dct64_to_16_portable(a: &Mat64) -> Mat16 {
    let m = dct_matrix();
    // T = D A (16x64); loop order changed so that a block of 8 rows by 8 columns of sums
    // stays in registers while k runs, but each T[i][j] still sums D[i][k] * A[k][j] for
    // k = 0, 1, ..., 63.
    const BLOCK: usize = 8;
    let mut t = [[0.0f32; DOWNSAMPLE_DIM]; DCT_DIM];
    for ib in (0..DCT_DIM).step_by(BLOCK) {
        for jb in (0..DOWNSAMPLE_DIM).step_by(BLOCK) {
            let mut acc = [[0.0f32; BLOCK]; BLOCK];
            for (k, ak) in a.iter().enumerate() {
                let v: [f32; BLOCK] = std::array::from_fn(|l| ak[jb + l]);
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let dik = m.d[ib + r][k];
                    for (x, &akj) in acc_r.iter_mut().zip(&v) {
                        *x += dik * akj;
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                t[ib + r][jb..jb + BLOCK].copy_from_slice(acc_r);
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

/// The same 64x64 -> 16x16 block as [`dct64_to_16`] with half the multiplications, for crop
/// views (whose hashes are approximate already: see [`super::JaroszFiltered`]). Not bit for bit
/// [`dct64_to_16`]: sums run in another order (and fused where the CPU has FMA), so the
/// coefficients differ by float rounding and a bit of the hash flips only when a coefficient
/// sits within that rounding of the median.
///
/// It folds the input with the DCT-II basis symmetry `D[i][63 - k] = (-1)^(i+1) D[i][k]` (the
/// even/odd split of the standard fast DCT factorisations, e.g. Chen, Smith and Fralick, "A
/// fast computational algorithm for the discrete cosine transform", IEEE Trans. Commun. 1977):
/// even frequencies use the sums `A[k] + A[63 - k]`, odd ones the differences, `k < 32`, in
/// both passes.
pub(super) fn dct64_to_16_folded(a: &Mat64) -> Mat16 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { dct64_to_16_folded_avx2(a) };
    }
    dct64_to_16_folded_portable(a, |x, y, acc| x * y + acc)
}

/// [`dct64_to_16_folded_portable`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dct64_to_16_folded_avx2(a: &Mat64) -> Mat16 {
    dct64_to_16_folded_portable(a, f32::mul_add)
}

const HALF: usize = DOWNSAMPLE_DIM / 2;

/// The body of [`dct64_to_16_folded`] for any CPU, `madd(x, y, acc)` being `x * y + acc`
/// (fused where the CPU has FMA: a software fused multiply-add would be slower than both).
#[inline(always)]
pub(super) fn dct64_to_16_folded_portable(a: &Mat64, madd: impl Fn(f32, f32, f32) -> f32) -> Mat16 {
    let m = dct_matrix();
    // Fold the rows: sums (even frequencies, odd i) and differences (odd frequencies, even i).
    let fold = |k: usize, sign: f32| -> [f32; DOWNSAMPLE_DIM] {
        let (top, bottom) = (&a[k], &a[DOWNSAMPLE_DIM - 1 - k]);
        std::array::from_fn(|j| top[j] + sign * bottom[j])
    };
    let sums: [[f32; DOWNSAMPLE_DIM]; HALF] = std::array::from_fn(|k| fold(k, 1.0));
    let diffs: [[f32; DOWNSAMPLE_DIM]; HALF] = std::array::from_fn(|k| fold(k, -1.0));
    // T = D A (16x64), a block of 8 columns of the 8 rows of one parity at a time: the 8 x 8
    // sums stay in registers while k runs (each still summed over k = 0, 1, ..., 31).
    const BLOCK: usize = 8;
    let mut t = [[0.0f32; DOWNSAMPLE_DIM]; DCT_DIM];
    for parity in 0..2 {
        let folded = if parity == 1 { &sums } else { &diffs };
        let rows: [&[f32; DOWNSAMPLE_DIM]; DCT_DIM / 2] =
            std::array::from_fn(|r| &m.d[2 * r + parity]);
        for jb in (0..DOWNSAMPLE_DIM).step_by(BLOCK) {
            let mut acc = [[0.0f32; BLOCK]; DCT_DIM / 2];
            for (k, fk) in folded.iter().enumerate() {
                let v: [f32; BLOCK] = std::array::from_fn(|l| fk[jb + l]);
                for (acc_r, d_r) in acc.iter_mut().zip(&rows) {
                    let d = d_r[k];
                    for (x, &y) in acc_r.iter_mut().zip(&v) {
                        *x = madd(d, y, *x);
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                t[2 * r + parity][jb..jb + BLOCK].copy_from_slice(acc_r);
            }
        }
    }
    // B = T D^T (16x16), folding T's columns likewise: B[i][j] = sum over k < 32 of
    // D[j][k] * (T[i][k] +- T[i][63 - k]), + for odd j.
    // Four rows of B at a time: four independent chains of multiply-adds (one row alone waits
    // on each previous multiply-add); each B[i][j] still sums over k = 0, 1, ..., 31, so the
    // result is the same bit for bit. Measured 2.0 us per block against 2.3 us a row at a time.
    const ROWS: usize = 4;
    let mut b = [[0.0f32; DCT_DIM]; DCT_DIM];
    for (bs, ts) in b.chunks_exact_mut(ROWS).zip(t.chunks_exact(ROWS)) {
        let mut acc = [[0.0f32; DCT_DIM]; ROWS];
        for (k, dtk) in m.dt[..HALF].iter().enumerate() {
            for (acc_r, tr) in acc.iter_mut().zip(ts) {
                let (left, right) = (tr[k], tr[DOWNSAMPLE_DIM - 1 - k]);
                // Differences for even j, sums for odd j.
                let folded: [f32; DCT_DIM] = std::array::from_fn(|j| {
                    if j % 2 == 1 {
                        left + right
                    } else {
                        left - right
                    }
                });
                for ((x, &djk), &f) in acc_r.iter_mut().zip(dtk.iter()).zip(folded.iter()) {
                    *x = madd(f, djk, *x);
                }
            }
        }
        bs.copy_from_slice(&acc);
    }
    b
}

/// Zero-based rank of the value torben returns: the `(n + 1) / 2`-th smallest
/// of `n = 256` values.
pub(super) const MEDIAN_RANK: usize = (DCT_DIM * DCT_DIM).div_ceil(2) - 1;

/// The median Meta's `torben` returns for 256 values: the 128th smallest
/// (for finite input torben returns exactly this value; a selection is used
/// here so that NaN or infinite input cannot make it loop).
pub(super) fn median256(m: &Mat16) -> f32 {
    let mut v = [0.0f32; DCT_DIM * DCT_DIM];
    for (dst, src) in v.chunks_exact_mut(DCT_DIM).zip(m.iter()) {
        dst.copy_from_slice(src);
    }
    let (_, &mut med, _) = v.select_nth_unstable_by(MEDIAN_RANK, f32::total_cmp);
    med
}

/// Meta's `pdqBuffer16x16ToBits`: bit `i*16+j` set iff `B[i][j] > median`.
pub(super) fn bits_from_dct(b: &Mat16) -> HashBits {
    bits_above(b, median256(b), false)
}

/// The bits of `b` (transposed when `xpose`) above `med`: bit `i*16+j` is
/// `b[i][j] > med`, or `b[j][i] > med` when transposed.
pub(super) fn bits_above(b: &Mat16, med: f32, xpose: bool) -> HashBits {
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
pub(super) fn dihedral_hashes(a: &Mat16, out: &mut [HashBits; 8]) {
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

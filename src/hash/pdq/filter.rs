//! PDQ downsampling: Meta's Jarosz filter (two passes of box filters along rows and columns)
//! and decimation to 64x64 (`downscaling.cpp`), with lockstep lanes and exact integer sums
//! that keep the reference's result bit for bit.

use super::{Mat64, DOWNSAMPLE_DIM};
use std::cell::RefCell;

/// Meta's `box1DFloat` along every row of `src` (whole rows of `width`) into `dst`: [`LANES`]
/// rows at once when there are exactly that many (transposed into AVX lanes when the CPU has
/// AVX), else one at a time (each row sees the reference's sequence of operations either way).
pub(super) fn box_rows(src: &[f32], dst: &mut [f32], width: usize, window: usize) {
    #[cfg(target_arch = "x86_64")]
    if src.len() == width * LANES && super::box_rows_avx::box_eight_rows(src, dst, width, window) {
        return;
    }
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
pub(super) fn jarosz_window_size(old_dim: usize, new_dim: usize) -> usize {
    // Meta: (old + 2 * new - 1) / (2 * new), i.e. a rounded-up division.
    old_dim.div_ceil(2 * new_dim)
}

/// Meta's `decimateFloat` source index for output index `out_i`:
/// `(int)(((out_i + 0.5) * in_dim) / out_dim)` in double precision.
pub(super) fn decimate_index(out_i: usize, in_dim: usize, out_dim: usize) -> usize {
    let idx = (((out_i as f64 + 0.5) * in_dim as f64) / out_dim as f64) as usize;
    idx.min(in_dim - 1)
}

/// Number of image rows whose row-direction box filters run in lockstep
/// (independent running sums, so the CPU can overlap them; each row still
/// sees exactly the reference's sequence of operations).
pub(super) const LANES: usize = 8;

/// Largest row window for which the first row pass takes the exact integer
/// path ([`box_line_exact`]); wider rows (images over 8192 px) use the lanes.
pub(super) const MAX_EXACT_WINDOW: usize = 64;

/// Largest magnitude of an input sample for the exact integer path: window
/// sums of such integers (at most `(MAX_EXACT_WINDOW + 1) * 65536 < 2^24`)
/// are exact in `f32`, whatever the order of the additions.
pub(super) const EXACT_LIMIT: f32 = 65536.0;

/// Reusable per-thread work memory for [`downsample`].
#[derive(Default)]
pub(super) struct Scratch {
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
    pub(super) static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Resizes `v` to `n` values, reusing its allocation. The contents are not
/// cleared: every buffer is fully written before it is read.
pub(super) fn reset(v: &mut Vec<f32>, n: usize) {
    v.resize(n, 0.0);
}

/// True when every sample is an integer of magnitude at most
/// [`EXACT_LIMIT`] (decoded 8-bit frames and crops of them), so that the
/// reference's running sums along a row are exact.
pub(super) fn small_integers(v: &[f32]) -> bool {
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
pub(super) fn downsample(
    luma: &[f32],
    width: usize,
    height: usize,
    s: &mut Scratch,
    out: &mut Mat64,
) {
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
pub(super) fn box_phases(len: usize, window: usize) -> (usize, usize, usize, usize) {
    let half = (window + 2) / 2; // 7 -> 4, 8 -> 5
    (half - 1, window - half + 1, len - window, half - 1)
}

/// Meta's `box1DFloat` (stride 1) on `N` lines of equal length at once, each
/// with its own running sum, so that each line sees exactly the reference's
/// operations while the CPU overlaps the `N` dependency chains.
#[allow(clippy::needless_range_loop)] // explicit indices mirror the reference
pub(super) fn box_lines<const N: usize>(
    inp: [&[f32]; N],
    out: &mut [&mut [f32]; N],
    window: usize,
) {
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
pub(super) fn box_lines_sampled<const N: usize>(
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
/// the reference. The result is bit-identical to the reference. On any other input it is the
/// same filter with float rounding of its own (each window summed afresh).
pub(super) fn box_line_exact(
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
pub(super) fn window_mean_exact<const W: usize>(x: &[f32], out: &mut [f32]) {
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
pub(super) fn window_sums_exact(
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
pub(super) fn box_columns(
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

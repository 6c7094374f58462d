//! Many crops of one picture from one filter pass: the Jarosz filter is run once over the
//! whole picture and each crop's 64x64 PDQ input is decimated from it.

use super::{
    bits_from_dct, box_line_exact, box_phases, box_rows, dct64_to_16, dct64_to_16_folded,
    decimate_index, dihedral_hashes, jarosz_window_size, quality_metric, small_integers, HashBits,
    Mat64, PdqOutput, DIHEDRAL_ORIGINAL, DOWNSAMPLE_DIM, LANES, MAX_EXACT_WINDOW, MIN_HASHABLE_DIM,
};

/// Meta's Jarosz window sizes `(along rows, along columns)` for a `width` x `height` picture.
pub fn jarosz_windows(width: usize, height: usize) -> (usize, usize) {
    (
        jarosz_window_size(width, DOWNSAMPLE_DIM),
        jarosz_window_size(height, DOWNSAMPLE_DIM),
    )
}

/// A picture through the Jarosz tent filter once (two passes of row box then column box, with
/// Meta's `box1DFloat`), from which the PDQ-style hash of any crop whose own Jarosz windows
/// equal these is decimated in microseconds ([`JaroszFiltered::crop_pdq`]).
///
/// For the whole picture the result is bit for bit [`super::pdq_from_luma`]. For a crop it differs
/// from PDQ of the cropped picture only in the filter's support at the crop's edges (PDQ
/// shrinks its windows at the picture's border, here they see the pixels beyond the crop):
/// a few bits (tested below). swordnet uses it for the dozens of crop views of each reference
/// frame ([`crate::hash::views`]); the standard hash (view 0) is always exact PDQ.
#[derive(Debug, Clone)]
pub struct JaroszFiltered {
    width: usize,
    height: usize,
    windows: (usize, usize),
    data: Vec<f32>,
}

impl JaroszFiltered {
    /// Filters `luma` (`width` x `height`, row-major) with windows `(along rows, along
    /// columns)`, pixels. Returns `None` for a picture smaller than [`MIN_HASHABLE_DIM`], a
    /// window of 0 or wider than the picture, or `luma` shorter than the picture.
    pub fn new(
        luma: &[f32],
        width: usize,
        height: usize,
        windows: (usize, usize),
    ) -> Option<JaroszFiltered> {
        let n = width.checked_mul(height)?;
        let (wr, wc) = windows;
        if width < MIN_HASHABLE_DIM
            || height < MIN_HASHABLE_DIM
            || luma.len() < n
            || wr == 0
            || wc == 0
            || wr > width
            || wc > height
        {
            return None;
        }
        // Every value of both buffers is written before it is read (each box pass writes its
        // whole output), so recycled buffers need no clearing.
        let mut a = spare_buffer(n);
        let mut b = spare_buffer(n);
        filter_passes(&luma[..n], width, height, windows, &mut a, &mut b);
        recycle(b);
        Some(JaroszFiltered {
            width,
            height,
            windows,
            data: a,
        })
    }

    /// The windows the picture was filtered with.
    pub fn windows(&self) -> (usize, usize) {
        self.windows
    }

    /// The PDQ hash, quality and dihedral hashes of the crop at `(x, y)` of `w` x `h` pixels,
    /// decimated from the filtered picture at the crop's own 64x64 sample points. `None` when
    /// the crop is smaller than [`MIN_HASHABLE_DIM`] or leaves the picture.
    pub fn crop_pdq(&self, x: usize, y: usize, w: usize, h: usize) -> Option<PdqOutput> {
        with_samples(|blurred| {
            self.crop_samples(x, y, w, h, blurred)?;
            let mut out = PdqOutput::default();
            dihedral_hashes(&self.dct(x, y, w, h, blurred), &mut out.dihedral);
            out.quality = quality_metric(blurred);
            out.hash = out.dihedral[DIHEDRAL_ORIGINAL];
            Some(out)
        })
    }

    /// As [`JaroszFiltered::crop_pdq`], the crop as it is only: `(hash, quality)`, without
    /// the seven other orientations (a quarter of the work after the DCT).
    pub fn crop_pdq_upright(
        &self,
        x: usize,
        y: usize,
        w: usize,
        h: usize,
    ) -> Option<(HashBits, u8)> {
        with_samples(|blurred| {
            self.crop_samples(x, y, w, h, blurred)?;
            Some((
                bits_from_dct(&self.dct(x, y, w, h, blurred)),
                quality_metric(blurred),
            ))
        })
    }

    /// The DCT of the crop at `(x, y)` of `w` x `h` pixels from its samples: PDQ's exactly
    /// for the whole picture (whose hash is then PDQ bit for bit), the folded transform (same
    /// values within float rounding, half the work: [`dct64_to_16_folded`]) for a crop, which
    /// is within a few bits of PDQ of the crop anyway.
    fn dct(&self, x: usize, y: usize, w: usize, h: usize, samples: &Mat64) -> super::Mat16 {
        if (x, y, w, h) == (0, 0, self.width, self.height) {
            dct64_to_16(samples)
        } else {
            dct64_to_16_folded(samples)
        }
    }

    /// Fills `blurred` with the crop's 64x64 PDQ input, sampled from the filtered picture
    /// (in place: a returned 16 KB matrix was copied on every call, a third of the crop views'
    /// cost). Every entry is written when it returns `Some`.
    fn crop_samples(
        &self,
        x: usize,
        y: usize,
        w: usize,
        h: usize,
        blurred: &mut Mat64,
    ) -> Option<()> {
        if w < MIN_HASHABLE_DIM
            || h < MIN_HASHABLE_DIM
            || x.checked_add(w)? > self.width
            || y.checked_add(h)? > self.height
        {
            return None;
        }
        let mut cols = [0usize; DOWNSAMPLE_DIM];
        for (k, c) in cols.iter_mut().enumerate() {
            *c = x + decimate_index(k, w, DOWNSAMPLE_DIM);
        }
        for (i, row) in blurred.iter_mut().enumerate() {
            let src = &self.data[(y + decimate_index(i, h, DOWNSAMPLE_DIM)) * self.width..];
            for (v, &c) in row.iter_mut().zip(&cols) {
                *v = src[c];
            }
        }
        Some(())
    }
}

impl Drop for JaroszFiltered {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.data));
    }
}

/// Buffers kept per thread for [`JaroszFiltered`]: a reference frame filters its picture
/// once or twice per frame, and a fresh 0.6 MB buffer each time cost a page fault per 4 KB
/// and a memset (a tenth of indexing's own CPU).
const SPARE_BUFFERS: usize = 4;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer of `n` values from this thread's spares (contents unspecified) or a new one.
fn spare_buffer(n: usize) -> Vec<f32> {
    let mut v = SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default();
    v.resize(n, 0.0);
    v
}

/// Keeps `v` for [`spare_buffer`] (at most [`SPARE_BUFFERS`] per thread).
fn recycle(v: Vec<f32>) {
    if v.capacity() == 0 {
        return;
    }
    SPARE.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < SPARE_BUFFERS {
            s.push(v);
        }
    });
}

/// Runs `f` with this thread's 64x64 sample buffer (every entry is overwritten by
/// [`JaroszFiltered::crop_samples`] before it is read): a fresh zeroed 16 KB matrix per crop
/// view cost a memset each.
fn with_samples<T>(f: impl FnOnce(&mut Mat64) -> T) -> T {
    thread_local! {
        static SAMPLES: std::cell::RefCell<Box<Mat64>> =
            std::cell::RefCell::new(Box::new([[0.0; DOWNSAMPLE_DIM]; DOWNSAMPLE_DIM]));
    }
    SAMPLES.with(|samples| f(&mut samples.borrow_mut()))
}

/// The Jarosz filter of `luma` (`width` x `height`) with windows `(along rows, along
/// columns)` into `a`, `b` being scratch (both of `luma.len()` values): row box, column box,
/// row box, column box, each as Meta's `box1DFloat`.
fn filter_passes(
    luma: &[f32],
    width: usize,
    height: usize,
    (wr, wc): (usize, usize),
    a: &mut [f32],
    b: &mut [f32],
) {
    // First row pass: integer samples (decoded frames) take the exact path, whose window
    // sums vectorise and equal the reference's running sums bit for bit.
    if wr <= MAX_EXACT_WINDOW && small_integers(luma) {
        let (mut acc, mut level, mut level_next) = (Vec::new(), Vec::new(), Vec::new());
        for (src, dst) in luma.chunks_exact(width).zip(b.chunks_exact_mut(width)) {
            box_line_exact(src, dst, wr, &mut acc, &mut level, &mut level_next);
        }
    } else {
        box_rows_all(luma, b, width, wr);
    }
    box_columns_all(b, a, width, height, wc);
    box_rows_all(a, b, width, wr);
    box_columns_all(b, a, width, height, wc);
}

/// Meta's `box1DFloat` along every row of `inp` (whole rows of `width`) into `out`, [`LANES`]
/// rows at a time (each with the reference's sequence of operations).
fn box_rows_all(inp: &[f32], out: &mut [f32], width: usize, window: usize) {
    for (src, dst) in inp.chunks(width * LANES).zip(out.chunks_mut(width * LANES)) {
        box_rows(src, dst, width, window);
    }
}

/// Meta's `box1DFloat` down every column of `inp` (`width` x `height`, row-major) into `out`,
/// all columns at once, a whole row per step: each column's running sum sees exactly the
/// reference's sequence of additions, subtractions and divisions, and the row-wide steps
/// vectorise.
fn box_columns_all(inp: &[f32], out: &mut [f32], width: usize, height: usize, window: usize) {
    let (p1, p2, p3, p4) = box_phases(height, window);
    let row = |i: usize| &inp[i * width..(i + 1) * width];
    let mut sum = vec![0.0f32; width];
    let mut cur = 0usize;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    for _ in 0..p1 {
        for (s, &x) in sum.iter_mut().zip(row(ri)) {
            *s += x;
        }
        cur += 1;
        ri += 1;
    }
    for _ in 0..p2 {
        cur += 1;
        let w = cur as f32;
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, &x), o) in sum.iter_mut().zip(row(ri)).zip(dst) {
            *s += x;
            *o = *s / w;
        }
        ri += 1;
        oi += 1;
    }
    let w = cur as f32;
    for _ in 0..p3 {
        let dst = &mut out[oi * width..(oi + 1) * width];
        for (((s, &x), &y), o) in sum.iter_mut().zip(row(ri)).zip(row(li)).zip(dst) {
            *s += x;
            *s -= y;
            *o = *s / w;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p4 {
        cur -= 1;
        let w = cur as f32;
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, &y), o) in sum.iter_mut().zip(row(li)).zip(dst) {
            *s -= y;
            *o = *s / w;
        }
        li += 1;
        oi += 1;
    }
}

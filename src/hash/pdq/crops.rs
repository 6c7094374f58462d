//! Many crops of one picture from one filter pass: the Jarosz filter is run once over the
//! whole picture and each crop's 64x64 PDQ input is decimated from it.

use super::{
    bits_from_dct, box_line_exact, box_phases, box_rows, dct64_to_16, dct64_to_16_folded,
    decimate_index, dihedral_hashes, jarosz_window_size, quality_metric, quality_metric_of_crop,
    small_integers, HashBits, Mat64, PdqOutput, DIHEDRAL_ORIGINAL, DOWNSAMPLE_DIM, LANES,
    MAX_EXACT_WINDOW, MIN_HASHABLE_DIM,
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
/// Filtered by [`JaroszFiltered::new`], the whole picture's hash is bit for bit
/// [`super::pdq_from_luma`]. For a crop it differs from PDQ of the cropped picture only in the
/// filter's support at the crop's edges (PDQ shrinks its windows at the picture's border, here
/// they see the pixels beyond the crop): a few bits (tested below). swordnet uses it for the
/// dozens of crop views of each reference frame ([`crate::hash::views`]), most of them from
/// a [`Filtering::Fast`] filter; the standard hash (view 0) is always exact PDQ.
#[derive(Debug, Clone)]
pub struct JaroszFiltered {
    width: usize,
    height: usize,
    windows: (usize, usize),
    /// The filtered picture, `width` x `height` values, row-major.
    pub(super) data: Vec<f32>,
    /// How the box filters ran.
    pub(super) filtering: Filtering,
}

/// How [`JaroszFiltered`] runs the box filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filtering {
    /// Meta's `box1DFloat` operation for operation: the whole picture hashes bit for bit as PDQ.
    Exact,
    /// The same box filters with float rounding of their own: window sums instead of running
    /// sums along rows (vectorised, no dependency chain from pixel to pixel) and a multiply by
    /// the window's reciprocal instead of a division: the rows of a 512x288 picture in 39 us
    /// against 82 us exactly. Values agree with [`Filtering::Exact`] within a few units in the
    /// last place (crop hashes within a bit of textured pictures: tested; near-flat crops,
    /// whose low bits are float noise either way, can differ by more: up to 36 bits on the
    /// low-quality square views of a 512 x 16 strip), but the whole picture is then not PDQ
    /// bit for bit.
    Fast,
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
        Self::new_many(luma, width, height, &[(windows, Filtering::Exact)])
            .pop()
            .flatten()
    }

    /// [`JaroszFiltered::new`] for each of `filters` (windows and how to filter), in order;
    /// pictures filtered with the same window along rows share the first pass (the same
    /// values bit for bit).
    pub fn new_many(
        luma: &[f32],
        width: usize,
        height: usize,
        filters: &[((usize, usize), Filtering)],
    ) -> Vec<Option<JaroszFiltered>> {
        let n = width.saturating_mul(height);
        let valid = |&(wr, wc): &(usize, usize)| {
            width >= MIN_HASHABLE_DIM
                && height >= MIN_HASHABLE_DIM
                && width.checked_mul(height).is_some()
                && luma.len() >= n
                && wr != 0
                && wc != 0
                && wr <= width
                && wc <= height
        };
        let mut out: Vec<Option<JaroszFiltered>> = filters.iter().map(|_| None).collect();
        if !filters.iter().any(|(w, _)| valid(w)) {
            return out;
        }
        // Every value of these buffers is written before it is read (each box pass writes its
        // whole output), so recycled buffers need no clearing.
        let mut first = spare_buffer(n);
        let mut scratch = spare_buffer(n);
        let mut order: Vec<usize> = (0..filters.len())
            .filter(|&i| valid(&filters[i].0))
            .collect();
        order.sort_by_key(|&i| filters[i].0 .0);
        let mut first_window = None;
        for i in order {
            let (win, filtering) = filters[i];
            if first_window != Some(win.0) {
                first_row_pass(&luma[..n], width, win.0, &mut first);
                first_window = Some(win.0);
            }
            let mut data = spare_buffer(n);
            later_passes(
                &first,
                width,
                height,
                win,
                filtering,
                &mut data,
                &mut scratch,
            );
            out[i] = Some(JaroszFiltered {
                width,
                height,
                windows: win,
                data,
                filtering,
            });
        }
        recycle(first);
        recycle(scratch);
        out
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
            out.quality = self.quality(x, y, w, h, blurred);
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
                self.quality(x, y, w, h, blurred),
            ))
        })
    }

    /// True when the crop at `(x, y)` of `w` x `h` pixels is the whole picture of an exact
    /// filter, whose hash and quality are then PDQ's exactly.
    fn is_whole(&self, x: usize, y: usize, w: usize, h: usize) -> bool {
        self.filtering == Filtering::Exact && (x, y, w, h) == (0, 0, self.width, self.height)
    }

    /// The DCT of the crop at `(x, y)` of `w` x `h` pixels from its samples: PDQ's exactly
    /// for the whole picture (whose hash is then PDQ bit for bit), the folded transform (same
    /// values within float rounding, half the work: [`dct64_to_16_folded`]) for a crop, which
    /// is within a few bits of PDQ of the crop anyway.
    fn dct(&self, x: usize, y: usize, w: usize, h: usize, samples: &Mat64) -> super::Mat16 {
        if self.is_whole(x, y, w, h) {
            dct64_to_16(samples)
        } else {
            dct64_to_16_folded(samples)
        }
    }

    /// The quality of the crop at `(x, y)` of `w` x `h` pixels from its samples: PDQ's
    /// exactly for the whole picture, [`quality_metric_of_crop`] for a crop.
    fn quality(&self, x: usize, y: usize, w: usize, h: usize, samples: &Mat64) -> u8 {
        if self.is_whole(x, y, w, h) {
            quality_metric(samples)
        } else {
            quality_metric_of_crop(samples)
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
        // Sample columns relative to the crop: each below `w` (decimate_index < its input size).
        let mut cols = [0usize; DOWNSAMPLE_DIM];
        for (k, c) in cols.iter_mut().enumerate() {
            *c = decimate_index(k, w, DOWNSAMPLE_DIM).min(w - 1);
        }
        for (i, row) in blurred.iter_mut().enumerate() {
            let start = (y + decimate_index(i, h, DOWNSAMPLE_DIM).min(h - 1)) * self.width + x;
            let src = &self.data[start..start + w];
            for (v, &c) in row.iter_mut().zip(&cols) {
                // SAFETY: every `c` is below `w` (clamped above) and `src` holds `w` values.
                *v = unsafe { *src.get_unchecked(c) };
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

/// The first pass of the Jarosz filter: Meta's `box1DFloat` along every row of `luma` (whole
/// rows of `width`) with window `wr` into `out`. Integer samples (decoded frames) take the
/// exact path, whose window sums vectorise and equal the reference's running sums bit for bit.
fn first_row_pass(luma: &[f32], width: usize, wr: usize, out: &mut [f32]) {
    if wr <= MAX_EXACT_WINDOW && small_integers(luma) {
        // Window sums of integers are the running sums exactly.
        box_rows_window_sums(luma, out, width, wr);
    } else {
        box_rows_all(luma, out, width, wr);
    }
}

/// The rest of the Jarosz filter after [`first_row_pass`] (`first`, `width` x `height`):
/// column box, row box, column box with windows `(along rows, along columns)`, into `out`,
/// `scratch` being overwritten (both of `first.len()` values).
fn later_passes(
    first: &[f32],
    width: usize,
    height: usize,
    (wr, wc): (usize, usize),
    filtering: Filtering,
    out: &mut [f32],
    scratch: &mut [f32],
) {
    match filtering {
        Filtering::Exact => {
            box_columns_all::<true>(first, out, width, height, wc);
            box_rows_all(out, scratch, width, wr);
            box_columns_all::<true>(scratch, out, width, height, wc);
        }
        Filtering::Fast => {
            box_columns_all::<false>(first, out, width, height, wc);
            box_rows_window_sums(out, scratch, width, wr);
            box_columns_all::<false>(scratch, out, width, height, wc);
        }
    }
}

/// Meta's `box1DFloat` along every row of `inp` into `out` with each output's window summed
/// afresh ([`box_line_exact`]: the same values as the running sum up to float rounding, which
/// is exact for integer input): the sums of neighbouring outputs are independent and
/// vectorise, where the running sum is one long chain of dependent additions per row.
fn box_rows_window_sums(inp: &[f32], out: &mut [f32], width: usize, window: usize) {
    let (mut acc, mut level, mut level_next) = (Vec::new(), Vec::new(), Vec::new());
    for (src, dst) in inp.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        box_line_exact(src, dst, window, &mut acc, &mut level, &mut level_next);
    }
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
/// vectorise. With `EXACT` false each division by the count becomes a multiply by its
/// reciprocal (within one unit in the last place; a vector division costs several multiplies).
fn box_columns_all<const EXACT: bool>(
    inp: &[f32],
    out: &mut [f32],
    width: usize,
    height: usize,
    window: usize,
) {
    // `s / count`, or `s * (1 / count)` with the reciprocal computed once per row.
    let mean = |s: f32, count: f32, reciprocal: f32| {
        if EXACT {
            s / count
        } else {
            s * reciprocal
        }
    };
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
        let (w, r) = (cur as f32, 1.0 / cur as f32);
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, &x), o) in sum.iter_mut().zip(row(ri)).zip(dst) {
            *s += x;
            *o = mean(*s, w, r);
        }
        ri += 1;
        oi += 1;
    }
    let (w, r) = (cur as f32, 1.0 / cur as f32);
    for _ in 0..p3 {
        let dst = &mut out[oi * width..(oi + 1) * width];
        for (((s, &x), &y), o) in sum.iter_mut().zip(row(ri)).zip(row(li)).zip(dst) {
            *s += x;
            *s -= y;
            *o = mean(*s, w, r);
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p4 {
        cur -= 1;
        let (w, r) = (cur as f32, 1.0 / cur as f32);
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, &y), o) in sum.iter_mut().zip(row(li)).zip(dst) {
            *s -= y;
            *o = mean(*s, w, r);
        }
        li += 1;
        oi += 1;
    }
}

//! Luma picture geometry: the output size for a side limit, area-average downscaling with
//! reusable buffers, and clockwise rotation by multiples of 90 degrees.

/// Fixed-point scale of the resampling weights (14 bits).
const WEIGHT_BITS: u32 = 14;

// ---------------------------------------------------------------------------------------------
// Scaling and rotation
// ---------------------------------------------------------------------------------------------

/// Output size for a `w` x `h` picture whose longer side must be at most `max_side`
/// (0 = no limit); never larger than the input.
pub(super) fn scaled_size(w: u32, h: u32, max_side: u32) -> (u32, u32) {
    let long = w.max(h);
    if max_side == 0 || long <= max_side {
        return (w, h);
    }
    let short = w.min(h);
    let s = ((u64::from(short) * u64::from(max_side) + u64::from(long) / 2) / u64::from(long))
        .max(1) as u32;
    if w >= h {
        (max_side, s)
    } else {
        (s, max_side)
    }
}

/// Area-average resampling weights for one axis: output `j` covers source pixels
/// `start[j] .. start[j] + len[j]` with weights `w[off[j]..]` summing to `1 << WEIGHT_BITS`.
#[derive(Default)]
struct Axis {
    start: Vec<usize>,
    len: Vec<usize>,
    off: Vec<usize>,
    w: Vec<u32>,
}

impl Axis {
    fn new(src: usize, dst: usize) -> Self {
        let mut a = Self::default();
        let ratio = src as f64 / dst as f64;
        let one = 1u32 << WEIGHT_BITS;
        for j in 0..dst {
            let lo = j as f64 * ratio;
            let hi = ((j + 1) as f64 * ratio).min(src as f64);
            let first = (lo.floor() as usize).min(src - 1);
            let last = ((hi.ceil() as usize).max(first + 1)).min(src);
            let off = a.w.len();
            let mut sum = 0u32;
            let mut best = off;
            for i in first..last {
                let cover = (hi.min(i as f64 + 1.0) - lo.max(i as f64)).max(0.0);
                let wt = (cover / ratio * f64::from(one)).round() as u32;
                if wt > a.w.get(best).copied().unwrap_or(0) {
                    best = a.w.len();
                }
                a.w.push(wt);
                sum += wt;
            }
            // Make the weights sum to exactly `one`.
            if let Some(b) = a.w.get_mut(best) {
                *b = (*b + one).saturating_sub(sum);
            }
            a.start.push(first);
            a.len.push(last - first);
            a.off.push(off);
        }
        a
    }
}

/// Separable area-average downscaler with buffers reused across frames.
#[derive(Default)]
pub(super) struct Scaler {
    key: (usize, usize, usize, usize),
    xs: Axis,
    ys: Axis,
    acc: Vec<u32>,
}

impl Scaler {
    /// Scales the `w` x `h` plane `src` (rows `stride` bytes apart) to `dw` x `dh`.
    pub(super) fn scale(
        &mut self,
        src: &[u8],
        stride: usize,
        w: usize,
        h: usize,
        dw: usize,
        dh: usize,
    ) -> Vec<u8> {
        let mut out = vec![0u8; dw * dh];
        if dw == w && dh == h {
            for (y, row) in out.chunks_exact_mut(w).enumerate() {
                row.copy_from_slice(&src[y * stride..y * stride + w]);
            }
            return out;
        }
        if self.key != (w, h, dw, dh) {
            self.xs = Axis::new(w, dw);
            self.ys = Axis::new(h, dh);
            self.key = (w, h, dw, dh);
        }
        self.acc.resize(w, 0);
        let shift = 2 * WEIGHT_BITS;
        let round = 1u64 << (shift - 1);
        for (j, out_row) in out.chunks_exact_mut(dw).enumerate() {
            // Vertical: weighted sum of the source rows into `acc`.
            let acc = &mut self.acc[..w];
            acc.fill(0);
            let (y0, n, o) = (self.ys.start[j], self.ys.len[j], self.ys.off[j]);
            for t in 0..n {
                let wt = self.ys.w[o + t];
                if wt == 0 {
                    continue;
                }
                let row = &src[(y0 + t) * stride..(y0 + t) * stride + w];
                for (a, &p) in acc.iter_mut().zip(row) {
                    *a += u32::from(p) * wt;
                }
            }
            // Horizontal.
            for (k, px) in out_row.iter_mut().enumerate() {
                let (x0, n, o) = (self.xs.start[k], self.xs.len[k], self.xs.off[k]);
                let mut s = 0u64;
                for t in 0..n {
                    s += u64::from(acc[x0 + t]) * u64::from(self.xs.w[o + t]);
                }
                *px = ((s + round) >> shift).min(255) as u8;
            }
        }
        out
    }
}

/// Rotates a `w` x `h` plane clockwise by `degrees` (0, 90, 180, 270); returns the plane and
/// its new width and height.
pub(super) fn rotate(src: Vec<u8>, w: usize, h: usize, degrees: u32) -> (Vec<u8>, usize, usize) {
    match degrees {
        90 => {
            // out is h wide, w tall: out[y][x] = src[h - 1 - x][y]
            let mut out = vec![0u8; w * h];
            for (y, row) in out.chunks_exact_mut(h).enumerate() {
                for (x, px) in row.iter_mut().enumerate() {
                    *px = src[(h - 1 - x) * w + y];
                }
            }
            (out, h, w)
        }
        180 => {
            let mut out = src;
            out.reverse();
            (out, w, h)
        }
        270 => {
            // out[y][x] = src[x][w - 1 - y]
            let mut out = vec![0u8; w * h];
            for (y, row) in out.chunks_exact_mut(h).enumerate() {
                for (x, px) in row.iter_mut().enumerate() {
                    *px = src[x * w + (w - 1 - y)];
                }
            }
            (out, h, w)
        }
        _ => (src, w, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotate_small() {
        // 3 wide, 2 tall: 1 2 3 / 4 5 6
        let src = vec![1, 2, 3, 4, 5, 6];
        assert_eq!(
            rotate(src.clone(), 3, 2, 90),
            (vec![4, 1, 5, 2, 6, 3], 2, 3)
        );
        assert_eq!(
            rotate(src.clone(), 3, 2, 180),
            (vec![6, 5, 4, 3, 2, 1], 3, 2)
        );
        assert_eq!(rotate(src, 3, 2, 270), (vec![3, 6, 2, 5, 1, 4], 2, 3));
    }

    #[test]
    fn scale_average() {
        let mut s = Scaler::default();
        // 4x2 -> 2x1: averages of 2x2 blocks
        let src = [0u8, 10, 100, 200, 20, 30, 100, 200];
        assert_eq!(s.scale(&src, 4, 4, 2, 2, 1), vec![15, 150]);
        // odd size 3x3 -> 2x2 keeps the mean
        let src = [90u8; 9];
        assert_eq!(s.scale(&src, 3, 3, 3, 2, 2), vec![90; 4]);
        assert_eq!(scaled_size(321, 241, 160), (160, 120));
        assert_eq!(scaled_size(100, 50, 160), (100, 50));
        assert_eq!(scaled_size(180, 320, 64), (36, 64));
    }
}

//! [`Picture`]: a luminance raster, the input of every frame hasher.

/// A picture's luminance, row-major, `width * height` samples on a 0–255 scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luminance samples (Y or 0.299 R + 0.587 G + 0.114 B), `width * height` of them.
    pub luma: Vec<f32>,
}

impl Picture {
    /// From 8-bit luma samples (a decoder's Y plane or `gray` output).
    pub fn from_gray8(width: u32, height: u32, gray: &[u8]) -> Picture {
        Picture {
            width,
            height,
            luma: gray.iter().map(|&v| v as f32).collect(),
        }
    }

    /// HSL lightness `(max(R, G, B) + min(R, G, B)) / 2` of packed 8-bit RGB (`width * height *
    /// 3` bytes), 0–255, as a picture; `None` for a grey picture (every pixel R = G = B), whose
    /// lightness is its luminance. Lightness is the channel a hue rotation or a saturation
    /// change leaves alone in the HSL model (Joblove & Greenberg, "Color spaces for computer
    /// graphics", SIGGRAPH 1978), which is how image editors' "modulate" and "hue/saturation"
    /// tools recolour; the luminance PDQ hashes moves with both.
    pub fn lightness_from_rgb8(width: u32, height: u32, rgb: &[u8]) -> Option<Picture> {
        let n = (width as usize * height as usize).min(rgb.len() / 3);
        let pixels = rgb[..n * 3].chunks_exact(3);
        if pixels.clone().all(|p| p[0] == p[1] && p[1] == p[2]) {
            return None;
        }
        let luma = pixels
            .map(|p| {
                let (max, min) = (p[0].max(p[1]).max(p[2]), p[0].min(p[1]).min(p[2]));
                (f32::from(max) + f32::from(min)) * 0.5
            })
            .collect();
        Some(Picture {
            width,
            height,
            luma,
        })
    }

    /// From packed 8-bit RGB, with Meta's PDQ luminance weights.
    pub fn from_rgb8(width: u32, height: u32, rgb: &[u8]) -> Picture {
        Picture {
            width,
            height,
            luma: super::pdq::luma_from_rgb8(rgb, width as usize, height as usize),
        }
    }

    /// The sub-rectangle `[x, x+w) x [y, y+h)` (clamped to the picture).
    pub fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Picture {
        let x = x.min(self.width);
        let y = y.min(self.height);
        let w = w.min(self.width - x);
        let h = h.min(self.height - y);
        let mut luma = Vec::with_capacity((w * h) as usize);
        for row in y..y + h {
            let start = (row * self.width + x) as usize;
            luma.extend_from_slice(&self.luma[start..start + w as usize]);
        }
        Picture {
            width: w,
            height: h,
            luma,
        }
    }

    /// 8-bit copy (rounded, clamped), for hashers that take `image` buffers.
    pub fn to_gray8(&self) -> Vec<u8> {
        self.luma
            .iter()
            .map(|&v| v.round().clamp(0.0, 255.0) as u8)
            .collect()
    }
}

/// The 8-bit level nearest to luma sample `v` (0–255, halves rounded up, out-of-range values
/// clamped): a histogram bin. Plain arithmetic, so hot loops avoid a `round` library call on
/// targets without SSE4.1.
#[inline]
pub fn luma_level(v: f32) -> usize {
    (v.clamp(0.0, 255.0) + 0.5) as usize
}

/// Histogram of `luma` over the 256 levels of [`luma_level`]. Four interleaved histograms,
/// summed at the end, so that a run of equal levels does not make each count wait for the
/// previous one.
fn level_histogram(luma: &[f32]) -> [u32; 256] {
    let mut parts = [[0u32; 256]; 4];
    let mut quads = luma.chunks_exact(4);
    for q in &mut quads {
        parts[0][luma_level(q[0])] += 1;
        parts[1][luma_level(q[1])] += 1;
        parts[2][luma_level(q[2])] += 1;
        parts[3][luma_level(q[3])] += 1;
    }
    for &v in quads.remainder() {
        parts[0][luma_level(v)] += 1;
    }
    std::array::from_fn(|i| parts[0][i] + parts[1][i] + parts[2][i] + parts[3][i])
}

/// Smallest spread (99.5th minus 0.5th percentile luma) a picture must have for
/// [`Picture::contrast_stretched`] to stretch it: below it there is no content to recover
/// (blank, uniform, near-black with noise).
pub const MIN_STRETCH_SPREAD: f32 = 16.0;

impl Picture {
    /// The picture with its luma range (0.5th to 99.5th percentile) stretched to 0–255, for dark
    /// or low-contrast frames whose PDQ quality is too low to match. `None` when the spread is
    /// under [`MIN_STRETCH_SPREAD`], or already nearly full range.
    pub fn contrast_stretched(&self) -> Option<Picture> {
        let histogram = level_histogram(&self.luma);
        let n = self.luma.len() as u64;
        if n == 0 {
            return None;
        }
        let percentile = |p: f64| -> f32 {
            let target = (n as f64 * p).ceil() as u64;
            let mut seen = 0u64;
            for (level, count) in histogram.iter().enumerate() {
                seen += *count as u64;
                if seen >= target.max(1) {
                    return level as f32;
                }
            }
            255.0
        };
        let (lo, hi) = (percentile(0.005), percentile(0.995));
        let spread = hi - lo;
        if !(MIN_STRETCH_SPREAD..=200.0).contains(&spread) {
            return None;
        }
        let scale = 255.0 / spread;
        Some(Picture {
            width: self.width,
            height: self.height,
            luma: self
                .luma
                .iter()
                .map(|&v| ((v - lo) * scale).clamp(0.0, 255.0))
                .collect(),
        })
    }
}

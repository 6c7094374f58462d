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

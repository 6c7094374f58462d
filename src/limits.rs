//! Bounds for untrusted input, checked from headers before anything large is allocated.

use crate::error::{Error, ErrorKind, Result};

/// The smallest picture side that can be fingerprinted, in pixels. PDQ downsamples to 64x64;
/// anything under 16 px on a side carries too little to tell works apart.
pub const MIN_SIDE_PX: u32 = 16;

/// Limits on one input file. Defaults are documented on each field and in README.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest file size in bytes (default 8 GiB).
    pub max_bytes: u64,
    /// Largest picture area, width x height in pixels (default 50 megapixels), for images and
    /// video frames alike. Checked from the header before decoding.
    pub max_pixels: u64,
    /// Longest video duration in milliseconds (default 4 hours).
    pub max_duration_ms: u64,
    /// Most frames hashed from one file (default 200,000; 4 h at 4 frames/s is 57,600).
    pub max_frames: u64,
    /// Wall-clock limit for decoding one file, in seconds (default 600); a decoder that runs
    /// longer is killed and the file gets [`ErrorKind::Timeout`].
    pub decode_timeout_s: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 8 << 30,
            max_pixels: 50_000_000,
            max_duration_ms: 4 * 3600 * 1000,
            max_frames: 200_000,
            decode_timeout_s: 600,
        }
    }
}

impl Limits {
    /// Checks a file size in bytes.
    pub fn check_bytes(&self, bytes: u64) -> Result<()> {
        if bytes > self.max_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "file too large ({bytes} bytes > limit {} bytes)",
                    self.max_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Checks picture dimensions in pixels: too large ([`ErrorKind::TooLarge`]) or too small
    /// ([`ErrorKind::TooSmall`]).
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        let pixels = width as u64 * height as u64;
        if pixels > self.max_pixels {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "image too large ({width}x{height} = {pixels} px > limit {} px)",
                    self.max_pixels
                ),
            ));
        }
        if width < MIN_SIDE_PX || height < MIN_SIDE_PX {
            return Err(Error::new(
                ErrorKind::TooSmall,
                format!(
                    "image too small to fingerprint ({width}x{height} px; each side must be at least {MIN_SIDE_PX} px)"
                ),
            ));
        }
        Ok(())
    }

    /// Checks a video duration in milliseconds.
    pub fn check_duration(&self, duration_ms: u64) -> Result<()> {
        if duration_ms > self.max_duration_ms {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "video too long ({duration_ms} ms > limit {} ms)",
                    self.max_duration_ms
                ),
            ));
        }
        Ok(())
    }
}

//! Bounds for untrusted input, checked from headers before anything large is allocated.

use crate::error::{Error, ErrorKind, Result};

/// The smallest picture side that can be fingerprinted, in pixels. PDQ downsamples to 64x64;
/// anything under 16 px on a side carries too little to tell works apart.
pub const MIN_SIDE_PX: u32 = 16;

/// [`Limits::max_animation_pixels`] in pictures of [`Limits::max_pixels`].
pub const ANIMATION_PICTURES: u64 = 100;

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

    /// Largest decoded size of one still picture in bytes: an 8-bit RGBA picture of
    /// [`Limits::max_pixels`] (4 bytes per pixel). A picture of fewer pixels but more bytes
    /// per pixel (16-bit channels, 32-bit float) is held to the same memory.
    pub fn max_decoded_bytes(&self) -> u64 {
        self.max_pixels.saturating_mul(4)
    }

    /// Checks the decoded size in bytes of a `width` x `height` picture (from its header: its
    /// channels and bit depth) against [`Limits::max_decoded_bytes`]: [`ErrorKind::TooLarge`].
    pub fn check_decoded_bytes(&self, width: u32, height: u32, bytes: u64) -> Result<()> {
        if bytes > self.max_decoded_bytes() {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "image too large to decode ({width}x{height} at {} bytes per pixel = {bytes} bytes > limit {} bytes, 4 bytes per pixel of the {} px limit)",
                    bytes / (width as u64 * height as u64).max(1),
                    self.max_decoded_bytes(),
                    self.max_pixels
                ),
            ));
        }
        Ok(())
    }

    /// Most pixels decoded across all frames of one animated image (GIF, APNG, animated
    /// WebP): [`ANIMATION_PICTURES`] pictures of [`Limits::max_pixels`] (5 gigapixels by
    /// default: 3,800 frames of 1280x1024, 38,000 of 480x270). Every frame must be decoded to
    /// composite the next, so this bounds the work of a huge canvas with many frames well
    /// before the decode timeout (GIFs are checked from their headers before decoding).
    pub fn max_animation_pixels(&self) -> u64 {
        self.max_pixels.saturating_mul(ANIMATION_PICTURES)
    }

    /// Checks video frame dimensions in pixels, as [`Limits::check_dimensions`] does, in words
    /// about video frames.
    pub fn check_video_dimensions(&self, width: u32, height: u32) -> Result<()> {
        self.check_dimensions(width, height).map_err(|mut e| {
            if let Some(rest) = e.message.strip_prefix("image ") {
                e.message = format!("video frames {rest}");
            }
            e
        })
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

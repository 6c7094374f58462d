//! GIF block walk (GIF89a specification, W3C/CompuServe 1990): the canvas size and the number
//! of frames, read from the headers without decompressing any pixel data, so that an
//! animation too large to decode is refused before its first frame is composited.

use std::io::BufRead;

/// What the walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GifShape {
    /// Logical screen (canvas) width, pixels.
    pub width: u32,
    /// Logical screen (canvas) height, pixels.
    pub height: u32,
    /// Image descriptors (frames) counted; the walk stops once they make more than the
    /// caller's pixel budget.
    pub frames: u64,
}

/// Walks the blocks of a GIF from its first byte: the canvas size and the frames, counting
/// no further than the first frame count whose canvases make more than `pixel_budget`
/// pixels (the caller's limit: past it, the count is enough to refuse). `None` when the input is not a GIF or its header is cut; a walk that meets a
/// malformed or cut block returns the frames counted so far (the decoder judges the rest).
/// Reads each block's length bytes only: O(file size), constant memory.
pub(super) fn gif_shape<R: BufRead>(input: &mut R, pixel_budget: u64) -> Option<GifShape> {
    let mut header = [0u8; 13];
    input.read_exact(&mut header).ok()?;
    if &header[..3] != b"GIF" {
        return None;
    }
    let mut shape = GifShape {
        width: u32::from(u16::from_le_bytes([header[6], header[7]])),
        height: u32::from(u16::from_le_bytes([header[8], header[9]])),
        frames: 0,
    };
    let stop_after = pixel_budget / (u64::from(shape.width) * u64::from(shape.height)).max(1);
    let packed = header[10];
    if packed & 0x80 != 0 && !skip(input, colour_table_bytes(packed)) {
        return Some(shape);
    }
    while shape.frames <= stop_after {
        let Some(introducer) = byte(input) else {
            break;
        };
        let walked = match introducer {
            // Image descriptor: position and size (8 bytes), flags, optional local colour
            // table, LZW minimum code size, then the image data sub-blocks.
            0x2c => {
                let mut descriptor = [0u8; 9];
                shape.frames += 1;
                input.read_exact(&mut descriptor).is_ok()
                    && (descriptor[8] & 0x80 == 0 || skip(input, colour_table_bytes(descriptor[8])))
                    && byte(input).is_some()
                    && skip_sub_blocks(input)
            }
            // Extension: its label, then its sub-blocks.
            0x21 => byte(input).is_some() && skip_sub_blocks(input),
            // Trailer, or anything else: the end of what can be walked.
            _ => false,
        };
        if !walked {
            break;
        }
    }
    Some(shape)
}

/// Bytes of the colour table a packed flags byte announces: 3 x 2^(size + 1).
fn colour_table_bytes(packed: u8) -> u64 {
    3 << ((packed & 0x07) + 1)
}

fn byte<R: BufRead>(input: &mut R) -> Option<u8> {
    let mut b = [0u8; 1];
    input.read_exact(&mut b).ok()?;
    Some(b[0])
}

/// Skips `n` bytes; false when the input ends first.
fn skip<R: BufRead>(input: &mut R, n: u64) -> bool {
    let mut limited = <&mut R as std::io::Read>::take(input, n);
    std::io::copy(&mut limited, &mut std::io::sink()).is_ok_and(|copied| copied == n)
}

/// Skips data sub-blocks (a length byte, that many bytes) up to the zero-length terminator;
/// false when the input ends first.
fn skip_sub_blocks<R: BufRead>(input: &mut R) -> bool {
    loop {
        match byte(input) {
            Some(0) => return true,
            Some(n) if skip(input, u64::from(n)) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, RgbaImage};

    fn gif(frames: u32, w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = GifEncoder::new(&mut out);
            enc.encode_frames((0..frames).map(|i| {
                let img = RgbaImage::from_fn(w, h, |x, y| {
                    image::Rgba([(x * 9 + i) as u8, y as u8, 7, 255])
                });
                Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(50, 1))
            }))
            .unwrap();
        }
        out
    }

    #[test]
    fn counts_the_frames_and_reads_the_canvas() {
        let bytes = gif(7, 40, 30);
        let shape = gif_shape(&mut bytes.as_slice(), u64::MAX).unwrap();
        assert_eq!(
            shape,
            GifShape {
                width: 40,
                height: 30,
                frames: 7
            }
        );
        // The walk stops once past the caller's budget: 2 canvases fit in 2,400 px.
        assert_eq!(gif_shape(&mut bytes.as_slice(), 2400).unwrap().frames, 3);
        // Cut inside the third frame: the frames begun so far.
        let cut = &bytes[..bytes.len() * 3 / 7];
        let frames = gif_shape(&mut &cut[..], u64::MAX).unwrap().frames;
        assert!((2..=4).contains(&frames), "{frames}");
        // Not a GIF, or a header cut short.
        assert_eq!(gif_shape(&mut &b"\x89PNG\r\n\x1a\n....."[..], 9), None);
        assert_eq!(gif_shape(&mut &bytes[..8], 9), None);
    }
}

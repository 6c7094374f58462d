//! APNG header walk (APNG specification, Mozilla 2008; PNG, ISO/IEC 15948): the canvas size
//! and the declared number of frames, read from the chunks before the image data, so that an
//! animation too large to decode is refused before its first frame is composited.

use std::io::Read;

/// Most chunks read looking for `acTL` before the image data (it must come before `IDAT`).
const MAX_CHUNKS: usize = 1024;

/// The canvas (`IHDR` width, height, pixels) and the frame count of `acTL` of a PNG read from
/// its first byte. `None` when the input is not a PNG, is not animated (no `acTL` before the
/// first `IDAT`), or its chunks are cut or malformed (the decoder judges those). Skips each
/// chunk's data unread into memory: constant memory.
pub(super) fn apng_shape<R: Read>(input: &mut R) -> Option<(u32, u32, u64)> {
    let mut signature = [0u8; 8];
    input.read_exact(&mut signature).ok()?;
    if &signature != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let mut size = None;
    for _ in 0..MAX_CHUNKS {
        let mut head = [0u8; 8];
        input.read_exact(&mut head).ok()?;
        let length = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        match &head[4..8] {
            b"IHDR" if length >= 8 => {
                let mut dims = [0u8; 8];
                input.read_exact(&mut dims).ok()?;
                size = Some((
                    u32::from_be_bytes([dims[0], dims[1], dims[2], dims[3]]),
                    u32::from_be_bytes([dims[4], dims[5], dims[6], dims[7]]),
                ));
                skip(input, length - 8 + 4)?;
            }
            b"acTL" if length >= 4 => {
                let mut frames = [0u8; 4];
                input.read_exact(&mut frames).ok()?;
                let (width, height) = size?;
                return Some((width, height, u64::from(u32::from_be_bytes(frames))));
            }
            b"IDAT" | b"IEND" => return None,
            _ => skip(input, length + 4)?,
        }
    }
    None
}

/// Reads and drops `n` bytes; `None` when the input ends first.
fn skip<R: Read>(input: &mut R, n: u64) -> Option<()> {
    let copied = std::io::copy(&mut input.take(n), &mut std::io::sink()).ok()?;
    (copied == n).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]); // CRC, not checked here
        c
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        for c in chunks {
            p.extend_from_slice(c);
        }
        p
    }

    fn ihdr(width: u32, height: u32) -> Vec<u8> {
        let mut d = width.to_be_bytes().to_vec();
        d.extend_from_slice(&height.to_be_bytes());
        d.extend_from_slice(&[8, 6, 0, 0, 0]);
        chunk(b"IHDR", &d)
    }

    #[test]
    fn reads_canvas_and_frames_of_an_animation_only() {
        let animated = png(&[
            ihdr(7000, 7000),
            chunk(b"tEXt", b"comment\0hi"),
            chunk(b"acTL", &[0, 0, 0, 100, 0, 0, 0, 0]),
            chunk(b"IDAT", &[1, 2, 3]),
        ]);
        assert_eq!(
            apng_shape(&mut animated.as_slice()),
            Some((7000, 7000, 100))
        );
        let still = png(&[ihdr(10, 10), chunk(b"IDAT", &[1]), chunk(b"IEND", &[])]);
        assert_eq!(apng_shape(&mut still.as_slice()), None);
        let cut = &animated[..30];
        assert_eq!(apng_shape(&mut &cut[..]), None);
        assert_eq!(apng_shape(&mut &b"GIF89a"[..]), None);
    }
}

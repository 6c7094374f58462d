//! JPEG marker walks: whether the data reaches its end-of-image marker, and which coding
//! process its frame header names (ITU-T T.81), in constant memory over a buffered reader.

use crate::error::{Error, ErrorKind, Result};
use std::io::{BufRead, Seek, SeekFrom};

/// The JPEG coding named by the file's frame header (SOFn marker, ITU-T T.81 table B.1, and
/// SOF55 of JPEG-LS, T.87) when it is one the decoder does not implement: lossless,
/// hierarchical, arithmetic-coded, JPEG-LS, or a sample precision other than 8 bits. `None`
/// for baseline and progressive 8-bit Huffman JPEG, or when no frame header is found.
pub(super) fn unsupported_jpeg_coding<R: BufRead + Seek>(input: &mut R) -> Option<String> {
    input.seek(SeekFrom::Start(0)).ok()?;
    let mut bytes = Bytes { input, pos: 0 };
    if bytes.next().ok()?? != 0xff || bytes.next().ok()?? != 0xd8 {
        return None;
    }
    loop {
        if bytes.next().ok()?? != 0xff {
            return None;
        }
        let mut code = 0xff;
        while code == 0xff {
            code = bytes.next().ok()??;
        }
        if matches!(code, 0x01 | 0xd0..=0xd7) {
            continue;
        }
        let (hi, lo) = (bytes.next().ok()??, bytes.next().ok()??);
        let length = u16::from_be_bytes([hi, lo]) as u64;
        let is_frame =
            matches!(code, 0xc0..=0xcf if !matches!(code, 0xc4 | 0xc8 | 0xcc)) || code == 0xf7;
        if is_frame {
            let precision = bytes.next().ok()??;
            let coding = match code {
                0xf7 => "JPEG-LS",
                0xc3 => "lossless JPEG",
                0xc5..=0xc7 => "hierarchical JPEG",
                0xc9..=0xcb => "arithmetic-coded JPEG",
                0xcd..=0xcf => "hierarchical arithmetic-coded JPEG",
                _ if precision != 8 => return Some(format!("{precision}-bit JPEG")),
                _ => return None,
            };
            return Some(coding.to_string());
        }
        if code == 0xda || length < 2 || !bytes.skip(length - 2).ok()? {
            return None;
        }
    }
}

/// Refuses a JPEG whose data ends before its end-of-image (EOI) marker: decoders would
/// silently fill the missing rows with grey and the hash would describe a different picture.
/// Walks the marker segments and the entropy-coded data in a streaming way (constant memory).
/// Malformed structure that is not a cut is left for the decoder to judge.
pub(super) fn check_jpeg_complete<R: BufRead>(input: &mut R) -> Result<()> {
    match jpeg_eoi_found(input) {
        Ok(JpegEnd::Complete) | Ok(JpegEnd::Unknown) => Ok(()),
        Ok(JpegEnd::CutShort(at)) => Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "truncated image: the JPEG data ends at byte {at} before its end-of-image marker (file cut short)"
            ),
        )),
        Err(e) => Err(Error::new(ErrorKind::Io, format!("cannot read the file: {e}")).with_source(e)),
    }
}

enum JpegEnd {
    Complete,
    CutShort(u64),
    Unknown,
}

/// Byte source over a `BufRead` with a position, for the JPEG walk.
struct Bytes<'a, R: BufRead> {
    input: &'a mut R,
    pos: u64,
}

impl<R: BufRead> Bytes<'_, R> {
    fn next(&mut self) -> std::io::Result<Option<u8>> {
        let buf = loop {
            match self.input.fill_buf() {
                Ok(b) => break b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        self.pos += 1;
        Ok(Some(b))
    }

    /// Skips `n` bytes; false if the data ends first.
    fn skip(&mut self, mut n: u64) -> std::io::Result<bool> {
        while n > 0 {
            let available = loop {
                match self.input.fill_buf() {
                    Ok(b) => break b.len(),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if available == 0 {
                return Ok(false);
            }
            let step = (available as u64).min(n) as usize;
            self.input.consume(step);
            self.pos += step as u64;
            n -= step as u64;
        }
        Ok(true)
    }

    /// Skips entropy-coded data up to the next marker; returns its code (None at the end).
    fn scan_to_marker(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = loop {
                match self.input.fill_buf() {
                    Ok(b) => break b,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|&b| b == 0xff) {
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                    self.pos += n as u64;
                }
                Some(i) => {
                    self.input.consume(i + 1);
                    self.pos += i as u64 + 1;
                    // 0xFF 0x00 is a stuffed byte, 0xFF 0xD0..=0xD7 a restart marker,
                    // 0xFF 0xFF fill: all part of the scan.
                    let mut code = match self.next()? {
                        Some(c) => c,
                        None => return Ok(None),
                    };
                    while code == 0xff {
                        code = match self.next()? {
                            Some(c) => c,
                            None => return Ok(None),
                        };
                    }
                    if code == 0x00 || (0xd0..=0xd7).contains(&code) {
                        continue;
                    }
                    return Ok(Some(code));
                }
            }
        }
    }
}

fn jpeg_eoi_found<R: BufRead>(input: &mut R) -> std::io::Result<JpegEnd> {
    let mut bytes = Bytes { input, pos: 0 };
    if bytes.next()? != Some(0xff) || bytes.next()? != Some(0xd8) {
        return Ok(JpegEnd::Unknown);
    }
    let mut pending: Option<u8> = None;
    loop {
        let code = match pending.take() {
            Some(c) => c,
            None => {
                // Expect 0xFF (possibly several) then the marker code.
                match bytes.next()? {
                    None => return Ok(JpegEnd::CutShort(bytes.pos)),
                    Some(0xff) => {}
                    Some(_) => return Ok(JpegEnd::Unknown),
                }
                let mut c = 0xff;
                while c == 0xff {
                    c = match bytes.next()? {
                        None => return Ok(JpegEnd::CutShort(bytes.pos)),
                        Some(c) => c,
                    };
                }
                c
            }
        };
        match code {
            0xd9 => return Ok(JpegEnd::Complete),
            0x01 | 0xd0..=0xd7 => continue,
            0x00 => return Ok(JpegEnd::Unknown),
            _ => {}
        }
        let (Some(hi), Some(lo)) = (bytes.next()?, bytes.next()?) else {
            return Ok(JpegEnd::CutShort(bytes.pos));
        };
        let length = u16::from_be_bytes([hi, lo]) as u64;
        if length < 2 {
            return Ok(JpegEnd::Unknown);
        }
        if !bytes.skip(length - 2)? {
            return Ok(JpegEnd::CutShort(bytes.pos));
        }
        if code == 0xda {
            match bytes.scan_to_marker()? {
                None => return Ok(JpegEnd::CutShort(bytes.pos)),
                Some(c) => pending = Some(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn end(bytes: &[u8]) -> &'static str {
        match jpeg_eoi_found(&mut Cursor::new(bytes)).unwrap() {
            JpegEnd::Complete => "complete",
            JpegEnd::CutShort(_) => "cut",
            JpegEnd::Unknown => "unknown",
        }
    }

    #[test]
    fn jpeg_end_marker_walk() {
        // SOI, APP0 (length 4), SOS (length 3 + 1 byte), data with a stuffed byte and a
        // restart marker, EOI.
        let full =
            b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x03x\x12\xff\x00\x34\xff\xd0\x56\xff\xd9";
        assert_eq!(end(full), "complete");
        for cut in 2..full.len() - 1 {
            assert_eq!(end(&full[..cut]), "cut", "cut at {cut}");
        }
        assert_eq!(end(b"not a jpeg"), "unknown");
    }
}

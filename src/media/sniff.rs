//! Recognises a file's format from its first bytes (magic numbers), never from its name alone.

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// A still (or possibly animated) image the `image` crate reads.
    Image(image::ImageFormat),
    /// An ISO base media file (MP4, MOV, M4V, 3GP): the embedded decoder can read H.264 in it.
    Mp4,
    /// Another video container (Matroska/WebM, AVI, FLV, MPEG-TS/PS, ASF, Ogg): needs ffmpeg.
    OtherVideo,
    /// Nothing recognised.
    Unknown,
}

/// Sniffs `head` (the first 32 bytes or more). `extension` (lower case, no dot) is used only
/// for formats without a magic number (TGA).
pub fn sniff(head: &[u8], extension: Option<&str>) -> Sniffed {
    use image::ImageFormat as F;
    let starts = |m: &[u8]| head.len() >= m.len() && &head[..m.len()] == m;
    if starts(&[0xff, 0xd8, 0xff]) {
        return Sniffed::Image(F::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Image(F::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::Image(F::Gif);
    }
    if starts(b"RIFF") && head.len() >= 12 {
        match &head[8..12] {
            b"WEBP" => return Sniffed::Image(F::WebP),
            b"AVI " => return Sniffed::OtherVideo,
            _ => {}
        }
    }
    if starts(b"BM") && head.len() >= 14 {
        return Sniffed::Image(F::Bmp);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Sniffed::Image(F::Tiff);
    }
    if head.len() >= 8 {
        let box_type = &head[4..8];
        if matches!(
            box_type,
            b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
        ) {
            return Sniffed::Mp4;
        }
    }
    if starts(&[0x1a, 0x45, 0xdf, 0xa3])
        || starts(b"FLV")
        || starts(b"OggS")
        || starts(&[0x00, 0x00, 0x01, 0xba])
        || starts(&[0x30, 0x26, 0xb2, 0x75])
        || (head.len() > 188 && head[0] == 0x47 && head[188] == 0x47)
    {
        return Sniffed::OtherVideo;
    }
    if extension == Some("tga") {
        return Sniffed::Image(F::Tga);
    }
    Sniffed::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_magic() {
        assert_eq!(
            sniff(b"\xff\xd8\xff\xe0....", None),
            Sniffed::Image(image::ImageFormat::Jpeg)
        );
        assert_eq!(sniff(b"\0\0\0\x20ftypisom", None), Sniffed::Mp4);
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3....", None), Sniffed::OtherVideo);
        assert_eq!(sniff(b"hello world", Some("mp4")), Sniffed::Unknown);
    }
}

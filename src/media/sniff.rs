//! Recognises a file's format from its first bytes (magic numbers), never from its name alone.

use std::io::{Read, Seek, SeekFrom};

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
    if starts(b"qoif") {
        return Sniffed::Image(F::Qoi);
    }
    // ICO: reserved 0, type 1, and at least one image.
    if starts(&[0, 0, 1, 0]) && head.len() >= 6 && (head[4] != 0 || head[5] != 0) {
        return Sniffed::Image(F::Ico);
    }
    // Netpbm: P1–P7 and a whitespace (PBM, PGM, PPM in text or binary, PAM).
    if head.len() >= 3
        && head[0] == b'P'
        && (b'1'..=b'7').contains(&head[1])
        && head[2].is_ascii_whitespace()
    {
        return Sniffed::Image(F::Pnm);
    }
    if extension == Some("tga") {
        return Sniffed::Image(F::Tga);
    }
    Sniffed::Unknown
}

/// What the first 256 bytes of the file at `path` say it is ([`sniff`], its extension as a
/// hint). `None` when it is not a regular file (a FIFO is never opened, so this never blocks)
/// or cannot be read.
pub fn sniff_path(path: &std::path::Path) -> Option<Sniffed> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut head = Vec::with_capacity(256);
    std::fs::File::open(path)
        .ok()?
        .take(256)
        .read_to_end(&mut head)
        .ok()?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    Some(sniff(&head, extension.as_deref()))
}

/// For a file extension of a still-image format whose signature [`sniff`] recognises (JPEG,
/// PNG, GIF, WebP, BMP, TIFF, Netpbm), the format's name; `None` for any other extension. A file
/// named so that [`sniff`] found no signature in is not that image.
pub fn signed_image_extension(extension: Option<&str>) -> Option<&'static str> {
    Some(match extension? {
        "jpg" | "jpeg" | "jpe" | "jfif" => "JPEG",
        "png" => "PNG",
        "gif" => "GIF",
        "webp" => "WebP",
        "bmp" => "BMP",
        "tif" | "tiff" => "TIFF",
        "pnm" | "pbm" | "pgm" | "ppm" | "pam" => "Netpbm",
        "qoi" => "QOI",
        "ico" => "ICO",
        _ => return None,
    })
}

/// The name of a still-image or document format recognised from `head` that swordnet does not
/// read (JPEG 2000, JPEG XL, Photoshop, OpenEXR, Radiance HDR, DDS, PDF, SVG), or `None`: such
/// a file gets an `unsupported` error naming its format, not a guess at a video.
pub fn unsupported_image(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.len() >= m.len() && &head[..m.len()] == m;
    Some(
        if starts(b"\0\0\0\x0cjP  \r\n\x87\n") || starts(&[0xff, 0x4f, 0xff, 0x51]) {
            "JPEG 2000"
        } else if starts(&[0xff, 0x0a]) || starts(b"\0\0\0\x0cJXL \r\n\x87\n") {
            "JPEG XL"
        } else if starts(b"8BPS") {
            "Photoshop (PSD)"
        } else if starts(&[0x76, 0x2f, 0x31, 0x01]) {
            "OpenEXR"
        } else if starts(b"#?RADIANCE") || starts(b"#?RGBE") {
            "Radiance HDR"
        } else if starts(b"DDS ") {
            "DirectDraw Surface (DDS)"
        } else if starts(b"%PDF-") {
            "PDF"
        } else if is_svg(head) {
            "SVG"
        } else {
            return None;
        },
    )
}

/// True when `head` starts (after white space) with an `<svg` element, or with an XML
/// declaration and holds one.
fn is_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(256)]).to_ascii_lowercase();
    let text = text.trim_start();
    text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg"))
}

/// The name of an audio-only format recognised from `head` (MP3 with or without an ID3 tag,
/// ADTS AAC, FLAC, WAV, AIFF, AMR, Monkey's Audio, WavPack, MIDI), or `None`. Such a file
/// has no video stream whatever its name says. Containers that may hold video as well as
/// audio (MP4/M4A, Matroska, Ogg, ASF) are left to the video probe.
pub fn audio_only(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.len() >= m.len() && &head[..m.len()] == m;
    if starts(b"ID3") {
        return Some("MP3 (ID3)");
    }
    if starts(b"fLaC") {
        return Some("FLAC");
    }
    if starts(b"RIFF") && head.len() >= 12 && &head[8..12] == b"WAVE" {
        return Some("WAV");
    }
    if starts(b"FORM") && head.len() >= 12 && matches!(&head[8..12], b"AIFF" | b"AIFC") {
        return Some("AIFF");
    }
    if starts(b"#!AMR") {
        return Some("AMR");
    }
    if starts(b"MAC ") {
        return Some("Monkey's Audio");
    }
    if starts(b"wvpk") {
        return Some("WavPack");
    }
    if starts(b"MThd") {
        return Some("MIDI");
    }
    // MPEG audio / ADTS frame sync: 11 (MP3) or 12 (AAC) set bits, checked on two
    // consecutive-looking fields so that random data rarely qualifies. (JPEG's 0xFFD8 has
    // the sync bits too; images are sniffed before this is asked.)
    if head.len() >= 4 && head[0] == 0xff && head[1] & 0xe0 == 0xe0 {
        let layer = (head[1] >> 1) & 0x3;
        let version = (head[1] >> 3) & 0x3;
        if head[1] & 0xf6 == 0xf0 {
            return Some("AAC (ADTS)");
        }
        let bitrate = head[2] >> 4;
        let rate = (head[2] >> 2) & 0x3;
        if layer != 0 && version != 1 && bitrate != 0xf && rate != 0x3 {
            return Some("MPEG audio");
        }
    }
    None
}

/// For an ISO base media file whose `ftyp` major brand is a HEIF or AVIF image (or image
/// sequence): `"AVIF"` or `"HEIF"`. Such files look like MP4 but hold pictures as items,
/// not a video track.
pub fn heif_brand(head: &[u8]) -> Option<&'static str> {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return None;
    }
    match &head[8..12] {
        b"avif" | b"avis" => Some("AVIF"),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
            Some("HEIF")
        }
        _ => None,
    }
}

/// Whether a video container's top-level structure runs past the end of the file, as when a
/// download or copy is cut short: ISO base media (MP4, MOV: boxes) and Matroska / WebM
/// (EBML elements). `Some(what)` says what is cut; `None` when everything fits, or for a
/// structure this check does not understand (left to the decoder).
pub fn container_cut_short(path: &std::path::Path) -> Option<String> {
    cut_short_in(&mut std::fs::File::open(path).ok()?)
}

/// As [`container_cut_short`], over the bytes of a whole file held in memory.
pub fn container_cut_short_bytes(bytes: &[u8]) -> Option<String> {
    cut_short_in(&mut std::io::Cursor::new(bytes))
}

fn cut_short_in<R: Read + Seek>(file: &mut R) -> Option<String> {
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    if head[..4] == [0x1a, 0x45, 0xdf, 0xa3] {
        return matroska_cut_short(file);
    }
    if &head[..4] == b"RIFF" {
        return riff_cut_short(file);
    }
    match sniff(&head, None) {
        Sniffed::Mp4 => iso_bmff_cut_short(file),
        _ => None,
    }
}

/// The length of a seekable input in bytes.
fn stream_len<R: Seek>(file: &mut R) -> Option<u64> {
    file.seek(SeekFrom::End(0)).ok()
}

/// RIFF files (AVI, with its OpenDML `AVIX` extensions): the top-level chunks must fit.
fn riff_cut_short<R: Read + Seek>(file: &mut R) -> Option<String> {
    let len = stream_len(file)?;
    let mut offset = 0u64;
    for _ in 0..10_000 {
        if offset >= len {
            return None;
        }
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut header = [0u8; 12];
        let available = (len - offset).min(12) as usize;
        file.read_exact(&mut header[..available]).ok()?;
        if available < 8 {
            // A few bytes after the last chunk are junk (a stray newline that ffmpeg reads
            // past) unless they start a chunk id.
            let id = &header[..available.min(4)];
            let starts_chunk = [b"RIFF", b"LIST", b"JUNK", b"idx1"]
                .iter()
                .any(|known| known.starts_with(id));
            return starts_chunk.then(|| {
                format!("the file ends at byte {len} inside a chunk header (byte {offset})")
            });
        }
        if &header[..4] != b"RIFF" && &header[..4] != b"LIST" && &header[..4] != b"JUNK" {
            return None;
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as u64;
        let end = offset + 8 + size + (size & 1);
        if end > len + (size & 1) {
            return Some(format!(
                "RIFF chunk at byte {offset} needs {} bytes but the file ends at byte {len}",
                size + 8
            ));
        }
        offset = end;
    }
    None
}

/// Reads an EBML variable-length integer: an element ID (`is_id`, marker bit kept) or a
/// size. `Err` at the end of the file, `Ok(None)` for the "unknown size" value.
fn ebml_vint<R: Read>(file: &mut R, is_id: bool) -> std::result::Result<Option<u64>, ()> {
    let mut first = [0u8; 1];
    file.read_exact(&mut first).map_err(|_| ())?;
    if first[0] == 0 {
        return Ok(Some(u64::MAX)); // not valid EBML: "too large" for the caller
    }
    let len = first[0].leading_zeros() as usize + 1;
    let mut rest = [0u8; 7];
    file.read_exact(&mut rest[..len - 1]).map_err(|_| ())?;
    let marker = 1u8 << (8 - len);
    let mut value = if is_id {
        first[0] as u64
    } else {
        (first[0] & (marker.wrapping_sub(1))) as u64
    };
    for b in &rest[..len - 1] {
        value = (value << 8) | *b as u64;
    }
    if !is_id && value == (1u64 << (7 * len)) - 1 {
        return Ok(None);
    }
    Ok(Some(value))
}

fn matroska_cut_short<R: Read + Seek>(file: &mut R) -> Option<String> {
    let len = stream_len(file)?;
    let cut = |what: &str| Some(format!("the file ends at byte {len} inside {what}"));
    file.seek(SeekFrom::Start(0)).ok()?;
    // The EBML header element, then the Segment.
    let Ok(Some(_)) = ebml_vint(file, true) else {
        return cut("the EBML header");
    };
    let Ok(header_size) = ebml_vint(file, false) else {
        return cut("the EBML header");
    };
    let header_end = file.stream_position().ok()?.checked_add(header_size?)?;
    if header_end > len {
        return cut("the EBML header");
    }
    file.seek(SeekFrom::Start(header_end)).ok()?;
    let Ok(id) = ebml_vint(file, true) else {
        return cut("the Segment header");
    };
    if id != Some(0x1853_8067) {
        return None;
    }
    let Ok(size) = ebml_vint(file, false) else {
        return cut("the Segment header");
    };
    let start = file.stream_position().ok()?;
    if let Some(size) = size {
        return (start.checked_add(size)? > len).then(|| {
            format!(
                "the Segment needs {size} bytes from byte {start} but the file ends at byte {len}"
            )
        });
    }
    // A Segment of unknown size (live recording): its children must fit.
    let mut offset = start;
    for _ in 0..100_000 {
        if offset >= len {
            return None;
        }
        file.seek(SeekFrom::Start(offset)).ok()?;
        let Ok(_) = ebml_vint(file, true) else {
            return cut("an element header");
        };
        let Ok(size) = ebml_vint(file, false) else {
            return cut("an element header");
        };
        let data = file.stream_position().ok()?;
        let end = data.checked_add(size?)?;
        if end > len {
            return cut(&format!("an element that needs bytes up to {end}"));
        }
        offset = end;
    }
    None
}

fn iso_bmff_cut_short<R: Read + Seek>(file: &mut R) -> Option<String> {
    let len = stream_len(file)?;
    let mut offset = 0u64;
    // A real file has a handful of top-level boxes; stop after many (not our concern then).
    for _ in 0..10_000 {
        if offset == len {
            return None;
        }
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut header = [0u8; 16];
        let available = (len - offset).min(16) as usize;
        file.read_exact(&mut header[..available]).ok()?;
        if available < 8 {
            // A few bytes after the last box are junk (a stray newline that ffmpeg reads
            // past) unless they start a box type.
            let starts_box =
                available > 4 && header[4..available].iter().all(u8::is_ascii_alphanumeric);
            return starts_box.then(|| {
                format!("the file ends at byte {len} inside a box header (byte {offset})")
            });
        }
        let kind = &header[4..8];
        if !kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            return None;
        }
        let kind = String::from_utf8_lossy(kind).into_owned();
        let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            0 => return None, // the last box, up to the end of the file
            1 if available < 16 => {
                return Some(format!(
                    "the file ends at byte {len} inside the header of box '{kind}'"
                ))
            }
            1 => u64::from_be_bytes(header[8..16].try_into().ok()?),
            n => n as u64,
        };
        if size < 8 {
            return None;
        }
        let end = offset.checked_add(size)?;
        if end > len {
            return Some(format!(
                "box '{kind}' at byte {offset} needs {size} bytes but the file ends at byte {len}"
            ));
        }
        offset = end;
    }
    None
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
        assert_eq!(
            sniff(b"P6\n400 267\n255\n", None),
            Sniffed::Image(image::ImageFormat::Pnm)
        );
        assert_eq!(sniff(b"Plain text", None), Sniffed::Unknown);
        assert_eq!(unsupported_image(b"8BPS\0\x01"), Some("Photoshop (PSD)"));
        assert_eq!(
            unsupported_image(b"<?xml version=\"1.0\"?>\n<svg width=\"4\">"),
            Some("SVG")
        );
        assert_eq!(unsupported_image(b"\0\0\0\x20ftypisom"), None);
    }

    #[test]
    fn finds_containers_cut_short() {
        let dir = std::env::temp_dir().join(format!("swordnet-sniff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let check = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            container_cut_short(&p)
        };
        let mut mp4 = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
        mp4.extend_from_slice(b"\0\0\0\x0cmdat1234");
        assert_eq!(check("full.mp4", &mp4), None);
        for cut in [12, 22, mp4.len() - 1] {
            assert!(check("cut.mp4", &mp4[..cut]).is_some(), "mp4 cut at {cut}");
        }
        // A stray byte or two after the last box or chunk is junk, not a cut.
        let mut junk = mp4.clone();
        junk.push(b'\n');
        assert_eq!(check("junk.mp4", &junk), None);
        // EBML header (4 bytes of data), Segment of 8 bytes.
        let mut mkv = vec![0x1a, 0x45, 0xdf, 0xa3, 0x84, 1, 2, 3, 4];
        mkv.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x88, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(check("full.mkv", &mkv), None);
        for cut in [8, 10, 14, mkv.len() - 1] {
            assert!(check("cut.mkv", &mkv[..cut]).is_some(), "mkv cut at {cut}");
        }
        let mut avi = b"RIFF\x0c\0\0\0AVI LIST\0\0\0\0".to_vec();
        assert_eq!(check("full.avi", &avi), None);
        let mut junk = avi.clone();
        junk.extend_from_slice(b"\n\0");
        assert_eq!(check("junk.avi", &junk), None);
        junk.truncate(avi.len());
        junk.extend_from_slice(b"LIS");
        assert!(check("cut_header.avi", &junk).is_some());
        avi.truncate(15);
        assert!(check("cut.avi", &avi).is_some());
        // A Segment of unknown size whose one child is cut.
        let mut live = mkv[..9].to_vec();
        live.extend_from_slice(&[
            0x18, 0x53, 0x80, 0x67, 0xff, 0x1f, 0x43, 0xb6, 0x75, 0x84, 1, 2,
        ]);
        assert!(check("live.mkv", &live).is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recognises_audio_only_formats() {
        assert_eq!(audio_only(b"ID3\x04\0\0\0\0\0\0"), Some("MP3 (ID3)"));
        assert_eq!(audio_only(b"RIFF\0\0\0\0WAVEfmt "), Some("WAV"));
        assert_eq!(audio_only(b"\xff\xfb\x90\x64"), Some("MPEG audio"));
        assert_eq!(audio_only(b"\xff\xf1\x50\x80"), Some("AAC (ADTS)"));
        assert_eq!(audio_only(b"\0\0\0\x20ftypM4A "), None);
        assert_eq!(audio_only(b"hello world"), None);
    }
}

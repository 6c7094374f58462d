//! Small shared helpers: error shorthands, the pixel-limit check, four-character-code names
//! and timescale-to-millisecond conversion.

use super::BuiltinError;

pub(super) fn corrupt(what: impl Into<String>) -> BuiltinError {
    BuiltinError::Truncated(what.into())
}

pub(super) fn check_pixels(w: u32, h: u32, limit: u64) -> Result<(), BuiltinError> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limit {
        return Err(BuiltinError::TooLarge { pixels, limit });
    }
    Ok(())
}

pub(super) fn fourcc_str(c: [u8; 4]) -> String {
    c.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect::<String>()
        .trim_end()
        .to_string()
}

pub(super) fn codec_name(c: [u8; 4]) -> &'static str {
    match &c {
        b"avc1" | b"avc3" => "H.264/AVC",
        b"hvc1" | b"hev1" => "H.265/HEVC",
        b"av01" => "AV1",
        b"vp08" => "VP8",
        b"vp09" => "VP9",
        b"mp4v" => "MPEG-4 Part 2",
        b"encv" => "encrypted video",
        b"mjpa" | b"mjpb" | b"jpeg" | b"mjpg" => "Motion JPEG",
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "Apple ProRes",
        b"dvh1" | b"dvhe" => "Dolby Vision HEVC",
        b"s263" | b"h263" => "H.263",
        b"png " => "PNG",
        _ => "unknown codec",
    }
}

/// Converts `ticks` of a `timescale`-Hz clock to milliseconds, rounding to nearest.
pub(super) fn ticks_to_ms(ticks: i64, timescale: u32) -> i64 {
    let ts = i128::from(timescale.max(1));
    let v = i128::from(ticks) * 1000;
    let r = if v >= 0 {
        (v + ts / 2) / ts
    } else {
        (v - ts / 2) / ts
    };
    i64::try_from(r).unwrap_or(if r < 0 { i64::MIN } else { i64::MAX })
}

//! H.264 stream configuration: the `avcC` box (parameter sets, NAL length size), the SPS
//! fields that decide whether the built-in decoder can handle the stream, and the conversion
//! of length-prefixed samples to Annex-B.

use super::boxes::be_u16;
use super::util::corrupt;
use super::BuiltinError;

/// The H.264 decoder configuration (`avcC`).
#[derive(Debug, Clone)]
pub(super) struct AvcConfig {
    pub(super) nal_length_size: usize,
    pub(super) sps: Vec<Vec<u8>>,
    pub(super) pps: Vec<Vec<u8>>,
}

pub(super) fn parse_avcc(b: &[u8]) -> Result<AvcConfig, BuiltinError> {
    let bad = || corrupt("corrupt H.264 'avcC' configuration box");
    if b.len() < 7 {
        return Err(bad());
    }
    let nal_length_size = usize::from(b[4] & 3) + 1;
    let mut pos = 5;
    let read_sets = |count: usize, pos: &mut usize| -> Result<Vec<Vec<u8>>, BuiltinError> {
        let mut v = Vec::with_capacity(count);
        for _ in 0..count {
            let len = usize::from(be_u16(b, *pos).ok_or_else(bad)?);
            let start = *pos + 2;
            let nal = b.get(start..start + len).ok_or_else(bad)?;
            if !nal.is_empty() {
                v.push(nal.to_vec());
            }
            *pos = start + len;
        }
        Ok(v)
    };
    let n_sps = usize::from(b[pos] & 0x1f);
    pos += 1;
    let sps = read_sets(n_sps, &mut pos)?;
    let n_pps = usize::from(*b.get(pos).ok_or_else(bad)?);
    pos += 1;
    let pps = read_sets(n_pps, &mut pos)?;
    Ok(AvcConfig {
        nal_length_size,
        sps,
        pps,
    })
}

// ---------------------------------------------------------------------------------------------
// H.264 sequence parameter set
// ---------------------------------------------------------------------------------------------

/// What the built-in decoder needs to know from an H.264 SPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SpsInfo {
    profile_idc: u8,
    chroma_format_idc: u32,
    bit_depth_luma: u32,
    bit_depth_chroma: u32,
    frame_mbs_only: bool,
    /// Cropped picture size in pixels.
    pub(super) width: u32,
    pub(super) height: u32,
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let v = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Some(u32::from(v))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// Parses the fields of an H.264 SPS NAL unit (with its 1-byte NAL header) that matter here.
pub(super) fn parse_sps(nal: &[u8]) -> Option<SpsInfo> {
    if nal.len() < 4 || nal[0] & 0x1f != 7 {
        return None;
    }
    // Remove emulation-prevention bytes (00 00 03 -> 00 00).
    let mut rbsp = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in &nal[1..] {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        rbsp.push(b);
    }
    let mut r = BitReader {
        data: &rbsp,
        pos: 0,
    };
    let profile_idc = r.bits(8)? as u8;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    let (mut chroma_format_idc, mut bit_depth_luma, mut bit_depth_chroma) = (1, 8, 8);
    let mut separate_colour_plane = false;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.bit()? == 1;
        }
        bit_depth_luma = r.ue()?.saturating_add(8);
        bit_depth_chroma = r.ue()?.saturating_add(8);
        r.bit()?; // qpprime_y_zero_transform_bypass
        if r.bit()? == 1 {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i64, 8i64);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256).rem_euclid(256);
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed
    let w_mbs = u64::from(r.ue()?) + 1;
    let h_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.bit()? == 1;
    if !frame_mbs_only {
        r.bit()?; // mb_adaptive_frame_field
    }
    r.bit()?; // direct_8x8_inference
    let (mut cl, mut cr, mut ct, mut cb) = (0u64, 0u64, 0u64, 0u64);
    if r.bit()? == 1 {
        cl = u64::from(r.ue()?);
        cr = u64::from(r.ue()?);
        ct = u64::from(r.ue()?);
        cb = u64::from(r.ue()?);
    }
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (crop_x, crop_y) = match chroma_array_type {
        1 => (2, 2 * field_factor),
        2 => (2, field_factor),
        _ => (1, field_factor),
    };
    let full_w = w_mbs * 16;
    let full_h = h_units * 16 * field_factor;
    let width = full_w.saturating_sub(crop_x * (cl + cr));
    let height = full_h.saturating_sub(crop_y * (ct + cb));
    Some(SpsInfo {
        profile_idc,
        chroma_format_idc,
        bit_depth_luma,
        bit_depth_chroma,
        frame_mbs_only,
        width: u32::try_from(width).ok()?,
        height: u32::try_from(height).ok()?,
    })
}

pub(super) fn check_sps_supported(s: &SpsInfo) -> Result<(), BuiltinError> {
    if s.chroma_format_idc > 1 {
        let kind = if s.chroma_format_idc == 2 {
            "4:2:2"
        } else {
            "4:4:4"
        };
        return Err(BuiltinError::Unsupported(format!(
            "H.264 with {kind} chroma (profile_idc {}) cannot be decoded by the built-in decoder",
            s.profile_idc
        )));
    }
    if s.bit_depth_luma != 8 || s.bit_depth_chroma != 8 {
        return Err(BuiltinError::Unsupported(format!(
            "{}-bit H.264 (profile_idc {}) cannot be decoded by the built-in decoder",
            s.bit_depth_luma, s.profile_idc
        )));
    }
    if !s.frame_mbs_only {
        return Err(BuiltinError::Unsupported(
            "interlaced H.264 cannot be decoded by the built-in decoder".into(),
        ));
    }
    Ok(())
}

/// Converts one MP4 sample (length-prefixed NAL units) to Annex-B (start codes) in `out`.
/// Returns false when the sample is malformed (what could be converted is kept).
pub(super) fn to_annexb(sample: &[u8], len_size: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut p = 0usize;
    while p < sample.len() {
        if sample.len() - p < len_size {
            return false;
        }
        let mut n = 0usize;
        for &b in &sample[p..p + len_size] {
            n = (n << 8) | usize::from(b);
        }
        p += len_size;
        if n > sample.len() - p {
            return false;
        }
        if n > 0 {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(&sample[p..p + n]);
        }
        p += n;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb() {
        let mut out = Vec::new();
        assert!(to_annexb(
            &[0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x06],
            4,
            &mut out
        ));
        assert_eq!(out, vec![0, 0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0x06]);
        assert!(!to_annexb(&[0, 0, 0, 9, 0x65], 4, &mut out));
    }

    #[test]
    fn sps_parse() {
        // x264 High profile SPS of a 160x120 clip.
        let sps = [
            0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00, 0x00,
            0x03, 0x00, 0x40, 0x00, 0x00, 0x05, 0x03, 0xc4, 0x89, 0x65, 0x80,
        ];
        let s = parse_sps(&sps).expect("sps");
        assert_eq!(s.profile_idc, 100);
        assert_eq!((s.width, s.height), (160, 120));
        assert!(s.frame_mbs_only);
    }
}

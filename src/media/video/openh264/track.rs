//! Choosing the video track of a movie and loading its description: codec, picture size,
//! display rotation, H.264 configuration and sample table.

use re_mp4::{HdlrBox, MdhdBox, TkhdBox};

use super::avcc::{parse_avcc, parse_sps, AvcConfig, SpsInfo};
use super::boxes::{be_u16, be_u32, child_boxes, find_child, need_child, parse_box, root_box};
use super::boxes::{BoxRef, Index};
use super::sample_table::{build_samples_from_moofs, build_samples_from_stbl, SampleRef};
use super::util::{corrupt, ticks_to_ms};
use super::BuiltinError;

// ---------------------------------------------------------------------------------------------
// Container: the video track
// ---------------------------------------------------------------------------------------------

/// The chosen video track, ready to decode.
#[derive(Debug)]
pub(super) struct VideoTrack {
    pub(super) fourcc: [u8; 4],
    pub(super) timescale: u32,
    media_duration: u64,
    pub(super) rotation: u32,
    /// Picture size from the sample entry (or the track header), in pixels, before rotation.
    entry_size: (u32, u32),
    pub(super) avcc: Option<AvcConfig>,
    pub(super) sps: Option<SpsInfo>,
    pub(super) samples: Vec<SampleRef>,
    pub(super) min_pts: i64,
    /// End of the last displayed sample (pts + duration), in timescale units.
    max_end: i64,
}

impl VideoTrack {
    /// Picture size as stored (before rotation), in pixels.
    pub(super) fn stored_size(&self) -> (u32, u32) {
        match &self.sps {
            Some(s) if s.width > 0 && s.height > 0 => (s.width, s.height),
            _ => self.entry_size,
        }
    }

    /// The track's length: the span of its samples' display times (what is decoded and
    /// shown), or the media header's duration when the sample table gives none. A header
    /// patched to claim 100 h over an 8 s sample table was refused as too long.
    pub(super) fn duration_ms(&self) -> u64 {
        let span = self.max_end.saturating_sub(self.min_pts);
        let ticks = if !self.samples.is_empty() && span > 0 {
            span
        } else if self.media_duration > 0
            && self.media_duration != u64::MAX
            && self.media_duration != u64::from(u32::MAX)
        {
            i64::try_from(self.media_duration).unwrap_or(i64::MAX)
        } else {
            span
        };
        u64::try_from(ticks_to_ms(ticks, self.timescale)).unwrap_or(0)
    }
}

/// A `trak` box that has handler type `vide`.
struct VideoTrak {
    trak: BoxRef,
    fourcc: [u8; 4],
    sample_count: u32,
    /// The track header's `track_enabled` flag (what ffmpeg shows as the default disposition).
    enabled: bool,
    /// Picture area in pixels from its first sample entry (0 when unreadable).
    area: u64,
}

/// Score of a video track for [`select_video_track`], as ffmpeg chooses the video stream of a
/// file with several (fftools `map_auto_video`): the picture area in pixels, plus 5,000,000
/// when the track is enabled (the default one). A small decoy track placed first does not
/// hide the larger copy that players show.
fn track_score(track: &VideoTrak) -> u64 {
    track.area + if track.enabled { 5_000_000 } else { 0 }
}

pub(super) fn select_video_track(index: &Index) -> Result<Option<VideoTrack>, BuiltinError> {
    let buf = &index.moov;
    let moov = root_box(buf)?;
    let mut candidates: Vec<VideoTrak> = Vec::new();
    for trak in child_boxes(buf, moov.body, moov.end)?
        .into_iter()
        .filter(|b| &b.typ == b"trak")
    {
        let Some(mdia) = find_child(buf, trak, b"mdia")? else {
            continue;
        };
        let Some(hdlr) = find_child(buf, mdia, b"hdlr")? else {
            continue;
        };
        let hdlr: HdlrBox = parse_box(buf, hdlr)?;
        if &hdlr.handler_type.value != b"vide" {
            continue;
        }
        let stbl = find_child(buf, mdia, b"minf")?
            .map(|minf| find_child(buf, minf, b"stbl"))
            .transpose()?
            .flatten();
        let entry = match stbl
            .map(|s| find_child(buf, s, b"stsd"))
            .transpose()?
            .flatten()
        {
            Some(stsd) => child_boxes(buf, stsd.body + 8, stsd.end)?.first().copied(),
            None => None,
        };
        let fourcc = entry.map_or([0; 4], |e| e.typ);
        // VisualSampleEntry (ISO 14496-12 12.1.3): width and height follow 24 bytes of
        // reserved, data-reference index and pre-defined fields.
        let area = entry.map_or(0, |e| {
            let side = |at| u64::from(be_u16(buf, e.body + at).unwrap_or(0));
            side(24) * side(26)
        });
        // tkhd: version (1 byte), then 24 bits of flags; bit 0 is track_enabled.
        let enabled = find_child(buf, trak, b"tkhd")?
            .and_then(|tkhd| be_u32(buf, tkhd.body))
            .is_some_and(|word| word & 1 == 1);
        let sample_count = match stbl
            .map(|s| find_child(buf, s, b"stsz"))
            .transpose()?
            .flatten()
        {
            Some(stsz) => be_u32(buf, stsz.body + 8).unwrap_or(0),
            None => 0,
        };
        candidates.push(VideoTrak {
            trak,
            fourcc,
            sample_count,
            enabled,
            area,
        });
    }
    // Prefer H.264 tracks; then tracks with samples (fragmented files have 0 in the moov);
    // then any. Among those, the best [`track_score`], the first of equals.
    let best_of = |keep: &dyn Fn(&VideoTrak) -> bool| {
        candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| keep(c))
            .max_by_key(|&(i, c)| (track_score(c), std::cmp::Reverse(i)))
            .map(|(i, _)| i)
    };
    let pick = best_of(&|c| matches!(&c.fourcc, b"avc1" | b"avc3"))
        .or_else(|| best_of(&|c| c.sample_count > 0))
        .or_else(|| best_of(&|_| true));
    match pick {
        Some(i) => load_track(index, candidates[i].trak).map(Some),
        None => Ok(None),
    }
}

fn load_track(index: &Index, trak: BoxRef) -> Result<VideoTrack, BuiltinError> {
    let buf = &index.moov;
    let tkhd: TkhdBox = parse_box(buf, need_child(buf, trak, b"tkhd")?)?;
    let mdia = need_child(buf, trak, b"mdia")?;
    let mdhd: MdhdBox = parse_box(buf, need_child(buf, mdia, b"mdhd")?)?;
    if mdhd.timescale == 0 {
        return Err(corrupt("video track has timescale 0"));
    }
    let minf = need_child(buf, mdia, b"minf")?;
    let stbl = need_child(buf, minf, b"stbl")?;
    let stsd = need_child(buf, stbl, b"stsd")?;
    let entry = child_boxes(buf, stsd.body + 8, stsd.end)?
        .into_iter()
        .next()
        .ok_or_else(|| corrupt("video track has no sample description"))?;
    let fourcc = entry.typ;
    let m = &tkhd.matrix;
    let rotation = rotation_from_matrix(m.a, m.b);

    // Visual sample entry: 6 reserved + 2 data-ref + 16 pre-defined, then width, height;
    // child boxes start 78 bytes into the payload.
    let mut entry_size = (
        u32::from(be_u16(buf, entry.body + 24).unwrap_or(0)),
        u32::from(be_u16(buf, entry.body + 26).unwrap_or(0)),
    );
    if entry_size.0 == 0 || entry_size.1 == 0 {
        entry_size = (
            u32::from(tkhd.width.value()),
            u32::from(tkhd.height.value()),
        );
    }
    let mut avcc = None;
    if matches!(&fourcc, b"avc1" | b"avc3") && entry.body + 78 <= entry.end {
        if let Some(b) = child_boxes(buf, entry.body + 78, entry.end)?
            .iter()
            .find(|b| &b.typ == b"avcC")
        {
            avcc = Some(parse_avcc(&buf[b.body..b.end])?);
        }
        if avcc.is_none() && &fourcc == b"avc1" {
            return Err(corrupt(
                "H.264 'avc1' sample entry without its 'avcC' configuration",
            ));
        }
    }
    let sps = avcc
        .as_ref()
        .and_then(|c| c.sps.first())
        .and_then(|s| parse_sps(s));

    let mut samples = Vec::new();
    let mut max_end = i64::MIN;
    build_samples_from_stbl(buf, stbl, index.file_len, &mut samples, &mut max_end)?;
    if !index.moofs.is_empty() {
        build_samples_from_moofs(index, tkhd.track_id, &mut samples, &mut max_end)?;
    }
    let min_pts = samples.iter().map(|s| s.pts).min().unwrap_or(0);
    if max_end == i64::MIN {
        max_end = min_pts;
    }
    Ok(VideoTrack {
        fourcc,
        timescale: mdhd.timescale,
        media_duration: mdhd.duration,
        rotation,
        entry_size,
        avcc,
        sps,
        samples,
        min_pts,
        max_end,
    })
}

/// Clockwise rotation (0/90/180/270 degrees; other angles are not applied, see
/// [`crate::media::video::right_angle`]) of a track header display matrix `[a b; c d]` (16.16
/// fixed point; a point (x, y) is shown at (a*x + c*y, b*x + d*y) with y pointing down), from
/// its first row. Mirrorings are ignored.
fn rotation_from_matrix(a: i32, b: i32) -> u32 {
    if a == 0 && b == 0 {
        return 0;
    }
    crate::media::video::right_angle(f64::from(b).atan2(f64::from(a)).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_matrix() {
        let one = 0x10000;
        assert_eq!(rotation_from_matrix(one, 0), 0);
        assert_eq!(rotation_from_matrix(0, one), 90);
        assert_eq!(rotation_from_matrix(-one, 0), 180);
        assert_eq!(rotation_from_matrix(0, -one), 270);
        assert_eq!(rotation_from_matrix(0, 0), 0);
        // 45° and 135°: not right angles, shown upright as players do.
        assert_eq!(rotation_from_matrix(one, one), 0);
        assert_eq!(rotation_from_matrix(-one, one), 0);
    }
}

//! The video track's sample table: where each compressed sample lies in the file and when
//! it is shown, from `stts` / `ctts` / `stsc` / `stsz` / `stco` / `co64` (plain files) and
//! `trex` / `tfhd` / `tfdt` / `trun` (fragments), with size and bounds checks.

use re_mp4::{
    Co64Box, CttsBox, StcoBox, StscBox, StszBox, SttsBox, TfdtBox, TfhdBox, TrexBox, TrunBox,
};

use super::boxes::{child_boxes, find_child, need_child, parse_box, root_box, BoxRef, Index};
use super::util::corrupt;
use super::BuiltinError;

/// Largest number of video samples (frames) accepted in one track.
const MAX_SAMPLES: usize = 20_000_000;
/// Largest single compressed video sample accepted, in bytes (256 MiB).
const MAX_SAMPLE_BYTES: u64 = 256 << 20;

/// Where one compressed video sample is and when it is shown.
#[derive(Clone, Copy, Debug)]
pub(super) struct SampleRef {
    pub(super) offset: u64,
    pub(super) size: u32,
    /// Presentation time in track timescale units (decode time + composition offset).
    pub(super) pts: i64,
}

fn push_sample(
    samples: &mut Vec<SampleRef>,
    max_end: &mut i64,
    file_len: u64,
    offset: u64,
    size: u64,
    pts: i64,
    duration: i64,
) -> Result<(), BuiltinError> {
    if samples.len() >= MAX_SAMPLES {
        return Err(corrupt(format!("more than {MAX_SAMPLES} video samples")));
    }
    if size > MAX_SAMPLE_BYTES {
        return Err(corrupt(format!(
            "video sample {} claims {size} bytes",
            samples.len()
        )));
    }
    match offset.checked_add(size) {
        Some(end) if end <= file_len => {}
        _ => {
            return Err(corrupt(format!(
                "video sample {} (bytes {offset}..+{size}) lies past the end of the {file_len}-byte file: file cut short",
                samples.len()
            )))
        }
    }
    *max_end = (*max_end).max(pts.saturating_add(duration));
    samples.push(SampleRef {
        offset,
        size: size as u32,
        pts,
    });
    Ok(())
}

pub(super) fn build_samples_from_stbl(
    buf: &[u8],
    stbl: BoxRef,
    file_len: u64,
    samples: &mut Vec<SampleRef>,
    max_end: &mut i64,
) -> Result<(), BuiltinError> {
    let stsz: StszBox = parse_box(buf, need_child(buf, stbl, b"stsz")?)?;
    let count = if stsz.sample_size == 0 {
        stsz.sample_sizes.len()
    } else {
        stsz.sample_count as usize
    };
    if count == 0 {
        return Ok(());
    }
    let stts: SttsBox = parse_box(buf, need_child(buf, stbl, b"stts")?)?;
    let ctts: Option<CttsBox> = find_child(buf, stbl, b"ctts")?
        .map(|b| parse_box(buf, b))
        .transpose()?;
    let stsc: StscBox = parse_box(buf, need_child(buf, stbl, b"stsc")?)?;
    let chunk_offsets: Vec<u64> = if let Some(b) = find_child(buf, stbl, b"stco")? {
        parse_box::<StcoBox>(buf, b)?
            .entries
            .into_iter()
            .map(u64::from)
            .collect()
    } else if let Some(b) = find_child(buf, stbl, b"co64")? {
        parse_box::<Co64Box>(buf, b)?.entries
    } else {
        return Err(corrupt(
            "video sample table has no chunk offsets (stco/co64)",
        ));
    };
    if stsc.entries.is_empty() {
        return Err(corrupt(
            "video sample table has an empty sample-to-chunk box",
        ));
    }

    // Decode times: stts runs; when they run out, keep the last delta.
    let mut stts_run = 0usize;
    let mut stts_left: u64 = stts
        .entries
        .first()
        .map_or(0, |e| u64::from(e.sample_count));
    let mut last_delta: i64 = stts
        .entries
        .first()
        .map_or(0, |e| i64::from(e.sample_delta));
    // Composition offsets: ctts runs; 0 when absent or exhausted.
    let mut ctts_run = 0usize;
    let mut ctts_left: u64 = ctts
        .as_ref()
        .and_then(|c| c.entries.first())
        .map_or(0, |e| u64::from(e.sample_count));

    let mut dts: i64 = 0;
    let mut n = 0usize;
    let mut stsc_run = 0usize;
    for (ci, &chunk_off) in chunk_offsets.iter().enumerate() {
        if n >= count {
            break;
        }
        let chunk_no = ci as u64 + 1;
        while stsc_run + 1 < stsc.entries.len()
            && u64::from(stsc.entries[stsc_run + 1].first_chunk) <= chunk_no
        {
            stsc_run += 1;
        }
        let per_chunk = stsc.entries[stsc_run].samples_per_chunk as usize;
        let mut off = chunk_off;
        for _ in 0..per_chunk {
            if n >= count {
                break;
            }
            let size = u64::from(if stsz.sample_size == 0 {
                stsz.sample_sizes[n]
            } else {
                stsz.sample_size
            });
            // duration of this sample
            while stts_left == 0 && stts_run + 1 < stts.entries.len() {
                stts_run += 1;
                stts_left = u64::from(stts.entries[stts_run].sample_count);
                last_delta = i64::from(stts.entries[stts_run].sample_delta);
            }
            stts_left = stts_left.saturating_sub(1);
            let delta = last_delta;
            let cto: i64 = match &ctts {
                Some(c) => {
                    while ctts_left == 0 && ctts_run + 1 < c.entries.len() {
                        ctts_run += 1;
                        ctts_left = u64::from(c.entries[ctts_run].sample_count);
                    }
                    if ctts_left > 0 {
                        ctts_left -= 1;
                        i64::from(c.entries[ctts_run].sample_offset)
                    } else {
                        0
                    }
                }
                None => 0,
            };
            push_sample(
                samples,
                max_end,
                file_len,
                off,
                size,
                dts.saturating_add(cto),
                delta,
            )?;
            off = off
                .checked_add(size)
                .ok_or_else(|| corrupt("sample offsets overflow"))?;
            dts = dts.saturating_add(delta);
            n += 1;
        }
    }
    Ok(())
}

pub(super) fn build_samples_from_moofs(
    index: &Index,
    track_id: u32,
    samples: &mut Vec<SampleRef>,
    max_end: &mut i64,
) -> Result<(), BuiltinError> {
    // Defaults from moov/mvex/trex.
    let moov_buf = &index.moov;
    let moov = root_box(moov_buf)?;
    let mut trex: Option<TrexBox> = None;
    if let Some(mvex) = find_child(moov_buf, moov, b"mvex")? {
        for b in child_boxes(moov_buf, mvex.body, mvex.end)?
            .into_iter()
            .filter(|b| &b.typ == b"trex")
        {
            let t: TrexBox = parse_box(moov_buf, b)?;
            if t.track_id == track_id {
                trex = Some(t);
                break;
            }
        }
    }
    let (trex_dur, trex_size) = trex.map_or((0, 0), |t| {
        (t.default_sample_duration, t.default_sample_size)
    });
    let mut next_dts: Option<i64> = None;
    for (moof_pos, buf) in &index.moofs {
        let moof = root_box(buf)?;
        let mut prev_traf_end: u64 = *moof_pos;
        for (traf_i, traf) in child_boxes(buf, moof.body, moof.end)?
            .into_iter()
            .filter(|b| &b.typ == b"traf")
            .enumerate()
        {
            let tfhd: TfhdBox = parse_box(buf, need_child(buf, traf, b"tfhd")?)?;
            if tfhd.track_id != track_id {
                continue;
            }
            let base = if let Some(b) = tfhd.base_data_offset {
                b
            } else if tfhd.flags & TfhdBox::FLAG_DEFAULT_BASE_IS_MOOF != 0 || traf_i == 0 {
                *moof_pos
            } else {
                prev_traf_end
            };
            if let Some(t) = find_child(buf, traf, b"tfdt")? {
                let tfdt: TfdtBox = parse_box(buf, t)?;
                next_dts = Some(i64::try_from(tfdt.base_media_decode_time).unwrap_or(i64::MAX));
            }
            let mut dts = next_dts.unwrap_or(0);
            let def_dur = tfhd.default_sample_duration.unwrap_or(trex_dur);
            let def_size = tfhd.default_sample_size.unwrap_or(trex_size);
            let mut data_pos = base;
            for trun_ref in child_boxes(buf, traf.body, traf.end)?
                .into_iter()
                .filter(|b| &b.typ == b"trun")
            {
                let trun: TrunBox = parse_box(buf, trun_ref)?;
                if let Some(off) = trun.data_offset {
                    data_pos = base
                        .checked_add_signed(i64::from(off))
                        .ok_or_else(|| corrupt("fragment data offset out of range"))?;
                }
                for i in 0..trun.sample_count as usize {
                    let dur = i64::from(trun.sample_durations.get(i).copied().unwrap_or(def_dur));
                    let size = u64::from(trun.sample_sizes.get(i).copied().unwrap_or(def_size));
                    let cto = trun.sample_cts.get(i).map_or(0, |&v| {
                        if trun.version == 0 {
                            i64::from(v)
                        } else {
                            i64::from(v as i32)
                        }
                    });
                    push_sample(
                        samples,
                        max_end,
                        index.file_len,
                        data_pos,
                        size,
                        dts.saturating_add(cto),
                        dur,
                    )?;
                    data_pos = data_pos
                        .checked_add(size)
                        .ok_or_else(|| corrupt("fragment offsets overflow"))?;
                    dts = dts.saturating_add(dur);
                }
            }
            prev_traf_end = data_pos;
            next_dts = Some(dts);
        }
    }
    Ok(())
}

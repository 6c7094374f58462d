//! The video track's sample table: where each compressed sample lies in the file and when
//! it is shown, from `stts` / `ctts` / `stsc` / `stsz` / `stco` / `co64` (plain files) and
//! `trex` / `tfhd` / `tfdt` / `trun` (fragments), with size and bounds checks.

use re_mp4::{
    Co64Box, CttsBox, StcoBox, StscBox, StszBox, SttsBox, TfdtBox, TfhdBox, TrexBox, TrunBox,
};

use super::boxes::{
    be_u32, child_boxes, find_child, need_child, parse_box, root_box, BoxRef, Index,
};
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

/// Counts a listed sample's bytes (at least 1 each) into `listed` and refuses a sample table
/// that lists more bytes than the file holds. The samples of a real file are disjoint ranges
/// of it, but a sample table may point many chunks (or fragment runs) at the same bytes: a
/// 12 KB file could list 20 million samples, hundreds of MB of index and as many decoder
/// calls, each sample within the file. This bounds the samples, and the work and memory they
/// cost, by the file's size.
fn claim_bytes(listed: &mut u64, size: u64, file_len: u64) -> Result<(), BuiltinError> {
    *listed = listed.saturating_add(size.max(1));
    if *listed > file_len {
        return Err(corrupt(format!(
            "the video samples listed so far claim more bytes than the {file_len}-byte file holds (overlapping sample ranges)"
        )));
    }
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
    let mut listed = 0u64;
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
            claim_bytes(&mut listed, size, file_len)?;
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
    let mut listed = 0u64;
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
                check_trun_count(buf, trun_ref, def_size, index.file_len)?;
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
                    claim_bytes(&mut listed, size, index.file_len)?;
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

/// Refuses, from its header and before it is parsed, a `trun` (fragment run) box whose samples
/// cannot fit in the file. Without per-sample sizes every sample has the default size, and
/// without any per-sample field a sample costs no byte of the box: a 20-byte `trun` may claim
/// 4,294,967,295 samples, which `re_mp4` would loop over and this module would then list (up
/// to [`MAX_SAMPLES`], hundreds of MB) before finding them past the end of the file. Each
/// sample is counted as at least 1 byte, so a run of empty samples is bounded too. Runs with
/// per-sample sizes are bounded by their box size (checked by the parser).
fn check_trun_count(
    buf: &[u8],
    trun: BoxRef,
    default_size: u32,
    file_len: u64,
) -> Result<(), BuiltinError> {
    let body = &buf[trun.body..trun.end];
    let (Some(version_flags), Some(count)) = (be_u32(body, 0), be_u32(body, 4)) else {
        return Ok(()); // too short to hold a count: the parser says what is wrong
    };
    if version_flags & TrunBox::FLAG_SAMPLE_SIZE != 0 {
        return Ok(());
    }
    let bytes = u64::from(count) * u64::from(default_size.max(1));
    if bytes > file_len {
        return Err(corrupt(format!(
            "a fragment run claims {count} video samples of {default_size} bytes, more than the {file_len}-byte file holds: file cut short or corrupt"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_samples_cannot_claim_more_than_the_file() {
        let mut listed = 0;
        assert!(claim_bytes(&mut listed, 0, 3).is_ok()); // an empty sample counts as 1 byte
        assert!(claim_bytes(&mut listed, 2, 3).is_ok());
        assert!(claim_bytes(&mut listed, 0, 3).is_err());
    }

    #[test]
    fn fragment_run_counts_are_checked_from_the_header() {
        let trun = |flags: u32, count: u32| {
            let mut b = vec![0, 0, 0, 16];
            b.extend_from_slice(b"trun");
            b.extend_from_slice(&flags.to_be_bytes());
            b.extend_from_slice(&count.to_be_bytes());
            b
        };
        let at = BoxRef {
            typ: *b"trun",
            start: 0,
            body: 8,
            end: 16,
        };
        let mb = 1 << 20;
        assert!(check_trun_count(&trun(0, u32::MAX), at, 0, mb).is_err());
        assert!(check_trun_count(&trun(0, 1000), at, 1000, mb).is_ok());
        assert!(check_trun_count(&trun(0, 2000), at, 1000, mb).is_err());
        // With per-sample sizes the count is bounded by the box size (the parser checks it).
        let sized = TrunBox::FLAG_SAMPLE_SIZE;
        assert!(check_trun_count(&trun(sized, u32::MAX), at, 0, mb).is_ok());
    }
}

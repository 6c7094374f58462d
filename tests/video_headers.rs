//! Video headers that lie or promise frames that are not there: the frames decide.

mod common;

use swordnet::media::video::DecoderChoice;
use swordnet::media::{decode_file, DecodeOptions};

/// Multiplies the durations in the `mvhd`, `tkhd` and `mdhd` boxes (version 0) of an MP4 by
/// `factor`, in place.
fn scale_durations(mp4: &mut [u8], factor: f64) {
    fn walk(d: &mut [u8], mut at: usize, end: usize, factor: f64) {
        while at + 8 <= end {
            let size = u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = d[at + 4..at + 8].try_into().unwrap();
            if size < 8 || at + size > end {
                return;
            }
            match &kind {
                b"moov" | b"trak" | b"mdia" => walk(d, at + 8, at + size, factor),
                b"mvhd" | b"mdhd" | b"tkhd" if d[at + 8] == 0 => {
                    // version/flags, creation, modification, then timescale (mvhd, mdhd) or
                    // track id and a reserved word (tkhd), then the duration.
                    let p = at + 8 + 4 + 8 + if &kind == b"tkhd" { 8 } else { 4 };
                    let old = u32::from_be_bytes(d[p..p + 4].try_into().unwrap());
                    let new = (old as f64 * factor) as u32;
                    d[p..p + 4].copy_from_slice(&new.to_be_bytes());
                }
                _ => {}
            }
            at += size;
        }
    }
    let len = mp4.len();
    walk(mp4, 0, len, factor);
}

#[test]
fn duration_comes_from_the_frames_when_the_header_says_less() {
    let original = common::samples().join("queries/bottle_excerpt.mp4");
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&original).unwrap();
    scale_durations(&mut bytes, 0.05);
    let lying = dir.path().join("short_header.mp4");
    std::fs::write(&lying, &bytes).unwrap();
    for decoder in [DecoderChoice::Auto, DecoderChoice::Builtin] {
        let options = DecodeOptions {
            decoder,
            ..DecodeOptions::default()
        };
        let mut times = Vec::new();
        let truth = decode_file(&original, &options, &mut |f| {
            times.push(f.t_ms);
            true
        })
        .unwrap();
        let mut lying_times = Vec::new();
        let got = decode_file(&lying, &options, &mut |f| {
            lying_times.push(f.t_ms);
            true
        })
        .unwrap();
        assert_eq!(lying_times, times, "{decoder:?}: other frames");
        let (want, got) = (truth.duration_ms as f64, got.duration_ms as f64);
        assert!(
            (got - want).abs() <= 0.05 * want,
            "{decoder:?}: duration {got} ms, the frames span {want} ms"
        );
    }
}

/// A fragmented MP4 cut before its first fragment: a header and no frame. Each decoder says
/// so in its own words, never ffmpeg's closing "Conversion failed!".
#[test]
fn fragmented_mp4_without_fragments_is_a_clear_error() {
    use swordnet::error::ErrorKind;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mp4/fragmented_no_fragments.mp4");
    for decoder in [DecoderChoice::Auto, DecoderChoice::Builtin] {
        let options = DecodeOptions {
            decoder,
            ..DecodeOptions::default()
        };
        let e = decode_file(&path, &options, &mut |_| true).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Truncated | ErrorKind::Decode),
            "{decoder:?}: {e}"
        );
        assert!(!e.message.contains("Conversion failed"), "{decoder:?}: {e}");
        if decoder == DecoderChoice::Builtin {
            assert!(e.message.contains("no samples"), "{e}");
        }
    }
}

/// ffmpeg's probe names the video stream of a file whose first stream is audio, and decoding
/// reads that stream from the probe's answer (one `ffprobe` per file, not one per step).
#[test]
fn ffmpeg_probe_names_the_video_stream_it_decodes() {
    use swordnet::limits::Limits;
    use swordnet::media::video::ffmpeg::FfmpegBackend;
    use swordnet::media::video::VideoBackend;
    use swordnet::sampler::SamplePlan;
    if !common::have_ffmpeg() {
        return;
    }
    let path = common::case("b25_audio_stream_first.mp4");
    let info = FfmpegBackend.probe(&path, None).unwrap();
    assert_eq!(info.stream_index, 1, "{info:?}");
    let mut frames = 0;
    FfmpegBackend
        .decode(
            &path,
            &info,
            SamplePlan::IntervalMs(500),
            512,
            &Limits::default(),
            &mut |_| {
                frames += 1;
                true
            },
        )
        .unwrap();
    assert!(frames >= 2, "{frames} frames");
}

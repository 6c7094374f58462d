//! B25: audio streams

use super::*;

#[test]
fn b25_video_stream_is_chosen_by_type_and_audio_only_is_an_error() {
    let first = common::case("b25_audio_stream_first.mp4");
    let only = common::case("b25_audio_only_named.mp4");
    for dec in decoders() {
        let (info, frames) = decode_all(&first, dec).unwrap();
        assert_eq!(frames.len(), 20, "{dec:?}");
        assert_eq!(
            frames.iter().map(|f| f.t_ms).collect::<Vec<_>>(),
            (0..20).map(|i| i * 100).collect::<Vec<i64>>(),
            "{dec:?}: 10 fps"
        );
        assert_eq!(
            (info.width, info.height, info.duration_ms),
            (160, 120, 2000)
        );
        assert_eq!(info.media, MediaType::Video);
        let fp = fingerprint(&first, dec);
        assert!(fp.frames.iter().all(|f| f.quality >= 50), "{dec:?}");

        let err = decode_file(&only, &options(dec, ALL_FRAMES), &mut |_| {
            panic!("audio only delivered a frame")
        })
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoVideoStream, "{dec:?}: {err}");
        assert!(err.message.contains("no video stream"), "{}", err.message);
        assert_index_refused(&only, dec, ErrorKind::NoVideoStream);
        let r = judge(&[common::case("b18_original.mp4")], &only, dec);
        assert_error_report(&r, "no_video_stream", "audio only");
    }
}

#[test]
fn b25_kind_audio_only_in_any_container_and_audio_first_elsewhere() {
    if !common::have_ffmpeg() {
        eprintln!("ffmpeg not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"];
    let mut audio = Vec::new();
    for (name, codec) in [
        ("m4a_named.mp4", "aac"),
        ("mp3_named.mp4", "libmp3lame"),
        ("wav_named.mp4", "pcm_s16le"),
        ("flac_named.mov", "flac"),
        ("opus_named.mkv", "libopus"),
        ("vorbis.ogg", "libvorbis"),
    ] {
        let out = dir.path().join(name);
        let fmt = match name {
            "m4a_named.mp4" => "mp4",
            "mp3_named.mp4" => "mp3",
            "wav_named.mp4" => "wav",
            "flac_named.mov" => "flac",
            "opus_named.mkv" => "matroska",
            _ => "ogg",
        };
        let mut args: Vec<&str> = sine.to_vec();
        args.extend(["-c:a", codec, "-f", fmt, p(&out)]);
        ffmpeg(&args);
        audio.push(out);
    }
    // An MP3 with cover art: a picture stream, but no video.
    let cover_png = dir.path().join("cover.png");
    save(
        &DynamicImage::ImageRgb8(detailed_picture(64, 64, 2)),
        &cover_png,
        ImageFormat::Png,
        None,
    );
    let cover = dir.path().join("with_cover.mp3");
    let mut args: Vec<&str> = sine.to_vec();
    args.extend([
        "-i",
        p(&cover_png),
        "-map",
        "0",
        "-map",
        "1",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "mjpeg",
        "-disposition:v",
        "attached_pic",
        p(&cover),
    ]);
    ffmpeg(&args);
    audio.push(cover);
    for path in &audio {
        for dec in decoders() {
            let got = decode_file(path, &options(dec, ALL_FRAMES), &mut |_| {
                panic!("{}: audio delivered a frame", path.display())
            });
            let kind = error_kind(got);
            let is_matroska_or_ogg = path.extension().is_some_and(|e| e == "mkv" || e == "ogg");
            if dec == DecoderChoice::Builtin && is_matroska_or_ogg {
                // The builtin decoder reads MP4 only: it says so.
                assert_eq!(kind, ErrorKind::Unsupported, "{}", path.display());
            } else {
                assert_eq!(
                    kind,
                    ErrorKind::NoVideoStream,
                    "{} ({dec:?})",
                    path.display()
                );
            }
        }
    }
    // Audio first in Matroska too.
    let mkv = dir.path().join("audio_first.mkv");
    ffmpeg(&[
        "-i",
        p(&common::case("b25_audio_stream_first.mp4")),
        "-map",
        "0:a",
        "-map",
        "0:v",
        "-c",
        "copy",
        p(&mkv),
    ]);
    let (_, frames) = decode_all(&mkv, DecoderChoice::Ffmpeg).unwrap();
    assert_eq!(frames.len(), 20);
    assert_eq!(frames[19].t_ms, 1900);
}

//! Thumbnails of the HTML report: the pictures of every flagged upload and its works at the
//! matched times, gathered in parallel, turned back to the work's orientation, as JPEG data
//! URIs.

use super::*;

/// The orientation that turns an upload whose report names `transform` back to the work's
/// (the inverse of the upload's transform).
pub(super) fn orientation(transform: &str) -> Orientation {
    Orientation::ALL
        .into_iter()
        .find(|o| o.inverse().transform_name() == transform)
        .unwrap_or(Orientation::Original)
}

/// Applies `o` to a picture: the query frame under the orientation that matched looks like
/// the work (a mirrored copy is mirrored back, a rotated one turned back).
pub(super) fn orient(img: &RgbImage, o: Orientation) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    match o {
        Orientation::Original => img.clone(),
        Orientation::Rot90 => rotate270(img),
        Orientation::Rot180 => rotate180(img),
        Orientation::Rot270 => rotate90(img),
        Orientation::FlipVertical => flip_vertical(img),
        Orientation::Mirror => flip_horizontal(img),
        Orientation::FlipPlus1 => flip_horizontal(&rotate90(img)),
        Orientation::FlipMinus1 => flip_vertical(&rotate90(img)),
    }
}

/// A file and the video stream to show (`None`: the one ffmpeg chooses).
type FileStream = (PathBuf, Option<u64>);

pub(super) type Pictures = HashMap<(PathBuf, i64), std::result::Result<RgbImage, String>>;

/// The thumbnails every detailed match needs, decoded once per file (files in parallel).
pub(super) fn gather(flagged: &[&QueryReport], options: &HtmlOptions) -> Pictures {
    // Keyed by file and video stream: an upload's matches may lie in a stream other than the
    // one ffmpeg chooses (the report's `video_stream`); a work's are in the chosen one.
    let mut wanted: BTreeMap<FileStream, Vec<i64>> = BTreeMap::new();
    for r in flagged {
        for m in r.matches.iter().take(options.matches_with_frames) {
            for (q, t) in match_times(m, is_image(r), options.frames_per_match) {
                wanted
                    .entry((path_from_display(&r.query), r.video_stream))
                    .or_default()
                    .push(q);
                if !m.reference.is_empty() {
                    wanted
                        .entry((path_from_display(&m.reference), None))
                        .or_default()
                        .push(t);
                }
            }
        }
    }
    let Some(thumbs) = options.thumbnails else {
        return Pictures::new();
    };
    let jobs: Vec<(FileStream, Vec<i64>)> = wanted
        .into_iter()
        .map(|(p, mut times)| {
            times.sort_unstable();
            times.dedup();
            (p, times)
        })
        .collect();
    jobs.par_iter()
        .flat_map_iter(|((path, video_stream), times)| {
            let options = ThumbnailOptions {
                video_stream: *video_stream,
                ..thumbs
            };
            let pictures = frames_at(path, times, &options);
            times
                .iter()
                .zip(pictures)
                .map(|(&t, p)| ((path.clone(), t), p.map_err(|e| e.to_string())))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(super) fn data_uri(img: &RgbImage, quality: u8) -> std::result::Result<String, String> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality.clamp(1, 100))
        .encode_image(img)
        .map_err(|e| format!("cannot encode thumbnail: {e}"))?;
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&jpeg)
    ))
}

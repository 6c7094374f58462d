//! Uploads with several video streams: a copy hidden in a stream that ffmpeg does not choose
//! (a small or blank decoy made the default, or a large decoy beside the copy that browsers
//! play) is still found. Each other video stream is fingerprinted and judged like the first,
//! within the upload's decode time limit, and the strongest verdict stands.

use super::Engine;
use crate::fingerprint::{fingerprint_file, Fingerprint, Role};
use crate::media::DecodeOptions;
use crate::report::QueryReport;
use crate::verdict::VerdictKind;
use std::path::Path;
use std::time::{Duration, Instant};

/// Most video streams judged besides the one ffmpeg chooses (16 in all).
const MAX_OTHER_STREAMS: usize = 15;

impl Engine {
    /// `report` judged `fp`, the stream ffmpeg chose of the upload at `path`; the upload's
    /// other video streams ([`Fingerprint::other_video_streams`]) are judged in file order
    /// until the time since `started` reaches [`crate::limits::Limits::decode_timeout_s`].
    /// Returns the report of the stream with the strongest verdict (the chosen stream's on a
    /// tie), [`QueryReport::video_stream`] set and the reasons naming the stream when it is
    /// another. When a stream could not be read or judged (unreadable, out of time, beyond
    /// the first 16) and the others are clean, the upload is `review`.
    pub(super) fn judge_other_streams(
        &self,
        path: &Path,
        fp: &Fingerprint,
        report: QueryReport,
        started: Instant,
    ) -> QueryReport {
        if fp.other_video_streams.is_empty() || report.verdict == VerdictKind::Infringing {
            return report;
        }
        let limit = Duration::from_secs(self.options.decode.limits.decode_timeout_s);
        let mut best = report;
        let (mut unread, mut out_of_time) = (Vec::new(), Vec::new());
        for &stream in fp.other_video_streams.iter().take(MAX_OTHER_STREAMS) {
            if started.elapsed() >= limit {
                out_of_time.push(stream);
                continue;
            }
            let options = DecodeOptions {
                video_stream: Some(stream),
                ..self.options.decode
            };
            let other = match fingerprint_file(path, &options, self.hasher.as_ref(), Role::Query) {
                Ok(other) => other,
                Err(_) => {
                    unread.push(stream);
                    continue;
                }
            };
            let judged = self.judge_fingerprint(path, &other);
            if judged.verdict > best.verdict && judged.verdict != VerdictKind::Error {
                best = judged;
                best.video_stream = Some(stream);
            }
            if best.verdict == VerdictKind::Infringing {
                break;
            }
        }
        let streams = fp.other_video_streams.len() + 1;
        if let Some(stream) = best.video_stream {
            let chosen = fp.video_stream.unwrap_or(0);
            best.reasons.push(format!(
                "found in video stream {stream}, not in stream {chosen} that ffmpeg and most players choose: the file has {streams} video streams"
            ));
            return best;
        }
        let list = |s: &[u64]| s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
        if !unread.is_empty() {
            best.reasons.push(format!(
                "the file has {streams} video streams; not readable: stream(s) {}",
                list(&unread)
            ));
        }
        if !out_of_time.is_empty() {
            best.reasons.push(format!(
                "the file has {streams} video streams; not read within the decode time limit: stream(s) {}",
                list(&out_of_time)
            ));
        }
        let beyond_cap = streams > MAX_OTHER_STREAMS + 1;
        if beyond_cap {
            best.reasons.push(format!(
                "the file has {streams} video streams; only the first {} were judged",
                MAX_OTHER_STREAMS + 1
            ));
        }
        // Content never judged is not called clean: a copy behind enough decoys would be.
        if best.verdict == VerdictKind::Clean
            && (beyond_cap || !unread.is_empty() || !out_of_time.is_empty())
        {
            best.verdict = VerdictKind::Review;
            best.reasons.insert(
                0,
                "review: not every video stream of the file was judged".into(),
            );
        }
        best
    }
}

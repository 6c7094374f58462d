//! A readable fixed-width table of verdicts and time ranges for a terminal.

use super::QueryReport;

fn secs(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

/// Renders one line per upload (plus one per further match), with a header.
pub fn render(reports: &[QueryReport]) -> String {
    let mut out = format!(
        "{:<32} {:<6} {:<10} {:<28} {:>13} {:>15} {:>5} {:>5}  {}\n",
        "upload", "media", "verdict", "work", "upload s", "work s", "speed", "dist", "notes"
    );
    for r in reports {
        let name = truncate(&r.query, 32);
        let media = r.media.as_deref().unwrap_or("-");
        if r.matches.is_empty() {
            let note = match &r.error {
                Some(e) => format!("{}: {}", e.kind, e.message),
                None => r.reasons.first().cloned().unwrap_or_default(),
            };
            out.push_str(&format!(
                "{:<32} {:<6} {:<10} {:<28} {:>13} {:>15} {:>5} {:>5}  {}\n",
                name,
                media,
                r.verdict.as_str(),
                "-",
                "-",
                "-",
                "-",
                "-",
                note
            ));
        }
        for (i, m) in r.matches.iter().enumerate() {
            let (n, md, v) = if i == 0 {
                (name.clone(), media, r.verdict.as_str())
            } else {
                (String::new(), "", "")
            };
            let mut notes = Vec::new();
            if i == 0 && r.status == "cut_short" {
                notes.push("file cut short: readable part only".to_string());
            }
            if let (0, Some(stream)) = (i, r.video_stream) {
                notes.push(format!("in video stream {stream}, not the default"));
            }
            if m.transform != "none" {
                notes.push(m.transform.clone());
            }
            if let Some(degrees) = m.turned_degrees {
                notes.push(format!("turned {degrees:.2}°"));
            }
            if let Some(n) = m.keypoint_inliers {
                notes.push(format!("crop placed by {n} keypoints"));
            }
            let note = notes.join("; ");
            // A still upload has no time ranges or speed; a keypoint placement no distance.
            let still = r.media.as_deref() == Some("image");
            let (upload_s, work_s, speed) = if still {
                ("-".to_string(), "-".to_string(), "-".to_string())
            } else {
                (
                    format!("{}-{}", secs(m.query_start_ms), secs(m.query_end_ms)),
                    format!(
                        "{}-{}",
                        secs(m.reference_start_ms),
                        secs(m.reference_end_ms)
                    ),
                    format!("{:.2}", m.speed),
                )
            };
            let distance = match m.keypoint_inliers {
                Some(_) => "-".to_string(),
                None => format!("{:.1}", m.mean_distance),
            };
            out.push_str(&format!(
                "{:<32} {:<6} {:<10} {:<28} {:>13} {:>15} {:>5} {:>5}  {}\n",
                n,
                md,
                v,
                // A title comes from the catalogue (an imported third-party list): its
                // control characters are escaped, never sent to the terminal.
                truncate(&crate::paths::escape_bytes(m.title.as_bytes()), 28),
                upload_s,
                work_s,
                speed,
                distance,
                note
            ));
        }
    }
    out
}

/// `s` cut to its last `n` characters (a path keeps its file name), marked with `…`.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_of_a_title_are_escaped() {
        let json = r#"{"query":"up.mp4","media":"video","verdict":"infringing","error":null,"matches":[{"reference":"w.mp4","work_id":1,"title":"\u001b[31mEVIL\u202e\nx","rights_holder":null,"key_work":false,"query_start_ms":0,"query_end_ms":5000,"reference_start_ms":0,"reference_end_ms":5000,"speed":1.0,"mirrored":false,"transform":"none","cropped":false,"matched_frames":20,"mean_distance":10.0,"score":0.8,"verdict":"infringing","reason":"r"}],"reasons":[],"duration_ms":5000,"frames":20,"informative_frames":20,"status":"ok","elapsed_ms":1}"#;
        let report: QueryReport = serde_json::from_str(json).unwrap();
        let table = render(&[report]);
        assert!(
            !table.contains('\u{1b}') && !table.contains('\u{202e}'),
            "{table}"
        );
        assert!(table.contains("[31mEVIL\\u{202e}\\u{000a}x"), "{table}");
        assert_eq!(table.lines().count(), 2, "{table}");
    }
}

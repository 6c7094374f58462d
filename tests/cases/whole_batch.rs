//! One batch over every case input and good sample queries

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Infringing, best match with this work file name.
    Copy(&'static str),
    /// Matched this work but weaker than infringing is fine (review or infringing).
    Match(&'static str),
    /// Review or infringing, with this work among the matches (the synthetic inputs share
    /// test-pattern content, so another work may rank first).
    AmongMatches(&'static str),
    /// Not infringing; no error.
    NotInfringing,
    /// Clean with no match, status ok.
    Clean,
    /// Clean with status low_quality.
    LowQuality,
    /// A per-file error of this kind.
    Error(&'static str),
    /// Cut short, judged on what is readable, and no match there: a `truncated` error.
    CutShortUnmatched,
}

fn expected(name: &str, decoder: DecoderChoice) -> Expect {
    use Expect::*;
    match name {
        "b01_exif_orient6.jpg" | "b01_upright_reference.jpg" => Copy("b01_upright_reference.jpg"),
        "b01_stored_landscape.jpg" => AmongMatches("b01_upright_reference.jpg"),
        "b02_circle_on_white.png" | "b02_circle_rgba.png" => Copy("b02_circle_rgba.png"),
        "b02_triangle_rgba.png" => Clean,
        n if n.starts_with("b04_") => Clean,
        n if n.starts_with("b06_") || n.starts_with("b07_") || n.starts_with("b23_") => LowQuality,
        n if n.starts_with("b09_") => Error("too_small"),
        "b10_anim_a.gif" => NotInfringing,
        "b10_anim_b.gif" | "b10_anim_b.webp" => Match("b10_anim_b.gif"),
        "b12_gray_rle.tga" => Clean,
        "b12_truncated.jpg" => CutShortUnmatched,
        n if n.starts_with("b12_truncated") => Error("truncated"),
        n if n.starts_with("b13_") => Error("too_large"),
        "b15_clip.mp4" | "b25_audio_stream_first.mp4" => NotInfringing,
        "b16_displaymatrix_minus90.mp4" | "b16_pixels_rotated.mp4" => {
            Copy("b16_pixels_rotated.mp4")
        }
        "b16_source_landscape.mp4" => AmongMatches("b16_pixels_rotated.mp4"),
        "b18_original.mp4" | "b18_hflipped.mp4" => Copy("b18_original.mp4"),
        "b19_intro_then_a.mp4" => Copy("b19_intro_then_a.mp4"),
        "b19_intro_then_b.mp4" => NotInfringing,
        "b21_608x1080_padded_1080sq_60fps.mp4" => Clean,
        "b21_odd_321x241_yuv444.mkv" if decoder == DecoderChoice::Builtin => Error("unsupported"),
        "b21_odd_321x241_yuv444.mkv" => Clean,
        "b22_truncated_no_moov.mp4" => Error("truncated"),
        "b22_zero_bytes.mp4" => Error("empty"),
        "b25_audio_only_named.mp4" => Error("no_video_stream"),
        other => panic!("no expectation for case input {other}: add one"),
    }
}

fn check_expected(r: &QueryReport, want: Expect, name: &str) {
    assert_ne!(
        r.error.as_ref().map(|e| e.kind.as_str()),
        Some("internal"),
        "{name}: {r:?}"
    );
    match want {
        Expect::Copy(work) => {
            assert_eq!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
            assert_eq!(name_of(&r.matches[0].reference), work, "{name}");
        }
        Expect::Match(work) => {
            assert!(
                matches!(r.verdict, VerdictKind::Review | VerdictKind::Infringing),
                "{name}: {r:?}"
            );
            assert_eq!(name_of(&r.matches[0].reference), work, "{name}");
        }
        Expect::AmongMatches(work) => {
            assert!(
                matches!(r.verdict, VerdictKind::Review | VerdictKind::Infringing),
                "{name}: {r:?}"
            );
            assert!(
                r.matches.iter().any(|m| name_of(&m.reference) == work),
                "{name}: {work} not among {r:?}"
            );
        }
        Expect::NotInfringing => {
            assert!(r.error.is_none(), "{name}: {r:?}");
            assert_ne!(r.verdict, VerdictKind::Infringing, "{name}: {r:?}");
        }
        Expect::Clean => {
            assert_eq!(r.verdict, VerdictKind::Clean, "{name}: {r:?}");
            assert_eq!(r.status, "ok", "{name}: {r:?}");
            assert!(r.matches.is_empty(), "{name}: {r:?}");
        }
        Expect::LowQuality => assert_low_quality(r, name),
        Expect::Error(kind) => assert_error_report(r, kind, name),
        Expect::CutShortUnmatched => assert_cut_short_unmatched(r, name),
    }
}

#[test]
fn whole_batch_of_case_inputs_and_sample_queries() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(common::shared("cases/inputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 40, "case inputs missing: {}", inputs.len());
    let truth = swordnet::eval::read_truth(&common::samples().join("truth.csv")).unwrap();
    let good = [
        "bottle_excerpt.mp4",
        "tiger_mirrored.jpg",
        "clean_photo_1.jpg",
        "person_excerpt.mp4",
    ];
    let mut works: Vec<PathBuf> = std::fs::read_dir(common::samples().join("references"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    works.sort();
    works.extend(
        [
            "b01_upright_reference.jpg",
            "b02_circle_rgba.png",
            "b10_anim_b.gif",
            "b16_pixels_rotated.mp4",
            "b18_original.mp4",
            "b19_intro_then_a.mp4",
        ]
        .map(common::case),
    );
    for dec in decoders() {
        let (_d, cat) = common::catalogue();
        let engine = common::engine_over(&cat, &works, dec);
        let mut files = inputs.clone();
        files.extend(
            good.iter()
                .map(|g| common::samples().join("queries").join(g)),
        );
        let scan = cat.begin_scan("{}").unwrap();
        let reports = scan_batch(&engine, &files, Some((&cat, scan)), 2, &|_, _, _| {}).unwrap();
        assert_eq!(reports.len(), files.len(), "{dec:?}: one result per file");
        for (path, r) in files.iter().zip(&reports) {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(r.query, display_path(path));
            if let Some(row) = truth.iter().find(|t| t.query == name) {
                if row.verdict == "clean" {
                    assert_ne!(
                        r.verdict,
                        VerdictKind::Infringing,
                        "{name} ({dec:?}): {r:?}"
                    );
                    assert!(r.error.is_none(), "{name}: {r:?}");
                } else {
                    assert_eq!(
                        r.verdict,
                        VerdictKind::Infringing,
                        "{name} ({dec:?}): {r:?}"
                    );
                    assert!(r.matches[0].reference.ends_with(&row.reference), "{name}");
                }
                continue;
            }
            check_expected(r, expected(name, dec), &format!("{name} ({dec:?})"));
        }
        // Everything stored: every work kept, one result per file, failures counted.
        assert_eq!(cat.works().unwrap().len(), works.len());
        assert_eq!(cat.scan_results(scan).unwrap().len(), files.len());
        let summary = Summary::of(&reports);
        let errors = reports.iter().filter(|r| r.error.is_some()).count();
        assert_eq!(summary.count(VerdictKind::Error), errors);
        assert_eq!(summary.errors_by_kind.values().sum::<usize>(), errors);
        cat.integrity_check().unwrap();
    }
}

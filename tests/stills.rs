//! Still images: a recoloured copy matches on its lightness view.

mod common;

use image::{Rgb, RgbImage};
use std::path::Path;
use swordnet::fingerprint::{fingerprint_file, Fingerprint, Role, LIGHTNESS_VIEW};
use swordnet::hash::{Hash256, PdqHasher};
use swordnet::media::DecodeOptions;

fn fingerprint(path: &Path, role: Role) -> Fingerprint {
    fingerprint_file(path, &DecodeOptions::default(), &PdqHasher, role).unwrap()
}

fn view(fp: &Fingerprint, view: u8) -> Option<Hash256> {
    fp.frames.iter().find(|f| f.view == view).map(|f| f.hash)
}

/// Rotating the colour channels (R→G→B→R) turns every hue by 120° and keeps each pixel's
/// largest and smallest channel, so the lightness hash is unchanged while the luminance hash
/// moves.
#[test]
fn hue_rotated_copy_matches_on_lightness() {
    let photo = image::open(common::samples().join("references/p_mdn_tiger.jpg"))
        .unwrap()
        .to_rgb8();
    let mut rotated = photo.clone();
    for p in rotated.pixels_mut() {
        let [r, g, b] = p.0;
        *p = Rgb([b, r, g]);
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    photo.save(&a).unwrap();
    rotated.save(&b).unwrap();
    let reference = fingerprint(&a, Role::Reference);
    let upload = fingerprint(&b, Role::Query);
    let luma_distance = view(&reference, 0)
        .unwrap()
        .distance(&view(&upload, 0).unwrap());
    assert!(
        luma_distance >= 10,
        "luminance hashes {luma_distance} bits apart"
    );
    let lightness = view(&reference, LIGHTNESS_VIEW).unwrap();
    assert_eq!(view(&upload, LIGHTNESS_VIEW), Some(lightness));
    // Plain hashing (`swordnet hash`, exchange) stays standard PDQ only.
    assert_eq!(view(&fingerprint(&a, Role::Plain), LIGHTNESS_VIEW), None);
}

#[test]
fn grey_images_get_no_lightness_view() {
    let grey = RgbImage::from_fn(200, 150, |x, y| {
        let v = ((x * 7 + y * 13) % 256) as u8;
        Rgb([v, v, v])
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grey.png");
    grey.save(&path).unwrap();
    assert_eq!(
        view(&fingerprint(&path, Role::Reference), LIGHTNESS_VIEW),
        None
    );
}

//! Extra views of a picture, hashed beside the picture itself so that crops, zooms, small
//! rotations and edge overlays still match.
//!
//! PDQ (like every global perceptual hash) fails on a 15 % crop or a 5° rotation: the public
//! benchmark in DESIGN.md measured 9 % recall for a 5 % crop. swordnet therefore indexes, for
//! each reference frame, crops on a 3x3 grid of offsets at a few scales and small rotations,
//! and searches each query frame as is, as its centre crops, and as its main content block
//! (a photo inside a phone screenshot). A cropped upload then lies close to one of the
//! reference's crops. View 0 is always the standard PDQ of the whole (border-free) picture.
//! Crops that share a filter size are hashed from one filter pass over the picture
//! ([`super::FrameHasher::hash_crops`]): within a few bits of PDQ of each crop, and many
//! times faster.

use super::Picture;
use std::borrow::Cow;

/// One way of looking at a picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// The picture as given (view id 0).
    Primary,
    /// A window of `scale` x `scale` of the picture whose left/top edge is at `x`/`y` (fractions).
    Crop {
        /// Side of the window as a fraction of the picture's side.
        scale: f32,
        /// Left edge, fraction of the width.
        x: f32,
        /// Top edge, fraction of the height.
        y: f32,
    },
    /// Rotated by this many degrees (counter-clockwise positive) about the centre, canvas kept,
    /// black corners.
    Rotate(f32),
    /// The largest block of rows and columns with detail across most of the width (a photo
    /// inside a screenshot with bars of text), enlarged to [`VIEW_MAX_SIDE`] ([`enlarge`]).
    ContentBlock,
    /// A centred window of `w` x `h` (fractions) of the whole frame, borders included: where a
    /// film of a standard aspect ratio sits in a frame of another (a 16:9 film on a blurred
    /// 9:16 background, a 4:3 film pillarboxed in 16:9), whatever the background looks like.
    Band {
        /// Width, fraction of the frame's width.
        w: f32,
        /// Height, fraction of the frame's height.
        h: f32,
    },
    /// The whole frame with this frame's own uniform bars removed (a compilation whose
    /// excerpts are letterboxed differently from one another).
    FrameBars,
    /// A window of the whole frame found for this video (a picture-in-picture inset, see
    /// [`super::inset`]).
    Window(super::borders::ActiveArea),
    /// A window of the active area (fractions): what is left when a band along one edge is
    /// cut off, where a caption box or a channel logo sits.
    Part(super::borders::ActiveArea),
    /// The whole frame of an upload turned by `degrees` on its own canvas (see
    /// [`super::rotation`]), turned back, and cut to its centred `keep` x `keep` window (sides
    /// as fractions), which the turned-away corners do not reach: the reference's centred
    /// crop of that size again.
    Derotate {
        /// The angle the upload was turned by, degrees, counter-clockwise positive.
        degrees: f32,
        /// Side of the centred window kept, fraction of the frame's side.
        keep: f32,
    },
}

impl View {
    /// True for views cut from the whole frame rather than from its active area.
    pub fn is_whole_frame(&self) -> bool {
        matches!(
            self,
            View::Band { .. } | View::FrameBars | View::Window(_) | View::Derotate { .. }
        )
    }
}

/// Standard aspect ratios (width / height) of films and phone videos.
pub(crate) const STANDARD_ASPECTS: [f32; 6] = [16.0 / 9.0, 4.0 / 3.0, 1.85, 2.39, 9.0 / 16.0, 1.0];

/// Longest side, in pixels, pictures are reduced to before extra views are made. PDQ drifts
/// badly on small inputs (a 134 px wide crop hashed 50+ bits away from the same crop at 1080
/// px, 268 px stayed within a few bits), so views are cut from a 512 px copy.
pub const VIEW_MAX_SIDE: u32 = 512;

/// Crops of `scale` at every offset from 0 to `1 - scale` in steps of at most `step` (both
/// axes). PDQ moves about 27 bits per 1 % shift of a crop window (measured on the dev photos:
/// 26–34 bits at 1 %, 50–60 at 2 %), so the grid must be fine for a crop to land near one.
fn grid(scale: f32, step: f32, out: &mut Vec<View>) {
    let max = 1.0 - scale;
    let n = (max / step).ceil().max(1.0) as usize;
    for j in 0..=n {
        for i in 0..=n {
            let (x, y) = (max * i as f32 / n as f32, max * j as f32 / n as f32);
            out.push(View::Crop { scale, x, y });
        }
    }
}

/// Views indexed for a reference still image of `width` x `height`: primary; crops of 85 % and
/// 90 % on a 1.5 % grid of offsets; the centre 70 %; ±5° rotations; squares of the full short
/// side along the long side on a 2 % grid (square reposts of a landscape photo); the centre 90 %.
pub fn reference_image_views(width: u32, height: u32) -> Vec<View> {
    let mut v = vec![View::Primary];
    grid(0.85, 0.015, &mut v);
    grid(0.9, 0.015, &mut v);
    v.push(View::Crop {
        scale: 0.7,
        x: 0.15,
        y: 0.15,
    });
    v.push(View::Rotate(5.0));
    v.push(View::Rotate(-5.0));
    let (long, short) = (width.max(height) as f32, width.min(height).max(1) as f32);
    if long / short > 1.15 {
        let side = short / long;
        let steps = ((1.0 - side) / 0.02).ceil() as usize;
        for i in 0..=steps {
            let at = (1.0 - side) * i as f32 / steps as f32;
            v.push(if width >= height {
                View::Window(super::borders::ActiveArea {
                    x: at,
                    y: 0.0,
                    w: side,
                    h: 1.0,
                })
            } else {
                View::Window(super::borders::ActiveArea {
                    x: 0.0,
                    y: at,
                    w: 1.0,
                    h: side,
                })
            });
        }
    }
    // The centred 90 % crop (the most common crop) falls between that grid's offsets (last, so
    // that the ids of the other views stay those of older catalogues).
    v.push(View::Crop {
        scale: 0.9,
        x: 0.05,
        y: 0.05,
    });
    v
}

/// Share of the height an [`EDGE_CUTS`] view keeps.
pub const EDGE_CUT_KEEP: f32 = 0.7;

/// The [`View::Part`]s that drop a band of `1 - EDGE_CUT_KEEP` along the top or along the
/// bottom edge, indexed for reference video frames and searched for upload video frames: a
/// caption box or a logo with a handle in a corner (a quarter of the frame's height and half
/// its width, say) changes a whole-frame hash by 40–60 bits, and the same frame without that
/// band matches within a few (measured on a dev upload: 38–62 bits whole, 4–12 without the
/// band).
pub const EDGE_CUTS: [View; 2] = [
    View::Part(super::borders::ActiveArea {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: EDGE_CUT_KEEP,
    }),
    View::Part(super::borders::ActiveArea {
        x: 0.0,
        y: 1.0 - EDGE_CUT_KEEP,
        w: 1.0,
        h: EDGE_CUT_KEEP,
    }),
];

/// Shapes (width / height) that reposts cut from the middle of a wider film: a 9:16 phone
/// frame ("crop to fill") and a square.
pub const REPOST_SHAPES: [f32; 2] = [9.0 / 16.0, 1.0];

/// Views indexed for each reference video frame whose active area is `width` x `height`
/// pixels: primary; crops of 90 % and of 94 % on 2 % grids of offsets (7 x 7 and 5 x 5
/// offsets); the centre 80 %; the [`EDGE_CUTS`]; the centre 85 %; the [`EDGE_CUTS`] of each
/// of the 94 % crops (129 views so far); then the centred full-height window of each of
/// the [`REPOST_SHAPES`] that keeps 20–85 % of the width (a 9:16 crop of a 16:9 film keeps
/// 32 % of it, and no whole-frame hash or crop view comes within 88 bits of it); last, the 28
/// one-sided cuts and corner crops ([`one_sided_crops`]), appended so that older catalogues
/// keep their view ids (works indexed before them lack them: index again to catch such crops).
pub fn reference_video_views(width: u32, height: u32) -> Vec<View> {
    let mut v = vec![View::Primary];
    grid(0.9, 0.02, &mut v);
    let first_small_crop = v.len();
    grid(0.94, 0.02, &mut v);
    let small_crops = v[first_small_crop..].to_vec();
    v.push(View::Crop {
        scale: 0.8,
        x: 0.1,
        y: 0.1,
    });
    v.extend(EDGE_CUTS);
    // A centred 15 % crop falls between the 80 % and the 90 % views (41–48 bits from both on
    // copies made by a helper); last, so that older catalogues keep their view ids.
    v.push(View::Crop {
        scale: 0.85,
        x: 0.075,
        y: 0.075,
    });
    // A repost cropped a few per cent and branded with a logo box in a corner: the crop views
    // keep the box (50+ bits away), the edge cuts of the whole frame are shifted by the crop;
    // the edge cut of the crop comes near (a dev upload cropped 6 %: 54–76 bits at best
    // before, 6–30 from the cut of its exact crop). Appended, so that older catalogues keep
    // their view ids.
    for crop in small_crops {
        if let View::Crop { scale, x, y } = crop {
            v.extend(EDGE_CUTS.iter().filter_map(|cut| match cut {
                View::Part(a) => Some(View::Part(super::borders::ActiveArea {
                    x: x + a.x * scale,
                    y: y + a.y * scale,
                    w: a.w * scale,
                    h: a.h * scale,
                })),
                _ => None,
            }));
        }
    }
    let aspect = width as f32 / height.max(1) as f32;
    for shape in REPOST_SHAPES {
        let w = shape / aspect;
        if (0.2..=0.85).contains(&w) {
            v.push(View::Part(super::borders::ActiveArea {
                x: (1.0 - w) / 2.0,
                y: 0.0,
                w,
                h: 1.0,
            }));
        }
    }
    v.extend(one_sided_crops());
    v
}

/// Shares of the frame kept by the one-sided cut views ([`one_sided_crops`]), 5 % apart: a
/// view matches cuts within about 2 % of its own (dev films cut 8–27 % from one side: 3 %
/// off is 35–45 bits), so together they take cuts of 8–27 %.
pub const ONE_SIDED_KEEPS: [f32; 4] = [0.9, 0.85, 0.8, 0.75];

/// Shares of the frame kept by the corner crop views ([`one_sided_crops`]); the 90 % crops
/// into the corners are in the 90 % grid already.
pub const CORNER_KEEPS: [f32; 3] = [0.85, 0.8, 0.75];

/// A repost that cut a watermark, a logo or a caption off one side or one corner of a film
/// keeps an off-centre part the centred and gridded crops miss (a dev film cut 15 % from its
/// left side matched no view within 60 bits): for each of [`ONE_SIDED_KEEPS`], the frame
/// without a band along each side (4 views), then for each of [`CORNER_KEEPS`] the crop of
/// that share into each corner (4 views); 28 views.
fn one_sided_crops() -> Vec<View> {
    let mut v = Vec::new();
    for keep in ONE_SIDED_KEEPS {
        let cut = 1.0 - keep;
        for (x, y, w, h) in [
            (cut, 0.0, keep, 1.0),
            (0.0, 0.0, keep, 1.0),
            (0.0, cut, 1.0, keep),
            (0.0, 0.0, 1.0, keep),
        ] {
            v.push(View::Part(super::borders::ActiveArea { x, y, w, h }));
        }
    }
    for keep in CORNER_KEEPS {
        let cut = 1.0 - keep;
        for (x, y) in [(0.0, 0.0), (cut, 0.0), (0.0, cut), (cut, cut)] {
            v.push(View::Crop { scale: keep, x, y });
        }
    }
    v
}

/// Views searched for a query still image: primary, main content block, centre 85 % and 70 %.
pub fn query_image_views() -> Vec<View> {
    vec![
        View::Primary,
        View::ContentBlock,
        View::Crop {
            scale: 0.85,
            x: 0.075,
            y: 0.075,
        },
        View::Crop {
            scale: 0.7,
            x: 0.15,
            y: 0.15,
        },
    ]
}

/// Views searched for each query video frame of `width` x `height` pixels: primary, the centre
/// 80 % (corner logos), the frame without its own bars, the [`EDGE_CUTS`] (caption boxes),
/// and centred bands of every standard aspect ratio that fits inside with room to spare (at
/// most 92 % of a side).
pub fn query_video_views(width: u32, height: u32) -> Vec<View> {
    let mut v = vec![
        View::Primary,
        View::Crop {
            scale: 0.8,
            x: 0.1,
            y: 0.1,
        },
        View::FrameBars,
    ];
    v.extend(EDGE_CUTS);
    let frame_aspect = width as f32 / height.max(1) as f32;
    for aspect in STANDARD_ASPECTS {
        if aspect > frame_aspect {
            let h = frame_aspect / aspect;
            if (0.25..=0.92).contains(&h) {
                v.push(View::Band { w: 1.0, h });
            }
        } else {
            let w = aspect / frame_aspect;
            if (0.25..=0.92).contains(&w) {
                v.push(View::Band { w, h: 1.0 });
            }
        }
    }
    v
}

/// Reduces `p` so that its longer side is at most `max_side` (area average; never enlarges):
/// `p` itself, borrowed, when it already fits.
pub fn downscale(p: &Picture, max_side: u32) -> Cow<'_, Picture> {
    let long = p.width.max(p.height);
    if long <= max_side {
        return Cow::Borrowed(p);
    }
    let f = long.div_ceil(max_side) as usize;
    let (w, h) = (p.width as usize / f, p.height as usize / f);
    let mut luma = vec![0.0f32; w * h];
    let norm = 1.0 / (f * f) as f32;
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for dy in 0..f {
                let row = (y * f + dy) * p.width as usize + x * f;
                sum += p.luma[row..row + f].iter().sum::<f32>();
            }
            luma[y * w + x] = sum * norm;
        }
    }
    Cow::Owned(Picture {
        width: w as u32,
        height: h as u32,
        luma,
    })
}

/// Enlarges `p` so that its longer side is `side` px (bilinear, pixel centres aligned): `p`
/// itself, borrowed, when it is already that large. PDQ's filter and decimation depend on the
/// picture's size, and a small picture can hash tens of bits away from the same picture at
/// 512 px (measured on a dev photo: 52 bits at 288 px wide, 4 bits once enlarged to 512);
/// views cut small (a photo inside a phone screenshot) are hashed at this working size.
pub fn enlarge(p: &Picture, side: u32) -> Cow<'_, Picture> {
    let long = p.width.max(p.height);
    if long >= side || long == 0 {
        return Cow::Borrowed(p);
    }
    let scale = side as f32 / long as f32;
    let (sw, sh) = (p.width as usize, p.height as usize);
    let w = ((sw as f32 * scale).round() as usize).max(1);
    let h = ((sh as f32 * scale).round() as usize).max(1);
    let source = |d: usize, n: usize| {
        let s = ((d as f32 + 0.5) / scale - 0.5).clamp(0.0, (n - 1) as f32);
        let i = (s.floor() as usize).min(n - 1);
        (i, (i + 1).min(n - 1), s - i as f32)
    };
    let columns: Vec<(usize, usize, f32)> = (0..w).map(|x| source(x, sw)).collect();
    let mut luma = Vec::with_capacity(w * h);
    for y in 0..h {
        let (y0, y1, fy) = source(y, sh);
        let (top, bottom) = (
            &p.luma[y0 * sw..(y0 + 1) * sw],
            &p.luma[y1 * sw..(y1 + 1) * sw],
        );
        luma.extend(columns.iter().map(|&(x0, x1, fx)| {
            let t = top[x0] + (top[x1] - top[x0]) * fx;
            let b = bottom[x0] + (bottom[x1] - bottom[x0]) * fx;
            t + (b - t) * fy
        }));
    }
    Cow::Owned(Picture {
        width: w as u32,
        height: h as u32,
        luma,
    })
}

/// The rectangle `(x, y, width, height)`, pixels, that a fixed-window view ([`View::Crop`],
/// [`View::Band`], [`View::Window`]) cuts from a `width` x `height` picture (clamped by
/// [`Picture::crop`]); `None` for views whose pixels are not a fixed window.
pub fn crop_rect(view: &View, width: u32, height: u32) -> Option<(u32, u32, u32, u32)> {
    let (pw, ph) = (width as f32, height as f32);
    let rect = |x: f32, y: f32, w: f32, h: f32| {
        (
            (x * pw).round() as u32,
            (y * ph).round() as u32,
            ((w * pw).round() as u32).max(1),
            ((h * ph).round() as u32).max(1),
        )
    };
    match *view {
        View::Crop { scale, x, y } => Some(rect(x, y, scale, scale)),
        View::Band { w, h } => Some((
            ((1.0 - w) / 2.0 * pw).round() as u32,
            ((1.0 - h) / 2.0 * ph).round() as u32,
            ((w * pw).round() as u32).max(1),
            ((h * ph).round() as u32).max(1),
        )),
        View::Window(area) | View::Part(area) => Some(rect(area.x, area.y, area.w, area.h)),
        _ => None,
    }
}

/// Renders `view` of `p`; `None` when the view adds nothing (e.g. no content block found).
pub fn render(view: View, p: &Picture) -> Option<Picture> {
    match view {
        View::Primary => Some(p.clone()),
        View::Crop { .. } | View::Band { .. } | View::Window(_) | View::Part(_) => {
            crop_rect(&view, p.width, p.height).map(|(x, y, w, h)| p.crop(x, y, w, h))
        }
        View::Rotate(degrees) => Some(super::rotation::rotate(p, degrees)),
        View::Derotate { degrees, keep } => {
            let centred = View::Crop {
                scale: keep,
                x: (1.0 - keep) / 2.0,
                y: (1.0 - keep) / 2.0,
            };
            let window = crop_rect(&centred, p.width, p.height)?;
            Some(super::rotation::rotate_window(p, -degrees, window))
        }
        View::ContentBlock => super::content_block::content_block(p)
            .map(|block| enlarge(&block, VIEW_MAX_SIDE).into_owned()),
        View::FrameBars => super::borders::detect(&[p], super::borders::BorderMode::UniformBars)
            .map(|area| area.apply(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caption box over the top-left corner (45 % of the width, 25 % of the height, dark
    /// and semi-opaque) moves the whole-frame hash far, and leaves the view without the top
    /// band exactly as it was.
    #[test]
    fn edge_cut_drops_a_caption_box() {
        use crate::hash::pdq::pdq_from_luma;
        let (w, h) = (640usize, 360usize);
        let mut state = 5u64;
        let cells: Vec<f32> = (0..(w / 20) * (h / 20))
            .map(|_| (crate::hash::keypoints::splitmix64(&mut state) % 256) as f32)
            .collect();
        let frame = Picture {
            width: w as u32,
            height: h as u32,
            luma: (0..w * h)
                .map(|i| cells[(i / w / 20) * (w / 20) + (i % w) / 20])
                .collect(),
        };
        let mut captioned = frame.clone();
        for y in 0..h / 4 {
            for x in 0..w * 45 / 100 {
                let v = &mut captioned.luma[y * w + x];
                *v = *v * 0.4 + if (x / 6 + y / 9) % 3 == 0 { 150.0 } else { 0.0 };
            }
        }
        let hash = |p: &Picture| pdq_from_luma(&p.luma, p.width as usize, p.height as usize).hash;
        let whole = hash(&frame)
            .iter()
            .zip(hash(&captioned))
            .map(|(a, b)| (a ^ b).count_ones())
            .sum::<u32>();
        assert!(whole > 12, "{whole} bits");
        let bottom = EDGE_CUTS[1];
        let (a, b) = (
            render(bottom, &frame).unwrap(),
            render(bottom, &captioned).unwrap(),
        );
        assert_eq!((a.width, a.height), (640, 252));
        assert_eq!(hash(&a), hash(&b));
        assert!(query_video_views(640, 360).contains(&bottom));
        assert!(reference_video_views(640, 360).contains(&bottom));
    }

    #[test]
    fn view_counts_and_crop_sizes() {
        assert_eq!(reference_image_views(100, 100).len(), 1 + 121 + 64 + 3 + 1);
        assert_eq!(
            reference_image_views(150, 100).len(),
            1 + 121 + 64 + 3 + 18 + 1
        );
        // View ids above the lists are kept for the whole-picture views (fingerprint.rs).
        assert!(reference_image_views(10_000, 100).len() < 253);
        // 0.1 / 0.02 rounds up to 6 steps (7 offsets), 0.06 / 0.02 to 4 (5 offsets).
        assert_eq!(
            reference_video_views(1280, 720).len(),
            1 + 49 + 25 + 1 + 2 + 1 + 25 * 2 + 2 + 16 + 12
        );
        // A 4:3 film keeps 42 % and 75 % of its width; a phone video and a square none.
        let four_three = reference_video_views(640, 480);
        let Some(&View::Part(band)) = four_three.get(129) else {
            panic!("{:?}", four_three.get(129));
        };
        assert!((band.w - 0.421_875).abs() < 1e-6 && (band.x - 0.289_062_5).abs() < 1e-6);
        assert_eq!(four_three.len(), 131 + 28);
        assert_eq!(reference_video_views(720, 1280).len(), 129 + 28);
        assert_eq!(reference_video_views(500, 500).len(), 130 + 28);
        let p = Picture {
            width: 100,
            height: 50,
            luma: vec![1.0; 5000],
        };
        let c = render(
            View::Crop {
                scale: 0.9,
                x: 0.1,
                y: 0.0,
            },
            &p,
        )
        .unwrap();
        assert_eq!((c.width, c.height), (90, 45));
        assert_eq!(
            downscale(
                &Picture {
                    width: 1024,
                    height: 512,
                    luma: vec![2.0; 1024 * 512]
                },
                512
            )
            .width,
            512
        );
    }

    #[test]
    fn enlarges_small_pictures_only() {
        // A horizontal ramp stays a ramp: bilinear between pixel centres, edges held.
        let p = Picture {
            width: 4,
            height: 2,
            luma: vec![0.0, 10.0, 20.0, 30.0, 0.0, 10.0, 20.0, 30.0],
        };
        let big = enlarge(&p, 8);
        assert_eq!((big.width, big.height), (8, 4));
        assert_eq!(
            &big.luma[..8],
            &[0.0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30.0]
        );
        assert_eq!(&big.luma[..8], &big.luma[24..]);
        assert!(matches!(enlarge(&p, 4), Cow::Borrowed(_)));
        assert!(matches!(enlarge(&p, 3), Cow::Borrowed(_)));
    }
}

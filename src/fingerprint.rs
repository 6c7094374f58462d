//! Fingerprints: the ordered frame hashes of one medium, with its duration and algorithm.
//!
//! [`fingerprint_file`] runs media ─► sampler ─► hash for one file. Border detection runs on
//! the first [`BORDER_PROBE_FRAMES`] sampled frames and the area found is applied to the whole
//! video (stable over time); memory stays bounded however long the video is.

use crate::error::{Error, ErrorKind, Result};
use crate::hash::borders::{self, ActiveArea, BorderMode};
use crate::hash::views::{self, View};
use crate::hash::{inset, rotation};
use crate::hash::{Algorithm, FrameHasher, Hash256, Picture, PictureHash};
use crate::media::{self, DecodeOptions, Frame, MediaType};
use crate::sampler::SamplePlan;
use std::borrow::Cow;
use std::path::Path;

mod spread_pictures;
mod static_shot;
mod still_pictures;

use spread_pictures::SpreadPictures;
pub use spread_pictures::MAX_SPREAD_PICTURES;
use static_shot::FullFrame;
pub use static_shot::{
    NARROW_VIEW_AREA, NEAR_DUPLICATE_BITS, NEAR_DUPLICATE_LUMA, NEAR_DUPLICATE_WITHIN_MS,
};
pub use still_pictures::STATIC_VIDEO_BITS;
use still_pictures::{fill_held_frames, shows_one_picture};

/// Sampled frames looked at together to find a video's borders.
pub const BORDER_PROBE_FRAMES: usize = 24;

/// View id of a query frame hashed whole, borders included (when borders were removed from
/// the primary view). Ids 252–255 are kept for these whole-picture views; the role view lists
/// of [`crate::hash::views`] are shorter (a reference image has about 210 views).
pub const UNCROPPED_VIEW: u8 = 255;

/// View id of a dark or low-contrast frame hashed after a contrast stretch
/// ([`Picture::contrast_stretched`]), added only when the plain hash's quality is under
/// [`STRETCH_BELOW_QUALITY`]. Used only inside swordnet: exported hashes are view 0.
pub const STRETCHED_VIEW: u8 = 254;

/// View id of a dark or low-contrast upload frame hashed whole ([`UNCROPPED_VIEW`]) after a
/// contrast stretch, when borders were removed from its primary view: a misty photo's dark
/// lower band can pass for a bar, and its reference was hashed whole.
pub const STRETCHED_UNCROPPED_VIEW: u8 = 252;

/// View id of a still colour image hashed on its HSL lightness ([`crate::media::Frame::lightness`])
/// instead of its luminance, for references and uploads alike: a recoloured copy (hue rotated,
/// saturation changed) keeps its lightness. Added when it differs from view 0. Used only
/// inside swordnet: exported hashes are view 0.
pub const LIGHTNESS_VIEW: u8 = 253;

/// Frames whose plain PDQ quality is below this get a [`STRETCHED_VIEW`] too (PDQ's own
/// match threshold on quality).
pub const STRETCH_BELOW_QUALITY: u8 = 50;

/// The [`STRETCHED_VIEW`] of a frame whose view 0 has quality `quality`: `Some` when that is
/// under [`STRETCH_BELOW_QUALITY`] and the picture has a range to stretch.
fn stretched_view(
    hasher: &dyn FrameHasher,
    t_ms: i64,
    active: &Picture,
    quality: u8,
) -> Option<FrameHash> {
    if quality >= STRETCH_BELOW_QUALITY {
        return None;
    }
    let stretched = active.contrast_stretched()?;
    Some(FrameHash::new(
        t_ms,
        STRETCHED_VIEW,
        hasher.hash(&stretched),
    ))
}

/// One frame's hash with its time and quality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameHash {
    /// Presentation time in ms from the first frame.
    pub t_ms: i64,
    /// Which view of the frame: 0 = the frame itself (standard PDQ of its active area), else
    /// the position in the role's view list ([`crate::hash::views`]) or [`UNCROPPED_VIEW`].
    pub view: u8,
    /// 0–100 (PDQ gradient quality); below the policy's minimum the frame never matches.
    pub quality: u8,
    /// The hash of the frame as shown.
    pub hash: Hash256,
    /// The hashes of the eight orientations (index = [`crate::hash::Orientation`]). In a
    /// [`Role::Reference`] fingerprint the crop views (stored upright, never searched by
    /// orientation) carry only their upright hash here, in every entry.
    pub dihedral: [Hash256; 8],
}

impl FrameHash {
    fn new(t_ms: i64, view: u8, h: PictureHash) -> Self {
        FrameHash {
            t_ms,
            view,
            quality: h.quality,
            hash: h.hash,
            dihedral: h.dihedral,
        }
    }
}

/// Whether a file is fingerprinted as a protected work or as an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A protected work: only uniform bars are cropped; crops and rotations are added as views.
    Reference,
    /// An upload: uniform bars and blurred fill are cropped, and the uncropped frame is kept
    /// as another view in case the crop was wrong; centre crops are added as views.
    Query,
    /// Only the primary view (for `swordnet hash` and exchange with other PDQ systems).
    Plain,
}

/// The frame hashes of one medium.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// The hash algorithm.
    pub algorithm: Algorithm,
    /// Image or video.
    pub media: MediaType,
    /// Displayed width in pixels.
    pub width: u32,
    /// Displayed height in pixels.
    pub height: u32,
    /// Duration in ms (0 for a still image).
    pub duration_ms: u64,
    /// Frame hashes in time order; each frame's views follow each other, view 0 first.
    pub frames: Vec<FrameHash>,
    /// The active area that was hashed (`None`: the whole picture).
    pub active_area: Option<ActiveArea>,
    /// The decoder that read it.
    pub decoder: &'static str,
    /// A still image's luminance as hashed (whole, borders included, longer side reduced to
    /// at most 512 px), kept for its keypoints ([`crate::hash::keypoints`]); `None` for a
    /// video and in [`Role::Plain`] fingerprints.
    pub still: Option<Picture>,
    /// For an upload turned a few degrees on its own canvas (corners of fill): the angle,
    /// degrees, counter-clockwise positive, that [`crate::hash::rotation::detect`] found and
    /// its turned-back views ([`View::Derotate`]) undo; `None` otherwise and for references.
    pub turned_degrees: Option<f32>,
    /// An upload whose video container is cut short ([`media::decode_readable`]): what is
    /// cut. Its frames are those readable before the cut. `None`: the file is whole.
    pub cut_short: Option<String>,
    /// A video read by ffmpeg: the container's index of the video stream hashed.
    pub video_stream: Option<u64>,
    /// A video read by ffmpeg: its other video streams, not hashed (see
    /// [`media::DecodeOptions::video_stream`]).
    pub other_video_streams: Vec<u64>,
    /// An upload video whose sampled frames all show one picture (a photo posted as a video:
    /// view-0 hashes within [`STATIC_VIDEO_BITS`] of the first frame's): its first frame,
    /// whole, at most 512 px a side, to be matched as a photo too. `None` otherwise.
    pub static_picture: Option<Picture>,
    /// A video upload: up to [`MAX_SPREAD_PICTURES`] of its pictures, whole (at most 512 px a
    /// side), with their times in ms, spread over its length from its first frame; photos are
    /// placed inside them by keypoints when nothing else found the upload infringing (a photo
    /// under a slow zoom or pan). Empty for images and references.
    pub spread_pictures: Vec<(i64, Picture)>,
}

impl Fingerprint {
    /// The time span the frames cover in ms: the duration if known, else the last frame's time.
    pub fn span_ms(&self) -> u64 {
        let last = self
            .frames
            .last()
            .map(|f| f.t_ms.max(0) as u64)
            .unwrap_or(0);
        self.duration_ms.max(last)
    }

    /// The view-0 hashes: one per sampled frame.
    pub fn primary_frames(&self) -> impl Iterator<Item = &FrameHash> {
        self.frames.iter().filter(|f| f.view == 0)
    }

    /// Sampled frames whose quality is at least `min_quality` as they are (view 0) or after a
    /// contrast stretch ([`STRETCHED_VIEW`]: a dark or misty but real picture).
    pub fn informative_frames(&self, min_quality: u8) -> usize {
        let mut times: Vec<i64> = self
            .frames
            .iter()
            .filter(|f| {
                [0, STRETCHED_VIEW, STRETCHED_UNCROPPED_VIEW].contains(&f.view)
                    && f.quality >= min_quality
            })
            .map(|f| f.t_ms)
            .collect();
        times.dedup();
        times.len()
    }
}

/// Decodes and hashes `path`. A reference video frame that repeats the last one hashed with
/// every view (a static shot, see [`NEAR_DUPLICATE_LUMA`]) has only its view 0 hashed and
/// that frame's other views copied.
///
/// Errors: every error of [`media::decode_file`].
pub fn fingerprint_file(
    path: &Path,
    options: &DecodeOptions,
    hasher: &dyn FrameHasher,
    role: Role,
) -> Result<Fingerprint> {
    fingerprint_with(path, options, hasher, role, true)
}

/// [`fingerprint_file`] with every view of every frame hashed, none copied: the twin the
/// static-shot shortcut is tested against.
pub fn fingerprint_file_exhaustive(
    path: &Path,
    options: &DecodeOptions,
    hasher: &dyn FrameHasher,
    role: Role,
) -> Result<Fingerprint> {
    fingerprint_with(path, options, hasher, role, false)
}

fn fingerprint_with(
    path: &Path,
    options: &DecodeOptions,
    hasher: &dyn FrameHasher,
    role: Role,
    copy_static_views: bool,
) -> Result<Fingerprint> {
    let mut state = Hashing::new(hasher, role, copy_static_views);
    let mut on_frame = |frame| {
        state.push(frame);
        true
    };
    // An upload cut short is matched on its readable part; a reference must be whole.
    let info = match role {
        Role::Query => media::decode_readable(path, options, &mut on_frame)?,
        Role::Reference | Role::Plain => media::decode_file(path, options, &mut on_frame)?,
    };
    state.finish();
    if state.frames.is_empty() {
        return Err(Error::new(ErrorKind::Decode, "no frame decoded").with_path(path));
    }
    if let (MediaType::Video, SamplePlan::IntervalMs(interval), false) =
        (info.media, options.plan, role == Role::Plain)
    {
        // Held to the end of the video, unless it is cut short (its end is unknown).
        let end_ms = info.cut_short.is_none().then_some(info.duration_ms as i64);
        fill_held_frames(&mut state.frames, i64::from(interval), end_ms);
    }
    let static_picture = match (role, info.media) {
        (Role::Query, MediaType::Video)
            if shows_one_picture(&state.frames, hasher.algorithm().bits()) =>
        {
            state.first_picture.take().or_else(|| state.still.clone())
        }
        _ => None,
    };
    Ok(Fingerprint {
        algorithm: hasher.algorithm(),
        media: info.media,
        width: info.width,
        height: info.height,
        duration_ms: info.duration_ms,
        frames: state.frames,
        active_area: state.area,
        decoder: info.decoder,
        still: state.still,
        turned_degrees: state.turned,
        cut_short: info.cut_short,
        video_stream: info.video_stream,
        other_video_streams: info.other_video_streams,
        static_picture,
        spread_pictures: std::mem::take(&mut state.spread).into_pictures(),
    })
}

/// The fingerprint of one picture in memory as a still image of `role` (its views, and for an
/// upload the picture kept for keypoints): what [`fingerprint_file`] gives for an image file
/// showing it. Used to match a video that shows one picture throughout as a photo.
pub fn fingerprint_picture(picture: &Picture, hasher: &dyn FrameHasher, role: Role) -> Fingerprint {
    let mut state = Hashing::new(hasher, role, false);
    state.push(Frame {
        t_ms: 0,
        picture: picture.clone(),
        lightness: None,
    });
    state.finish();
    Fingerprint {
        algorithm: hasher.algorithm(),
        media: MediaType::Image,
        width: picture.width,
        height: picture.height,
        duration_ms: 0,
        frames: state.frames,
        active_area: state.area,
        decoder: "image",
        still: state.still,
        turned_degrees: state.turned,
        cut_short: None,
        video_stream: None,
        other_video_streams: Vec::new(),
        static_picture: None,
        spread_pictures: Vec::new(),
    }
}

/// Streaming state: buffers the first frames until the borders are decided.
struct Hashing<'a> {
    hasher: &'a dyn FrameHasher,
    role: Role,
    mode: BorderMode,
    pending: Vec<Frame>,
    area: Option<ActiveArea>,
    decided: bool,
    views: Vec<View>,
    /// Uploads: every fixed-window view of a picture (the frame, its active area, crops,
    /// bands, the uncropped frame) decimated from one filter pass of that picture
    /// ([`FrameHasher::hash_crops_one_filter`]).
    one_filter: bool,
    frames: Vec<FrameHash>,
    still: Option<Picture>,
    /// Uploads: the first frame of a video, whole (see [`Fingerprint::static_picture`]).
    first_picture: Option<Picture>,
    /// References: copy the views of a frame that repeats the last one hashed with all.
    copy_static_views: bool,
    /// References: the last video frame hashed with every view.
    last_full: Option<FullFrame>,
    /// Uploads: the angle the upload was turned by on its own canvas, degrees.
    turned: Option<f32>,
    /// Video uploads: pictures kept for placing photos ([`Fingerprint::spread_pictures`]).
    spread: SpreadPictures,
}

impl<'a> Hashing<'a> {
    fn new(hasher: &'a dyn FrameHasher, role: Role, copy_static_views: bool) -> Self {
        let mode = match role {
            Role::Reference | Role::Plain => BorderMode::UniformBars,
            Role::Query => BorderMode::BarsAndBlur,
        };
        Hashing {
            hasher,
            role,
            mode,
            pending: Vec::new(),
            area: None,
            decided: false,
            views: Vec::new(),
            one_filter: false,
            frames: Vec::new(),
            still: None,
            first_picture: None,
            copy_static_views,
            last_full: None,
            turned: None,
            spread: SpreadPictures::default(),
        }
    }

    fn push(&mut self, frame: Frame) {
        if self.decided {
            self.hash_frame(&frame);
            return;
        }
        self.pending.push(frame);
        if self.pending.len() >= BORDER_PROBE_FRAMES {
            self.decide();
        }
    }

    fn decide(&mut self) {
        let pictures: Vec<&Picture> = self.pending.iter().map(|f| &f.picture).collect();
        let still = self.pending.len() == 1 && self.pending[0].t_ms == 0;
        // A reference photo is kept whole: in one picture a flat backdrop (a studio wall, a
        // sky) looks just like padding, and an upload's bars are removed on its side anyway
        // (with its uncropped view kept).
        self.area = if still && self.role == Role::Reference {
            None
        } else {
            borders::detect(&pictures, self.mode)
        };
        if still && self.role != Role::Plain {
            self.still = Some(self.pending[0].picture.clone());
        } else if self.role == Role::Query {
            self.first_picture = Some(self.pending[0].picture.clone());
        }
        self.views = match (self.role, still) {
            (Role::Plain, _) => vec![View::Primary],
            (Role::Reference, true) => {
                let p = &self.pending[0].picture;
                views::reference_image_views(p.width, p.height)
            }
            (Role::Reference, false) => {
                let p = &self.pending[0].picture;
                let area = self.area.unwrap_or(borders::ActiveArea::FULL);
                views::reference_video_views(
                    (area.w * p.width as f32).round() as u32,
                    (area.h * p.height as f32).round() as u32,
                )
            }
            (Role::Query, true) => {
                self.one_filter = true;
                views::query_image_views()
            }
            (Role::Query, false) => {
                self.one_filter = true;
                let p = &self.pending[0].picture;
                let mut v = views::query_video_views(p.width, p.height);
                v.extend(inset::windows(&pictures).into_iter().map(View::Window));
                v
            }
        };
        // An upload turned a few degrees on its own canvas: turned back, its centred crops.
        if self.role == Role::Query {
            self.turned = rotation::detect(&pictures);
            if let Some(degrees) = self.turned {
                let p = &self.pending[0].picture;
                self.views
                    .extend(rotation::derotated_views(p.width, p.height, degrees, still));
            }
        }
        self.decided = true;
        for frame in std::mem::take(&mut self.pending) {
            self.hash_frame(&frame);
        }
    }

    fn finish(&mut self) {
        if !self.decided {
            self.decide();
        }
    }

    fn hash_frame(&mut self, frame: &Frame) {
        if self.role == Role::Query && self.still.is_none() {
            self.spread.offer(frame.t_ms, &frame.picture);
        }
        let active = match self.area {
            Some(area) => Cow::Owned(area.apply(&frame.picture)),
            None => Cow::Borrowed(&frame.picture),
        };
        let small = views::downscale(&active, views::VIEW_MAX_SIDE);
        if self.copied_views(frame.t_ms, &active, &small) {
            return;
        }
        // The whole frame, when it differs from the active area (without bars they are one
        // picture, and `small` serves both).
        let whole = if self.area.is_some() && self.views.iter().any(View::is_whole_frame) {
            Some(views::downscale(&frame.picture, views::VIEW_MAX_SIDE))
        } else {
            None
        };
        // Fixed-window views (crops of the active area; bands and windows of the whole frame):
        // each set hashed together, one filter pass per window size (or, for upload video
        // frames, one per picture, which also gives the uncropped hash). The primary joins
        // them when the picture is hashed at its own size: decimated from the whole picture's
        // filter pass it is PDQ bit for bit (a reference keeps only its upright hash, as its
        // crops do; the orientations are searched on the upload's side).
        let primary = self.views.iter().position(|v| *v == View::Primary);
        let primary_batched = (self.one_filter || self.role == Role::Reference)
            && small.width == active.width
            && primary.is_some();
        let uncropped_batched = self.one_filter && whole.is_some();
        let mut batched: Vec<Option<PictureHash>> = vec![None; self.views.len() + 1];
        let uncropped_slot = self.views.len();
        // Without bars, one source (and, for uploads, one filter pass) for both kinds of view.
        let sources = match &whole {
            Some(whole) => [(Some(&small), Some(false)), (Some(whole), Some(true))],
            None => [(Some(&small), None), (None, None)],
        };
        for (source, whole_frame) in sources {
            let Some(source) = source else { continue };
            let (mut index, mut rects): (Vec<usize>, Vec<_>) = self
                .views
                .iter()
                .enumerate()
                .filter(|(_, v)| whole_frame.is_none_or(|w| v.is_whole_frame() == w))
                .filter_map(|(i, v)| {
                    views::crop_rect(v, source.width, source.height).map(|r| (i, r))
                })
                .unzip();
            let full = (0, 0, source.width, source.height);
            match (whole_frame, primary) {
                (Some(false) | None, Some(p)) if primary_batched => {
                    index.push(p);
                    rects.push(full);
                }
                (Some(true), _) if uncropped_batched && source.width == frame.picture.width => {
                    index.push(uncropped_slot);
                    rects.push(full);
                }
                _ => {}
            }
            let hashes: Vec<PictureHash> = if self.role == Role::Reference {
                // References are stored upright (the query's orientations are searched).
                self.hasher
                    .hash_crops_upright(source, &rects)
                    .into_iter()
                    .map(|(hash, quality)| PictureHash {
                        hash,
                        quality,
                        dihedral: [hash; 8],
                    })
                    .collect()
            } else if self.one_filter {
                self.hasher.hash_crops_one_filter(source, &rects)
            } else {
                self.hasher.hash_crops(source, &rects)
            };
            for (i, h) in index.into_iter().zip(hashes) {
                batched[i] = Some(h);
            }
        }
        let mut primary_hash = None;
        let first_pushed = self.frames.len();
        for (i, view) in self.views.iter().enumerate() {
            let hash = match (view, &whole) {
                (View::Primary, _) => {
                    let plain = batched[i].unwrap_or_else(|| self.hasher.hash(&active));
                    primary_hash = Some(plain.hash);
                    let stretched = stretched_view(self.hasher, frame.t_ms, &active, plain.quality);
                    self.frames.extend(stretched);
                    Some(plain)
                }
                _ if batched[i].is_some() => batched[i],
                (other, Some(whole)) if other.is_whole_frame() => {
                    views::render(*other, whole).map(|p| self.hasher.hash(&p))
                }
                (other, _) => views::render(*other, &small).map(|p| self.hasher.hash(&p)),
            };
            if let Some(h) = hash {
                self.frames.push(FrameHash::new(frame.t_ms, i as u8, h));
            }
        }
        if self.copy_static_views && self.role == Role::Reference && self.still.is_none() {
            let extra = 1..self.views.len();
            self.last_full = primary_hash.map(|primary| FullFrame {
                t_ms: frame.t_ms,
                picture: small.into_owned(),
                primary,
                views: self.frames[first_pushed..]
                    .iter()
                    .filter(|f| extra.contains(&usize::from(f.view)))
                    .copied()
                    .collect(),
            });
        }
        if let (Some(lightness), false) = (&frame.lightness, self.role == Role::Plain) {
            self.hash_lightness(frame.t_ms, lightness, primary_hash);
        }
        if self.area.is_some() && self.role == Role::Query {
            let h = batched[uncropped_slot].unwrap_or_else(|| self.hasher.hash(&frame.picture));
            self.frames
                .push(FrameHash::new(frame.t_ms, UNCROPPED_VIEW, h));
            if let Some(mut stretched) =
                stretched_view(self.hasher, frame.t_ms, &frame.picture, h.quality)
            {
                stretched.view = STRETCHED_UNCROPPED_VIEW;
                self.frames.push(stretched);
            }
        }
    }

    /// Adds the [`LIGHTNESS_VIEW`] of a still: its lightness picture, cut to the active area
    /// as the frame is, hashed whole; nothing when that hash equals `primary` (view 0's).
    fn hash_lightness(&mut self, t_ms: i64, lightness: &Picture, primary: Option<Hash256>) {
        let active = match self.area {
            Some(area) => Cow::Owned(area.apply(lightness)),
            None => Cow::Borrowed(lightness),
        };
        let h = self
            .hasher
            .hash(&views::downscale(&active, views::VIEW_MAX_SIDE));
        if primary != Some(h.hash) {
            self.frames.push(FrameHash::new(t_ms, LIGHTNESS_VIEW, h));
        }
    }
}

//! Frame hashes: perceptual hashes of single pictures, their Hamming distance and quality.
//!
//! The default is PDQ ([`pdq`]), Meta's 256-bit perceptual hash with a 0–100 quality score,
//! implemented here bit-exactly from Meta's reference. pHash-64 and dHash-64 through the
//! `image_hasher` crate can be chosen when a catalogue is created ([`dct64`]).

pub mod borders;
mod content_block;
pub mod dct64;
pub mod inset;
pub mod keypoints;
pub mod pdq;
pub mod picture;
pub mod rotation;
pub mod views;

pub use picture::Picture;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A perceptual hash of up to 256 bits. Bit `i` lives in `words[i / 64]` bit `i % 64`
/// (for PDQ, `i` is Meta's bit index). 64-bit hashes use `words[0]` only and keep the rest 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Hash256(pub [u64; 4]);

impl Hash256 {
    /// Hamming distance in bits: the number of bits that differ (0..=256).
    #[inline]
    pub fn distance(&self, other: &Hash256) -> u32 {
        (self.0[0] ^ other.0[0]).count_ones()
            + (self.0[1] ^ other.0[1]).count_ones()
            + (self.0[2] ^ other.0[2]).count_ones()
            + (self.0[3] ^ other.0[3]).count_ones()
    }

    /// The 32 bytes, little-endian words in order (the catalogue's storage format).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, w) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Reads the format of [`Hash256::to_bytes`]; `None` unless exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Hash256> {
        if bytes.len() != 32 {
            return None;
        }
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().ok()?);
        }
        Some(Hash256(words))
    }

    /// The hash as hex: for PDQ, Meta's 64-character format (as in ThreatExchange / HMA CSVs);
    /// for 64-bit hashes, 16 characters of `words[0]` big-endian.
    pub fn to_hex(&self, algorithm: Algorithm) -> String {
        match algorithm {
            Algorithm::Pdq => pdq::hash_to_hex(&self.0),
            _ => format!("{:016x}", self.0[0]),
        }
    }

    /// Parses [`Hash256::to_hex`].
    pub fn from_hex(s: &str, algorithm: Algorithm) -> Option<Hash256> {
        match algorithm {
            Algorithm::Pdq => pdq::hash_from_hex(s).map(Hash256),
            _ => {
                if s.len() != 16 {
                    return None;
                }
                u64::from_str_radix(s, 16)
                    .ok()
                    .map(|w| Hash256([w, 0, 0, 0]))
            }
        }
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Hash256({:016x}{:016x}{:016x}{:016x})",
            self.0[3], self.0[2], self.0[1], self.0[0]
        )
    }
}

/// The frame-hash algorithm a catalogue was built with. A catalogue records it and refuses
/// to be used with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// PDQ, 256 bits (Meta, "The TMK+PDQF Video-Hashing Algorithms and the PDQ Image Hashing
    /// Algorithm", 2019).
    Pdq,
    /// DCT perceptual hash, 64 bits, via `image_hasher` (mean of the 8x8 low DCT coefficients).
    Phash,
    /// Difference (gradient) hash, 64 bits, via `image_hasher`.
    Dhash,
}

impl Algorithm {
    /// The id stored in the catalogue, with its version: `"pdq-1"`, `"phash64-2"`, `"dhash64-2"`
    /// (version 1 of the 64-bit hashes: pHash against the mean, see [`dct64`]).
    pub fn id(self) -> &'static str {
        match self {
            Algorithm::Pdq => "pdq-1",
            Algorithm::Phash => "phash64-2",
            Algorithm::Dhash => "dhash64-2",
        }
    }

    /// Parses [`Algorithm::id`].
    pub fn from_id(id: &str) -> Option<Algorithm> {
        [Algorithm::Pdq, Algorithm::Phash, Algorithm::Dhash]
            .into_iter()
            .find(|a| a.id() == id)
    }

    /// Number of hash bits: 256 or 64.
    pub fn bits(self) -> u32 {
        match self {
            Algorithm::Pdq => 256,
            _ => 64,
        }
    }

    /// Scales a radius given for 256-bit PDQ to this algorithm's width (e.g. 31 → 8 for 64 bits).
    pub fn scale_radius(self, pdq_radius: u32) -> u32 {
        (pdq_radius * self.bits()).div_ceil(256)
    }
}

/// The eight dihedral orientations of a picture, in Meta's PDQ order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// As is.
    Original = 0,
    /// Rotated 90 degrees counter-clockwise.
    Rot90 = 1,
    /// Rotated 180 degrees.
    Rot180 = 2,
    /// Rotated 270 degrees counter-clockwise (90 clockwise).
    Rot270 = 3,
    /// Flipped top-bottom (Meta's "flipX": about the x axis).
    FlipVertical = 4,
    /// Mirrored left-right (Meta's "flipY": about the y axis).
    Mirror = 5,
    /// Transposed (mirrored about the main diagonal).
    FlipPlus1 = 6,
    /// Mirrored about the anti-diagonal.
    FlipMinus1 = 7,
}

impl Orientation {
    /// All eight, in Meta's order (index = dihedral index).
    pub const ALL: [Orientation; 8] = [
        Orientation::Original,
        Orientation::Rot90,
        Orientation::Rot180,
        Orientation::Rot270,
        Orientation::FlipVertical,
        Orientation::Mirror,
        Orientation::FlipPlus1,
        Orientation::FlipMinus1,
    ];

    /// The orientations a query is searched under by default: as is, mirrored, and turned a
    /// quarter either way (phone reposts of landscape films).
    pub const QUERY_DEFAULT: [Orientation; 4] = [
        Orientation::Original,
        Orientation::Mirror,
        Orientation::Rot90,
        Orientation::Rot270,
    ];

    /// The orientation that undoes this one: the quarter turns swap, every other orientation
    /// is its own inverse. An upload that matches when searched under `o` was transformed by
    /// `o.inverse()` (a copy turned clockwise matches under [`Orientation::Rot90`]).
    pub fn inverse(self) -> Orientation {
        match self {
            Orientation::Rot90 => Orientation::Rot270,
            Orientation::Rot270 => Orientation::Rot90,
            other => other,
        }
    }

    /// True for the mirrored orientations (an odd number of reflections).
    pub fn is_mirrored(self) -> bool {
        (self as usize) >= 4
    }

    /// A short name of this orientation: `"none"`, `"mirrored"`, `"rotated_left"` (90°
    /// counter-clockwise), `"rotated_right"` (90° clockwise), ...
    pub fn transform_name(self) -> &'static str {
        match self {
            Orientation::Original => "none",
            Orientation::Rot90 => "rotated_left",
            Orientation::Rot180 => "rotated180",
            Orientation::Rot270 => "rotated_right",
            Orientation::FlipVertical => "flipped_vertically",
            Orientation::Mirror => "mirrored",
            Orientation::FlipPlus1 => "transposed",
            Orientation::FlipMinus1 => "transversed",
        }
    }
}

/// The hash of one picture under every dihedral orientation, with its quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureHash {
    /// The hash of the picture as is (same as `dihedral[0]`).
    pub hash: Hash256,
    /// 0–100; PDQ's gradient-sum quality. Frames under the policy's minimum never match.
    pub quality: u8,
    /// Hashes of the eight orientations ([`Orientation::ALL`] order).
    pub dihedral: [Hash256; 8],
}

/// Hashes pictures with one [`Algorithm`].
pub trait FrameHasher: Send + Sync {
    /// The algorithm.
    fn algorithm(&self) -> Algorithm;
    /// Hashes `picture` (luminance). Never fails: a blank picture gets quality 0.
    fn hash(&self, picture: &Picture) -> PictureHash;
    /// Hashes several crops of one picture, each `(x, y, width, height)` in pixels (clamped
    /// to the picture as [`Picture::crop`] does), in order. The default crops and hashes each;
    /// PDQ filters the picture once per distinct filter size and decimates every crop from it
    /// ([`pdq::JaroszFiltered`]: within a few bits of PDQ of the crop, about 10x faster).
    fn hash_crops(&self, picture: &Picture, crops: &[(u32, u32, u32, u32)]) -> Vec<PictureHash> {
        crops
            .iter()
            .map(|&(x, y, w, h)| self.hash(&picture.crop(x, y, w, h)))
            .collect()
    }
    /// As [`FrameHasher::hash_crops`], every crop decimated from one filter pass of the whole
    /// picture at the picture's own filter size (PDQ: the whole picture's hash is then exact,
    /// each smaller crop's within a few bits of PDQ of the crop, as with
    /// [`pdq::JaroszFiltered`]). The default is [`FrameHasher::hash_crops`].
    fn hash_crops_one_filter(
        &self,
        picture: &Picture,
        crops: &[(u32, u32, u32, u32)],
    ) -> Vec<PictureHash> {
        self.hash_crops(picture, crops)
    }

    /// As [`FrameHasher::hash_crops`], each crop as it is only: `(hash, quality)` without the
    /// other orientations, for reference views (stored upright; the query's orientations are
    /// what is searched). The default takes them from [`FrameHasher::hash_crops`].
    fn hash_crops_upright(
        &self,
        picture: &Picture,
        crops: &[(u32, u32, u32, u32)],
    ) -> Vec<(Hash256, u8)> {
        self.hash_crops(picture, crops)
            .into_iter()
            .map(|h| (h.hash, h.quality))
            .collect()
    }
}

/// The hasher for `algorithm`.
pub fn hasher_for(algorithm: Algorithm) -> Box<dyn FrameHasher> {
    match algorithm {
        Algorithm::Pdq => Box::new(PdqHasher),
        Algorithm::Phash => Box::new(dct64::ImageHasher::phash()),
        Algorithm::Dhash => Box::new(dct64::ImageHasher::dhash()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_bytes_round_trip() {
        let a = Hash256([0xff, 0, 1, u64::MAX]);
        let b = Hash256([0, 0, 0, u64::MAX]);
        assert_eq!(a.distance(&b), 9);
        assert_eq!(Hash256::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(Algorithm::Pdq.scale_radius(31), 31);
        assert_eq!(Algorithm::Phash.scale_radius(31), 8);
    }

    /// A `w` x `h` picture of smooth texture at integer levels.
    fn textured(w: u32, h: u32) -> Picture {
        let luma: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                (128.0 + 60.0 * (x / 23.0).sin() * (y / 31.0).cos() + 40.0 * (x * y / 5000.0).sin())
                    .round()
            })
            .collect();
        Picture {
            width: w,
            height: h,
            luma,
        }
    }

    /// One filter pass for every crop: the whole picture's hash is PDQ's exactly, a crop's
    /// within a few bits of PDQ of the crop.
    #[test]
    fn one_filter_crops_whole_exact_crops_close() {
        let (w, h) = (288u32, 512u32);
        let p = textured(w, h);
        let crops = [(0, 0, w, h), (29, 51, 230, 410), (0, 175, 288, 162)];
        let got = PdqHasher.hash_crops_one_filter(&p, &crops);
        assert_eq!(got[0], PdqHasher.hash(&p));
        for (c, g) in crops.iter().zip(&got).skip(1) {
            let exact = PdqHasher.hash(&p.crop(c.0, c.1, c.2, c.3));
            assert!(
                g.hash.distance(&exact.hash) <= 16,
                "{c:?}: {}",
                g.hash.distance(&exact.hash)
            );
        }
    }

    /// A crop alone with its filter windows (a reference's 9:16 band) is filtered on its own:
    /// within a few bits of PDQ of the crop, and the whole picture stays PDQ exactly.
    #[test]
    fn lone_crops_close_to_their_pdq() {
        let (w, h) = (512u32, 288u32);
        let p = textured(w, h);
        // Windows (4, 3), (2, 3) and (3, 3): each crop alone with its own.
        let crops = [(0, 0, w, h), (175, 0, 162, 288), (112, 0, 288, 288)];
        let got = PdqHasher.hash_crops(&p, &crops);
        let upright = PdqHasher.hash_crops_upright(&p, &crops);
        assert_eq!(got[0], PdqHasher.hash(&p));
        for ((c, g), u) in crops.iter().zip(&got).zip(&upright).skip(1) {
            let exact = PdqHasher.hash(&p.crop(c.0, c.1, c.2, c.3));
            let d = g.hash.distance(&exact.hash);
            assert!(d <= 8, "{c:?}: {d} bits");
            assert!(g.quality.abs_diff(exact.quality) <= 5, "{c:?}");
            assert_eq!((u.0, u.1), (g.hash, g.quality));
        }
    }
}

/// PDQ as a [`FrameHasher`]: hash, quality and the eight dihedral hashes from one DCT.
#[derive(Debug, Default, Clone, Copy)]
pub struct PdqHasher;

/// The crop `(x, y, width, height)` clamped to `picture`, as [`Picture::crop`] clamps it.
fn clamp_rect(
    picture: &Picture,
    (x, y, w, h): (u32, u32, u32, u32),
) -> (usize, usize, usize, usize) {
    let (pw, ph) = (picture.width as usize, picture.height as usize);
    let (x, y) = ((x as usize).min(pw), (y as usize).min(ph));
    (x, y, (w as usize).min(pw - x), (h as usize).min(ph - y))
}

impl PdqHasher {
    /// Hashes crops of `picture` (clamped to it): one filter pass per window size shared by
    /// two or more crops, each of those decimated from it by `shared`; a crop alone with its
    /// window size is cut out, filtered on its own (cheaper than filtering the whole picture)
    /// and given to `shared` as a whole; the whole picture alone is hashed by `single`
    /// (exact PDQ). `shared` gets `None` when the picture cannot be filtered. The whole
    /// picture's window is filtered exactly (so that its hash is PDQ's bit for bit), the
    /// others [`pdq::Filtering::Fast`].
    /// Many crops (a reference frame's views) are hashed in parallel (rayon): a long video
    /// indexed alone keeps every core busy, and the hashes are the same in any order.
    fn crops_with<T: Send>(
        &self,
        picture: &Picture,
        crops: &[(u32, u32, u32, u32)],
        single: impl Fn(&Picture) -> T + Sync,
        shared: impl Fn(Option<&pdq::JaroszFiltered>, (usize, usize, usize, usize)) -> T + Sync,
    ) -> Vec<T> {
        use rayon::prelude::*;
        let (pw, ph) = (picture.width as usize, picture.height as usize);
        let rects: Vec<(usize, usize, usize, usize)> =
            crops.iter().map(|&c| clamp_rect(picture, c)).collect();
        let windows: Vec<(usize, usize)> = rects
            .iter()
            .map(|&(_, _, w, h)| pdq::jarosz_windows(w, h))
            .collect();
        // The window sizes shared by two or more crops, each filtered once (None: the picture
        // cannot be filtered at that size).
        let mut shared_windows: Vec<(usize, usize)> = Vec::new();
        for win in &windows {
            if !shared_windows.contains(win) && windows.iter().filter(|v| *v == win).count() >= 2 {
                shared_windows.push(*win);
            }
        }
        let whole_window = pdq::jarosz_windows(pw, ph);
        let filters: Vec<((usize, usize), pdq::Filtering)> = shared_windows
            .iter()
            .map(|&win| {
                if win == whole_window {
                    (win, pdq::Filtering::Exact)
                } else {
                    (win, pdq::Filtering::Fast)
                }
            })
            .collect();
        let filtered = pdq::JaroszFiltered::new_many(&picture.luma, pw, ph, &filters);
        rects
            .par_iter()
            .zip(&windows)
            .with_min_len(PARALLEL_CROPS)
            .map(
                |(&(x, y, w, h), win)| match shared_windows.iter().position(|v| v == win) {
                    Some(i) => shared(filtered[i].as_ref(), (x, y, w, h)),
                    None if (x, y, w, h) == (0, 0, pw, ph) => single(picture),
                    None => {
                        let crop = picture.crop(x as u32, y as u32, w as u32, h as u32);
                        let alone = pdq::JaroszFiltered::new_many(
                            &crop.luma,
                            w,
                            h,
                            &[(*win, pdq::Filtering::Fast)],
                        )
                        .pop()
                        .flatten();
                        shared(alone.as_ref(), (0, 0, w, h))
                    }
                },
            )
            .collect()
    }
}

/// Crops hashed one after another in each parallel task of [`PdqHasher::crops_with`] (an
/// upload's dozen views stay on one thread; a reference frame's 129–131 split in a few tasks).
const PARALLEL_CROPS: usize = 24;

impl FrameHasher for PdqHasher {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Pdq
    }

    fn hash_crops(&self, picture: &Picture, crops: &[(u32, u32, u32, u32)]) -> Vec<PictureHash> {
        self.crops_with(
            picture,
            crops,
            |p| self.hash(p),
            |f, (x, y, w, h)| {
                let out = f.and_then(|f| f.crop_pdq(x, y, w, h)).unwrap_or_default();
                PictureHash {
                    hash: Hash256(out.hash),
                    quality: out.quality,
                    dihedral: out.dihedral.map(Hash256),
                }
            },
        )
    }

    fn hash_crops_one_filter(
        &self,
        picture: &Picture,
        crops: &[(u32, u32, u32, u32)],
    ) -> Vec<PictureHash> {
        let (pw, ph) = (picture.width as usize, picture.height as usize);
        let Some(filtered) =
            pdq::JaroszFiltered::new(&picture.luma, pw, ph, pdq::jarosz_windows(pw, ph))
        else {
            return self.hash_crops(picture, crops);
        };
        crops
            .iter()
            .map(|&c| {
                let (x, y, w, h) = clamp_rect(picture, c);
                let out = filtered.crop_pdq(x, y, w, h).unwrap_or_default();
                PictureHash {
                    hash: Hash256(out.hash),
                    quality: out.quality,
                    dihedral: out.dihedral.map(Hash256),
                }
            })
            .collect()
    }

    fn hash_crops_upright(
        &self,
        picture: &Picture,
        crops: &[(u32, u32, u32, u32)],
    ) -> Vec<(Hash256, u8)> {
        self.crops_with(
            picture,
            crops,
            |p| {
                let h = self.hash(p);
                (h.hash, h.quality)
            },
            |f, (x, y, w, h)| {
                let (bits, quality) = f
                    .and_then(|f| f.crop_pdq_upright(x, y, w, h))
                    .unwrap_or_default();
                (Hash256(bits), quality)
            },
        )
    }

    fn hash(&self, picture: &Picture) -> PictureHash {
        let out = pdq::pdq_from_luma(
            &picture.luma,
            picture.width as usize,
            picture.height as usize,
        );
        PictureHash {
            hash: Hash256(out.hash),
            quality: out.quality,
            dihedral: out.dihedral.map(Hash256),
        }
    }
}

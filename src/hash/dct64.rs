//! 64-bit pHash and dHash through the `image_hasher` crate (the maintained fork of `img_hash`).
//!
//! pHash: DCT of the downscaled picture, bits = low 8x8 coefficients against their median
//! (Zauner, "Implementation and Benchmarking of Perceptual Image Hash Functions", 2010;
//! against their mean, as `phash64-1` did, the DC term outweighs the rest and most hashes come
//! out nearly all zeros, so that unrelated pictures matched).
//! dHash: sign of horizontal gradients on a 9x8 downscale (Krawetz, "Kind of Like That", 2013).
//! Quality comes from PDQ's gradient metric so that every algorithm rejects blank frames alike.
//! Pictures are first area-averaged to [`HASH_INPUT_SIDE`] px on their longer side: both hashes
//! only look at a 16x16 or 9x8 reduction, which `image_hasher` would otherwise compute with a
//! Lanczos filter over the whole picture, eight times (one per orientation).

use super::{Algorithm, FrameHasher, Hash256, Picture, PictureHash};
use image::{imageops, GrayImage};
use image_hasher::{HashAlg, Hasher, HasherConfig};

/// Longer side, in pixels, of the picture handed to `image_hasher` (and to PDQ's quality).
pub const HASH_INPUT_SIDE: u32 = 64;

/// A 64-bit `image_hasher` hasher.
pub struct ImageHasher {
    algorithm: Algorithm,
    hasher: Hasher,
}

impl ImageHasher {
    /// pHash-64.
    pub fn phash() -> Self {
        ImageHasher {
            algorithm: Algorithm::Phash,
            hasher: HasherConfig::new()
                .hash_size(8, 8)
                .hash_alg(HashAlg::Median)
                .preproc_dct()
                .to_hasher(),
        }
    }

    /// dHash-64.
    pub fn dhash() -> Self {
        ImageHasher {
            algorithm: Algorithm::Dhash,
            hasher: HasherConfig::new()
                .hash_size(8, 8)
                .hash_alg(HashAlg::Gradient)
                .to_hasher(),
        }
    }

    fn hash_gray(&self, img: &GrayImage) -> Hash256 {
        let bytes = self.hasher.hash_image(img).as_bytes().to_vec();
        let mut word = [0u8; 8];
        for (i, b) in bytes.iter().take(8).enumerate() {
            word[i] = *b;
        }
        Hash256([u64::from_le_bytes(word), 0, 0, 0])
    }
}

impl FrameHasher for ImageHasher {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn hash(&self, picture: &Picture) -> PictureHash {
        let small = super::views::downscale(picture, HASH_INPUT_SIDE);
        let picture: &Picture = &small;
        let quality = super::PdqHasher.hash(picture).quality;
        let img = GrayImage::from_raw(picture.width, picture.height, picture.to_gray8())
            .unwrap_or_else(|| GrayImage::new(1, 1));
        // Meta's dihedral order: rot90 is counter-clockwise; index 4 flips top-bottom, 5 mirrors.
        let rot90 = imageops::rotate270(&img);
        let rot180 = imageops::rotate180(&img);
        let rot270 = imageops::rotate90(&img);
        let flip_x = imageops::flip_horizontal(&img);
        let flip_y = imageops::flip_vertical(&img);
        let plus1 = imageops::flip_horizontal(&rot90);
        let minus1 = imageops::flip_vertical(&rot90);
        let dihedral = [
            self.hash_gray(&img),
            self.hash_gray(&rot90),
            self.hash_gray(&rot180),
            self.hash_gray(&rot270),
            self.hash_gray(&flip_y),
            self.hash_gray(&flip_x),
            self.hash_gray(&plus1),
            self.hash_gray(&minus1),
        ];
        PictureHash {
            hash: dihedral[0],
            quality,
            dihedral,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample photo (`samples/references`) reduced to `side` px on its longer side.
    fn photo(name: &str, side: u32) -> Picture {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/references")
            .join(name);
        let img = image::open(path)
            .unwrap()
            .resize(side, side, imageops::FilterType::Triangle)
            .to_luma8();
        Picture::from_gray8(img.width(), img.height(), img.as_raw())
    }

    /// pHash bits are the low DCT coefficients against their median: half of them are set
    /// (against the mean, as `phash64-1` did, the DC term left most bits at 0). A photo and
    /// its 4x reduction hash alike; another photo does not.
    #[test]
    fn phash_sets_half_its_bits_and_survives_scaling() {
        let hasher = ImageHasher::phash();
        let big = hasher.hash(&photo("p_sk_rocket.jpg", 640));
        let ones = big.hash.0[0].count_ones();
        assert!((28..=36).contains(&ones), "{ones} bits set");
        let small = hasher.hash(&photo("p_sk_rocket.jpg", 160));
        let d = big.hash.distance(&small.hash);
        assert!(d <= 8, "{d}");
        let other = hasher.hash(&photo("p_mdn_tiger.jpg", 640));
        let d = big.hash.distance(&other.hash);
        assert!(d >= 16, "{d}");
    }
}

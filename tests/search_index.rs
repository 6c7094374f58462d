//! Property: the multi-index hash returns exactly what the linear scan returns (same ids, same
//! distances, same order), for random hashes, queries near them and random radii 0..=64.

use proptest::prelude::*;
use swordnet::hash::Hash256;
use swordnet::search::linear::LinearIndex;
use swordnet::search::mih::{MihIndex, MihLayout};
use swordnet::search::{HammingIndex, Hit};

fn hash() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256)
}

/// `base` with the given bits flipped (bit positions 0..256; repeats cancel out).
fn flipped(base: &Hash256, bits: &[u8]) -> Hash256 {
    let mut h = *base;
    for &b in bits {
        h.0[b as usize / 64] ^= 1 << (b % 64);
    }
    h
}

/// Random hashes plus near duplicates of some of them (as consecutive video frames are).
fn catalogue() -> impl Strategy<Value = Vec<Hash256>> {
    (
        prop::collection::vec(hash(), 1..1500),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::collection::vec(any::<u8>(), 0..40),
            ),
            0..300,
        ),
    )
        .prop_map(|(mut hashes, near)| {
            for (i, bits) in near {
                let base = hashes[i.index(hashes.len())];
                hashes.push(flipped(&base, &bits));
            }
            hashes
        })
}

/// Queries: indexed hashes with up to 70 bits flipped, and a few random ones.
fn queries() -> impl Strategy<Value = Vec<(prop::sample::Index, Vec<u8>, bool)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<u8>(), 0..70),
            prop::bool::weighted(0.1),
        ),
        1..12,
    )
}

fn linear_hits(lin: &LinearIndex, q: &Hash256, radius: u32) -> Vec<Hit> {
    let mut out = Vec::new();
    lin.search(q, radius, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn index_results_equal_linear_results(
        hashes in catalogue(),
        queries in queries(),
        radius in 0u32..=64,
        substrings in prop::sample::select(vec![12usize, 13, 14, 16]),
        strided in any::<bool>(),
        fallback in any::<bool>(),
        random in hash(),
    ) {
        let lin = LinearIndex::new(hashes.clone());
        let layout = MihLayout::uniform(substrings).strided(strided);
        let mih = MihIndex::with_layout(hashes.clone(), &layout).with_scan_fallback(fallback);
        prop_assert_eq!(mih.len(), hashes.len());
        let qs: Vec<Hash256> = queries
            .iter()
            .map(|(i, bits, far)| {
                if *far { flipped(&random, bits) } else { flipped(&hashes[i.index(hashes.len())], bits) }
            })
            .collect();
        let mut many = vec![Vec::new(); qs.len()];
        mih.search_many(&qs, radius, &mut many);
        // The blocked linear scan (early rejection, popcnt) against the plain loop.
        let mut blocked = vec![Vec::new(); qs.len()];
        lin.search_many(&qs, radius, &mut blocked);
        for (q, batch) in qs.iter().zip(&blocked) {
            prop_assert_eq!(batch, &linear_hits(&lin, q, radius));
        }
        // Again, from the word-by-word layout the first call made and kept.
        let mut again = vec![Vec::new(); qs.len()];
        lin.search_many(&qs, radius, &mut again);
        prop_assert_eq!(&again, &blocked);
        let mut again = vec![Vec::new(); qs.len()];
        mih.search_many(&qs, radius, &mut again);
        prop_assert_eq!(&again, &many);
        for (q, batch) in qs.iter().zip(&many) {
            let expected = linear_hits(&lin, q, radius);
            let mut got = Vec::new();
            mih.search(q, radius, &mut got);
            prop_assert_eq!(&got, &expected, "radius {}, layout {:?}", radius, layout);
            prop_assert_eq!(batch, &expected);
        }
    }

    #[test]
    fn default_layout_and_id_ranges(
        hashes in catalogue(),
        queries in queries(),
        radius in 0u32..=64,
        cut in any::<(prop::sample::Index, prop::sample::Index)>(),
    ) {
        let lin = LinearIndex::new(hashes.clone());
        let mih = MihIndex::new(hashes.clone());
        let (a, b) = (cut.0.index(hashes.len() + 1) as u32, cut.1.index(hashes.len() + 1) as u32);
        let ids = a.min(b)..a.max(b);
        for (i, bits, _) in &queries {
            let q = flipped(&hashes[i.index(hashes.len())], bits);
            let expected = linear_hits(&lin, &q, radius);
            let mut got = Vec::new();
            mih.search(&q, radius, &mut got);
            prop_assert_eq!(&got, &expected);
            let mut in_range = Vec::new();
            mih.search_range(&q, radius, ids.clone(), &mut in_range);
            let want: Vec<Hit> = expected.iter().filter(|h| ids.contains(&h.id)).copied().collect();
            prop_assert_eq!(in_range, want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Seed-and-extend over the multi-index hash returns exactly what it returns over the
    /// linear scan, and every hit is within the extension radius; seeds are among the hits.
    #[test]
    fn seed_and_extend_over_index_equals_linear(
        hashes in catalogue(),
        works in 1u32..5,
        raw in queries(),
        seed_radius in 0u32..40,
        extra in 0u32..30,
    ) {
        use swordnet::search::extend::{seed_and_extend, QueryHash, SeedExtend, Timeline};
        let n = hashes.len() as u32;
        let per_work = n.div_ceil(works);
        // Works of consecutive ids, three views per 200 ms frame.
        let timeline = Timeline::new(
            (0..n).map(|i| (i / per_work, i64::from((i % per_work) / 3) * 200)),
        )
        .unwrap();
        let queries: Vec<QueryHash> = raw
            .iter()
            .enumerate()
            .map(|(j, (i, bits, random))| QueryHash {
                q_ms: (j as i64 / 2) * 250,
                hash: if *random {
                    flipped(&Hash256([j as u64; 4]), bits)
                } else {
                    flipped(&hashes[i.index(hashes.len())], bits)
                },
            })
            .collect();
        let params = SeedExtend { seed_radius, radius: seed_radius + extra, ..SeedExtend::default() };
        let lin = LinearIndex::new(hashes.clone());
        let mih = MihIndex::with_layout(hashes.clone(), &MihLayout::uniform(8));
        let a = seed_and_extend(&lin, &timeline, &queries, &params);
        let b = seed_and_extend(&mih, &timeline, &queries, &params);
        prop_assert_eq!(&a, &b);
        for (q, hits) in queries.iter().zip(&a) {
            for h in hits {
                prop_assert!(h.distance <= params.radius);
                prop_assert_eq!(h.distance, q.hash.distance(&hashes[h.id as usize]));
            }
            for s in linear_hits(&lin, &q.hash, seed_radius) {
                prop_assert!(hits.contains(&s), "seed {:?} missing", s);
            }
        }
    }
}

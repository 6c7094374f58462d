use super::*;
use crate::search::linear::LinearIndex;

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn random_hashes(n: usize, s: &mut u64) -> Vec<Hash256> {
    (0..n)
        .map(|_| Hash256([xorshift(s), xorshift(s), xorshift(s), xorshift(s)]))
        .collect()
}

#[test]
fn substrings_cover_every_bit() {
    for m in [11, 12, 13, 16, 20, 32] {
        let layout = MihLayout::uniform(m);
        assert_eq!(layout.widths().iter().sum::<u32>(), 256);
        let mut start = 0;
        let mut seen = Hash256::default();
        for &w in layout.widths() {
            let all = Hash256([u64::MAX; 4]);
            let v = substring(&all, start, w);
            assert_eq!(v.count_ones(), w);
            for b in start..start + w {
                seen.0[(b / 64) as usize] |= 1 << (b % 64);
            }
            start += w;
        }
        assert_eq!(seen, Hash256([u64::MAX; 4]));
    }
    let h = Hash256([0, 1 << 63, 1, 0]);
    assert_eq!(substring(&h, 127, 2), 0b11);
}

#[test]
fn strided_gather_equals_bit_by_bit() {
    let mut s = 11u64;
    let hashes = random_hashes(200, &mut s);
    for m in [11u32, 12, 13, 14, 16, 21, 32, 64, 100] {
        let layout = MihLayout::uniform(m as usize).strided(true);
        let mut seen = Hash256::default();
        for (t, &w) in layout.widths().iter().enumerate() {
            let gather = Gather::for_substring(t as u32, m, w);
            for h in &hashes {
                let fast = gather.iter().fold(0, |k, g| k | g.apply(h.0[g.word]));
                assert_eq!(fast, strided_substring(h, t as u32, m, w), "m {m} t {t}");
            }
            for j in 0..w {
                let b = t as u32 + m * j;
                assert_eq!(seen.0[(b / 64) as usize] >> (b % 64) & 1, 0);
                seen.0[(b / 64) as usize] |= 1 << (b % 64);
            }
        }
        assert_eq!(seen, Hash256([u64::MAX; 4]), "m {m} covers every bit once");
    }
}

#[test]
fn neighbours_are_the_ball() {
    for (w, r) in [(16, 0), (16, 1), (16, 3), (21, 2), (5, 7)] {
        let mut seen = std::collections::HashSet::new();
        for_each_neighbour(0b10110 & ((1 << w) - 1), w, r, &mut |v| {
            assert!(seen.insert(v), "duplicate {v}");
            assert!((v ^ 0b10110).count_ones() <= r);
        });
        assert_eq!(seen.len() as f64, ball_size(w, r));
    }
}

#[test]
fn mih_equals_linear_scan() {
    let mut s = 0x9e3779b97f4a7c15u64;
    let mut hashes = random_hashes(3000, &mut s);
    // Near duplicates, as consecutive video frames are.
    for i in 0..500 {
        let mut h = hashes[i * 3];
        h.0[i % 4] ^= 1 << (i % 64);
        hashes.push(h);
    }
    let lin = LinearIndex::new(hashes.clone());
    for (layout, fallback) in [
        (MihLayout::uniform(16), false),
        (MihLayout::uniform(12), false),
        (MihLayout::uniform(13), false),
        (MihLayout::uniform(16), true),
        (MihLayout::uniform(12).strided(true), false),
        (MihLayout::uniform(16).strided(true), false),
        (MihLayout::uniform(13).strided(true), true),
    ] {
        let mih = MihIndex::with_layout(hashes.clone(), &layout).with_scan_fallback(fallback);
        for (qi, radius) in [
            (0usize, 0u32),
            (5, 8),
            (17, 16),
            (3, 31),
            (99, 40),
            (1234, 70),
        ] {
            let mut q = hashes[qi];
            for _ in 0..radius.min(60) / 2 {
                let bit = (xorshift(&mut s) % 256) as usize;
                q.0[bit / 64] ^= 1 << (bit % 64);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mih.search(&q, radius, &mut a);
            lin.search(&q, radius, &mut b);
            assert_eq!(a, b, "radius {radius} layout {layout:?}");
            assert!(!b.is_empty());
            let mut many = vec![Vec::new(); 2];
            mih.search_many(&[q, q], radius, &mut many);
            assert_eq!(many[0], b);
            assert_eq!(many[1], b);
            let (mut c, mut d) = (Vec::new(), Vec::new());
            mih.search_range(&q, radius, 100..2000, &mut c);
            lin.search_range(&q, radius, 100..2000, &mut d);
            assert_eq!(c, d);
            let in_range: Vec<Hit> = b
                .iter()
                .filter(|h| (100..2000).contains(&h.id))
                .copied()
                .collect();
            assert_eq!(c, in_range);
        }
    }
}

#[test]
fn counting_sort_is_a_stable_sort() {
    let mut s = 3u64;
    for (n, width) in [(0usize, 8u32), (1000, 5), (5000, 14), (20_000, 21)] {
        let keys: Vec<u32> = (0..n)
            .map(|_| (xorshift(&mut s) % (1 << width)) as u32)
            .collect();
        let (offsets, positions) = counting_sort(keys.clone(), width);
        let mut expected: Vec<u32> = (0..n as u32).collect();
        expected.sort_by_key(|&i| keys[i as usize]);
        assert_eq!(positions, expected);
        assert_eq!(offsets.len(), (1 << width) + 1);
        for v in 0..1usize << width {
            let bucket = &positions[offsets[v] as usize..offsets[v + 1] as usize];
            assert!(bucket.iter().all(|&p| keys[p as usize] == v as u32));
        }
        assert_eq!(offsets[1 << width] as usize, n);
    }
}

#[test]
fn empty_index() {
    let mih = MihIndex::new(Vec::new());
    let mut out = Vec::new();
    mih.search(&Hash256::default(), 31, &mut out);
    assert!(out.is_empty());
    assert!(mih.is_empty());
}

/// Searches too wide for the tables go through the balls of `clusters` when the hashes are
/// grouped as a video catalogue's are (drifting views of shots): same hits as the linear scan.
#[test]
fn wide_searches_through_balls_equal_linear_scan() {
    let mut s = 0x51_7cc1_b727_220au64;
    let mut hashes = Vec::new();
    for _shot in 0..300 {
        let mut views = random_hashes(9, &mut s);
        for _frame in 0..12 {
            for v in views.iter_mut() {
                for _ in 0..xorshift(&mut s) % 10 {
                    let bit = (xorshift(&mut s) % 256) as usize;
                    v.0[bit / 64] ^= 1 << (bit % 64);
                }
                hashes.push(*v);
            }
        }
    }
    let mih = MihIndex::new(hashes.clone());
    let lin = LinearIndex::new(hashes.clone());
    let mut queries: Vec<Hash256> = (0..40)
        .map(|i| {
            let mut q = hashes[(xorshift(&mut s) as usize) % hashes.len()];
            for _ in 0..i {
                let bit = (xorshift(&mut s) % 256) as usize;
                q.0[bit / 64] ^= 1 << (bit % 64);
            }
            q
        })
        .collect();
    queries.extend(random_hashes(8, &mut s));
    for radius in [56, 70, 90] {
        assert!(
            mih.estimated_cost(radius) > hashes.len() as f64,
            "a wide search"
        );
        let mut many = vec![Vec::new(); queries.len()];
        mih.search_many(&queries, radius, &mut many);
        for (q, got) in queries.iter().zip(&many) {
            let (mut one, mut want) = (Vec::new(), Vec::new());
            mih.search(q, radius, &mut one);
            lin.search(q, radius, &mut want);
            assert_eq!(got, &want, "radius {radius}");
            assert_eq!(one, want, "radius {radius}");
        }
    }
    assert!(mih.balls.get(&mih.hashes).is_some(), "the balls were used");
}

//! How much of an upload a work's segments cover together (a looped clip, a repeated excerpt).

use super::Engine;
use crate::align::Segment;
use crate::hash::Orientation;
use std::collections::HashMap;

impl Engine {
    /// Per work position: the upload ms covered by the union of the work's strong segments
    /// (`time_contrasts[i]` is that of `segments[i]`, see [`Engine::time_contrast`])
    /// ([`crate::verdict::Policy::is_strong_segment`]); overlapping ranges count once. A clip looped or an
    /// excerpt repeated in an upload is one use of the work ([`Evidence::work_duration_ms`]).
    pub(super) fn work_coverage(
        &self,
        segments: &[(u32, Orientation, Segment)],
        time_contrasts: &[Option<f64>],
        to_pdq_scale: f64,
    ) -> HashMap<u32, i64> {
        let mut ranges: HashMap<u32, Vec<(i64, i64)>> = HashMap::new();
        for ((work, _, s), &time_contrast) in segments.iter().zip(time_contrasts) {
            let key_work = self.works[*work as usize].key_work;
            let mean_pdq = s.mean_distance * to_pdq_scale;
            if self.options.policy.is_strong_segment(
                key_work,
                mean_pdq,
                s.matched_frames,
                time_contrast,
            ) {
                ranges
                    .entry(*work)
                    .or_default()
                    .push((s.q_start_ms, s.q_end_ms));
            }
        }
        ranges
            .into_iter()
            .map(|(work, r)| (work, union_ms(r)))
            .collect()
    }
}

/// Total length of the union of `ranges` (`[start, end]` in ms; overlaps count once).
fn union_ms(mut ranges: Vec<(i64, i64)>) -> i64 {
    ranges.sort_unstable();
    let (mut total, mut end) = (0i64, i64::MIN);
    for (a, b) in ranges {
        let a = a.max(end);
        if b > a {
            total += b - a;
        }
        end = end.max(b);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::union_ms;

    /// The union against a millisecond-by-millisecond count.
    #[test]
    fn union_counts_each_ms_once() {
        let cases: [&[(i64, i64)]; 5] = [
            &[],
            &[(0, 3000)],
            &[(0, 3000), (3000, 6000), (6000, 9000)],
            &[(500, 2500), (0, 1000), (2000, 4000), (4000, 4000)],
            &[(0, 9000), (100, 200), (8000, 9500)],
        ];
        for ranges in cases {
            let brute = (0..10_000)
                .filter(|&t| ranges.iter().any(|&(a, b)| t >= a && t < b))
                .count() as i64;
            assert_eq!(union_ms(ranges.to_vec()), brute, "{ranges:?}");
        }
    }
}

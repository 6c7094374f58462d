//! The order in which a parallel batch starts its files: largest first, each to the next free
//! thread (longest-processing-time-first list scheduling: Graham, "Bounds on multiprocessing
//! timing anomalies", SIAM Journal on Applied Mathematics 17(2), 1969), so that a long video
//! does not start last and leave the other cores idle while it finishes alone. Index, scan and
//! both passes of `bench` go through it, so that their times compare.

use rayon::prelude::*;
use std::path::Path;

/// Maps `f` over `items` on the current rayon pool, starting them in decreasing order of
/// `size` (ties in input order), each taken by the next thread that is free. Results come back
/// in input order.
pub fn map_largest_first<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> u64,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&items[i])));
    let mut done: Vec<(usize, R)> = order
        .into_iter()
        .par_bridge()
        .map(|i| (i, f(&items[i])))
        .collect();
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Size of the file at `path` in bytes, as the work it stands for (0 when it cannot be read:
/// such a file fails fast).
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn results_in_input_order_started_largest_first() {
        let sizes = [3u64, 90, 7, 90, 1, 40];
        let started = Mutex::new(Vec::new());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let out = pool.install(|| {
            map_largest_first(
                &sizes,
                |s| *s,
                |s| {
                    started.lock().unwrap().push(*s);
                    s * 2
                },
            )
        });
        assert_eq!(out, vec![6, 180, 14, 180, 2, 80]);
        assert_eq!(started.into_inner().unwrap(), vec![90, 90, 40, 7, 3, 1]);
        let empty: Vec<u64> = map_largest_first(&[], |s: &u64| *s, |s| *s);
        assert!(empty.is_empty());
    }
}

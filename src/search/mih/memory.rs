//! Memory of the MIH tables: CSR buckets built by a cache-friendly counting sort, in
//! transparent huge pages, and software prefetch for the search's random reads.

/// Asks the kernel to back `[ptr, ptr + len)` with transparent huge pages (Linux, when THP is
/// in `madvise` mode): random reads over hundreds of MB then miss the TLB far less often. Only
/// a hint; best called before the memory is first written.
pub(super) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < 2 * HUGE {
            return;
        }
        let start = (v.as_mut_ptr() as usize).next_multiple_of(4096);
        let end = (v.as_mut_ptr() as usize + bytes) & !4095;
        if end > start {
            // SAFETY: the range lies inside the vector's own allocation, page-aligned;
            // MADV_HUGEPAGE changes no contents or permissions, only how pages get backed.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// `n` zeros in memory advised to use huge pages.
fn huge_zeroed(n: usize) -> Vec<u32> {
    let mut v = Vec::with_capacity(n);
    advise_huge_pages(&mut v);
    v.resize(n, 0);
    v
}

/// High key bits of the first pass of [`counting_sort`] (1024 partitions: their write cursors
/// stay in cache).
const PARTITION_BITS: u32 = 10;

/// Counting sort of `0..keys.len()` by key (`width` bits): returns the CSR offsets
/// (`2^width + 1`) and the positions grouped by key, ascending inside each bucket.
///
/// Two passes, as an MSD radix sort: the positions are first partitioned by the high
/// [`PARTITION_BITS`] of the key (1024 sequential write streams), then each partition (about
/// 10 k positions at 10 M hashes) is counting-sorted by the low bits in cache. A one-pass
/// scatter over the whole table misses the cache on every write (5x slower at 10 M).
pub(super) fn counting_sort(keys: Vec<u32>, width: u32) -> (Vec<u32>, Vec<u32>) {
    let n = keys.len();
    let buckets = 1usize << width;
    let hi_bits = width.min(PARTITION_BITS);
    let lo_bits = width - hi_bits;
    let parts = 1usize << hi_bits;
    let lo_mask = (1u32 << lo_bits) - 1;

    // Pass 1: partition (positions, low key bits) by the high bits, stably.
    let mut cursor = vec![0usize; parts + 1];
    for &k in &keys {
        cursor[(k >> lo_bits) as usize + 1] += 1;
    }
    for p in 0..parts {
        cursor[p + 1] += cursor[p];
    }
    let part_start: Vec<usize> = cursor.clone();
    let mut positions = huge_zeroed(n);
    let mut low = vec![0u32; n];
    for (i, &k) in keys.iter().enumerate() {
        let slot = &mut cursor[(k >> lo_bits) as usize];
        positions[*slot] = i as u32;
        low[*slot] = k & lo_mask;
        *slot += 1;
    }
    drop(keys);

    // Pass 2: inside each partition, counting sort by the low bits.
    let mut offsets = huge_zeroed(buckets + 1);
    let mut count = vec![0u32; (1usize << lo_bits) + 1];
    let mut scratch: Vec<u32> = Vec::new();
    for p in 0..parts {
        let (a, b) = (part_start[p], part_start[p + 1]);
        count.fill(0);
        for &l in &low[a..b] {
            count[l as usize + 1] += 1;
        }
        for l in 0..(1usize << lo_bits) {
            count[l + 1] += count[l];
        }
        let base = p << lo_bits;
        for (l, &c) in count[..1usize << lo_bits].iter().enumerate() {
            offsets[base + l] = (a + c as usize) as u32;
        }
        scratch.clear();
        scratch.resize(b - a, 0);
        for (&l, &pos) in low[a..b].iter().zip(&positions[a..b]) {
            let slot = &mut count[l as usize];
            scratch[*slot as usize] = pos;
            *slot += 1;
        }
        positions[a..b].copy_from_slice(&scratch);
    }
    offsets[buckets] = n as u32;
    (offsets, positions)
}

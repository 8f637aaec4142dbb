//! The binary's allocator: the system's (glibc's malloc), with the memory it takes from the
//! kernel marked for transparent huge pages (`madvise(MADV_HUGEPAGE)`, Linux's
//! `Documentation/admin-guide/mm/transhuge.rst`). No swarmkit code of its own.
//!
//! Why: a large run's events each read their task's and their node's records, scattered over
//! hundreds of MiB; with 4 KiB pages nearly every such read also misses the TLB, and the page
//! walk's own tables (1.4 MiB of them for 700 MiB) no longer stay in the caches. That is most
//! of why a run of a million replicas cost 18–20× the time of one of 100,000 for 10× the events
//! (issue 16): with 2 MiB pages a page walk is one level shorter and its tables 512× smaller.
//! Machines whose kernel says `madvise` in `/sys/kernel/mm/transparent_hugepage/enabled` (the
//! usual default) give huge pages only to memory so marked; glibc marks none unless told by an
//! environment variable (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`), which a program cannot set
//! for itself, and which, measured here, left every page small all the same.
//!
//! How: every allocation goes to [`System`]; afterwards, (1) a block of 8 MiB or more (glibc
//! maps large blocks as mappings of their own) is marked, and (2) when the main heap's end
//! (the program break, `sbrk(0)`, a read of glibc's own variable, no system call) has moved up
//! since last seen, the new part is marked, past the heap's first 64 MiB (a small run keeps
//! small pages: its peak memory is not rounded up to whole huge pages). Past those 64 MiB, glibc is
//! asked to grow the heap by 32 MiB at a time (`M_TOP_PAD`), so that most of each new part is
//! still untouched when marked: the kernel gives a huge page to an aligned 2 MiB range
//! at its first touch only if none of it was touched before. Neither changes a byte any
//! allocation holds (the addresses glibc hands out may differ, and nothing a run computes
//! depends on an address): every output is the same.
//! Elsewhere than Linux with glibc, this is the system's allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system's allocator, its memory marked for huge pages (see the module documentation).
pub struct HugePageHeap;

#[allow(unsafe_code)]
// SAFETY: every method hands the call to `System` unchanged and returns what it returned; the
// only addition is a hint to the kernel about memory the process already has mapped
// (`madvise` with `MADV_HUGEPAGE` changes how future page faults in the range are served, never
// the range's contents or mapping), so `GlobalAlloc`'s contract holds as `System` holds it.
unsafe impl GlobalAlloc for HugePageHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees are `System`'s.
        let p = unsafe { System.alloc(layout) };
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        linux::allocated(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees are `System`'s.
        let p = unsafe { System.alloc_zeroed(layout) };
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        linux::allocated(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees are `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's guarantees are `System`'s.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        linux::allocated(p, new_size);
        p
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod linux {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A transparent huge page on x86_64 and on arm64 with 4 KiB pages (a larger one only
    /// means that fewer ranges qualify).
    const HUGE_PAGE: usize = 2 << 20;

    /// glibc's heap grows by at least this much at a time (`M_TOP_PAD`).
    const TOP_PAD: usize = 32 << 20;

    /// Blocks from this size on are mappings of their own once the heap grows in large steps
    /// (`M_MMAP_THRESHOLD`; see [`grow_in_large_steps`]).
    const MMAP_THRESHOLD: usize = 32 << 20;

    /// Blocks from this size on are followed by a look at the heap's end: the records a large
    /// run holds by the hundred MiB come in blocks this large or larger (a page of 64 task
    /// records, a node's or a log's table), the many small ones of every run do not.
    const LOOK_FROM: usize = 4096;

    /// The heap's end when last seen: the heap below it is marked (or was the heap when this
    /// process first allocated, before any of it could be).
    static SEEN_BREAK: AtomicUsize = AtomicUsize::new(0);

    /// The heap's end when first seen.
    static FIRST_BREAK: AtomicUsize = AtomicUsize::new(0);

    /// The heap's first this many bytes (from where it was first seen) stay in small pages, and
    /// blocks smaller than [`BLOCK_FROM`] too: a run that small gains nothing from huge pages
    /// (the TLB covers a few MiB), and a huge page is resident as a whole once touched, so a
    /// small run's peak would jump by 2 MiB steps (the crash loop's 4 h run: 6.5 -> 8.7 MiB,
    /// its memory no longer flat in the hours).
    const HEAP_SMALL_PAGES: usize = 64 << 20;

    /// Blocks from this size on are marked (see [`HEAP_SMALL_PAGES`]).
    const BLOCK_FROM: usize = 8 << 20;

    /// Whether glibc was asked to grow the heap in large steps.
    static LARGE_STEPS: AtomicBool = AtomicBool::new(false);

    /// Asks glibc to grow its heap by [`TOP_PAD`] at a time from now on (once the heap is past
    /// its small-page part): a heap grown 128 KiB at a time (the default) has touched the start
    /// of nearly every 2 MiB range before the range can be marked. Untouched heap costs no
    /// memory; a small run keeps the default, since glibc also keeps this much of a freed top
    /// (touched) instead of giving it back.
    fn grow_in_large_steps() {
        if LARGE_STEPS.swap(true, Ordering::Relaxed) {
            return;
        }
        // Setting `M_TOP_PAD` also ends glibc's dynamic mmap threshold (`do_set_top_pad` sets
        // `no_dyn_threshold`, `man mallopt`): left where it is then (128 KiB unless a mapped
        // block was freed before), every later block from there up would be a fresh mapping,
        // zero-filled page by page and unmapped when freed (W100k measured 1.07-1.15x slower).
        // So the threshold is set where the dynamic one ends up at most (32 MiB on 64-bit,
        // `DEFAULT_MMAP_THRESHOLD_MAX`): such blocks come from the heap, which is marked.
        //
        // SAFETY: `mallopt` only sets a parameter of glibc's allocator (called here after the
        // allocation returned, outside glibc's locks); a refusal (0) leaves the default, which
        // only marks less.
        unsafe {
            libc::mallopt(libc::M_TOP_PAD, TOP_PAD as libc::c_int);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
        }
    }

    /// Marks what `p` (of `size` bytes, just allocated) brought: a large block, or the heap's
    /// new end.
    #[inline]
    pub(super) fn allocated(p: *mut u8, size: usize) {
        // A small block is left as it is: a sweep's runs make millions, and a look at the
        // heap's end after each cost 3.5 % of its time. The heap grown by one is marked at the
        // next larger block's allocation, all but its first 2 MiB still untouched (`TOP_PAD`).
        if size < LOOK_FROM || p.is_null() {
            return;
        }
        if size >= BLOCK_FROM {
            advise(p as usize, p as usize + size);
        }
        // SAFETY: `sbrk(0)` only reads where the heap ends (glibc returns its `__curbrk`).
        let now = unsafe { libc::sbrk(0) } as usize;
        let seen = SEEN_BREAK.load(Ordering::Relaxed);
        if now == seen {
            return;
        }
        // One thread marks each new part (a thread that loses the race leaves it to the winner).
        if SEEN_BREAK.compare_exchange(seen, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return;
        }
        // A heap that shrank (glibc trimmed its top) is marked again from there as it regrows;
        // the first sight of the heap marks nothing (it was used before it could be marked).
        if seen == 0 {
            FIRST_BREAK.store(now, Ordering::Relaxed);
        } else if now > seen {
            let small_pages_end = FIRST_BREAK.load(Ordering::Relaxed).saturating_add(HEAP_SMALL_PAGES);
            if now > small_pages_end {
                grow_in_large_steps();
                advise(seen.max(small_pages_end), now);
            }
        }
    }

    /// Marks the whole huge pages inside `start..end` (a huge page is only ever given to an
    /// aligned range).
    fn advise(start: usize, end: usize) {
        if let Some((from, to)) = whole_huge_pages(start, end) {
            // SAFETY: the range lies in memory this process has mapped (a block just
            // allocated, or the heap between two program breaks); `MADV_HUGEPAGE` is advice on
            // how to serve later faults there and changes no data. A failure (a kernel without
            // transparent huge pages) leaves the pages as they were.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }

    /// The largest range of whole, aligned huge pages inside `start..end`, if any.
    fn whole_huge_pages(start: usize, end: usize) -> Option<(usize, usize)> {
        let from = start.checked_next_multiple_of(HUGE_PAGE)?;
        let to = end & !(HUGE_PAGE - 1);
        (to > from).then_some((from, to))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_whole_aligned_huge_pages_inside_the_range_are_marked() {
            const H: usize = HUGE_PAGE;
            // Already aligned at both ends: all of it.
            assert_eq!(whole_huge_pages(4 * H, 6 * H), Some((4 * H, 6 * H)));
            // Ragged ends are left out, never rounded outwards (beyond the block).
            assert_eq!(whole_huge_pages(4 * H + 1, 7 * H - 1), Some((5 * H, 6 * H)));
            // Less than one whole page inside, however long: nothing.
            assert_eq!(whole_huge_pages(4 * H + 4096, 6 * H - 4096), None);
            assert_eq!(whole_huge_pages(4 * H, 5 * H - 1), None);
            // The top of the address space does not wrap around.
            assert_eq!(whole_huge_pages(usize::MAX - 10, usize::MAX), None);
        }

        #[test]
        fn memory_from_the_allocator_holds_what_was_written_across_huge_page_boundaries() {
            use std::alloc::{GlobalAlloc, Layout};
            // (The tests run on the system's allocator: this one is called directly.) A block
            // large enough to be marked, written, grown past more huge pages and read back,
            // then a zeroed one: marking changes no byte.
            let heap = super::super::HugePageHeap;
            let layout = Layout::from_size_align(3 * HUGE_PAGE + 100, 8).expect("a layout");
            // SAFETY: a non-zero size; every access stays inside the block as allocated (or
            // grown), which is given back with the layout it has.
            unsafe {
                let p = heap.alloc(layout);
                assert!(!p.is_null());
                for i in (0..layout.size()).step_by(4093) {
                    *p.add(i) = (i % 251) as u8;
                }
                let grown = heap.realloc(p, layout, 6 * HUGE_PAGE);
                assert!(!grown.is_null());
                for i in (0..layout.size()).step_by(4093) {
                    assert_eq!(*grown.add(i), (i % 251) as u8, "byte {i}");
                }
                heap.dealloc(grown, Layout::from_size_align(6 * HUGE_PAGE, 8).expect("a layout"));
                let zeroed = heap.alloc_zeroed(layout);
                assert!(!zeroed.is_null());
                assert!((0..layout.size()).step_by(511).all(|i| *zeroed.add(i) == 0));
                heap.dealloc(zeroed, layout);
            }
        }
    }
}

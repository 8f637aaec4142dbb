//! A hint to the processor that a record will be read soon: no swarmkit code of its own. A large
//! run's events each touch their task's records in several tables (the store's, the node's, the
//! recorder's), scattered over memory that outgrows the caches; the run loop names the records
//! of an event a few events ahead (`Model::prefetch`), so that their cache misses overlap the
//! handling of the events before it instead of stalling it. A prefetch changes nothing a
//! program can observe but its speed: it never faults, reads nothing into the program and
//! writes nothing.

/// Asks for the cache lines holding `record` (a hint: it may be ignored): its first and its
/// last byte's (a record of up to a line may straddle two; a longer one is read from its start).
#[inline(always)]
pub(crate) fn prefetch<T>(record: &T) {
    let start = (record as *const T).cast::<u8>();
    line(start);
    if std::mem::size_of::<T>() > 1 {
        line(start.wrapping_add(std::mem::size_of::<T>() - 1));
    }
}

/// Asks for the cache line holding `address`.
#[inline(always)]
#[allow(unsafe_code)]
fn line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetch` is a hint with no architectural effect (Intel SDM: PREFETCHh "does not
    // affect program behavior" and never faults); `_mm_prefetch` needs only SSE, which every
    // x86_64 processor has. A prefetch of any address is sound (it never
    // faults); these are within or one byte past a live reference's record.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

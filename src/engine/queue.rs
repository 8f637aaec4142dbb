//! `EventQueue`: events in (time, sequence) order. Events at equal times pop in the order they
//! were pushed (FIFO), which is the same-time contract documented in the crate root.

use std::collections::{BinaryHeap, VecDeque};

use crate::time::{SimDuration, SimTime};

/// Pending events, earliest first; ties broken by insertion order.
///
/// Events are kept in one FIFO per instant ("bucket"), in a slab. This is exactly the (time,
/// sequence) order — within a bucket, insertion order *is* sequence order — and it is much
/// cheaper than one heap entry per event when many events share an instant, as they do with the
/// fixed latencies most scenarios use (a deploy of 100,000 tasks schedules each step of every
/// task at the same few instants).
///
/// While few instants are pending (a small run's whole life: a sweep's runs keep a few dozen)
/// they are a sorted array, each with the slot of its bucket: the earliest instant goes on
/// nearly every pop when latencies are random, and the array is cheapest for that. Past
/// [`FEW_INSTANTS`] they are ordered by a heap of (instant, entry number) for the rest of the
/// run ([`Many`]); neither form changes the order.
pub struct EventQueue<E> {
    /// While few instants are pending: each with its slot in `buckets`, sorted latest first
    /// (the earliest comes off the end).
    few: Vec<(SimTime, u32)>,
    /// The events of each pending bucket, by slot; a freed slot is `Empty` until reused.
    buckets: Vec<Bucket<E>>,
    /// Slots of `buckets` free for the next new bucket.
    free_slots: Vec<u32>,
    /// Once more than [`FEW_INSTANTS`] were pending: every pending instant's events, for good.
    many: Option<Many<E>>,
    now: SimTime,
    /// Emptied FIFOs of past instants, reused by later ones: a run that keeps meeting shared
    /// instants allocates a few FIFOs, not one per instant.
    spare: Vec<VecDeque<E>>,
}

/// Pending instants kept as a sorted array; one more moves them all to the heap.
const FEW_INSTANTS: usize = 64;

/// Emptied FIFOs kept for reuse (beyond these, an emptied one is freed).
const SPARE_FIFOS: usize = 64;
/// The largest FIFO kept as a spare (events), so that spares hold little memory.
const SPARE_FIFO_CAPACITY: usize = 1024;

/// Entries of [`Many::newest`] (a power of two).
const NEWEST_ENTRIES: usize = 1 << 12;
/// A [`Many::newest`] entry naming no bucket.
const NO_SLOT: u32 = u32::MAX;
/// A [`Many::newest`] entry saying the instant's newest entry is a lone event in the heap.
const LONE: u32 = u32::MAX - 1;

/// The many-instant form: a heap of (instant, entry number), each entry a lone event
/// or a bucket, with a small direct-mapped table to find an instant's bucket when another event
/// joins it.
///
/// An instant's first event goes into the heap by itself (with random latencies nearly every
/// instant has one event: no bucket, no slab access); its second opens a bucket that later ones
/// join. An instant may own several entries: when its table entry was overwritten by another
/// instant, its next event opens a new entry with a later number. That keeps the order exact
/// as long as events only ever join an instant's *newest* entry — every event of an older
/// entry was then pushed before any of a newer one, and the heap pops the older first — and the
/// table guarantees it: opening an entry writes its table entry, so a table entry that still
/// names the instant names its newest (bucket entries are cleared when their bucket empties;
/// a stale lone-event mark only makes the next event open a bucket, which is as exact).
struct Many<E> {
    /// Pending entries, earliest (instant, number) on top (their `Ord` is reversed). A 4-ary
    /// heap was measured too: no faster on the queue's benches or a jittered W100k.
    heap: BinaryHeap<Pending<E>>,
    /// For an instant hashed to an entry: its newest heap entry's slot (or [`LONE`]), if the
    /// table entry is the instant's.
    newest: Box<[(SimTime, u32)]>,
    /// The number the next heap entry gets.
    next_number: u64,
}

/// An entry of [`Many::heap`]: ordered by instant, then by opening order (reversed in its `Ord`,
/// so that the max-heap pops the earliest).
struct Pending<E> {
    at: SimTime,
    number: u64,
    item: Item<E>,
}

/// What a heap entry holds.
enum Item<E> {
    /// An instant's lone event (so far: a second one opens a bucket).
    Lone(E),
    /// The slot of a bucket in `EventQueue::buckets`.
    Bucket(u32),
}

impl<E> Pending<E> {
    fn key(&self) -> (SimTime, u64) {
        (self.at, self.number)
    }
}

impl<E> Many<E> {
    fn new() -> Self {
        Many {
            heap: BinaryHeap::new(),
            newest: vec![(SimTime::ZERO, NO_SLOT); NEWEST_ENTRIES].into_boxed_slice(),
            next_number: 0,
        }
    }

    /// The entry of `at` in `newest` (a multiplicative hash: jittered instants differ in low
    /// bits, fixed ones in high bits; both spread).
    fn entry(at: SimTime) -> usize {
        (at.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - NEWEST_ENTRIES.trailing_zeros())) as usize
    }

    /// What the table knows of `at`'s newest entry: its bucket's slot, [`LONE`], or nothing.
    fn newest_of(&self, at: SimTime) -> Option<u32> {
        let (t, slot) = self.newest[Self::entry(at)];
        (t == at && slot != NO_SLOT).then_some(slot)
    }

    /// Adds an entry for `at` after every entry opened before it, and makes it `at`'s newest.
    fn open(&mut self, at: SimTime, item: Item<E>) {
        self.newest[Self::entry(at)] = (at, if let Item::Bucket(slot) = item { slot } else { LONE });
        self.heap.push(Pending { at, number: self.next_number, item });
        self.next_number += 1;
    }

    /// Removes the earliest entry (a bucket's only when it is emptied); a bucket's table entry
    /// goes with it if it is still the instant's newest.
    fn remove_earliest(&mut self) -> Pending<E> {
        let earliest = self.heap.pop().expect("a pending entry");
        if let Item::Bucket(slot) = earliest.item {
            let e = &mut self.newest[Self::entry(earliest.at)];
            if *e == (earliest.at, slot) {
                *e = (SimTime::ZERO, NO_SLOT);
            }
        }
        earliest
    }
}

// By key only: entries' keys are unique (numbers are), so equal keys are the same entry.
impl<E> PartialEq for Pending<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Pending<E> {}
impl<E> PartialOrd for Pending<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Pending<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.key().cmp(&self.key())
    }
}

/// The events of one instant, in insertion order. Most instants hold one event when latencies
/// are random: keeping it inline saves an allocation per event.
enum Bucket<E> {
    /// A free slot of `EventQueue::buckets`.
    Empty,
    One(E),
    Many(VecDeque<E>),
}

impl<E> Bucket<E> {
    /// Appends `event`; a second event moves both into a FIFO from `spare` (or a new one).
    fn push(&mut self, event: E, spare: &mut Vec<VecDeque<E>>) {
        match self {
            Bucket::Many(q) => q.push_back(event),
            Bucket::One(_) => {
                let fifo = spare.pop().unwrap_or_else(|| VecDeque::with_capacity(4));
                let Bucket::One(first) = std::mem::replace(self, Bucket::Many(fifo)) else { unreachable!() };
                let Bucket::Many(q) = self else { unreachable!() };
                q.push_back(first);
                q.push_back(event);
            }
            Bucket::Empty => *self = Bucket::One(event),
        }
    }

    /// The first event of a bucket being removed; its FIFO, if small, is kept in `spare`.
    /// Inlined into `pop`: called, it returned the event through memory in pieces that the run
    /// loop read back whole (a stalled load on every instant's last event).
    #[inline(always)]
    fn into_first(self, spare: &mut Vec<VecDeque<E>>) -> E {
        match self {
            Bucket::One(e) => e,
            Bucket::Many(mut q) => {
                let event = q.pop_front().expect("buckets are never left empty");
                // Only small ones: a FIFO grown by one huge instant is not kept for good.
                if spare.len() < SPARE_FIFOS && q.capacity() <= SPARE_FIFO_CAPACITY {
                    spare.push(q);
                }
                event
            }
            Bucket::Empty => unreachable!("a pending instant's bucket is never empty"),
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            few: Vec::new(),
            buckets: Vec::new(),
            free_slots: Vec::new(),
            many: None,
            now: SimTime::ZERO,
            spare: Vec::new(),
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time of the event being handled (or of the last one popped).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// A new bucket holding `event`, in a free slot of `buckets`.
    fn open_bucket(buckets: &mut Vec<Bucket<E>>, free_slots: &mut Vec<u32>, event: E) -> u32 {
        match free_slots.pop() {
            Some(slot) => {
                buckets[slot as usize] = Bucket::One(event);
                slot
            }
            None => {
                buckets.push(Bucket::One(event));
                (buckets.len() - 1) as u32
            }
        }
    }

    /// Schedules `event` at absolute time `at`, after every event already due then.
    ///
    /// # Panics
    /// If `at` is in the past: an event before `now` is a bug in the model, never valid input.
    pub fn at(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at:?} < now {:?}", self.now);
        if let Some(many) = &mut self.many {
            match many.newest_of(at) {
                Some(LONE) => {
                    let slot = Self::open_bucket(&mut self.buckets, &mut self.free_slots, event);
                    many.open(at, Item::Bucket(slot));
                }
                Some(slot) => self.buckets[slot as usize].push(event, &mut self.spare),
                None => many.open(at, Item::Lone(event)),
            }
            return;
        }
        // Where `at` is: after the instants later than it. Counted without branches (the
        // compiler vectorizes it): a binary search over a few dozen random times mispredicts
        // at nearly every step.
        let later = self.few.iter().map(|&(t, _)| usize::from(t > at)).sum::<usize>();
        if let Some(&(t, slot)) = self.few.get(later)
            && t == at
        {
            self.buckets[slot as usize].push(event, &mut self.spare);
            return;
        }
        if self.few.len() >= FEW_INSTANTS {
            let mut many = Many::new();
            // Earliest first, so that bucket numbers follow time (any order would do: the
            // array holds one bucket per instant).
            for (t, slot) in self.few.drain(..).rev() {
                many.open(t, Item::Bucket(slot));
            }
            self.many = Some(many);
            return self.at(at, event);
        }
        let slot = Self::open_bucket(&mut self.buckets, &mut self.free_slots, event);
        self.few.insert(later, (at, slot));
    }

    /// Schedules `event` after `delay` from now.
    pub fn after(&mut self, delay: SimDuration, event: E) {
        let at = self.now.plus(delay);
        self.at(at, event);
    }

    /// Removes and returns the earliest event, advancing `now` to its time. Inlined into the
    /// run loop, its one caller that matters: returned through memory, the event was written
    /// in pieces and read back whole, a stalled load on every event.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)>
    where
        E: Copy,
    {
        let (time, slot) = match &mut self.many {
            Some(many) => {
                let earliest = many.heap.peek()?;
                match earliest.item {
                    Item::Bucket(slot) => (earliest.at, slot),
                    Item::Lone(_) => {
                        let Pending { at, item: Item::Lone(event), .. } = many.remove_earliest() else {
                            unreachable!("the earliest entry was a lone event")
                        };
                        return Some(self.popped(at, event));
                    }
                }
            }
            None => *self.few.last()?,
        };
        let event = match &mut self.buckets[slot as usize] {
            Bucket::Many(q) if q.len() > 1 => {
                // Read in place, then dropped from the FIFO: `pop_front`'s `Option` made the
                // event travel through the stack in pieces that the run loop read back whole.
                let event = *q.front().expect("non-empty");
                q.pop_front();
                event
            }
            bucket => {
                let bucket = std::mem::replace(bucket, Bucket::Empty);
                match &mut self.many {
                    Some(many) => {
                        many.remove_earliest();
                    }
                    None => {
                        self.few.pop();
                    }
                }
                self.free_slots.push(slot);
                bucket.into_first(&mut self.spare)
            }
        };
        Some(self.popped(time, event))
    }

    /// The `n`th pending event (0: the next to pop) when it is due at the same instant as the
    /// next one and was queued in the same bucket; `None` otherwise (a lookahead for
    /// [`crate::engine::Model::prefetch`], never for the order).
    #[inline]
    pub fn peek_nth(&self, n: usize) -> Option<&E> {
        let slot = match &self.many {
            Some(many) => match &many.heap.peek()?.item {
                Item::Bucket(slot) => *slot,
                Item::Lone(e) => return (n == 0).then_some(e),
            },
            None => self.few.last()?.1,
        };
        match &self.buckets[slot as usize] {
            Bucket::Many(q) => q.get(n),
            Bucket::One(e) => (n == 0).then_some(e),
            Bucket::Empty => None,
        }
    }

    /// Advances `now` to a popped event's time.
    fn popped(&mut self, time: SimTime, event: E) -> (SimTime, E) {
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        (time, event)
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        match &self.many {
            Some(many) => many.heap.peek().map(|p| p.at),
            None => self.few.last().map(|&(t, _)| t),
        }
    }

    /// Empties the queue and sets the clock back to zero: afterwards it orders events exactly
    /// as [`EventQueue::new`]'s would (the order is (time, insertion) alone), but keeps the
    /// room it grew — its instants and bucket slots, and the emptied FIFOs as spares — for a
    /// caller that runs many small simulations one after another (a sweep's worker).
    pub fn clear(&mut self) {
        let EventQueue { few, buckets, free_slots, many, now, spare } = self;
        few.clear();
        for bucket in buckets.drain(..) {
            if let Bucket::Many(mut q) = bucket
                && spare.len() < SPARE_FIFOS
                && q.capacity() <= SPARE_FIFO_CAPACITY
            {
                q.clear();
                spare.push(q);
            }
        }
        free_slots.clear();
        // The many-instant form is for large runs: a later run starts small again.
        *many = None;
        *now = SimTime::ZERO;
    }

    /// Whether every pending event satisfies `f` (in no particular order).
    pub fn all_pending(&self, mut f: impl FnMut(&E) -> bool) -> bool {
        let lone_hold = match &self.many {
            Some(many) => many.heap.iter().all(|p| if let Item::Lone(e) = &p.item { f(e) } else { true }),
            None => true,
        };
        lone_hold
            && self.buckets.iter().all(|b| match b {
                Bucket::Empty => true,
                Bucket::One(e) => f(e),
                Bucket::Many(q) => q.iter().all(&mut f),
            })
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;

    use super::*;

    #[test]
    fn equal_times_pop_fifo_and_times_ascend() {
        let mut q = EventQueue::new();
        q.at(SimTime(5), "b1");
        q.at(SimTime(1), "a");
        q.at(SimTime(5), "b2");
        q.at(SimTime(5), "b3");
        q.at(SimTime(9), "c");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(SimTime(1), "a"), (SimTime(5), "b1"), (SimTime(5), "b2"), (SimTime(5), "b3"), (SimTime(9), "c")]
        );
    }

    #[test]
    fn the_order_is_time_then_insertion_below_and_past_the_few_instants_bound() {
        // Interleaved pushes and pops over 10, 300, 5,000 and ~10^12 distinct instants (all but
        // the first move the instants from the sorted array to the heap mid-run; the wide ones
        // overwrite table entries of instants that still get events, opening second buckets):
        // every pop must be the earliest pending (time, push number), as a reference heap says.
        for spread in [10u64, 300, 5_000, 1 << 40] {
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let mut x: u64 = 12345;
            for n in 0..20_000u32 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let at = q.now().plus(SimDuration((x >> 24) % spread));
                q.at(at, n);
                reference.push(Reverse((at, n)));
                if n % 3 == 0 {
                    let Reverse(expected) = reference.pop().expect("pending");
                    assert_eq!(q.pop(), Some(expected), "spread {spread}");
                }
            }
            while let Some(Reverse(expected)) = reference.pop() {
                assert_eq!(q.peek_time(), Some(expected.0), "spread {spread}");
                assert_eq!(q.pop(), Some(expected), "spread {spread}");
            }
            assert_eq!(q.pop(), None);
            assert!(q.all_pending(|_| false), "empty at the end");
        }
    }

    #[test]
    fn an_instant_whose_table_entry_was_taken_keeps_its_events_in_push_order() {
        // Two instants sharing a table entry: t1's first bucket loses the entry to t2, so t1's
        // next event opens a second bucket, and the one after joins that newest bucket. All
        // three must pop in push order, before t2's.
        let mut q = EventQueue::new();
        for i in 0..=FEW_INSTANTS as u64 {
            q.at(SimTime(1_000_000 + i), "filler");
        }
        assert!(q.many.is_some(), "past the few-instants bound");
        let t1 = SimTime(10);
        let t2 =
            (11..).map(SimTime).find(|&t| Many::<()>::entry(t) == Many::<()>::entry(t1)).expect("a colliding instant");
        q.at(t1, "a");
        q.at(t2, "x");
        q.at(t1, "b");
        q.at(t1, "c");
        let firsts: Vec<_> = (0..4).map(|_| q.pop().expect("pending")).collect();
        assert_eq!(firsts, vec![(t1, "a"), (t1, "b"), (t1, "c"), (t2, "x")]);
    }

    #[test]
    fn a_cleared_queue_orders_like_a_new_one() {
        // A queue left mid-run (events pending in buckets, the heap form in use, the clock
        // advanced) and then cleared must start at zero with nothing pending, and give the
        // same pops as a new queue for the same pushes.
        let pushes = |q: &mut EventQueue<u32>| {
            for n in 0..200u32 {
                q.at(SimTime(u64::from(n % 7) * 10 + u64::from(n % 3)), n);
            }
        };
        let mut used = EventQueue::new();
        for i in 0..=FEW_INSTANTS as u64 {
            used.at(SimTime(50 + i), 9_999);
            used.at(SimTime(50 + i), 9_998);
        }
        used.pop();
        assert!(used.many.is_some() && used.now() == SimTime(50), "left mid-run in its heap form");
        used.clear();
        assert_eq!((used.now(), used.peek_time()), (SimTime::ZERO, None));
        let mut fresh = EventQueue::new();
        pushes(&mut used);
        pushes(&mut fresh);
        let drain = |q: &mut EventQueue<u32>| std::iter::from_fn(|| q.pop()).collect::<Vec<_>>();
        assert_eq!(drain(&mut used), drain(&mut fresh));
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.at(SimTime(10), ());
        q.pop();
        q.at(SimTime(3), ());
    }
}

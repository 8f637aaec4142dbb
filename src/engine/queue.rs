//! `EventQueue`: events in (time, sequence) order. Events at equal times pop in the order they
//! were pushed (FIFO), which is the same-time contract documented in the crate root.

use std::collections::{BTreeMap, VecDeque};

use crate::time::{SimDuration, SimTime};

/// Pending events, earliest first; ties broken by insertion order.
///
/// Events are kept in one FIFO per distinct instant, the instants in a B-tree. This is exactly
/// the (time, sequence) order — within an instant, insertion order *is* sequence order — and it
/// is much cheaper than a binary heap when many events share an instant, as they do with the
/// fixed latencies most scenarios use (a deploy of 100,000 tasks schedules each step of every
/// task at the same few instants).
///
/// The instants map to the slot of their FIFO in `buckets`, not to the FIFO itself, and while
/// few instants are pending (a small run's whole life: a sweep's runs keep a few dozen) they
/// are a sorted array rather than a B-tree: the earliest instant goes on nearly every pop when
/// latencies are random, and a B-tree's node shifts, splits, merges and allocations for that
/// cost a sweep a tenth of its time. Past [`FEW_INSTANTS`] the instants move to the B-tree for
/// the rest of the run. Neither form changes the order.
pub struct EventQueue<E> {
    /// Each pending instant and the slot of its events in `buckets`.
    instants: Instants,
    /// The events of each pending instant, by slot; a freed slot is `Empty` until reused.
    buckets: Vec<Bucket<E>>,
    /// Slots of `buckets` free for the next new instant.
    free_slots: Vec<u32>,
    now: SimTime,
    /// Emptied FIFOs of past instants, reused by later ones: a run that keeps meeting shared
    /// instants allocates a few FIFOs, not one per instant.
    spare: Vec<VecDeque<E>>,
}

/// Pending instants kept as a sorted array; one more moves them all to the B-tree.
const FEW_INSTANTS: usize = 64;

/// Pending instants, each with its slot in `EventQueue::buckets`.
enum Instants {
    /// Few: distinct, sorted latest first, so that the earliest is taken off the end. Searched
    /// by counting the later instants, a loop without branches the compiler vectorizes: a
    /// binary search over a few dozen random times mispredicts at nearly every step.
    Few(Vec<(SimTime, u32)>),
    /// Many (for the rest of the run).
    Many(BTreeMap<SimTime, u32>),
}

impl Instants {
    /// The slot of instant `at` if pending, else where it goes (for [`Instants::insert`]).
    fn find(&self, at: SimTime) -> Result<u32, usize> {
        match self {
            Instants::Few(few) => {
                let later = few.iter().map(|&(t, _)| usize::from(t > at)).sum::<usize>();
                match few.get(later) {
                    Some(&(t, slot)) if t == at => Ok(slot),
                    _ => Err(later),
                }
            }
            Instants::Many(many) => many.get(&at).copied().ok_or(0),
        }
    }

    /// Adds instant `at` (not pending) with its slot, at `place` as [`Instants::find`] said.
    fn insert(&mut self, at: SimTime, slot: u32, place: usize) {
        match self {
            Instants::Few(few) if few.len() < FEW_INSTANTS => few.insert(place, (at, slot)),
            Instants::Few(few) => {
                let mut many: BTreeMap<SimTime, u32> = few.drain(..).collect();
                many.insert(at, slot);
                *self = Instants::Many(many);
            }
            Instants::Many(many) => {
                many.insert(at, slot);
            }
        }
    }

    /// The earliest instant and its slot.
    fn first(&self) -> Option<(SimTime, u32)> {
        match self {
            Instants::Few(few) => few.last().copied(),
            Instants::Many(many) => many.first_key_value().map(|(&t, &slot)| (t, slot)),
        }
    }

    /// Removes the earliest instant.
    fn remove_first(&mut self) {
        match self {
            Instants::Few(few) => {
                few.pop();
            }
            Instants::Many(many) => {
                many.pop_first();
            }
        }
    }
}

/// Emptied FIFOs kept for reuse (beyond these, an emptied one is freed).
const SPARE_FIFOS: usize = 64;
/// The largest FIFO kept as a spare (events), so that spares hold little memory.
const SPARE_FIFO_CAPACITY: usize = 1024;

/// The events of one instant, in insertion order. Most instants hold one event when latencies
/// are random: keeping it inline saves an allocation per event.
enum Bucket<E> {
    /// A free slot (no pending instant uses it).
    Empty,
    One(E),
    Many(VecDeque<E>),
}

impl<E> Bucket<E> {
    /// Appends `event`; a second event moves both into `fifo` (empty).
    fn push(&mut self, event: E, fifo: impl FnOnce() -> VecDeque<E>) {
        match self {
            Bucket::Many(q) => q.push_back(event),
            Bucket::One(_) => {
                let Bucket::One(first) = std::mem::replace(self, Bucket::Many(fifo())) else { unreachable!() };
                let Bucket::Many(q) = self else { unreachable!() };
                q.push_back(first);
                q.push_back(event);
            }
            Bucket::Empty => *self = Bucket::One(event),
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            instants: Instants::Few(Vec::new()),
            buckets: Vec::new(),
            free_slots: Vec::new(),
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

    /// Schedules `event` at absolute time `at`, after every event already due then.
    ///
    /// # Panics
    /// If `at` is in the past: an event before `now` is a bug in the model, never valid input.
    pub fn at(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at:?} < now {:?}", self.now);
        match self.instants.find(at) {
            Ok(slot) => {
                let spare = &mut self.spare;
                let bucket = &mut self.buckets[slot as usize];
                bucket.push(event, || spare.pop().unwrap_or_else(|| VecDeque::with_capacity(4)));
            }
            Err(place) => {
                let slot = match self.free_slots.pop() {
                    Some(slot) => {
                        self.buckets[slot as usize] = Bucket::One(event);
                        slot
                    }
                    None => {
                        self.buckets.push(Bucket::One(event));
                        u32::try_from(self.buckets.len() - 1).expect("fewer than 2^32 pending instants")
                    }
                };
                self.instants.insert(at, slot, place);
            }
        }
    }

    /// Schedules `event` after `delay` from now.
    pub fn after(&mut self, delay: SimDuration, event: E) {
        let at = self.now.plus(delay);
        self.at(at, event);
    }

    /// Removes and returns the earliest event, advancing `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, slot) = self.instants.first()?;
        let event = match &mut self.buckets[slot as usize] {
            Bucket::Many(q) if q.len() > 1 => q.pop_front().expect("non-empty"),
            bucket => {
                self.instants.remove_first();
                self.free_slots.push(slot);
                match std::mem::replace(bucket, Bucket::Empty) {
                    Bucket::One(e) => e,
                    Bucket::Many(mut q) => {
                        let event = q.pop_front().expect("buckets are never left empty");
                        // Only small ones: a FIFO grown by one huge instant is not kept for good.
                        if self.spare.len() < SPARE_FIFOS && q.capacity() <= SPARE_FIFO_CAPACITY {
                            self.spare.push(q);
                        }
                        event
                    }
                    Bucket::Empty => unreachable!("a pending instant's slot is never empty"),
                }
            }
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        Some((time, event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.instants.first().map(|(t, _)| t)
    }

    /// Whether every pending event satisfies `f` (in no particular order).
    pub fn all_pending(&self, mut f: impl FnMut(&E) -> bool) -> bool {
        self.buckets.iter().all(|b| match b {
            Bucket::Empty => true,
            Bucket::One(e) => f(e),
            Bucket::Many(q) => q.iter().all(&mut f),
        })
    }
}

#[cfg(test)]
mod tests {
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
        // Interleaved pushes and pops over 10 and over 300 distinct instants (the second moves
        // the instants from the sorted array to the B-tree mid-run): every pop must be the
        // earliest pending (time, push number), as a plain sort of the pushes says.
        for spread in [10u64, 300] {
            let mut q = EventQueue::new();
            let mut pending: Vec<(SimTime, u32)> = Vec::new();
            let mut x: u64 = 12345;
            for n in 0..2000u32 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let at = q.now().plus(SimDuration((x >> 33) % spread));
                q.at(at, n);
                pending.push((at, n));
                if n % 3 == 0 {
                    let (i, &expected) = pending.iter().enumerate().min_by_key(|&(_, e)| *e).expect("pending");
                    pending.remove(i);
                    assert_eq!(q.pop(), Some(expected), "spread {spread}");
                }
            }
            pending.sort();
            let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            assert_eq!(rest, pending, "spread {spread}");
            assert!(q.all_pending(|_| false), "empty at the end");
        }
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

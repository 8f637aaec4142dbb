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
/// While few instants are pending (a small run's whole life: a sweep's runs keep a few dozen)
/// they are a sorted array instead, each with the slot of its FIFO in `buckets`: the earliest
/// instant goes on nearly every pop when latencies are random, and a B-tree's node shifts,
/// splits, merges and allocations for that cost a sweep a tenth of its time. Past
/// [`FEW_INSTANTS`] they move to the B-tree for the rest of the run (which holds each FIFO in
/// its own nodes: a large run's lookups touch no second array). Neither form changes the order.
pub struct EventQueue<E> {
    /// While few instants are pending: each with its slot in `buckets`, sorted latest first
    /// (the earliest comes off the end).
    few: Vec<(SimTime, u32)>,
    /// The events of each instant of `few`, by slot; a freed slot is `Empty` until reused.
    buckets: Vec<Bucket<E>>,
    /// Slots of `buckets` free for the next new instant.
    free_slots: Vec<u32>,
    /// Once more than [`FEW_INSTANTS`] were pending: every pending instant, for good.
    many: Option<BTreeMap<SimTime, Bucket<E>>>,
    now: SimTime,
    /// Emptied FIFOs of past instants, reused by later ones: a run that keeps meeting shared
    /// instants allocates a few FIFOs, not one per instant.
    spare: Vec<VecDeque<E>>,
}

/// Pending instants kept as a sorted array; one more moves them all to the B-tree.
const FEW_INSTANTS: usize = 64;

/// Emptied FIFOs kept for reuse (beyond these, an emptied one is freed).
const SPARE_FIFOS: usize = 64;
/// The largest FIFO kept as a spare (events), so that spares hold little memory.
const SPARE_FIFO_CAPACITY: usize = 1024;

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

    /// Schedules `event` at absolute time `at`, after every event already due then.
    ///
    /// # Panics
    /// If `at` is in the past: an event before `now` is a bug in the model, never valid input.
    pub fn at(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at:?} < now {:?}", self.now);
        if let Some(many) = &mut self.many {
            match many.entry(at) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(Bucket::One(event));
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().push(event, &mut self.spare),
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
            let buckets = &mut self.buckets;
            let many =
                self.few.drain(..).map(|(t, slot)| (t, std::mem::replace(&mut buckets[slot as usize], Bucket::Empty)));
            self.many = Some(many.collect());
            self.buckets = Vec::new();
            self.free_slots = Vec::new();
            return self.at(at, event);
        }
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.buckets[slot as usize] = Bucket::One(event);
                slot
            }
            None => {
                self.buckets.push(Bucket::One(event));
                (self.buckets.len() - 1) as u32
            }
        };
        self.few.insert(later, (at, slot));
    }

    /// Schedules `event` after `delay` from now.
    pub fn after(&mut self, delay: SimDuration, event: E) {
        let at = self.now.plus(delay);
        self.at(at, event);
    }

    /// Removes and returns the earliest event, advancing `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, event) = match &mut self.many {
            Some(many) => {
                let mut first = many.first_entry()?;
                let time = *first.key();
                let event = match first.get_mut() {
                    Bucket::Many(q) if q.len() > 1 => q.pop_front().expect("non-empty"),
                    _ => first.remove().into_first(&mut self.spare),
                };
                (time, event)
            }
            None => {
                let &(time, slot) = self.few.last()?;
                let event = match &mut self.buckets[slot as usize] {
                    Bucket::Many(q) if q.len() > 1 => q.pop_front().expect("non-empty"),
                    bucket => {
                        self.few.pop();
                        self.free_slots.push(slot);
                        std::mem::replace(bucket, Bucket::Empty).into_first(&mut self.spare)
                    }
                };
                (time, event)
            }
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        Some((time, event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        match &self.many {
            Some(many) => many.keys().next().copied(),
            None => self.few.last().map(|&(t, _)| t),
        }
    }

    /// Whether every pending event satisfies `f` (in no particular order).
    pub fn all_pending(&self, mut f: impl FnMut(&E) -> bool) -> bool {
        let mut holds = |b: &Bucket<E>| match b {
            Bucket::Empty => true,
            Bucket::One(e) => f(e),
            Bucket::Many(q) => q.iter().all(&mut f),
        };
        match &self.many {
            Some(many) => many.values().all(holds),
            None => self.buckets.iter().all(&mut holds),
        }
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

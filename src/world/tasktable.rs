//! Per-task records by task id for the tasks still remembered (swarmkit keeps a task in its
//! store's memdb table until `DeleteTask`, and a node keeps its task manager until the
//! container is removed): no swarmkit code of its own, the index every per-task table of the
//! world (and of the updater's state machine) uses, so that memory follows the tasks alive
//! rather than every task the run created, and a lookup is no tree search.
//!
//! Task ids are never reused (a task's Docker id, its rows and the reaper's order are made
//! from it), so an old id can never reach a newer task's record: it finds its own record, or
//! nothing once that is removed. Records are kept in pages of [`PAGE`] consecutive ids; a
//! page whose records are all removed is given back (to a small pool, then to the
//! allocator), and the pages before the oldest one still held are dropped from the directory
//! (in batches: a lookup is then a plain index, no ring arithmetic).
//! A lookup is two indexings, no hashing; a task kept long (a service that never crashes beside
//! one that crash-loops) holds its page, at most [`PAGE`] records' room per task alive.

use crate::model::task::TaskId;

/// Ids per page: small enough that a long-lived task pins little, large enough that the page
/// directory (eight bytes a page) is negligible.
const PAGE: usize = 64;

/// Pages kept for reuse after their records are all removed (a crash loop frees and fills
/// pages at the same pace: no allocation per page in the steady state).
const SPARE_PAGES: usize = 4;

/// Emptied pages at the front of the directory dropped at once, at least (and at least half
/// the directory): dropping them costs a move of the directory, so it is done rarely.
const DROP_FRONT: usize = 64;

/// One page: the records of ids `PAGE * n .. PAGE * (n + 1)`, and how many are held.
struct Page<T> {
    slots: [Option<T>; PAGE],
    held: u32,
}

impl<T> Page<T> {
    fn empty() -> Box<Page<T>> {
        Box::new(Page { slots: std::array::from_fn(|_| None), held: 0 })
    }
}

/// Records by [`TaskId`] (see the module documentation).
pub(crate) struct TaskTable<T> {
    /// Page `first + i` at index `i`; `None`: every record of that page was removed (or none
    /// was ever inserted).
    pages: Vec<Option<Box<Page<T>>>>,
    /// The page number of `pages[0]`.
    first: usize,
    /// Empty pages kept for the next ones needed.
    spare: Vec<Box<Page<T>>>,
}

impl<T> Default for TaskTable<T> {
    fn default() -> TaskTable<T> {
        TaskTable { pages: Vec::new(), first: 0, spare: Vec::new() }
    }
}

impl<T> TaskTable<T> {
    /// An empty table with room in its directory for `expected` tasks' pages.
    pub(crate) fn with_capacity(expected: usize) -> TaskTable<T> {
        TaskTable { pages: Vec::with_capacity(expected.div_ceil(PAGE)), ..TaskTable::default() }
    }

    /// Removes every record, keeping the pages for reuse (a world renewed from run to run
    /// allocates none again), and room in the directory for `expected` tasks' pages.
    pub(crate) fn clear(&mut self, expected: usize) {
        for page in self.pages.drain(..).flatten() {
            let mut page = page;
            if page.held > 0 {
                page.slots.iter_mut().for_each(|s| *s = None);
                page.held = 0;
            }
            self.spare.push(page);
        }
        self.first = 0;
        self.pages.reserve(expected.div_ceil(PAGE));
    }

    /// The page of `id` and its slot in it, when the directory has its page.
    fn locate(&self, id: TaskId) -> Option<(usize, usize)> {
        let id = id.0 as usize;
        let index = (id / PAGE).checked_sub(self.first)?;
        (index < self.pages.len()).then_some((index, id % PAGE))
    }

    /// The record of `id`, if held. (One bounds check: an id before the first page wraps
    /// around to an index past the directory's end.)
    #[inline]
    pub(crate) fn get(&self, id: TaskId) -> Option<&T> {
        let id = id.0 as usize;
        let page = self.pages.get((id / PAGE).wrapping_sub(self.first))?.as_deref()?;
        page.slots[id % PAGE].as_ref()
    }

    /// The record of `id`, if held, to change.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: TaskId) -> Option<&mut T> {
        let id = id.0 as usize;
        let page = self.pages.get_mut((id / PAGE).wrapping_sub(self.first))?.as_deref_mut()?;
        page.slots[id % PAGE].as_mut()
    }

    /// Asks the processor for the slot of `id` ahead of its use (see `crate::prefetch`); the
    /// directory, small and read on every lookup, is read now.
    #[inline]
    pub(crate) fn prefetch(&self, id: TaskId) {
        let id = id.0 as usize;
        if let Some(Some(page)) = self.pages.get((id / PAGE).wrapping_sub(self.first)) {
            crate::prefetch::prefetch(&page.slots[id % PAGE]);
        }
    }

    /// True when a record of `id` is held.
    #[inline]
    pub(crate) fn contains(&self, id: TaskId) -> bool {
        self.get(id).is_some()
    }

    /// Holds `record` for `id` (replacing any held), and returns it to change.
    pub(crate) fn insert(&mut self, id: TaskId, record: T) -> &mut T {
        let page_no = id.0 as usize / PAGE;
        if self.pages.is_empty() {
            self.first = page_no;
        }
        if page_no < self.first {
            // An id older than every page held (a table whose early ids were all removed): the
            // directory grows at its front.
            let missing = self.first - page_no;
            self.pages.splice(0..0, std::iter::repeat_with(|| None).take(missing));
            self.first = page_no;
        }
        let index = page_no - self.first;
        if index >= self.pages.len() {
            self.pages.resize_with(index + 1, || None);
        }
        let spare = &mut self.spare;
        let page = self.pages[index].get_or_insert_with(|| spare.pop().unwrap_or_else(Page::empty));
        let slot = &mut page.slots[id.0 as usize % PAGE];
        if slot.is_none() {
            page.held += 1;
        }
        slot.insert(record)
    }

    /// Removes the record of `id`, returning it; a page left empty is given back.
    pub(crate) fn remove(&mut self, id: TaskId) -> Option<T> {
        let (index, slot) = self.locate(id)?;
        let page = self.pages[index].as_mut()?;
        let record = page.slots[slot].take()?;
        page.held -= 1;
        if page.held == 0 {
            let page = self.pages[index].take().expect("the page just read");
            if self.spare.len() < SPARE_PAGES {
                self.spare.push(page);
            }
            // The directory starts near the oldest page still held.
            if index == 0 || self.pages[0].is_none() {
                let empty = self.pages.iter().take_while(|p| p.is_none()).count();
                if empty == self.pages.len() {
                    self.pages.clear();
                    self.first = 0;
                } else if empty >= DROP_FRONT && empty * 2 >= self.pages.len() {
                    self.pages.drain(..empty);
                    self.first += empty;
                }
            }
        }
        Some(record)
    }

    /// Every record held, by id, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TaskId, &T)> + '_ {
        let first = self.first;
        self.pages.iter().enumerate().filter_map(move |(i, p)| p.as_ref().map(|p| (first + i, p))).flat_map(
            |(n, page)| {
                page.slots
                    .iter()
                    .enumerate()
                    .filter_map(move |(k, s)| s.as_ref().map(|r| (TaskId((n * PAGE + k) as u32), r)))
            },
        )
    }

    /// The ids held, in order (for a caller that changes records as it goes).
    pub(crate) fn ids(&self) -> Vec<TaskId> {
        self.iter().map(|(id, _)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_found_by_id_until_removed_and_pages_are_given_back() {
        let mut t: TaskTable<u32> = TaskTable::with_capacity(10);
        for i in 0..200u32 {
            t.insert(TaskId(i), i * 10);
        }
        assert_eq!(t.ids().len(), 200);
        assert_eq!(t.get(TaskId(130)), Some(&1300));
        assert_eq!(t.get(TaskId(200)), None, "never inserted");
        for i in 0..64u32 {
            assert_eq!(t.remove(TaskId(i)), Some(i * 10));
        }
        assert_eq!(t.remove(TaskId(3)), None, "removed once");
        assert_eq!(t.get(TaskId(3)), None, "an old id finds nothing, never a newer record");
        assert!(t.pages[0].is_none(), "the first page went back");
        assert_eq!(t.spare.len(), 1);
        *t.get_mut(TaskId(64)).unwrap() += 1;
        assert_eq!(t.iter().next(), Some((TaskId(64), &641)));
        // Ids past the held pages, and an id before them again.
        t.insert(TaskId(1000), 1);
        t.insert(TaskId(5), 5);
        assert_eq!(t.get(TaskId(5)), Some(&5));
        assert_eq!(t.spare.len(), 0, "the spare page was reused");
        let ids = t.ids();
        assert_eq!(ids.first(), Some(&TaskId(5)));
        assert_eq!(ids.last(), Some(&TaskId(1000)));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
        t.clear(0);
        assert!(t.ids().is_empty());
        assert_eq!(t.get(TaskId(64)), None);
        assert!(t.iter().next().is_none());
        assert!(t.spare.len() >= 3, "pages kept for the next run");
        t.insert(TaskId(0), 7);
        assert_eq!(t.get(TaskId(0)), Some(&7));
    }

    #[test]
    fn the_directory_drops_the_emptied_pages_before_the_oldest_record() {
        // A crash loop: ids created in order, the older ones removed as the newer come.
        let mut t: TaskTable<u32> = TaskTable::default();
        let n = (PAGE * 400) as u32;
        for i in 0..n {
            t.insert(TaskId(i), i);
            if i >= 500 {
                assert_eq!(t.remove(TaskId(i - 500)), Some(i - 500));
            }
        }
        assert!(t.pages.len() <= 2 * DROP_FRONT + 500 / PAGE + 2, "{} pages held", t.pages.len());
        assert!(t.first > 0);
        assert_eq!(t.get(TaskId(n - 501)), None);
        assert_eq!(t.get(TaskId(n - 500)), Some(&(n - 500)));
        assert_eq!(t.iter().count(), 500);
        for i in n - 500..n {
            t.remove(TaskId(i));
        }
        assert!(t.pages.is_empty(), "every page went back");
        t.insert(TaskId(3), 3);
        assert_eq!(t.get(TaskId(3)), Some(&3), "an old id inserted again (a table emptied)");
    }
}

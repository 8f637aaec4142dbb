//! A run's task events kept compact: the rows of `events.csv` (swarmkit's task history as
//! `docker service ps` shows it) are most of what a large run records — 1.9 million rows for
//! 100,000 replicas updated once — and most of their bytes repeat: the same instant as the row
//! before, a service, image and message out of a handful, small slot and node numbers.
//!
//! Rows are appended as they happen and read back in order, never changed or looked up one by
//! one, so they are stored in blocks of [`BLOCK_ROWS`] encoded rows: each field as a LEB128
//! variable-length integer, the time as the (zig-zag) difference from the previous row's. A
//! row takes 10–16 bytes instead of a [`TaskEvent`]'s 40. The rows since the last full block
//! stay as they are until the block fills.
//!
//! The history is not the live cluster, so it does not stay in memory: once the encoded blocks
//! held in memory pass [`crate::limits::EVENT_LOG_RESIDENT_BYTES`], they are written to an
//! unnamed temporary file (deleted by the system when the last handle closes) and read back a
//! block at a time. A small run (a sweep's, a test's) never touches the disk. A file that
//! cannot be made or written keeps the blocks in memory: the same rows, only more memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::model::record::{Name, TaskEvent};
use crate::model::task::TaskState;
use crate::time::SimTime;

/// Rows per encoded block.
const BLOCK_ROWS: usize = 1024;

/// Every task state, in the order their one-byte codes give.
const STATES: [TaskState; 14] = [
    TaskState::New,
    TaskState::Pending,
    TaskState::Assigned,
    TaskState::Accepted,
    TaskState::Preparing,
    TaskState::Ready,
    TaskState::Starting,
    TaskState::Running,
    TaskState::Complete,
    TaskState::Shutdown,
    TaskState::Failed,
    TaskState::Rejected,
    TaskState::Remove,
    TaskState::Orphaned,
];

/// A full block of encoded rows: in memory, or written to the spill file.
#[derive(Clone, Debug)]
enum Block {
    Resident(Box<[u8]>),
    /// `len` bytes at offset `at` of the spill file.
    Spilled {
        at: u64,
        len: u32,
    },
}

/// The temporary file blocks are written to. Shared by clones of a log (a record is cloned
/// whole by `compare` and the strategy runs); a block, once written, never changes, and each
/// write goes to the file's current end, so clones that append afterwards never overwrite one
/// another's blocks.
#[derive(Clone, Debug)]
struct SpillFile(Arc<Mutex<File>>);

impl SpillFile {
    fn create() -> Option<SpillFile> {
        tempfile::tempfile().ok().map(|f| SpillFile(Arc::new(Mutex::new(f))))
    }

    /// Appends `bytes`; their offset, or `None` if the file could not take them.
    fn append(&self, bytes: &[u8]) -> Option<u64> {
        let mut file = self.0.lock().ok()?;
        let at = file.seek(SeekFrom::End(0)).ok()?;
        match file.write_all(bytes) {
            Ok(()) => Some(at),
            Err(_) => {
                // Leave no half-written block behind for the next append to follow.
                let _ = file.set_len(at);
                None
            }
        }
    }

    fn read(&self, at: u64, len: u32, out: &mut Vec<u8>) {
        // The file is unnamed and private to this process: a failure to read back what was
        // written to it is the system failing, not something a run can go on from.
        let result = (|| -> std::io::Result<()> {
            let mut file = self.0.lock().map_err(|_| std::io::Error::other("spill file lock poisoned"))?;
            file.seek(SeekFrom::Start(at))?;
            out.resize(len as usize, 0);
            file.read_exact(out)
        })();
        if let Err(e) = result {
            panic!("internal error: cannot read back the run's event history from its temporary file: {e}");
        }
    }
}

/// Task events in the order they were appended (see the module documentation).
#[derive(Clone)]
pub struct TaskEventLog {
    /// Full blocks of [`BLOCK_ROWS`] rows, encoded.
    blocks: Vec<Block>,
    /// The rows after the last full block.
    tail: Vec<TaskEvent>,
    /// Bytes of the blocks held in memory.
    resident: usize,
    /// Resident bytes past which the blocks are written out.
    budget: usize,
    /// Where they go (made on the first spill).
    spill: Option<SpillFile>,
    /// A spill file could not be made or written: keep everything in memory from then on.
    spill_failed: bool,
    /// Blocks before this one are all spilled (a spill starts here, not at the first block).
    first_resident: usize,
}

impl Default for TaskEventLog {
    fn default() -> TaskEventLog {
        TaskEventLog::with_resident_budget(crate::limits::EVENT_LOG_RESIDENT_BYTES)
    }
}

impl std::fmt::Debug for TaskEventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskEventLog").field("rows", &self.len()).field("spilled", &self.spilled_blocks()).finish()
    }
}

/// Two logs are equal when they hold the same rows, wherever the rows are kept.
impl PartialEq for TaskEventLog {
    fn eq(&self, other: &TaskEventLog) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for TaskEventLog {}

impl TaskEventLog {
    /// No rows.
    pub fn new() -> TaskEventLog {
        TaskEventLog::default()
    }

    /// No rows; encoded blocks are written out once those in memory pass `bytes`.
    pub fn with_resident_budget(bytes: usize) -> TaskEventLog {
        TaskEventLog {
            blocks: Vec::new(),
            tail: Vec::new(),
            resident: 0,
            budget: bytes,
            spill: None,
            spill_failed: false,
            first_resident: 0,
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: TaskEvent) {
        self.tail.push(row);
        if self.tail.len() == BLOCK_ROWS {
            let mut bytes = Vec::with_capacity(BLOCK_ROWS * 16);
            let mut prev = SimTime::ZERO;
            for row in &self.tail {
                encode(row, prev, &mut bytes);
                prev = row.t;
            }
            self.resident += bytes.len();
            self.blocks.push(Block::Resident(bytes.into_boxed_slice()));
            self.tail.clear();
            if self.resident > self.budget && !self.spill_failed {
                self.spill_resident_blocks();
            }
        }
    }

    /// Writes every block held in memory to the spill file, oldest first.
    fn spill_resident_blocks(&mut self) {
        if self.spill.is_none() {
            self.spill = SpillFile::create();
        }
        let Some(file) = &self.spill else {
            self.spill_failed = true;
            return;
        };
        for block in &mut self.blocks[self.first_resident..] {
            if let Block::Resident(bytes) = block {
                let Some(at) = file.append(bytes) else {
                    self.spill_failed = true;
                    return;
                };
                self.resident -= bytes.len();
                *block = Block::Spilled { at, len: bytes.len() as u32 };
            }
            self.first_resident += 1;
        }
    }

    /// Rows appended so far.
    pub fn len(&self) -> usize {
        self.blocks.len() * BLOCK_ROWS + self.tail.len()
    }

    /// True when no row was appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Blocks written out to the spill file.
    pub fn spilled_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| matches!(b, Block::Spilled { .. })).count()
    }

    /// Every row, in the order appended.
    pub fn iter(&self) -> Rows<'_> {
        Rows {
            log: self,
            block: 0,
            at: 0,
            in_block: 0,
            prev: SimTime::ZERO,
            tail: 0,
            left: self.len(),
            read: Vec::new(),
            read_block: None,
        }
    }

    /// Bytes the rows take in memory (resident blocks and tail), for the benchmarks' accounting.
    pub fn heap_bytes(&self) -> usize {
        self.resident
            + self.blocks.capacity() * std::mem::size_of::<Block>()
            + self.tail.capacity() * std::mem::size_of::<TaskEvent>()
    }
}

impl FromIterator<TaskEvent> for TaskEventLog {
    fn from_iter<I: IntoIterator<Item = TaskEvent>>(rows: I) -> TaskEventLog {
        let mut log = TaskEventLog::new();
        for row in rows {
            log.push(row);
        }
        log
    }
}

impl<'a> IntoIterator for &'a TaskEventLog {
    type Item = TaskEvent;
    type IntoIter = Rows<'a>;

    fn into_iter(self) -> Rows<'a> {
        self.iter()
    }
}

/// The rows of a [`TaskEventLog`], decoded one at a time.
#[derive(Clone)]
pub struct Rows<'a> {
    log: &'a TaskEventLog,
    /// The block being read (== blocks.len(): the tail).
    block: usize,
    /// Byte offset in that block.
    at: usize,
    /// Rows read from that block.
    in_block: usize,
    /// The previous row's time in that block.
    prev: SimTime,
    /// Rows read from the tail.
    tail: usize,
    /// Rows left.
    left: usize,
    /// A spilled block read back from the file...
    read: Vec<u8>,
    /// ...and which block it is.
    read_block: Option<usize>,
}

impl Iterator for Rows<'_> {
    type Item = TaskEvent;

    fn next(&mut self) -> Option<TaskEvent> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if let Some(block) = self.log.blocks.get(self.block) {
            let bytes: &[u8] = match block {
                Block::Resident(bytes) => bytes,
                Block::Spilled { at, len } => {
                    if self.read_block != Some(self.block) {
                        let file = self.log.spill.as_ref().expect("a spilled block has its file");
                        file.read(*at, *len, &mut self.read);
                        self.read_block = Some(self.block);
                    }
                    &self.read
                }
            };
            let row = decode(bytes, &mut self.at, self.prev);
            self.prev = row.t;
            self.in_block += 1;
            if self.in_block == BLOCK_ROWS {
                self.block += 1;
                self.at = 0;
                self.in_block = 0;
                self.prev = SimTime::ZERO;
            }
            return Some(row);
        }
        let row = self.log.tail[self.tail];
        self.tail += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Rows<'_> {}

fn put(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn state_code(s: TaskState) -> u8 {
    STATES.iter().position(|&x| x == s).expect("every state is in STATES") as u8
}

fn encode(row: &TaskEvent, prev: SimTime, out: &mut Vec<u8>) {
    // Zig-zag, so that a row earlier than the one before (a record built by hand) still fits.
    let delta = row.t.0.wrapping_sub(prev.0) as i64;
    put(((delta << 1) ^ (delta >> 63)) as u64, out);
    put(u64::from(row.task_id.0), out);
    put(row.slot, out);
    put(u64::from(row.node.0), out);
    put(u64::from(row.service.0), out);
    put(u64::from(row.image.0), out);
    put(u64::from(row.message.0), out);
    out.push(state_code(row.desired_state) << 4 | state_code(row.state));
}

fn decode(bytes: &[u8], at: &mut usize, prev: SimTime) -> TaskEvent {
    let zigzag = get(bytes, at);
    let delta = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
    let t = SimTime(prev.0.wrapping_add(delta as u64));
    let name = |at: &mut usize| Name(get(bytes, at) as u32);
    let task_id = name(at);
    let slot = get(bytes, at);
    let node = name(at);
    let service = name(at);
    let image = name(at);
    let message = name(at);
    let states = bytes[*at];
    *at += 1;
    TaskEvent {
        t,
        service,
        task_id,
        slot,
        node,
        image,
        desired_state: STATES[usize::from(states >> 4)],
        state: STATES[usize::from(states & 0x0f)],
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u64) -> TaskEvent {
        TaskEvent {
            // Times that stay, grow by a lot and go back (a hand-built record may do that).
            t: SimTime(match i % 5 {
                0 | 1 => i * 1_000_000,
                2 => i * 1_000_000 + u64::from(u32::MAX),
                3 => i,
                _ => u64::MAX - i,
            }),
            service: Name((i % 3) as u32),
            task_id: Name((i * 7919 % 300_007) as u32),
            slot: if i.is_multiple_of(11) { u64::MAX } else { i % 100_000 },
            node: Name(u32::MAX - (i % 2) as u32),
            image: Name((i % 2) as u32),
            desired_state: STATES[(i % 14) as usize],
            state: STATES[((i / 14) % 14) as usize],
            message: Name((i % 9) as u32),
        }
    }

    #[test]
    fn rows_come_back_as_appended_across_blocks_and_tail() {
        let rows: Vec<TaskEvent> = (0..(3 * BLOCK_ROWS as u64 + 17)).map(row).collect();
        let log: TaskEventLog = rows.iter().copied().collect();
        assert_eq!(log.len(), rows.len());
        assert_eq!(log.blocks.len(), 3, "three full blocks encoded, the rest in the tail");
        assert_eq!(log.iter().len(), rows.len());
        assert_eq!(log.iter().collect::<Vec<_>>(), rows);
        let mut it = log.iter();
        it.nth(BLOCK_ROWS - 1);
        assert_eq!(it.next(), Some(rows[BLOCK_ROWS]), "the second block starts afresh");
        assert_eq!(it.len(), rows.len() - BLOCK_ROWS - 1);
    }

    #[test]
    fn an_empty_log_and_exactly_full_blocks() {
        let log = TaskEventLog::new();
        assert!(log.is_empty());
        assert_eq!(log.iter().next(), None);
        let rows: Vec<TaskEvent> = (0..(2 * BLOCK_ROWS as u64)).map(row).collect();
        let log: TaskEventLog = rows.iter().copied().collect();
        assert!(log.tail.is_empty());
        assert_eq!(log.iter().collect::<Vec<_>>(), rows);
    }

    #[test]
    fn spilled_blocks_read_back_as_appended() {
        // A budget of nothing: every full block goes to the file as soon as it is encoded.
        let rows: Vec<TaskEvent> = (0..(4 * BLOCK_ROWS as u64 + 5)).map(row).collect();
        let mut log = TaskEventLog::with_resident_budget(0);
        for &r in &rows {
            log.push(r);
        }
        assert_eq!(log.spilled_blocks(), 4, "every full block written out");
        assert!(log.heap_bytes() < BLOCK_ROWS * std::mem::size_of::<TaskEvent>() + 4096, "{}", log.heap_bytes());
        assert_eq!(log.iter().collect::<Vec<_>>(), rows);
        // Two readers at once, each at its own place in the file.
        let (mut a, mut b) = (log.iter(), log.iter());
        b.nth(2 * BLOCK_ROWS + 3);
        assert_eq!(a.next(), Some(rows[0]));
        assert_eq!(b.next(), Some(rows[2 * BLOCK_ROWS + 4]));
        assert_eq!(a.nth(BLOCK_ROWS), Some(rows[BLOCK_ROWS + 1]));
        // Where the rows are kept does not make two logs differ.
        let resident: TaskEventLog = {
            let mut l = TaskEventLog::with_resident_budget(usize::MAX);
            rows.iter().for_each(|&r| l.push(r));
            l
        };
        assert_eq!(resident.spilled_blocks(), 0);
        assert_eq!(log, resident);
        let mut other = resident.clone();
        other.push(row(1));
        assert_ne!(log, other);
    }

    #[test]
    fn clones_appending_to_one_spill_file_keep_their_own_rows() {
        // A record is cloned whole (compare, strategy runs); a clone that goes on appending
        // writes after the file's end, never over the blocks of the other.
        let rows: Vec<TaskEvent> = (0..(3 * BLOCK_ROWS as u64)).map(row).collect();
        let mut a = TaskEventLog::with_resident_budget(BLOCK_ROWS);
        rows[..BLOCK_ROWS * 2].iter().for_each(|&r| a.push(r));
        let mut b = a.clone();
        let more_a: Vec<TaskEvent> = (0..BLOCK_ROWS as u64 * 2).map(|i| row(i + 7)).collect();
        more_a.iter().for_each(|&r| a.push(r));
        rows[BLOCK_ROWS * 2..].iter().for_each(|&r| b.push(r));
        assert!(a.spilled_blocks() >= 3 && b.spilled_blocks() >= 2);
        assert_eq!(b.iter().collect::<Vec<_>>(), rows);
        let expect_a: Vec<TaskEvent> = rows[..BLOCK_ROWS * 2].iter().chain(&more_a).copied().collect();
        assert_eq!(a.iter().collect::<Vec<_>>(), expect_a);
    }

    #[test]
    fn typical_rows_take_far_less_than_a_task_event() {
        // Rows as a rolling update records them: a few services, images and messages, task ids
        // and slots in the hundreds of thousands, several rows per instant.
        let rows = (0..(10 * BLOCK_ROWS as u64)).map(|i| TaskEvent {
            t: SimTime(i / 4 * 50_000_000),
            service: Name(0),
            task_id: Name(10 + (i % 200_000) as u32),
            slot: i % 100_000,
            node: Name(200_010 + (i % 5_000) as u32),
            image: Name(1),
            desired_state: TaskState::Running,
            state: TaskState::Starting,
            message: Name(2),
        });
        // Kept in memory: the encoding is what is measured here.
        let mut log = TaskEventLog::with_resident_budget(usize::MAX);
        rows.for_each(|r| log.push(r));
        let per_row = log.heap_bytes() as f64 / log.len() as f64;
        assert!(per_row < 20.0, "{per_row} bytes a row");
        assert!(std::mem::size_of::<TaskEvent>() >= 40);
    }
}

//! A run's history kept compact: the rows of `events.csv` (swarmkit's task history as
//! `docker service ps` shows it) are most of what a large run records — 1.9 million rows for
//! 100,000 replicas updated once — and most of their bytes repeat: the same instant as the row
//! before, a service, image and message out of a handful, small slot and node numbers. The
//! signals and exits of task containers (`--trace`) are history of the same kind.
//!
//! Rows are appended as they happen and read back in order, never changed or looked up one by
//! one, so a [`HistoryLog`] stores them in blocks of [`BLOCK_ROWS`] encoded rows (each row type
//! says how, [`LogRow`]): each field as a LEB128 variable-length integer, the time as the
//! (zig-zag) difference from the previous row's. A task event takes 10–16 bytes instead of a
//! [`TaskEvent`]'s 40, a process event 3–5 instead of 24. The rows since the last full block
//! stay as they are until the block fills.
//!
//! Serving spans ([`ServingLog`]) are history too, but a span's end is only known later: what is
//! fixed when it begins (its task, service, image and start) goes to a log like the others, and
//! only its ending (17 bytes) stays in memory, instead of a [`ServingInterval`]'s 56.
//!
//! Timeline samples ([`TimelineLog`], the rows of `timeline.csv`) are logged the same way, their
//! service and update state as small numbers: about 12 bytes a row instead of 96.
//!
//! The history is not the live cluster, so it does not stay in memory: once the encoded blocks
//! held in memory pass [`crate::limits::EVENT_LOG_RESIDENT_BYTES`], they are written to an
//! unnamed temporary file (deleted by the system when the last handle closes) and read back a
//! block at a time; from then on each new block goes to the file when it is full. A small run
//! (a sweep's, a test's) never touches the disk. A file that
//! cannot be made or written keeps the blocks in memory: the same rows, only more memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::model::record::{Name, ProcessChange, ProcessEvent, TaskEvent, TimelineSample};
use crate::model::task::TaskState;
use crate::model::traffic::{ServingEnd, ServingInterval};
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

/// A row a [`HistoryLog`] keeps: its time, and its other fields as bytes.
pub trait LogRow: Copy {
    /// When it happened (stored as the difference from the previous row's).
    fn time(&self) -> SimTime;
    /// Appends every field but the time to `out`.
    fn encode_fields(&self, out: &mut Vec<u8>);
    /// Reads back what [`LogRow::encode_fields`] wrote at `*at`, moving `*at` past it.
    fn decode_fields(t: SimTime, bytes: &[u8], at: &mut usize) -> Self;
    /// Bytes a typical row takes encoded (the first capacity of a block's buffer).
    const TYPICAL_BYTES: usize;
}

/// The task events of a run (`events.csv`), in the order recorded.
pub type TaskEventLog = HistoryLog<TaskEvent>;

/// The signals and exits of a run's task containers, in the order recorded.
pub type ProcessEventLog = HistoryLog<ProcessEvent>;

/// The run's containers appearing and going, each instant's sum (see
/// [`crate::model::record::RunRecord::containers`]), in time order.
pub type ContainerLog = HistoryLog<(SimTime, i64)>;

/// Rows in the order they were appended (see the module documentation).
#[derive(Clone)]
pub struct HistoryLog<R> {
    /// Full blocks of [`BLOCK_ROWS`] rows, encoded.
    blocks: Vec<Block>,
    /// The rows after the last full block.
    tail: Vec<R>,
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

impl<R: LogRow> Default for HistoryLog<R> {
    fn default() -> HistoryLog<R> {
        HistoryLog::with_resident_budget(crate::limits::EVENT_LOG_RESIDENT_BYTES)
    }
}

/// A log built from its rows in order (`collect()`, `From<Vec<_>>`), each through `push`.
macro_rules! built_by_push {
    ($log:ty, $row:ty) => {
        impl FromIterator<$row> for $log {
            fn from_iter<I: IntoIterator<Item = $row>>(rows: I) -> $log {
                let mut log = <$log>::new();
                for row in rows {
                    log.push(row);
                }
                log
            }
        }

        impl From<Vec<$row>> for $log {
            fn from(rows: Vec<$row>) -> $log {
                rows.into_iter().collect()
            }
        }
    };
}

/// `Debug` as the list of what `iter()` yields, and equality as equal lengths and equal
/// `iter()`s, for a log or table whose encoding is not its meaning (where its rows are kept,
/// resident or spilled, and how they are packed, never makes two of them differ).
macro_rules! compared_by_contents {
    ($log:ty) => {
        impl std::fmt::Debug for $log {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }

        impl PartialEq for $log {
            fn eq(&self, other: &$log) -> bool {
                self.len() == other.len() && self.iter().eq(other.iter())
            }
        }

        impl Eq for $log {}
    };
}

impl<R: LogRow> std::fmt::Debug for HistoryLog<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryLog").field("rows", &self.len()).field("spilled", &self.spilled_blocks()).finish()
    }
}

/// Two logs are equal when they hold the same rows, wherever the rows are kept.
impl<R: LogRow + PartialEq> PartialEq for HistoryLog<R> {
    fn eq(&self, other: &HistoryLog<R>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<R: LogRow + Eq> Eq for HistoryLog<R> {}

impl<R: LogRow> HistoryLog<R> {
    /// No rows.
    pub fn new() -> HistoryLog<R> {
        HistoryLog::default()
    }

    /// No rows; encoded blocks are written out once those in memory pass `bytes`.
    pub fn with_resident_budget(bytes: usize) -> HistoryLog<R> {
        HistoryLog {
            blocks: Vec::new(),
            tail: Vec::new(),
            resident: 0,
            budget: bytes,
            spill: None,
            spill_failed: false,
            first_resident: 0,
        }
    }

    /// Forgets every row (as [`HistoryLog::with_resident_budget`] with this log's budget),
    /// keeping the room the rows held in memory: a log reused from run to run (a sweep's
    /// worker) makes its lists once. A spill file goes with its rows.
    pub fn clear(&mut self) {
        let HistoryLog { blocks, tail, resident, budget: _, spill, spill_failed, first_resident } = self;
        blocks.clear();
        tail.clear();
        *resident = 0;
        *spill = None;
        *spill_failed = false;
        *first_resident = 0;
    }

    /// Appends a row.
    pub fn push(&mut self, row: R) {
        self.tail.push(row);
        if self.tail.len() == BLOCK_ROWS {
            let mut bytes = Vec::with_capacity(BLOCK_ROWS * R::TYPICAL_BYTES);
            let mut prev = SimTime::ZERO;
            for row in &self.tail {
                encode_time(row.time(), prev, &mut bytes);
                row.encode_fields(&mut bytes);
                prev = row.time();
            }
            // Once a log has outgrown its budget, the run is a long one: each later block goes
            // to the file as soon as it is encoded, instead of filling the budget again and
            // going out with the next spill. Memory then stays where the first spill left it
            // (a crash loop's peak at 12 hours equals its peak at 4), where a budget filled and
            // emptied again and again let each log's resident blocks peak at different times
            // and the allocator's heap grow with the churn of their buffers.
            if let Some(file) = &self.spill
                && !self.spill_failed
                && self.first_resident == self.blocks.len()
            {
                match file.append(&bytes) {
                    Some(at) => {
                        self.blocks.push(Block::Spilled { at, len: bytes.len() as u32 });
                        self.first_resident += 1;
                        self.tail.clear();
                        return;
                    }
                    None => self.spill_failed = true,
                }
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
    pub fn iter(&self) -> Rows<'_, R> {
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
            + self.tail.capacity() * std::mem::size_of::<R>()
    }
}

impl<R: LogRow> FromIterator<R> for HistoryLog<R> {
    fn from_iter<I: IntoIterator<Item = R>>(rows: I) -> HistoryLog<R> {
        let mut log = HistoryLog::new();
        for row in rows {
            log.push(row);
        }
        log
    }
}

impl<'a, R: LogRow> IntoIterator for &'a HistoryLog<R> {
    type Item = R;
    type IntoIter = Rows<'a, R>;

    fn into_iter(self) -> Rows<'a, R> {
        self.iter()
    }
}

/// The rows of a [`HistoryLog`], decoded one at a time.
#[derive(Clone)]
pub struct Rows<'a, R> {
    log: &'a HistoryLog<R>,
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

impl<R: LogRow> Iterator for Rows<'_, R> {
    type Item = R;

    fn next(&mut self) -> Option<R> {
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
            let t = decode_time(bytes, &mut self.at, self.prev);
            let row = R::decode_fields(t, bytes, &mut self.at);
            self.prev = t;
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

impl<R: LogRow> ExactSizeIterator for Rows<'_, R> {}

/// What is fixed of a serving span when it begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SpanStart {
    service: Name,
    task_id: Name,
    image: Name,
    start: SimTime,
}

impl LogRow for SpanStart {
    const TYPICAL_BYTES: usize = 8;

    fn time(&self) -> SimTime {
        self.start
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put(u64::from(self.task_id.task_field()), out);
        put(u64::from(self.service.0), out);
        put(u64::from(self.image.0), out);
    }

    fn decode_fields(start: SimTime, bytes: &[u8], at: &mut usize) -> SpanStart {
        let task_id = Name::from_task_field(get(bytes, at) as u32);
        let service = Name(get(bytes, at) as u32);
        let image = Name(get(bytes, at) as u32);
        SpanStart { service, task_id, image, start }
    }
}

/// `SpanEnding::flags`: `end` is set.
const HAS_END: u8 = 1 << 2;
/// `SpanEnding::flags`: `cut` is set.
const HAS_CUT: u8 = 1 << 3;

/// How a serving span ended: `end`, `cut`, and `ended_by` with the [`HAS_END`] and
/// [`HAS_CUT`] bits in `flags` (0 none, then [`ServingEnd`] in declaration order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SpanEnding {
    end: u64,
    cut: u64,
    flags: u8,
}

impl SpanEnding {
    fn new(end: Option<SimTime>, ended_by: Option<ServingEnd>, cut: Option<SimTime>) -> SpanEnding {
        let by = match ended_by {
            None => 0,
            Some(ServingEnd::Unbound) => 1,
            Some(ServingEnd::Exited) => 2,
            Some(ServingEnd::NodeLost) => 3,
        };
        SpanEnding {
            end: end.map_or(0, |t| t.0),
            cut: cut.map_or(0, |t| t.0),
            flags: by | if end.is_some() { HAS_END } else { 0 } | if cut.is_some() { HAS_CUT } else { 0 },
        }
    }

    /// (`end`, `ended_by`, `cut`).
    fn read(self) -> (Option<SimTime>, Option<ServingEnd>, Option<SimTime>) {
        let ended_by = match self.flags & 3 {
            0 => None,
            1 => Some(ServingEnd::Unbound),
            2 => Some(ServingEnd::Exited),
            _ => Some(ServingEnd::NodeLost),
        };
        let end = (self.flags & HAS_END != 0).then_some(SimTime(self.end));
        let cut = (self.flags & HAS_CUT != 0).then_some(SimTime(self.cut));
        (end, ended_by, cut)
    }
}

impl LogRow for SpanEnding {
    const TYPICAL_BYTES: usize = 10;

    fn time(&self) -> SimTime {
        SimTime(self.end)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        // The cut, when there is one, is at or after the end: kept as the difference.
        put(self.cut.wrapping_sub(self.end), out);
        out.push(self.flags);
    }

    fn decode_fields(end: SimTime, bytes: &[u8], at: &mut usize) -> SpanEnding {
        let cut = end.0.wrapping_add(get(bytes, at));
        let flags = bytes[*at];
        *at += 1;
        SpanEnding { end: end.0, cut, flags }
    }
}

/// The serving spans of a run, in the order they began: [`ServingInterval`]s whose begin is
/// logged (and spilled) like the other history, and whose ending (`end`, `ended_by`, `cut`,
/// set while the run goes on) is kept in memory only while it may still change. The recorder
/// says when a span's ending is final ([`ServingLog::settle`]); the endings of the spans
/// before the oldest one still open are logged (and spilled) in turn, so memory holds the
/// endings from the oldest open span on, not one for every span of the run.
#[derive(Clone, Default)]
pub struct ServingLog {
    starts: HistoryLog<SpanStart>,
    /// The endings of the first `settled.len()` spans, each final.
    settled: HistoryLog<SpanEnding>,
    /// The endings of the spans from `settled.len()` on, each with whether it is final.
    recent: std::collections::VecDeque<(SpanEnding, bool)>,
}

// Two logs are equal when they hold the same spans.
compared_by_contents!(ServingLog);

impl ServingLog {
    /// No spans.
    pub fn new() -> ServingLog {
        ServingLog::default()
    }

    /// Forgets every span, keeping the room they took (see [`HistoryLog::clear`]).
    pub fn clear(&mut self) {
        let ServingLog { starts, settled, recent } = self;
        starts.clear();
        settled.clear();
        recent.clear();
    }

    /// Appends a span; its index, for [`ServingLog::set_ending`].
    pub fn push(&mut self, span: ServingInterval) -> usize {
        let ServingInterval { service, task_id, image, start, end, ended_by, cut } = span;
        self.starts.push(SpanStart { service, task_id, image, start });
        self.recent.push_back((SpanEnding::new(end, ended_by, cut), false));
        self.len() - 1
    }

    /// The ending of span `index`, which is not settled.
    fn open(&mut self, index: usize) -> &mut (SpanEnding, bool) {
        let settled = self.settled.len();
        let at = index.checked_sub(settled).filter(|&at| at < self.recent.len());
        let Some(at) = at else { panic!("serving span {index} is settled: its ending no longer changes") };
        &mut self.recent[at]
    }

    /// Sets how the span at `index` ended so far (a span not settled yet).
    pub fn set_ending(
        &mut self,
        index: usize,
        end: Option<SimTime>,
        ended_by: Option<ServingEnd>,
        cut: Option<SimTime>,
    ) {
        self.open(index).0 = SpanEnding::new(end, ended_by, cut);
    }

    /// How the span at `index` (not settled yet) ended so far: (`end`, `ended_by`, `cut`).
    pub fn ending(&mut self, index: usize) -> (Option<SimTime>, Option<ServingEnd>, Option<SimTime>) {
        self.open(index).0.read()
    }

    /// The ending of the span at `index` is final: it is logged once every span before it is.
    pub fn settle(&mut self, index: usize) {
        self.open(index).1 = true;
        while let Some(&(ending, true)) = self.recent.front() {
            self.settled.push(ending);
            self.recent.pop_front();
        }
    }

    /// Spans recorded.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when no span was recorded.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Every span, in the order they began.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ServingInterval> + Clone + '_ {
        Spans { starts: self.starts.iter(), settled: self.settled.iter(), recent: self.recent.iter() }
    }

    /// Bytes the spans take in memory, for the benchmarks' accounting.
    pub fn heap_bytes(&self) -> usize {
        self.starts.heap_bytes()
            + self.settled.heap_bytes()
            + self.recent.capacity() * std::mem::size_of::<(SpanEnding, bool)>()
    }
}

/// The spans of a [`ServingLog`]: each begin with its ending, settled or recent.
#[derive(Clone)]
struct Spans<'a> {
    starts: Rows<'a, SpanStart>,
    settled: Rows<'a, SpanEnding>,
    recent: std::collections::vec_deque::Iter<'a, (SpanEnding, bool)>,
}

impl Iterator for Spans<'_> {
    type Item = ServingInterval;

    fn next(&mut self) -> Option<ServingInterval> {
        let s = self.starts.next()?;
        let ending = match self.settled.next() {
            Some(ending) => ending,
            None => self.recent.next().expect("an ending for every span").0,
        };
        let (end, ended_by, cut) = ending.read();
        Some(ServingInterval {
            service: s.service,
            task_id: s.task_id,
            image: s.image,
            start: s.start,
            end,
            ended_by,
            cut,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.starts.size_hint()
    }
}

impl ExactSizeIterator for Spans<'_> {}

built_by_push!(ServingLog, ServingInterval);

/// A timeline sample as a [`TimelineLog`] keeps it: its service and update state by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SampleRow {
    t: SimTime,
    /// Index into `TimelineLog::services`.
    service: u32,
    /// Index into `TimelineLog::update_states`.
    update_state: u32,
    /// desired, running_old, running_new, healthy_old, healthy_new, starting, stopping, serving.
    counts: [u64; 8],
}

impl LogRow for SampleRow {
    const TYPICAL_BYTES: usize = 14;

    fn time(&self) -> SimTime {
        self.t
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put(u64::from(self.service), out);
        put(u64::from(self.update_state), out);
        for &c in &self.counts {
            put(c, out);
        }
    }

    fn decode_fields(t: SimTime, bytes: &[u8], at: &mut usize) -> SampleRow {
        let service = get(bytes, at) as u32;
        let update_state = get(bytes, at) as u32;
        let mut counts = [0; 8];
        for c in &mut counts {
            *c = get(bytes, at);
        }
        SampleRow { t, service, update_state, counts }
    }
}

/// A run's timeline samples (`timeline.csv`), in the order recorded: logged, and spilled, like
/// the other history, each service name and update state kept once.
#[derive(Clone, Default)]
pub struct TimelineLog {
    rows: HistoryLog<SampleRow>,
    /// The services the rows name, each once (by text).
    services: Vec<Arc<str>>,
    /// The update states the rows name, each once.
    update_states: Vec<&'static str>,
}

// Two timelines are equal when they hold the same samples.
compared_by_contents!(TimelineLog);

impl TimelineLog {
    /// No samples.
    pub fn new() -> TimelineLog {
        TimelineLog::default()
    }

    /// Forgets every sample, keeping the room they took (see [`HistoryLog::clear`]).
    pub fn clear(&mut self) {
        let TimelineLog { rows, services, update_states } = self;
        rows.clear();
        services.clear();
        update_states.clear();
    }

    /// Appends a sample.
    pub fn push(&mut self, sample: TimelineSample) {
        let TimelineSample {
            t,
            desired,
            running_old,
            running_new,
            healthy_old,
            healthy_new,
            starting,
            stopping,
            serving,
            ..
        } = sample;
        let counts = [desired, running_old, running_new, healthy_old, healthy_new, starting, stopping, serving];
        self.push_counts(t, &sample.service, sample.update_state, counts);
    }

    /// Appends a sample given by its parts: `counts` are desired, running_old, running_new,
    /// healthy_old, healthy_new, starting, stopping and serving. The service's name is
    /// borrowed (copied only the first time it is seen), so that the recorder's rows cost no
    /// reference count.
    pub fn push_counts(&mut self, t: SimTime, service: &Arc<str>, update_state: &'static str, counts: [u64; 8]) {
        // A run has a few services and update states, and most rows name one already seen by
        // address (the store's shared name, Docker's literal); the texts are compared only
        // when none is.
        let service = match self.services.iter().rposition(|s| Arc::ptr_eq(s, service)) {
            Some(i) => i,
            None => match self.services.iter().position(|s| s == service) {
                Some(i) => i,
                None => {
                    self.services.push(Arc::clone(service));
                    self.services.len() - 1
                }
            },
        };
        let same_address = |s: &&str| std::ptr::eq(*s, update_state);
        let update_state = match self.update_states.iter().position(same_address) {
            Some(i) => i,
            None => match self.update_states.iter().position(|s| *s == update_state) {
                Some(i) => i,
                None => {
                    self.update_states.push(update_state);
                    self.update_states.len() - 1
                }
            },
        };
        self.rows.push(SampleRow { t, service: service as u32, update_state: update_state as u32, counts });
    }

    /// Samples recorded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every sample, in the order recorded.
    pub fn iter(&self) -> TimelineRows<'_> {
        TimelineRows { log: self, rows: self.rows.iter() }
    }

    /// The samples of `service`, as far as the availability and rollout figures read them
    /// (when, desired, serving), in the order recorded. Rows of other services are skipped by
    /// number before any is built, and no name is copied: a sweep reads one service's figures
    /// from every run, where building each row as a [`TimelineSample`] cost more than the rest
    /// of the figures together.
    pub fn serving_of<'a>(&'a self, service: &str) -> impl Iterator<Item = ServingSample> + 'a {
        // Each service's name is kept once (by text), so one number names all its rows.
        let wanted = self.services.iter().position(|s| **s == *service).map(|i| i as u32);
        self.rows.iter().filter_map(move |row| {
            let [desired, .., serving] = row.counts;
            (Some(row.service) == wanted).then_some(ServingSample { t: row.t, desired, serving })
        })
    }

    /// The samples as a vector.
    pub fn to_vec(&self) -> Vec<TimelineSample> {
        self.iter().collect()
    }

    /// Keeps the samples `keep` says yes to (a record changed by hand: tests, tools; the log
    /// is written anew).
    pub fn retain(&mut self, keep: impl FnMut(&TimelineSample) -> bool) {
        let mut samples = self.to_vec();
        samples.retain(keep);
        *self = samples.into();
    }

    /// Inserts a sample at `index` (a record changed by hand; the log is written anew).
    pub fn insert(&mut self, index: usize, sample: TimelineSample) {
        let mut samples = self.to_vec();
        samples.insert(index, sample);
        *self = samples.into();
    }

    /// Removes the last sample (a record changed by hand; the log is written anew).
    pub fn pop(&mut self) -> Option<TimelineSample> {
        let mut samples = self.to_vec();
        let last = samples.pop();
        *self = samples.into();
        last
    }

    /// Bytes the samples take in memory, for the benchmarks' accounting.
    pub fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
    }
}

/// What [`TimelineLog::serving_of`] gives of one sample: the counts a service's availability
/// is measured by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServingSample {
    /// When the counts took these values.
    pub t: SimTime,
    /// Desired replicas ([`TimelineSample::desired`]).
    pub desired: u64,
    /// Tasks serving ([`TimelineSample::serving`]).
    pub serving: u64,
}

/// The samples of a [`TimelineLog`], decoded one at a time.
#[derive(Clone)]
pub struct TimelineRows<'a> {
    log: &'a TimelineLog,
    rows: Rows<'a, SampleRow>,
}

impl Iterator for TimelineRows<'_> {
    type Item = TimelineSample;

    fn next(&mut self) -> Option<TimelineSample> {
        let row = self.rows.next()?;
        let [desired, running_old, running_new, healthy_old, healthy_new, starting, stopping, serving] = row.counts;
        Some(TimelineSample {
            t: row.t,
            service: self.log.services[row.service as usize].clone(),
            desired,
            running_old,
            running_new,
            healthy_old,
            healthy_new,
            starting,
            stopping,
            serving,
            update_state: self.log.update_states[row.update_state as usize],
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl ExactSizeIterator for TimelineRows<'_> {}

impl<'a> IntoIterator for &'a TimelineLog {
    type Item = TimelineSample;
    type IntoIter = TimelineRows<'a>;

    fn into_iter(self) -> TimelineRows<'a> {
        self.iter()
    }
}

built_by_push!(TimelineLog, TimelineSample);

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

fn encode_time(t: SimTime, prev: SimTime, out: &mut Vec<u8>) {
    // Zig-zag, so that a row earlier than the one before (a record built by hand) still fits.
    let delta = t.0.wrapping_sub(prev.0) as i64;
    put(((delta << 1) ^ (delta >> 63)) as u64, out);
}

fn decode_time(bytes: &[u8], at: &mut usize, prev: SimTime) -> SimTime {
    let zigzag = get(bytes, at);
    let delta = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
    SimTime(prev.0.wrapping_add(delta as u64))
}

impl LogRow for TaskEvent {
    const TYPICAL_BYTES: usize = 16;

    fn time(&self) -> SimTime {
        self.t
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put(u64::from(self.task_id.task_field()), out);
        put(self.slot, out);
        put(u64::from(self.node.0), out);
        put(u64::from(self.service.0), out);
        put(u64::from(self.image.0), out);
        put(u64::from(self.message.0), out);
        out.push(state_code(self.desired_state) << 4 | state_code(self.state));
    }

    fn decode_fields(t: SimTime, bytes: &[u8], at: &mut usize) -> TaskEvent {
        let name = |at: &mut usize| Name(get(bytes, at) as u32);
        let task_id = Name::from_task_field(get(bytes, at) as u32);
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
}

impl LogRow for (SimTime, i64) {
    const TYPICAL_BYTES: usize = 3;

    fn time(&self) -> SimTime {
        self.0
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put(((self.1 << 1) ^ (self.1 >> 63)) as u64, out);
    }

    fn decode_fields(t: SimTime, bytes: &[u8], at: &mut usize) -> (SimTime, i64) {
        let zigzag = get(bytes, at);
        (t, ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64))
    }
}

impl LogRow for ProcessEvent {
    const TYPICAL_BYTES: usize = 5;

    fn time(&self) -> SimTime {
        self.t
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put(u64::from(self.task_id.task_field()), out);
        match self.change {
            ProcessChange::Sigterm => out.push(0),
            ProcessChange::Sigkill => out.push(1),
            ProcessChange::Exited(status) => {
                out.push(2);
                // Zig-zag: a status is any i32 a scenario gives.
                put(u64::from(((status << 1) ^ (status >> 31)) as u32), out);
            }
            ProcessChange::Removed => out.push(3),
            ProcessChange::Deleted => out.push(4),
        }
    }

    fn decode_fields(t: SimTime, bytes: &[u8], at: &mut usize) -> ProcessEvent {
        let task_id = Name::from_task_field(get(bytes, at) as u32);
        let tag = bytes[*at];
        *at += 1;
        let change = match tag {
            0 => ProcessChange::Sigterm,
            1 => ProcessChange::Sigkill,
            3 => ProcessChange::Removed,
            4 => ProcessChange::Deleted,
            _ => {
                let zigzag = get(bytes, at) as u32;
                ProcessChange::Exited(((zigzag >> 1) as i32) ^ -((zigzag & 1) as i32))
            }
        };
        ProcessEvent { t, task_id, change }
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
    fn after_the_first_spill_each_full_block_goes_out_at_once() {
        let rows: Vec<TaskEvent> = (0..(6 * BLOCK_ROWS as u64 + 7)).map(row).collect();
        // Room for two and a half blocks: the third passes the budget and the three go out.
        let block_bytes = {
            let mut one = TaskEventLog::with_resident_budget(usize::MAX);
            rows[..BLOCK_ROWS].iter().for_each(|&r| one.push(r));
            one.resident
        };
        let mut log = TaskEventLog::with_resident_budget(block_bytes * 5 / 2);
        rows[..2 * BLOCK_ROWS].iter().for_each(|&r| log.push(r));
        assert_eq!((log.spilled_blocks(), log.resident > 0), (0, true), "within the budget: in memory");
        rows[2 * BLOCK_ROWS..3 * BLOCK_ROWS].iter().for_each(|&r| log.push(r));
        assert_eq!((log.spilled_blocks(), log.resident), (3, 0), "past it: all written out");
        // Each later block leaves memory as it fills, never filling the budget again.
        for (i, &r) in rows[3 * BLOCK_ROWS..].iter().enumerate() {
            log.push(r);
            assert_eq!(log.resident, 0, "row {i} after the spill");
        }
        assert_eq!(log.spilled_blocks(), 6);
        assert_eq!(log.iter().collect::<Vec<_>>(), rows);
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
    fn process_events_come_back_as_appended_through_the_spill_file() {
        // Every kind of change, exit statuses at both ends of i32, times that go back.
        let rows: Vec<ProcessEvent> = (0..(3 * BLOCK_ROWS as u64 + 9))
            .map(|i| ProcessEvent {
                t: SimTime(if i % 7 == 3 { i } else { i * 5_000_000_000 }),
                task_id: Name(if i % 13 == 0 { u32::MAX } else { (i * 31) as u32 }),
                change: match i % 8 {
                    0 => ProcessChange::Sigterm,
                    1 => ProcessChange::Sigkill,
                    2 => ProcessChange::Exited(0),
                    3 => ProcessChange::Exited(i32::MIN),
                    4 => ProcessChange::Exited(i32::MAX),
                    5 => ProcessChange::Removed,
                    6 => ProcessChange::Deleted,
                    _ => ProcessChange::Exited(-(i as i32)),
                },
            })
            .collect();
        let mut log = ProcessEventLog::with_resident_budget(0);
        rows.iter().for_each(|&r| log.push(r));
        assert_eq!(log.spilled_blocks(), 3);
        assert_eq!(log.iter().collect::<Vec<_>>(), rows);
        let resident: ProcessEventLog = {
            let mut l = ProcessEventLog::with_resident_budget(usize::MAX);
            rows.iter().for_each(|&r| l.push(r));
            l
        };
        assert_eq!(resident, log);
        // Less than the rows would take as they are, tail buffer included.
        assert!(resident.heap_bytes() < rows.len() * std::mem::size_of::<ProcessEvent>());
    }

    #[test]
    fn timeline_samples_come_back_as_appended_with_their_services_and_states() {
        // Two services under names shared or not, every update state and none, counts large
        // and small, more rows than a block.
        let web: Arc<str> = Arc::from("web_web");
        let states = ["", "updating", "paused", "completed", "rollback_started", "rollback_completed"];
        let samples: Vec<TimelineSample> = (0..(2 * BLOCK_ROWS as u64 + 3))
            .map(|i| TimelineSample {
                t: SimTime(i / 2 * 1_000_000),
                service: if i % 3 == 0 { Arc::from("web_db") } else { web.clone() },
                desired: i % 100_000,
                running_old: i,
                running_new: u64::MAX - i,
                healthy_old: i % 7,
                healthy_new: 0,
                starting: i % 2,
                stopping: 1 << 40,
                serving: i % 7,
                update_state: states[(i % 6) as usize],
            })
            .collect();
        let log: TimelineLog = samples.clone().into();
        assert_eq!(log.len(), samples.len());
        assert_eq!(log.to_vec(), samples);
        assert_eq!(log.services.len(), 2, "each service once, by text");
        assert_eq!(log.update_states.len(), 6);
        assert!(log.heap_bytes() < samples.len() * std::mem::size_of::<TimelineSample>() / 2);
        // Changed by hand: the rows stay in order around the change.
        let mut changed = log.clone();
        changed.retain(|s| s.service.as_ref() == "web_web");
        changed.insert(1, samples[0].clone());
        assert_eq!(changed.pop(), samples.iter().rfind(|s| s.service.as_ref() == "web_web").cloned());
        let mut expect: Vec<_> = samples.iter().filter(|s| s.service.as_ref() == "web_web").cloned().collect();
        expect.insert(1, samples[0].clone());
        expect.pop();
        assert_eq!(changed.to_vec(), expect);
        assert_ne!(changed, log);
    }

    #[test]
    fn typical_rows_take_far_less_than_a_task_event() {
        // Rows as a rolling update records them: a few services, images and messages, task ids
        // and slots in the hundreds of thousands, several rows per instant.
        let rows = (0..(10 * BLOCK_ROWS as u64)).map(|i| TaskEvent {
            t: SimTime(i / 4 * 50_000_000),
            service: Name(0),
            task_id: Name::of_task(crate::model::task::TaskId(10 + (i % 200_000) as u32)),
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

    #[test]
    fn a_task_name_in_a_task_id_field_takes_the_bytes_of_its_index() {
        use crate::model::task::TaskId;
        // A task's name has bit 31 set (`Name::of_task`); written as it is, every task id of
        // every row would take the 5 bytes of a number past 2^28.
        let event = |task_id| TaskEvent {
            t: SimTime(7),
            service: Name(0),
            task_id,
            slot: 3,
            node: Name(1),
            image: Name(2),
            desired_state: TaskState::Running,
            state: TaskState::Running,
            message: Name(3),
        };
        let process = |task_id| ProcessEvent { t: SimTime(7), task_id, change: ProcessChange::Sigterm };
        let start = |task_id| SpanStart { service: Name(0), task_id, image: Name(1), start: SimTime(7) };
        fn fields<R: LogRow + PartialEq + std::fmt::Debug>(row: R) -> usize {
            let mut out = Vec::new();
            row.encode_fields(&mut out);
            let mut at = 0;
            assert_eq!(R::decode_fields(row.time(), &out, &mut at), row, "read back");
            assert_eq!(at, out.len());
            out.len()
        }
        // The other fields take a byte each (slot, node, service, image, message, states).
        let (small, large) = (Name::of_task(TaskId(5)), Name::of_task(TaskId(100_000)));
        assert_eq!([fields(event(small)), fields(event(large))], [7, 9], "a task event's task id: 1 and 3 bytes");
        assert_eq!([fields(process(small)), fields(process(large))], [2, 4], "a process event's");
        assert_eq!([fields(start(small)), fields(start(large))], [3, 5], "a serving span's");
        // A shared string in the field (a record built by hand) still reads back.
        for shared in [Name(0), Name(5), Name(u32::MAX)] {
            assert_eq!(fields(event(shared)), 11);
            fields(process(shared));
            fields(start(shared));
        }
    }
}

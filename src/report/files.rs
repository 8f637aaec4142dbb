//! Writes reports so that no reader ever sees half of one: a whole report folder swapped in
//! at once ([`replace_folder`]), or single files renamed into place ([`write_atomically`]).
//!
//! # Report folders
//!
//! [`replace_folder`] writes every file into a fresh hidden sibling of the target,
//! `.<name>.tmp-<pid>-<n>`, syncs it, and then swaps it in. A rename cannot replace a non-empty
//! folder (POSIX `rename(2)` fails with `ENOTEMPTY`, Windows refuses too), so the swap is two
//! renames:
//!
//! 1. the old report folder is renamed aside to `.<name>.old-<pid>-<n>`;
//! 2. the new folder is renamed to the target;
//! 3. entries the caller asked to keep (see [`Folder::carries`]) move from the old folder into
//!    the new one, and the old folder is removed.
//!
//! Between 1 and 2 — two system calls, microseconds — nothing is at the target path: the old
//! complete report is at the aside path. At every other instant the target holds either the old
//! complete report or the new complete one. A run killed at any point leaves at most a hidden
//! staging folder (incomplete, never at the target) and an aside folder (complete); the next
//! write to the same target *recovers*: an aside folder of a process that is no longer running
//! is renamed back to the target if the target is missing (the kill fell between 1 and 2), else
//! its carried entries are moved back and it is removed; a dead process's staging folder is
//! removed. Only names of exactly those two patterns for this target are touched, never
//! anything else in the parent folder.
//!
//! A folder is only ever replaced when everything in it is this kind of report's own (the
//! caller says which names are, [`Folder::owns`]) or kept across the swap: a folder holding
//! anything else is refused ([`WriteError::Foreign`]) before anything is written, so a user's
//! files are never moved or deleted.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporaries of concurrent calls within one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Which entries of an existing report folder belong to the report being replaced.
pub struct Folder<'a> {
    /// Names an earlier report of this kind writes: replaced, with the old folder, by the new
    /// report (so a file the new report no longer writes disappears).
    pub owns: &'a dyn Fn(&str) -> bool,
    /// Names that are not part of the report but live in its folder by design (the default
    /// `shard-I-of-N/` folders of a sweep): moved from the old folder into the new one.
    pub carries: &'a dyn Fn(&str) -> bool,
}

/// Why a report folder was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target holds entries that are not the report's own: nothing was written.
    #[error("'{}' holds files deploysim did not write ({})", .dir.display(), .names.join(", "))]
    Foreign {
        /// The target folder (or file).
        dir: PathBuf,
        /// The foreign entries, sorted (at most a few, then `…`).
        names: Vec<String>,
    },
    /// The target exists but is not a folder (a file, or a symbolic link: renaming a link aside
    /// would leave what it points to stale): nothing was written.
    #[error("'{}' is {what}, not a report folder", .path.display())]
    NotAFolder {
        /// The target.
        path: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Writes `files` as the whole content of the folder `target` (creating its parents), replacing
/// an earlier report there in one swap; see the module documentation for the steps and what a
/// kill at any point leaves. `files` must have plain, distinct names.
pub fn replace_folder<N: AsRef<str>>(
    target: &Path,
    files: &[(N, Vec<u8>)],
    folder: &Folder<'_>,
) -> Result<(), WriteError> {
    for (name, _) in files {
        check_name(name.as_ref())?;
    }
    replace_folder_with(target, folder, |stage| {
        for (name, bytes) in files {
            stage.bytes(name.as_ref(), bytes)?;
        }
        Ok(())
    })
}

/// The staging folder of [`replace_folder_with`]: each file is written into it whole (and
/// synced) before the folder is swapped in, so files can be streamed there as they are made
/// (and read back by later ones) without ever being held.
pub struct Stage<'a> {
    dir: &'a Path,
    /// Files staged so far.
    written: usize,
}

impl Stage<'_> {
    /// Stages a file of `bytes`.
    pub fn bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.stream(name, |file| file.write_all(bytes))
    }

    /// Stages a file that `write` writes as it goes (buffered).
    pub fn stream(&mut self, name: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let file = self.create(name)?;
        write_buffered(file, write)?;
        self.staged();
        Ok(())
    }

    /// [`Stage::stream`] with `write` run on a thread of its own while `meanwhile` runs on
    /// this one (a large run's `events.csv` is written while its plots are drawn), returning
    /// what `meanwhile` made. The file is staged, in order, once both are done; a failure of
    /// `write` is returned after `meanwhile` finished.
    pub fn stream_while<T>(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send,
        meanwhile: impl FnOnce() -> T,
    ) -> io::Result<T> {
        let file = self.create(name)?;
        // The job is taken by whichever thread runs it: the new one, or this one when no
        // thread can be had (a process or thread limit), writing the same bytes in turn.
        let job = std::sync::Mutex::new(Some((file, write)));
        let run = |job: &std::sync::Mutex<Option<(File, _)>>| {
            let taken = job.lock().ok().and_then(|mut j| j.take());
            let (file, write) = taken.ok_or_else(|| io::Error::other("the file was already written"))?;
            write_buffered(file, write)
        };
        let (written, made) =
            std::thread::scope(|scope| match std::thread::Builder::new().spawn_scoped(scope, || run(&job)) {
                Ok(writer) => {
                    let made = meanwhile();
                    (writer.join(), made)
                }
                Err(_) => {
                    let written = run(&job);
                    (Ok(written), meanwhile())
                }
            });
        written.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        self.staged();
        Ok(made)
    }

    /// A new file in the staging folder.
    fn create(&self, name: &str) -> io::Result<File> {
        check_name(name)?;
        OpenOptions::new().write(true).create_new(true).open(self.dir.join(name))
    }

    /// Counts a file as staged.
    fn staged(&mut self) {
        self.written += 1;
        crash_point(&format!("written-{}", self.written));
    }

    /// Where a file staged earlier is, to read it back (until the folder is swapped in).
    pub fn path(&self, name: &str) -> io::Result<PathBuf> {
        check_name(name)?;
        Ok(self.dir.join(name))
    }
}

/// [`replace_folder`] with the files made by `fill` into the staging folder ([`Stage`]) instead
/// of given as bytes: the same checks first, the same swap after, and nothing at the target
/// when `fill` fails (its error is returned, the staging folder removed).
pub fn replace_folder_with<E: From<WriteError>>(
    target: &Path,
    folder: &Folder<'_>,
    fill: impl FnOnce(&mut Stage<'_>) -> Result<(), E>,
) -> Result<(), E> {
    // `--out .` names the current folder: work on its real name, since "." cannot be renamed.
    let target = if target.file_name().is_none() {
        fs::canonicalize(target).map_err(WriteError::from)?
    } else {
        target.to_path_buf()
    };
    let Some(name) = target.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
        let e = io::Error::new(io::ErrorKind::InvalidInput, "the report folder needs a name");
        return Err(WriteError::from(e).into());
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(WriteError::from)?;
    recover(&parent, &name, &target, folder).map_err(WriteError::from)?;
    let existing = check_existing(&target, folder)?;

    let staging = create_unique_dir(&parent, &name, "tmp").map_err(WriteError::from)?;
    let mut stage = Stage { dir: &staging, written: 0 };
    let result = fill(&mut stage).and_then(|()| {
        sync_dir(&staging)
            .and_then(|()| {
                crash_point("staged");
                swap(&parent, &name, &target, &staging, existing, folder)
            })
            .map_err(|e| WriteError::from(e).into())
    });
    if result.is_err() {
        // Best effort: the original error is the one worth reporting; a leftover staging folder
        // is removed by the next run anyway.
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Whether `target` exists and may be replaced: `Err(Foreign)` when it holds anything that is
/// neither the report's own nor carried (or is not a folder).
fn check_existing(target: &Path, folder: &Folder<'_>) -> Result<bool, WriteError> {
    let meta = match fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if !meta.is_dir() {
        let what = if meta.file_type().is_symlink() { "a symbolic link" } else { "a file" };
        return Err(WriteError::NotAFolder { path: target.to_path_buf(), what });
    }
    let mut foreign = Vec::new();
    for entry in fs::read_dir(target)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !((folder.owns)(&name) || (folder.carries)(&name) || is_file_temporary(&name)) {
            foreign.push(name);
        }
    }
    if foreign.is_empty() {
        return Ok(true);
    }
    foreign.sort();
    if foreign.len() > 5 {
        foreign.truncate(5);
        foreign.push("…".into());
    }
    Err(WriteError::Foreign { dir: target.to_path_buf(), names: foreign })
}

/// Puts `staging` at `target`, the old folder (if `existing`) aside first; see the module docs.
fn swap(
    parent: &Path,
    name: &str,
    target: &Path,
    staging: &Path,
    existing: bool,
    folder: &Folder<'_>,
) -> io::Result<()> {
    if !existing {
        fs::rename(staging, target)?;
        crash_point("swapped");
        return sync_dir(parent);
    }
    let aside = unique_path(parent, name, "old");
    fs::rename(target, &aside)?;
    crash_point("aside");
    if let Err(e) = fs::rename(staging, target) {
        // Put the old report back: the target must not stay empty because of our failure.
        let _ = fs::rename(&aside, target);
        return Err(e);
    }
    sync_dir(parent)?;
    crash_point("swapped");
    carry_over(&aside, target, folder)?;
    fs::remove_dir_all(&aside)?;
    sync_dir(parent)
}

/// Moves the entries `folder` carries from the old folder `from` into the new folder `to`
/// (never over an entry the new report has).
fn carry_over(from: &Path, to: &Path, folder: &Folder<'_>) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if (folder.carries)(&name.to_string_lossy()) && !to.join(&name).exists() {
            fs::rename(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// Cleans up after earlier writes of `target` that were killed: see the module documentation.
fn recover(parent: &Path, name: &str, target: &Path, folder: &Folder<'_>) -> io::Result<()> {
    let mut asides = Vec::new();
    let mut stagings = Vec::new();
    for entry in fs::read_dir(parent)? {
        let entry = entry?;
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        match parse_sibling(&entry_name, name) {
            Some(("old", pid)) if !is_running(pid) => asides.push(entry.path()),
            Some(("tmp", pid)) if !is_running(pid) => stagings.push(entry.path()),
            _ => {}
        }
    }
    asides.sort();
    for aside in asides {
        if fs::symlink_metadata(target).is_err() {
            // Killed between the two renames: the aside folder is the last complete report.
            fs::rename(&aside, target)?;
        } else {
            carry_over(&aside, target, folder)?;
            fs::remove_dir_all(&aside)?;
        }
    }
    for staging in stagings {
        fs::remove_dir_all(&staging)?;
    }
    Ok(())
}

/// `Some((kind, pid))` when `entry` is `.<name>.<kind>-<pid>-<n>` (kind `tmp` or `old`).
fn parse_sibling<'a>(entry: &'a str, name: &str) -> Option<(&'a str, u32)> {
    let rest = entry.strip_prefix('.')?.strip_prefix(name)?.strip_prefix('.')?;
    let (kind, rest) = rest.split_once('-')?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(kind == "tmp" || kind == "old") || !digits(pid) || !digits(n) {
        return None;
    }
    Some((kind, pid.parse().ok()?))
}

/// Whether process `pid` may still be writing. This process always is (another thread may be
/// mid-write). Elsewhere `/proc` tells (Linux); without it nothing can be known, so the
/// temporary is treated as stale: the worst a concurrent writer then sees is its own rename
/// failing (an I/O error), never a mixed report.
fn is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && proc.join(pid.to_string()).exists()
}

/// `parent/.<name>.<kind>-<pid>-<n>` for the next `n` (not created).
fn unique_path(parent: &Path, name: &str, kind: &str) -> PathBuf {
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    parent.join(format!(".{name}.{kind}-{}-{n}", std::process::id()))
}

/// Creates a fresh `.<name>.<kind>-<pid>-<n>` folder; `create_dir`, not `create_dir_all`, so a
/// leftover of an earlier process with the same pid is never reused.
fn create_unique_dir(parent: &Path, name: &str, kind: &str) -> io::Result<PathBuf> {
    loop {
        let path = unique_path(parent, name, kind);
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Syncs a folder's entries to disk (so the renames survive a power loss). Only Unix can open a
/// folder for syncing; elsewhere the renames are as durable as the OS makes them.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) { File::open(dir)?.sync_all() } else { Ok(()) }
}

/// A test hook, in debug builds only: `DEPLOYSIM_TEST_CRASH_AT=<point>` ends the process at once
/// with exit code 134 (no unwinding, so none of our clean-up runs, as with `kill -9`; not
/// `abort()`, which may leave a core file in the test's folder) when the write reaches
/// `<point>`: `written-<k>` after the k-th file, `staged`, `aside`, `swapped`. Release binaries
/// never read it (tests/it/report_atomic.rs uses it).
fn crash_point(point: &str) {
    if cfg!(debug_assertions) && std::env::var("DEPLOYSIM_TEST_CRASH_AT").is_ok_and(|p| p == point) {
        std::process::exit(134);
    }
}

/// Creates `dir` (and its parents), then writes each `(name, bytes)` to a temporary file in
/// `dir` and, only once every temporary is complete and synced, renames them into place in the
/// order given. Each rename is atomic, so a reader sees either the old file or the whole new
/// one — but a kill between two renames leaves some files new and some old: use this for one
/// file, or for files in a folder that is not the report's own ([`replace_folder`] otherwise).
/// On any error the temporaries are removed and the error returned; files already renamed
/// stay (they are complete). Temporaries left in `dir` by killed processes are removed first.
/// `name` must be a plain file name (no path separators).
pub fn write_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    for (name, _) in files {
        check_name(name)?;
    }
    fs::create_dir_all(dir)?;
    remove_stale_file_temporaries(dir)?;
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let result = write_all(dir, files, &mut temps).and_then(|()| rename_all(&mut temps));
    if result.is_err() {
        for (temp, _) in &temps {
            // Best effort: the original error is the one worth reporting.
            let _ = fs::remove_file(temp);
        }
    }
    result
}

/// Rejects names that would escape `dir` or are not file names at all.
fn check_name(name: &str) -> io::Result<()> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']) && !name.contains('\0');
    if plain {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidInput, format!("report file name {name:?} is not a plain file name")))
    }
}

/// Writes every temporary, recording each (temp, final) pair as soon as the temp exists so the
/// caller can clean up after a failure.
fn write_all(dir: &Path, files: &[(&str, Vec<u8>)], temps: &mut Vec<(PathBuf, PathBuf)>) -> io::Result<()> {
    for (name, bytes) in files {
        let temp = dir.join(temp_name(name));
        // create_new: never clobber a file someone else owns.
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        temps.push((temp, dir.join(name)));
        write_synced(&mut file, bytes)?;
    }
    Ok(())
}

/// Writes `file` through a buffer with `write`, then syncs it.
fn write_buffered(file: File, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, file);
    write(&mut out)?;
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    write_synced(&mut file, &[])
}

fn write_synced(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    // Synced before the rename, so a crash cannot leave a renamed but empty file.
    file.sync_all()
}

/// Renames temporaries into place, dropping each from `temps` once it is no longer temporary.
fn rename_all(temps: &mut Vec<(PathBuf, PathBuf)>) -> io::Result<()> {
    while let Some((temp, target)) = temps.first() {
        fs::rename(temp, target)?;
        temps.remove(0);
    }
    Ok(())
}

/// A hidden name that cannot collide with a report file or another call's temporary:
/// `.<name>.<pid>-<n>.tmp`.
fn temp_name(name: &str) -> String {
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{}-{n}.tmp", std::process::id())
}

/// The pid of a [`temp_name`], when `name` is one.
fn file_temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once('.')?;
    let (pid, n) = tail.split_once('-')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether `name` is a [`temp_name`] (of any process): part of a report folder's own mess.
fn is_file_temporary(name: &str) -> bool {
    file_temporary_pid(name).is_some()
}

/// Removes the temporaries of killed processes from `dir` (names of [`temp_name`]'s pattern
/// only; each was at most a half-written copy of a report file).
fn remove_stale_file_temporaries(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let stale = file_temporary_pid(&entry.file_name().to_string_lossy()).is_some_and(|pid| !is_running(pid));
        if stale && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    /// A pid that is not running: beyond Linux's pid_max (2^22).
    const DEAD: u32 = 4_194_400;

    #[test]
    fn writes_every_file_and_leaves_no_temporaries() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out/run-1");
        let files = [("summary.json", b"{}\n".to_vec()), ("events.csv", b"t_s\n".to_vec())];
        write_atomically(&dir, &files).unwrap();
        assert_eq!(names_in(&dir), ["events.csv", "summary.json"]);
        assert_eq!(fs::read(dir.join("summary.json")).unwrap(), b"{}\n");
        assert_eq!(fs::read(dir.join("events.csv")).unwrap(), b"t_s\n");
    }

    #[test]
    fn replaces_existing_files_whole() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("a.csv"), b"an older and much longer report\n").unwrap();
        write_atomically(root.path(), &[("a.csv", b"new\n".to_vec())]).unwrap();
        assert_eq!(fs::read(root.path().join("a.csv")).unwrap(), b"new\n");
        assert_eq!(names_in(root.path()), ["a.csv"]);
    }

    #[test]
    fn a_failed_rename_removes_the_temporaries() {
        let root = tempfile::tempdir().unwrap();
        // A non-empty directory where b.csv should go: its rename fails after a.csv's succeeds.
        fs::create_dir(root.path().join("b.csv")).unwrap();
        fs::write(root.path().join("b.csv/keep"), b"x").unwrap();
        let files = [("a.csv", b"a\n".to_vec()), ("b.csv", b"b\n".to_vec()), ("c.csv", b"c\n".to_vec())];
        assert!(write_atomically(root.path(), &files).is_err());
        // No temporaries left, c.csv never renamed, a.csv complete.
        assert_eq!(names_in(root.path()), ["a.csv", "b.csv"]);
        assert_eq!(fs::read(root.path().join("a.csv")).unwrap(), b"a\n");
    }

    #[test]
    fn rejects_names_that_leave_the_directory_before_writing_anything() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        let files = [("ok.csv", b"x".to_vec()), ("../evil.csv", b"x".to_vec())];
        let err = write_atomically(&dir, &files).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!dir.exists());
        assert_eq!(names_in(root.path()), Vec::<String>::new());
    }

    #[test]
    fn stale_file_temporaries_of_dead_processes_are_removed_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let dead = format!(".a.csv.{DEAD}-3.tmp");
        let mine = format!(".a.csv.{}-999999.tmp", std::process::id());
        for name in [dead.as_str(), mine.as_str(), ".a.csv.tmp", "notes.tmp", ".x.12-a.tmp"] {
            fs::write(root.path().join(name), b"x").unwrap();
        }
        write_atomically(root.path(), &[("a.csv", b"new\n".to_vec())]).unwrap();
        let mut want = vec![mine, ".a.csv.tmp".into(), ".x.12-a.tmp".into(), "a.csv".into(), "notes.tmp".into()];
        want.sort();
        assert_eq!(names_in(root.path()), want);
    }

    fn csv_only(name: &str) -> bool {
        name.ends_with(".csv")
    }

    fn shards(name: &str) -> bool {
        name.starts_with("shard-")
    }

    #[test]
    fn a_folder_is_replaced_whole_and_drops_what_the_new_report_does_not_write() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("reports/x");
        let folder = Folder { owns: &csv_only, carries: &shards };
        replace_folder(&dir, &[("a.csv", b"1".to_vec()), ("b.csv", b"1".to_vec())], &folder).unwrap();
        fs::create_dir(dir.join("shard-1-of-2")).unwrap();
        fs::write(dir.join("shard-1-of-2/shard.json"), b"{}").unwrap();
        replace_folder(&dir, &[("a.csv", b"2".to_vec())], &folder).unwrap();
        assert_eq!(names_in(&dir), ["a.csv", "shard-1-of-2"]);
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"2");
        assert_eq!(fs::read(dir.join("shard-1-of-2/shard.json")).unwrap(), b"{}");
        // Nothing hidden left beside it.
        assert_eq!(names_in(&root.path().join("reports")), ["x"]);
    }

    #[test]
    fn a_folder_with_foreign_files_is_refused_untouched() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("mine");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("a.csv"), b"old").unwrap();
        fs::write(dir.join("thesis.tex"), b"precious").unwrap();
        let folder = Folder { owns: &csv_only, carries: &shards };
        let err = replace_folder(&dir, &[("a.csv", b"new".to_vec())], &folder).unwrap_err();
        assert!(matches!(&err, WriteError::Foreign { names, .. } if names == &["thesis.tex"]), "{err:?}");
        assert_eq!(names_in(&dir), ["a.csv", "thesis.tex"]);
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"old");
        assert_eq!(names_in(root.path()), ["mine"], "no staging folder left");
        // A file where the folder should be is refused too, and kept.
        let file = root.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = replace_folder::<&str>(&file, &[], &folder).unwrap_err();
        assert_eq!(err.to_string(), format!("'{}' is a file, not a report folder", file.display()));
        assert_eq!(fs::read(&file).unwrap(), b"x");
    }

    #[test]
    fn leftovers_of_a_killed_write_are_recovered_and_only_ours_are_touched() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("x");
        let folder = Folder { owns: &csv_only, carries: &shards };
        // Killed between the two renames: no target, the old report aside.
        let aside = root.path().join(format!(".x.old-{DEAD}-0"));
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("a.csv"), b"old").unwrap();
        fs::create_dir(aside.join("shard-1-of-1")).unwrap();
        let staging = root.path().join(format!(".x.tmp-{DEAD}-1"));
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("a.csv"), b"half").unwrap();
        // Look-alikes that are not ours, and a live process's staging folder.
        let live = format!(".x.tmp-{}-77777", std::process::id());
        for other in [".x.tmp-12", ".y.tmp-1-1", ".x.old-1-z", live.as_str()] {
            fs::create_dir(root.path().join(other)).unwrap();
        }
        recover(root.path(), "x", &dir, &folder).unwrap();
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"old", "the aside report is back at the target");
        let mut want = vec![live.clone(), ".x.old-1-z".into(), ".x.tmp-12".into(), ".y.tmp-1-1".into(), "x".into()];
        want.sort();
        assert_eq!(names_in(root.path()), want);

        // Killed after the swap: the new report in place, the old aside still holding a shard.
        fs::create_dir(&aside).unwrap();
        fs::create_dir(aside.join("shard-2-of-2")).unwrap();
        fs::write(aside.join("a.csv"), b"older").unwrap();
        replace_folder(&dir, &[("a.csv", b"new".to_vec())], &folder).unwrap();
        assert_eq!(names_in(&dir), ["a.csv", "shard-1-of-1", "shard-2-of-2"]);
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"new");
        assert!(!aside.exists());
    }

    #[test]
    fn sibling_names_parse_only_our_pattern() {
        assert_eq!(parse_sibling(".run.tmp-12-3", "run"), Some(("tmp", 12)));
        assert_eq!(parse_sibling(".run.old-12-0", "run"), Some(("old", 12)));
        assert_eq!(parse_sibling(".run.tmp-12-3", "ru"), None);
        assert_eq!(parse_sibling(".a.b.tmp-1-1", "a"), None, "another target's (a.b)");
        assert_eq!(parse_sibling(".a.b.tmp-1-1", "a.b"), Some(("tmp", 1)));
        assert_eq!(parse_sibling(".run.new-1-1", "run"), None);
        assert_eq!(parse_sibling(".run.tmp-1-", "run"), None);
        assert_eq!(parse_sibling("run.tmp-1-1", "run"), None);
    }
}

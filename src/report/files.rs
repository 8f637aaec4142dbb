//! Writes a set of report files so that none is ever seen half-written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporaries of concurrent calls within one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Creates `dir` (and its parents), then writes each `(name, bytes)` to a temporary file in
/// `dir` and, only once every temporary is complete and synced, renames them into place in the
/// order given. Each rename is atomic, so a reader sees either the old file or the whole new
/// one. On any error the temporaries are removed and the error returned; files already renamed
/// stay (they are complete). `name` must be a plain file name (no path separators).
pub fn write_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    for (name, _) in files {
        check_name(name)?;
    }
    fs::create_dir_all(dir)?;
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

/// A hidden name that cannot collide with a report file or another call's temporary.
fn temp_name(name: &str) -> String {
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{}-{n}.tmp", std::process::id())
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
}

//! Durable file writes, the one way auditlake puts state on a local disk.
//!
//! - [`write_atomic`] replaces a file: the bytes go to a temporary file in the same directory
//!   (named `.{name}.{pid}.{n}.tmp`, unique within the process and across processes), which is
//!   synced (`sync_data`), renamed over the target, and the directory is synced. After a crash
//!   the file holds its old or its new content, never a mix; once it returns, the new content
//!   survives a power loss.
//! - [`Appender`] appends records to a log file (dead letters): the file's creation is made
//!   durable by syncing its directory, and [`Appender::sync`] makes the appended bytes durable.
//! - [`rename`] and [`quarantine`] move a file and sync the directories involved.
//!
//! Names starting with `.` and ending with `.tmp` are this crate's temporary files; a crash
//! may leave one behind, and [`is_temp_name`] tells a cleanup which ones are safe to remove.
//! Every error is returned, the directory sync's included.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells the temporary files of one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The longest part of the target's own name kept in its temporary file's name.
const TEMP_NAME_MAX: usize = 160;

/// Replaces `path` with `data` durably, creating missing parent directories (durably too).
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    create_dirs(parent_of(path))?;
    write_atomic_in_existing_dir(path, data)
}

/// [`write_atomic`] without creating directories: fails with `NotFound` when the parent
/// directory is missing (a caller racing a concurrent delete can create it and try again).
pub fn write_atomic_in_existing_dir(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = parent_of(path);
    let tmp = temp_path(dir, path);
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_data()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Whether a file name is one of the temporary files [`write_atomic`] writes.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Creates `dir` and its missing ancestors, syncing the parent of each directory created, so
/// that the directories survive a crash as well as the files written into them.
pub fn create_dirs(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut current = dir;
    while !current.as_os_str().is_empty() && !current.is_dir() {
        missing.push(current);
        match current.parent() {
            Some(p) => current = p,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        match fs::create_dir(d) {
            Ok(()) => sync_dir(parent_of(d))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fsyncs a directory so that creations, renames and removals in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Renames `from` to `to` and syncs the directories of both.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    let (a, b) = (parent_of(from), parent_of(to));
    sync_dir(b)?;
    if a != b {
        sync_dir(a)?;
    }
    Ok(())
}

/// Moves a damaged file aside to `<name>.corrupt-<UTC time>` and returns the new path.
pub fn quarantine(path: &Path) -> io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{stamp}"));
    let target = path.with_file_name(name);
    rename(path, &target)?;
    Ok(target)
}

/// A log file records are appended to, opened on the first write.
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Appender {
    pub fn new(path: &Path) -> Appender {
        Appender {
            path: path.to_path_buf(),
            out: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends bytes (buffered). The first write opens the file, creating it and its directory
    /// durably when missing.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let out = match &mut self.out {
            Some(out) => out,
            None => self.out.insert(BufWriter::new(open_append(&self.path)?)),
        };
        out.write_all(bytes)
    }

    /// Flushes and fsyncs what was written.
    pub fn sync(&mut self) -> io::Result<()> {
        if let Some(out) = self.out.as_mut() {
            out.flush()?;
            out.get_ref().sync_data()?;
        }
        Ok(())
    }
}

/// Appends `bytes` to `path` and syncs them: [`Appender`] for a single record.
pub fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut a = Appender::new(path);
    a.write(bytes)?;
    a.sync()
}

fn open_append(path: &Path) -> io::Result<File> {
    let dir = parent_of(path);
    create_dirs(dir)?;
    match OpenOptions::new().append(true).open(path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let f = OpenOptions::new().create(true).append(true).open(path)?;
            sync_dir(dir)?;
            Ok(f)
        }
        Err(e) => Err(e),
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let mut end = name.len().min(TEMP_NAME_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{}.{}.{n}.tmp", &name[..end], std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(names(p.parent().unwrap()), ["state.json"]);
    }

    #[test]
    fn temp_names_are_unique_and_recognised() {
        let dir = Path::new("/d");
        let a = temp_path(dir, Path::new("/d/x.json"));
        let b = temp_path(dir, Path::new("/d/x.json"));
        assert_ne!(a, b);
        for t in [&a, &b] {
            assert!(is_temp_name(&t.file_name().unwrap().to_string_lossy()));
        }
        assert!(!is_temp_name("x.json"));
    }

    #[test]
    fn concurrent_writers_of_one_file_do_not_collide() {
        // A fixed temp name let two writers of one file rename each other's half-written temp.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        std::thread::scope(|s| {
            for i in 0..4u8 {
                let p = &p;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_atomic(p, &[i; 4096]).unwrap();
                    }
                });
            }
        });
        let data = fs::read(&p).unwrap();
        assert_eq!(data.len(), 4096);
        assert!(data.iter().all(|&b| b == data[0]));
        assert_eq!(names(dir.path()), ["state.json"]);
    }

    #[test]
    fn write_into_a_missing_directory_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic_in_existing_dir(&dir.path().join("gone/x"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(names(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn errors_are_returned_not_swallowed() {
        // The target's directory is a file: every step must fail, none silently.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), b"").unwrap();
        assert!(write_atomic(&dir.path().join("f/x"), b"x").is_err());
        assert!(append(&dir.path().join("f/x"), b"x").is_err());
    }

    #[test]
    fn appends_accumulate_across_appenders() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dl/letters.jsonl");
        let mut a = Appender::new(&p);
        a.write(b"one\n").unwrap();
        a.write(b"two\n").unwrap();
        a.sync().unwrap();
        append(&p, b"three\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "one\ntwo\nthree\n");
    }

    #[test]
    fn quarantine_moves_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        fs::write(&p, b"garbage").unwrap();
        let q = quarantine(&p).unwrap();
        assert!(!p.exists());
        assert_eq!(fs::read(&q).unwrap(), b"garbage");
        assert!(
            q.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("x.json.corrupt-")
        );
    }
}

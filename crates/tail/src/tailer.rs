//! Following files as they grow, rotate, get truncated, deleted and recreated.

use std::path::{Path, PathBuf};

use crate::{
    FileGlobs, FileId, FilePosition, Fingerprint, Line, LineReader, TailError, fingerprint_file,
};

/// What happened to the set of followed files in a scan: for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailEvent {
    /// A file is followed from `offset`.
    Added { path: PathBuf, offset: u64 },
    /// A followed file now has another path (rename rotation); it is read to its end.
    Renamed { from: PathBuf, to: PathBuf },
    /// A followed file shrank or its first line changed (copytruncate, truncation): it is read
    /// again from the start.
    Truncated { path: PathBuf },
    /// A followed file no longer matches (deleted, or rotated out of the globs): it was read to
    /// its end through the open handle and let go.
    Released { path: PathBuf },
    /// A file could not be opened or read; it is tried again on the next scan.
    Error { path: PathBuf, message: String },
}

/// Options of a [`Tailer`].
#[derive(Debug, Clone)]
pub struct TailerOptions {
    /// Lines longer than this are cut and flagged.
    pub max_line_bytes: usize,
    /// Files present at the first scan that have no checkpoint start at their end.
    pub start_at_end: bool,
}

#[derive(Debug)]
struct Followed {
    reader: LineReader,
    fingerprint: Fingerprint,
    file_id: FileId,
    path: PathBuf,
    /// Seen at the last scan under some matching path.
    present: bool,
}

/// Follows the files a set of globs names. Files are known by device and inode while open, and
/// by the fingerprint of their first line across restarts, so that a renamed file is not read
/// twice and a recreated or truncated one is not skipped.
///
/// A file that disappears from the globs (deleted, or rotated to a name the globs do not match)
/// is read to its end through its open handle before it is let go.
#[derive(Debug)]
pub struct Tailer {
    globs: FileGlobs,
    opts: TailerOptions,
    files: Vec<Followed>,
    scanned_once: bool,
    /// Offsets reached in files that were truncated or let go, by fingerprint: a copy made by
    /// copytruncate has the old content's fingerprint and resumes where reading stood, even
    /// before a checkpoint recorded it.
    recent: Vec<(u64, u64)>,
}

/// How many let-go fingerprints [`Tailer`] remembers.
const RECENT_MAX: usize = 256;

/// Where reading resumes for a file: the checkpoint's answer for a fingerprint and file id.
pub trait Resume {
    fn offset(&self, fingerprint: u64, file_id: FileId) -> Option<u64>;
}

impl<F: Fn(u64, FileId) -> Option<u64>> Resume for F {
    fn offset(&self, fingerprint: u64, file_id: FileId) -> Option<u64> {
        self(fingerprint, file_id)
    }
}

impl Tailer {
    pub fn new(globs: FileGlobs, opts: TailerOptions) -> Tailer {
        Tailer {
            globs,
            opts,
            files: Vec::new(),
            scanned_once: false,
            recent: Vec::new(),
        }
    }

    /// The number of files followed.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The directories the globs read from, to watch for changes.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        self.globs.base_dirs()
    }

    /// Re-expands the globs and reconciles the followed files with what is on disk.
    pub fn scan(&mut self, resume: &dyn Resume) -> Vec<TailEvent> {
        let mut events = Vec::new();
        for f in &mut self.files {
            f.present = false;
        }
        for path in self.globs.expand() {
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) => continue, // vanished since the listing
            };
            let file_id = FileId::of(&meta);
            if let Some(i) = self.files.iter().position(|f| f.file_id == file_id) {
                self.files[i].present = true;
                if self.files[i].path != path {
                    events.push(TailEvent::Renamed {
                        from: std::mem::replace(&mut self.files[i].path, path.clone()),
                        to: path.clone(),
                    });
                }
                if let Err(e) = self.check_truncation(i, meta.len(), &mut events) {
                    events.push(TailEvent::Error {
                        path,
                        message: e.to_string(),
                    });
                }
                continue;
            }
            match self.open_new(&path, resume) {
                Ok(Some((followed, truncated))) => {
                    if truncated {
                        events.push(TailEvent::Truncated { path: path.clone() });
                    }
                    events.push(TailEvent::Added {
                        path,
                        offset: followed.reader.offset(),
                    });
                    self.files.push(followed);
                }
                Ok(None) => {}
                Err(e) => events.push(TailEvent::Error {
                    path,
                    message: e.to_string(),
                }),
            }
        }
        self.scanned_once = true;
        events
    }

    /// Opens a file not followed yet. `None` while its first line is incomplete.
    fn open_new(
        &self,
        path: &Path,
        resume: &dyn Resume,
    ) -> Result<Option<(Followed, bool)>, TailError> {
        let mut file = std::fs::File::open(path).map_err(|e| TailError::io(path, e))?;
        let meta = file.metadata().map_err(|e| TailError::io(path, e))?;
        let file_id = FileId::of(&meta);
        let Some(fingerprint) = fingerprint_file(&mut file, path)? else {
            return Ok(None);
        };
        let remembered = self
            .recent
            .iter()
            .rev()
            .find(|(fp, _)| *fp == fingerprint.hash)
            .map(|&(_, o)| o);
        let known = match (resume.offset(fingerprint.hash, file_id), remembered) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let (offset, truncated) = match known {
            Some(o) if o <= meta.len() => (o, false),
            Some(_) => (0, true),
            None if !self.scanned_once && self.opts.start_at_end => (meta.len(), false),
            None => (0, false),
        };
        let reader = LineReader::from_file(file, path, offset, self.opts.max_line_bytes)?;
        Ok(Some((
            Followed {
                reader,
                fingerprint,
                file_id,
                path: path.to_path_buf(),
                present: true,
            },
            truncated,
        )))
    }

    /// A followed file that shrank below the read offset, or whose first line changed, was
    /// truncated (copytruncate) or rewritten in place: read it again from the start.
    fn check_truncation(
        &mut self,
        i: usize,
        len: u64,
        events: &mut Vec<TailEvent>,
    ) -> Result<(), TailError> {
        let f = &mut self.files[i];
        let shrank = len < f.reader.offset();
        let rewritten = if shrank {
            false
        } else {
            let mut file = std::fs::File::open(&f.path).map_err(|e| TailError::io(&f.path, e))?;
            fingerprint_file(&mut file, &f.path)?.is_some_and(|fp| fp != f.fingerprint)
        };
        if !shrank && !rewritten {
            return Ok(());
        }
        events.push(TailEvent::Truncated {
            path: f.path.clone(),
        });
        let (old_fp, old_offset) = (f.fingerprint.hash, f.reader.offset());
        remember(&mut self.recent, old_fp, old_offset);
        let f = &mut self.files[i];
        let mut file = std::fs::File::open(&f.path).map_err(|e| TailError::io(&f.path, e))?;
        match fingerprint_file(&mut file, &f.path)? {
            Some(fp) => {
                f.fingerprint = fp;
                f.reader = LineReader::from_file(file, &f.path, 0, self.opts.max_line_bytes)?;
            }
            None => {
                // Empty after truncation: follow it again once it has a first line.
                self.files.remove(i);
            }
        }
        Ok(())
    }

    /// Reads up to `budget` lines from the followed files, oldest file first, passing each to
    /// `on_line` with the file's fingerprint and path. Files gone from the globs are let go once
    /// read to their end. Returns the number of lines read.
    pub fn read(
        &mut self,
        budget: usize,
        events: &mut Vec<TailEvent>,
        mut on_line: impl FnMut(u64, &Path, &Line<'_>),
    ) -> Result<usize, TailError> {
        let mut n = 0;
        let mut i = 0;
        while i < self.files.len() {
            let f = &mut self.files[i];
            while n < budget {
                match f.reader.next_line()? {
                    Some(line) => {
                        on_line(f.fingerprint.hash, &f.path, &line);
                        n += 1;
                    }
                    None => break,
                }
            }
            if n >= budget {
                break;
            }
            if !f.present && f.reader.at_eof() {
                events.push(TailEvent::Released {
                    path: f.path.clone(),
                });
                let (fp, offset) = (f.fingerprint.hash, f.reader.offset());
                remember(&mut self.recent, fp, offset);
                self.files.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(n)
    }

    /// The position of every followed file: what a checkpoint records.
    pub fn positions(&self) -> Vec<FilePosition> {
        self.files
            .iter()
            .map(|f| FilePosition {
                fingerprint: f.fingerprint.hash,
                file_id: f.file_id,
                path: f.path.display().to_string(),
                offset: f.reader.offset(),
            })
            .collect()
    }
}

fn remember(recent: &mut Vec<(u64, u64)>, fingerprint: u64, offset: u64) {
    recent.retain(|(fp, _)| *fp != fingerprint);
    recent.push((fingerprint, offset));
    if recent.len() > RECENT_MAX {
        recent.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    /// Follows `dir/app.log*`, remembering positions like a checkpoint would.
    struct Harness {
        dir: tempfile::TempDir,
        tailer: Tailer,
        checkpoint: HashMap<u64, u64>,
        got: Vec<String>,
    }

    impl Harness {
        fn new() -> Harness {
            let dir = tempfile::tempdir().unwrap();
            let tailer = Self::tailer(dir.path());
            Harness {
                dir,
                tailer,
                checkpoint: HashMap::new(),
                got: Vec::new(),
            }
        }

        fn tailer(dir: &Path) -> Tailer {
            let globs = FileGlobs::new(&[format!("{}/app.log*", dir.display())], &[]).unwrap();
            Tailer::new(
                globs,
                TailerOptions {
                    max_line_bytes: 1024,
                    start_at_end: false,
                },
            )
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn append(&self, name: &str, text: &str) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(name))
                .unwrap();
            f.write_all(text.as_bytes()).unwrap();
        }

        fn poll(&mut self) -> Vec<TailEvent> {
            let cp = self.checkpoint.clone();
            let resume = move |fp: u64, _id: FileId| cp.get(&fp).copied();
            let mut events = self.tailer.scan(&resume);
            let got = &mut self.got;
            self.tailer
                .read(usize::MAX, &mut events, |_, _, line| {
                    got.push(String::from_utf8_lossy(line.bytes).into_owned())
                })
                .unwrap();
            for p in self.tailer.positions() {
                self.checkpoint.insert(p.fingerprint, p.offset);
            }
            events
        }

        /// A crash and restart: a new tailer with only the checkpoint.
        fn restart(&mut self) {
            self.tailer = Self::tailer(self.dir.path());
        }

        fn take(&mut self) -> Vec<String> {
            std::mem::take(&mut self.got)
        }
    }

    #[test]
    fn rename_rotation_reads_the_old_file_to_its_end_and_the_new_one_whole() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        h.poll();
        h.append("app.log", "a3\n");
        std::fs::rename(h.path("app.log"), h.path("app.log.1")).unwrap();
        h.append("app.log.1", "a4\n");
        h.append("app.log", "b1\n");
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Renamed { .. })),
            "{events:?}"
        );
        assert_eq!(h.take(), ["a1", "a2", "a3", "a4", "b1"]);
    }

    #[test]
    fn rotation_out_of_the_globs_is_drained_then_released() {
        let mut h = Harness::new();
        h.append("app.log", "a1\n");
        h.poll();
        h.append("app.log", "a2\n");
        std::fs::rename(h.path("app.log"), h.dir.path().join("old")).unwrap();
        h.append("app.log", "b1\n");
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Released { .. })),
            "{events:?}"
        );
        assert_eq!(h.take(), ["a1", "a2", "b1"]);
        assert_eq!(h.tailer.file_count(), 1);
    }

    #[test]
    fn copytruncate_is_detected_and_the_new_content_read() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\na3\n");
        h.poll();
        std::fs::copy(h.path("app.log"), h.dir.path().join("copy")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(h.path("app.log"))
            .unwrap();
        h.append("app.log", "b1\n");
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Truncated { .. })),
            "{events:?}"
        );
        assert_eq!(h.take(), ["a1", "a2", "a3", "b1"]);
    }

    #[test]
    fn copytruncate_copy_resumes_where_reading_stood_before_any_checkpoint() {
        // Symptom: the copy was read from the last checkpoint, duplicating lines.
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        let cp = h.checkpoint.clone();
        h.poll();
        h.checkpoint = cp; // nothing checkpointed yet
        h.append("app.log", "a3\n");
        std::fs::copy(h.path("app.log"), h.path("app.log.1")).unwrap();
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        let mut got = h.take();
        got.sort();
        assert_eq!(got, ["a1", "a2", "a3", "b1"]);
    }

    #[test]
    fn truncation_that_regrew_past_the_offset_is_caught_by_the_fingerprint() {
        let mut h = Harness::new();
        h.append("app.log", "a1\n");
        h.poll();
        std::fs::write(h.path("app.log"), "b1 longer first line\nb2\n").unwrap();
        h.poll();
        assert_eq!(h.take(), ["a1", "b1 longer first line", "b2"]);
    }

    #[test]
    fn delete_and_recreate_reads_the_new_file_from_the_start() {
        let mut h = Harness::new();
        h.append("app.log", "a1\n");
        h.poll();
        h.append("app.log", "a2\n");
        std::fs::remove_file(h.path("app.log")).unwrap();
        h.append("app.log", "b1\n");
        h.poll();
        assert_eq!(h.take(), ["a1", "a2", "b1"]);
    }

    #[test]
    fn partial_line_is_held_until_its_newline() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2 par");
        h.poll();
        assert_eq!(h.take(), ["a1"]);
        h.append("app.log", "tial\n");
        h.poll();
        assert_eq!(h.take(), ["a2 partial"]);
    }

    #[test]
    fn restart_resumes_at_the_checkpoint_including_a_rotated_file() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        h.poll();
        h.append("app.log", "a3\n");
        std::fs::rename(h.path("app.log"), h.path("app.log.1")).unwrap();
        h.append("app.log", "b1\n");
        h.restart();
        h.poll();
        let mut got = h.take();
        got.sort();
        assert_eq!(got, ["a1", "a2", "a3", "b1"]);
    }

    #[test]
    fn file_without_a_complete_first_line_waits() {
        let mut h = Harness::new();
        h.append("app.log", "no newline yet");
        h.poll();
        assert_eq!(h.tailer.file_count(), 0);
        h.append("app.log", "\nnext\n");
        h.poll();
        assert_eq!(h.take(), ["no newline yet", "next"]);
    }
}

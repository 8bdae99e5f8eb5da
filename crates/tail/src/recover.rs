//! Finding a file again by its identity once its name no longer says where it is: a file
//! rotated to a name the globs do not match while the tailer was not running, or the copy that
//! copytruncate made of content the tailer had not finished.
//!
//! The search looks at the regular files of the directories the globs cover (and the directory
//! the file was last seen in): first for the same device and inode with the same fingerprint (a
//! rename), then for another file with the fingerprint that holds at least the bytes already read
//! (a copy). What cannot be found is reported as a [`Loss`], never dropped silently.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::{FileId, fingerprint_file};

/// Content the tailer has lost track of and looks for.
#[derive(Debug, Clone)]
pub(crate) struct Gone {
    pub fingerprint: u64,
    pub file_id: FileId,
    /// The path it was last read under.
    pub path: PathBuf,
    /// The first byte not yet delivered.
    pub offset: u64,
    /// Its size when last seen, if known.
    pub size: Option<u64>,
    /// Its file was seen truncated by this tailer (rather than found missing after a restart).
    pub seen_truncated: bool,
}

/// Why unread bytes of a file are lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LossReason {
    /// No file in the directories the globs cover has the file's identity (device and inode with
    /// the same first line, or a copy with its first line): deleted, moved away, or compressed
    /// (logrotate's `app.log.1.gz`) before it was read to its end.
    NotFound,
    /// The file was seen truncated (shorter than the offset reading stood at, or its first line
    /// changed under the tailer) and no copy of the old content was found.
    Truncated,
}

impl LossReason {
    /// The reason as it is written in the loss ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::NotFound => "not_found",
            LossReason::Truncated => "truncated",
        }
    }
}

/// Bytes of a file that were never read and never will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The path the file was last read under.
    pub path: PathBuf,
    /// The file's fingerprint hash.
    pub fingerprint: u64,
    pub file_id: FileId,
    /// The first byte that was not delivered.
    pub offset: u64,
    /// The file's size when it was last seen (`None`: not recorded, a checkpoint of an older
    /// version). Bytes `offset..size` are lost, and whatever was appended after it was last seen.
    pub size: Option<u64>,
    pub reason: LossReason,
}

impl Loss {
    /// The bytes known lost (`size - offset`), `None` when the size is not known. A lower bound:
    /// what the application appended after the file was last seen cannot be counted.
    pub fn lost_bytes(&self) -> Option<u64> {
        self.size.map(|s| s.saturating_sub(self.offset))
    }

    pub(crate) fn of(gone: &Gone, reason: LossReason) -> Loss {
        Loss {
            path: gone.path.clone(),
            fingerprint: gone.fingerprint,
            file_id: gone.file_id,
            offset: gone.offset,
            size: gone.size,
            reason,
        }
    }
}

/// The outcome of a search.
#[derive(Debug)]
pub(crate) enum Search {
    /// Found, and opened.
    Found { path: PathBuf, file: File },
    /// No file has the identity (its device and inode may hold other content now: truncated in
    /// place, or given to a new file; the two cannot be told apart).
    Gone,
    /// A candidate could not be read: look again at the next scan.
    Unknown,
}

/// The regular files of some directories, with their fingerprints read once, when first needed.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    files: Vec<Candidate>,
}

#[derive(Debug)]
struct Candidate {
    path: PathBuf,
    file_id: FileId,
    len: u64,
    /// `None` until read; then the fingerprint hash (`Ok(None)`: no complete first line).
    fingerprint: Option<Result<Option<u64>, ()>>,
    /// `None` until read; whether the file is gzip-compressed (its size then says nothing of
    /// its content's length).
    gzip: Option<bool>,
}

impl Candidates {
    /// Lists the regular files (and links to regular files) directly in `dirs`. A directory that
    /// cannot be listed holds no candidates; `Err` names one that exists but cannot be read, so
    /// that nothing is declared lost on a partial view.
    pub fn list(dirs: &BTreeSet<PathBuf>) -> Result<Candidates, PathBuf> {
        let mut files = Vec::new();
        for dir in dirs {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(_) => return Err(dir.clone()),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if meta.is_file() {
                    files.push(Candidate {
                        path,
                        file_id: FileId::of(&meta),
                        len: meta.len(),
                        fingerprint: None,
                        gzip: None,
                    });
                }
            }
        }
        Ok(Candidates { files })
    }

    /// Looks for `gone` among the candidates that are not followed already.
    pub fn search(&mut self, gone: &Gone, followed: &[FileId]) -> Search {
        let mut unknown = false;
        // Same inode first: a rename is the common case and needs no other file read.
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| self.files[i].file_id != gone.file_id);
        for i in order {
            let c = &mut self.files[i];
            let same_inode = c.file_id == gone.file_id;
            if followed.contains(&c.file_id) {
                continue;
            }
            if !same_inode && c.len < gone.offset {
                // Too short to hold what was read, unless compressed.
                let gzip = *c.gzip.get_or_insert_with(|| {
                    File::open(&c.path).is_ok_and(|f| crate::gzip::is_gzip(&f).unwrap_or(false))
                });
                if !gzip {
                    continue;
                }
            }
            let fingerprint = *c
                .fingerprint
                .get_or_insert_with(|| read_fingerprint(&c.path).map(|(fp, _)| fp));
            match fingerprint {
                Err(()) => unknown = true,
                Ok(Some(fp)) if fp == gone.fingerprint => {
                    // Open it for good, and make sure it is still the file that was listed.
                    match read_fingerprint(&c.path) {
                        Ok((Some(fp), Some(file)))
                            if fp == gone.fingerprint
                                && file.metadata().is_ok_and(|m| FileId::of(&m) == c.file_id) =>
                        {
                            // A compressed copy must hold at least what was read; one still
                            // being written is looked at again at the next scan.
                            if !same_inode && crate::gzip::is_gzip(&file).unwrap_or(false) {
                                match crate::gzip::content_len(&file) {
                                    Ok(n) if n >= gone.offset => {}
                                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                                        unknown = true;
                                        continue;
                                    }
                                    // Shorter, or not valid gzip: not a copy of it.
                                    _ => continue,
                                }
                            }
                            return Search::Found {
                                path: c.path.clone(),
                                file,
                            };
                        }
                        _ => unknown = true,
                    }
                }
                Ok(_) => {}
            }
        }
        if unknown {
            Search::Unknown
        } else {
            Search::Gone
        }
    }
}

/// Opens a file and reads its fingerprint hash.
fn read_fingerprint(path: &Path) -> Result<(Option<u64>, Option<File>), ()> {
    let mut file = File::open(path).map_err(|_| ())?;
    let fp = fingerprint_file(&mut file, path).map_err(|_| ())?;
    Ok((fp.map(|f| f.hash), Some(file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gone(path: &Path, offset: u64) -> Gone {
        let meta = std::fs::metadata(path).unwrap();
        let mut f = File::open(path).unwrap();
        Gone {
            fingerprint: fingerprint_file(&mut f, path).unwrap().unwrap().hash,
            file_id: FileId::of(&meta),
            path: path.to_path_buf(),
            offset,
            size: Some(meta.len()),
            seen_truncated: false,
        }
    }

    fn dirs(dir: &Path) -> BTreeSet<PathBuf> {
        [dir.to_path_buf()].into()
    }

    #[test]
    fn renamed_file_is_found_by_its_inode() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app.log");
        std::fs::write(&app, "a1\na2\n").unwrap();
        let g = gone(&app, 3);
        std::fs::rename(&app, dir.path().join("app.log.3300")).unwrap();
        std::fs::write(&app, "b1\n").unwrap();
        let mut c = Candidates::list(&dirs(dir.path())).unwrap();
        match c.search(&g, &[]) {
            Search::Found { path, .. } => assert_eq!(path, dir.path().join("app.log.3300")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn copy_is_found_by_its_fingerprint_and_a_short_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app.log");
        std::fs::write(&app, "a1\na2\na3\n").unwrap();
        let g = gone(&app, 6);
        std::fs::write(dir.path().join("short"), "a1\n").unwrap();
        std::fs::copy(&app, dir.path().join("app.log.1")).unwrap();
        std::fs::write(&app, "b1\n").unwrap();
        let mut c = Candidates::list(&dirs(dir.path())).unwrap();
        let followed = [FileId::of(&std::fs::metadata(&app).unwrap())];
        match c.search(&g, &followed) {
            Search::Found { path, .. } => assert_eq!(path, dir.path().join("app.log.1")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deleted_or_rewritten_file_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app.log");
        std::fs::write(&app, "a1\na2\n").unwrap();
        let g = gone(&app, 3);
        let mut c = Candidates::list(&dirs(dir.path())).unwrap();
        std::fs::write(&app, "other\n").unwrap();
        assert!(matches!(c.search(&g, &[]), Search::Gone));
        std::fs::remove_file(&app).unwrap();
        let mut c = Candidates::list(&dirs(dir.path())).unwrap();
        assert!(matches!(c.search(&g, &[]), Search::Gone));
    }

    #[test]
    fn lost_bytes_are_size_minus_offset_or_unknown() {
        let mut l = Loss {
            path: PathBuf::from("/x"),
            fingerprint: 1,
            file_id: FileId::default(),
            offset: 10,
            size: Some(25),
            reason: LossReason::NotFound,
        };
        assert_eq!(l.lost_bytes(), Some(15));
        l.size = None;
        assert_eq!(l.lost_bytes(), None);
        assert_eq!(LossReason::Truncated.as_str(), "truncated");
    }
}

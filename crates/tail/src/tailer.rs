//! Following files as they grow, rotate, get truncated, deleted and recreated.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::recover::{Candidates, Gone, Search};
use crate::{
    FileGlobs, FileId, FilePosition, Fingerprint, Line, LineReader, Loss, LossReason, TailError,
    fingerprint_file, fingerprint_open_file,
};

/// What happened to the set of followed files in a scan: for metrics and logs, and, for
/// [`TailEvent::Released`] and [`TailEvent::Lost`], for the checkpoint to forget the file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TailEvent {
    /// A file is followed from `offset`.
    Added { path: PathBuf, offset: u64 },
    /// A followed file now has another path (rename rotation); it is read to its end.
    Renamed { from: PathBuf, to: PathBuf },
    /// A followed file shrank or its first line changed (copytruncate, truncation): it is read
    /// again from the start.
    Truncated { path: PathBuf },
    /// A file the checkpoint knows, that the globs no longer name (rotated while the tailer was
    /// not running), or the copy of a truncated file's old content, was found again by its
    /// identity under `path`: it is read from `offset` to its end, then released.
    Found {
        checkpointed: PathBuf,
        path: PathBuf,
        offset: u64,
    },
    /// The tailer is done with the file of this fingerprint: it left the globs (deleted or
    /// rotated away) and was read to its end through its open handle, or its old content was
    /// truncated away with nothing known unread. Its checkpoint entry can go.
    Released {
        path: PathBuf,
        fingerprint: u64,
        file_id: FileId,
    },
    /// Bytes that were never read and never will be (see [`Loss`]). Its checkpoint entry can go.
    Lost(Loss),
    /// A file the globs name has no complete first line yet (so no identity): it is not read
    /// until it has one.
    Waiting { path: PathBuf },
    /// A file the globs name begins as a followed file does, under another device and inode: a
    /// copy of it (copytruncate's, made before it truncates the original, or a backup). It is
    /// not read while the original is followed, so no line is read twice; once the original is
    /// seen truncated, the copy is read on from where reading of the original stood. Reported
    /// once per file.
    Copy { path: PathBuf, of: PathBuf },
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
    /// The end of a file ends its last line (`--once`): a last line without a newline is
    /// delivered flagged `unterminated` instead of being held until its newline comes.
    pub end_of_file_ends_line: bool,
}

#[derive(Debug)]
struct Followed {
    reader: LineReader,
    fingerprint: Fingerprint,
    file_id: FileId,
    path: PathBuf,
    /// The file's size at the last scan (of its decompressed content, for a compressed file).
    size: u64,
    /// Compressed: its content never changes, its end ends its last line, and once read to its
    /// end its handle is closed (it stays followed, so that its position stays checkpointed).
    sealed: bool,
    /// Seen at the last scan under some matching path.
    present: bool,
}

/// Follows the files a set of globs names. Files are known by device and inode while open, and
/// by the fingerprint of their first line across restarts, so that a renamed file is not read
/// twice and a recreated or truncated one is not skipped.
///
/// A file that disappears from the globs (deleted, or rotated to a name the globs do not match)
/// is read to its end through its open handle before it is let go. A file the checkpoint knows
/// that left the globs while no tailer ran is looked for by its identity in the directories the
/// globs cover and read to its end too; where it cannot be found, the loss is reported.
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
    /// Fingerprints released or lost by this tailer whose checkpoint entry may still be there:
    /// not looked for again.
    done: Vec<u64>,
    /// Old content of files seen truncated, to look for (a copy) at the end of the scan.
    truncated: Vec<Gone>,
    /// Copies of followed files already reported ([`TailEvent::Copy`]).
    copies: Vec<FileId>,
}

/// What opening a file not followed yet found.
enum Opened {
    Followed(Followed),
    /// No complete first line yet.
    Waiting,
    /// The same first line as the followed file at this path, another device and inode.
    CopyOf(PathBuf),
}

/// How many let-go fingerprints [`Tailer`] remembers.
const RECENT_MAX: usize = 256;

/// The checkpoint's position for a fingerprint, preferring the entry of the same device and
/// inode.
pub fn checkpointed(
    checkpoint: &[FilePosition],
    fingerprint: u64,
    file_id: FileId,
) -> Option<&FilePosition> {
    checkpoint
        .iter()
        .filter(|p| p.fingerprint == fingerprint)
        .max_by_key(|p| p.file_id == file_id)
}

impl Tailer {
    pub fn new(globs: FileGlobs, opts: TailerOptions) -> Tailer {
        Tailer {
            globs,
            opts,
            files: Vec::new(),
            scanned_once: false,
            recent: Vec::new(),
            done: Vec::new(),
            truncated: Vec::new(),
            copies: Vec::new(),
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

    /// Re-expands the globs and reconciles the followed files with what is on disk, then looks
    /// for every file of `checkpoint` that is neither followed nor named by the globs any more.
    pub fn scan(&mut self, checkpoint: &[FilePosition]) -> Vec<TailEvent> {
        let mut events = Vec::new();
        for f in &mut self.files {
            f.present = false;
        }
        let listing = self.globs.walk();
        let mut copies = Vec::new();
        for path in &listing.matched {
            let meta = match std::fs::metadata(path) {
                Ok(m) => m,
                Err(_) => continue, // vanished since the listing
            };
            let file_id = FileId::of(&meta);
            if let Some(i) = self.files.iter().position(|f| f.file_id == file_id) {
                self.files[i].present = true;
                if self.files[i].path != *path {
                    events.push(TailEvent::Renamed {
                        from: std::mem::replace(&mut self.files[i].path, path.clone()),
                        to: path.clone(),
                    });
                }
                if self.files[i].sealed {
                    continue;
                }
                if let Err(e) = self.check_truncation(i, meta.len(), &mut events) {
                    events.push(TailEvent::Error {
                        path: path.clone(),
                        message: e.to_string(),
                    });
                }
                continue;
            }
            match self.open_new(path, checkpoint, &mut events) {
                Ok(Opened::Followed(followed)) => {
                    events.push(TailEvent::Added {
                        path: path.clone(),
                        offset: followed.reader.offset(),
                    });
                    self.files.push(followed);
                }
                Ok(Opened::Waiting) => events.push(TailEvent::Waiting { path: path.clone() }),
                Ok(Opened::CopyOf(of)) => {
                    if !self.copies.contains(&file_id) {
                        events.push(TailEvent::Copy {
                            path: path.clone(),
                            of,
                        });
                    }
                    copies.push(file_id);
                }
                Err(e) => events.push(TailEvent::Error {
                    path: path.clone(),
                    message: e.to_string(),
                }),
            }
        }
        // Files that left the globs are read to their end through their handle: check first that
        // they were not truncated meanwhile, or the end would be read from the wrong content.
        let mut i = self.files.len();
        while i > 0 {
            i -= 1;
            if self.files[i].present || self.files[i].sealed {
                continue;
            }
            let Some(file) = self.files[i].reader.file() else {
                continue;
            };
            let len = file.metadata().map(|m| m.len());
            let checked = match len {
                Ok(len) => self.check_truncation(i, len, &mut events),
                Err(e) => Err(TailError::io(&self.files[i].path, e)),
            };
            if let Err(e) = checked {
                events.push(TailEvent::Error {
                    path: self.files[i].path.clone(),
                    message: e.to_string(),
                });
            }
        }
        self.copies = copies;
        self.recover(checkpoint, &listing, &mut events);
        self.scanned_once = true;
        events
    }

    /// The offset reading of `fingerprint` reached: the checkpoint's, or further where this
    /// tailer read further in a file it let go (truncated or released).
    fn known_offset(&self, checkpoint: Option<u64>, fingerprint: u64) -> Option<u64> {
        let remembered = self
            .recent
            .iter()
            .rev()
            .find(|(fp, _)| *fp == fingerprint)
            .map(|&(_, o)| o);
        [checkpoint, remembered].into_iter().flatten().max()
    }

    /// Opens a file not followed yet. `None` while its first line is incomplete.
    fn open_new(
        &self,
        path: &Path,
        checkpoint: &[FilePosition],
        events: &mut Vec<TailEvent>,
    ) -> Result<Opened, TailError> {
        let mut file = std::fs::File::open(path).map_err(|e| TailError::io(path, e))?;
        let meta = file.metadata().map_err(|e| TailError::io(path, e))?;
        let file_id = FileId::of(&meta);
        let Some(fingerprint) = fingerprint_file(&mut file, path)? else {
            return Ok(Opened::Waiting);
        };
        let Some(len) = content_len(&file, &meta, path)? else {
            return Ok(Opened::Waiting);
        };
        if let Some(original) = self
            .files
            .iter()
            .find(|f| f.fingerprint.hash == fingerprint.hash && f.file_id != file_id)
        {
            return Ok(Opened::CopyOf(original.path.clone()));
        }
        let entry = checkpointed(checkpoint, fingerprint.hash, file_id);
        let offset = match self.known_offset(entry.map(|p| p.offset), fingerprint.hash) {
            Some(o) if o <= len => o,
            Some(_) => {
                // Shrank below where reading stood: truncated and rewritten with the same first
                // line. What was unread before the truncation is gone.
                events.push(TailEvent::Truncated {
                    path: path.to_path_buf(),
                });
                if let Some(p) = entry
                    && p.offset > len
                {
                    events.push(TailEvent::Lost(Loss {
                        path: PathBuf::from(&p.path),
                        fingerprint: p.fingerprint,
                        file_id: p.file_id,
                        offset: p.offset,
                        size: p.size,
                        reason: LossReason::Truncated,
                    }));
                }
                0
            }
            None if !self.scanned_once && self.opts.start_at_end => len,
            None => 0,
        };
        let reader = LineReader::from_file(file, path, offset, self.opts.max_line_bytes)?;
        Ok(Opened::Followed(Followed {
            sealed: reader.is_compressed(),
            reader,
            fingerprint,
            file_id,
            path: path.to_path_buf(),
            size: len,
            present: true,
        }))
    }

    /// A followed file that shrank below the read offset, or whose first line changed, was
    /// truncated (copytruncate) or rewritten in place: read it again from the start, through
    /// the handle already open (the path may name it no more). Its old content is looked for (a
    /// copy) at the end of the scan.
    fn check_truncation(
        &mut self,
        i: usize,
        len: u64,
        events: &mut Vec<TailEvent>,
    ) -> Result<(), TailError> {
        let f = &mut self.files[i];
        let Some(file) = f.reader.file() else {
            return Ok(());
        };
        let shrank = len < f.reader.offset();
        let rewritten =
            !shrank && fingerprint_open_file(file, &f.path)?.is_some_and(|fp| fp != f.fingerprint);
        if !shrank && !rewritten {
            f.size = len;
            return Ok(());
        }
        events.push(TailEvent::Truncated {
            path: f.path.clone(),
        });
        let old = Gone {
            fingerprint: f.fingerprint.hash,
            file_id: f.file_id,
            path: f.path.clone(),
            offset: f.reader.offset(),
            size: Some(f.size.max(f.reader.offset())),
            seen_truncated: true,
        };
        remember(&mut self.recent, old.fingerprint, old.offset);
        self.truncated.push(old);
        let f = &mut self.files[i];
        let Some(file) = f.reader.file() else {
            return Ok(());
        };
        let file = file.try_clone().map_err(|e| TailError::io(&f.path, e))?;
        match fingerprint_open_file(&file, &f.path)? {
            Some(fp) => {
                f.fingerprint = fp;
                f.size = len;
                f.reader = LineReader::from_file(file, &f.path, 0, self.opts.max_line_bytes)?;
            }
            None => {
                // Empty after truncation: follow it again once it has a first line.
                self.files.remove(i);
            }
        }
        Ok(())
    }

    /// Looks for what the tailer lost track of: the old content of files seen truncated in this
    /// scan, and every checkpointed file that is neither followed nor done with. Each is found
    /// (and followed from its offset, to be read to its end and released) or reported lost.
    fn recover(
        &mut self,
        checkpoint: &[FilePosition],
        listing: &crate::Listing,
        events: &mut Vec<TailEvent>,
    ) {
        self.done
            .retain(|fp| checkpoint.iter().any(|p| p.fingerprint == *fp));
        let mut wanted = std::mem::take(&mut self.truncated);
        for p in checkpoint {
            let fp = p.fingerprint;
            if self.files.iter().any(|f| f.fingerprint.hash == fp)
                || self.done.contains(&fp)
                || wanted.iter().any(|g| g.fingerprint == fp)
            {
                continue;
            }
            wanted.push(Gone {
                fingerprint: fp,
                file_id: p.file_id,
                path: PathBuf::from(&p.path),
                offset: self.known_offset(Some(p.offset), fp).unwrap_or(p.offset),
                size: p.size,
                seen_truncated: false,
            });
        }
        // Content found followed in the meantime (a copy the globs name) is not looked for.
        wanted.retain(|g| {
            !self
                .files
                .iter()
                .any(|f| f.fingerprint.hash == g.fingerprint)
        });
        if wanted.is_empty() {
            return;
        }
        let mut dirs: BTreeSet<PathBuf> = listing.dirs.iter().cloned().collect();
        dirs.extend(self.globs.base_dirs());
        dirs.extend(
            wanted
                .iter()
                .filter_map(|g| g.path.parent().map(Path::to_path_buf)),
        );
        let mut candidates = match Candidates::list(&dirs) {
            Ok(c) => c,
            Err(dir) => {
                events.push(TailEvent::Error {
                    path: dir,
                    message: "cannot list the directory to find rotated files".into(),
                });
                // Look again at the next scan.
                self.truncated = wanted.into_iter().filter(|g| g.seen_truncated).collect();
                return;
            }
        };
        let matched: BTreeSet<&PathBuf> = listing.matched.iter().collect();
        for g in wanted {
            let followed: Vec<FileId> = self.files.iter().map(|f| f.file_id).collect();
            match candidates.search(&g, &followed) {
                Search::Found { path, file } => {
                    let present = matched.contains(&path);
                    match self.follow_found(&g, &path, file, present, events) {
                        Ok(()) => events.push(TailEvent::Found {
                            checkpointed: g.path.clone(),
                            path,
                            offset: g.offset,
                        }),
                        Err(e) => {
                            events.push(TailEvent::Error {
                                path,
                                message: e.to_string(),
                            });
                            if g.seen_truncated {
                                self.truncated.push(g);
                            }
                        }
                    }
                }
                Search::Unknown => {
                    if g.seen_truncated {
                        self.truncated.push(g);
                    }
                }
                Search::Gone => {
                    let reason = if g.seen_truncated {
                        LossReason::Truncated
                    } else {
                        LossReason::NotFound
                    };
                    let loss = Loss::of(&g, reason);
                    self.done.push(g.fingerprint);
                    events.push(if worth_reporting(&loss, g.seen_truncated) {
                        TailEvent::Lost(loss)
                    } else {
                        TailEvent::Released {
                            path: g.path,
                            fingerprint: g.fingerprint,
                            file_id: g.file_id,
                        }
                    });
                }
            }
        }
    }

    /// Follows a file found again by its identity, from where its reading stood; a file that is
    /// shorter than that was truncated in place and is read again from the start.
    fn follow_found(
        &mut self,
        g: &Gone,
        path: &Path,
        file: std::fs::File,
        present: bool,
        events: &mut Vec<TailEvent>,
    ) -> Result<(), TailError> {
        let meta = file.metadata().map_err(|e| TailError::io(path, e))?;
        let len = content_len(&file, &meta, path)?.ok_or_else(|| {
            TailError::io(
                path,
                std::io::Error::other("compressed file not complete yet"),
            )
        })?;
        let mut offset = g.offset;
        if offset > len {
            events.push(TailEvent::Truncated {
                path: path.to_path_buf(),
            });
            let loss = Loss::of(g, LossReason::Truncated);
            if worth_reporting(&loss, g.seen_truncated) {
                events.push(TailEvent::Lost(loss));
            }
            offset = 0;
        }
        let mut file = file;
        let fingerprint = fingerprint_file(&mut file, path)?.ok_or_else(|| {
            TailError::io(
                path,
                std::io::Error::other("first line changed while opening"),
            )
        })?;
        let reader = LineReader::from_file(file, path, offset, self.opts.max_line_bytes)?;
        self.files.push(Followed {
            sealed: reader.is_compressed(),
            reader,
            fingerprint,
            file_id: FileId::of(&meta),
            path: path.to_path_buf(),
            size: len,
            present,
        });
        Ok(())
    }

    /// Reads up to `budget` lines from the followed files, oldest file first, passing each to
    /// `on_line` with the file's fingerprint and path. Files gone from the globs are let go once
    /// read to their end, their last line delivered even without its newline (flagged
    /// `unterminated`). Returns the number of lines read.
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
            let released = !f.present && f.reader.at_eof();
            if released || self.opts.end_of_file_ends_line || f.sealed {
                if let Some(line) = f.reader.take_unterminated() {
                    on_line(f.fingerprint.hash, &f.path, &line);
                    n += 1;
                }
            }
            if f.sealed {
                f.reader.close_if_done();
            }
            if released {
                events.push(TailEvent::Released {
                    path: f.path.clone(),
                    fingerprint: f.fingerprint.hash,
                    file_id: f.file_id,
                });
                let (fp, offset) = (f.fingerprint.hash, f.reader.offset());
                remember(&mut self.recent, fp, offset);
                self.done.push(fp);
                self.files.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(n)
    }

    /// Bytes of partial last lines held back, waiting for their newline.
    pub fn pending_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.reader.pending_bytes()).sum()
    }

    /// The position of every followed file, with its size now: what a checkpoint records.
    pub fn positions(&self) -> Vec<FilePosition> {
        self.files
            .iter()
            .map(|f| {
                let size = match f.reader.file() {
                    Some(file) if !f.sealed => file.metadata().map_or(f.size, |m| m.len()),
                    _ => f.size,
                };
                FilePosition {
                    fingerprint: f.fingerprint.hash,
                    file_id: f.file_id,
                    path: f.path.display().to_string(),
                    offset: f.reader.offset(),
                    size: Some(size),
                }
            })
            .collect()
    }
}

/// The length of a file's content: its size, or for a compressed file the length of its
/// decompressed content; `None` while a compressed file is not complete (still being written).
fn content_len(
    file: &std::fs::File,
    meta: &std::fs::Metadata,
    path: &Path,
) -> Result<Option<u64>, TailError> {
    let io = |e| TailError::io(path, e);
    if !crate::gzip::is_gzip(file).map_err(io)? {
        return Ok(Some(meta.len()));
    }
    match crate::gzip::content_len(file) {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(io(crate::gzip::invalid(e))),
    }
}

/// Whether content given up on is reported lost. Content that went while no tailer ran is, always:
/// what the file held beyond its last known size is unknowable. A truncation this tailer saw is a
/// loss only where it had not read up to the size it last saw.
fn worth_reporting(loss: &Loss, seen_by_this_tailer: bool) -> bool {
    !seen_by_this_tailer || loss.lost_bytes().is_none_or(|n| n > 0)
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
    use std::io::Write;

    /// Follows `dir/app.log*`, remembering positions like a checkpoint would.
    struct Harness {
        dir: tempfile::TempDir,
        tailer: Tailer,
        checkpoint: Vec<FilePosition>,
        got: Vec<String>,
        lost: Vec<Loss>,
        once: bool,
        exclude: Vec<String>,
    }

    /// What the agent does at a flush: forget what the tailer is done with, record the rest.
    fn commit(
        checkpoint: &mut Vec<FilePosition>,
        events: &[TailEvent],
        positions: Vec<FilePosition>,
    ) {
        for e in events {
            if let TailEvent::Released { fingerprint, .. }
            | TailEvent::Lost(Loss { fingerprint, .. }) = e
            {
                checkpoint.retain(|p| p.fingerprint != *fingerprint);
            }
        }
        for pos in positions {
            checkpoint.retain(|p| p.fingerprint != pos.fingerprint);
            checkpoint.push(pos);
        }
    }

    impl Harness {
        fn new() -> Harness {
            let dir = tempfile::tempdir().unwrap();
            let tailer = Self::tailer(dir.path(), false, &[]);
            Harness {
                dir,
                tailer,
                checkpoint: Vec::new(),
                got: Vec::new(),
                lost: Vec::new(),
                once: false,
                exclude: Vec::new(),
            }
        }

        /// Follows `dir/app.log*` but not the names `exclude` matches.
        fn excluding(exclude: &[&str]) -> Harness {
            let mut h = Harness::new();
            h.exclude = exclude.iter().map(|e| e.to_string()).collect();
            h.restart();
            h
        }

        fn tailer(dir: &Path, once: bool, exclude: &[String]) -> Tailer {
            let globs = FileGlobs::new(&[format!("{}/app.log*", dir.display())], exclude).unwrap();
            Tailer::new(
                globs,
                TailerOptions {
                    max_line_bytes: 1024,
                    start_at_end: false,
                    end_of_file_ends_line: once,
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
            let mut events = self.tailer.scan(&self.checkpoint);
            let got = &mut self.got;
            self.tailer
                .read(usize::MAX, &mut events, |_, _, line| {
                    let mut text = String::from_utf8_lossy(line.bytes).into_owned();
                    if line.unterminated {
                        text.push_str(" (unterminated)");
                    }
                    got.push(text)
                })
                .unwrap();
            commit(&mut self.checkpoint, &events, self.tailer.positions());
            for e in &events {
                if let TailEvent::Lost(l) = e {
                    self.lost.push(l.clone());
                }
            }
            events
        }

        /// A crash and restart: a new tailer with only the checkpoint.
        fn restart(&mut self) {
            self.tailer = Self::tailer(self.dir.path(), self.once, &self.exclude);
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
    fn copytruncate_copy_seen_before_the_truncation_is_read_once() {
        // Symptom: the copy, seen while the original was still followed, was read from the
        // checkpoint's offset as a second file, and its lines were delivered twice.
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        let cp = h.checkpoint.clone();
        h.poll();
        h.checkpoint = cp; // read, not checkpointed yet
        h.append("app.log", "a3\n");
        std::fs::copy(h.path("app.log"), h.path("app.log.1")).unwrap();
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Copy { path, .. } if path.ends_with("app.log.1"))),
            "{events:?}"
        );
        assert_eq!(h.take(), ["a1", "a2", "a3"]);
        // reported once, not at every scan
        assert!(!h.poll().iter().any(|e| matches!(e, TailEvent::Copy { .. })));
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        h.poll();
        assert_eq!(h.take(), ["b1"]);
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

    #[test]
    fn file_renamed_out_of_the_globs_while_down_is_found_by_inode_and_read_to_its_end() {
        // Symptom: after a restart the rotated name no longer matched, its tail was never read.
        let mut h = Harness::new();
        h.append("app.log", "a1\n");
        h.poll();
        h.restart();
        h.append("app.log", "a2\na3\n");
        std::fs::rename(h.path("app.log"), h.path("old.3300")).unwrap();
        h.append("app.log", "b1\n");
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Found { offset: 3, .. })),
            "{events:?}"
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Released { .. })),
            "{events:?}"
        );
        let mut got = h.take();
        got.sort();
        assert_eq!(got, ["a1", "a2", "a3", "b1"]);
        assert!(h.lost.is_empty());
        // Released: forgotten by the checkpoint, never looked for again.
        assert_eq!(h.checkpoint.len(), 1);
        std::fs::remove_file(h.path("old.3300")).unwrap();
        h.restart();
        h.poll();
        assert!(h.take().is_empty());
        assert!(h.lost.is_empty(), "{:?}", h.lost);
    }

    #[test]
    fn copytruncate_while_down_reads_the_copy_from_the_checkpoint() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        h.poll();
        h.restart();
        h.append("app.log", "a3\n");
        std::fs::copy(h.path("app.log"), h.path("copy")).unwrap();
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        let mut got = h.take();
        got.sort();
        assert_eq!(got, ["a1", "a2", "a3", "b1"]);
        assert!(h.lost.is_empty(), "{:?}", h.lost);
        assert_eq!(h.checkpoint.len(), 1);
    }

    #[test]
    fn file_deleted_while_down_is_reported_lost_with_offset_and_size() {
        let mut h = Harness::new();
        h.append("app.log", "a1\npartial");
        h.poll();
        h.restart();
        std::fs::remove_file(h.path("app.log")).unwrap();
        h.append("app.log", "b1\n");
        h.poll();
        assert_eq!(h.take(), ["a1", "b1"]);
        assert_eq!(h.lost.len(), 1, "{:?}", h.lost);
        let l = &h.lost[0];
        assert_eq!((l.offset, l.size, l.lost_bytes()), (3, Some(10), Some(7)));
        assert_eq!(l.reason, LossReason::NotFound);
        assert_eq!(l.path, h.path("app.log"));
        // Reported once, and forgotten.
        h.poll();
        h.restart();
        h.poll();
        assert_eq!(h.lost.len(), 1);
    }

    #[test]
    fn copytruncate_while_down_without_the_copy_is_a_loss() {
        let mut h = Harness::new();
        h.append("app.log", "a1\npart");
        h.poll();
        h.restart();
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        assert_eq!(h.take(), ["a1", "b1"]);
        assert_eq!(h.lost.len(), 1, "{:?}", h.lost);
        assert_eq!(h.lost[0].reason, LossReason::NotFound);
        assert_eq!(h.lost[0].lost_bytes(), Some(4));
    }

    #[test]
    fn truncation_seen_live_with_everything_read_is_not_a_loss() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\n");
        h.poll();
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        assert_eq!(h.take(), ["a1", "a2", "b1"]);
        assert!(h.lost.is_empty(), "{:?}", h.lost);
        assert_eq!(h.checkpoint.len(), 1);
    }

    #[test]
    fn copytruncate_live_with_the_copy_outside_the_globs_reads_the_copy() {
        let mut h = Harness::new();
        h.append("app.log", "a1\n");
        h.poll();
        h.append("app.log", "a2\n");
        std::fs::copy(h.path("app.log"), h.path("old.1")).unwrap();
        std::fs::write(h.path("app.log"), "b1\n").unwrap();
        h.poll();
        let mut got = h.take();
        got.sort();
        assert_eq!(got, ["a1", "a2", "b1"]);
        assert!(h.lost.is_empty(), "{:?}", h.lost);
    }

    #[test]
    fn released_file_delivers_its_unterminated_tail() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2 no newline");
        h.poll();
        assert_eq!(h.take(), ["a1"]);
        std::fs::rename(h.path("app.log"), h.path("old.1")).unwrap();
        h.poll();
        assert_eq!(h.take(), ["a2 no newline (unterminated)"]);
        assert_eq!(h.tailer.file_count(), 0);
    }

    #[test]
    fn end_of_file_ends_the_line_once_and_a_later_newline_starts_a_new_one() {
        let mut h = Harness::new();
        h.once = true;
        h.restart();
        h.append("app.log", "a1\na2 par");
        h.poll();
        assert_eq!(h.take(), ["a1", "a2 par (unterminated)"]);
        h.restart();
        h.poll();
        assert!(h.take().is_empty());
        h.append("app.log", "tial\na3\n");
        h.restart();
        h.poll();
        assert_eq!(h.take(), ["tial", "a3"]);
    }

    #[test]
    fn positions_record_the_size_beyond_a_held_partial_line() {
        let mut h = Harness::new();
        h.append("app.log", "a1\npar");
        h.poll();
        let p = &h.checkpoint[0];
        assert_eq!((p.offset, p.size), (3, Some(6)));
        assert_eq!(h.tailer.pending_bytes(), 3);
    }

    #[test]
    fn truncated_while_down_below_the_offset_is_read_again_and_the_unread_part_reported() {
        let mut h = Harness::new();
        h.append("app.log", "a1\na2\npart");
        h.poll();
        h.restart();
        // Same first line, shorter than where reading stood: truncated and rewritten.
        std::fs::write(h.path("app.log"), "a1\n").unwrap();
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Truncated { .. })),
            "{events:?}"
        );
        assert_eq!(h.take(), ["a1", "a2", "a1"]);
        assert_eq!(h.lost.len(), 1, "{:?}", h.lost);
        assert_eq!(h.lost[0].reason, LossReason::Truncated);
        assert_eq!((h.lost[0].offset, h.lost[0].lost_bytes()), (6, Some(4)));
    }

    /// logrotate renamed the file and compressed it while the agent was down: the unread end is
    /// read from the compressed file (it was reported lost before, as `not_found`).
    #[test]
    fn file_rotated_and_compressed_while_down_is_read_on_from_its_checkpoint() {
        for exclude in [&[][..], &["*.gz"][..]] {
            // Named by the globs, or outside them (found by its first line).
            let mut h = Harness::excluding(exclude);
            h.append("app.log", "a1\na2\n");
            h.poll();
            assert_eq!(h.take(), ["a1", "a2"]);
            h.restart();
            h.append("app.log", "a3\na4");
            let old = std::fs::read(h.path("app.log")).unwrap();
            std::fs::remove_file(h.path("app.log")).unwrap();
            std::fs::write(h.path("app.log.1.gz"), crate::gzip::compress(&old)).unwrap();
            h.append("app.log", "b1\n");
            h.poll();
            let mut got = h.take();
            got.sort();
            assert_eq!(got, ["a3", "a4 (unterminated)", "b1"], "{exclude:?}");
            assert!(h.lost.is_empty(), "{:?}", h.lost);
            // Read once: not again after another restart.
            h.restart();
            h.poll();
            assert!(h.take().is_empty());
            assert!(h.lost.is_empty(), "{:?}", h.lost);
        }
    }

    #[test]
    fn compressed_file_is_read_whole_once_its_end_ending_its_last_line() {
        let mut h = Harness::new();
        std::fs::write(
            h.path("app.log.2.gz"),
            crate::gzip::compress(b"{\"Records\":[1]}\n{\"Records\":[2]}"),
        )
        .unwrap();
        h.poll();
        assert_eq!(
            h.take(),
            ["{\"Records\":[1]}", "{\"Records\":[2]} (unterminated)"]
        );
        // Its position is the decompressed length, and stays checkpointed while it is there.
        assert_eq!(h.checkpoint.len(), 1);
        assert_eq!(h.checkpoint[0].offset, 31);
        assert_eq!(h.checkpoint[0].size, Some(31));
        h.poll();
        h.restart();
        h.poll();
        assert!(h.take().is_empty());
        // Deleted, it is released.
        std::fs::remove_file(h.path("app.log.2.gz")).unwrap();
        let events = h.poll();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Released { .. })),
            "{events:?}"
        );
        assert!(h.checkpoint.is_empty() && h.lost.is_empty());
    }

    #[test]
    fn compressed_file_still_being_written_is_read_once_complete() {
        let mut h = Harness::new();
        let text = "c1\n".repeat(5000);
        let gz = crate::gzip::compress(text.as_bytes());
        std::fs::write(h.path("app.log.1.gz"), &gz[..gz.len() / 2]).unwrap();
        let events = h.poll();
        assert!(h.take().is_empty());
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TailEvent::Waiting { .. })),
            "{events:?}"
        );
        std::fs::write(h.path("app.log.1.gz"), &gz).unwrap();
        h.poll();
        assert_eq!(h.take().len(), 5000);
    }

    #[test]
    fn corrupt_compressed_file_is_an_error_naming_it() {
        let mut h = Harness::new();
        let mut gz = crate::gzip::compress(b"c1\nc2\n");
        let n = gz.len();
        gz[n - 6] ^= 0xff;
        std::fs::write(h.path("app.log.1.gz"), &gz).unwrap();
        let events = h.poll();
        let message = events
            .iter()
            .find_map(|e| match e {
                TailEvent::Error { path, message } if path.ends_with("app.log.1.gz") => {
                    Some(message.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{events:?}"));
        assert!(message.contains("not a valid gzip file"), "{message}");
        assert!(h.take().is_empty());
    }

    #[test]
    fn short_compressed_file_without_a_newline_is_read() {
        let mut h = Harness::new();
        std::fs::write(h.path("app.log.1.gz"), crate::gzip::compress(b"{}")).unwrap();
        h.poll();
        assert_eq!(h.take(), ["{} (unterminated)"]);
    }
}

//! The records of one event joined before they are normalized (`format = "auditd"`), one
//! [`Joiner`] per followed file, and what that means for the checkpoint.
//!
//! # Exactly once
//!
//! A flush commits, in one atomic step, the batch's objects and every file's offset: each line
//! before a file's committed offset is in a committed object (or dead-lettered, or noise), and no
//! line after it is. A joiner holds the records of the event being read until the event ends,
//! so at a flush the last lines read from a file may be in no event yet. Their file's offset is
//! therefore committed at the first line of the event being read, not past it
//! ([`Joins::hold_back`]): the event's lines stay in memory, the tailer reads on from where it
//! is, and the event goes into a later batch once complete, when that batch's commit moves the
//! offset past it. After a crash the agent reads again from the event's first line and joins
//! it anew, with the same event id (derived from that line's offset): nothing is lost and
//! nothing is archived twice.
//!
//! An event is complete at its EOE record or at the next record of another serial (auditd writes
//! an event's records together). A single-record user-space event has no EOE, so the last event
//! of a quiet file would wait for the next event. It is given back as it is, and the offset then
//! moves past it, only where no more of it can come:
//!
//! - `agent --once`, at the end of each file ([`Joins::release_all`]): the run reads files to
//!   their end;
//! - a file the tailer is done with (rotated away and read to its end, lost, truncated);
//! - the live agent, an event that received no line during a whole flush interval
//!   ([`Joins::release_idle`]): auditd writes an event's records within microseconds, so an
//!   event idle that long is complete. It is archived within two flush intervals of its last
//!   line.
//!
//! Were more records of a released event's serial to follow after all, they would be an event of
//! their own, never a second copy of the first.

use std::collections::HashMap;

use auditlake_event::Flags;
use auditlake_normalize::join::{Joined, Joiner};
use auditlake_tail::FilePosition;

use crate::AgentError;
use crate::pipeline::SourcePipeline;

impl SourcePipeline {
    /// Normalizes the events the joiners gave back into the batch.
    pub(crate) fn ingest_ready(
        &mut self,
        ready: Vec<Ready>,
        observed_time: i64,
    ) -> Result<(), AgentError> {
        for r in ready {
            let j = r.joined;
            self.normalize_into_batch(
                &r.file,
                r.fingerprint,
                j.offset,
                &j.text,
                j.flags,
                observed_time,
            )?;
        }
        Ok(())
    }

    /// `agent --once`, the files read to their end: the events being read, as they are.
    pub(crate) fn release_joined(&mut self, observed_time: i64) -> Result<(), AgentError> {
        let ready = self
            .joins
            .as_mut()
            .map(Joins::release_all)
            .unwrap_or_default();
        self.ingest_ready(ready, observed_time)
    }

    /// The live agent, before a flush: the events idle since the last flush, as they are.
    pub(crate) fn release_idle_joined(&mut self, observed_time: i64) -> Result<(), AgentError> {
        let ready = self
            .joins
            .as_mut()
            .map(Joins::release_idle)
            .unwrap_or_default();
        self.ingest_ready(ready, observed_time)
    }

    /// Whether an event being read holds a file's offset back (the live agent flushes until it
    /// is released).
    pub(crate) fn holds_records(&self) -> bool {
        self.joins.as_ref().is_some_and(Joins::holds_any)
    }

    /// The events being read from files the tailer is done with: by fingerprint (released,
    /// lost) or by path (truncated).
    pub(crate) fn release_done_files(
        &mut self,
        done: &[Result<u64, String>],
    ) -> Result<(), AgentError> {
        let Some(joins) = self.joins.as_mut() else {
            return Ok(());
        };
        let mut ready = Vec::new();
        for d in done {
            match d {
                Ok(fp) => ready.extend(joins.release(*fp)),
                Err(path) => ready.extend(joins.release_path(path)),
            }
        }
        self.ingest_ready(ready, crate::now_micros())
    }
}

/// One file's joiner.
#[derive(Debug)]
struct FileJoin {
    joiner: Joiner,
    /// The file's path, as the pipeline names it.
    file: String,
    /// Whether a line reached the joiner since the last [`Joins::release_idle`].
    touched: bool,
}

/// The joiners of a source's files, by file fingerprint.
#[derive(Debug, Default)]
pub(crate) struct Joins {
    files: HashMap<u64, FileJoin>,
}

/// An event given back by a joiner, with the file it was read from.
pub(crate) struct Ready {
    pub(crate) file: String,
    pub(crate) fingerprint: u64,
    pub(crate) joined: Joined,
}

impl Joins {
    /// Takes one line of a file; pushes the events it completes.
    pub(crate) fn push(
        &mut self,
        file: &str,
        fingerprint: u64,
        (offset, next_offset): (u64, u64),
        text: &str,
        flags: Flags,
        out: &mut Vec<Ready>,
    ) {
        let f = self.files.entry(fingerprint).or_insert_with(|| FileJoin {
            joiner: Joiner::new(),
            file: file.to_owned(),
            touched: false,
        });
        if f.file != file {
            file.clone_into(&mut f.file);
        }
        f.touched = true;
        let mut joined = Vec::new();
        f.joiner.push(offset, next_offset, text, flags, &mut joined);
        out.extend(joined.into_iter().map(|joined| Ready {
            file: f.file.clone(),
            fingerprint,
            joined,
        }));
        if f.joiner.pending_offset().is_none() {
            self.files.remove(&fingerprint);
        }
    }

    /// Lowers each position of a file whose event is being read to that event's first line.
    pub(crate) fn hold_back(&self, positions: &mut [FilePosition]) {
        for pos in positions {
            let held = self
                .files
                .get(&pos.fingerprint)
                .and_then(|f| f.joiner.pending_offset());
            if let Some(first) = held
                && first < pos.offset
            {
                pos.offset = first;
            }
        }
    }

    /// Whether some file's event is being read.
    pub(crate) fn holds_any(&self) -> bool {
        !self.files.is_empty()
    }

    /// Every event being read, as it is (the files are read to their end).
    pub(crate) fn release_all(&mut self) -> Vec<Ready> {
        let mut fps: Vec<u64> = self.files.keys().copied().collect();
        fps.sort_unstable();
        fps.into_iter().filter_map(|fp| self.release(fp)).collect()
    }

    /// The event being read from the file of `fingerprint`, as it is (the tailer is done with
    /// the file).
    pub(crate) fn release(&mut self, fingerprint: u64) -> Option<Ready> {
        let mut f = self.files.remove(&fingerprint)?;
        f.joiner.flush().map(|joined| Ready {
            file: f.file,
            fingerprint,
            joined,
        })
    }

    /// The events being read from the file at `path`, as they are (it was truncated).
    pub(crate) fn release_path(&mut self, path: &str) -> Vec<Ready> {
        let mut fps: Vec<u64> = self
            .files
            .iter()
            .filter(|(_, f)| f.file == path)
            .map(|(fp, _)| *fp)
            .collect();
        fps.sort_unstable();
        fps.into_iter().filter_map(|fp| self.release(fp)).collect()
    }

    /// The events that received no line since the last call, as they are; the others are
    /// marked to be released by the next call unless a line reaches them before.
    pub(crate) fn release_idle(&mut self) -> Vec<Ready> {
        let mut idle: Vec<u64> = Vec::new();
        for (fp, f) in &mut self.files {
            if f.touched {
                f.touched = false;
            } else {
                idle.push(*fp);
            }
        }
        idle.sort_unstable();
        idle.into_iter().filter_map(|fp| self.release(fp)).collect()
    }
}

#[cfg(test)]
mod tests {
    use auditlake_tail::FileId;

    use super::*;

    fn rec(kind: &str, serial: u32) -> String {
        format!("type={kind} msg=audit(1700000000.000:{serial}): a=1")
    }

    fn pos(fingerprint: u64, offset: u64) -> FilePosition {
        FilePosition {
            fingerprint,
            file_id: FileId::default(),
            path: "f".into(),
            offset,
            size: None,
        }
    }

    #[test]
    fn a_held_event_holds_its_file_back_to_its_first_line() {
        let mut j = Joins::default();
        let mut out = Vec::new();
        j.push(
            "a",
            1,
            (0, 10),
            &rec("USER_LOGIN", 1),
            Flags::default(),
            &mut out,
        );
        j.push(
            "a",
            1,
            (10, 20),
            &rec("SYSCALL", 2),
            Flags::default(),
            &mut out,
        );
        j.push(
            "b",
            2,
            (0, 10),
            &rec("SYSCALL", 2),
            Flags::default(),
            &mut out,
        );
        j.push("b", 2, (10, 20), &rec("EOE", 2), Flags::default(), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].file.as_str(), out[0].joined.offset), ("a", 0));
        assert_eq!((out[1].file.as_str(), out[1].joined.lines), ("b", 2));
        let mut positions = vec![pos(1, 20), pos(2, 20), pos(3, 5)];
        j.hold_back(&mut positions);
        let offsets: Vec<u64> = positions.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, [10, 20, 5]);
        assert!(j.holds_any());
        // Idle for one call: held; for two: released.
        assert!(j.release_idle().is_empty());
        let r = j.release_idle();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].fingerprint, r[0].joined.offset), (1, 10));
        assert!(!j.holds_any());
        let mut positions = vec![pos(1, 20)];
        j.hold_back(&mut positions);
        assert_eq!(positions[0].offset, 20);
    }

    #[test]
    fn release_all_path_and_file_give_back_what_is_held() {
        let mut j = Joins::default();
        let mut out = Vec::new();
        j.push(
            "a",
            1,
            (0, 10),
            &rec("SYSCALL", 1),
            Flags::default(),
            &mut out,
        );
        j.push(
            "b",
            2,
            (0, 10),
            &rec("SYSCALL", 1),
            Flags::default(),
            &mut out,
        );
        j.push(
            "c",
            3,
            (0, 10),
            &rec("SYSCALL", 1),
            Flags::default(),
            &mut out,
        );
        assert!(out.is_empty());
        assert_eq!(j.release(2).map(|r| r.file), Some("b".to_owned()));
        assert!(j.release(2).is_none());
        assert_eq!(j.release_path("c").len(), 1);
        let all = j.release_all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].file, "a");
        assert!(!j.holds_any());
    }
}

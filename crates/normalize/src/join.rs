//! Joining the records of one event: auditd writes an event as one or more records (lines) that
//! share the `msg=audit(TIME:SERIAL)` stamp, one after another. A syscall event's records
//! (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, ...) end with an `EOE` record; a user-space event
//! (USER_LOGIN, USER_CMD, ...) is one record without `EOE`.
//!
//! A [`Joiner`] follows one file: it holds the records of the event being read and gives the
//! event back whole, as one text of its lines joined by `\n` (the `raw` of its audit event), when
//!
//! - its `EOE` record arrives,
//! - a record of another stamp (or a line that is no record) arrives: the event was complete,
//! - it has [`MAX_RECORDS`] records or [`MAX_BYTES`] bytes (memory stays bounded), or
//! - the caller [flushes](Joiner::flush) it (the file is at its end, or was idle: see the agent's
//!   pipeline for when this is sound).
//!
//! A line that is not a record is given back alone, after the event before it.

use auditlake_event::Flags;

use crate::parse::auditd;

/// The most records one event holds before it is given back as it is.
pub const MAX_RECORDS: usize = 4096;

/// The most bytes of text one event holds before it is given back as it is.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// One event's lines, joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// Byte offset of its first line in the file.
    pub offset: u64,
    /// Byte offset after its last line.
    pub next_offset: u64,
    /// Its lines (without their newlines), joined by `\n`.
    pub text: String,
    /// How many lines.
    pub lines: usize,
    /// The flags of its lines, together (invalid UTF-8, truncated, unterminated).
    pub flags: Flags,
}

/// The event being read.
#[derive(Debug)]
struct Pending {
    key: (Option<String>, String, String),
    joined: Joined,
}

/// Joins the records of one file's events; see the [module](self).
#[derive(Debug, Default)]
pub struct Joiner {
    pending: Option<Pending>,
}

impl Joiner {
    /// A joiner holding nothing.
    pub fn new() -> Joiner {
        Joiner::default()
    }

    /// Takes the next line of the file (`offset..next_offset`, without its newline) and pushes to
    /// `out` the events it completes, in file order: none, the event before it, the line itself
    /// (an EOE, or a line that is no record), or both.
    pub fn push(
        &mut self,
        offset: u64,
        next_offset: u64,
        text: &str,
        flags: Flags,
        out: &mut Vec<Joined>,
    ) {
        let body = text.strip_suffix('\r').unwrap_or(text);
        let Some(head) = auditd::header(body) else {
            out.extend(self.flush());
            out.push(Joined {
                offset,
                next_offset,
                text: text.to_owned(),
                lines: 1,
                flags,
            });
            return;
        };
        let (node, time, serial) = head.event_key();
        let same = self
            .pending
            .as_ref()
            .is_some_and(|p| p.key.0.as_deref() == node && p.key.1 == time && p.key.2 == serial);
        if same {
            let p = self.pending.as_mut().expect("pending");
            let j = &mut p.joined;
            j.text.push('\n');
            j.text.push_str(text);
            j.lines += 1;
            j.next_offset = next_offset;
            j.flags = or_flags(j.flags, flags);
        } else {
            out.extend(self.flush());
            self.pending = Some(Pending {
                key: (node.map(str::to_owned), time.to_owned(), serial.to_owned()),
                joined: Joined {
                    offset,
                    next_offset,
                    text: text.to_owned(),
                    lines: 1,
                    flags,
                },
            });
        }
        let full = self
            .pending
            .as_ref()
            .is_some_and(|p| p.joined.lines >= MAX_RECORDS || p.joined.text.len() >= MAX_BYTES);
        if head.kind == "EOE" || full {
            out.extend(self.flush());
        }
    }

    /// The event being read, given back as it is (and forgotten).
    pub fn flush(&mut self) -> Option<Joined> {
        self.pending.take().map(|p| p.joined)
    }

    /// The offset of the first line of the event being read: the file is not done before it.
    pub fn pending_offset(&self) -> Option<u64> {
        self.pending.as_ref().map(|p| p.joined.offset)
    }
}

fn or_flags(a: Flags, b: Flags) -> Flags {
    Flags {
        invalid_utf8: a.invalid_utf8 || b.invalid_utf8,
        truncated: a.truncated || b.truncated,
        unterminated: a.unterminated || b.unterminated,
        time_out_of_range: a.time_out_of_range || b.time_out_of_range,
    }
}

#[cfg(test)]
mod tests;

//! The dead-letter file: every line that could not become an event, with the reason.

use std::path::Path;

use serde::Serialize;

use crate::AgentError;

/// One dead letter, a line of the JSONL file.
#[derive(Debug, Serialize)]
pub struct DeadLetter<'a> {
    /// When the line was read (RFC 3339).
    pub time: String,
    pub source: &'a str,
    pub file: &'a str,
    pub offset: u64,
    /// The kind of failure (`parse`, `unmapped`, `bad_time`, ...).
    pub kind: &'a str,
    pub reason: &'a str,
    /// The line (lossy where it was not UTF-8).
    pub line: &'a str,
}

/// Appends dead letters to a JSONL file; `sync` makes them durable before a checkpoint commits.
#[derive(Debug)]
pub struct DeadLetters {
    out: auditlake_durable::Appender,
}

impl DeadLetters {
    pub fn new(path: &Path) -> DeadLetters {
        DeadLetters {
            out: auditlake_durable::Appender::new(path),
        }
    }

    /// Appends one dead letter (buffered).
    pub fn write(&mut self, letter: &DeadLetter<'_>) -> Result<(), AgentError> {
        let mut line = serde_json::to_vec(letter).expect("dead letter serializes");
        line.push(b'\n');
        self.out
            .write(&line)
            .map_err(|e| AgentError::io(self.out.path(), e))
    }

    /// Flushes and fsyncs what was written.
    pub fn sync(&mut self) -> Result<(), AgentError> {
        self.out
            .sync()
            .map_err(|e| AgentError::io(self.out.path(), e))
    }
}

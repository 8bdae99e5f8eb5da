//! The dead-letter file: every line that could not become an event, with the reason.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl DeadLetters {
    pub fn new(path: &Path) -> DeadLetters {
        DeadLetters {
            path: path.to_path_buf(),
            out: None,
        }
    }

    /// Appends one dead letter (buffered).
    pub fn write(&mut self, letter: &DeadLetter<'_>) -> Result<(), AgentError> {
        if self.out.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| AgentError::io(dir, e))?;
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| AgentError::io(&self.path, e))?;
            self.out = Some(BufWriter::new(f));
        }
        let out = self.out.as_mut().expect("opened above");
        serde_json::to_writer(&mut *out, letter).expect("dead letter serializes");
        out.write_all(b"\n")
            .map_err(|e| AgentError::io(&self.path, e))
    }

    /// Flushes and fsyncs what was written.
    pub fn sync(&mut self) -> Result<(), AgentError> {
        if let Some(out) = self.out.as_mut() {
            out.flush().map_err(|e| AgentError::io(&self.path, e))?;
            out.get_ref()
                .sync_data()
                .map_err(|e| AgentError::io(&self.path, e))?;
        }
        Ok(())
    }
}

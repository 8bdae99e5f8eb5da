//! Files to lines: discovery by glob, file fingerprints, and a bounded line reader that reports
//! each line's byte offset.
//!
//! This crate knows nothing of audit events: it hands out byte lines with the file they came from
//! and where they started, and the checkpoint types that say where reading resumes.

mod discover;
mod error;
mod fingerprint;
mod reader;
mod tailer;

pub use discover::{FileGlobs, GlobError};
pub use error::TailError;
pub use fingerprint::{FINGERPRINT_MAX_BYTES, FileId, Fingerprint, fingerprint_file};
pub use reader::{Line, LineReader};
pub use tailer::{Resume, TailEvent, Tailer, TailerOptions};

use serde::{Deserialize, Serialize};

/// Where reading of one file stands: the unit of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePosition {
    /// The file's content fingerprint (see [`Fingerprint`]).
    pub fingerprint: u64,
    /// The device and inode the file had when last read.
    pub file_id: FileId,
    /// The path the file had when last read (informational: files are matched by fingerprint).
    pub path: String,
    /// Byte offset of the first byte not yet delivered.
    pub offset: u64,
}

//! Files to lines: discovery by glob, file fingerprints, and a bounded line reader that reports
//! each line's byte offset.
//!
//! This crate knows nothing of audit events: it hands out byte lines with the file they came from
//! and where they started, and the checkpoint types that say where reading resumes.

mod discover;
mod error;
mod fingerprint;
mod gzip;
mod reader;
mod recover;
mod tailer;

pub use discover::{FileGlobs, GlobError, Listing};
pub use error::TailError;
pub use fingerprint::{
    FINGERPRINT_MAX_BYTES, FileId, Fingerprint, fingerprint_bytes, fingerprint_file,
    fingerprint_open_file,
};
pub use reader::{Line, LineReader};
pub use recover::{Loss, LossReason};
pub use tailer::{TailEvent, Tailer, TailerOptions, checkpointed};

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
    /// The file's size when its position was taken: bytes `offset..size` were there, unread.
    /// `None` in checkpoints written before sizes were recorded.
    #[serde(default)]
    pub size: Option<u64>,
}

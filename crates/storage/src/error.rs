use std::fmt;

/// An error of an object store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("object not found: {key}")]
    NotFound { key: String },
    #[error(
        "invalid object key {key:?}: keys are relative '/'-separated paths without '.' or '..'"
    )]
    InvalidKey { key: String },
    #[error("access denied to {key}: {message}")]
    AccessDenied { key: String, message: String },
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{op} of {key} failed: {message}")]
    Backend {
        op: &'static str,
        key: String,
        message: String,
        /// Whether trying again may succeed (throttling, 5xx, timeouts).
        retryable: bool,
    },
    #[error("{op} is not supported by {backend}")]
    Unsupported { op: &'static str, backend: String },
    /// A wrong value in the store's configuration, with the key that holds it.
    #[error("{key}: {message}")]
    Config { key: &'static str, message: String },
}

impl StorageError {
    /// Whether trying the operation again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StorageError::Backend { retryable, .. } => *retryable,
            StorageError::Io { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        StorageError::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// Partial failure of `delete_many`: how many objects were deleted and why the others were not.
#[derive(Debug, thiserror::Error)]
#[error("deleted {deleted} objects, {} failed (first: {})", failed.len(), failed.first().map(|(k, e)| format!("{k}: {e}")).unwrap_or_default())]
pub struct BulkDeleteError {
    pub deleted: usize,
    pub failed: Vec<(String, StorageError)>,
}

use auditlake_storage::StorageError;

/// The result type of this crate.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// An error of the archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A filter (of a hold, an erasure) is not valid.
    #[error(transparent)]
    Filter(#[from] auditlake_filter::FilterError),

    /// A configuration value is wrong; `key` names it (`tiers[1].retention_days`).
    #[error("{key}: {message}")]
    Config { key: String, message: String },

    /// A tier, source or hold name is not usable as a path segment.
    #[error("invalid {what} name {name:?}: use 1 to 64 of a-z, 0-9, '_' and '-'")]
    InvalidName { what: &'static str, name: String },

    /// An object key does not follow the archive's layout.
    #[error("{key:?} is not an archive {kind} key: {reason}")]
    InvalidKey {
        kind: &'static str,
        key: String,
        reason: &'static str,
    },

    /// A Parquet object cannot be written from no events.
    #[error("cannot encode an empty batch of events")]
    EmptyBatch,

    /// Writer options out of range.
    #[error("invalid writer option {option}: {message}")]
    WriterOptions {
        option: &'static str,
        message: String,
    },

    #[error("arrow error while {context}: {source}")]
    Arrow {
        context: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },

    #[error("parquet error while {context}: {source}")]
    Parquet {
        context: &'static str,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// A Parquet object without a schema version this build reads.
    #[error(
        "{}: unsupported schema version {} (this build reads versions {:?})",
        key.as_deref().unwrap_or("parquet object"),
        found.as_deref().map_or_else(|| "(missing)".to_string(), |v| format!("{v:?}")),
        auditlake_event::READABLE_SCHEMA_VERSIONS
    )]
    SchemaVersion {
        key: Option<String>,
        found: Option<String>,
    },

    /// An object key names a tier the configuration does not have.
    #[error("unknown tier {tier:?}")]
    UnknownTier { tier: String },

    /// An object's events are not all of its key's event date.
    #[error("object {key} holds events outside its event date (times {min_time}..={max_time} us)")]
    OutsidePartition {
        key: String,
        min_time: i64,
        max_time: i64,
    },

    /// A signing or public key cannot be read, parsed or written; `origin` names the file or
    /// the environment variable.
    #[error("key {origin}: {message}")]
    Key { origin: String, message: String },

    /// A digest or receipt object cannot be read as one.
    #[error("digest {key}: {message}")]
    Digest { key: String, message: String },

    /// A legal hold cannot be read or is not valid.
    #[error("hold {name}: {message}")]
    Hold { name: String, message: String },

    /// A local state file (digest journal) cannot be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A rewrite (erasure) refused, nothing written: objects it must replace are under Object
    /// Lock or a legal hold. Each entry names the object and what protects it.
    #[error("{job} refused, nothing changed: {} objects are protected: {}", objects.len(), objects.join("; "))]
    Protected {
        job: &'static str,
        objects: Vec<String>,
    },

    /// Some deletions of a retention or erasure run failed; the receipt names only the others.
    #[error(transparent)]
    BulkDelete(#[from] auditlake_storage::BulkDeleteError),

    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ArchiveError {
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        ArchiveError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn key(origin: impl std::fmt::Display, message: impl std::fmt::Display) -> Self {
        ArchiveError::Key {
            origin: origin.to_string(),
            message: message.to_string(),
        }
    }

    pub fn digest(key: impl Into<String>, message: impl std::fmt::Display) -> Self {
        ArchiveError::Digest {
            key: key.into(),
            message: message.to_string(),
        }
    }

    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        ArchiveError::Config {
            key: key.into(),
            message: message.into(),
        }
    }
}

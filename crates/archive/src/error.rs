use auditlake_storage::StorageError;

/// The result type of this crate.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// An error of the archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
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
        "{}: unsupported schema version {} (this build reads version {})",
        key.as_deref().unwrap_or("parquet object"),
        found.as_deref().map_or_else(|| "(missing)".to_string(), |v| format!("{v:?}")),
        auditlake_event::SCHEMA_VERSION
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

    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ArchiveError {
    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        ArchiveError::Config {
            key: key.into(),
            message: message.into(),
        }
    }
}

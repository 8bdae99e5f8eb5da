use std::fmt;

/// An error of a query, a report or an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A filter or time given by the user is not valid, or a batch lacks a filter's column.
    #[error(transparent)]
    Filter(#[from] auditlake_filter::FilterError),
    /// An option given by the user is not valid.
    #[error("{option}: {message}")]
    InvalidArgument {
        option: &'static str,
        message: String,
    },
    /// A column name that the archive's schema does not have.
    #[error("unknown column {name:?} (see the README's column table)")]
    UnknownColumn { name: String },
    #[error(transparent)]
    Storage(#[from] auditlake_storage::StorageError),
    #[error(transparent)]
    Archive(#[from] auditlake_archive::ArchiveError),
    #[error("reading {key}: {source}")]
    Parquet {
        key: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{context}: {source}")]
    Arrow {
        context: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
    #[error("writing the output: {source}")]
    Output {
        #[source]
        source: std::io::Error,
    },
    #[error("writing Parquet output: {source}")]
    ParquetOutput {
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A scan task panicked or was cancelled.
    #[error("scanning an object: {message}")]
    Task { message: String },
}

pub type Result<T, E = QueryError> = std::result::Result<T, E>;

impl QueryError {
    pub(crate) fn arg(option: &'static str, message: impl fmt::Display) -> Self {
        QueryError::InvalidArgument {
            option,
            message: message.to_string(),
        }
    }

    pub(crate) fn arrow(context: &'static str) -> impl FnOnce(arrow::error::ArrowError) -> Self {
        move |source| QueryError::Arrow { context, source }
    }
}

impl From<std::io::Error> for QueryError {
    fn from(source: std::io::Error) -> Self {
        QueryError::Output { source }
    }
}

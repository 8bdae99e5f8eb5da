use std::fmt;

/// An error of a filter: a value the user gave, or a batch without a column the filter reads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A filter or time given by the user is not valid.
    #[error("{option}: {message}")]
    InvalidArgument {
        option: &'static str,
        message: String,
    },
    /// A batch lacks a column the filter reads, or holds it with another type.
    #[error("unknown column {name:?} (see the README's column table)")]
    UnknownColumn { name: String },
    #[error("{context}: {source}")]
    Arrow {
        context: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
}

pub type Result<T, E = FilterError> = std::result::Result<T, E>;

impl FilterError {
    pub(crate) fn arg(option: &'static str, message: impl fmt::Display) -> Self {
        FilterError::InvalidArgument {
            option,
            message: message.to_string(),
        }
    }

    pub(crate) fn arrow(context: &'static str) -> impl Fn(arrow::error::ArrowError) -> Self + Copy {
        move |source| FilterError::Arrow { context, source }
    }
}

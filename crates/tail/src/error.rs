use std::path::PathBuf;

/// An error of file discovery or reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TailError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Glob(#[from] crate::GlobError),
}

impl TailError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TailError::Io {
            path: path.into(),
            source,
        }
    }
}

//! The auditlake agent: tails log files, normalizes each line into an audit event, and writes
//! tiered Parquet objects to the archive exactly once, through a durable local spool.

pub mod alerts;
pub mod config;
mod deadletter;
pub mod generated_key;
mod http;
mod joins;
mod ledger;
mod live;
pub mod metrics;
mod once;
mod pipeline;
mod state;
mod stats;
pub mod time_window;

use std::path::{Path, PathBuf};

use auditlake_event::SourceInfo;

pub use config::Config;
pub use ledger::{LEDGER_FILE, LossRecord};
pub use live::run_live;
pub use once::{RunSummary, run_once};
pub use stats::SourceStats;

/// An error of the agent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{message}")]
    Setup { message: String },
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {} is damaged: {message}", path.display())]
    CorruptState { path: PathBuf, message: String },
    #[error("spool file {} of object {key} is missing and the object is not in the store", path.display())]
    SpoolLost { path: PathBuf, key: String },
    #[error(transparent)]
    Tail(#[from] auditlake_tail::TailError),
    #[error(transparent)]
    Archive(#[from] auditlake_archive::ArchiveError),
    #[error(transparent)]
    Storage(#[from] auditlake_storage::StorageError),
}

impl AgentError {
    pub(crate) fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        AgentError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// The current time in UTC microseconds.
pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The source columns of a source's events: its name, and where the agent runs in Kubernetes
/// (from the downward API's environment variables, `AUDITLAKE_`-prefixed or plain).
pub fn kubernetes_source_info(name: &str) -> SourceInfo {
    let env = |key: &str| {
        std::env::var(format!("AUDITLAKE_{key}"))
            .or_else(|_| std::env::var(key))
            .ok()
            .filter(|v| !v.is_empty())
    };
    SourceInfo {
        app: name.to_string(),
        namespace: env("POD_NAMESPACE"),
        pod: env("POD_NAME"),
        container: env("CONTAINER_NAME"),
        node: env("NODE_NAME"),
        file: None,
    }
}

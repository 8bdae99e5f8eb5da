//! Queries over the archive: scan planning and pruning ([`scan`]), filters ([`filter`]),
//! outputs ([`output`]) with log content escaped for where it is shown ([`escape`]), compliance reports ([`reports`]) and table definitions for external
//! engines ([`ddl`]).
//!
//! The crate takes any [`ObjectStore`](auditlake_storage::ObjectStore): a local directory or S3,
//! where every read is a ranged GET.

pub mod ddl;
mod error;
pub mod escape;
pub mod html;
pub mod output;
pub mod people;
pub mod reports;
pub mod scan;
mod source;
pub mod stats;

pub use auditlake_filter::{Filter, FilterSpec};
pub use error::{QueryError, Result};
pub use output::{CsvFormulas, Format, OutputWriter};
pub use scan::{Order, Query, QueryRequest};
pub use stats::{ScanStats, StatsSnapshot};

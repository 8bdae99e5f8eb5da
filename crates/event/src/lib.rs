//! The audit-event model of auditlake.
//!
//! An [`AuditEvent`] answers who did what, when, from where, with what outcome and what changed.
//! The [`catalog`] names every action auditlake knows, with its category and default tier, and
//! [`schema`] turns events into Arrow record batches with the archive's versioned schema.
//!
//! This crate does no I/O and knows nothing of files, stores or async runtimes.

pub mod catalog;
pub mod glob;
mod model;
pub mod schema;

pub use catalog::{ActionDef, CATALOG, category_of, is_valid_action, lookup};
pub use model::{AuditEvent, Change, Flags, Outcome, SourceInfo, micros_to_datetime};
pub use schema::{
    EventColumns, READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, SCHEMA_VERSION_KEY, arrow_schema,
    cast_columns, to_record_batch, upgrade,
};

//! Raw log line -> [`AuditEvent`](auditlake_event::AuditEvent).
//!
//! A *profile* ([`ProfileConfig`], TOML) says how a source's lines are parsed (JSON with nested
//! fields, logfmt, or regex with named captures), where the time is and how it is written, which
//! field feeds each column, and how the source's own event names map to auditlake actions. A
//! [`Normalizer`] is a profile compiled once per source; [`Normalizer::normalize`] turns one line
//! into events, or into a [`Rejection`] that says why not (the agent writes those to its
//! dead-letter file).
//!
//! Built-in profiles ([`builtin_profile`]) cover auditlake's own JSON event format, an identity
//! provider's JSON audit log, an asset-management change log, OpenSSH's syslog lines and a logfmt
//! application log.
//!
//! What a line holds that no column takes is kept in the event's `attributes`: for JSON, the
//! top-level keys with the leaves that columns took removed from nested objects (an object left
//! empty is dropped; a list is kept or dropped whole); for logfmt and regex, the keys or named
//! captures no column took. The event-name field stays in attributes when a rule maps it (the
//! source's own name is kept) and is dropped when it passes through as the action.

mod changes;
mod condition;
mod config;
mod error;
mod id;
pub mod join;
mod mapping;
mod normalizer;
mod parse;
mod path;
mod profiles;
mod time;
mod value;

pub use config::{
    ActionConfig, ActionRule, AttributesMode, ChangesConfig, Column, ColumnFields, ColumnValues,
    Condition, FieldSource, Format, IgnoreConfig, IgnoreRule, MissingEvent, OutcomeRule,
    PatternConfig, ProfileConfig, SplitConfig, TimeConfig, TimeFallback, TransformConfig,
};
pub use error::{NormalizeConfigError, RejectKind, Rejection};
pub use id::derive_event_id;
pub use normalizer::{
    LineContext, LineOutcome, Normalizer, RecordTally, RejectedRecord, UNCONVERTIBLE,
};
pub use profiles::{builtin_profile, builtin_profile_names, builtin_profile_text};

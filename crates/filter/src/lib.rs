//! Which audit events a user asks for, one meaning for every command.
//!
//! A [`FilterSpec`] is what users write (`--actor`, `--action`, `--since`, ..., or a hold's
//! stored filter, or an alert rule's `filter`); [`FilterSpec::compile`] turns it into a
//! [`Filter`]: a conjunction of clauses, each a disjunction of [`Atom`]s. The same compiled
//! filter
//!
//! - matches one [`AuditEvent`](auditlake_event::AuditEvent) ([`Filter::matches`]: alert rules,
//!   tests),
//! - selects the rows of Arrow record batches ([`Filter::evaluate`]: query, export, reports,
//!   holds, erasure),
//! - prunes partitions by tier and event date ([`Filter::may_match_partition`]) and row groups by
//!   their statistics and bloom filters ([`Filter::stats_verdicts`], [`bloom_probes`]).
//!
//! Times are parsed by [`time`]: a date means the whole day everywhere.
//!
//! This crate does no I/O.

mod addr;
mod error;
mod eval;
mod event;
mod prune;
mod spec;
pub mod time;

pub use addr::{address_forms, canonical_address, parse_net};
pub use error::{FilterError, Result};
pub use eval::evaluate;
pub use prune::{Verdict, bloom_checkable, bloom_probes};
pub use spec::{Atom, Filter, FilterSpec, Scope, TEXT_COLUMNS};
pub use time::{Bound, parse_duration, parse_time};

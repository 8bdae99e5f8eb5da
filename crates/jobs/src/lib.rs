//! The jobs that change an archive after it was written, each safe to kill at any point:
//! retention (expired objects deleted, legal holds and Object Lock honoured, deleted users'
//! events erased), legal holds, compaction, erasure, S3 lifecycle rules, and the recovery of
//! rewrites an interrupted run left ([`rewrite::recover`]).

pub mod compaction;
pub mod erasure;
pub mod hold;
pub mod lifecycle;
pub mod retention;
pub mod retention_job;
pub mod rewrite;

pub use hold::Hold;
pub use lifecycle::{LifecycleConfiguration, lifecycle_configuration};
pub use retention::{
    RetentionConfig, RetentionPlan, RetentionRun, apply_retention, plan_retention,
    plan_retention_at,
};
pub use retention_job::{RetentionJob, RetentionJobOptions, run_retention_job};

//! The retention job as the `auditlake retention` CronJob runs it, in one call: rewrites an
//! interrupted run left are finished, expired objects are deleted (legal holds and Object Lock
//! honoured, a signed receipt recorded), and where `deleted_user_retention_days` is set, the
//! events of users deleted that long ago are erased.

use std::sync::Arc;

use auditlake_archive::signing::DigestSigner;
use auditlake_archive::writer::{ArchiveWriter, WriterOptions};
use auditlake_archive::{Result, TierConfig};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::erasure::{DeletedUsersPlan, apply_deleted_users, plan_deleted_users};
use crate::hold::list_holds;
use crate::retention::{
    RetentionConfig, RetentionPlan, RetentionRun, apply_retention, plan_retention,
};
use crate::rewrite::{RewriteRun, recover};

/// How a retention job runs.
#[derive(Debug, Clone)]
pub struct RetentionJobOptions {
    /// Plan only: nothing in the store changes, no signer is needed.
    pub dry_run: bool,
    /// The time that decides what has expired (the wall clock, or a given time for a drill).
    pub now: DateTime<Utc>,
    /// How rewritten objects (deleted users' erasure) are encoded.
    pub writer: WriterOptions,
}

/// What a retention job did, or with `dry_run` would do.
#[derive(Debug, Serialize)]
pub struct RetentionJob {
    /// Interrupted rewrites finished or rolled back before anything else (not in a dry run).
    pub recovered: Option<RewriteRun>,
    pub plan: RetentionPlan,
    /// The deletions made (not in a dry run).
    pub run: Option<RetentionRun>,
    /// Deleted users' events, where `deleted_user_retention_days` is set.
    pub deleted_users: Option<DeletedUsersPlan>,
    /// Their erasure (not in a dry run, nor when nothing was due).
    pub deleted_users_run: Option<RewriteRun>,
}

/// Runs the whole retention job on the archive `writer` writes to. `signer` signs the receipts
/// and is required unless `opts.dry_run`.
pub async fn run_retention_job(
    writer: &ArchiveWriter,
    tiers: &[TierConfig],
    cfg: &RetentionConfig,
    signer: Option<Arc<DigestSigner>>,
    opts: &RetentionJobOptions,
) -> Result<RetentionJob> {
    let store = writer.store().clone();
    let signer = if opts.dry_run { None } else { signer };
    if !opts.dry_run && signer.is_none() {
        return Err(auditlake_archive::ArchiveError::config(
            "digest.signing_key_file",
            "a retention run signs its receipts: a signing key is needed",
        ));
    }
    let recovered = match &signer {
        Some(s) => Some(recover(&*store, s.clone(), opts.now).await?),
        None => None,
    };
    let holds = list_holds(&*store).await?;
    let plan = plan_retention(&*store, tiers, &holds, cfg, opts.now).await?;
    let run = match &signer {
        Some(s) => Some(apply_retention(&*store, &plan, s.clone(), cfg).await?),
        None => None,
    };
    let mut job = RetentionJob {
        recovered,
        plan,
        run,
        deleted_users: None,
        deleted_users_run: None,
    };
    let Some(days) = cfg.deleted_user_retention_days else {
        return Ok(job);
    };
    // Holds again: one placed while the deletions ran must be seen before anything is rewritten.
    let holds = list_holds(&*store).await?;
    let mut users = plan_deleted_users(&*store, tiers, &holds, days, opts.now).await?;
    // `now` (which may be given) decides what is due; the job is named by the real time, so
    // that two runs never name their outputs alike.
    users.erasure.now = Utc::now();
    job.deleted_users_run = match &signer {
        Some(s) if !users.erasure.affected.is_empty() => {
            Some(apply_deleted_users(writer, &users, s.clone(), &opts.writer).await?)
        }
        _ => None,
    };
    job.deleted_users = Some(users);
    Ok(job)
}

//! `retention` and `hold`: the retention job and legal holds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use auditlake_agent::Config;
use auditlake_jobs::hold::{apply_legal_holds, covered_objects, list_holds, put_hold, remove_hold};
use auditlake_jobs::{Hold, RetentionPlan};
use chrono::{DateTime, Utc};

use super::query::{ArchiveArgs, FilterArgs, open};

/// `auditlake retention`.
#[derive(Debug, clap::Args)]
pub struct RetentionArgs {
    /// The configuration file: its `[archive]`, `[[tiers]]`, `[retention]` and `[digest]`.
    #[arg(long, short)]
    pub config: PathBuf,
    /// Print what would be deleted, per tier, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The time to judge retention at (RFC 3339, a date: its start); default now.
    #[arg(long, value_parser = super::since_arg)]
    pub now: Option<DateTime<Utc>>,
    /// Print the plan and the run as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `auditlake hold`.
#[derive(Debug, clap::Args)]
pub struct HoldArgs {
    #[command(subcommand)]
    pub command: HoldCommand,
}

// Parsed once per run: the size of `Add` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
pub enum HoldCommand {
    /// Place a legal hold: retention keeps every object that could hold a matching event.
    Add {
        #[command(flatten)]
        archive: ArchiveArgs,
        /// The hold's name (a-z, 0-9, '_', '-').
        #[arg(long)]
        name: String,
        /// Why: a case or request reference.
        #[arg(long)]
        reason: String,
        /// Who places it.
        #[arg(long)]
        by: Option<String>,
        /// The events held: every filter of `auditlake query`, with the same meaning
        /// (`--actor` an id, name or email; `--until DATE` that whole day).
        #[command(flatten)]
        filter: FilterArgs,
        /// Print the stored hold and the objects it covers as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the holds.
    List {
        #[command(flatten)]
        archive: ArchiveArgs,
    },
    /// Remove a hold.
    Remove {
        #[command(flatten)]
        archive: ArchiveArgs,
        #[arg(long)]
        name: String,
    },
}

pub async fn retention(args: RetentionArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let cfg = config.retention.clone().unwrap_or_default();
    let store = auditlake_storage::open(&config.archive).await?;
    let writer = auditlake_archive::ArchiveWriter::new(store, config.tiers.clone())?;
    let signer = if args.dry_run {
        None
    } else {
        Some(Arc::new(auditlake_agent::generated_key::job_signer(
            &config,
        )?))
    };
    let opts = auditlake_jobs::RetentionJobOptions {
        dry_run: args.dry_run,
        now: args.now.unwrap_or_else(Utc::now),
        writer: super::compliance::writer_options(&config),
    };
    let job =
        auditlake_jobs::run_retention_job(&writer, &config.tiers, &cfg, signer, &opts).await?;
    if args.json {
        // A dry run prints the plan itself; a run, the plan and what was done.
        let mut v = match &job.run {
            None => serde_json::to_value(&job.plan)?,
            Some(run) => serde_json::json!({ "plan": job.plan, "run": run }),
        };
        if let Some(users) = &job.deleted_users {
            v["deleted_users"] = serde_json::to_value(users)?;
            if job.run.is_some() {
                v["deleted_users_run"] = serde_json::to_value(&job.deleted_users_run)?;
            }
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if let Some(r) = &job.recovered {
            super::compliance::print_recovered(r);
        }
        print_plan(&job.plan);
        if let Some(users) = &job.deleted_users {
            super::compliance::print_deleted_users(users, job.deleted_users_run.as_ref());
        }
    }
    let Some(run) = job.run else {
        return Ok(ExitCode::SUCCESS);
    };
    if !args.json {
        say!(
            "deleted {} objects ({} bytes){}",
            run.deleted,
            run.deleted_bytes,
            run.receipt_digest
                .as_ref()
                .map(|k| format!(", receipt {k}"))
                .unwrap_or_default()
        );
    }
    if !run.failed.is_empty() {
        // the receipt names them: the next run deletes them once nothing keeps them
        for f in &run.failed {
            say_err!("not deleted: {}: {}", f.key, f.error);
        }
        say_err!(
            "retention: {} objects could not be deleted; the next run retries them",
            run.failed.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_plan(plan: &RetentionPlan) {
    for o in &plan.delete {
        say!(
            "delete {} ({} bytes, written {}, expired {})",
            o.key,
            o.size,
            o.written_at,
            o.expired_at
        );
    }
    for o in &plan.held {
        let by = o.held_by.as_ref().map_or_else(
            || "object legal hold".to_string(),
            |name| format!("hold {name}"),
        );
        say!("held   {} ({} bytes, {by})", o.key, o.size);
    }
    for o in &plan.locked {
        let mode = match o.lock_mode {
            Some(auditlake_archive::ObjectLockMode::Governance) => "GOVERNANCE",
            _ => "COMPLIANCE",
        };
        say!(
            "locked {} ({} bytes, {mode} until {})",
            o.key,
            o.size,
            o.locked_until.map(|t| t.to_rfc3339()).unwrap_or_default()
        );
    }
    for (tier, t) in &plan.tiers {
        say!(
            "tier {tier}: delete {} objects ({} bytes); held {} objects ({} bytes); locked {} objects ({} bytes)",
            t.delete_objects,
            t.delete_bytes,
            t.held_objects,
            t.held_bytes,
            t.locked_objects,
            t.locked_bytes
        );
    }
}

/// `auditlake lifecycle`.
#[derive(Debug, clap::Args)]
pub struct LifecycleArgs {
    /// The configuration file: its `[archive]` and `[[tiers]]`.
    #[arg(long, short)]
    pub config: PathBuf,
    /// The archive's key prefix in the bucket; default: the prefix of an `s3://bucket/prefix`
    /// archive url, else the bucket's root.
    #[arg(long)]
    pub prefix: Option<String>,
}

/// Prints the bucket lifecycle configuration of the tiers as JSON, for
/// `aws s3api put-bucket-lifecycle-configuration --lifecycle-configuration file://...`.
pub fn lifecycle(args: LifecycleArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let prefix = match args.prefix {
        Some(p) => p,
        None if config.archive.url.starts_with("s3://") => {
            auditlake_storage::s3::parse_s3_url(&config.archive.url)
                .map_err(|e| anyhow::anyhow!("{}: archive.url: {e}", args.config.display()))?
                .1
        }
        None => String::new(),
    };
    let lifecycle = auditlake_jobs::lifecycle_configuration(&config.tiers, &prefix);
    say_err!(
        "warning: bucket lifecycle expiry bypasses auditlake's holds (_holds/) and writes no \
         retention receipt, so verify reports what it expires as removed; only Object Lock and \
         object legal holds stop it. Days count from when S3 stored an object, as the retention \
         job and Object Lock count from when auditlake wrote it, never from its event date."
    );
    println!("{}", serde_json::to_string_pretty(&lifecycle)?);
    Ok(ExitCode::SUCCESS)
}

pub async fn hold(args: HoldArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        HoldCommand::Add {
            archive,
            name,
            reason,
            by,
            filter,
            json,
        } => {
            let (store, _) = open(&archive).await?;
            let hold = Hold::new(name, reason, by, &filter.into(), Utc::now())?;
            let key = put_hold(&*store, &hold).await?;
            let applied = apply_legal_holds(&*store, &hold, true).await?;
            if json {
                let covered = covered_objects(&*store, &hold).await?;
                let rows: u64 = covered.iter().map(|(_, n)| n).sum();
                let objects: Vec<_> = covered
                    .iter()
                    .map(|(k, n)| serde_json::json!({ "key": k, "matching_rows": n }))
                    .collect();
                let out = serde_json::json!({
                    "key": key,
                    "hold": hold,
                    "objects": objects,
                    "matching_rows": rows,
                    "legal_holds_set": applied.len(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                say!(
                    "hold {} stored at {key}; object legal hold set on {} objects",
                    hold.name,
                    applied.len()
                );
            }
        }
        HoldCommand::List { archive } => {
            let (store, _) = open(&archive).await?;
            for h in list_holds(&*store).await? {
                println!("{}", serde_json::to_string(&h)?);
            }
        }
        HoldCommand::Remove { archive, name } => {
            let (store, _) = open(&archive).await?;
            let holds = list_holds(&*store).await?;
            let Some(hold) = holds.iter().find(|h| h.name == name) else {
                anyhow::bail!("no hold named {name:?}");
            };
            apply_legal_holds(&*store, hold, false).await?;
            remove_hold(&*store, &name).await?;
            // Objects the remaining holds cover keep their object legal hold.
            for other in holds.iter().filter(|h| h.name != name) {
                apply_legal_holds(&*store, other, true).await?;
            }
            say!("hold {name} removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

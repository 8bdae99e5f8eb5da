//! `compact` and `erase`: the jobs that rewrite archive objects, and the retention job's
//! erasure of deleted users' events.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use auditlake_agent::Config;
use auditlake_archive::{ArchiveWriter, WriterOptions};
use auditlake_jobs::compaction::{CompactionOptions, CompactionPlan};
use auditlake_jobs::erasure::{DeletedUsersPlan, ErasureMode, ErasurePlan};
use auditlake_jobs::hold::list_holds;
use auditlake_jobs::rewrite::RewriteRun;
use auditlake_storage::ObjectStore;
use chrono::{NaiveDate, Utc};

/// `auditlake compact`.
#[derive(Debug, clap::Args)]
pub struct CompactArgs {
    /// The configuration file: its `[archive]`, `[[tiers]]`, `[agent]` row groups,
    /// `[compaction]` zstd level and `[digest]` signing key.
    #[arg(long, short)]
    pub config: PathBuf,
    /// The zstd level of the compacted objects (1-22), instead of `[compaction] zstd_level`.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=22))]
    pub zstd_level: Option<i32>,
    /// Only this tier.
    #[arg(long)]
    pub tier: Option<String>,
    /// Only this event date (a date, today, yesterday).
    #[arg(long, value_parser = super::since_date_arg, conflicts_with_all = ["since", "until"])]
    pub date: Option<NaiveDate>,
    /// Only event dates from this one on (a date, RFC 3339, 7d ago, today).
    #[arg(long, value_parser = super::since_date_arg)]
    pub since: Option<NaiveDate>,
    /// Only event dates up to this one (a date includes that whole day).
    #[arg(long, value_parser = super::until_date_arg)]
    pub until: Option<NaiveDate>,
    /// About this much per compacted object: bytes, or with a unit (KiB, MiB, GiB, KB, MB, GB).
    #[arg(long, value_parser = parse_size, default_value = "128MiB")]
    pub target_size: u64,
    /// Print the groups that would be merged, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan and the run as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How `erase` treats the subject's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Delete,
    Pseudonymize,
}

/// `auditlake erase`.
#[derive(Debug, clap::Args)]
pub struct EraseArgs {
    /// The configuration file: its `[archive]`, `[[tiers]]`, `[erasure]`, `[agent]` writer
    /// settings and `[digest]` signing key.
    #[arg(long, short)]
    pub config: PathBuf,
    /// The events to erase: `--actor` (required; an id, name or email, repeat for several
    /// subjects) and any other filter of `auditlake query`, with the same meaning.
    #[command(flatten)]
    pub filter: super::query::FilterArgs,
    /// Why: the request's reference; recorded in the signed receipt.
    #[arg(long)]
    pub reason: String,
    /// `delete` removes the rows, `pseudonymize` keeps them with a keyed pseudonym; default
    /// `[erasure] mode`, else delete.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Print the affected objects, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan and the run as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A size: a number of bytes, optionally followed by a unit (KiB, MiB, GiB, KB, MB, GB, B).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 128MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "{s:?}: unknown unit {other:?} (use KiB, MiB or GiB)"
            ));
        }
    };
    let size = n
        .checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if size == 0 {
        return Err(format!("{s:?}: must be more than 0"));
    }
    Ok(size)
}

/// The writer options of the agent's `[agent]` section, so rewritten objects look like the
/// agent's.
pub(crate) fn writer_options(config: &Config) -> WriterOptions {
    WriterOptions {
        row_group_rows: config.agent.row_group_rows,
        zstd_level: config.agent.zstd_level,
        ..WriterOptions::default()
    }
}

async fn open(config: &Config) -> anyhow::Result<(Arc<dyn ObjectStore>, ArchiveWriter)> {
    let store = auditlake_storage::open(&config.archive).await?;
    let writer = ArchiveWriter::new(store.clone(), config.tiers.clone())?;
    Ok((store, writer))
}

fn signer(config: &Config) -> anyhow::Result<Arc<auditlake_archive::DigestSigner>> {
    Ok(Arc::new(auditlake_agent::generated_key::job_signer(
        config,
    )?))
}

pub async fn compact(args: CompactArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    if let Some(t) = &args.tier
        && !config.tiers.iter().any(|c| &c.name == t)
    {
        anyhow::bail!("--tier {t:?}: {} has no such tier", args.config.display());
    }
    let (store, writer) = open(&config).await?;
    let opts = CompactionOptions {
        tier: args.tier.clone(),
        since: args.date.or(args.since),
        until: args.date.or(args.until),
        target_bytes: args.target_size,
        writer: WriterOptions {
            zstd_level: args
                .zstd_level
                .unwrap_or_else(|| config.compaction.unwrap_or_default().zstd_level),
            ..writer_options(&config)
        },
    };
    let now = Utc::now();
    let holds = list_holds(&*store).await?;
    if args.dry_run {
        let plan =
            auditlake_jobs::compaction::plan_compaction(&*store, &config.tiers, &holds, &opts, now)
                .await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_compaction_plan(&plan);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let signer = signer(&config)?;
    // Finish what an interrupted run left before planning, so that it is not planned twice.
    let recovered = auditlake_jobs::rewrite::recover(&*store, signer.clone(), now).await?;
    let plan =
        auditlake_jobs::compaction::plan_compaction(&*store, &config.tiers, &holds, &opts, now)
            .await?;
    let run = auditlake_jobs::compaction::apply_compaction(&writer, &plan, signer, &opts).await?;
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "recovered": recovered, "plan": plan, "run": run })
            )?
        );
    } else {
        print_recovered(&recovered);
        print_compaction_plan(&plan);
        say!(
            "compacted {} objects ({} bytes) into {} ({} bytes, {} events){}",
            run.replaced,
            run.replaced_bytes,
            run.written,
            run.written_bytes,
            run.rows_out,
            receipt(&run)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn receipt(run: &RewriteRun) -> String {
    run.receipt_digest
        .as_ref()
        .map(|k| format!(", receipt {k}"))
        .unwrap_or_default()
}

pub(crate) fn print_recovered(r: &RewriteRun) {
    for job in &r.recovered_forward {
        say!("finished interrupted job {job}");
    }
    for job in &r.rolled_back {
        say!("rolled back interrupted job {job}");
    }
}

fn print_compaction_plan(plan: &CompactionPlan) {
    for g in &plan.groups {
        say!(
            "merge  tier={} event_date={} source={}: {} objects, {} bytes",
            g.tier,
            g.event_date,
            g.source,
            g.inputs.len(),
            g.bytes
        );
    }
    for s in &plan.skipped {
        say!("skip   {} ({})", s.key, s.reason);
    }
    say!(
        "plan: {} objects looked at, {} groups to merge, {} skipped",
        plan.objects,
        plan.groups.len(),
        plan.skipped.len()
    );
}

fn print_erasure_plan(plan: &ErasurePlan) {
    for a in &plan.affected {
        say!("rewrite {} ({} of {} rows)", a.key, a.matching_rows, a.rows);
    }
    for r in &plan.refused {
        say!("refused {} ({})", r.key, r.reason);
    }
    say!(
        "plan ({}): {} objects read, {} to rewrite, {} rows of the subject, {} protected",
        plan.mode,
        plan.objects_scanned,
        plan.affected.len(),
        plan.matching_rows,
        plan.refused.len()
    );
}

pub async fn erase(args: EraseArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let ecfg = config.erasure.clone().unwrap_or_default();
    let mode = match args.mode {
        Some(ModeArg::Delete) => ErasureMode::Delete,
        Some(ModeArg::Pseudonymize) => ErasureMode::Pseudonymize,
        None => ecfg.mode,
    };
    if args.reason.trim().is_empty() {
        anyhow::bail!("--reason: must not be empty");
    }
    if args.filter.actors.is_empty() {
        anyhow::bail!("--actor: the subject is required (an actor id, name or email)");
    }
    let filter: auditlake_filter::FilterSpec = args.filter.clone().into();
    // Checked before anything is read, so that a missing key fails fast.
    let key = ecfg.pseudonym_key()?;
    if mode == ErasureMode::Pseudonymize && key.is_none() {
        anyhow::bail!(
            "{}: erasure.pseudonym_key_file: mode pseudonymize needs a key: set {} or [erasure] pseudonym_key_file",
            args.config.display(),
            auditlake_jobs::erasure::PSEUDONYM_KEY_ENV
        );
    }
    let (store, writer) = open(&config).await?;
    let now = Utc::now();
    let holds = list_holds(&*store).await?;
    let signer = if args.dry_run {
        None
    } else {
        let s = signer(&config)?;
        let recovered = auditlake_jobs::rewrite::recover(&*store, s.clone(), now).await?;
        print_recovered(&recovered);
        Some(s)
    };
    let plan =
        auditlake_jobs::erasure::plan_erasure(&*store, &config.tiers, &holds, &filter, mode, now)
            .await?;
    if !plan.refused.is_empty() {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_erasure_plan(&plan);
        }
        say_err!(
            "error: erasure refused, nothing changed: {} objects holding the subject's events are under Object Lock or a legal hold:",
            plan.refused.len()
        );
        for r in &plan.refused {
            say_err!("  {} ({})", r.key, r.reason);
        }
        return Ok(ExitCode::from(1));
    }
    let Some(signer) = signer else {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_erasure_plan(&plan);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let run = auditlake_jobs::erasure::apply_erasure(
        &writer,
        &plan,
        signer,
        &format!("reason: {}", args.reason),
        key.as_ref(),
        &writer_options(&config),
    )
    .await?;
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "plan": plan, "run": run }))?
        );
    } else {
        print_erasure_plan(&plan);
        say!(
            "erased ({}): {} objects rewritten into {}, {} rows of the subject{}",
            plan.mode,
            run.replaced,
            run.written,
            plan.matching_rows,
            receipt(&run)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn print_deleted_users(plan: &DeletedUsersPlan, run: Option<&RewriteRun>) {
    for u in &plan.due {
        say!(
            "erase  events of deleted user {} (deleted {}, due {})",
            u.subject,
            u.deleted_at,
            u.erase_at
        );
    }
    for u in &plan.waiting {
        say!(
            "wait   deleted user {} (deleted {}, due {})",
            u.subject,
            u.deleted_at,
            u.erase_at
        );
    }
    for r in &plan.blocked {
        say!(
            "keep   {} of deleted users {} ({})",
            r.key,
            r.subjects.join(", "),
            r.reason
        );
    }
    say!(
        "deleted users (after {} days): {} due, {} waiting, {} objects protected; {} objects to rewrite, {} rows",
        plan.retention_days,
        plan.due.len(),
        plan.waiting.len(),
        plan.blocked.len(),
        plan.erasure.affected.len(),
        plan.erasure.matching_rows
    );
    if let Some(run) = run {
        say!(
            "erased deleted users' events: {} objects rewritten into {}{}",
            run.replaced,
            run.written,
            receipt(run)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("128MiB").unwrap(), 128 << 20);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("1 GB").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("64kib").unwrap(), 64 << 10);
        assert!(parse_size("12 parsecs").unwrap_err().contains("parsecs"));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }
}

//! One function per subcommand; each calls into a library crate and prints.

/// `println!` for a line meant for people: every character a terminal would act on (controls,
/// bidi overrides) in the line is escaped, since object keys, hold reasons and user names in it
/// come from outside. Not for JSON or TOML documents, which escape their own strings.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", auditlake_query::escape::terminal(&format!($($arg)*)))
    };
}

/// [`say!`] on stderr.
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", auditlake_query::escape::terminal(&format!($($arg)*)))
    };
}

pub mod compliance;
pub mod generate;
pub mod integrity;
pub mod profile;
pub mod query;
pub mod retention;
pub mod serve;

use std::process::ExitCode;

use anyhow::Context;
use auditlake_agent::{Config, RunSummary};
use auditlake_filter::{Bound, FilterError};
use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::{AgentArgs, Command};

/// Parses a time with [`auditlake_filter::time`], as every command does; the message without the
/// option's name, which clap adds.
fn time_arg(s: &str, bound: Bound) -> Result<DateTime<Utc>, String> {
    auditlake_filter::parse_time("", s, bound, Utc::now()).map_err(|e| match e {
        FilterError::InvalidArgument { message, .. } => message,
        other => other.to_string(),
    })
}

/// `--since`, `--now`: RFC 3339, a date (its first instant, UTC), `7d` ago, `today`, ...
pub fn since_arg(s: &str) -> Result<DateTime<Utc>, String> {
    time_arg(s, Bound::Since)
}

/// `--until`: as [`since_arg`], but a date (or `today`, `yesterday`) is the end of that day: the
/// instant after the range, exclusive.
pub fn until_arg(s: &str) -> Result<DateTime<Utc>, String> {
    time_arg(s, Bound::Until)
}

/// The first day a range starting at `since` touches.
pub fn since_date_arg(s: &str) -> Result<NaiveDate, String> {
    since_arg(s).map(|t| t.date_naive())
}

/// The last day a range ending at `until` touches: `--until 2026-11-21` is that day.
pub fn until_date_arg(s: &str) -> Result<NaiveDate, String> {
    until_arg(s).map(auditlake_filter::time::last_day)
}

pub async fn execute(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Agent(args) => agent(args).await,
        Command::Query(args) => query::query(args).await,
        Command::Export(args) => query::export(args).await,
        Command::Report(args) => query::report(args).await,
        Command::Ddl(args) => query::ddl(args).await,
        Command::Keygen(args) => integrity::keygen(args),
        Command::Verify(args) => integrity::verify(args).await,
        Command::Retention(args) => retention::retention(args).await,
        Command::Hold(args) => retention::hold(args).await,
        Command::Lifecycle(args) => retention::lifecycle(args),
        Command::Compact(args) => compliance::compact(args).await,
        Command::Erase(args) => compliance::erase(args).await,
        Command::Gen(args) => generate::gen_logs(args),
        Command::Serve(args) => serve::serve(args).await,
        Command::ServeToken(args) => serve::serve_token(args),
        Command::Profile(args) => profile::profile(args),
        Command::CheckConfig { config } => {
            let c = Config::load(&config)?;
            say!(
                "# {}: ok ({} sources, {} tiers, archive {})",
                config.display(),
                c.sources.len(),
                c.tiers.len(),
                c.archive.url
            );
            say!("# as it resolves: every key with its value or its default; secrets **redacted**");
            print!("{}", c.to_toml().map_err(anyhow::Error::msg)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Actions => {
            for d in auditlake_event::CATALOG {
                say!(
                    "{:<40} {:<16} {:<12} {}",
                    d.action,
                    d.category,
                    d.default_tier,
                    d.summary
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Profiles => {
            for name in auditlake_normalize::builtin_profile_names() {
                say!("{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn agent(args: AgentArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    if config.sources.is_empty() {
        anyhow::bail!("{}: sources: no [[sources]] to read", args.config.display());
    }
    let summary = if args.once {
        auditlake_agent::run_once(&config).await
    } else {
        auditlake_agent::run_live(&config, shutdown_signal()).await
    }
    .context("agent run failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(s: &RunSummary) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    for (name, st) in &s.sources {
        say!(
            "{name}: {} files, {} lines, {} events, {} ignored, {} dead letters, {} objects",
            st.files,
            st.lines,
            st.events,
            st.ignored,
            st.dead_letters,
            st.objects
        );
        if !st.never_resolved.is_empty() {
            say!(
                "{name}: mapped paths that never resolved: {}",
                st.never_resolved.join(", ")
            );
        }
        if st.uncatalogued_events > 0 {
            let named: u64 = st.uncatalogued_actions.values().map(|r| r.events).sum();
            let mut list: Vec<String> = st
                .uncatalogued_actions
                .iter()
                .map(|(a, r)| format!("{a} -> {} ({})", r.tier, r.events))
                .collect();
            if named < st.uncatalogued_events {
                list.push(format!("{} more", st.uncatalogued_events - named));
            }
            say!(
                "{name}: {} events of actions not in the catalog: {}",
                st.uncatalogued_events,
                list.join(", ")
            );
        }
        if !st.unconverted.is_empty() {
            say!(
                "{name}: values that could not be converted (kept in attributes.unconverted): {}",
                st.unconverted
                    .iter()
                    .map(|(c, n)| format!("{c}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if st.duplicate_event_ids > 0 {
            say!(
                "{name}: {} events reused an event id seen earlier in their batch (is `fields.event_id` unique?)",
                st.duplicate_event_ids
            );
        }
    }
    let t = &s.total;
    say!(
        "total: {} lines, {} events, {} ignored, {} dead letters{}",
        t.lines,
        t.events,
        t.ignored,
        t.dead_letters,
        if t.dead_letters_by_kind.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                t.dead_letters_by_kind
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if t.truncated + t.invalid_utf8 + t.files_truncated + t.files_waiting > 0 || t.partial_bytes > 0
    {
        say!(
            "flagged: {} lines truncated, {} lines not UTF-8, {} files truncated since last run, {} files waiting for a first line, {} bytes of partial last lines held",
            t.truncated,
            t.invalid_utf8,
            t.files_truncated,
            t.files_waiting,
            t.partial_bytes
        );
    }
    if t.unterminated > 0 {
        println!(
            "unterminated: {} last lines without a newline archived, flagged `unterminated`",
            t.unterminated
        );
    }
    if t.files_lost > 0 {
        let unknown = if t.files_lost_size_unknown > 0 {
            format!(", {} of them of unknown size", t.files_lost_size_unknown)
        } else {
            String::new()
        };
        println!(
            "unread bytes lost: {} in {} files{unknown} (see {})",
            t.unread_bytes_lost, t.files_lost, s.loss_ledger
        );
    }
    if t.time_out_of_range_total() > 0 {
        println!(
            "time out of range: {} lines whose time is outside their source's time_window ({})",
            t.time_out_of_range_total(),
            t.time_out_of_range
                .iter()
                .map(|(policy, n)| format!("{policy}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let secs = s.seconds.max(1e-9);
    say!(
        "archive: {} objects, {:.2} MiB in, {:.2} MiB out ({:.1}x), {:.2} s, {:.0} events/s, {:.1} MiB/s",
        t.objects,
        mib(t.bytes_in),
        mib(t.bytes_out),
        if t.bytes_out > 0 {
            t.bytes_in as f64 / t.bytes_out as f64
        } else {
            0.0
        },
        s.seconds,
        t.events as f64 / secs,
        mib(t.bytes_in) / secs
    );
}

/// Completes on SIGTERM (Kubernetes stopping the pod) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM, stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

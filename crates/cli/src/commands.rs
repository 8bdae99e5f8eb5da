//! One function per subcommand; each calls into a library crate and prints.

pub mod compliance;
pub mod generate;
pub mod integrity;
pub mod query;
pub mod retention;

use std::process::ExitCode;

use anyhow::Context;
use auditlake_agent::{Config, RunSummary};

use crate::cli::{AgentArgs, Command};

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
        Command::CheckConfig { config } => {
            let c = Config::load(&config)?;
            println!(
                "{}: ok ({} sources, {} tiers, archive {})",
                config.display(),
                c.sources.len(),
                c.tiers.len(),
                c.archive.url
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Actions => {
            for d in auditlake_event::CATALOG {
                println!(
                    "{:<40} {:<16} {:<12} {}",
                    d.action, d.category, d.default_tier, d.summary
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Profiles => {
            for name in auditlake_normalize::builtin_profile_names() {
                println!("{name}");
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
        println!(
            "{name}: {} files, {} lines, {} events, {} ignored, {} dead letters, {} objects",
            st.files, st.lines, st.events, st.ignored, st.dead_letters, st.objects
        );
    }
    let t = &s.total;
    println!(
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
        println!(
            "flagged: {} lines truncated, {} lines not UTF-8, {} files truncated since last run, {} files waiting for a first line, {} bytes of partial last lines held",
            t.truncated, t.invalid_utf8, t.files_truncated, t.files_waiting, t.partial_bytes
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
    println!(
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

//! The command line, as data: tests can build a [`Command`] without parsing.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Turns application logs into a compliance-grade archive of user-activity audit events.
#[derive(Debug, Parser)]
#[command(name = "auditlake", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tail the configured log files and archive their events.
    Agent(AgentArgs),
    /// Check a configuration file and print what it resolves to.
    CheckConfig {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// List the actions of the catalog with their category and default tier.
    Actions,
    /// List the built-in profiles (as `profile list`).
    Profiles,
    /// List and show the built-in profiles, and test a profile on lines or a file before
    /// deploying it (`profile test --profile NAME --file F --summary`).
    Profile(crate::commands::profile::ProfileArgs),
    /// Find events in the archive: filters, time order, table / CSV / JSON / Parquet output.
    Query(crate::commands::query::QueryArgs),
    /// Write the events a filter selects to a file (CSV, JSON lines, JSON, Parquet).
    Export(crate::commands::query::ExportArgs),
    /// Compliance reports: timeline, last-login, failed-logins, activity, changes, credential,
    /// heatmap, subject.
    Report(crate::commands::query::ReportArgs),
    /// Print the table definition that DuckDB, Athena or Trino use to read the archive.
    Ddl(crate::commands::query::DdlArgs),
    /// Make an Ed25519 key pair for signing digests and receipts.
    Keygen(crate::commands::integrity::KeygenArgs),
    /// Check the archive against its signed digest chains; exits 1 on any finding.
    Verify(crate::commands::integrity::VerifyArgs),
    /// Delete what has passed its tier's retention, except what a legal hold covers.
    Retention(crate::commands::retention::RetentionArgs),
    /// Place, list and remove legal holds.
    Hold(crate::commands::retention::HoldArgs),
    /// Print the S3 bucket lifecycle configuration (JSON) of the tiers' transitions and
    /// expirations.
    Lifecycle(crate::commands::retention::LifecycleArgs),
    /// Merge a partition's small objects into sorted objects of a target size, with a signed
    /// receipt; safe to kill and rerun.
    Compact(crate::commands::compliance::CompactArgs),
    /// Erase (or pseudonymize) a data subject's events, with a signed receipt; refuses objects
    /// under Object Lock or a legal hold.
    Erase(crate::commands::compliance::EraseArgs),
    /// The console and API over the archive: sign-in, roles, the activity log, reports and
    /// exports; every read is itself archived as an audit event.
    Serve(crate::commands::serve::ServeArgs),
    /// Make a service token for `[[serve.tokens]]`: prints the token and the lines to add.
    ServeToken(crate::commands::serve::ServeTokenArgs),
    /// Write realistic audit logs in a built-in profile's format (benchmarks, demos, tests).
    Gen(crate::commands::generate::GenArgs),
}

#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The configuration file (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Read what the files hold now, archive it, and exit (backfill, quick start). Without it
    /// the agent follows the files until SIGTERM or SIGINT.
    #[arg(long)]
    pub once: bool,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Logs go to stderr, filtered by `RUST_LOG` or the verbosity flags.
pub fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

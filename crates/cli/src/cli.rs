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
    /// List the built-in profiles.
    Profiles,
}

#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The configuration file (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Read what the files hold now, archive it, and exit (backfill, quick start).
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

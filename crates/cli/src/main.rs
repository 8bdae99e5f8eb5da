//! The `auditlake` binary: parse arguments, load configuration, call a library, print.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(cli.verbose, cli.quiet);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote values from the archive and from logs: escaped for the terminal.
            let message = format!("{e:#}");
            eprintln!(
                "auditlake: error: {}",
                auditlake_query::escape::terminal(&message)
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    // One worker per available core (at least two), which the scans of `query`, `report` and
    // `export` use to decode objects in parallel.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(workers)
        .build()?;
    runtime.block_on(commands::execute(cli.command))
}

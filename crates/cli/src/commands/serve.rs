//! `auditlake serve` and `auditlake serve-token`: the console and API, and the service tokens
//! it accepts.
//!
//! The server records every read in `serve.state_dir/access.jsonl`; this command archives that
//! file with the agent's own pipeline (spool, checkpoint, digest, upload), as a source named
//! `serve.access_source` in the `auditlake-json` profile, beside the server in one process.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use auditlake_agent::Config;
use auditlake_agent::config::{SourceConfig, StartAt};
use clap::Args;
use rand_core::{OsRng, RngCore};

/// How long requests in flight may take to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The configuration file: `[archive]`, `[[tiers]]` and `[serve]` (the agent's file can
    /// hold all of them).
    #[arg(long, short)]
    pub config: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeTokenArgs {
    /// The name of the service the token is for.
    #[arg(long)]
    pub name: String,
    /// The role it reads with: auditor, admin or user.
    #[arg(long, default_value = "auditor")]
    pub role: String,
}

/// The configuration that archives the record of reads: the file's archive, tiers and digest
/// settings, and one source, the access log.
pub fn access_config(config: &Config) -> anyhow::Result<Config> {
    let serve = config.serve.as_ref().context("[serve] is missing")?;
    let mut c = config.clone();
    c.sources = vec![SourceConfig {
        name: serve.access_source.clone(),
        paths: vec![
            serve
                .state_dir
                .join(auditlake_serve::access::ACCESS_LOG)
                .to_string_lossy()
                .into_owned(),
        ],
        exclude: Vec::new(),
        profile: "auditlake-json".into(),
        start_at: StartAt::Beginning,
        keep_raw: true,
        max_line_bytes: 1024 * 1024,
        time_window: Default::default(),
        default_tier: None,
    }];
    c.agent.state_dir = serve.pipeline_state_dir();
    // The server's own address serves the probes and metrics.
    c.agent.listen = "127.0.0.1:0".into();
    c.alerts = None;
    c.validate()
        .map_err(|e| anyhow::anyhow!("archiving the record of reads: {e}"))?;
    Ok(c)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let Some(serve) = config.serve.clone() else {
        anyhow::bail!(
            "{}: serve: no [serve] section (listen, state_dir, oidc, tokens)",
            args.config.display()
        );
    };
    let access = access_config(&config).with_context(|| format!("{}", args.config.display()))?;
    let store = auditlake_storage::open(&config.archive).await?;
    let mut keys: Vec<_> = auditlake_agent::generated_key::trusted_public_keys(&config)?
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    // The server signs the record of its reads with the configured key, so it holds that key
    // and trusts its public half even where no `.pub` file is mounted beside it.
    if auditlake_agent::generated_key::key_configured(&config) {
        let own = auditlake_agent::generated_key::job_signer(&config)?
            .public_key()
            .clone();
        if !keys.contains(&own) {
            keys.push(own);
        }
    }
    let identity = config.identity.clone().unwrap_or_default();
    let running = auditlake_serve::start(&serve, &identity, store, keys)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    if let Some(a) = running.local_addr() {
        eprintln!("auditlake serve: listening on http://{a}/");
    }
    // The pipeline stops (flushing and uploading what the server recorded) once the server
    // has stopped answering.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut pipeline = tokio::spawn(async move {
        auditlake_agent::run_live(&access, async {
            let _ = stop_rx.await;
        })
        .await
    });
    let early = tokio::select! {
        () = super::shutdown_signal() => None,
        r = &mut pipeline => Some(r),
    };
    running.shutdown(DRAIN).await;
    let result = match early {
        // The pipeline ended by itself: an error it names (the store is refused, say).
        Some(r) => r,
        None => {
            let _ = stop_tx.send(());
            pipeline.await
        }
    };
    let summary = result
        .context("the archiving of the record of reads panicked")?
        .context("archiving the record of reads failed")?;
    let events: u64 = summary.sources.iter().map(|(_, s)| s.events).sum();
    eprintln!("auditlake serve: stopped; {events} reads archived in this run");
    Ok(ExitCode::SUCCESS)
}

pub fn serve_token(args: ServeTokenArgs) -> anyhow::Result<ExitCode> {
    let role: auditlake_serve::Role =
        serde_json::from_value(serde_json::Value::from(args.role.as_str())).map_err(|_| {
            anyhow::anyhow!("--role: {:?}: expected auditor, admin or user", args.role)
        })?;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("alk_{}", hex::encode(bytes));
    println!("token: {token}");
    println!("(give it to the service; it is not stored anywhere, only its hash below)");
    println!();
    println!("[[serve.tokens]]");
    println!("name = {}", toml_string(&args.name));
    println!("sha256 = \"{}\"", auditlake_serve::token_sha256(&token));
    println!("role = \"{}\"", role.as_str());
    Ok(ExitCode::SUCCESS)
}

fn toml_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

//! `keygen` and `verify`: the signing keys and the check of the archive against its digests.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auditlake_archive::{DigestSigner, PublicKey, VerifyOptions, VerifyReport};
use auditlake_storage::StoreConfig;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// `auditlake keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Writes PREFIX.key (the private key, PKCS#8 PEM, mode 0600) and PREFIX.pub (the public key,
    /// SPKI PEM). Existing files are never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
}

/// `auditlake verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The archive: a local directory or s3://bucket/prefix; default: the `[archive]` of
    /// `--config`.
    #[arg(long, required_unless_present = "config")]
    pub archive: Option<String>,
    /// The agent's configuration file: its `[archive]`, and without `--public-key` the keys
    /// to trust: the `.pub` file beside `[digest] signing_key_file`, and the key the agent
    /// generated in its state directory (`STATE_DIR/keys/audit.pub`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// A trusted public key file (PEM or hex); repeat for several signers.
    #[arg(long = "public-key", required_unless_present = "config")]
    pub public_keys: Vec<PathBuf>,
    /// Check objects of event dates from this one on (a date, RFC 3339, 7d ago, today).
    #[arg(long, value_parser = super::since_date_arg)]
    pub since: Option<NaiveDate>,
    /// Check objects of event dates up to this one (a date includes that whole day).
    #[arg(long, value_parser = super::until_date_arg)]
    pub until: Option<NaiveDate>,
    /// Report a source chain whose last digest is older than this many seconds (twice the
    /// digest interval is a good value).
    #[arg(long)]
    pub max_silence_secs: Option<u64>,
    /// The time to judge `--max-silence-secs` at (date or RFC 3339); default now.
    #[arg(long, value_parser = super::since_arg)]
    pub now: Option<DateTime<Utc>>,
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let signer = DigestSigner::generate();
    let (private, public) = signer.write_pair(&args.out)?;
    say!("private key: {} (keep it secret)", private.display());
    say!("public key:  {}", public.display());
    say!("fingerprint: {}", signer.fingerprint());
    Ok(ExitCode::SUCCESS)
}

pub async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let config = args
        .config
        .as_deref()
        .map(auditlake_agent::Config::load)
        .transpose()?;
    let keys = if args.public_keys.is_empty() {
        trusted_keys(config.as_ref(), args.config.as_deref())?
    } else {
        args.public_keys
            .iter()
            .map(|p| PublicKey::from_file(p))
            .collect::<Result<Vec<_>, _>>()?
    };
    let (store, archive) = match (&args.archive, &config) {
        (Some(url), _) => (
            auditlake_storage::open(&StoreConfig::from_url(url)).await?,
            url.clone(),
        ),
        (None, Some(c)) => (
            auditlake_storage::open(&c.archive).await?,
            c.archive.url.clone(),
        ),
        (None, None) => anyhow::bail!("--archive or --config is needed"),
    };
    let opts = VerifyOptions {
        since: args.since.map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        until: args.until.map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        max_silence_secs: args.max_silence_secs,
        now: args.now.unwrap_or_else(Utc::now),
        ..VerifyOptions::default()
    };
    let report = auditlake_archive::verify_archive(&*store, &keys, &opts)
        .await
        .with_context(|| format!("verifying {archive}"))?;
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => print_report(&report),
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The keys a configuration's archive verifies with; each trusted key is named on stderr.
fn trusted_keys(
    config: Option<&auditlake_agent::Config>,
    path: Option<&std::path::Path>,
) -> anyhow::Result<Vec<PublicKey>> {
    let (Some(config), Some(path)) = (config, path) else {
        anyhow::bail!("--public-key or --config is needed");
    };
    let keys = auditlake_agent::generated_key::trusted_public_keys(config)?;
    if keys.is_empty() {
        anyhow::bail!(
            "{}: no public key to trust: none beside [digest] signing_key_file and none in {}; pass --public-key",
            path.display(),
            auditlake_agent::generated_key::public_key_path(&config.agent.state_dir).display()
        );
    }
    for (file, key) in &keys {
        eprintln!("trusting {} ({})", key.fingerprint(), file.display());
    }
    Ok(keys.into_iter().map(|(_, k)| k).collect())
}

fn print_report(r: &VerifyReport) {
    for f in &r.findings {
        say!("{f}");
    }
    say!(
        "{}: {} chains, {} digests, {} objects listed, {} verified ({} bytes), {} expired under receipts, {} findings",
        if r.is_clean() { "ok" } else { "FAILED" },
        r.chains,
        r.digests,
        r.objects_listed,
        r.objects_verified,
        r.bytes_verified,
        r.objects_expired,
        r.findings.len()
    );
}

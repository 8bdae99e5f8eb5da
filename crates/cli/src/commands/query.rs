//! `auditlake query`, `export`, `report` and `ddl`: parse into the query crate's requests, open
//! the store, run, print.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use auditlake_query::people::People;
use auditlake_query::reports::{self, ActivityBy, GroupBy, Report, ReportOutput};
use auditlake_query::{
    CsvFormulas, FilterSpec, Format, Order, OutputWriter, Query, QueryRequest, ScanStats,
};
use auditlake_storage::{ObjectStore, StoreConfig};
use clap::{Args, ValueEnum};

/// Where the archive is.
#[derive(Debug, Clone, Args)]
pub struct ArchiveArgs {
    /// The archive: a directory or s3://bucket/prefix.
    #[arg(long, required_unless_present = "config")]
    pub archive: Option<String>,
    /// Take the archive (and its S3 settings) from an agent configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// An S3-compatible endpoint, e.g. http://127.0.0.1:9000.
    #[arg(long)]
    pub s3_endpoint: Option<String>,
    /// The S3 region.
    #[arg(long)]
    pub s3_region: Option<String>,
    /// Path-style S3 addressing (most S3-compatible servers need it).
    #[arg(long)]
    pub s3_path_style: bool,
}

/// The filters every query, export and report takes.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Events at or after: RFC 3339, a date (from its start, UTC), 7d / 24h / 30m ago, today,
    /// yesterday.
    #[arg(long)]
    pub since: Option<String>,
    /// Events before this time; a date (or today, yesterday) includes that whole day (UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// Actor id, name or email (exact), repeatable.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// Actor id only (exact): the fastest way to one user's events.
    #[arg(long)]
    pub actor_id: Option<String>,
    /// Action glob, repeatable: authentication.*, data.export.
    #[arg(long = "action")]
    pub actions: Vec<String>,
    /// Category, repeatable.
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// Outcome (success, failure, unknown), repeatable.
    #[arg(long = "outcome")]
    pub outcomes: Vec<String>,
    /// Source address or CIDR block, repeatable.
    #[arg(long = "ip")]
    pub ips: Vec<String>,
    /// Resource TYPE or TYPE:ID.
    #[arg(long)]
    pub resource: Option<String>,
    /// Credential (security key, passkey) id.
    #[arg(long)]
    pub credential: Option<String>,
    /// Session id.
    #[arg(long)]
    pub session: Option<String>,
    /// Tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Tier, repeatable (all when absent).
    #[arg(long = "tier")]
    pub tiers: Vec<String>,
    /// Case-insensitive text in actor id/name/email, src_ip, message or raw.
    #[arg(long)]
    pub text: Option<String>,
}

impl From<FilterArgs> for FilterSpec {
    fn from(a: FilterArgs) -> FilterSpec {
        FilterSpec {
            since: a.since,
            until: a.until,
            actors: a.actors,
            resource_id: None,
            actor_id: a.actor_id,
            actions: a.actions,
            categories: a.categories,
            outcomes: a.outcomes,
            ips: a.ips,
            resource: a.resource,
            credential: a.credential,
            session: a.session,
            tenant: a.tenant,
            tiers: a.tiers,
            text: a.text,
            scope: None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Jsonl,
    Json,
    Parquet,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Json => Format::Json,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}

/// `--csv-formulas`: what CSV does with a string cell that a spreadsheet would evaluate.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum CsvFormulasArg {
    /// Put a `'` before cells starting with `=`, `+`, `-`, `@`, tab or carriage return, so that
    /// a spreadsheet shows them as text (numeric columns are never changed).
    #[default]
    Neutralize,
    /// Write every cell exactly as stored: for programs, not spreadsheets.
    Verbatim,
}

impl From<CsvFormulasArg> for CsvFormulas {
    fn from(f: CsvFormulasArg) -> CsvFormulas {
        match f {
            CsvFormulasArg::Neutralize => CsvFormulas::Neutralize,
            CsvFormulasArg::Verbatim => CsvFormulas::Verbatim,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrderArg {
    Asc,
    Desc,
    /// As stored; the fastest, and memory stays a few objects' worth.
    None,
}

/// `auditlake query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub archive: ArchiveArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<u64>,
    /// By time: newest first (desc, the default), oldest first, or as stored.
    #[arg(long, value_enum, default_value = "desc")]
    pub order: OrderArg,
    /// Output columns, comma-separated (default: a summary for tables, every column otherwise).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Output format; table when stdout is a terminal, else csv.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Print the scan's counters (files, row groups pruned, bytes read) as JSON on stderr.
    #[arg(long)]
    pub stats: bool,
    /// CSV: neutralize (the default) puts a `'` before string cells a spreadsheet would run as
    /// a formula (starting with =, +, -, @, tab, CR); verbatim writes them as stored.
    #[arg(long, value_enum, default_value = "neutralize")]
    pub csv_formulas: CsvFormulasArg,
}

/// `auditlake export`: a query whose format and file are required.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub archive: ArchiveArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long)]
    pub limit: Option<u64>,
    /// By time: oldest first (asc, the default), newest first, or as stored (fastest).
    #[arg(long, value_enum, default_value = "asc")]
    pub order: OrderArg,
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    #[arg(long, value_enum)]
    pub format: FormatArg,
    #[arg(long, short)]
    pub output: PathBuf,
    #[arg(long)]
    pub stats: bool,
    /// CSV: neutralize (the default) puts a `'` before string cells a spreadsheet would run as
    /// a formula (starting with =, +, -, @, tab, CR); verbatim writes them as stored.
    #[arg(long, value_enum, default_value = "neutralize")]
    pub csv_formulas: CsvFormulasArg,
}

/// `auditlake report NAME`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report.
    #[arg(value_enum)]
    pub name: ReportName,
    #[command(flatten)]
    pub archive: ArchiveArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// failed-logins: the sliding window.
    #[arg(long, default_value = "15m")]
    pub window: String,
    /// failed-logins: failures within the window that make a burst.
    #[arg(long, default_value_t = 5)]
    pub threshold: usize,
    /// failed-logins: actor or ip (default actor); activity: user, action or day (default user).
    #[arg(long)]
    pub by: Option<String>,
    /// credential: the credential's id (same as --credential).
    #[arg(long)]
    pub id: Option<String>,
    /// One row per person, not per id: the ids `[identity]` of --config lists as one person,
    /// and those the archive's events carry together (an id with its username or e-mail), are
    /// joined. last-login and activity --by user then have an `ids` column; timeline and
    /// subject read every id of the --actor's person. Ids that would join several people are
    /// joined to no one and listed on stderr.
    #[arg(long)]
    pub by_person: bool,
    /// table, csv, json, jsonl, parquet, or html (one self-contained file with its chart as
    /// SVG, for printing or attaching to an audit); table when stdout is a terminal, else csv.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormatArg>,
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// CSV: neutralize (the default) puts a `'` before string cells a spreadsheet would run as
    /// a formula (starting with =, +, -, @, tab, CR); verbatim writes them as stored.
    #[arg(long, value_enum, default_value = "neutralize")]
    pub csv_formulas: CsvFormulasArg,
}

/// A report's output formats: the query's and HTML.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormatArg {
    Table,
    Csv,
    Jsonl,
    Json,
    Parquet,
    Html,
    /// The HTML report printed to PDF by a headless Chromium (`AUDITLAKE_CHROMIUM`, else
    /// `chromium` on the PATH).
    Pdf,
}

/// The most rows an HTML report of events (timeline, credential) holds.
const HTML_MAX_ROWS: u64 = 50_000;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportName {
    /// One user's events, newest first (--actor).
    Timeline,
    /// Every user's last successful login and status: LoggedIn, Failed, Locked, Active, Never.
    LastLogin,
    /// Bursts of failed authentications: at least --threshold within --window, --by actor|ip.
    FailedLogins,
    /// Events per user (most active first), per action, or per day (--by user|action|day).
    Activity,
    /// A resource's change history: field, old, new, who, when (--resource TYPE:ID).
    Changes,
    /// A credential's registration, uses (with the relying party) and deletion (--id).
    Credential,
    /// Events by weekday and hour (UTC).
    Heatmap,
    /// Everything about one person as one JSON document, a GDPR access request (--actor).
    Subject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EngineArg {
    Duckdb,
    Athena,
    Trino,
}

/// `auditlake ddl`.
#[derive(Debug, Args)]
pub struct DdlArgs {
    #[arg(long, value_enum)]
    pub engine: EngineArg,
    #[command(flatten)]
    pub archive: ArchiveArgs,
    /// The table's name.
    #[arg(long, default_value = "audit_events")]
    pub table: String,
    /// The first event date Athena's partition projection covers.
    #[arg(long, default_value = "2020-01-01")]
    pub first_date: String,
}

/// The columns a table shows when none are asked for.
const TABLE_COLUMNS: &[&str] = &[
    "time",
    "action",
    "outcome",
    "actor_id",
    "actor_name",
    "src_ip",
    "resource_type",
    "resource_id",
    "reason",
    "event_id",
];

fn archive_config(a: &ArchiveArgs) -> anyhow::Result<StoreConfig> {
    let mut archive = match (&a.archive, &a.config) {
        (Some(url), _) => StoreConfig::from_url(url.clone()),
        (None, Some(path)) => auditlake_agent::Config::load(path)?.archive,
        (None, None) => anyhow::bail!("--archive or --config is required"),
    };
    if a.s3_endpoint.is_some() || a.s3_region.is_some() || a.s3_path_style {
        let s3 = archive.s3.get_or_insert_with(Default::default);
        if let Some(e) = &a.s3_endpoint {
            s3.endpoint = Some(e.clone());
        }
        if let Some(r) = &a.s3_region {
            s3.region = Some(r.clone());
        }
        s3.force_path_style |= a.s3_path_style;
    }
    Ok(archive)
}

/// Opens the archive of `--archive` (or of `--config`'s `[archive]`) with the `--s3-*` flags.
pub(crate) async fn open(a: &ArchiveArgs) -> anyhow::Result<(Arc<dyn ObjectStore>, String)> {
    let cfg = archive_config(a)?;
    if !cfg.url.starts_with("s3://") && !std::path::Path::new(&cfg.url).is_dir() {
        anyhow::bail!("archive {} is not a directory", cfg.url);
    }
    let store = auditlake_storage::open(&cfg)
        .await
        .with_context(|| format!("opening archive {}", cfg.url))?;
    Ok((store, cfg.url))
}

fn output(path: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

fn default_format(f: Option<FormatArg>, path: &Option<PathBuf>) -> Format {
    match f {
        Some(f) => f.into(),
        None if path.is_none() && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Csv,
    }
}

fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(160)
}

/// Shows the scan's progress on stderr once it has run a second, where stderr is a terminal.
fn progress(stats: Arc<ScanStats>) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        loop {
            eprint!(
                "\r\x1b[K{} | {:.1}s",
                stats.snapshot().progress_line(),
                start.elapsed().as_secs_f64()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }))
}

async fn run_query(
    q: &Query,
    format: Format,
    csv_formulas: CsvFormulasArg,
    out: Box<dyn Write + Send>,
    show_stats: bool,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut w = OutputWriter::new(format, q.output_schema(), out, terminal_width())?
        .with_csv_formulas(csv_formulas.into());
    let ticker = progress(q.stats());
    let result = q.run(&mut |b| w.write(&b)).await;
    if let Some(t) = ticker {
        t.abort();
        if started.elapsed() >= Duration::from_secs(1) {
            eprint!("\r\x1b[K");
        }
    }
    let n = result?;
    w.finish()?;
    if show_stats {
        let mut v = serde_json::to_value(q.stats().snapshot())?;
        v["rows_out"] = n.into();
        v["seconds"] = started.elapsed().as_secs_f64().into();
        eprintln!("{v}");
    }
    Ok(n)
}

fn columns_or(given: Vec<String>, format: Format) -> Option<Vec<String>> {
    if !given.is_empty() {
        Some(given)
    } else if format == Format::Table {
        Some(TABLE_COLUMNS.iter().map(|s| s.to_string()).collect())
    } else {
        None
    }
}

fn order(o: OrderArg) -> Order {
    match o {
        OrderArg::Asc => Order::Asc,
        OrderArg::Desc => Order::Desc,
        OrderArg::None => Order::None,
    }
}

pub async fn query(args: QueryArgs) -> anyhow::Result<ExitCode> {
    let format = default_format(args.format, &args.output);
    let (store, _) = open(&args.archive).await?;
    let req = QueryRequest {
        filter: args.filter.into(),
        columns: columns_or(args.columns, format),
        order: order(args.order),
        limit: args.limit,
    };
    let q = Query::new(store, &req, chrono::Utc::now())?;
    run_query(
        &q,
        format,
        args.csv_formulas,
        output(&args.output)?,
        args.stats,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format: Format = args.format.into();
    let (store, _) = open(&args.archive).await?;
    let req = QueryRequest {
        filter: args.filter.into(),
        columns: columns_or(args.columns, format),
        order: order(args.order),
        limit: args.limit,
    };
    let q = Query::new(store, &req, chrono::Utc::now())?;
    let n = run_query(
        &q,
        format,
        args.csv_formulas,
        output(&Some(args.output.clone()))?,
        args.stats,
    )
    .await?;
    eprintln!(
        "exported {n} events to {}",
        auditlake_query::escape::terminal(&args.output.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

/// Who is who, for `--by-person`: the configuration's `[identity]` and what the archive's
/// events teach within the report's time range.
async fn people_of(
    args: &ReportArgs,
    store: &Arc<dyn ObjectStore>,
    filter: &FilterSpec,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<People>> {
    if !args.by_person {
        return Ok(None);
    }
    let identity = match &args.archive.config {
        Some(path) => auditlake_agent::Config::load(path)?
            .identity
            .unwrap_or_default(),
        None => Default::default(),
    };
    let learn_within = FilterSpec {
        since: filter.since.clone(),
        until: filter.until.clone(),
        tenant: filter.tenant.clone(),
        tiers: filter.tiers.clone(),
        ..Default::default()
    };
    let people = People::learn(store.clone(), &identity, learn_within, now).await?;
    const SHOWN: usize = 20;
    let ambiguous = people.ambiguous();
    if !ambiguous.is_empty() {
        eprintln!(
            "{} ids joined no one, since each would join several people{}:",
            ambiguous.len(),
            if ambiguous.len() > SHOWN {
                format!(" (the first {SHOWN})")
            } else {
                String::new()
            }
        );
    }
    for a in ambiguous.iter().take(SHOWN) {
        let mut claimed = a.claimed_by.iter().take(5).cloned().collect::<Vec<_>>();
        if a.claimed_by.len() > 5 {
            claimed.push(format!("and {} more", a.claimed_by.len() - 5));
        }
        eprintln!(
            "  {} ({}: {})",
            auditlake_query::escape::terminal(&a.alias),
            a.why,
            auditlake_query::escape::terminal(&claimed.join(", "))
        );
    }
    Ok(Some(people))
}

pub async fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now();
    let mut filter: FilterSpec = args.filter.clone().into();
    let actor = || match filter.actors.as_slice() {
        [one] => Ok(one.clone()),
        _ => anyhow::bail!("this report needs one --actor ID|NAME|EMAIL"),
    };
    let report = match args.name {
        ReportName::Subject => {
            let actor = actor()?;
            let (store, _) = open(&args.archive).await?;
            let people = people_of(&args, &store, &filter, now).await?;
            reports::subject_export(
                store,
                &actor,
                filter,
                now,
                people.as_ref(),
                output(&args.output)?,
            )
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
        ReportName::Timeline => Report::Timeline { actor: actor()? },
        ReportName::LastLogin => Report::LastLogin,
        ReportName::FailedLogins => Report::FailedLogins {
            window_micros: auditlake_filter::parse_duration(&args.window)
                .and_then(|d| d.num_microseconds())
                .with_context(|| {
                    format!(
                        "--window {:?}: expected a duration such as 15m",
                        args.window
                    )
                })?,
            threshold: args.threshold,
            by: match args.by.as_deref() {
                None | Some("actor") => GroupBy::Actor,
                Some("ip") => GroupBy::Ip,
                Some(o) => anyhow::bail!("--by {o:?}: failed-logins groups by actor or ip"),
            },
        },
        ReportName::Activity => Report::Activity {
            by: match args.by.as_deref() {
                None | Some("user") => ActivityBy::User,
                Some("action") => ActivityBy::Action,
                Some("day") => ActivityBy::Day,
                Some(o) => anyhow::bail!("--by {o:?}: activity is by user, action or day"),
            },
        },
        ReportName::Changes => Report::Changes {
            resource: filter
                .resource
                .take()
                .context("changes needs --resource TYPE:ID")?,
        },
        ReportName::Credential => Report::Credential {
            id: args
                .id
                .clone()
                .or(filter.credential.take())
                .context("credential needs --id ID")?,
        },
        ReportName::Heatmap => Report::Heatmap,
    };
    let (store, _) = open(&args.archive).await?;
    let people = people_of(&args, &store, &filter, now).await?;
    let format = match args.format {
        Some(f @ (ReportFormatArg::Html | ReportFormatArg::Pdf)) => {
            let name = args
                .name
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            let asked = asked_filters(&filter);
            let (batch, cut) =
                match reports::run(store, &report, filter, now, people.as_ref()).await? {
                    ReportOutput::Table(batch) => (batch, false),
                    ReportOutput::Query(q) => {
                        let all = q.with_limit(Some(HTML_MAX_ROWS + 1)).collect().await?;
                        let n = all.num_rows().min(HTML_MAX_ROWS as usize);
                        (all.slice(0, n), all.num_rows() > n)
                    }
                };
            let mut title = format!("auditlake report: {name}");
            if cut {
                title.push_str(&format!(" (first {HTML_MAX_ROWS} rows)"));
            }
            let page = auditlake_query::html::render(
                &title,
                &asked,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                &batch,
                auditlake_query::html::chart_for(&name),
            )?;
            let bytes = match f {
                ReportFormatArg::Pdf => print_to_pdf(&page)?,
                _ => page.into_bytes(),
            };
            let mut out = output(&args.output)?;
            out.write_all(&bytes)?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(ReportFormatArg::Table) => Format::Table,
        Some(ReportFormatArg::Csv) => Format::Csv,
        Some(ReportFormatArg::Jsonl) => Format::Jsonl,
        Some(ReportFormatArg::Json) => Format::Json,
        Some(ReportFormatArg::Parquet) => Format::Parquet,
        None => default_format(None, &args.output),
    };
    match reports::run(store, &report, filter, now, people.as_ref()).await? {
        ReportOutput::Query(q) => {
            run_query(&q, format, args.csv_formulas, output(&args.output)?, false).await?;
        }
        ReportOutput::Table(batch) => {
            let mut w = OutputWriter::new(
                format,
                batch.schema(),
                output(&args.output)?,
                terminal_width(),
            )?
            .with_csv_formulas(args.csv_formulas.into());
            w.write(&batch)?;
            w.finish()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An HTML page printed to PDF by a headless Chromium: the same page, its charts as vectors.
fn print_to_pdf(page: &str) -> anyhow::Result<Vec<u8>> {
    let browser = std::env::var("AUDITLAKE_CHROMIUM")
        .ok()
        .filter(|b| !b.is_empty())
        .or_else(|| {
            ["chromium", "chromium-browser", "google-chrome"]
                .into_iter()
                .find(|b| {
                    std::env::var_os("PATH").is_some_and(|p| {
                        std::env::split_paths(&p).any(|d| d.join(b).is_file())
                    })
                })
                .map(str::to_string)
        })
        .context(
            "--format pdf prints the HTML report with Chromium, and none was found: install chromium or set AUDITLAKE_CHROMIUM (or use --format html and print it)",
        )?;
    let dir = tempfile::tempdir().context("a temporary directory for the PDF")?;
    let html = dir.path().join("report.html");
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&html, page)?;
    let out = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .with_context(|| format!("running {browser}"))?;
    let bytes = std::fs::read(&pdf).map_err(|e| {
        anyhow::anyhow!(
            "{browser} wrote no PDF ({e}); it said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    anyhow::ensure!(
        bytes.starts_with(b"%PDF-"),
        "{browser} wrote something that is not a PDF"
    );
    Ok(bytes)
}

/// The filters given, as `(name, value)` for a report's header.
fn asked_filters(f: &FilterSpec) -> Vec<(String, String)> {
    match serde_json::to_value(f) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub async fn ddl(args: DdlArgs) -> anyhow::Result<ExitCode> {
    use auditlake_query::ddl::{DdlOptions, Engine};
    let (store, url) = open(&args.archive).await?;
    // The tiers Athena's projection enumerates: those the archive holds.
    let mut tiers: Vec<String> = store
        .list("tier=")
        .await?
        .iter()
        .filter_map(|m| {
            auditlake_archive::parse_data_key(&m.key)
                .ok()
                .map(|k| k.tier)
        })
        .collect();
    tiers.sort();
    tiers.dedup();
    let location = if url.starts_with("s3://") {
        url
    } else {
        std::fs::canonicalize(&url)?.display().to_string()
    };
    let opts = DdlOptions {
        engine: match args.engine {
            EngineArg::Duckdb => Engine::Duckdb,
            EngineArg::Athena => Engine::Athena,
            EngineArg::Trino => Engine::Trino,
        },
        location,
        table: args.table,
        tiers,
        first_date: args.first_date,
    };
    print!("{}", auditlake_query::ddl::ddl(&opts));
    Ok(ExitCode::SUCCESS)
}

//! `auditlake gen`: the generator's flags, output file and statistics.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auditlake_gen::{GenError, GenSpec, Generator};

/// `auditlake gen`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenArgs {
    /// The format: auditlake-json, idp-json, asset-json, sshd or logfmt-app.
    #[arg(long, default_value = "auditlake-json")]
    pub profile: String,
    /// Lines to write [default: 100000; with --rate, until --duration].
    #[arg(long)]
    pub lines: Option<u64>,
    /// Distinct users.
    #[arg(long, default_value_t = 5000)]
    pub users: u32,
    /// Distinct source addresses (a fiftieth of them belong to password guessers).
    #[arg(long, default_value_t = 20000)]
    pub ips: u32,
    /// Days the lines span: busy working hours, quiet nights and weekends.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// The first day (YYYY-MM-DD, UTC) or moment (RFC 3339).
    #[arg(long, default_value = "2026-11-01")]
    pub start: String,
    /// Share of authentication attempts (logins, second factors, security keys) that fail;
    /// other actions are denied at a fifth of it.
    #[arg(long, default_value_t = 0.05)]
    pub failure_rate: f64,
    /// Activity weights, KIND=WEIGHT,... (see --list-kinds): changes those kinds of the
    /// default mix; a leading `none` clears the defaults first.
    #[arg(long, value_delimiter = ',')]
    pub mix: Vec<String>,
    /// Pad lines to about this many bytes (newline included) with text in a free-text field
    /// (message, note, detail); sshd lines keep sshd's format.
    #[arg(long)]
    pub line_size: Option<usize>,
    /// Seed of the random choices: the same arguments and seed give the same bytes.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Write to this file (replaced) instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Write this many lines per second, timed by the wall clock, as a live application does
    /// (each line's time is the moment it is written).
    #[arg(long)]
    pub rate: Option<u64>,
    /// With --rate: stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Print what was written (lines, events, ignored lines, bytes, time span, speed) as JSON
    /// on stderr.
    #[arg(long)]
    pub stats: bool,
    /// List the activity kinds, their default weights and the profiles that write them.
    #[arg(long)]
    pub list_kinds: bool,
}

impl GenArgs {
    fn spec(&self) -> GenSpec {
        GenSpec {
            profile: self.profile.clone(),
            lines: self.lines,
            users: self.users,
            ips: self.ips,
            days: self.days,
            start: self.start.clone(),
            failure_rate: self.failure_rate,
            mix: self.mix.clone(),
            line_size: self.line_size,
            seed: self.seed,
            rate: self.rate,
            duration: self.duration,
        }
    }
}

/// Output is buffered in chunks of this size.
const BUFFER: usize = 1 << 20;

fn list_kinds() {
    println!("{:<22} {:>7}  profiles", "kind", "weight");
    for k in auditlake_gen::kinds() {
        println!(
            "{:<22} {:>7}  {}",
            k.name,
            k.default_weight,
            k.profiles.join(", ")
        );
    }
}

pub fn gen_logs(args: GenArgs) -> anyhow::Result<ExitCode> {
    if args.list_kinds {
        list_kinds();
        return Ok(ExitCode::SUCCESS);
    }
    let generator = Generator::new(&args.spec()).map_err(|e| match e {
        GenError::InvalidOption { option, message } => anyhow::anyhow!("--{option}: {message}"),
        e => e.into(),
    })?;
    if generator.ignores_line_size() {
        tracing::warn!("--line-size does not apply to sshd lines, which keep sshd's format");
    }
    let st = match &args.out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut f = std::io::BufWriter::with_capacity(BUFFER, f);
            generator
                .write(&mut f)
                .with_context(|| format!("writing {}", path.display()))?
        }
        None => match generator.write(&mut std::io::stdout().lock()) {
            Ok(st) => st,
            // A closed pipe (`| head`) is the reader's choice, not an error.
            Err(GenError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => return Err(anyhow::Error::from(e).context("writing to stdout")),
        },
    };
    if args.stats {
        let secs = st.seconds.max(1e-9);
        let v = serde_json::json!({
            "profile": st.profile,
            "lines": st.lines,
            "bytes": st.bytes,
            "events": st.events,
            "ignored": st.ignored,
            "first_time_us": st.first_time_us,
            "last_time_us": st.last_time_us,
            "seconds": st.seconds,
            "lines_per_sec": (st.lines as f64 / secs).round(),
            "mib_per_sec": st.bytes as f64 / 1048576.0 / secs,
        });
        eprintln!("{v}");
    }
    Ok(ExitCode::SUCCESS)
}

//! `auditlake gen`: realistic audit logs in the format of each built-in profile, for benchmarks,
//! demonstrations and tests.
//!
//! A [`plan::Planner`] draws facts (who did what, from where, with what outcome) from a weighted
//! mix of activity kinds; a [`format::Renderer`] writes each fact as the lines the profile's
//! application would write (a successful sshd login is three lines, a password-guessing burst a
//! run of failures and a lockout). Times follow a daily and weekly rhythm over `--days` days, or
//! the wall clock at `--rate` lines per second. The same arguments and `--seed` give the same
//! bytes.

mod format;
mod json;
mod plain;
mod plan;
mod text;
mod world;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;

use format::{Lines, Renderer};
use plan::{Kind, Mix, Planner, Population, Profile, Spread};

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

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenStats {
    pub profile: String,
    pub lines: u64,
    pub bytes: u64,
    /// Events the profile makes of these lines (a "message repeated N times" line makes N).
    pub events: u64,
    /// Lines the profile ignores as noise.
    pub ignored: u64,
    /// First and last line time, UTC microseconds.
    pub first_time_us: Option<i64>,
    pub last_time_us: Option<i64>,
    pub seconds: f64,
}

/// The checked options of a run.
#[derive(Debug)]
struct Options {
    profile: Profile,
    lines: Option<u64>,
    start_us: i64,
    days: u32,
    seed: u64,
    mix: Mix,
    pop: Population,
    line_size: Option<usize>,
    rate: Option<u64>,
    duration: Option<Duration>,
}

const DEFAULT_LINES: u64 = 100_000;
/// Flush the output when this much is buffered.
const CHUNK: usize = 1 << 20;

fn parse_start(s: &str) -> anyhow::Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| {
        format!("--start {s:?}: expected a date (2026-11-01) or an RFC 3339 time")
    })?;
    Ok(d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros())
}

impl Options {
    fn new(a: &GenArgs) -> anyhow::Result<Options> {
        let profile = Profile::parse(&a.profile).with_context(|| {
            format!(
                "--profile {:?}: not a built-in profile; one of {}",
                a.profile,
                Profile::ALL.map(Profile::name).join(", ")
            )
        })?;
        anyhow::ensure!(a.users >= 1, "--users: at least 1");
        anyhow::ensure!(
            a.users <= 50_000_000,
            "--users: at most 50000000 (each user's strings are kept in memory)"
        );
        anyhow::ensure!(a.ips >= 1, "--ips: at least 1");
        anyhow::ensure!((1..=36_500).contains(&a.days), "--days: from 1 to 36500");
        anyhow::ensure!(
            (0.0..=1.0).contains(&a.failure_rate),
            "--failure-rate: a share from 0 to 1"
        );
        if let Some(r) = a.rate {
            anyhow::ensure!(r >= 1, "--rate: at least 1 line per second");
            anyhow::ensure!(
                a.lines.is_some() || a.duration.is_some(),
                "--rate needs --duration or --lines to know when to stop"
            );
        } else {
            anyhow::ensure!(a.duration.is_none(), "--duration goes with --rate");
        }
        if let Some(d) = a.duration {
            anyhow::ensure!(d.is_finite() && d > 0.0, "--duration: seconds, above 0");
        }
        let mix = Mix::new(profile, &a.mix).map_err(anyhow::Error::msg)?;
        Ok(Options {
            profile,
            lines: a.lines.or(if a.rate.is_some() {
                None
            } else {
                Some(DEFAULT_LINES)
            }),
            start_us: parse_start(&a.start)?,
            days: a.days,
            seed: a.seed,
            mix,
            pop: Population {
                users: a.users,
                ips: a.ips,
                failure_rate: a.failure_rate,
            },
            line_size: a.line_size,
            rate: a.rate,
            duration: a.duration.map(Duration::from_secs_f64),
        })
    }
}

/// Counts and copies the lines of `lines` into `out`, at most `room` of them.
fn take(lines: &Lines, room: u64, out: &mut Vec<u8>, st: &mut GenStats) -> u64 {
    let n = (lines.ends.len() as u64).min(room) as usize;
    if n == 0 {
        return 0;
    }
    let end = lines.ends[n - 1].0;
    out.extend_from_slice(&lines.buf[..end]);
    for (_, events) in &lines.ends[..n] {
        st.events += *events as u64;
        st.ignored += (*events == 0) as u64;
    }
    st.lines += n as u64;
    st.bytes += end as u64;
    n as u64
}

fn note_time(st: &mut GenStats, t: i64) {
    st.first_time_us.get_or_insert(t);
    st.last_time_us = Some(t);
}

/// Writes `lines` lines spread over the days (the batch mode).
fn generate(o: &Options, w: &mut dyn Write) -> anyhow::Result<GenStats> {
    let total = o.lines.unwrap_or(DEFAULT_LINES);
    let mut st = GenStats {
        profile: o.profile.name().into(),
        ..Default::default()
    };
    let mut planner = Planner::new(o.seed, o.mix.clone(), o.pop.clone());
    let mut renderer = Renderer::new(o.profile, o.pop.users, o.seed, o.line_size);
    let mut spread = Spread::new(o.start_us, o.days, total);
    let mut lines = Lines::default();
    let mut buf = Vec::with_capacity(CHUNK + 64 * 1024);
    while st.lines < total {
        let t = spread.at(st.lines);
        note_time(&mut st, t);
        lines.clear();
        renderer.render(&planner.next(t), &mut lines);
        take(&lines, total - st.lines, &mut buf, &mut st);
        if buf.len() >= CHUNK {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    w.flush()?;
    Ok(st)
}

/// Writes `rate` lines a second, each timed by the wall clock, until the duration or line
/// count is reached (the live mode).
fn generate_live(o: &Options, w: &mut dyn Write) -> anyhow::Result<GenStats> {
    let rate = o.rate.unwrap_or(1) as f64;
    let mut st = GenStats {
        profile: o.profile.name().into(),
        ..Default::default()
    };
    let mut planner = Planner::new(o.seed, o.mix.clone(), o.pop.clone());
    let mut renderer = Renderer::new(o.profile, o.pop.users, o.seed, o.line_size);
    renderer.live = true;
    let mut lines = Lines::default();
    let mut buf = Vec::new();
    let started = Instant::now();
    let limit = o.lines.unwrap_or(u64::MAX);
    loop {
        let elapsed = started.elapsed();
        let done = o.duration.is_some_and(|d| elapsed >= d);
        let due = if done {
            ((o.duration.unwrap().as_secs_f64() * rate) as u64).min(limit)
        } else {
            ((elapsed.as_secs_f64() * rate) as u64).min(limit)
        };
        let now_us = chrono::Utc::now().timestamp_micros();
        while st.lines < due {
            note_time(&mut st, now_us);
            lines.clear();
            renderer.render(&planner.next(now_us), &mut lines);
            take(&lines, due - st.lines, &mut buf, &mut st);
        }
        if !buf.is_empty() {
            w.write_all(&buf)?;
            w.flush()?;
            buf.clear();
        }
        if done || st.lines >= limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(st)
}

fn list_kinds() {
    println!("{:<22} {:>7}  profiles", "kind", "weight");
    for k in Kind::ALL {
        let profiles: Vec<&str> = Profile::ALL
            .into_iter()
            .filter(|p| p.writes(k))
            .map(Profile::name)
            .collect();
        println!(
            "{:<22} {:>7}  {}",
            k.name(),
            k.default_weight(),
            profiles.join(", ")
        );
    }
}

pub fn gen_logs(args: GenArgs) -> anyhow::Result<ExitCode> {
    if args.list_kinds {
        list_kinds();
        return Ok(ExitCode::SUCCESS);
    }
    let o = Options::new(&args)?;
    if o.profile == Profile::Sshd && o.line_size.is_some() {
        tracing::warn!("--line-size does not apply to sshd lines, which keep sshd's format");
    }
    let started = Instant::now();
    let mut st = match &args.out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut f = std::io::BufWriter::with_capacity(CHUNK, f);
            if o.rate.is_some() {
                generate_live(&o, &mut f)
            } else {
                generate(&o, &mut f)
            }
            .with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            let r = if o.rate.is_some() {
                generate_live(&o, &mut out)
            } else {
                generate(&o, &mut out)
            };
            match r {
                Ok(st) => st,
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e)
                    if e.downcast_ref::<std::io::Error>()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
                {
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(e.context("writing to stdout")),
            }
        }
    };
    st.seconds = started.elapsed().as_secs_f64();
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

#[cfg(test)]
mod tests;

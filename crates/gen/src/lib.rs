//! Realistic audit logs in the format of each built-in profile, for benchmarks,
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
use std::time::{Duration, Instant};

use format::{Lines, Renderer};
use plan::{Kind, Mix, Planner, Population, Profile, Spread};

/// What to generate, as the user asks for it; [`Generator::new`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    /// The format: one of [`profile_names`].
    pub profile: String,
    /// Lines to write [default: 100000; with `rate`, until `duration`].
    pub lines: Option<u64>,
    /// Distinct users.
    pub users: u32,
    /// Distinct source addresses (a fiftieth of them belong to password guessers).
    pub ips: u32,
    /// Days the lines span: busy working hours, quiet nights and weekends.
    pub days: u32,
    /// The first day (YYYY-MM-DD, UTC) or moment (RFC 3339).
    pub start: String,
    /// Share of authentication attempts that fail; other actions are denied at a fifth of it.
    pub failure_rate: f64,
    /// Activity weights, `KIND=WEIGHT`: changes those kinds of the default mix; a leading
    /// `none` clears the defaults first.
    pub mix: Vec<String>,
    /// Pad lines to about this many bytes (newline included) through a free-text field.
    pub line_size: Option<usize>,
    /// Seed of the random choices: the same spec gives the same bytes.
    pub seed: u64,
    /// Lines per second, timed by the wall clock (each line's time is the moment it is written).
    pub rate: Option<u64>,
    /// With `rate`: stop after this many seconds.
    pub duration: Option<f64>,
}

impl Default for GenSpec {
    fn default() -> GenSpec {
        GenSpec {
            profile: "auditlake-json".into(),
            lines: None,
            users: 5000,
            ips: 20000,
            days: 7,
            start: "2026-11-01".into(),
            failure_rate: 0.05,
            mix: Vec::new(),
            line_size: None,
            seed: 7,
            rate: None,
            duration: None,
        }
    }
}

/// Why a [`GenSpec`] was refused, or writing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// An option is out of range or malformed; `option` is its name (`lines`, `start`, ...).
    #[error("{option}: {message}")]
    InvalidOption {
        option: &'static str,
        message: String,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn invalid(option: &'static str, message: impl Into<String>) -> GenError {
    GenError::InvalidOption {
        option,
        message: message.into(),
    }
}

fn ensure(ok: bool, option: &'static str, message: &str) -> Result<(), GenError> {
    if ok {
        Ok(())
    } else {
        Err(invalid(option, message))
    }
}

/// The names of the profiles the generator writes (each a built-in normalize profile).
pub fn profile_names() -> Vec<&'static str> {
    Profile::ALL.map(Profile::name).to_vec()
}

/// One activity kind: its name, default weight and the profiles that write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindInfo {
    pub name: &'static str,
    pub default_weight: u32,
    pub profiles: Vec<&'static str>,
}

/// The activity kinds `mix` can weigh.
pub fn kinds() -> Vec<KindInfo> {
    Kind::ALL
        .into_iter()
        .map(|k| KindInfo {
            name: k.name(),
            default_weight: k.default_weight(),
            profiles: Profile::ALL
                .into_iter()
                .filter(|p| p.writes(k))
                .map(Profile::name)
                .collect(),
        })
        .collect()
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

/// A checked [`GenSpec`], ready to write.
#[derive(Debug)]
pub struct Generator {
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

fn parse_start(s: &str) -> Result<i64, GenError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        invalid(
            "start",
            format!("{s:?}: expected a date (2026-11-01) or an RFC 3339 time"),
        )
    })?;
    Ok(d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_micros())
}

impl Generator {
    /// Checks a spec; errors name the option.
    pub fn new(a: &GenSpec) -> Result<Generator, GenError> {
        let profile = Profile::parse(&a.profile).ok_or_else(|| {
            invalid(
                "profile",
                format!(
                    "{:?}: not a built-in profile; one of {}",
                    a.profile,
                    profile_names().join(", ")
                ),
            )
        })?;
        ensure(a.users >= 1, "users", "at least 1")?;
        ensure(
            a.users <= 50_000_000,
            "users",
            "at most 50000000 (each user's strings are kept in memory)",
        )?;
        ensure(a.ips >= 1, "ips", "at least 1")?;
        ensure((1..=36_500).contains(&a.days), "days", "from 1 to 36500")?;
        ensure(
            (0.0..=1.0).contains(&a.failure_rate),
            "failure-rate",
            "a share from 0 to 1",
        )?;
        if let Some(r) = a.rate {
            ensure(r >= 1, "rate", "at least 1 line per second")?;
            ensure(
                a.lines.is_some() || a.duration.is_some(),
                "rate",
                "needs a duration or a line count to know when to stop",
            )?;
        } else {
            ensure(a.duration.is_none(), "duration", "goes with a rate")?;
        }
        if let Some(d) = a.duration {
            ensure(d.is_finite() && d > 0.0, "duration", "seconds, above 0")?;
        }
        let mix = Mix::new(profile, &a.mix).map_err(|m| invalid("mix", m))?;
        Ok(Generator {
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

    /// The profile whose lines this writes.
    pub fn profile_name(&self) -> &'static str {
        self.profile.name()
    }

    /// Whether `line_size` is asked for a profile that keeps its fixed format (sshd).
    pub fn ignores_line_size(&self) -> bool {
        self.profile == Profile::Sshd && self.line_size.is_some()
    }

    /// Writes the lines: spread over the days, or at the rate by the wall clock when a rate is
    /// set. Returns what was written, `seconds` included.
    pub fn write(&self, w: &mut dyn Write) -> Result<GenStats, GenError> {
        let started = Instant::now();
        let mut st = if self.rate.is_some() {
            generate_live(self, w)?
        } else {
            generate(self, w)?
        };
        st.seconds = started.elapsed().as_secs_f64();
        Ok(st)
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
fn generate(o: &Generator, w: &mut dyn Write) -> Result<GenStats, GenError> {
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
fn generate_live(o: &Generator, w: &mut dyn Write) -> Result<GenStats, GenError> {
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

#[cfg(test)]
mod tests;

//! Built-in profiles' samples end to end: a sample of `examples/logs/` archived by `agent --once`
//! through its profile, read back with `query`, and every line checked against a table of what it
//! must become.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::*;

/// No value (an actor or address a line does not have).
pub const A: Option<&str> = None;

/// The time of a syslog sample line, `Nov 20 08:02:11 ...` -> `2026-11-20T08:02:11Z` (the
/// samples' year, UTC).
pub fn syslog_time(line: &str) -> String {
    let month = match &line[..3] {
        "Nov" => 11,
        "Dec" => 12,
        m => panic!("month {m}"),
    };
    let day: u32 = line[4..6].trim().parse().unwrap();
    format!("2026-{month:02}-{day:02}T{}Z", &line[7..15])
}

/// What one sample line must become.
pub enum Want {
    /// Events (one, or `n` for a repeated syslog message) with this actor, source IP, action and
    /// outcome.
    Event {
        actor: Option<&'static str>,
        ip: Option<&'static str>,
        action: &'static str,
        outcome: &'static str,
        n: usize,
    },
    /// Skipped as noise, counted as ignored.
    Ignored,
    /// Written to the dead-letter file.
    Dead,
}

pub const fn ev(
    actor: Option<&'static str>,
    ip: Option<&'static str>,
    action: &'static str,
    outcome: &'static str,
) -> Want {
    Want::Event {
        actor,
        ip,
        action,
        outcome,
        n: 1,
    }
}

/// Archives `sample` through `profile` and checks every line against `table` (one entry a line,
/// in order). `time_of` gives the event time a line must have, as `query` prints it.
pub fn check_sample(profile: &str, sample: &str, table: &[Want], time_of: impl Fn(&str) -> String) {
    let path = repo_root().join("examples/logs").join(sample);
    let (dir, summary) = archive_sample(profile, &path);

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect();
    assert_eq!(lines.len(), table.len(), "{sample}: one table entry a line");
    check_units(sample, &lines, table, time_of, dir.path(), &summary);
}

/// As [`check_sample`], for a sample whose lines each hold a list of events at `records` (a JSON
/// pointer, CloudTrail's `/Records`): one table entry an element, in order; a line without the
/// list, or that is not JSON, is one entry.
pub fn check_records(
    profile: &str,
    sample: &str,
    records: &str,
    table: &[Want],
    time_of: impl Fn(&str) -> String,
) {
    let path = repo_root().join("examples/logs").join(sample);
    let (dir, summary) = archive_sample(profile, &path);
    let text = std::fs::read_to_string(&path).unwrap();
    let key = records.trim_start_matches('/');
    let mut units: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        type Raw = Box<serde_json::value::RawValue>;
        let list = serde_json::from_str::<BTreeMap<String, Raw>>(line)
            .ok()
            .and_then(|v| v.get(key).map(|l| l.get().to_owned()));
        match list {
            Some(list) => units.extend(
                serde_json::from_str::<Vec<Raw>>(&list)
                    .unwrap()
                    .into_iter()
                    .map(|r| (i + 1, r.get().to_owned())),
            ),
            None => units.push((i + 1, line.to_owned())),
        }
    }
    assert_eq!(
        units.len(),
        table.len(),
        "{sample}: one table entry a record"
    );
    check_units(sample, &units, table, time_of, dir.path(), &summary);
}

/// As [`check_sample`], for a profile whose events are several lines joined (auditd): `table`
/// has one entry per event, i.e. per run of lines that share their `msg=audit(TIME:SERIAL)`
/// stamp (and `node=`), a run ending at its `EOE` record, and per line that is no record. An
/// event's `raw` must be its lines exactly, joined by `\n`; a dead letter's line likewise.
/// `time_of` gets the event's text.
pub fn check_joined_sample(
    profile: &str,
    sample: &str,
    table: &[Want],
    time_of: impl Fn(&str) -> String,
) {
    let path = repo_root().join("examples/logs").join(sample);
    let (dir, summary) = archive_sample(profile, &path);
    let text = std::fs::read_to_string(&path).unwrap();
    let stamp = |l: &str| -> Option<String> {
        let node = l
            .strip_prefix("node=")
            .map(|r| r.split(' ').next().unwrap());
        let at = l.find(" msg=audit(")?;
        let rest = &l[at + " msg=audit(".len()..];
        Some(format!("{node:?} {}", &rest[..rest.find(')')?]))
    };
    let mut units: Vec<(usize, String)> = Vec::new();
    let mut open: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let s = stamp(line);
        match (&open, &s) {
            (Some(o), Some(s)) if o == s => {
                let unit = &mut units.last_mut().unwrap().1;
                unit.push('\n');
                unit.push_str(line);
            }
            _ => units.push((i + 1, line.to_owned())),
        }
        open = s.filter(|_| !line.contains("type=EOE "));
    }
    assert_eq!(
        units.len(),
        table.len(),
        "{sample}: one table entry an event"
    );
    assert_eq!(
        summary["total"]["lines"],
        text.lines().count(),
        "{sample}: {summary}"
    );
    check_units(sample, &units, table, time_of, dir.path(), &summary);
}

/// Checks the archive in `dir` (and the run's `summary`) against `table`: one entry for each of
/// `units`, the texts (with their first line numbers) that each make at most one event's `raw`.
fn check_units(
    sample: &str,
    units: &[(usize, String)],
    table: &[Want],
    time_of: impl Fn(&str) -> String,
    dir: &Path,
    summary: &Value,
) {
    let events = query_all(dir);
    let mut by_line: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for e in &events {
        let raw = e["raw"].as_str().expect("raw is kept");
        let line = units
            .iter()
            .find(|(_, l)| l == raw)
            .map(|(_, l)| l.as_str())
            .unwrap_or_else(|| panic!("{sample}: an event of no sample line: {e}"));
        by_line.entry(line).or_default().push(e);
    }
    let dead = std::fs::read_to_string(dir.join("state/dead-letter/s.jsonl")).unwrap_or_default();
    let dead: Vec<String> = dead
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["line"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let tiers = catalog_tiers();
    let (mut want_events, mut want_ignored, mut want_dead) = (0, 0, 0);
    for ((number, line), want) in units.iter().zip(table) {
        let line = line.as_str();
        let at = format!("{sample}:{number}: {line}");
        let got = by_line.get(line).map_or(&[][..], Vec::as_slice);
        match want {
            Want::Event {
                actor,
                ip,
                action,
                outcome,
                n,
            } => {
                want_events += n;
                assert_eq!(got.len(), *n, "{at}: events");
                for e in got {
                    let got = (
                        e["actor_id"].as_str(),
                        e["src_ip"].as_str(),
                        e["action"].as_str().unwrap(),
                        e["outcome"].as_str().unwrap(),
                    );
                    assert_eq!(got, (*actor, *ip, *action, *outcome), "{at}");
                    assert_eq!(e["time"].as_str().unwrap(), time_of(line), "{at}: time");
                    let tier = tiers
                        .get(*action)
                        .unwrap_or_else(|| panic!("{at}: {action} is not in the catalog"));
                    assert_eq!(e["tier"].as_str().unwrap(), tier, "{at}: tier");
                }
            }
            Want::Ignored => {
                want_ignored += 1;
                assert!(got.is_empty() && !dead.contains(&line.to_string()), "{at}");
            }
            Want::Dead => {
                want_dead += 1;
                assert!(got.is_empty(), "{at}");
                assert!(dead.contains(&line.to_string()), "{at}: dead-lettered");
            }
        }
    }
    let total = &summary["total"];
    assert_eq!(total["events"], want_events, "{sample}: {summary}");
    assert_eq!(total["ignored"], want_ignored, "{sample}: {summary}");
    assert_eq!(total["dead_letters"], want_dead, "{sample}: {summary}");
}

/// Archives the file at `path` through `profile` with `agent --once` into a new directory
/// (three tiers whose match takes nothing: every event goes to its action's default tier);
/// returns it and the run's JSON summary.
fn archive_sample(profile: &str, path: &Path) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let config = profile_config(dir.path(), profile, path, "", CATALOG_TIERS);
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    (dir, summary)
}

/// Tiers whose match takes nothing: every event goes to its action's default tier.
pub const CATALOG_TIERS: &str = r#"[[tiers]]
name = "security"
retention_days = 2555
match = { actions = ["none.none"] }
[[tiers]]
name = "operational"
retention_days = 90
match = { actions = ["none.none"] }
[[tiers]]
name = "standard"
retention_days = 365
"#;

/// One tier that takes every event.
pub const ONE_TIER: &str = "[[tiers]]\nname = \"all\"\nretention_days = 365\n";

/// Writes `dir/config.toml` and returns its path: state and archive under `dir`, one source `s`
/// reading `paths` (a path or a glob) through `profile` with any event time accepted, `agent`'s
/// extra lines in `[agent]`, and `tiers`.
pub fn profile_config(
    dir: &Path,
    profile: &str,
    paths: &Path,
    agent: &str,
    tiers: &str,
) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[agent]
state_dir = "{d}/state"
{agent}
[archive]
url = "{d}/archive"
[[sources]]
name = "s"
paths = ["{p}"]
profile = "{profile}"
[sources.time_window]
max_behind_days = 36500
{tiers}"#,
            d = dir.display(),
            p = paths.display(),
        ),
    )
    .unwrap();
    config
}

/// The catalog's default tier of each action, as `auditlake actions` lists it.
pub fn catalog_tiers() -> BTreeMap<String, String> {
    let out = run_ok(auditlake().arg("actions"));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_owned(), cols[2].to_owned())
        })
        .collect()
}

/// Every event of the archive in `dir`, each with the tier it is stored in as `tier`.
pub fn query_all(dir: &Path) -> Vec<Value> {
    let mut events = Vec::new();
    for tier in ["security", "operational", "standard"] {
        let out = run_ok(
            auditlake()
                .args(["query", "--format", "jsonl", "--tier", tier, "--archive"])
                .arg(dir.join("archive")),
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let mut e: Value = serde_json::from_str(line).unwrap();
            e["tier"] = Value::from(tier);
            events.push(e);
        }
    }
    events
}

//! One filter, one meaning: `query`, `hold add` and `erase --dry-run` select the same events for
//! the same flags, and a date in `--until` is that whole day in each of them.

mod util;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use util::*;

/// (id, time, action, actor id, actor email)
const EVENTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "a1",
        "2026-11-20T12:00:00Z",
        "authentication.login",
        "u-1001",
        "alice@example.com",
    ),
    (
        "a2",
        "2026-11-21T08:00:00Z",
        "authentication.login",
        "u-1001",
        "alice@example.com",
    ),
    // late on the `--until` day: the event `hold add --until 2026-11-21` left out
    (
        "a3",
        "2026-11-21T22:30:00Z",
        "data.export",
        "u-1001",
        "alice@example.com",
    ),
    (
        "a4",
        "2026-11-22T09:00:00Z",
        "authentication.login",
        "u-1001",
        "alice@example.com",
    ),
    (
        "b1",
        "2026-11-21T10:00:00Z",
        "authentication.login",
        "u-2002",
        "bob@example.com",
    ),
    (
        "b2",
        "2026-11-21T23:00:00Z",
        "data.export",
        "u-2002",
        "bob@example.com",
    ),
];

/// An archive of [`EVENTS`] in `dir/archive`, one tier of one day's retention; the config.
fn archive(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let log: String = EVENTS
        .iter()
        .map(|(id, time, action, actor, email)| {
            format!(
                "{{\"id\":\"{id}\",\"time\":\"{time}\",\"action\":\"{action}\",\"actor\":{{\"id\":\"{actor}\",\"email\":\"{email}\"}}}}\n"
            )
        })
        .collect();
    std::fs::write(dir.join("logs/app.log"), log).unwrap();
    let config = ConfigBuilder::new(dir)
        .tiers("[[tiers]]\nname = \"standard\"\nretention_days = 1\n")
        .write();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    config
}

/// The event ids `query` selects, and the objects they are in.
fn query(dir: &Path, filter: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    let out = run_ok(
        auditlake()
            .args(["query", "--archive"])
            .arg(dir.join("archive"))
            .args(["--format", "jsonl", "--columns", "event_id,time"])
            .args(filter),
    );
    let mut ids = BTreeSet::new();
    let mut dates = BTreeSet::new();
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        ids.insert(v["event_id"].as_str().unwrap().to_string());
        dates.insert(v["time"].as_str().unwrap()[..10].to_string());
    }
    (ids, dates)
}

/// The event dates of the data keys in a list of objects.
fn dates_of(objects: &Value) -> BTreeSet<String> {
    objects
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {objects}"))
        .iter()
        .map(|o| {
            let key = o["key"].as_str().unwrap();
            key.split("event_date=").nth(1).unwrap()[..10].to_string()
        })
        .collect()
}

fn ids(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn hold_erase_and_query_select_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = archive(d);
    let cases: &[(&[&str], &[&str])] = &[
        // by email, to the end of the --until day
        (
            &["--actor", "alice@example.com", "--until", "2026-11-21"],
            &["a1", "a2", "a3"],
        ),
        // by id, one whole day
        (
            &[
                "--actor",
                "u-1001",
                "--since",
                "2026-11-21",
                "--until",
                "2026-11-21",
            ],
            &["a2", "a3"],
        ),
        (
            &["--actor", "bob@example.com", "--action", "data.*"],
            &["b2"],
        ),
    ];
    for (n, (filter, want)) in cases.iter().enumerate() {
        let (got, dates) = query(d, filter);
        assert_eq!(got, ids(want), "query {filter:?}");

        let plan = run_json(
            auditlake()
                .args([
                    "erase",
                    "--dry-run",
                    "--json",
                    "--reason",
                    "request",
                    "--config",
                ])
                .arg(&config)
                .args(*filter),
        );
        assert_eq!(
            plan["matching_rows"],
            want.len(),
            "erase {filter:?}: {plan:#}"
        );
        assert_eq!(
            dates_of(&plan["affected"]),
            dates,
            "erase {filter:?}: {plan:#}"
        );

        let hold = run_json(
            auditlake()
                .args(["hold", "add", "--json", "--reason", "case", "--name"])
                .arg(format!("case-{n}"))
                .arg("--archive")
                .arg(d.join("archive"))
                .args(*filter),
        );
        assert_eq!(
            hold["matching_rows"],
            want.len(),
            "hold {filter:?}: {hold:#}"
        );
        assert_eq!(
            dates_of(&hold["objects"]),
            dates,
            "hold {filter:?}: {hold:#}"
        );
        run_ok(
            auditlake()
                .args(["hold", "remove", "--name"])
                .arg(format!("case-{n}"))
                .arg("--archive")
                .arg(d.join("archive")),
        );
    }
}

#[test]
fn hold_until_date_keeps_the_days_later_events_from_retention() {
    // `hold add --until 2026-11-21` stored 00:00Z and matched `--actor` by id only, so retention
    // deleted the object of that day's 22:30 event of the actor named by email.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = archive(d);
    let hold = run_json(
        auditlake()
            .args([
                "hold",
                "add",
                "--json",
                "--name",
                "case-1",
                "--reason",
                "litigation",
            ])
            .args(["--actor", "alice@example.com", "--since", "2026-11-21"])
            .args(["--until", "2026-11-21", "--archive"])
            .arg(d.join("archive")),
    );
    assert_eq!(hold["hold"]["filter"]["until"], "2026-11-22T00:00:00+00:00");
    let future = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let plan = run_json(
        auditlake()
            .args([
                "retention",
                "--dry-run",
                "--json",
                "--now",
                &future,
                "--config",
            ])
            .arg(&config),
    );
    assert_eq!(dates_of(&plan["held"]), ids(&["2026-11-21"]), "{plan:#}");
    assert_eq!(
        dates_of(&plan["delete"]),
        ids(&["2026-11-20", "2026-11-22"]),
        "{plan:#}"
    );
}

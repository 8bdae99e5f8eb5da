//! Untrusted event times through the binary: a line timed 0001-01-01 and one timed 9999-12-31,
//! beside one timed now, under each `[sources.time_window]` policy. Where each lands, how it is
//! flagged and counted, and that neither decides retention nor, on S3 (moto), Object Lock: both
//! count from when the object was written.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use chrono::{Days, NaiveDate, Utc};
use util::*;

const YEAR_ONE: &str = "0001-01-01T00:00:00Z";
const YEAR_9999: &str = "9999-12-31T00:00:00Z";

/// Writes `dir/logs/app.log`: events `y1`, `y9999` and `now` of `action`.
fn write_log(dir: &Path, action: &str) {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let now = Utc::now().to_rfc3339();
    let log: String = [("y1", YEAR_ONE), ("y9999", YEAR_9999), ("now", now.as_str())]
        .iter()
        .map(|(id, time)| {
            format!(
                "{{\"id\":\"{id}\",\"time\":\"{time}\",\"action\":\"{action}\",\"actor\":{{\"id\":\"u1\"}}}}\n"
            )
        })
        .collect();
    std::fs::write(dir.join("logs/app.log"), log).unwrap();
}

/// A local-archive config with one 30-day tier and `policy`.
fn local_config(dir: &Path, policy: &str) -> PathBuf {
    ConfigBuilder::new(dir)
        .sources(&format!(
            r#"[[sources]]
name = "app"
paths = ["{}/logs/app.log"]
profile = "auditlake-json"
[sources.time_window]
max_ahead_secs = 300
max_behind_days = 30
policy = "{policy}"
"#,
            dir.display()
        ))
        .tiers("[[tiers]]\nname = \"standard\"\nretention_days = 30\n")
        .write()
}

fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// One archived event: its partition date, time, flags and `original_time` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    event_date: String,
    time: i64,
    flags: Option<String>,
    original_time: Option<String>,
}

/// The archived events of a local archive, by their application id.
fn rows(archive: &Path) -> BTreeMap<String, Row> {
    let mut out = BTreeMap::new();
    let tier = archive.join("tier=standard");
    let Ok(dates) = std::fs::read_dir(&tier) else {
        return out;
    };
    for date in dates {
        let date = date.unwrap().path();
        let event_date = date
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("event_date=")
            .to_string();
        for f in std::fs::read_dir(&date).unwrap() {
            let bytes = bytes::Bytes::from(std::fs::read(f.unwrap().path()).unwrap());
            for b in auditlake_archive::decode_parquet(bytes).unwrap() {
                let id = b["origin_id"].as_string::<i32>();
                let time = b["time"].as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
                let flags = b["flags"].as_string::<i32>();
                let attributes = b["attributes"].as_string::<i32>();
                for i in 0..b.num_rows() {
                    let attrs: serde_json::Value = if attributes.is_null(i) {
                        serde_json::Value::Null
                    } else {
                        serde_json::from_str(attributes.value(i)).unwrap()
                    };
                    out.insert(
                        id.value(i).to_string(),
                        Row {
                            event_date: event_date.clone(),
                            time: time.value(i),
                            flags: (!flags.is_null(i)).then(|| flags.value(i).to_string()),
                            original_time: attrs["original_time"].as_str().map(str::to_string),
                        },
                    );
                }
            }
        }
    }
    out
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `retention --json` (with `--dry-run` when `dry`) judged at `now`: its plan's deleted keys.
fn retention(config: &Path, now: NaiveDate, dry: bool) -> (Vec<String>, serde_json::Value) {
    let mut cmd = auditlake();
    cmd.args(["retention", "--json", "--now", &day(now), "--config"])
        .arg(config);
    if dry {
        cmd.arg("--dry-run");
    }
    let out = stdout_json(&run_ok(&mut cmd));
    let plan = if dry { &out } else { &out["plan"] };
    let keys = plan["delete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    (keys, out)
}

/// Event dates of data keys, sorted.
fn dates_of(keys: &[String]) -> Vec<String> {
    let mut v: Vec<String> = keys
        .iter()
        .map(|k| k.split("event_date=").nth(1).unwrap()[..10].to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn each_policy_files_flags_and_counts_times_out_of_range_and_none_lets_retention_delete_early() {
    for policy in ["keep", "observed", "dead_letter"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_log(d, "resource.update");
        let config = local_config(d, policy);
        let started = Utc::now().date_naive();
        let out = run_ok(
            auditlake()
                .args(["agent", "--once", "--json", "--config"])
                .arg(&config),
        );
        let summary = stdout_json(&out);
        let today = Utc::now().date_naive();
        assert_eq!(
            summary["total"]["time_out_of_range"][policy], 2,
            "{policy}: {summary:#}"
        );
        let text = run_ok(
            auditlake()
                .args(["agent", "--once", "--config"])
                .arg(&config),
        );
        // A second run reads nothing new; the summary line shows only when there was some.
        assert!(
            !String::from_utf8_lossy(&text.stdout).contains("time out of range"),
            "{policy}"
        );

        let rows = rows(&d.join("archive"));
        let now_row = &rows["now"];
        assert_eq!(now_row.flags, None, "{policy}: {rows:#?}");
        let flagged = Some("time_out_of_range".to_string());
        match policy {
            "keep" => {
                // Filed under their own dates, flagged, their times untouched.
                assert_eq!(rows["y1"].event_date, "0001-01-01", "{rows:#?}");
                assert_eq!(rows["y1"].time, micros(YEAR_ONE));
                assert_eq!(rows["y9999"].event_date, "9999-12-31", "{rows:#?}");
                assert_eq!(rows["y9999"].time, micros(YEAR_9999));
                for id in ["y1", "y9999"] {
                    assert_eq!(rows[id].flags, flagged, "{rows:#?}");
                    assert_eq!(rows[id].original_time, None, "{rows:#?}");
                }
            }
            "observed" => {
                // Filed when they were read, their own times kept in `original_time`.
                for (id, original) in [("y1", YEAR_ONE), ("y9999", YEAR_9999)] {
                    let r = &rows[id];
                    assert!(
                        [day(started), day(today)].contains(&r.event_date),
                        "{rows:#?}"
                    );
                    assert_eq!(r.flags, flagged, "{rows:#?}");
                    assert_eq!(r.original_time.as_deref(), Some(original), "{rows:#?}");
                    assert!((r.time - now_row.time).abs() < 60_000_000, "{rows:#?}");
                }
            }
            _ => {
                // Not archived; dead-lettered with the reason.
                assert_eq!(rows.keys().collect::<Vec<_>>(), ["now"], "{rows:#?}");
                assert_eq!(
                    summary["total"]["dead_letters_by_kind"]["time_out_of_range"], 2,
                    "{summary:#}"
                );
                let dead = std::fs::read_to_string(d.join("state/dead-letter/app.jsonl")).unwrap();
                let dead: Vec<serde_json::Value> = dead
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert_eq!(dead.len(), 2, "{dead:#?}");
                for (letter, time) in dead.iter().zip([YEAR_ONE, YEAR_9999]) {
                    assert_eq!(letter["kind"], "time_out_of_range", "{letter}");
                    let reason = letter["reason"].as_str().unwrap();
                    assert!(reason.contains(time), "{reason}");
                    assert!(reason.contains("time_window.max_"), "{reason}");
                }
            }
        }

        // Retention: nothing goes before the tier's 30 days after the write, whatever the
        // event dates say, and everything goes after them, the year-9999 object too.
        let objects = rows.len();
        for now in [today, today + Days::new(10), today + Days::new(30)] {
            let (deleted, plan) = retention(&config, now, true);
            assert!(deleted.is_empty(), "{policy} at {now}: {plan:#}");
        }
        let (deleted, run) = retention(&config, today, false);
        assert!(deleted.is_empty(), "{policy}: {run:#}");
        assert_eq!(run["run"]["deleted"], 0, "{policy}: {run:#}");
        assert_eq!(crate::rows(&d.join("archive")).len(), objects, "{policy}");

        let (deleted, plan) = retention(&config, today + Days::new(40), true);
        let want: Vec<String> = {
            let mut v: Vec<String> = rows.values().map(|r| r.event_date.clone()).collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(dates_of(&deleted), want, "{policy}: {plan:#}");
        for o in plan["delete"].as_array().unwrap() {
            let written = o["written_at"].as_str().unwrap();
            assert!(
                written.starts_with(&day(started)) || written.starts_with(&day(today)),
                "{o}"
            );
        }

        // The generated key signed the run; the archive verifies.
        let out = run_ok(auditlake().args(["verify", "--config"]).arg(&config));
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("ok: "),
            "{policy}"
        );
    }
}

#[test]
fn event_timed_year_9999_is_locked_until_its_write_date_plus_retention_on_s3() {
    // retain-until was event date + retention: 9999-12-31 locked the object past the end of the
    // calendar, and 0001-01-01 left it unlocked.
    let ep = s3_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bucket = bucket_name("time");
    boto3(
        d,
        &ep,
        &format!(
            "s3.create_bucket(Bucket='{bucket}', ObjectLockEnabledForBucket=True)\nprint(json.dumps(True))"
        ),
    );
    write_log(d, "authentication.login");
    let config = ConfigBuilder::new(d)
        .s3(&ep, &bucket, "prod")
        .sources(&format!(
            "[[sources]]\nname = \"app\"\npaths = [\"{}/logs/app.log\"]\nprofile = \"auditlake-json\"\n[sources.time_window]\npolicy = \"keep\"\n",
            d.display()
        ))
        .tiers(
            r#"
[[tiers]]
name = "security"
retention_days = 2
object_lock = "COMPLIANCE"
match = { categories = ["authentication"] }
[[tiers]]
name = "standard"
retention_days = 365
"#,
        )
        .write();
    let started = Utc::now().date_naive();
    run_ok(
        auditlake_s3()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let today = Utc::now().date_naive();
    let locks = boto3(
        d,
        &ep,
        &format!(
            r#"
out = {{}}
for o in s3.list_objects_v2(Bucket="{bucket}", Prefix="prod/tier=")["Contents"]:
    h = s3.head_object(Bucket="{bucket}", Key=o["Key"])
    out[o["Key"]] = [h.get("ObjectLockMode"), h["ObjectLockRetainUntilDate"].isoformat()]
print(json.dumps(out))
"#
        ),
    );
    let locks = locks.as_object().unwrap();
    let mut dates: Vec<String> = locks.keys().cloned().collect::<Vec<_>>();
    dates = dates_of(&dates);
    assert_eq!(dates.len(), 3, "{locks:#?}");
    assert_eq!(dates[0], "0001-01-01");
    assert_eq!(dates[2], "9999-12-31");
    // The write date + 2 days, to the end of that day.
    let until = |written: NaiveDate| format!("{}T00:00:00+00:00", day(written + Days::new(3)));
    for (key, lock) in locks {
        assert_eq!(lock[0], "COMPLIANCE", "{key}");
        let got = lock[1].as_str().unwrap();
        assert!(
            got == until(started) || got == until(today),
            "{key}: retain-until {got}, written {today}"
        );
    }

    // Retention plans nothing today, and a month on judges every object by its write date: all
    // expired, all still locked on the server's clock, none deleted.
    let plan = |now: NaiveDate| {
        let out = run_ok(
            auditlake_s3()
                .args([
                    "retention",
                    "--dry-run",
                    "--json",
                    "--now",
                    &day(now),
                    "--config",
                ])
                .arg(&config),
        );
        stdout_json(&out)
    };
    let p = plan(today);
    assert!(p["delete"].as_array().unwrap().is_empty(), "{p:#}");
    assert!(p["locked"].as_array().unwrap().is_empty(), "{p:#}");
    let p = plan(today + Days::new(30));
    assert!(p["delete"].as_array().unwrap().is_empty(), "{p:#}");
    assert_eq!(p["locked"].as_array().unwrap().len(), 3, "{p:#}");

    // The agent's generated key signed the digests; verify finds it through the config.
    let out = run_ok(auditlake_s3().args(["verify", "--config"]).arg(&config));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));
}

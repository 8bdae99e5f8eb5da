//! Retention on S3 with Object Lock and versions, as a user runs it, against a real S3-protocol
//! server (moto) that enforces Object Lock: an archive of several years of events in tiers with
//! COMPLIANCE, GOVERNANCE and no lock, an auditlake hold and an object legal hold set by hand.
//! What S3 holds afterwards is read with boto3, a client we did not write.
//!
//! The server's url comes from `AUDITLAKE_TEST_S3_ENDPOINT` (`eval "$(scripts/moto.sh start)"`,
//! which `scripts/test.sh` does); without it each test fails. The server's endpoint is only in
//! the configuration's `[archive.s3]`: the binary runs without `AWS_ENDPOINT_URL`.

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use chrono::{Days, NaiveDate, Utc};
use util::*;

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The event date in a data key (`.../event_date=YYYY-MM-DD/...`).
fn event_date(key: &str) -> String {
    key.split("event_date=")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("{key} has no event_date"))
        .to_string()
}

/// Sorted event dates of a plan list.
fn plan_dates(plan: &serde_json::Value, list: &str) -> Vec<String> {
    let mut v: Vec<String> = plan[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} missing from {plan:#}"))
        .iter()
        .map(|o| event_date(o["key"].as_str().unwrap()))
        .collect();
    v.sort();
    v
}

/// The configuration of these tests: the archive on the test server, three tiers.
fn config(dir: &Path, endpoint: &str, bucket: &str, key_file: &Path) -> ConfigBuilder {
    ConfigBuilder::new(dir)
        .s3(endpoint, bucket, "prod")
        .section(&format!(
            "[digest]\nsigning_key_file = \"{}\"\n",
            key_file.display()
        ))
        .tiers(
            r#"
[[tiers]]
name = "security"
retention_days = 3650
object_lock = "COMPLIANCE"
match = { categories = ["authentication"] }
[[tiers]]
name = "ops"
retention_days = 1000
object_lock = "GOVERNANCE"
match = { actions = ["system.*"] }
[[tiers]]
name = "standard"
retention_days = 365
transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 90, storage_class = "GLACIER_IR" }]
"#,
        )
}

#[test]
fn retention_keeps_locked_and_held_objects_and_deletes_every_version_of_the_rest() {
    let ep = s3_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bucket = bucket_name("retention");
    boto3(
        d,
        &ep,
        &format!(
            "s3.create_bucket(Bucket='{bucket}', ObjectLockEnabledForBucket=True)\nprint(json.dumps(True))"
        ),
    );

    // Events of years back, all backfilled (written) today. Retention and Object Lock count
    // from the write date, never the event date, so judged 4000 days ahead every tier's
    // retention has passed, and every lock of the locked tiers is still in force on the
    // server's clock: those are kept, the unlocked tier's objects go but for the held ones.
    let today = Utc::now().date_naive();
    let ago = |days: u64| today.checked_sub_days(Days::new(days)).unwrap();
    let now = today.checked_add_days(Days::new(4000)).unwrap();
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    // (name, action, days ago)
    let events = [
        // security, COMPLIANCE, 3650 days: locked until 3651 days from today
        ("s_oldest", "authentication.login", 4000), // event-date retention had ended
        ("s_old", "authentication.login", 3400),
        ("s_recent", "authentication.login", 3000),
        // ops, GOVERNANCE, 1000 days: locked until 1001 days from today
        ("o_oldest", "system.settings.change", 1200),
        ("o_old", "system.settings.change", 900),
        ("o_recent", "system.settings.change", 500),
        // standard, no lock, 365 days: expired 366 days from today
        ("t_oldest", "resource.update", 2500),
        ("t_legal", "resource.update", 2000), // an object legal hold set by hand
        ("t_held", "resource.update", 1500),  // an auditlake hold
        ("t_old", "resource.update", 800),
        ("t_recent", "resource.update", 10),
    ];
    let date_of: BTreeMap<&str, String> =
        events.iter().map(|(n, _, a)| (*n, day(ago(*a)))).collect();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    let mut log = String::new();
    for (i, (name, action, days)) in events.iter().enumerate() {
        for j in 0..3 {
            log.push_str(&format!(
                r#"{{"id":"{name}-{j}","time":"{}T1{j}:00:00Z","action":"{action}","actor":{{"id":"u{i}"}},"resource":{{"type":"doc","id":"d{i}"}}}}"#,
                day(ago(*days))
            ));
            log.push('\n');
        }
    }
    std::fs::write(d.join("logs/app.log"), log).unwrap();
    run_ok(auditlake().args(["keygen", "--out"]).arg(d.join("audit")));
    let config = config(d, &ep, &bucket, &d.join("audit.key")).write();
    run_ok(
        auditlake_s3()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );

    // The archive as S3 holds it: one object per event date, a lock on every object of the
    // locked tiers, however old its events.
    let stored = boto3(
        d,
        &ep,
        &format!(
            r#"
out = {{}}
for o in s3.list_objects_v2(Bucket="{bucket}", Prefix="prod/tier=")["Contents"]:
    h = s3.head_object(Bucket="{bucket}", Key=o["Key"])
    out[o["Key"]] = h.get("ObjectLockMode")
print(json.dumps(out))
"#
        ),
    );
    let stored = stored.as_object().unwrap();
    assert_eq!(stored.len(), events.len(), "{stored:#?}");
    let key_of = |name: &str| -> String {
        stored
            .keys()
            .find(|k| event_date(k) == date_of[name])
            .unwrap_or_else(|| panic!("no object of {name}"))
            .clone()
    };
    assert!(key_of("s_old").starts_with("prod/tier=security/"));
    assert!(key_of("o_old").starts_with("prod/tier=ops/"));
    assert_eq!(stored[&key_of("s_old")], "COMPLIANCE");
    assert_eq!(stored[&key_of("o_old")], "GOVERNANCE");
    assert_eq!(stored[&key_of("t_recent")], serde_json::Value::Null);
    // Backfilled events are locked from their write date: the lock was left off when it counted
    // from the event date, whose retention had ended.
    assert_eq!(stored[&key_of("s_oldest")], "COMPLIANCE");

    // An auditlake hold on one day of the standard tier, and an object legal hold set by hand.
    let held_day = &date_of["t_held"];
    run_ok(
        auditlake_s3()
            .args([
                "hold",
                "add",
                "--name",
                "case-1",
                "--reason",
                "litigation",
                "--tier",
                "standard",
                "--since",
                held_day,
                "--until",
                held_day,
                "--config",
            ])
            .arg(&config),
    );
    boto3(
        d,
        &ep,
        &format!(
            "s3.put_object_legal_hold(Bucket='{bucket}', Key='{}', LegalHold={{'Status': 'ON'}})\nprint(json.dumps(True))",
            key_of("t_legal")
        ),
    );

    let dates = |names: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|n| date_of[n].clone()).collect();
        v.sort();
        v
    };
    let want_delete = dates(&["t_oldest", "t_old", "t_recent"]);
    let want_locked = dates(&[
        "s_oldest", "s_old", "s_recent", "o_oldest", "o_old", "o_recent",
    ]);
    let want_held = dates(&["t_legal", "t_held"]);

    // The dry run: the plan per tier, nothing deleted.
    let now_arg = day(now);
    let out = run_ok(
        auditlake_s3()
            .args([
                "retention",
                "--dry-run",
                "--json",
                "--now",
                &now_arg,
                "--config",
            ])
            .arg(&config),
    );
    let plan = stdout_json(&out);
    assert_eq!(plan_dates(&plan, "delete"), want_delete, "{plan:#}");
    assert_eq!(plan_dates(&plan, "locked"), want_locked, "{plan:#}");
    assert_eq!(plan_dates(&plan, "held"), want_held, "{plan:#}");
    for o in plan["locked"].as_array().unwrap() {
        let want = if o["tier"] == "security" {
            "COMPLIANCE"
        } else {
            "GOVERNANCE"
        };
        assert_eq!(o["lock_mode"], want, "{o}");
        // the lock outlives the present, though not the judged time
        let until = o["locked_until"].as_str().unwrap();
        assert!(
            until > day(today).as_str() && until < now_arg.as_str(),
            "{o}"
        );
    }
    for o in plan["held"].as_array().unwrap() {
        if event_date(o["key"].as_str().unwrap()) == date_of["t_held"] {
            assert_eq!(o["held_by"], "case-1", "{o}");
        } else {
            assert_eq!(o["legal_hold"], true, "{o}");
            assert!(o.get("held_by").is_none(), "{o}");
        }
    }
    let tiers = &plan["tiers"];
    let counts = |t: &str| {
        (
            tiers[t]["delete_objects"].as_u64().unwrap(),
            tiers[t]["held_objects"].as_u64().unwrap(),
            tiers[t]["locked_objects"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts("security"), (0, 0, 3), "{tiers:#}");
    assert_eq!(counts("ops"), (0, 0, 3), "{tiers:#}");
    assert_eq!(counts("standard"), (3, 2, 0), "{tiers:#}");
    assert!(tiers["standard"]["delete_bytes"].as_u64().unwrap() > 0);
    assert!(tiers["security"]["locked_bytes"].as_u64().unwrap() > 0);

    // The text plan says the same per tier.
    let out = run_ok(
        auditlake_s3()
            .args(["retention", "--dry-run", "--now", &now_arg, "--config"])
            .arg(&config),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("tier security: delete 0 objects")
                && l.contains("locked 3 objects")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("locked ") && l.contains("GOVERNANCE until")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("held ") && l.contains("object legal hold")),
        "{text}"
    );
    let count_now = boto3(
        d,
        &ep,
        &format!(
            "print(json.dumps(len(s3.list_objects_v2(Bucket='{bucket}', Prefix='prod/tier=')['Contents'])))"
        ),
    );
    assert_eq!(count_now, events.len());

    // The run: exactly the planned objects go, with every version; nothing is left failing.
    let out = run_ok(
        auditlake_s3()
            .args(["retention", "--json", "--now", &now_arg, "--config"])
            .arg(&config),
    );
    let result = stdout_json(&out);
    assert_eq!(result["run"]["deleted"], 3, "{result:#}");
    assert!(result["run"]["failed"].as_array().unwrap().is_empty());

    let versions = boto3(
        d,
        &ep,
        &format!(
            r#"
r = s3.list_object_versions(Bucket="{bucket}", Prefix="prod/tier=")
print(json.dumps({{"versions": [v["Key"] for v in r.get("Versions", [])],
                  "markers": [m["Key"] for m in r.get("DeleteMarkers", [])]}}))
"#
        ),
    );
    let mut left: Vec<String> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| event_date(k.as_str().unwrap()))
        .collect();
    left.sort();
    let want_left = dates(&[
        "s_oldest", "s_old", "s_recent", "o_oldest", "o_old", "o_recent", "t_legal", "t_held",
    ]);
    assert_eq!(left, want_left, "{versions:#}");
    assert!(
        versions["markers"].as_array().unwrap().is_empty(),
        "a plain delete left delete markers: {versions:#}"
    );

    // The receipts make the deletions lawful.
    let out = auditlake_s3()
        .args(["verify", "--format", "json", "--config"])
        .arg(&config)
        .arg("--public-key")
        .arg(d.join("audit.pub"))
        .output()
        .unwrap();
    let report = stdout_json(&out);
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["objects_expired"], 3, "{report:#}");

    // A second run finds nothing more to delete and keeps what it kept.
    let out = run_ok(
        auditlake_s3()
            .args([
                "retention",
                "--dry-run",
                "--json",
                "--now",
                &now_arg,
                "--config",
            ])
            .arg(&config),
    );
    let plan = stdout_json(&out);
    assert!(plan_dates(&plan, "delete").is_empty(), "{plan:#}");
    assert_eq!(plan_dates(&plan, "locked"), want_locked);
    assert_eq!(plan_dates(&plan, "held"), want_held);
}

#[test]
fn lifecycle_configuration_is_accepted_by_s3_and_reads_back() {
    let ep = s3_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bucket = bucket_name("lifecycle");
    let config = config(d, &ep, &bucket, &d.join("audit.key")).write();
    let out = run_ok(auditlake().args(["lifecycle", "--config"]).arg(&config));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("holds") && stderr.contains("receipt"),
        "{stderr}"
    );
    let lifecycle = stdout_json(&out);
    let rules = lifecycle["Rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4, "{lifecycle:#}");
    assert_eq!(rules[2]["Filter"]["Prefix"], "prod/tier=standard/");
    assert_eq!(rules[2]["Expiration"]["Days"], 366);
    assert_eq!(rules[2]["Transitions"][1]["StorageClass"], "GLACIER_IR");
    std::fs::write(
        d.join("lifecycle.json"),
        serde_json::to_vec(&lifecycle).unwrap(),
    )
    .unwrap();

    // The file as `aws s3api put-bucket-lifecycle-configuration` takes it, read back from S3.
    let back = boto3(
        d,
        &ep,
        &format!(
            r#"
s3.create_bucket(Bucket="{bucket}", ObjectLockEnabledForBucket=True)
s3.put_bucket_lifecycle_configuration(Bucket="{bucket}",
    LifecycleConfiguration=json.load(open("lifecycle.json")))
print(json.dumps(s3.get_bucket_lifecycle_configuration(Bucket="{bucket}")["Rules"]))
"#
        ),
    );
    assert_eq!(&back, &lifecycle["Rules"]);

    // Another prefix on request.
    let out = run_ok(
        auditlake()
            .args(["lifecycle", "--prefix", "other/", "--config"])
            .arg(&config),
    );
    let other = stdout_json(&out);
    assert_eq!(
        other["Rules"][0]["Filter"]["Prefix"],
        "other/tier=security/"
    );

    // A transition S3 would refuse is named by its key.
    let bad = std::fs::read_to_string(&config)
        .unwrap()
        .replace("days = 30, storage_class", "days = 10, storage_class");
    std::fs::write(&config, bad).unwrap();
    let out = auditlake()
        .args(["lifecycle", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tiers[2].transitions[0].days") && stderr.contains("config.toml"),
        "{stderr}"
    );
}

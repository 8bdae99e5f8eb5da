//! `auditlake gen` writes logs that the matching built-in profiles take whole: generated in each
//! format, archived by `agent --once`, counted with DuckDB.

mod util;

use std::path::Path;

use serde_json::Value;
use util::*;

const PROFILES: [(&str, &str); 5] = [
    ("app", "auditlake-json"),
    ("idp", "idp-json"),
    ("assets", "asset-json"),
    ("sshd", "sshd"),
    ("web", "logfmt-app"),
];
const LINES: u64 = 12_000;

/// Runs `auditlake gen ARGS --stats` and returns the stats it prints.
fn gen_stats(args: &[&str]) -> Value {
    let out = run_ok(auditlake().arg("gen").args(args).arg("--stats"));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("gen printed {err:?}: {e}"))
}

fn config(dir: &Path) -> std::path::PathBuf {
    let mut text = format!(
        "version = 1\n[agent]\nstate_dir = \"{d}/state\"\nlisten = \"127.0.0.1:{port}\"\n\
         [archive]\nurl = \"{d}/archive\"\n",
        d = dir.display(),
        port = free_port()
    );
    for (source, profile) in PROFILES {
        text += &format!(
            "[[sources]]\nname = \"{source}\"\npaths = [\"{}/{source}.log\"]\nprofile = \"{profile}\"\n",
            dir.display()
        );
    }
    text += "[[tiers]]\nname = \"security\"\nretention_days = 2555\n\
             match = { categories = [\"authentication\", \"credential\", \"account\", \"session\"] }\n\
             [[tiers]]\nname = \"standard\"\nretention_days = 365\n";
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_profile_takes_its_generated_log_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut expected = serde_json::Map::new();
    for (i, (source, profile)) in PROFILES.iter().enumerate() {
        let out = d.join(format!("{source}.log"));
        let st = gen_stats(&[
            "--profile",
            profile,
            "--lines",
            &LINES.to_string(),
            "--users",
            "400",
            "--ips",
            "3000",
            "--days",
            "10",
            "--start",
            "2026-11-01",
            "--seed",
            &(11 + i).to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(st["lines"], LINES, "{st}");
        assert_eq!(st["bytes"], std::fs::metadata(&out).unwrap().len(), "{st}");
        expected.insert(source.to_string(), st);
    }

    let cfg = config(d);
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&cfg),
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let per_source = |name: &str| -> Value {
        summary["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].clone())
            .unwrap_or_else(|| panic!("no source {name} in {summary}"))
    };
    for (source, _) in PROFILES {
        let got = &per_source(source);
        let want = &expected[source];
        assert_eq!(got["dead_letters"], 0, "{source}: {got}");
        assert_eq!(got["lines"], want["lines"], "{source}: {got} {want}");
        assert_eq!(got["events"], want["events"], "{source}: {got} {want}");
        assert_eq!(got["ignored"], want["ignored"], "{source}: {got} {want}");
    }
    // The JSON formats have no noise; the text formats do, and sshd folds repeats.
    for s in ["app", "idp", "assets"] {
        assert_eq!(expected[s]["events"], LINES, "{s}");
    }
    for s in ["sshd", "web"] {
        assert!(expected[s]["ignored"].as_u64().unwrap() > 100, "{s}");
    }
    let sshd = &expected["sshd"];
    assert!(
        sshd["events"].as_u64().unwrap() > LINES - sshd["ignored"].as_u64().unwrap(),
        "{sshd}"
    );

    let got = python_json(
        d,
        r#"
import duckdb, json
con = duckdb.connect()
con.sql("create view a as select * from read_parquet('archive/**/*.parquet', hive_partitioning=true)")
q = lambda s: con.sql(s).fetchall()
print(json.dumps({
  "per_source": {s: n for s, n in q("select source, count(*) from a group by 1")},
  "rows": q("select count(*) from a")[0][0],
  "distinct": q("select count(distinct event_id) from a")[0][0],
  "days": q("select count(distinct event_date) from a")[0][0],
  "locks": {s: n for s, n in q("select source, count(*) from a where action = 'account.lock' group by 1")},
  "login_failure_share": q("select avg(case when outcome = 'failure' then 1 else 0 end) from a where action = 'authentication.login' and source = 'app'")[0][0],
  "top_action": {s: act for s, act, _ in q("select source, action, n from (select source, action, count(*) n, row_number() over (partition by source order by count(*) desc, action) r from a group by 1, 2) where r = 1")},
  "with_changes": {s: n for s, n in q("select source, count(*) from a where changes is not null group by 1")},
  "repeated_ip": q("select count(*) from (select src_ip from a where source = 'sshd' and outcome = 'failure' group by 1 having count(*) >= 5)")[0][0],
  "no_actor": {s: n for s, n in q("select source, count(*) from a where actor_id is null group by 1")},
  "users": q("select count(distinct actor_id) from a where source = 'app' and actor_id like 'u-%'")[0][0],
}))
"#,
    );
    for (source, _) in PROFILES {
        assert_eq!(
            got["per_source"][source], expected[source]["events"],
            "{source}: {got}"
        );
    }
    assert_eq!(got["rows"], got["distinct"], "{got}");
    assert_eq!(got["days"], 10, "{got}");
    // Bursts of failures end in lockouts where the application locks accounts.
    assert!(got["locks"]["app"].as_u64().unwrap() > 0, "{got}");
    assert!(got["locks"]["idp"].as_u64().unwrap() > 0, "{got}");
    let share = got["login_failure_share"].as_f64().unwrap();
    assert!((0.04..0.3).contains(&share), "{got}");
    // Logins dominate where there are logins (in sshd, tied with the sessions they open: the
    // name breaks the tie); the asset log is about changes.
    for s in ["app", "idp", "sshd", "web"] {
        let top = got["top_action"][s].as_str().unwrap();
        assert!(top.starts_with("authentication.login"), "{s}: {got}");
    }
    assert!(
        got["top_action"]["assets"]
            .as_str()
            .unwrap()
            .starts_with("resource.")
    );
    for s in ["app", "idp", "assets", "web"] {
        assert!(got["with_changes"][s].as_u64().unwrap() > 0, "{s}: {got}");
    }
    assert!(got["repeated_ip"].as_u64().unwrap() > 0, "{got}");
    // Every event names who acted; only the logfmt application logs a login id it does not
    // know without one (its username-guessing bursts).
    let no_actor = got["no_actor"].as_object().unwrap();
    assert!(no_actor.keys().all(|s| s == "web"), "{got}");
    assert!(got["users"].as_u64().unwrap() > 200, "{got}");
}

#[test]
fn the_same_seed_gives_the_same_log_and_rate_mode_writes_what_it_promises() {
    let args = [
        "gen",
        "--profile",
        "idp-json",
        "--lines",
        "2000",
        "--seed",
        "5",
    ];
    let a = run_ok(auditlake().args(args)).stdout;
    let b = run_ok(auditlake().args(args)).stdout;
    assert_eq!(a, b);
    assert_eq!(a.iter().filter(|c| **c == b'\n').count(), 2000);
    let c = run_ok(auditlake().args(["gen", "--profile", "idp-json", "--lines", "2000"])).stdout;
    assert_ne!(a, c);

    // --rate writes rate x duration lines, each timed when it was written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live.jsonl");
    let before = chrono_now_us();
    let st = gen_stats(&[
        "--rate",
        "4000",
        "--duration",
        "0.5",
        "--out",
        out.to_str().unwrap(),
    ]);
    let after = chrono_now_us();
    assert_eq!(st["lines"], 2000, "{st}");
    let first = st["first_time_us"].as_i64().unwrap();
    let last = st["last_time_us"].as_i64().unwrap();
    assert!(before <= first && first <= last && last <= after, "{st}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 2000);

    let err = auditlake()
        .args(["gen", "--profile", "asset-json", "--mix", "login=3"])
        .output()
        .unwrap();
    assert!(!err.status.success());
    let msg = String::from_utf8_lossy(&err.stderr);
    assert!(
        msg.contains("asset-json") && msg.contains("resource-update"),
        "{msg}"
    );
}

fn chrono_now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

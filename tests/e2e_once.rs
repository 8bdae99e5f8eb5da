//! `agent --once` on the shipped sample logs, checked with DuckDB and pyarrow.

mod util;

use serde_json::json;
use util::*;

fn summary(dir: &std::path::Path) -> serde_json::Value {
    let config = quickstart_config(dir);
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    serde_json::from_slice(&out.stdout).expect("summary is JSON")
}

#[test]
fn once_archives_the_samples_and_duckdb_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = summary(dir.path());
    let total = &s["total"];
    // The samples' documented counts (examples/logs/README.md).
    assert_eq!(total["lines"], 194);
    assert_eq!(total["events"], 168);
    assert_eq!(total["ignored"], 18);
    assert_eq!(total["dead_letters"], 10);

    let got = python_json(
        dir.path(),
        r#"
import duckdb, json
con = duckdb.connect()
con.sql("create view a as select * from read_parquet('archive/**/*.parquet', hive_partitioning=true)")
q = lambda s: con.sql(s).fetchall()
out = {
  "rows": q("select count(*) from a")[0][0],
  "distinct_ids": q("select count(distinct event_id) from a")[0][0],
  "per_tier": {t: n for t, n in q("select tier, count(*) from a group by tier")},
  "per_source": {t: n for t, n in q("select source, count(*) from a group by source")},
  "dates": q("select count(distinct event_date) from a")[0][0],
  "date_matches_time": q("select bool_and(cast(event_date as date) = cast(time at time zone 'UTC' as date)) from a")[0][0],
  "sshd_invalid": q("select count(*) from a where source='sshd' and action='authentication.login_id' and outcome='failure'")[0][0],
  "sshd_no_ip": q("select count(*) from a where source='sshd' and src_ip is null and action <> 'session.create'")[0][0],
  "idp_types": q("select count(distinct action) from a where source='idp'")[0][0],
  "idp_failed_pw": q("select count(*) from a where source='idp' and action='authentication.primary.password' and outcome='failure'")[0][0],
  "credential_rp": q("select count(*) from a where action like 'credential.%' and rp_id is not null")[0][0],
  "asset_changes": q("select count(*) from a where source='assets' and changes is not null")[0][0],
  "asset_change_fields": q("select count(*) from a, unnest(cast(json(changes) as json[])) as c(x) where source='assets' and json_extract_string(x, '$.old') is not null")[0][0],
  "seq_gapless": q("select bool_and(n = mx - mn + 1) from (select source, count(*) n, min(seq) mn, max(seq) mx from a group by source)")[0][0],
  "raw_kept": q("select count(*) from a where raw is null")[0][0],
  "file_kept": q("select count(*) from a where source_file is null")[0][0],
  "tier_of_login": q("select distinct tier from a where action='authentication.login'"),
  "tier_of_sms": q("select distinct tier from a where action='message.sms.send'"),
  "tier_of_asset_update": q("select distinct tier from a where action='resource.update'"),
}
print(json.dumps(out, default=str))
"#,
    );
    assert_eq!(got["rows"], 168);
    assert_eq!(got["distinct_ids"], 168);
    assert_eq!(got["date_matches_time"], true);
    assert_eq!(got["seq_gapless"], true);
    assert!(got["dates"].as_u64().unwrap() >= 3, "{got}");
    let per_source = &got["per_source"];
    assert_eq!(
        per_source,
        &json!({"app": 29, "idp": 60, "assets": 25, "sshd": 34, "billing": 20})
    );
    let per_tier = got["per_tier"].as_object().unwrap();
    let tier_sum: u64 = per_tier.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(tier_sum, 168);
    assert!(got["sshd_invalid"].as_u64().unwrap() >= 1, "{got}");
    // Only pam_unix "session opened" lines carry no address.
    assert_eq!(got["sshd_no_ip"], 0, "{got}");
    assert!(got["idp_types"].as_u64().unwrap() >= 40, "{got}");
    assert!(got["idp_failed_pw"].as_u64().unwrap() >= 1, "{got}");
    assert!(got["credential_rp"].as_u64().unwrap() >= 2, "{got}");
    assert!(got["asset_changes"].as_u64().unwrap() >= 3, "{got}");
    assert!(got["asset_change_fields"].as_u64().unwrap() >= 3, "{got}");
    assert_eq!(got["raw_kept"], 0);
    assert_eq!(got["file_kept"], 0);
    assert_eq!(got["tier_of_login"], json!([["security"]]));
    assert_eq!(got["tier_of_sms"], json!([["operational"]]));
    assert_eq!(got["tier_of_asset_update"], json!([["standard"]]));

    // Dead letters name the file, the offset and the reason, and hold the line.
    let dead = std::fs::read_to_string(dir.path().join("state/dead-letter/idp.jsonl")).unwrap();
    let letters: Vec<serde_json::Value> = dead
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 2);
    for l in &letters {
        assert!(l["file"].as_str().unwrap().ends_with("idp-events.jsonl"));
        assert!(l["offset"].as_u64().is_some());
        assert!(!l["reason"].as_str().unwrap().is_empty());
        assert!(!l["line"].as_str().unwrap().is_empty());
    }
}

#[test]
fn parquet_files_are_zstd_sorted_with_bloom_filters() {
    let dir = tempfile::tempdir().unwrap();
    summary(dir.path());
    let got = python_json(
        dir.path(),
        r#"
import glob, json
import pyarrow.parquet as pq
files = glob.glob('archive/**/*.parquet', recursive=True)
codecs, sorted_ok, bloom, sorting_meta, version = set(), True, {}, True, set()
for f in files:
    pf = pq.ParquetFile(f)
    md = pf.metadata
    version.add(md.metadata.get(b'auditlake.schema_version'))
    for rg in range(md.num_row_groups):
        g = md.row_group(rg)
        if not g.sorting_columns or g.sorting_columns[0].column_index != md.schema.to_arrow_schema().get_field_index('actor_id'):
            sorting_meta = False
        for c in range(g.num_columns):
            col = g.column(c)
            codecs.add(col.compression)
            name = col.path_in_schema
            if name in ('actor_id','src_ip','session_id','resource_id','credential_id'):
                bloom[name] = bloom.get(name, 0) + (1 if col.bloom_filter_offset is not None else 0)
    t = pf.read(columns=['actor_id','time']).to_pylist()
    keys = [((r['actor_id'] is None), r['actor_id'] or '', r['time']) for r in t]
    if keys != sorted(keys):
        sorted_ok = False
print(json.dumps({"files": len(files), "codecs": sorted(codecs), "sorted": sorted_ok, "bloom": bloom, "sorting_meta": sorting_meta, "version": sorted(v.decode() for v in version if v)}))
"#,
    );
    let files = got["files"].as_u64().unwrap();
    assert!(files >= 5, "{got}");
    assert_eq!(got["codecs"], json!(["ZSTD"]), "{got}");
    assert_eq!(got["sorted"], true, "{got}");
    assert_eq!(got["sorting_meta"], true, "{got}");
    assert_eq!(got["version"], json!(["2"]), "{got}");
    for col in [
        "actor_id",
        "src_ip",
        "session_id",
        "resource_id",
        "credential_id",
    ] {
        assert_eq!(got["bloom"][col].as_u64(), Some(files), "{col}: {got}");
    }
}

#[test]
fn rerun_on_unchanged_logs_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    summary(dir.path());
    let count = || {
        walk(&dir.path().join("archive"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .count()
    };
    let before = count();
    let again = summary(dir.path());
    assert_eq!(again["total"]["lines"], 0);
    assert_eq!(again["total"]["objects"], 0);
    assert_eq!(count(), before);
}

#[test]
fn config_with_a_misspelt_key_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = quickstart_config(dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("flush_interval_secs", "flush_intervl_secs");
    std::fs::write(&config, text).unwrap();
    let out = auditlake()
        .args(["agent", "--once", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("flush_intervl_secs"), "{err}");
    assert!(err.contains("config.toml"), "{err}");
}

#[test]
fn every_shipped_config_loads() {
    let root = repo_root();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("config")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            run_ok(auditlake().arg("check-config").arg("--config").arg(&path));
            checked += 1;
        }
    }
    assert!(checked >= 1);
}

#[test]
fn invalid_utf8_and_long_lines_are_kept_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.jsonl");
    let good = r#"{"id":"a1","time":"2026-11-22T10:00:00Z","action":"authentication.login","outcome":"success","actor":{"id":"u1"}}"#;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(good.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(
        br#"{"id":"a2","time":"2026-11-22T10:00:01Z","action":"authentication.login","outcome":"failure","actor":{"id":"u2","name":"caf"#,
    );
    bytes.extend_from_slice(&[0xe9, b'"', b'}', b'}', b'\n']);
    bytes.extend_from_slice(format!("{}\n", "x".repeat(5000)).as_bytes());
    std::fs::write(&log, bytes).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[agent]
state_dir = "{d}/state"
[archive]
url = "{d}/archive"
[[sources]]
name = "app"
paths = ["{d}/app.jsonl"]
profile = "auditlake-json"
max_line_bytes = 1024
[[tiers]]
name = "all"
retention_days = 30
"#,
            d = dir.path().display()
        ),
    )
    .unwrap();
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["total"]["lines"], 3);
    assert_eq!(s["total"]["invalid_utf8"], 1);
    assert_eq!(s["total"]["truncated"], 1);
    assert_eq!(s["total"]["events"], 2);
    assert_eq!(s["total"]["dead_letters"], 1);
    let got = python_json(
        dir.path(),
        r#"
import duckdb, json
r = duckdb.sql("select event_id, flags, actor_name from read_parquet('archive/**/*.parquet') order by event_id").fetchall()
print(json.dumps(r))
"#,
    );
    assert_eq!(
        got,
        json!([["a1", null, null], ["a2", "invalid_utf8", "caf\u{fffd}"]])
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn agent_writes_signed_digests_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signing");
    run_ok(auditlake().arg("keygen").arg("--out").arg(&key));
    let config = quickstart_config(dir.path());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[digest]\nsigning_key_file = \"{}.key\"\n",
        key.display()
    ));
    std::fs::write(&config, text).unwrap();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let verify = || {
        auditlake()
            .args(["verify", "--format", "json", "--archive"])
            .arg(dir.path().join("archive"))
            .arg("--public-key")
            .arg(format!("{}.pub", key.display()))
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A second run with nothing new writes a heartbeat digest; the chain still verifies.
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    assert!(verify().status.success());
    // An object slipped into a partition is caught.
    let stray = dir
        .path()
        .join("archive/tier=security/event_date=2026-11-21/stray.parquet");
    std::fs::write(&stray, b"PAR1").unwrap();
    let out = verify();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("stray.parquet"));
}

#[test]
fn corrupt_checkpoint_stops_startup_by_default_and_is_moved_aside_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = quickstart_config(dir.path());
    summary(dir.path());
    let checkpoint = dir.path().join("state/checkpoints/idp.json");
    std::fs::write(&checkpoint, b"{\"version\":\"1\", garbage").unwrap();
    let out = auditlake()
        .args(["agent", "--once", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("idp.json") && err.contains("on_corrupt_checkpoint"),
        "{err}"
    );

    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[agent]", "[agent]\non_corrupt_checkpoint = \"reread\"");
    std::fs::write(&config, text).unwrap();
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only the damaged source is read again; its events keep their ids.
    assert_eq!(s["total"]["events"], 60, "{s}");
    let moved = std::fs::read_dir(dir.path().join("state/checkpoints"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("idp.json.corrupt-")
        })
        .count();
    assert_eq!(moved, 1);
    let got = python_json(
        dir.path(),
        r#"
import duckdb, json
r = duckdb.sql("select count(*), count(distinct event_id) from read_parquet('archive/**/*.parquet', hive_partitioning=true) where source='idp'").fetchone()
print(json.dumps(r))
"#,
    );
    assert_eq!(got, json!([120, 60]));
}

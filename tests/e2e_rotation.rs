//! Rotation while the agent is down, and last lines without a newline: every line that reached a
//! log file is archived exactly once, or its loss is in the loss ledger, the metric and the
//! summary, never silent.

mod util;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use util::*;

/// The source reads `live/*.log`: logrotate's rotated names (`app.log.1`, `app.log.3300`) do
/// not match.
fn config(dir: &Path, port: u16) -> PathBuf {
    std::fs::create_dir_all(dir.join("live")).unwrap();
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[agent]
state_dir = "{d}/state"
flush_interval_secs = 1
poll_interval_ms = 50
listen = "127.0.0.1:{port}"
[archive]
url = "{d}/archive"
[[sources]]
name = "app"
paths = ["{d}/live/*.log"]
profile = "auditlake-json"
[[tiers]]
name = "all"
retention_days = 30
"#,
            d = dir.display()
        ),
    )
    .unwrap();
    path
}

fn event(i: u64) -> String {
    format!(
        r#"{{"id":"e{i:05}","time":"2026-11-22T10:{:02}:{:02}Z","action":"authentication.login","outcome":"success","actor":{{"id":"u{}"}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 7
    )
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn append_events(path: &Path, ids: std::ops::Range<u64>) {
    let text: String = ids.map(|i| event(i) + "\n").collect();
    append(path, &text);
}

/// Runs `agent --once` and returns its JSON summary.
fn once(config: &Path) -> serde_json::Value {
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(config),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn once_text(config: &Path) -> String {
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(config),
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts the live agent; its log goes to `agent.log` beside the config, for a failure's
/// post-mortem.
fn start(config: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("agent.log"))
        .unwrap();
    auditlake()
        .args(["agent", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("agent starts")
}

/// Stops a live agent with SIGTERM and returns what it printed (its final summary).
fn stop(agent: Child) -> String {
    run_ok(std::process::Command::new("kill").args(["-TERM", &agent.id().to_string()]));
    let out = agent.wait_with_output().unwrap();
    assert!(out.status.success(), "agent exited with {}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The archive's rows: how many, how many distinct ids, and the ids.
fn archived(dir: &Path) -> serde_json::Value {
    python_json(
        dir,
        r#"
import duckdb, json, glob
if not glob.glob('archive/**/*.parquet', recursive=True):
    print(json.dumps({"rows": 0, "distinct": 0, "ids": [], "flags": {}}))
else:
    a = "read_parquet('archive/**/*.parquet', hive_partitioning=true)"
    rows, distinct = duckdb.sql(f"select count(*), count(distinct origin_id) from {a}").fetchone()
    ids = [r[0] for r in duckdb.sql(f"select origin_id from {a} order by origin_id").fetchall()]
    flags = {r[0]: r[1] for r in duckdb.sql(f"select origin_id, flags from {a} where flags is not null").fetchall()}
    print(json.dumps({"rows": rows, "distinct": distinct, "ids": ids, "flags": flags}))
"#,
    )
}

fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("e{i:05}")).collect()
}

fn ledger(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("state/loss-ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rows_are(dir: &Path, n: u64) -> bool {
    archived(dir)["rows"] == n
}

#[test]
fn line_written_before_rotation_while_agent_down_is_archived() {
    // Symptom: after a restart the rotated name (app.log.3300) no longer matched `live/*.log`,
    // so the unread tail of the renamed file was never read.
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), free_port());
    let app = dir.path().join("live/app.log");
    append_events(&app, 0..100);
    once(&config);
    // The agent is down: the application writes on, logrotate renames, a new file starts.
    append_events(&app, 100..160);
    std::fs::rename(&app, dir.path().join("live/app.log.3300")).unwrap();
    append_events(&app, 160..200);
    let summary = once(&config);
    assert_eq!(summary["total"]["events"], 100, "{summary}");
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..200)), "{got}");
    assert!(ledger(dir.path()).is_empty());
    // The rotated file was released: its checkpoint entry is gone, and nothing more is read.
    let cp = std::fs::read_to_string(dir.path().join("state/checkpoints/app.json")).unwrap();
    assert!(!cp.contains("app.log.3300"), "{cp}");
    let again = once(&config);
    assert_eq!(again["total"]["events"], 0, "{again}");
}

#[test]
fn rotation_while_live_agent_was_killed_loses_nothing() {
    // The live agent is SIGKILLed after it archived the first lines; the file is rotated out of
    // the globs before it starts again.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), port);
    let app = dir.path().join("live/app.log");
    append_events(&app, 0..50);
    let mut agent = start(&config);
    wait_for("the first lines archived", Duration::from_secs(90), || {
        rows_are(dir.path(), 50)
    });
    agent.kill().unwrap();
    agent.wait().unwrap();
    append_events(&app, 50..80);
    std::fs::rename(&app, dir.path().join("live/app.log.1")).unwrap();
    append_events(&app, 80..90);
    let agent = start(&config);
    wait_for("every line archived", Duration::from_secs(90), || {
        rows_are(dir.path(), 90)
    });
    let out = stop(agent);
    assert!(!out.contains("unread bytes lost"), "{out}");
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..90)), "{got}");
}

#[test]
fn copytruncate_while_agent_down_reads_the_copy_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), free_port());
    let app = dir.path().join("live/app.log");
    append_events(&app, 0..40);
    once(&config);
    append_events(&app, 40..70);
    std::fs::copy(&app, dir.path().join("live/app.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&app)
        .unwrap()
        .set_len(0)
        .unwrap();
    append_events(&app, 70..75);
    once(&config);
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..75)), "{got}");
    assert!(ledger(dir.path()).is_empty());
}

#[test]
fn file_deleted_while_agent_down_goes_to_the_ledger_the_metric_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), port);
    let app = dir.path().join("live/app.log");
    // The live agent holds the unterminated last line back, waiting for its newline.
    append_events(&app, 0..20);
    let partial = event(20);
    append(&app, &partial);
    let size = std::fs::metadata(&app).unwrap().len();
    let mut agent = start(&config);
    wait_for(
        "the complete lines archived",
        Duration::from_secs(90),
        || rows_are(dir.path(), 20),
    );
    agent.kill().unwrap();
    agent.wait().unwrap();
    // Down: the file is deleted, its unread tail with it.
    std::fs::remove_file(&app).unwrap();
    append_events(&app, 100..105);
    let agent = start(&config);
    let lost = partial.len() as f64;
    wait_for("the loss counted", Duration::from_secs(90), || {
        metric(port, "auditlake_unread_bytes_lost_total{source=\"app\"}") == Some(lost)
    });
    wait_for("the new file archived", Duration::from_secs(90), || {
        rows_are(dir.path(), 25)
    });
    let out = stop(agent);
    assert!(
        out.contains(&format!(
            "unread bytes lost: {} in 1 files (see {}/state/loss-ledger.jsonl)",
            partial.len(),
            dir.path().display()
        )),
        "{out}"
    );
    let records = ledger(dir.path());
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r["version"], 1);
    assert_eq!(r["source"], "app");
    assert_eq!(r["path"], app.display().to_string());
    assert_eq!(r["reason"], "not_found");
    assert_eq!(r["offset"], size - partial.len() as u64);
    assert_eq!(r["size"], size);
    assert_eq!(r["lost_bytes"], partial.len() as u64);
    assert_eq!(r["fingerprint"].as_str().unwrap().len(), 16);
    assert!(r["inode"].as_u64().unwrap() > 0);
    let got = archived(dir.path());
    assert_eq!(got["distinct"], 25, "{got}");
}

/// logrotate renamed and compressed the file while the agent was down: what it had not read is
/// read from `app.log.1.gz` (it was a loss, `not_found` in the ledger, before gzip was read).
#[test]
fn file_compressed_while_agent_down_is_read_on_from_the_gz() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), free_port());
    let app = dir.path().join("live/app.log");
    append_events(&app, 0..30);
    once(&config);
    // Down: lines are written, then logrotate renames and compresses (`app.log.1.gz`).
    append_events(&app, 30..40);
    let rotated = dir.path().join("live/app.log.1");
    std::fs::rename(&app, &rotated).unwrap();
    run_ok(std::process::Command::new("gzip").arg(&rotated));
    append_events(&app, 40..45);
    let out = once_text(&config);
    assert!(!out.contains("unread bytes lost"), "{out}");
    assert!(ledger(dir.path()).is_empty());
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..45)), "{got}");
    // Read once: the next run has nothing to add, and when logrotate deletes the old file, nothing
    // is lost.
    once_text(&config);
    std::fs::remove_file(dir.path().join("live/app.log.1.gz")).unwrap();
    let out = once_text(&config);
    assert!(!out.contains("unread bytes lost"), "{out}");
    assert!(ledger(dir.path()).is_empty());
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..45)), "{got}");
}

#[test]
fn once_archives_an_unterminated_last_line_flagged_unterminated() {
    // Symptom: `--once` held the last line back ("106 bytes of partial last lines held") and it
    // was never archived.
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), free_port());
    let app = dir.path().join("live/app.log");
    append_events(&app, 0..3);
    append(&app, &event(3));
    let summary = once(&config);
    assert_eq!(summary["total"]["events"], 4, "{summary}");
    assert_eq!(summary["total"]["unterminated"], 1, "{summary}");
    assert_eq!(summary["total"]["partial_bytes"], 0, "{summary}");
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..4)), "{got}");
    assert_eq!(
        got["flags"],
        serde_json::json!({"e00003": "unterminated"}),
        "{got}"
    );
    // `--once` took the end of the file as the end of the line: what the application appends
    // next is a new line, and nothing is archived twice.
    append(&app, &format!("\n{}\n", event(4)));
    let summary = once(&config);
    assert_eq!(summary["total"]["events"], 1, "{summary}");
    let got = archived(dir.path());
    assert_eq!(got["ids"], serde_json::json!(ids(0..5)), "{got}");
}

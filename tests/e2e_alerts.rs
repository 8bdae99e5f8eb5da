//! Activity alerts end to end: `agent --once` on a generated log, a webhook receiver on
//! 127.0.0.1, and the archive read with DuckDB.

mod util;

use std::io::{BufRead, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use util::*;

/// An HTTP receiver that answers 200 to every request and keeps the bodies.
struct Receiver {
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Receiver {
    fn start(listener: TcpListener) -> Receiver {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                if let Some(body) = read_request(&mut conn) {
                    kept.lock().unwrap().push(body);
                }
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            }
        });
        Receiver { bodies }
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

fn read_request(conn: &mut std::net::TcpStream) -> Option<serde_json::Value> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(i) = text.find("\r\n\r\n") {
            let len: usize = text[..i]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })?
                .parse()
                .ok()?;
            if buf.len() >= i + 4 + len {
                return serde_json::from_slice(&buf[i + 4..i + 4 + len]).ok();
            }
        }
    }
}

fn config(dir: &Path, port: u16) -> PathBuf {
    config_with(dir, port, "")
}

fn config_with(dir: &Path, port: u16, agent: &str) -> PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[agent]
state_dir = "{d}/state"
{agent}
[archive]
url = "{d}/archive"
[[sources]]
name = "app"
paths = ["{d}/logs/app.log"]
profile = "auditlake-json"
[[tiers]]
name = "all"
retention_days = 30
[[alerts.rules]]
name = "failed-logins"
kind = "threshold"
filter = {{ actions = ["authentication.*"], outcome = "failure" }}
threshold = 5
window_secs = 900
[[alerts.webhooks]]
url = "http://127.0.0.1:{port}/hook"
max_attempts = 10
backoff_ms = 200
timeout_ms = 1000
"#,
            d = dir.display()
        ),
    )
    .unwrap();
    path
}

fn line(i: u32, minute: u32, actor: &str, outcome: &str) -> String {
    format!(
        r#"{{"id":"e{i:04}","time":"2026-11-22T10:{minute:02}:00Z","action":"authentication.login","outcome":"{outcome}","actor":{{"id":"{actor}"}}}}"#
    ) + "\n"
}

/// Five failed logins of alice within 15 minutes, with noise that must not count.
fn write_log(dir: &Path) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut text = String::new();
    text += &line(1, 0, "alice", "success");
    for i in 0..4 {
        text += &line(10 + i, 1 + 3 * i, "alice", "failure");
        text += &line(20 + i, 1 + 3 * i, "bob", "failure");
    }
    text += &line(30, 14, "alice", "failure");
    std::fs::write(logs.join("app.log"), text).unwrap();
}

fn append(dir: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("logs/app.log"))
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn run_once(config: &Path) {
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(config),
    );
}

fn archived_alerts(dir: &Path) -> serde_json::Value {
    python_json(
        dir,
        r#"
import duckdb, json
rows = duckdb.sql("select actor_id, event_id from read_parquet('archive/**/*.parquet') where action = 'system.alert.fire' order by event_id").fetchall()
print(json.dumps([list(r) for r in rows]))
"#,
    )
}

#[test]
fn five_failed_logins_make_one_webhook_call_and_one_archived_alert() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = Receiver::start(listener);
    write_log(dir.path());
    let config = config(dir.path(), port);
    run_once(&config);

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let b = &bodies[0];
    assert_eq!(b["rule"], "failed-logins");
    assert_eq!(b["key"], "alice");
    assert_eq!(b["count"], 5);
    assert_eq!(b["window_secs"], 900);
    assert_eq!(b["event_ids"].as_array().unwrap().len(), 5);
    let archived = archived_alerts(dir.path());
    assert_eq!(archived.as_array().unwrap().len(), 1, "{archived}");
    assert_eq!(archived[0][0], "alice");
    assert_eq!(archived[0][1], b["alert_id"]);

    // A restart mid-burst: a sixth failure is suppressed, bob's fifth (in the window persisted
    // by the first run) fires.
    append(dir.path(), &line(31, 15, "alice", "failure"));
    append(dir.path(), &line(40, 15, "bob", "failure"));
    run_once(&config);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert_eq!(bodies[1]["key"], "bob");
    assert_eq!(archived_alerts(dir.path()).as_array().unwrap().len(), 2);
}

#[test]
fn a_receiver_down_then_up_gets_the_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    write_log(dir.path());
    let config = config(dir.path(), port);
    let mut child = auditlake()
        .args(["agent", "--once", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The receiver comes up once a delivery has failed, not after a guessed wait.
    let stderr = child.stderr.take().unwrap();
    let (failed_tx, failed_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut err = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if line.contains("alert delivery failed") {
                let _ = failed_tx.send(());
            }
            err.push_str(&line);
            err.push('\n');
        }
        err
    });
    let failed = failed_rx.recv_timeout(Duration::from_secs(60));
    let receiver = Receiver::start(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    assert!(
        failed.is_ok(),
        "no delivery failed before the receiver came up: {err}"
    );
    assert!(status.success(), "{err}");
    assert!(err.contains("alert delivery failed"), "{err}");
    assert_eq!(receiver.bodies().len(), 1);
    assert!(!dir.path().join("state/dead-letter/alerts.jsonl").exists());
    assert_eq!(archived_alerts(dir.path()).as_array().unwrap().len(), 1);
}

#[test]
fn the_live_agent_posts_an_alert_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = Receiver::start(listener);
    let listen = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("logs/app.log"), "").unwrap();
    let config = config_with(
        dir.path(),
        port,
        &format!("flush_interval_secs = 1\npoll_interval_ms = 50\nlisten = \"127.0.0.1:{listen}\""),
    );
    let mut agent = auditlake()
        .args(["agent", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    for i in 0..5 {
        append(dir.path(), &line(i, i, "carol", "failure"));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while receiver.bodies().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    run_ok(std::process::Command::new("kill").args(["-TERM", &agent.id().to_string()]));
    assert!(agent.wait().unwrap().success());
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["key"], "carol");
    let archived = archived_alerts(dir.path());
    assert_eq!(archived.as_array().unwrap().len(), 1, "{archived}");
}

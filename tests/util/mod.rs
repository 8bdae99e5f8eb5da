//! Helpers for end-to-end tests: the repository root, a scratch directory, the binary, and the
//! Python interpreter of the test venv (DuckDB, pyarrow) that reads what the binary wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The `auditlake` binary built for these tests.
pub fn auditlake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auditlake"))
}

/// Runs a command and returns its output, panicking with stderr when it fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("command starts");
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The venv's Python, with DuckDB and pyarrow (made by `scripts/venv.sh`).
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("AUDITLAKE_PYTHON") {
        return PathBuf::from(p);
    }
    let p = repo_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh (or scripts/venv.sh) first",
        p.display()
    );
    p
}

/// Runs a Python script in `dir` and parses the JSON it prints on its last stdout line.
pub fn python_json(dir: &Path, script: &str) -> serde_json::Value {
    let out = run_ok(
        Command::new(python())
            .arg("-c")
            .arg(script)
            .current_dir(dir),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("python printed {text:?}: {e}"))
}

/// Writes a quick-start config into `dir` that reads the repository's sample logs and writes
/// `dir/archive` and `dir/state`.
pub fn quickstart_config(dir: &Path) -> PathBuf {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("config/quickstart.toml"))
        .expect("config/quickstart.toml")
        .replace("\"examples/", &format!("\"{}/examples/", root.display()))
        .replace("\"./archive\"", &format!("\"{}/archive\"", dir.display()))
        .replace("\"./state\"", &format!("\"{}/state\"", dir.display()));
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `ok` every 100 ms until it holds, failing the test after `timeout`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut ok: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// GETs `path` from 127.0.0.1:`port`: the status code and the body (`None` when nothing answers).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    conn.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// The agent's `/metrics` text on `port` (empty when it does not answer).
pub fn metrics(port: u16) -> String {
    http_get(port, "/metrics")
        .map(|(_, b)| b)
        .unwrap_or_default()
}

/// The value of the sample that starts with `name` (metric name and labels) in metrics text.
pub fn metric_in(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The value of one sample of the agent's metrics on `port`.
pub fn metric(port: u16, name: &str) -> Option<f64> {
    metric_in(&metrics(port), name)
}

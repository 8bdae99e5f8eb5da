//! Helpers for end-to-end tests: the repository root, a scratch directory, the binary, and the
//! Python interpreter of the test venv (DuckDB, pyarrow) that reads what the binary wrote.
#![allow(dead_code)]

pub mod samples;
pub mod serve;

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

/// Runs a command and parses its stdout as one JSON document, panicking with both streams when
/// it fails or prints something else.
pub fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = run_ok(cmd);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{cmd:?} printed no JSON ({e}):\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// An agent configuration for a test, written as TOML into its directory: state in
/// `dir/state`, the archive in `dir/archive`, one source `app` reading `dir/logs/app.log` with
/// the `auditlake-json` profile and one tier `standard` of 365 days, each replaceable.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    dir: PathBuf,
    agent_keys: String,
    archive_url: String,
    s3_endpoint: Option<String>,
    s3_keys: String,
    sources: Vec<String>,
    tiers: String,
    sections: Vec<String>,
}

impl ConfigBuilder {
    pub fn new(dir: &Path) -> ConfigBuilder {
        let d = dir.display();
        ConfigBuilder {
            dir: dir.to_path_buf(),
            agent_keys: String::new(),
            archive_url: format!("{d}/archive"),
            s3_endpoint: None,
            s3_keys: String::new(),
            sources: vec![format!(
                "[[sources]]\nname = \"app\"\npaths = [\"{d}/logs/app.log\"]\nprofile = \"auditlake-json\"\n"
            )],
            tiers: "[[tiers]]\nname = \"standard\"\nretention_days = 365\n".to_string(),
            sections: Vec::new(),
        }
    }

    /// The archive at `url` (a directory or `s3://bucket/prefix`).
    pub fn archive(mut self, url: impl Into<String>) -> Self {
        self.archive_url = url.into();
        self
    }

    /// An S3 archive at `s3://bucket/prefix` on the test server: `[archive.s3]` names the
    /// endpoint (region `us-east-1`, path-style addressing), so that the binary needs no
    /// `AWS_ENDPOINT_URL`.
    pub fn s3(mut self, endpoint: &str, bucket: &str, prefix: &str) -> Self {
        self.archive_url = format!("s3://{bucket}/{prefix}");
        self.s3_endpoint = Some(endpoint.to_string());
        self
    }

    /// Adds keys (TOML lines) to `[agent]`, e.g. `flush_interval_secs = 1`.
    pub fn agent_keys(mut self, toml: &str) -> Self {
        self.agent_keys.push_str(toml);
        self.agent_keys.push('\n');
        self
    }

    /// Adds keys (TOML lines) to `[archive.s3]`, e.g. `max_attempts = 2`.
    pub fn s3_keys(mut self, toml: &str) -> Self {
        self.s3_keys.push_str(toml);
        self.s3_keys.push('\n');
        self
    }

    /// Replaces the sources with these `[[sources]]` tables (TOML text).
    pub fn sources(mut self, toml: &str) -> Self {
        self.sources = vec![toml.to_string()];
        self
    }

    /// Replaces the tiers with these `[[tiers]]` tables (TOML text).
    pub fn tiers(mut self, toml: &str) -> Self {
        self.tiers = toml.to_string();
        self
    }

    /// Adds a section (TOML text), e.g. `[digest]` or `[retention]`.
    pub fn section(mut self, toml: &str) -> Self {
        self.sections.push(toml.to_string());
        self
    }

    /// The TOML text.
    pub fn text(&self) -> String {
        let mut t = format!(
            "[agent]\nstate_dir = \"{}/state\"\n{}[archive]\nurl = \"{}\"\n",
            self.dir.display(),
            self.agent_keys,
            self.archive_url
        );
        if let Some(ep) = &self.s3_endpoint {
            t.push_str(&format!(
                "[archive.s3]\nendpoint = \"{ep}\"\nregion = \"us-east-1\"\nforce_path_style = true\n{}",
                self.s3_keys
            ));
        }
        for s in self.sections.iter().chain(&self.sources) {
            t.push_str(s);
            t.push('\n');
        }
        t.push_str(&self.tiers);
        t
    }

    /// Writes `dir/config.toml`; returns its path.
    pub fn write(&self) -> PathBuf {
        let path = self.dir.join("config.toml");
        std::fs::write(&path, self.text()).unwrap();
        path
    }
}

/// The S3 test server's url (`AUDITLAKE_TEST_S3_ENDPOINT`, set by `scripts/test.sh` or
/// `eval "$(bash scripts/moto.sh start)"`). A test that needs the server fails without it:
/// passing without running would hide that nothing was checked.
pub fn s3_endpoint() -> String {
    match std::env::var("AUDITLAKE_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AUDITLAKE_TEST_S3_ENDPOINT is not set: this test needs the S3 test server \
             (scripts/test.sh starts it; or eval \"$(bash scripts/moto.sh start)\")"
        ),
    }
}

/// The binary with the test server's static credentials and no AWS endpoint, profile or
/// region from the environment: the store is reached only through what the command is given
/// (`--config`'s `[archive.s3]`, or `--s3-endpoint`).
pub fn auditlake_s3() -> Command {
    let mut cmd = auditlake();
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("AWS_PROFILE");
    cmd
}

/// A bucket name no other test uses.
pub fn bucket_name(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!("auditlake-{tag}-{nanos}-{}", std::process::id())
}

/// Runs `body` in the venv's Python with `s3` a boto3 client of the test server; returns the
/// JSON it prints last.
pub fn boto3(dir: &Path, endpoint: &str, body: &str) -> serde_json::Value {
    python_json(
        dir,
        &format!(
            r#"
import boto3, json, datetime
s3 = boto3.client("s3", endpoint_url="{endpoint}", region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
{body}
"#
        ),
    )
}

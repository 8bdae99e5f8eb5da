//! The live agent: SIGKILL at random moments while the log rotates, SIGTERM with unflushed data.
//! Every line that reached the log file must be in the archive exactly once.

mod util;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use util::*;

fn config(dir: &Path, flush_secs: u64, port: u16) -> std::path::PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[agent]
state_dir = "{d}/state"
flush_interval_secs = {flush_secs}
poll_interval_ms = 50
listen = "127.0.0.1:{port}"
[archive]
url = "{d}/archive"
[[sources]]
name = "app"
paths = ["{d}/logs/app.log*"]
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

fn line(i: u64) -> String {
    format!(
        r#"{{"id":"e{i:07}","time":"2026-11-22T10:{:02}:{:02}Z","action":"authentication.login","outcome":"success","actor":{{"id":"u{}"}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 37
    ) + "\n"
}

/// [`line`] with a message of 48 hex digits that no encoding compresses (a hash of `i`), so that
/// a number of lines fills a number of bytes of spool whatever the archive's encodings do.
fn bulky_line(i: u64) -> String {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let noise = format!("{:016x}{:016x}{:016x}", mix(i), mix(i ^ (1 << 62)), mix(!i));
    line(i).replacen(
        r#""outcome""#,
        &format!(r#""message":"{noise}","outcome""#),
        1,
    )
}

fn start(config: &Path) -> Child {
    auditlake()
        .args(["agent", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent starts")
}

fn archive_counts(dir: &Path) -> serde_json::Value {
    python_json(
        dir,
        r#"
import duckdb, json, glob
if not glob.glob('archive/**/*.parquet', recursive=True):
    print(json.dumps({"rows": 0, "distinct": 0, "min": None, "max": None}))
else:
    r = duckdb.sql("select count(*), count(distinct origin_id), min(origin_id), max(origin_id) from read_parquet('archive/**/*.parquet')").fetchone()
    print(json.dumps({"rows": r[0], "distinct": r[1], "min": r[2], "max": r[3]}))
"#,
    )
}

/// A pseudo-random sequence, so a failure can be replayed from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn sigkill_during_rotation_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let config = config(dir.path(), 1, free_port());
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    const N: u64 = 12_000;
    const KILLS: usize = 24;

    // The writer: N lines at a steady rate, rotating by rename and by copytruncate in turn.
    let writer_logs = logs.clone();
    let writer = std::thread::spawn(move || {
        let app = writer_logs.join("app.log");
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&app)
            .unwrap();
        for i in 0..N {
            out.write_all(line(i).as_bytes()).unwrap();
            if i % 50 == 49 {
                std::thread::sleep(Duration::from_millis(40));
            }
            if i % 1500 == 1499 {
                let k = i / 1500;
                if k % 2 == 0 {
                    std::fs::rename(&app, writer_logs.join(format!("app.log.r{k}"))).unwrap();
                } else {
                    std::fs::copy(&app, writer_logs.join(format!("app.log.c{k}"))).unwrap();
                    out.set_len(0).unwrap();
                }
                out = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&app)
                    .unwrap();
            }
        }
    });

    let mut rng = Rng(seed);
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while kills < KILLS && Instant::now() < deadline {
        let mut agent = start(&config);
        std::thread::sleep(Duration::from_millis(150 + rng.next(450)));
        agent.kill().unwrap(); // SIGKILL
        agent.wait().unwrap();
        kills += 1;
    }
    writer.join().unwrap();
    assert!(kills >= 20, "only {kills} kills");

    // Catch up: one last live run stopped by SIGTERM after the files are read.
    // Until every line is archived (or two minutes pass: then the checks below say what is
    // missing), not for a guessed time.
    let mut agent = start(&config);
    let caught_up = Instant::now() + Duration::from_secs(120);
    while Instant::now() < caught_up && archive_counts(dir.path())["rows"].as_u64() < Some(N) {
        std::thread::sleep(Duration::from_millis(500));
    }
    let pid = agent.id().to_string();
    run_ok(std::process::Command::new("kill").args(["-TERM", &pid]));
    let status = agent.wait().unwrap();
    assert!(status.success(), "agent exited with {status}");
    // And a --once pass, which must find nothing left to read.
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts = archive_counts(dir.path());
    assert_eq!(counts["rows"], N, "seed {seed}: {counts} after {summary}");
    assert_eq!(counts["distinct"], N, "seed {seed}: {counts}");
    assert_eq!(counts["min"], "e0000000");
    assert_eq!(counts["max"], format!("e{:07}", N - 1));
    assert_eq!(summary["total"]["events"], 0, "{summary}");
}

#[test]
fn sigterm_flushes_unflushed_lines_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let port = free_port();
    // A flush interval far beyond the test: only the shutdown can flush.
    let config = config(dir.path(), 3600, port);
    let mut agent = start(&config);
    std::thread::sleep(Duration::from_millis(300));
    let mut f = std::fs::File::create(dir.path().join("logs/app.log")).unwrap();
    for i in 0..500 {
        f.write_all(line(i).as_bytes()).unwrap();
    }
    drop(f);
    // Wait until the agent has read the lines (its metrics say so), then stop it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = metrics(port);
        if body.contains("auditlake_agent_lines_read_total{source=\"app\"} 500") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "agent did not read the lines: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        archive_counts(dir.path())["rows"],
        0,
        "nothing flushed before SIGTERM"
    );
    let started = Instant::now();
    run_ok(std::process::Command::new("kill").args(["-TERM", &agent.id().to_string()]));
    let status = agent.wait().unwrap();
    assert!(status.success(), "agent exited with {status}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "exit within the grace"
    );
    assert_eq!(archive_counts(dir.path())["rows"], 500);
}

#[test]
fn full_spool_pauses_reading_and_everything_arrives_once_the_store_is_back() {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let port = free_port();
    let config = config(dir.path(), 1, port);
    // The smallest spool the configuration allows.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[archive]", "spool_max_bytes = 1048576\n[archive]");
    std::fs::write(&config, text).unwrap();
    // The store is unwritable: a file stands where the tier's directory must go.
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    let blocker = dir.path().join("archive/tier=all");
    std::fs::write(&blocker, b"").unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(logs.join("app.log")).unwrap());
    for i in 0..N {
        f.write_all(bulky_line(i).as_bytes()).unwrap();
    }
    f.flush().unwrap();
    drop(f);

    let mut agent = start(&config);
    let mut body = String::new();
    wait_for("backpressure", Duration::from_secs(60), || {
        body = metrics(port);
        metric_in(&body, "auditlake_agent_backpressure{source=\"app\"}") == Some(1.0)
    });
    let ready = http_get(port, "/readyz").map(|(status, _)| status);
    assert_eq!(ready, Some(503), "not ready while the spool is full");
    // Reading has paused short of the end: the log file is the buffer.
    std::thread::sleep(Duration::from_secs(2));
    let read = metric_in(
        &metrics(port),
        "auditlake_agent_lines_read_total{source=\"app\"}",
    )
    .unwrap();
    assert!(
        read < N as f64,
        "read {read} of {N} lines with a full spool"
    );
    assert_eq!(archive_counts(dir.path())["rows"], 0);

    // The store comes back: uploads resume by themselves, reading goes on.
    std::fs::remove_file(&blocker).unwrap();
    wait_for(
        "every line read and uploaded",
        Duration::from_secs(120),
        || {
            let m = metrics(port);
            metric_in(&m, "auditlake_agent_lines_read_total{source=\"app\"}") == Some(N as f64)
                && metric_in(&m, "auditlake_agent_spool_bytes{source=\"app\"}") == Some(0.0)
        },
    );
    run_ok(std::process::Command::new("kill").args(["-TERM", &agent.id().to_string()]));
    assert!(agent.wait().unwrap().success());
    let counts = archive_counts(dir.path());
    assert_eq!(counts["rows"], N, "{counts}");
    assert_eq!(counts["distinct"], N, "{counts}");
}

//! The live agent against a real S3-protocol server (moto) that goes away for a while: the spool
//! holds the data, the agent says it is not ready, and everything arrives once S3 answers again.

mod util;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use util::*;

fn moto_server() -> Option<std::path::PathBuf> {
    let p = python().parent()?.join("moto_server");
    p.exists().then_some(p)
}

fn start_moto(bin: &Path, port: u16) -> Child {
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    wait_for("moto", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    child
}

fn s3_python(dir: &Path, port: u16, body: &str) -> serde_json::Value {
    python_json(
        dir,
        &format!(
            r#"
import boto3, json, os, duckdb
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
{body}
"#
        ),
    )
}

#[test]
fn s3_outage_spools_then_uploads_everything_exactly_once() {
    let Some(moto) = moto_server() else {
        panic!("moto_server is missing from the venv: run scripts/test.sh");
    };
    const N: u64 = 3000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let s3_port = free_port();
    let http_port = free_port();
    let mut server = start_moto(&moto, s3_port);
    let create = "s3.create_bucket(Bucket='audit')\nprint(json.dumps(True))";
    s3_python(dir.path(), s3_port, create);
    let config = ConfigBuilder::new(dir.path())
        .agent_keys(&format!(
            "flush_interval_secs = 1\npoll_interval_ms = 50\nlisten = \"127.0.0.1:{http_port}\""
        ))
        .s3(&format!("http://127.0.0.1:{s3_port}"), "audit", "prod")
        .s3_keys(
            "max_attempts = 2\ninitial_backoff_ms = 50\nmax_backoff_ms = 200\nrequest_timeout_secs = 5",
        )
        .tiers("[[tiers]]\nname = \"all\"\nretention_days = 30\n")
        .write();

    // S3 goes away before the lines are written.
    server.kill().unwrap();
    server.wait().unwrap();
    let mut agent = auditlake()
        .args(["agent", "--config"])
        .arg(&config)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut f = std::fs::File::create(dir.path().join("logs/app.log")).unwrap();
    for i in 0..N {
        writeln!(
            f,
            r#"{{"id":"e{i:06}","time":"2026-11-22T10:00:00Z","action":"authentication.login","actor":{{"id":"u{}"}}}}"#,
            i % 13
        )
        .unwrap();
    }
    drop(f);
    wait_for(
        "lines spooled while S3 is down",
        Duration::from_secs(60),
        || {
            metric(
                http_port,
                "auditlake_agent_lines_read_total{source=\"app\"}",
            ) == Some(N as f64)
                && metric(http_port, "auditlake_agent_spool_bytes{source=\"app\"}").unwrap_or(0.0)
                    > 0.0
                && metric(
                    http_port,
                    "auditlake_agent_errors_total{source=\"app\",kind=\"upload\"}",
                )
                .unwrap_or(0.0)
                    > 0.0
        },
    );
    let ready = http_get(http_port, "/readyz").map(|(status, _)| status);
    assert_eq!(ready, Some(503));

    // S3 answers again (a new server: the bucket is made anew); uploads resume by themselves.
    let mut server = start_moto(&moto, s3_port);
    s3_python(dir.path(), s3_port, create);
    wait_for("spool drained", Duration::from_secs(120), || {
        metric(http_port, "auditlake_agent_spool_bytes{source=\"app\"}") == Some(0.0)
    });
    run_ok(Command::new("kill").args(["-TERM", &agent.id().to_string()]));
    assert!(agent.wait().unwrap().success());
    let got = s3_python(
        dir.path(),
        s3_port,
        r#"
os.makedirs("dl", exist_ok=True)
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit", Prefix="prod/")["Contents"] if o["Key"].endswith(".parquet")]
for i, k in enumerate(keys):
    s3.download_file("audit", k, f"dl/{i}.parquet")
r = duckdb.sql("select count(*), count(distinct event_id) from read_parquet('dl/*.parquet')").fetchone()
print(json.dumps({"objects": len(keys), "rows": r[0], "distinct": r[1], "prefix_ok": all(k.startswith("prod/tier=all/event_date=2026-11-22/") for k in keys)}))
"#,
    );
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(got["rows"], N, "{got}");
    assert_eq!(got["distinct"], N, "{got}");
    assert_eq!(got["prefix_ok"], true, "{got}");
}

//! The `auditd` profile end to end: `examples/logs/audit.log` (written from the audit daemon's
//! documented record formats, RAW and ENRICHED) archived by `agent --once`, then read back with
//! `query`. The records of one event (one serial) are one audit event whose `raw` is all of its
//! lines; for every event of the sample, and every ignored or dead-lettered record, a table says
//! what it must become: actor, source address, action, outcome, time and tier.

mod util;

use chrono::{DateTime, SecondsFormat};
use util::*;

use samples::Want::{Dead, Ignored};
use samples::*;

fn s(v: &'static str) -> Option<&'static str> {
    Some(v)
}

/// The time of an event's first record, `msg=audit(SECONDS.MILLIS:SERIAL)`, as `query` prints it.
fn audit_time(text: &str) -> String {
    let at = text.find("msg=audit(").expect("a record") + "msg=audit(".len();
    let stamp = &text[at..at + text[at..].find(':').unwrap()];
    let (secs, millis) = stamp.split_once('.').unwrap();
    let ms = secs.parse::<i64>().unwrap() * 1000 + millis.parse::<i64>().unwrap();
    DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

const ALICE_IP: Option<&str> = Some("203.0.113.5");
const GUESSER: Option<&str> = Some("198.51.100.23");

#[test]
fn auditd_profile_maps_every_sample_event() {
    #[rustfmt::skip]
    let table = [
        // 1-3: the daemon starts, sshd starts, a rule is loaded at boot
        ev(A, A, "system.audit.start", "success"),
        ev(A, A, "system.service.start", "success"),
        ev(A, A, "system.security.change", "success"),
        // 4-10: alice logs in over ssh (LOGIN and CRYPTO_KEY_USER are ignored)
        ev(s("alice"), ALICE_IP, "authentication.primary.password", "success"),
        ev(s("alice"), ALICE_IP, "authentication.policy.evaluate", "success"),
        ev(s("alice"), ALICE_IP, "credential.acquire", "success"),
        Ignored,
        ev(s("alice"), ALICE_IP, "session.create", "success"),
        ev(s("alice"), ALICE_IP, "authentication.login", "success"),
        Ignored,
        // 11-16: sudo systemctl restart nginx (the command hex-decoded)
        ev(s("alice"), A, "authentication.policy.evaluate", "success"),
        ev(s("alice"), A, "session.exec", "success"),
        ev(s("root"), A, "credential.refresh", "success"),
        ev(s("root"), A, "session.create", "success"),
        ev(s("root"), A, "session.terminate", "success"),
        ev(s("root"), A, "credential.dispose", "success"),
        // 17-23: an audited execve: SYSCALL, EXECVE, CWD, PATH, PATH, PROCTITLE, EOE
        ev(s("alice"), A, "session.exec", "success"),
        // 24-27: passwd bob; useradd carol (RAW: the actor is the login uid)
        ev(s("alice"), A, "account.password.change", "success"),
        ev(s("1000"), A, "account.group.create", "success"),
        ev(s("1000"), A, "account.user.create", "success"),
        ev(s("1000"), A, "account.user.update", "success"),
        // 28-33: a watched file written
        ev(s("alice"), A, "resource.update", "success"),
        // 34-42: password guessing, an unknown user, pam_faillock, a name holding an escape
        ev(s("root"), GUESSER, "authentication.primary.password", "failure"),
        ev(s("root"), GUESSER, "authentication.primary.password", "failure"),
        ev(s("root"), GUESSER, "authentication.login", "failure"),
        ev(A, GUESSER, "authentication.login", "failure"),
        ev(A, GUESSER, "authentication.login", "failure"),
        ev(s("dave"), GUESSER, "account.lock", "success"),
        Ignored,
        ev(s("\x1b[31mroot\x1b[0m"), GUESSER, "authentication.primary.password", "failure"),
        ev(s("root"), s("192.0.2.77"), "authentication.policy.evaluate", "failure"),
        // 43-46: alice logs out; sudo refuses a formula
        ev(s("alice"), ALICE_IP, "session.sign_out", "success"),
        ev(s("alice"), ALICE_IP, "session.terminate", "success"),
        ev(s("alice"), ALICE_IP, "credential.dispose", "success"),
        ev(s("alice"), A, "session.exec", "failure"),
        // 47-53: an execve whose argument is a script tag; 54-58: bob may not read /etc/shadow
        ev(s("1000"), A, "session.exec", "success"),
        ev(s("1001"), A, "resource.read", "failure"),
        // 59-66: account administration
        ev(s("1000"), A, "account.lock", "success"),
        ev(s("1000"), A, "account.unlock", "success"),
        ev(s("1000"), A, "account.role.change", "success"),
        ev(s("1000"), A, "account.role.grant", "success"),
        ev(s("1000"), A, "account.role.revoke", "success"),
        ev(s("1000"), A, "account.user.delete", "success"),
        ev(s("1000"), A, "account.group.delete", "success"),
        ev(s("1000"), A, "account.group.update", "success"),
        // 67-72: a watched file deleted; 73-76: a rule removed (CONFIG_CHANGE with its SYSCALL)
        ev(s("alice"), A, "resource.delete", "success"),
        ev(s("1000"), A, "system.security.change", "success"),
        // 77-80: record types the profile does not know; shutdown
        Dead,
        Dead,
        ev(A, A, "system.service.stop", "success"),
        ev(s("0"), A, "system.audit.stop", "success"),
    ];
    check_joined_sample("auditd", "audit.log", &table, audit_time);
}

/// What a joined event holds: every record's fields under its type, decoded values kept exactly
/// in the columns, and each of its lines in `raw`, in order.
#[test]
fn auditd_events_keep_their_records_and_decoded_values() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let sample = std::fs::read_to_string(repo_root().join("examples/logs/audit.log")).unwrap();
    std::fs::write(&log, &sample).unwrap();
    let config = profile_config(dir.path(), "auditd", &log, "", ONE_TIER);
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let events = archived_in_order(dir.path());
    assert_eq!(events.len(), 46);
    let lines: Vec<&str> = sample.lines().collect();

    // The passwd exec: lines 17-23, one event.
    let exec = events
        .iter()
        .find(|e| e["resource_name"] == "/usr/bin/passwd")
        .unwrap();
    assert_eq!(exec["raw"], lines[16..23].join("\n"));
    assert_eq!(exec["message"], "passwd bob");
    assert_eq!(exec["session_id"], "5");
    let attrs: serde_json::Value = match &exec["attributes"] {
        serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    assert_eq!(attrs["key"], "exec_priv");
    assert_eq!(attrs["cwd"]["cwd"], "/root");
    assert_eq!(attrs["path"][0]["name"], "/usr/bin/passwd");
    assert_eq!(attrs["execve"]["a1"], "bob");

    // Hostile values decoded exactly, in the columns as in the archive.
    let formula = events
        .iter()
        .find(|e| e["outcome"] == "failure" && e["action"] == "session.exec")
        .unwrap();
    assert_eq!(formula["message"], "\x1b[31m=cmd|' /C calc'!A0");
    let script = events
        .iter()
        .find(|e| e["resource_name"] == "/usr/bin/curl")
        .unwrap();
    assert_eq!(script["message"], "curl -d <script>alert(1)</script>");
    assert_eq!(script["raw"], lines[46..53].join("\n"));

    // Every line of the sample is in exactly one event's raw or in the dead-letter file, or was
    // ignored (3 records); and `verify` accepts the archive.
    let mut covered = 0;
    for e in &events {
        covered += e["raw"].as_str().unwrap().split('\n').count();
    }
    assert_eq!(covered + 3 + 2, lines.len());
    run_ok(auditlake().args(["verify", "--config"]).arg(&config));
}

/// A crash while an event's records are half read: the checkpoint stays at the event's first
/// line, so the next run reads the event again, whole, and archives it once.
#[test]
fn a_crash_mid_event_neither_loses_nor_duplicates_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let rec = |kind: &str, serial: u32, body: &str| {
        format!("type={kind} msg=audit(1795161600.{serial:03}:{serial}): {body}\n")
    };
    let login = rec(
        "USER_LOGIN",
        1,
        "pid=1 uid=0 auid=1000 ses=5 msg='op=login acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.5 terminal=ssh res=success'",
    );
    let head = [
        rec(
            "SYSCALL",
            2,
            "arch=c000003e syscall=59 success=yes exit=0 items=1 auid=1000 uid=0 ses=5 comm=\"id\" exe=\"/usr/bin/id\" key=\"exec\"",
        ),
        rec("EXECVE", 2, "argc=1 a0=\"id\""),
    ]
    .concat();
    let tail = [
        rec("CWD", 2, "cwd=\"/root\""),
        rec("PATH", 2, "item=0 name=\"/usr/bin/id\" nametype=NORMAL"),
        rec("PROCTITLE", 2, "proctitle=6964"),
        "type=EOE msg=audit(1795161600.002:2):\n".to_owned(),
    ]
    .concat();
    let logout = rec(
        "USER_LOGOUT",
        3,
        "pid=1 uid=0 auid=1000 ses=5 msg='op=login acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.5 terminal=ssh res=success'",
    );
    std::fs::write(&log, format!("{login}{head}")).unwrap();
    let port = free_port();
    let config = profile_config(
        dir.path(),
        "auditd",
        &log,
        &format!("flush_interval_secs = 3\npoll_interval_ms = 50\nlisten = \"127.0.0.1:{port}\""),
        ONE_TIER,
    );
    let mut agent = auditlake()
        .args(["agent", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("agent starts");
    // The first flush commits the login and holds the file at the SYSCALL record (an idle event
    // is released only by the flush after).
    let checkpoint = dir.path().join("state/checkpoints/s.json");
    let offset = || -> Option<u64> {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&checkpoint).ok()?).ok()?;
        v["files"][0]["offset"].as_u64()
    };
    wait_for(
        "the checkpoint held at the event",
        std::time::Duration::from_secs(20),
        || offset().is_some(),
    );
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(
        offset(),
        Some(login.len() as u64),
        "held at the event's first line"
    );

    // The rest of the event arrives; the next run reads it whole.
    std::fs::write(&log, format!("{login}{head}{tail}{logout}")).unwrap();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let events = archived_in_order(dir.path());
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["raw"].as_str().unwrap()))
        .collect();
    let joined = format!("{head}{tail}");
    assert_eq!(
        got,
        [
            ("authentication.login", login.trim_end()),
            ("session.exec", joined.trim_end()),
            ("session.sign_out", logout.trim_end()),
        ]
    );
}

/// Every event of the archive in `dir`, oldest first, as `query --format jsonl` prints them.
fn archived_in_order(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = run_ok(
        auditlake()
            .args(["query", "--format", "jsonl", "--order", "asc", "--archive"])
            .arg(dir.join("archive")),
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

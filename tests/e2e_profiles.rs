//! Built-in profiles end to end: each sample of `examples/logs/` archived by `agent --once`, then
//! read back with `query`; for every line of the sample a table says what it must become.

mod util;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use util::*;

/// What one sample line must become.
enum Want {
    /// Events (one, or `n` for a repeated syslog message) with this actor, source IP, action and
    /// outcome.
    Event {
        actor: Option<&'static str>,
        ip: Option<&'static str>,
        action: &'static str,
        outcome: &'static str,
        n: usize,
    },
    /// Skipped as noise, counted as ignored.
    Ignored,
    /// Written to the dead-letter file.
    Dead,
}

use Want::{Dead, Ignored};

const fn ev(
    actor: Option<&'static str>,
    ip: Option<&'static str>,
    action: &'static str,
    outcome: &'static str,
) -> Want {
    Want::Event {
        actor,
        ip,
        action,
        outcome,
        n: 1,
    }
}

/// Archives `sample` through `profile` and checks every line against `table` (one entry a line,
/// in order). `time_of` gives the event time a line must have, as `query` prints it.
fn check_sample(profile: &str, sample: &str, table: &[Want], time_of: impl Fn(&str) -> String) {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let path = root.join("examples/logs").join(sample);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[agent]
state_dir = "{d}/state"
[archive]
url = "{d}/archive"
[[sources]]
name = "s"
paths = ["{p}"]
profile = "{profile}"
[sources.time_window]
max_behind_days = 36500
# Tiers whose match takes nothing: every event goes to its action's default tier.
[[tiers]]
name = "security"
retention_days = 2555
match = {{ actions = ["none.none"] }}
[[tiers]]
name = "operational"
retention_days = 90
match = {{ actions = ["none.none"] }}
[[tiers]]
name = "standard"
retention_days = 365
"#,
            d = dir.path().display(),
            p = path.display(),
        ),
    )
    .unwrap();
    let out = run_ok(
        auditlake()
            .args(["agent", "--once", "--json", "--config"])
            .arg(&config),
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), table.len(), "{sample}: one table entry a line");

    let events = query_all(dir.path());
    let mut by_line: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for e in &events {
        let raw = e["raw"].as_str().expect("raw is kept");
        let line = lines
            .iter()
            .find(|l| **l == raw)
            .unwrap_or_else(|| panic!("{sample}: an event of no sample line: {e}"));
        by_line.entry(line).or_default().push(e);
    }
    let dead =
        std::fs::read_to_string(dir.path().join("state/dead-letter/s.jsonl")).unwrap_or_default();
    let dead: Vec<String> = dead
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["line"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let tiers = catalog_tiers();
    let (mut want_events, mut want_ignored, mut want_dead) = (0, 0, 0);
    for (i, (line, want)) in lines.iter().zip(table).enumerate() {
        let at = format!("{sample}:{}: {line}", i + 1);
        let got = by_line.get(line).map_or(&[][..], Vec::as_slice);
        match want {
            Want::Event {
                actor,
                ip,
                action,
                outcome,
                n,
            } => {
                want_events += n;
                assert_eq!(got.len(), *n, "{at}: events");
                for e in got {
                    let got = (
                        e["actor_id"].as_str(),
                        e["src_ip"].as_str(),
                        e["action"].as_str().unwrap(),
                        e["outcome"].as_str().unwrap(),
                    );
                    assert_eq!(got, (*actor, *ip, *action, *outcome), "{at}");
                    assert_eq!(e["time"].as_str().unwrap(), time_of(line), "{at}: time");
                    let tier = tiers
                        .get(*action)
                        .unwrap_or_else(|| panic!("{at}: {action} is not in the catalog"));
                    assert_eq!(e["tier"].as_str().unwrap(), tier, "{at}: tier");
                }
            }
            Ignored => {
                want_ignored += 1;
                assert!(got.is_empty() && !dead.contains(&line.to_string()), "{at}");
            }
            Dead => {
                want_dead += 1;
                assert!(got.is_empty(), "{at}");
                assert!(dead.contains(&line.to_string()), "{at}: dead-lettered");
            }
        }
    }
    let total = &summary["total"];
    assert_eq!(total["events"], want_events, "{sample}: {summary}");
    assert_eq!(total["ignored"], want_ignored, "{sample}: {summary}");
    assert_eq!(total["dead_letters"], want_dead, "{sample}: {summary}");
}

/// The catalog's default tier of each action, as `auditlake actions` lists it.
fn catalog_tiers() -> BTreeMap<String, String> {
    let out = run_ok(auditlake().arg("actions"));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_owned(), cols[2].to_owned())
        })
        .collect()
}

/// Every event of the archive in `dir`, each with the tier it is stored in as `tier`.
fn query_all(dir: &Path) -> Vec<Value> {
    let mut events = Vec::new();
    for tier in ["security", "operational", "standard"] {
        let out = run_ok(
            auditlake()
                .args(["query", "--format", "jsonl", "--tier", tier, "--archive"])
                .arg(dir.join("archive")),
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let mut e: Value = serde_json::from_str(line).unwrap();
            e["tier"] = Value::from(tier);
            events.push(e);
        }
    }
    events
}

/// `Nov 20 08:02:11 ...` -> `2026-11-20T08:02:11Z` (the samples' year, UTC).
fn syslog_time(line: &str) -> String {
    let month = match &line[..3] {
        "Nov" => 11,
        "Dec" => 12,
        m => panic!("month {m}"),
    };
    let day: u32 = line[4..6].trim().parse().unwrap();
    format!("2026-{month:02}-{day:02}T{}Z", &line[7..15])
}

const A: Option<&str> = None;

#[test]
fn sshd_profile_maps_or_ignores_every_openssh_line() {
    let s = Some;
    let (alice, bob, carol, root) = (s("alice"), s("bob"), s("carol"), s("root"));
    let login = "authentication.login";
    let pw = "authentication.primary.password";
    let login_id = "authentication.login_id";
    let disc = "session.disconnect";
    let table = [
        Ignored,                                       // Server listening
        Ignored,                                       // Server listening ::
        ev(alice, s("203.0.113.5"), login, "success"), // Accepted publickey
        ev(alice, A, "session.create", "success"),     // session opened
        Ignored,                                       // systemd-logind
        ev(bob, s("192.0.2.10"), login, "success"),    // Accepted password
        ev(bob, A, "session.create", "success"),       // session opened (no uid)
        ev(
            carol,
            s("198.51.100.20"),
            "authentication.primary.publickey",
            "success",
        ), // Partial
        Ignored,                                       // Postponed
        ev(carol, s("198.51.100.20"), login, "success"), // keyboard-interactive
        ev(s("deploy"), s("10.0.4.12"), login, "success"), // certificate
        ev(bob, s("192.0.2.10"), "session.expire", "success"), // Timeout
        Ignored,                                       // session closed
        Ignored,                                       // Received disconnect
        ev(alice, s("203.0.113.5"), disc, "unknown"),  // Disconnected from user
        Ignored,                                       // no identification
        Ignored,                                       // reverse mapping
        Ignored,                                       // maps to
        ev(s("test"), s("198.51.100.66"), login_id, "failure"), // Invalid user
        Ignored,                                       // input_userauth_request
        Ignored,                                       // check pass
        ev(A, s("198.51.100.66"), pw, "failure"),      // pam failure, no user
        ev(s("test"), s("198.51.100.66"), login_id, "failure"), // Failed password invalid
        Ignored,                                       // Bye Bye
        ev(s("test"), s("198.51.100.66"), disc, "unknown"), // Disconnected invalid
        Ignored,                                       // Connection closed by IP
        Ignored,                                       // kex closed
        Ignored,                                       // kex invalid identifier
        Ignored,                                       // banner exchange
        Ignored,                                       // Unable to negotiate kex
        Ignored,                                       // Unable to negotiate key
        ev(root, s("203.0.113.200"), pw, "failure"),   // pam failure root
        ev(root, s("203.0.113.200"), pw, "failure"),   // Failed password root
        Want::Event {
            actor: root,
            ip: s("203.0.113.200"),
            action: pw,
            outcome: "failure",
            n: 4,
        }, // message repeated 4 times
        ev(root, s("203.0.113.200"), "session.terminate", "failure"), // maximum attempts
        Ignored,                                       // Disconnecting: too many
        Ignored,                                       // PAM 5 more
        Ignored,                                       // ignoring max retries
        ev(s("ubnt"), s("203.0.113.201"), login_id, "failure"), // Invalid user
        ev(s("ubnt"), s("203.0.113.201"), login_id, "failure"), // Failed none invalid
        ev(A, s("203.0.113.201"), disc, "failure"),    // error: Received disc. 14
        ev(s("ubnt"), s("203.0.113.201"), disc, "unknown"), // Disconnected invalid
        ev(
            s("admin"),
            s("203.0.113.202"),
            "session.terminate",
            "failure",
        ), // max, invalid user
        Ignored,                                       // Disconnecting invalid
        ev(root, s("203.0.113.200"), disc, "unknown"), // Connection closed auth.
        Ignored,                                       // Connection reset
        Ignored,                                       // Timeout before auth
        ev(s("mallory"), s("198.51.100.70"), login, "failure"), // not in AllowUsers
        Ignored,                                       // input_userauth_request
        ev(s("mallory"), s("198.51.100.70"), login_id, "failure"), // Failed password invalid
        ev(root, s("198.51.100.70"), login, "failure"), // DenyUsers
        ev(A, s("198.51.100.71"), disc, "failure"),    // error: Received disc. 3
        Ignored,                                       // Bad protocol version
        ev(carol, s("198.51.100.20"), pw, "failure"),  // error: PAM
        ev(carol, s("198.51.100.20"), login, "failure"), // Failed kbd-interactive
        ev(s("erin"), s("192.0.2.77"), login, "success"), // sshd-session Accepted
        ev(s("erin"), A, "session.create", "success"), // sshd-session opened
        ev(s("guest"), s("198.51.100.80"), disc, "unknown"), // sshd-session closed
        Ignored,                                       // MaxStartups begin
        Ignored,                                       // drop connection
        Ignored,                                       // MaxStartups exited
        ev(s("erin"), s("192.0.2.77"), disc, "unknown"), // Disconnected from user
        ev(A, A, "session.expire", "success"),         // Timeout, old form
        ev(root, s("198.51.100.90"), login, "failure"), // ROOT LOGIN REFUSED
        Ignored,                                       // SIGHUP
        Ignored,                                       // signal 15
        Dead,                                          // not OpenSSH's
    ];
    check_sample("sshd", "openssh.log", &table, syslog_time);
}

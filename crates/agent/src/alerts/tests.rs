use super::*;
use auditlake_event::{AuditEvent, Outcome};

const MIN: i64 = 60_000_000;

fn cfg(rules: &str) -> AlertsConfig {
    let c: AlertsConfig = toml::from_str(rules).unwrap();
    c.validate().unwrap();
    c
}

fn failures() -> AlertsConfig {
    cfg(r#"
[[rules]]
name = "failed-logins"
kind = "threshold"
filter = { actions = ["authentication.*"], outcome = "failure" }
threshold = 5
window_secs = 900
"#)
}

fn ev(id: &str, time: i64, action: &str, outcome: Outcome, actor: &str) -> AuditEvent {
    AuditEvent {
        event_id: id.into(),
        time,
        category: action.split('.').next().unwrap().into(),
        action: action.into(),
        outcome,
        actor_id: Some(actor.into()),
        ..AuditEvent::default()
    }
}

fn fail(id: u32, minute: i64) -> AuditEvent {
    ev(
        &format!("e{id}"),
        minute * MIN,
        "authentication.login",
        Outcome::Failure,
        "alice",
    )
}

#[test]
fn threshold_fires_at_n_not_n_minus_one() {
    let mut e = AlertEngine::new(&failures());
    for i in 0..4 {
        assert!(e.observe(&fail(i, i as i64)).is_empty(), "event {i}");
    }
    let a = e.observe(&fail(4, 4));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 5);
    assert_eq!(a[0].key, "alice");
    assert_eq!(a[0].event_ids, ["e0", "e1", "e2", "e3", "e4"]);
    // Successes and other actors do not count.
    let mut e = AlertEngine::new(&failures());
    for i in 0..4 {
        e.observe(&fail(i, i as i64));
    }
    let ok = ev(
        "s",
        5 * MIN,
        "authentication.login",
        Outcome::Success,
        "alice",
    );
    assert!(e.observe(&ok).is_empty());
    let bob = ev(
        "b",
        5 * MIN,
        "authentication.login",
        Outcome::Failure,
        "bob",
    );
    assert!(e.observe(&bob).is_empty());
}

#[test]
fn threshold_window_edges() {
    // Five events spanning exactly the window do not fire; one microsecond less does.
    let mut e = AlertEngine::new(&failures());
    for i in 0..4 {
        e.observe(&fail(i, i as i64));
    }
    assert!(e.observe(&fail(4, 15)).is_empty());
    let mut e = AlertEngine::new(&failures());
    for i in 0..4 {
        e.observe(&fail(i, i as i64));
    }
    let mut last = fail(4, 15);
    last.time -= 1;
    assert_eq!(e.observe(&last).len(), 1);
}

#[test]
fn threshold_out_of_order_counts_in_its_own_window() {
    let mut e = AlertEngine::new(&failures());
    // Newer events first (minutes 110..112), then a burst at minutes 90..93 arriving late:
    // no five of them lie within 15 minutes.
    for i in 0..3 {
        assert!(e.observe(&fail(100 + i, 110 + i as i64)).is_empty());
    }
    for i in 0..4 {
        assert!(e.observe(&fail(i, 90 + i as i64)).is_empty(), "{i}");
    }
    // The late one at 89 completes 89..93: counted in its own window.
    let a = e.observe(&fail(9, 89));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].first_time, 89 * MIN);
    assert_eq!(a[0].last_time, 93 * MIN);
    // Far too old to judge: ignored.
    assert!(e.observe(&fail(50, 10)).is_empty());
    // A re-read of a counted event changes nothing.
    let mut e2 = AlertEngine::new(&failures());
    for _ in 0..10 {
        assert!(e2.observe(&fail(1, 1)).is_empty());
    }
}

#[test]
fn suppression_makes_one_alert_per_burst() {
    let mut e = AlertEngine::new(&failures());
    let fired: usize = (0..12).map(|i| e.observe(&fail(i, i as i64)).len()).sum();
    assert_eq!(fired, 1);
    // After the suppression window, a new burst fires again.
    let fired: usize = (0..5)
        .map(|i| e.observe(&fail(100 + i, 40 + i as i64)).len())
        .sum();
    assert_eq!(fired, 1);
}

#[test]
fn persisted_state_survives_a_restart_mid_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.json");
    let c = failures();
    let mut e = AlertEngine::open(&c, &path).unwrap();
    for i in 0..3 {
        e.observe(&fail(i, i as i64));
    }
    e.persist().unwrap();
    drop(e);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\":\"1\""), "{text}");
    let mut e = AlertEngine::open(&c, &path).unwrap();
    assert!(e.observe(&fail(3, 3)).is_empty());
    assert_eq!(e.observe(&fail(4, 4)).len(), 1);
    e.persist().unwrap();
    drop(e);
    // After another restart, the rest of the burst is suppressed and re-reads do nothing.
    let mut e = AlertEngine::open(&c, &path).unwrap();
    assert!(e.observe(&fail(4, 4)).is_empty());
    assert!(e.observe(&fail(5, 5)).is_empty());
}

#[test]
fn damaged_state_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.json");
    std::fs::write(&path, b"{not json").unwrap();
    let e = AlertEngine::open(&failures(), &path).unwrap();
    assert_eq!(e.keys("failed-logins"), 0);
    assert!(!path.exists());
}

#[test]
fn keys_are_bounded() {
    let mut c = failures();
    c.max_keys = 10;
    let mut e = AlertEngine::new(&c);
    for i in 0..100 {
        let x = ev(
            &format!("e{i}"),
            i * 1000,
            "authentication.login",
            Outcome::Failure,
            &format!("u{i}"),
        );
        e.observe(&x);
        assert!(e.keys("failed-logins") <= 10);
    }
}

#[test]
fn new_value_fires_for_a_new_ip_of_a_known_actor() {
    let c = cfg(r#"
[[rules]]
name = "new-ip"
kind = "new_value"
field = "src_ip"
filter = { actions = ["authentication.login"], outcome = "success" }
lookback_secs = 3600
"#);
    let mut e = AlertEngine::new(&c);
    let login = |id: &str, min: i64, ip: &str| {
        let mut x = ev(
            id,
            min * MIN,
            "authentication.login",
            Outcome::Success,
            "alice",
        );
        x.src_ip = Some(ip.into());
        x
    };
    assert!(e.observe(&login("a", 0, "10.0.0.1")).is_empty(), "baseline");
    assert!(e.observe(&login("b", 5, "10.0.0.1")).is_empty(), "known");
    let a = e.observe(&login("c", 10, "10.0.0.2"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].value.as_deref(), Some("10.0.0.2"));
    assert!(e.observe(&login("c", 10, "10.0.0.2")).is_empty(), "re-read");
    assert!(
        e.observe(&login("d", 20, "10.0.0.2")).is_empty(),
        "now known"
    );
    // Past the lookback the first address is new again.
    assert!(e.observe(&login("e", 100, "10.0.0.2")).is_empty());
    assert_eq!(e.observe(&login("f", 120, "10.0.0.1")).len(), 1);
}

#[test]
fn concurrent_sessions_fire_above_max() {
    let c = cfg(r#"
[[rules]]
name = "sessions"
kind = "concurrent_sessions"
max_sessions = 3
"#);
    let mut e = AlertEngine::new(&c);
    let s = |id: &str, min: i64, action: &str, sid: &str| {
        let mut x = ev(id, min * MIN, action, Outcome::Success, "alice");
        x.session_id = Some(sid.into());
        x
    };
    for i in 0..3 {
        assert!(
            e.observe(&s(&format!("o{i}"), i, "session.create", &format!("s{i}")))
                .is_empty()
        );
    }
    // One ends, so a fourth start makes three open: no alert.
    assert!(e.observe(&s("t0", 4, "session.terminate", "s0")).is_empty());
    assert!(e.observe(&s("o3", 5, "session.create", "s3")).is_empty());
    // The fifth makes four.
    let a = e.observe(&s("o4", 6, "session.create", "s4"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 4);
    // An end read before its start is remembered: s0 ended at 5, so at 6 three are open.
    let mut e = AlertEngine::new(&c);
    assert!(e.observe(&s("t0", 5, "session.terminate", "s0")).is_empty());
    for i in 0..3 {
        e.observe(&s(&format!("o{i}"), i, "session.create", &format!("s{i}")));
    }
    assert!(e.observe(&s("o3", 6, "session.create", "s3")).is_empty());
    assert!(
        e.observe(&s("o3", 6, "session.create", "s3")).is_empty(),
        "re-read"
    );
    assert_eq!(e.observe(&s("o4", 7, "session.create", "s4")).len(), 1);
}

#[test]
fn match_fires_on_every_matching_event() {
    let c = cfg(r#"
[[rules]]
name = "sensitive"
kind = "match"
filter = { actions = ["account.role.change", "account.user.disable", "data.export", "system.settings.change"] }
"#);
    let mut e = AlertEngine::new(&c);
    assert_eq!(
        e.observe(&ev(
            "r",
            MIN,
            "account.role.change",
            Outcome::Success,
            "admin"
        ))
        .len(),
        1
    );
    assert_eq!(
        e.observe(&ev("x", 2 * MIN, "data.export", Outcome::Success, "admin"))
            .len(),
        1
    );
    assert!(
        e.observe(&ev(
            "l",
            3 * MIN,
            "authentication.login",
            Outcome::Success,
            "admin"
        ))
        .is_empty()
    );
}

#[test]
fn alert_events_are_deterministic_and_not_evaluated() {
    let mut e = AlertEngine::new(&failures());
    let mut fired = Vec::new();
    for i in 0..5 {
        fired.extend(e.observe(&fail(i, i as i64)));
    }
    let ev1 = fired[0].to_event(Default::default(), 0);
    assert_eq!(ev1.action, ALERT_ACTION);
    assert_eq!(ev1.actor_id.as_deref(), Some("alice"));
    let mut e2 = AlertEngine::new(&failures());
    let mut again = Vec::new();
    for i in 0..5 {
        again.extend(e2.observe(&fail(i, i as i64)));
    }
    assert_eq!(fired[0].alert_id, again[0].alert_id);
    assert!(e.observe(&ev1).is_empty());
}

#[test]
fn validation_names_the_key() {
    let bad = |text: &str, key: &str| {
        let c: AlertsConfig = toml::from_str(text).unwrap();
        let err = c.validate().unwrap_err();
        assert!(err.contains(key), "{err}");
    };
    bad(
        "[[rules]]\nname = \"x\"\nkind = \"threshold\"\nwindow_secs = 60\n",
        "alerts.rules[0].threshold",
    );
    bad(
        "[[rules]]\nname = \"x\"\nkind = \"new_value\"\n",
        "alerts.rules[0].field",
    );
    bad(
        "[[rules]]\nname = \"x\"\nkind = \"match\"\nthreshold = 3\n",
        "alerts.rules[0].threshold",
    );
    bad(
        "[[webhooks]]\nurl = \"ftp://example.com\"\n",
        "alerts.webhooks[0].url",
    );
    let typo = toml::from_str::<AlertsConfig>(
        "[[rules]]\nname = \"x\"\nkind = \"match\"\nthreshhold = 3\n",
    )
    .unwrap_err()
    .to_string();
    assert!(typo.contains("threshhold"), "{typo}");
}

#[test]
fn webhook_delivery_retries_then_dead_letters() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    // A receiver that answers 500 once, then 200.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for (n, conn) in listener.incoming().take(2).enumerate() {
            let mut conn = conn.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut got = 0;
            loop {
                let k = conn.read(&mut buf[got..]).unwrap();
                got += k;
                let text = String::from_utf8_lossy(&buf[..got]).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if got >= i + 4 + len || k == 0 {
                        bodies.push(text);
                        break;
                    }
                }
            }
            let status = if n == 0 { "500 Oops" } else { "200 OK" };
            write!(conn, "HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").unwrap();
        }
        bodies
    });
    let c = cfg(&format!(
        r#"
[[rules]]
name = "failed-logins"
kind = "threshold"
filter = {{ outcome = "failure" }}
threshold = 1
window_secs = 60
[[webhooks]]
url = "http://127.0.0.1:{port}/hook"
headers = {{ x-team = "sec" }}
max_attempts = 3
backoff_ms = 10
[[webhooks]]
url = "http://127.0.0.1:1/down"
max_attempts = 2
backoff_ms = 10
timeout_ms = 200
"#
    ));
    let alerts = Alerts::start(&c, dir.path()).unwrap();
    let hook = alerts.hook();
    assert_eq!(hook.observe([&fail(1, 1)]).len(), 1);
    drop(hook);
    alerts.finish(std::time::Duration::from_secs(60)).unwrap();
    let bodies = server.join().unwrap();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[1].contains("x-team: sec"), "{}", bodies[1]);
    assert!(
        bodies[1].contains("\"rule\":\"failed-logins\""),
        "{}",
        bodies[1]
    );
    let dead = std::fs::read_to_string(dir.path().join("dead-letter/alerts.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 1);
    assert!(dead.contains("127.0.0.1:1/down"), "{dead}");
    assert!(dir.path().join("alerts.json").exists());
}

#[test]
fn stopping_gives_up_retries_past_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(r#"
[[rules]]
name = "any-failure"
kind = "match"
filter = { outcome = "failure" }
[[webhooks]]
url = "http://127.0.0.1:1/down"
max_attempts = 100
backoff_ms = 1000
timeout_ms = 200
"#);
    let alerts = Alerts::start(&c, dir.path()).unwrap();
    let hook = alerts.hook();
    assert_eq!(hook.observe([&fail(1, 1)]).len(), 1);
    drop(hook);
    let started = std::time::Instant::now();
    alerts
        .finish(std::time::Duration::from_millis(100))
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let dead = std::fs::read_to_string(dir.path().join("dead-letter/alerts.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 1);
}

/// A TLS receiver on 127.0.0.1 with a certificate of its own CA: answers every request 200 with
/// a chunked body and returns the requests it read.
mod tls {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    pub struct Receiver {
        pub port: u16,
        pub ca_pem: String,
        pub requests: std::thread::JoinHandle<Vec<String>>,
    }

    pub fn start(connections: usize) -> Receiver {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::thread::spawn(move || {
            let mut out = Vec::new();
            for tcp in listener.incoming().take(connections) {
                let tcp = tcp.unwrap();
                tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                match read_request(&mut tls) {
                    Some(req) => {
                        out.push(req);
                        let _ = tls.write_all(
                            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nthank\r\n4\r\n you\r\n0\r\n\r\n",
                        );
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                    // the handshake failed: the client did not trust us
                    None => out.push(String::new()),
                }
            }
            out
        });
        Receiver {
            port,
            ca_pem: ca_cert.pem(),
            requests,
        }
    }

    fn read_request(s: &mut impl Read) -> Option<String> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some(i) = text.find("\r\n\r\n") {
                let len: usize = text[..i]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= i + 4 + len {
                    return Some(text);
                }
            }
        }
    }
}

fn https_config(port: u16, ca_file: Option<&std::path::Path>) -> AlertsConfig {
    let ca = ca_file.map_or(String::new(), |p| {
        format!("ca_file = {:?}\n", p.display().to_string())
    });
    cfg(&format!(
        r#"
[[rules]]
name = "any-failure"
kind = "match"
filter = {{ outcome = "failure" }}
[[webhooks]]
url = "https://127.0.0.1:{port}/hook"
max_attempts = 1
{ca}"#
    ))
}

#[test]
fn webhook_posts_to_an_https_receiver_trusted_by_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = tls::start(1);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &receiver.ca_pem).unwrap();
    let alerts = Alerts::start(&https_config(receiver.port, Some(&ca)), dir.path()).unwrap();
    let hook = alerts.hook();
    assert_eq!(hook.observe([&fail(1, 1)]).len(), 1);
    drop(hook);
    alerts.finish(std::time::Duration::from_secs(30)).unwrap();
    let requests = receiver.requests.join().unwrap();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("POST /hook HTTP/1.1"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains("\"rule\":\"any-failure\""),
        "{}",
        requests[0]
    );
    // the chunked response was read as a success: nothing dead-lettered
    assert!(!dir.path().join("dead-letter/alerts.jsonl").exists());
}

#[test]
fn an_https_receiver_of_an_unknown_ca_is_refused_and_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = tls::start(1);
    let alerts = Alerts::start(&https_config(receiver.port, None), dir.path()).unwrap();
    let hook = alerts.hook();
    assert_eq!(hook.observe([&fail(1, 1)]).len(), 1);
    drop(hook);
    alerts.finish(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!(receiver.requests.join().unwrap(), [String::new()]);
    let dead = std::fs::read_to_string(dir.path().join("dead-letter/alerts.jsonl")).unwrap();
    assert!(dead.contains("certificate"), "{dead}");
}

#[test]
fn a_missing_or_empty_ca_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.pem");
    let err = Alerts::start(&https_config(1, Some(&missing)), dir.path()).unwrap_err();
    assert!(err.to_string().contains("alerts.webhooks.ca_file"), "{err}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let err = Alerts::start(&https_config(1, Some(&empty)), dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}

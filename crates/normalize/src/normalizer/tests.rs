use std::sync::Arc;

use auditlake_event::{AuditEvent, Change, Flags, Outcome, SourceInfo};
use serde_json::json;

use super::*;

/// 2026-11-23T12:00:00Z in micros.
pub(crate) const OBSERVED: i64 = 1_795_435_200_000_000;

pub(crate) fn source() -> Arc<SourceInfo> {
    Arc::new(SourceInfo {
        app: "shop".to_owned(),
        file: Some("/var/log/shop/audit.log".to_owned()),
        ..SourceInfo::default()
    })
}

fn profile(toml_text: &str) -> ProfileConfig {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
}

fn compile(toml_text: &str) -> Normalizer {
    Normalizer::new("test", &profile(toml_text)).unwrap_or_else(|e| panic!("{e}"))
}

fn compile_err(toml_text: &str) -> String {
    Normalizer::new("myapp", &profile(toml_text))
        .unwrap_err()
        .to_string()
}

fn run(n: &Normalizer, line: &str) -> Result<(LineOutcome, Vec<AuditEvent>), Rejection> {
    let src = source();
    let ctx = LineContext {
        source: &src,
        fingerprint: 0xfeed,
        offset: 4096,
        observed_time: OBSERVED,
        keep_raw: true,
        flags: Flags::default(),
    };
    let mut out = Vec::new();
    let outcome = n.normalize(line, &ctx, &mut out)?;
    Ok((outcome, out))
}

fn one(n: &Normalizer, line: &str) -> AuditEvent {
    let (outcome, mut events) = run(n, line).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome, LineOutcome::Events(1));
    events.pop().unwrap()
}

fn micros(rfc: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc)
        .unwrap()
        .timestamp_micros()
}

const JSON: &str = r#"
format = "json"
time = { field = "ts", format = "rfc3339" }
fields.actor_id = ["payload.user.id", "user_id"]
fields.actor_email = "payload.user.email"
fields.src_ip = "context.ip_address"
fields.event_id = "id"
fields.outcome = "result"
fields.resource_id = "changes.0.target"
static.actor_type = "user"
static.outcome = "success"
action.event_field = "type"
action.passthrough = true
[[action.rules]]
name = "LOGIN"
action = "authentication.login"
[[action.rules]]
pattern = "^LOGIN_.*_FAILED$"
action = "authentication.login"
outcome = "failure"
reason = "bad credentials"
set = { auth_method = "password" }
fields = { session_id = "payload.attempt" }
"#;

#[test]
fn json_nested_paths_columns_and_attributes() {
    let n = compile(JSON);
    let line = r#"{"id":"e-1","ts":"2026-11-21T10:00:00Z","type":"LOGIN","context":{"ip_address":"203.0.113.5","ua":"x"},"payload":{"user":{"id":"u1","email":"a@example.com","plan":"pro"}},"changes":[{"target":"doc-1"}],"extra":{"k":[1,2]}}"#;
    let ev = one(&n, line);
    assert_eq!(ev.event_id, "e-1");
    assert_eq!(ev.origin_id.as_deref(), Some("e-1"));
    assert_eq!(ev.time, micros("2026-11-21T10:00:00Z"));
    assert_eq!(ev.observed_time, Some(OBSERVED));
    assert_eq!(
        (ev.category.as_str(), ev.action.as_str()),
        ("authentication", "authentication.login")
    );
    assert_eq!(ev.outcome, Outcome::Success, "static fallback");
    assert_eq!(ev.actor_id.as_deref(), Some("u1"));
    assert_eq!(ev.actor_email.as_deref(), Some("a@example.com"));
    assert_eq!(ev.actor_type.as_deref(), Some("user"));
    assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
    assert_eq!(ev.resource_id.as_deref(), Some("doc-1"));
    assert_eq!(ev.raw.as_deref(), Some(line));
    assert_eq!(ev.source_offset, Some(4096));
    assert_eq!(ev.source.app, "shop");
    // Taken leaves are gone, the rest stays; the mapped event name is kept; lists stay whole.
    assert_eq!(
        serde_json::Value::Object(ev.attributes),
        json!({
            "type": "LOGIN",
            "context": {"ua": "x"},
            "payload": {"user": {"plan": "pro"}},
            "changes": [{"target": "doc-1"}],
            "extra": {"k": [1, 2]}
        })
    );
}

#[test]
fn rule_pattern_sets_outcome_reason_and_its_own_fields() {
    let n = compile(JSON);
    let ev = one(
        &n,
        r#"{"ts":"2026-11-21T10:00:00Z","type":"LOGIN_PASSWORD_FAILED","result":"success","user_id":"u2","payload":{"attempt":"s-9"}}"#,
    );
    assert_eq!(ev.outcome, Outcome::Failure, "the rule's outcome wins");
    assert_eq!(ev.reason.as_deref(), Some("bad credentials"));
    assert_eq!(ev.auth_method.as_deref(), Some("password"));
    assert_eq!(ev.session_id.as_deref(), Some("s-9"));
    assert_eq!(ev.actor_id.as_deref(), Some("u2"));
    assert!(
        !ev.attributes.contains_key("payload"),
        "{:?}",
        ev.attributes
    );
    // Without an origin id: the derived id.
    assert_eq!(ev.event_id, derive_event_id("shop", 0xfeed, 4096, 0));
    assert_eq!(ev.origin_id, None);
}

#[test]
fn passthrough_unmapped_and_missing_event_name() {
    let n = compile(JSON);
    let ev = one(
        &n,
        r#"{"ts":"2026-11-21T10:00:00Z","type":"billing.invoice.void","result":"denied"}"#,
    );
    assert_eq!(
        (ev.category.as_str(), ev.action.as_str()),
        ("billing", "billing.invoice.void")
    );
    assert_eq!(ev.outcome, Outcome::Failure);
    assert!(
        !ev.attributes.contains_key("type"),
        "a passed-through name is the action"
    );

    let e = run(
        &n,
        r#"{"ts":"2026-11-21T10:00:00Z","type":"USER_TELEPORTED"}"#,
    )
    .unwrap_err();
    assert_eq!(e.kind, RejectKind::Unmapped);
    assert_eq!(
        e.reason,
        "event name `USER_TELEPORTED` (field `type`) maps to no action"
    );
    assert_eq!(e.to_string(), format!("unmapped: {}", e.reason));

    let e = run(&n, r#"{"ts":"2026-11-21T10:00:00Z"}"#).unwrap_err();
    assert_eq!(e.kind, RejectKind::MissingField);
    assert!(e.reason.contains("`type`"), "{}", e.reason);

    let e = run(&n, r#"{"ts":"2026-11-21T10:00:00Z","type":{"nested":1}}"#).unwrap_err();
    assert_eq!(e.kind, RejectKind::MissingField);
}

#[test]
fn time_missing_and_bad_are_rejected_or_fall_back() {
    let n = compile(JSON);
    let e = run(&n, r#"{"type":"LOGIN"}"#).unwrap_err();
    assert_eq!(e.kind, RejectKind::MissingTime);
    assert_eq!(
        e.reason,
        "the time field `ts` is missing (format `rfc3339`)"
    );
    let e = run(&n, r#"{"type":"LOGIN","ts":"last tuesday"}"#).unwrap_err();
    assert_eq!(e.kind, RejectKind::BadTime);
    assert_eq!(
        e.reason,
        "time field `ts`: `last tuesday` does not match time format `rfc3339`"
    );

    let lenient = JSON.replace(
        r#"time = { field = "ts", format = "rfc3339" }"#,
        r#"time = { field = "ts", format = "rfc3339", missing = "observed", invalid = "observed" }"#,
    );
    let n = compile(&lenient);
    let ev = one(&n, r#"{"type":"LOGIN"}"#);
    assert_eq!(ev.time, OBSERVED);
    assert_eq!(ev.attributes["time_fallback"], "missing");
    let ev = one(&n, r#"{"type":"LOGIN","ts":"last tuesday"}"#);
    assert_eq!(ev.time, OBSERVED);
    assert_eq!(ev.attributes["time_fallback"], "invalid");
    assert_eq!(ev.attributes["time_invalid"], "last tuesday");
}

#[test]
fn local_times_at_a_dst_edge_are_flagged() {
    let berlin = JSON.replace(
        r#"time = { field = "ts", format = "rfc3339" }"#,
        r#"time = { field = "ts", format = "rfc3339", timezone = "Europe/Berlin" }"#,
    );
    let n = compile(&berlin);
    // twice that night: the earlier instant (CEST)
    let ev = one(&n, r#"{"type":"LOGIN","ts":"2026-10-25T02:30:00"}"#);
    assert_eq!(ev.time, micros("2026-10-25T00:30:00Z"));
    assert_eq!(ev.attributes["time_local"], "ambiguous");
    // never that night: moved forward by the gap
    let ev = one(&n, r#"{"type":"LOGIN","ts":"2026-03-29T02:30:00"}"#);
    assert_eq!(ev.time, micros("2026-03-29T01:30:00Z"));
    assert_eq!(ev.attributes["time_local"], "nonexistent");
    let ev = one(&n, r#"{"type":"LOGIN","ts":"2026-07-01T12:00:00"}"#);
    assert_eq!(ev.time, micros("2026-07-01T10:00:00Z"));
    assert!(!ev.attributes.contains_key("time_local"));
}

#[test]
fn bad_json_is_a_parse_rejection() {
    let n = compile(JSON);
    for line in [
        r#"{"ts":"2026-11-21T10:00:00Z","type":"LOG"#,
        "[1]",
        "not json",
        "{} {}",
    ] {
        assert_eq!(run(&n, line).unwrap_err().kind, RejectKind::Parse, "{line}");
    }
}

#[test]
fn blank_lines_and_crlf() {
    let n = compile(JSON);
    assert_eq!(run(&n, "").unwrap().0, LineOutcome::Ignored);
    assert_eq!(run(&n, "  \t\r").unwrap().0, LineOutcome::Ignored);
    let ev = one(&n, "{\"ts\":\"2026-11-21T10:00:00Z\",\"type\":\"LOGIN\"}\r");
    assert_eq!(ev.action, "authentication.login");
}

#[test]
fn context_flags_and_raw_switch() {
    let n = compile(JSON);
    let src = source();
    let ctx = LineContext {
        source: &src,
        fingerprint: 1,
        offset: 2,
        observed_time: OBSERVED,
        keep_raw: false,
        flags: Flags {
            invalid_utf8: true,
            truncated: false,
            ..Flags::default()
        },
    };
    let mut out = vec![AuditEvent::default()];
    let r = n.normalize(
        r#"{"ts":"2026-11-21T10:00:00Z","type":"LOGIN"}"#,
        &ctx,
        &mut out,
    );
    assert_eq!(r, Ok(LineOutcome::Events(1)));
    assert_eq!(out.len(), 2, "appends, keeps what was there");
    assert_eq!(out[1].raw, None);
    assert!(out[1].flags.invalid_utf8);
    assert!(Arc::ptr_eq(&out[1].source, &src));
}

#[test]
fn required_columns() {
    let n = compile(&format!("required = [\"actor_id\"]\n{JSON}"));
    let e = run(&n, r#"{"ts":"2026-11-21T10:00:00Z","type":"LOGIN"}"#).unwrap_err();
    assert_eq!(e.kind, RejectKind::MissingField);
    assert_eq!(
        e.reason,
        "the required column `actor_id` has no value (fields.actor_id = `payload.user.id` or `user_id`)"
    );
}

#[test]
fn ignore_by_line_and_by_event_name() {
    let n = compile(&format!(
        "{JSON}\n[ignore]\nlines = ['\"type\":\"HEALTH\"']\nevents = [\"PING\"]\n"
    ));
    assert_eq!(
        run(&n, r#"{"type":"HEALTH"}"#).unwrap().0,
        LineOutcome::Ignored
    );
    let (o, ev) = run(&n, r#"{"ts":"2026-11-21T10:00:00Z","type":"PING"}"#).unwrap();
    assert_eq!((o, ev.len()), (LineOutcome::Ignored, 0));
}

const LOGFMT: &str = r#"
format = "logfmt"
time = { field = "time" }
fields = { actor_id = "user_id", src_ip = "ip", outcome = "outcome", message = "msg", severity = "level" }
changes = { shape = "flat", field = "field", old = "old", new = "new" }
action = { event_field = "event", missing = "ignore", rules = [
    { name = "login", action = "authentication.login" },
    { name = "role_change", action = "account.role.change" },
] }
"#;

#[test]
fn logfmt_profile() {
    let n = compile(LOGFMT);
    let ev = one(
        &n,
        r#"time=2026-11-22T08:00:01.123Z level=info msg="user logged in" event=login user_id=u-17 user=bob ip=192.0.2.10 session=s-9 outcome=success verbose"#,
    );
    assert_eq!(ev.time, micros("2026-11-22T08:00:01.123Z"));
    assert_eq!(ev.action, "authentication.login");
    assert_eq!(ev.outcome, Outcome::Success);
    assert_eq!(ev.message.as_deref(), Some("user logged in"));
    assert_eq!(ev.severity.as_deref(), Some("info"));
    assert_eq!(
        serde_json::Value::Object(ev.attributes),
        json!({"event": "login", "user": "bob", "session": "s-9", "verbose": true})
    );
    let ev = one(
        &n,
        "time=2026-11-22T08:00:01Z event=role_change user_id=u-1 field=role old=member new=admin outcome=weird",
    );
    assert_eq!(
        ev.changes,
        vec![Change {
            field: "role".into(),
            old: json!("member"),
            new: json!("admin")
        }]
    );
    assert_eq!(
        ev.outcome,
        Outcome::Unknown,
        "an unknown spelling is unknown"
    );
    // No event field: a diagnostic line, ignored.
    assert_eq!(
        run(&n, "time=2026-11-22T08:00:01Z level=debug msg=x")
            .unwrap()
            .0,
        LineOutcome::Ignored
    );
    assert_eq!(run(&n, "panic: oh no").unwrap_err().kind, RejectKind::Parse);
}

const SYSLOG: &str = r#"
format = "regex"
prefix = '^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) sshd\[(?P<pid>\d+)\]: '
expand_repeated = true
time = { field = "time", format = "%b %e %H:%M:%S", timezone = "UTC" }
fields = { actor_id = "user", src_ip = "ip" }
[[patterns]]
pattern = 'Failed password for (?P<user>\S+) from (?P<ip>\S+) port \d+ ssh2$'
action = "authentication.primary.password"
outcome = "failure"
set = { auth_method = "password" }
[[patterns]]
pattern = 'Accepted password for (?P<user>\S+) from (?P<ip>\S+) port \d+ ssh2$'
action = "authentication.login"
outcome = "success"
"#;

#[test]
fn regex_patterns_with_fixed_actions_and_assumed_year() {
    let n = compile(SYSLOG);
    let ev = one(
        &n,
        "Nov  3 10:15:01 bastion sshd[1234]: Accepted password for alice from 203.0.113.5 port 52311 ssh2",
    );
    assert_eq!(ev.time, micros("2026-11-03T10:15:01Z"));
    assert_eq!(ev.action, "authentication.login");
    assert_eq!(ev.outcome, Outcome::Success);
    assert_eq!(ev.actor_id.as_deref(), Some("alice"));
    assert_eq!(
        serde_json::Value::Object(ev.attributes),
        json!({"host": "bastion", "pid": "1234"})
    );
    let e = run(&n, "Nov  3 10:15:01 bastion sshd[1234]: Something else").unwrap_err();
    assert_eq!(e.kind, RejectKind::Parse);
    assert_eq!(e.reason, "the line matches none of the 2 patterns");
}

#[test]
fn message_repeated_n_times_gives_n_events_with_distinct_ids() {
    let n = compile(SYSLOG);
    let line = "Nov 21 03:40:19 bastion sshd[23201]: message repeated 3 times: [ Failed password for root from 198.51.100.7 port 4242 ssh2]";
    let (o, events) = run(&n, line).unwrap();
    assert_eq!(o, LineOutcome::Events(3));
    assert_eq!(events.len(), 3);
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(*id, derive_event_id("shop", 0xfeed, 4096, i as u32));
    }
    for ev in &events {
        assert_eq!(ev.action, "authentication.primary.password");
        assert_eq!(ev.actor_id.as_deref(), Some("root"));
        assert_eq!(ev.time, micros("2026-11-21T03:40:19Z"));
        assert_eq!(ev.attributes["repeated"], 3);
        assert_eq!(ev.raw.as_deref(), Some(line));
    }
    // A huge count is capped.
    let line = "Nov 21 03:40:19 bastion sshd[23201]: message repeated 4000000000 times: [ Failed password for root from 198.51.100.7 port 4242 ssh2]";
    let (o, events) = run(&n, line).unwrap();
    assert_eq!(o, LineOutcome::Events(repeat::MAX_REPEAT as usize));
    assert_eq!(events[0].attributes["repeated"], 4_000_000_000u64);
}

#[test]
fn repeated_long_line_expands_within_a_byte_budget() {
    // A 1 MB line "repeated 10000 times" made 10000 copies of it: gigabytes for one line.
    let n = compile(SYSLOG);
    let user = "u".repeat(1 << 20);
    let line = format!(
        "Nov 21 03:40:19 bastion sshd[23201]: message repeated 10000 times: [ Failed password for {user} from 198.51.100.7 port 4242 ssh2]"
    );
    let (o, events) = run(&n, &line).unwrap();
    let want = repeat::MAX_REPEAT_BYTES / line.len();
    assert_eq!(o, LineOutcome::Events(want));
    assert_eq!(events.len(), want);
    assert_eq!(events[0].attributes["repeated"], 10_000);
    // A line longer than the whole budget is still one event.
    assert_eq!(repeat::copies(10_000, repeat::MAX_REPEAT_BYTES * 2), 1);
    assert_eq!(repeat::copies(3, 100), 3);
}

#[test]
fn repeated_lines_with_an_origin_id_get_suffixed_ids() {
    let n = compile(&format!(
        "expand_repeated = true\n{}",
        JSON.replace("format = \"json\"", "format = \"logfmt\"")
            .replace("fields.resource_id = \"changes.0.target\"\n", "")
    ));
    let (_, events) = run(
        &n,
        "x: message repeated 2 times: [ ts=2026-11-21T10:00:00Z type=LOGIN id=e-7]",
    )
    .unwrap();
    let ids: Vec<_> = events
        .iter()
        .map(|e| (e.event_id.as_str(), e.origin_id.as_deref()))
        .collect();
    assert_eq!(ids, [("e-7", Some("e-7")), ("e-7#1", Some("e-7"))]);
}

#[test]
fn regex_with_event_field_rules() {
    let n = compile(
        r#"
format = "regex"
pattern = '^(?P<ts>\S+) (?P<event>\S+) user=(?P<user>\S+)'
time = { field = "ts", format = "epoch_s" }
fields = { actor_id = "user" }
action = { event_field = "event", rules = [{ names = ["in", "login"], action = "authentication.login" }] }
"#,
    );
    let ev = one(&n, "1795219200 login user=bob");
    assert_eq!(ev.time, micros("2026-11-21T00:00:00Z"));
    assert_eq!(ev.action, "authentication.login");
    assert_eq!(
        run(&n, "1795219200 out user=bob").unwrap_err().kind,
        RejectKind::Unmapped
    );
}

#[test]
fn attributes_none_drops_the_rest() {
    let n = compile(&format!("attributes = \"none\"\n{JSON}"));
    let ev = one(
        &n,
        r#"{"ts":"2026-11-21T10:00:00Z","type":"LOGIN","junk":1}"#,
    );
    assert!(ev.attributes.is_empty());
}

#[test]
fn config_errors_name_the_key() {
    let bad_rule = JSON.replace(
        r#"pattern = "^LOGIN_.*_FAILED$""#,
        r#"pattern = "^LOGIN_(.*_FAILED$""#,
    );
    let e = compile_err(&bad_rule);
    assert!(
        e.starts_with("profiles.myapp.action.rules[1].pattern: invalid regex"),
        "{e}"
    );

    let e = compile_err(&JSON.replace(r#"action = "authentication.login""#, r#"action = "Login""#));
    assert!(
        e.starts_with("profiles.myapp.action.rules[0].action: invalid action `Login`"),
        "{e}"
    );

    let e = compile_err(&JSON.replace(r#"format = "rfc3339""#, r#"format = "iso""#));
    assert!(
        e.starts_with("profiles.myapp.time.format: invalid time format `iso`"),
        "{e}"
    );

    let e = compile_err(&JSON.replace("\"context.ip_address\"", "\"context..ip\""));
    assert!(
        e.starts_with("profiles.myapp.fields.src_ip: invalid field path `context..ip`"),
        "{e}"
    );

    let e =
        compile_err(&JSON.replace("static.outcome = \"success\"", "static.outcome = \"great\""));
    assert!(
        e.starts_with("profiles.myapp.static.outcome: invalid outcome `great`"),
        "{e}"
    );

    let e = compile_err(&SYSLOG.replace(r"port \d+ ssh2$'", r"port (\d+ ssh2$'"));
    assert!(
        e.starts_with("profiles.myapp.patterns[0].pattern: invalid regex"),
        "{e}"
    );

    let e = compile_err(&format!("{JSON}\n[ignore]\nlines = ['(']\n"));
    assert!(
        e.starts_with("profiles.myapp.ignore.lines[0]: invalid regex"),
        "{e}"
    );

    let e = compile_err("format = \"json\"\ntime = { field = \"t\" }\n");
    assert!(
        e.starts_with("profiles.myapp.action.event_field: missing"),
        "{e}"
    );

    let e = compile_err("format = \"regex\"\ntime = { field = \"t\" }\n");
    assert!(
        e.starts_with("profiles.myapp.patterns: format = \"regex\" needs"),
        "{e}"
    );

    let e = compile_err(&format!("pattern = '(?P<a>x)'\n{JSON}"));
    assert!(
        e.starts_with("profiles.myapp.pattern: only applies to format = \"regex\""),
        "{e}"
    );

    let e = compile_err(&SYSLOG.replace("action = \"authentication.login\"\n", ""));
    assert!(
        e.starts_with("profiles.myapp.patterns[1].action: missing"),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let e = toml::from_str::<ProfileConfig>(&format!("colour = \"red\"\n{JSON}")).unwrap_err();
    assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    let e = toml::from_str::<ProfileConfig>(&JSON.replace("fields.src_ip", "fields.source_ip"))
        .unwrap_err();
    assert!(e.to_string().contains("unknown field `source_ip`"), "{e}");
    let e =
        toml::from_str::<ProfileConfig>(&format!("required = [\"actor\"]\n{JSON}")).unwrap_err();
    assert!(e.to_string().contains("unknown variant `actor`"), "{e}");
}

#[test]
fn normalizer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Normalizer>();
}

/// Lines per second through each built-in profile, printed; no assertion. Run with
/// `cargo test --release -p auditlake-normalize -- --ignored throughput --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let samples = [
        (
            "auditlake-json",
            include_str!("../../../../examples/logs/app-audit.jsonl"),
        ),
        (
            "idp-json",
            include_str!("../../../../examples/logs/idp-events.jsonl"),
        ),
        (
            "asset-json",
            include_str!("../../../../examples/logs/assets.jsonl"),
        ),
        ("sshd", include_str!("../../../../examples/logs/auth.log")),
        (
            "logfmt-app",
            include_str!("../../../../examples/logs/app.logfmt"),
        ),
    ];
    for (name, text) in samples {
        let n = Normalizer::new(name, &crate::builtin_profile(name).unwrap()).unwrap();
        let src = source();
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::with_capacity(1024);
        let rounds = 2000;
        let start = std::time::Instant::now();
        for r in 0..rounds {
            for (i, line) in lines.iter().enumerate() {
                let ctx = LineContext {
                    source: &src,
                    fingerprint: r,
                    offset: i as u64,
                    observed_time: OBSERVED,
                    keep_raw: true,
                    flags: Flags::default(),
                };
                let _ = n.normalize(line, &ctx, &mut out);
                if out.len() >= 1000 {
                    out.clear();
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let total = rounds as f64 * lines.len() as f64;
        println!(
            "{name}: {:.0} lines/s ({:.2} us/line)",
            total / secs,
            secs * 1e6 / total
        );
    }
}

const K8S_LIKE: &str = r#"
format = "json"
time = { field = "stageTimestamp" }
fields.actor_id = "user.username"
fields.src_ip = ["sourceIPs.0", "clientIP"]
fields.actor_email = "user.email"
action.event_field = "verb"
transform.missing = ["null", "-", ""]
transform.lowercase = ["actor_email"]
[[action.rules]]
names = ["get", "create"]
action = "resource.access"
[[outcome_rules]]
when = { field = 'annotations."authorization.k8s.io/decision"', equals = "forbid" }
outcome = "failure"
reason = "forbidden by authorization"
[[outcome_rules]]
when = { field = "responseStatus.code", range = [200, 299] }
outcome = "success"
[[outcome_rules]]
when = { field = "responseStatus.code", range = [400, 599] }
outcome = "failure"
"#;

#[test]
fn outcome_from_numeric_ranges_and_an_annotation_with_dots_in_its_key() {
    let n = compile(K8S_LIKE);
    let line = |code: &str, decision: &str| {
        format!(
            r#"{{"verb":"get","stageTimestamp":"2026-11-20T10:00:00Z","user":{{"username":"ann"}},"responseStatus":{{"code":{code}}},"annotations":{{"authorization.k8s.io/decision":"{decision}"}}}}"#
        )
    };
    let ok = one(&n, &line("200", "allow"));
    assert_eq!((ok.outcome, ok.reason.as_deref()), (Outcome::Success, None));
    // The code stays in attributes: a condition reads a field, it does not take it.
    assert_eq!(ok.attributes["responseStatus"], json!({"code": 200}));
    let not_found = one(&n, &line("404", "allow"));
    assert_eq!(not_found.outcome, Outcome::Failure);
    let forbidden = one(&n, &line("403", "forbid"));
    assert_eq!(
        (forbidden.outcome, forbidden.reason.as_deref()),
        (Outcome::Failure, Some("forbidden by authorization"))
    );
    let redirect = one(&n, &line("302", "allow"));
    assert_eq!(redirect.outcome, Outcome::Unknown, "no condition holds");
}

#[test]
fn listed_strings_are_missing_and_lowercase_applies_to_its_columns() {
    let n = compile(K8S_LIKE);
    let e = one(
        &n,
        r#"{"verb":"create","stageTimestamp":"2026-11-20T10:00:00Z","user":{"username":"ann","email":"Ann@Example.COM"},"sourceIPs":["null"],"clientIP":"10.0.0.9"}"#,
    );
    assert_eq!(e.src_ip.as_deref(), Some("10.0.0.9"), "\"null\" is absent");
    assert_eq!(e.actor_email.as_deref(), Some("ann@example.com"));
    let e = one(
        &n,
        r#"{"verb":"create","stageTimestamp":"2026-11-20T10:00:00Z","user":{"username":"ann"},"sourceIPs":["-"]}"#,
    );
    assert_eq!(e.src_ip, None);
}

#[test]
fn an_outcome_rule_with_a_bad_condition_names_its_key() {
    let text = K8S_LIKE.replace("range = [400, 599]", "range = [599, 400]");
    let e = Normalizer::new("k", &profile(&text))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("profiles.k.outcome_rules[2].when.range: [599, 400] is empty"),
        "{e}"
    );
}

#[test]
fn mapped_paths_that_never_resolve_are_reported() {
    let n = compile(K8S_LIKE);
    assert!(n.never_resolved().is_empty(), "nothing mapped yet");
    one(
        &n,
        r#"{"verb":"get","stageTimestamp":"2026-11-20T10:00:00Z","user":{"username":"ann"},"sourceIPs":["10.0.0.1"]}"#,
    );
    assert_eq!(n.never_resolved(), ["fields.actor_email = `user.email`"]);
    one(
        &n,
        r#"{"verb":"get","stageTimestamp":"2026-11-20T10:00:00Z","user":{"username":"ann","email":"a@x"}}"#,
    );
    assert!(n.never_resolved().is_empty());
}

const CLOUDTRAIL_LIKE: &str = r#"
format = "json"
records = "Records"
time = { field = "eventTime" }
fields.event_id = "eventID"
fields.actor_id = "userIdentity.userName"
fields.src_ip = "sourceIPAddress"
action.event_field = "eventName"
ignore.events = ["Describe"]
[[action.rules]]
name = "ConsoleLogin"
action = "authentication.login"
"#;

#[test]
fn a_line_of_records_gives_one_event_each_and_keeps_the_good_when_one_is_bad() {
    let n = compile(CLOUDTRAIL_LIKE);
    let line = r#"{"Records":[{"eventTime":"2026-11-23T10:00:00Z","eventName":"ConsoleLogin","eventID":"e-1","userIdentity":{"userName":"alice"},"sourceIPAddress":"203.0.113.5"},{"eventTime":"2026-11-23T10:00:01Z","eventName":"Describe"},{"eventTime":"2026-11-23T10:00:02Z","eventName":"PutObject"},{"eventTime":"2026-11-23T10:00:03Z","eventName":"ConsoleLogin","userIdentity":{"userName":"bob"}}]}"#;
    let (outcome, events) = run(&n, line).unwrap();
    let LineOutcome::Records(tally) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((tally.events, tally.ignored), (2, 1));
    assert_eq!(tally.rejected.len(), 1);
    let bad = &tally.rejected[0];
    assert_eq!(bad.index, 2);
    assert_eq!(bad.rejection.kind, RejectKind::Unmapped);
    assert_eq!(bad.rejection.event_name.as_deref(), Some("PutObject"));
    assert_eq!(
        bad.text,
        r#"{"eventTime":"2026-11-23T10:00:02Z","eventName":"PutObject"}"#
    );
    assert_eq!(events[0].actor_id.as_deref(), Some("alice"));
    assert_eq!(events[0].event_id, "e-1");
    assert!(
        events[0]
            .raw
            .as_deref()
            .unwrap()
            .starts_with(r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"ConsoleLogin""#),
        "raw is the record's own text"
    );
    assert_eq!(events[1].actor_id.as_deref(), Some("bob"));
    assert_eq!(events[1].time, micros("2026-11-23T10:00:03Z"));
    // No event id of its own: derived from the line and the record's place in it.
    assert_eq!(
        events[1].event_id,
        crate::id::derive_event_id("shop", 0xfeed, 4096, 3)
    );
    // A line without the list is one event (CloudTrail delivered one event a line).
    let e = one(
        &n,
        r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"ConsoleLogin","userIdentity":{"userName":"carol"}}"#,
    );
    assert_eq!(e.actor_id.as_deref(), Some("carol"));
    assert!(
        compile_err(&CLOUDTRAIL_LIKE.replace("format = \"json\"", "format = \"logfmt\""))
            .starts_with("profiles.myapp.records: only applies to format = \"json\""),
        "{}",
        compile_err(&CLOUDTRAIL_LIKE.replace("format = \"json\"", "format = \"logfmt\""))
    );
}

#[test]
fn a_json_document_in_a_string_is_decoded_and_mapped_inside() {
    let n = compile(
        r#"
format = "json"
time = { field = "time" }
fields.actor_id = "properties.log.user"
fields.src_ip = "properties.log.ip"
action.event_field = "properties.log.op"
transform.decode_json = ["properties.log"]
[[action.rules]]
name = "signin"
action = "authentication.login"
"#,
    );
    let e = one(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","properties":{"log":"{\"user\":\"alice\",\"ip\":\"203.0.113.5\",\"op\":\"signin\",\"extra\":{\"k\":1}}"}}"#,
    );
    assert_eq!(e.actor_id.as_deref(), Some("alice"));
    assert_eq!(e.src_ip.as_deref(), Some("203.0.113.5"));
    // The rest of the document is kept as a document, not as a string.
    assert_eq!(
        e.attributes["properties"],
        json!({"log": {"op": "signin", "extra": {"k": 1}}})
    );
    // Not JSON: the string stays where it was, counted.
    let err = run(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","properties":{"log":"not json"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind, RejectKind::MissingField);
    assert_eq!(n.unconverted(), [("decode_json", 1)]);
}

#[test]
fn split_takes_one_part_of_a_column() {
    let n = compile(
        r#"
format = "json"
time = { field = "time" }
fields.src_ip = "xff"
fields.actor_id = "who"
action.event_field = "op"
transform.split = [{ column = "src_ip", separator = "," }, { column = "actor_id", separator = "\\", index = -1 }]
[[action.rules]]
name = "signin"
action = "authentication.login"
"#,
    );
    let e = one(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","op":"signin","xff":"203.0.113.5, 10.0.0.1, 10.0.0.2","who":"CORP\\alice"}"#,
    );
    assert_eq!(e.src_ip.as_deref(), Some("203.0.113.5"));
    assert_eq!(e.actor_id.as_deref(), Some("alice"));
    let e = one(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","op":"signin","who":"bob"}"#,
    );
    assert_eq!(
        e.actor_id.as_deref(),
        Some("bob"),
        "one part: the whole value"
    );
    let err = compile_err(
        r#"
format = "json"
time = { field = "time" }
action.event_field = "op"
transform.split = [{ column = "src_ip", separator = "" }]
"#,
    );
    assert_eq!(
        err,
        "profiles.myapp.transform.split[0].separator: must not be empty"
    );
}

#[test]
fn values_that_do_not_convert_are_kept_in_attributes_and_counted() {
    let n = compile(
        r#"
format = "json"
time = { field = "time" }
fields.outcome = "result"
fields.src_ip = "ip"
action.event_field = "op"
[[action.rules]]
name = "signin"
action = "authentication.login"
"#,
    );
    let e = one(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","op":"signin","result":"PENDING_REVIEW","ip":"AWS Internal"}"#,
    );
    assert_eq!(e.outcome, Outcome::Unknown);
    assert_eq!(e.src_ip, None);
    assert_eq!(
        e.attributes["unconverted"],
        json!({"outcome": "PENDING_REVIEW", "src_ip": "AWS Internal"})
    );
    // An address with a port is an address.
    let e = one(
        &n,
        r#"{"time":"2026-11-23T10:00:00Z","op":"signin","result":"ok","ip":"203.0.113.5:4242"}"#,
    );
    assert_eq!(e.src_ip.as_deref(), Some("203.0.113.5"));
    assert_eq!(e.outcome, Outcome::Success);
    assert!(!e.attributes.contains_key("unconverted"));
    assert_eq!(n.unconverted(), [("outcome", 1), ("src_ip", 1)]);
}

#[test]
fn actions_outside_the_catalog_are_listed_with_their_keys() {
    let n = compile(
        r#"
format = "json"
time = { field = "time" }
action.event_field = "op"
default_tier = "standard"
[[action.rules]]
name = "signin"
action = "authentication.login"
[[action.rules]]
name = "void"
action = "billing.invoice.void"
"#,
    );
    assert_eq!(
        n.uncatalogued_actions(),
        [(
            "profiles.test.action.rules[1].action".to_owned(),
            "billing.invoice.void".to_owned()
        )]
    );
    assert!(!n.passes_through());
    assert_eq!(n.default_tier(), Some("standard"));
    assert!(compile(JSON).passes_through());
}

const KEYCLOAK_LIKE: &str = r#"
format = "json"
time = { field = "time", format = "epoch_ms" }
fields.actor_id = ["userId", "authDetails.userId"]
action.event_field = ["type", "operationType"]
[[action.rules]]
name = "LOGIN"
action = "authentication.login"
outcome = "success"
[[action.rules]]
name = "CREATE"
when = [{ field = "resourceType", equals = "USER" }]
action = "account.user.create"
[[action.rules]]
names = ["CREATE", "UPDATE"]
when = [
  { field = "resourceType", any_of = ["REALM_ROLE_MAPPING", "CLIENT_ROLE_MAPPING"] },
  { field = "resourcePath", pattern = "^users/" },
]
action = "account.role.change"
[[action.rules]]
when = [{ field = "resourceType", equals = "REALM" }]
action = "system.settings.change"
"#;

#[test]
fn action_rules_chosen_by_conditions_on_other_fields() {
    let n = compile(KEYCLOAK_LIKE);
    let line = |op: &str, rt: &str, path: &str| {
        format!(
            r#"{{"time":1795161300120,"operationType":"{op}","resourceType":"{rt}","resourcePath":"{path}","authDetails":{{"userId":"adm"}}}}"#
        )
    };
    assert_eq!(
        one(&n, &line("CREATE", "USER", "users/u1")).action,
        "account.user.create"
    );
    let e = one(
        &n,
        &line(
            "UPDATE",
            "REALM_ROLE_MAPPING",
            "users/u1/role-mappings/realm",
        ),
    );
    assert_eq!(
        (e.action.as_str(), e.actor_id.as_deref()),
        ("account.role.change", Some("adm"))
    );
    // The conditions' fields stay in attributes.
    assert_eq!(e.attributes["resourceType"], json!("REALM_ROLE_MAPPING"));
    // A rule of conditions alone takes any name.
    assert_eq!(
        one(&n, &line("DELETE", "REALM", "")).action,
        "system.settings.change"
    );
    let e = run(
        &n,
        &line("UPDATE", "REALM_ROLE_MAPPING", "groups/g1/role-mappings"),
    )
    .unwrap_err();
    assert_eq!(e.kind, RejectKind::Unmapped);
    assert!(
        e.reason
            .starts_with("event name `UPDATE` (field `operationType`)"),
        "{}",
        e.reason
    );
    let login = r#"{"time":1795161300120,"type":"LOGIN","userId":"u1"}"#;
    assert_eq!(one(&n, login).action, "authentication.login");
}

#[test]
fn rules_of_conditions_alone_need_no_event_field() {
    let text = r#"
format = "json"
time = { field = "t" }
[[action.rules]]
when = [{ field = "verb", equals = "delete" }, { field = "objectRef.resource", equals = "secrets" }]
action = "resource.delete"
[[action.rules]]
when = [{ field = "verb", any_of = ["get", "list"] }]
action = "resource.read"
"#;
    let n = compile(text);
    let line = |verb: &str| {
        format!(
            r#"{{"t":"2026-11-20T10:00:00Z","verb":"{verb}","objectRef":{{"resource":"secrets"}}}}"#
        )
    };
    assert_eq!(one(&n, &line("delete")).action, "resource.delete");
    assert_eq!(one(&n, &line("list")).action, "resource.read");
    let e = run(&n, &line("patch")).unwrap_err();
    assert_eq!(
        (e.kind, e.reason.as_str()),
        (RejectKind::Unmapped, "no action rule's `when` holds")
    );

    // A rule of a name, or passthrough, still needs the event field.
    let e = compile_err(&format!(
        "{text}\n[[action.rules]]\nname = \"x\"\naction = \"a.b\"\n"
    ));
    assert!(
        e.starts_with("profiles.myapp.action.event_field: rules of `name`"),
        "{e}"
    );
    let e = compile_err(
        "format = \"json\"\ntime = { field = \"t\" }\n[action]\npassthrough = true\n\
         [[action.rules]]\nwhen = [{ field = \"verb\", equals = \"get\" }]\naction = \"a.b\"\n",
    );
    assert!(
        e.starts_with("profiles.myapp.action.event_field: rules of `name`"),
        "{e}"
    );
    let e = compile_err(&format!("{text}\n[ignore]\nevents = [\"x\"]\n"));
    assert!(
        e.starts_with("profiles.myapp.ignore.events: ignoring event names needs"),
        "{e}"
    );
}

#[test]
fn hex_decode_decodes_text_written_as_hex_exactly_and_counts_what_is_not() {
    let n = compile(
        r#"
format = "logfmt"
time = { field = "time" }
fields.actor_id = "user"
fields.message = "cmd"
action.event_field = "op"
transform.hex_decode = ["user", "cmd"]
[[action.rules]]
name = "run"
action = "session.exec"
"#,
    );
    // "alice" and "=cmd|' /C calc'!A0" with a terminal escape before it.
    let e = one(
        &n,
        "time=2026-11-23T10:00:00Z op=run user=616C696365 cmd=1B5B33316D3D636D647C27202F432063616C6327214130",
    );
    assert_eq!(e.actor_id.as_deref(), Some("alice"));
    assert_eq!(e.message.as_deref(), Some("\x1b[31m=cmd|' /C calc'!A0"));
    assert!(n.unconverted().is_empty());
    // Not hex (odd length, not hex digits, not UTF-8): kept as written, counted.
    let e = one(&n, "time=2026-11-23T10:00:00Z op=run user=bob cmd=ABC");
    assert_eq!(e.actor_id.as_deref(), Some("bob"));
    assert_eq!(e.message.as_deref(), Some("ABC"));
    let e = one(&n, "time=2026-11-23T10:00:00Z op=run user=FF cmd=");
    assert_eq!(e.actor_id.as_deref(), Some("FF"));
    assert_eq!(n.unconverted(), [("hex_decode", 3)]);
}

#[test]
fn hex_decode_paths_are_checked_when_the_profile_loads() {
    let e = compile_err(
        r#"
format = "logfmt"
time = { field = "time" }
action.event_field = "op"
action.passthrough = true
transform.hex_decode = ["user..name"]
"#,
    );
    assert!(
        e.starts_with("profiles.myapp.transform.hex_decode: "),
        "{e}"
    );
    assert!(e.contains("user..name"), "{e}");
}

#[test]
fn a_field_no_pattern_captures_is_an_error_naming_its_key() {
    let base = r#"
format = "regex"
prefix = '^(?P<time>\S+) '
time = { field = "time" }
fields.actor_id = "user"
[[patterns]]
pattern = 'login (?P<user>\S+) from (?P<ip>\S+)$'
action = "authentication.login"
"#;
    compile(base);
    let e = compile_err(&base.replace(
        "fields.actor_id = \"user\"",
        "fields.actor_id = \"usr\"\nfields.src_ip = \"ip\"",
    ));
    assert!(
        e.starts_with("profiles.myapp.fields.actor_id: `usr` is captured by no pattern"),
        "{e}"
    );
    assert!(e.ends_with("(the patterns capture: ip, time, user)"), "{e}");
    let e = compile_err(&base.replace(
        "fields.actor_id = \"user\"",
        "fields.actor_id = [\"user\", \"login\"]",
    ));
    assert!(
        e.starts_with("profiles.myapp.fields.actor_id: `login`"),
        "{e}"
    );
    let e = compile_err(&format!(
        "{base}[[outcome_rules]]\nwhen = {{ field = \"status\", equals = \"ok\" }}\noutcome = \"success\"\n"
    ));
    assert!(
        e.starts_with("profiles.myapp.outcome_rules[0].when.field: `status`"),
        "{e}"
    );
}

#[test]
fn a_rule_an_earlier_one_or_ignore_always_takes_first_is_an_error() {
    let base = r#"
format = "json"
time = { field = "t" }
action.event_field = "type"
[[action.rules]]
name = "login"
action = "authentication.login"
"#;
    let e = compile_err(&format!(
        "{base}[[action.rules]]\nnames = [\"logout\", \"login\"]\naction = \"session.sign_out\"\n"
    ));
    assert!(
        e.starts_with("profiles.myapp.action.rules[1]: event name `login` is already mapped"),
        "{e}"
    );
    let e = compile_err(&base.replace(
        "action.event_field = \"type\"",
        "action.event_field = \"type\"\nignore.events = [\"login\"]",
    ));
    assert!(
        e.starts_with("profiles.myapp.action.rules[0]: `login` is in `ignore.events`"),
        "{e}"
    );
}

//! The entry points that the fuzz targets call, shared with the stable smoke tests
//! (`crates/normalize/tests/hostile_input.rs` includes this file by path), so that a fuzz corpus
//! file replays through exactly the code the fuzzer ran.
//!
//! Every entry point takes raw bytes and must return without panicking, hanging or allocating
//! without bound; each also checks a few invariants of what the normalizer returns.

#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use auditlake_event::{AuditEvent, Flags, SourceInfo};
use auditlake_normalize::{LineContext, LineOutcome, Normalizer, ProfileConfig, builtin_profile};

/// 2026-11-23T12:00:00Z in UTC microseconds: the default time a line is read.
pub const OBSERVED: i64 = 1_795_435_200_000_000;

/// The most events one line may give (syslog's "message repeated N times" is capped).
pub const MAX_EVENTS_PER_LINE: usize = 10_000;

/// A JSON profile with every kind of key: lists of paths, static values, required columns,
/// exact, listed and pattern rules with their own fields, passthrough, ignore rules, a list of
/// changes and time fallbacks.
const KITCHEN_JSON: &str = r#"
format = "json"
required = ["actor_id"]
time = { field = ["ts", "time", "meta.when"], format = "rfc3339", timezone = "+02:00", missing = "observed", invalid = "observed" }
fields.actor_id = ["user.id", "user_id", "actor.0.id"]
fields.actor_email = "user.email"
fields.src_ip = ["context.ip", "ip"]
fields.event_id = "id"
fields.outcome = "result"
fields.resource_id = "changes.0.target"
fields.message = "msg"
static.actor_type = "user"
static.actor_id = "nobody"
action.event_field = ["type", "event.name"]
action.passthrough = true
action.missing = "ignore"
ignore.lines = ['"health":true']
ignore.events = ["HEARTBEAT"]
changes = { shape = "list", path = "changes" }
[[action.rules]]
name = "LOGIN"
action = "authentication.login"
fields.actor_id = "login.user"
[[action.rules]]
names = ["USER_ADDED", "USER_CREATED"]
action = "account.user.create"
set = { outcome = "success", resource_type = "user" }
[[action.rules]]
pattern = "^LOGIN_.*_FAILED$"
action = "authentication.login"
outcome = "failure"
reason = "bad credentials"
"#;

/// The same line shapes with each `changes` shape.
const CHANGES: &[&str] = &[
    r#"changes = { shape = "list", path = "changes" }"#,
    r#"changes = { shape = "list", path = "d.c", field_key = "attr", old_key = ["was", "old"], new_key = "is" }"#,
    r#"changes = { shape = "map", path = "changes" }"#,
    r#"changes = { shape = "map", path = "diff", old_key = "a", new_key = ["b", "c"] }"#,
    r#"changes = { shape = "before_after", before = "before", after = "after" }"#,
    r#"changes = { shape = "before_after", before = "p.0.before", after = "p.0.after" }"#,
    r#"changes = { shape = "flat", field = "field", old = "old", new = "new" }"#,
    r#"changes = { shape = "flat", name = "role", old = "changes.old", new = "changes.new" }"#,
];

const LOGFMT_CUSTOM: &str = r#"
format = "logfmt"
time = { field = ["ts", "time"], format = "epoch_auto", missing = "observed", invalid = "observed" }
fields.actor_id = ["user", "user.id"]
fields.outcome = "outcome"
fields.src_ip = "ip"
action.event_field = "event"
action.passthrough = true
changes = { shape = "flat", field = "field", old = "old", new = "new" }
[[action.rules]]
pattern = "(?i)^log(in|out)$"
action = "authentication.login"
"#;

const REGEX_CUSTOM: &str = r#"
format = "regex"
prefix = '^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<app>\w+)(?:\[\d+\])?: '
expand_repeated = true
time = { field = "time", format = "%Y-%m-%d %H:%M:%S", timezone = "-05:00", invalid = "observed" }
fields.actor_id = "user"
fields.src_ip = "ip"
[[patterns]]
pattern = 'login (?P<outcome>ok|failed) user=(?P<user>\S*)(?: ip=(?P<ip>\S+))?'
action = "authentication.login"
[[patterns]]
pattern = '(?P<event>[a-z_.]+)(?: (?P<rest>.*))?'
action = "system.other"
set = { severity = "info" }
"#;

/// The time formats every time value is tried against, with a timezone for some.
pub const TIME_FORMATS: &[(&str, Option<&str>)] = &[
    ("rfc3339", None),
    ("rfc3339", Some("-23:59")),
    ("epoch_s", None),
    ("epoch_ms", None),
    ("epoch_us", None),
    ("epoch_ns", None),
    ("epoch_auto", None),
    ("%b %e %H:%M:%S", None),
    ("%b %e %H:%M:%S", Some("+14:00")),
    ("%d/%b/%Y:%H:%M:%S %z", None),
    ("%Y-%m-%d %H:%M:%S%.f", Some("UTC+2")),
    ("%d.%m.%y %H:%M", None),
    ("%j %H:%M:%S", None),
    ("%s", None),
    ("%+", None),
    ("%a, %d %b %Y %H:%M:%S %z", None),
    ("%e %H:%M:%S %Z", None),
];

fn profile(toml_text: &str) -> ProfileConfig {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("a fuzz profile does not parse: {e}"))
}

fn compile(name: &str, p: &ProfileConfig) -> Normalizer {
    Normalizer::new(name, p).unwrap_or_else(|e| panic!("fuzz profile {name}: {e}"))
}

fn builtin(name: &str) -> Normalizer {
    compile(name, &builtin_profile(name).expect("a built-in profile"))
}

/// JSON profiles: the built-in ones and the kitchen sink.
pub static JSON_PROFILES: LazyLock<Vec<Normalizer>> = LazyLock::new(|| {
    vec![
        builtin("auditlake-json"),
        builtin("idp-json"),
        builtin("asset-json"),
        compile("kitchen", &profile(KITCHEN_JSON)),
    ]
});

/// The kitchen-sink JSON profile with each `changes` shape.
pub static CHANGES_PROFILES: LazyLock<Vec<Normalizer>> = LazyLock::new(|| {
    CHANGES
        .iter()
        .map(|c| {
            let text = KITCHEN_JSON.replace(r#"changes = { shape = "list", path = "changes" }"#, c);
            compile("changes", &profile(&text))
        })
        .collect()
});

pub static LOGFMT_PROFILES: LazyLock<Vec<Normalizer>> = LazyLock::new(|| {
    vec![
        builtin("logfmt-app"),
        compile("logfmt", &profile(LOGFMT_CUSTOM)),
    ]
});

pub static REGEX_PROFILES: LazyLock<Vec<Normalizer>> =
    LazyLock::new(|| vec![builtin("sshd"), compile("regex", &profile(REGEX_CUSTOM))]);

/// One JSON profile per time format: the time at `t`, the action passed through from `type`.
pub static TIME_PROFILES: LazyLock<Vec<Normalizer>> = LazyLock::new(|| {
    TIME_FORMATS
        .iter()
        .map(|(format, tz)| {
            let mut text = format!(
                "format = \"json\"\naction.event_field = \"type\"\naction.passthrough = true\n\
                 time.field = \"t\"\ntime.format = {}\n",
                toml::Value::from(*format)
            );
            if let Some(tz) = tz {
                text.push_str(&format!("time.timezone = \"{tz}\"\n"));
            }
            compile("time", &profile(&text))
        })
        .collect()
});

fn source() -> Arc<SourceInfo> {
    Arc::new(SourceInfo {
        app: "fuzz".to_owned(),
        file: Some("/var/log/fuzz.log".to_owned()),
        ..SourceInfo::default()
    })
}

/// The line as the agent hands it to the normalizer: UTF-8, or lossily converted and flagged.
fn text_of(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    }
}

/// Normalizes one line and checks what comes back.
pub fn normalize_line(n: &Normalizer, line: &[u8], observed: i64) -> Vec<AuditEvent> {
    let (text, invalid_utf8) = text_of(line);
    let src = source();
    let ctx = LineContext {
        source: &src,
        fingerprint: 0xfeed_f00d,
        offset: 4096,
        observed_time: observed,
        keep_raw: true,
        flags: Flags {
            invalid_utf8,
            ..Flags::default()
        },
    };
    let mut out = Vec::new();
    match n.normalize(&text, &ctx, &mut out) {
        Ok(LineOutcome::Events(k)) => {
            assert_eq!(k, out.len(), "the outcome counts the events pushed");
            assert!((1..=MAX_EVENTS_PER_LINE).contains(&k), "{k} events");
            for ev in &out {
                assert!(!ev.event_id.is_empty(), "an event without an id");
                assert!(!ev.action.is_empty(), "an event without an action");
            }
        }
        Ok(LineOutcome::Ignored) => assert!(out.is_empty(), "an ignored line pushed events"),
        Ok(LineOutcome::Records(t)) => {
            assert_eq!(t.events, out.len(), "the tally counts the events pushed");
        }
        Err(rejection) => {
            assert!(out.is_empty(), "a rejected line pushed events");
            assert!(
                rejection.reason.len() < 4096,
                "a rejection reason of {} bytes",
                rejection.reason.len()
            );
        }
    }
    out
}

/// The first byte picks one of `profiles`, the rest is the line.
fn pick(profiles: &[Normalizer], data: &[u8]) {
    let Some((&sel, line)) = data.split_first() else {
        return;
    };
    normalize_line(&profiles[usize::from(sel) % profiles.len()], line, OBSERVED);
}

/// A JSON line through a built-in JSON profile or the kitchen sink.
pub fn json_line(data: &[u8]) {
    pick(&JSON_PROFILES, data);
}

/// A JSON line through the kitchen sink with one of the `changes` shapes.
pub fn changes_line(data: &[u8]) {
    pick(&CHANGES_PROFILES, data);
}

/// A logfmt line.
pub fn logfmt_line(data: &[u8]) {
    pick(&LOGFMT_PROFILES, data);
}

/// A syslog-like line through a regex profile that expands "message repeated N times".
pub fn regex_line(data: &[u8]) {
    pick(&REGEX_PROFILES, data);
}

/// A time value: byte 0 picks the format, byte 1 how the value is written (bit 0: as a JSON
/// string or as raw JSON such as a number; bit 1: the next 8 bytes are the time the line was
/// read), the rest is the value.
pub fn time_value(data: &[u8]) {
    let [sel, mode, rest @ ..] = data else {
        return;
    };
    let n = &TIME_PROFILES[usize::from(*sel) % TIME_PROFILES.len()];
    let (observed, value) = match (mode & 2 != 0, rest) {
        (true, [a, b, c, d, e, f, g, h, value @ ..]) => {
            (i64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *h]), value)
        }
        _ => (OBSERVED, rest),
    };
    let (text, _) = text_of(value);
    let value = if mode & 1 == 0 {
        serde_json::Value::from(text.as_ref()).to_string()
    } else {
        text.into_owned()
    };
    let line = format!(r#"{{"type":"a.b","t":{value}}}"#);
    for ev in normalize_line(n, line.as_bytes(), observed) {
        assert!(
            chrono::DateTime::from_timestamp_micros(ev.time).is_some(),
            "time {} is outside the representable range",
            ev.time
        );
    }
}

/// Lines every profile a configuration compiles is tried on.
const SAMPLE_LINES: &[&str] = &[
    r#"{"time":"2026-11-20T08:02:11.120Z","action":"authentication.login","type":"LOGIN","user":{"id":"u1"},"changes":[{"field":"a","old":1,"new":2}]}"#,
    "time=2026-11-20T08:00:01.123Z level=info event=login user_id=u-1001 ip=203.0.113.5",
    "Nov 21 10:15:01 bastion sshd[1234]: message repeated 3 times: [ Failed password for root from 198.51.100.7 port 4242 ssh2]",
    "Nov 21 10:15:01 bastion sshd[1234]: Accepted password for alice from 203.0.113.5 port 52311 ssh2",
];

/// Configuration text: a `[profiles.NAME]` file (as under `config/profiles/`) or one bare
/// profile table. Every profile that compiles normalizes the sample lines.
pub fn profile_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut profiles: Vec<ProfileConfig> = Vec::new();
    #[derive(serde::Deserialize)]
    struct File {
        profiles: BTreeMap<String, ProfileConfig>,
    }
    if let Ok(file) = toml::from_str::<File>(text) {
        profiles.extend(file.profiles.into_values());
    }
    if let Ok(p) = toml::from_str::<ProfileConfig>(text) {
        profiles.push(p);
    }
    for p in &profiles {
        let Ok(n) = Normalizer::new("fuzz", p) else {
            continue;
        };
        for line in SAMPLE_LINES {
            normalize_line(&n, line.as_bytes(), OBSERVED);
        }
    }
}

use super::*;

fn args(profile: &str, lines: u64) -> GenSpec {
    GenSpec {
        profile: profile.into(),
        lines: Some(lines),
        users: 300,
        ips: 2000,
        days: 3,
        ..GenSpec::default()
    }
}

fn run(a: &GenSpec) -> (Vec<u8>, GenStats) {
    let o = Generator::new(a).unwrap();
    let mut out = Vec::new();
    let st = generate(&o, &mut out).unwrap();
    (out, st)
}

fn text_lines(out: &[u8]) -> Vec<&str> {
    std::str::from_utf8(out).unwrap().lines().collect()
}

#[test]
fn writes_exactly_the_lines_asked_for_and_counts_them() {
    for p in Profile::ALL {
        for n in [1, 7, 5000] {
            let (out, st) = run(&args(p.name(), n));
            let lines = text_lines(&out);
            assert_eq!(lines.len() as u64, n, "{}", p.name());
            assert_eq!(st.lines, n);
            assert_eq!(st.bytes, out.len() as u64);
            assert!(out.ends_with(b"\n"));
            assert!(lines.iter().all(|l| !l.is_empty()));
            // Each line is noise or holds at least one event.
            assert!(st.ignored <= n && st.events >= n - st.ignored, "{st:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for p in Profile::ALL {
        let a = args(p.name(), 3000);
        assert_eq!(run(&a).0, run(&a).0, "{}", p.name());
        let mut b = a.clone();
        b.seed = 8;
        assert_ne!(run(&a).0, run(&b).0, "{}", p.name());
    }
}

#[test]
fn json_lines_parse_and_carry_their_profile_fields() {
    let keys: [(&str, &[&str]); 3] = [
        (
            "auditlake-json",
            &["id", "time", "action", "outcome", "actor", "src_ip"],
        ),
        ("idp-json", &["id", "seq", "type", "context", "payload"]),
        ("asset-json", &["ts", "event", "company", "user", "ip"]),
    ];
    for (profile, want) in keys {
        let (out, st) = run(&args(profile, 20_000));
        let mut ids = std::collections::HashSet::new();
        for l in text_lines(&out) {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{profile}: {e}: {l}"));
            for k in want {
                assert!(v.get(k).is_some(), "{profile}: no {k} in {l}");
            }
            if let Some(id) = v.get("id") {
                assert!(ids.insert(id.as_str().unwrap().to_string()), "{l}");
            }
        }
        assert_eq!(st.events, 20_000, "{profile}");
        assert_eq!(st.ignored, 0, "{profile}");
    }
}

#[test]
fn the_default_mix_looks_like_an_application() {
    let (out, _) = run(&args("auditlake-json", 50_000));
    let mut per_action = std::collections::HashMap::<String, u32>::new();
    let mut failed_logins = 0;
    for l in text_lines(&out) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let a = v["action"].as_str().unwrap().to_string();
        if a == "authentication.login" && v["outcome"] == "failure" {
            failed_logins += 1;
        }
        *per_action.entry(a).or_default() += 1;
    }
    let n = |a: &str| per_action.get(a).copied().unwrap_or(0);
    let top = per_action.iter().max_by_key(|e| e.1).unwrap().0;
    assert_eq!(top, "authentication.login", "{per_action:?}");
    for a in [
        "authentication.mfa.totp",
        "resource.update",
        "data.export",
        "credential.use",
        "account.lock",
        "authentication.login_id",
        "session.sign_out",
    ] {
        assert!(n(a) > 0, "no {a}: {per_action:?}");
    }
    assert!(
        n("resource.update") > 5 * n("data.export"),
        "{per_action:?}"
    );
    // Failures: the failure rate of ordinary logins plus the bursts.
    let share = failed_logins as f64 / n("authentication.login") as f64;
    assert!((0.05..0.25).contains(&share), "{share}");
}

#[test]
fn lockouts_follow_bursts_of_failures_from_one_address() {
    let mut a = args("auditlake-json", 3000);
    a.mix = vec!["none".into(), "login=5".into(), "burst=1".into()];
    let (out, _) = run(&a);
    let events: Vec<serde_json::Value> = text_lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut locks = 0;
    for (i, e) in events.iter().enumerate() {
        if e["action"] == "account.lock" {
            locks += 1;
            let actor = &e["actor"]["id"];
            let reason = e["reason"].as_str().unwrap();
            let n: usize = reason.split(' ').next().unwrap().parse().unwrap();
            assert!(n >= 5, "{e}");
            // The n lines before are the failures: same account, same address.
            assert!(
                events[i - n..i]
                    .iter()
                    .all(|p| p["action"] == "authentication.login"
                        && p["outcome"] == "failure"
                        && &p["actor"]["id"] == actor
                        && p["src_ip"] == e["src_ip"]),
                "{e}"
            );
        }
    }
    assert!(locks > 10, "{locks}");
}

#[test]
fn changes_and_credentials_are_written_in_each_format() {
    let (out, _) = run(&args("auditlake-json", 20_000));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"changes\":[{\"field\":\"status\",\"old\":\"draft\""));
    assert!(text.contains("\"credential\":{\"id\":\"cred-"));
    let (out, _) = run(&args("idp-json", 20_000));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"before\":{\"role\":"));
    assert!(text.contains("\"type\":\"USER_LOCKED\""));
    assert!(text.contains("\"type\":\"SECURITY_KEY_USED\""));
    let (out, _) = run(&args("asset-json", 20_000));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"changes\":{\"status\":{\"from\":"));
    assert!(text.contains("\"result\":\"denied\""));
}

#[test]
fn sshd_and_logfmt_mix_events_and_noise() {
    let (out, st) = run(&args("sshd", 20_000));
    let lines = text_lines(&out);
    let months = ["Nov ", "Dec "];
    assert!(
        lines
            .iter()
            .all(|l| months.iter().any(|m| l.starts_with(m)))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("]: Accepted publickey for "))
    );
    assert!(lines.iter().any(|l| l.contains("]: message repeated ")));
    assert!(lines.iter().any(|l| l.contains(" CRON[")));
    assert!(st.ignored > 1000 && st.ignored < 10_000, "{st:?}");
    // "message repeated N times" lines make N events.
    assert!(st.events > st.lines - st.ignored, "{st:?}");

    let (out, st) = run(&args("logfmt-app", 20_000));
    let lines = text_lines(&out);
    assert!(lines.iter().all(|l| l.starts_with("time=2026-11-0")));
    let audit = lines
        .iter()
        .filter(|l| l.contains(" event=") && !l.contains("event=healthcheck"));
    assert_eq!(audit.count() as u64, st.events);
    assert_eq!(st.events + st.ignored, 20_000);
}

#[test]
fn line_size_pads_through_a_text_field() {
    for (profile, size) in [
        ("auditlake-json", 1000),
        ("idp-json", 1500),
        ("asset-json", 800),
        ("logfmt-app", 600),
    ] {
        let mut a = args(profile, 2000);
        a.line_size = Some(size);
        let (out, st) = run(&a);
        for l in text_lines(&out) {
            // Lines shorter than the size are padded to it exactly; none is longer here.
            assert_eq!(l.len() + 1, size, "{profile}: {l}");
            if profile.ends_with("json") {
                serde_json::from_str::<serde_json::Value>(l).unwrap();
            }
        }
        assert_eq!(st.bytes, 2000 * size as u64);
    }
    // A size below the natural one leaves lines as they are.
    let mut a = args("auditlake-json", 500);
    a.line_size = Some(10);
    assert_eq!(run(&a).0, run(&args("auditlake-json", 500)).0);
}

#[test]
fn times_span_the_days_from_the_start() {
    let mut a = args("auditlake-json", 10_000);
    a.days = 30;
    a.start = "2026-10-01T00:00:00Z".into();
    let (_, st) = run(&a);
    let start = 1_790_812_800_000_000; // 2026-10-01
    let (first, last) = (st.first_time_us.unwrap(), st.last_time_us.unwrap());
    assert!(first >= start && first < start + 86_400_000_000);
    assert!(last < start + 30 * 86_400_000_000 && last > start + 29 * 86_400_000_000);
}

#[test]
fn options_are_checked() {
    let err = |a: GenSpec| Generator::new(&a).unwrap_err().to_string();
    let mut a = args("nginx", 1);
    assert!(err(a.clone()).contains("idp-json"));
    a = args("sshd", 1);
    a.start = "yesterday".into();
    assert!(err(a.clone()).starts_with("start:"));
    a = args("sshd", 1);
    a.failure_rate = 1.5;
    assert!(err(a.clone()).starts_with("failure-rate:"));
    a = args("sshd", 1);
    a.lines = None;
    a.rate = Some(100);
    assert!(err(a.clone()).contains("duration"));
    a = args("sshd", 1);
    a.duration = Some(3.0);
    assert!(err(a.clone()).starts_with("duration:"));
    a = args("asset-json", 1);
    a.mix = vec!["login=1".into()];
    assert!(err(a).contains("asset-json"));
}

#[test]
fn live_mode_times_lines_by_the_wall_clock() {
    let mut a = args("auditlake-json", 50);
    a.rate = Some(1000);
    let o = Generator::new(&a).unwrap();
    let before = chrono::Utc::now().timestamp_micros();
    let mut out = Vec::new();
    let st = generate_live(&o, &mut out).unwrap();
    let after = chrono::Utc::now().timestamp_micros();
    assert_eq!(st.lines, 50);
    assert_eq!(text_lines(&out).len(), 50);
    let (first, last) = (st.first_time_us.unwrap(), st.last_time_us.unwrap());
    assert!(before <= first && first <= last && last <= after);
}

#[test]
fn live_mode_writes_no_line_timed_in_the_future() {
    // A burst's attempts are spread over seconds in batch mode; a live writer writes each line
    // when it happens, so none may carry a later time than the moment it was written.
    let mut a = args("auditlake-json", 200);
    a.mix = vec!["none".into(), "burst=1".into()];
    a.rate = Some(10_000);
    let o = Generator::new(&a).unwrap();
    let mut out = Vec::new();
    generate_live(&o, &mut out).unwrap();
    let after = chrono::Utc::now();
    let times: Vec<chrono::DateTime<chrono::Utc>> = text_lines(&out)
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["time"].as_str().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(times.len(), 200);
    assert!(times.iter().all(|t| *t <= after), "{times:?} after {after}");
    // In batch mode the same mix does spread attempts over time.
    a.rate = None;
    let (batch, _) = run(&a);
    let first: Vec<&str> = text_lines(&batch)
        .iter()
        .take(2)
        .map(|l| l.split("\"time\":\"").nth(1).unwrap().get(..23).unwrap())
        .collect();
    assert_ne!(first[0], first[1], "{first:?}");
}

#[test]
fn every_line_normalizes_under_its_profile_without_a_dead_letter() {
    use std::sync::Arc;

    use auditlake_event::{Flags, SourceInfo};
    use auditlake_normalize::{LineContext, LineOutcome, Normalizer, builtin_profile};

    for name in profile_names() {
        let profile = builtin_profile(name).expect("a built-in profile of the same name");
        let normalizer = Normalizer::new(name, &profile).unwrap();
        let mut a = args(name, 20_000);
        a.mix = Vec::new();
        let (out, st) = run(&a);
        let source = Arc::new(SourceInfo {
            app: name.into(),
            ..SourceInfo::default()
        });
        let (mut events, mut ignored, mut offset) = (0u64, 0u64, 0u64);
        let mut sink = Vec::new();
        for line in text_lines(&out) {
            let ctx = LineContext {
                source: &source,
                fingerprint: 1,
                offset,
                observed_time: 0,
                keep_raw: false,
                flags: Flags::default(),
            };
            sink.clear();
            match normalizer.normalize(line, &ctx, &mut sink) {
                Ok(LineOutcome::Events(n)) => events += n as u64,
                Ok(LineOutcome::Ignored) => ignored += 1,
                Ok(other) => panic!("{name}: line at byte {offset}: {other:?}"),
                Err(r) => panic!("{name}: line at byte {offset} dead-lettered ({r}): {line}"),
            }
            offset += line.len() as u64 + 1;
        }
        // The generator's own count of events and noise agrees with the profile's.
        assert_eq!((events, ignored), (st.events, st.ignored), "{name}");
    }
}

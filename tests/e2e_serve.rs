//! `auditlake serve` as a client sees it: sign-in with service tokens and with JWTs of an OIDC
//! provider of our own, each role's view (a user never receives another person's event, by any
//! filter, cursor, report or export), cursor pages while objects arrive, and every read
//! recorded in the archive.

mod util;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};

use util::serve::{ALICE_IDS, AUDIENCE, Fixture, HOSTILE, ISSUER, Provider};
use util::{auditlake, run_ok};

const ALICE_EMAIL: &str = "alice@example.com";

fn fixture() -> (tempfile::TempDir, Fixture) {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(dir.path());
    (dir, f)
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn is_alices(e: &Value) -> bool {
    ALICE_IDS.contains(&e["actor_id"].as_str().unwrap_or_default())
        || e["actor_email"].as_str() == Some(ALICE_EMAIL)
}

fn ids(events: &[Value]) -> BTreeSet<String> {
    events.iter().map(|e| s(e, "event_id")).collect()
}

#[test]
fn tokens_that_do_not_check_out_are_refused() {
    let (_d, f) = fixture();
    let server = f.start();
    let p = &f.provider;
    let me = "/api/v1/me";
    for token in [None, Some("nope"), Some("alk_0000")] {
        let a = server.get(me, token);
        assert_eq!(
            a.status,
            401,
            "{token:?}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert!(a.headers.contains_key("www-authenticate"));
    }
    // Both of the provider's keys sign in; a claim value maps to a role.
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let t = p.sign(alg, &Provider::claims("auditor-1", &["auditlake-auditors"]));
        let me = server.json(me, &t);
        assert_eq!(me["role"], "auditor", "{alg:?}");
        assert_eq!(me["subject"], "auditor-1");
    }
    let claims = Provider::claims("mallory", &["auditor"]);
    let with = |patch: Value| {
        let mut c = claims.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let now = chrono::Utc::now().timestamp();
    let valid = p.sign(Algorithm::ES256, &claims);
    let parts: Vec<&str> = valid.split('.').collect();
    let hmac = |secret: &[u8]| {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("ec-1".into());
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(secret)).unwrap()
    };
    let mut other_kid = Header::new(Algorithm::ES256);
    other_kid.kid = Some("ed-1".into());
    let refused: Vec<(&str, String)> = vec![
        (
            "expired",
            p.sign(Algorithm::ES256, &with(json!({"exp": now - 3600}))),
        ),
        (
            "wrong issuer",
            p.sign(
                Algorithm::ES256,
                &with(json!({"iss": "https://evil.test/"})),
            ),
        ),
        (
            "wrong audience",
            p.sign(Algorithm::ES256, &with(json!({"aud": "another-app"}))),
        ),
        (
            "no expiry",
            p.sign(Algorithm::ES256, &with(json!({"exp": null}))),
        ),
        (
            "no subject",
            p.sign(Algorithm::ES256, &with(json!({"sub": null}))),
        ),
        (
            "not yet valid",
            p.sign(Algorithm::EdDSA, &with(json!({"nbf": now + 3600}))),
        ),
        (
            "unsigned (alg none)",
            format!(
                "{}.{}.",
                B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
                B64.encode(claims.to_string())
            ),
        ),
        (
            "HS256 keyed with the provider's public key",
            hmac(&p.public_bytes()),
        ),
        (
            "HS256 keyed with the JWKS text",
            hmac(p.jwks().to_string().as_bytes()),
        ),
        (
            "payload swapped under a valid signature",
            format!(
                "{}.{}.{}",
                parts[0],
                B64.encode(with(json!({"sub": "someone-else"})).to_string()),
                parts[2]
            ),
        ),
        ("signature cut", format!("{}.{}.", parts[0], parts[1])),
        (
            "signed by a key the provider does not publish",
            Provider::new().sign(Algorithm::ES256, &claims),
        ),
        (
            "an ES256 token naming the Ed25519 key",
            jsonwebtoken::encode(
                &other_kid,
                &claims,
                &EncodingKey::from_ec_der(
                    &rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                        .unwrap()
                        .serialize_der(),
                ),
            )
            .unwrap(),
        ),
    ];
    for (what, token) in &refused {
        for path in [me, "/api/v1/events", "/api/v1/export?format=csv"] {
            let a = server.get(path, Some(token));
            assert_eq!(
                a.status,
                401,
                "{what} on {path}: {}",
                String::from_utf8_lossy(&a.body)
            );
        }
    }
    // Valid, but granting nothing: refused with 403.
    for (what, c) in [
        ("no role", with(json!({"roles": null}))),
        ("an unknown role", with(json!({"roles": ["superuser"]}))),
        ("an admin with no tenant", with(json!({"roles": ["admin"]}))),
    ] {
        let a = server.get(me, Some(&p.sign(Algorithm::EdDSA, &c)));
        assert_eq!(
            a.status,
            403,
            "{what}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
    // A person signed in as a user: their e-mail maps to every id of theirs.
    let t = p.sign(
        Algorithm::ES256,
        &with(json!({"sub": "00u-alice", "email": ALICE_EMAIL, "roles": ["user"]})),
    );
    let me = server.json(me, &t);
    assert_eq!(me["role"], "user");
    let got: BTreeSet<&str> = me["actor_ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in ALICE_IDS {
        assert!(got.contains(id), "{id} missing from {got:?}");
    }
    // A service token's table: every response carries the security headers.
    let a = server.get("/", None);
    assert_eq!(a.status, 200);
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(a.headers["x-content-type-options"], "nosniff");
    let text = server.get("/metrics", None);
    assert!(
        String::from_utf8_lossy(&text.body).contains("auditlake_serve_auth_failures_total"),
        "metrics"
    );
}

/// One generated read: a filter, an endpoint and its options.
#[derive(Debug, Clone)]
struct Probe {
    filters: Vec<(&'static str, String)>,
    endpoint: Endpoint,
}

#[derive(Debug, Clone)]
enum Endpoint {
    Events { limit: usize },
    Report(&'static str),
    Export(&'static str),
}

fn probes(others: Vec<String>) -> impl Strategy<Value = Probe> {
    let mut actors: Vec<String> = ALICE_IDS.iter().map(|s| s.to_string()).collect();
    actors.extend(others.into_iter().take(12));
    actors.push(HOSTILE.to_string());
    let filter = prop_oneof![
        proptest::sample::select(actors).prop_map(|a| ("actor", a)),
        proptest::sample::select(vec![
            "authentication.*",
            "account.*",
            "session.*",
            "resource.*",
            "credential.*",
            "data.export",
            "*",
        ])
        .prop_map(|a| ("action", a.to_string())),
        proptest::sample::select(vec!["success", "failure", "unknown"])
            .prop_map(|o| ("outcome", o.to_string())),
        proptest::sample::select(vec![
            "203.0.113.0/24",
            "198.51.100.7",
            "192.0.2.0/24",
            "10.0.0.0/8"
        ])
        .prop_map(|i| ("ip", i.to_string())),
        proptest::sample::select(vec!["a", "alice", "u-", "<script", "example.com", "gina"])
            .prop_map(|t| ("text", t.to_string())),
        proptest::sample::select(vec!["2026-11-21", "2026-11-01", "400d"])
            .prop_map(|t| ("since", t.to_string())),
        proptest::sample::select(vec!["acme", "globex"]).prop_map(|t| ("tenant", t.to_string())),
    ];
    let endpoint = prop_oneof![
        (1usize..25).prop_map(|limit| Endpoint::Events { limit }),
        proptest::sample::select(vec![
            "last-login",
            "failed-logins",
            "activity",
            "heatmap",
            "timeline",
            "changes",
            "credential",
            "subject",
        ])
        .prop_map(Endpoint::Report),
        proptest::sample::select(vec!["csv", "jsonl", "json"]).prop_map(Endpoint::Export),
    ];
    (proptest::collection::vec(filter, 0..3), endpoint)
        .prop_map(|(filters, endpoint)| Probe { filters, endpoint })
}

fn query_of(filters: &[(&str, String)]) -> String {
    // A filter that takes one value is given once.
    let mut single = BTreeSet::new();
    filters
        .iter()
        .filter(|(k, _)| !["text", "since", "tenant"].contains(k) || single.insert(*k))
        .map(|(k, v)| format!("{k}={}", util::serve::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The events of an export, by format.
fn exported(format: &str, body: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(body);
    match format {
        "jsonl" => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        "json" => serde_json::from_str::<Vec<Value>>(&text).unwrap_or_default(),
        _ => {
            // CSV: the event_id, actor_id and actor_email columns are enough to check whose
            // events they are (the test's values hold no commas or quotes).
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
            let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
            let (id, actor, email) = (col("event_id"), col("actor_id"), col("actor_email"));
            let mut out = Vec::new();
            for l in lines {
                let cells = split_csv(l);
                out.push(json!({
                    "event_id": cells.get(id),
                    "actor_id": cells.get(actor),
                    "actor_email": cells.get(email).filter(|s| !s.is_empty()),
                }));
            }
            out
        }
    }
}

/// Splits one CSV line (RFC 4180 quoting, no newlines in fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[test]
fn a_user_never_receives_another_persons_event() {
    let (_d, f) = fixture();
    let server = f.start();
    let auditor = &f.tokens.auditor;
    let everything = server.all_events("", 500, auditor);
    assert!(everything.len() > 100, "{} events", everything.len());
    let own: Vec<&Value> = everything.iter().filter(|e| is_alices(e)).collect();
    assert!(own.len() >= 10, "alice has {} events", own.len());
    // What names a person in a report row: every actor id, name and e-mail of the archive.
    let mut own_names: BTreeSet<String> = ALICE_IDS.iter().map(|s| s.to_string()).collect();
    for e in &own {
        for k in ["actor_id", "actor_name", "actor_email"] {
            own_names.extend(e[k].as_str().map(str::to_string));
        }
    }
    let others: Vec<String> = everything
        .iter()
        .filter(|e| !is_alices(e))
        .flat_map(|e| ["actor_id", "actor_email"].map(|k| s(e, k)))
        .filter(|v| !v.is_empty() && !own_names.contains(v))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(others.len() > 5, "{others:?}");
    let oidc_alice = f.provider.sign(
        Algorithm::EdDSA,
        &json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "00u-alice", "email": ALICE_EMAIL,
                "roles": ["user"], "exp": chrono::Utc::now().timestamp() + 3600}),
    );
    let users = [f.tokens.alice.clone(), oidc_alice];
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 28,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let seen = std::cell::RefCell::new(BTreeMap::<&str, usize>::new());
    runner
        .run(&probes(others), |probe| {
            let q = query_of(&probe.filters);
            for user in &users {
                match &probe.endpoint {
                    Endpoint::Events { limit } => {
                        *seen.borrow_mut().entry("events").or_default() += 1;
                        let got = server.all_events(&q, *limit, user);
                        let want: Vec<Value> = server
                            .all_events(&q, 500, auditor)
                            .into_iter()
                            .filter(is_alices)
                            .collect();
                        for e in &got {
                            prop_assert!(is_alices(e), "{q}: another person's event {e}");
                        }
                        prop_assert_eq!(ids(&got), ids(&want), "{}: own events lost", q);
                        prop_assert_eq!(got.len(), want.len(), "{}: an event twice", q);
                    }
                    Endpoint::Export(format) => {
                        *seen.borrow_mut().entry("export").or_default() += 1;
                        let a =
                            server.get(&format!("/api/v1/export?format={format}&{q}"), Some(user));
                        prop_assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
                        let got = exported(format, &a.body);
                        for e in &got {
                            prop_assert!(is_alices(e), "{format} {q}: another person's event {e}");
                        }
                        let want: Vec<Value> = server
                            .all_events(&q, 500, auditor)
                            .into_iter()
                            .filter(is_alices)
                            .collect();
                        prop_assert_eq!(ids(&got), ids(&want), "{} {}: own events lost", format, q);
                    }
                    Endpoint::Report(name) => {
                        *seen.borrow_mut().entry("report").or_default() += 1;
                        let extra = match *name {
                            "timeline" => "actor=u-1001".to_string(),
                            "changes" => "resource=document:gx-1".to_string(),
                            "credential" => "credential=cred-yubi-01".to_string(),
                            "failed-logins" => "by=actor&threshold=1".to_string(),
                            // Someone else's subject request finds none of their events.
                            "subject" => "actor=u-1002".to_string(),
                            _ => String::new(),
                        };
                        let path = format!("/api/v1/reports/{name}?{extra}&{q}");
                        let a = server.get(&path, Some(user));
                        if a.status == 400 {
                            // Two actors for a one-actor report, say: refused as the CLI would.
                            continue;
                        }
                        if *name == "subject" {
                            prop_assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
                            let doc = a.json();
                            for e in doc["events"].as_array().unwrap() {
                                prop_assert!(
                                    is_alices(e),
                                    "{}: another person's event {}",
                                    path,
                                    e
                                );
                            }
                            continue;
                        }
                        prop_assert_eq!(
                            a.status,
                            200,
                            "{}: {}",
                            path,
                            String::from_utf8_lossy(&a.body)
                        );
                        let r = a.json();
                        let columns: Vec<String> = r["columns"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c.as_str().unwrap().to_string())
                            .collect();
                        for row in r["rows"].as_array().unwrap() {
                            for (c, v) in columns.iter().zip(row.as_array().unwrap()) {
                                if [
                                    "user",
                                    "actor",
                                    "actor_id",
                                    "actor_email",
                                    "actor_name",
                                    "by",
                                ]
                                .contains(&c.as_str())
                                    && let Some(v) = v.as_str()
                                {
                                    prop_assert!(
                                        own_names.contains(v),
                                        "{}: column {} names {:?}, not alice",
                                        path,
                                        c,
                                        v
                                    );
                                }
                            }
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    assert!(
        seen.len() == 3,
        "every kind of endpoint was probed: {seen:?}"
    );
    // A user cannot widen their scope through the request.
    let a = server.get("/api/v1/events?scope=x", Some(&f.tokens.alice));
    assert_eq!(a.status, 400);
    assert!(String::from_utf8_lossy(&a.body).contains("scope"));
}

#[test]
fn who_is_who_is_learned_and_an_ambiguous_id_joins_no_one() {
    let (_d, f) = fixture();
    let server = f.start();
    let auditor = &f.tokens.auditor;
    let map = server.json("/api/v1/people", auditor);
    let ambiguous = map["ambiguous"].as_array().unwrap();
    let claimed = |alias: &str| -> BTreeSet<String> {
        ambiguous
            .iter()
            .find(|a| a["alias"] == alias)
            .unwrap_or_else(|| panic!("{alias} is not listed as ambiguous: {map}"))["claimed_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    // Alice's e-mail on a service account's event, and an account named `alice`.
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(claimed("alice@example.com"), set(&["u-1001", "svc-export"]));
    assert_eq!(claimed("alice"), set(&["u-1001", "mallory-1"]));
    // Bob is configured nowhere: the billing service's events carry u-1002 with `bob`.
    let bob = map["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "u-1002")
        .unwrap_or_else(|| panic!("{map}"));
    assert_eq!(bob["configured"], false);
    assert!(
        bob["ids"].as_array().unwrap().contains(&json!("bob")),
        "{bob}"
    );
    let by_person = server.all_events("person=u-1002", 500, auditor);
    let sources: BTreeSet<String> = by_person.iter().map(|e| s(e, "source")).collect();
    assert!(
        sources.contains("sshd") && sources.contains("billing"),
        "{sources:?}"
    );
    assert!(
        by_person
            .iter()
            .all(|e| ["u-1002", "bob"].contains(&s(e, "actor_id").as_str())
                || s(e, "actor_email") == "bob@example.com")
    );
    // The account named alice sees its own events only, and is not Alice.
    let mallory = f.provider.sign(
        Algorithm::ES256,
        &util::serve::Provider::claims("mallory-1", &["user"]),
    );
    assert_eq!(
        server.json("/api/v1/me", &mallory)["actor_ids"],
        json!(["mallory-1"])
    );
    let own = server.all_events("", 100, &mallory);
    assert_eq!(ids(&own), BTreeSet::from(["x-mallory-1".to_string()]));
    // Alice sees who she is, with the ids not joined to her and why; not who others are.
    let alice = &f.tokens.alice;
    let me = server.json("/api/v1/people/u-1001", alice);
    assert_eq!(me["person"]["configured"], true);
    let not_joined: BTreeSet<&str> = me["ambiguous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alias"].as_str().unwrap())
        .collect();
    assert_eq!(not_joined, BTreeSet::from(["alice", "alice@example.com"]));
    for (path, token) in [
        ("/api/v1/people/u-1002", alice),
        ("/api/v1/people", alice),
        ("/api/v1/people", &f.tokens.acme_admin),
        ("/api/v1/people/mallory-1", &mallory),
    ] {
        let status = server.get(path, Some(token)).status;
        let want = if path.ends_with("mallory-1") {
            200
        } else {
            403
        };
        assert_eq!(status, want, "{path}");
    }
    // Users: a row per person; the ids that joined no one keep their own rows.
    let r = server.json("/api/v1/reports/last-login", auditor);
    let rows = r["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|row| row[0].as_str().unwrap()).collect();
    assert!(
        !keys.contains(&"bob") && keys.contains(&"u-1002"),
        "{keys:?}"
    );
    assert!(keys.contains(&"mallory-1"), "{keys:?}");
    assert_eq!(r["columns"][3], "ids");
}

#[test]
fn a_tenant_admin_sees_only_its_tenant() {
    let (_d, f) = fixture();
    let server = f.start();
    let globex = server.all_events("", 100, &f.tokens.globex_admin);
    let names: BTreeSet<String> = globex.iter().map(|e| s(e, "event_id")).collect();
    assert_eq!(
        names,
        BTreeSet::from(["x-globex-1".to_string(), "x-globex-2".to_string()])
    );
    let acme = server.all_events("", 500, &f.tokens.acme_admin);
    assert!(acme.len() >= 29, "{} acme events", acme.len());
    assert!(
        acme.iter().all(|e| e["tenant"] == "acme"),
        "an event of another tenant"
    );
    // Asking for the other tenant finds nothing.
    assert!(
        server
            .all_events("tenant=globex", 100, &f.tokens.acme_admin)
            .is_empty()
    );
    let r = server.json("/api/v1/reports/last-login", &f.tokens.globex_admin);
    let users: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["g-7"], "{r}");
    let a = server.get("/api/v1/export?format=jsonl", Some(&f.tokens.globex_admin));
    assert_eq!(exported("jsonl", &a.body).len(), 2);
}

#[test]
fn pages_are_stable_while_objects_arrive() {
    let (d, f) = fixture();
    let server = f.start();
    let token = &f.tokens.auditor;
    let before = server.all_events("", 500, token);
    let page = |cursor: Option<&str>| {
        let path = match cursor {
            Some(c) => format!("/api/v1/events?limit=7&cursor={c}"),
            None => "/api/v1/events?limit=7".to_string(),
        };
        server.json(&path, token)
    };
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..3 {
        let p = page(cursor.as_deref());
        got.extend(p["events"].as_array().unwrap().iter().cloned());
        cursor = p["next_cursor"].as_str().map(str::to_string);
    }
    let cut = got.last().unwrap()["time"].as_str().unwrap().to_string();
    // New objects arrive: events newer than every page read, older than the cursor, and at the
    // cursor's very instant.
    let newer = r#"{"id":"y-new","time":"2026-12-01T00:00:00Z","action":"authentication.login","outcome":"success","actor":{"id":"late"}}"#;
    let older = r#"{"id":"y-old","time":"2026-10-01T00:00:00Z","action":"authentication.login","outcome":"success","actor":{"id":"late"}}"#;
    let same = format!(
        r#"{{"id":"y-same","time":"{cut}","action":"authentication.login","outcome":"success","actor":{{"id":"late"}}}}"#
    );
    std::fs::write(
        d.path().join("extra.jsonl"),
        std::fs::read_to_string(d.path().join("extra.jsonl")).unwrap()
            + &format!("{newer}\n{older}\n{same}\n"),
    )
    .unwrap();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&f.config),
    );
    while let Some(c) = cursor {
        let p = page(Some(&c));
        got.extend(p["events"].as_array().unwrap().iter().cloned());
        cursor = p["next_cursor"].as_str().map(str::to_string);
    }
    let order: Vec<(chrono::DateTime<chrono::Utc>, String)> = got
        .iter()
        .map(|e| (s(e, "time").parse().unwrap(), s(e, "event_id")))
        .collect();
    for w in order.windows(2) {
        assert!(
            w[0] > w[1],
            "pages are newest first with no event twice: {w:?}"
        );
    }
    let got_ids = ids(&got);
    assert!(ids(&before).is_subset(&got_ids), "an event was skipped");
    assert!(
        !got_ids.contains("y-new"),
        "an event newer than the pages read came in"
    );
    assert!(
        got_ids.contains("y-old"),
        "an older event that arrived is in its place"
    );
    // At the cursor's instant, an id ordered before the cursor's own is a page already read.
    let last_read = &order[20].1;
    assert_eq!(
        got_ids.contains("y-same"),
        "y-same" < last_read.as_str(),
        "{last_read}"
    );
    // A cursor that is not one is refused, naming the parameter.
    let a = server.get("/api/v1/events?cursor=zzz", Some(token));
    assert_eq!(a.status, 400);
    assert!(String::from_utf8_lossy(&a.body).contains("cursor"));
    let a = server.get("/api/v1/events?actr=u-1001", Some(token));
    assert_eq!(a.status, 400);
    assert!(String::from_utf8_lossy(&a.body).contains("actr"));
}

#[test]
fn every_read_is_recorded_in_the_archive() {
    let (_d, f) = fixture();
    let server = f.start();
    let page = server.json("/api/v1/events?actor=u-1001&limit=3", &f.tokens.alice);
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    let report = server.json("/api/v1/reports/last-login", &f.tokens.acme_admin);
    let report_rows = report["rows"].as_array().unwrap().len() as u64;
    let csv = server.get(
        &format!(
            "/api/v1/export?format=csv&actor={}",
            util::serve::encode(HOSTILE)
        ),
        Some(&f.tokens.auditor),
    );
    assert_eq!(csv.status, 200);
    let csv_text = String::from_utf8(csv.body.clone()).unwrap();
    // A formula typed into a log is text in a spreadsheet; markup and escapes stay as typed.
    assert!(csv_text.contains("'=HYPERLINK"), "{csv_text}");
    assert!(csv_text.contains("<script>"), "{csv_text}");
    assert_eq!(
        csv.headers["content-disposition"],
        "attachment; filename=\"auditlake-export.csv\""
    );
    // Refused requests read nothing and are not reads.
    assert_eq!(server.get("/api/v1/events", Some("nope")).status, 401);
    let log = server.stop();
    assert!(log.contains("reads archived"), "{log}");
    let out = run_ok(
        auditlake()
            .args([
                "query",
                "--action",
                "audit.log.*",
                "--order",
                "asc",
                "--format",
                "jsonl",
                "--config",
            ])
            .arg(&f.config),
    );
    let reads: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reads.len(), 3, "{reads:#?}");
    let attrs =
        |e: &Value| -> Value { serde_json::from_str(e["attributes"].as_str().unwrap()).unwrap() };
    let (view, admin, export) = (&reads[0], &reads[1], &reads[2]);
    assert_eq!(view["action"], "audit.log.view");
    assert_eq!(view["actor_id"], "alice-svc");
    assert_eq!(view["src_ip"], "127.0.0.1");
    assert_eq!(view["resource_id"], "/api/v1/events");
    let a = attrs(view);
    assert_eq!(a["role"], "user");
    assert_eq!(a["rows"], 3);
    assert_eq!(a["filter"]["actors"], json!(["u-1001"]));
    // The configured ids and Alice's display name, learned from her own events.
    assert_eq!(
        a["filter"]["scope"]["actor_ids"],
        json!(["Alice Martin", "alice", "alice@example.com", "u-1001"]),
        "the scope the role added is recorded: {a}"
    );
    assert_eq!(admin["resource_id"], "/api/v1/reports/last-login");
    assert_eq!(admin["tenant"], "acme");
    assert_eq!(attrs(admin)["rows"], report_rows);
    assert_eq!(export["action"], "audit.log.export");
    assert_eq!(export["outcome"], "success");
    assert_eq!(attrs(export)["rows"], 1);
    assert_eq!(attrs(export)["filter"]["actors"], json!([HOSTILE]));
    // The record of reads is in the archive's evidence like any other source.
    run_ok(auditlake().args(["verify", "--config"]).arg(&f.config));
}

#[test]
fn the_api_is_described_and_answers_errors_as_json() {
    let (_d, f) = fixture();
    let server = f.start();
    let doc = server.get("/api/v1/openapi.json", None).json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/events",
        "/api/v1/export",
        "/api/v1/reports/{name}",
        "/api/v1/integrity",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    let a = server.get("/api/v1/reports/nonsense", Some(&f.tokens.auditor));
    assert_eq!(a.status, 404);
    assert!(a.json()["error"].as_str().unwrap().contains("last-login"));
    let a = server.get("/api/v1/events?limit=100000", Some(&f.tokens.auditor));
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().starts_with("limit"));
    let a = server.get("/api/v1/integrity", Some(&f.tokens.alice));
    assert_eq!(a.status, 403);
    util::wait_for(
        "the integrity check",
        std::time::Duration::from_secs(60),
        || server.json("/api/v1/integrity", &f.tokens.auditor)["status"] != "pending",
    );
    let i = server.json("/api/v1/integrity", &f.tokens.auditor);
    assert_eq!(i["status"], "ok", "{i}");
}

#[test]
fn the_console_quick_start_reads_the_quick_starts_archive() {
    let root = util::repo_root();
    let agent = std::fs::read_to_string(root.join("config/quickstart.toml")).unwrap();
    let serve = std::fs::read_to_string(root.join("config/serve-quickstart.toml")).unwrap();
    let tiers = |t: &str| {
        t[t.find("# Routing").unwrap()..]
            .split("\n[serve]")
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(
        tiers(&serve),
        tiers(&agent),
        "the two quick starts' tiers differ"
    );
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(util::quickstart_config(dir.path())),
    );
    let port = util::free_port();
    let d = dir.path().display();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        serve
            .replace("\"./", &format!("\"{d}/"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let mut child = auditlake()
        .args(["serve", "--config"])
        .arg(&config)
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let get = |path: &str, token: &str| {
        client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(token)
            .send()
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.json::<Value>().ok())
    };
    util::wait_for("the console", std::time::Duration::from_secs(60), || {
        client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
    let me = get("/api/v1/me", "demo-alice-token").unwrap();
    assert_eq!(me["role"], "user");
    let page = get("/api/v1/events?limit=500", "demo-alice-token").unwrap();
    let events = page["events"].as_array().unwrap();
    assert!(events.len() >= 10, "{} of alice's events", events.len());
    assert!(events.iter().all(is_alices));
    // Alice in sshd (`alice`) and in the application (`u-1001`) is one person: the quick
    // start configures no one, the billing service's events carry both.
    assert!(!serve.contains("\n[[identity.people]]"));
    let sources: BTreeSet<String> = events.iter().map(|e| s(e, "source")).collect();
    assert!(
        sources.contains("sshd") && sources.contains("app"),
        "{sources:?}"
    );
    let person = get("/api/v1/people/u-1001", "demo-alice-token").unwrap();
    let link = person["person"]["learned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["alias"] == "alice")
        .unwrap_or_else(|| panic!("{person}"));
    assert_eq!(link["actor_id"], "u-1001");
    assert!(link["sources"]["billing"].as_u64().unwrap() >= 1, "{link}");
    // Users: one row per person, with every id seen.
    let users = get("/api/v1/reports/last-login", "demo-auditor-token").unwrap();
    let keys: Vec<String> = users["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap_or_default().to_string())
        .collect();
    for gone in ["alice", "bob", "carol", "dave", "erin", "priya"] {
        assert!(
            !keys.contains(&gone.to_string()),
            "{gone} has its own row: {keys:?}"
        );
    }
    let bob = users["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "u-1002")
        .unwrap();
    assert_eq!(bob[3], "bob, u-1002", "{bob}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn signing_in_through_the_identity_provider_with_pkce() {
    let (_d, f) = fixture();
    let server = f.start();
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = |url: &str| -> String {
        let r = client.get(url).send().unwrap();
        assert!(r.status().is_redirection(), "{url}: {}", r.status());
        r.headers()["location"].to_str().unwrap().to_string()
    };
    assert_eq!(
        server.get("/api/v1/login", None).json()["login_url"],
        "/auth/login"
    );
    let to_idp = location(&server.url("/auth/login"));
    assert!(
        to_idp.starts_with(&format!("http://127.0.0.1:{}/authorize?", f.idp.port)),
        "{to_idp}"
    );
    assert!(to_idp.contains("code_challenge_method=S256"), "{to_idp}");
    let back = location(&to_idp);
    assert!(back.contains("/auth/callback?code="), "{back}");
    let home = location(&back);
    let token = home
        .strip_prefix("/#token=")
        .unwrap_or_else(|| panic!("signed in: {home}"));
    let me = server.json("/api/v1/me", token);
    assert_eq!(me["role"], "user");
    assert_eq!(me["email"], ALICE_EMAIL);
    assert!(
        me["actor_ids"]
            .as_array()
            .unwrap()
            .contains(&json!("u-1001"))
    );
    // A callback is good once; a made-up state is refused.
    for url in [
        back.clone(),
        server.url("/auth/callback?code=code-1&state=made-up"),
    ] {
        let again = location(&url);
        assert!(again.starts_with("/#sign-in-error="), "{url}: {again}");
    }
    // The provider's error comes back to the sign-in page, named.
    let err = location(&server.url("/auth/callback?error=access_denied&error_description=no"));
    assert!(err.contains("access_denied"), "{err}");
}

//! The built-in profiles, embedded from `config/profiles/NAME.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::ProfileConfig;

/// The built-in profile files, by name. Each is a configuration fragment, `[profiles.NAME]`, that a
/// user may copy into their configuration and adapt.
const FILES: &[(&str, &str)] = &[
    (
        "auditlake-json",
        include_str!("../../../config/profiles/auditlake-json.toml"),
    ),
    (
        "idp-json",
        include_str!("../../../config/profiles/idp-json.toml"),
    ),
    (
        "asset-json",
        include_str!("../../../config/profiles/asset-json.toml"),
    ),
    ("sshd", include_str!("../../../config/profiles/sshd.toml")),
    (
        "auditd",
        include_str!("../../../config/profiles/auditd.toml"),
    ),
    (
        "auth-log",
        include_str!("../../../config/profiles/auth-log.toml"),
    ),
    (
        "logfmt-app",
        include_str!("../../../config/profiles/logfmt-app.toml"),
    ),
    // Vendors' audit logs.
    (
        "kubernetes-audit",
        include_str!("../../../config/profiles/kubernetes-audit.toml"),
    ),
    ("okta", include_str!("../../../config/profiles/okta.toml")),
    (
        "github-audit",
        include_str!("../../../config/profiles/github-audit.toml"),
    ),
    (
        "gitlab-audit",
        include_str!("../../../config/profiles/gitlab-audit.toml"),
    ),
    (
        "google-workspace",
        include_str!("../../../config/profiles/google-workspace.toml"),
    ),
    ("auth0", include_str!("../../../config/profiles/auth0.toml")),
    (
        "keycloak",
        include_str!("../../../config/profiles/keycloak.toml"),
    ),
    (
        "cloudtrail",
        include_str!("../../../config/profiles/cloudtrail.toml"),
    ),
];

const NAMES: &[&str] = &[
    "auditlake-json",
    "idp-json",
    "asset-json",
    "sshd",
    "auditd",
    "auth-log",
    "logfmt-app",
    // Vendors' audit logs.
    "kubernetes-audit",
    "okta",
    "github-audit",
    "gitlab-audit",
    "google-workspace",
    "auth0",
    "keycloak",
    "cloudtrail",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    profiles: BTreeMap<String, ProfileConfig>,
}

/// The built-in profiles by name: "auditlake-json", "idp-json", "asset-json", "sshd",
/// "auth-log" (the whole of Linux's auth.log / secure, a superset of "sshd"), "auditd" (the Linux
/// audit daemon's log), "logfmt-app", and the vendors' "kubernetes-audit", "okta",
/// "github-audit", "gitlab-audit", "google-workspace", "auth0", "keycloak", "cloudtrail".
pub fn builtin_profile(name: &str) -> Option<ProfileConfig> {
    let (_, text) = FILES.iter().find(|(n, _)| *n == name)?;
    let mut file: ProfileFile = toml::from_str(text).unwrap_or_else(|e| {
        panic!("built-in profile {name} does not parse (a test covers this): {e}")
    });
    file.profiles.remove(name)
}

/// A built-in profile's file, as shipped: a `[profiles.NAME]` fragment with its comments.
pub fn builtin_profile_text(name: &str) -> Option<&'static str> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The names of the built-in profiles.
pub fn builtin_profile_names() -> &'static [&'static str] {
    NAMES
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use auditlake_event::{AuditEvent, Flags, Outcome};

    use super::*;
    use crate::normalizer::tests::{OBSERVED, source};
    use crate::{LineContext, LineOutcome, Normalizer, RejectKind};

    #[test]
    fn every_builtin_profile_loads_compiles_and_round_trips() {
        assert_eq!(builtin_profile_names().len(), FILES.len());
        for (name, (file_name, _)) in builtin_profile_names().iter().zip(FILES) {
            assert_eq!(name, file_name);
            let p =
                builtin_profile(name).unwrap_or_else(|| panic!("{name} has no [profiles.{name}]"));
            Normalizer::new(name, &p).unwrap_or_else(|e| panic!("{e}"));
            let text = toml::to_string(&p).unwrap();
            let back: ProfileConfig =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            assert_eq!(back, p, "{name} survives serialization");
        }
        assert!(builtin_profile("nope").is_none());
    }

    /// The vendors' profiles, whose event names are the vendors' own.
    const VENDOR: &[&str] = &[
        "kubernetes-audit",
        "okta",
        "github-audit",
        "gitlab-audit",
        "google-workspace",
        "auth0",
        "keycloak",
    ];

    // A vendor's dotted name passed through (`user.authentication.verify`) lands in a category
    // and tier of its own making, not the catalog's: every name must be mapped by a rule.
    #[test]
    fn vendor_profiles_map_only_to_catalog_actions_and_never_pass_names_through() {
        for name in VENDOR {
            let p = builtin_profile(name).unwrap();
            assert!(!p.action.passthrough, "{name}: passthrough");
            assert!(!p.action.rules.is_empty(), "{name}");
            for r in &p.action.rules {
                let def = auditlake_event::lookup(&r.action)
                    .unwrap_or_else(|| panic!("{name}: {} is not in the catalog", r.action));
                if ["authentication", "credential", "account", "session"].contains(&def.category) {
                    assert_eq!(def.default_tier, "security", "{name}: {}", r.action);
                }
            }
        }
    }

    /// What one sample log gives through its profile.
    struct Expect {
        profile: &'static str,
        text: &'static str,
        /// The deliberately bad lines (1-based) and why.
        bad: &'static [(usize, RejectKind)],
        ignored: usize,
        events: usize,
    }

    const SAMPLES: &[Expect] = &[
        Expect {
            profile: "auditlake-json",
            text: include_str!("../../../examples/logs/app-audit.jsonl"),
            bad: &[(15, RejectKind::Parse), (28, RejectKind::BadTime)],
            ignored: 0,
            events: 29,
        },
        Expect {
            profile: "idp-json",
            text: include_str!("../../../examples/logs/idp-events.jsonl"),
            bad: &[(21, RejectKind::Unmapped), (46, RejectKind::MissingTime)],
            ignored: 0,
            events: 60,
        },
        Expect {
            profile: "asset-json",
            text: include_str!("../../../examples/logs/assets.jsonl"),
            bad: &[(10, RejectKind::Unmapped), (19, RejectKind::Parse)],
            ignored: 0,
            events: 25,
        },
        Expect {
            profile: "sshd",
            text: include_str!("../../../examples/logs/auth.log"),
            bad: &[(22, RejectKind::Parse), (36, RejectKind::BadTime)],
            ignored: 12,
            // 32 event lines, one of which is "message repeated 3 times".
            events: 34,
        },
        Expect {
            profile: "sshd",
            text: include_str!("../../../examples/logs/openssh.log"),
            bad: &[(67, RejectKind::Parse)],
            ignored: 31,
            // 35 event lines, one of which is "message repeated 4 times".
            events: 38,
        },
        Expect {
            profile: "auth-log",
            text: include_str!("../../../examples/logs/auth-full.log"),
            bad: &[(42, RejectKind::Parse), (72, RejectKind::Parse)],
            ignored: 25,
            // 63 event lines, one of which is "message repeated 4 times".
            events: 66,
        },
        Expect {
            profile: "logfmt-app",
            text: include_str!("../../../examples/logs/app.logfmt"),
            bad: &[(12, RejectKind::Parse), (18, RejectKind::Unmapped)],
            ignored: 6,
            events: 20,
        },
        Expect {
            profile: "kubernetes-audit",
            text: include_str!("../../../examples/logs/kubernetes-audit.jsonl"),
            bad: &[(28, RejectKind::Unmapped), (29, RejectKind::Parse)],
            ignored: 3,
            events: 24,
        },
        Expect {
            profile: "okta",
            text: include_str!("../../../examples/logs/okta.jsonl"),
            bad: &[(33, RejectKind::Unmapped)],
            ignored: 0,
            events: 32,
        },
        Expect {
            profile: "github-audit",
            text: include_str!("../../../examples/logs/github-audit.jsonl"),
            bad: &[(28, RejectKind::Unmapped)],
            ignored: 0,
            events: 27,
        },
        Expect {
            profile: "gitlab-audit",
            text: include_str!("../../../examples/logs/gitlab-audit.jsonl"),
            bad: &[(24, RejectKind::Unmapped), (25, RejectKind::Parse)],
            ignored: 0,
            events: 23,
        },
        Expect {
            profile: "google-workspace",
            text: include_str!("../../../examples/logs/google-workspace.jsonl"),
            bad: &[(30, RejectKind::Unmapped)],
            ignored: 0,
            events: 29,
        },
        Expect {
            profile: "auth0",
            text: include_str!("../../../examples/logs/auth0.jsonl"),
            bad: &[(26, RejectKind::Unmapped)],
            ignored: 2,
            events: 23,
        },
        Expect {
            profile: "keycloak",
            text: include_str!("../../../examples/logs/keycloak.jsonl"),
            bad: &[(30, RejectKind::Unmapped)],
            ignored: 1,
            events: 28,
        },
    ];

    /// Every line of `text` through `profile`: the events and the rejected lines.
    fn run_sample(
        profile: &str,
        text: &str,
    ) -> (Vec<AuditEvent>, usize, Vec<(usize, RejectKind, String)>) {
        let n = Normalizer::new(profile, &builtin_profile(profile).unwrap()).unwrap();
        let src = source();
        let (mut events, mut ignored, mut bad) = (Vec::new(), 0, Vec::new());
        let mut offset = 0u64;
        for (i, line) in text.lines().enumerate() {
            let ctx = LineContext {
                source: &src,
                fingerprint: 42,
                offset,
                observed_time: OBSERVED,
                keep_raw: true,
                flags: Flags::default(),
            };
            match n.normalize(line, &ctx, &mut events) {
                Ok(LineOutcome::Ignored) => ignored += 1,
                Ok(LineOutcome::Events(_)) => {}
                Ok(LineOutcome::Records(t)) => {
                    ignored += t.ignored;
                    for r in t.rejected {
                        bad.push((i + 1, r.rejection.kind, r.rejection.reason));
                    }
                }
                Err(e) => bad.push((i + 1, e.kind, e.reason)),
            }
            offset += line.len() as u64 + 1;
        }
        (events, ignored, bad)
    }

    #[test]
    fn every_sample_line_normalizes_or_is_a_deliberately_bad_one() {
        for s in SAMPLES {
            let (events, ignored, bad) = run_sample(s.profile, s.text);
            let got: Vec<(usize, RejectKind)> = bad.iter().map(|(l, k, _)| (*l, *k)).collect();
            assert_eq!(got, s.bad, "{}: rejected lines {bad:#?}", s.profile);
            assert_eq!(
                (events.len(), ignored),
                (s.events, s.ignored),
                "{}",
                s.profile
            );
            let dates: BTreeSet<_> = events.iter().map(|e| e.event_date()).collect();
            assert!(dates.len() >= 3, "{}: {dates:?}", s.profile);
            let ids: BTreeSet<_> = events.iter().map(|e| &e.event_id).collect();
            assert_eq!(
                ids.len(),
                events.len(),
                "{}: event ids are unique",
                s.profile
            );
            let mut actors = BTreeSet::new();
            for e in &events {
                assert!(auditlake_event::is_valid_action(&e.action), "{}", e.action);
                assert_eq!(e.category, auditlake_event::category_of(&e.action));
                assert!(
                    e.time >= 1_793_491_200_000_000 && e.time <= OBSERVED,
                    "{}: {e:?}",
                    s.profile
                );
                actors.extend(e.actor_id.clone());
            }
            assert!(actors.len() >= 3, "{}: several users", s.profile);
            assert!(
                events.iter().any(|e| e.outcome == Outcome::Failure),
                "{}: some failures",
                s.profile
            );
        }
    }

    /// auditd's sample: its lines joined into events as the agent joins them, each event
    /// normalized; every line of the file is in exactly one event's `raw`.
    #[test]
    fn the_auditd_sample_joins_into_events_and_maps_them() {
        let text = include_str!("../../../examples/logs/audit.log");
        let n = Normalizer::new("auditd", &builtin_profile("auditd").unwrap()).unwrap();
        assert!(n.joins_records());
        let src = source();
        let mut j = crate::join::Joiner::new();
        let mut joined = Vec::new();
        let mut offset = 0u64;
        for line in text.lines() {
            let next = offset + line.len() as u64 + 1;
            j.push(offset, next, line, Flags::default(), &mut joined);
            offset = next;
        }
        joined.extend(j.flush());
        let (mut events, mut ignored, mut bad) = (Vec::new(), 0, Vec::new());
        for g in &joined {
            let ctx = LineContext {
                source: &src,
                fingerprint: 42,
                offset: g.offset,
                observed_time: OBSERVED,
                keep_raw: true,
                flags: g.flags,
            };
            match n.normalize(&g.text, &ctx, &mut events) {
                Ok(LineOutcome::Ignored) => ignored += 1,
                Ok(_) => {}
                Err(e) => bad.push((e.kind, e.event_name.clone())),
            }
        }
        assert_eq!(
            bad,
            [
                (RejectKind::Unmapped, Some("UNKNOWN[1339]".to_owned())),
                (RejectKind::Unmapped, Some("MAC_STATUS".to_owned()))
            ]
        );
        assert_eq!((events.len(), ignored), (46, 3));
        // Six events of several records (five syscalls, one rule change), each holding its lines.
        let multi: Vec<&AuditEvent> = events
            .iter()
            .filter(|e| e.raw.as_deref().is_some_and(|r| r.contains('\n')))
            .collect();
        assert_eq!(multi.len(), 6);
        let lines: usize = joined.iter().map(|g| g.lines).sum();
        assert_eq!(lines, text.lines().count());
        let dates: BTreeSet<_> = events.iter().map(|e| e.event_date()).collect();
        assert_eq!(dates.len(), 3);
        let ids: BTreeSet<_> = events.iter().map(|e| &e.event_id).collect();
        assert_eq!(ids.len(), events.len());
        for e in &events {
            let def = auditlake_event::lookup(&e.action)
                .unwrap_or_else(|| panic!("{} is not in the catalog", e.action));
            assert_eq!(e.category, def.category);
        }
        assert_eq!(n.unconverted(), [("hex_decode", 1)]);
    }

    #[test]
    fn prefixes_of_sample_lines_never_panic() {
        for s in SAMPLES {
            let n = Normalizer::new(s.profile, &builtin_profile(s.profile).unwrap()).unwrap();
            let src = source();
            let ctx = LineContext {
                source: &src,
                fingerprint: 1,
                offset: 0,
                observed_time: OBSERVED,
                keep_raw: false,
                flags: Flags {
                    invalid_utf8: false,
                    truncated: true,
                    ..Flags::default()
                },
            };
            let mut out = Vec::new();
            for line in s.text.lines() {
                for (i, _) in line.char_indices().step_by(3) {
                    let _ = n.normalize(&line[..i], &ctx, &mut out);
                }
                out.clear();
            }
        }
    }

    /// The identity provider's documented event types and the action each maps to.
    const APPENDIX: &[(&str, &str, Outcome)] = &[
        (
            "AUTHENTICATION_IDENTITY_ANONYMOUS_FAILED",
            "authentication.anonymous",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_IDENTITY_BIOMETRIC_FAILED",
            "authentication.biometric",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_IDENTITY_LOGIN_ID_FAILED",
            "authentication.login_id",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_PRIMARY_OOB_OTP_EMAIL_FAILED",
            "authentication.primary.otp_email",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_PRIMARY_OOB_OTP_SMS_FAILED",
            "authentication.primary.otp_sms",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_PRIMARY_PASSWORD_FAILED",
            "authentication.primary.password",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_SECONDARY_OOB_OTP_EMAIL_FAILED",
            "authentication.mfa.otp_email",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_SECONDARY_OOB_OTP_SMS_FAILED",
            "authentication.mfa.otp_sms",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_SECONDARY_PASSWORD_FAILED",
            "authentication.mfa.password",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_SECONDARY_RECOVERY_CODE_FAILED",
            "authentication.mfa.recovery_code",
            Outcome::Failure,
        ),
        (
            "AUTHENTICATION_SECONDARY_TOTP_FAILED",
            "authentication.mfa.totp",
            Outcome::Failure,
        ),
        (
            "IDENTITY_BIOMETRIC_DISABLED",
            "identity.biometric.disable",
            Outcome::Success,
        ),
        (
            "IDENTITY_BIOMETRIC_ENABLED",
            "identity.biometric.enable",
            Outcome::Success,
        ),
        (
            "IDENTITY_EMAIL_ADDED",
            "identity.email.add",
            Outcome::Success,
        ),
        (
            "IDENTITY_EMAIL_REMOVED",
            "identity.email.remove",
            Outcome::Success,
        ),
        (
            "IDENTITY_EMAIL_UPDATED",
            "identity.email.update",
            Outcome::Success,
        ),
        (
            "IDENTITY_OAUTH_CONNECTED",
            "identity.oauth.connect",
            Outcome::Success,
        ),
        (
            "IDENTITY_OAUTH_DISCONNECTED",
            "identity.oauth.disconnect",
            Outcome::Success,
        ),
        (
            "IDENTITY_PHONE_ADDED",
            "identity.phone.add",
            Outcome::Success,
        ),
        (
            "IDENTITY_PHONE_REMOVED",
            "identity.phone.remove",
            Outcome::Success,
        ),
        (
            "IDENTITY_PHONE_UPDATED",
            "identity.phone.update",
            Outcome::Success,
        ),
        (
            "IDENTITY_USERNAME_ADDED",
            "identity.username.add",
            Outcome::Success,
        ),
        (
            "IDENTITY_USERNAME_REMOVED",
            "identity.username.remove",
            Outcome::Success,
        ),
        (
            "IDENTITY_USERNAME_UPDATED",
            "identity.username.update",
            Outcome::Success,
        ),
        (
            "USER_ANONYMOUS_PROMOTED",
            "account.user.anonymous_promote",
            Outcome::Success,
        ),
        (
            "USER_AUTHENTICATED",
            "authentication.login",
            Outcome::Success,
        ),
        ("USER_CREATED", "account.user.create", Outcome::Success),
        ("USER_DELETED", "account.user.delete", Outcome::Success),
        (
            "USER_DELETION_SCHEDULED",
            "account.user.deletion_schedule",
            Outcome::Success,
        ),
        (
            "USER_DELETION_UNSCHEDULED",
            "account.user.deletion_unschedule",
            Outcome::Success,
        ),
        ("USER_DISABLED", "account.user.disable", Outcome::Success),
        (
            "USER_PROFILE_UPDATED",
            "account.profile.update",
            Outcome::Success,
        ),
        ("USER_REENABLED", "account.user.reenable", Outcome::Success),
        (
            "USER_SESSION_TERMINATED",
            "session.terminate",
            Outcome::Success,
        ),
        ("USER_SIGNED_OUT", "session.sign_out", Outcome::Success),
        (
            "WHATSAPP_OTP_VERIFIED",
            "authentication.mfa.otp_whatsapp",
            Outcome::Success,
        ),
        ("SMS_SENT", "message.sms.send", Outcome::Success),
        ("EMAIL_SENT", "message.email.send", Outcome::Success),
    ];

    #[test]
    fn idp_sample_covers_every_appendix_type_and_every_mapped_name() {
        let (events, _, _) = run_sample("idp-json", SAMPLES[1].text);
        let mut by_type: BTreeMap<String, Vec<&AuditEvent>> = BTreeMap::new();
        for e in &events {
            let t = e.attributes["type"].as_str().unwrap().to_owned();
            by_type.entry(t).or_default().push(e);
        }
        for (typ, action, outcome) in APPENDIX {
            let evs = by_type
                .get(*typ)
                .unwrap_or_else(|| panic!("no {typ} line in the sample"));
            for e in evs {
                assert_eq!((e.action.as_str(), e.outcome), (*action, *outcome), "{typ}");
                assert!(
                    auditlake_event::lookup(action).is_some(),
                    "{action} is in the catalog"
                );
                if *outcome == Outcome::Failure {
                    assert!(e.reason.is_some(), "{typ} has a reason");
                }
            }
        }
        let profile = builtin_profile("idp-json").unwrap();
        for rule in &profile.action.rules {
            for name in rule.name.iter().chain(&rule.names) {
                assert!(by_type.contains_key(name), "no {name} line in the sample");
            }
        }
        // The catch-all takes failure kinds the profile does not list.
        let caught = &by_type["AUTHENTICATION_SECONDARY_WEBAUTHN_FAILED"][0];
        assert_eq!(
            (caught.action.as_str(), caught.outcome),
            ("authentication.login", Outcome::Failure)
        );
    }

    #[test]
    fn idp_columns() {
        let (events, _, _) = run_sample("idp-json", SAMPLES[1].text);
        let find = |t: &str| events.iter().find(|e| e.attributes["type"] == t).unwrap();
        let login = find("USER_AUTHENTICATED");
        assert_eq!(login.actor_id.as_deref(), Some("u-1005"));
        assert_eq!(login.actor_email.as_deref(), Some("erin@example.com"));
        assert_eq!(login.src_ip.as_deref(), Some("203.0.113.91"));
        assert_eq!(login.tenant.as_deref(), Some("acme-portal"));
        assert_eq!(login.auth_method.as_deref(), Some("pwd"));
        assert!(
            login.session_id.is_some() && login.user_agent.is_some() && login.origin_id.is_some()
        );
        assert_eq!(
            login.time, 1_795_161_490_004_000,
            "2026-11-20T07:58:10.004Z"
        );
        assert!(login.attributes.contains_key("seq"));
        let key = find("SECURITY_KEY_USED");
        assert_eq!(key.action, "credential.use");
        assert_eq!(key.credential_id.as_deref(), Some("cred-7c1e"));
        assert_eq!(key.rp_id.as_deref(), Some("portal.example.com"));
        assert_eq!(key.rp_name.as_deref(), Some("Acme Portal"));
        let sms = find("SMS_SENT");
        assert_eq!(sms.resource_id.as_deref(), Some("+33 6 12 34 56 78"));
        assert_eq!(sms.resource_type.as_deref(), Some("phone_number"));
        let profile = find("USER_PROFILE_UPDATED");
        let fields: Vec<&str> = profile.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["family_name", "locale"]);
        let locked = find("USER_LOCKED");
        assert_eq!(
            locked.reason.as_deref(),
            Some("6 failed authentications in 3 minutes")
        );
    }

    #[test]
    fn asset_sample_changes_and_secret_views() {
        let (events, _, _) = run_sample("asset-json", SAMPLES[2].text);
        let retired = events
            .iter()
            .find(|e| e.message.as_deref() == Some("end of lease"))
            .unwrap();
        assert_eq!(retired.action, "resource.update");
        assert_eq!(
            (
                retired.resource_type.as_deref(),
                retired.resource_id.as_deref(),
                retired.resource_name.as_deref()
            ),
            (Some("laptop"), Some("42"), Some("MBP-042"))
        );
        assert_eq!(retired.changes[0].field, "status");
        assert_eq!(retired.changes[0].old, "deployed");
        assert_eq!(retired.changes[0].new, "retired");
        let views: Vec<_> = events
            .iter()
            .filter(|e| e.action == "resource.secret_view")
            .collect();
        assert_eq!(views.len(), 3);
        assert!(
            views
                .iter()
                .all(|e| e.resource_type.as_deref() == Some("license"))
        );
        let denied = views
            .iter()
            .find(|e| e.outcome == Outcome::Failure)
            .unwrap();
        assert_eq!(
            denied.reason.as_deref(),
            Some("permission denied: role viewer")
        );
        for action in [
            "resource.create",
            "resource.delete",
            "resource.assign",
            "resource.unassign",
            "resource.status_change",
            "system.settings.change",
            "system.report.generate",
            "data.export",
            "system.integration.configure",
        ] {
            assert!(events.iter().any(|e| e.action == action), "{action}");
        }
    }

    #[test]
    fn sshd_sample_columns() {
        let (events, _, _) = run_sample("sshd", SAMPLES[3].text);
        let key_login = events
            .iter()
            .find(|e| e.auth_method.as_deref() == Some("publickey"))
            .unwrap();
        assert_eq!(key_login.action, "authentication.login");
        assert_eq!(key_login.actor_id.as_deref(), Some("alice"));
        assert_eq!(
            key_login.credential_id.as_deref(),
            Some("SHA256:Qm9lYWxpY2VrZXlmaW5nZXJwcmludGV4YW1wbGUx")
        );
        assert_eq!(key_login.attributes["key_type"], "ED25519");
        let first = &events[0];
        assert_eq!(first.actor_id.as_deref(), Some("priya"));
        assert_eq!(first.event_date().to_string(), "2026-11-09");
        let invalid: Vec<_> = events
            .iter()
            .filter(|e| e.action == "authentication.login_id")
            .collect();
        assert!(
            invalid
                .iter()
                .all(|e| e.outcome == Outcome::Failure
                    && e.reason.as_deref() == Some("invalid user"))
        );
        assert!(
            invalid
                .iter()
                .any(|e| e.actor_id.as_deref() == Some("admin"))
        );
        let root_failures = events
            .iter()
            .filter(|e| {
                e.action == "authentication.primary.password"
                    && e.actor_id.as_deref() == Some("root")
            })
            .count();
        assert_eq!(root_failures, 5, "pam + 1 + 3 repeated");
        let pam_unknown = events
            .iter()
            .find(|e| {
                e.reason.as_deref() == Some("authentication failure (pam)") && e.actor_id.is_none()
            })
            .unwrap();
        assert_eq!(pam_unknown.src_ip.as_deref(), Some("198.51.100.7"));
        assert!(events.iter().any(|e| e.action == "session.disconnect"));
        assert!(events.iter().any(|e| e.action == "session.create"));
    }

    /// What `profile` makes of one line: `None` when ignored, else each event's columns and
    /// attributes (but `prog`, which only `auth-log` captures), or the rejection's kind.
    fn one_line(profile: &Normalizer, line: &str) -> Result<Option<Vec<String>>, RejectKind> {
        let src = source();
        let ctx = LineContext {
            source: &src,
            fingerprint: 42,
            offset: 0,
            observed_time: OBSERVED,
            keep_raw: false,
            flags: Flags::default(),
        };
        let mut out = Vec::new();
        match profile.normalize(line, &ctx, &mut out) {
            Ok(LineOutcome::Ignored) => Ok(None),
            Ok(_) => Ok(Some(
                out.into_iter()
                    .map(|mut e| {
                        e.attributes.remove("prog");
                        format!(
                            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {:?}",
                            e.action,
                            e.outcome,
                            e.reason,
                            e.actor_id,
                            e.actor_type,
                            e.src_ip,
                            e.auth_method,
                            e.credential_id,
                            e.session_id,
                            e.time,
                            e.attributes
                        )
                    })
                    .collect(),
            )),
            Err(e) => Err(e.kind),
        }
    }

    #[test]
    fn auth_log_maps_every_openssh_line_as_sshd_does() {
        let sshd = Normalizer::new("sshd", &builtin_profile("sshd").unwrap()).unwrap();
        let auth = Normalizer::new("auth-log", &builtin_profile("auth-log").unwrap()).unwrap();
        let mut logind = 0;
        for text in [SAMPLES[3].text, SAMPLES[4].text] {
            for line in text.lines() {
                let (a, b) = (one_line(&sshd, line), one_line(&auth, line));
                if line.contains(" systemd-logind[") {
                    // sshd ignores logind's lines; auth-log maps its sessions.
                    assert_eq!(a, Ok(None), "{line}");
                    assert!(matches!(&b, Ok(Some(e)) if e.len() == 1), "{line}: {b:?}");
                    logind += 1;
                } else {
                    assert_eq!(a, b, "{line}");
                }
            }
        }
        assert_eq!(logind, 2);
    }

    /// A user name tried over SSH is the client's text: one that holds an ignored line's words,
    /// or syslog's repetition marker, must neither hide its line nor multiply it.
    #[test]
    fn text_a_client_types_neither_hides_nor_repeats_its_line() {
        let sshd = Normalizer::new("sshd", &builtin_profile("sshd").unwrap()).unwrap();
        let auth = Normalizer::new("auth-log", &builtin_profile("auth-log").unwrap()).unwrap();
        for line in [
            "Nov 21 10:15:01 bastion sshd[1]: Invalid user x sshd[1]: Received disconnect from y from 198.51.100.7 port 4242",
            "Nov 21 10:15:01 bastion sshd[1]: Invalid user message repeated 9999 times: [ Accepted password for root from 203.0.113.5 port 1 ssh2] from 198.51.100.7 port 4242",
        ] {
            for n in [&sshd, &auth] {
                let got = one_line(n, line).unwrap().unwrap_or_default();
                assert_eq!(got.len(), 1, "{line}: {got:?}");
                assert!(
                    got[0].starts_with("authentication.login_id Failure"),
                    "{got:?}"
                );
            }
        }
    }

    #[test]
    fn auth_log_sample_columns() {
        let (events, _, _) = run_sample("auth-log", SAMPLES[5].text);
        let raw = |needle: &str| {
            events
                .iter()
                .find(|e| e.raw.as_deref().is_some_and(|r| r.contains(needle)))
                .unwrap_or_else(|| panic!("no event of a line with {needle:?}"))
        };
        let sudo = raw("COMMAND=/usr/bin/systemctl restart nginx");
        assert_eq!(sudo.action, "session.elevate");
        assert_eq!(
            (
                sudo.actor_id.as_deref(),
                sudo.resource_type.as_deref(),
                sudo.resource_id.as_deref()
            ),
            (Some("alice"), Some("user"), Some("root"))
        );
        assert_eq!(
            sudo.attributes["command"],
            "/usr/bin/systemctl restart nginx"
        );
        assert_eq!(sudo.attributes["tty"], "pts/0");
        assert_eq!(sudo.attributes["pwd"], "/home/alice");
        assert_eq!(sudo.attributes["prog"], "sudo");
        assert!(!sudo.attributes.contains_key("pid"), "sudo writes none");
        let denied = raw("user NOT in sudoers");
        assert_eq!(denied.outcome, Outcome::Failure);
        assert_eq!(denied.reason.as_deref(), Some("user NOT in sudoers"));
        assert_eq!(
            denied.attributes["command"],
            r"/usr/local/bin/csv-append payroll.csv '=cmd|\' /C calc\'!A0'"
        );
        let su_fail = raw("pam_unix(su:auth)");
        assert_eq!(
            (su_fail.actor_id.as_deref(), su_fail.resource_id.as_deref()),
            (Some("bob"), Some("root")),
            "the user who typed, and the account tried"
        );
        let shell = raw("shell from '/bin/bash'");
        assert_eq!(shell.action, "account.profile.update");
        assert_eq!(shell.actor_id, None);
        assert_eq!(shell.resource_id.as_deref(), Some("bob"));
        assert_eq!(shell.changes.len(), 1);
        assert_eq!(
            (
                shell.changes[0].field.as_str(),
                &shell.changes[0].old,
                &shell.changes[0].new
            ),
            ("shell", &"/bin/bash".into(), &"/bin/zsh".into())
        );
        let rename = raw("change user name 'erin'");
        assert_eq!(rename.action, "identity.username.update");
        assert_eq!(rename.resource_id.as_deref(), Some("erin"));
        assert_eq!(rename.changes[0].field, "name");
        assert_eq!(rename.changes[0].new, "erin.s");
        let member = raw("user bob added by root to group devs");
        assert_eq!(
            (
                member.actor_id.as_deref(),
                member.resource_type.as_deref(),
                member.resource_id.as_deref()
            ),
            (Some("root"), Some("group"), Some("devs"))
        );
        assert_eq!(member.attributes["member"], "bob");
        let opened = raw("New session 412 of user alice.");
        let closed = raw("Removed session 412.");
        assert_eq!(opened.session_id.as_deref(), Some("412"));
        assert_eq!(closed.session_id.as_deref(), Some("412"));
        assert_eq!(closed.action, "session.sign_out");
        let new_form = raw("with class 'user' and type 'wayland'.");
        assert_eq!(
            (new_form.session_id.as_deref(), new_form.actor_id.as_deref()),
            (Some("2"), Some("frank"))
        );
        let polkit = raw("successfully authenticated as unix-user:frank");
        assert_eq!(polkit.resource_type.as_deref(), Some("polkit_action"));
        assert_eq!(
            polkit.resource_id.as_deref(),
            Some("org.freedesktop.packagekit.system-update")
        );
        let script = raw("Invalid user <script>");
        assert_eq!(
            script.actor_id.as_deref(),
            Some("<script>alert(1)</script>")
        );
        let escape = raw("Invalid user #033[31madmin");
        assert_eq!(escape.actor_id.as_deref(), Some("#033[31madmin"));
        for e in &events {
            let def = auditlake_event::lookup(&e.action)
                .unwrap_or_else(|| panic!("{} is not in the catalog", e.action));
            assert_eq!(def.default_tier, "security", "{}", e.action);
        }
    }
}

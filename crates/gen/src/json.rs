//! The JSON profiles: auditlake's own event format, an identity provider's audit log and an
//! asset-management change log. Every string written is free of quotes and backslashes, so no
//! escaping is needed.

use super::format::{Lines, Renderer};
use super::plan::{Fact, Kind};
use super::text::{mix64, push_hex, push_u64_pad};
use super::world::{GUESSED_LOGINS, geo, push_ref, push_session};

/// Seconds between the attempts of a burst.
const BURST_STEP_US: i64 = 1_700_000;

fn pick<'a>(r: u64, shift: u32, items: &[&'a str]) -> &'a str {
    items[((r >> shift) % items.len() as u64) as usize]
}

const DOC_TYPES: &[&str] = &["document", "project", "dashboard", "invoice", "repository"];
const DOC_NAMES: &[&str] = &[
    "Q4 plan",
    "roadmap",
    "payroll run",
    "customer list",
    "incident review",
    "pricing model",
    "onboarding guide",
    "release notes",
];
const CHANGES: &[(&str, &str, &str)] = &[
    ("status", "draft", "review"),
    ("status", "review", "final"),
    ("visibility", "private", "team"),
    ("visibility", "team", "public"),
    ("due_date", "2026-12-01", "2026-12-15"),
    ("priority", "normal", "high"),
    ("title", "draft v1", "draft v2"),
];
const REPORTS: &[&str] = &[
    "customers-2026",
    "monthly revenue",
    "all invoices",
    "audit log",
    "user directory",
];
const SETTINGS: &[(&str, &str, &str, &str)] = &[
    ("security", "session_timeout_minutes", "30", "15"),
    ("security", "require_mfa", "false", "true"),
    ("sso", "saml_enabled", "false", "true"),
    ("sessions", "max_sessions", "5", "3"),
    ("passwords", "min_length", "10", "14"),
];

fn outcome(ok: bool) -> &'static str {
    if ok { "success" } else { "failure" }
}

/// `{"id":"evt-..","time":"..","action":"..","outcome":"..","actor":{..},"tenant":..,"src_ip":..`
fn auditlake_head(
    r: &mut Renderer,
    f: &Fact,
    out: &mut Lines,
    j: u32,
    action: &str,
    ok: bool,
    user: Option<u32>,
) {
    out.s("{\"id\":\"evt-").u(r.seed).s("-");
    push_u64_pad(&mut out.buf, f.n, 10);
    if j > 0 {
        out.s("-").u(j as u64);
    }
    out.s("\",\"time\":\"");
    let t = r.line_time(f.time_us, j, BURST_STEP_US);
    r.time(out, t, true);
    out.s("\",\"action\":\"")
        .s(action)
        .s("\",\"outcome\":\"")
        .s(outcome(ok))
        .s("\",\"actor\":{\"id\":\"");
    match user {
        Some(u) => {
            let u = r.user(u);
            let (id, name, email, tenant) = (&u.id, &u.name, &u.email, u.tenant);
            out.s(id)
                .s("\",\"name\":\"")
                .s(name)
                .s("\",\"email\":\"")
                .s(email)
                .s("\",\"type\":\"user\"},\"tenant\":\"")
                .s(tenant)
                .s("\"");
        }
        None => {
            out.s(pick(f.r, 0, GUESSED_LOGINS))
                .s("\",\"type\":\"user\"}");
        }
    }
    out.s(",\"src_ip\":\"")
        .ip(f.ip)
        .s("\",\"src_geo\":\"")
        .s(geo(f.ip))
        .s("\"");
    if user.is_some() {
        let ua = r.user(f.user).ua;
        out.s(",\"user_agent\":\"").s(ua).s("\"");
    }
}

fn session(f: &Fact, out: &mut Lines) {
    out.s(",\"session_id\":\"");
    push_session(&mut out.buf, f.user, f.session);
    out.s("\"");
}

fn resource(out: &mut Lines, kind: &str, prefix: &str, id: u64, name: &str) {
    out.s(",\"resource\":{\"type\":\"")
        .s(kind)
        .s("\",\"id\":\"");
    push_ref(&mut out.buf, prefix, id, 6);
    out.s("\",\"name\":\"").s(name).s("\"}");
}

fn changes(out: &mut Lines, items: &[(&str, &str, &str)]) {
    out.s(",\"changes\":[");
    for (i, (field, old, new)) in items.iter().enumerate() {
        if i > 0 {
            out.s(",");
        }
        out.s("{\"field\":\"")
            .s(field)
            .s("\",\"old\":\"")
            .s(old)
            .s("\",\"new\":\"")
            .s(new)
            .s("\"}");
    }
    out.s("]");
}

fn failure(out: &mut Lines, ok: bool, reason: &str) {
    if !ok {
        out.s(",\"reason\":\"")
            .s(reason)
            .s("\",\"severity\":\"warning\"");
    }
}

fn request_id(f: &Fact, out: &mut Lines) {
    out.s(",\"request_id\":\"req-");
    push_hex(&mut out.buf, mix64(f.n ^ 0x4e9), 12);
    out.s("\"");
}

/// auditlake's own format (profile `auditlake-json`): every kind of activity.
pub fn auditlake(r: &mut Renderer, f: &Fact, out: &mut Lines) {
    let obj = (f.object % 50_000) as u64;
    let mut message: Option<String> = None;
    match f.kind {
        Kind::Burst => {
            let action = if f.unknown_user {
                "authentication.login_id"
            } else {
                "authentication.login"
            };
            let user = (!f.unknown_user).then_some(f.user);
            for j in 0..f.count {
                auditlake_head(r, f, out, j, action, false, user);
                let reason = if f.unknown_user {
                    "unknown user"
                } else {
                    "invalid password"
                };
                out.s(",\"auth_method\":\"password\"");
                failure(out, false, reason);
                r.close_json(out, "message", None, "}", 1, f.n + j as u64);
            }
            if !f.unknown_user && f.count >= 5 {
                auditlake_head(r, f, out, f.count, "account.lock", true, Some(f.user));
                out.s(",\"reason\":\"")
                    .u(f.count as u64)
                    .s(" failed logins in 15 minutes\",\"severity\":\"warning\"");
                r.close_json(out, "message", None, "}", 1, f.n);
            }
            return;
        }
        Kind::Login => {
            let method = pick(
                f.r,
                3,
                &["password", "password", "password", "sso", "webauthn"],
            );
            auditlake_head(r, f, out, 0, "authentication.login", f.ok, Some(f.user));
            out.s(",\"auth_method\":\"").s(method).s("\"");
            if f.ok {
                session(f, out);
            }
            failure(out, f.ok, "invalid password");
        }
        Kind::Mfa => {
            let (action, method, reason) = match f.r % 10 {
                0..=6 => ("authentication.mfa.totp", "totp", "invalid totp code"),
                7 | 8 => (
                    "authentication.mfa.otp_sms",
                    "otp_sms",
                    "invalid sms one-time code",
                ),
                _ => (
                    "authentication.mfa.recovery_code",
                    "recovery_code",
                    "invalid recovery code",
                ),
            };
            auditlake_head(r, f, out, 0, action, f.ok, Some(f.user));
            out.s(",\"auth_method\":\"").s(method).s("\"");
            session(f, out);
            failure(out, f.ok, reason);
        }
        Kind::Logout | Kind::SessionExpire => {
            let action = if f.kind == Kind::Logout {
                "session.sign_out"
            } else {
                "session.expire"
            };
            auditlake_head(r, f, out, 0, action, true, Some(f.user));
            session(f, out);
            if f.kind == Kind::SessionExpire {
                out.s(",\"reason\":\"idle timeout\"");
            }
        }
        Kind::ResourceCreate | Kind::ResourceUpdate | Kind::ResourceDelete => {
            let action = match f.kind {
                Kind::ResourceCreate => "resource.create",
                Kind::ResourceUpdate => "resource.update",
                _ => "resource.delete",
            };
            auditlake_head(r, f, out, 0, action, f.ok, Some(f.user));
            session(f, out);
            let kind = pick(f.r, 5, DOC_TYPES);
            resource(out, kind, "doc-", obj, pick(f.r, 9, DOC_NAMES));
            if f.kind == Kind::ResourceUpdate && f.ok {
                let a = CHANGES[(f.r >> 13) as usize % CHANGES.len()];
                if (f.r >> 17) % 3 == 0 {
                    let owner_old = r.user(f.user).id.clone();
                    let owner_new = r.user(f.other).id.clone();
                    changes(out, &[a, ("owner", &owner_old, &owner_new)]);
                } else {
                    changes(out, &[a]);
                }
            }
            failure(out, f.ok, "permission denied");
        }
        Kind::Assign => {
            auditlake_head(r, f, out, 0, "resource.assign", true, Some(f.user));
            session(f, out);
            resource(out, "laptop", "asset-", obj, "ThinkPad T14");
            let to = r.user(f.other).id.clone();
            changes(out, &[("assignee", "", &to)]);
        }
        Kind::SecretView => {
            auditlake_head(r, f, out, 0, "resource.secret_view", f.ok, Some(f.user));
            session(f, out);
            resource(out, "api_key", "key-", obj % 2000, "production api key");
            failure(out, f.ok, "permission denied: role viewer");
        }
        Kind::Export => {
            auditlake_head(r, f, out, 0, "data.export", f.ok, Some(f.user));
            session(f, out);
            resource(out, "report", "rep-", obj % 500, pick(f.r, 7, REPORTS));
            let rows = 10 + (f.r >> 20) % 50_000;
            if f.ok {
                out.s(",\"export\":{\"format\":\"csv\",\"rows\":")
                    .u(rows)
                    .s("}");
                message = Some(format!("exported {rows} rows as csv"));
            }
            failure(out, f.ok, "missing permission reports:export");
        }
        Kind::CredentialRegister | Kind::CredentialUse | Kind::CredentialDelete => {
            let action = match f.kind {
                Kind::CredentialRegister => "credential.register",
                Kind::CredentialUse => "credential.use",
                _ => "credential.delete",
            };
            auditlake_head(r, f, out, 0, action, f.ok, Some(f.user));
            out.s(",\"auth_method\":\"webauthn\",\"credential\":{\"id\":\"cred-");
            push_hex(&mut out.buf, mix64(f.user as u64 ^ 0xc4ed), 8);
            let (rp, rp_name) = if f.r % 4 == 0 {
                ("vpn.example.com", "Acme VPN")
            } else {
                ("portal.example.com", "Acme Portal")
            };
            out.s("\",\"rp_id\":\"")
                .s(rp)
                .s("\",\"rp_name\":\"")
                .s(rp_name)
                .s("\"}");
            if f.kind == Kind::CredentialUse {
                session(f, out);
            }
            failure(out, f.ok, "security key assertion failed");
        }
        Kind::PasswordChange | Kind::PasswordReset => {
            let action = if f.kind == Kind::PasswordChange {
                "account.password.change"
            } else {
                "account.password.reset_request"
            };
            auditlake_head(r, f, out, 0, action, f.ok, Some(f.user));
            out.s(",\"auth_method\":\"password\"");
            failure(out, f.ok, "password does not meet policy");
        }
        Kind::ProfileUpdate => {
            auditlake_head(r, f, out, 0, "account.profile.update", true, Some(f.user));
            session(f, out);
            let c = [
                ("locale", "en-US", "fr-FR"),
                ("phone", "+1 555 0100", "+1 555 0199"),
                ("display_name", "al", "Alice"),
            ][(f.r % 3) as usize];
            changes(out, &[c]);
        }
        Kind::RoleChange => {
            auditlake_head(r, f, out, 0, "account.role.change", true, Some(f.user));
            session(f, out);
            let target = r.user(f.other);
            let (id, email) = (target.id.clone(), target.email.clone());
            out.s(",\"resource\":{\"type\":\"user\",\"id\":\"")
                .s(&id)
                .s("\",\"name\":\"")
                .s(&email)
                .s("\"}");
            let c = [("role", "member", "admin"), ("role", "admin", "member")][(f.r % 2) as usize];
            changes(out, &[c]);
        }
        Kind::SettingsChange => {
            auditlake_head(r, f, out, 0, "system.settings.change", true, Some(f.user));
            session(f, out);
            let (section, field, old, new) = SETTINGS[(f.r % SETTINGS.len() as u64) as usize];
            out.s(",\"resource\":{\"type\":\"settings\",\"id\":\"")
                .s(section)
                .s("\"}");
            changes(out, &[(field, old, new)]);
        }
        Kind::Email => {
            auditlake_head(r, f, out, 0, "message.email.send", true, Some(f.user));
            let email = r.user(f.user).email.clone();
            out.s(",\"resource\":{\"type\":\"email_address\",\"id\":\"")
                .s(&email)
                .s("\"}");
        }
        Kind::Noise => unreachable!("auditlake-json writes no noise"),
    }
    request_id(f, out);
    r.close_json(out, "message", message.as_deref(), "}", 1, f.n);
}

/// `{"id":"<uuid>","seq":N,"type":"..","context":{..},"payload":{"user":{..}`
fn idp_head(r: &mut Renderer, f: &Fact, out: &mut Lines, j: u32, kind: &str, user: bool) {
    let h = mix64(r.seed ^ f.n.wrapping_mul(0x1_0000_0001) ^ j as u64);
    let h2 = mix64(h);
    out.s("{\"id\":\"");
    push_hex(&mut out.buf, h >> 32, 8);
    out.s("-");
    push_hex(&mut out.buf, h >> 16, 4);
    out.s("-4");
    push_hex(&mut out.buf, h, 3);
    out.s("-");
    push_hex(&mut out.buf, 8 | (h2 >> 62), 1);
    push_hex(&mut out.buf, h2 >> 48, 3);
    out.s("-");
    push_hex(&mut out.buf, h2, 12);
    r.seq += 1;
    out.s("\",\"seq\":")
        .u(r.seq)
        .s(",\"type\":\"")
        .s(kind)
        .s("\",\"context\":{\"timestamp\":")
        .u((r.line_time(f.time_us, j, BURST_STEP_US) / 1000) as u64);
    let u = r.user(f.user);
    let (id, name, email, ua, tenant) = (
        u.id.clone(),
        u.name.clone(),
        u.email.clone(),
        u.ua,
        u.tenant,
    );
    if user {
        out.s(",\"user_id\":\"").s(&id).s("\"");
    }
    out.s(",\"ip_address\":\"").ip(f.ip).s("\"");
    if user {
        out.s(",\"user_agent\":\"").s(ua).s("\"");
    }
    out.s(",\"app_id\":\"")
        .s(tenant)
        .s("-portal\",\"geo_location_code\":\"")
        .s(geo(f.ip))
        .s("\"},\"payload\":{");
    if user {
        out.s("\"user\":{\"id\":\"")
            .s(&id)
            .s("\",\"name\":\"")
            .s(&name)
            .s("\",\"email\":\"")
            .s(&email)
            .s("\",\"is_disabled\":false,\"is_verified\":true,\"created_at\":\"2025-03-02T10:00:00Z\"}");
    }
}

fn idp_session(r: &mut Renderer, f: &Fact, out: &mut Lines, amr: &str) {
    out.s(",\"session\":{\"id\":\"");
    push_session(&mut out.buf, f.user, f.session);
    out.s("\",\"amr\":[").s(amr).s("],\"created_at\":\"");
    r.time(out, f.time_us, true);
    out.s("\"}");
}

fn idp_authenticator(f: &Fact, out: &mut Lines) {
    out.s(",\"authenticator\":{\"id\":\"key-");
    push_hex(&mut out.buf, mix64(f.user as u64 ^ 0xc4ed), 8);
    let name = pick(
        f.user as u64,
        0,
        &["YubiKey 5C", "Titan Key", "iPhone passkey"],
    );
    out.s("\",\"type\":\"webauthn\",\"name\":\"")
        .s(name)
        .s("\"}");
    let (rp, rp_name) = if f.r % 4 == 0 {
        ("vpn.example.com", "Acme VPN")
    } else {
        ("portal.example.com", "Acme Portal")
    };
    out.s(",\"relying_party\":{\"id\":\"")
        .s(rp)
        .s("\",\"name\":\"")
        .s(rp_name)
        .s("\"}");
}

fn before_after(out: &mut Lines, field: &str, old: &str, new: &str) {
    out.s(",\"before\":{\"")
        .s(field)
        .s("\":\"")
        .s(old)
        .s("\"},\"after\":{\"")
        .s(field)
        .s("\":\"")
        .s(new)
        .s("\"}");
}

/// An identity provider's audit log (profile `idp-json`): sign-ins, second factors, security
/// keys, account changes with before/after values, lockouts.
pub fn idp(r: &mut Renderer, f: &Fact, out: &mut Lines) {
    let close = |r: &mut Renderer, out: &mut Lines, n: u64| {
        r.close_json(out, "note", None, "}}", 1, n);
    };
    match f.kind {
        Kind::Burst => {
            for j in 0..f.count {
                if f.unknown_user {
                    idp_head(
                        r,
                        f,
                        out,
                        j,
                        "AUTHENTICATION_IDENTITY_LOGIN_ID_FAILED",
                        false,
                    );
                    out.s("\"login_id\":\"")
                        .s(pick(f.r, 0, GUESSED_LOGINS))
                        .s("\"");
                } else {
                    idp_head(r, f, out, j, "AUTHENTICATION_PRIMARY_PASSWORD_FAILED", true);
                }
                close(r, out, f.n + j as u64);
            }
            if !f.unknown_user && f.count >= 5 {
                idp_head(r, f, out, f.count, "USER_LOCKED", true);
                out.s(",\"reason\":\"")
                    .u(f.count as u64)
                    .s(" failed authentications in 15 minutes\"");
                close(r, out, f.n);
            }
            return;
        }
        Kind::Login if f.ok => {
            idp_head(r, f, out, 0, "USER_AUTHENTICATED", true);
            idp_session(r, f, out, "\"pwd\"");
        }
        Kind::Login => idp_head(r, f, out, 0, "AUTHENTICATION_PRIMARY_PASSWORD_FAILED", true),
        Kind::Mfa => {
            let kind = match (f.ok, f.r % 3) {
                (true, _) => "WHATSAPP_OTP_VERIFIED",
                (false, 0) => "AUTHENTICATION_SECONDARY_OOB_OTP_SMS_FAILED",
                (false, _) => "AUTHENTICATION_SECONDARY_TOTP_FAILED",
            };
            idp_head(r, f, out, 0, kind, true);
            idp_session(r, f, out, "\"pwd\",\"otp\"");
        }
        Kind::Logout | Kind::SessionExpire => {
            let kind = if f.kind == Kind::Logout {
                "USER_SIGNED_OUT"
            } else {
                "SESSION_EXPIRED"
            };
            idp_head(r, f, out, 0, kind, true);
            idp_session(r, f, out, "\"pwd\"");
        }
        Kind::CredentialRegister | Kind::CredentialUse | Kind::CredentialDelete => {
            let kind = match (f.kind, f.ok) {
                (Kind::CredentialRegister, _) => "SECURITY_KEY_REGISTERED",
                (Kind::CredentialUse, true) => "SECURITY_KEY_USED",
                (Kind::CredentialUse, false) => "AUTHENTICATION_PRIMARY_PASSKEY_FAILED",
                _ => "SECURITY_KEY_DELETED",
            };
            idp_head(r, f, out, 0, kind, true);
            idp_authenticator(f, out);
        }
        Kind::PasswordChange => {
            idp_head(r, f, out, 0, "USER_PASSWORD_CHANGED", true);
            idp_session(r, f, out, "\"pwd\"");
        }
        Kind::PasswordReset => idp_head(r, f, out, 0, "PASSWORD_RESET_REQUESTED", true),
        Kind::ProfileUpdate => {
            let email = r.user(f.user).email.clone();
            match f.r % 3 {
                0 => {
                    idp_head(r, f, out, 0, "IDENTITY_EMAIL_UPDATED", true);
                    before_after(
                        out,
                        "email",
                        &email,
                        &email.replace("example.com", "example.org"),
                    );
                }
                1 => {
                    idp_head(r, f, out, 0, "IDENTITY_PHONE_UPDATED", true);
                    before_after(out, "phone_number", "+1 555 0100", "+1 555 0199");
                }
                _ => {
                    idp_head(r, f, out, 0, "USER_PROFILE_UPDATED", true);
                    before_after(out, "locale", "en-US", "fr-FR");
                }
            }
        }
        Kind::RoleChange => {
            idp_head(r, f, out, 0, "USER_ROLE_CHANGED", true);
            let (old, new) = if f.r % 2 == 0 {
                ("member", "admin")
            } else {
                ("admin", "member")
            };
            before_after(out, "role", old, new);
        }
        Kind::Email => {
            let email = r.user(f.user).email.clone();
            idp_head(r, f, out, 0, "EMAIL_SENT", true);
            let t = pick(f.r, 3, &["verification", "password_reset", "login_alert"]);
            out.s(",\"recipient\":\"")
                .s(&email)
                .s("\",\"message_type\":\"")
                .s(t)
                .s("\"");
        }
        other => unreachable!("idp-json does not write {other:?}"),
    }
    close(r, out, f.n);
}

const ASSET_TYPES: &[(&str, &str)] = &[
    ("laptop", "TP-"),
    ("laptop", "MBP-"),
    ("monitor", "MON-"),
    ("phone", "PH-"),
];
const LICENSES: &[&str] = &[
    "Adobe Creative Cloud",
    "JetBrains All Products",
    "Microsoft 365 E3",
    "Slack Business+",
    "Figma Professional",
];
const STATUSES: &[&str] = &["ready to deploy", "deployed", "in repair", "retired"];
const LOCATIONS: &[&str] = &[
    "Paris HQ",
    "Lyon office",
    "Berlin office",
    "remote",
    "storage",
];

fn asset_head(r: &mut Renderer, f: &Fact, out: &mut Lines, event: &str) {
    out.s("{\"ts\":\"");
    r.time(out, f.time_us, false);
    let u = r.user(f.user);
    let (tenant, id, name, email, ua) = (
        u.tenant,
        u.id.clone(),
        u.name.clone(),
        u.email.clone(),
        u.ua,
    );
    out.s("\",\"event\":\"")
        .s(event)
        .s("\",\"company\":\"")
        .s(tenant)
        .s("\",\"user\":{\"id\":\"")
        .s(&id)
        .s("\",\"name\":\"")
        .s(&name)
        .s("\",\"email\":\"")
        .s(&email)
        .s("\"},\"ip\":\"")
        .ip(f.ip)
        .s("\",\"ua\":\"")
        .s(ua)
        .s("\"");
}

fn asset_obj(f: &Fact, out: &mut Lines, key: &str) {
    let id = (f.object % 20_000) as u64;
    let (kind, prefix) = ASSET_TYPES[(f.r >> 11) as usize % ASSET_TYPES.len()];
    out.s(",\"")
        .s(key)
        .s("\":{\"id\":")
        .u(id)
        .s(",\"type\":\"")
        .s(kind)
        .s("\",\"name\":\"");
    push_ref(&mut out.buf, prefix, id, 5);
    out.s("\",\"tag\":\"");
    push_ref(&mut out.buf, "ASSET-", id, 5);
    out.s("\"}");
}

fn license_obj(f: &Fact, out: &mut Lines) {
    let id = (f.object % 40) as u64;
    out.s(",\"license\":{\"id\":")
        .u(id)
        .s(",\"name\":\"")
        .s(LICENSES[id as usize % LICENSES.len()])
        .s("\"}");
}

fn map_change(out: &mut Lines, first: bool, field: &str, from: Option<&str>, to: &str) {
    out.s(if first { ",\"changes\":{\"" } else { ",\"" })
        .s(field)
        .s("\":{\"from\":");
    match from {
        Some(v) => out.s("\"").s(v).s("\""),
        None => out.s("null"),
    };
    out.s(",\"to\":\"").s(to).s("\"}");
}

/// An asset and license management application's change log (profile `asset-json`).
pub fn asset(r: &mut Renderer, f: &Fact, out: &mut Lines) {
    let st = |k: u64| STATUSES[(k % STATUSES.len() as u64) as usize];
    let loc = |k: u64| LOCATIONS[(k % LOCATIONS.len() as u64) as usize];
    let v = f.r % 10;
    match f.kind {
        Kind::ResourceCreate if v < 2 => {
            asset_head(r, f, out, "license.created");
            license_obj(f, out);
        }
        Kind::ResourceCreate => {
            asset_head(
                r,
                f,
                out,
                if v < 3 {
                    "accessory.created"
                } else {
                    "asset.created"
                },
            );
            asset_obj(f, out, "asset");
            map_change(out, true, "status", None, st(0));
            map_change(out, false, "location", None, loc(f.r >> 7));
            out.s("}");
        }
        Kind::ResourceUpdate if v < 2 => {
            asset_head(r, f, out, "license.updated");
            license_obj(f, out);
            let seats = 10 + (f.r >> 9) % 90;
            let (a, b) = (seats.to_string(), (seats + 5).to_string());
            map_change(out, true, "seats", Some(&a), &b);
            out.s("}");
        }
        Kind::ResourceUpdate => {
            let event = if v < 4 {
                "asset.status_changed"
            } else {
                "asset.updated"
            };
            asset_head(r, f, out, event);
            asset_obj(f, out, "asset");
            if v < 4 {
                map_change(out, true, "status", Some(st(f.r >> 5)), st((f.r >> 5) + 1));
            } else {
                map_change(
                    out,
                    true,
                    "location",
                    Some(loc(f.r >> 5)),
                    loc((f.r >> 5) + 2),
                );
                if v > 7 {
                    map_change(out, false, "notes", Some(""), "shipped with charger");
                }
            }
            out.s("}");
        }
        Kind::ResourceDelete => {
            if v < 2 {
                asset_head(r, f, out, "license.deleted");
                license_obj(f, out);
            } else {
                asset_head(r, f, out, "asset.deleted");
                asset_obj(f, out, "asset");
            }
        }
        Kind::Assign => {
            let other = r.user(f.other);
            let (oid, oname) = (other.id.clone(), other.name.clone());
            let event = match v {
                0..=3 => "asset.checked_out",
                4..=5 => "asset.checked_in",
                6..=8 => "license.seat_assigned",
                _ => "license.seat_released",
            };
            asset_head(r, f, out, event);
            if v < 6 {
                asset_obj(f, out, "asset");
            } else {
                license_obj(f, out);
            }
            out.s(",\"assigned_to\":{\"type\":\"user\",\"id\":\"")
                .s(&oid)
                .s("\",\"name\":\"")
                .s(&oname)
                .s("\"}");
            match v {
                0..=3 => map_change(out, true, "assigned_to", None, &oid),
                4..=5 => map_change(out, true, "assigned_to", Some(&oid), ""),
                _ => {
                    let used = 1 + (f.r >> 9) % 40;
                    let (a, b) = (used.to_string(), (used + 1).to_string());
                    map_change(out, true, "seats_used", Some(&a), &b);
                }
            }
            out.s("}");
        }
        Kind::SecretView => {
            asset_head(r, f, out, "license.key_viewed");
            license_obj(f, out);
        }
        Kind::Export if v < 3 => {
            asset_head(r, f, out, "report.generated");
            out.s(",\"report\":{\"id\":\"");
            push_ref(&mut out.buf, "rep-", (f.object % 300) as u64, 4);
            out.s("\",\"name\":\"")
                .s(pick(
                    f.r,
                    7,
                    &["depreciation", "audit", "licenses due", "unassigned"],
                ))
                .s("\"}");
        }
        Kind::Export => {
            asset_head(r, f, out, "export.created");
            out.s(",\"export\":{\"id\":\"");
            push_ref(&mut out.buf, "exp-", (f.object % 10_000) as u64, 5);
            out.s("\",\"name\":\"all assets\",\"format\":\"csv\",\"rows\":")
                .u(100 + (f.r >> 16) % 5000)
                .s("}");
        }
        Kind::SettingsChange => {
            asset_head(r, f, out, "settings.updated");
            let (section, field, old, new) = SETTINGS[(f.r % SETTINGS.len() as u64) as usize];
            out.s(",\"settings\":{\"section\":\"").s(section).s("\"}");
            map_change(out, true, field, Some(old), new);
            out.s("}");
        }
        other => unreachable!("asset-json does not write {other:?}"),
    }
    if !f.ok {
        out.s(",\"result\":\"denied\",\"error\":\"permission denied: role viewer\"");
    }
    r.close_json(out, "note", None, "}", 1, f.n);
}

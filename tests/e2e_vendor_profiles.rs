//! The vendors' built-in profiles end to end: each sample of `examples/logs/` (written from the
//! vendor's documented schema) archived by `agent --once`, then read back with `query`; for every
//! line of the sample a table says what it must become: actor, source address, action, outcome,
//! time and tier (the action's default tier), or ignored, or dead-lettered.

mod util;

use chrono::{DateTime, SecondsFormat, Utc};
use std::path::Path;

use serde_json::Value;
use util::*;

use samples::Want::{Dead, Ignored};
use samples::*;

fn s(v: &'static str) -> Option<&'static str> {
    Some(v)
}

/// A time as `query` prints it.
fn printed(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The time a JSON line holds, as `f` finds it in the parsed line.
fn json_time(f: impl Fn(&Value) -> String) -> impl Fn(&str) -> String {
    move |line| f(&serde_json::from_str(line).unwrap())
}

/// The RFC 3339 time at `path` (a JSON pointer) of a line, as `query` prints it.
fn rfc3339_at(path: &'static str) -> impl Fn(&str) -> String {
    json_time(move |v| {
        let t = v.pointer(path).and_then(Value::as_str).expect(path);
        printed(DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
    })
}

/// The epoch-milliseconds time at `path` (a JSON pointer) of a line, as `query` prints it.
fn epoch_ms_at(path: &'static str) -> impl Fn(&str) -> String {
    json_time(move |v| {
        let ms = v.pointer(path).and_then(Value::as_i64).expect(path);
        printed(DateTime::from_timestamp_millis(ms).unwrap())
    })
}

#[test]
fn kubernetes_audit_profile_maps_every_sample_event() {
    let table = [
        Ignored, // RequestReceived
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "resource.secret_view",
            "success",
        ), // get secret
        ev(
            s("bob@acme.example"),
            s("192.0.2.10"),
            "resource.secret_view",
            "failure",
        ), // list secrets forbidden
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "account.role.grant",
            "success",
        ), // create rolebinding
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "account.role.change",
            "success",
        ), // patch clusterrolebinding
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "account.role.revoke",
            "success",
        ), // delete rolebinding
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "account.role.create",
            "success",
        ), // create clusterrole
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "account.role.update",
            "success",
        ), // update role
        ev(
            s("bob@acme.example"),
            s("192.0.2.10"),
            "account.role.delete",
            "failure",
        ), // delete clusterrole forbidden
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "resource.secret_change",
            "success",
        ), // create secret
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "resource.secret_change",
            "success",
        ), // patch secret
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "resource.secret_delete",
            "failure",
        ), // delete secret not found
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "credential.token.create",
            "success",
        ), // serviceaccount token
        Ignored, // ResponseStarted exec
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "session.exec",
            "success",
        ), // exec
        ev(
            s("mallory@acme.example"),
            s("198.51.100.66"),
            "session.exec",
            "failure",
        ), // attach forbidden
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "session.port_forward",
            "success",
        ), // port-forward
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "resource.create",
            "success",
        ), // create deployment
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "resource.update",
            "success",
        ), // patch deployment
        ev(
            s("system:serviceaccount:ci:deployer"),
            s("10.0.4.12"),
            "resource.update",
            "failure",
        ), // patch conflict
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "resource.delete",
            "success",
        ), // delete pod
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "resource.read",
            "success",
        ), // list pods
        Ignored, // ResponseStarted watch
        ev(A, s("198.51.100.66"), "authentication.login", "failure"), // failed authentication
        ev(
            s("bob@acme.example"),
            s("192.0.2.10"),
            "resource.read",
            "success",
        ), // non-resource get /version
        ev(
            s("oidc:\u{1b}[31mroot\u{1b}[0m"),
            s("198.51.100.66"),
            "resource.read",
            "success",
        ), // escape in username, script in user agent
        ev(
            s("oidc:=HYPERLINK(\"http://evil.example/\",\"open\")"),
            s("198.51.100.66"),
            "resource.update",
            "success",
        ), // formula in username
        Dead,    // Panic stage
        Dead,    // cut mid-object
    ];
    check_sample(
        "kubernetes-audit",
        "kubernetes-audit.jsonl",
        &table,
        rfc3339_at("/requestReceivedTimestamp"),
    );
}

#[test]
fn okta_profile_maps_every_sample_event() {
    let table = [
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.login",
            "success",
        ), // sign-in
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.mfa.verify",
            "success",
        ), // factor verified
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.sso",
            "success",
        ), // SSO to app
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // wrong password
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.mfa.verify",
            "failure",
        ), // factor failed
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.mfa.verify",
            "failure",
        ), // push denied
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "account.lock",
            "success",
        ), // locked
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.unlock",
            "success",
        ), // unlocked by admin
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "authentication.policy.evaluate",
            "unknown",
        ), // policy challenge
        ev(
            s("mallory@evil.example"),
            s("198.51.100.66"),
            "authentication.policy.evaluate",
            "failure",
        ), // policy deny
        ev(
            s("<script>alert(1)</script>"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // script as username
        ev(
            s("\u{1b}[31madmin\u{1b}[0m"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // escape as username
        ev(
            s("=HYPERLINK(\"http://evil.example/\",\"x\")"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // formula as username
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "session.sign_out",
            "success",
        ), // sign-out
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.create",
            "success",
        ), // create user
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.activate",
            "success",
        ), // activate user
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.group.member_add",
            "success",
        ), // add to group
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.application.assign",
            "success",
        ), // assign app
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "authentication.mfa.enroll",
            "success",
        ), // factor enrolled
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "account.password.change",
            "success",
        ), // password changed
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.role.grant",
            "success",
        ), // admin role granted
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "credential.token.create",
            "success",
        ), // API token
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "system.policy.update",
            "success",
        ), // policy rule changed
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "authentication.mfa.disable",
            "success",
        ), // factors reset
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.password.reset_request",
            "success",
        ), // password reset
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.group.member_remove",
            "success",
        ), // remove from group
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "credential.token.revoke",
            "success",
        ), // token revoked
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.role.revoke",
            "success",
        ), // admin role revoked
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.disable",
            "success",
        ), // suspend
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "session.terminate",
            "success",
        ), // sessions cleared
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.deletion_schedule",
            "success",
        ), // delete initiated
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.delete",
            "success",
        ), // delete completed
        Dead, // a type no rule maps
    ];
    check_sample("okta", "okta.jsonl", &table, rfc3339_at("/published"));
}

#[test]
fn github_audit_profile_maps_every_sample_event() {
    let table = [
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.invitation.send",
            "success",
        ), // invite
        ev(
            s("dave"),
            s("192.0.2.44"),
            "account.group.member_add",
            "success",
        ), // joined
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.group.member_add",
            "success",
        ), // team member
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.role.grant",
            "success",
        ), // collaborator added
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.role.change",
            "success",
        ), // made owner
        ev(s("carol"), s("198.51.100.20"), "resource.create", "success"), // repo created
        ev(
            s("carol"),
            s("198.51.100.20"),
            "system.policy.create",
            "success",
        ), // branch protection
        ev(s("bob"), s("192.0.2.10"), "system.admin.action", "success"),  // protection overridden
        ev(
            s("carol"),
            s("198.51.100.20"),
            "resource.secret_change",
            "success",
        ), // secret added
        ev(
            s("carol"),
            s("198.51.100.20"),
            "resource.secret_delete",
            "success",
        ), // secret removed
        ev(s("dave"), s("192.0.2.44"), "credential.register", "success"), // SSH key
        ev(
            s("dave"),
            s("192.0.2.44"),
            "credential.token.create",
            "unknown",
        ), // token requested
        ev(
            s("alice"),
            s("203.0.113.5"),
            "credential.token.create",
            "failure",
        ), // token denied
        ev(
            s("alice"),
            s("203.0.113.5"),
            "credential.token.create",
            "success",
        ), // token granted
        ev(
            s("bob"),
            s("192.0.2.10"),
            "system.application.create",
            "success",
        ), // OAuth app
        ev(
            s("bob"),
            s("192.0.2.10"),
            "credential.token.create",
            "success",
        ), // client secret reset
        ev(
            s("bob"),
            s("192.0.2.10"),
            "system.application.create",
            "success",
        ), // webhook
        ev(
            s("alice"),
            s("203.0.113.5"),
            "system.security.change",
            "success",
        ), // 2FA requirement off
        ev(
            s("alice"),
            s("203.0.113.5"),
            "system.security.change",
            "success",
        ), // 2FA requirement on
        ev(
            s("carol"),
            s("198.51.100.20"),
            "system.security.change",
            "success",
        ), // repo made public
        ev(
            s("<script>alert(1)</script>"),
            s("198.51.100.66"),
            "data.export",
            "success",
        ), // script as actor
        ev(
            s("\u{1b}[31mbob\u{1b}[0m"),
            s("198.51.100.66"),
            "resource.read",
            "success",
        ), // escape as actor
        ev(
            s("=HYPERLINK(\"http://evil.example/\",\"x\")"),
            s("198.51.100.66"),
            "resource.update",
            "success",
        ), // formula as actor
        ev(s("alice"), A, "account.group.member_remove", "success"),      // no IP disclosed
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.role.revoke",
            "success",
        ), // collaborator removed
        ev(
            s("alice"),
            s("203.0.113.5"),
            "account.group.member_remove",
            "success",
        ), // member removed
        ev(s("carol"), s("198.51.100.20"), "resource.delete", "success"), // repo deleted
        Dead,                                                             // an action no rule maps
    ];
    check_sample(
        "github-audit",
        "github-audit.jsonl",
        &table,
        epoch_ms_at("/@timestamp"),
    );
}

#[test]
fn gitlab_audit_profile_maps_every_sample_event() {
    let table = [
        ev(s("42"), s("203.0.113.5"), "authentication.login", "success"), // sign-in
        ev(
            s("42"),
            s("203.0.113.5"),
            "authentication.mfa.verify",
            "success",
        ), // two-factor
        ev(
            s("43"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // wrong password
        ev(
            s("43"),
            s("198.51.100.66"),
            "authentication.mfa.totp",
            "failure",
        ), // wrong OTP
        ev(s("1"), s("198.51.100.66"), "account.lock", "success"),        // locked
        ev(s("1"), s("198.51.100.7"), "account.unlock", "success"),       // unlocked
        ev(
            s("<script>alert(1)</script>"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // script as login
        ev(
            s("\u{1b}[31mroot\u{1b}[0m"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // escape as login
        ev(
            s("=HYPERLINK(\"http://evil.example/\",\"x\")"),
            s("198.51.100.66"),
            "credential.use",
            "failure",
        ), // formula as login
        ev(
            s("44"),
            s("198.51.100.20"),
            "account.password.change",
            "success",
        ), // password
        ev(
            s("44"),
            s("198.51.100.20"),
            "authentication.mfa.enroll",
            "success",
        ), // 2FA on
        ev(
            s("44"),
            s("198.51.100.20"),
            "credential.register",
            "success",
        ), // SSH key
        ev(
            s("44"),
            s("198.51.100.20"),
            "credential.token.create",
            "success",
        ), // token
        ev(
            s("43"),
            s("192.0.2.10"),
            "credential.token.create",
            "failure",
        ), // token creation failed
        ev(s("42"), s("203.0.113.5"), "account.role.grant", "success"),   // member added
        ev(s("42"), s("203.0.113.5"), "account.role.change", "success"),  // made owner
        ev(s("1"), s("198.51.100.7"), "account.role.change", "success"),  // made admin
        ev(s("42"), s("203.0.113.5"), "system.policy.update", "success"), // force push allowed
        ev(s("43"), s("192.0.2.10"), "data.export", "success"),           // archive download
        ev(s("42"), s("203.0.113.5"), "account.role.revoke", "success"),  // member removed
        ev(s("44"), s("198.51.100.20"), "credential.delete", "success"),  // SSH key removed
        ev(s("1"), s("198.51.100.7"), "account.user.disable", "success"), // blocked
        ev(s("42"), s("203.0.113.5"), "resource.delete", "success"),      // project deleted
        Dead,                                                             // a type no rule maps
        Dead,                                                             // cut mid-object
    ];
    check_sample(
        "gitlab-audit",
        "gitlab-audit.jsonl",
        &table,
        rfc3339_at("/created_at"),
    );
}

#[test]
fn google_workspace_profile_maps_every_sample_event() {
    let table = [
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.login",
            "success",
        ), // login
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.primary.password",
            "success",
        ), // password challenge
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "authentication.mfa.totp",
            "success",
        ), // authenticator code
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // wrong password
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.mfa.otp_sms",
            "failure",
        ), // phone code failed
        ev(
            s("bob@acme.example"),
            s("198.51.100.66"),
            "authentication.mfa.verify",
            "failure",
        ), // second factor failed
        ev(
            s("carol@acme.example"),
            s("198.51.100.20"),
            "authentication.mfa.recovery_code",
            "success",
        ), // backup code
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "credential.use",
            "success",
        ), // security key
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "authentication.mfa.verify",
            "success",
        ), // Google prompt
        ev(
            s("erin@acme.example"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // account disabled
        ev(
            s("carol@acme.example"),
            s("198.51.100.66"),
            "authentication.login",
            "unknown",
        ), // suspicious
        ev(
            s("alice@acme.example"),
            s("203.0.113.5"),
            "session.sign_out",
            "success",
        ), // logout
        ev(
            s("carol@acme.example"),
            A,
            "account.user.disable",
            "success",
        ), // disabled: leaked password
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "authentication.mfa.enroll",
            "success",
        ), // 2SV enrolled
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "account.password.change",
            "success",
        ), // password changed
        ev(
            s("dave@acme.example"),
            s("192.0.2.44"),
            "identity.phone.update",
            "success",
        ), // recovery phone
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.create",
            "success",
        ), // create user
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.role.grant",
            "success",
        ), // super admin granted
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.group.member_add",
            "success",
        ), // group member
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.password.change",
            "success",
        ), // admin set password
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.disable",
            "success",
        ), // suspend
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "session.terminate",
            "success",
        ), // sign-out forced
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "system.security.change",
            "success",
        ), // 2SV enforced
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "system.application.update",
            "success",
        ), // domain-wide delegation
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.role.revoke",
            "success",
        ), // super admin revoked
        ev(
            s("admin@acme.example"),
            s("198.51.100.7"),
            "account.user.delete",
            "success",
        ), // delete user
        ev(
            s("<script>alert(1)</script>@acme.example"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // script in email
        ev(
            s("\u{1b}[31mroot\u{1b}[0m@acme.example"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // escape in email
        ev(
            s("=hyperlink(\"http://evil.example/\",\"x\")@acme.example"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // formula in email
        Dead, // an event no rule maps
    ];
    check_sample(
        "google-workspace",
        "google-workspace.jsonl",
        &table,
        rfc3339_at("/id/time"),
    );
}

#[test]
fn auth0_profile_maps_every_sample_event() {
    let table = [
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("203.0.113.5"),
            "authentication.login",
            "success",
        ), // login
        Ignored, // MFA started
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("203.0.113.5"),
            "authentication.mfa.verify",
            "success",
        ), // MFA ok
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("203.0.113.5"),
            "authentication.token.issue",
            "success",
        ), // code exchange
        ev(
            s("auth0|6563a1b2c3d4e5f60718293b"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // wrong password
        ev(
            s("admin@acme.example"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // unknown user
        ev(
            s("<script>alert(1)</script>"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // script as username
        ev(
            s("\u{1b}[31mroot\u{1b}[0m"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // escape as username
        ev(
            s("=HYPERLINK(\"http://evil.example/\",\"x\")"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // formula as username
        ev(
            s("auth0|6563a1b2c3d4e5f60718293b"),
            s("198.51.100.66"),
            "account.lock",
            "success",
        ), // account blocked
        ev(A, s("198.51.100.66"), "authentication.ip_block", "success"), // IP blocked
        Ignored, // login warning
        ev(
            s("auth0|6563a1b2c3d4e5f60718293c"),
            s("198.51.100.20"),
            "authentication.primary.password",
            "failure",
        ), // breached password
        ev(
            s("auth0|6563a1b2c3d4e5f60718293c"),
            s("198.51.100.20"),
            "account.password.reset_request",
            "success",
        ), // reset requested
        ev(
            s("auth0|6563a1b2c3d4e5f60718293c"),
            s("198.51.100.20"),
            "account.password.change",
            "success",
        ), // password changed
        ev(
            s("auth0|6563a1b2c3d4e5f60718293d"),
            s("198.51.100.20"),
            "account.user.create",
            "success",
        ), // signup
        ev(
            s("dave@acme.example"),
            s("198.51.100.66"),
            "account.user.create",
            "failure",
        ), // signup failed
        ev(
            s("auth0|6563a1b2c3d4e5f60718293d"),
            s("198.51.100.20"),
            "identity.email.verify",
            "success",
        ), // email verified
        ev(
            s("auth0|6563a1b2c3d4e5f60718293d"),
            s("198.51.100.20"),
            "authentication.mfa.enroll",
            "success",
        ), // MFA enrolled
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("198.51.100.66"),
            "authentication.mfa.verify",
            "failure",
        ), // push rejected (log stream form)
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("203.0.113.5"),
            "authentication.sso",
            "success",
        ), // silent auth (log stream form)
        ev(
            s("auth0|6563a1b2c3d4e5f60718293a"),
            s("203.0.113.5"),
            "session.sign_out",
            "success",
        ), // logout
        ev(
            s("google-oauth2|104829387465001"),
            s("198.51.100.20"),
            "system.admin.action",
            "success",
        ), // management API
        ev(
            s("google-oauth2|104829387465001"),
            s("198.51.100.20"),
            "system.admin.action",
            "failure",
        ), // management API refused
        ev(
            s("auth0|6563a1b2c3d4e5f60718293b"),
            s("198.51.100.20"),
            "account.user.delete",
            "success",
        ), // user deleted
        Dead,    // a code no rule maps
    ];
    check_sample(
        "auth0",
        "auth0.jsonl",
        &table,
        json_time(|v| {
            // The Management API's flat form, or a log stream's `{"log_id", "data"}`.
            let t = v.get("data").unwrap_or(v)["date"].as_str().unwrap();
            printed(DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
        }),
    );
}

#[test]
fn keycloak_profile_maps_every_sample_event() {
    let table = [
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a01"),
            s("203.0.113.5"),
            "authentication.login",
            "success",
        ), // login
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a01"),
            s("203.0.113.5"),
            "authentication.token.issue",
            "success",
        ), // code to token
        Ignored, // introspection
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("198.51.100.66"),
            "authentication.primary.password",
            "failure",
        ), // wrong password
        ev(
            s("mallory"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // unknown user
        ev(
            s("<script>alert(1)</script>"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // script as username
        ev(
            s("\u{1b}[31mroot\u{1b}[0m"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // escape as username
        ev(
            s("=HYPERLINK(\"http://evil.example/\",\"x\")"),
            s("198.51.100.66"),
            "authentication.login_id",
            "failure",
        ), // formula as username
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("198.51.100.66"),
            "account.lock",
            "success",
        ), // brute-force lockout
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("198.51.100.66"),
            "authentication.login",
            "failure",
        ), // locked out
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a01"),
            s("203.0.113.5"),
            "session.sign_out",
            "success",
        ), // logout
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a03"),
            s("198.51.100.20"),
            "account.user.create",
            "success",
        ), // register
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a03"),
            s("198.51.100.20"),
            "authentication.mfa.enroll",
            "success",
        ), // TOTP set up
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a03"),
            s("198.51.100.20"),
            "credential.register",
            "success",
        ), // security key registered
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a03"),
            s("198.51.100.20"),
            "account.password.change",
            "success",
        ), // password
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("192.0.2.10"),
            "account.password.reset_request",
            "success",
        ), // reset mail
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("192.0.2.10"),
            "account.password.reset_complete",
            "failure",
        ), // reset link expired
        ev(
            s("6f1c2a9e-1b7d-4c55-9f0e-0c1d2e3f4a02"),
            s("192.0.2.10"),
            "authentication.mfa.disable",
            "success",
        ), // TOTP removed
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.user.create",
            "success",
        ), // admin: create user
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.password.change",
            "success",
        ), // admin: set password
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.group.member_add",
            "success",
        ), // admin: group member
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.role.grant",
            "success",
        ), // admin: role granted
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.role.create",
            "success",
        ), // admin: client role
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.role.revoke",
            "success",
        ), // admin: role revoked
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "system.application.update",
            "success",
        ), // admin: client changed
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "credential.token.create",
            "success",
        ), // admin: secret regenerated
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "system.security.change",
            "success",
        ), // admin: brute force off
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "account.user.delete",
            "failure",
        ), // admin: delete failed
        ev(
            s("0b3e8d11-7c2a-4f1b-a6a0-9d2c4e5f6a10"),
            s("198.51.100.7"),
            "session.terminate",
            "success",
        ), // admin: sign out user
        Dead,    // admin: a resource type no rule maps
    ];
    check_sample("keycloak", "keycloak.jsonl", &table, epoch_ms_at("/time"));
}

#[test]
fn cloudtrail_profile_maps_every_sample_record() {
    const ALICE: Option<&str> = Some("alice");
    const HOME: Option<&str> = Some("203.0.113.5");
    const STOLEN: Option<&str> =
        Some("arn:aws:sts::111122223333:assumed-role/deploy/i-0abcd1234ef567890");
    const INTRUDER: Option<&str> = Some("198.51.100.23");
    const BOB: Option<&str> =
        Some("arn:aws:sts::111122223333:assumed-role/AdminRole/bob@acme.example");
    const BOB_IP: Option<&str> = Some("203.0.113.9");
    const PRIYA: Option<&str> = Some("priya@acme.example");
    const PRIYA_IP: Option<&str> = Some("203.0.113.30");
    let table = [
        // Console sign-in.
        ev(ALICE, HOME, "authentication.login", "success"),
        ev(
            s("HIDDEN_DUE_TO_SECURITY_REASONS"),
            s("198.51.100.77"),
            "authentication.login",
            "failure",
        ),
        ev(ALICE, s("198.51.100.77"), "authentication.login", "failure"),
        ev(ALICE, HOME, "authentication.mfa.verify", "success"),
        ev(
            s("arn:aws:iam::111122223333:root"),
            s("192.0.2.44"),
            "authentication.login",
            "success",
        ),
        ev(ALICE, HOME, "authentication.token.issue", "success"), // SwitchRole
        // IAM administration.
        ev(ALICE, HOME, "account.user.create", "success"),
        ev(ALICE, HOME, "account.password.change", "success"), // CreateLoginProfile
        ev(ALICE, HOME, "account.group.member_add", "success"),
        ev(ALICE, HOME, "account.role.grant", "success"), // AttachUserPolicy
        ev(ALICE, HOME, "credential.token.create", "success"), // CreateAccessKey
        ev(ALICE, HOME, "credential.register", "success"), // CreateVirtualMFADevice
        ev(ALICE, HOME, "authentication.mfa.enroll", "success"),
        ev(ALICE, HOME, "account.role.create", "success"),
        ev(ALICE, HOME, "account.role.grant", "success"), // PutRolePolicy
        ev(ALICE, HOME, "account.user.delete", "failure"), // DeleteConflict
        ev(ALICE, HOME, "credential.token.revoke", "success"), // UpdateAccessKey Inactive
        ev(ALICE, HOME, "system.policy.create", "success"),
        ev(ALICE, HOME, "system.security.change", "success"), // password policy
        ev(ALICE, HOME, "account.group.member_remove", "success"),
        // One event a line; a service's name in sourceIPAddress is not an address.
        ev(
            s("ec2.amazonaws.com"),
            A,
            "authentication.token.issue",
            "success",
        ),
        // A stolen role session.
        ev(STOLEN, INTRUDER, "resource.read", "success"), // GetCallerIdentity
        ev(STOLEN, INTRUDER, "system.security.change", "success"), // StopLogging
        ev(STOLEN, INTRUDER, "system.security.change", "failure"), // DeleteTrail denied
        ev(STOLEN, INTRUDER, "resource.secret_view", "success"),
        ev(STOLEN, INTRUDER, "resource.secret_delete", "success"), // ScheduleKeyDeletion
        ev(STOLEN, INTRUDER, "system.security.change", "success"), // 0.0.0.0/0 on port 22
        ev(STOLEN, INTRUDER, "system.security.change", "success"), // PutBucketPolicy
        ev(STOLEN, INTRUDER, "session.exec", "success"),           // SendCommand
        // Mapped by readOnly and by verb; an Insights event; a call no rule names.
        ev(BOB, BOB_IP, "resource.read", "success"),
        ev(BOB, BOB_IP, "resource.create", "success"),
        ev(BOB, BOB_IP, "resource.delete", "success"),
        ev(BOB, BOB_IP, "resource.read", "success"), // S3 GetObject data event
        Ignored,
        Dead, // BatchExecuteStatement
        // Hostile values are kept as text.
        ev(ALICE, HOME, "account.user.create", "failure"),
        ev(
            s("=HYPERLINK(\"http://x\")"),
            s("2001:db8::7"),
            "account.profile.update",
            "success",
        ),
        // IAM Identity Center.
        ev(PRIYA, PRIYA_IP, "authentication.policy.evaluate", "success"),
        ev(
            PRIYA,
            PRIYA_IP,
            "authentication.primary.password",
            "failure",
        ),
        ev(PRIYA, PRIYA_IP, "authentication.login", "success"),
        ev(
            s("94482488-3041-7026-18f3-be45837cd0e4"),
            PRIYA_IP,
            "account.role.grant",
            "success",
        ),
        Dead, // a file cut off mid-write
    ];
    check_records(
        "cloudtrail",
        "cloudtrail.json",
        "/Records",
        &table,
        rfc3339_at("/eventTime"),
    );
}

/// CloudTrail delivers `.json.gz` files, each one line without a newline (however short): read
/// compressed, they give what the same lines give decompressed.
#[test]
fn cloudtrail_files_delivered_gzip_compressed_give_what_they_hold() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(repo_root().join("examples/logs/cloudtrail.json")).unwrap();
    let (plain, gz) = (dir.path().join("plain"), dir.path().join("gz"));
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&gz).unwrap();
    // One delivered file a line of the sample, as CloudTrail names them.
    for (i, line) in sample
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let name = format!("111122223333_CloudTrail_us-east-1_20261120T08{i:02}Z_x{i}.json");
        std::fs::write(plain.join(&name), [line, b"\n"].concat()).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(line).unwrap();
        std::fs::write(gz.join(format!("{name}.gz")), enc.finish().unwrap()).unwrap();
    }
    let run = |name: &str, glob: &str| -> (Value, Vec<String>) {
        let root = dir.path().join(format!("{name}-run"));
        std::fs::create_dir_all(&root).unwrap();
        let config = profile_config(&root, "cloudtrail", Path::new(glob), "", ONE_TIER);
        let out = run_ok(
            auditlake()
                .args(["agent", "--once", "--json", "--config"])
                .arg(&config),
        );
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        let out = run_ok(
            auditlake()
                .args(["query", "--format", "jsonl", "--archive"])
                .arg(root.join("archive")),
        );
        let mut events: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let e: Value = serde_json::from_str(l).unwrap();
                format!("{} {} {}", e["time"], e["action"], e["raw"])
            })
            .collect();
        events.sort();
        (summary["total"].clone(), events)
    };
    let (plain_total, plain_events) = run("plain", &format!("{}/*.json", plain.display()));
    let (gz_total, gz_events) = run("gz", &format!("{}/*.json.gz", gz.display()));
    assert_eq!(plain_total["events"], 39, "{plain_total}");
    assert_eq!(plain_total["dead_letters"], 2, "{plain_total}");
    assert_eq!(gz_total["files_waiting"], 0, "{gz_total}");
    for key in ["lines", "events", "ignored", "dead_letters"] {
        assert_eq!(
            gz_total[key], plain_total[key],
            "{key}: {gz_total} {plain_total}"
        );
    }
    assert_eq!(gz_events, plain_events);
}

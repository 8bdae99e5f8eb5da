//! The text profiles: OpenSSH's syslog lines and a logfmt application log, each with the noise
//! lines real ones carry (cron, logind, pre-auth disconnects; debug and request logs, health
//! checks), which the profiles ignore.

use super::format::{Lines, Renderer};
use super::plan::{Fact, Kind};
use super::text::{mix64, push_hex};
use super::world::{GUESSED_LOGINS, port, push_session};

const HOSTS: &[&str] = &["bastion", "bastion", "web-1", "db-1"];

/// `Nov  1 08:00:00 bastion sshd[21004]: `
fn sshd_head(r: &mut Renderer, f: &Fact, out: &mut Lines, j: u32, daemon: &str) {
    let t = r.line_time(f.time_us, j, 1_000_000);
    r.stamps.syslog(&mut out.buf, t);
    let pid = 1000 + mix64(f.n) % 60_000;
    out.s(" ")
        .s(HOSTS[(f.r % HOSTS.len() as u64) as usize])
        .s(" ")
        .s(daemon)
        .s("[")
        .u(if daemon == "sshd" { pid } else { 601 })
        .s("]: ");
}

/// A key fingerprint: `SHA256:` and 43 base64 characters.
fn fingerprint(out: &mut Lines, seed: u64) {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.s("SHA256:");
    let mut h = seed;
    for i in 0..43 {
        if i % 10 == 0 {
            h = mix64(h);
        }
        out.buf.push(B64[(h & 63) as usize]);
        h >>= 6;
    }
}

/// OpenSSH on a few hosts (profile `sshd`): logins by password or key with their sessions,
/// disconnects, password guessing (with "message repeated N times"), username scans.
pub fn sshd(r: &mut Renderer, f: &Fact, out: &mut Lines) {
    let u = r.user(f.user);
    let (login, uid) = (u.login.clone(), u.uid);
    let p = port(f.n);
    match f.kind {
        Kind::Login if f.ok => {
            sshd_head(r, f, out, 0, "sshd");
            let key = f.r % 5 < 3;
            out.s("Accepted ")
                .s(if key { "publickey" } else { "password" })
                .s(" for ")
                .s(&login)
                .s(" from ")
                .ip(f.ip)
                .s(" port ")
                .u(p)
                .s(" ssh2");
            if key {
                out.s(": ED25519 ");
                fingerprint(out, f.user as u64);
            }
            out.end(1);
            sshd_head(r, f, out, 0, "sshd");
            out.s("pam_unix(sshd:session): session opened for user ")
                .s(&login)
                .s("(uid=")
                .u(uid as u64)
                .s(") by (uid=0)");
            out.end(1);
            sshd_head(r, f, out, 0, "systemd-logind");
            out.s("New session ")
                .u(f.session as u64)
                .s(" of user ")
                .s(&login)
                .s(".");
            out.end(0);
        }
        Kind::Login => {
            sshd_head(r, f, out, 0, "sshd");
            if f.r % 10 < 3 {
                out.s("Failed publickey for ")
                    .s(&login)
                    .s(" from ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p)
                    .s(" ssh2: RSA ");
                fingerprint(out, f.r);
            } else {
                out.s("Failed password for ")
                    .s(&login)
                    .s(" from ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p)
                    .s(" ssh2");
            }
            out.end(1);
        }
        Kind::Logout => {
            sshd_head(r, f, out, 0, "sshd");
            out.s("Received disconnect from ")
                .ip(f.ip)
                .s(" port ")
                .u(p)
                .s(":11: disconnected by user");
            out.end(0);
            sshd_head(r, f, out, 0, "sshd");
            out.s("Disconnected from user ")
                .s(&login)
                .s(" ")
                .ip(f.ip)
                .s(" port ")
                .u(p);
            out.end(1);
            sshd_head(r, f, out, 0, "sshd");
            out.s("pam_unix(sshd:session): session closed for user ")
                .s(&login);
            out.end(0);
        }
        Kind::Burst if f.unknown_user => {
            // A username scan: one address tries logins that do not exist.
            let mut name = "";
            for j in 0..f.count {
                name =
                    GUESSED_LOGINS[((f.r >> (j % 8)) as usize + j as usize) % GUESSED_LOGINS.len()];
                sshd_head(r, f, out, j, "sshd");
                out.s("Invalid user ")
                    .s(name)
                    .s(" from ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p + j as u64);
                out.end(1);
                sshd_head(r, f, out, j, "sshd");
                out.s("Failed password for invalid user ")
                    .s(name)
                    .s(" from ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p + j as u64)
                    .s(" ssh2");
                out.end(1);
            }
            sshd_head(r, f, out, f.count, "sshd");
            out.s("Disconnected from invalid user ")
                .s(name)
                .s(" ")
                .ip(f.ip)
                .s(" port ")
                .u(p + f.count as u64 - 1)
                .s(" [preauth]");
            out.end(1);
        }
        Kind::Burst => {
            // Password guessing on one account; syslog folds the repeats into one line.
            let target = if f.r % 3 == 0 { "root" } else { login.as_str() };
            sshd_head(r, f, out, 0, "sshd");
            out.s("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=")
                .ip(f.ip)
                .s("  user=")
                .s(target);
            out.end(1);
            let failed = |out: &mut Lines| {
                out.s("Failed password for ")
                    .s(target)
                    .s(" from ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p)
                    .s(" ssh2");
            };
            sshd_head(r, f, out, 1, "sshd");
            failed(out);
            out.end(1);
            sshd_head(r, f, out, f.count, "sshd");
            out.s("message repeated ")
                .u(f.count as u64 - 1)
                .s(" times: [ ");
            failed(out);
            out.s("]");
            out.end(f.count - 1);
            sshd_head(r, f, out, f.count, "sshd");
            out.s("Connection closed by authenticating user ")
                .s(target)
                .s(" ")
                .ip(f.ip)
                .s(" port ")
                .u(p)
                .s(" [preauth]");
            out.end(1);
        }
        Kind::Noise => match f.r % 4 {
            0 | 1 => {
                sshd_head(r, f, out, 0, "CRON");
                out.s("pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
                out.end(0);
                sshd_head(r, f, out, 0, "CRON");
                out.s("pam_unix(cron:session): session closed for user root");
                out.end(0);
            }
            2 => {
                sshd_head(r, f, out, 0, "sshd");
                out.s("Connection closed by ")
                    .ip(f.ip)
                    .s(" port ")
                    .u(p)
                    .s(" [preauth]");
                out.end(0);
            }
            _ => {
                sshd_head(r, f, out, 0, "sshd");
                out.s("error: kex_exchange_identification: Connection closed by remote host");
                out.end(0);
            }
        },
        other => unreachable!("sshd does not write {other:?}"),
    }
}

/// `time=.. level=.. msg=".."`
fn logfmt_head(r: &mut Renderer, f: &Fact, out: &mut Lines, j: u32, level: &str, msg: &str) {
    out.s("time=");
    let t = r.line_time(f.time_us, j, 1_700_000);
    r.time(out, t, true);
    out.s(" level=").s(level).s(" msg=");
    if msg.contains(' ') {
        out.s("\"").s(msg).s("\"");
    } else {
        out.s(msg);
    }
}

/// ` event=.. user_id=.. user=.. email=.. ip=.. session=..`
fn logfmt_who(r: &Renderer, f: &Fact, out: &mut Lines, event: &str, session: bool) {
    let u = r.user(f.user);
    out.s(" event=")
        .s(event)
        .s(" user_id=")
        .s(&u.id)
        .s(" user=")
        .s(&u.login)
        .s(" email=")
        .s(&u.email)
        .s(" ip=")
        .ip(f.ip);
    if session {
        out.s(" session=");
        push_session(&mut out.buf, f.user, f.session);
    }
}

fn logfmt_tail(r: &Renderer, f: &Fact, out: &mut Lines, outcome: &str) {
    let u = r.user(f.user);
    out.s(" outcome=")
        .s(outcome)
        .s(" org=")
        .s(u.tenant)
        .s(" request_id=r-");
    push_hex(&mut out.buf, mix64(f.n ^ 0x4e9), 10);
}

/// A logfmt web application log (profile `logfmt-app`): audit events among diagnostics.
pub fn logfmt(r: &mut Renderer, f: &Fact, out: &mut Lines) {
    match f.kind {
        Kind::Login | Kind::Burst => {
            let attempts = if f.kind == Kind::Burst { f.count } else { 1 };
            for j in 0..attempts {
                let (level, msg) = if f.ok {
                    ("info", "user logged in")
                } else {
                    ("warn", "login failed")
                };
                logfmt_head(r, f, out, j, level, msg);
                if f.kind == Kind::Burst && f.unknown_user {
                    out.s(" event=login user=")
                        .s(GUESSED_LOGINS[(f.r % GUESSED_LOGINS.len() as u64) as usize])
                        .s(" ip=")
                        .ip(f.ip);
                } else {
                    logfmt_who(r, f, out, "login", f.ok);
                }
                out.s(" method=password");
                logfmt_tail(r, f, out, if f.ok { "success" } else { "failure" });
                if !f.ok {
                    out.s(" reason=\"invalid password\"");
                } else {
                    out.s(" ua=\"").s(r.user(f.user).ua).s("\"");
                }
                r.close_logfmt(out, "detail", 1, f.n + j as u64);
            }
            return;
        }
        Kind::Logout => {
            logfmt_head(r, f, out, 0, "info", "user logged out");
            logfmt_who(r, f, out, "logout", true);
            logfmt_tail(r, f, out, "success");
        }
        Kind::PasswordChange => {
            let (level, msg) = if f.ok {
                ("info", "password changed")
            } else {
                ("warn", "password change refused")
            };
            logfmt_head(r, f, out, 0, level, msg);
            logfmt_who(r, f, out, "password_change", true);
            logfmt_tail(r, f, out, if f.ok { "success" } else { "failure" });
            if !f.ok {
                out.s(" reason=\"password too short\"");
            }
        }
        Kind::Export => {
            let (level, msg) = if f.ok {
                ("info", "export finished")
            } else {
                ("warn", "export denied")
            };
            logfmt_head(r, f, out, 0, level, msg);
            logfmt_who(r, f, out, "export", true);
            logfmt_tail(r, f, out, if f.ok { "success" } else { "denied" });
            out.s(" target_type=report target_id=rep-")
                .u((f.object % 500) as u64)
                .s(" target=\"monthly revenue\" format=csv rows=")
                .u(10 + (f.r >> 20) % 20_000);
            if !f.ok {
                out.s(" reason=\"missing permission reports:export\"");
            }
        }
        Kind::RoleChange => {
            logfmt_head(r, f, out, 0, "info", "role changed");
            logfmt_who(r, f, out, "role_change", true);
            logfmt_tail(r, f, out, "success");
            let t = r.user(f.other);
            let (old, new) = if f.r % 2 == 0 {
                ("member", "admin")
            } else {
                ("admin", "member")
            };
            out.s(" target_type=user target_id=")
                .s(&t.id)
                .s(" target=")
                .s(&t.login)
                .s(" field=role old=")
                .s(old)
                .s(" new=")
                .s(new);
        }
        Kind::SettingsChange => {
            logfmt_head(r, f, out, 0, "info", "settings updated");
            logfmt_who(r, f, out, "settings_change", true);
            logfmt_tail(r, f, out, "success");
            out.s(" target_type=settings target_id=security field=session_timeout_minutes old=30 new=15");
        }
        Kind::Noise => {
            match f.r % 5 {
                0 => {
                    logfmt_head(r, f, out, 0, "info", "healthcheck");
                    out.s(" event=healthcheck status=ok");
                }
                1 => {
                    logfmt_head(r, f, out, 0, "debug", "cache warmed");
                    out.s(" entries=")
                        .u(f.r >> 40)
                        .s(" took_ms=")
                        .u((f.r >> 8) % 90);
                }
                _ => {
                    out.s("time=");
                    r.time(out, f.time_us, true);
                    let path = [
                        "/api/v1/reports",
                        "/api/v1/users",
                        "/api/v1/documents",
                        "/static/app.js",
                    ][(f.r >> 3) as usize % 4];
                    out.s(" level=info method=GET path=")
                        .s(path)
                        .s(" status=200 took_ms=")
                        .u((f.r >> 12) % 250)
                        .s(" request_id=r-");
                    push_hex(&mut out.buf, mix64(f.n ^ 0x4e9), 10);
                }
            }
            r.close_logfmt(out, "detail", 0, f.n);
            return;
        }
        other => unreachable!("logfmt-app does not write {other:?}"),
    }
    r.close_logfmt(out, "detail", 1, f.n);
}

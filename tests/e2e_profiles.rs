//! Built-in profiles end to end: each sample of `examples/logs/` archived by `agent --once`, then
//! read back with `query`; for every line of the sample a table says what it must become.

mod util;

use util::*;

use samples::Want::{Dead, Ignored};
use samples::*;

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

//! The Linux system-log profiles end to end: `examples/logs/auth-full.log` archived by `agent
//! --once` through `auth-log`, read back with `query`; for every line a table says what it must
//! become.

mod util;

use util::*;

use samples::Want::{Dead, Ignored};
use samples::*;

#[test]
fn auth_log_profile_maps_every_sample_line() {
    let s = Some;
    let (alice, bob, carol, dave, frank, grace, mallory, root) = (
        s("alice"),
        s("bob"),
        s("carol"),
        s("dave"),
        s("frank"),
        s("grace"),
        s("mallory"),
        s("root"),
    );
    let login = "authentication.login";
    let pw = "authentication.primary.password";
    let login_id = "authentication.login_id";
    let create = "session.create";
    let elevate = "session.elevate";
    let add = "account.group.member_add";
    let profile = "account.profile.update";
    let password = "account.password.change";
    let (ok, fail, unk) = ("success", "failure", "unknown");
    let disc = "session.disconnect";
    let remove = "account.group.member_remove";
    let rename = "identity.username.update";
    let (scan, guess) = (s("198.51.100.66"), s("203.0.113.200"));
    let esc = s("#033[31madmin");
    let xss = s("<script>alert(1)</script>");
    let table = [
        Ignored,                                // CRON session opened
        Ignored,                                // CRON session closed
        Ignored,                                // logind New seat
        Ignored,                                // logind Watching system buttons
        Ignored,                                // sshd Server listening
        ev(alice, s("203.0.113.5"), login, ok), // Accepted publickey
        ev(alice, A, create, ok),               // pam_unix(sshd:session) opened
        ev(alice, A, create, ok),               // logind New session 412
        Ignored,                                // systemd-user session opened
        ev(alice, A, elevate, ok),              // sudo COMMAND=systemctl
        Ignored,                                // pam_unix(sudo:session) opened
        Ignored,                                // groupadd: added to /etc/group
        Ignored,                                // groupadd: added to /etc/gshadow
        ev(A, A, "account.group.create", ok),   // groupadd: new group devs
        ev(alice, A, elevate, ok),              // sudo COMMAND=useradd
        ev(A, A, "account.group.create", ok),   // useradd: new group bob
        ev(A, A, "account.user.create", ok),    // useradd: new user bob
        ev(A, A, add, ok),                      // useradd: add to group sudo
        Ignored,                                // useradd: add to shadow group
        ev(A, A, password, ok),                 // passwd chauthtok
        ev(A, A, profile, ok),                  // chfn information
        ev(A, A, add, ok),                      // usermod: add to group docker
        Ignored,                                // usermod: add to shadow group
        ev(root, A, add, ok),                   // gpasswd: added by root
        ev(A, A, profile, ok),                  // usermod: shell from .. to ..
        ev(A, A, profile, ok),                  // chage
        ev(A, A, password, ok),                 // chpasswd chauthtok
        ev(alice, A, elevate, ok),              // su (to root) alice
        Ignored,                                // pam_unix(su:session) opened
        Ignored,                                // pam_unix(su:session) closed
        ev(bob, A, pw, fail),                   // pam_unix(su:auth) ruser=bob
        ev(bob, A, elevate, fail),              // FAILED SU (to root) bob
        ev(alice, s("203.0.113.5"), disc, unk), // Disconnected
        Ignored,                                // logind logged out, waiting
        ev(A, A, "session.sign_out", ok),       // logind Removed session 412
        ev(alice, A, login, fail),              // FAILED LOGIN (1) on '/dev/tty1'
        ev(alice, A, create, ok),               // pam_unix(login:session) opened
        ev(root, A, login, ok),                 // ROOT LOGIN  on '/dev/tty2'
        ev(xss, scan, login_id, fail),          // Invalid user <script>
        Ignored,                                // check pass; user unknown
        ev(xss, scan, login_id, fail),          // Failed password for invalid user <script>
        Dead,                                   // Corrupted MAC on input
        ev(esc, scan, login_id, fail),          // Invalid user ESC
        ev(root, guess, pw, fail),              // pam_unix(sshd:auth) root
        ev(root, guess, pw, fail),              // Failed password root
        Want::Event {
            actor: root,
            ip: guess,
            action: pw,
            outcome: fail,
            n: 4,
        }, // message repeated 4 times
        ev(root, guess, "session.terminate", fail), // maximum attempts
        Ignored,                                // crond session opened
        ev(carol, s("192.0.2.44"), login, ok),  // Accepted password
        ev(carol, A, create, ok),               // pam_unix(sshd:session) opened
        ev(carol, A, elevate, ok),              // sudo USER=postgres
        ev(carol, A, elevate, fail),            // sudo command not allowed
        ev(dave, A, pw, fail),                  // pam_unix(login:auth)
        ev(dave, A, login, fail),               // FAILED LOGIN 1 FROM tty1
        ev(dave, A, create, ok),                // pam_unix(login:session) opened
        ev(dave, A, login, ok),                 // LOGIN ON tty1 BY dave
        ev(A, A, "account.lock", ok),           // usermod lock
        ev(A, A, "account.unlock", ok),         // usermod unlock
        ev(A, A, password, ok),                 // usermod change password
        ev(A, A, rename, ok),                   // usermod change user name
        ev(root, A, password, ok),              // passwd changed by 'root'
        ev(carol, s("192.0.2.44"), disc, unk),  // Disconnected
        Ignored,                                // gdm-launch-environment opened
        ev(frank, A, pw, fail),                 // pam_unix(gdm-password:auth)
        Ignored,                                // gkr-pam
        ev(frank, A, create, ok),               // pam_unix(gdm-password:session)
        ev(frank, A, create, ok),               // logind New session '2' (new form)
        Ignored,                                // polkitd Registered Agent
        ev(frank, A, elevate, ok),              // polkitd successfully authenticated
        Ignored,                                // pam_unix(polkit-1:session) opened
        ev(frank, A, elevate, ok),              // pkexec Executing command
        Dead,                                   // gnome-keyring-daemon
        ev(grace, A, pw, fail),                 // pam_unix(polkit-1:auth) ruser=grace
        ev(grace, A, elevate, fail),            // polkitd FAILED to authenticate
        ev(grace, A, elevate, fail),            // pkexec Not authorized
        ev(mallory, s("198.51.100.23"), login, ok), // Accepted password
        ev(mallory, A, pw, fail),               // pam_unix(sudo:auth)
        ev(mallory, A, elevate, fail),          // 3 incorrect password attempts
        ev(mallory, A, elevate, fail),          // user NOT in sudoers, formula
        ev(alice, A, elevate, ok),              // Successful su for root by alice
        Ignored,                                // + /dev/pts/0 alice:root
        ev(bob, A, elevate, fail),              // FAILED su for root by bob
        Ignored,                                // - /dev/pts/1 bob:root
        ev(root, A, remove, ok),                // gpasswd removed by root
        ev(A, A, "account.user.delete", ok),    // userdel delete user
        ev(A, A, "account.group.delete", ok),   // userdel removed group
        Ignored,                                // userdel removed shadow group
        Ignored,                                // groupdel removed from /etc/group
        Ignored,                                // groupdel removed from /etc/gshadow
        ev(A, A, "account.group.delete", ok),   // groupdel group removed
    ];
    check_sample("auth-log", "auth-full.log", &table, syslog_time);
}

use serde_json::{Value, json};

use super::*;

fn fields(text: &str) -> (Value, Notes) {
    let (obj, notes) = parse(text).unwrap_or_else(|e| panic!("{e}"));
    (Value::Object(crate::value::obj_to_json(&obj)), notes)
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn the_header_gives_type_time_serial_and_node() {
    let h = header("type=USER_LOGIN msg=audit(1700000000.123:4242): pid=1 res=success").unwrap();
    assert_eq!(
        (h.node, h.kind, h.time, h.serial, h.body),
        (
            None,
            "USER_LOGIN",
            "1700000000.123",
            "4242",
            "pid=1 res=success"
        )
    );
    let h = header("node=web1 type=EOE msg=audit(1700000001.500:7):").unwrap();
    assert_eq!((h.node, h.kind, h.body), (Some("web1"), "EOE", ""));
    let (f, _) = fields("node=web1 type=CWD msg=audit(1700000001.500:7): cwd=\"/root\"");
    assert_eq!(
        f,
        json!({"node": "web1", "type": "CWD", "time": "1700000001.500", "serial": "7", "cwd": "/root"})
    );
    for bad in [
        "",
        "Nov 21 10:15:01 host sshd[1]: Accepted password for a",
        "type=USER_LOGIN msg=audit(1700000000:4242): pid=1",
        "type=USER_LOGIN msg=audit(1700000000.123): pid=1",
        "type=USER_LOGIN msg=audit(1700000000.123:x): pid=1",
        "type=USER_LOGIN msg=audit(1700000000.123:1) pid=1",
        "type= msg=audit(1700000000.123:1): pid=1",
    ] {
        assert!(header(bad).is_none(), "{bad}");
        assert_eq!(parse(bad).unwrap_err().kind, RejectKind::Parse, "{bad}");
    }
}

#[test]
fn user_space_records_keep_their_message_under_msg() {
    let (f, notes) = fields(
        "type=USER_LOGIN msg=audit(1700000000.123:4242): pid=1234 uid=0 auid=1000 ses=5 \
         subj=unconfined msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=203.0.113.5 \
         addr=203.0.113.5 terminal=/dev/pts/0 res=success'",
    );
    assert_eq!(notes, Notes::default());
    assert_eq!(
        f,
        json!({
            "type": "USER_LOGIN", "time": "1700000000.123", "serial": "4242",
            "pid": "1234", "uid": "0", "auid": "1000", "ses": "5", "subj": "unconfined",
            "msg": {
                "op": "login", "id": "1000", "exe": "/usr/sbin/sshd", "hostname": "203.0.113.5",
                "addr": "203.0.113.5", "terminal": "/dev/pts/0", "res": "success"
            }
        })
    );
    // A quote inside double quotes does not end the message; a message of words stays text.
    let (f, _) = fields(
        "type=USER_AVC msg=audit(1700000000.123:1): pid=1 msg='avc:  received policyload notice (seqno=2)'",
    );
    assert_eq!(f["msg"], json!({"(seqno": "2)"}));
    let (f, _) = fields("type=USER_AVC msg=audit(1700000000.123:1): pid=1 msg='just words'");
    assert_eq!(f["msg"], json!("just words"));
}

#[test]
fn missing_markers_leave_the_field_out() {
    let (f, _) = fields(
        "type=USER_AUTH msg=audit(1700000000.123:1): pid=1 uid=0 auid=4294967295 ses=4294967295 \
         msg='op=PAM:authentication grantors=? acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=? \
         addr=? terminal=(null) res=failed'",
    );
    assert_eq!(f.get("auid"), None);
    assert_eq!(f.get("ses"), None);
    assert_eq!(f["uid"], json!("0"));
    assert_eq!(
        f["msg"],
        json!({"op": "PAM:authentication", "acct": "alice", "exe": "/usr/sbin/sshd", "res": "failed"})
    );
    // A field that is not an id keeps 4294967295; an id of -1 is unset too.
    let (f, _) = fields("type=X msg=audit(1.0:1): items=4294967295 auid=-1 tty=(none) key=(null)");
    assert_eq!(f["items"], json!("4294967295"));
    assert_eq!(f.get("auid"), None);
    assert_eq!(f.get("tty"), None);
    assert_eq!(f.get("key"), None);
}

#[test]
fn hex_values_are_decoded_exactly_and_bad_hex_is_kept_and_counted() {
    let escape = "\x1b[31mroot\x1b[0m";
    let formula = "=cmd|' /C calc'!A0";
    let line = format!(
        "type=USER_CMD msg=audit(1700000000.123:9): pid=1 uid=1000 auid=1000 ses=3 \
         msg='cwd=\"/home/alice\" cmd={} exe=\"/usr/bin/sudo\" terminal=pts/0 res=success acct={}'",
        hex(formula),
        hex(escape),
    );
    let (f, notes) = fields(&line);
    assert_eq!(notes.bad_hex, 0);
    assert_eq!(f["msg"]["cmd"], json!(formula));
    assert_eq!(f["msg"]["acct"], json!(escape));
    assert_eq!(f["msg"]["terminal"], json!("pts/0"));
    // Not every unquoted value is hex: only auditd's encoded fields.
    let (f, notes) = fields("type=SYSCALL msg=audit(1.0:1): arch=c000003e a0=616263 comm=616263");
    assert_eq!(
        (f["arch"].clone(), f["a0"].clone()),
        (json!("c000003e"), json!("616263"))
    );
    assert_eq!(f["comm"], json!("abc"));
    assert_eq!(notes.bad_hex, 0);
    // Odd length, not hex, not UTF-8: kept as written, counted.
    let (f, notes) =
        fields("type=SYSCALL msg=audit(1.0:1): comm=ABC exe=/usr/bin/zz name=FF key=6869");
    assert_eq!(f["comm"], json!("ABC"));
    assert_eq!(f["exe"], json!("/usr/bin/zz"));
    assert_eq!(f["name"], json!("FF"));
    assert_eq!(f["key"], json!("hi"));
    assert_eq!(notes.bad_hex, 3);
    // Non-ASCII text decodes to itself.
    let (f, _) = fields(&format!(
        "type=CWD msg=audit(1.0:1): cwd={}",
        hex("/home/zoë/Документы")
    ));
    assert_eq!(f["cwd"], json!("/home/zoë/Документы"));
}

#[test]
fn enriched_names_come_after_the_group_separator() {
    let (f, _) = fields(
        "type=USER_CMD msg=audit(1700000000.123:9): pid=1 uid=1000 auid=1000 ses=3 \
         msg='cmd=6C73 res=success'\x1dUID=\"alice\" AUID=\"alice\"",
    );
    assert_eq!(f["UID"], json!("alice"));
    assert_eq!(f["AUID"], json!("alice"));
    assert_eq!(f["msg"], json!({"cmd": "ls", "res": "success"}));
    let (f, _) = fields(
        "type=USER_AUTH msg=audit(1.0:1): pid=1 auid=4294967295 msg='acct=\"bob\" res=failed'\x1dAUID=\"unset\" UID=\"root\"",
    );
    assert_eq!(f.get("AUID"), None);
    assert_eq!(f["UID"], json!("root"));
}

#[test]
fn the_records_of_one_event_join_under_their_types() {
    let text = [
        "type=SYSCALL msg=audit(1700000001.500:4243): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 items=2 ppid=1 pid=99 auid=1000 uid=0 tty=pts0 ses=5 comm=\"passwd\" exe=\"/usr/bin/passwd\" key=\"passwd_changes\"\x1dARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\"",
        "type=EXECVE msg=audit(1700000001.500:4243): argc=3 a0=\"passwd\" a1=626F62 a2_len=6 a2[0]=C3 a2[1]=A9202D41",
        "type=CWD msg=audit(1700000001.500:4243): cwd=\"/root\"",
        "type=PATH msg=audit(1700000001.500:4243): item=0 name=\"/usr/bin/passwd\" inode=1 nametype=NORMAL",
        "type=PATH msg=audit(1700000001.500:4243): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" nametype=NORMAL\x1dOUID=\"root\"",
        "type=PROCTITLE msg=audit(1700000001.500:4243): proctitle=70617373776400626F6200",
        "type=EOE msg=audit(1700000001.500:4243):",
    ]
    .join("\n");
    let (f, notes) = fields(&text);
    assert_eq!(notes.bad_hex, 0);
    assert_eq!(f["type"], json!("SYSCALL"));
    assert_eq!(f["key"], json!("passwd_changes"));
    assert_eq!(f["AUID"], json!("alice"));
    assert_eq!(f["SYSCALL"], json!("execve"));
    assert_eq!(
        f["execve"],
        json!({"argc": "3", "a0": "passwd", "a1": "bob", "a2_len": "6", "a2": "é -A", "argv": "passwd bob é -A"})
    );
    assert_eq!(f["cwd"], json!({"cwd": "/root"}));
    assert_eq!(f["path"][0]["name"], json!("/usr/bin/passwd"));
    assert_eq!(f["path"][1]["OUID"], json!("root"));
    assert_eq!(f["proctitle"], json!({"proctitle": "passwd bob"}));
    assert_eq!(
        f["types"],
        json!([
            "SYSCALL",
            "EXECVE",
            "CWD",
            "PATH",
            "PATH",
            "PROCTITLE",
            "EOE"
        ])
    );
    assert_eq!(f.get("eoe"), None);

    // A type seen twice becomes a list; one named like a first-record field steps aside.
    let (f, _) = fields(
        "type=CONFIG_CHANGE msg=audit(1.0:2): auid=1 op=add_rule path=\"/etc/shadow\" res=1\n\
         type=SYSCALL msg=audit(1.0:2): syscall=44 success=yes\n\
         type=PATH msg=audit(1.0:2): item=0 name=\"/etc\"\n\
         type=SOCKADDR msg=audit(1.0:2): saddr=01\n\
         type=SOCKADDR msg=audit(1.0:2): saddr=02",
    );
    assert_eq!(f["path"], json!("/etc/shadow"));
    assert_eq!(f["path_record"], json!([{"item": "0", "name": "/etc"}]));
    assert_eq!(f["syscall"], json!({"syscall": "44", "success": "yes"}));
    assert_eq!(f["sockaddr"], json!([{"saddr": "01"}, {"saddr": "02"}]));

    // Records of another serial are not one event.
    let e = parse("type=CWD msg=audit(1.0:2): cwd=\"/\"\ntype=CWD msg=audit(1.0:3): cwd=\"/\"")
        .unwrap_err();
    assert!(e.reason.contains("one serial"), "{}", e.reason);
}

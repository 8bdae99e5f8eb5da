//! `format = "auditd"`: the Linux audit daemon's records (`/var/log/audit/audit.log`, log format
//! RAW or ENRICHED), one record a line, or the records of one event joined by `\n` (see
//! [`crate::join`]).
//!
//! A record is `[node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value ...`, and in the
//! ENRICHED format the interpreted values follow a `\x1d` (`UID="root" AUID="alice"`). User-space
//! records (PAM, shadow-utils, sudo, sshd) carry their own fields in a nested `msg='key=value ...'`.
//!
//! What a record's fields become:
//!
//! - `type`, `time` (`SECONDS.MILLIS`, for `time.format = "epoch_s"`), `serial` and `node` (when
//!   the daemon writes one) from the header;
//! - every top-level `key=value`; the nested `msg='...'` as an object under `msg` (`msg.acct`,
//!   `msg.res`); the ENRICHED names as they are written (`AUID`, `UID`, `SYSCALL`), at the top;
//! - values unquoted (auditd writes no escapes inside quotes: a value that needs one is hex);
//! - hex decoded: auditd writes an untrusted string (`acct`, `exe`, `comm`, `name`, `cwd`, `cmd`,
//!   `key`, `proctitle`, EXECVE's `a0`, `a1`, ...; auparse's escaped fields) as hex, without
//!   quotes, exactly when it holds a space, a quote, a control character or a byte outside ASCII.
//!   The decoded text is kept exactly as written (a terminal escape stays an escape); in
//!   `proctitle` the NUL bytes between arguments become spaces. A value that is not valid hex, or
//!   that decodes to bytes that are not UTF-8, stays as written and is counted (`hex_decode` among
//!   the unconverted values);
//! - `?`, `(null)` (also in quotes, `acct="?"`), `(none)`, the ENRICHED `unset`, and `4294967295` or `-1` in the uid, gid and
//!   session fields (`auid`, `uid`, `ses`, ...) mean no value: the field is left out.
//!
//! Several records of one event: the first record's fields are at the top as above; every later
//! record's fields are under its type in lower case (`execve.a0`, `cwd.cwd`, `proctitle.proctitle`,
//! `sockaddr.saddr`); PATH records are always a list (`path.0.name`, `path.1.nametype`), and a
//! type that repeats becomes a list too. EXECVE's arguments are also joined by spaces as
//! `execve.argv` (a long argument written in parts, `a1[0]`, `a1[1]`, is put back together as
//! `a1`). The EOE record that ends an event adds nothing, and `types` lists the records' types
//! in order.

use std::borrow::Cow;

use crate::error::{RejectKind, Rejection};
use crate::value::{Obj, Val};

/// The separator of the ENRICHED format's interpreted fields.
const ENRICHED: char = '\x1d';

/// What parsing a record (or an event's records) found besides its fields.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Notes {
    /// Values that should be hex and are not (kept as written).
    pub(crate) bad_hex: u64,
}

/// The parts of a record's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub(crate) node: Option<&'a str>,
    pub(crate) kind: &'a str,
    /// `SECONDS.MILLIS`.
    pub(crate) time: &'a str,
    pub(crate) serial: &'a str,
    /// The text after the header's `): ` (or `):`).
    pub(crate) body: &'a str,
}

impl Header<'_> {
    /// `NODE|TIME:SERIAL`, what the records of one event share.
    pub(crate) fn event_key(&self) -> (Option<&str>, &str, &str) {
        (self.node, self.time, self.serial)
    }
}

/// The header of a record line, `None` where the line is not an auditd record.
pub(crate) fn header(line: &str) -> Option<Header<'_>> {
    let mut rest = line;
    let mut node = None;
    if let Some(r) = rest.strip_prefix("node=") {
        let end = r.find(' ')?;
        node = Some(&r[..end]);
        rest = &r[end + 1..];
    }
    let r = rest.strip_prefix("type=")?;
    let end = r.find(' ')?;
    let kind = &r[..end];
    if kind.is_empty() {
        return None;
    }
    let r = r[end + 1..].strip_prefix("msg=audit(")?;
    let close = r.find(')')?;
    let stamp = &r[..close];
    let (time, serial) = stamp.split_once(':')?;
    let (secs, millis) = time.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || !digits(millis) || !digits(serial) {
        return None;
    }
    let after = r[close + 1..].strip_prefix(':')?;
    let body = after.strip_prefix(' ').unwrap_or(after);
    Some(Header {
        node,
        kind,
        time,
        serial,
        body,
    })
}

/// Parses one record, or the records of one event joined by `\n`, into fields.
pub(crate) fn parse(text: &str) -> Result<(Obj<'_>, Notes), Rejection> {
    let mut notes = Notes::default();
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let head = header(first).ok_or_else(not_a_record)?;
    let mut obj: Obj<'_> = Vec::with_capacity(24);
    if let Some(node) = head.node {
        obj.push((Cow::Borrowed("node"), str_val(node)));
    }
    obj.push((Cow::Borrowed("type"), str_val(head.kind)));
    obj.push((Cow::Borrowed("time"), str_val(head.time)));
    obj.push((Cow::Borrowed("serial"), str_val(head.serial)));
    record_fields(head.kind, head.body, &mut obj, &mut notes);

    let mut types: Vec<Val<'_>> = vec![str_val(head.kind)];
    for line in lines {
        let h = header(line).ok_or_else(not_a_record)?;
        if h.event_key() != head.event_key() {
            return Err(Rejection::new(
                RejectKind::Parse,
                format!(
                    "auditd: the records of one event have one serial: {}:{} and {}:{}",
                    head.time, head.serial, h.time, h.serial
                ),
            ));
        }
        types.push(str_val(h.kind));
        if h.kind == "EOE" {
            continue;
        }
        let mut fields: Obj<'_> = Vec::with_capacity(8);
        record_fields(h.kind, h.body, &mut fields, &mut notes);
        add_record(&mut obj, h.kind, fields);
    }
    if types.len() > 1 {
        obj.push((Cow::Borrowed("types"), Val::Arr(types)));
    }
    Ok((obj, notes))
}

fn not_a_record() -> Rejection {
    Rejection::new(
        RejectKind::Parse,
        "auditd: not a record `type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): ...`",
    )
}

fn str_val(s: &str) -> Val<'_> {
    Val::Str(Cow::Borrowed(s))
}

/// Puts a later record's fields under its type in lower case: a list for PATH and for a type seen
/// before, an object otherwise.
fn add_record<'a>(obj: &mut Obj<'a>, kind: &str, fields: Obj<'a>) {
    let mut key = kind.to_ascii_lowercase();
    // A field of the first record of that name keeps its place.
    if obj
        .iter()
        .any(|(k, v)| *k == key && !is_record_slot(v, &key))
    {
        key.push_str("_record");
    }
    match obj.iter_mut().rev().find(|(k, _)| *k == key) {
        Some((_, Val::Arr(items))) => items.push(Val::Obj(fields)),
        Some((_, slot)) => {
            let prev = std::mem::replace(slot, Val::Null);
            *slot = Val::Arr(vec![prev, Val::Obj(fields)]);
        }
        None if kind == "PATH" => obj.push((Cow::Owned(key), Val::Arr(vec![Val::Obj(fields)]))),
        None => obj.push((Cow::Owned(key), Val::Obj(fields))),
    }
}

/// Whether `v` under `key` holds records (put there by [`add_record`]).
fn is_record_slot(v: &Val<'_>, key: &str) -> bool {
    match v {
        Val::Obj(_) => key != "msg",
        Val::Arr(items) => items.iter().all(|i| matches!(i, Val::Obj(_))),
        _ => false,
    }
}

/// The fields of one record's body (after its header) into `out`.
fn record_fields<'a>(kind: &str, body: &'a str, out: &mut Obj<'a>, notes: &mut Notes) {
    let (raw, enriched) = match body.split_once(ENRICHED) {
        Some((r, e)) => (r, Some(e)),
        None => (body, None),
    };
    let execve = kind == "EXECVE";
    let mut parts: Vec<(&'a str, String, bool)> = Vec::new();
    for (key, value) in pairs(raw) {
        match value {
            Value::Nested(inner) if key == "msg" => {
                let mut nested: Obj<'a> = Vec::with_capacity(10);
                for (k, v) in pairs(inner) {
                    if let Some(v) = clean(kind, k, v, notes) {
                        nested.push((Cow::Borrowed(k), v));
                    }
                }
                if nested.is_empty() {
                    if !inner.trim().is_empty() {
                        out.push((Cow::Borrowed("msg"), str_val(inner)));
                    }
                } else {
                    out.push((Cow::Borrowed("msg"), Val::Obj(nested)));
                }
            }
            v => {
                if execve && let Some(arg) = arg_part(key) {
                    // `a1[0]=...`: one part of a long argument, put back together as `a1` (and
                    // decoded whole: a character may span two parts).
                    let (text, quoted) = match v {
                        Value::Quoted(s) => (s, true),
                        Value::Bare(s) | Value::Nested(s) => (s, false),
                    };
                    match parts.iter_mut().find(|(a, _, _)| *a == arg) {
                        Some((_, acc, q)) => {
                            acc.push_str(text);
                            *q &= quoted;
                        }
                        None => parts.push((arg, text.to_owned(), quoted)),
                    }
                    continue;
                }
                if let Some(v) = clean(kind, key, v, notes) {
                    out.push((Cow::Borrowed(key), v));
                }
            }
        }
    }
    for (arg, text, quoted) in parts {
        let v = if quoted {
            text
        } else {
            match decode_hex(&text) {
                Some(t) => t,
                None => {
                    notes.bad_hex += 1;
                    text
                }
            }
        };
        out.push((Cow::Borrowed(arg), Val::Str(Cow::Owned(v))));
    }
    if execve {
        let argc = crate::value::get(out, "argc")
            .and_then(Val::to_text)
            .and_then(|t| t.parse::<usize>().ok());
        if let Some(argc) = argc {
            let mut argv = String::new();
            for i in 0..argc.min(4096) {
                let Some(Val::Str(a)) = crate::value::get(out, &format!("a{i}")) else {
                    continue;
                };
                if !argv.is_empty() {
                    argv.push(' ');
                }
                argv.push_str(a);
            }
            if !argv.is_empty() {
                out.push((Cow::Borrowed("argv"), Val::Str(Cow::Owned(argv))));
            }
        }
    }
    if let Some(e) = enriched {
        for (k, v) in pairs(e) {
            let v = match v {
                Value::Quoted(s) | Value::Bare(s) | Value::Nested(s) => s,
            };
            if !is_missing(k, v) && v != "unset" {
                out.push((Cow::Borrowed(k), str_val(v)));
            }
        }
    }
}

/// `a1[0]` -> `a1`.
fn arg_part(key: &str) -> Option<&str> {
    let (arg, rest) = key.split_once('[')?;
    rest.strip_suffix(']')?.parse::<usize>().ok()?;
    is_execve_arg(arg).then_some(arg)
}

/// `a0`, `a1`, ...
fn is_execve_arg(key: &str) -> bool {
    key.len() > 1 && key.starts_with('a') && key[1..].bytes().all(|b| b.is_ascii_digit())
}

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value<'a> {
    /// `"..."`, without the quotes.
    Quoted(&'a str),
    /// `'...'`, without the quotes (the nested message of user-space records).
    Nested(&'a str),
    /// As it is, up to the next space.
    Bare(&'a str),
}

/// The `key=value` pairs of a record's body, in order; words without `=` (SELinux's
/// `avc:  denied  { read } for`) are skipped.
fn pairs(text: &str) -> impl Iterator<Item = (&str, Value<'_>)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            if i >= bytes.len() {
                return None;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'=' {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b' ' {
                continue; // a word without `=`
            }
            let key = &text[start..i];
            i += 1;
            let value = match bytes.get(i) {
                Some(b'"') => {
                    let end =
                        memchr::memchr(b'"', &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e);
                    let v = &text[i + 1..end];
                    i = (end + 1).min(bytes.len());
                    Value::Quoted(v)
                }
                Some(b'\'') => {
                    let end = nested_end(bytes, i + 1);
                    let v = &text[i + 1..end];
                    i = (end + 1).min(bytes.len());
                    Value::Nested(v)
                }
                _ => {
                    let s = i;
                    while i < bytes.len() && bytes[i] != b' ' {
                        i += 1;
                    }
                    Value::Bare(&text[s..i])
                }
            };
            if key.is_empty() {
                continue;
            }
            return Some((key, value));
        }
    })
}

/// The index of the `'` that closes a nested message opened before `from`: the first one outside
/// double quotes (the end of the text if there is none).
fn nested_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'\'' if !quoted => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The uid, gid and session fields, where `4294967295` (`(uid_t)-1`) means unset.
const ID_FIELDS: &[&str] = &[
    "auid",
    "uid",
    "euid",
    "suid",
    "fsuid",
    "ouid",
    "oauid",
    "iuid",
    "id",
    "inode_uid",
    "sauid",
    "gid",
    "egid",
    "sgid",
    "fsgid",
    "ogid",
    "igid",
    "inode_gid",
    "new_gid",
    "ses",
    "old-auid",
    "old-ses",
    "old_auid",
    "old_ses",
    "new-ses",
];

/// The fields auditd writes as hex when they hold a space, a quote, a control character or a
/// byte outside ASCII (auparse's escaped fields, `typetab.h`), besides EXECVE's arguments.
const ENCODED: &[&str] = &[
    "path",
    "comm",
    "exe",
    "file",
    "name",
    "watch",
    "cwd",
    "cmd",
    "acct",
    "dir",
    "key",
    "vm",
    "old-chardev",
    "new-chardev",
    "old-disk",
    "new-disk",
    "old-fs",
    "new-fs",
    "old-net",
    "new-net",
    "device",
    "cgroup",
    "old-rng",
    "new-rng",
    "ocomm",
    "grp",
    "new_group",
    "invalid_context",
    "sw",
    "root_dir",
    "proctitle",
    "data",
];

fn is_missing(key: &str, v: &str) -> bool {
    matches!(v, "?" | "(null)" | "(none)")
        || (ID_FIELDS.contains(&key) && matches!(v, "4294967295" | "-1"))
}

/// A field's value as it goes into the fields, `None` where it means no value.
fn clean<'a>(kind: &str, key: &str, v: Value<'a>, notes: &mut Notes) -> Option<Val<'a>> {
    match v {
        Value::Quoted("?" | "(null)") => None,
        Value::Quoted(s) | Value::Nested(s) => Some(str_val(s)),
        Value::Bare(s) if is_missing(key, s) => None,
        Value::Bare(s) => {
            let encoded = ENCODED.contains(&key) || (kind == "EXECVE" && is_execve_arg(key));
            if !encoded || s.is_empty() {
                return Some(str_val(s));
            }
            match decode_hex(s) {
                Some(mut text) => {
                    if key == "proctitle" {
                        text = text.trim_end_matches('\0').replace('\0', " ");
                    }
                    Some(Val::Str(Cow::Owned(text)))
                }
                None => {
                    notes.bad_hex += 1;
                    Some(str_val(s))
                }
            }
        }
    }
}

/// Hex (either case) decoded to UTF-8 text; `None` where `s` is not hex of an even length or its
/// bytes are not UTF-8.
pub(crate) fn decode_hex(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        out.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;

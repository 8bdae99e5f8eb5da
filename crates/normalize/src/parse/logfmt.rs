//! `format = "logfmt"`: `key=value` pairs separated by spaces. A value may be double-quoted, with
//! `\"`, `\\`, `\n`, `\t` and `\r` escapes; `key=` is an empty value; a bare `key` is `true`. An
//! unterminated quote takes the rest of the line (a cut line keeps what it has).

use std::borrow::Cow;

use crate::error::{RejectKind, Rejection};
use crate::value::{Obj, Val};

/// Parses a logfmt line. A line without a single `key=value` pair is rejected: it is not logfmt
/// (a stack trace, a plain message).
pub(crate) fn parse(line: &str) -> Result<Obj<'_>, Rejection> {
    let bytes = line.as_bytes();
    let mut out: Obj<'_> = Vec::with_capacity(12);
    let mut pairs = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let key_start = i;
        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        let key = &line[key_start..i];
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if key.is_empty() {
                return Err(Rejection::new(
                    RejectKind::Parse,
                    format!("logfmt: `=` without a key at byte {key_start}"),
                ));
            }
            let value = if i < bytes.len() && bytes[i] == b'"' {
                let (v, next) = quoted(line, i + 1);
                i = next;
                v
            } else {
                let start = i;
                while i < bytes.len() && !is_space(bytes[i]) {
                    i += 1;
                }
                Cow::Borrowed(&line[start..i])
            };
            pairs += 1;
            out.push((Cow::Borrowed(key), Val::Str(value)));
        } else {
            out.push((Cow::Borrowed(key), Val::Bool(true)));
        }
    }
    if pairs == 0 {
        return Err(Rejection::new(
            RejectKind::Parse,
            "logfmt: the line has no key=value pair",
        ));
    }
    Ok(out)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A quoted value starting after the opening quote at `start`: the value and the index after the
/// closing quote.
fn quoted(line: &str, start: usize) -> (Cow<'_, str>, usize) {
    let bytes = line.as_bytes();
    let Some(rel) = memchr::memchr2(b'"', b'\\', &bytes[start..]) else {
        return (Cow::Borrowed(&line[start..]), bytes.len());
    };
    if bytes[start + rel] == b'"' {
        return (Cow::Borrowed(&line[start..start + rel]), start + rel + 1);
    }
    // Escapes: build the value.
    let mut out = String::with_capacity(32);
    let mut i = start;
    let mut chunk = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                out.push_str(&line[chunk..i]);
                return (Cow::Owned(out), i + 1);
            }
            b'\\' if i + 1 < bytes.len() => {
                out.push_str(&line[chunk..i]);
                match bytes[i + 1] {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    _ => {
                        // Unknown escape: kept as written. The next byte may start a multi-byte
                        // character, so resume copying at it.
                        out.push('\\');
                        i += 1;
                        chunk = i;
                        continue;
                    }
                }
                i += 2;
                chunk = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&line[chunk..]);
    (Cow::Owned(out), bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(obj: &'a Obj<'_>, k: &str) -> Option<Cow<'a, str>> {
        crate::value::get(obj, k).and_then(Val::to_text)
    }

    #[test]
    fn pairs_quotes_bare_keys_and_empty_values() {
        let line = r#"time=2026-11-22T08:00:01.123Z level=info msg="user logged in" debug user= q="a \"b\" \\ c\n""#;
        let obj = parse(line).unwrap();
        assert_eq!(text(&obj, "time").unwrap(), "2026-11-22T08:00:01.123Z");
        assert_eq!(text(&obj, "msg").unwrap(), "user logged in");
        assert!(matches!(
            crate::value::get(&obj, "msg"),
            Some(Val::Str(Cow::Borrowed(_)))
        ));
        assert_eq!(crate::value::get(&obj, "debug"), Some(&Val::Bool(true)));
        assert_eq!(text(&obj, "user"), None);
        assert_eq!(text(&obj, "q").unwrap(), "a \"b\" \\ c\n");
    }

    #[test]
    fn unterminated_quote_takes_the_rest_and_unknown_escapes_stay() {
        let obj = parse(r#"a=1 msg="cut off here"#).unwrap();
        assert_eq!(text(&obj, "msg").unwrap(), "cut off here");
        let obj = parse(r#"p="C:\dir\é" b=2"#).unwrap();
        assert_eq!(text(&obj, "p").unwrap(), r"C:\dir\é");
        assert_eq!(text(&obj, "b").unwrap(), "2");
    }

    #[test]
    fn plain_text_is_rejected() {
        let e = parse("panic: runtime error: index out of range [3] with length 3").unwrap_err();
        assert_eq!(e.kind, RejectKind::Parse);
        assert!(parse("=oops a=b").is_err());
        assert!(parse("   ").is_err());
    }
}

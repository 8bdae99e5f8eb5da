//! `format = "json"`: one JSON object a line.

use crate::error::{RejectKind, Rejection};
use crate::value::{Obj, Val, parse_json};

/// Parses a line holding one JSON object.
pub(crate) fn parse(line: &str) -> Result<Obj<'_>, Rejection> {
    match parse_json(line) {
        Ok(Val::Obj(obj)) => Ok(obj),
        Ok(other) => Err(Rejection::new(
            RejectKind::Parse,
            format!("expected a json object, found {}", kind(&other)),
        )),
        Err(e) => Err(Rejection::new(
            RejectKind::Parse,
            format!("invalid json: {e}"),
        )),
    }
}

fn kind(v: &Val<'_>) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "a boolean",
        Val::I64(_) | Val::U64(_) | Val::F64(_) => "a number",
        Val::Str(_) => "a string",
        Val::Arr(_) => "an array",
        Val::Obj(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_parse_others_are_rejected() {
        let obj = parse(r#"{"a":{"b":[1,2]},"c":"d"}"#).unwrap();
        assert_eq!(obj.len(), 2);
        let e = parse("[1,2]").unwrap_err();
        assert_eq!(e.kind, RejectKind::Parse);
        assert_eq!(e.reason, "expected a json object, found an array");
        let e = parse(r#"{"id":"evt-1","time":"2026-11"#).unwrap_err();
        assert!(
            e.reason.starts_with("invalid json: EOF while parsing"),
            "{}",
            e.reason
        );
        assert!(parse("plain text").is_err());
        assert!(parse("").is_err());
    }
}

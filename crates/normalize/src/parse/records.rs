//! `records`: lines whose events are the elements of a list (CloudTrail's
//! `{"Records":[{...},{...}]}`), split into the elements' exact texts.

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::error::{RejectKind, Rejection};
use crate::path::FieldPath;

/// The texts of the elements of the list at `path` in the JSON object `line`, exactly as written;
/// `None` where the line has no value there (the line is then one event).
pub(crate) fn split<'l>(
    line: &'l str,
    path: &FieldPath,
) -> Result<Option<Vec<&'l str>>, Rejection> {
    let invalid =
        |e: serde_json::Error| Rejection::new(RejectKind::Parse, format!("invalid json: {e}"));
    let mut cur: &'l RawValue = serde_json::from_str(line).map_err(invalid)?;
    for key in path.keys() {
        let text = cur.get();
        cur = if text.starts_with('{') {
            let obj: HashMap<String, &'l RawValue> = serde_json::from_str(text).map_err(invalid)?;
            match obj.get(key) {
                Some(v) => v,
                None => return Ok(None),
            }
        } else if text.starts_with('[') {
            let items: Vec<&'l RawValue> = serde_json::from_str(text).map_err(invalid)?;
            match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
    }
    let text = cur.get();
    if text == "null" {
        return Ok(None);
    }
    if !text.starts_with('[') {
        return Err(Rejection::new(
            RejectKind::Parse,
            format!("`{}` (records) is not a list", path.as_str()),
        ));
    }
    let items: Vec<&'l RawValue> = serde_json::from_str(text).map_err(invalid)?;
    Ok(Some(items.into_iter().map(RawValue::get).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> FieldPath {
        FieldPath::compile("profiles.p.records", p).unwrap()
    }

    #[test]
    fn elements_keep_their_exact_text() {
        let line = r#"{"Records":[{"eventName":"ConsoleLogin", "a" : [1,2]},{"eventName":"Caf\u00e9"}], "x":1}"#;
        let got = split(line, &path("Records")).unwrap().unwrap();
        assert_eq!(
            got,
            [
                r#"{"eventName":"ConsoleLogin", "a" : [1,2]}"#,
                r#"{"eventName":"Caf\u00e9"}"#
            ]
        );
        let nested = r#"{"a":{"list":[{"n":1}]}}"#;
        assert_eq!(
            split(nested, &path("a.list")).unwrap().unwrap(),
            [r#"{"n":1}"#]
        );
        assert_eq!(
            split(r#"{"Records":[]}"#, &path("Records"))
                .unwrap()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn a_line_without_the_list_is_one_event_and_a_non_list_is_refused() {
        assert_eq!(
            split(r#"{"eventName":"ConsoleLogin"}"#, &path("Records")).unwrap(),
            None
        );
        assert_eq!(
            split(r#"{"Records":null}"#, &path("Records")).unwrap(),
            None
        );
        let e = split(r#"{"Records":{"a":1}}"#, &path("Records")).unwrap_err();
        assert_eq!(e.reason, "`Records` (records) is not a list");
        let e = split(r#"{"Records":[{"a":1},"#, &path("Records")).unwrap_err();
        assert!(e.reason.starts_with("invalid json"), "{}", e.reason);
    }
}

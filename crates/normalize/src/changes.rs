//! Before and after values of changed fields, in the four shapes sources write them.

use std::collections::{HashMap, HashSet};

use auditlake_event::Change;
use serde_json::Value;

use crate::config::{ChangesConfig, FieldSource};
use crate::error::NormalizeConfigError;
use crate::path::FieldPath;
use crate::value::{Obj, Val, get};

const FIELD_KEYS: &[&str] = &["field", "name", "key", "attribute"];
const OLD_KEYS: &[&str] = &["old", "from", "before", "previous"];
const NEW_KEYS: &[&str] = &["new", "to", "after", "current"];

/// A compiled `changes` table.
#[derive(Debug)]
pub(crate) enum ChangesSpec {
    List {
        path: FieldPath,
        field_keys: Vec<Box<str>>,
        old_keys: Vec<Box<str>>,
        new_keys: Vec<Box<str>>,
    },
    Map {
        path: FieldPath,
        old_keys: Vec<Box<str>>,
        new_keys: Vec<Box<str>>,
    },
    BeforeAfter {
        before: FieldPath,
        after: FieldPath,
    },
    Flat {
        field: Option<FieldPath>,
        name: Option<String>,
        old: FieldPath,
        new: FieldPath,
    },
}

fn keys(given: &Option<FieldSource>, default: &[&str]) -> Vec<Box<str>> {
    match given {
        Some(src) => src.paths().iter().map(|k| k.as_str().into()).collect(),
        None => default.iter().map(|k| (*k).into()).collect(),
    }
}

impl ChangesSpec {
    /// Compiles the `changes` table; `key` is `profiles.NAME.changes`.
    pub(crate) fn compile(
        key: &str,
        c: &ChangesConfig,
    ) -> Result<ChangesSpec, NormalizeConfigError> {
        let path = |k: &str, p: &str| FieldPath::compile(&format!("{key}.{k}"), p);
        Ok(match c {
            ChangesConfig::List {
                path: p,
                field_key,
                old_key,
                new_key,
            } => ChangesSpec::List {
                path: path("path", p)?,
                field_keys: keys(field_key, FIELD_KEYS),
                old_keys: keys(old_key, OLD_KEYS),
                new_keys: keys(new_key, NEW_KEYS),
            },
            ChangesConfig::Map {
                path: p,
                old_key,
                new_key,
            } => ChangesSpec::Map {
                path: path("path", p)?,
                old_keys: keys(old_key, OLD_KEYS),
                new_keys: keys(new_key, NEW_KEYS),
            },
            ChangesConfig::BeforeAfter { before, after } => ChangesSpec::BeforeAfter {
                before: path("before", before)?,
                after: path("after", after)?,
            },
            ChangesConfig::Flat {
                field,
                name,
                old,
                new,
            } => {
                if field.is_some() == name.is_some() {
                    return Err(NormalizeConfigError::Invalid {
                        key: key.to_owned(),
                        problem: "shape = \"flat\" needs exactly one of `field` and `name`"
                            .to_owned(),
                    });
                }
                ChangesSpec::Flat {
                    field: field.as_deref().map(|f| path("field", f)).transpose()?,
                    name: name.clone(),
                    old: path("old", old)?,
                    new: path("new", new)?,
                }
            }
        })
    }

    /// The paths this spec reads, which columns-and-attributes accounting treats as consumed.
    pub(crate) fn paths(&self) -> Vec<&FieldPath> {
        match self {
            ChangesSpec::List { path, .. } | ChangesSpec::Map { path, .. } => vec![path],
            ChangesSpec::BeforeAfter { before, after } => vec![before, after],
            ChangesSpec::Flat {
                field, old, new, ..
            } => field.iter().chain([old, new]).collect(),
        }
    }

    /// The changes a line holds; empty when it holds none or not in the expected shape.
    pub(crate) fn extract(&self, root: &Obj<'_>) -> Vec<Change> {
        let mut out = Vec::new();
        match self {
            ChangesSpec::List {
                path,
                field_keys,
                old_keys,
                new_keys,
            } => {
                let Some(Val::Arr(items)) = path.lookup(root) else {
                    return out;
                };
                for item in items {
                    let Val::Obj(obj) = item else { continue };
                    let Some(field) = first(obj, field_keys).and_then(Val::to_text) else {
                        continue;
                    };
                    out.push(Change {
                        field: field.into_owned(),
                        old: first(obj, old_keys).map_or(Value::Null, Val::to_json),
                        new: first(obj, new_keys).map_or(Value::Null, Val::to_json),
                    });
                }
            }
            ChangesSpec::Map {
                path,
                old_keys,
                new_keys,
            } => {
                let Some(Val::Obj(fields)) = path.lookup(root) else {
                    return out;
                };
                for (field, v) in fields {
                    let (old, new) = match v {
                        Val::Obj(o)
                            if first(o, old_keys).is_some() || first(o, new_keys).is_some() =>
                        {
                            (
                                first(o, old_keys).map_or(Value::Null, Val::to_json),
                                first(o, new_keys).map_or(Value::Null, Val::to_json),
                            )
                        }
                        // A bare value: the new value, the old one unknown.
                        other => (Value::Null, other.to_json()),
                    };
                    out.push(Change {
                        field: field.as_ref().to_owned(),
                        old,
                        new,
                    });
                }
            }
            ChangesSpec::BeforeAfter { before, after } => {
                let obj_at = |p: &FieldPath| match p.lookup(root) {
                    Some(Val::Obj(o)) => Some(o),
                    _ => None,
                };
                let (b, a) = (obj_at(before), obj_at(after));
                if b.is_none() && a.is_none() {
                    return out;
                }
                let empty = Vec::new();
                let (b, a) = (b.unwrap_or(&empty), a.unwrap_or(&empty));
                // Keys indexed once: a lookup per key in the other object is quadratic in a long
                // line. The last of duplicate keys wins, as with `get`.
                let b_index: HashMap<&str, &Val<'_>> =
                    b.iter().map(|(k, v)| (k.as_ref(), v)).collect();
                let a_keys: HashSet<&str> = a.iter().map(|(k, _)| k.as_ref()).collect();
                for (k, new) in a {
                    let old = b_index.get(k.as_ref()).copied();
                    if old != Some(new) {
                        out.push(Change {
                            field: k.as_ref().to_owned(),
                            old: old.map_or(Value::Null, Val::to_json),
                            new: new.to_json(),
                        });
                    }
                }
                for (k, old) in b {
                    if !a_keys.contains(k.as_ref()) {
                        out.push(Change {
                            field: k.as_ref().to_owned(),
                            old: old.to_json(),
                            new: Value::Null,
                        });
                    }
                }
            }
            ChangesSpec::Flat {
                field,
                name,
                old,
                new,
            } => {
                let (o, n) = (old.lookup(root), new.lookup(root));
                if o.is_none() && n.is_none() {
                    return out;
                }
                let field = match (field, name) {
                    (Some(p), _) => p
                        .lookup(root)
                        .and_then(Val::to_text)
                        .map(|c| c.into_owned()),
                    (None, Some(n)) => Some(n.clone()),
                    (None, None) => None,
                };
                if let Some(field) = field {
                    out.push(Change {
                        field,
                        old: o.map_or(Value::Null, Val::to_json),
                        new: n.map_or(Value::Null, Val::to_json),
                    });
                }
            }
        }
        out
    }
}

fn first<'o, 'a>(obj: &'o Obj<'a>, keys: &[Box<str>]) -> Option<&'o Val<'a>> {
    keys.iter().find_map(|k| get(obj, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;
    use serde_json::json;

    fn run(cfg: &str, line: &str) -> Vec<Change> {
        let c: ChangesConfig = toml::from_str(cfg).unwrap();
        let spec = ChangesSpec::compile("profiles.p.changes", &c).unwrap();
        let Val::Obj(obj) = parse_json(line).unwrap() else {
            panic!()
        };
        spec.extract(&obj)
    }

    fn ch(field: &str, old: Value, new: Value) -> Change {
        Change {
            field: field.to_owned(),
            old,
            new,
        }
    }

    #[test]
    fn list_shape_with_default_and_custom_keys() {
        let got = run(
            "shape = \"list\"\npath = \"changes\"",
            r#"{"changes":[{"field":"status","old":"a","new":"b"},{"name":"n","from":1,"to":2},"junk"]}"#,
        );
        assert_eq!(
            got,
            vec![
                ch("status", json!("a"), json!("b")),
                ch("n", json!(1), json!(2))
            ]
        );
        let got = run(
            "shape = \"list\"\npath = \"d.c\"\nfield_key = \"attr\"\nold_key = [\"was\"]\nnew_key = \"is\"",
            r#"{"d":{"c":[{"attr":"x","was":null,"is":{"k":1}}]}}"#,
        );
        assert_eq!(got, vec![ch("x", Value::Null, json!({"k": 1}))]);
    }

    #[test]
    fn map_shape() {
        let got = run(
            "shape = \"map\"\npath = \"changes\"",
            r#"{"changes":{"status":{"from":"deployed","to":"retired"},"notes":"new text"}}"#,
        );
        assert_eq!(
            got,
            vec![
                ch("status", json!("deployed"), json!("retired")),
                ch("notes", Value::Null, json!("new text"))
            ]
        );
    }

    #[test]
    fn before_after_shape_keeps_only_differences() {
        let got = run(
            "shape = \"before_after\"\nbefore = \"p.before\"\nafter = \"p.after\"",
            r#"{"p":{"before":{"a":1,"b":"x","gone":true},"after":{"a":1,"b":"y","added":[1]}}}"#,
        );
        assert_eq!(
            got,
            vec![
                ch("b", json!("x"), json!("y")),
                ch("added", Value::Null, json!([1])),
                ch("gone", json!(true), Value::Null)
            ]
        );
        assert!(
            run(
                "shape = \"before_after\"\nbefore = \"x\"\nafter = \"y\"",
                "{}"
            )
            .is_empty()
        );
    }

    #[test]
    fn before_after_with_many_keys_is_not_quadratic() {
        // 200k keys on each side took minutes: every key was looked up by a scan of the other.
        let side = |v: u32| {
            let body: Vec<String> = (0..200_000).map(|i| format!(r#""k{i}":{v}"#)).collect();
            format!("{{{}}}", body.join(","))
        };
        let line = format!(r#"{{"b":{},"a":{}}}"#, side(1), side(2));
        let started = std::time::Instant::now();
        let got = run(
            "shape = \"before_after\"\nbefore = \"b\"\nafter = \"a\"",
            &line,
        );
        assert_eq!(got.len(), 200_000);
        assert_eq!(got[7], ch("k7", json!(1), json!(2)));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn before_after_duplicate_keys_last_wins() {
        let got = run(
            "shape = \"before_after\"\nbefore = \"b\"\nafter = \"a\"",
            r#"{"b":{"x":1,"x":2,"y":0},"a":{"x":2}}"#,
        );
        assert_eq!(got, vec![ch("y", json!(0), Value::Null)]);
    }

    #[test]
    fn flat_shape() {
        let cfg = "shape = \"flat\"\nfield = \"field\"\nold = \"old\"\nnew = \"new\"";
        assert_eq!(
            run(cfg, r#"{"field":"role","old":"member","new":"admin"}"#),
            vec![ch("role", json!("member"), json!("admin"))]
        );
        assert!(run(cfg, r#"{"field":"role"}"#).is_empty());
        let cfg = "shape = \"flat\"\nname = \"role\"\nold = \"a\"\nnew = \"b\"";
        assert_eq!(
            run(cfg, r#"{"b":"x"}"#),
            vec![ch("role", Value::Null, json!("x"))]
        );
    }

    #[test]
    fn config_is_checked() {
        let c: ChangesConfig =
            toml::from_str("shape = \"flat\"\nold = \"a\"\nnew = \"b\"").unwrap();
        let e = ChangesSpec::compile("profiles.p.changes", &c).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profiles.p.changes: shape = \"flat\" needs")
        );
        let e = toml::from_str::<ChangesConfig>("shape = \"map\"\npath = \"c\"\nbogus = 1")
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `bogus`"), "{e}");
        assert!(toml::from_str::<ChangesConfig>("shape = \"tree\"\npath = \"c\"").is_err());
    }
}

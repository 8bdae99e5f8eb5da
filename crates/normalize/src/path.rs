//! Field paths (`context.ip_address`, `changes.0.field`), compiled once per profile, and the set of
//! paths a profile consumes, which decides what is left for `attributes`.

use serde_json::{Map, Value};

use crate::error::NormalizeConfigError;
use crate::value::{Obj, Val, get};

/// A dotted path into a line's fields. A segment of digits indexes a list. A path that does not
/// resolve segment by segment is also tried as one literal key at the top level (`"user.id"` as a
/// key, common in flattened JSON and logfmt).
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    full: Box<str>,
    segs: Box<[Seg]>,
}

#[derive(Debug, Clone)]
struct Seg {
    key: Box<str>,
    index: Option<usize>,
}

impl FieldPath {
    /// Compiles a path; `key` names the configuration key for errors.
    pub(crate) fn compile(key: &str, path: &str) -> Result<FieldPath, NormalizeConfigError> {
        let bad = |problem| NormalizeConfigError::InvalidPath {
            key: key.to_owned(),
            path: path.to_owned(),
            problem,
        };
        if path.is_empty() {
            return Err(bad("the path is empty"));
        }
        let mut segs = Vec::new();
        for seg in path.split('.') {
            if seg.is_empty() {
                return Err(bad("a segment is empty (leading, trailing or double dot)"));
            }
            let index = if seg.bytes().all(|b| b.is_ascii_digit()) {
                seg.parse().ok()
            } else {
                None
            };
            segs.push(Seg {
                key: seg.into(),
                index,
            });
        }
        Ok(FieldPath {
            full: path.into(),
            segs: segs.into(),
        })
    }

    /// Compiles a list of paths.
    pub(crate) fn compile_all(
        key: &str,
        paths: &[String],
    ) -> Result<Vec<FieldPath>, NormalizeConfigError> {
        paths.iter().map(|p| FieldPath::compile(key, p)).collect()
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.full
    }

    /// The value at this path, `None` where it is absent or null.
    pub(crate) fn lookup<'r, 'a>(&self, root: &'r Obj<'a>) -> Option<&'r Val<'a>> {
        let found = self.walk(root);
        let found = match found {
            None if self.segs.len() > 1 => get(root, &self.full),
            other => other,
        };
        found.filter(|v| !matches!(v, Val::Null))
    }

    fn walk<'r, 'a>(&self, root: &'r Obj<'a>) -> Option<&'r Val<'a>> {
        let (first, rest) = self.segs.split_first()?;
        let mut cur = get(root, &first.key)?;
        for seg in rest {
            cur = match cur {
                Val::Obj(obj) => get(obj, &seg.key)?,
                Val::Arr(items) => items.get(seg.index?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// The first present value among `paths`, with the path that had it.
pub(crate) fn first_of<'r, 'a, 'p>(
    paths: &'p [FieldPath],
    root: &'r Obj<'a>,
) -> Option<(&'p FieldPath, &'r Val<'a>)> {
    paths.iter().find_map(|p| p.lookup(root).map(|v| (p, v)))
}

/// The paths a profile (or one of its rules) consumes: a tree of path segments where a marked
/// node takes its whole subtree. What it does not take is left for `attributes`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Consumed {
    whole: bool,
    children: Vec<(Box<str>, Consumed)>,
}

impl Consumed {
    /// Marks a path consumed, both as segments and as one literal top-level key.
    pub(crate) fn insert(&mut self, path: &FieldPath) {
        if path.segs.len() > 1 {
            self.child_mut(&path.full).whole = true;
        }
        let mut node = self;
        for seg in path.segs.iter() {
            node = node.child_mut(&seg.key);
        }
        node.whole = true;
    }

    fn child_mut(&mut self, key: &str) -> &mut Consumed {
        let i = match self.children.iter().position(|(k, _)| &**k == key) {
            Some(i) => i,
            None => {
                self.children.push((key.into(), Consumed::default()));
                self.children.len() - 1
            }
        };
        &mut self.children[i].1
    }

    fn child(&self, key: &str) -> Option<&Consumed> {
        self.children
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, n)| n)
    }

    /// Copies into `out` what of `obj` this tree does not consume. Objects that lose some keys
    /// keep the rest and are dropped when nothing is left; lists are kept or dropped whole.
    pub(crate) fn remaining(&self, obj: &Obj<'_>, out: &mut Map<String, Value>) {
        for (k, v) in obj {
            match self.child(k) {
                None => {
                    out.insert(k.as_ref().to_owned(), v.to_json());
                }
                Some(node) if node.whole => {}
                Some(node) => match v {
                    Val::Obj(inner) => {
                        let mut rest = Map::new();
                        node.remaining(inner, &mut rest);
                        if !rest.is_empty() {
                            out.insert(k.as_ref().to_owned(), Value::Object(rest));
                        }
                    }
                    _ => {
                        out.insert(k.as_ref().to_owned(), v.to_json());
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    fn obj(text: &str) -> Obj<'_> {
        match parse_json(text).unwrap() {
            Val::Obj(o) => o,
            _ => panic!("not an object"),
        }
    }

    fn path(p: &str) -> FieldPath {
        FieldPath::compile("k", p).unwrap()
    }

    #[test]
    fn nested_and_indexed_paths() {
        let o = obj(r#"{"payload":{"user":{"id":"u1"}},"changes":[{"field":"a"},{"field":"b"}]}"#);
        assert_eq!(
            path("payload.user.id").lookup(&o),
            Some(&Val::Str("u1".into()))
        );
        assert_eq!(
            path("changes.1.field").lookup(&o),
            Some(&Val::Str("b".into()))
        );
        assert_eq!(path("changes.2.field").lookup(&o), None);
        assert_eq!(path("payload.user.id.deeper").lookup(&o), None);
        assert_eq!(path("missing").lookup(&o), None);
    }

    #[test]
    fn dotted_literal_key_fallback_and_null_is_absent() {
        let o = obj(r#"{"user.id":"u2","gone":null}"#);
        assert_eq!(path("user.id").lookup(&o), Some(&Val::Str("u2".into())));
        assert_eq!(path("gone").lookup(&o), None);
    }

    #[test]
    fn malformed_paths_are_config_errors() {
        for bad in ["", ".a", "a.", "a..b"] {
            let err = FieldPath::compile("profiles.p.fields.actor_id", bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("profiles.p.fields.actor_id: invalid field path")
            );
        }
    }

    #[test]
    fn remaining_drops_consumed_leaves_and_empty_objects() {
        let o = obj(
            r#"{"ctx":{"ip":"1.2.3.4","ua":"x"},"user":{"id":"u"},"seq":7,"list":[1],"user.name":"n"}"#,
        );
        let mut c = Consumed::default();
        for p in ["ctx.ip", "user.id", "list", "user.name"] {
            c.insert(&path(p));
        }
        let mut out = Map::new();
        c.remaining(&o, &mut out);
        assert_eq!(
            Value::Object(out),
            serde_json::json!({"ctx": {"ua": "x"}, "seq": 7})
        );
    }
}

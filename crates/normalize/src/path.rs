//! Field paths (`context.ip_address`, `changes.0.field`), compiled once per profile, and the set of
//! paths a profile consumes, which decides what is left for `attributes`.

use serde_json::{Map, Value};

use crate::error::NormalizeConfigError;
use crate::value::{Obj, Val, get};

/// A dotted path into a line's fields. A segment of digits indexes a list; a segment in double
/// quotes is one key even if it holds dots (`annotations."authorization.k8s.io/decision"`); a
/// segment followed by `[KEY=VALUE]` picks, from the list under it, the first object whose `KEY`
/// is `VALUE` (`target[type=UserGroup].displayName`; `KEY` and `VALUE` may be quoted too). A path
/// of plain segments that does not resolve segment by segment is also tried as one literal key at
/// the top level (`"user.id"` as a key, common in flattened JSON and logfmt).
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    full: Box<str>,
    segs: Box<[Seg]>,
    /// The path as one top-level key, for paths of plain segments only.
    literal: Option<Box<str>>,
}

#[derive(Debug, Clone)]
struct Seg {
    key: Box<str>,
    index: Option<usize>,
    /// `[KEY=VALUE]`: pick the list element whose `KEY` is `VALUE`.
    select: Option<(Box<str>, Box<str>)>,
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
        let mut plain = true;
        let mut rest = path;
        loop {
            let (seg_key, quoted, after) = take_name(rest, &['.', '[']).map_err(bad)?;
            if seg_key.is_empty() && !quoted {
                return Err(bad("a segment is empty (leading, trailing or double dot)"));
            }
            plain &= !quoted;
            let index = if !quoted && seg_key.bytes().all(|b| b.is_ascii_digit()) {
                seg_key.parse().ok()
            } else {
                None
            };
            let mut seg = Seg {
                key: seg_key.into(),
                index,
                select: None,
            };
            rest = after;
            if let Some(cond) = rest.strip_prefix('[') {
                plain = false;
                let (field, _, after) = take_name(cond, &['=']).map_err(bad)?;
                let after = after
                    .strip_prefix('=')
                    .ok_or_else(|| bad("a selection `[KEY=VALUE]` needs `=`"))?;
                let (value, _, after) = take_name(after, &[']']).map_err(bad)?;
                rest = after
                    .strip_prefix(']')
                    .ok_or_else(|| bad("a selection `[KEY=VALUE]` needs its closing `]`"))?;
                if field.is_empty() {
                    return Err(bad("a selection `[KEY=VALUE]` needs a KEY"));
                }
                seg.select = Some((field.into(), value.into()));
            }
            segs.push(seg);
            match rest.strip_prefix('.') {
                Some(r) => rest = r,
                None if rest.is_empty() => break,
                None => return Err(bad("expected `.` or the end after a segment")),
            }
        }
        Ok(FieldPath {
            full: path.into(),
            literal: (plain && segs.len() > 1).then(|| path.into()),
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

    /// The keys of the path's segments, in order (a segment of digits also indexes a list).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.segs.iter().map(|s| &*s.key)
    }

    /// Whether a segment picks a list element by a condition (`[KEY=VALUE]`).
    pub(crate) fn has_selection(&self) -> bool {
        self.segs.iter().any(|s| s.select.is_some())
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.full
    }

    /// The value at this path, `None` where it is absent or null.
    pub(crate) fn lookup<'r, 'a>(&self, root: &'r Obj<'a>) -> Option<&'r Val<'a>> {
        let found = self.walk(root);
        let found = match (found, &self.literal) {
            (None, Some(literal)) => get(root, literal),
            (other, _) => other,
        };
        found.filter(|v| !matches!(v, Val::Null))
    }

    /// The value at this path, to change in place (null included).
    pub(crate) fn lookup_mut<'r, 'a>(&self, root: &'r mut Obj<'a>) -> Option<&'r mut Val<'a>> {
        if self.walk(root).is_none() {
            let literal = self.literal.as_deref()?;
            return get_mut(root, literal);
        }
        let (first, rest) = self.segs.split_first()?;
        let mut cur = first.select_mut(get_mut(root, &first.key)?)?;
        for seg in rest {
            cur = match cur {
                Val::Obj(obj) => seg.select_mut(get_mut(obj, &seg.key)?)?,
                Val::Arr(items) => seg.select_mut(items.get_mut(seg.index?)?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn walk<'r, 'a>(&self, root: &'r Obj<'a>) -> Option<&'r Val<'a>> {
        let (first, rest) = self.segs.split_first()?;
        let mut cur = first.select(get(root, &first.key)?)?;
        for seg in rest {
            cur = match cur {
                Val::Obj(obj) => seg.select(get(obj, &seg.key)?)?,
                Val::Arr(items) => seg.select(items.get(seg.index?)?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// [`get`], to change the value.
fn get_mut<'o, 'a>(obj: &'o mut Obj<'a>, key: &str) -> Option<&'o mut Val<'a>> {
    obj.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Seg {
    /// [`Seg::select`], to change the value.
    fn select_mut<'r, 'a>(&self, v: &'r mut Val<'a>) -> Option<&'r mut Val<'a>> {
        let Some((field, want)) = &self.select else {
            return Some(v);
        };
        let Val::Arr(items) = v else {
            return None;
        };
        items.iter_mut().find(|item| match item {
            Val::Obj(obj) => get(obj, field)
                .and_then(Val::to_text)
                .is_some_and(|t| t == **want),
            _ => false,
        })
    }

    /// The value this segment's selection picks from `v`, or `v` itself without a selection.
    fn select<'r, 'a>(&self, v: &'r Val<'a>) -> Option<&'r Val<'a>> {
        let Some((field, want)) = &self.select else {
            return Some(v);
        };
        let Val::Arr(items) = v else {
            return None;
        };
        items.iter().find(|item| match item {
            Val::Obj(obj) => get(obj, field)
                .and_then(Val::to_text)
                .is_some_and(|t| t == **want),
            _ => false,
        })
    }
}

/// One name at the start of `s`: a double-quoted string (`\"` and `\\` escapes) or the text up to
/// one of `ends`. Returns the name, whether it was quoted, and the rest.
fn take_name<'s>(s: &'s str, ends: &[char]) -> Result<(String, bool, &'s str), &'static str> {
    let Some(quoted) = s.strip_prefix('"') else {
        let end = s.find(ends).unwrap_or(s.len());
        return Ok((s[..end].to_owned(), false, &s[end..]));
    };
    let mut name = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((name, true, &quoted[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e)) => name.push(e),
                None => break,
            },
            c => name.push(c),
        }
    }
    Err("a quoted segment has no closing `\"`")
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
        if let Some(literal) = &path.literal {
            self.child_mut(literal).whole = true;
        }
        let mut node = self;
        for seg in path.segs.iter() {
            node = node.child_mut(&seg.key);
            if seg.select.is_some() {
                // A list is kept or dropped whole: one element taken leaves the list.
                return;
            }
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
    fn quoted_segments_hold_dots() {
        let o = obj(
            r#"{"annotations":{"authorization.k8s.io/decision":"allow","a\"b":1},"x.y":{"z":2}}"#,
        );
        assert_eq!(
            path(r#"annotations."authorization.k8s.io/decision""#).lookup(&o),
            Some(&Val::Str("allow".into()))
        );
        assert_eq!(path(r#"annotations."a\"b""#).lookup(&o), Some(&Val::U64(1)));
        assert_eq!(path(r#""x.y".z"#).lookup(&o), Some(&Val::U64(2)));
        // Quoted: no fallback to a literal top-level key of the whole path.
        let flat = obj(r#"{"annotations.\"k\"":"v"}"#);
        assert_eq!(path(r#"annotations."k""#).lookup(&flat), None);
    }

    #[test]
    fn selection_picks_the_list_element_by_a_sibling_field() {
        let o = obj(
            r#"{"target":[{"type":"User","displayName":"Ann"},{"type":"UserGroup","displayName":"Admins"}],
               "events":[{"parameters":[{"name":"login_type","value":"saml"},{"name":"login_challenge_status","value":"passed"}]}]}"#,
        );
        assert_eq!(
            path("target[type=UserGroup].displayName").lookup(&o),
            Some(&Val::Str("Admins".into()))
        );
        assert_eq!(
            path(r#"target[type="User"].displayName"#).lookup(&o),
            Some(&Val::Str("Ann".into()))
        );
        assert_eq!(
            path("events.0.parameters[name=login_challenge_status].value").lookup(&o),
            Some(&Val::Str("passed".into()))
        );
        assert_eq!(
            path("target[type=AppInstance].displayName").lookup(&o),
            None
        );
        let mut c = Consumed::default();
        c.insert(&path("target[type=UserGroup].displayName"));
        let mut out = Map::new();
        c.remaining(&o, &mut out);
        assert!(out.contains_key("target"), "a list is kept whole");
    }

    #[test]
    fn malformed_paths_are_config_errors() {
        for bad in [
            "",
            ".a",
            "a.",
            "a..b",
            r#"a."b"#,
            "a[type]",
            "a[type=x",
            "a[=x]",
            r#"a."b"c"#,
        ] {
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

//! The fields of one parsed line: a JSON-like tree that borrows its strings from the line where it
//! can, so that parsing allocates little more than the containers.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// An object: its keys in line order. Duplicate keys are kept; lookups take the last.
pub(crate) type Obj<'a> = Vec<(Cow<'a, str>, Val<'a>)>;

/// One value of a parsed line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Val<'a>>),
    Obj(Obj<'a>),
}

/// Looks a key up in an object (the last occurrence wins, as with `serde_json`).
pub(crate) fn get<'o, 'a>(obj: &'o Obj<'a>, key: &str) -> Option<&'o Val<'a>> {
    obj.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl<'a> Val<'a> {
    /// The value as column text: strings as they are, numbers and booleans in JSON spelling,
    /// a list of scalars joined by commas, other lists and objects as JSON. `None` for null and
    /// the empty string.
    pub(crate) fn to_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Null => None,
            Val::Str(s) if s.is_empty() => None,
            Val::Str(s) => Some(Cow::Borrowed(s.as_ref())),
            Val::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Val::I64(n) => Some(Cow::Owned(n.to_string())),
            Val::U64(n) => Some(Cow::Owned(n.to_string())),
            Val::F64(f) => Some(Cow::Owned(float_json(*f).to_string())),
            Val::Arr(items) if items.iter().all(Val::is_scalar) => {
                let mut out = String::new();
                for item in items {
                    if let Some(t) = item.to_text() {
                        if !out.is_empty() {
                            out.push(',');
                        }
                        out.push_str(&t);
                    }
                }
                (!out.is_empty()).then_some(Cow::Owned(out))
            }
            Val::Arr(_) | Val::Obj(_) => Some(Cow::Owned(self.to_json().to_string())),
        }
    }

    /// The value with every string owned, free of the text it was parsed from.
    pub(crate) fn into_owned(self) -> Val<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::I64(n) => Val::I64(n),
            Val::U64(n) => Val::U64(n),
            Val::F64(f) => Val::F64(f),
            Val::Str(s) => Val::Str(own(s)),
            Val::Arr(items) => Val::Arr(items.into_iter().map(Val::into_owned).collect()),
            Val::Obj(obj) => Val::Obj(
                obj.into_iter()
                    .map(|(k, v)| (own(k), v.into_owned()))
                    .collect(),
            ),
        }
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Val::Arr(_) | Val::Obj(_))
    }

    /// The value as an owned `serde_json::Value`.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::I64(n) => Value::from(*n),
            Val::U64(n) => Value::from(*n),
            Val::F64(f) => float_json(*f),
            Val::Str(s) => Value::String(s.as_ref().to_owned()),
            Val::Arr(items) => Value::Array(items.iter().map(Val::to_json).collect()),
            Val::Obj(obj) => Value::Object(obj_to_json(obj)),
        }
    }
}

/// An object as an owned `serde_json` map.
pub(crate) fn obj_to_json(obj: &Obj<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in obj {
        map.insert(k.as_ref().to_owned(), v.to_json());
    }
    map
}

fn float_json(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Parses one JSON text. Strings without escapes borrow from `text`.
pub(crate) fn parse_json(text: &str) -> Result<Val<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Val::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json value")
    }
    fn visit_unit<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_none<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val<'de>, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val<'de>, E> {
        Ok(Val::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Val<'de>, E> {
        Ok(Val::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Val<'de>, E> {
        Ok(Val::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Val::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        let mut obj = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let v = map.next_value()?;
            obj.push((k, v));
        }
        Ok(Val::Obj(obj))
    }
}

/// Deserializes an object key, borrowing it where the input allows.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_borrow() {
        let v = parse_json(r#"{"a":"plain","b":"esc\"aped","n":[1,-2,3.5,true,null]}"#).unwrap();
        let Val::Obj(obj) = &v else {
            panic!("not an object")
        };
        assert!(matches!(&obj[0].0, Cow::Borrowed(_)));
        assert!(matches!(&obj[0].1, Val::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&obj[1].1, Val::Str(Cow::Owned(s)) if s == "esc\"aped"));
        assert_eq!(get(obj, "n").unwrap().to_text().unwrap(), "1,-2,3.5,true");
    }

    #[test]
    fn text_of_values() {
        let v = parse_json(r#"{"o":{"x":1},"e":"","z":null,"l":[{"a":1}]}"#).unwrap();
        let Val::Obj(obj) = &v else {
            panic!("not an object")
        };
        assert_eq!(get(obj, "o").unwrap().to_text().unwrap(), r#"{"x":1}"#);
        assert_eq!(get(obj, "e").unwrap().to_text(), None);
        assert_eq!(get(obj, "z").unwrap().to_text(), None);
        assert_eq!(get(obj, "l").unwrap().to_text().unwrap(), r#"[{"a":1}]"#);
    }

    #[test]
    fn trailing_garbage_and_deep_nesting_are_errors() {
        assert!(parse_json(r#"{"a":1} x"#).is_err());
        let deep = "[".repeat(10_000);
        assert!(parse_json(&deep).is_err());
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let v = parse_json(r#"{"a":1,"a":2}"#).unwrap();
        let Val::Obj(obj) = &v else {
            panic!("not an object")
        };
        assert_eq!(get(obj, "a"), Some(&Val::U64(2)));
    }
}

/// A source IP as the column keeps it: `None` where `text` is no address; `Some(None)` where it
/// is one as written; `Some(Some(ip))` where a port, brackets or an IPv6 zone came off
/// (`203.0.113.5:51234`, `[2001:db8::1]:443`, `fe80::1%eth0`).
pub(crate) fn ip_address(text: &str) -> Option<Option<String>> {
    use std::net::{IpAddr, SocketAddr};
    let t = text.trim();
    if t.parse::<IpAddr>().is_ok() {
        return Some((t.len() != text.len()).then(|| t.to_owned()));
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(Some(sa.ip().to_string()));
    }
    let unbracketed = t.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
    let unzoned = unbracketed.unwrap_or(t).split_once('%').map(|(ip, _)| ip);
    match unzoned.or(unbracketed) {
        Some(ip) if ip.parse::<IpAddr>().is_ok() => Some(Some(ip.to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod ip_tests {
    use super::ip_address;

    #[test]
    fn addresses_are_kept_or_cleaned_and_the_rest_refused() {
        assert_eq!(ip_address("203.0.113.5"), Some(None));
        assert_eq!(ip_address("2001:db8::1"), Some(None));
        assert_eq!(ip_address("::ffff:192.0.2.1"), Some(None));
        assert_eq!(
            ip_address(" 203.0.113.5 "),
            Some(Some("203.0.113.5".into()))
        );
        assert_eq!(
            ip_address("203.0.113.5:51234"),
            Some(Some("203.0.113.5".into()))
        );
        assert_eq!(
            ip_address("[2001:db8::1]:443"),
            Some(Some("2001:db8::1".into()))
        );
        assert_eq!(
            ip_address("[2001:db8::1]"),
            Some(Some("2001:db8::1".into()))
        );
        assert_eq!(ip_address("fe80::1%eth0"), Some(Some("fe80::1".into())));
        for bad in [
            "null",
            "-",
            "AWS Internal",
            "ec2.amazonaws.com",
            "999.1.1.1",
            "<script>",
        ] {
            assert_eq!(ip_address(bad), None, "{bad}");
        }
    }
}

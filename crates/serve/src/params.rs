//! Query parameters: the filters every read takes (the same names and meanings as the command
//! line's flags) and each endpoint's own. An unknown parameter, or one given twice that takes
//! one value, is refused with its name.

use std::collections::BTreeMap;

use auditlake_filter::FilterSpec;

/// The filter parameters that take several values (`action=a&action=b`).
const REPEATABLE: &[&str] = &[
    "actor", "action", "category", "outcome", "ip", "tier", "person",
];
/// The filter parameters that take one value.
const SINGLE: &[&str] = &[
    "since",
    "until",
    "actor_id",
    "resource",
    "credential",
    "session",
    "tenant",
    "text",
];

/// A request's parameters: the filter, and the endpoint's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pub filter: FilterSpec,
    /// `person=ID`: every id of ID's person, added to the filter's actors by the server.
    pub persons: Vec<String>,
    own: BTreeMap<String, String>,
}

/// A parameter the request got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ParamError {
    pub name: String,
    pub message: String,
}

fn err(name: &str, message: impl Into<String>) -> ParamError {
    ParamError {
        name: name.to_string(),
        message: message.into(),
    }
}

impl Params {
    /// Parses a query string; `own` names the endpoint's own parameters.
    pub fn parse(query: Option<&str>, own: &[&str]) -> Result<Params, ParamError> {
        let mut p = Params::default();
        let mut single: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            if REPEATABLE.contains(&k.as_str()) {
                if v.is_empty() {
                    return Err(err(&k, "empty value"));
                }
                let f = &mut p.filter;
                match k.as_str() {
                    "person" => p.persons.push(v),
                    "actor" => f.actors.push(v),
                    "action" => f.actions.push(v),
                    "category" => f.categories.push(v),
                    "outcome" => f.outcomes.push(v),
                    "ip" => f.ips.push(v),
                    _ => f.tiers.push(v),
                }
            } else if SINGLE.contains(&k.as_str()) || own.contains(&k.as_str()) {
                if single.contains_key(&k) {
                    return Err(err(&k, "given twice; it takes one value"));
                }
                single.insert(k, v);
            } else {
                let mut known: Vec<&str> = REPEATABLE
                    .iter()
                    .chain(SINGLE)
                    .chain(own)
                    .copied()
                    .collect();
                known.sort_unstable();
                return Err(err(
                    &k,
                    format!("unknown parameter; known: {}", known.join(", ")),
                ));
            }
        }
        for (k, v) in single {
            let f = &mut p.filter;
            let slot = match k.as_str() {
                "since" => &mut f.since,
                "until" => &mut f.until,
                "actor_id" => &mut f.actor_id,
                "resource" => &mut f.resource,
                "credential" => &mut f.credential,
                "session" => &mut f.session,
                "tenant" => &mut f.tenant,
                "text" => &mut f.text,
                _ => {
                    p.own.insert(k, v);
                    continue;
                }
            };
            *slot = Some(v);
        }
        Ok(p)
    }

    /// An endpoint's own parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.own.get(name).map(String::as_str)
    }

    /// An endpoint's own parameter that must be there.
    pub fn require(&self, name: &str) -> Result<&str, ParamError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| err(name, "required"))
    }

    /// An endpoint's own number parameter, within `range`.
    pub fn number(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ParamError> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        let n: u64 = v
            .parse()
            .map_err(|_| err(name, format!("{v:?} is not a whole number")))?;
        if !range.contains(&n) {
            return Err(err(
                name,
                format!("{n} is outside {}..={}", range.start(), range.end()),
            ));
        }
        Ok(n)
    }

    /// The parameters other than the filter, as recorded with a read.
    pub fn own_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.own).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_filters_are_alternatives() {
        let p = Params::parse(
            Some("action=authentication.*&action=account.*&actor=a%40x&since=7d&limit=5"),
            &["limit"],
        )
        .unwrap();
        assert_eq!(p.filter.actions, vec!["authentication.*", "account.*"]);
        assert_eq!(p.filter.actors, vec!["a@x"]);
        assert_eq!(p.filter.since.as_deref(), Some("7d"));
        assert_eq!(p.get("limit"), Some("5"));
        assert_eq!(p.number("limit", 50, 1..=1000).unwrap(), 5);
    }

    #[test]
    fn an_unknown_or_doubled_parameter_is_named() {
        let e = Params::parse(Some("actr=x"), &[]).unwrap_err();
        assert_eq!(e.name, "actr");
        let e = Params::parse(Some("since=1d&since=2d"), &[]).unwrap_err();
        assert_eq!(e.name, "since");
        let e = Params::parse(Some("limit=0"), &["limit"])
            .unwrap()
            .number("limit", 50, 1..=1000)
            .unwrap_err();
        assert_eq!(e.name, "limit");
    }

    #[test]
    fn a_scope_cannot_come_from_a_request() {
        let e = Params::parse(Some("scope=x"), &[]).unwrap_err();
        assert_eq!(e.name, "scope");
        assert!(
            Params::parse(Some("tenant=acme"), &[])
                .unwrap()
                .filter
                .scope
                .is_none()
        );
    }
}

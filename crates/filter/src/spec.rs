//! What users ask for ([`FilterSpec`]) and what it compiles to ([`Filter`]).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use globset::GlobMatcher;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use auditlake_event::glob;

use crate::addr::{address_forms, parse_net};
use crate::error::{FilterError, Result};
use crate::time::{Bound, last_day, parse_time};

/// The filters as the user gives them; every one given must match (AND), values of one
/// repeatable filter are alternatives (OR). The same fields mean the same thing in `query`,
/// `export`, `report`, `hold add`, `erase` and alert rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Events at or after this time (RFC 3339, a date: its first instant, `7d`, `today`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Events before this time; a date (or `today`, `yesterday`) includes that whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Actors, alternatives: each equal to `actor_id`, `actor_name` or `actor_email`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    /// An actor by id only: prunes by `actor_id` statistics and bloom filters alone, the fast
    /// path for one user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Action globs (`authentication.*`, `?` for one character), in the syntax of
    /// [`auditlake_event::glob`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// Categories (`authentication`, `account`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Outcomes (`success`, `failure`, `unknown`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// Addresses or CIDR blocks of `src_ip`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// `TYPE` or `TYPE:ID` of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// A resource by id, whatever its type (the resource filter of holds placed before
    /// `resource` took `TYPE:ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Tiers to read; all when empty. Tiers select partitions: an event alone does not name its
    /// tier, so [`Filter::matches`] does not look at them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// A case-insensitive substring of actor id, name or email, `src_ip`, `message` or `raw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// What the reader may see at all, ANDed with everything else: set by the server from the
    /// reader's role, never from a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}

/// A restriction of what a reader sees: every restriction given must hold. A list given empty
/// matches no event, so that a reader mapped to no actor sees nothing rather than everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Only events whose `actor_id` is one of these or whose `actor_email` is one of
    /// `actor_emails`: a person's own activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actor_emails: Vec<String>,
    /// Only events of these tenants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<String>>,
}

impl Scope {
    /// The clauses of the restriction.
    fn clauses(&self) -> Vec<Vec<Atom>> {
        let mut clauses = Vec::new();
        if let Some(ids) = &self.actor_ids {
            let mut own = vec![Atom::Eq {
                column: "actor_id",
                values: ids.clone(),
            }];
            if !self.actor_emails.is_empty() {
                own.push(Atom::Eq {
                    column: "actor_email",
                    values: self.actor_emails.clone(),
                });
            }
            clauses.push(own);
        }
        if let Some(tenants) = &self.tenants {
            clauses.push(vec![Atom::Eq {
                column: "tenant",
                values: tenants.clone(),
            }]);
        }
        clauses
    }
}

/// The columns `text` searches.
pub const TEXT_COLUMNS: &[&str] = &[
    "actor_id",
    "actor_name",
    "actor_email",
    "src_ip",
    "message",
    "raw",
];

/// One condition on one column.
#[derive(Debug, Clone)]
pub enum Atom {
    /// The column equals one of the values.
    Eq {
        column: &'static str,
        values: Vec<String>,
    },
    /// The column matches a SQL LIKE pattern (from a substring search or a prefix).
    Like {
        column: &'static str,
        pattern: String,
        /// The literal text every match starts with (case-sensitive patterns only).
        prefix: String,
        case_insensitive: bool,
    },
    /// The column matches an action glob ([`auditlake_event::glob`]: the syntax of tier
    /// matches and alert rules).
    Glob {
        column: &'static str,
        glob: GlobMatcher,
        /// The literal text every match starts with.
        prefix: String,
    },
    /// The column parses as an address inside one of the networks.
    Cidr {
        column: &'static str,
        nets: Vec<IpNet>,
    },
    /// `time` in `[since, until)`, UTC microseconds.
    Time {
        since: Option<i64>,
        until: Option<i64>,
    },
    /// Every one of the atoms holds.
    All(Vec<Atom>),
}

impl Atom {
    pub(crate) fn columns(&self) -> Vec<&'static str> {
        match self {
            Atom::Eq { column, .. }
            | Atom::Like { column, .. }
            | Atom::Glob { column, .. }
            | Atom::Cidr { column, .. } => vec![column],
            Atom::Time { .. } => vec!["time"],
            Atom::All(atoms) => atoms.iter().flat_map(Atom::columns).collect(),
        }
    }
}

/// A compiled filter: every clause must hold; a clause holds when any of its atoms does.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub clauses: Vec<Vec<Atom>>,
    /// The time range, UTC microseconds, `[since, until)`.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub tiers: Vec<String>,
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn nonempty<'a>(option: &'static str, v: &'a Option<String>) -> Result<Option<&'a str>> {
    match v.as_deref() {
        Some("") => Err(FilterError::arg(option, "empty value")),
        other => Ok(other),
    }
}

fn eq(column: &'static str, v: &str) -> Atom {
    Atom::Eq {
        column,
        values: vec![v.to_string()],
    }
}

impl FilterSpec {
    /// The same filter with `since` and `until` resolved against `now` into RFC 3339 instants
    /// (`until` exclusive), so that it means the same whenever it is compiled again: the form a
    /// stored filter (a hold) keeps.
    pub fn resolved(&self, now: DateTime<Utc>) -> Result<FilterSpec> {
        let f = self.compile(now)?;
        let instant =
            |us: Option<i64>| us.map(|us| auditlake_event::micros_to_datetime(us).to_rfc3339());
        Ok(FilterSpec {
            since: instant(f.since),
            until: instant(f.until),
            ..self.clone()
        })
    }

    /// Compiles the filters; relative times are taken from `now`.
    pub fn compile(&self, now: DateTime<Utc>) -> Result<Filter> {
        let mut f = Filter::default();
        let time = |option, s: &Option<String>, bound| {
            s.as_deref()
                .map(|s| parse_time(option, s, bound, now))
                .transpose()
        };
        f.since = time("--since", &self.since, Bound::Since)?.map(|t| t.timestamp_micros());
        f.until = time("--until", &self.until, Bound::Until)?.map(|t| t.timestamp_micros());
        if f.since.is_some() || f.until.is_some() {
            f.clauses.push(vec![Atom::Time {
                since: f.since,
                until: f.until,
            }]);
        }
        if !self.actors.is_empty() {
            if self.actors.iter().any(String::is_empty) {
                return Err(FilterError::arg("--actor", "empty value"));
            }
            f.clauses.push(
                ["actor_id", "actor_name", "actor_email"]
                    .map(|column| Atom::Eq {
                        column,
                        values: self.actors.clone(),
                    })
                    .to_vec(),
            );
        }
        if let Some(a) = nonempty("--actor-id", &self.actor_id)? {
            f.clauses.push(vec![eq("actor_id", a)]);
        }
        if !self.actions.is_empty() {
            f.clauses.push(action_atoms(&self.actions)?);
        }
        for (column, values) in [("category", &self.categories), ("outcome", &self.outcomes)] {
            if !values.is_empty() {
                f.clauses.push(vec![Atom::Eq {
                    column,
                    values: values.clone(),
                }]);
            }
        }
        if !self.ips.is_empty() {
            f.clauses.push(ip_atoms(&self.ips)?);
        }
        if let Some(r) = nonempty("--resource", &self.resource)? {
            let (ty, id) = match r.split_once(':') {
                Some((t, i)) => (t, Some(i)),
                None => (r, None),
            };
            if ty.is_empty() || id.is_some_and(str::is_empty) {
                return Err(FilterError::arg("--resource", "expected TYPE or TYPE:ID"));
            }
            f.clauses.push(vec![eq("resource_type", ty)]);
            if let Some(id) = id {
                f.clauses.push(vec![eq("resource_id", id)]);
            }
        }
        for (opt, column, v) in [
            ("--resource-id", "resource_id", &self.resource_id),
            ("--credential", "credential_id", &self.credential),
            ("--session", "session_id", &self.session),
            ("--tenant", "tenant", &self.tenant),
        ] {
            if let Some(v) = nonempty(opt, v)? {
                f.clauses.push(vec![eq(column, v)]);
            }
        }
        if let Some(t) = nonempty("--text", &self.text)? {
            let pattern = format!("%{}%", escape_like(t));
            f.clauses.push(
                TEXT_COLUMNS
                    .iter()
                    .map(|&column| Atom::Like {
                        column,
                        pattern: pattern.clone(),
                        prefix: String::new(),
                        case_insensitive: true,
                    })
                    .collect(),
            );
        }
        if self.tiers.iter().any(String::is_empty) {
            return Err(FilterError::arg("--tier", "empty value"));
        }
        f.tiers = self.tiers.clone();
        if let Some(scope) = &self.scope {
            f.clauses.extend(scope.clauses());
        }
        Ok(f)
    }
}

fn action_atoms(actions: &[String]) -> Result<Vec<Atom>> {
    let mut atoms = Vec::new();
    for pattern in actions {
        if pattern.is_empty() {
            return Err(FilterError::arg("--action", "empty pattern"));
        }
        if !glob::has_glob_syntax(pattern) {
            atoms.push(eq("action", pattern));
            continue;
        }
        let compiled = glob::action_glob(pattern).map_err(|e| {
            FilterError::arg(
                "--action",
                format!("invalid glob {pattern:?}: {}", e.kind()),
            )
        })?;
        atoms.push(Atom::Glob {
            column: "action",
            glob: compiled.compile_matcher(),
            prefix: glob::literal_prefix(pattern).to_string(),
        });
    }
    Ok(atoms)
}

fn ip_atoms(ips: &[String]) -> Result<Vec<Atom>> {
    let mut exact = Vec::new();
    let mut blocks = Vec::new();
    for s in ips {
        let n = parse_net(s)?;
        if n.prefix_len() == n.max_prefix_len() {
            exact.extend(address_forms(n.addr()));
        } else {
            blocks.push(n);
        }
    }
    let mut atoms = Vec::new();
    if !exact.is_empty() {
        atoms.push(Atom::Eq {
            column: "src_ip",
            values: exact,
        });
    }
    if !blocks.is_empty() {
        atoms.push(Atom::Cidr {
            column: "src_ip",
            nets: blocks,
        });
    }
    Ok(atoms)
}

/// The actions an account event about a user has, and the resource types that name the user.
const ACCOUNT_ACTIONS: &str = "account.";
const USER_RESOURCE_TYPES: &[&str] = &["user", "account"];

impl Filter {
    /// Adds the condition "the event is about this person": done by them (`who` equal to the
    /// actor's id, name or e-mail, or the actor id one of `ids`), or an `account.*` event on
    /// their user record (a `user` or `account` resource whose id is `who` or one of `ids`).
    pub fn push_subject(&mut self, who: &str, ids: &[String]) {
        let mut all_ids: Vec<String> = ids.to_vec();
        all_ids.push(who.to_string());
        all_ids.sort();
        all_ids.dedup();
        let eq = |column, values: Vec<String>| Atom::Eq { column, values };
        self.clauses.push(vec![
            eq("actor_id", all_ids.clone()),
            eq("actor_name", vec![who.to_string()]),
            eq("actor_email", vec![who.to_string()]),
            Atom::All(vec![
                eq("resource_id", all_ids),
                eq(
                    "resource_type",
                    USER_RESOURCE_TYPES.iter().map(|s| s.to_string()).collect(),
                ),
                Atom::Like {
                    column: "action",
                    pattern: format!("{ACCOUNT_ACTIONS}%"),
                    prefix: ACCOUNT_ACTIONS.to_string(),
                    case_insensitive: false,
                },
            ]),
        ]);
    }

    /// Whether the filter selects every event (tiers aside).
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The columns the filter reads, sorted.
    pub fn columns(&self) -> BTreeSet<&'static str> {
        self.clauses
            .iter()
            .flatten()
            .flat_map(Atom::columns)
            .collect()
    }

    /// Whether the filter reads columns other than `time`: a partition in the time range can
    /// then still hold no matching event.
    pub fn reads_rows(&self) -> bool {
        self.columns().iter().any(|c| *c != "time")
    }

    /// The first and last event dates of the time range, where bounded.
    pub fn date_range(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let date = |us: i64| auditlake_event::micros_to_datetime(us);
        (
            self.since.map(|s| date(s).date_naive()),
            self.until.map(|u| last_day(date(u))),
        )
    }

    /// Whether a partition (a tier and an event date) can hold matching events: its tier is
    /// one of the filter's (or the filter names none) and its day meets the time range.
    pub fn may_match_partition(&self, tier: &str, event_date: NaiveDate) -> bool {
        let (first, last) = self.date_range();
        (self.tiers.is_empty() || self.tiers.iter().any(|t| t == tier))
            && first.is_none_or(|a| event_date >= a)
            && last.is_none_or(|b| event_date <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-23T10:30:00Z".parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn resource_needs_a_type() {
        for bad in [":1", "asset:", ""] {
            let spec = FilterSpec {
                resource: Some(bad.into()),
                ..Default::default()
            };
            assert!(spec.compile(now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_date_range_covers_whole_days() {
        let spec = FilterSpec {
            since: Some("2026-11-20".into()),
            until: Some("2026-11-21".into()),
            ..Default::default()
        };
        let f = spec.compile(now()).unwrap();
        assert_eq!(
            f.date_range(),
            (Some(d("2026-11-20")), Some(d("2026-11-21")))
        );
        assert!(f.may_match_partition("any", d("2026-11-21")));
        assert!(!f.may_match_partition("any", d("2026-11-22")));
        assert!(!f.may_match_partition("any", d("2026-11-19")));
        assert!(!f.reads_rows());
    }

    #[test]
    fn tiers_select_partitions() {
        let f = FilterSpec {
            tiers: vec!["security".into()],
            ..Default::default()
        }
        .compile(now())
        .unwrap();
        assert!(f.may_match_partition("security", d("2026-01-01")));
        assert!(!f.may_match_partition("standard", d("2026-01-01")));
    }

    #[test]
    fn resolving_fixes_relative_times() {
        let spec = FilterSpec {
            since: Some("7d".into()),
            until: Some("2026-11-21".into()),
            actors: vec!["a@x".into()],
            ..Default::default()
        };
        let r = spec.resolved(now()).unwrap();
        assert_eq!(r.since.as_deref(), Some("2026-11-16T10:30:00+00:00"));
        assert_eq!(r.until.as_deref(), Some("2026-11-22T00:00:00+00:00"));
        assert_eq!(r.actors, spec.actors);
        let later = now() + chrono::Duration::days(30);
        assert_eq!(
            r.compile(later).unwrap().until,
            spec.compile(now()).unwrap().until
        );
    }

    fn event(
        actor_id: &str,
        email: Option<&str>,
        tenant: Option<&str>,
    ) -> auditlake_event::AuditEvent {
        auditlake_event::AuditEvent {
            actor_id: Some(actor_id.into()),
            actor_email: email.map(Into::into),
            tenant: tenant.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn a_scope_is_anded_with_what_the_reader_asks() {
        let own = Scope {
            actor_ids: Some(vec!["u-1".into(), "alice".into()]),
            actor_emails: vec!["alice@example.com".into()],
            tenants: None,
        };
        let asking = |actors: &[&str]| FilterSpec {
            actors: actors.iter().map(|s| s.to_string()).collect(),
            scope: Some(own.clone()),
            ..Default::default()
        };
        let f = asking(&[]).compile(now()).unwrap();
        assert!(f.matches(&event("u-1", None, None)));
        assert!(f.matches(&event("x", Some("alice@example.com"), None)));
        assert!(!f.matches(&event("bob", None, None)));
        // Asking for someone else's events finds none of theirs and none of one's own.
        let f = asking(&["bob"]).compile(now()).unwrap();
        assert!(!f.matches(&event("bob", None, None)));
        assert!(!f.matches(&event("u-1", None, None)));
    }

    #[test]
    fn a_scope_of_no_ids_or_tenants_matches_nothing() {
        for scope in [
            Scope {
                actor_ids: Some(vec![]),
                ..Default::default()
            },
            Scope {
                tenants: Some(vec![]),
                ..Default::default()
            },
        ] {
            let f = FilterSpec {
                scope: Some(scope),
                ..Default::default()
            }
            .compile(now())
            .unwrap();
            assert!(!f.matches(&event("u-1", None, Some("acme"))));
        }
        let f = FilterSpec {
            scope: Some(Scope {
                tenants: Some(vec!["acme".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }
        .compile(now())
        .unwrap();
        assert!(f.matches(&event("u-1", None, Some("acme"))));
        assert!(!f.matches(&event("u-1", None, Some("other"))));
        assert!(!f.matches(&event("u-1", None, None)));
    }

    #[test]
    fn a_stored_spec_with_an_unknown_key_is_refused() {
        let err = serde_json::from_str::<FilterSpec>(r#"{"actor": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("actor"), "{err}");
    }
}

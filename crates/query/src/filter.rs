//! Filters: what users ask for ([`FilterSpec`]), compiled into a conjunction of clauses that
//! prune row groups by statistics and bloom filters and select rows with Arrow kernels.

use std::collections::BTreeSet;
use std::net::IpAddr;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, RecordBatch, Scalar, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::kernels::cmp;
use arrow::compute::{and, ilike, like, or, prep_null_mask_filter};
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;
use serde::{Deserialize, Serialize};

use auditlake_event::glob;
use globset::Glob;

use crate::error::{QueryError, Result};
use crate::timespec::{Bound, parse_time};

/// The filters of a query as the user gives them; every one given must match (AND), values of
/// one repeatable filter are alternatives (OR).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSpec {
    /// Events at or after this time (RFC 3339, a date, `7d`, `today`, ...).
    pub since: Option<String>,
    /// Events before this time; a bare date includes that whole day.
    pub until: Option<String>,
    /// An actor: equal to `actor_id`, `actor_name` or `actor_email`.
    pub actor: Option<String>,
    /// An actor by id only: prunes by `actor_id` statistics and bloom filters alone, the fast
    /// path for one user.
    pub actor_id: Option<String>,
    /// Action globs (`authentication.*`, `?` for one character).
    pub actions: Vec<String>,
    pub categories: Vec<String>,
    pub outcomes: Vec<String>,
    /// Addresses or CIDR blocks of `src_ip`.
    pub ips: Vec<String>,
    /// `TYPE` or `TYPE:ID` of the resource.
    pub resource: Option<String>,
    pub credential: Option<String>,
    pub session: Option<String>,
    pub tenant: Option<String>,
    /// Tiers to read; all when empty.
    pub tiers: Vec<String>,
    /// A case-insensitive substring of actor id, name or email, `src_ip`, `message` or `raw`.
    pub text: Option<String>,
}

/// The columns `--text` searches.
pub const TEXT_COLUMNS: &[&str] = &[
    "actor_id",
    "actor_name",
    "actor_email",
    "src_ip",
    "message",
    "raw",
];

/// One condition on one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Atom {
    /// The column equals one of the values.
    Eq {
        column: &'static str,
        values: Vec<String>,
    },
    /// The column matches a SQL LIKE pattern (from a glob or a substring search).
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
        glob: Glob,
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
    fn columns(&self) -> Vec<&'static str> {
        match self {
            Atom::Eq { column, .. }
            | Atom::Like { column, .. }
            | Atom::Glob { column, .. }
            | Atom::Cidr { column, .. } => {
                vec![column]
            }
            Atom::Time { .. } => vec!["time"],
            Atom::All(atoms) => atoms.iter().flat_map(Atom::columns).collect(),
        }
    }
}

/// What the statistics of a row group say of an atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No row of the row group can match.
    No,
    /// Some row may match.
    Maybe,
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

/// The textual forms applications write an address in: RFC 5952 (`2001:db8::5`), uncompressed
/// as Java prints it (`2001:db8:0:0:0:0:0:5`), fully zero-padded, each also in upper case; an
/// IPv4 address also as IPv4-mapped IPv6 (`::ffff:192.0.2.1`), as dual-stack servers log it.
pub fn address_forms(ip: IpAddr) -> Vec<String> {
    let ip = unmap(ip);
    let mut forms = vec![ip.to_string()];
    match ip {
        IpAddr::V4(v4) => {
            forms.push(format!("::ffff:{v4}"));
            forms.push(format!("::FFFF:{v4}"));
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let join = |f: &dyn Fn(u16) -> String| seg.map(f).join(":");
            forms.push(join(&|x| format!("{x:x}")));
            forms.push(join(&|x| format!("{x:04x}")));
            let upper: Vec<String> = forms.iter().map(|f| f.to_uppercase()).collect();
            forms.extend(upper);
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// An address in one form whatever form it was written in (see [`address_forms`]): RFC 5952,
/// an IPv4-mapped address as IPv4. `None` when `s` is not an address.
pub fn canonical_address(s: &str) -> Option<String> {
    s.parse::<IpAddr>().ok().map(|ip| unmap(ip).to_string())
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other as it is.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses an address (`10.0.0.1`) or a CIDR block (`10.0.0.0/8`).
pub fn parse_net(s: &str) -> Result<IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| QueryError::arg("--ip", format!("{s:?} is not an address or CIDR block")))
}

impl FilterSpec {
    /// Compiles the filters; relative times are taken from `now`.
    pub fn compile(&self, now: DateTime<Utc>) -> Result<Filter> {
        let mut f = Filter::default();
        let since = self
            .since
            .as_deref()
            .map(|s| parse_time("--since", s, Bound::Since, now))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|s| parse_time("--until", s, Bound::Until, now))
            .transpose()?;
        f.since = since.map(|t| t.timestamp_micros());
        f.until = until.map(|t| t.timestamp_micros());
        if f.since.is_some() || f.until.is_some() {
            f.clauses.push(vec![Atom::Time {
                since: f.since,
                until: f.until,
            }]);
        }
        let eq = |column, v: &str| Atom::Eq {
            column,
            values: vec![v.to_string()],
        };
        if let Some(a) = nonempty("--actor", &self.actor)? {
            f.clauses.push(vec![
                eq("actor_id", a),
                eq("actor_name", a),
                eq("actor_email", a),
            ]);
        }
        if let Some(a) = nonempty("--actor-id", &self.actor_id)? {
            f.clauses.push(vec![eq("actor_id", a)]);
        }
        if !self.actions.is_empty() {
            let mut atoms = Vec::new();
            for glob in &self.actions {
                if glob.is_empty() {
                    return Err(QueryError::arg("--action", "empty pattern"));
                }
                if !glob::has_glob_syntax(glob) {
                    atoms.push(eq("action", glob));
                    continue;
                }
                let compiled = glob::action_glob(glob).map_err(|e| {
                    QueryError::arg("--action", format!("invalid glob {glob:?}: {}", e.kind()))
                })?;
                atoms.push(Atom::Glob {
                    column: "action",
                    glob: compiled,
                    prefix: glob::literal_prefix(glob).to_string(),
                });
            }
            f.clauses.push(atoms);
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
            let nets = self
                .ips
                .iter()
                .map(|s| parse_net(s))
                .collect::<Result<Vec<_>>>()?;
            let mut exact = Vec::new();
            let mut blocks = Vec::new();
            for n in nets {
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
            f.clauses.push(atoms);
        }
        if let Some(r) = nonempty("--resource", &self.resource)? {
            let (ty, id) = match r.split_once(':') {
                Some((t, i)) => (t, Some(i)),
                None => (r, None),
            };
            if ty.is_empty() || id.is_some_and(str::is_empty) {
                return Err(QueryError::arg("--resource", "expected TYPE or TYPE:ID"));
            }
            f.clauses.push(vec![eq("resource_type", ty)]);
            if let Some(id) = id {
                f.clauses.push(vec![eq("resource_id", id)]);
            }
        }
        for (opt, column, v) in [
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
        for t in &self.tiers {
            if !auditlake_archive::layout::is_valid_name(t) {
                return Err(QueryError::arg(
                    "--tier",
                    format!("{t:?} is not a tier name"),
                ));
            }
        }
        f.tiers = self.tiers.clone();
        Ok(f)
    }
}

fn nonempty<'a>(option: &'static str, v: &'a Option<String>) -> Result<Option<&'a str>> {
    match v.as_deref() {
        Some("") => Err(QueryError::arg(option, "empty value")),
        other => Ok(other),
    }
}

fn string_stats(s: &Statistics) -> Option<(&[u8], &[u8])> {
    match s {
        Statistics::ByteArray(_) => Some((s.min_bytes_opt()?, s.max_bytes_opt()?)),
        _ => None,
    }
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

    /// Whether the filter selects every row.
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

    /// What the row group's statistics say of each atom, clause by clause. `column` gives the
    /// index of a column in the file.
    pub fn stats_verdicts(
        &self,
        rg: &RowGroupMetaData,
        column: &dyn Fn(&str) -> Option<usize>,
    ) -> Vec<Vec<Verdict>> {
        self.clauses
            .iter()
            .map(|clause| clause.iter().map(|a| atom_verdict(a, rg, column)).collect())
            .collect()
    }
}

/// Whether statistics rule an atom out for a row group.
fn atom_verdict(
    atom: &Atom,
    rg: &RowGroupMetaData,
    column: &dyn Fn(&str) -> Option<usize>,
) -> Verdict {
    let stats = |name: &str| column(name).and_then(|i| rg.column(i).statistics());
    let all_null = |s: &Statistics| s.null_count_opt() == Some(rg.num_rows() as u64);
    let verdict = |b: bool| if b { Verdict::Maybe } else { Verdict::No };
    match atom {
        Atom::Time { since, until } => match stats("time") {
            Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(&min), Some(&max)) => {
                    verdict(since.is_none_or(|lo| max >= lo) && until.is_none_or(|hi| min < hi))
                }
                _ => Verdict::Maybe,
            },
            _ => Verdict::Maybe,
        },
        Atom::Eq { column, values } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            match string_stats(s) {
                Some((min, max)) => verdict(
                    values
                        .iter()
                        .any(|v| min <= v.as_bytes() && v.as_bytes() <= max),
                ),
                None => Verdict::Maybe,
            }
        }
        Atom::Like {
            column,
            prefix,
            case_insensitive,
            ..
        } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            if *case_insensitive || prefix.is_empty() {
                return Verdict::Maybe;
            }
            match string_stats(s) {
                Some((min, max)) => {
                    let p = prefix.as_bytes();
                    // Some value in [min, max] starts with p.
                    verdict(max >= p && (min <= p || min.starts_with(p)))
                }
                None => Verdict::Maybe,
            }
        }
        Atom::Glob { column, prefix, .. } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            match string_stats(s) {
                Some((min, max)) if !prefix.is_empty() => {
                    let p = prefix.as_bytes();
                    verdict(max >= p && (min <= p || min.starts_with(p)))
                }
                _ => Verdict::Maybe,
            }
        }
        Atom::Cidr { column, .. } => match stats(column) {
            Some(s) if all_null(s) => Verdict::No,
            _ => Verdict::Maybe,
        },
        Atom::All(atoms) => {
            if atoms
                .iter()
                .any(|a| atom_verdict(a, rg, column) == Verdict::No)
            {
                Verdict::No
            } else {
                Verdict::Maybe
            }
        }
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| QueryError::UnknownColumn {
            name: name.to_string(),
        })
}

fn eval_atom(atom: &Atom, batch: &RecordBatch) -> Result<BooleanArray> {
    let err = QueryError::arrow("filtering rows");
    match atom {
        Atom::Time { since, until } => {
            let col = column(batch, "time")?;
            let tz = match col.data_type() {
                arrow::datatypes::DataType::Timestamp(_, tz) => tz.clone(),
                _ => None,
            };
            let scalar = |v: i64| {
                Scalar::new(TimestampMicrosecondArray::from(vec![v]).with_timezone_opt(tz.clone()))
            };
            let mut out = BooleanArray::from(vec![true; batch.num_rows()]);
            if let Some(lo) = since {
                out = and(&out, &cmp::gt_eq(col, &scalar(*lo)).map_err(err)?)
                    .map_err(QueryError::arrow("filtering rows"))?;
            }
            if let Some(hi) = until {
                out = and(
                    &out,
                    &cmp::lt(col, &scalar(*hi)).map_err(QueryError::arrow("filtering rows"))?,
                )
                .map_err(QueryError::arrow("filtering rows"))?;
            }
            Ok(out)
        }
        Atom::Eq { column: c, values } => {
            let col = column(batch, c)?;
            let mut out: Option<BooleanArray> = None;
            for v in values {
                let m = cmp::eq(col, &Scalar::new(StringArray::from(vec![v.as_str()])))
                    .map_err(QueryError::arrow("filtering rows"))?;
                out = Some(match out {
                    None => m,
                    Some(o) => or(&o, &m).map_err(QueryError::arrow("filtering rows"))?,
                });
            }
            Ok(out.unwrap_or_else(|| BooleanArray::from(vec![false; batch.num_rows()])))
        }
        Atom::Like {
            column: c,
            pattern,
            case_insensitive,
            ..
        } => {
            let col = column(batch, c)?;
            let p = Scalar::new(StringArray::from(vec![pattern.as_str()]));
            if *case_insensitive {
                ilike(col, &p).map_err(err)
            } else {
                like(col, &p).map_err(err)
            }
        }
        Atom::Glob {
            column: c, glob, ..
        } => {
            let col = column(batch, c)?;
            let strings = col
                .as_string_opt::<i32>()
                .ok_or_else(|| QueryError::UnknownColumn {
                    name: c.to_string(),
                })?;
            let matcher = glob.compile_matcher();
            Ok(strings
                .iter()
                .map(|v| v.map(|v| matcher.is_match(v)))
                .collect())
        }
        Atom::Cidr { column: c, nets } => {
            let col = column(batch, c)?;
            let strings = col
                .as_string_opt::<i32>()
                .ok_or_else(|| QueryError::UnknownColumn {
                    name: c.to_string(),
                })?;
            let mut b = BooleanBuilder::with_capacity(strings.len());
            for v in strings.iter() {
                // An IPv4 client of a dual-stack server is logged IPv4-mapped.
                let hit = v.and_then(|s| s.parse::<IpAddr>().ok()).is_some_and(|ip| {
                    nets.iter()
                        .any(|n| n.contains(&ip) || n.contains(&unmap(ip)))
                });
                b.append_value(hit);
            }
            Ok(b.finish())
        }
        Atom::All(atoms) => {
            let mut out = BooleanArray::from(vec![true; batch.num_rows()]);
            for a in atoms {
                let m = eval_atom(a, batch)?;
                let m = if m.null_count() > 0 {
                    prep_null_mask_filter(&m)
                } else {
                    m
                };
                out = and(&out, &m).map_err(QueryError::arrow("filtering rows"))?;
            }
            Ok(out)
        }
    }
}

/// Evaluates the filter over a batch that holds (at least) [`Filter::columns`]; nulls do not
/// match.
pub fn evaluate(clauses: &[Vec<Atom>], batch: &RecordBatch) -> Result<BooleanArray> {
    let err = || QueryError::arrow("filtering rows");
    let mut out: Option<BooleanArray> = None;
    for clause in clauses {
        let mut any: Option<BooleanArray> = None;
        for atom in clause {
            let m = eval_atom(atom, batch)?;
            let m = if m.null_count() > 0 {
                prep_null_mask_filter(&m)
            } else {
                m
            };
            any = Some(match any {
                None => m,
                Some(a) => or(&a, &m).map_err(err())?,
            });
        }
        let any = any.unwrap_or_else(|| BooleanArray::from(vec![false; batch.num_rows()]));
        out = Some(match out {
            None => any,
            Some(o) => and(&o, &any).map_err(err())?,
        });
    }
    Ok(out.unwrap_or_else(|| BooleanArray::from(vec![true; batch.num_rows()])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let s = |n: &str| Field::new(n, DataType::Utf8, true);
        let schema = Schema::new(vec![
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            s("action"),
            s("src_ip"),
            s("actor_id"),
            s("actor_name"),
            s("actor_email"),
            s("message"),
            s("raw"),
        ]);
        let strs = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(vec![10, 20, 30, 40]).with_timezone("UTC"),
                ),
                strs(vec![
                    Some("authentication.login"),
                    Some("authentication.mfa.totp"),
                    Some("data.export"),
                    Some("auth_x"),
                ]),
                strs(vec![
                    Some("10.1.2.3"),
                    Some("192.168.0.9"),
                    None,
                    Some("2001:db8::1"),
                ]),
                strs(vec![Some("alice"), Some("bob"), None, Some("carol")]),
                strs(vec![Some("Alice A"), None, None, Some("Carol")]),
                strs(vec![Some("alice@example.com"), None, Some("x@y"), None]),
                strs(vec![None, Some("Exported 100% of it"), None, None]),
                strs(vec![None, None, None, Some("RAW line")]),
            ],
        )
        .unwrap()
    }

    fn rows(spec: FilterSpec) -> Vec<usize> {
        let f = spec.compile(Utc::now()).unwrap();
        let m = evaluate(&f.clauses, &batch()).unwrap();
        (0..m.len()).filter(|&i| m.value(i)).collect()
    }

    #[test]
    fn action_globs_use_the_shared_syntax() {
        let spec = |a: &[&str]| FilterSpec {
            actions: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(rows(spec(&["authentication.*"])), vec![0, 1]);
        assert_eq!(rows(spec(&["auth_*"])), vec![3]);
        assert_eq!(
            rows(spec(&["*.export", "authentication.login"])),
            vec![0, 2]
        );
        assert_eq!(rows(spec(&["authentication.m??.totp"])), vec![1]);
        // the syntax of tier matches and alert rules: classes and alternatives too
        assert_eq!(rows(spec(&["authentication.{login,mfa.totp}"])), vec![0, 1]);
        assert_eq!(rows(spec(&["[d]ata.*"])), rows(spec(&["data.*"])));
        // `%` and `_` are no wildcards
        assert_eq!(rows(spec(&["auth%*"])), Vec::<usize>::new());
        let err = spec(&["a[*"]).compile(Utc::now()).unwrap_err().to_string();
        assert!(
            err.contains("--action") && err.contains("invalid glob"),
            "{err}"
        );
    }

    #[test]
    fn ip_addresses_and_blocks() {
        let spec = |a: &[&str]| FilterSpec {
            ips: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(rows(spec(&["10.0.0.0/8"])), vec![0]);
        assert_eq!(rows(spec(&["192.168.0.9"])), vec![1]);
        assert_eq!(rows(spec(&["10.1.2.3/32", "2001:db8::/32"])), vec![0, 3]);
        assert_eq!(rows(spec(&["10.1.2.99/24"])), vec![0]);
        assert!(parse_net("10.1.2").is_err());
        assert!(parse_net("10.0.0.0/33").is_err());
    }

    #[test]
    fn actor_matches_id_name_or_email_and_text_is_case_insensitive() {
        let actor = |a: &str| FilterSpec {
            actor: Some(a.into()),
            ..Default::default()
        };
        assert_eq!(rows(actor("alice")), vec![0]);
        assert_eq!(rows(actor("Carol")), vec![3]);
        assert_eq!(rows(actor("x@y")), vec![2]);
        let text = |t: &str| FilterSpec {
            text: Some(t.into()),
            ..Default::default()
        };
        assert_eq!(rows(text("ALICE")), vec![0]);
        assert_eq!(rows(text("100%")), vec![1]);
        assert_eq!(rows(text("raw LINE")), vec![3]);
        assert_eq!(rows(text("192.168")), vec![1]);
        assert_eq!(rows(text("_")), Vec::<usize>::new());
    }

    #[test]
    fn time_range_is_half_open() {
        let f = Filter {
            clauses: vec![vec![Atom::Time {
                since: Some(20),
                until: Some(40),
            }]],
            ..Default::default()
        };
        let m = evaluate(&f.clauses, &batch()).unwrap();
        assert_eq!(m, BooleanArray::from(vec![false, true, true, false]));
    }

    #[test]
    fn an_address_matches_the_forms_applications_write() {
        let spec = |a: &[&str]| FilterSpec {
            ips: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let forms = address_forms("2001:db8::1".parse().unwrap());
        assert!(
            forms.contains(&"2001:db8:0:0:0:0:0:1".to_string()),
            "{forms:?}"
        );
        assert!(forms.contains(&"2001:DB8::1".to_string()), "{forms:?}");
        assert!(forms.contains(&"2001:0db8:0000:0000:0000:0000:0000:0001".to_string()));
        assert_eq!(
            address_forms("::ffff:10.1.2.3".parse().unwrap()),
            address_forms("10.1.2.3".parse().unwrap())
        );
        // Row 3 is 2001:db8::1: asked for in another form, it still matches.
        assert_eq!(rows(spec(&["2001:0DB8:0:0::1"])), vec![3]);
        assert_eq!(
            canonical_address("::ffff:10.1.2.3").as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(canonical_address("nope"), None);
    }

    #[test]
    fn a_subject_is_the_actor_or_the_user_an_account_event_is_about() {
        let schema = Arc::new(Schema::new(
            [
                "action",
                "actor_id",
                "actor_name",
                "actor_email",
                "resource_type",
                "resource_id",
            ]
            .map(|n| Field::new(n, DataType::Utf8, true))
            .to_vec(),
        ));
        let col = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let b = RecordBatch::try_new(
            schema,
            vec![
                col(vec![
                    Some("authentication.login"),
                    Some("account.lock"),
                    Some("resource.update"),
                    Some("account.lock"),
                ]),
                col(vec![
                    Some("u-1"),
                    Some("admin"),
                    Some("admin"),
                    Some("admin"),
                ]),
                col(vec![None, None, None, None]),
                col(vec![Some("a@x"), None, None, None]),
                col(vec![None, Some("user"), Some("user"), Some("user")]),
                col(vec![None, Some("u-1"), Some("u-1"), Some("u-2")]),
            ],
        )
        .unwrap();
        let mut f = Filter::default();
        f.push_subject("a@x", &["u-1".to_string()]);
        let m = evaluate(&f.clauses, &b).unwrap();
        assert_eq!(m, BooleanArray::from(vec![true, true, false, false]));
    }

    #[test]
    fn resource_needs_a_type() {
        for bad in [":1", "asset:", ""] {
            let spec = FilterSpec {
                resource: Some(bad.into()),
                ..Default::default()
            };
            assert!(spec.compile(Utc::now()).is_err(), "{bad}");
        }
    }
}

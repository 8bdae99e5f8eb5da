//! Compliance reports, each built on the same pruned scan as `query`.
//!
//! | report | rows |
//! | --- | --- |
//! | `timeline --actor X` | the user's events, newest first |
//! | `last-login` | every user: last successful login, failures since, status (see [`LoginStatus`]) |
//! | `failed-logins` | bursts of failed authentications per actor or IP in sliding windows |
//! | `activity` | per user (events, logins, failures, distinct actions), per action, or per day |
//! | `changes --resource T:ID` | one row per changed field: field, old, new, who, when |
//! | `credential --id ID` | a credential's registration, uses (with relying party), deletion |
//! | `heatmap` | events by weekday and hour (UTC) |
//! | `subject --actor X` | everything about one person, as one JSON document |

mod logins;
mod table;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::TimestampMicrosecondType;
use auditlake_storage::ObjectStore;
use chrono::{DateTime, Datelike, Timelike, Utc};

pub use logins::{
    Burst, LastLogins, LoginStatus, UserLogins, bursts, is_login_failure, is_login_success,
};
pub use table::{Cell, Kind, ReportTable};

use crate::error::{QueryError, Result};
use crate::output::{Format, OutputWriter};
use crate::people::People;
use crate::scan::{Order, Query, QueryRequest};
use auditlake_filter::FilterSpec;
use table::s;

/// What `failed-logins` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Actor,
    Ip,
}

/// What `activity` counts per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityBy {
    User,
    Action,
    Day,
}

/// A report and its own options; every report also takes the query filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Timeline {
        actor: String,
    },
    LastLogin,
    FailedLogins {
        window_micros: i64,
        threshold: usize,
        by: GroupBy,
    },
    Activity {
        by: ActivityBy,
    },
    Changes {
        resource: String,
    },
    Credential {
        id: String,
    },
    Heatmap,
}

/// A report's result: a query to stream, or a table of aggregates.
#[derive(Debug)]
pub enum ReportOutput {
    Query(Box<Query>),
    Table(RecordBatch),
}

const TIMELINE_COLUMNS: &[&str] = &[
    "time",
    "action",
    "outcome",
    "reason",
    "src_ip",
    "user_agent",
    "auth_method",
    "session_id",
    "resource_type",
    "resource_id",
    "message",
    "event_id",
];
const CREDENTIAL_COLUMNS: &[&str] = &[
    "time",
    "action",
    "outcome",
    "actor_id",
    "actor_name",
    "credential_id",
    "rp_id",
    "rp_name",
    "src_ip",
    "user_agent",
    "event_id",
];

fn cols(c: &[&str]) -> Option<Vec<String>> {
    Some(c.iter().map(|s| s.to_string()).collect())
}

fn str_col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    b.column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| QueryError::UnknownColumn { name: name.into() })
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// Runs `f` over every batch of the filtered scan of `columns`, in no particular order.
pub(crate) async fn scan(
    store: &Arc<dyn ObjectStore>,
    filter: FilterSpec,
    columns: &[&str],
    now: DateTime<Utc>,
    mut f: impl FnMut(&RecordBatch) -> Result<()> + Send,
) -> Result<()> {
    let q = Query::new(
        store.clone(),
        &QueryRequest {
            filter,
            columns: cols(columns),
            order: Order::None,
            limit: None,
        },
        now,
    )?;
    q.run(&mut |b| f(&b)).await?;
    Ok(())
}

fn times(b: &RecordBatch) -> Result<&arrow::array::PrimitiveArray<TimestampMicrosecondType>> {
    b.column_by_name("time")
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or_else(|| QueryError::UnknownColumn {
            name: "time".into(),
        })
}

/// Runs a report over the store. With `people`, a person's ids are one: `timeline` reads all
/// of them, and `last-login` and `activity --by user` have a row per person (keyed by
/// [`Person::key`](crate::people::Person::key), with an `ids` column of the ids seen).
pub async fn run(
    store: Arc<dyn ObjectStore>,
    report: &Report,
    mut filter: FilterSpec,
    now: DateTime<Utc>,
    people: Option<&People>,
) -> Result<ReportOutput> {
    let query = |filter, columns: &[&str], order| -> Result<ReportOutput> {
        Ok(ReportOutput::Query(Box::new(Query::new(
            store.clone(),
            &QueryRequest {
                filter,
                columns: cols(columns),
                order,
                limit: None,
            },
            now,
        )?)))
    };
    match report {
        Report::Timeline { actor } => {
            filter.actors = match people {
                Some(p) => p.expand([actor.as_str()]),
                None => vec![actor.clone()],
            };
            query(filter, TIMELINE_COLUMNS, Order::Desc)
        }
        Report::Credential { id } => {
            filter.credential = Some(id.clone());
            query(filter, CREDENTIAL_COLUMNS, Order::Asc)
        }
        Report::LastLogin => last_login(&store, filter, now, people).await,
        Report::FailedLogins {
            window_micros,
            threshold,
            by,
        } => failed_logins(&store, filter, now, *window_micros, *threshold, *by).await,
        Report::Activity { by } => activity(&store, filter, now, *by, people).await,
        Report::Changes { resource } => {
            filter.resource = Some(resource.clone());
            changes(&store, filter, now).await
        }
        Report::Heatmap => heatmap(&store, filter, now).await,
    }
}

/// The user an account event is about: the resource where it names a user, else the actor.
fn subject<'a>(
    action: &str,
    rtype: Option<&'a str>,
    rid: Option<&'a str>,
    actor: Option<&'a str>,
) -> Option<&'a str> {
    if action.starts_with("account.") && matches!(rtype, Some("user" | "account")) && rid.is_some()
    {
        rid
    } else {
        actor
    }
}

/// The ids seen per grouping key, where people group them.
#[derive(Default)]
struct SeenIds(HashMap<String, BTreeSet<String>>);

impl SeenIds {
    fn note(&mut self, key: &str, id: &str) {
        match self.0.get_mut(key) {
            Some(ids) => {
                if !ids.contains(id) {
                    ids.insert(id.to_string());
                }
            }
            None => {
                self.0
                    .insert(key.to_string(), BTreeSet::from([id.to_string()]));
            }
        }
    }

    /// The row's label and its `ids` cell. The label is the person's key where the scan saw
    /// it, else the first id it saw: a row names only ids of the events read, so a reader
    /// confined to a tenant or to themselves learns no id from outside what they may read.
    fn take(&mut self, key: String) -> (String, Cell) {
        match self.0.remove(&key) {
            Some(ids) => {
                let label = if ids.contains(&key) {
                    key
                } else {
                    ids.first().cloned().unwrap_or(key)
                };
                (
                    label,
                    Cell::Str(Some(ids.into_iter().collect::<Vec<_>>().join(", "))),
                )
            }
            None => (key, Cell::Str(None)),
        }
    }
}

async fn last_login(
    store: &Arc<dyn ObjectStore>,
    filter: FilterSpec,
    now: DateTime<Utc>,
    people: Option<&People>,
) -> Result<ReportOutput> {
    let mut acc = LastLogins::default();
    let mut names: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let mut seen = SeenIds::default();
    let columns = [
        "time",
        "action",
        "outcome",
        "actor_id",
        "actor_name",
        "actor_email",
        "resource_type",
        "resource_id",
    ];
    scan(store, filter, &columns, now, |b| {
        let (t, action, outcome) = (times(b)?, str_col(b, "action")?, str_col(b, "outcome")?);
        let (actor, name, email) = (
            str_col(b, "actor_id")?,
            str_col(b, "actor_name")?,
            str_col(b, "actor_email")?,
        );
        let (rt, ri) = (str_col(b, "resource_type")?, str_col(b, "resource_id")?);
        for i in 0..b.num_rows() {
            let a = action.value(i);
            let Some(id) = subject(a, opt(rt, i), opt(ri, i), opt(actor, i)) else {
                continue;
            };
            let user = match people {
                Some(p) => {
                    let key = p.key_of(id);
                    seen.note(key, id);
                    key
                }
                None => id,
            };
            acc.observe(user, t.value(i), a, outcome.value(i));
            if opt(actor, i) == Some(id) {
                let e = names.entry(user.to_string()).or_default();
                if e.0.is_none() {
                    e.0 = opt(name, i).map(str::to_string);
                }
                if e.1.is_none() {
                    e.1 = opt(email, i).map(str::to_string);
                }
            }
        }
        Ok(())
    })
    .await?;
    let mut columns = vec![
        ("actor_id", Kind::Str),
        ("actor_name", Kind::Str),
        ("actor_email", Kind::Str),
    ];
    if people.is_some() {
        columns.push(("ids", Kind::Str));
    }
    columns.extend([
        ("status", Kind::Str),
        ("last_login", Kind::Time),
        ("last_failure", Kind::Time),
        ("failures_since_login", Kind::Count),
        ("locked_at", Kind::Time),
    ]);
    let mut t = ReportTable::new(&columns);
    for (user, u) in acc.finish() {
        let (mut name, email) = names.remove(&user).unwrap_or_default();
        let status = u.status();
        let mut row = Vec::with_capacity(columns.len());
        // A configured name is the operator's; a learned one only where this scan saw it.
        if let Some(p) = people
            .and_then(|p| p.person_of(&user))
            .filter(|p| p.configured)
        {
            name = p.name.clone().or(name);
        }
        let (user, ids) = match people {
            Some(_) => {
                let (label, ids) = seen.take(user);
                (label, Some(ids))
            }
            None => (user, None),
        };
        row.extend([Cell::Str(Some(user)), Cell::Str(name), Cell::Str(email)]);
        row.extend(ids);
        row.extend([
            s(Some(status.as_str())),
            Cell::Time(u.last_success),
            Cell::Time(u.last_failure),
            Cell::Count(u.failures_since_success),
            Cell::Time(if status == LoginStatus::Locked {
                u.last_lock
            } else {
                None
            }),
        ]);
        t.push(row);
    }
    Ok(ReportOutput::Table(t.finish()?))
}

async fn failed_logins(
    store: &Arc<dyn ObjectStore>,
    mut filter: FilterSpec,
    now: DateTime<Utc>,
    window: i64,
    threshold: usize,
    by: GroupBy,
) -> Result<ReportOutput> {
    filter.outcomes = vec!["failure".into()];
    if filter.actions.is_empty() {
        filter.actions = vec!["authentication.*".into()];
    }
    let key_col = match by {
        GroupBy::Actor => "actor_id",
        GroupBy::Ip => "src_ip",
    };
    let other_col = match by {
        GroupBy::Actor => "src_ip",
        GroupBy::Ip => "actor_id",
    };
    // One client is one key, whichever form its address was written in; each text is put in
    // its canonical form once, and a row costs two lookups, not two strings.
    let mut keys = Interner::new(by == GroupBy::Ip);
    let mut other_ids = Interner::new(by == GroupBy::Actor);
    let mut per: Vec<Vec<(i64, Option<u32>)>> = Vec::new();
    scan(
        store,
        filter,
        &["time", "action", "outcome", key_col, other_col],
        now,
        |b| {
            let (t, action, outcome, key, other) = (
                times(b)?,
                str_col(b, "action")?,
                str_col(b, "outcome")?,
                str_col(b, key_col)?,
                str_col(b, other_col)?,
            );
            for i in 0..b.num_rows() {
                if !is_login_failure(action.value(i), outcome.value(i)) {
                    continue;
                }
                if let Some(k) = opt(key, i) {
                    let k = keys.id(k) as usize;
                    if k == per.len() {
                        per.push(Vec::new());
                    }
                    let o = opt(other, i).map(|o| other_ids.id(o));
                    per[k].push((t.value(i), o));
                }
            }
            Ok(())
        },
    )
    .await?;
    let others = match by {
        GroupBy::Actor => "ips",
        GroupBy::Ip => "actors",
    };
    let mut rows = Vec::new();
    for (k, mut evs) in per.into_iter().enumerate() {
        evs.sort_unstable();
        let mut ts: Vec<i64> = evs.iter().map(|e| e.0).collect();
        for b in bursts(&mut ts, window, threshold) {
            let distinct: BTreeSet<u32> = evs
                .iter()
                .filter(|e| e.0 >= b.first && e.0 <= b.last)
                .filter_map(|e| e.1)
                .collect();
            rows.push((keys.name(k as u32).to_string(), b, distinct.len() as u64));
        }
    }
    rows.sort_by(|a, b| (b.1.failures, &a.0, a.1.first).cmp(&(a.1.failures, &b.0, b.1.first)));
    let mut t = ReportTable::new(&[
        (key_col, Kind::Str),
        ("first", Kind::Time),
        ("last", Kind::Time),
        ("failures", Kind::Count),
        (others, Kind::Count),
    ]);
    for (k, b, n) in rows {
        t.push(vec![
            Cell::Str(Some(k)),
            Cell::Time(Some(b.first)),
            Cell::Time(Some(b.last)),
            Cell::Count(b.failures as u64),
            Cell::Count(n),
        ]);
    }
    Ok(ReportOutput::Table(t.finish()?))
}

/// Texts numbered by their canonical form (an address's, where `addresses`), so that every
/// form of one value gets one id; each distinct text is put in canonical form once.
struct Interner {
    addresses: bool,
    by_text: foldhash::HashMap<String, u32>,
    by_canonical: foldhash::HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn new(addresses: bool) -> Self {
        Self {
            addresses,
            by_text: HashMap::default(),
            by_canonical: HashMap::default(),
            names: Vec::new(),
        }
    }

    /// The id of `text`'s canonical form; ids are given in order, from 0.
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.by_text.get(text) {
            return id;
        }
        let canonical = match self.addresses {
            true => auditlake_filter::canonical_address(text).unwrap_or_else(|| text.to_string()),
            false => text.to_string(),
        };
        let id = match self.by_canonical.get(&canonical) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.by_canonical.insert(canonical.clone(), id);
                self.names.push(canonical);
                id
            }
        };
        self.by_text.insert(text.to_string(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

#[derive(Default)]
struct Counts {
    events: u64,
    logins: u64,
    failures: u64,
    first: Option<i64>,
    last: Option<i64>,
    distinct: BTreeSet<String>,
}

async fn activity(
    store: &Arc<dyn ObjectStore>,
    filter: FilterSpec,
    now: DateTime<Utc>,
    by: ActivityBy,
    people: Option<&People>,
) -> Result<ReportOutput> {
    let mut per: HashMap<String, Counts> = HashMap::new();
    let people = people.filter(|_| by == ActivityBy::User);
    let mut seen = SeenIds::default();
    scan(
        store,
        filter,
        &["time", "action", "outcome", "actor_id"],
        now,
        |b| {
            let (t, action, outcome, actor) = (
                times(b)?,
                str_col(b, "action")?,
                str_col(b, "outcome")?,
                str_col(b, "actor_id")?,
            );
            for i in 0..b.num_rows() {
                let time = t.value(i);
                let (a, o) = (action.value(i), outcome.value(i));
                let (key, other) = match by {
                    ActivityBy::User => match (opt(actor, i), people) {
                        (Some(u), Some(p)) => {
                            let key = p.key_of(u);
                            seen.note(key, u);
                            (key.to_string(), Some(a))
                        }
                        (Some(u), None) => (u.to_string(), Some(a)),
                        (None, _) => continue,
                    },
                    ActivityBy::Action => (a.to_string(), opt(actor, i)),
                    ActivityBy::Day => (crate::scan::day_of(time), opt(actor, i)),
                };
                let c = per.entry(key).or_default();
                c.events += 1;
                c.logins += u64::from(is_login_success(a, o));
                c.failures += u64::from(is_login_failure(a, o));
                c.first = Some(c.first.map_or(time, |f| f.min(time)));
                c.last = Some(c.last.map_or(time, |l| l.max(time)));
                if let Some(x) = other {
                    if !c.distinct.contains(x) {
                        c.distinct.insert(x.to_string());
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    let (key, distinct) = match by {
        ActivityBy::User => ("actor_id", "actions"),
        ActivityBy::Action => ("action", "actors"),
        ActivityBy::Day => ("day", "active_users"),
    };
    let mut rows: Vec<(String, Counts)> = per.into_iter().collect();
    match by {
        ActivityBy::Day => rows.sort_by(|a, b| a.0.cmp(&b.0)),
        _ => rows.sort_by(|a, b| (b.1.events, &a.0).cmp(&(a.1.events, &b.0))),
    }
    let mut columns = vec![(key, Kind::Str)];
    if people.is_some() {
        columns.push(("ids", Kind::Str));
    }
    columns.extend([
        ("events", Kind::Count),
        ("logins", Kind::Count),
        ("failed_logins", Kind::Count),
        (distinct, Kind::Count),
        ("first", Kind::Time),
        ("last", Kind::Time),
    ]);
    let mut t = ReportTable::new(&columns);
    for (k, c) in rows {
        let (k, ids) = match people {
            Some(_) => {
                let (label, ids) = seen.take(k);
                (label, Some(ids))
            }
            None => (k, None),
        };
        let mut row = vec![Cell::Str(Some(k))];
        row.extend(ids);
        row.extend([
            Cell::Count(c.events),
            Cell::Count(c.logins),
            Cell::Count(c.failures),
            Cell::Count(c.distinct.len() as u64),
            Cell::Time(c.first),
            Cell::Time(c.last),
        ]);
        t.push(row);
    }
    Ok(ReportOutput::Table(t.finish()?))
}

fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

async fn changes(
    store: &Arc<dyn ObjectStore>,
    filter: FilterSpec,
    now: DateTime<Utc>,
) -> Result<ReportOutput> {
    let mut rows: Vec<(i64, String, Vec<Option<String>>)> = Vec::new();
    let columns = [
        "time",
        "event_id",
        "action",
        "actor_id",
        "actor_name",
        "resource_type",
        "resource_id",
        "changes",
    ];
    scan(store, filter, &columns, now, |b| {
        let t = times(b)?;
        let c: Vec<&StringArray> = columns[1..]
            .iter()
            .map(|n| str_col(b, n))
            .collect::<Result<_>>()?;
        for i in 0..b.num_rows() {
            let list: Vec<serde_json::Value> = opt(c[6], i)
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            let base = |f: Option<String>, o: Option<String>, n: Option<String>| {
                // In the order of the table's columns: resource, change, action, who.
                vec![
                    opt(c[4], i).map(str::to_string),
                    opt(c[5], i).map(str::to_string),
                    f,
                    o,
                    n,
                    opt(c[1], i).map(str::to_string),
                    opt(c[2], i).map(str::to_string),
                    opt(c[3], i).map(str::to_string),
                ]
            };
            if list.is_empty() {
                rows.push((
                    t.value(i),
                    c[0].value(i).to_string(),
                    base(None, None, None),
                ));
            }
            for ch in &list {
                rows.push((
                    t.value(i),
                    c[0].value(i).to_string(),
                    base(
                        json_text(ch.get("field")),
                        json_text(ch.get("old")),
                        json_text(ch.get("new")),
                    ),
                ));
            }
        }
        Ok(())
    })
    .await?;
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut t = ReportTable::new(&[
        ("time", Kind::Time),
        ("resource_type", Kind::Str),
        ("resource_id", Kind::Str),
        ("field", Kind::Str),
        ("old", Kind::Str),
        ("new", Kind::Str),
        ("action", Kind::Str),
        ("actor_id", Kind::Str),
        ("actor_name", Kind::Str),
        ("event_id", Kind::Str),
    ]);
    for (time, id, r) in rows {
        let mut row = vec![Cell::Time(Some(time))];
        row.extend(r.into_iter().map(Cell::Str));
        row.push(Cell::Str(Some(id)));
        t.push(row);
    }
    Ok(ReportOutput::Table(t.finish()?))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

async fn heatmap(
    store: &Arc<dyn ObjectStore>,
    filter: FilterSpec,
    now: DateTime<Utc>,
) -> Result<ReportOutput> {
    let mut grid = [[0u64; 24]; 7];
    scan(store, filter, &["time"], now, |b| {
        for v in times(b)?.values().iter() {
            if let Some(t) = DateTime::<Utc>::from_timestamp_micros(*v) {
                grid[t.weekday().num_days_from_monday() as usize][t.hour() as usize] += 1;
            }
        }
        Ok(())
    })
    .await?;
    let hours: Vec<String> = (0..24).map(|h| format!("h{h:02}")).collect();
    let mut spec: Vec<(&str, Kind)> = vec![("weekday", Kind::Str)];
    spec.extend(hours.iter().map(|h| (h.as_str(), Kind::Count)));
    spec.push(("total", Kind::Count));
    let mut t = ReportTable::new(&spec);
    for (d, row) in grid.iter().enumerate() {
        let mut cells = vec![s(Some(WEEKDAYS[d]))];
        cells.extend(row.iter().map(|n| Cell::Count(*n)));
        cells.push(Cell::Count(row.iter().sum()));
        t.push(cells);
    }
    Ok(ReportOutput::Table(t.finish()?))
}

/// A GDPR access request: every event about one person (as actor by id, name or e-mail, or as
/// the user an `account.*` event on a `user` / `account` resource is about) as one JSON
/// document `{"subject", "generated_at", "events": [...], "event_count"}`, oldest first.
/// Streams; returns the number of events.
pub async fn subject_export(
    store: Arc<dyn ObjectStore>,
    actor: &str,
    mut filter: FilterSpec,
    now: DateTime<Utc>,
    people: Option<&People>,
    mut out: Box<dyn Write + Send>,
) -> Result<u64> {
    // The person's actor ids (where they are named by name or e-mail, and every id their
    // person has), so that account events on their user record are found too.
    let mut by_actor = filter.clone();
    by_actor.actors = match people {
        Some(p) => p.expand([actor]),
        None => vec![actor.to_string()],
    };
    let mut ids: BTreeSet<String> = by_actor.actors.iter().cloned().collect();
    scan(&store, by_actor, &["actor_id"], now, |b| {
        let a = str_col(b, "actor_id")?;
        ids.extend(a.iter().flatten().map(str::to_string));
        Ok(())
    })
    .await?;
    filter.actors.clear();
    let mut compiled = crate::scan::compile(&filter, now)?;
    compiled.push_subject(actor, &ids.into_iter().collect::<Vec<_>>());
    let q = Query::with_filter(
        store,
        compiled,
        &QueryRequest {
            filter: FilterSpec::default(),
            columns: None,
            order: Order::Asc,
            limit: None,
        },
    )?;
    write!(
        out,
        "{{\"subject\":{},\"generated_at\":{},\"events\":",
        serde_json::Value::from(actor),
        serde_json::Value::from(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    )?;
    let counter = CountingWriter {
        inner: out,
        json_done: false,
    };
    let shared = Arc::new(std::sync::Mutex::new(Some(counter)));
    let mut w = OutputWriter::new(
        Format::Json,
        q.output_schema(),
        Box::new(SharedWriter(shared.clone())),
        0,
    )?;
    let n = q.run(&mut |b| w.write(&b)).await?;
    w.finish()?;
    let mut inner = shared
        .lock()
        .map_err(|_| QueryError::arg("subject", "output lock poisoned"))?
        .take()
        .map(|c| c.inner)
        .ok_or_else(|| QueryError::arg("subject", "output lost"))?;
    writeln!(inner, ",\"event_count\":{n}}}")?;
    inner.flush()?;
    Ok(n)
}

struct CountingWriter {
    inner: Box<dyn Write + Send>,
    json_done: bool,
}

struct SharedWriter(Arc<std::sync::Mutex<Option<CountingWriter>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut g = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("output lock poisoned"))?;
        let c = g
            .as_mut()
            .ok_or_else(|| std::io::Error::other("output closed"))?;
        // The array writer ends with a newline; the document goes on after the array.
        let buf2 = if buf == b"\n" && !c.json_done {
            c.json_done = true;
            &[][..]
        } else {
            buf
        };
        c.inner.write_all(buf2)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("output lock poisoned"))?
            .as_mut()
        {
            Some(c) => c.inner.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Interner;

    #[test]
    fn every_form_of_an_address_is_one_key_and_other_texts_stay_apart() {
        let mut ips = Interner::new(true);
        let a = ips.id("2001:db8::1");
        assert_eq!(ips.id("2001:DB8:0:0:0:0:0:1"), a);
        assert_eq!(ips.id("2001:db8::1"), a);
        let v4 = ips.id("::ffff:10.0.0.1");
        assert_eq!(ips.id("10.0.0.1"), v4);
        assert_ne!(v4, a);
        let junk = ips.id("not an address");
        assert_eq!(ips.name(junk), "not an address");
        assert_eq!(ips.name(v4), "10.0.0.1");
        assert_eq!(ips.name(a), "2001:db8::1");
        // Actor ids are compared as written.
        let mut actors = Interner::new(false);
        assert_ne!(actors.id("Alice"), actors.id("alice"));
        assert_eq!(actors.id("::1"), actors.id("::1"));
        assert_eq!(actors.name(2), "::1");
    }
}

//! The rule engine: evaluates every event on its own time, with bounded, persisted state.
//!
//! State is per rule and key (actor, IP or tenant). A key's state is forgotten when it has seen
//! nothing for the rule's horizon, and the least recently active keys go first when a rule holds
//! more than `max_keys`. Re-reading an event (after a crash) changes nothing: threshold windows
//! keep event ids, and new values and sessions are sets.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auditlake_event::{AuditEvent, Outcome, SourceInfo};
use serde::{Deserialize, Serialize};

use super::config::{AlertsConfig, RuleConfig, RuleKind};
use crate::AgentError;

/// The action of the events alerts are archived as.
pub const ALERT_ACTION: &str = "system.alert.fire";

/// Values kept per actor by a `new_value` rule; the least recently seen go first.
const MAX_VALUES_PER_KEY: usize = 256;
/// Sessions kept per actor by a `concurrent_sessions` rule; the oldest go first.
const MAX_SESSIONS_PER_KEY: usize = 256;
/// Triggering event ids carried by one alert.
const MAX_ALERT_EVENT_IDS: usize = 100;

/// One fired alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Derived from the rule, the key and `last_time`: the same alert always has the same id.
    pub alert_id: String,
    pub rule: String,
    pub kind: String,
    /// What the key is: `actor`, `ip` or `tenant`.
    pub group_by: String,
    pub key: String,
    /// Events counted (threshold), open sessions (concurrent_sessions), else 1.
    pub count: usize,
    pub window_secs: Option<u64>,
    /// Event time of the first and last triggering event, UTC micros.
    pub first_time: i64,
    pub last_time: i64,
    pub event_ids: Vec<String>,
    /// The new value of a `new_value` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Alert {
    /// The alert as an archived event: `system.alert.fire` at the alert's last event time.
    pub fn to_event(&self, source: Arc<SourceInfo>, observed_time: i64) -> AuditEvent {
        let mut attributes = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| {
            attributes.insert(format!("alert_{k}"), v);
        };
        put("rule", self.rule.clone().into());
        put("kind", self.kind.clone().into());
        put("group_by", self.group_by.clone().into());
        put("key", self.key.clone().into());
        put("count", self.count.into());
        if let Some(w) = self.window_secs {
            put("window_secs", w.into());
        }
        put(
            "first_time",
            auditlake_event::micros_to_datetime(self.first_time)
                .to_rfc3339()
                .into(),
        );
        put("event_ids", self.event_ids.clone().into());
        if let Some(v) = &self.value {
            put("value", v.clone().into());
        }
        if let Some(f) = &self.field {
            put("field", f.clone().into());
        }
        let key = Some(self.key.clone());
        AuditEvent {
            event_id: self.alert_id.clone(),
            time: self.last_time,
            observed_time: Some(observed_time),
            category: "system".into(),
            action: ALERT_ACTION.into(),
            outcome: Outcome::Success,
            severity: Some("warning".into()),
            actor_id: if self.group_by == "actor" {
                key.clone()
            } else {
                None
            },
            src_ip: if self.group_by == "ip" {
                key.clone()
            } else {
                None
            },
            tenant: if self.group_by == "tenant" { key } else { None },
            message: Some(format!(
                "alert {} fired for {} {} ({} events)",
                self.rule, self.group_by, self.key, self.count
            )),
            attributes,
            source,
            ..AuditEvent::default()
        }
    }
}

/// One key's state under one rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KeyState {
    /// `threshold`: matching events as (time, event id), sorted by time.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    times: VecDeque<(i64, String)>,
    /// `new_value`: value -> last time seen.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, i64>,
    /// `concurrent_sessions`: session id -> (opened, closed) times.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sessions: BTreeMap<String, (Option<i64>, Option<i64>)>,
    /// The window end of the last alert, for suppression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_fired: Option<i64>,
    /// The latest event time this key saw: for TTL and LRU eviction.
    touched: i64,
}

/// The persisted state file, `state_dir/alerts.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
enum StateFile {
    #[serde(rename = "1")]
    V1 {
        max_time: i64,
        /// Rule name -> key -> state.
        rules: BTreeMap<String, HashMap<String, KeyState>>,
    },
}

/// Evaluates the rules of `[alerts]` on events, in any order.
#[derive(Debug)]
pub struct AlertEngine {
    rules: Vec<RuleConfig>,
    max_keys: usize,
    max_times_per_key: usize,
    /// Per rule, in the order of `rules`.
    state: Vec<HashMap<String, KeyState>>,
    /// The latest event time seen.
    max_time: i64,
    path: Option<PathBuf>,
    dirty: bool,
}

impl AlertEngine {
    /// An engine with empty state that persists nowhere.
    pub fn new(cfg: &AlertsConfig) -> AlertEngine {
        AlertEngine {
            rules: cfg.rules.clone(),
            max_keys: cfg.max_keys,
            max_times_per_key: cfg.max_times_per_key,
            state: vec![HashMap::new(); cfg.rules.len()],
            max_time: i64::MIN,
            path: None,
            dirty: false,
        }
    }

    /// An engine whose state is loaded from and persisted to `path`. A damaged file is moved
    /// aside and the engine starts empty. State of rules no longer configured is dropped.
    pub fn open(cfg: &AlertsConfig, path: &Path) -> Result<AlertEngine, AgentError> {
        let mut engine = AlertEngine::new(cfg);
        engine.path = Some(path.to_path_buf());
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(engine),
            Err(e) => return Err(AgentError::io(path, e)),
        };
        match serde_json::from_slice::<StateFile>(&text) {
            Ok(StateFile::V1 {
                max_time,
                mut rules,
            }) => {
                engine.max_time = max_time;
                for (i, r) in engine.rules.iter().enumerate() {
                    if let Some(s) = rules.remove(&r.name) {
                        engine.state[i] = s;
                    }
                }
            }
            Err(e) => {
                let moved =
                    auditlake_durable::quarantine(path).map_err(|e| AgentError::io(path, e))?;
                tracing::error!(path = %moved.display(), error = %e, "alert state is damaged, moved aside; starting empty");
            }
        }
        Ok(engine)
    }

    /// Writes the state, when it changed, to its file (atomically).
    pub fn persist(&mut self) -> Result<(), AgentError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        if !self.dirty {
            return Ok(());
        }
        self.expire();
        let file = StateFile::V1 {
            max_time: self.max_time,
            rules: self
                .rules
                .iter()
                .zip(&self.state)
                .map(|(r, s)| (r.name.clone(), s.clone()))
                .collect(),
        };
        let bytes = serde_json::to_vec(&file).expect("alert state serializes");
        auditlake_durable::write_atomic(&path, &bytes).map_err(|e| AgentError::io(&path, e))?;
        self.dirty = false;
        Ok(())
    }

    /// Keys held by a rule (for tests and metrics).
    pub fn keys(&self, rule: &str) -> usize {
        self.rules
            .iter()
            .position(|r| r.name == rule)
            .map_or(0, |i| self.state[i].len())
    }

    /// Feeds one event to every rule and returns the alerts it fires. Alert events themselves
    /// are not evaluated.
    pub fn observe(&mut self, e: &AuditEvent) -> Vec<Alert> {
        if e.action == ALERT_ACTION {
            return Vec::new();
        }
        self.max_time = self.max_time.max(e.time);
        let mut out = Vec::new();
        for i in 0..self.rules.len() {
            if let Some(alert) = self.observe_rule(i, e) {
                out.push(alert);
            }
        }
        out
    }

    fn observe_rule(&mut self, i: usize, e: &AuditEvent) -> Option<Alert> {
        let rule = &self.rules[i];
        let key = rule.group_by.key_of(e)?.to_string();
        let horizon = horizon_micros(rule);
        if e.time < self.max_time.saturating_sub(horizon) {
            // Older than anything the rule still remembers: it cannot be judged.
            return None;
        }
        let is_session_event = rule.kind == RuleKind::ConcurrentSessions
            && e.session_id.is_some()
            && (is_session_end(e) || is_session_start(rule, e));
        if rule.kind != RuleKind::ConcurrentSessions && !rule.filter.matches(e) {
            return None;
        }
        if rule.kind == RuleKind::ConcurrentSessions && !is_session_event {
            return None;
        }
        let states = &mut self.state[i];
        if !states.contains_key(&key) && states.len() >= self.max_keys {
            evict_lru(states, self.max_keys);
        }
        let st = states.entry(key.clone()).or_default();
        st.touched = st.touched.max(e.time);
        self.dirty = true;
        let fired = match rule.kind {
            RuleKind::Threshold => threshold(rule, st, e, self.max_time, self.max_times_per_key),
            RuleKind::NewValue => new_value(rule, st, e, self.max_time),
            RuleKind::ConcurrentSessions => sessions(rule, st, e, self.max_time),
            RuleKind::Match => Some(Fired {
                count: 1,
                first: e.time,
                last: e.time,
                ids: vec![e.event_id.clone()],
                value: None,
            }),
        }?;
        let suppress = rule.suppress_micros();
        if let Some(lf) = st.last_fired
            && (fired.last - lf).abs() < suppress
        {
            return None;
        }
        st.last_fired = Some(match st.last_fired {
            Some(lf) => lf.max(fired.last),
            None => fired.last,
        });
        Some(Alert {
            alert_id: alert_id(&rule.name, &key, fired.last),
            rule: rule.name.clone(),
            kind: kind_name(rule.kind).into(),
            group_by: rule.group_by.as_str().into(),
            key,
            count: fired.count,
            window_secs: rule.window_secs,
            first_time: fired.first,
            last_time: fired.last,
            event_ids: fired.ids,
            value: fired.value,
            field: rule.field.map(|f| f.as_str().to_string()),
        })
    }

    /// Forgets keys that saw nothing within their rule's horizon.
    fn expire(&mut self) {
        for (rule, states) in self.rules.iter().zip(&mut self.state) {
            let keep_after = self
                .max_time
                .saturating_sub(horizon_micros(rule).max(rule.suppress_micros()));
            states.retain(|_, s| s.touched >= keep_after);
        }
    }
}

/// What a rule found, before suppression.
struct Fired {
    count: usize,
    first: i64,
    last: i64,
    ids: Vec<String>,
    value: Option<String>,
}

fn kind_name(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Threshold => "threshold",
        RuleKind::NewValue => "new_value",
        RuleKind::ConcurrentSessions => "concurrent_sessions",
        RuleKind::Match => "match",
    }
}

/// How far behind the latest event time a rule still remembers. A threshold rule accepts events
/// up to one window late, so it keeps two windows.
fn horizon_micros(rule: &RuleConfig) -> i64 {
    match rule.kind {
        RuleKind::Threshold => 2 * rule.window_secs.unwrap_or(0) as i64 * 1_000_000,
        RuleKind::NewValue | RuleKind::ConcurrentSessions => rule.lookback_micros(),
        RuleKind::Match => rule.suppress_micros(),
    }
}

fn alert_id(rule: &str, key: &str, last: i64) -> String {
    let digest = auditlake_archive::sha256_hex(format!("{rule}\0{key}\0{last}").as_bytes());
    format!("alert-{}", &digest[..32])
}

fn evict_lru(states: &mut HashMap<String, KeyState>, max_keys: usize) {
    // Evict a tenth at once, so a full map does not scan on every new key.
    let n = (max_keys / 10).max(1);
    let mut touched: Vec<i64> = states.values().map(|s| s.touched).collect();
    touched.sort_unstable();
    let cut = touched[(n - 1).min(touched.len() - 1)];
    let mut removed = 0;
    states.retain(|_, s| {
        if removed < n && s.touched <= cut {
            removed += 1;
            false
        } else {
            true
        }
    });
}

/// At least `threshold` events within `window_secs` (last - first < window), the new event
/// among them.
fn threshold(
    rule: &RuleConfig,
    st: &mut KeyState,
    e: &AuditEvent,
    max_time: i64,
    cap: usize,
) -> Option<Fired> {
    let n = rule.threshold.unwrap_or(1);
    let w = rule.window_secs.unwrap_or(0) as i64 * 1_000_000;
    if st.times.iter().any(|(_, id)| *id == e.event_id) {
        return None;
    }
    let at = st.times.partition_point(|(t, _)| *t <= e.time);
    st.times.insert(at, (e.time, e.event_id.clone()));
    let oldest = max_time.saturating_sub(2 * w);
    while st.times.front().is_some_and(|(t, _)| *t < oldest) || st.times.len() > cap {
        st.times.pop_front();
    }
    let t = e.time;
    let times = st.times.make_contiguous();
    // Windows of n consecutive events that hold t; the earliest that fits.
    for start in 0..times.len() {
        let end = start + n - 1;
        if end >= times.len() {
            break;
        }
        let (first, last) = (times[start].0, times[end].0);
        if first > t {
            break;
        }
        if last < t || last - first >= w {
            continue;
        }
        let in_window: Vec<&(i64, String)> = times
            .iter()
            .filter(|(x, _)| *x > last - w && *x <= last)
            .collect();
        return Some(Fired {
            count: in_window.len(),
            first: in_window[0].0,
            last,
            ids: in_window
                .iter()
                .rev()
                .take(MAX_ALERT_EVENT_IDS)
                .rev()
                .map(|(_, id)| id.clone())
                .collect(),
            value: None,
        });
    }
    None
}

/// A value of the field not seen for the actor within the lookback, once the actor has history.
fn new_value(rule: &RuleConfig, st: &mut KeyState, e: &AuditEvent, max_time: i64) -> Option<Fired> {
    let field = rule.field?;
    let v = field.value_of(e)?;
    let lookback = rule.lookback_micros();
    let oldest = max_time.saturating_sub(lookback);
    st.values.retain(|_, seen| *seen >= oldest);
    let known = st
        .values
        .get(v)
        .is_some_and(|seen| *seen >= e.time.saturating_sub(lookback));
    let history = !st.values.is_empty();
    let seen = st.values.entry(v.to_string()).or_insert(e.time);
    *seen = (*seen).max(e.time);
    if st.values.len() > MAX_VALUES_PER_KEY
        && let Some(k) = st
            .values
            .iter()
            .min_by_key(|(_, t)| **t)
            .map(|(k, _)| k.clone())
    {
        st.values.remove(&k);
    }
    (!known && history).then(|| Fired {
        count: 1,
        first: e.time,
        last: e.time,
        ids: vec![e.event_id.clone()],
        value: Some(v.to_string()),
    })
}

fn is_session_end(e: &AuditEvent) -> bool {
    matches!(
        e.action.as_str(),
        "session.terminate"
            | "session.expire"
            | "session.sign_out"
            | "session.disconnect"
            | "authentication.logout"
    )
}

fn is_session_start(rule: &RuleConfig, e: &AuditEvent) -> bool {
    let f = &rule.filter;
    if f.actions.is_empty() && f.categories.is_empty() && f.outcome.is_none() {
        e.action == "session.create"
            || (e.action == "authentication.login" && e.outcome == Outcome::Success)
    } else {
        f.matches(e)
    }
}

/// More than `max_sessions` sessions open at the event's time. A session counts as open from
/// its start event until its end event or `lookback_secs`, whichever comes first; an end event
/// read before its start is remembered.
fn sessions(rule: &RuleConfig, st: &mut KeyState, e: &AuditEvent, max_time: i64) -> Option<Fired> {
    let sid = e.session_id.as_deref()?;
    let ttl = rule.lookback_micros();
    let oldest = max_time.saturating_sub(ttl);
    st.sessions
        .retain(|_, (o, c)| o.or(*c).unwrap_or(i64::MIN).max(c.unwrap_or(i64::MIN)) >= oldest);
    let entry = st.sessions.entry(sid.to_string()).or_default();
    if is_session_end(e) {
        entry.1 = Some(entry.1.map_or(e.time, |c| c.min(e.time)));
        return None;
    }
    if entry.0.is_some_and(|o| o <= e.time) {
        return None; // already open: a re-read or a repeated start
    }
    entry.0 = Some(e.time);
    if st.sessions.len() > MAX_SESSIONS_PER_KEY
        && let Some(k) = st
            .sessions
            .iter()
            .min_by_key(|(_, (o, c))| o.or(*c))
            .map(|(k, _)| k.clone())
    {
        st.sessions.remove(&k);
    }
    let t = e.time;
    let open: Vec<(&String, i64)> = st
        .sessions
        .iter()
        .filter_map(|(id, (o, c))| {
            let o = (*o)?;
            (o <= t && o > t - ttl && c.is_none_or(|c| c > t)).then_some((id, o))
        })
        .collect();
    let max = rule.max_sessions.unwrap_or(usize::MAX);
    (open.len() > max).then(|| Fired {
        count: open.len(),
        first: open.iter().map(|(_, o)| *o).min().unwrap_or(t),
        last: t,
        ids: vec![e.event_id.clone()],
        value: None,
    })
}

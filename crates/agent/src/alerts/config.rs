//! `[alerts]`: rules evaluated on event time, the state limits and where alerts are delivered.

use std::collections::HashSet;

use auditlake_event::{AuditEvent, Outcome};
use auditlake_filter::{Filter, FilterError, FilterSpec};
use serde::{Deserialize, Serialize};

/// `[alerts]`: the rules, their state limits and the webhooks every alert is posted to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Keys (actors, IPs, tenants) held per rule; the least recently seen are forgotten first.
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
    /// Event times kept per key of a `threshold` rule; the oldest are dropped first.
    #[serde(default = "default_max_times_per_key")]
    pub max_times_per_key: usize,
    /// The rules, each with a unique name.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// Where alerts are posted (`[[alerts.webhooks]]`); every alert goes to each of them.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

fn default_max_keys() -> usize {
    100_000
}
fn default_max_times_per_key() -> usize {
    1024
}

/// What a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// At least `threshold` matching events of one key within `window_secs`.
    Threshold,
    /// A value of `field` not seen for the actor within `lookback_secs`, once the actor has a
    /// history (an actor's very first value is its baseline, not an alert).
    NewValue,
    /// More than `max_sessions` sessions of one actor open at once.
    ConcurrentSessions,
    /// Every matching event.
    Match,
}

/// What a rule's state is keyed by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// `actor_id`, else `actor_name`, else `actor_email`.
    #[default]
    Actor,
    /// `src_ip`.
    Ip,
    /// `tenant`.
    Tenant,
}

impl GroupBy {
    /// The key of an event, `None` where the event lacks it.
    pub fn key_of(self, e: &AuditEvent) -> Option<&str> {
        match self {
            GroupBy::Actor => e
                .actor_id
                .as_deref()
                .or(e.actor_name.as_deref())
                .or(e.actor_email.as_deref()),
            GroupBy::Ip => e.src_ip.as_deref(),
            GroupBy::Tenant => e.tenant.as_deref(),
        }
        .filter(|k| !k.is_empty())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Actor => "actor",
            GroupBy::Ip => "ip",
            GroupBy::Tenant => "tenant",
        }
    }
}

/// The field a `new_value` rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueField {
    SrcIp,
    DeviceId,
    UserAgent,
    SrcGeo,
}

impl ValueField {
    pub fn value_of(self, e: &AuditEvent) -> Option<&str> {
        match self {
            ValueField::SrcIp => e.src_ip.as_deref(),
            ValueField::DeviceId => e.device_id.as_deref(),
            ValueField::UserAgent => e.user_agent.as_deref(),
            ValueField::SrcGeo => e.src_geo.as_deref(),
        }
        .filter(|v| !v.is_empty())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ValueField::SrcIp => "src_ip",
            ValueField::DeviceId => "device_id",
            ValueField::UserAgent => "user_agent",
            ValueField::SrcGeo => "src_geo",
        }
    }
}

/// Which events a rule considers. An empty list matches everything.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Action globs (`authentication.*`, `account.role.change`), in the syntax of
    /// [`auditlake_event::glob`]: `*` any run of characters, `?`, `[a-z]`, `{a,b}`.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Categories (`authentication`, `account`).
    #[serde(default)]
    pub categories: Vec<String>,
    /// The outcome the event must have.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The filter compiled, on first use.
    #[serde(skip)]
    compiled: std::sync::OnceLock<Option<Filter>>,
}

impl FilterConfig {
    /// The filter of `query --action ... --category ... --outcome ...`.
    pub fn spec(&self) -> FilterSpec {
        FilterSpec {
            actions: self.actions.clone(),
            categories: self.categories.clone(),
            outcomes: self
                .outcome
                .iter()
                .map(|o| o.as_str().to_string())
                .collect(),
            ..FilterSpec::default()
        }
    }

    /// Whether the event is one the rule considers: the event matching of
    /// [`auditlake_filter::Filter`], as `auditlake query` selects rows.
    pub fn matches(&self, e: &AuditEvent) -> bool {
        self.compiled
            // `validate` rejected a filter that does not compile; an unvalidated one matches
            // nothing
            .get_or_init(|| self.spec().compile(chrono::Utc::now()).ok())
            .as_ref()
            .is_some_and(|f| f.matches(e))
    }
}

/// `[[alerts.rules]]`: one rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's name: in every alert, and the key of its persisted state.
    pub name: String,
    /// `threshold`, `new_value`, `concurrent_sessions` or `match`.
    pub kind: RuleKind,
    /// The events the rule considers. For `concurrent_sessions`, the events that open a session
    /// (default `session.create` and successful `authentication.login` with a session id).
    #[serde(default)]
    pub filter: FilterConfig,
    /// What the rule counts by: `actor`, `ip` or `tenant` (`new_value` and `concurrent_sessions`
    /// are per actor).
    #[serde(default)]
    pub group_by: GroupBy,
    /// `threshold`: the number of events that fires.
    #[serde(default)]
    pub threshold: Option<usize>,
    /// `threshold`: the window the events must fall within.
    #[serde(default)]
    pub window_secs: Option<u64>,
    /// `new_value`: the field watched.
    #[serde(default)]
    pub field: Option<ValueField>,
    /// `new_value`: how long a value stays known; `concurrent_sessions`: how long a session
    /// without an end event counts as open. Default 30 days / 24 hours.
    #[serde(default)]
    pub lookback_secs: Option<u64>,
    /// `concurrent_sessions`: more open sessions than this fires.
    #[serde(default)]
    pub max_sessions: Option<usize>,
    /// After an alert, the same rule and key stay silent this long in event time. Default
    /// `window_secs` for `threshold`, 0 otherwise.
    #[serde(default)]
    pub suppress_secs: Option<u64>,
}

impl RuleConfig {
    /// The suppression window in micros.
    pub fn suppress_micros(&self) -> i64 {
        let secs = self.suppress_secs.unwrap_or(match self.kind {
            RuleKind::Threshold => self.window_secs.unwrap_or(0),
            _ => 0,
        });
        secs as i64 * 1_000_000
    }

    /// The lookback in micros, with the kind's default.
    pub fn lookback_micros(&self) -> i64 {
        let secs = self.lookback_secs.unwrap_or(match self.kind {
            RuleKind::ConcurrentSessions => 24 * 3600,
            _ => 30 * 24 * 3600,
        });
        secs as i64 * 1_000_000
    }
}

pub use auditlake_secret::Secret;

/// `[[alerts.webhooks]]`: an HTTP endpoint alerts are POSTed to as JSON.
///
/// The proxy comes from the environment: `HTTPS_PROXY` for `https://` urls, `HTTP_PROXY` for
/// `http://` ones, `ALL_PROXY` for both, except for the hosts `NO_PROXY` lists.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// An `http://` or `https://` url. https receivers are verified against the system's
    /// trusted roots and `ca_file`.
    pub url: String,
    /// Extra request headers. Their values are secrets (an API key goes here): they are
    /// printed as `**redacted**`.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, Secret>,
    /// An environment variable holding a token sent as `Authorization: Bearer <token>`.
    #[serde(default)]
    pub token_env: Option<String>,
    /// A PEM file of CA certificates trusted for this receiver, besides the system's (a
    /// private CA, or a self-signed receiver).
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Attempts per alert before it goes to `state_dir/dead-letter/alerts.jsonl`. Only
    /// failures a retry may fix are retried: no connection, a timeout, status 408, 429 or 5xx.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The longest wait after the first failed attempt; it doubles after each, up to 30 seconds,
    /// and the actual wait is a random duration up to it (jitter).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// How long establishing a connection (TCP, and TLS for https) may take.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long one attempt may take in all: connecting, sending, and reading the response.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_max_attempts() -> u32 {
    5
}
fn default_backoff_ms() -> u64 {
    500
}
fn default_connect_timeout_ms() -> u64 {
    5000
}
fn default_timeout_ms() -> u64 {
    10_000
}

impl AlertsConfig {
    /// Checks the section without touching the environment; errors name the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_keys == 0 {
            return Err("alerts.max_keys: must be at least 1".into());
        }
        if self.max_times_per_key == 0 {
            return Err("alerts.max_times_per_key: must be at least 1".into());
        }
        let mut names = HashSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            let key = |f: &str| format!("alerts.rules[{i}].{f}");
            if r.name.trim().is_empty() {
                return Err(format!("{}: must not be empty", key("name")));
            }
            if !names.insert(r.name.as_str()) {
                return Err(format!("{}: {:?} is used twice", key("name"), r.name));
            }
            if let Err(e) = r.filter.spec().compile(chrono::Utc::now()) {
                let message = match e {
                    FilterError::InvalidArgument { message, .. } => message,
                    other => other.to_string(),
                };
                return Err(format!("{}: {message}", key("filter.actions")));
            }
            let only = |set: bool, field: &str, kind: &str| {
                if set {
                    Err(format!("{}: only applies to kind = \"{kind}\"", key(field)))
                } else {
                    Ok(())
                }
            };
            match r.kind {
                RuleKind::Threshold => {
                    match r.threshold {
                        None | Some(0) => {
                            return Err(format!("{}: must be at least 1", key("threshold")));
                        }
                        _ => {}
                    }
                    if r.threshold.is_some_and(|n| n > self.max_times_per_key) {
                        return Err(format!(
                            "{}: larger than alerts.max_times_per_key ({})",
                            key("threshold"),
                            self.max_times_per_key
                        ));
                    }
                    match r.window_secs {
                        None | Some(0) => {
                            return Err(format!("{}: must be at least 1", key("window_secs")));
                        }
                        _ => {}
                    }
                }
                RuleKind::NewValue => {
                    if r.field.is_none() {
                        return Err(format!(
                            "{}: required (src_ip, device_id, user_agent or src_geo)",
                            key("field")
                        ));
                    }
                    if r.group_by != GroupBy::Actor {
                        return Err(format!("{}: new_value is per actor", key("group_by")));
                    }
                }
                RuleKind::ConcurrentSessions => match r.max_sessions {
                    None | Some(0) => {
                        return Err(format!("{}: must be at least 1", key("max_sessions")));
                    }
                    _ => {
                        if r.group_by != GroupBy::Actor {
                            return Err(format!(
                                "{}: concurrent_sessions is per actor",
                                key("group_by")
                            ));
                        }
                    }
                },
                RuleKind::Match => {}
            }
            if r.kind != RuleKind::Threshold {
                only(r.threshold.is_some(), "threshold", "threshold")?;
                only(r.window_secs.is_some(), "window_secs", "threshold")?;
            }
            if r.kind != RuleKind::NewValue {
                only(r.field.is_some(), "field", "new_value")?;
            }
            if r.kind != RuleKind::ConcurrentSessions {
                only(
                    r.max_sessions.is_some(),
                    "max_sessions",
                    "concurrent_sessions",
                )?;
            }
            if r.lookback_secs == Some(0) {
                return Err(format!("{}: must be at least 1", key("lookback_secs")));
            }
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            let key = |f: &str| format!("alerts.webhooks[{i}].{f}");
            crate::alerts::webhook::parse_url(&w.url)
                .map_err(|e| format!("{}: {e}", key("url")))?;
            if w.max_attempts == 0 {
                return Err(format!("{}: must be at least 1", key("max_attempts")));
            }
            if w.timeout_ms == 0 {
                return Err(format!("{}: must be at least 1", key("timeout_ms")));
            }
            if w.connect_timeout_ms == 0 {
                return Err(format!("{}: must be at least 1", key("connect_timeout_ms")));
            }
            if w.ca_file.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(format!("{}: must name a file", key("ca_file")));
            }
            if w.token_env.as_deref().is_some_and(str::is_empty) {
                return Err(format!("{}: must name a variable", key("token_env")));
            }
            for (name, value) in &w.headers {
                let name_ok = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
                let value_ok = reqwest::header::HeaderValue::from_str(value.expose_str()).is_ok();
                if !name_ok || !value_ok {
                    return Err(format!(
                        "{}: {name:?} is not a valid header",
                        key("headers")
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_filters_use_the_shared_glob_syntax() {
        let f = |actions: &[&str]| FilterConfig {
            actions: actions.iter().map(|a| a.to_string()).collect(),
            ..FilterConfig::default()
        };
        let e = |action: &str| AuditEvent {
            action: action.into(),
            ..AuditEvent::default()
        };
        assert!(f(&["authentication.*"]).matches(&e("authentication.mfa.verify")));
        assert!(!f(&["authentication.*"]).matches(&e("account.login")));
        assert!(f(&["a.*.c"]).matches(&e("a.b.c")));
        assert!(!f(&["a.*.c"]).matches(&e("a.c")));
        assert!(f(&["authentication.log{in,out}"]).matches(&e("authentication.logout")));
        assert!(f(&["data.expor?"]).matches(&e("data.export")));
        assert!(f(&[]).matches(&e("anything")));
    }

    #[test]
    fn an_invalid_action_glob_is_named() {
        let c: AlertsConfig = toml::from_str(
            "[[rules]]\nname = \"x\"\nkind = \"match\"\nfilter = { actions = [\"a[\"] }\n",
        )
        .unwrap();
        let err = c.validate().unwrap_err();
        assert!(
            err.starts_with("alerts.rules[0].filter.actions: invalid glob"),
            "{err}"
        );
    }
}

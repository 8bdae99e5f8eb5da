//! Tiers: named parts of the archive with their own retention, storage class and Object Lock,
//! and the routing of events into them.
//!
//! As a user writes them in the configuration file:
//!
//! ```toml
//! [[tiers]]
//! name = "security"
//! retention_days = 2555
//! storage_class = "STANDARD_IA"
//! object_lock = "COMPLIANCE"
//! match = { categories = ["authentication", "credential"], actions = ["account.*", "data.export"] }
//!
//! [[tiers]]
//! name = "standard"          # no `match`: the catch-all, which must be last
//! retention_days = 365
//! ```
//!
//! Every event lands in exactly one tier: the first whose `match` accepts it; else the tier named
//! after the action's default tier in the catalog (`security`, `standard`, `operational`), where
//! the configuration has one; else the `default_tier` of its source or profile (which the agent
//! requires for actions outside the catalog where there are several tiers); else the catch-all.

use std::collections::HashMap;
use std::sync::RwLock;

use auditlake_event::AuditEvent;
use auditlake_event::glob::{action_glob, action_glob_set};
use chrono::{Days, NaiveDate, NaiveTime};
use globset::GlobSet;
use serde::{Deserialize, Serialize};

use crate::error::{ArchiveError, Result};
use crate::layout::is_valid_name;

/// The Object Lock mode of a tier's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectLockMode {
    /// Users with the `s3:BypassGovernanceRetention` permission can shorten or remove the lock.
    Governance,
    /// No one, the account's root user included, can delete the object before its retain-until
    /// date.
    Compliance,
}

impl From<ObjectLockMode> for auditlake_storage::LockMode {
    fn from(m: ObjectLockMode) -> Self {
        match m {
            ObjectLockMode::Governance => auditlake_storage::LockMode::Governance,
            ObjectLockMode::Compliance => auditlake_storage::LockMode::Compliance,
        }
    }
}

/// One tier of the archive (a `[[tiers]]` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// The tier's name, the `tier=` partition of its objects: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
    /// Naming tiers `security`, `standard` and `operational` routes catalog actions to them by
    /// default.
    pub name: String,
    /// How many days the tier's objects are kept after the end of the day they were written
    /// (the latest time auditlake read one of their events; never the event date, which is the
    /// application's claim); the retention job deletes them after that, and Object Lock (where
    /// set) forbids deleting them before. At least 1.
    pub retention_days: u32,
    /// The S3 storage class of the tier's objects (e.g. `STANDARD_IA`, `GLACIER_IR`). S3 only;
    /// the local directory store ignores it. The bucket's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Object Lock mode, `GOVERNANCE` or `COMPLIANCE`, with retain-until = write date +
    /// `retention_days` + 1 day. Needs an S3 bucket created with Object Lock enabled; the local
    /// directory store refuses to write to a locked tier. No lock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<ObjectLockMode>,
    /// Which events the tier takes. A tier without `match` is the catch-all: there must be
    /// exactly one, and it must be the last tier.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<TierMatch>,
    /// Storage class changes by age, for the bucket lifecycle configuration that
    /// `auditlake lifecycle` prints, e.g.
    /// `[{ days = 30, storage_class = "STANDARD_IA" }, { days = 365, storage_class = "GLACIER_IR" }]`.
    /// Days strictly increasing and before the tier's expiration (`retention_days` + 1). S3 only;
    /// nothing when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

/// The storage classes an S3 lifecycle rule can move objects to.
pub const TRANSITION_STORAGE_CLASSES: [&str; 6] = [
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// One storage class change of a tier's objects (an element of `transitions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Days after the object was written. S3 requires at least 30 for `STANDARD_IA` and
    /// `ONEZONE_IA`.
    pub days: u32,
    /// The storage class to move to: `STANDARD_IA`, `ONEZONE_IA`, `INTELLIGENT_TIERING`,
    /// `GLACIER_IR`, `GLACIER` or `DEEP_ARCHIVE`. Objects in `GLACIER` and `DEEP_ARCHIVE` must be
    /// restored before `verify`, `query` or a hold with an actor or resource filter can read them;
    /// `GLACIER_IR` reads as usual.
    pub storage_class: String,
}

/// The events a tier takes: those whose category is listed or whose action matches one of the
/// globs (either is enough).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierMatch {
    /// Event categories, e.g. `["authentication", "credential"]`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Action globs, e.g. `["account.*", "data.export"]`; `*` also matches across dots.
    #[serde(default)]
    pub actions: Vec<String>,
}

impl TierConfig {
    /// The retain-until time of an object of this tier written on `written`: the start
    /// (00:00 UTC) of the day after `written + retention_days`, so that the whole last day is
    /// covered.
    pub fn retain_until(&self, written: NaiveDate) -> chrono::DateTime<chrono::Utc> {
        let day = written
            .checked_add_days(Days::new(u64::from(self.retention_days) + 1))
            .unwrap_or(NaiveDate::MAX);
        day.and_time(NaiveTime::MIN).and_utc()
    }
}

/// Checks a list of tiers; pure. Errors name the key (`tiers[1].retention_days`).
pub fn validate_tiers(tiers: &[TierConfig]) -> Result<()> {
    if tiers.is_empty() {
        return Err(ArchiveError::config(
            "tiers",
            "at least one tier is required (a last tier without `match` catches every event)",
        ));
    }
    for (i, t) in tiers.iter().enumerate() {
        let key = |field: &str| format!("tiers[{i}].{field}");
        if !is_valid_name(&t.name) {
            return Err(ArchiveError::config(
                key("name"),
                format!(
                    "{:?} is not a valid tier name: use 1 to 64 of a-z, 0-9, '_' and '-'",
                    t.name
                ),
            ));
        }
        if let Some(j) = tiers[..i].iter().position(|o| o.name == t.name) {
            return Err(ArchiveError::config(
                key("name"),
                format!("tier {:?} is already defined by tiers[{j}]", t.name),
            ));
        }
        if t.retention_days < 1 {
            return Err(ArchiveError::config(
                key("retention_days"),
                "must be at least 1",
            ));
        }
        if t.storage_class
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(ArchiveError::config(
                key("storage_class"),
                "must not be empty",
            ));
        }
        validate_transitions(t, i)?;
        let last = i + 1 == tiers.len();
        match &t.matches {
            None if !last => {
                return Err(ArchiveError::config(
                    key("match"),
                    format!(
                        "tier {:?} has no `match`, so it catches every event and the tiers after it \
                         would get none: only the last tier may omit `match`",
                        t.name
                    ),
                ));
            }
            None => {}
            Some(m) => {
                if last {
                    return Err(ArchiveError::config(
                        key("match"),
                        "the last tier must have no `match`: it catches the events no other tier \
                         takes, so that none goes unrouted",
                    ));
                }
                validate_match(m, &key("match"))?;
            }
        }
    }
    Ok(())
}

/// Checks the `transitions` of `tiers[i]`: known classes, days increasing and before expiry.
fn validate_transitions(t: &TierConfig, i: usize) -> Result<()> {
    let expiration_days = u64::from(t.retention_days) + 1;
    let mut previous: Option<u32> = None;
    for (j, tr) in t.transitions.iter().enumerate() {
        let key = |field: &str| format!("tiers[{i}].transitions[{j}].{field}");
        if !TRANSITION_STORAGE_CLASSES.contains(&tr.storage_class.as_str()) {
            return Err(ArchiveError::config(
                key("storage_class"),
                format!(
                    "{:?} is not a storage class a lifecycle rule can move objects to: use one of {}",
                    tr.storage_class,
                    TRANSITION_STORAGE_CLASSES.join(", ")
                ),
            ));
        }
        if tr.days < 1 {
            return Err(ArchiveError::config(key("days"), "must be at least 1"));
        }
        if matches!(tr.storage_class.as_str(), "STANDARD_IA" | "ONEZONE_IA") && tr.days < 30 {
            return Err(ArchiveError::config(
                key("days"),
                format!(
                    "S3 moves objects to {} after 30 days at the earliest",
                    tr.storage_class
                ),
            ));
        }
        if let Some(p) = previous
            && tr.days <= p
        {
            return Err(ArchiveError::config(
                key("days"),
                format!("must be greater than the previous transition's {p} days"),
            ));
        }
        if u64::from(tr.days) >= expiration_days {
            return Err(ArchiveError::config(
                key("days"),
                format!(
                    "must be less than the tier's expiration after {expiration_days} days \
                     (retention_days + 1)"
                ),
            ));
        }
        previous = Some(tr.days);
    }
    Ok(())
}

fn validate_match(m: &TierMatch, key: &str) -> Result<()> {
    if m.categories.is_empty() && m.actions.is_empty() {
        return Err(ArchiveError::config(
            key,
            "must list at least one of `categories` or `actions`",
        ));
    }
    for (j, c) in m.categories.iter().enumerate() {
        let ok = !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(ArchiveError::config(
                format!("{key}.categories[{j}]"),
                format!("{c:?} is not a category: use lower case letters, digits and '_'"),
            ));
        }
    }
    for (j, a) in m.actions.iter().enumerate() {
        if a.is_empty() {
            return Err(ArchiveError::config(
                format!("{key}.actions[{j}]"),
                "must not be empty",
            ));
        }
        if let Err(e) = action_glob(a) {
            return Err(ArchiveError::config(
                format!("{key}.actions[{j}]"),
                format!("invalid glob {a:?}: {}", e.kind()),
            ));
        }
    }
    Ok(())
}

/// The most (category, action) pairs [`TierRouter`] remembers; past that it routes uncached.
const ROUTE_CACHE_MAX: usize = 4096;

/// A compiled tier match.
#[derive(Debug)]
struct Matcher {
    categories: Vec<String>,
    actions: GlobSet,
}

/// Routes events to tiers. Built from tiers that pass [`validate_tiers`].
#[derive(Debug)]
pub struct TierRouter {
    tiers: Vec<TierConfig>,
    /// One per tier; `None` for the catch-all.
    matchers: Vec<Option<Matcher>>,
    /// Decisions by action, then category.
    cache: RwLock<HashMap<String, HashMap<String, Option<usize>>>>,
    cached: std::sync::atomic::AtomicUsize,
}

impl TierRouter {
    /// Validates `tiers` and compiles their matches.
    pub fn new(tiers: Vec<TierConfig>) -> Result<TierRouter> {
        validate_tiers(&tiers)?;
        let mut matchers = Vec::with_capacity(tiers.len());
        for (i, t) in tiers.iter().enumerate() {
            let Some(m) = &t.matches else {
                matchers.push(None);
                continue;
            };
            // Validated above.
            let actions = action_glob_set(&m.actions).map_err(|e| {
                ArchiveError::config(format!("tiers[{i}].match.actions"), e.to_string())
            })?;
            matchers.push(Some(Matcher {
                categories: m.categories.clone(),
                actions,
            }));
        }
        Ok(TierRouter {
            tiers,
            matchers,
            cache: RwLock::new(HashMap::new()),
            cached: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The tiers, in configuration order.
    pub fn tiers(&self) -> &[TierConfig] {
        &self.tiers
    }

    /// The tier at `index`, as returned by [`TierRouter::route`].
    pub fn tier(&self, index: usize) -> &TierConfig {
        &self.tiers[index]
    }

    /// The index of the tier named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.name == name)
    }

    /// The index of the tier an event of `category` and `action` lands in: the first tier whose
    /// `match` takes it, else the catalog's default tier for the action (where the configuration
    /// has a tier of that name), else the catch-all.
    pub fn route(&self, category: &str, action: &str) -> usize {
        self.route_with_default(category, action, None)
    }

    /// As [`TierRouter::route`], with `default` (a tier index: the source's or profile's
    /// `default_tier`) taking what neither a `match` nor the catalog places, before the
    /// catch-all.
    pub fn route_with_default(
        &self,
        category: &str,
        action: &str,
        default: Option<usize>,
    ) -> usize {
        self.placed(category, action)
            .or(default)
            .unwrap_or(self.tiers.len() - 1)
    }

    /// The tier a `match` or the catalog places an event in; `None` where only a default or the
    /// catch-all would take it.
    pub fn placed(&self, category: &str, action: &str) -> Option<usize> {
        use std::sync::atomic::Ordering::Relaxed;
        // A poisoned lock only means another thread panicked while inserting; the map is intact.
        let hit = match self.cache.read() {
            Ok(cache) => cache.get(action).and_then(|m| m.get(category)).copied(),
            Err(poisoned) => poisoned
                .get_ref()
                .get(action)
                .and_then(|m| m.get(category))
                .copied(),
        };
        if let Some(i) = hit {
            return i;
        }
        let i = self.decide(category, action);
        if self.cached.load(Relaxed) < ROUTE_CACHE_MAX {
            let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
            let by_category = cache.entry(action.to_string()).or_default();
            if by_category.insert(category.to_string(), i).is_none() {
                self.cached.fetch_add(1, Relaxed);
            }
        }
        i
    }

    /// The tier a `match` takes an event of `category` and `action` into, if any.
    pub fn matched(&self, category: &str, action: &str) -> Option<usize> {
        self.matchers.iter().position(|m| {
            m.as_ref().is_some_and(|m| {
                m.categories.iter().any(|c| c == category) || m.actions.is_match(action)
            })
        })
    }

    /// The tier of an event.
    pub fn route_event(&self, event: &AuditEvent) -> usize {
        self.route(&event.category, &event.action)
    }

    fn decide(&self, category: &str, action: &str) -> Option<usize> {
        self.matched(category, action)
            .or_else(|| auditlake_event::lookup(action).and_then(|d| self.index_of(d.default_tier)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        tiers: Vec<TierConfig>,
    }

    fn parse(toml_text: &str) -> Vec<TierConfig> {
        toml::from_str::<File>(toml_text).unwrap().tiers
    }

    const CONFIG: &str = r#"
        [[tiers]]
        name = "security"
        retention_days = 2555
        storage_class = "STANDARD_IA"
        object_lock = "COMPLIANCE"
        match = { categories = ["authentication", "credential"], actions = ["account.*", "data.export"] }

        [[tiers]]
        name = "operational"
        retention_days = 90
        match = { actions = ["message.*"] }

        [[tiers]]
        name = "standard"
        retention_days = 365
    "#;

    #[test]
    fn parses_the_documented_shape() {
        let tiers = parse(CONFIG);
        assert_eq!(tiers.len(), 3);
        assert_eq!(tiers[0].object_lock, Some(ObjectLockMode::Compliance));
        assert_eq!(tiers[0].storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(
            tiers[0].matches.as_ref().unwrap().actions,
            ["account.*", "data.export"]
        );
        assert!(tiers[2].matches.is_none());
        validate_tiers(&tiers).unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err =
            toml::from_str::<File>("[[tiers]]\nname = \"a\"\nretention_days = 1\nretention = 5\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("retention"), "{err}");
        let err = toml::from_str::<File>(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { category = [\"x\"] }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("category"), "{err}");
        let err = toml::from_str::<File>(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nobject_lock = \"compliance\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("COMPLIANCE"), "{err}");
    }

    #[test]
    fn routes_explicit_match_then_default_tier_then_catch_all() {
        let r = TierRouter::new(parse(CONFIG)).unwrap();
        let name = |c: &str, a: &str| r.tier(r.route(c, a)).name.clone();
        // Explicit matches: by category, by action glob.
        assert_eq!(name("authentication", "authentication.login"), "security");
        assert_eq!(name("account", "account.password.change"), "security");
        assert_eq!(name("data", "data.export"), "security");
        assert_eq!(name("message", "message.email.send"), "operational");
        // No explicit match: the catalog's default tier, which exists here.
        assert_eq!(name("session", "session.terminate"), "security");
        assert_eq!(name("system", "system.report.generate"), "operational");
        assert_eq!(name("resource", "resource.update"), "standard");
        // Unknown action: the catch-all.
        assert_eq!(name("custom", "custom.thing.happen"), "standard");
        // Cached answers are the same, and the category is part of the decision.
        assert_eq!(name("authentication", "authentication.login"), "security");
        assert_eq!(name("custom", "custom.login"), "standard");
        assert_eq!(name("credential", "custom.login"), "security");
    }

    #[test]
    fn a_source_default_tier_takes_what_neither_a_match_nor_the_catalog_places() {
        let r = TierRouter::new(parse(CONFIG)).unwrap();
        let security = r.index_of("security");
        let name = |c: &str, a: &str| r.tier(r.route_with_default(c, a, security)).name.clone();
        // Okta's `user.authentication.verify` passed through: not in the catalog, category
        // `user` matched by no tier. With the source's default it is kept as security, not the
        // catch-all's one year.
        assert_eq!(name("user", "user.authentication.verify"), "security");
        assert_eq!(r.placed("user", "user.authentication.verify"), None);
        // Matches and the catalog still come first.
        assert_eq!(name("message", "message.email.send"), "operational");
        assert_eq!(name("resource", "resource.update"), "standard");
        // Without a default: the catch-all, as before.
        assert_eq!(
            r.tier(r.route("user", "user.authentication.verify")).name,
            "standard"
        );
    }

    #[test]
    fn default_tier_missing_from_config_falls_to_catch_all() {
        let r =
            TierRouter::new(parse("[[tiers]]\nname = \"audit\"\nretention_days = 30\n")).unwrap();
        assert_eq!(r.route("session", "session.terminate"), 0);
        assert_eq!(r.route_event(&AuditEvent::default()), 0);
    }

    fn err(toml_text: &str) -> String {
        validate_tiers(&parse(toml_text)).unwrap_err().to_string()
    }

    #[test]
    fn validation_names_the_key() {
        assert_eq!(
            validate_tiers(&[])
                .unwrap_err()
                .to_string()
                .split(':')
                .next(),
            Some("tiers")
        );
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { categories = [\"x\"] }\n\
             [[tiers]]\nname = \"b\"\nretention_days = 0\n",
        );
        assert_eq!(e, "tiers[1].retention_days: must be at least 1");
        let e = err("[[tiers]]\nname = \"Sec urity\"\nretention_days = 1\n");
        assert!(e.starts_with("tiers[0].name: "), "{e}");
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { categories = [\"x\"] }\n\
             [[tiers]]\nname = \"a\"\nretention_days = 1\n",
        );
        assert!(
            e.starts_with("tiers[1].name: ") && e.contains("tiers[0]"),
            "{e}"
        );
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { actions = [\"[\"] }\n\
             [[tiers]]\nname = \"b\"\nretention_days = 1\n",
        );
        assert!(
            e.starts_with("tiers[0].match.actions[0]: invalid glob"),
            "{e}"
        );
        let e = err("[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = {}\n\
             [[tiers]]\nname = \"b\"\nretention_days = 1\n");
        assert!(e.starts_with("tiers[0].match: "), "{e}");
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { categories = [\"Auth\"] }\n\
             [[tiers]]\nname = \"b\"\nretention_days = 1\n",
        );
        assert!(e.starts_with("tiers[0].match.categories[0]: "), "{e}");
    }

    #[test]
    fn catch_all_must_exist_be_unique_and_last() {
        // Two catch-alls: the first would take everything.
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\n[[tiers]]\nname = \"b\"\nretention_days = 1\n",
        );
        assert!(e.starts_with("tiers[0].match: "), "{e}");
        // A catch-all before a matching tier.
        let e = err("[[tiers]]\nname = \"a\"\nretention_days = 1\n\
             [[tiers]]\nname = \"b\"\nretention_days = 1\nmatch = { categories = [\"x\"] }\n");
        assert!(e.starts_with("tiers[0].match: "), "{e}");
        // No catch-all: events outside every match would go unrouted.
        let e = err(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\nmatch = { categories = [\"x\"] }\n\
             [[tiers]]\nname = \"b\"\nretention_days = 1\nmatch = { categories = [\"y\"] }\n",
        );
        assert!(e.starts_with("tiers[1].match: "), "{e}");
    }

    #[test]
    fn transitions_parse_and_validation_names_the_key() {
        let tiers = parse(
            "[[tiers]]\nname = \"a\"\nretention_days = 400\n\
             transitions = [{ days = 30, storage_class = \"STANDARD_IA\" }, { days = 90, storage_class = \"GLACIER_IR\" }]\n",
        );
        assert_eq!(
            tiers[0].transitions,
            [
                Transition {
                    days: 30,
                    storage_class: "STANDARD_IA".into()
                },
                Transition {
                    days: 90,
                    storage_class: "GLACIER_IR".into()
                }
            ]
        );
        validate_tiers(&tiers).unwrap();

        let one = |t: &str| {
            err(&format!(
                "[[tiers]]\nname = \"a\"\nretention_days = 400\ntransitions = [{t}]\n"
            ))
        };
        let e = one("{ days = 30, storage_class = \"GLACIERX\" }");
        assert!(
            e.starts_with("tiers[0].transitions[0].storage_class: "),
            "{e}"
        );
        let e = one("{ days = 0, storage_class = \"GLACIER\" }");
        assert_eq!(e, "tiers[0].transitions[0].days: must be at least 1");
        let e = one("{ days = 10, storage_class = \"STANDARD_IA\" }");
        assert!(
            e.starts_with("tiers[0].transitions[0].days: ") && e.contains("30"),
            "{e}"
        );
        let e = one(
            "{ days = 90, storage_class = \"GLACIER_IR\" }, { days = 90, storage_class = \"GLACIER\" }",
        );
        assert!(e.starts_with("tiers[0].transitions[1].days: "), "{e}");
        let e = one("{ days = 401, storage_class = \"GLACIER\" }");
        assert!(
            e.starts_with("tiers[0].transitions[0].days: ") && e.contains("401"),
            "{e}"
        );
        let e = toml::from_str::<File>(
            "[[tiers]]\nname = \"a\"\nretention_days = 1\ntransitions = [{ day = 1, storage_class = \"GLACIER\" }]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("day"), "{e}");
    }

    #[test]
    fn retain_until_covers_the_whole_last_day() {
        let t = &parse(CONFIG)[2];
        let d = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(t.retain_until(d).to_rfc3339(), "2027-11-22T00:00:00+00:00");
    }
}

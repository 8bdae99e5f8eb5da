//! Legal holds: filters over the archive whose matching objects retention must keep.
//!
//! A hold is stored at `_holds/{name}.json`. Its filter is an [`auditlake_filter::FilterSpec`],
//! the filter of `auditlake query`, with its times resolved into instants when it was placed
//! (`--until 2026-11-21` is stored as `2026-11-22T00:00:00Z`, exclusive: the whole day). It
//! protects every object whose tier and event date the filter allows and, where the filter
//! reads more than the time, whose rows hold a matching event. An object that cannot be read to
//! decide is protected.
//!
//! Holds placed by earlier versions (`"version": "1"`, a filter of `actor`, `resource`, `since`,
//! `until`, `tier`) still read, each as the filter that keeps at least what it kept: the actor
//! by id, name or email, the resource by id, an `until` at midnight as the end of that day.

use auditlake_filter::{Filter, FilterSpec};
use auditlake_storage::{ObjectStore, PutOptions, StorageError};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use auditlake_archive::layout::{HOLDS_PREFIX, ObjectKey, hold_key, parse_hold_key, validate_name};
use auditlake_archive::{ArchiveError, Result};

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    pub name: String,
    /// Why (a case number, a request).
    pub reason: String,
    pub created_at: DateTime<Utc>,
    /// Who set it, where known.
    #[serde(default)]
    pub created_by: Option<String>,
    /// Which events it covers; times are instants (see [`Hold::new`]).
    pub filter: FilterSpec,
}

/// A hold as version 1 stored it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldV1 {
    name: String,
    reason: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    created_by: Option<String>,
    filter: FilterV1,
}

/// The filter of a version 1 hold: `actor` matched `actor_id`, `resource` `resource_id`,
/// `until` was inclusive.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterV1 {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    #[serde(default)]
    tier: Option<String>,
}

impl From<HoldV1> for Hold {
    fn from(h: HoldV1) -> Hold {
        let f = h.filter;
        // `hold add --until DATE` stored the day's first instant and meant the day: a midnight
        // ends that day; any other instant was inclusive.
        let until = f.until.map(|u| {
            if u.time() == NaiveTime::MIN {
                u + TimeDelta::days(1)
            } else {
                u + TimeDelta::microseconds(1)
            }
        });
        Hold {
            name: h.name,
            reason: h.reason,
            created_at: h.created_at,
            created_by: h.created_by,
            filter: FilterSpec {
                actors: f.actor.into_iter().collect(),
                resource_id: f.resource,
                since: f.since.map(|t| t.to_rfc3339()),
                until: until.map(|t| t.to_rfc3339()),
                tiers: f.tier.into_iter().collect(),
                ..FilterSpec::default()
            },
        }
    }
}

/// A stored hold, of any version.
#[derive(Deserialize)]
#[serde(tag = "version")]
enum Stored {
    #[serde(rename = "1")]
    V1(HoldV1),
    #[serde(rename = "2")]
    V2(Box<Hold>),
}

/// A hold as this version writes it.
#[derive(Serialize)]
#[serde(tag = "version")]
enum Written<'a> {
    #[serde(rename = "2")]
    V2(&'a Hold),
}

impl Hold {
    /// A hold of `filter`, checked, with its relative times (`7d`, `today`) and dates resolved
    /// against `now` into instants, so that it covers the same events whenever it is read.
    pub fn new(
        name: String,
        reason: String,
        created_by: Option<String>,
        filter: &FilterSpec,
        now: DateTime<Utc>,
    ) -> Result<Hold> {
        validate_name("hold", &name)?;
        let filter = filter.resolved(now).map_err(|e| ArchiveError::Hold {
            name: name.clone(),
            message: e.to_string(),
        })?;
        Ok(Hold {
            name,
            reason,
            created_at: now,
            created_by,
            filter,
        })
    }

    /// The compiled filter (its times are instants, so `created_at` only anchors them).
    pub fn compiled(&self) -> Result<Filter> {
        self.filter
            .compile(self.created_at)
            .map_err(|e| ArchiveError::Hold {
                name: self.name.clone(),
                message: e.to_string(),
            })
    }

    /// Whether the object's tier and event date can hold matching events (no rows read). A
    /// filter that does not compile covers everything.
    pub fn may_cover(&self, key: &ObjectKey) -> bool {
        self.compiled()
            .map_or(true, |f| f.may_match_partition(&key.tier, key.event_date))
    }

    /// The object's rows the hold's filter selects; reads the object.
    pub async fn matching_rows(&self, store: &dyn ObjectStore, key: &ObjectKey) -> Result<u64> {
        let f = self.compiled()?;
        if !f.may_match_partition(&key.tier, key.event_date) {
            return Ok(0);
        }
        let columns: Vec<&str> = f.columns().into_iter().collect();
        let mut n = 0;
        for b in auditlake_archive::reader::read_columns(store, &key.to_key(), &columns).await? {
            let m = f.evaluate(&b).map_err(|e| ArchiveError::Hold {
                name: self.name.clone(),
                message: e.to_string(),
            })?;
            n += m.true_count() as u64;
        }
        Ok(n)
    }

    /// Whether the object holds a matching event; reads its rows when the filter looks at more
    /// than the time. An object that cannot be read counts as covered.
    pub async fn covers(&self, store: &dyn ObjectStore, key: &ObjectKey) -> bool {
        let f = match self.compiled() {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(hold = %self.name, error = %e, "hold filter does not compile, keeping every object");
                return true;
            }
        };
        if !f.may_match_partition(&key.tier, key.event_date) {
            return false;
        }
        if !f.reads_rows() {
            return true;
        }
        match self.matching_rows(store, key).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(key = %key.to_key(), hold = %self.name, error = %e, "cannot read object, keeping it");
                true
            }
        }
    }
}

/// Stores a hold, replacing one of the same name.
pub async fn put_hold(store: &dyn ObjectStore, hold: &Hold) -> Result<String> {
    validate_name("hold", &hold.name)?;
    let key = hold_key(&hold.name)?;
    let bytes = serde_json::to_vec_pretty(&Written::V2(hold)).unwrap_or_default();
    let opts = PutOptions {
        content_type: Some("application/json".to_string()),
        ..PutOptions::default()
    };
    store.put(&key, bytes.into(), &opts).await?;
    Ok(key)
}

/// Every hold, by name.
pub async fn list_holds(store: &dyn ObjectStore) -> Result<Vec<Hold>> {
    let mut out = Vec::new();
    for m in store.list(HOLDS_PREFIX).await? {
        let Ok(name) = parse_hold_key(&m.key) else {
            continue;
        };
        let bytes = store.get(&m.key).await?;
        let persisted: Stored = serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Hold {
            name: name.clone(),
            message: e.to_string(),
        })?;
        out.push(match persisted {
            Stored::V1(old) => old.into(),
            Stored::V2(hold) => *hold,
        });
    }
    Ok(out)
}

/// Removes a hold; `false` when there was none of that name.
pub async fn remove_hold(store: &dyn ObjectStore, name: &str) -> Result<bool> {
    let key = hold_key(name)?;
    match store.head(&key).await {
        Ok(_) => {}
        Err(StorageError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    store.delete(&key).await?;
    Ok(true)
}

/// The data objects holding events of the hold's filter, with the number of such events in
/// each: the rows `auditlake query` selects for the same filter (objects a rewrite under way
/// replaces are counted once, as the query reads them).
pub async fn covered_objects(store: &dyn ObjectStore, hold: &Hold) -> Result<Vec<(String, u64)>> {
    let view = crate::rewrite::RewriteView::load(store).await?;
    let listed = store.list("tier=").await?;
    let hidden = view.hidden(listed.iter().map(|m| m.key.as_str()));
    let mut out = Vec::new();
    for m in listed {
        let Ok(key) = auditlake_archive::layout::parse_data_key(&m.key) else {
            continue;
        };
        if hidden.contains(&m.key) || !hold.may_cover(&key) {
            continue;
        }
        let n = hold.matching_rows(store, &key).await?;
        if n > 0 {
            out.push((m.key, n));
        }
    }
    Ok(out)
}

/// Sets (or clears) the store's object legal hold on every data object `hold` covers; a store
/// without legal holds (the local directory) is left as it is. Returns the keys changed.
pub async fn apply_legal_holds(
    store: &dyn ObjectStore,
    hold: &Hold,
    on: bool,
) -> Result<Vec<String>> {
    let prefix = match hold.filter.tiers.as_slice() {
        [one] => auditlake_archive::layout::tier_prefix(one),
        _ => "tier=".to_string(),
    };
    let mut changed = Vec::new();
    for m in store.list(&prefix).await? {
        let Ok(key) = auditlake_archive::layout::parse_data_key(&m.key) else {
            continue;
        };
        if !hold.covers(store, &key).await {
            continue;
        }
        match store.set_legal_hold(&m.key, on).await {
            Ok(()) => changed.push(m.key),
            Err(StorageError::Unsupported { .. }) => return Ok(changed),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_event::AuditEvent;
    use auditlake_storage::LocalStore;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    async fn put_events(store: &dyn ObjectStore, key: &str, events: &[AuditEvent]) {
        let bytes = auditlake_archive::writer::encode_parquet(events, &Default::default())
            .unwrap()
            .bytes;
        store.put(key, bytes, &PutOptions::default()).await.unwrap();
    }

    fn event(time: &str, actor_id: &str, email: &str) -> AuditEvent {
        AuditEvent {
            event_id: format!("{time}-{actor_id}"),
            time: t(time).timestamp_micros(),
            category: "authentication".into(),
            action: "authentication.login".into(),
            actor_id: Some(actor_id.into()),
            actor_email: Some(email.into()),
            ..Default::default()
        }
    }

    // `hold add --until 2026-11-21` stored 00:00Z, so that day's later events were not held.
    #[tokio::test]
    async fn hold_until_date_keeps_the_whole_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let day = "2026-11-21".parse().unwrap();
        let key = ObjectKey::new("standard", day, "app", 1, 1).unwrap();
        put_events(
            &store,
            &key.to_key(),
            &[event("2026-11-21T22:00:00Z", "u-1", "a@x")],
        )
        .await;
        let spec = FilterSpec {
            actors: vec!["a@x".into()],
            until: Some("2026-11-21".into()),
            ..FilterSpec::default()
        };
        let hold = Hold::new(
            "case-1".into(),
            "r".into(),
            None,
            &spec,
            t("2026-11-23T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            hold.filter.until.as_deref(),
            Some("2026-11-22T00:00:00+00:00")
        );
        assert!(hold.covers(&store, &key).await);
        assert_eq!(hold.matching_rows(&store, &key).await.unwrap(), 1);
        // The actor by email, as `query --actor` matches it.
        put_hold(&store, &hold).await.unwrap();
        assert_eq!(list_holds(&store).await.unwrap(), vec![hold]);
    }

    #[tokio::test]
    async fn a_version_1_hold_reads_and_keeps_what_it_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let old = r#"{"version": "1", "name": "case-0", "reason": "r",
            "created_at": "2026-11-01T00:00:00Z", "created_by": null,
            "filter": {"actor": "u-1", "resource": "doc-9", "since": "2026-11-20T00:00:00Z",
                       "until": "2026-11-21T00:00:00Z", "tier": "standard"}}"#;
        store
            .put(
                "_holds/case-0.json",
                old.as_bytes().to_vec().into(),
                &PutOptions::default(),
            )
            .await
            .unwrap();
        let holds = list_holds(&store).await.unwrap();
        let f = &holds[0].filter;
        assert_eq!(f.actors, ["u-1"]);
        assert_eq!(f.resource_id.as_deref(), Some("doc-9"));
        assert_eq!(f.since.as_deref(), Some("2026-11-20T00:00:00+00:00"));
        assert_eq!(f.until.as_deref(), Some("2026-11-22T00:00:00+00:00"));
        assert_eq!(f.tiers, ["standard"]);
        let key = |d: &str| ObjectKey::new("standard", d.parse().unwrap(), "app", 1, 1).unwrap();
        assert!(holds[0].may_cover(&key("2026-11-21")));
        assert!(!holds[0].may_cover(&key("2026-11-22")));
        let inclusive = old.replace("2026-11-21T00:00:00Z", "2026-11-21T08:00:00Z");
        store
            .put(
                "_holds/case-0.json",
                inclusive.into_bytes().into(),
                &PutOptions::default(),
            )
            .await
            .unwrap();
        let holds = list_holds(&store).await.unwrap();
        assert_eq!(
            holds[0].filter.until.as_deref(),
            Some("2026-11-21T08:00:00.000001+00:00")
        );
    }
}

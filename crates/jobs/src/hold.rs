//! Legal holds: filters over the archive whose matching objects retention must keep.
//!
//! A hold is stored at `_holds/{name}.json`. It protects every object whose tier, event date and
//! (for actor or resource filters) rows could contain a matching event. An object that cannot be
//! read to decide is protected.

use arrow::array::{Array, AsArray};
use auditlake_storage::{ObjectStore, PutOptions, StorageError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use auditlake_archive::layout::{HOLDS_PREFIX, ObjectKey, hold_key, parse_hold_key, validate_name};
use auditlake_archive::{ArchiveError, Result};

/// Which events a hold covers; every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldFilter {
    /// Events of this actor (`actor_id`).
    #[serde(default)]
    pub actor: Option<String>,
    /// Events on this resource (`resource_id`).
    #[serde(default)]
    pub resource: Option<String>,
    /// Events at or after this time.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// Events at or before this time.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Events of this tier.
    #[serde(default)]
    pub tier: Option<String>,
}

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
    pub filter: HoldFilter,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum Persisted {
    #[serde(rename = "1")]
    V1(Hold),
}

impl Hold {
    /// Whether the object's tier and event date can hold matching events (no rows read).
    pub fn may_cover(&self, key: &ObjectKey) -> bool {
        let f = &self.filter;
        let day_start = key.event_date.and_time(chrono::NaiveTime::MIN).and_utc();
        let day_end = day_start + chrono::TimeDelta::days(1);
        f.tier.as_deref().is_none_or(|t| t == key.tier)
            && f.since.is_none_or(|s| s < day_end)
            && f.until.is_none_or(|u| u >= day_start)
    }

    /// Whether the object holds a matching event; reads its rows when the hold filters by actor
    /// or resource. An object that cannot be read counts as covered.
    pub async fn covers(&self, store: &dyn ObjectStore, key: &ObjectKey) -> bool {
        if !self.may_cover(key) {
            return false;
        }
        let f = &self.filter;
        if f.actor.is_none() && f.resource.is_none() {
            return true;
        }
        let k = key.to_key();
        let batches = match auditlake_archive::reader::read_object(store, &k).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(key = %k, hold = %self.name, error = %e, "cannot read object, keeping it");
                return true;
            }
        };
        let (since, until) = (
            f.since.map(|t| t.timestamp_micros()),
            f.until.map(|t| t.timestamp_micros()),
        );
        batches.iter().any(|b| {
            let col = |name: &str| {
                b.column_by_name(name)
                    .and_then(|c| c.as_string_opt::<i32>())
            };
            let times = b
                .column_by_name("time")
                .and_then(|c| c.as_primitive_opt::<arrow::datatypes::TimestampMicrosecondType>());
            let (Some(actor), Some(resource), Some(times)) =
                (col("actor_id"), col("resource_id"), times)
            else {
                return true;
            };
            (0..b.num_rows()).any(|i| {
                let eq = |c: &arrow::array::StringArray, want: &Option<String>| {
                    want.as_deref()
                        .is_none_or(|w| c.is_valid(i) && c.value(i) == w)
                };
                let t = times.value(i);
                eq(actor, &f.actor)
                    && eq(resource, &f.resource)
                    && since.is_none_or(|s| t >= s)
                    && until.is_none_or(|u| t <= u)
            })
        })
    }
}

/// Stores a hold, replacing one of the same name.
pub async fn put_hold(store: &dyn ObjectStore, hold: &Hold) -> Result<String> {
    validate_name("hold", &hold.name)?;
    let key = hold_key(&hold.name)?;
    let bytes = serde_json::to_vec_pretty(&Persisted::V1(hold.clone())).unwrap_or_default();
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
        let Persisted::V1(hold) =
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Hold {
                name: name.clone(),
                message: e.to_string(),
            })?;
        out.push(hold);
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

/// Sets (or clears) the store's object legal hold on every data object `hold` covers; a store
/// without legal holds (the local directory) is left as it is. Returns the keys changed.
pub async fn apply_legal_holds(
    store: &dyn ObjectStore,
    hold: &Hold,
    on: bool,
) -> Result<Vec<String>> {
    let prefix = hold.filter.tier.as_deref().map_or_else(
        || "tier=".to_string(),
        auditlake_archive::layout::tier_prefix,
    );
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

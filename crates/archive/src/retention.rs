//! Retention: deleting, per tier, the objects whose event date plus the tier's retention (plus
//! the grace period) has passed, except those a legal hold covers, with a signed receipt in the
//! [`RETENTION_CHAIN`] naming every deletion.
//!
//! The receipt is written before the deletions: a run killed in between leaves objects that a
//! receipt names but that are still there, which verify accepts and the next run deletes; never
//! a deletion without a receipt.

use std::collections::BTreeMap;
use std::sync::Arc;

use auditlake_storage::ObjectStore;
use chrono::{DateTime, Days, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::{DeletedObject, DigestWriter, RETENTION_CHAIN, Receipt, ReceiptKind};
use crate::error::{ArchiveError, Result};
use crate::hold::Hold;
use crate::layout::{parse_data_key, tier_prefix};
use crate::signing::DigestSigner;
use crate::tier::TierConfig;

/// `[retention]`: how the retention job deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days past an object's retain-until before it is deleted.
    #[serde(default)]
    pub grace_days: u32,
    /// Keys per delete request.
    #[serde(default = "default_delete_batch")]
    pub delete_batch: usize,
    /// Days to keep the events of a user after their deletion was recorded (not applied yet by
    /// this build: such events follow their tier's retention).
    #[serde(default)]
    pub deleted_user_retention_days: Option<u32>,
}

fn default_delete_batch() -> usize {
    1000
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            grace_days: 0,
            delete_batch: default_delete_batch(),
            deleted_user_retention_days: None,
        }
    }
}

impl RetentionConfig {
    /// Checks the values; pure.
    pub fn validate(&self) -> Result<()> {
        if !(1..=1000).contains(&self.delete_batch) {
            return Err(ArchiveError::config(
                "retention.delete_batch",
                "must be between 1 and 1000",
            ));
        }
        Ok(())
    }
}

/// One object a run deletes or keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedObject {
    pub key: String,
    pub tier: String,
    pub size: u64,
    /// When its retention (plus grace) ended.
    pub expired_at: DateTime<Utc>,
    /// The hold that keeps it, for kept objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
}

/// Objects and bytes of one tier in a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TierTotals {
    pub delete_objects: usize,
    pub delete_bytes: u64,
    pub held_objects: usize,
}

/// What a retention run deletes and keeps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionPlan {
    pub now: DateTime<Utc>,
    pub delete: Vec<PlannedObject>,
    pub held: Vec<PlannedObject>,
    pub tiers: BTreeMap<String, TierTotals>,
    /// The policy applied, per tier.
    #[serde(skip)]
    policies: BTreeMap<String, String>,
}

/// Plans a run at `now`: lists every tier and checks each expired object against the holds.
pub async fn plan_retention(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    cfg: &RetentionConfig,
    now: DateTime<Utc>,
) -> Result<RetentionPlan> {
    let mut plan = RetentionPlan {
        now,
        ..RetentionPlan::default()
    };
    for tier in tiers {
        let totals = plan.tiers.entry(tier.name.clone()).or_default();
        plan.policies.insert(
            tier.name.clone(),
            format!(
                "tier {}: retention_days = {}, grace_days = {}",
                tier.name, tier.retention_days, cfg.grace_days
            ),
        );
        for m in store.list(&tier_prefix(&tier.name)).await? {
            let Ok(key) = parse_data_key(&m.key) else {
                continue;
            };
            let expired_at = tier
                .retain_until(key.event_date)
                .checked_add_days(Days::new(u64::from(cfg.grace_days)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if now < expired_at {
                continue;
            }
            let mut held_by = None;
            for h in holds {
                if h.covers(store, &key).await {
                    held_by = Some(h.name.clone());
                    break;
                }
            }
            let obj = PlannedObject {
                key: m.key,
                tier: tier.name.clone(),
                size: m.size,
                expired_at,
                held_by,
            };
            if obj.held_by.is_some() {
                totals.held_objects += 1;
                plan.held.push(obj);
            } else {
                totals.delete_objects += 1;
                totals.delete_bytes += obj.size;
                plan.delete.push(obj);
            }
        }
    }
    Ok(plan)
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionRun {
    pub deleted: usize,
    pub deleted_bytes: u64,
    /// The digest holding the run's receipts, when anything was deleted.
    pub receipt_digest: Option<String>,
}

/// Carries out a plan: writes one receipt per tier into the retention chain, signed, then
/// deletes in batches. A batch that fails partly stops the run with the error; what the receipt
/// names and is still there is deleted by the next run.
pub async fn apply_retention(
    store: &dyn ObjectStore,
    plan: &RetentionPlan,
    signer: Arc<DigestSigner>,
    cfg: &RetentionConfig,
) -> Result<RetentionRun> {
    let mut run = RetentionRun::default();
    if plan.delete.is_empty() {
        return Ok(run);
    }
    let mut chain = DigestWriter::open(store, RETENTION_CHAIN, signer, None, plan.now).await?;
    let mut by_tier: BTreeMap<&str, Vec<DeletedObject>> = BTreeMap::new();
    for o in &plan.delete {
        by_tier.entry(&o.tier).or_default().push(DeletedObject {
            key: o.key.clone(),
            size: o.size,
            retain_until: Some(o.expired_at),
        });
    }
    for (tier, deleted) in by_tier {
        chain.record_receipt(Receipt {
            kind: ReceiptKind::Retention,
            policy: plan.policies.get(tier).cloned().unwrap_or_default(),
            time: plan.now,
            deleted,
        })?;
    }
    run.receipt_digest = Some(chain.write_digest(store, plan.now).await?);
    let keys: Vec<String> = plan.delete.iter().map(|o| o.key.clone()).collect();
    for (batch, objects) in keys
        .chunks(cfg.delete_batch.max(1))
        .zip(plan.delete.chunks(cfg.delete_batch.max(1)))
    {
        store.delete_many(batch).await?;
        run.deleted += batch.len();
        run.deleted_bytes += objects.iter().map(|o| o.size).sum::<u64>();
        tracing::info!(objects = batch.len(), "retention deleted a batch");
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hold::HoldFilter;
    use crate::verify::{VerifyOptions, verify_archive};
    use auditlake_storage::{LocalStore, PutOptions};
    use bytes::Bytes;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn tiers() -> Vec<TierConfig> {
        toml::from_str::<BTreeMap<String, Vec<TierConfig>>>(
            "[[tiers]]\nname = \"security\"\nretention_days = 2555\nmatch = { categories = [\"authentication\"] }\n\
             [[tiers]]\nname = \"standard\"\nretention_days = 365\n",
        )
        .unwrap()
        .remove("tiers")
        .unwrap()
    }

    #[tokio::test]
    async fn plan_deletes_expired_objects_except_held_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let keys = [
            "tier=standard/event_date=2020-01-01/idp-20200101T000000Z-00000000.parquet",
            "tier=standard/event_date=2020-06-01/idp-20200601T000000Z-00000001.parquet",
            "tier=standard/event_date=2026-01-01/idp-20260101T000000Z-00000002.parquet",
            "tier=security/event_date=2020-01-01/idp-20200101T000000Z-00000003.parquet",
        ];
        for k in keys {
            store
                .put(k, Bytes::from_static(b"data"), &PutOptions::default())
                .await
                .unwrap();
        }
        let hold = Hold {
            name: "case-1".into(),
            reason: "litigation".into(),
            created_at: t("2026-01-01T00:00:00Z"),
            created_by: None,
            filter: HoldFilter {
                since: Some(t("2020-05-01T00:00:00Z")),
                until: Some(t("2020-07-01T00:00:00Z")),
                ..HoldFilter::default()
            },
        };
        let cfg = RetentionConfig::default();
        let now = t("2026-06-01T00:00:00Z");
        let plan = plan_retention(&store, &tiers(), &[hold], &cfg, now)
            .await
            .unwrap();
        assert_eq!(
            plan.delete
                .iter()
                .map(|o| o.key.as_str())
                .collect::<Vec<_>>(),
            [keys[0]]
        );
        assert_eq!(plan.held[0].key, keys[1]);
        assert_eq!(plan.held[0].held_by.as_deref(), Some("case-1"));
        assert_eq!(plan.tiers["standard"].delete_bytes, 4);
        assert_eq!(plan.tiers["security"], TierTotals::default());

        // Grace: one more year keeps the 2020-01-01 object too.
        let graced = RetentionConfig {
            grace_days: 2000,
            ..RetentionConfig::default()
        };
        let plan2 = plan_retention(&store, &tiers(), &[], &graced, now)
            .await
            .unwrap();
        assert!(plan2.delete.is_empty());

        let signer = Arc::new(DigestSigner::generate());
        let run = apply_retention(&store, &plan, signer.clone(), &cfg)
            .await
            .unwrap();
        assert_eq!(run.deleted, 1);
        assert!(!store.exists(keys[0]).await.unwrap());
        assert!(store.exists(keys[1]).await.unwrap());
        // The receipt is in a signed digest of the retention chain.
        let r = verify_archive(
            &store,
            &[signer.public_key().clone()],
            &VerifyOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.chains, 1);
        assert_eq!(r.digests, 1);
    }
}

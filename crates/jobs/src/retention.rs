//! Retention: deleting, per tier, the objects whose write date plus the tier's retention (plus
//! the grace period) has passed, except those a legal hold covers (an auditlake hold or the
//! store's object legal hold) and those whose Object Lock retention has not ended, with a signed
//! receipt in the [`RETENTION_CHAIN`] naming every deletion. On a versioned bucket every version
//! of an expired object is deleted, not hidden behind a delete marker.
//!
//! The receipt is written before the deletions: a run killed in between leaves objects that a
//! receipt names but that are still there, which verify accepts and the next run deletes; never
//! a deletion without a receipt.
//!
//! Retention counts from when an object was written ([`auditlake_archive::written`]), not from its event
//! date: an event's time is the application's claim, and a clock at year 1 must not have its
//! evidence deleted by the next run, nor one at year 9999 keep it for millennia. An event cannot
//! have happened after auditlake read it, so an object is never deleted sooner than its tier's
//! retention after any of its events.

use std::collections::BTreeMap;
use std::sync::Arc;

use auditlake_storage::{LockMode, ObjectStore, StorageError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::hold::Hold;
use auditlake_archive::digest::{
    DeletedObject, DigestWriter, RETENTION_CHAIN, Receipt, ReceiptKind,
};
use auditlake_archive::layout::{parse_data_key, tier_prefix};
use auditlake_archive::signing::DigestSigner;
use auditlake_archive::tier::{ObjectLockMode, TierConfig};
use auditlake_archive::{ArchiveError, Result};

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
    /// Days to keep the events of a user after their deletion (`account.user.delete`) was
    /// recorded; the retention job then erases them (see `crate::erasure`).
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
    /// When it was written: the latest observed time of its events (or, for an object without
    /// them, the store's last-modified time).
    pub written_at: DateTime<Utc>,
    /// When its retention (plus grace) ended: the tier's retention after its write date.
    pub expired_at: DateTime<Utc>,
    /// The hold that keeps it, for objects an auditlake hold covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
    /// Whether the store has an object legal hold on it (S3), which keeps it too.
    #[serde(skip_serializing_if = "is_false")]
    pub legal_hold: bool,
    /// For objects under Object Lock retention: until when, and in which mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_mode: Option<ObjectLockMode>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Objects and bytes of one tier in a plan: deleted, kept by a hold (auditlake's or the
/// store's legal hold), kept by Object Lock retention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TierTotals {
    pub delete_objects: usize,
    pub delete_bytes: u64,
    pub held_objects: usize,
    pub held_bytes: u64,
    pub locked_objects: usize,
    pub locked_bytes: u64,
}

/// What a retention run deletes and keeps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionPlan {
    /// The time retention is judged at.
    pub now: DateTime<Utc>,
    /// The time Object Lock is judged at: the present, whatever `now` says, since the store
    /// enforces retention on its own clock.
    pub locks_judged_at: DateTime<Utc>,
    pub delete: Vec<PlannedObject>,
    /// Expired objects a hold keeps.
    pub held: Vec<PlannedObject>,
    /// Expired objects whose Object Lock retention has not ended.
    pub locked: Vec<PlannedObject>,
    pub tiers: BTreeMap<String, TierTotals>,
    /// The policy applied, per tier.
    #[serde(skip)]
    policies: BTreeMap<String, String>,
}

/// How many objects' locks are looked up at the same time.
const LOCK_LOOKUPS: usize = 16;

/// Plans a run at `now`, with Object Lock judged at the present time: see
/// [`plan_retention_at`].
pub async fn plan_retention(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    cfg: &RetentionConfig,
    now: DateTime<Utc>,
) -> Result<RetentionPlan> {
    plan_retention_at(store, tiers, holds, cfg, now, Utc::now()).await
}

/// Plans a run: lists every tier, and sorts each object whose retention (plus grace) has ended
/// by `now` into kept by a hold (one of `holds`, or the store's object legal hold), kept by
/// Object Lock retention that has not ended at `locks_at`, or deleted.
pub async fn plan_retention_at(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    cfg: &RetentionConfig,
    now: DateTime<Utc>,
    locks_at: DateTime<Utc>,
) -> Result<RetentionPlan> {
    let mut plan = RetentionPlan {
        now,
        locks_judged_at: locks_at,
        ..RetentionPlan::default()
    };
    for tier in tiers {
        plan.tiers.entry(tier.name.clone()).or_default();
        plan.policies.insert(
            tier.name.clone(),
            format!(
                "tier {}: retention_days = {}, grace_days = {}",
                tier.name, tier.retention_days, cfg.grace_days
            ),
        );
        let expiry = |date: NaiveDate| {
            tier.retain_until(date)
                .checked_add_days(Days::new(u64::from(cfg.grace_days)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        // Only objects that either clock says can be due have their footers read: the event
        // date (an old partition, or a clock behind), or the store's last change (no object was
        // written after it). An object both call recent is not due.
        let mut candidates = Vec::new();
        for m in store.list(&tier_prefix(&tier.name)).await? {
            let Ok(key) = parse_data_key(&m.key) else {
                continue;
            };
            let modified_due = m
                .last_modified
                .is_some_and(|t| now >= expiry(t.date_naive()));
            if now >= expiry(key.event_date) || modified_due {
                candidates.push((key, m));
            }
        }
        let written: Vec<_> = futures::stream::iter(candidates)
            .map(|(key, m)| async move {
                let written_at = write_time(store, &m).await;
                (key, m, written_at)
            })
            .buffered(LOCK_LOOKUPS)
            .collect()
            .await;
        let mut unheld = Vec::new();
        for (key, m, written_at) in written {
            let Some(written_at) = written_at else {
                continue;
            };
            let expired_at = expiry(written_at.date_naive());
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
                written_at,
                expired_at,
                held_by,
                legal_hold: false,
                locked_until: None,
                lock_mode: None,
            };
            if obj.held_by.is_some() {
                plan.keep_held(obj);
            } else {
                unheld.push(obj);
            }
        }
        let locks: Vec<_> = futures::stream::iter(unheld)
            .map(|obj| async move {
                let lock = store.object_lock(&obj.key).await;
                (obj, lock)
            })
            .buffered(LOCK_LOOKUPS)
            .collect()
            .await;
        for (mut obj, lock) in locks {
            let lock = match lock {
                Ok(lock) => lock,
                // deleted since the listing: nothing to do
                Err(StorageError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if lock.legal_hold {
                obj.legal_hold = true;
                plan.keep_held(obj);
            } else if let Some(r) = lock.retention.filter(|r| r.retain_until > locks_at) {
                obj.locked_until = Some(r.retain_until);
                obj.lock_mode = Some(match r.mode {
                    LockMode::Compliance => ObjectLockMode::Compliance,
                    LockMode::Governance => ObjectLockMode::Governance,
                });
                let totals = plan.tiers.entry(obj.tier.clone()).or_default();
                totals.locked_objects += 1;
                totals.locked_bytes += obj.size;
                plan.locked.push(obj);
            } else {
                let totals = plan.tiers.entry(obj.tier.clone()).or_default();
                totals.delete_objects += 1;
                totals.delete_bytes += obj.size;
                plan.delete.push(obj);
            }
        }
    }
    Ok(plan)
}

/// When the object `m` lists was written ([`auditlake_archive::written`]): the latest observed time in its
/// footer, else the store's last-modified time. `None`, with a warning, when neither is known:
/// such an object is kept, since nothing shows that its retention has passed.
async fn write_time(
    store: &dyn ObjectStore,
    m: &auditlake_storage::ObjectMeta,
) -> Option<DateTime<Utc>> {
    let observed = match auditlake_archive::written::max_observed_time(store, &m.key, m.size).await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(key = %m.key, error = %e, "cannot read the object's footer, judging it by the store's last-modified time");
            None
        }
    };
    let written = observed.or(m.last_modified);
    if written.is_none() {
        tracing::warn!(key = %m.key, "object's write time is unknown, kept");
    }
    written
}

impl RetentionPlan {
    fn keep_held(&mut self, obj: PlannedObject) {
        let totals = self.tiers.entry(obj.tier.clone()).or_default();
        totals.held_objects += 1;
        totals.held_bytes += obj.size;
        self.held.push(obj);
    }
}

/// An object a run meant to delete and could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedDeletion {
    pub key: String,
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionRun {
    pub deleted: usize,
    pub deleted_bytes: u64,
    /// The digest holding the run's receipts, when anything was to be deleted.
    pub receipt_digest: Option<String>,
    /// Objects the store refused or failed to delete; the receipt names them, and the next run
    /// deletes them once nothing keeps them.
    pub failed: Vec<FailedDeletion>,
}

/// Carries out a plan: writes one receipt per tier into the retention chain, signed, then
/// deletes in batches, every version of each object, so that nothing of it remains on a
/// versioned bucket. An object the store does not delete (a lock or legal hold set since the
/// plan, a failed request) is reported in [`RetentionRun::failed`] and the other batches go on;
/// the receipt names it and the next run deletes it.
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
    for objects in plan.delete.chunks(cfg.delete_batch.max(1)) {
        let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
        let failed = match store.delete_all_versions(&keys).await {
            Ok(()) => Vec::new(),
            Err(e) => e.failed,
        };
        for o in objects {
            match failed.iter().find(|(k, _)| *k == o.key) {
                Some((_, e)) => {
                    tracing::warn!(key = %o.key, error = %e, "retention could not delete an object");
                    run.failed.push(FailedDeletion {
                        key: o.key.clone(),
                        error: e.to_string(),
                    });
                }
                None => {
                    run.deleted += 1;
                    run.deleted_bytes += o.size;
                }
            }
        }
        tracing::info!(
            objects = keys.len(),
            failed = failed.len(),
            "retention deleted a batch"
        );
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_archive::verify::{VerifyOptions, verify_archive};
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

    /// A one-event Parquet object of an event at `time`, read by the agent at `observed`.
    fn object(time: &str, observed: &str) -> Bytes {
        let event = auditlake_event::AuditEvent {
            event_id: "e".into(),
            time: t(time).timestamp_micros(),
            observed_time: Some(t(observed).timestamp_micros()),
            category: "authentication".into(),
            action: "authentication.login".into(),
            ..Default::default()
        };
        auditlake_archive::writer::encode_parquet(
            &[event],
            &auditlake_archive::writer::WriterOptions::default(),
        )
        .unwrap()
        .bytes
    }

    /// Stores an object of `tier` with one event at `time`, read at `observed`; its key.
    async fn put_event(
        store: &dyn ObjectStore,
        tier: &str,
        time: &str,
        observed: &str,
        seq: u64,
    ) -> String {
        let micros = t(time).timestamp_micros();
        let date = auditlake_event::micros_to_datetime(micros).date_naive();
        let key = auditlake_archive::layout::ObjectKey::new(tier, date, "idp", micros, seq)
            .unwrap()
            .to_key();
        store
            .put(&key, object(time, observed), &PutOptions::default())
            .await
            .unwrap();
        key
    }

    #[tokio::test]
    async fn plan_deletes_expired_objects_except_held_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let mut keys = Vec::new();
        for (i, (tier, day)) in [
            ("standard", "2020-01-01"),
            ("standard", "2020-06-01"),
            ("standard", "2026-01-01"),
            ("security", "2020-01-01"),
        ]
        .into_iter()
        .enumerate()
        {
            let time = format!("{day}T10:00:00Z");
            keys.push(put_event(&store, tier, &time, &time, i as u64).await);
        }
        let size = store.head(&keys[0]).await.unwrap().size;
        let hold = Hold {
            name: "case-1".into(),
            reason: "litigation".into(),
            created_at: t("2026-01-01T00:00:00Z"),
            created_by: None,
            filter: auditlake_filter::FilterSpec {
                since: Some("2020-05-01T00:00:00Z".into()),
                until: Some("2020-07-01T00:00:00.000001Z".into()),
                ..Default::default()
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
            [keys[0].as_str()]
        );
        assert_eq!(plan.delete[0].written_at, t("2020-01-01T10:00:00Z"));
        assert_eq!(plan.held[0].key, keys[1]);
        assert_eq!(plan.held[0].held_by.as_deref(), Some("case-1"));
        assert_eq!(plan.tiers["standard"].delete_bytes, size);
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
        assert!(!store.exists(&keys[0]).await.unwrap());
        assert!(store.exists(&keys[1]).await.unwrap());
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

    #[tokio::test]
    async fn event_timed_year_one_is_not_deleted_by_next_retention_run() {
        // Retention counted from the event date: a line timed 0001-01-01 was planned for
        // deletion at the next run ("expired 0001-01-02" plus the retention).
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let observed = "2026-11-30T12:00:00Z";
        let key = put_event(&store, "standard", "0001-01-01T00:00:00Z", observed, 0).await;
        let cfg = RetentionConfig::default();
        let next_run = plan_retention(&store, &tiers(), &[], &cfg, t("2026-12-01T00:00:00Z"))
            .await
            .unwrap();
        assert!(next_run.delete.is_empty(), "{:?}", next_run.delete);
        // One day before its tier's retention after the write, still kept; then deleted.
        let before = plan_retention(&store, &tiers(), &[], &cfg, t("2027-11-30T23:59:59Z"))
            .await
            .unwrap();
        assert!(before.delete.is_empty(), "{:?}", before.delete);
        let due = plan_retention(&store, &tiers(), &[], &cfg, t("2027-12-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(due.delete.len(), 1);
        assert_eq!(due.delete[0].key, key);
        assert_eq!(due.delete[0].written_at, t(observed));
        assert_eq!(due.delete[0].expired_at, t("2027-12-01T00:00:00Z"));
    }

    #[tokio::test]
    async fn event_timed_year_9999_expires_a_retention_after_it_was_written() {
        // Retention counted from the event date: a line timed 9999-12-31 was never deleted.
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let observed = "2026-11-30T12:00:00Z";
        let key = put_event(&store, "standard", "9999-12-31T00:00:00Z", observed, 0).await;
        let cfg = RetentionConfig::default();
        let early = plan_retention(&store, &tiers(), &[], &cfg, t("2027-06-01T00:00:00Z"))
            .await
            .unwrap();
        assert!(early.delete.is_empty(), "{:?}", early.delete);
        // The store's last change (now, in this test) makes it a candidate once its retention
        // has passed; its footer says when it was written.
        let later = plan_retention(&store, &tiers(), &[], &cfg, t("2030-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(later.delete.len(), 1);
        assert_eq!(later.delete[0].key, key);
        assert_eq!(later.delete[0].expired_at, t("2027-12-01T00:00:00Z"));
    }

    #[tokio::test]
    async fn backfilled_old_events_are_kept_a_retention_after_they_were_written() {
        // Events of 2020 read in 2026: the event date says expired, the write date does not.
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        put_event(
            &store,
            "standard",
            "2020-03-01T08:00:00Z",
            "2026-11-30T12:00:00Z",
            0,
        )
        .await;
        let plan = plan_retention(
            &store,
            &tiers(),
            &[],
            &RetentionConfig::default(),
            t("2027-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
        assert!(plan.delete.is_empty(), "{:?}", plan.delete);
    }

    /// A local store whose objects carry the Object Lock state a test gives them, refusing to
    /// delete what it locks, as S3 does.
    #[derive(Debug)]
    struct LockingStore {
        inner: LocalStore,
        locks: BTreeMap<String, auditlake_storage::LockState>,
        clock: DateTime<Utc>,
    }

    #[async_trait::async_trait]
    impl ObjectStore for LockingStore {
        async fn put(
            &self,
            key: &str,
            data: Bytes,
            opts: &PutOptions,
        ) -> auditlake_storage::Result<()> {
            self.inner.put(key, data, opts).await
        }
        async fn get(&self, key: &str) -> auditlake_storage::Result<Bytes> {
            self.inner.get(key).await
        }
        async fn get_range(
            &self,
            key: &str,
            range: std::ops::Range<u64>,
        ) -> auditlake_storage::Result<Bytes> {
            self.inner.get_range(key, range).await
        }
        async fn head(
            &self,
            key: &str,
        ) -> auditlake_storage::Result<auditlake_storage::ObjectMeta> {
            self.inner.head(key).await
        }
        async fn list(
            &self,
            prefix: &str,
        ) -> auditlake_storage::Result<Vec<auditlake_storage::ObjectMeta>> {
            self.inner.list(prefix).await
        }
        async fn delete(&self, key: &str) -> auditlake_storage::Result<()> {
            match self.locks.get(key) {
                Some(l) if l.blocks_delete_at(self.clock) => Err(StorageError::AccessDenied {
                    key: key.to_string(),
                    message: "locked".into(),
                }),
                _ => self.inner.delete(key).await,
            }
        }
        async fn object_lock(
            &self,
            key: &str,
        ) -> auditlake_storage::Result<auditlake_storage::LockState> {
            self.inner.head(key).await?;
            Ok(self.locks.get(key).cloned().unwrap_or_default())
        }
        fn describe(&self) -> String {
            self.inner.describe()
        }
    }

    #[tokio::test]
    async fn plan_keeps_locked_and_legally_held_objects_and_the_run_reports_refusals() {
        use auditlake_storage::{LockMode, LockState, ObjectLock};
        let dir = tempfile::tempdir().unwrap();
        let clock = t("2026-06-01T00:00:00Z");
        let key = |date: &str, n: u32| {
            format!(
                "tier=standard/event_date={date}/idp-{}T000000Z-{n:08}.parquet",
                date.replace('-', "")
            )
        };
        let (free, locked, governed, held, lock_ended) = (
            key("2020-01-01", 0),
            key("2020-01-02", 1),
            key("2020-01-03", 2),
            key("2020-01-04", 3),
            key("2020-01-05", 4),
        );
        let lock = |mode, until: &str| LockState {
            retention: Some(ObjectLock {
                mode,
                retain_until: t(until),
            }),
            legal_hold: false,
        };
        let mut locks = BTreeMap::new();
        locks.insert(
            locked.clone(),
            lock(LockMode::Compliance, "2027-01-01T00:00:00Z"),
        );
        locks.insert(
            governed.clone(),
            lock(LockMode::Governance, "2026-07-01T00:00:00Z"),
        );
        locks.insert(
            held.clone(),
            LockState {
                retention: None,
                legal_hold: true,
            },
        );
        locks.insert(
            lock_ended.clone(),
            lock(LockMode::Compliance, "2021-01-06T00:00:00Z"),
        );
        let store = LockingStore {
            inner: LocalStore::new(dir.path()).unwrap(),
            locks,
            clock,
        };
        for (i, k) in [&free, &locked, &governed, &held, &lock_ended]
            .iter()
            .enumerate()
        {
            store
                .put(k, Bytes::from(vec![b'x'; i + 1]), &PutOptions::default())
                .await
                .unwrap();
        }
        let cfg = RetentionConfig::default();
        // Retention judged far ahead, locks at the store's present.
        let plan = plan_retention_at(
            &store,
            &tiers(),
            &[],
            &cfg,
            t("2030-01-01T00:00:00Z"),
            clock,
        )
        .await
        .unwrap();
        let keys = |v: &[PlannedObject]| v.iter().map(|o| o.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&plan.delete), [free.clone(), lock_ended.clone()]);
        assert_eq!(keys(&plan.locked), [locked.clone(), governed.clone()]);
        assert_eq!(keys(&plan.held), std::slice::from_ref(&held));
        assert!(plan.held[0].legal_hold && plan.held[0].held_by.is_none());
        assert_eq!(plan.locked[0].lock_mode, Some(ObjectLockMode::Compliance));
        assert_eq!(plan.locked[1].lock_mode, Some(ObjectLockMode::Governance));
        assert_eq!(plan.locked[1].locked_until, Some(t("2026-07-01T00:00:00Z")));
        assert_eq!(
            plan.tiers["standard"],
            TierTotals {
                delete_objects: 2,
                delete_bytes: 1 + 5,
                held_objects: 1,
                held_bytes: 4,
                locked_objects: 2,
                locked_bytes: 2 + 3,
            }
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["locked"][0]["lock_mode"], "COMPLIANCE");
        assert_eq!(json["held"][0]["legal_hold"], true);
        assert!(json["delete"][0].get("legal_hold").is_none());

        // Once the governance lock has ended it goes too.
        let later = plan_retention_at(
            &store,
            &tiers(),
            &[],
            &cfg,
            t("2030-01-01T00:00:00Z"),
            t("2026-08-01T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(keys(&later.locked), std::slice::from_ref(&locked));
        assert!(later.delete.iter().any(|o| o.key == governed));

        let signer = Arc::new(DigestSigner::generate());
        let run = apply_retention(&store, &plan, signer.clone(), &cfg)
            .await
            .unwrap();
        assert_eq!((run.deleted, run.deleted_bytes), (2, 6));
        assert!(run.failed.is_empty());
        for k in [&locked, &governed, &held] {
            assert!(store.exists(k).await.unwrap(), "{k} kept");
        }
        // A plan made with a lock clock the store does not share: the refusal is reported per
        // key, the other deletions go on.
        let stale = plan_retention_at(
            &store,
            &tiers(),
            &[],
            &cfg,
            t("2030-01-01T00:00:00Z"),
            t("2026-08-01T00:00:00Z"),
        )
        .await
        .unwrap();
        let run = apply_retention(&store, &stale, signer.clone(), &cfg)
            .await
            .unwrap();
        assert_eq!(run.deleted, 0);
        assert_eq!(
            run.failed.iter().map(|f| f.key.clone()).collect::<Vec<_>>(),
            std::slice::from_ref(&governed)
        );
        assert!(run.failed[0].error.contains(&governed), "{:?}", run.failed);
        let r = verify_archive(
            &store,
            &[signer.public_key().clone()],
            &VerifyOptions::default(),
        )
        .await
        .unwrap();
        // Only the kept objects, which no source digest lists here, are reported: the receipt
        // of the refused deletion is lawful and names no early deletion.
        let unlisted: Vec<String> = r
            .findings
            .iter()
            .map(|f| match f {
                auditlake_archive::verify::Finding::ObjectUnlisted { key, .. } => key.clone(),
                other => panic!("unexpected finding {other:?}"),
            })
            .collect();
        assert_eq!(unlisted, [locked, governed, held]);
    }
}

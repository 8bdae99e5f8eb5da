//! Compaction: merging a partition's small objects into sorted objects of about a target size
//! (infrequent-access and archive storage classes bill small objects badly).
//!
//! Objects are merged per partition (tier and event date) **and per source**, so that every
//! output holds one source's events and the digests' per-source sequence checks keep working:
//! an output's sequence range covers exactly the events of its inputs. Objects of at least the
//! target size are left alone; the others are taken in key order (first event time) and cut
//! into groups of about the target size; a group of one object is left alone. Objects under
//! Object Lock (their tier locks them and the retain-until date is still ahead) or covered by
//! a legal hold are skipped and reported, since their inputs could not be deleted.
//!
//! Each group is one job of the rewrite protocol of [`crate::rewrite`]: output written first,
//! then one signed receipt in the [`COMPACTION_CHAIN`](auditlake_archive::digest::COMPACTION_CHAIN) naming
//! inputs and outputs, then the inputs deleted. A run killed at any point is finished or rolled
//! back by the next one; `auditlake query` sees every event once throughout.
//!
//! Memory: a group's rows are decoded whole to sort them, about ten times the target size.

use std::collections::BTreeMap;
use std::sync::Arc;

use auditlake_storage::ObjectStore;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::hold::Hold;
use crate::rewrite::{self, Marker, PreparedJob, RewriteRun, job_id, object_entry, output_seq};
use auditlake_archive::Result;
use auditlake_archive::digest::{DeletedObject, ReceiptKind};
use auditlake_archive::layout::{ObjectKey, parse_data_key, tier_prefix};
use auditlake_archive::merge::{self, ObjectMerger};
use auditlake_archive::signing::DigestSigner;
use auditlake_archive::tier::TierConfig;
use auditlake_archive::writer::{ArchiveWriter, WriterOptions};

/// The default target size of a compacted object.
pub const DEFAULT_TARGET_BYTES: u64 = 128 * 1024 * 1024;

/// What a compaction run looks at.
#[derive(Debug, Clone)]
pub struct CompactionOptions {
    /// Only this tier; every configured tier when `None`.
    pub tier: Option<String>,
    /// Only event dates from this one on.
    pub since: Option<NaiveDate>,
    /// Only event dates up to this one.
    pub until: Option<NaiveDate>,
    /// About this many bytes per output object.
    pub target_bytes: u64,
    /// How outputs are written (the agent's options).
    pub writer: WriterOptions,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            tier: None,
            since: None,
            until: None,
            target_bytes: DEFAULT_TARGET_BYTES,
            writer: WriterOptions::default(),
        }
    }
}

/// One object of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedInput {
    pub key: String,
    pub size: u64,
}

/// Objects of one partition and source merged into one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompactionGroup {
    pub tier: String,
    pub event_date: NaiveDate,
    pub source: String,
    pub inputs: Vec<PlannedInput>,
    pub bytes: u64,
}

/// An object left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedObject {
    pub key: String,
    pub reason: String,
}

/// What a run merges and skips.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompactionPlan {
    pub now: DateTime<Utc>,
    pub groups: Vec<CompactionGroup>,
    pub skipped: Vec<SkippedObject>,
    /// Objects looked at.
    pub objects: usize,
}

/// Why an object cannot be replaced now: Object Lock still running, or a legal hold. `None`
/// when it can.
///
/// For a tier with Object Lock the store is asked for the object's lock, since the retain-until
/// counts from when the object was written, which its key does not tell.
pub async fn protection(
    store: &dyn ObjectStore,
    tier: Option<&TierConfig>,
    holds: &[Hold],
    key: &ObjectKey,
    now: DateTime<Utc>,
) -> Option<String> {
    if let Some(t) = tier
        && let Some(mode) = t.object_lock
    {
        match store.object_lock(&key.to_key()).await {
            Ok(lock) if lock.legal_hold => return Some("object legal hold".to_string()),
            Ok(lock) => {
                if let Some(r) = lock.retention.filter(|r| now < r.retain_until) {
                    return Some(format!("object lock ({mode:?}) until {}", r.retain_until));
                }
            }
            Err(e) => return Some(format!("cannot read its object lock: {e}")),
        }
    }
    for h in holds {
        if h.covers(store, key).await {
            return Some(format!("legal hold {}", h.name));
        }
    }
    None
}

/// Plans a run at `now`.
pub async fn plan_compaction(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    opts: &CompactionOptions,
    now: DateTime<Utc>,
) -> Result<CompactionPlan> {
    let mut plan = CompactionPlan {
        now,
        ..CompactionPlan::default()
    };
    let view = rewrite::RewriteView::load(store).await?;
    for tier in tiers
        .iter()
        .filter(|t| opts.tier.as_deref().is_none_or(|n| n == t.name))
    {
        let listed = store.list(&tier_prefix(&tier.name)).await?;
        // Objects an unfinished rewrite is replacing are not planned again.
        let hidden = view.hidden(listed.iter().map(|m| m.key.as_str()));
        let mut by_part: BTreeMap<(NaiveDate, String), Vec<(ObjectKey, u64)>> = BTreeMap::new();
        for m in listed {
            let Ok(key) = parse_data_key(&m.key) else {
                continue;
            };
            let in_range = opts.since.is_none_or(|s| key.event_date >= s)
                && opts.until.is_none_or(|u| key.event_date <= u);
            if !in_range || hidden.contains(&m.key) {
                continue;
            }
            plan.objects += 1;
            if m.size >= opts.target_bytes {
                continue;
            }
            if let Some(reason) = protection(store, Some(tier), holds, &key, now).await {
                plan.skipped.push(SkippedObject { key: m.key, reason });
                continue;
            }
            by_part
                .entry((key.event_date, key.source.clone()))
                .or_default()
                .push((key, m.size));
        }
        for ((date, source), mut objects) in by_part {
            objects.sort_by_key(|(k, _)| (k.first_time, k.object_seq));
            let mut group: Vec<PlannedInput> = Vec::new();
            let mut bytes = 0;
            let mut flush = |group: &mut Vec<PlannedInput>, bytes: &mut u64| {
                if group.len() >= 2 {
                    plan.groups.push(CompactionGroup {
                        tier: tier.name.clone(),
                        event_date: date,
                        source: source.clone(),
                        inputs: std::mem::take(group),
                        bytes: *bytes,
                    });
                } else {
                    group.clear();
                }
                *bytes = 0;
            };
            for (key, size) in objects {
                if bytes > 0 && bytes + size > opts.target_bytes {
                    flush(&mut group, &mut bytes);
                }
                group.push(PlannedInput {
                    key: key.to_key(),
                    size,
                });
                bytes += size;
            }
            flush(&mut group, &mut bytes);
        }
    }
    Ok(plan)
}

/// Reads and merges one group into its prepared job.
async fn prepare(
    store: &dyn ObjectStore,
    group: &CompactionGroup,
    n: usize,
    now: DateTime<Utc>,
    opts: &CompactionOptions,
) -> Result<Option<PreparedJob>> {
    // One input at a time into sorted runs on disk, then merged: memory stays bounded whatever
    // the group adds up to (see `auditlake_archive::merge`).
    let mut merger = ObjectMerger::new(&opts.writer, merge::DEFAULT_RUN_ROWS)?;
    let mut inputs = Vec::new();
    for i in &group.inputs {
        let bytes = match store.get(&i.key).await {
            Ok(b) => b,
            Err(auditlake_storage::StorageError::NotFound { .. }) => {
                tracing::warn!(key = %i.key, "object gone since planning, group skipped");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        inputs.push(DeletedObject {
            key: i.key.clone(),
            size: bytes.len() as u64,
            retain_until: None,
        });
        merger.add_object(bytes, &i.key)?;
    }
    let obj = merger.finish()?;
    let key = ObjectKey::new(
        &group.tier,
        group.event_date,
        &group.source,
        obj.min_time,
        output_seq(now, n, 0),
    )?;
    let marker = Marker {
        job: job_id(ReceiptKind::Compaction, now, n),
        kind: ReceiptKind::Compaction,
        policy: format!(
            "compaction: tier {}, event_date {}, source {}, target_bytes {}",
            group.tier, group.event_date, group.source, opts.target_bytes
        ),
        time: now,
        inputs,
        outputs: vec![object_entry(&key, &obj)],
        erased: vec![],
    };
    Ok(Some(PreparedJob {
        marker,
        outputs: vec![(key, obj)],
    }))
}

/// Carries out a plan (after finishing or rolling back what an interrupted run left).
pub async fn apply_compaction(
    writer: &ArchiveWriter,
    plan: &CompactionPlan,
    signer: Arc<DigestSigner>,
    opts: &CompactionOptions,
) -> Result<RewriteRun> {
    if plan.groups.len() > rewrite::MAX_JOBS_PER_RUN {
        return Err(auditlake_archive::ArchiveError::config(
            "compact",
            format!(
                "{} groups is more than one run takes ({}): narrow it with --tier or --date",
                plan.groups.len(),
                rewrite::MAX_JOBS_PER_RUN
            ),
        ));
    }
    let store = &**writer.store();
    let now = plan.now;
    let mut run = rewrite::run_jobs(
        writer,
        ReceiptKind::Compaction,
        signer,
        now,
        plan.groups
            .iter()
            .enumerate()
            .map(|(n, g)| prepare(store, g, n, now, opts)),
    )
    .await?;
    run.rows_in = run.rows_out;
    Ok(run)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use arrow::array::RecordBatch;
    use auditlake_archive::digest::COMPACTION_CHAIN;
    use auditlake_archive::verify::{VerifyOptions, verify_archive};
    use auditlake_archive::writer::{EncodedObject, encode_parquet};
    use auditlake_event::{AuditEvent, SourceInfo};
    use auditlake_storage::LocalStore;

    /// 2026-11-21T00:00:00Z in microseconds.
    const DAY: i64 = 1_795_219_200_000_000;

    pub(crate) fn event(i: u64, actor: &str) -> AuditEvent {
        AuditEvent {
            event_id: format!("ev-{i:04}"),
            seq: Some(i),
            time: DAY + i as i64 * 1_000_000,
            category: "authentication".into(),
            action: "authentication.login".into(),
            actor_id: Some(actor.to_string()),
            actor_email: Some(format!("{actor}@example.com")),
            src_ip: Some("192.0.2.1".into()),
            source: Arc::new(SourceInfo {
                app: "idp".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(crate) fn tiers() -> Vec<TierConfig> {
        toml::from_str::<BTreeMap<String, Vec<TierConfig>>>(
            "[[tiers]]\nname = \"standard\"\nretention_days = 365\n",
        )
        .unwrap()
        .remove("tiers")
        .unwrap()
    }

    /// Writes objects of 3 events each (seqs 0..3n) of one partition, digested as the agent
    /// does. Returns the store's writer and the signer.
    pub(crate) async fn archive(
        dir: &std::path::Path,
        objects: u64,
    ) -> (ArchiveWriter, Arc<DigestSigner>) {
        archive_with_version_1(dir, objects, &[]).await
    }

    /// `obj` as the build before schema version 2 wrote it: `seq` and `source_offset` unsigned,
    /// schema version 1 in the footer.
    pub(crate) fn as_version_1(obj: &EncodedObject) -> EncodedObject {
        use arrow::datatypes::{DataType, Field, Schema};
        use parquet::arrow::ArrowWriter;
        use parquet::file::metadata::KeyValue;
        use parquet::file::properties::WriterProperties;
        let new = auditlake_event::arrow_schema();
        let old = Arc::new(Schema::new(
            new.fields()
                .iter()
                .map(|f| match f.name().as_str() {
                    "seq" | "source_offset" => Field::new(f.name(), DataType::UInt64, true),
                    _ => f.as_ref().clone(),
                })
                .collect::<Vec<_>>(),
        ));
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(
                auditlake_event::SCHEMA_VERSION_KEY.to_string(),
                "1".to_string(),
            )]))
            .build();
        let mut w = ArrowWriter::try_new(Vec::new(), old.clone(), Some(props)).unwrap();
        for b in auditlake_archive::reader::decode_parquet(obj.bytes.clone()).unwrap() {
            let cols = b
                .columns()
                .iter()
                .zip(old.fields())
                .map(|(c, f)| arrow::compute::cast(c, f.data_type()).unwrap())
                .collect();
            w.write(&RecordBatch::try_new(old.clone(), cols).unwrap())
                .unwrap();
        }
        let bytes = bytes::Bytes::from(w.into_inner().unwrap());
        EncodedObject {
            sha256: auditlake_archive::writer::sha256_hex(&bytes),
            bytes,
            ..obj.clone()
        }
    }

    /// [`archive`], with the objects numbered in `version_1` written as [`as_version_1`].
    pub(crate) async fn archive_with_version_1(
        dir: &std::path::Path,
        objects: u64,
        version_1: &[u64],
    ) -> (ArchiveWriter, Arc<DigestSigner>) {
        let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::new(dir).unwrap());
        let writer = ArchiveWriter::new(store.clone(), tiers()).unwrap();
        let signer = Arc::new(DigestSigner::generate());
        let now = DateTime::from_timestamp_micros(DAY).unwrap();
        let mut w =
            auditlake_archive::DigestWriter::open(&*store, "idp", signer.clone(), None, now)
                .await
                .unwrap();
        for o in 0..objects {
            let events: Vec<AuditEvent> = (o * 3..o * 3 + 3)
                .map(|i| event(i, ["alice", "bob"][(i % 2) as usize]))
                .collect();
            let mut obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
            if version_1.contains(&o) {
                obj = as_version_1(&obj);
            }
            let key = ObjectKey::new(
                "standard",
                NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
                "idp",
                obj.min_time,
                1_000 + o,
            )
            .unwrap();
            writer.put_object(&key, &obj).await.unwrap();
            w.record(object_entry(&key, &obj)).unwrap();
        }
        w.write_digest(&*store, now).await.unwrap();
        (writer, signer)
    }

    async fn event_ids(store: &dyn ObjectStore) -> Vec<String> {
        use arrow::array::AsArray;
        let mut ids = Vec::new();
        for m in store.list("tier=").await.unwrap() {
            for b in auditlake_archive::reader::read_object(store, &m.key)
                .await
                .unwrap()
            {
                let c = b["event_id"].as_string::<i32>();
                ids.extend((0..b.num_rows()).map(|i| c.value(i).to_string()));
            }
        }
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn merges_small_objects_into_one_that_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive(dir.path(), 5).await;
        let store = &**writer.store();
        let before = event_ids(store).await;
        let now = Utc::now();
        let opts = CompactionOptions::default();
        let plan = plan_compaction(store, writer.tiers(), &[], &opts, now)
            .await
            .unwrap();
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(plan.groups[0].inputs.len(), 5);
        let run = apply_compaction(&writer, &plan, signer.clone(), &opts)
            .await
            .unwrap();
        assert_eq!((run.jobs, run.replaced, run.written), (1, 5, 1));
        assert_eq!(run.rows_out, 15);
        let listed = store.list("tier=").await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(store.list("_rewrites/").await.unwrap().is_empty());
        assert_eq!(event_ids(store).await, before);
        // Sorted by actor then time, as the agent writes.
        let b = auditlake_archive::reader::read_object(store, &listed[0].key)
            .await
            .unwrap();
        use arrow::array::AsArray;
        let actors = b[0]["actor_id"].as_string::<i32>();
        let first_bob = (0..b[0].num_rows())
            .position(|i| actors.value(i) == "bob")
            .unwrap();
        assert!((first_bob..b[0].num_rows()).all(|i| actors.value(i) == "bob"));

        let keys = [signer.public_key().clone()];
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
        assert_eq!(r.objects_replaced, 5);
        assert!(
            store
                .list(&auditlake_archive::layout::digest_prefix(COMPACTION_CHAIN))
                .await
                .unwrap()
                .len()
                == 1
        );

        // Nothing left to merge.
        let again = plan_compaction(store, writer.tiers(), &[], &opts, now)
            .await
            .unwrap();
        assert!(again.groups.is_empty());
    }

    #[tokio::test]
    async fn merges_version_1_objects_with_version_2_ones() {
        // Objects written before schema version 2 hold unsigned seq and source_offset.
        use arrow::array::AsArray;
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive_with_version_1(dir.path(), 4, &[0, 2]).await;
        let store = &**writer.store();
        let keys = [signer.public_key().clone()];
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
        let before = event_ids(store).await;
        let opts = CompactionOptions::default();
        let plan = plan_compaction(store, writer.tiers(), &[], &opts, Utc::now())
            .await
            .unwrap();
        assert_eq!(plan.groups[0].inputs.len(), 4);
        let run = apply_compaction(&writer, &plan, signer.clone(), &opts)
            .await
            .unwrap();
        assert_eq!((run.replaced, run.written, run.rows_out), (4, 1, 12));
        assert_eq!(event_ids(store).await, before);
        let listed = store.list("tier=").await.unwrap();
        let b = auditlake_archive::reader::read_object(store, &listed[0].key)
            .await
            .unwrap();
        let mut seqs: Vec<i64> = b
            .iter()
            .flat_map(|b| {
                b["seq"]
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        seqs.sort();
        assert_eq!(seqs, (0..12).collect::<Vec<i64>>());
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
    }

    #[tokio::test]
    async fn an_interrupted_run_is_rolled_back_or_finished_and_verify_says_so() {
        use auditlake_archive::verify::Finding;
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive(dir.path(), 4).await;
        let store = &**writer.store();
        let before = event_ids(store).await;
        let keys = [signer.public_key().clone()];
        let now = Utc::now();
        let opts = CompactionOptions::default();
        let plan = plan_compaction(store, writer.tiers(), &[], &opts, now)
            .await
            .unwrap();
        let job = prepare(store, &plan.groups[0], 0, now, &opts)
            .await
            .unwrap()
            .unwrap();
        let marker_opts = auditlake_storage::PutOptions::default();
        let marker = job.marker.clone();

        // The marker only: verify names the job, a recovery rolls it back.
        store
            .put(&marker.key(), marker.to_bytes(), &marker_opts)
            .await
            .unwrap();
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(
            matches!(&r.findings[..], [Finding::RewriteIncomplete { job, .. }] if *job == marker.job),
            "{:?}",
            r.findings
        );
        let run = rewrite::recover(store, signer.clone(), now).await.unwrap();
        assert_eq!(run.rolled_back, std::slice::from_ref(&marker.job));
        assert_eq!(event_ids(store).await, before);
        assert!(store.list("_rewrites/").await.unwrap().is_empty());

        // Marker and output: rolled forward, with a receipt.
        store
            .put(&marker.key(), marker.to_bytes(), &marker_opts)
            .await
            .unwrap();
        let (okey, obj) = &job.outputs[0];
        writer.put_object(okey, obj).await.unwrap();
        let run = rewrite::recover(store, signer.clone(), now).await.unwrap();
        assert_eq!(run.recovered_forward, std::slice::from_ref(&marker.job));
        assert!(run.receipt_digest.is_some());
        assert_eq!(event_ids(store).await, before);
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);

        // An input put back after its replacement: its events are there twice.
        let input = &marker.inputs[0].key;
        // The same objects, written again elsewhere, are byte for byte the originals.
        let other = tempfile::tempdir().unwrap();
        let (w2, _) = archive(other.path(), 4).await;
        let original = w2.store().get(input).await.unwrap();
        store.put(input, original, &marker_opts).await.unwrap();
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(
            matches!(&r.findings[..], [Finding::ReplacedObjectPresent { key, .. }] if key == input),
            "{:?}",
            r.findings
        );
    }

    #[tokio::test]
    async fn groups_follow_the_target_size_and_holds_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, _) = archive(dir.path(), 6).await;
        let store = &**writer.store();
        let size = store.list("tier=").await.unwrap()[0].size;
        let opts = CompactionOptions {
            target_bytes: size * 2 + size / 2,
            ..CompactionOptions::default()
        };
        let plan = plan_compaction(store, writer.tiers(), &[], &opts, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            plan.groups
                .iter()
                .map(|g| g.inputs.len())
                .collect::<Vec<_>>(),
            [2, 2, 2]
        );
        let hold = Hold {
            name: "case-1".into(),
            reason: "r".into(),
            created_at: Utc::now(),
            created_by: None,
            filter: auditlake_filter::FilterSpec {
                actors: vec!["alice".into()],
                ..Default::default()
            },
        };
        let plan = plan_compaction(store, writer.tiers(), &[hold], &opts, Utc::now())
            .await
            .unwrap();
        assert!(plan.groups.is_empty());
        assert_eq!(plan.skipped.len(), 6);
        assert_eq!(plan.skipped[0].reason, "legal hold case-1");
    }
}

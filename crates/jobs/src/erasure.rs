//! Erasure of a data subject's events (a GDPR erasure request, or a deleted user's events after
//! `[retention] deleted_user_retention_days`).
//!
//! The subject's events are the rows whose `actor_id`, `actor_name` or `actor_email` equals the
//! subject, selected by the [`auditlake_filter::Filter`] of `auditlake query --actor`, within the
//! rest of the same filter where one is given (`--since`, `--until`, ...); events in which the
//! subject is only the
//! resource acted on (an administrator's `account.user.delete` of them) are kept. Two modes,
//! from `[erasure] mode` or the command line:
//!
//! - `delete` (the default): the rows are removed. The receipt records the removed events'
//!   sequence numbers (numbers only), so that `auditlake verify` still proves every other event
//!   of the source is there.
//! - `pseudonymize`: the rows stay (counts, reports and sequence checks keep working) with
//!   `actor_id` replaced by a keyed pseudonym, `pseud-` and 32 hex digits of HMAC-SHA256(key,
//!   subject), the same for every event of the subject, and the other columns that identify or
//!   describe a person cleared: `actor_name`, `actor_email`, `src_ip`, `src_geo`, `user_agent`,
//!   `device_id`, `changes`, `message`, `attributes` and `raw`. The key comes from the
//!   environment variable [`PSEUDONYM_KEY_ENV`] or `[erasure] pseudonym_key_file`; without it the
//!   pseudonym could be recomputed from a guess of the subject by anyone.
//!
//! Every affected object is rewritten by the protocol of [`crate::rewrite`] (a new object
//! without the rows, then a signed receipt in [`ERASURE_CHAIN`](auditlake_archive::digest::ERASURE_CHAIN),
//! then the old object deleted). If any affected object is under Object Lock or covered by a
//! legal hold, the whole erasure is refused before anything is written, and the plan lists
//! those objects. The receipt names the subject only by the SHA-256 of its identifier.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, Scalar, StringArray};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use auditlake_filter::{Filter, FilterSpec};
use auditlake_secret::Secret;
use auditlake_storage::ObjectStore;
use chrono::{DateTime, Days, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::compaction::protection;
use crate::hold::Hold;
use crate::rewrite::{
    self, Marker, PreparedJob, RewriteRun, encode_batches, erased_spans, job_id, object_entry,
    output_seq, seqs_at,
};
use auditlake_archive::digest::{DeletedObject, ReceiptKind};
use auditlake_archive::layout::{ObjectKey, parse_data_key};
use auditlake_archive::signing::DigestSigner;
use auditlake_archive::tier::TierConfig;
use auditlake_archive::writer::{ArchiveWriter, WriterOptions, sha256_hex};
use auditlake_archive::{ArchiveError, Result};

/// The environment variable holding the pseudonym key; it takes precedence over
/// `[erasure] pseudonym_key_file`.
pub const PSEUDONYM_KEY_ENV: &str = "AUDITLAKE_PSEUDONYM_KEY";

/// The shortest pseudonym key accepted, in bytes.
pub const MIN_PSEUDONYM_KEY_BYTES: usize = 16;

/// The action whose events record a user's deletion.
pub const USER_DELETE_ACTION: &str = "account.user.delete";

/// The columns cleared in a pseudonymized row (`actor_id` gets the pseudonym).
pub const CLEARED_COLUMNS: &[&str] = &[
    "actor_name",
    "actor_email",
    "src_ip",
    "src_geo",
    "user_agent",
    "device_id",
    "changes",
    "message",
    "attributes",
    "raw",
];

/// What happens to a subject's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErasureMode {
    /// The rows are removed.
    #[default]
    Delete,
    /// The rows stay with a keyed pseudonym for the actor and personal columns cleared.
    Pseudonymize,
}

impl fmt::Display for ErasureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErasureMode::Delete => "delete",
            ErasureMode::Pseudonymize => "pseudonymize",
        })
    }
}

/// `[erasure]`: how `auditlake erase` treats a subject's events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureConfig {
    /// `delete` (the default) removes the subject's rows; `pseudonymize` keeps them with a keyed
    /// pseudonym for the actor and the personal columns cleared.
    #[serde(default)]
    pub mode: ErasureMode,
    /// A file holding the pseudonym key (at least 16 bytes; surrounding whitespace ignored).
    /// The environment variable `AUDITLAKE_PSEUDONYM_KEY`, holding the key itself, takes
    /// precedence.
    #[serde(default)]
    pub pseudonym_key_file: Option<PathBuf>,
}

impl ErasureConfig {
    /// Checks the values; pure.
    pub fn validate(&self) -> Result<()> {
        if self
            .pseudonym_key_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(ArchiveError::config(
                "erasure.pseudonym_key_file",
                "must not be empty",
            ));
        }
        Ok(())
    }

    /// Loads the pseudonym key: the environment variable, else the file; `None` when neither
    /// is set.
    pub fn pseudonym_key(&self) -> Result<Option<PseudonymKey>> {
        if let Ok(v) = std::env::var(PSEUDONYM_KEY_ENV).map(Secret::new) {
            return PseudonymKey::new(v.expose().trim().as_bytes(), PSEUDONYM_KEY_ENV).map(Some);
        }
        let Some(path) = &self.pseudonym_key_file else {
            return Ok(None);
        };
        let bytes = Secret::new(std::fs::read(path).map_err(|e| ArchiveError::io(path, e))?);
        let text = String::from_utf8_lossy(bytes.expose());
        PseudonymKey::new(text.trim().as_bytes(), path.display()).map(Some)
    }
}

/// The secret key of pseudonyms; never printed.
#[derive(Clone)]
pub struct PseudonymKey(Secret<Vec<u8>>);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PseudonymKey {
    /// A key from its bytes; `origin` names where they came from in errors.
    pub fn new(bytes: &[u8], origin: impl fmt::Display) -> Result<PseudonymKey> {
        if bytes.len() < MIN_PSEUDONYM_KEY_BYTES {
            return Err(ArchiveError::key(
                origin,
                format!("a pseudonym key needs at least {MIN_PSEUDONYM_KEY_BYTES} bytes"),
            ));
        }
        Ok(PseudonymKey(Secret::new(bytes.to_vec())))
    }

    /// The pseudonym of `subject`: `pseud-` and the first 32 hex digits of its HMAC-SHA256.
    pub fn pseudonym(&self, subject: &str) -> String {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose())
            .unwrap_or_else(|_| unreachable!("hmac accepts any key length"));
        mac.update(subject.as_bytes());
        let out = hex::encode(mac.finalize().into_bytes());
        format!("pseud-{}", &out[..32])
    }
}

/// An object holding some of the subjects' events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedObject {
    pub key: String,
    pub size: u64,
    pub rows: u64,
    /// Rows of the subjects.
    pub matching_rows: u64,
    /// The subjects it holds events of.
    pub subjects: Vec<String>,
}

/// An affected object that cannot be rewritten, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedObject {
    pub key: String,
    pub reason: String,
    pub subjects: Vec<String>,
}

/// What an erasure rewrites, and what stops it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasurePlan {
    pub now: DateTime<Utc>,
    pub mode: ErasureMode,
    /// The events erased: the subjects as `actors`, times resolved into instants.
    pub filter: FilterSpec,
    /// Objects read.
    pub objects_scanned: usize,
    pub affected: Vec<AffectedObject>,
    /// Affected objects under Object Lock or a legal hold: any of them refuses the erasure.
    pub refused: Vec<RefusedObject>,
    /// Rows of the subjects in all affected objects.
    pub matching_rows: u64,
}

/// The columns that name a row's subject.
const SUBJECT_COLUMNS: [&str; 3] = ["actor_id", "actor_email", "actor_name"];

/// Which of `subjects` row `i` of a selected row names (its pseudonym and the plan's list are
/// of that subject): the first of `actor_id`, `actor_email`, `actor_name` that is one.
fn subject_of<'a>(b: &RecordBatch, i: usize, subjects: &'a BTreeSet<String>) -> Option<&'a str> {
    SUBJECT_COLUMNS.iter().find_map(|c| {
        let col = b.column_by_name(c)?.as_string_opt::<i32>()?;
        if col.is_valid(i) {
            subjects.get(col.value(i)).map(String::as_str)
        } else {
            None
        }
    })
}

/// The subjects' filter of a plan: `filter` with its actors the subjects.
fn compiled(filter: &FilterSpec, now: DateTime<Utc>) -> Result<Filter> {
    Ok(filter.compile(now)?)
}

/// Finds the objects holding the events `filter` selects of its actors, the subjects (every
/// data object its tiers and time range allow is read), and which of them are protected. A
/// filter without actors erases nothing.
pub async fn plan_erasure(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    filter: &FilterSpec,
    mode: ErasureMode,
    now: DateTime<Utc>,
) -> Result<ErasurePlan> {
    let wanted: BTreeSet<String> = filter
        .actors
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    let mut plan = ErasurePlan {
        now,
        mode,
        ..ErasurePlan::default()
    };
    if wanted.is_empty() {
        return Ok(plan);
    }
    plan.filter = FilterSpec {
        actors: wanted.iter().cloned().collect(),
        ..filter.resolved(now)?
    };
    let selected = compiled(&plan.filter, now)?;
    let mut columns: BTreeSet<&str> = selected.columns();
    columns.extend(SUBJECT_COLUMNS);
    let columns: Vec<&str> = columns.into_iter().collect();
    let view = rewrite::RewriteView::load(store).await?;
    let listed = store.list("tier=").await?;
    let hidden = view.hidden(listed.iter().map(|m| m.key.as_str()));
    for m in listed {
        let Ok(key) = parse_data_key(&m.key) else {
            continue;
        };
        if hidden.contains(&m.key) || !selected.may_match_partition(&key.tier, key.event_date) {
            continue;
        }
        plan.objects_scanned += 1;
        let batches = auditlake_archive::reader::read_columns(store, &m.key, &columns).await?;
        let mut found = BTreeSet::new();
        let (mut rows, mut hits) = (0u64, 0u64);
        for b in &batches {
            rows += b.num_rows() as u64;
            let mask = selected.evaluate(b)?;
            for i in (0..b.num_rows()).filter(|&i| mask.value(i)) {
                hits += 1;
                if let Some(s) = subject_of(b, i, &wanted) {
                    found.insert(s.to_string());
                }
            }
        }
        if hits == 0 {
            continue;
        }
        let subjects: Vec<String> = found.into_iter().collect();
        let tier = tiers.iter().find(|t| t.name == key.tier);
        if let Some(reason) = protection(store, tier, holds, &key, now).await {
            plan.refused.push(RefusedObject {
                key: m.key.clone(),
                reason,
                subjects: subjects.clone(),
            });
        }
        plan.matching_rows += hits;
        plan.affected.push(AffectedObject {
            key: m.key,
            size: m.size,
            rows,
            matching_rows: hits,
            subjects,
        });
    }
    Ok(plan)
}

/// The subjects' rows of `b` pseudonymized.
fn pseudonymize(
    b: &RecordBatch,
    mask: &BooleanArray,
    subjects: &BTreeSet<String>,
    key: &PseudonymKey,
) -> Result<RecordBatch> {
    let arrow_err = |source| ArchiveError::Arrow {
        context: "pseudonymizing rows",
        source,
    };
    let schema = b.schema();
    let mut columns = b.columns().to_vec();
    let actor_idx = schema.index_of("actor_id").map_err(arrow_err)?;
    let pseudonyms: StringArray = (0..b.num_rows())
        .map(|i| {
            mask.value(i)
                .then(|| subject_of(b, i, subjects).map(|s| key.pseudonym(s)))
                .flatten()
        })
        .collect();
    columns[actor_idx] = arrow::compute::kernels::zip::zip(mask, &pseudonyms, &columns[actor_idx])
        .map_err(arrow_err)?;
    let null = Scalar::new(arrow::array::new_null_array(&DataType::Utf8, 1));
    for name in CLEARED_COLUMNS {
        let idx = schema.index_of(name).map_err(arrow_err)?;
        columns[idx] =
            arrow::compute::kernels::zip::zip(mask, &null, &columns[idx]).map_err(arrow_err)?;
    }
    RecordBatch::try_new(schema, columns).map_err(arrow_err)
}

/// The subjects' identifiers as the receipt names them: SHA-256 of each.
fn subject_digests(subjects: &BTreeSet<String>) -> String {
    subjects
        .iter()
        .map(|s| format!("sha256:{}", sha256_hex(s.as_bytes())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rewrites one affected object into its prepared job.
#[allow(clippy::too_many_arguments)]
async fn prepare(
    store: &dyn ObjectStore,
    obj: &AffectedObject,
    selected: &Filter,
    subjects: &BTreeSet<String>,
    mode: ErasureMode,
    key: Option<&PseudonymKey>,
    policy: &str,
    n: usize,
    now: DateTime<Utc>,
    opts: &WriterOptions,
) -> Result<Option<PreparedJob>> {
    let okey = parse_data_key(&obj.key)?;
    let bytes = match store.get(&obj.key).await {
        Ok(b) => b,
        Err(auditlake_storage::StorageError::NotFound { .. }) => {
            tracing::warn!(key = %obj.key, "object gone since planning, skipped");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let size = bytes.len() as u64;
    let batches = auditlake_archive::reader::decode_parquet_named(bytes, &obj.key)?;
    let mut kept = Vec::new();
    let mut erased = Vec::new();
    let mut hits = 0;
    for b in &batches {
        let mask = selected.evaluate(b)?;
        hits += mask.true_count();
        match mode {
            ErasureMode::Delete => {
                let rows: Vec<usize> = (0..b.num_rows()).filter(|&i| mask.value(i)).collect();
                erased.extend(seqs_at(b, &rows));
                let keep = arrow::compute::not(&mask).map_err(|source| ArchiveError::Arrow {
                    context: "selecting rows",
                    source,
                })?;
                let filtered = arrow::compute::filter_record_batch(b, &keep).map_err(|source| {
                    ArchiveError::Arrow {
                        context: "selecting rows",
                        source,
                    }
                })?;
                if filtered.num_rows() > 0 {
                    kept.push(filtered);
                }
            }
            ErasureMode::Pseudonymize => {
                let key = key.ok_or_else(|| {
                    ArchiveError::config(
                        "erasure.pseudonym_key_file",
                        format!(
                            "mode pseudonymize needs a key: set {PSEUDONYM_KEY_ENV} or erasure.pseudonym_key_file"
                        ),
                    )
                })?;
                kept.push(pseudonymize(b, &mask, subjects, key)?);
            }
        }
    }
    if hits == 0 {
        return Ok(None);
    }
    let mut outputs = Vec::new();
    if !kept.is_empty() {
        let encoded = encode_batches(&kept, opts)?;
        let out_key = ObjectKey::new(
            &okey.tier,
            okey.event_date,
            &okey.source,
            encoded.min_time,
            output_seq(now, n, 0),
        )?;
        outputs.push((out_key, encoded));
    }
    let marker = Marker {
        job: job_id(ReceiptKind::Erasure, now, n),
        kind: ReceiptKind::Erasure,
        policy: policy.to_string(),
        time: now,
        inputs: vec![DeletedObject {
            key: obj.key.clone(),
            size,
            retain_until: None,
        }],
        outputs: outputs.iter().map(|(k, o)| object_entry(k, o)).collect(),
        erased: erased_spans(&okey.source, erased),
    };
    Ok(Some(PreparedJob { marker, outputs }))
}

/// Carries out a plan; refuses it whole, writing nothing, when any affected object is
/// protected. `reason` goes into the receipt's policy.
pub async fn apply_erasure(
    writer: &ArchiveWriter,
    plan: &ErasurePlan,
    signer: Arc<DigestSigner>,
    reason: &str,
    key: Option<&PseudonymKey>,
    opts: &WriterOptions,
) -> Result<RewriteRun> {
    if !plan.refused.is_empty() {
        return Err(ArchiveError::Protected {
            job: "erasure",
            objects: plan
                .refused
                .iter()
                .map(|r| format!("{} ({})", r.key, r.reason))
                .collect(),
        });
    }
    if plan.mode == ErasureMode::Pseudonymize && key.is_none() {
        return Err(ArchiveError::config(
            "erasure.pseudonym_key_file",
            format!(
                "mode pseudonymize needs a key: set {PSEUDONYM_KEY_ENV} or erasure.pseudonym_key_file"
            ),
        ));
    }
    if plan.affected.len() > rewrite::MAX_JOBS_PER_RUN {
        return Err(ArchiveError::config(
            "erase",
            format!(
                "{} objects is more than one run rewrites ({})",
                plan.affected.len(),
                rewrite::MAX_JOBS_PER_RUN
            ),
        ));
    }
    let subjects: BTreeSet<String> = plan
        .affected
        .iter()
        .flat_map(|a| a.subjects.iter().cloned())
        .collect();
    let policy = format!(
        "erasure ({}): subjects {}; {reason}",
        plan.mode,
        subject_digests(&subjects)
    );
    let store = &**writer.store();
    let now = plan.now;
    let selected = &compiled(
        &FilterSpec {
            actors: subjects.iter().cloned().collect(),
            ..plan.filter.clone()
        },
        now,
    )?;
    let subjects = &subjects;
    let policy = &policy;
    let mut run = rewrite::run_jobs(
        writer,
        ReceiptKind::Erasure,
        signer,
        now,
        plan.affected.iter().enumerate().map(|(n, a)| {
            prepare(
                store, a, selected, subjects, plan.mode, key, policy, n, now, opts,
            )
        }),
    )
    .await?;
    run.rows_in = plan.affected.iter().map(|a| a.rows).sum();
    Ok(run)
}

/// A user whose deletion the archive records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletedUser {
    pub subject: String,
    /// The latest recorded deletion.
    pub deleted_at: DateTime<Utc>,
    /// When their events are due for erasure.
    pub erase_at: DateTime<Utc>,
}

/// The users whose deletion (`account.user.delete`) is recorded: the deleted user is the
/// event's resource where it is of type `user`, else its actor (a user deleting themselves).
pub async fn find_deleted_users(
    store: &dyn ObjectStore,
    retention_days: u32,
) -> Result<Vec<DeletedUser>> {
    let view = rewrite::RewriteView::load(store).await?;
    let listed = store.list("tier=").await?;
    let hidden = view.hidden(listed.iter().map(|m| m.key.as_str()));
    let mut latest: BTreeMap<String, i64> = BTreeMap::new();
    for m in listed {
        if parse_data_key(&m.key).is_err() || hidden.contains(&m.key) {
            continue;
        }
        let columns = ["action", "actor_id", "resource_type", "resource_id", "time"];
        for b in auditlake_archive::reader::read_columns(store, &m.key, &columns).await? {
            let col = |name: &str| {
                b.column_by_name(name)
                    .and_then(|c| c.as_string_opt::<i32>())
            };
            let (Some(action), Some(actor), Some(rtype), Some(rid), Some(time)) = (
                col("action"),
                col("actor_id"),
                col("resource_type"),
                col("resource_id"),
                b.column_by_name("time")
                    .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()),
            ) else {
                continue;
            };
            for i in 0..b.num_rows() {
                if !action.is_valid(i) || action.value(i) != USER_DELETE_ACTION {
                    continue;
                }
                let subject = if rtype.is_valid(i) && rtype.value(i) == "user" && rid.is_valid(i) {
                    rid.value(i)
                } else if actor.is_valid(i) {
                    actor.value(i)
                } else {
                    continue;
                };
                let t = latest.entry(subject.to_string()).or_insert(i64::MIN);
                *t = (*t).max(time.value(i));
            }
        }
    }
    Ok(latest
        .into_iter()
        .map(|(subject, t)| {
            let deleted_at = auditlake_event::micros_to_datetime(t);
            DeletedUser {
                subject,
                deleted_at,
                erase_at: deleted_at
                    .checked_add_days(Days::new(u64::from(retention_days)))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            }
        })
        .collect())
}

/// The retention job's erasure of deleted users' events.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeletedUsersPlan {
    pub retention_days: u32,
    /// Users whose events are due for erasure (and not held).
    pub due: Vec<DeletedUser>,
    /// Users deleted less than `retention_days` ago.
    pub waiting: Vec<DeletedUser>,
    /// Due users kept because some of their events are under Object Lock or a legal hold.
    pub blocked: Vec<RefusedObject>,
    /// The erasure of the due users' events.
    pub erasure: ErasurePlan,
}

/// Plans the erasure of the events of users deleted at least `retention_days` before `now`;
/// users with protected events are left out and listed in `blocked`.
pub async fn plan_deleted_users(
    store: &dyn ObjectStore,
    tiers: &[TierConfig],
    holds: &[Hold],
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<DeletedUsersPlan> {
    let users = find_deleted_users(store, retention_days).await?;
    let (mut due, waiting): (Vec<_>, Vec<_>) = users.into_iter().partition(|u| u.erase_at <= now);
    let mut subjects: Vec<String> = due.iter().map(|u| u.subject.clone()).collect();
    let of = |subjects: &[String]| FilterSpec {
        actors: subjects.to_vec(),
        ..FilterSpec::default()
    };
    let mut erasure = plan_erasure(
        store,
        tiers,
        holds,
        &of(&subjects),
        ErasureMode::Delete,
        now,
    )
    .await?;
    let blocked = erasure.refused.clone();
    if !blocked.is_empty() {
        let held: BTreeSet<&String> = blocked.iter().flat_map(|r| &r.subjects).collect();
        due.retain(|u| !held.contains(&u.subject));
        subjects.retain(|s| !held.contains(s));
        erasure = plan_erasure(
            store,
            tiers,
            holds,
            &of(&subjects),
            ErasureMode::Delete,
            now,
        )
        .await?;
    }
    Ok(DeletedUsersPlan {
        retention_days,
        due,
        waiting,
        blocked,
        erasure,
    })
}

/// Carries out a deleted-users plan.
pub async fn apply_deleted_users(
    writer: &ArchiveWriter,
    plan: &DeletedUsersPlan,
    signer: Arc<DigestSigner>,
    opts: &WriterOptions,
) -> Result<RewriteRun> {
    let reason = format!(
        "retention: deleted_user_retention_days = {} after the recorded {USER_DELETE_ACTION}",
        plan.retention_days
    );
    apply_erasure(writer, &plan.erasure, signer, &reason, None, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(who: &str) -> FilterSpec {
        FilterSpec {
            actors: vec![who.to_string()],
            ..FilterSpec::default()
        }
    }
    use crate::compaction::tests::{archive, archive_with_version_1};
    use auditlake_archive::verify::{VerifyOptions, verify_archive};

    fn key() -> PseudonymKey {
        PseudonymKey::new(b"0123456789abcdef-test", "test").unwrap()
    }

    async fn rows_of(store: &dyn ObjectStore) -> Vec<RecordBatch> {
        let mut out = Vec::new();
        for m in store.list("tier=").await.unwrap() {
            out.extend(
                auditlake_archive::reader::read_object(store, &m.key)
                    .await
                    .unwrap(),
            );
        }
        out
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let k = key();
        let p = k.pseudonym("alice");
        assert_eq!(p.len(), "pseud-".len() + 32);
        assert_eq!(p, k.pseudonym("alice"));
        assert_ne!(p, k.pseudonym("bob"));
        let other = PseudonymKey::new(b"another key of 16+ bytes", "t").unwrap();
        assert_ne!(p, other.pseudonym("alice"));
        assert!(
            PseudonymKey::new(b"short", "KEYFILE")
                .unwrap_err()
                .to_string()
                .contains("KEYFILE")
        );
        assert_eq!(format!("{k:?}"), "**redacted**");
    }

    #[test]
    fn config_names_its_keys() {
        let e = toml::from_str::<ErasureConfig>("mode = \"pseudonymize\"\nkey = 1\n").unwrap_err();
        assert!(e.to_string().contains("key"), "{e}");
        let c: ErasureConfig = toml::from_str("mode = \"pseudonymize\"\n").unwrap();
        assert_eq!(c.mode, ErasureMode::Pseudonymize);
        assert!(toml::from_str::<ErasureConfig>("mode = \"shred\"\n").is_err());
    }

    #[tokio::test]
    async fn delete_mode_removes_the_rows_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive(dir.path(), 4).await;
        let store = &**writer.store();
        let now = Utc::now();
        // By email, as `query --actor` matches.
        let plan = plan_erasure(
            store,
            writer.tiers(),
            &[],
            &subject("bob@example.com"),
            ErasureMode::Delete,
            now,
        )
        .await
        .unwrap();
        assert_eq!(plan.affected.len(), 4);
        assert_eq!(plan.matching_rows, 6);
        let run = apply_erasure(
            &writer,
            &plan,
            signer.clone(),
            "request 1",
            None,
            &WriterOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!((run.replaced, run.written, run.rows_out), (4, 4, 6));
        let rows = rows_of(store).await;
        let total: usize = rows.iter().map(|b| b.num_rows()).sum();
        assert_eq!(total, 6);
        for b in &rows {
            let a = b["actor_id"].as_string::<i32>();
            assert!((0..b.num_rows()).all(|i| a.value(i) == "alice"));
        }
        let keys = [signer.public_key().clone()];
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
        assert_eq!(r.objects_replaced, 4);
    }

    #[tokio::test]
    async fn erases_from_version_1_objects_beside_version_2_ones() {
        // Objects written before schema version 2 hold unsigned seq and source_offset.
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive_with_version_1(dir.path(), 3, &[1]).await;
        let store = &**writer.store();
        let plan = plan_erasure(
            store,
            writer.tiers(),
            &[],
            &subject("bob"),
            ErasureMode::Delete,
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(plan.affected.len(), 3);
        let run = apply_erasure(
            &writer,
            &plan,
            signer.clone(),
            "request 2",
            None,
            &WriterOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(run.replaced, 3);
        let rows = rows_of(store).await;
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
        for b in &rows {
            assert_eq!(b["seq"].data_type(), &DataType::Int64);
        }
        let keys = [signer.public_key().clone()];
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
    }

    #[tokio::test]
    async fn pseudonymize_keeps_rows_without_personal_columns() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive(dir.path(), 2).await;
        let store = &**writer.store();
        let plan = plan_erasure(
            store,
            writer.tiers(),
            &[],
            &subject("alice"),
            ErasureMode::Pseudonymize,
            Utc::now(),
        )
        .await
        .unwrap();
        let e = apply_erasure(
            &writer,
            &plan,
            signer.clone(),
            "r",
            None,
            &WriterOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains(PSEUDONYM_KEY_ENV), "{e}");
        let k = key();
        apply_erasure(
            &writer,
            &plan,
            signer.clone(),
            "r",
            Some(&k),
            &WriterOptions::default(),
        )
        .await
        .unwrap();
        let rows = rows_of(store).await;
        let total: usize = rows.iter().map(|b| b.num_rows()).sum();
        assert_eq!(total, 6);
        let pseud = k.pseudonym("alice");
        let mut seen = 0;
        for b in &rows {
            let a = b["actor_id"].as_string::<i32>();
            let email = b["actor_email"].as_string::<i32>();
            let ip = b["src_ip"].as_string::<i32>();
            for i in 0..b.num_rows() {
                assert_ne!(a.value(i), "alice");
                if a.value(i) == pseud {
                    seen += 1;
                    assert!(email.is_null(i) && ip.is_null(i));
                } else {
                    assert_eq!(email.value(i), "bob@example.com");
                }
            }
        }
        assert_eq!(seen, 3);
        let keys = [signer.public_key().clone()];
        let r = verify_archive(store, &keys, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.findings);
    }

    #[tokio::test]
    async fn a_hold_refuses_the_whole_erasure() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, signer) = archive(dir.path(), 2).await;
        let store = &**writer.store();
        let hold = Hold {
            name: "case-7".into(),
            reason: "r".into(),
            created_at: Utc::now(),
            created_by: None,
            filter: auditlake_filter::FilterSpec {
                actors: vec!["bob".into()],
                ..Default::default()
            },
        };
        let before = store.list("").await.unwrap();
        let plan = plan_erasure(
            store,
            writer.tiers(),
            &[hold],
            &subject("bob"),
            ErasureMode::Delete,
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(plan.refused.len(), 2);
        let e = apply_erasure(&writer, &plan, signer, "r", None, &WriterOptions::default())
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&plan.refused[0].key) && msg.contains("legal hold case-7"),
            "{msg}"
        );
        assert_eq!(store.list("").await.unwrap(), before);
    }
}

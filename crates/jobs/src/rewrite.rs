//! Rewrites: replacing archive objects by rewritten ones (compaction merges small objects,
//! erasure drops or pseudonymizes a subject's rows) so that a run killed at any point loses no
//! event and shows none twice.
//!
//! # The protocol
//!
//! A run is a list of jobs; a job replaces some input objects of one partition and source by
//! zero or more output objects of the same partition and source. For each job, in order:
//!
//! 1. the output objects are encoded in memory, under new keys that nothing else uses (object
//!    numbers from [`REWRITE_SEQ_BASE`] up, made of the run's start time and the job's number);
//! 2. a **marker** `_rewrites/{job}.json` is stored, naming the inputs and the outputs (with
//!    their SHA-256, size, rows, times and sequence numbers, as a digest lists them);
//! 3. the outputs are stored.
//!
//! Then one signed digest in the job's chain ([`COMPACTION_CHAIN`] or [`ERASURE_CHAIN`]) records
//! a [`RewriteReceipt`] per job; only then are the inputs deleted, and last the markers.
//!
//! Readers ([`RewriteView`], used by `auditlake query`) apply the markers: while every output of
//! a marker is in the store, its inputs are hidden; while some output is missing, its outputs
//! are hidden. Each put is atomic, so at every instant a reader sees each event once: before
//! the last output lands it reads the inputs, after it the outputs. A job with no outputs (an
//! erasure that removes every row of an object) hides its inputs as soon as its marker exists.
//!
//! A later run first finishes what an interrupted one left ([`recover`]): a marker whose job
//! has a receipt in the chain, or whose outputs are all stored, is rolled forward (receipt
//! written where missing, inputs deleted, marker deleted); any other marker is rolled back
//! (its stored outputs deleted, then the marker), leaving the inputs as they were.
//!
//! External engines (DuckDB over the files) do not read markers: between steps 3 and the input
//! deletions they see both inputs and outputs. A run takes seconds per job; `auditlake verify`
//! reports a pending marker as [`Finding::RewriteIncomplete`](auditlake_archive::verify::Finding) until a
//! run finishes it.
//!
//! # Crash drills
//!
//! With the environment variable `AUDITLAKE_REWRITE_CRASH_AFTER=N`, a run aborts the process
//! (as a SIGKILL would: no cleanup) right after the N-th change rewrites make to the store in
//! that process (puts and deletes, counted from 1, recovery included), so tests can stop a run
//! at every step.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::Int64Type;
use auditlake_event::arrow_schema;
use auditlake_storage::{ObjectStore, PutOptions};
use chrono::{DateTime, Days, Utc};
use serde::Serialize;

use auditlake_archive::digest::{Digest, DigestWriter, ErasedSpan, ObjectEntry, ReceiptKind};
use auditlake_archive::layout::{ObjectKey, digest_prefix, parse_digest_key};
use auditlake_archive::signing::DigestSigner;
use auditlake_archive::writer::{ArchiveWriter, EncodedObject, WriterOptions, encode_batch};
use auditlake_archive::{ArchiveError, Result};

pub use auditlake_archive::markers::{
    Marker, REWRITES_PREFIX, RewriteView, chain_of, list_markers, marker_key,
};

/// Object numbers of rewritten objects start here; the agent numbers its objects from the
/// milliseconds of its first start (about 1.8e12 in 2026) and never reaches it.
pub const REWRITE_SEQ_BASE: u64 = 100_000_000_000_000_000;

/// Jobs per run: the job number is part of the outputs' object numbers.
pub const MAX_JOBS_PER_RUN: usize = 100_000;

/// The environment variable of crash drills (see the module documentation).
pub const CRASH_AFTER_ENV: &str = "AUDITLAKE_REWRITE_CRASH_AFTER";

/// Store changes made by rewrites in this process, for crash drills.
static STEPS_DONE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts rewrite changes to the store (across the process) and stops the process at the
/// crash drill's step.
#[derive(Debug)]
pub(crate) struct Steps {
    crash_after: Option<u64>,
}

impl Steps {
    pub(crate) fn from_env() -> Steps {
        Steps {
            crash_after: std::env::var(CRASH_AFTER_ENV)
                .ok()
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    fn step(&mut self, what: &str) {
        let done = STEPS_DONE.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.crash_after == Some(done) {
            eprintln!("crash drill: stopping after store change {done} ({what})");
            std::process::abort();
        }
    }
}

/// One job before it runs: its marker (outputs filled in) and the encoded outputs.
#[derive(Debug)]
pub struct PreparedJob {
    pub marker: Marker,
    pub outputs: Vec<(ObjectKey, EncodedObject)>,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RewriteRun {
    /// Jobs carried out.
    pub jobs: usize,
    /// Objects replaced (deleted).
    pub replaced: usize,
    pub replaced_bytes: u64,
    /// Objects written.
    pub written: usize,
    pub written_bytes: u64,
    /// Rows of the inputs and of the outputs.
    pub rows_in: u64,
    pub rows_out: u64,
    /// The digest holding the run's receipts.
    pub receipt_digest: Option<String>,
    /// Markers of interrupted runs finished forward or rolled back first.
    pub recovered_forward: Vec<String>,
    pub rolled_back: Vec<String>,
}

/// The id of job `n` of a run of `kind` started at `time`.
pub fn job_id(kind: ReceiptKind, time: DateTime<Utc>, n: usize) -> String {
    let k = match kind {
        ReceiptKind::Compaction => "compaction",
        ReceiptKind::Erasure => "erasure",
        ReceiptKind::Retention => "retention",
    };
    format!("{k}-{}-{n:05}", time.format("%Y%m%dT%H%M%S%3fZ"))
}

/// The object number of output `i` of job `n` of a run started at `time`.
pub fn output_seq(time: DateTime<Utc>, n: usize, i: usize) -> u64 {
    let millis = time.timestamp_millis().max(0) as u64;
    REWRITE_SEQ_BASE + (millis * MAX_JOBS_PER_RUN as u64 + n as u64) * 16 + (i as u64 % 16)
}

/// Receipts of `chain` naming a job, from digests dated `since` or later.
async fn receipted_jobs(
    store: &dyn ObjectStore,
    chain: &str,
    since: chrono::NaiveDate,
) -> Result<HashSet<String>> {
    let mut jobs = HashSet::new();
    for m in store.list(&digest_prefix(chain)).await? {
        let Ok((_, date, _)) = parse_digest_key(&m.key) else {
            continue;
        };
        if date < since {
            continue;
        }
        let bytes = store.get(&m.key).await?;
        if let Ok(d) = Digest::parse(&m.key, &bytes) {
            jobs.extend(d.rewrites().map(|r| r.job.clone()));
        }
    }
    Ok(jobs)
}

/// Finishes or rolls back what interrupted runs left under `_rewrites/` (see the module
/// documentation). Returns the jobs finished forward and those rolled back.
pub async fn recover(
    store: &dyn ObjectStore,
    signer: Arc<DigestSigner>,
    now: DateTime<Utc>,
) -> Result<RewriteRun> {
    let mut steps = Steps::from_env();
    recover_with(store, signer, now, &mut steps).await
}

async fn recover_with(
    store: &dyn ObjectStore,
    signer: Arc<DigestSigner>,
    now: DateTime<Utc>,
    steps: &mut Steps,
) -> Result<RewriteRun> {
    let mut run = RewriteRun::default();
    let markers = list_markers(store).await?;
    if markers.is_empty() {
        return Ok(run);
    }
    let present: HashMap<String, u64> = store
        .list("tier=")
        .await?
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    let mut forward: Vec<Marker> = Vec::new();
    let mut to_receipt: HashMap<&'static str, Vec<Marker>> = HashMap::new();
    for m in markers {
        let since = m
            .time
            .date_naive()
            .checked_sub_days(Days::new(1))
            .unwrap_or(m.time.date_naive());
        let receipted = receipted_jobs(store, m.chain(), since)
            .await?
            .contains(&m.job);
        let complete = m
            .outputs
            .iter()
            .all(|o| present.get(&o.key) == Some(&o.size));
        if receipted {
            forward.push(m);
        } else if complete {
            to_receipt.entry(m.chain()).or_default().push(m.clone());
            forward.push(m);
        } else {
            tracing::warn!(job = %m.job, "rolling back an interrupted rewrite");
            let outputs: Vec<String> = m
                .outputs
                .iter()
                .filter(|o| present.contains_key(&o.key))
                .map(|o| o.key.clone())
                .collect();
            if !outputs.is_empty() {
                store.delete_many(&outputs).await?;
                steps.step("roll back: delete outputs");
            }
            store.delete(&m.key()).await?;
            steps.step("roll back: delete marker");
            run.rolled_back.push(m.job);
        }
    }
    for (chain, markers) in to_receipt {
        let mut w = DigestWriter::open(store, chain, signer.clone(), None, now).await?;
        for m in &markers {
            w.record_rewrite(m.receipt())?;
        }
        run.receipt_digest = Some(w.write_digest(store, now).await?);
        steps.step("recover: receipt");
    }
    for m in forward {
        tracing::info!(job = %m.job, "finishing an interrupted rewrite");
        finish_job(store, &m, steps).await?;
        run.recovered_forward.push(m.job);
    }
    Ok(run)
}

/// Deletes a committed job's inputs, then its marker.
async fn finish_job(store: &dyn ObjectStore, m: &Marker, steps: &mut Steps) -> Result<()> {
    let inputs: Vec<String> = m.inputs.iter().map(|i| i.key.clone()).collect();
    if !inputs.is_empty() {
        store.delete_many(&inputs).await?;
        steps.step("delete inputs");
    }
    store.delete(&m.key()).await?;
    steps.step("delete marker");
    Ok(())
}

/// Carries out prepared jobs with the protocol of the module documentation. `jobs` yields one
/// job at a time, so that only one job's outputs are in memory at once.
pub async fn run_jobs<I>(
    writer: &ArchiveWriter,
    kind: ReceiptKind,
    signer: Arc<DigestSigner>,
    now: DateTime<Utc>,
    jobs: I,
) -> Result<RewriteRun>
where
    I: IntoIterator,
    I::Item: std::future::Future<Output = Result<Option<PreparedJob>>>,
{
    let store = &**writer.store();
    let mut steps = Steps::from_env();
    let mut run = recover_with(store, signer.clone(), now, &mut steps).await?;
    let mut done: Vec<Marker> = Vec::new();
    for job in jobs {
        let Some(job) = job.await? else { continue };
        let marker_opts = PutOptions {
            content_type: Some("application/json".to_string()),
            ..PutOptions::default()
        };
        store
            .put(&job.marker.key(), job.marker.to_bytes(), &marker_opts)
            .await?;
        steps.step("marker");
        for (key, obj) in &job.outputs {
            // The tier's storage class and Object Lock, as the agent puts objects; a lock whose
            // retain-until has passed is left off (S3 refuses a retain-until in the past).
            let mut put = writer.put_options(key, obj.written_at())?;
            if put
                .object_lock
                .as_ref()
                .is_some_and(|l| l.retain_until <= Utc::now())
            {
                put.object_lock = None;
            }
            store.put(&key.to_key(), obj.bytes.clone(), &put).await?;
            steps.step("output");
            run.written += 1;
            run.written_bytes += obj.bytes.len() as u64;
            run.rows_out += obj.rows;
        }
        run.jobs += 1;
        done.push(job.marker);
    }
    if done.is_empty() {
        return Ok(run);
    }
    let mut chain = DigestWriter::open(store, chain_of(kind), signer, None, now).await?;
    for m in &done {
        chain.record_rewrite(m.receipt())?;
    }
    run.receipt_digest = Some(chain.write_digest(store, now).await?);
    steps.step("receipt");
    for m in &done {
        finish_job(store, m, &mut steps).await?;
        run.replaced += m.inputs.len();
        run.replaced_bytes += m.inputs.iter().map(|i| i.size).sum::<u64>();
    }
    Ok(run)
}

/// Encodes rows (of the archive's schema, any order) as one Parquet object in the archive's
/// row order and with the agent's writer properties.
pub fn encode_batches(batches: &[RecordBatch], opts: &WriterOptions) -> Result<EncodedObject> {
    let all = concat_batches(&arrow_schema(), batches).map_err(|source| ArchiveError::Arrow {
        context: "joining batches",
        source,
    })?;
    encode_batch(&all, opts)
}

/// The digest entry of an encoded object stored under `key`.
pub fn object_entry(key: &ObjectKey, obj: &EncodedObject) -> ObjectEntry {
    ObjectEntry {
        key: key.to_key(),
        sha256: obj.sha256.clone(),
        size: obj.bytes.len() as u64,
        rows: obj.rows,
        min_time: obj.min_time,
        max_time: obj.max_time,
        first_seq: obj.first_seq,
        last_seq: obj.last_seq,
    }
}

/// The sequence numbers of `batch`'s rows where `removed` holds, per source, as spans.
pub fn erased_spans(source: &str, seqs: impl IntoIterator<Item = u64>) -> Vec<ErasedSpan> {
    let sorted: BTreeSet<u64> = seqs.into_iter().collect();
    let mut out: Vec<ErasedSpan> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some(span) if span.last_seq + 1 == s => span.last_seq = s,
            _ => out.push(ErasedSpan {
                source: source.to_string(),
                first_seq: s,
                last_seq: s,
            }),
        }
    }
    out
}

/// The sequence numbers of the rows of `batch` at `rows`.
pub(crate) fn seqs_at(batch: &RecordBatch, rows: &[usize]) -> Vec<u64> {
    let seq = batch["seq"].as_primitive::<Int64Type>();
    rows.iter()
        .filter(|&&i| seq.is_valid(i))
        .filter_map(|&i| u64::try_from(seq.value(i)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_archive::digest::{COMPACTION_CHAIN, DeletedObject};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn marker(inputs: &[&str], outputs: &[&str]) -> Marker {
        Marker {
            job: "compaction-x-00000".into(),
            kind: ReceiptKind::Compaction,
            policy: String::new(),
            time: t("2026-11-21T00:00:00Z"),
            inputs: inputs
                .iter()
                .map(|k| DeletedObject {
                    key: k.to_string(),
                    size: 1,
                    retain_until: None,
                })
                .collect(),
            outputs: outputs
                .iter()
                .map(|k| ObjectEntry {
                    key: k.to_string(),
                    sha256: String::new(),
                    size: 1,
                    rows: 1,
                    min_time: 0,
                    max_time: 0,
                    first_seq: None,
                    last_seq: None,
                })
                .collect(),
            erased: vec![],
        }
    }

    #[test]
    fn view_hides_inputs_once_every_output_is_there_and_outputs_before() {
        let view = RewriteView::of(vec![marker(&["a", "b"], &["c", "d"]), marker(&["e"], &[])]);
        let hidden = |listed: &[&str]| {
            let mut v: Vec<String> = view.hidden(listed.iter().copied()).into_iter().collect();
            v.sort();
            v
        };
        // Nothing written yet; the erasure with no outputs hides its input at once.
        assert_eq!(hidden(&["a", "b", "e", "x"]), ["e"]);
        // One output of two: it is hidden, the inputs are read.
        assert_eq!(hidden(&["a", "b", "c", "x"]), ["c"]);
        // Both: the inputs are hidden.
        assert_eq!(hidden(&["a", "b", "c", "d", "x"]), ["a", "b"]);
        // Inputs partly deleted.
        assert_eq!(hidden(&["b", "c", "d"]), ["b"]);
    }

    #[test]
    fn ids_and_object_numbers_are_distinct_per_job_and_output() {
        let t0 = t("2026-11-21T10:00:00.123Z");
        assert_eq!(
            job_id(ReceiptKind::Compaction, t0, 7),
            "compaction-20261121T100000123Z-00007"
        );
        let a = output_seq(t0, 0, 0);
        assert!(a >= REWRITE_SEQ_BASE);
        assert_ne!(a, output_seq(t0, 0, 1));
        assert_ne!(a, output_seq(t0, 1, 0));
        assert_ne!(a, output_seq(t0 + chrono::TimeDelta::milliseconds(1), 0, 0));
        assert!(output_seq(t("2200-01-01T00:00:00Z"), MAX_JOBS_PER_RUN - 1, 15) < u64::MAX);
        assert_eq!(chain_of(ReceiptKind::Compaction), COMPACTION_CHAIN);
    }

    #[test]
    fn spans_join_consecutive_numbers() {
        let s = erased_spans("idp", [5, 3, 4, 9, 11, 10]);
        let pairs: Vec<(u64, u64)> = s.iter().map(|s| (s.first_seq, s.last_seq)).collect();
        assert_eq!(pairs, [(3, 5), (9, 11)]);
    }

    #[test]
    fn marker_round_trips_and_names_itself_in_errors() {
        let m = marker(&["a"], &["b"]);
        let parsed = Marker::parse(&m.key(), &m.to_bytes()).unwrap();
        assert_eq!(parsed, m);
        assert_eq!(m.key(), "_rewrites/compaction-x-00000.json");
        let e = Marker::parse("_rewrites/x.json", b"{}").unwrap_err();
        assert!(e.to_string().contains("_rewrites/x.json"), "{e}");
    }
}

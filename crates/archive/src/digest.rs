//! Signed, chained digests of the archive's objects, and receipts of lawful deletions.
//!
//! Each source has a chain at `_digests/{source}/{YYYY-MM-DD}/{seq:08}.json`. A digest lists the
//! objects written since the previous digest, names the previous digest's key and the SHA-256
//! of its stored bytes, and carries an Ed25519 signature over its canonical form
//! ([`Digest::canonical_bytes`]). A digest is written every interval even when nothing was
//! written (a heartbeat), so that silence is provable.
//!
//! Jobs that delete write receipts into chains of their own: retention a [`Receipt`] into
//! [`RETENTION_CHAIN`]; compaction and erasure, which replace objects by rewritten ones, a
//! [`RewriteReceipt`] into [`COMPACTION_CHAIN`] and [`ERASURE_CHAIN`], naming the objects
//! replaced, the objects written (as a digest lists them) and the events erased. The verifier
//! tells such lawful replacements from removals.
//!
//! The agent's part, per source (see [`DigestWriter`]):
//! 1. at start, [`DigestWriter::open`] loads the chain head by listing `_digests/{source}/` and
//!    the journal of entries recorded but not yet in a digest;
//! 2. after each object upload succeeds, [`DigestWriter::record`] with
//!    [`ObjectEntry`] built from the spool entry (key, sha256, size, rows, times, seqs);
//! 3. when [`DigestWriter::due`] says so (every `digest_interval_secs`), and at shutdown,
//!    [`DigestWriter::write_digest`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use auditlake_storage::{ObjectStore, PutOptions};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ArchiveError, Result};
use crate::layout::{digest_key, digest_prefix, parse_digest_key};
use crate::signing::{DigestSigner, PublicKey};
use crate::writer::sha256_hex;

/// The chain that retention and erasure runs write their receipts into. Source names starting
/// with `_` are reserved for such job chains.
pub const RETENTION_CHAIN: &str = "_retention";

/// The chain compaction runs write their [`RewriteReceipt`]s into.
pub const COMPACTION_CHAIN: &str = "_compaction";

/// The chain erasure runs write their [`RewriteReceipt`]s into.
pub const ERASURE_CHAIN: &str = "_erasure";

/// Whether `source` names a job chain (retention, compaction, erasure) rather than a source.
pub fn is_job_chain(source: &str) -> bool {
    source.starts_with('_')
}

/// What every signed message starts with, so that a digest signature is never valid for anything
/// else the key might sign.
const SIGNING_CONTEXT: &[u8] = b"auditlake digest v1\n";

/// The default time between two digests of a source.
pub const DEFAULT_DIGEST_INTERVAL_SECS: u64 = 3600;

/// `[digest]`: how digests are signed and how often they are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// The Ed25519 private key file (PKCS#8 PEM, as `auditlake keygen` writes it). The
    /// environment variable `AUDITLAKE_SIGNING_KEY`, holding the key itself, takes precedence.
    #[serde(default)]
    pub signing_key_file: Option<PathBuf>,
    /// Seconds between two digests of a source; one is also written at shutdown.
    #[serde(default = "default_interval")]
    pub digest_interval_secs: u64,
}

fn default_interval() -> u64 {
    DEFAULT_DIGEST_INTERVAL_SECS
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            signing_key_file: None,
            digest_interval_secs: DEFAULT_DIGEST_INTERVAL_SECS,
        }
    }
}

impl DigestConfig {
    /// Checks the values; pure.
    pub fn validate(&self) -> Result<()> {
        if self.digest_interval_secs < 1 {
            return Err(ArchiveError::config(
                "digest.digest_interval_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// Loads the signing key ([`DigestSigner::load`]).
    pub fn signer(&self) -> Result<DigestSigner> {
        DigestSigner::load(self.signing_key_file.as_deref())
    }
}

/// One archive object as a digest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectEntry {
    /// The object's key.
    pub key: String,
    /// The SHA-256 of the stored bytes, lower-case hex.
    pub sha256: String,
    pub size: u64,
    pub rows: u64,
    /// The earliest and latest event time, UTC microseconds.
    pub min_time: i64,
    pub max_time: i64,
    /// The lowest and highest sequence number of the object's events.
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
}

/// Why objects were deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// Their tier's retention had passed.
    Retention,
    /// A data subject's erasure.
    Erasure,
    /// Small objects merged into larger ones.
    Compaction,
}

/// One deleted object in a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletedObject {
    pub key: String,
    pub size: u64,
    /// The tier's retain-until of the object, where the deletion was by retention.
    #[serde(default)]
    pub retain_until: Option<DateTime<Utc>>,
}

/// A record of a deletion run: what was deleted, when, under which policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub kind: ReceiptKind,
    /// The rule applied, e.g. `tier security: retention_days = 2555, grace_days = 0`.
    pub policy: String,
    /// When the deletion ran (the run's `now`).
    pub time: DateTime<Utc>,
    pub deleted: Vec<DeletedObject>,
}

/// Consecutive event sequence numbers of one source whose events a rewrite removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasedSpan {
    pub source: String,
    pub first_seq: u64,
    pub last_seq: u64,
}

/// A record of a rewrite (compaction or erasure): objects replaced by others written in their
/// place, and the events the replacement no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteReceipt {
    /// [`ReceiptKind::Compaction`] or [`ReceiptKind::Erasure`].
    pub kind: ReceiptKind,
    /// The job's id, also the name of its marker under `_rewrites/`.
    pub job: String,
    /// The rule applied, e.g. `erasure: subject sha256 ..., reason "..."`.
    pub policy: String,
    /// When the job started.
    pub time: DateTime<Utc>,
    /// The objects replaced (deleted once the receipt is stored).
    pub replaced: Vec<DeletedObject>,
    /// The objects written in their place.
    pub written: Vec<ObjectEntry>,
    /// Events of the replaced objects the written ones no longer hold (erasure by deletion).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased: Vec<ErasedSpan>,
}

/// An entry of a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    Object(ObjectEntry),
    Receipt(Receipt),
    Rewrite(RewriteReceipt),
}

/// The previous digest of a chain: its key and the SHA-256 of its stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestLink {
    pub key: String,
    pub sha256: String,
}

/// One digest (format version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// The source (or job chain) this digest belongs to.
    pub source: String,
    /// The digest's number in its chain, from 1, gapless.
    pub seq: u64,
    /// The period covered: from the previous digest's end to this one's writing.
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// The previous digest; `None` only for seq 1.
    pub previous: Option<DigestLink>,
    /// Objects written and deletions made during the period, in order.
    pub entries: Vec<Entry>,
    /// The fingerprint of the public key that verifies `signature`.
    pub signer: String,
    /// Ed25519 signature of [`Digest::canonical_bytes`], hex.
    pub signature: String,
}

/// The persisted form, tagged with its format version.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum Persisted {
    #[serde(rename = "1")]
    V1(Digest),
}

impl Digest {
    /// The bytes the signature covers: a fixed context line, then the compact JSON of the
    /// versioned digest with `signature` empty. Fields are in declaration order and entries in
    /// recorded order, so parsing a digest and serializing it again gives the same bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let unsigned = Digest {
            signature: String::new(),
            ..self.clone()
        };
        let mut out = SIGNING_CONTEXT.to_vec();
        // Serializing plain structs, strings and numbers cannot fail.
        out.extend(serde_json::to_vec(&Persisted::V1(unsigned)).unwrap_or_default());
        out
    }

    /// Signs the digest, setting `signer` and `signature`.
    pub fn sign(&mut self, signer: &DigestSigner) {
        self.signer = signer.fingerprint().to_string();
        self.signature = signer.sign(&self.canonical_bytes());
    }

    /// Checks the signature against the trusted keys.
    pub fn check_signature(&self, keys: &[PublicKey]) -> SignatureCheck {
        match keys.iter().find(|k| k.fingerprint() == self.signer) {
            None => SignatureCheck::UnknownSigner,
            Some(k) if k.verify(&self.canonical_bytes(), &self.signature) => SignatureCheck::Valid,
            Some(_) => SignatureCheck::Invalid,
        }
    }

    /// The stored form: pretty, versioned JSON.
    pub fn to_bytes(&self) -> Bytes {
        let mut v = serde_json::to_vec_pretty(&Persisted::V1(self.clone())).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }

    /// Parses a stored digest; `key` names it in errors.
    pub fn parse(key: &str, bytes: &[u8]) -> Result<Digest> {
        match serde_json::from_slice::<Persisted>(bytes) {
            Ok(Persisted::V1(d)) => Ok(d),
            Err(e) => Err(ArchiveError::digest(key, e)),
        }
    }

    /// The object entries.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectEntry> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Object(o) => Some(o),
            Entry::Receipt(_) | Entry::Rewrite(_) => None,
        })
    }

    /// The receipt entries.
    pub fn receipts(&self) -> impl Iterator<Item = &Receipt> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Receipt(r) => Some(r),
            Entry::Object(_) | Entry::Rewrite(_) => None,
        })
    }

    /// The rewrite (compaction and erasure) receipts.
    pub fn rewrites(&self) -> impl Iterator<Item = &RewriteReceipt> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Rewrite(r) => Some(r),
            Entry::Object(_) | Entry::Receipt(_) => None,
        })
    }
}

/// The outcome of [`Digest::check_signature`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid,
    /// Signed, or claiming to be signed, by a key not trusted.
    UnknownSigner,
    /// Not a valid signature of the digest by the key it names.
    Invalid,
}

/// The last digest of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub key: String,
    pub sha256: String,
    pub seq: u64,
    pub period_end: DateTime<Utc>,
}

/// Loads the head of `source`'s chain by listing `_digests/{source}/`; `None` for no chain.
pub async fn load_head(store: &dyn ObjectStore, source: &str) -> Result<Option<ChainHead>> {
    let listed = store.list(&digest_prefix(source)).await?;
    let Some((key, seq)) = listed
        .iter()
        .filter_map(|m| {
            parse_digest_key(&m.key)
                .ok()
                .map(|(_, _, seq)| (&m.key, seq))
        })
        .max_by_key(|(_, seq)| *seq)
    else {
        return Ok(None);
    };
    let bytes = store.get(key).await?;
    let period_end = match Digest::parse(key, &bytes) {
        Ok(d) => d.period_end,
        Err(e) => {
            // Extend the chain anyway: the link names the damaged digest and verify reports it.
            tracing::warn!(key = %key, error = %e, "the chain head is not a readable digest");
            Utc::now()
        }
    };
    Ok(Some(ChainHead {
        key: key.clone(),
        sha256: sha256_hex(&bytes),
        seq,
        period_end,
    }))
}

/// Entries recorded but not yet in a digest, kept on local disk across restarts.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum Journal {
    #[serde(rename = "1")]
    V1 {
        source: String,
        /// The chain head's seq when the entries were recorded (0 for no chain).
        head_seq: u64,
        entries: Vec<Entry>,
    },
}

/// Writes one source's chain of digests.
#[derive(Debug)]
pub struct DigestWriter {
    source: String,
    signer: Arc<DigestSigner>,
    head: Option<ChainHead>,
    pending: Vec<Entry>,
    journal: Option<PathBuf>,
    /// The start of the first digest's period, for a new chain.
    started: DateTime<Utc>,
}

impl DigestWriter {
    /// Opens `source`'s chain: loads its head from the store and, where `journal` is given (a
    /// file in the agent's state directory), the entries recorded before a restart that no
    /// digest names yet.
    pub async fn open(
        store: &dyn ObjectStore,
        source: &str,
        signer: Arc<DigestSigner>,
        journal: Option<PathBuf>,
        now: DateTime<Utc>,
    ) -> Result<DigestWriter> {
        let head = load_head(store, source).await?;
        let head_seq = head.as_ref().map_or(0, |h| h.seq);
        let mut pending = Vec::new();
        if let Some(path) = &journal {
            match std::fs::read(path) {
                Ok(bytes) => {
                    let Journal::V1 {
                        head_seq: seq,
                        entries,
                        ..
                    } = serde_json::from_slice(&bytes).map_err(|e| {
                        ArchiveError::digest(path.display().to_string(), format!("journal: {e}"))
                    })?;
                    // A digest written after the journal's entries already names them.
                    if seq == head_seq {
                        pending = entries;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ArchiveError::io(path, e)),
            }
        }
        Ok(DigestWriter {
            source: source.to_string(),
            signer,
            head,
            pending,
            journal,
            started: now,
        })
    }

    /// The source whose chain this is.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The chain's last digest, if any.
    pub fn head(&self) -> Option<&ChainHead> {
        self.head.as_ref()
    }

    /// Entries waiting for the next digest.
    pub fn pending(&self) -> &[Entry] {
        &self.pending
    }

    /// Records an uploaded object for the next digest. A key recorded again (an upload repeated
    /// after a crash) replaces the earlier entry. Durable when it returns, where there is a
    /// journal.
    pub fn record(&mut self, entry: ObjectEntry) -> Result<()> {
        self.pending
            .retain(|e| !matches!(e, Entry::Object(o) if o.key == entry.key));
        self.pending.push(Entry::Object(entry));
        self.save_journal()
    }

    /// Records a rewrite (compaction or erasure) for the next digest.
    pub fn record_rewrite(&mut self, receipt: RewriteReceipt) -> Result<()> {
        self.pending.push(Entry::Rewrite(receipt));
        self.save_journal()
    }

    /// Records a deletion run for the next digest.
    pub fn record_receipt(&mut self, receipt: Receipt) -> Result<()> {
        self.pending.push(Entry::Receipt(receipt));
        self.save_journal()
    }

    /// Whether a digest is due at `now`: `interval_secs` after the last one's period end.
    pub fn due(&self, now: DateTime<Utc>, interval_secs: u64) -> bool {
        let last = self.head.as_ref().map_or(self.started, |h| h.period_end);
        now.signed_duration_since(last).num_seconds() >= interval_secs as i64
    }

    /// Signs and stores the next digest with the pending entries (none for a heartbeat), and
    /// makes it the head. Returns its key.
    pub async fn write_digest(
        &mut self,
        store: &dyn ObjectStore,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let seq = self.head.as_ref().map_or(0, |h| h.seq) + 1;
        let period_start = self.head.as_ref().map_or(self.started, |h| h.period_end);
        let mut digest = Digest {
            source: self.source.clone(),
            seq,
            period_start,
            period_end: now.max(period_start),
            previous: self.head.as_ref().map(|h| DigestLink {
                key: h.key.clone(),
                sha256: h.sha256.clone(),
            }),
            entries: self.pending.clone(),
            signer: String::new(),
            signature: String::new(),
        };
        digest.sign(&self.signer);
        let key = digest_key(&self.source, now.date_naive(), seq)?;
        let bytes = digest.to_bytes();
        let opts = PutOptions {
            content_type: Some("application/json".to_string()),
            ..PutOptions::default()
        };
        store.put(&key, bytes.clone(), &opts).await?;
        tracing::debug!(key = %key, entries = digest.entries.len(), "digest written");
        self.head = Some(ChainHead {
            key: key.clone(),
            sha256: sha256_hex(&bytes),
            seq,
            period_end: digest.period_end,
        });
        self.pending.clear();
        self.save_journal()?;
        Ok(key)
    }

    fn save_journal(&self) -> Result<()> {
        let Some(path) = &self.journal else {
            return Ok(());
        };
        let journal = Journal::V1 {
            source: self.source.clone(),
            head_seq: self.head.as_ref().map_or(0, |h| h.seq),
            entries: self.pending.clone(),
        };
        let bytes = serde_json::to_vec(&journal).unwrap_or_default();
        write_durable(path, &bytes)
    }
}

/// Writes a file durably ([`auditlake_durable::write_atomic`]).
pub(crate) fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    auditlake_durable::write_atomic(path, bytes).map_err(|e| ArchiveError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_storage::LocalStore;

    pub(crate) fn entry(key: &str, first: u64, last: u64) -> ObjectEntry {
        ObjectEntry {
            key: key.to_string(),
            sha256: "ab".repeat(32),
            size: 10,
            rows: last - first + 1,
            min_time: 1,
            max_time: 2,
            first_seq: Some(first),
            last_seq: Some(last),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn canonical_form_is_stable_and_signed() {
        let signer = DigestSigner::generate();
        let mut d = Digest {
            source: "idp".into(),
            seq: 1,
            period_start: t("2026-11-21T00:00:00Z"),
            period_end: t("2026-11-21T01:00:00.123456Z"),
            previous: None,
            entries: vec![Entry::Object(entry("a", 0, 9))],
            signer: String::new(),
            signature: String::new(),
        };
        d.sign(&signer);
        let keys = [signer.public_key().clone()];
        assert_eq!(d.check_signature(&keys), SignatureCheck::Valid);
        let stored = d.to_bytes();
        let text = std::str::from_utf8(&stored).unwrap();
        assert!(text.contains("\"version\": \"1\""), "{text}");
        assert!(text.contains("\"entry\": \"object\""), "{text}");
        let parsed = Digest::parse("k", &stored).unwrap();
        assert_eq!(parsed, d);
        assert_eq!(parsed.canonical_bytes(), d.canonical_bytes());
        assert!(d.canonical_bytes().starts_with(SIGNING_CONTEXT));

        let mut altered = parsed.clone();
        altered.entries.clear();
        assert_eq!(altered.check_signature(&keys), SignatureCheck::Invalid);
        let other = DigestSigner::generate();
        assert_eq!(
            d.check_signature(&[other.public_key().clone()]),
            SignatureCheck::UnknownSigner
        );
        // Re-signed by another key that claims the trusted fingerprint.
        let mut forged = d.clone();
        forged.signature = other.sign(&forged.canonical_bytes());
        assert_eq!(forged.check_signature(&keys), SignatureCheck::Invalid);
        // Unknown fields are an error, not silently dropped.
        let extra = text.replacen("\"seq\"", "\"extra\": 1,\n  \"seq\"", 1);
        assert!(Digest::parse("k", extra.as_bytes()).is_err());
    }

    #[tokio::test]
    async fn writer_chains_heartbeats_and_resumes_from_the_store_and_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("archive")).unwrap();
        let journal = dir.path().join("state/digests/idp.json");
        let signer = Arc::new(DigestSigner::generate());
        let now = t("2026-11-21T10:00:00Z");
        let mut w = DigestWriter::open(&store, "idp", signer.clone(), Some(journal.clone()), now)
            .await
            .unwrap();
        assert!(w.head().is_none());
        assert!(!w.due(now, 3600));
        assert!(w.due(t("2026-11-21T11:00:00Z"), 3600));
        w.record(entry("tier=a/x", 0, 4)).unwrap();
        w.record(entry("tier=a/x", 0, 4)).unwrap();
        assert_eq!(w.pending().len(), 1);
        let k1 = w
            .write_digest(&store, t("2026-11-21T11:00:00Z"))
            .await
            .unwrap();
        assert_eq!(k1, "_digests/idp/2026-11-21/00000001.json");
        // A heartbeat: no entries, still chained.
        let k2 = w
            .write_digest(&store, t("2026-11-22T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(k2, "_digests/idp/2026-11-22/00000002.json");
        let d2 = Digest::parse(&k2, &store.get(&k2).await.unwrap()).unwrap();
        assert!(d2.entries.is_empty());
        let prev = d2.previous.unwrap();
        assert_eq!(prev.key, k1);
        assert_eq!(prev.sha256, sha256_hex(&store.get(&k1).await.unwrap()));
        assert_eq!(d2.period_start, t("2026-11-21T11:00:00Z"));

        // Recorded, then a restart: the journal brings the entry back.
        w.record(entry("tier=a/y", 5, 9)).unwrap();
        drop(w);
        let mut w = DigestWriter::open(&store, "idp", signer.clone(), Some(journal.clone()), now)
            .await
            .unwrap();
        assert_eq!(w.head().unwrap().seq, 2);
        assert_eq!(w.pending().len(), 1);
        let k3 = w
            .write_digest(&store, t("2026-11-22T01:00:00Z"))
            .await
            .unwrap();
        let d3 = Digest::parse(&k3, &store.get(&k3).await.unwrap()).unwrap();
        assert_eq!(d3.seq, 3);
        assert_eq!(d3.objects().count(), 1);

        // A journal older than the head (the digest was written, the journal update was not)
        // is dropped.
        std::fs::write(
            &journal,
            serde_json::to_vec(&Journal::V1 {
                source: "idp".into(),
                head_seq: 2,
                entries: vec![Entry::Object(entry("tier=a/y", 5, 9))],
            })
            .unwrap(),
        )
        .unwrap();
        let w = DigestWriter::open(&store, "idp", signer, Some(journal), now)
            .await
            .unwrap();
        assert!(w.pending().is_empty());
        assert_eq!(w.head().unwrap().key, k3);
    }
}

//! Verification of the archive against its digest chains.
//!
//! [`verify_archive`] reads every digest (from the day before `since`, where given), checks each
//! signature against the trusted public keys and each link against the previous digest's stored
//! bytes, then checks every object the digests list against the store, and every object in the
//! store against the digests. Objects deleted under a signed [`Receipt`](crate::digest::Receipt)
//! are lawful expiries, not findings. Objects replaced under a signed
//! [`RewriteReceipt`](crate::digest::RewriteReceipt) (compaction, erasure) are lawful too: the
//! receipt lists the objects written in their place, which are then checked like any listed
//! object, and the events an erasure removed, so that sequence checks still account for every
//! event of a source. A rewrite under way (a marker under `_rewrites/`) is reported until a run
//! finishes it. Every finding names the object or digest it is about.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use auditlake_storage::{ObjectStore, StorageError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::digest::{DeletedObject, Digest, ObjectEntry, SignatureCheck, is_job_chain};
use crate::error::Result;
use crate::layout::{DIGESTS_PREFIX, HOLDS_PREFIX, parse_data_key, parse_digest_key};
use crate::markers::{REWRITES_PREFIX, list_markers};
use crate::signing::PublicKey;
use crate::writer::sha256_hex;

/// What [`verify_archive`] checks.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Check only objects of event dates from this time's date on.
    pub since: Option<DateTime<Utc>>,
    /// Check only objects of event dates up to this time's date.
    pub until: Option<DateTime<Utc>>,
    /// Report a source chain whose last digest ended longer than this before `now` (twice the
    /// digest interval is a good value). `None`: no check.
    pub max_silence_secs: Option<u64>,
    /// The time of the check.
    pub now: DateTime<Utc>,
    /// Objects read at once.
    pub concurrency: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            since: None,
            until: None,
            max_silence_secs: None,
            now: Utc::now(),
            concurrency: 8,
        }
    }
}

/// One thing wrong with the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The object's bytes are not those a digest lists.
    ObjectModified {
        key: String,
        digest: String,
        expected_sha256: String,
        actual_sha256: Option<String>,
        expected_size: u64,
        actual_size: u64,
    },
    /// A digest lists the object, it is gone, and no receipt names its deletion.
    ObjectRemoved { key: String, digest: String },
    /// The object is in the archive but no (validly signed) digest lists it.
    ObjectUnlisted { key: String, size: u64 },
    /// A receipt names the deletion of an object before its retain-until time.
    DeletedEarly {
        key: String,
        receipt_digest: String,
        deleted_at: DateTime<Utc>,
        retain_until: DateTime<Utc>,
    },
    /// A file under `_digests/` that is not a readable digest.
    DigestUnreadable { key: String, error: String },
    /// The digest's signature does not verify with the key it names: altered or forged.
    DigestBadSignature { key: String },
    /// The digest names a signer none of the trusted keys is.
    DigestUnknownSigner { key: String, signer: String },
    /// The digest's content does not match its key (moved or renamed).
    DigestMisplaced { key: String, reason: String },
    /// A digest names this one as its previous, and it is gone.
    DigestRemoved { key: String, referenced_by: String },
    /// A digest names this one as its previous with other bytes than it has now.
    DigestAltered {
        key: String,
        referenced_by: String,
        expected_sha256: String,
        actual_sha256: String,
    },
    /// A digest's link is not to the digest of the previous number of its chain.
    BrokenLink { key: String, reason: String },
    /// Two digests of one chain have the same number.
    ChainFork {
        source: String,
        seq: u64,
        keys: Vec<String>,
    },
    /// The chain's last digest is older than the allowed silence: digests stopped or the last
    /// ones were removed.
    ChainStale {
        source: String,
        last_digest: String,
        period_end: DateTime<Utc>,
    },
    /// A compaction or erasure job was interrupted (or is running): its marker is still there.
    /// The next `auditlake compact` or `auditlake erase` run finishes or rolls it back.
    RewriteIncomplete { key: String, job: String },
    /// A receipt says the object was replaced by rewritten ones, yet it is still there: its
    /// events are in the archive twice.
    ReplacedObjectPresent { key: String, receipt_digest: String },
    /// Event sequence numbers no listed object holds.
    SequenceGap {
        source: String,
        from_seq: u64,
        to_seq: u64,
        after: String,
        before: String,
    },
    /// The listed objects hold a number of events other than their sequence span.
    SequenceCount {
        source: String,
        first_seq: u64,
        last_seq: u64,
        rows: u64,
    },
}

impl Finding {
    /// The object, digest or chain the finding is about.
    pub fn subject(&self) -> &str {
        use Finding::*;
        match self {
            ObjectModified { key, .. }
            | ObjectRemoved { key, .. }
            | ObjectUnlisted { key, .. }
            | DeletedEarly { key, .. }
            | DigestUnreadable { key, .. }
            | DigestBadSignature { key }
            | DigestUnknownSigner { key, .. }
            | DigestMisplaced { key, .. }
            | DigestRemoved { key, .. }
            | DigestAltered { key, .. }
            | BrokenLink { key, .. }
            | RewriteIncomplete { key, .. }
            | ReplacedObjectPresent { key, .. } => key,
            ChainFork { source, .. }
            | ChainStale { source, .. }
            | SequenceGap { source, .. }
            | SequenceCount { source, .. } => source,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Finding::*;
        match self {
            ObjectModified {
                key,
                digest,
                expected_sha256,
                actual_sha256,
                expected_size,
                actual_size,
            } => write!(
                f,
                "object modified: {key}: {actual_size} bytes, sha256 {}; {digest} lists {expected_size} bytes, sha256 {expected_sha256}",
                actual_sha256.as_deref().unwrap_or("(not read)")
            ),
            ObjectRemoved { key, digest } => {
                write!(
                    f,
                    "object removed: {key}: listed in {digest}, gone, no receipt"
                )
            }
            ObjectUnlisted { key, size } => {
                write!(f, "object in no digest: {key} ({size} bytes)")
            }
            DeletedEarly {
                key,
                receipt_digest,
                deleted_at,
                retain_until,
            } => write!(
                f,
                "deleted early: {key}: receipt in {receipt_digest} deleted it at {deleted_at}, retained until {retain_until}"
            ),
            DigestUnreadable { key, error } => write!(f, "digest unreadable: {key}: {error}"),
            DigestBadSignature { key } => {
                write!(f, "digest signature invalid: {key}: altered or forged")
            }
            DigestUnknownSigner { key, signer } => {
                write!(
                    f,
                    "digest signed by an untrusted key: {key}: signer {signer}"
                )
            }
            DigestMisplaced { key, reason } => write!(f, "digest misplaced: {key}: {reason}"),
            DigestRemoved { key, referenced_by } => {
                write!(
                    f,
                    "digest removed: {key}: named as previous by {referenced_by}"
                )
            }
            DigestAltered {
                key,
                referenced_by,
                expected_sha256,
                actual_sha256,
            } => write!(
                f,
                "digest altered: {key}: sha256 {actual_sha256}; {referenced_by} links sha256 {expected_sha256}"
            ),
            BrokenLink { key, reason } => write!(f, "broken link: {key}: {reason}"),
            ChainFork { source, seq, keys } => write!(
                f,
                "chain fork: {source}: digest {seq} twice: {}",
                keys.join(", ")
            ),
            ChainStale {
                source,
                last_digest,
                period_end,
            } => write!(
                f,
                "chain stops early: {source}: last digest {last_digest} ends {period_end}"
            ),
            RewriteIncomplete { key, job } => write!(
                f,
                "rewrite incomplete: {key}: job {job} was interrupted or is running; run it again to finish"
            ),
            ReplacedObjectPresent {
                key,
                receipt_digest,
            } => write!(
                f,
                "replaced object still present: {key}: {receipt_digest} records its replacement, its events are there twice"
            ),
            SequenceGap {
                source,
                from_seq,
                to_seq,
                after,
                before,
            } => write!(
                f,
                "sequence gap: {source}: events {from_seq}..={to_seq} are in no listed object (between {after} and {before})"
            ),
            SequenceCount {
                source,
                first_seq,
                last_seq,
                rows,
            } => write!(
                f,
                "sequence count: {source}: listed objects hold {rows} events for sequence numbers {first_seq}..={last_seq}"
            ),
        }
    }
}

/// What [`verify_archive`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Chains read (sources and job chains).
    pub chains: usize,
    /// Digests read.
    pub digests: usize,
    /// Objects the digests list in the checked range.
    pub objects_listed: usize,
    /// Objects whose bytes matched their listing.
    pub objects_verified: usize,
    /// Bytes read to check them.
    pub bytes_verified: u64,
    /// Listed objects deleted under a receipt.
    pub objects_expired: usize,
    /// Listed objects replaced under a compaction or erasure receipt.
    pub objects_replaced: usize,
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A digest as read: its key, the SHA-256 of its bytes, and the parsed digest where it parsed.
struct ReadDigest {
    key: String,
    sha256: String,
    digest: std::result::Result<Digest, String>,
    valid: bool,
}

/// Verifies the archive in `store` against its digest chains, trusting `keys`.
pub async fn verify_archive(
    store: &dyn ObjectStore,
    keys: &[PublicKey],
    opts: &VerifyOptions,
) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let since_date = opts.since.map(|t| t.date_naive());
    let until_date = opts.until.map(|t| t.date_naive());
    let in_range =
        |d: NaiveDate| since_date.is_none_or(|s| d >= s) && until_date.is_none_or(|u| d <= u);
    // An object of a date is uploaded on or after that date (a day of clock skew allowed), so
    // the digests before then cannot list it.
    let first_digest_date = since_date.and_then(|d| d.checked_sub_days(Days::new(1)));

    let listed = store.list(DIGESTS_PREFIX).await?;
    let all_digest_keys: HashSet<&str> = listed.iter().map(|m| m.key.as_str()).collect();
    let mut to_read = Vec::new();
    for m in &listed {
        match parse_digest_key(&m.key) {
            Ok((_, date, _)) if first_digest_date.is_none_or(|f| date >= f) => {
                to_read.push(m.key.clone())
            }
            Ok(_) => {}
            Err(e) => report.findings.push(Finding::DigestUnreadable {
                key: m.key.clone(),
                error: e.to_string(),
            }),
        }
    }
    let read: Vec<ReadDigest> = futures::stream::iter(to_read)
        .map(|key| async move {
            let bytes = store.get(&key).await?;
            let sha256 = sha256_hex(&bytes);
            let digest = Digest::parse(&key, &bytes);
            Ok::<_, StorageError>((key, sha256, digest))
        })
        .buffered(opts.concurrency.max(1))
        .map_ok(|(key, sha256, digest)| ReadDigest {
            key,
            sha256,
            digest: digest.map_err(|e| e.to_string()),
            valid: false,
        })
        .try_collect()
        .await?;
    report.digests = read.len();

    // Signatures, placement, and chains by source.
    let mut chains: BTreeMap<String, BTreeMap<u64, Vec<ReadDigest>>> = BTreeMap::new();
    for mut r in read {
        let Ok((source, _, seq)) = parse_digest_key(&r.key) else {
            continue;
        };
        match &r.digest {
            Err(error) => report.findings.push(Finding::DigestUnreadable {
                key: r.key.clone(),
                error: error.clone(),
            }),
            Ok(d) => {
                match d.check_signature(keys) {
                    SignatureCheck::Valid => r.valid = true,
                    SignatureCheck::Invalid => report
                        .findings
                        .push(Finding::DigestBadSignature { key: r.key.clone() }),
                    SignatureCheck::UnknownSigner => {
                        report.findings.push(Finding::DigestUnknownSigner {
                            key: r.key.clone(),
                            signer: d.signer.clone(),
                        })
                    }
                }
                if d.source != source || d.seq != seq {
                    r.valid = false;
                    report.findings.push(Finding::DigestMisplaced {
                        key: r.key.clone(),
                        reason: format!("content is digest {} of {}", d.seq, d.source),
                    });
                }
            }
        }
        chains
            .entry(source)
            .or_default()
            .entry(seq)
            .or_default()
            .push(r);
    }
    report.chains = chains.len();
    for (source, chain) in &chains {
        check_chain(source, chain, &all_digest_keys, opts, &mut report.findings);
    }

    // What the valid digests list and which deletions they record, later listings winning.
    let mut entries: HashMap<String, (ObjectEntry, String)> = HashMap::new();
    let mut deleted: HashMap<String, (DeletedObject, DateTime<Utc>, String)> = HashMap::new();
    // Objects replaced by rewrites (key -> receipt digest), and events erased (as spans).
    let mut replaced: HashMap<String, String> = HashMap::new();
    let mut erased: Vec<Span> = Vec::new();
    for chain in chains.values() {
        for r in chain.values().flatten().filter(|r| r.valid) {
            let Ok(d) = &r.digest else { continue };
            for o in d.objects() {
                entries.insert(o.key.clone(), (o.clone(), r.key.clone()));
            }
            for receipt in d.receipts() {
                for del in &receipt.deleted {
                    deleted.insert(del.key.clone(), (del.clone(), receipt.time, r.key.clone()));
                }
            }
            for rw in d.rewrites() {
                for o in &rw.written {
                    entries.insert(o.key.clone(), (o.clone(), r.key.clone()));
                }
                for old in &rw.replaced {
                    replaced.insert(old.key.clone(), r.key.clone());
                }
                erased.extend(rw.erased.iter().map(|e| Span {
                    source: e.source.clone(),
                    first: e.first_seq,
                    last: e.last_seq,
                    rows: e.last_seq - e.first_seq + 1,
                    key: format!("(events erased under {})", r.key),
                }));
            }
        }
    }
    let spans = spans(&entries, &replaced, erased);
    if opts.since.is_none() && opts.until.is_none() {
        check_sequences(&spans, &mut report.findings);
    } else {
        check_gaps_only(&spans, &mut report.findings);
    }
    // Rewrites under way: their inputs may still be there, their outputs not yet listed.
    let markers = list_markers(store).await?;
    let mut in_progress: HashSet<String> = HashSet::new();
    for m in &markers {
        report.findings.push(Finding::RewriteIncomplete {
            key: m.key(),
            job: m.job.clone(),
        });
        in_progress.extend(m.inputs.iter().map(|i| i.key.clone()));
        in_progress.extend(m.outputs.iter().map(|o| o.key.clone()));
    }

    // The store's objects against the listings.
    let present: HashMap<String, u64> = store
        .list("")
        .await?
        .into_iter()
        .filter(|m| {
            !m.key.starts_with(DIGESTS_PREFIX)
                && !m.key.starts_with(HOLDS_PREFIX)
                && !m.key.starts_with(REWRITES_PREFIX)
        })
        .map(|m| (m.key, m.size))
        .collect();
    let key_in_range = |key: &str| match parse_data_key(key) {
        Ok(k) => in_range(k.event_date),
        Err(_) => true,
    };
    let mut to_hash = Vec::new();
    let mut listed_keys: Vec<&String> = entries.keys().filter(|k| key_in_range(k)).collect();
    listed_keys.sort();
    for key in listed_keys {
        let (entry, digest) = &entries[key];
        report.objects_listed += 1;
        match present.get(key) {
            Some(&size) if size != entry.size => report.findings.push(Finding::ObjectModified {
                key: key.clone(),
                digest: digest.clone(),
                expected_sha256: entry.sha256.clone(),
                actual_sha256: None,
                expected_size: entry.size,
                actual_size: size,
            }),
            Some(_) => {
                if let Some(receipt) = replaced.get(key)
                    && !in_progress.contains(key)
                {
                    report.findings.push(Finding::ReplacedObjectPresent {
                        key: key.clone(),
                        receipt_digest: receipt.clone(),
                    });
                }
                to_hash.push((entry, digest))
            }
            None if replaced.contains_key(key) => report.objects_replaced += 1,
            None => match deleted.get(key) {
                Some((del, time, receipt)) => {
                    report.objects_expired += 1;
                    if let Some(until) = del.retain_until.filter(|u| time < u) {
                        report.findings.push(Finding::DeletedEarly {
                            key: key.clone(),
                            receipt_digest: receipt.clone(),
                            deleted_at: *time,
                            retain_until: until,
                        });
                    }
                }
                None => report.findings.push(Finding::ObjectRemoved {
                    key: key.clone(),
                    digest: digest.clone(),
                }),
            },
        }
    }
    let hashed: Vec<_> = futures::stream::iter(to_hash)
        .map(|(entry, digest)| async move {
            let bytes = store.get(&entry.key).await?;
            Ok::<_, StorageError>((entry, digest, bytes.len() as u64, sha256_hex(&bytes)))
        })
        .buffered(opts.concurrency.max(1))
        .try_collect()
        .await?;
    for (entry, digest, size, sha) in hashed {
        if sha == entry.sha256 {
            report.objects_verified += 1;
            report.bytes_verified += size;
        } else {
            report.findings.push(Finding::ObjectModified {
                key: entry.key.clone(),
                digest: digest.clone(),
                expected_sha256: entry.sha256.clone(),
                actual_sha256: Some(sha),
                expected_size: entry.size,
                actual_size: size,
            });
        }
    }
    let mut unlisted: Vec<_> = present
        .iter()
        .filter(|(k, _)| !entries.contains_key(*k) && !in_progress.contains(*k) && key_in_range(k))
        .map(|(k, &size)| Finding::ObjectUnlisted {
            key: k.clone(),
            size,
        })
        .collect();
    unlisted.sort_by(|a, b| a.subject().cmp(b.subject()));
    report.findings.extend(unlisted);
    Ok(report)
}

/// Links, numbering, forks and staleness of one chain.
fn check_chain(
    source: &str,
    chain: &BTreeMap<u64, Vec<ReadDigest>>,
    all_keys: &HashSet<&str>,
    opts: &VerifyOptions,
    findings: &mut Vec<Finding>,
) {
    let by_key: HashMap<&str, &ReadDigest> = chain
        .values()
        .flatten()
        .map(|r| (r.key.as_str(), r))
        .collect();
    for (&seq, digests) in chain {
        if digests.len() > 1 {
            findings.push(Finding::ChainFork {
                source: source.to_string(),
                seq,
                keys: digests.iter().map(|r| r.key.clone()).collect(),
            });
        }
        for r in digests {
            let Ok(d) = &r.digest else { continue };
            let broken = |reason: String| Finding::BrokenLink {
                key: r.key.clone(),
                reason,
            };
            let Some(prev) = &d.previous else {
                if seq != 1 {
                    findings.push(broken(format!("digest {seq} names no previous digest")));
                }
                continue;
            };
            match parse_digest_key(&prev.key) {
                Ok((s, _, p)) if s == source && p + 1 == seq => {}
                _ => {
                    findings.push(broken(format!(
                        "previous {} is not digest {} of {source}",
                        prev.key,
                        seq.saturating_sub(1)
                    )));
                    continue;
                }
            }
            if !all_keys.contains(prev.key.as_str()) {
                findings.push(Finding::DigestRemoved {
                    key: prev.key.clone(),
                    referenced_by: r.key.clone(),
                });
            } else if let Some(p) = by_key.get(prev.key.as_str())
                && p.sha256 != prev.sha256
            {
                findings.push(Finding::DigestAltered {
                    key: prev.key.clone(),
                    referenced_by: r.key.clone(),
                    expected_sha256: prev.sha256.clone(),
                    actual_sha256: p.sha256.clone(),
                });
            }
        }
    }
    if let (Some(max_silence), false) = (opts.max_silence_secs, is_job_chain(source))
        && let Some(last) = chain.values().next_back().and_then(|v| v.first())
    {
        let end = last.digest.as_ref().ok().map(|d| d.period_end);
        if let Some(end) = end
            && opts.now.signed_duration_since(end).num_seconds() > max_silence as i64
        {
            findings.push(Finding::ChainStale {
                source: source.to_string(),
                last_digest: last.key.clone(),
                period_end: end,
            });
        }
    }
}

/// Sequence numbers of one source held by one listed object, or erased under a receipt.
#[derive(Debug, Clone)]
struct Span {
    source: String,
    first: u64,
    last: u64,
    rows: u64,
    /// The object, or what erased the events.
    key: String,
}

/// The spans of the listed objects with sequence numbers (except those a rewrite replaced,
/// whose events its outputs hold) and of erased events.
fn spans(
    entries: &HashMap<String, (ObjectEntry, String)>,
    replaced: &HashMap<String, String>,
    erased: Vec<Span>,
) -> Vec<Span> {
    let mut out = erased;
    for (entry, _) in entries.values() {
        if replaced.contains_key(&entry.key) {
            continue;
        }
        if let (Ok(k), Some(first), Some(last)) =
            (parse_data_key(&entry.key), entry.first_seq, entry.last_seq)
        {
            out.push(Span {
                source: k.source,
                first,
                last,
                rows: entry.rows,
                key: entry.key.clone(),
            });
        }
    }
    out
}

/// Spans by source, sorted by first sequence number.
fn by_source(spans: &[Span]) -> BTreeMap<String, Vec<&Span>> {
    let mut out: BTreeMap<String, Vec<&Span>> = BTreeMap::new();
    for s in spans {
        out.entry(s.source.clone()).or_default().push(s);
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| (a.first, a.last, &a.key).cmp(&(b.first, b.last, &b.key)));
    }
    out
}

/// Sequence numbers covered by no span.
fn check_gaps_only(spans: &[Span], findings: &mut Vec<Finding>) {
    for (source, list) in by_source(spans) {
        let mut covered: Option<(u64, &str)> = None;
        for e in list {
            let (first, last) = (e.first, e.last);
            if let Some((end, after)) = covered {
                if first > end + 1 {
                    findings.push(Finding::SequenceGap {
                        source: source.clone(),
                        from_seq: end + 1,
                        to_seq: first - 1,
                        after: after.to_string(),
                        before: e.key.clone(),
                    });
                }
                if last > end {
                    covered = Some((last, &e.key));
                }
            } else {
                covered = Some((last, &e.key));
            }
        }
    }
}

/// Gaps, and that the spans hold exactly one event per sequence number.
fn check_sequences(spans: &[Span], findings: &mut Vec<Finding>) {
    let before = findings.len();
    check_gaps_only(spans, findings);
    if findings.len() > before {
        return;
    }
    for (source, list) in by_source(spans) {
        let first = list.iter().map(|e| e.first).min().unwrap_or(0);
        let last = list.iter().map(|e| e.last).max().unwrap_or(0);
        let rows: u64 = list.iter().map(|e| e.rows).sum();
        if rows != last - first + 1 {
            findings.push(Finding::SequenceCount {
                source,
                first_seq: first,
                last_seq: last,
                rows,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{DigestWriter, RETENTION_CHAIN, Receipt, ReceiptKind};
    use crate::signing::DigestSigner;
    use auditlake_storage::{LocalStore, PutOptions};
    use bytes::Bytes;
    use std::sync::Arc;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn key(date: &str, seq: u64) -> String {
        format!(
            "tier=standard/event_date={date}/idp-{}T000000Z-{seq:08}.parquet",
            date.replace('-', "")
        )
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        store: LocalStore,
        signer: Arc<DigestSigner>,
        keys: Vec<String>,
        digests: Vec<String>,
    }

    /// Three objects of 10 events each in two digests, then a heartbeat.
    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let signer = Arc::new(DigestSigner::generate());
        let mut w = DigestWriter::open(
            &store,
            "idp",
            signer.clone(),
            None,
            t("2026-11-21T00:00:00Z"),
        )
        .await
        .unwrap();
        let mut keys = Vec::new();
        let mut digests = Vec::new();
        for (i, date) in ["2026-11-21", "2026-11-21", "2026-11-22"]
            .iter()
            .enumerate()
        {
            let k = key(date, i as u64);
            let bytes = Bytes::from(format!("object {i}"));
            store
                .put(&k, bytes.clone(), &PutOptions::default())
                .await
                .unwrap();
            w.record(ObjectEntry {
                key: k.clone(),
                sha256: sha256_hex(&bytes),
                size: bytes.len() as u64,
                rows: 10,
                min_time: 0,
                max_time: 0,
                first_seq: Some(i as u64 * 10),
                last_seq: Some(i as u64 * 10 + 9),
            })
            .unwrap();
            keys.push(k);
            if i == 1 {
                digests.push(
                    w.write_digest(&store, t("2026-11-22T00:00:00Z"))
                        .await
                        .unwrap(),
                );
            }
        }
        digests.push(
            w.write_digest(&store, t("2026-11-22T01:00:00Z"))
                .await
                .unwrap(),
        );
        digests.push(
            w.write_digest(&store, t("2026-11-22T02:00:00Z"))
                .await
                .unwrap(),
        );
        Fixture {
            _dir: dir,
            store,
            signer,
            keys,
            digests,
        }
    }

    async fn run(f: &Fixture) -> VerifyReport {
        verify_archive(
            &f.store,
            &[f.signer.public_key().clone()],
            &VerifyOptions::default(),
        )
        .await
        .unwrap()
    }

    fn kinds(r: &VerifyReport) -> Vec<String> {
        r.findings
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    serde_json::to_value(f).unwrap()["finding"]
                        .as_str()
                        .unwrap(),
                    f.subject()
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn a_clean_archive_verifies() {
        let f = fixture().await;
        let r = run(&f).await;
        assert!(r.is_clean(), "{:?}", r.findings);
        assert_eq!(
            (r.chains, r.digests, r.objects_listed, r.objects_verified),
            (1, 3, 3, 3)
        );
    }

    #[tokio::test]
    async fn modified_removed_and_slipped_in_objects_are_named() {
        let f = fixture().await;
        let opts = PutOptions::default();
        let put = |k: String, b: &'static [u8]| {
            let store = &f.store;
            let opts = &opts;
            async move { store.put(&k, Bytes::from_static(b), opts).await.unwrap() }
        };
        put(f.keys[0].clone(), b"object X").await; // same size, other bytes
        put(f.keys[1].clone(), b"longer bytes").await;
        f.store.delete(&f.keys[2]).await.unwrap();
        let extra = key("2026-11-22", 9);
        put(extra.clone(), b"slipped in").await;
        put("elsewhere/x.parquet".into(), b"stray").await;
        let r = run(&f).await;
        assert_eq!(
            kinds(&r),
            [
                format!("object_modified {}", f.keys[1]),
                format!("object_removed {}", f.keys[2]),
                format!("object_modified {}", f.keys[0]),
                "object_unlisted elsewhere/x.parquet".to_string(),
                format!("object_unlisted {extra}"),
            ]
        );
        assert!(
            r.findings[2].to_string().contains("sha256"),
            "{}",
            r.findings[2]
        );
    }

    #[tokio::test]
    async fn removed_altered_and_forged_digests_are_named() {
        let f = fixture().await;
        // Alter the first digest: drop an entry (the signature no longer verifies, and the link
        // from the second no longer matches).
        let d0 = Digest::parse(&f.digests[0], &f.store.get(&f.digests[0]).await.unwrap()).unwrap();
        let mut altered = d0.clone();
        altered.entries.pop();
        f.store
            .put(&f.digests[0], altered.to_bytes(), &PutOptions::default())
            .await
            .unwrap();
        let r = run(&f).await;
        let k = kinds(&r);
        assert!(
            k.contains(&format!("digest_bad_signature {}", f.digests[0])),
            "{k:?}"
        );
        assert!(
            k.contains(&format!("digest_altered {}", f.digests[0])),
            "{k:?}"
        );
        // Its objects are no longer vouched for.
        assert!(
            k.contains(&format!("object_unlisted {}", f.keys[1])),
            "{k:?}"
        );

        // Re-signed by another key: an untrusted signer.
        let other = DigestSigner::generate();
        let mut forged = d0.clone();
        forged.sign(&other);
        f.store
            .put(&f.digests[0], forged.to_bytes(), &PutOptions::default())
            .await
            .unwrap();
        let k = kinds(&run(&f).await);
        assert!(
            k.contains(&format!("digest_unknown_signer {}", f.digests[0])),
            "{k:?}"
        );

        // Removed: the next digest's link names it.
        f.store.delete(&f.digests[0]).await.unwrap();
        let k = kinds(&run(&f).await);
        assert!(
            k.contains(&format!("digest_removed {}", f.digests[0])),
            "{k:?}"
        );

        // Renamed to another seq: misplaced.
        f.store
            .put(&f.digests[0], d0.to_bytes(), &PutOptions::default())
            .await
            .unwrap();
        let moved = "_digests/idp/2026-11-22/00000009.json";
        f.store
            .put(moved, d0.to_bytes(), &PutOptions::default())
            .await
            .unwrap();
        let k = kinds(&run(&f).await);
        assert!(k.contains(&format!("digest_misplaced {moved}")), "{k:?}");
        f.store.delete(moved).await.unwrap();

        // Garbage under _digests/.
        f.store
            .put(
                "_digests/idp/notes.txt",
                Bytes::from_static(b"x"),
                &PutOptions::default(),
            )
            .await
            .unwrap();
        let k = kinds(&run(&f).await);
        assert_eq!(k, ["digest_unreadable _digests/idp/notes.txt"]);
    }

    #[tokio::test]
    async fn a_truncated_chain_is_stale_and_a_receipt_makes_expiry_lawful() {
        let f = fixture().await;
        // The last two digests removed: only staleness can tell.
        f.store.delete(&f.digests[2]).await.unwrap();
        f.store.delete(&f.digests[1]).await.unwrap();
        let opts = VerifyOptions {
            max_silence_secs: Some(7200),
            now: t("2026-11-23T00:00:00Z"),
            ..VerifyOptions::default()
        };
        let keys = [f.signer.public_key().clone()];
        let r = verify_archive(&f.store, &keys, &opts).await.unwrap();
        let k = kinds(&r);
        assert!(k.contains(&"chain_stale idp".to_string()), "{k:?}");
        assert!(
            k.contains(&format!("object_unlisted {}", f.keys[2])),
            "{k:?}"
        );

        // A receipt for a removed object, in the retention chain.
        let f = fixture().await;
        f.store.delete(&f.keys[0]).await.unwrap();
        let mut w = DigestWriter::open(
            &f.store,
            RETENTION_CHAIN,
            f.signer.clone(),
            None,
            t("2027-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
        w.record_receipt(Receipt {
            kind: ReceiptKind::Retention,
            policy: "tier standard: retention_days = 30".into(),
            time: t("2027-01-01T00:00:00Z"),
            deleted: vec![DeletedObject {
                key: f.keys[0].clone(),
                size: 8,
                retain_until: Some(t("2026-12-22T00:00:00Z")),
            }],
        })
        .unwrap();
        w.write_digest(&f.store, t("2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        let r = run(&f).await;
        assert!(r.is_clean(), "{:?}", r.findings);
        assert_eq!(r.objects_expired, 1);
    }

    #[test]
    fn sequence_gaps_and_counts() {
        let e = |k: &str, first: u64, last: u64, rows: u64| {
            (
                k.to_string(),
                (
                    ObjectEntry {
                        key: k.to_string(),
                        sha256: String::new(),
                        size: 0,
                        rows,
                        min_time: 0,
                        max_time: 0,
                        first_seq: Some(first),
                        last_seq: Some(last),
                    },
                    "d".to_string(),
                ),
            )
        };
        // Interleaved objects of one flush (two tiers) are not a gap.
        let ok: HashMap<_, _> = [
            e(&key("2026-11-21", 0), 0, 8, 5),
            e(&key("2026-11-21", 1), 1, 9, 5),
            e(&key("2026-11-21", 2), 10, 19, 10),
        ]
        .into_iter()
        .collect();
        let none = HashMap::new();
        let mut findings = Vec::new();
        check_sequences(&spans(&ok, &none, vec![]), &mut findings);
        assert!(findings.is_empty(), "{findings:?}");
        let gap: HashMap<_, _> = [
            e(&key("2026-11-21", 0), 0, 9, 10),
            e(&key("2026-11-21", 2), 20, 29, 10),
        ]
        .into_iter()
        .collect();
        check_sequences(&spans(&gap, &none, vec![]), &mut findings);
        assert!(
            matches!(
                &findings[..],
                [Finding::SequenceGap {
                    from_seq: 10,
                    to_seq: 19,
                    ..
                }]
            ),
            "{findings:?}"
        );
        findings.clear();
        let missing_rows: HashMap<_, _> = [e(&key("2026-11-21", 0), 0, 9, 7)].into_iter().collect();
        check_sequences(&spans(&missing_rows, &none, vec![]), &mut findings);
        assert!(
            matches!(&findings[..], [Finding::SequenceCount { rows: 7, .. }]),
            "{findings:?}"
        );
    }
}

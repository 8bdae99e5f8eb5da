//! Keys, digests, verify and retention as a user runs them. The drills need digests written at
//! chosen times, so the test writes them through the library the agent calls (`DigestWriter`),
//! from the objects `agent --once` stored, in place of the ones the agent signed itself.

mod util;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use auditlake_archive::digest::{Digest, Entry};
use auditlake_archive::{DigestSigner, DigestWriter, ObjectEntry, parse_data_key, sha256_hex};
use auditlake_storage::{LocalStore, ObjectStore};
use util::*;

/// Archives the sample logs, makes a key pair with `keygen`, and digests every object per
/// source, as the agent does. Returns (config, archive dir, key prefix).
fn archive_with_digests(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    archive_with_digests_at(dir, chrono::Utc::now())
}

/// As [`archive_with_digests`], with the digests written at `now` and the heartbeat an hour
/// later.
fn archive_with_digests_at(
    dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> (PathBuf, PathBuf, PathBuf) {
    let config = quickstart_config(dir);
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    // The agent signed digests with a key it generated in its state directory; the chains
    // start again here, signed with the key made below at the drill's times.
    std::fs::remove_dir_all(dir.join("archive").join("_digests")).unwrap();
    let prefix = dir.join("audit");
    let out = run_ok(auditlake().args(["keygen", "--out"]).arg(&prefix));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sha256:"));
    let key_file = dir.join("audit.key");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[digest]\nsigning_key_file = \"{}\"\n",
        key_file.display()
    ));
    std::fs::write(&config, text).unwrap();

    let archive = dir.join("archive");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = LocalStore::new(&archive).unwrap();
        let signer = Arc::new(DigestSigner::from_file(&key_file).unwrap());
        let mut writers = std::collections::BTreeMap::new();
        for m in store.list("tier=").await.unwrap() {
            let key = parse_data_key(&m.key).unwrap();
            let bytes = store.get(&m.key).await.unwrap();
            let batches = auditlake_archive::decode_parquet(bytes.clone()).unwrap();
            let (mut rows, mut first, mut last, mut min_t, mut max_t) =
                (0u64, u64::MAX, 0u64, i64::MAX, i64::MIN);
            for b in &batches {
                use arrow::array::AsArray;
                rows += b.num_rows() as u64;
                let seq = b["seq"].as_primitive::<arrow::datatypes::Int64Type>();
                let time = b["time"].as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
                for i in 0..b.num_rows() {
                    first = first.min(seq.value(i) as u64);
                    last = last.max(seq.value(i) as u64);
                    min_t = min_t.min(time.value(i));
                    max_t = max_t.max(time.value(i));
                }
            }
            if !writers.contains_key(&key.source) {
                let w = DigestWriter::open(&store, &key.source, signer.clone(), None, now)
                    .await
                    .unwrap();
                writers.insert(key.source.clone(), w);
            }
            writers
                .get_mut(&key.source)
                .unwrap()
                .record(ObjectEntry {
                    key: m.key.clone(),
                    sha256: sha256_hex(&bytes),
                    size: bytes.len() as u64,
                    rows,
                    min_time: min_t,
                    max_time: max_t,
                    first_seq: Some(first),
                    last_seq: Some(last),
                })
                .unwrap();
        }
        for w in writers.values_mut() {
            w.write_digest(&store, now).await.unwrap();
            // A heartbeat after it.
            w.write_digest(&store, now + chrono::TimeDelta::hours(1))
                .await
                .unwrap();
        }
    });
    (config, archive, prefix)
}

fn verify(archive: &Path, prefix: &Path) -> (bool, serde_json::Value) {
    verify_with(archive, prefix, &[])
}

/// `verify --format json` with further arguments: whether it passed, and its report.
fn verify_with(archive: &Path, prefix: &Path, args: &[&str]) -> (bool, serde_json::Value) {
    let out = auditlake()
        .args(["verify", "--format", "json", "--archive"])
        .arg(archive)
        .arg("--public-key")
        .arg(prefix.with_extension("pub"))
        .args(args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["finding"].as_str().unwrap().to_string(),
                f["key"]
                    .as_str()
                    .or(f["source"].as_str())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn data_keys(archive: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for e in walk(archive) {
        let rel = e
            .strip_prefix(archive)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("tier=") {
            keys.push(rel);
        }
    }
    keys.sort();
    keys
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The source a data object belongs to.
fn source_of(key: &str) -> String {
    parse_data_key(key).unwrap().source
}

/// The path and store key of digest `seq` of `source`.
fn digest_of(archive: &Path, source: &str, seq: u64) -> (PathBuf, String) {
    let name = format!("{seq:08}.json");
    let path = walk(&archive.join("_digests").join(source))
        .into_iter()
        .find(|p| p.ends_with(&name))
        .unwrap_or_else(|| panic!("no digest {seq} of {source}"));
    let key = path
        .strip_prefix(archive)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (path, key)
}

/// `(kind, subject)` pairs, sorted, to compare a report with what a drill expects.
fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

/// `(kind, subject)` with an owned kind.
fn pair(kind: &str, subject: &str) -> (String, String) {
    (kind.to_string(), subject.to_string())
}

#[test]
fn tamper_drill_each_change_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (_config, archive, prefix) = archive_with_digests(dir.path());
    let (ok, report) = verify(&archive, &prefix);
    assert!(ok, "{report:#}");
    assert!(
        report["objects_verified"].as_u64().unwrap() >= 5,
        "{report:#}"
    );

    // Text output, exit 0.
    let out = run_ok(
        auditlake()
            .args(["verify", "--archive"])
            .arg(&archive)
            .arg("--public-key")
            .arg(prefix.with_extension("pub")),
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));

    let keys = data_keys(&archive);
    // Modify one object's bytes (same length), delete another, slip one in.
    let modified = archive.join(&keys[0]);
    let mut bytes = std::fs::read(&modified).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&modified, &bytes).unwrap();
    std::fs::remove_file(archive.join(&keys[1])).unwrap();
    let slipped = keys[2].replace(".parquet", "9.parquet");
    std::fs::copy(archive.join(&keys[2]), archive.join(&slipped)).unwrap();
    // Alter a digest: its bytes change, so its signature and the next digest's link break.
    // A digest of a source the object changes above leave alone, so that those objects stay
    // vouched for by valid digests.
    let touched: Vec<String> = keys[..3].iter().map(|k| source_of(k)).collect();
    let altered_source = keys
        .iter()
        .map(|k| source_of(k))
        .find(|s| !touched.contains(s))
        .unwrap();
    let (digest, digest_key) = digest_of(&archive, &altered_source, 1);
    let text = std::fs::read_to_string(&digest).unwrap();
    std::fs::write(&digest, text.replacen("\"rows\": ", "\"rows\": 1", 1)).unwrap();

    let (ok, report) = verify(&archive, &prefix);
    assert!(!ok, "{report:#}");
    let first = findings(&report);
    let mut want = vec![
        pair("object_modified", &keys[0]),
        pair("object_removed", &keys[1]),
        pair("object_unlisted", &slipped),
        pair("digest_bad_signature", &digest_key),
        pair("digest_altered", &digest_key),
    ];
    // The altered digest vouches for nothing: the objects it listed are in no valid digest.
    want.extend(
        keys.iter()
            .filter(|k| source_of(k) == altered_source)
            .map(|k| pair("object_unlisted", k)),
    );
    assert_eq!(sorted(first.clone()), sorted(want), "{report:#}");

    // A second archive of the same logs for the tampers that would mask those above (a removed
    // or forged digest unlists its objects). Its digests were written two hours ago and the
    // heartbeats one hour ago, so that a chain cut back to its first digest has been silent
    // longer than `--max-silence-secs` allows, and the intact ones have not.
    let dir2 = tempfile::tempdir().unwrap();
    let (_config, archive, prefix) = archive_with_digests_at(
        dir2.path(),
        chrono::Utc::now() - chrono::TimeDelta::hours(2),
    );
    let silence = ["--max-silence-secs", "5400"];
    let (ok, report) = verify_with(&archive, &prefix, &silence);
    assert!(ok, "{report:#}");
    let keys = data_keys(&archive);
    let mut sources: Vec<String> = keys.iter().map(|k| source_of(k)).collect();
    sources.sort();
    sources.dedup();
    // Judged three hours from now (`--now`), every chain has been silent too long.
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(3)).to_rfc3339();
    let (ok, report) = verify_with(
        &archive,
        &prefix,
        &[silence[0], silence[1], "--now", &later],
    );
    assert!(!ok, "{report:#}");
    assert_eq!(
        sorted(findings(&report)),
        sources
            .iter()
            .map(|s| pair("chain_stale", s))
            .collect::<Vec<_>>(),
        "{report:#}"
    );
    // Rename: a security object moved to the operational tier (a shorter retention).
    let renamed_from = keys
        .iter()
        .find(|k| k.starts_with("tier=security/"))
        .unwrap()
        .clone();
    let renamed_to = renamed_from.replacen("tier=security/", "tier=operational/", 1);
    let renamed_source = source_of(&renamed_from);
    let mut others = sources.iter().filter(|s| **s != renamed_source).cloned();
    let (removed_source, unknown_source, truncated_source, forged_source) = (
        others.next().unwrap(),
        others.next().unwrap(),
        others.next().unwrap(),
        others.next().unwrap(),
    );
    let target = archive.join(&renamed_to);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::rename(archive.join(&renamed_from), &target).unwrap();

    // Delete a digest that is not the newest: the heartbeat's link names it.
    let (path, removed_digest) = digest_of(&archive, &removed_source, 1);
    std::fs::remove_file(path).unwrap();

    // A key made with `keygen` that the verifier does not trust.
    let intruder = dir2.path().join("intruder");
    run_ok(auditlake().args(["keygen", "--out"]).arg(&intruder));
    let intruder = DigestSigner::from_file(&intruder.with_extension("key")).unwrap();

    // Forge the newest digest of a source so that it vouches for a slipped-in copy of one of
    // its objects, re-signed with the untrusted key.
    let original = keys
        .iter()
        .find(|k| source_of(k) == unknown_source)
        .unwrap();
    let copy = original.replace(".parquet", "9.parquet");
    std::fs::copy(archive.join(original), archive.join(&copy)).unwrap();
    let (path, first_key) = digest_of(&archive, &unknown_source, 1);
    let listed = Digest::parse(&first_key, &std::fs::read(path).unwrap()).unwrap();
    let mut entry = listed
        .objects()
        .find(|o| &o.key == original)
        .unwrap()
        .clone();
    entry.key = copy.clone();
    let (path, unknown_digest) = digest_of(&archive, &unknown_source, 2);
    let mut forged = Digest::parse(&unknown_digest, &std::fs::read(&path).unwrap()).unwrap();
    forged.entries.push(Entry::Object(entry));
    forged.sign(&intruder);
    std::fs::write(&path, forged.to_bytes()).unwrap();

    // Replace a digest's signature with the untrusted key's, still naming the trusted signer.
    let (path, forged_digest) = digest_of(&archive, &forged_source, 1);
    let mut forged = Digest::parse(&forged_digest, &std::fs::read(&path).unwrap()).unwrap();
    forged.signature = intruder.sign(&forged.canonical_bytes());
    std::fs::write(&path, forged.to_bytes()).unwrap();

    // Truncate a chain: its newest digest (the heartbeat) is gone. Nothing links to it, so only
    // the chain's silence can tell.
    let (path, _) = digest_of(&archive, &truncated_source, 2);
    std::fs::remove_file(path).unwrap();

    let mut want = vec![
        pair("object_removed", &renamed_from),
        pair("object_unlisted", &renamed_to),
        pair("digest_removed", &removed_digest),
        pair("digest_unknown_signer", &unknown_digest),
        pair("object_unlisted", &copy),
        pair("digest_bad_signature", &forged_digest),
        pair("digest_altered", &forged_digest),
    ];
    // The objects of the removed digest and of the one with a swapped signature are listed by
    // no valid digest.
    want.extend(
        keys.iter()
            .filter(|k| {
                let s = source_of(k);
                s == removed_source || s == forged_source
            })
            .map(|k| pair("object_unlisted", k)),
    );
    let (ok, report) = verify(&archive, &prefix);
    assert!(!ok, "{report:#}");
    assert_eq!(
        sorted(findings(&report)),
        sorted(want.clone()),
        "{report:#}"
    );

    want.push(pair("chain_stale", &truncated_source));
    let (ok, report) = verify_with(&archive, &prefix, &silence);
    assert!(!ok, "{report:#}");
    let second = findings(&report);
    // The unknown signer is the key that forged the digest.
    let unknown = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["finding"] == "digest_unknown_signer")
        .unwrap();
    assert_eq!(unknown["signer"], intruder.fingerprint(), "{unknown:#}");
    assert_eq!(sorted(second.clone()), sorted(want), "{report:#}");

    for (kind, subject) in first.iter().chain(&second) {
        eprintln!("{kind} {subject}");
    }
}

#[test]
fn retention_respects_a_hold_and_leaves_a_verifiable_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let (config, archive, prefix) = archive_with_digests(dir.path());
    let before = data_keys(&archive);
    let security: Vec<_> = before
        .iter()
        .filter(|k| k.starts_with("tier=security/"))
        .cloned()
        .collect();
    assert!(!security.is_empty() && security.len() < before.len());
    run_ok(
        auditlake()
            .args([
                "hold",
                "add",
                "--name",
                "case-7",
                "--reason",
                "litigation",
                "--tier",
                "security",
                "--archive",
            ])
            .arg(&archive),
    );
    let out = run_ok(
        auditlake()
            .args(["hold", "list", "--archive"])
            .arg(&archive),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("case-7"));

    // Dry run far in the future: everything outside the hold is planned, nothing deleted.
    let out = run_ok(
        auditlake()
            .args([
                "retention",
                "--dry-run",
                "--json",
                "--now",
                "2100-01-01",
                "--config",
            ])
            .arg(&config),
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["delete"].as_array().unwrap().len(),
        before.len() - security.len()
    );
    assert_eq!(plan["held"].as_array().unwrap().len(), security.len());
    assert_eq!(data_keys(&archive), before);

    // Now: today nothing has expired.
    let out = run_ok(
        auditlake()
            .args(["retention", "--dry-run", "--json", "--config"])
            .arg(&config),
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plan["delete"].as_array().unwrap().is_empty(), "{plan:#}");

    run_ok(
        auditlake()
            .args(["retention", "--now", "2100-01-01", "--config"])
            .arg(&config),
    );
    assert_eq!(data_keys(&archive), security);
    let (ok, report) = verify(&archive, &prefix);
    assert!(ok, "{report:#}");
    assert_eq!(
        report["objects_expired"].as_u64().unwrap() as usize,
        before.len() - security.len()
    );

    // Deleting a held object by hand is still caught.
    let store_key = &security[0];
    std::fs::remove_file(archive.join(store_key)).unwrap();
    let (ok, report) = verify(&archive, &prefix);
    assert!(!ok);
    assert!(findings(&report).contains(&("object_removed".to_string(), store_key.clone())));
}

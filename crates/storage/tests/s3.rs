//! The S3 store against a real S3 server (moto): the conformance suite, multipart uploads,
//! Object Lock, legal holds, storage class, encryption and error mapping.
//!
//! The server's url comes from `AUDITLAKE_TEST_S3_ENDPOINT` (`eval "$(scripts/moto.sh start)"`);
//! when it is unset every test says it was skipped and passes. Each test makes its own bucket.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auditlake_storage::s3::{S3Config, S3Store, SseAlgorithm};
use auditlake_storage::{LockMode, ObjectLock, ObjectStore, PutOptions, Sse, StorageError};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use bytes::Bytes;
use chrono::{DurationRound, TimeDelta, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

/// The test server's url, or `None` (and a line saying the test is skipped).
fn endpoint(test: &str) -> Option<String> {
    match std::env::var("AUDITLAKE_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!(
                "skipped {test}: AUDITLAKE_TEST_S3_ENDPOINT is not set (eval \"$(scripts/moto.sh start)\")"
            );
            None
        }
    }
}

/// Static test credentials; the server does not check them.
fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test",
            "test",
            None,
            None,
            "auditlake-tests",
        )))
        .build()
}

fn s3_config(endpoint: &str) -> S3Config {
    S3Config {
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint.into()),
        force_path_style: true,
        initial_backoff_ms: 20,
        max_backoff_ms: 500,
        ..S3Config::default()
    }
}

/// A bucket name no other test uses.
fn bucket_name(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "auditlake-{tag}-{nanos}-{}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a new bucket (with Object Lock when `locked`).
async fn store_on_new_bucket(
    endpoint: &str,
    tag: &str,
    prefix: &str,
    locked: bool,
    cfg: S3Config,
) -> S3Store {
    let bucket = bucket_name(tag);
    let store = S3Store::with_sdk_config(&sdk_config(endpoint), &bucket, prefix, &cfg).unwrap();
    let mut create = store.client().create_bucket().bucket(&bucket);
    if locked {
        create = create.object_lock_enabled_for_bucket(true);
    }
    create.send().await.expect("create bucket");
    store
}

/// Deterministic pseudo-random bytes (xorshift), not compressible.
fn pseudo_random(len: usize, seed: u64) -> Bytes {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

#[tokio::test]
async fn conformance_suite() {
    let Some(ep) = endpoint("conformance_suite") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "conf", "archive/prod", false, s3_config(&ep)).await;
    assert_eq!(
        store.describe(),
        format!("s3://{}/archive/prod", store.bucket())
    );
    auditlake_storage::conformance::run_all(&store).await;

    // the store's keys live under its prefix in the bucket, and nowhere else
    store
        .put(
            "a/b.parquet",
            Bytes::from_static(b"x"),
            &PutOptions::default(),
        )
        .await
        .unwrap();
    let raw = store
        .client()
        .list_objects_v2()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = raw.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["archive/prod/a/b.parquet"]);
    assert_eq!(store.list("").await.unwrap()[0].key, "a/b.parquet");
}

#[tokio::test]
async fn conformance_suite_without_prefix() {
    let Some(ep) = endpoint("conformance_suite_without_prefix") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "conf-root", "", false, s3_config(&ep)).await;
    assert_eq!(store.describe(), format!("s3://{}", store.bucket()));
    auditlake_storage::conformance::run_all(&store).await;
}

#[tokio::test]
async fn multipart_round_trips_byte_for_byte() {
    let Some(ep) = endpoint("multipart_round_trips_byte_for_byte") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "multipart", "p", false, s3_config(&ep)).await;
    // 20 MiB > the 16 MiB threshold: three parts of 8, 8 and 4 MiB
    let data = pseudo_random(20 * MIB + 123, 7);
    let key = "tier=security/event_date=2026-11-21/big.parquet";
    store
        .put(key, data.clone(), &PutOptions::default())
        .await
        .unwrap();

    let got = store.get(key).await.unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "multipart object differs");
    assert_eq!(store.head(key).await.unwrap().size, data.len() as u64);

    // a range across the boundary of parts 1 and 2
    let boundary = 8 * MIB;
    let range = (boundary - 1000) as u64..(boundary + 1000) as u64;
    let part = store.get_range(key, range).await.unwrap();
    assert!(
        part == data[boundary - 1000..boundary + 1000],
        "range across parts differs"
    );
    // and one clipped at the end
    let tail = store
        .get_range(key, (data.len() - 10) as u64..u64::MAX)
        .await
        .unwrap();
    assert!(tail == data[data.len() - 10..]);

    // no upload is left open
    let open = store
        .client()
        .list_multipart_uploads()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    assert!(
        open.uploads().is_empty(),
        "open uploads: {:?}",
        open.uploads()
    );
}

#[tokio::test]
async fn multipart_with_small_parts_and_options() {
    let Some(ep) = endpoint("multipart_with_small_parts_and_options") else {
        return;
    };
    let cfg = S3Config {
        multipart_threshold_bytes: 5 * MIB as u64,
        multipart_part_bytes: 5 * MIB as u64,
        max_concurrent_parts: 2,
        ..s3_config(&ep)
    };
    let store = store_on_new_bucket(&ep, "mp-opts", "", true, cfg).await;
    let data = pseudo_random(11 * MIB, 3);
    let retain_until = (Utc::now() + TimeDelta::days(2))
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap();
    let opts = PutOptions {
        storage_class: Some("STANDARD_IA".into()),
        sse: Some(Sse::Aes256),
        object_lock: Some(ObjectLock {
            mode: LockMode::Compliance,
            retain_until,
        }),
        ..PutOptions::default()
    };
    store.put("big", data.clone(), &opts).await.unwrap();
    assert!(store.get("big").await.unwrap() == data);
    let info = store.inspect("big").await.unwrap();
    assert_eq!(info.size, data.len() as u64);
    assert_eq!(info.storage_class.as_deref(), Some("STANDARD_IA"));
    assert_eq!(info.sse, Some(Sse::Aes256));
    assert_eq!(
        info.lock,
        Some(ObjectLock {
            mode: LockMode::Compliance,
            retain_until
        })
    );
}

#[tokio::test]
async fn every_put_carries_a_sha256_checksum() {
    let Some(ep) = endpoint("every_put_carries_a_sha256_checksum") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "checksum", "", false, s3_config(&ep)).await;
    let data = Bytes::from_static(b"an audit batch");
    store
        .put("x", data.clone(), &PutOptions::default())
        .await
        .unwrap();
    let info = store.inspect("x").await.unwrap();
    let want = aws_smithy_types::base64::encode(Sha256::digest(&data));
    assert_eq!(info.checksum_sha256.as_deref(), Some(want.as_str()));
}

#[tokio::test]
async fn compliance_lock_refuses_deletion_of_the_version() {
    let Some(ep) = endpoint("compliance_lock_refuses_deletion_of_the_version") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "lock", "archive", true, s3_config(&ep)).await;
    // S3 keeps the retain-until date to the second (or millisecond): compare at that precision
    let retain_until = (Utc::now() + TimeDelta::days(1))
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap();
    let opts = PutOptions {
        object_lock: Some(ObjectLock {
            mode: LockMode::Compliance,
            retain_until,
        }),
        ..PutOptions::default()
    };
    let key = "tier=security/event_date=2026-11-21/locked.parquet";
    store
        .put(key, Bytes::from_static(b"locked bytes"), &opts)
        .await
        .unwrap();

    let info = store.inspect(key).await.unwrap();
    assert_eq!(
        info.lock,
        Some(ObjectLock {
            mode: LockMode::Compliance,
            retain_until
        })
    );
    assert!(!info.legal_hold);
    let version = info.version_id.expect("an object lock bucket is versioned");

    let err = store.delete_version(key, &version).await.unwrap_err();
    assert!(matches!(err, StorageError::AccessDenied { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(store.get(key).await.unwrap(), &b"locked bytes"[..]);
}

#[tokio::test]
async fn legal_hold_blocks_deletion_until_cleared() {
    let Some(ep) = endpoint("legal_hold_blocks_deletion_until_cleared") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "hold", "", true, s3_config(&ep)).await;
    let key = "held.parquet";
    store
        .put(key, Bytes::from_static(b"held"), &PutOptions::default())
        .await
        .unwrap();
    let info = store.inspect(key).await.unwrap();
    assert_eq!(info.lock, None);
    assert!(!info.legal_hold);
    let version = info.version_id.unwrap();

    store.set_legal_hold(key, true).await.unwrap();
    assert!(store.inspect(key).await.unwrap().legal_hold);
    let err = store.delete_version(key, &version).await.unwrap_err();
    assert!(matches!(err, StorageError::AccessDenied { .. }), "{err:?}");

    store.set_legal_hold(key, false).await.unwrap();
    assert!(!store.inspect(key).await.unwrap().legal_hold);
    store.delete_version(key, &version).await.unwrap();
    let err = store.get(key).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn legal_hold_needs_an_object_lock_bucket() {
    let Some(ep) = endpoint("legal_hold_needs_an_object_lock_bucket") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "nohold", "", false, s3_config(&ep)).await;
    store
        .put("k", Bytes::from_static(b"k"), &PutOptions::default())
        .await
        .unwrap();
    let err = store.set_legal_hold("k", true).await.unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn storage_class_and_encryption_are_applied() {
    let Some(ep) = endpoint("storage_class_and_encryption_are_applied") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "class", "", false, s3_config(&ep)).await;
    let opts = PutOptions {
        storage_class: Some("STANDARD_IA".into()),
        sse: Some(Sse::Aes256),
        content_type: Some("application/vnd.apache.parquet".into()),
        ..PutOptions::default()
    };
    store
        .put("ia", Bytes::from_static(b"ia"), &opts)
        .await
        .unwrap();
    let info = store.inspect("ia").await.unwrap();
    assert_eq!(info.storage_class.as_deref(), Some("STANDARD_IA"));
    assert_eq!(info.sse, Some(Sse::Aes256));

    // the configured encryption applies when the put does not name one
    let cfg = S3Config {
        sse: Some(SseAlgorithm::Aes256),
        ..s3_config(&ep)
    };
    let store = S3Store::with_sdk_config(&sdk_config(&ep), store.bucket(), "", &cfg).unwrap();
    store
        .put("default", Bytes::from_static(b"d"), &PutOptions::default())
        .await
        .unwrap();
    let info = store.inspect("default").await.unwrap();
    assert_eq!(info.sse, Some(Sse::Aes256));
    assert_eq!(info.storage_class, None);
}

#[tokio::test]
async fn delete_many_spans_batches() {
    let Some(ep) = endpoint("delete_many_spans_batches") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "bulk", "pre", false, s3_config(&ep)).await;
    let keys: Vec<String> = (0..1003).map(|i| format!("d/{i:05}")).collect();
    let opts = PutOptions::default();
    let puts = futures::stream::iter(&keys)
        .map(|k| store.put(k, Bytes::from_static(b"x"), &opts))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(puts.iter().all(Result::is_ok));
    let listed = store.list("d/").await.unwrap();
    assert_eq!(listed.len(), 1003, "listing spans pages");
    assert_eq!(
        listed.iter().map(|m| m.key.clone()).collect::<Vec<_>>(),
        keys
    );

    let mut with_bad = keys.clone();
    with_bad.push("../escape".into());
    let err = store.delete_many(&with_bad).await.unwrap_err();
    assert_eq!(err.deleted, 1003);
    assert_eq!(err.failed.len(), 1);
    assert!(store.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_key_and_missing_bucket() {
    let Some(ep) = endpoint("missing_key_and_missing_bucket") else {
        return;
    };
    let store = store_on_new_bucket(&ep, "missing", "", false, s3_config(&ep)).await;
    for err in [
        store.get("nope").await.unwrap_err(),
        store.head("nope").await.unwrap_err(),
        store.get_range("nope", 0..5).await.unwrap_err(),
        store.inspect("nope").await.unwrap_err(),
    ] {
        assert!(
            matches!(err, StorageError::NotFound { ref key } if key == "nope"),
            "{err:?}"
        );
    }
    store.delete("nope").await.unwrap();

    let gone =
        S3Store::with_sdk_config(&sdk_config(&ep), &bucket_name("gone"), "", &s3_config(&ep))
            .unwrap();
    let started = Instant::now();
    for err in [
        gone.get("k").await.unwrap_err(),
        gone.put("k", Bytes::from_static(b"k"), &PutOptions::default())
            .await
            .unwrap_err(),
        gone.list("").await.unwrap_err(),
    ] {
        assert!(!err.is_retryable(), "{err:?}");
        let message = err.to_string();
        println!("missing bucket: {message}");
        assert!(
            message.contains("NoSuchBucket") && message.contains("not retryable"),
            "{message}"
        );
    }
    println!("missing bucket errors in {:?}", started.elapsed());
}

#[tokio::test]
async fn unreachable_server_fails_retryable_after_max_attempts() {
    // needs no test server: runs always. A port that was free a moment ago: nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let cfg = S3Config {
        max_attempts: 2,
        initial_backoff_ms: 10,
        max_backoff_ms: 50,
        request_timeout_secs: 5,
        ..s3_config(&closed)
    };
    let store =
        S3Store::with_sdk_config(&sdk_config(&closed), "auditlake-unreachable", "", &cfg).unwrap();
    let started = Instant::now();
    let err = store
        .put("k", Bytes::from_static(b"k"), &PutOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    let err = store.get("k").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    println!("unreachable server: {err} (after {:?})", started.elapsed());
}

#[tokio::test]
async fn conformance_suite_on_a_versioned_bucket() {
    let Some(ep) = endpoint("conformance_suite_on_a_versioned_bucket") else {
        return;
    };
    // Object Lock turns versioning on: deletes leave delete markers unless versions are deleted
    let store = store_on_new_bucket(&ep, "conf-versioned", "archive", true, s3_config(&ep)).await;
    auditlake_storage::conformance::run_all(&store).await;
}

#[tokio::test]
async fn delete_all_versions_removes_every_version_but_locked_and_held_ones() {
    let Some(ep) = endpoint("delete_all_versions_removes_every_version_but_locked_and_held_ones")
    else {
        return;
    };
    let store = store_on_new_bucket(&ep, "versions", "archive", true, s3_config(&ep)).await;
    let retain_until = (Utc::now() + TimeDelta::days(2))
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap();
    let locked_opts = PutOptions {
        object_lock: Some(ObjectLock {
            mode: LockMode::Governance,
            retain_until,
        }),
        ..PutOptions::default()
    };
    let plain = PutOptions::default();
    let (free, locked, held) = (
        "tier=a/event_date=2020-01-01/free.parquet".to_string(),
        "tier=a/event_date=2020-01-01/locked.parquet".to_string(),
        "tier=a/event_date=2020-01-02/held.parquet".to_string(),
    );
    store
        .put(&free, Bytes::from_static(b"v1"), &plain)
        .await
        .unwrap();
    store
        .put(&free, Bytes::from_static(b"v2"), &plain)
        .await
        .unwrap();
    // the old version is locked, the current one is not: the key as a whole is locked
    store
        .put(&locked, Bytes::from_static(b"old"), &locked_opts)
        .await
        .unwrap();
    store
        .put(&locked, Bytes::from_static(b"new"), &plain)
        .await
        .unwrap();
    store
        .put(&held, Bytes::from_static(b"h"), &plain)
        .await
        .unwrap();
    store.set_legal_hold(&held, true).await.unwrap();

    let versions = store.list_versions("tier=a/").await.unwrap();
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert!(
        versions.iter().all(|v| v.version_id.is_some()),
        "{versions:?}"
    );

    let free_lock = store.object_lock(&free).await.unwrap();
    assert!(!free_lock.blocks_delete_at(Utc::now()), "{free_lock:?}");
    let lock = store.object_lock(&locked).await.unwrap();
    assert_eq!(
        lock.retention,
        Some(ObjectLock {
            mode: LockMode::Governance,
            retain_until
        })
    );
    assert!(lock.blocks_delete_at(Utc::now()));
    assert!(!lock.blocks_delete_at(retain_until + TimeDelta::seconds(1)));
    let hold = store.object_lock(&held).await.unwrap();
    assert!(hold.legal_hold && hold.retention.is_none(), "{hold:?}");

    // a plain delete leaves the bytes behind a delete marker
    store.delete(&free).await.unwrap();
    assert!(store.list("tier=a/").await.unwrap().len() == 2);
    assert_eq!(store.list_versions("tier=a/").await.unwrap().len(), 6);

    let err = store
        .delete_all_versions(&[free.clone(), locked.clone(), held.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.deleted, 1);
    let failed: Vec<&str> = err.failed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(failed, [locked.as_str(), held.as_str()]);
    for (key, e) in &err.failed {
        assert!(
            matches!(e, StorageError::AccessDenied { key: k, .. } if k == key),
            "{key}: {e:?}"
        );
    }

    // nothing of the free key is left in the bucket, seen through the raw API
    let raw = store
        .client()
        .list_object_versions()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    let raw_keys: Vec<&str> = raw
        .versions()
        .iter()
        .filter_map(|v| v.key())
        .chain(raw.delete_markers().iter().filter_map(|m| m.key()))
        .collect();
    assert!(
        !raw_keys.iter().any(|k| k.ends_with("free.parquet")),
        "{raw_keys:?}"
    );
    // the locked key lost its unlocked current version but keeps the locked one
    let left: Vec<_> = store.list_versions("tier=a/").await.unwrap();
    assert_eq!(
        left.iter().map(|v| v.key.as_str()).collect::<Vec<_>>(),
        [locked.as_str(), held.as_str()],
        "{left:?}"
    );
    assert_eq!(store.get(&held).await.unwrap(), &b"h"[..]);
}

//! The conformance suite of the [`ObjectStore`] contract, run by every backend's tests.
//!
//! [`run_all`] checks each promise of the trait's documentation against a live store. It works
//! under a prefix of its own (`conformance-{time}-{pid}-{n}/`), so it can run against a shared
//! bucket, and deletes what it wrote when it passes. Failures panic with the backend's
//! [`ObjectStore::describe`] in the message, as a test expects.
//!
//! ```no_run
//! # async fn f() {
//! let dir = std::env::temp_dir().join("auditlake-conformance");
//! let store = auditlake_storage::LocalStore::new(dir).unwrap();
//! auditlake_storage::conformance::run_all(&store).await;
//! # }
//! ```
//!
//! This module is test support; it is compiled always so that backends in other crates can use it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::{ObjectStore, PutOptions, StorageError};

static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A prefix no other run uses.
fn unique_prefix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = RUN_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("conformance-{nanos}-{}-{n}/", std::process::id())
}

/// Deterministic pseudo-random bytes (xorshift), so large objects are not trivially compressible.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs every check against `store`, then deletes what the checks wrote.
pub async fn run_all(store: &dyn ObjectStore) {
    let p = unique_prefix();
    put_get_round_trip(store, &p).await;
    overwrite_replaces_whole(store, &p).await;
    missing_objects(store, &p).await;
    ranges(store, &p).await;
    listing(store, &p).await;
    deletes(store, &p).await;
    versions(store, &p).await;
    invalid_keys(store).await;
    large_object(store, &p).await;
    binary_and_empty(store, &p).await;
    cleanup(store, &p).await;
}

async fn put(store: &dyn ObjectStore, key: &str, data: impl Into<Bytes>) {
    let b = store.describe();
    if let Err(e) = store.put(key, data.into(), &PutOptions::default()).await {
        panic!("[{b}] put {key}: {e}");
    }
}

async fn get(store: &dyn ObjectStore, key: &str) -> Bytes {
    let b = store.describe();
    store
        .get(key)
        .await
        .unwrap_or_else(|e| panic!("[{b}] get {key}: {e}"))
}

async fn list_keys(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    let b = store.describe();
    store
        .list(prefix)
        .await
        .unwrap_or_else(|e| panic!("[{b}] list {prefix:?}: {e}"))
        .into_iter()
        .map(|m| m.key)
        .collect()
}

/// Put, then get, head and exists see the same object.
async fn put_get_round_trip(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}round-trip/tier=security/event_date=2026-11-21/idp-1.parquet");
    put(store, &key, &b"hello, archive"[..]).await;
    assert_eq!(
        get(store, &key).await,
        &b"hello, archive"[..],
        "[{b}] get after put"
    );
    let meta = store
        .head(&key)
        .await
        .unwrap_or_else(|e| panic!("[{b}] head: {e}"));
    assert_eq!(meta.key, key, "[{b}] head names the key");
    assert_eq!(meta.size, 14, "[{b}] head size");
    assert!(store.exists(&key).await.unwrap(), "[{b}] exists after put");
}

/// A second put of the same key replaces the first whole, also when it is shorter.
async fn overwrite_replaces_whole(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}overwrite/x");
    put(store, &key, vec![b'a'; 4096]).await;
    put(store, &key, &b"short"[..]).await;
    assert_eq!(
        get(store, &key).await,
        &b"short"[..],
        "[{b}] overwrite with shorter bytes"
    );
    assert_eq!(
        store.head(&key).await.unwrap().size,
        5,
        "[{b}] size after overwrite"
    );
    put(store, &key, vec![b'c'; 3000]).await;
    assert_eq!(
        get(store, &key).await,
        vec![b'c'; 3000],
        "[{b}] overwrite with longer bytes"
    );
}

/// `get`, `get_range` and `head` of a missing key are `NotFound`; `exists` is false.
async fn missing_objects(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    for key in [
        format!("{p}missing/none"),
        format!("{p}no-such-dir/deeper/none"),
    ] {
        let e = store.get(&key).await.unwrap_err();
        assert!(
            matches!(e, StorageError::NotFound { .. }),
            "[{b}] get of missing {key}: {e:?}"
        );
        let e = store.head(&key).await.unwrap_err();
        assert!(
            matches!(e, StorageError::NotFound { .. }),
            "[{b}] head of missing {key}: {e:?}"
        );
        let e = store.get_range(&key, 0..10).await.unwrap_err();
        assert!(
            matches!(e, StorageError::NotFound { .. }),
            "[{b}] get_range of missing: {e:?}"
        );
        assert!(
            !store.exists(&key).await.unwrap(),
            "[{b}] exists of missing {key}"
        );
    }
}

/// Ranges: inside, to the end, past the end (clipped), empty, starting past the end.
async fn ranges(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}ranges/digits");
    put(store, &key, &b"0123456789"[..]).await;
    let cases: [(std::ops::Range<u64>, &[u8]); 6] = [
        (0..10, b"0123456789"),
        (2..5, b"234"),
        (7..10, b"789"),
        (7..100, b"789"),
        (4..4, b""),
        (10..20, b""),
    ];
    for (range, want) in cases {
        let got = store
            .get_range(&key, range.clone())
            .await
            .unwrap_or_else(|e| panic!("[{b}] get_range {range:?}: {e}"));
        assert_eq!(got, want, "[{b}] get_range {range:?}");
    }
}

/// Listing by prefix: sorted by key, nested keys included, a prefix that ends inside a path
/// segment, a prefix that is a whole key, and a prefix nothing has.
async fn listing(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let base = format!("{p}list/");
    let rel = [
        "tier=security/event_date=2026-12-01/idp-20261201T000000Z-00000003.parquet",
        "tier=security/event_date=2026-11-21/idp-20261121T080000Z-00000001.parquet",
        "tier=security/event_date=2026-11-22/idp-20261122T000000Z-00000002.parquet",
        "tier=security/event_date=2026-11-21/nested/deeper/x.parquet",
        "tier=standard/event_date=2026-11-21/idp-20261121T000000Z-00000001.parquet",
        // Byte order: '-' (0x2d) < '/' (0x2f) < '0' (0x30), so a directory walk's order is not
        // key order.
        "order/a00",
        "order/a0",
        "order/a/b",
        "order/a-b",
    ];
    for (i, r) in rel.iter().enumerate() {
        put(store, &format!("{base}{r}"), vec![b'x'; i + 1]).await;
    }
    let expect = |filter: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut v: Vec<String> = rel
            .iter()
            .filter(|r| filter(r))
            .map(|r| format!("{base}{r}"))
            .collect();
        v.sort();
        v
    };

    let all = store
        .list(&base)
        .await
        .unwrap_or_else(|e| panic!("[{b}] list: {e}"));
    let keys: Vec<String> = all.iter().map(|m| m.key.clone()).collect();
    assert_eq!(
        keys,
        expect(&|_| true),
        "[{b}] list of everything, sorted, no temp files"
    );
    for m in &all {
        let i = rel
            .iter()
            .position(|r| m.key == format!("{base}{r}"))
            .unwrap();
        assert_eq!(m.size, i as u64 + 1, "[{b}] size in listing of {}", m.key);
    }

    let month = "tier=security/event_date=2026-11";
    assert_eq!(
        list_keys(store, &format!("{base}{month}")).await,
        expect(&|r| r.starts_with(month)),
        "[{b}] a prefix ending inside a path segment"
    );
    assert_eq!(
        list_keys(store, &format!("{base}tier=security/")).await,
        expect(&|r| r.starts_with("tier=security/")),
        "[{b}] a directory prefix"
    );
    assert_eq!(
        list_keys(store, &format!("{base}order/a0")).await,
        expect(&|r| r.starts_with("order/a0")),
        "[{b}] a prefix that is also a whole key"
    );
    assert_eq!(
        list_keys(
            store,
            &format!("{base}tier=security/event_date=2026-11-21/nested")
        )
        .await,
        expect(&|r| r.contains("/nested/")),
        "[{b}] nested keys"
    );
    assert!(
        list_keys(store, &format!("{base}tier=nothing"))
            .await
            .is_empty(),
        "[{b}] a prefix that matches nothing"
    );
    assert!(
        list_keys(store, &format!("{p}no-such-prefix/"))
            .await
            .is_empty(),
        "[{b}] a missing directory lists empty"
    );
}

/// Delete of present and missing keys, and `delete_many` with partial failure.
async fn deletes(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}delete/a/x");
    put(store, &key, &b"x"[..]).await;
    store
        .delete(&key)
        .await
        .unwrap_or_else(|e| panic!("[{b}] delete: {e}"));
    let e = store.get(&key).await.unwrap_err();
    assert!(
        matches!(e, StorageError::NotFound { .. }),
        "[{b}] get after delete: {e:?}"
    );
    assert!(
        list_keys(store, &format!("{p}delete/")).await.is_empty(),
        "[{b}] list after delete"
    );
    store
        .delete(&key)
        .await
        .unwrap_or_else(|e| panic!("[{b}] delete of a missing key must be Ok: {e}"));

    let keys: Vec<String> = (0..3).map(|i| format!("{p}delete/many/{i}")).collect();
    for k in &keys {
        put(store, k, &b"m"[..]).await;
    }
    let mut with_missing = keys.clone();
    with_missing.push(format!("{p}delete/many/missing"));
    store
        .delete_many(&with_missing)
        .await
        .unwrap_or_else(|e| panic!("[{b}] delete_many with a missing key must be Ok: {e}"));
    assert!(
        list_keys(store, &format!("{p}delete/")).await.is_empty(),
        "[{b}] delete_many"
    );

    let keep = format!("{p}delete/partial/ok");
    put(store, &keep, &b"k"[..]).await;
    let err = store
        .delete_many(&[keep.clone(), "bad//key".to_string()])
        .await
        .expect_err("delete_many with an invalid key reports it");
    assert_eq!(err.deleted, 1, "[{b}] delete_many counts what it deleted");
    assert_eq!(
        err.failed.len(),
        1,
        "[{b}] delete_many reports each failure"
    );
    assert_eq!(
        err.failed[0].0, "bad//key",
        "[{b}] delete_many names the failed key"
    );
    assert!(
        matches!(err.failed[0].1, StorageError::InvalidKey { .. }),
        "[{b}] delete_many failure cause: {:?}",
        err.failed[0].1
    );
    assert!(
        !store.exists(&keep).await.unwrap(),
        "[{b}] delete_many deleted the valid key"
    );
}

/// Versions: an overwritten and a plainly deleted key may leave versions and delete markers on a
/// versioned store, but `delete_all_versions` leaves nothing of either; `object_lock` of an
/// object written without a lock blocks nothing, and of a missing key is `NotFound`.
async fn versions(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let base = format!("{p}versions/");
    let (twice, deleted, kept) = (
        format!("{base}part/twice"),
        format!("{base}part/deleted"),
        format!("{base}other/kept"),
    );
    put(store, &twice, &b"first"[..]).await;
    put(store, &twice, &b"second!"[..]).await;
    put(store, &deleted, &b"d"[..]).await;
    store
        .delete(&deleted)
        .await
        .unwrap_or_else(|e| panic!("[{b}] delete: {e}"));
    put(store, &kept, &b"k"[..]).await;

    let listed = store
        .list_versions(&base)
        .await
        .unwrap_or_else(|e| panic!("[{b}] list_versions: {e}"));
    let keys: Vec<&str> = listed.iter().map(|v| v.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "[{b}] list_versions is sorted by key");
    let of = |key: &str| -> Vec<&crate::ObjectVersion> {
        listed.iter().filter(|v| v.key == key).collect()
    };
    let current = of(&twice);
    assert!(!current.is_empty(), "[{b}] list_versions lists {twice}");
    assert!(
        current[0].is_latest && !current[0].is_delete_marker && current[0].size == 7,
        "[{b}] the newest version of {twice} comes first: {current:?}"
    );
    assert_eq!(
        current.iter().filter(|v| v.is_latest).count(),
        1,
        "[{b}] one latest version of {twice}: {current:?}"
    );
    assert!(
        of(&deleted)
            .iter()
            .all(|v| !v.is_latest || v.is_delete_marker),
        "[{b}] a deleted key has no current version holding bytes: {listed:?}"
    );

    let lock = store
        .object_lock(&twice)
        .await
        .unwrap_or_else(|e| panic!("[{b}] object_lock: {e}"));
    assert_eq!(
        lock,
        crate::LockState::default(),
        "[{b}] an object put without a lock has none"
    );
    let e = store
        .object_lock(&format!("{base}part/missing"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StorageError::NotFound { .. }),
        "[{b}] object_lock of a missing key: {e:?}"
    );

    store
        .delete_all_versions(&[
            twice.clone(),
            deleted.clone(),
            format!("{base}part/missing"),
        ])
        .await
        .unwrap_or_else(|e| panic!("[{b}] delete_all_versions: {e}"));
    let left: Vec<String> = store
        .list_versions(&base)
        .await
        .unwrap_or_else(|e| panic!("[{b}] list_versions: {e}"))
        .into_iter()
        .map(|v| v.key)
        .collect();
    assert_eq!(
        left,
        std::slice::from_ref(&kept),
        "[{b}] delete_all_versions leaves no version or delete marker of its keys"
    );
    let err = store
        .delete_all_versions(&[kept.clone(), "bad//key".to_string()])
        .await
        .expect_err("delete_all_versions with an invalid key reports it");
    assert_eq!(
        err.deleted, 1,
        "[{b}] delete_all_versions counts what it deleted"
    );
    assert_eq!(
        err.failed
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        ["bad//key"],
        "[{b}] delete_all_versions names the failed key"
    );
    assert!(
        store.list_versions(&base).await.unwrap().is_empty(),
        "[{b}] nothing left under {base}"
    );
}

/// Keys that are not relative `/`-separated paths are rejected by every operation.
async fn invalid_keys(store: &dyn ObjectStore) {
    let b = store.describe();
    let bad = [
        "", "/abs", "a//b", "a/", "./a", "a/../b", "..", "a\\b", "nul\0",
    ];
    fn is_invalid<T>(r: &Result<T, StorageError>) -> bool {
        matches!(r, Err(StorageError::InvalidKey { .. }))
    }
    for key in bad {
        let r = store
            .put(key, Bytes::from_static(b"x"), &PutOptions::default())
            .await;
        assert!(is_invalid(&r), "[{b}] put {key:?}: {r:?}");
        let r = store.get(key).await;
        assert!(is_invalid(&r), "[{b}] get {key:?}: {r:?}");
        let r = store.get_range(key, 0..1).await;
        assert!(is_invalid(&r), "[{b}] get_range {key:?}: {r:?}");
        let r = store.head(key).await;
        assert!(is_invalid(&r), "[{b}] head {key:?}: {r:?}");
        let r = store.delete(key).await;
        assert!(is_invalid(&r), "[{b}] delete {key:?}: {r:?}");
    }
}

/// A 5 MiB object round trips, whole and by range.
async fn large_object(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}large/five-mib");
    let data = pseudo_random(5 * 1024 * 1024 + 17, 42);
    put(store, &key, data.clone()).await;
    let got = get(store, &key).await;
    assert_eq!(got.len(), data.len(), "[{b}] large object size");
    assert!(got == data, "[{b}] large object bytes differ");
    assert_eq!(
        store.head(&key).await.unwrap().size,
        data.len() as u64,
        "[{b}] large head"
    );
    let (s, e) = (3 * 1024 * 1024 + 5, 3 * 1024 * 1024 + 70_000);
    let part = store.get_range(&key, s as u64..e as u64).await.unwrap();
    assert!(part == data[s..e], "[{b}] range of a large object differs");
}

/// Every byte value round trips, and so does an empty object.
async fn binary_and_empty(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let key = format!("{p}binary/all-bytes");
    let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    put(store, &key, data.clone()).await;
    assert_eq!(get(store, &key).await, data, "[{b}] binary content");

    let empty = format!("{p}binary/empty");
    put(store, &empty, Bytes::new()).await;
    assert!(get(store, &empty).await.is_empty(), "[{b}] empty object");
    assert_eq!(
        store.head(&empty).await.unwrap().size,
        0,
        "[{b}] empty object size"
    );
    assert_eq!(
        list_keys(store, &format!("{p}binary/")).await,
        [key, empty],
        "[{b}] empty objects are listed"
    );
}

/// Deletes everything under `p` and checks that nothing is left.
async fn cleanup(store: &dyn ObjectStore, p: &str) {
    let b = store.describe();
    let keys = list_keys(store, p).await;
    if let Err(e) = store.delete_many(&keys).await {
        panic!("[{b}] cleanup: {e}");
    }
    assert!(
        list_keys(store, p).await.is_empty(),
        "[{b}] nothing left after cleanup"
    );
}

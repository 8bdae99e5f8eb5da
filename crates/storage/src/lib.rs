//! Object stores for the archive: the [`ObjectStore`] trait and its backends.
//!
//! Keys are relative, `/`-separated paths such as `tier=security/event_date=2026-11-23/x.parquet`.
//! This crate knows nothing of audit events.

pub mod conformance;
mod error;
pub mod local;
mod open;
pub mod s3;

pub use error::{BulkDeleteError, StorageError};
pub use local::LocalStore;
pub use open::{StoreConfig, open};
pub use s3::{S3Config, S3Store};

use std::fmt::Debug;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Server-side encryption of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// SSE-S3 (`AES256`).
    Aes256,
    /// SSE-KMS with an optional key id (the bucket's default key when absent).
    Kms { key_id: Option<String> },
}

/// The Object Lock retention mode of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Governance,
    Compliance,
}

/// Object Lock retention for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLock {
    pub mode: LockMode,
    pub retain_until: DateTime<Utc>,
}

/// How an object is written. Backends ignore what they cannot express (the local directory
/// ignores storage class and encryption) but never ignore `object_lock`: a backend that cannot
/// lock returns [`StorageError::Unsupported`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    pub storage_class: Option<String>,
    pub sse: Option<Sse>,
    pub object_lock: Option<ObjectLock>,
}

/// What a store knows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
}

/// One stored version of an object, or a delete marker, on a store that keeps versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub key: String,
    /// The version id; `None` on a store without versions (the object itself).
    pub version_id: Option<String>,
    /// Bytes of the version; 0 for a delete marker.
    pub size: u64,
    /// Whether this is the current version of the key.
    pub is_latest: bool,
    /// Whether this is a delete marker (what a plain delete leaves on a versioned bucket).
    pub is_delete_marker: bool,
}

/// What keeps an object from being deleted: Object Lock retention and legal hold.
///
/// On a store that keeps versions this covers every version of the key: the latest retain-until
/// date of any version, and a legal hold when any version has one on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockState {
    /// The Object Lock retention, when a version has one (its retain-until may be past).
    pub retention: Option<ObjectLock>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
}

impl LockState {
    /// Whether the store refuses to delete the object at `now`: a legal hold is on or the
    /// retention has not ended (in either mode: governance is not bypassed).
    pub fn blocks_delete_at(&self, now: DateTime<Utc>) -> bool {
        self.legal_hold
            || self
                .retention
                .as_ref()
                .is_some_and(|r| r.retain_until > now)
    }
}

/// An object store.
///
/// Contract, checked by the conformance suite ([`conformance`]) for every backend:
/// - `put` replaces any object of the same key whole; when it returns `Ok` the object is durable
///   and readers see either the old or the new bytes, never a mix.
/// - `get` and `head` of a missing key return [`StorageError::NotFound`].
/// - `get_range` returns the bytes of `range` clipped to the object's end.
/// - `list` returns every object whose key starts with `prefix`, sorted by key, without
///   directories or temporary files.
/// - `delete` of a missing key is `Ok`; `delete_many` deletes what it can and reports the rest.
///   On a versioned bucket `delete` only hides the object behind a delete marker;
///   `delete_all_versions` removes every version, so nothing of the key remains.
/// - `list_versions` returns every version and delete marker under `prefix`, sorted by key, the
///   newest version of a key first; a store without versions lists each object once.
/// - `object_lock` of a missing key returns [`StorageError::NotFound`]; a store without
///   Object Lock returns an empty [`LockState`].
#[async_trait]
pub trait ObjectStore: Send + Sync + Debug {
    /// Writes `data` under `key`.
    async fn put(&self, key: &str, data: Bytes, opts: &PutOptions) -> Result<()>;

    /// Reads the whole object.
    async fn get(&self, key: &str) -> Result<Bytes>;

    /// Reads `range` of the object.
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes>;

    /// The object's metadata.
    async fn head(&self, key: &str) -> Result<ObjectMeta>;

    /// Every object under `prefix`, sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Deletes one object; a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Deletes many objects; partial failure is reported per key.
    async fn delete_many(&self, keys: &[String]) -> Result<(), BulkDeleteError> {
        let mut failed = Vec::new();
        for key in keys {
            if let Err(e) = self.delete(key).await {
                failed.push((key.clone(), e));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(BulkDeleteError {
                deleted: keys.len() - failed.len(),
                failed,
            })
        }
    }

    /// Every version and delete marker of the objects under `prefix`, sorted by key, newest
    /// first within a key. The default, for stores without versions, lists each object once.
    async fn list_versions(&self, prefix: &str) -> Result<Vec<ObjectVersion>> {
        Ok(self
            .list(prefix)
            .await?
            .into_iter()
            .map(|m| ObjectVersion {
                key: m.key,
                version_id: None,
                size: m.size,
                is_latest: true,
                is_delete_marker: false,
            })
            .collect())
    }

    /// Deletes every version and delete marker of each key, so that none of it remains; a
    /// missing key is not an error. A version the store refuses to delete (Object Lock, legal
    /// hold) fails its key with [`StorageError::AccessDenied`], reported per key. The default,
    /// for stores without versions, is [`ObjectStore::delete_many`].
    async fn delete_all_versions(&self, keys: &[String]) -> Result<(), BulkDeleteError> {
        self.delete_many(keys).await
    }

    /// The Object Lock retention and legal hold of the object, over all its versions. The
    /// default, for stores without Object Lock, checks that the object exists and returns an
    /// empty [`LockState`].
    async fn object_lock(&self, key: &str) -> Result<LockState> {
        self.head(key).await?;
        Ok(LockState::default())
    }

    /// Sets or clears an object's legal hold. Backends without holds return
    /// [`StorageError::Unsupported`].
    async fn set_legal_hold(&self, key: &str, on: bool) -> Result<()> {
        let _ = (key, on);
        Err(StorageError::Unsupported {
            op: "legal hold",
            backend: self.describe(),
        })
    }

    /// Whether the object exists.
    async fn exists(&self, key: &str) -> Result<bool> {
        match self.head(key).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A human-readable location of the store (a path or an `s3://` url), never a secret.
    fn describe(&self) -> String;
}

/// Checks that a key is a relative, `/`-separated path without `.` or `..` segments.
pub fn validate_key(key: &str) -> Result<()> {
    let bad = key.is_empty()
        || key.starts_with('/')
        || key.contains('\\')
        || key.contains('\0')
        || key
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..");
    if bad {
        Err(StorageError::InvalidKey {
            key: key.to_string(),
        })
    } else {
        Ok(())
    }
}

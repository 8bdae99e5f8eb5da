//! Object stores for the archive: the [`ObjectStore`] trait and its backends.
//!
//! Keys are relative, `/`-separated paths such as `tier=security/event_date=2026-11-23/x.parquet`.
//! This crate knows nothing of audit events.

pub mod conformance;
mod error;
pub mod local;
pub mod s3;

pub use error::{BulkDeleteError, StorageError};
pub use local::LocalStore;
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

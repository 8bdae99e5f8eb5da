//! Versions on S3: listing every version and delete marker, deleting them for good, and the
//! Object Lock state of a key over all its versions.
//!
//! On a versioned bucket (Object Lock implies versioning) a plain `DeleteObject` only adds a
//! delete marker and the bytes stay; expired data is gone only once each version is deleted by
//! its version id.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use chrono::{DateTime, Utc};

use super::request::backend_error;
use super::{DELETE_BATCH, S3Store, to_chrono};
use crate::{BulkDeleteError, LockState, ObjectVersion, Result, StorageError, validate_key};

/// The version id S3 gives an object written while the bucket had no versioning.
const NULL_VERSION: &str = "null";

/// One object version (or delete marker) to delete: the store key and the S3 version id.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub key: String,
    pub version_id: Option<String>,
}

impl S3Store {
    /// Every version and delete marker under `prefix` (a store prefix), sorted by key, newest
    /// first within a key.
    pub(super) async fn list_all_versions(&self, prefix: &str) -> Result<Vec<ObjectVersion>> {
        let list_prefix = self.object_key_prefix(prefix);
        let mut found: Vec<(ObjectVersion, Option<DateTime<Utc>>)> = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = self
                .retry("list versions", &format!("prefix {prefix:?}"), || {
                    self.client
                        .list_object_versions()
                        .bucket(&self.bucket)
                        .prefix(&list_prefix)
                        .set_key_marker(key_marker.clone())
                        .set_version_id_marker(version_marker.clone())
                        .send()
                })
                .await?;
            let version_id = |v: Option<&str>| v.filter(|v| *v != NULL_VERSION).map(str::to_string);
            for v in page.versions() {
                let Some(key) = v.key().and_then(|k| self.store_key(k)) else {
                    continue;
                };
                if key.is_empty() || key.ends_with('/') {
                    continue;
                }
                found.push((
                    ObjectVersion {
                        key: key.to_string(),
                        version_id: version_id(v.version_id()),
                        size: v.size().unwrap_or(0).max(0) as u64,
                        is_latest: v.is_latest().unwrap_or(false),
                        is_delete_marker: false,
                    },
                    v.last_modified().and_then(to_chrono),
                ));
            }
            for m in page.delete_markers() {
                let Some(key) = m.key().and_then(|k| self.store_key(k)) else {
                    continue;
                };
                if key.is_empty() || key.ends_with('/') {
                    continue;
                }
                found.push((
                    ObjectVersion {
                        key: key.to_string(),
                        version_id: version_id(m.version_id()),
                        size: 0,
                        is_latest: m.is_latest().unwrap_or(false),
                        is_delete_marker: true,
                    },
                    m.last_modified().and_then(to_chrono),
                ));
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        }
        // stable: versions of equal time keep the server's (newest first) order
        found.sort_by(|(a, at), (b, bt)| {
            (&a.key, !a.is_latest, Reverse(at)).cmp(&(&b.key, !b.is_latest, Reverse(bt)))
        });
        Ok(found.into_iter().map(|(v, _)| v).collect())
    }

    /// The versions of exactly `key`, newest first.
    async fn versions_of(&self, key: &str) -> Result<Vec<ObjectVersion>> {
        Ok(self
            .list_all_versions(key)
            .await?
            .into_iter()
            .filter(|v| v.key == key)
            .collect())
    }

    /// The retention and legal hold of `key` over all its versions (delete markers carry
    /// neither). `NotFound` when the key has no version holding bytes.
    pub(super) async fn lock_state(&self, key: &str) -> Result<LockState> {
        validate_key(key)?;
        let versions: Vec<ObjectVersion> = self
            .versions_of(key)
            .await?
            .into_iter()
            .filter(|v| !v.is_delete_marker)
            .collect();
        if versions.is_empty() {
            return Err(StorageError::NotFound {
                key: key.to_string(),
            });
        }
        let mut state = LockState::default();
        for v in &versions {
            let info = match self.inspect_version(key, v.version_id.as_deref()).await {
                Ok(info) => info,
                // deleted since the listing
                Err(StorageError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            state.legal_hold |= info.legal_hold;
            if let Some(lock) = info.lock {
                let later = state
                    .retention
                    .as_ref()
                    .is_none_or(|have| lock.retain_until > have.retain_until);
                if later {
                    state.retention = Some(lock);
                }
            }
        }
        Ok(state)
    }

    /// Deletes every version and delete marker of each key.
    pub(super) async fn delete_every_version(
        &self,
        keys: &[String],
    ) -> Result<(), BulkDeleteError> {
        let mut failed: Vec<(String, StorageError)> = Vec::new();
        let mut wanted = BTreeSet::new();
        for key in keys {
            match validate_key(key) {
                Ok(()) => {
                    wanted.insert(key.as_str());
                }
                Err(e) => failed.push((key.clone(), e)),
            }
        }
        // one listing per partition, not per key
        let mut prefixes: BTreeSet<&str> = BTreeSet::new();
        for key in &wanted {
            prefixes.insert(key.rfind('/').map_or(*key, |i| &key[..=i]));
        }
        let mut targets = Vec::new();
        for prefix in prefixes {
            match self.list_all_versions(prefix).await {
                Ok(versions) => targets.extend(
                    versions
                        .into_iter()
                        .filter(|v| wanted.contains(v.key.as_str()))
                        .map(|v| Target {
                            key: v.key,
                            version_id: v.version_id,
                        }),
                ),
                Err(e) => {
                    let message = format!("listing versions failed: {e}");
                    for key in wanted.iter().filter(|k| k.starts_with(prefix)) {
                        failed.push((
                            key.to_string(),
                            backend_error("delete", key, &message, e.is_retryable()),
                        ));
                    }
                }
            }
        }
        for batch in targets.chunks(DELETE_BATCH) {
            self.delete_targets(batch, &mut failed).await;
        }
        // a key fails once, with its first error
        let mut by_key: BTreeMap<String, StorageError> = BTreeMap::new();
        for (key, e) in failed {
            by_key.entry(key).or_insert(e);
        }
        if by_key.is_empty() {
            Ok(())
        } else {
            Err(BulkDeleteError {
                deleted: keys.len().saturating_sub(by_key.len()),
                failed: by_key.into_iter().collect(),
            })
        }
    }

    /// Deletes one batch of at most 1000 objects or versions with `DeleteObjects`, adding the
    /// keys that failed to `failed`.
    pub(super) async fn delete_targets(
        &self,
        targets: &[Target],
        failed: &mut Vec<(String, StorageError)>,
    ) {
        let objects: Result<Vec<ObjectIdentifier>, _> = targets
            .iter()
            .map(|t| {
                ObjectIdentifier::builder()
                    .key(self.object_key(&t.key))
                    .set_version_id(t.version_id.clone())
                    .build()
            })
            .collect();
        let delete = objects.and_then(|objects| {
            Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
        });
        let delete = match delete {
            Ok(delete) => delete,
            Err(e) => {
                for t in targets {
                    failed.push((
                        t.key.clone(),
                        backend_error("delete", &t.key, &e.to_string(), false),
                    ));
                }
                return;
            }
        };
        let first = targets.first().map(|t| t.key.as_str()).unwrap_or_default();
        let result = self
            .retry("delete", first, || {
                self.client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete.clone())
                    .send()
            })
            .await;
        match result {
            Ok(out) => {
                for error in out.errors() {
                    let object_key = error.key().unwrap_or_default();
                    let key = self.store_key(object_key).unwrap_or(object_key).to_string();
                    let code = error.code().unwrap_or_default();
                    let version = error
                        .version_id()
                        .map(|v| format!(" of version {v}"))
                        .unwrap_or_default();
                    let message = format!(
                        "{}{version} ({code})",
                        error.message().unwrap_or("delete refused")
                    );
                    let e = match code {
                        "AccessDenied" => StorageError::AccessDenied {
                            key: key.clone(),
                            message,
                        },
                        "InternalError" | "SlowDown" | "ServiceUnavailable" => {
                            backend_error("delete", &key, &message, true)
                        }
                        _ => backend_error("delete", &key, &message, false),
                    };
                    failed.push((key, e));
                }
            }
            Err(e) => {
                for t in targets {
                    let message = format!("batch delete failed: {e}");
                    failed.push((
                        t.key.clone(),
                        backend_error("delete", &t.key, &message, e.is_retryable()),
                    ));
                }
            }
        }
    }
}

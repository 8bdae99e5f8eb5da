//! The S3 backend: an [`ObjectStore`] on an S3 bucket (AWS or an S3-compatible server).
//!
//! Objects are written with a SHA-256 checksum on every request (Object Lock requires one, and it
//! proves the bytes arrived intact), in one `PutObject` up to `multipart_threshold_bytes` and as a
//! multipart upload above it. Failed requests that may succeed later (throttling, 5xx, timeouts,
//! connection errors) are retried here with exponential backoff and full jitter; the SDK's own
//! retries are turned off so that no request is retried twice over.
//!
//! Credentials come only from the standard AWS chain (environment, profile, web identity, container
//! and instance metadata), never from the configuration.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Builder as S3ConfigBuilder, Region};
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::{ByteStream, DateTime as AwsDateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
    ObjectLockRetention, ObjectLockRetentionMode, ServerSideEncryption, StorageClass,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

mod config;
mod multipart;
mod request;
mod versions;

pub use config::{
    DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKOFF_MS,
    DEFAULT_MAX_CONCURRENT_PARTS, DEFAULT_MULTIPART_PART_BYTES, DEFAULT_MULTIPART_THRESHOLD_BYTES,
    DEFAULT_REQUEST_TIMEOUT_SECS, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, S3Config,
    S3ConfigError, SseAlgorithm, parse_s3_url,
};
use request::backend_error;

use crate::{
    BulkDeleteError, LockMode, LockState, ObjectLock, ObjectMeta, ObjectStore, ObjectVersion,
    PutOptions, Result, Sse, StorageError, validate_key,
};

/// The most keys one `DeleteObjects` request may name.
const DELETE_BATCH: usize = 1000;
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What S3 reports of one stored object beyond [`ObjectMeta`]: its version, storage class,
/// encryption, Object Lock retention and legal hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3ObjectInfo {
    pub size: u64,
    /// The version id, on a versioned bucket.
    pub version_id: Option<String>,
    /// The storage class; `None` for `STANDARD` (S3 omits it).
    pub storage_class: Option<String>,
    pub sse: Option<Sse>,
    /// The Object Lock retention, when the object has one.
    pub lock: Option<ObjectLock>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
    /// The stored SHA-256 checksum (base64; `-N` suffixed for an object of N parts), when known.
    pub checksum_sha256: Option<String>,
}

/// An [`ObjectStore`] on an S3 bucket, with the keys under an optional prefix.
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    prefix: String,
    cfg: S3Config,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn config_error(message: String) -> StorageError {
    StorageError::Backend {
        op: "configure",
        key: "archive.s3".to_string(),
        message,
        retryable: false,
    }
}

/// `cfg`'s validation errors, all in one message.
fn validated(cfg: &S3Config) -> Result<()> {
    cfg.validate().map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        config_error(messages.join("; "))
    })
}

impl S3Store {
    /// A store on `bucket` under `prefix`, with credentials and region from the standard AWS
    /// chain. Fails when the configuration is invalid or no region can be found.
    pub async fn new(bucket: &str, prefix: &str, cfg: &S3Config) -> Result<S3Store> {
        validated(cfg)?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &cfg.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let sdk_config = loader.load().await;
        Self::with_sdk_config(&sdk_config, bucket, prefix, cfg)
    }

    /// A store from an SDK configuration the caller built (tests use static credentials), with
    /// `cfg`'s endpoint, addressing style, timeouts and retries applied on top of it.
    pub fn with_sdk_config(
        sdk_config: &SdkConfig,
        bucket: &str,
        prefix: &str,
        cfg: &S3Config,
    ) -> Result<S3Store> {
        validated(cfg)?;
        let mut builder = S3ConfigBuilder::from(sdk_config)
            .force_path_style(cfg.force_path_style)
            // retries happen in `S3Store::retry`, where every error is classified once
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(
                        CONNECT_TIMEOUT.min(Duration::from_secs(cfg.request_timeout_secs)),
                    )
                    .operation_attempt_timeout(Duration::from_secs(cfg.request_timeout_secs))
                    .build(),
            );
        if let Some(endpoint) = &cfg.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if let Some(region) = &cfg.region {
            builder = builder.region(Region::new(region.clone()));
        } else if sdk_config.region().is_none() {
            if cfg.endpoint.is_some() || sdk_config.endpoint_url().is_some() {
                builder = builder.region(Region::from_static("us-east-1"));
            } else {
                return Err(config_error(
                    "archive.s3.region: no region configured and none found in the AWS \
                     environment (AWS_REGION or the profile)"
                        .to_string(),
                ));
            }
        }
        Self::from_client(Client::from_conf(builder.build()), bucket, prefix, cfg)
    }

    /// A store on a ready client. `cfg`'s multipart and retry settings apply; its endpoint,
    /// region and timeouts are the client's business.
    pub fn from_client(
        client: Client,
        bucket: &str,
        prefix: &str,
        cfg: &S3Config,
    ) -> Result<S3Store> {
        let (bucket, prefix) = parse_s3_url(&format!("s3://{bucket}/{prefix}"))
            .map_err(|e| config_error(e.to_string()))?;
        Ok(S3Store {
            client,
            bucket,
            prefix,
            cfg: cfg.clone(),
        })
    }

    /// The SDK client, for what the trait does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key in the bucket of a store key.
    pub fn object_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// The version, storage class, encryption, retention and legal hold of an object (from
    /// HeadObject, which carries the retention and the hold, so no Get*Retention call is needed).
    pub async fn inspect(&self, key: &str) -> Result<S3ObjectInfo> {
        self.inspect_version(key, None).await
    }

    /// [`Self::inspect`] of one version of the object (the current one when `None`).
    pub async fn inspect_version(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<S3ObjectInfo> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        let out = self
            .retry("head", key, || {
                self.client
                    .head_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .set_version_id(version_id.map(str::to_string))
                    .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                    .send()
            })
            .await?;
        let lock = match (out.object_lock_mode(), out.object_lock_retain_until_date()) {
            (Some(mode), Some(until)) => Some(ObjectLock {
                mode: match mode {
                    ObjectLockMode::Compliance => LockMode::Compliance,
                    _ => LockMode::Governance,
                },
                retain_until: to_chrono(until).ok_or_else(|| {
                    backend_error("head", key, "retain-until date out of range", false)
                })?,
            }),
            _ => None,
        };
        let sse = match out.server_side_encryption() {
            Some(ServerSideEncryption::Aes256) => Some(Sse::Aes256),
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse) => {
                Some(Sse::Kms {
                    key_id: out.ssekms_key_id().map(str::to_string),
                })
            }
            _ => None,
        };
        Ok(S3ObjectInfo {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            version_id: out.version_id().map(str::to_string),
            storage_class: out.storage_class().map(|c| c.as_str().to_string()),
            sse,
            lock,
            legal_hold: out.object_lock_legal_hold_status() == Some(&ObjectLockLegalHoldStatus::On),
            checksum_sha256: out.checksum_sha256().map(str::to_string),
        })
    }

    /// Deletes one version of an object for good (not a delete marker). Refused with
    /// [`StorageError::AccessDenied`] while the version is locked or held.
    pub async fn delete_version(&self, key: &str, version_id: &str) -> Result<()> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        self.retry("delete", key, || {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&object_key)
                .version_id(version_id)
                .send()
        })
        .await?;
        Ok(())
    }

    /// Checks that the version just written carries `lock`. A server that dropped it (moto
    /// ignores the lock headers of a multipart upload) gets it set with PutObjectRetention; when
    /// the version is still not locked the put fails: a locked tier never holds an unlocked object
    /// that the store reported as written.
    async fn ensure_lock(
        &self,
        key: &str,
        version_id: Option<&str>,
        lock: &ObjectLock,
    ) -> Result<()> {
        let holds = |info: &S3ObjectInfo| {
            info.lock.as_ref().is_some_and(|have| {
                have.mode == lock.mode
                    && have.retain_until >= lock.retain_until - chrono::TimeDelta::seconds(1)
            })
        };
        if holds(&self.inspect_version(key, version_id).await?) {
            return Ok(());
        }
        warn!(bucket = %self.bucket, key, "the server did not apply the object lock of the put, setting the retention");
        let object_key = self.object_key(key);
        let retention = ObjectLockRetention::builder()
            .mode(retention_mode(lock.mode))
            .retain_until_date(to_aws(lock.retain_until))
            .build();
        self.retry("put", key, || {
            self.client
                .put_object_retention()
                .bucket(&self.bucket)
                .key(&object_key)
                .set_version_id(version_id.map(str::to_string))
                .retention(retention.clone())
                .send()
        })
        .await?;
        if holds(&self.inspect_version(key, version_id).await?) {
            Ok(())
        } else {
            Err(backend_error(
                "put",
                key,
                "the server did not apply the object lock (retention mode and retain-until date)",
                false,
            ))
        }
    }

    /// The object key prefix in the bucket of a store prefix.
    fn object_key_prefix(&self, prefix: &str) -> String {
        if self.prefix.is_empty() {
            prefix.to_string()
        } else {
            format!("{}/{prefix}", self.prefix)
        }
    }

    /// The store key of an object key in the bucket, when it is under the prefix.
    fn store_key<'a>(&self, object_key: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            Some(object_key)
        } else {
            object_key
                .strip_prefix(self.prefix.as_str())?
                .strip_prefix('/')
        }
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, data: Bytes, opts: &PutOptions) -> Result<()> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        if data.len() as u64 > self.cfg.multipart_threshold_bytes {
            return self.put_multipart(key, &object_key, data, opts).await;
        }
        let checksum = sha256_base64(&data);
        let sse = opts.sse.clone().or_else(|| self.cfg.default_sse());
        let out = self
            .retry("put", key, || {
                let mut req = self
                    .client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .checksum_algorithm(ChecksumAlgorithm::Sha256)
                    .checksum_sha256(&checksum)
                    .set_content_type(opts.content_type.clone())
                    .set_storage_class(opts.storage_class.as_deref().map(StorageClass::from))
                    .body(ByteStream::from(data.clone()));
                req = match &sse {
                    Some(Sse::Aes256) => req.server_side_encryption(ServerSideEncryption::Aes256),
                    Some(Sse::Kms { key_id }) => req
                        .server_side_encryption(ServerSideEncryption::AwsKms)
                        .set_ssekms_key_id(key_id.clone()),
                    None => req,
                };
                if let Some(lock) = &opts.object_lock {
                    req = req
                        .object_lock_mode(lock_mode(lock.mode))
                        .object_lock_retain_until_date(to_aws(lock.retain_until));
                }
                req.send()
            })
            .await?;
        if let Some(lock) = &opts.object_lock {
            self.ensure_lock(key, out.version_id(), lock).await?;
        }
        debug!(bucket = %self.bucket, key, size = data.len(), "object written");
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        self.retry_mapped("get", key, || async {
            let out = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&object_key)
                .send()
                .await
                .map_err(|e| self.map_error("get", key, e))?;
            read_body(key, out.body).await
        })
        .await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        validate_key(key)?;
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        let object_key = self.object_key(key);
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        self.retry_mapped("get", key, || async {
            let sent = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&object_key)
                .range(&header)
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                // the range starts at or past the end: clipped, nothing remains
                Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 416 => {
                    return Ok(Bytes::new());
                }
                Err(e) => return Err(self.map_error("get", key, e)),
            };
            read_body(key, out.body).await
        })
        .await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        let out = self
            .retry("head", key, || {
                self.client
                    .head_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .send()
            })
            .await?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size: out.content_length().unwrap_or(0).max(0) as u64,
            last_modified: out.last_modified().and_then(to_chrono),
        })
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let list_prefix = self.object_key_prefix(prefix);
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .retry("list", &format!("prefix {prefix:?}"), || {
                    self.client
                        .list_objects_v2()
                        .bucket(&self.bucket)
                        .prefix(&list_prefix)
                        .set_continuation_token(token.clone())
                        .send()
                })
                .await?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| self.store_key(k)) else {
                    continue;
                };
                // a "directory" placeholder made by other tools is not an object of the store
                if key.is_empty() || key.ends_with('/') {
                    continue;
                }
                objects.push(ObjectMeta {
                    key: key.to_string(),
                    size: object.size().unwrap_or(0).max(0) as u64,
                    last_modified: object.last_modified().and_then(to_chrono),
                });
            }
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() || page.is_truncated() != Some(true) {
                break;
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        let deleted = self
            .retry("delete", key, || {
                self.client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .send()
            })
            .await;
        match deleted {
            Ok(_) | Err(StorageError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), BulkDeleteError> {
        let mut failed = Vec::new();
        let mut valid = Vec::with_capacity(keys.len());
        for key in keys {
            match validate_key(key) {
                Ok(()) => valid.push(key),
                Err(e) => failed.push((key.clone(), e)),
            }
        }
        for batch in valid.chunks(DELETE_BATCH) {
            let targets: Vec<versions::Target> = batch
                .iter()
                .map(|k| versions::Target {
                    key: (*k).clone(),
                    version_id: None,
                })
                .collect();
            self.delete_targets(&targets, &mut failed).await;
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(BulkDeleteError {
                deleted: keys.len().saturating_sub(failed.len()),
                failed,
            })
        }
    }

    async fn list_versions(&self, prefix: &str) -> Result<Vec<ObjectVersion>> {
        self.list_all_versions(prefix).await
    }

    async fn delete_all_versions(&self, keys: &[String]) -> Result<(), BulkDeleteError> {
        self.delete_every_version(keys).await
    }

    async fn object_lock(&self, key: &str) -> Result<LockState> {
        self.lock_state(key).await
    }

    async fn set_legal_hold(&self, key: &str, on: bool) -> Result<()> {
        validate_key(key)?;
        let object_key = self.object_key(key);
        let status = if on {
            ObjectLockLegalHoldStatus::On
        } else {
            ObjectLockLegalHoldStatus::Off
        };
        let hold = ObjectLockLegalHold::builder().status(status).build();
        self.retry("legal hold", key, || {
            self.client
                .put_object_legal_hold()
                .bucket(&self.bucket)
                .key(&object_key)
                .legal_hold(hold.clone())
                .send()
        })
        .await?;
        Ok(())
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

async fn read_body(key: &str, body: ByteStream) -> Result<Bytes> {
    body.collect()
        .await
        .map(|data| data.into_bytes())
        .map_err(|e| backend_error("get", key, &format!("reading the body failed: {e}"), true))
}

fn sha256_base64(data: &[u8]) -> String {
    aws_smithy_types::base64::encode(Sha256::digest(data))
}

fn lock_mode(mode: LockMode) -> ObjectLockMode {
    match mode {
        LockMode::Compliance => ObjectLockMode::Compliance,
        LockMode::Governance => ObjectLockMode::Governance,
    }
}

fn retention_mode(mode: LockMode) -> ObjectLockRetentionMode {
    match mode {
        LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        LockMode::Governance => ObjectLockRetentionMode::Governance,
    }
}

fn to_aws(time: DateTime<Utc>) -> AwsDateTime {
    AwsDateTime::from_secs_and_nanos(time.timestamp(), time.timestamp_subsec_nanos())
}

fn to_chrono(time: &AwsDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let t = DateTime::parse_from_rfc3339("2033-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_chrono(&to_aws(t)), Some(t));
    }
}

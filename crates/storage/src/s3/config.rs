//! The `[archive.s3]` configuration section and the `s3://` url of the archive.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Sse, validate_key};

const MIB: u64 = 1024 * 1024;
/// The smallest part S3 accepts (but for the last one).
pub const MIN_PART_BYTES: u64 = 5 * MIB;
/// The largest part, and the largest single `PutObject`, S3 accepts.
pub const MAX_PART_BYTES: u64 = 5 * 1024 * MIB;
/// The most parts a multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;

/// Server-side encryption applied by the bucket to every object the store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SseAlgorithm {
    /// SSE-S3: keys managed by S3.
    #[serde(rename = "AES256")]
    Aes256,
    /// SSE-KMS: keys in AWS KMS (`kms_key_id`, or the account's default S3 key).
    #[serde(rename = "aws:kms")]
    AwsKms,
}

/// The `[archive.s3]` section: how the archive talks to S3 when `archive.url` is `s3://...`.
///
/// Holds no credentials: they come from the standard AWS chain (environment variables, the shared
/// profile, web identity / IRSA, container and instance metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    /// The bucket's AWS region, e.g. `"eu-west-1"`. When absent, the region of the AWS
    /// environment (`AWS_REGION`, the profile, instance metadata) is used, or `us-east-1` when an
    /// `endpoint` is set and the environment names none.
    pub region: Option<String>,
    /// The URL of an S3-compatible server, e.g. `"http://127.0.0.1:9000"`. When absent, AWS S3
    /// (or the `AWS_ENDPOINT_URL` environment variable, when set).
    pub endpoint: Option<String>,
    /// Addresses the bucket in the path (`endpoint/bucket/key`) instead of the host name
    /// (`bucket.endpoint/key`); most S3-compatible servers need this.
    pub force_path_style: bool,
    /// Server-side encryption of every object written: `"AES256"` (SSE-S3) or `"aws:kms"`
    /// (SSE-KMS). When absent, the bucket's default encryption applies.
    pub sse: Option<SseAlgorithm>,
    /// The KMS key for `sse = "aws:kms"`: a key id, key ARN, alias (`"alias/audit"`) or alias ARN.
    /// When absent, the account's default S3 KMS key.
    pub kms_key_id: Option<String>,
    /// Objects larger than this many bytes are uploaded in parts (multipart upload); smaller ones
    /// in a single request. At least 5 MiB, at most 5 GiB.
    pub multipart_threshold_bytes: u64,
    /// The size of each part of a multipart upload, in bytes. At least 5 MiB (S3's minimum), at
    /// most 5 GiB; an object may have at most 10,000 parts.
    pub multipart_part_bytes: u64,
    /// How many parts of one object are uploaded at the same time (1 to 64).
    pub max_concurrent_parts: usize,
    /// How many times a request is tried in all before its error is returned, when the error is
    /// one that may pass (throttling, server errors, timeouts, connection errors). 1 = no retry.
    pub max_attempts: u32,
    /// The backoff before the first retry, in milliseconds; it doubles for each retry after, and
    /// the actual wait is a random duration between zero and that backoff (full jitter).
    pub initial_backoff_ms: u64,
    /// The longest backoff between two attempts, in milliseconds.
    pub max_backoff_ms: u64,
    /// How long one attempt of one request may take, in seconds, transfer included.
    pub request_timeout_secs: u64,
}

/// The default of `multipart_threshold_bytes`: 16 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD_BYTES: u64 = 16 * MIB;
/// The default of `multipart_part_bytes`: 8 MiB.
pub const DEFAULT_MULTIPART_PART_BYTES: u64 = 8 * MIB;
/// The default of `max_concurrent_parts`.
pub const DEFAULT_MAX_CONCURRENT_PARTS: usize = 4;
/// The default of `max_attempts`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The default of `initial_backoff_ms`.
pub const DEFAULT_INITIAL_BACKOFF_MS: u64 = 200;
/// The default of `max_backoff_ms`.
pub const DEFAULT_MAX_BACKOFF_MS: u64 = 20_000;
/// The default of `request_timeout_secs`.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 300;

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            region: None,
            endpoint: None,
            force_path_style: false,
            sse: None,
            kms_key_id: None,
            multipart_threshold_bytes: DEFAULT_MULTIPART_THRESHOLD_BYTES,
            multipart_part_bytes: DEFAULT_MULTIPART_PART_BYTES,
            max_concurrent_parts: DEFAULT_MAX_CONCURRENT_PARTS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff_ms: DEFAULT_INITIAL_BACKOFF_MS,
            max_backoff_ms: DEFAULT_MAX_BACKOFF_MS,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
        }
    }
}

/// A wrong value in the S3 configuration (or in an `s3://` url), with the key that holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct S3ConfigError {
    /// The full key, e.g. `archive.s3.multipart_part_bytes`.
    pub key: &'static str,
    pub message: String,
}

impl S3ConfigError {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        S3ConfigError {
            key,
            message: message.into(),
        }
    }
}

impl S3Config {
    /// Checks every value; returns all the errors found. Pure: touches neither the network nor
    /// the environment.
    pub fn validate(&self) -> Result<(), Vec<S3ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |key, message: &str| errors.push(S3ConfigError::new(key, message));
        if self.region.as_deref().is_some_and(|r| r.trim().is_empty()) {
            err("archive.s3.region", "must not be empty");
        }
        let http = |url: &str| url.starts_with("http://") || url.starts_with("https://");
        if self.endpoint.as_deref().is_some_and(|url| !http(url)) {
            err("archive.s3.endpoint", "must be an http:// or https:// url");
        }
        if let Some(key_id) = &self.kms_key_id {
            if key_id.trim().is_empty() {
                err("archive.s3.kms_key_id", "must not be empty");
            } else if self.sse != Some(SseAlgorithm::AwsKms) {
                err("archive.s3.kms_key_id", "requires sse = \"aws:kms\"");
            }
        }
        if self.multipart_threshold_bytes < MIN_PART_BYTES {
            err(
                "archive.s3.multipart_threshold_bytes",
                "must be at least 5 MiB",
            );
        } else if self.multipart_threshold_bytes > MAX_PART_BYTES {
            err(
                "archive.s3.multipart_threshold_bytes",
                "must be at most 5 GiB",
            );
        }
        if self.multipart_part_bytes < MIN_PART_BYTES {
            err("archive.s3.multipart_part_bytes", "must be at least 5 MiB");
        } else if self.multipart_part_bytes > MAX_PART_BYTES {
            err("archive.s3.multipart_part_bytes", "must be at most 5 GiB");
        }
        if !(1..=64).contains(&self.max_concurrent_parts) {
            err(
                "archive.s3.max_concurrent_parts",
                "must be between 1 and 64",
            );
        }
        if self.max_attempts == 0 {
            err("archive.s3.max_attempts", "must be at least 1");
        }
        if self.initial_backoff_ms == 0 {
            err("archive.s3.initial_backoff_ms", "must be at least 1");
        }
        if self.max_backoff_ms < self.initial_backoff_ms {
            err(
                "archive.s3.max_backoff_ms",
                "must be at least initial_backoff_ms",
            );
        }
        if self.request_timeout_secs == 0 {
            err("archive.s3.request_timeout_secs", "must be at least 1");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The encryption the configuration asks for, as put options express it.
    pub fn default_sse(&self) -> Option<Sse> {
        match self.sse? {
            SseAlgorithm::Aes256 => Some(Sse::Aes256),
            SseAlgorithm::AwsKms => Some(Sse::Kms {
                key_id: self.kms_key_id.clone(),
            }),
        }
    }

    /// The retry policy of one request: `max_attempts` in all, full-jitter waits from up to
    /// `initial_backoff_ms` doubling to up to `max_backoff_ms`.
    pub(crate) fn backoff(&self) -> auditlake_retry::Backoff {
        auditlake_retry::Backoff::new(
            Duration::from_millis(self.initial_backoff_ms),
            Duration::from_millis(self.max_backoff_ms),
        )
        .with_max_attempts(self.max_attempts)
    }
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix (without leading or trailing `/`,
/// empty when the url names only the bucket).
pub fn parse_s3_url(url: &str) -> Result<(String, String), S3ConfigError> {
    let bad = |message: &str| S3ConfigError::new("archive.url", message);
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| bad("an s3 url starts with s3://"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !bucket.starts_with(['.', '-'])
        && !bucket.ends_with(['.', '-']);
    if !bucket_ok {
        return Err(bad(
            "the bucket name must be 3 to 63 lower-case letters, digits, '.' or '-'",
        ));
    }
    let prefix = prefix.trim_matches('/');
    if !prefix.is_empty() && validate_key(prefix).is_err() {
        return Err(bad(
            "the prefix must be a '/'-separated path without empty, '.' or '..' segments",
        ));
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<S3Config, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn defaults_are_valid() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg, S3Config::default());
        assert_eq!(cfg.multipart_threshold_bytes, 16 * MIB);
        assert_eq!(cfg.multipart_part_bytes, 8 * MIB);
        assert_eq!(cfg.max_concurrent_parts, 4);
        assert_eq!(cfg.max_attempts, 8);
        cfg.validate().unwrap();
    }

    #[test]
    fn full_section_parses() {
        let cfg = parse(
            r#"
            region = "eu-west-1"
            endpoint = "http://127.0.0.1:9000"
            force_path_style = true
            sse = "aws:kms"
            kms_key_id = "alias/audit"
            multipart_part_bytes = 10485760
            "#,
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(
            cfg.default_sse(),
            Some(Sse::Kms {
                key_id: Some("alias/audit".into())
            })
        );
        let aes = parse(r#"sse = "AES256""#).unwrap();
        assert_eq!(aes.default_sse(), Some(Sse::Aes256));
    }

    // a typo in the section must name the key, not be ignored
    #[test]
    fn unknown_key_is_refused() {
        let err = parse("multipart_part_byte = 5242880")
            .unwrap_err()
            .to_string();
        assert!(err.contains("multipart_part_byte"), "{err}");
        // and credentials have no place in it
        let err = parse(r#"secret_access_key = "x""#).unwrap_err().to_string();
        assert!(err.contains("secret_access_key"), "{err}");
        assert!(parse(r#"sse = "aes256""#).is_err());
    }

    #[test]
    fn validate_names_the_key() {
        let cfg = S3Config {
            multipart_part_bytes: 1024,
            kms_key_id: Some("alias/audit".into()),
            max_concurrent_parts: 0,
            initial_backoff_ms: 500,
            max_backoff_ms: 100,
            endpoint: Some("127.0.0.1:9000".into()),
            ..S3Config::default()
        };
        let errors: Vec<String> = cfg
            .validate()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errors.contains(&"archive.s3.multipart_part_bytes: must be at least 5 MiB".to_string()),
            "{errors:?}"
        );
        for key in [
            "kms_key_id",
            "max_concurrent_parts",
            "max_backoff_ms",
            "endpoint",
        ] {
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&format!("archive.s3.{key}: "))),
                "{key} missing from {errors:?}"
            );
        }
    }

    #[test]
    fn s3_urls() {
        assert_eq!(
            parse_s3_url("s3://audit-logs").unwrap(),
            ("audit-logs".into(), "".into())
        );
        assert_eq!(
            parse_s3_url("s3://audit-logs/").unwrap(),
            ("audit-logs".into(), "".into())
        );
        assert_eq!(
            parse_s3_url("s3://audit-logs/prod/eu/").unwrap(),
            ("audit-logs".into(), "prod/eu".into())
        );
        for bad in [
            "audit-logs",
            "s3://",
            "s3://Audit",
            "s3://ab",
            "s3://a_b_c",
            "s3://bucket/a//b",
            "s3://bucket/a/../b",
        ] {
            let err = parse_s3_url(bad).unwrap_err();
            assert_eq!(err.key, "archive.url", "{bad}");
        }
    }

    #[test]
    fn backoff_follows_the_config() {
        let cfg = S3Config {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            max_attempts: 4,
            ..S3Config::default()
        };
        let b = cfg.backoff();
        assert_eq!(b.cap(1), Duration::from_millis(100));
        assert_eq!(b.cap(3), Duration::from_millis(400));
        assert_eq!(b.cap(60), Duration::from_millis(1000));
        assert_eq!(b.max_attempts, Some(4));
    }
}

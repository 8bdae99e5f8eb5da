//! One request to S3: retries with the workspace's one backoff policy ([`auditlake_retry`]), and
//! the mapping of SDK errors to [`StorageError`]s.

use std::future::Future;
use std::ops::ControlFlow;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use tracing::warn;

use super::S3Store;
use crate::{Result, StorageError};

impl S3Store {
    /// Runs one request, retrying it with full-jitter exponential backoff
    /// ([`auditlake_retry`]) while it fails with a retryable error, up to `max_attempts` in all.
    pub(super) async fn retry<T, E, F, Fut>(
        &self,
        op: &'static str,
        key: &str,
        mut request: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.retry_mapped(op, key, || {
            let fut = request();
            async move { fut.await.map_err(|e| self.map_error(op, key, e)) }
        })
        .await
    }

    /// [`Self::retry`] for a request whose errors are already mapped.
    pub(super) async fn retry_mapped<T, F, Fut>(
        &self,
        op: &'static str,
        key: &str,
        request: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let backoff = self.cfg.backoff();
        auditlake_retry::retry(&backoff, request, StorageError::is_retryable, |e, r| {
            warn!(
                op,
                bucket = %self.bucket,
                key,
                attempt = r.attempt,
                max_attempts = self.cfg.max_attempts,
                delay_ms = r.delay.as_millis() as u64,
                error = %e,
                "s3 request failed, retrying"
            );
            ControlFlow::Continue(())
        })
        .await
    }

    /// Maps an SDK error to a storage error: missing key -> `NotFound`, denied -> `AccessDenied`,
    /// throttling, 5xx, timeouts and connection errors -> retryable, the rest -> not retryable.
    pub(super) fn map_error<E>(
        &self,
        op: &'static str,
        key: &str,
        err: SdkError<E, HttpResponse>,
    ) -> StorageError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let service = match &err {
            SdkError::ServiceError(service) => service,
            SdkError::TimeoutError(_) => {
                return backend_error(op, key, "request timed out", true);
            }
            SdkError::DispatchFailure(failure) => {
                let message = format!("cannot reach s3: {}", error_chain(&err));
                return backend_error(op, key, &message, !failure.is_user());
            }
            SdkError::ResponseError(_) => {
                let message = format!("bad response: {}", error_chain(&err));
                return backend_error(op, key, &message, true);
            }
            _ => {
                let message = error_chain(&err);
                return backend_error(op, key, &message, false);
            }
        };
        let status = service.raw().status().as_u16();
        let code = service.err().code().unwrap_or("");
        let message = service.err().message().unwrap_or("").to_string();
        let described = || {
            let code = if code.is_empty() {
                "no error code"
            } else {
                code
            };
            if message.is_empty() {
                format!("http {status} ({code})")
            } else {
                format!("{message} (http {status}, {code})")
            }
        };
        match code {
            "NoSuchBucket" => {
                return backend_error(
                    op,
                    key,
                    &format!(
                        "bucket {} does not exist (NoSuchBucket); not retryable: create the bucket or fix archive.url",
                        self.bucket
                    ),
                    false,
                );
            }
            "NoSuchKey" | "NotFound" => {
                return StorageError::NotFound {
                    key: key.to_string(),
                };
            }
            "AccessDenied"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AllAccessDisabled" => {
                return StorageError::AccessDenied {
                    key: key.to_string(),
                    message: described(),
                };
            }
            "SlowDown"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
            | "TooManyRequestsException"
            | "RequestTimeout"
            | "RequestTimeTooSkewed"
            | "InternalError"
            | "ServiceUnavailable" => {
                return backend_error(op, key, &described(), true);
            }
            _ => {}
        }
        match status {
            404 => StorageError::NotFound {
                key: key.to_string(),
            },
            403 => StorageError::AccessDenied {
                key: key.to_string(),
                message: described(),
            },
            408 | 429 | 500..=599 => backend_error(op, key, &described(), true),
            _ => backend_error(op, key, &described(), false),
        }
    }
}

pub(super) fn backend_error(
    op: &'static str,
    key: &str,
    message: &str,
    retryable: bool,
) -> StorageError {
    StorageError::Backend {
        op,
        key: key.to_string(),
        message: message.to_string(),
        retryable,
    }
}

/// An error and its sources, each by its `Display`, joined with `: `.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        // some layers repeat their source's text; say it once
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = e.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use aws_config::BehaviorVersion;
    use aws_sdk_s3::Client;
    use aws_sdk_s3::config::{Builder as S3ConfigBuilder, Region};

    use super::*;
    use crate::s3::S3Config;

    #[tokio::test]
    async fn retries_only_retryable_errors_up_to_max_attempts() {
        let cfg = S3Config {
            max_attempts: 3,
            initial_backoff_ms: 1,
            max_backoff_ms: 2,
            ..S3Config::default()
        };
        let client = Client::from_conf(
            S3ConfigBuilder::new()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::from_static("us-east-1"))
                .build(),
        );
        let store = S3Store::from_client(client, "bucket", "", &cfg).unwrap();
        for (retryable, want_calls) in [(true, 3), (false, 1)] {
            let calls = std::sync::atomic::AtomicU32::new(0);
            let result: Result<()> = store
                .retry_mapped("get", "k", || {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    async move { Err(backend_error("get", "k", "boom", retryable)) }
                })
                .await;
            assert_eq!(result.unwrap_err().is_retryable(), retryable);
            assert_eq!(calls.into_inner(), want_calls, "retryable = {retryable}");
        }
    }
}

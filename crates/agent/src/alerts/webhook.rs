//! Webhook delivery on reqwest (rustls, the crypto provider aws-sdk already uses): `http://` and
//! `https://` receivers, the proxy of `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` unless
//! `NO_PROXY` excludes the host, connect and total timeouts, retries with the workspace's backoff
//! ([`auditlake_retry`]), and a dead-letter file for alerts no attempt delivered.
//!
//! Delivery runs on a thread of its own (with a small runtime) fed by a channel, so a slow
//! receiver never holds up reading.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use tokio::sync::mpsc;

use super::config::{Secret, WebhookConfig};
use super::engine::Alert;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Checks a webhook url without touching the network: `http://` or `https://`, a host, no
/// credentials.
pub fn parse_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} is not an http:// or https:// url"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "{url:?}: credentials belong in token_env, not the url"
        ));
    }
    Ok(parsed)
}

/// Why one attempt failed, and whether another may pass.
#[derive(Debug)]
pub struct PostError {
    message: String,
    retryable: bool,
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl PostError {
    fn of(e: &reqwest::Error) -> PostError {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        // a request that could not be built will never be
        PostError {
            message,
            retryable: !e.is_builder(),
        }
    }

    /// 408, 429 and 5xx may pass later; other statuses will not (a wrong url or token).
    fn status(status: reqwest::StatusCode) -> PostError {
        let code = status.as_u16();
        PostError {
            message: format!("status {status}"),
            retryable: matches!(code, 408 | 429 | 500..=599),
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
}

/// A webhook ready to post: its client built, its token read from the environment.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    raw_url: String,
    client: reqwest::Client,
    headers: HeaderMap,
    backoff: auditlake_retry::Backoff,
}

impl Webhook {
    /// Reads the token from the environment and `ca_file` from disk; a missing variable or
    /// file is an error naming its key.
    pub fn build(cfg: &WebhookConfig) -> Result<Webhook, String> {
        let url = parse_url(&cfg.url).map_err(|e| format!("alerts.webhooks.url: {e}"))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (k, v) in &cfg.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("alerts.webhooks.headers: {k:?} is not a header name"))?;
            let mut value = HeaderValue::from_str(v.expose_str())
                .map_err(|_| format!("alerts.webhooks.headers: the value of {k:?} is not valid"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if let Some(var) = &cfg.token_env {
            let token: Secret = Secret::new(std::env::var(var).map_err(|_| {
                format!("alerts.webhooks.token_env: environment variable {var} is not set")
            })?);
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_str()))
                .map_err(|_| format!("alerts.webhooks.token_env: {var} holds an invalid token"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let mut client = reqwest::Client::builder()
            .user_agent(concat!("auditlake-agent/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.timeout_ms))
            // alerts are rare: a connection per post, none left to go stale in a pool
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &cfg.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                format!(
                    "alerts.webhooks.ca_file: cannot read {}: {e}",
                    path.display()
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!(
                    "alerts.webhooks.ca_file: {} holds no PEM certificate: {e}",
                    path.display()
                )
            })?;
            if certs.is_empty() {
                return Err(format!(
                    "alerts.webhooks.ca_file: {} holds no PEM certificate",
                    path.display()
                ));
            }
            for c in certs {
                client = client.add_root_certificate(c);
            }
        }
        let client = client.build().map_err(|e| {
            format!(
                "alerts.webhooks: cannot build the http client for {}: {e}",
                cfg.url
            )
        })?;
        Ok(Webhook {
            url,
            raw_url: cfg.url.clone(),
            client,
            headers,
            backoff: auditlake_retry::Backoff::new(
                Duration::from_millis(cfg.backoff_ms),
                MAX_BACKOFF,
            )
            .with_max_attempts(cfg.max_attempts),
        })
    }

    /// One POST; `Ok` with the status on a 2xx. The response body is read (whatever its
    /// transfer encoding) so that the exchange is complete, and then dropped.
    pub async fn post(&self, body: &[u8]) -> Result<u16, PostError> {
        let resp = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| PostError::of(&e))?;
        let status = resp.status();
        let _ = resp.bytes().await;
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(PostError::status(status))
        }
    }

    /// Posts with retries; `Err` with the last error after `max_attempts`, at once for an error
    /// no retry can fix, or as soon as a retry would end after `deadline` (set when the agent
    /// stops).
    pub async fn deliver(&self, body: &[u8], deadline: &Deadline) -> Result<(), PostError> {
        auditlake_retry::retry(
            &self.backoff,
            || self.post(body),
            PostError::is_retryable,
            |e, r| {
                if deadline.passed_after(r.delay) {
                    return ControlFlow::Break(());
                }
                tracing::warn!(url = %self.raw_url, attempt = r.attempt, error = %e, retry_in_ms = r.delay.as_millis() as u64, "alert delivery failed");
                ControlFlow::Continue(())
            },
        )
        .await
        .map(|_| ())
    }
}

/// When retrying must stop: unset while the agent runs, set when it stops.
#[derive(Debug, Clone, Default)]
pub struct Deadline(Arc<Mutex<Option<Instant>>>);

impl Deadline {
    fn set(&self, at: Instant) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }

    /// Whether waiting `wait` from now would pass the deadline.
    fn passed_after(&self, wait: Duration) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|t| t > d))
    }
}

/// The JSON body of a webhook POST.
#[derive(Debug, Serialize)]
pub struct AlertBody<'a> {
    pub alert_id: &'a str,
    pub rule: &'a str,
    pub kind: &'a str,
    pub group_by: &'a str,
    pub key: &'a str,
    pub count: usize,
    pub window_secs: Option<u64>,
    pub first_time: String,
    pub last_time: String,
    pub event_ids: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
}

impl<'a> AlertBody<'a> {
    pub fn of(a: &'a Alert) -> AlertBody<'a> {
        let rfc = |t| auditlake_event::micros_to_datetime(t).to_rfc3339();
        AlertBody {
            alert_id: &a.alert_id,
            rule: &a.rule,
            kind: &a.kind,
            group_by: &a.group_by,
            key: &a.key,
            count: a.count,
            window_secs: a.window_secs,
            first_time: rfc(a.first_time),
            last_time: rfc(a.last_time),
            event_ids: &a.event_ids,
            field: a.field.as_deref(),
            value: a.value.as_deref(),
        }
    }
}

/// A line of `state_dir/dead-letter/alerts.jsonl`.
#[derive(Debug, Serialize)]
struct DeadAlert<'a> {
    time: String,
    url: &'a str,
    error: &'a str,
    alert: AlertBody<'a>,
}

/// The delivery thread: posts every alert it receives to each webhook, in order.
#[derive(Debug)]
pub struct Delivery {
    tx: Option<mpsc::UnboundedSender<Alert>>,
    thread: Option<std::thread::JoinHandle<()>>,
    deadline: Deadline,
}

impl Delivery {
    /// Starts the thread. Alerts no attempt delivered go to `dead_letter`.
    pub fn start(webhooks: Vec<Webhook>, dead_letter: PathBuf) -> std::io::Result<Delivery> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Alert>();
        let deadline = Deadline::default();
        let stop_at = deadline.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("alert-delivery".into())
            .spawn(move || {
                runtime.block_on(async {
                    while let Some(alert) = rx.recv().await {
                        deliver_one(&webhooks, &alert, &stop_at, &dead_letter).await;
                    }
                });
            })?;
        Ok(Delivery {
            tx: Some(tx),
            thread: Some(thread),
            deadline,
        })
    }

    /// A sender for the pipelines.
    pub fn sender(&self) -> mpsc::UnboundedSender<Alert> {
        self.tx.clone().expect("delivery is running")
    }

    /// Waits until every queued alert was delivered or dead-lettered. Senders held elsewhere
    /// must be dropped first. Retries that would end after `grace` are given up: those alerts go
    /// to the dead-letter file.
    pub fn finish(mut self, grace: Duration) {
        if let Some(at) = Instant::now().checked_add(grace) {
            self.deadline.set(at);
        }
        self.tx.take();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the alert delivery thread panicked");
        }
    }
}

async fn deliver_one(webhooks: &[Webhook], alert: &Alert, deadline: &Deadline, dead_letter: &Path) {
    let body = AlertBody::of(alert);
    let bytes = serde_json::to_vec(&body).expect("alert serializes");
    for w in webhooks {
        match w.deliver(&bytes, deadline).await {
            Ok(()) => {
                tracing::info!(rule = %alert.rule, key = %alert.key, url = %w.raw_url, "alert delivered")
            }
            Err(e) => {
                tracing::error!(rule = %alert.rule, key = %alert.key, url = %w.raw_url, error = %e, "alert not delivered, written to the dead-letter file");
                if let Err(io) = write_dead(dead_letter, &w.raw_url, &e.to_string(), alert) {
                    tracing::error!(path = %dead_letter.display(), error = %io, "cannot write the alert dead-letter file");
                }
            }
        }
    }
}

fn write_dead(path: &Path, url: &str, error: &str, alert: &Alert) -> std::io::Result<()> {
    let line = DeadAlert {
        time: chrono::Utc::now().to_rfc3339(),
        url,
        error,
        alert: AlertBody::of(alert),
    };
    let mut bytes = serde_json::to_vec(&line).expect("dead alert serializes");
    bytes.push(b'\n');
    auditlake_durable::append(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://127.0.0.1:8080/hook?x=1").unwrap();
        assert_eq!(
            (u.host_str(), u.port_or_known_default(), u.path()),
            (Some("127.0.0.1"), Some(8080), "/hook")
        );
        assert_eq!(
            parse_url("https://example.com")
                .unwrap()
                .port_or_known_default(),
            Some(443)
        );
        assert!(
            parse_url("http://u:p@h/")
                .unwrap_err()
                .contains("token_env")
        );
        assert!(parse_url("ftp://h/").is_err());
        assert!(parse_url("http://:80/x").is_err());
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn only_statuses_a_retry_can_fix_are_retried() {
        for (code, retryable) in [
            (500, true),
            (503, true),
            (429, true),
            (408, true),
            (400, false),
            (401, false),
            (404, false),
        ] {
            let s = reqwest::StatusCode::from_u16(code).unwrap();
            assert_eq!(PostError::status(s).is_retryable(), retryable, "{code}");
        }
    }

    #[test]
    fn secret_is_redacted() {
        let s: Secret = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?} {s}"), "**redacted** **redacted**");
    }
}

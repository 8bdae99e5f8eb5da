//! Webhook delivery: a small blocking HTTP/1.1 client for `http://` urls, retries with backoff,
//! and a dead-letter file for alerts no attempt delivered.
//!
//! Delivery runs on its own thread fed by a channel, so a slow receiver never holds up reading.
//! There is no TLS: for an `https://` receiver, post to a TLS-terminating proxy sidecar.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::config::{Secret, WebhookConfig};
use super::engine::Alert;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A parsed `http://host:port/path` url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, String> {
        let rest = if let Some(r) = url.strip_prefix("http://") {
            r
        } else if url.starts_with("https://") {
            return Err(format!(
                "{url:?}: https is not supported; post to a TLS-terminating proxy on http://"
            ));
        } else {
            return Err(format!("{url:?} is not an http:// url"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(format!(
                "{url:?}: credentials belong in token_env, not the url"
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("{url:?}: {p:?} is not a port"))?,
            ),
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(HttpUrl {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }
}

/// A webhook ready to post: its url parsed and its token read from the environment.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: HttpUrl,
    raw_url: String,
    headers: Vec<(String, Secret)>,
    token: Option<Secret>,
    max_attempts: u32,
    backoff: Duration,
    timeout: Duration,
}

impl Webhook {
    /// Reads the token from the environment; a missing variable is an error naming it.
    pub fn build(cfg: &WebhookConfig) -> Result<Webhook, String> {
        let token = match &cfg.token_env {
            Some(var) => Some(Secret::new(std::env::var(var).map_err(|_| {
                format!("alerts.webhooks.token_env: environment variable {var} is not set")
            })?)),
            None => None,
        };
        Ok(Webhook {
            url: HttpUrl::parse(&cfg.url)?,
            raw_url: cfg.url.clone(),
            headers: cfg
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            token,
            max_attempts: cfg.max_attempts,
            backoff: Duration::from_millis(cfg.backoff_ms),
            timeout: Duration::from_millis(cfg.timeout_ms),
        })
    }

    /// One POST; `Ok` on a 2xx status.
    pub fn post(&self, body: &[u8]) -> Result<u16, String> {
        let addrs = (self.url.host.as_str(), self.url.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.url.host))?;
        let mut last_err = String::from("no address");
        let mut conn = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(c) => {
                    conn = Some(c);
                    break;
                }
                Err(e) => last_err = format!("cannot connect to {addr}: {e}"),
            }
        }
        let mut conn = conn.ok_or(last_err)?;
        conn.set_read_timeout(Some(self.timeout))
            .and_then(|_| conn.set_write_timeout(Some(self.timeout)))
            .map_err(|e| e.to_string())?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: {}:{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nuser-agent: auditlake-agent\r\n",
            self.url.path,
            self.url.host,
            self.url.port,
            body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {}\r\n", v.expose()));
        }
        if let Some(t) = &self.token {
            head.push_str(&format!("authorization: Bearer {}\r\n", t.expose_str()));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes())
            .and_then(|_| conn.write_all(body))
            .map_err(|e| format!("cannot send: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        // The status line is all that matters.
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 8192 {
            match conn.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(format!("cannot read the response: {e}")),
            }
        }
        let line = String::from_utf8_lossy(&buf);
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| "the response has no status line".to_string())?;
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(format!("status {status}"))
        }
    }

    /// Posts with retries; `Err` with the last error after `max_attempts`, or as soon as a
    /// retry would end after `deadline` (set when the agent stops).
    pub fn deliver(&self, body: &[u8], deadline: &Deadline) -> Result<(), String> {
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            match self.post(body) {
                Ok(_) => return Ok(()),
                Err(e) if attempt >= self.max_attempts || deadline.passed_after(wait) => {
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(url = %self.raw_url, attempt, error = %e, retry_in_ms = wait.as_millis() as u64, "alert delivery failed");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(MAX_BACKOFF);
                    attempt += 1;
                }
            }
        }
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
    tx: Option<mpsc::Sender<Alert>>,
    thread: Option<std::thread::JoinHandle<()>>,
    deadline: Deadline,
}

impl Delivery {
    /// Starts the thread. Alerts no attempt delivered go to `dead_letter`.
    pub fn start(webhooks: Vec<Webhook>, dead_letter: PathBuf) -> std::io::Result<Delivery> {
        let (tx, rx) = mpsc::channel::<Alert>();
        let deadline = Deadline::default();
        let stop_at = deadline.clone();
        let thread = std::thread::Builder::new()
            .name("alert-delivery".into())
            .spawn(move || {
                for alert in rx {
                    let body = AlertBody::of(&alert);
                    let bytes = serde_json::to_vec(&body).expect("alert serializes");
                    for w in &webhooks {
                        match w.deliver(&bytes, &stop_at) {
                            Ok(()) => {
                                tracing::info!(rule = %alert.rule, key = %alert.key, url = %w.raw_url, "alert delivered")
                            }
                            Err(e) => {
                                tracing::error!(rule = %alert.rule, key = %alert.key, url = %w.raw_url, error = %e, "alert not delivered, written to the dead-letter file");
                                if let Err(io) = write_dead(&dead_letter, &w.raw_url, &e, &alert) {
                                    tracing::error!(path = %dead_letter.display(), error = %io, "cannot write the alert dead-letter file");
                                }
                            }
                        }
                    }
                }
            })?;
        Ok(Delivery {
            tx: Some(tx),
            thread: Some(thread),
            deadline,
        })
    }

    /// A sender for the pipelines.
    pub fn sender(&self) -> mpsc::Sender<Alert> {
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

fn write_dead(path: &Path, url: &str, error: &str, alert: &Alert) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let line = DeadAlert {
        time: chrono::Utc::now().to_rfc3339(),
        url,
        error,
        alert: AlertBody::of(alert),
    };
    let mut bytes = serde_json::to_vec(&line).expect("dead alert serializes");
    bytes.push(b'\n');
    f.write_all(&bytes)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/hook?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/hook?x=1")
        );
        assert_eq!(HttpUrl::parse("http://example.com").unwrap().port, 80);
        assert!(
            HttpUrl::parse("https://example.com")
                .unwrap_err()
                .contains("https")
        );
        assert!(HttpUrl::parse("http://u:p@h/").is_err());
        assert!(HttpUrl::parse("ftp://h/").is_err());
    }

    #[test]
    fn secret_is_redacted() {
        let s: Secret = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?} {s}"), "**redacted** **redacted**");
    }
}

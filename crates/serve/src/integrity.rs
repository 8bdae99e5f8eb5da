//! The Integrity page's data: the archive verified against its digests at start and then every
//! `verify_interval_secs`, the last result kept.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use auditlake_archive::{PublicKey, VerifyOptions, VerifyReport};
use auditlake_storage::ObjectStore;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The last check, if any.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    last: Arc<Mutex<Last>>,
}

#[derive(Debug, Clone, Default)]
enum Last {
    #[default]
    Pending,
    NoKeys,
    Done {
        at: DateTime<Utc>,
        result: Result<VerifyReport, String>,
    },
}

impl Integrity {
    /// Verifies now and then every `interval` (never again when zero), on a thread of its own
    /// (the check reads many objects at once and holds borrows across them).
    pub fn spawn(
        &self,
        store: Arc<dyn ObjectStore>,
        keys: Vec<PublicKey>,
        interval: Duration,
    ) -> std::io::Result<()> {
        let last = self.last.clone();
        if keys.is_empty() {
            *last.lock().unwrap_or_else(|p| p.into_inner()) = Last::NoKeys;
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("verify".into())
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        let now = Utc::now();
                        let opts = VerifyOptions {
                            now,
                            ..VerifyOptions::default()
                        };
                        let result = auditlake_archive::verify_archive(&*store, &keys, &opts)
                            .await
                            .map_err(|e| e.to_string());
                        if let Err(e) = &result {
                            tracing::warn!(error = %e, "cannot verify the archive");
                        }
                        *last.lock().unwrap_or_else(|p| p.into_inner()) =
                            Last::Done { at: now, result };
                        if interval.is_zero() {
                            return;
                        }
                        tokio::time::sleep(interval).await;
                    }
                })
            })?;
        Ok(())
    }

    /// The status as the API answers it.
    pub fn snapshot(&self) -> Value {
        match &*self.last.lock().unwrap_or_else(|p| p.into_inner()) {
            Last::Pending => json!({
                "status": "pending",
                "checked_at": null,
                "chains": [],
                "detail": "the first check of the archive is running",
            }),
            Last::NoKeys => json!({
                "status": "unverifiable",
                "checked_at": null,
                "chains": [],
                "detail": "no public key to verify the digests with is configured",
            }),
            Last::Done { at, result } => {
                let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
                match result {
                    Err(e) => json!({
                        "status": "error",
                        "checked_at": at,
                        "chains": [],
                        "detail": e,
                    }),
                    Ok(r) => {
                        let status = if r.is_clean() { "ok" } else { "failed" };
                        let mut chains = vec![json!({
                            "chain": format!("all {} chains", r.chains),
                            "status": status,
                            "detail": format!(
                                "{} digests, {} objects listed, {} verified ({} bytes), {} expired under receipts, {} replaced, {} findings",
                                r.digests, r.objects_listed, r.objects_verified, r.bytes_verified,
                                r.objects_expired, r.objects_replaced, r.findings.len()
                            ),
                        })];
                        chains.extend(r.findings.iter().map(|f| {
                            json!({ "chain": finding_key(f), "status": "failed", "detail": f.to_string() })
                        }));
                        json!({
                            "status": status,
                            "checked_at": at,
                            "chains": chains,
                            "report": r,
                        })
                    }
                }
            }
        }
    }
}

/// The object or digest a finding is about.
fn finding_key(f: &auditlake_archive::Finding) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.get("key").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

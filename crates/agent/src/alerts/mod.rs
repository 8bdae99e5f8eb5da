//! Activity alerts: rules evaluated in the agent on event time, as each event enters its batch.
//!
//! Every alert is posted to the configured webhooks (from a thread of its own) and archived as a
//! `system.alert.fire` event of the source whose event fired it. The rules' state is bounded
//! (see [`AlertsConfig`]) and persisted in `state_dir/alerts.json` at each flush, so a restart
//! neither forgets an open window nor fires an alert again.

pub mod config;
mod engine;
pub(crate) mod webhook;

use std::path::Path;
use std::sync::{Arc, Mutex};

pub use config::{AlertsConfig, FilterConfig, GroupBy, RuleConfig, RuleKind, ValueField};
pub use engine::{ALERT_ACTION, Alert, AlertEngine};

use crate::AgentError;

/// The alert engine and delivery thread of one agent run, shared by its sources.
#[derive(Debug)]
pub struct Alerts {
    engine: Arc<Mutex<AlertEngine>>,
    delivery: Option<webhook::Delivery>,
}

impl Alerts {
    /// Loads the persisted state, reads webhook tokens from the environment and starts delivery.
    pub fn start(cfg: &AlertsConfig, state_dir: &Path) -> Result<Alerts, AgentError> {
        let engine = AlertEngine::open(cfg, &state_dir.join("alerts.json"))?;
        let webhooks = cfg
            .webhooks
            .iter()
            .map(webhook::Webhook::build)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| AgentError::Setup { message })?;
        let delivery = if webhooks.is_empty() {
            None
        } else {
            let dead = state_dir.join("dead-letter").join("alerts.jsonl");
            Some(
                webhook::Delivery::start(webhooks, dead).map_err(|e| AgentError::Setup {
                    message: format!("cannot start the alert delivery thread: {e}"),
                })?,
            )
        };
        Ok(Alerts {
            engine: Arc::new(Mutex::new(engine)),
            delivery,
        })
    }

    /// What a source's pipeline holds to evaluate its events.
    pub fn hook(&self) -> AlertHook {
        AlertHook {
            engine: self.engine.clone(),
            tx: self.delivery.as_ref().map(|d| d.sender()),
        }
    }

    /// Persists the state and waits for queued alerts to be delivered or dead-lettered; retries
    /// that would take longer than `grace` are given up (the alert is dead-lettered). Every
    /// hook must have been dropped.
    pub fn finish(self, grace: std::time::Duration) -> Result<(), AgentError> {
        let result = lock(&self.engine).persist();
        if let Some(d) = self.delivery {
            d.finish(grace);
        }
        result
    }
}

/// A source's handle on the shared engine and the delivery queue.
#[derive(Debug, Clone)]
pub struct AlertHook {
    engine: Arc<Mutex<AlertEngine>>,
    tx: Option<tokio::sync::mpsc::UnboundedSender<Alert>>,
}

impl AlertHook {
    /// Evaluates events and queues the alerts they fire for delivery; returns the alerts.
    pub fn observe<'a>(
        &self,
        events: impl IntoIterator<Item = &'a auditlake_event::AuditEvent>,
    ) -> Vec<Alert> {
        let mut engine = lock(&self.engine);
        let mut out = Vec::new();
        for e in events {
            out.extend(engine.observe(e));
        }
        drop(engine);
        for a in &out {
            tracing::warn!(rule = %a.rule, key = %a.key, count = a.count, "alert fired");
            if let Some(tx) = &self.tx
                && tx.send(a.clone()).is_err()
            {
                tracing::error!(rule = %a.rule, "the alert delivery thread is gone");
            }
        }
        out
    }

    /// Writes the engine's state (called after each checkpoint commit).
    pub fn persist(&self) -> Result<(), AgentError> {
        lock(&self.engine).persist()
    }
}

fn lock(m: &Mutex<AlertEngine>) -> std::sync::MutexGuard<'_, AlertEngine> {
    // A panic elsewhere leaves the state as consistent as any single observe left it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;

//! People, not ids: one person's ids in every source (`u-1001` in the application, `alice` in
//! sshd, `alice@example.com` in the identity provider), from `[identity]`: the configured
//! people and the links the archive's events teach ([`auditlake_query::people`]).
//!
//! The map is learned at start and again every `identity.learn_interval_secs`; until the first
//! learning is done, the configured people alone are known (a reader then sees less of their
//! own activity, never more) and `/readyz` says not ready.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use auditlake_query::FilterSpec;
use auditlake_query::people::{IdentityConfig, People};
use auditlake_storage::ObjectStore;
use chrono::{DateTime, Utc};

/// The current map of people, shared by sign-in and every read.
#[derive(Debug)]
pub struct Directory {
    config: IdentityConfig,
    people: RwLock<Arc<People>>,
    status: Mutex<LearnStatus>,
    learned_once: AtomicBool,
}

/// When the map was last learned, and how that went.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LearnStatus {
    pub learned_at: Option<DateTime<Utc>>,
    pub took_ms: Option<u64>,
    pub error: Option<String>,
}

impl Directory {
    pub fn new(config: &IdentityConfig) -> Directory {
        let learned = !config.learn;
        Directory {
            config: config.clone(),
            people: RwLock::new(Arc::new(People::configured(config))),
            status: Mutex::new(LearnStatus::default()),
            learned_once: AtomicBool::new(learned),
        }
    }

    /// The map as it is now.
    pub fn people(&self) -> Arc<People> {
        self.people.read().expect("not poisoned").clone()
    }

    pub fn status(&self) -> LearnStatus {
        self.status.lock().expect("not poisoned").clone()
    }

    /// Whether the map has been learned from the archive at least once (or need not be).
    pub fn ready(&self) -> bool {
        self.learned_once.load(Ordering::Acquire)
    }

    /// Learns the map from the archive once.
    pub async fn learn(&self, store: Arc<dyn ObjectStore>) {
        let started = std::time::Instant::now();
        let result = People::learn(store, &self.config, FilterSpec::default(), Utc::now()).await;
        let mut status = self.status.lock().expect("not poisoned");
        match result {
            Ok(p) => {
                tracing::info!(
                    people = p.persons().len(),
                    ambiguous = p.ambiguous().len(),
                    took_ms = started.elapsed().as_millis() as u64,
                    "learned who is who from the archive"
                );
                *self.people.write().expect("not poisoned") = Arc::new(p);
                *status = LearnStatus {
                    learned_at: Some(Utc::now()),
                    took_ms: Some(started.elapsed().as_millis() as u64),
                    error: None,
                };
                self.learned_once.store(true, Ordering::Release);
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot learn who is who from the archive; keeping the last map");
                status.error = Some(e.to_string());
            }
        }
    }

    /// Learns now and then every `learn_interval_secs` (0: once), in the background.
    pub fn spawn(self: &Arc<Self>, store: Arc<dyn ObjectStore>) {
        if !self.config.learn {
            return;
        }
        let me = self.clone();
        let every = Duration::from_secs(self.config.learn_interval_secs);
        tokio::spawn(async move {
            loop {
                me.learn(store.clone()).await;
                if every.is_zero() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_query::people::PersonConfig;

    #[test]
    fn the_configured_people_are_known_before_learning() {
        let d = Directory::new(&IdentityConfig {
            people: vec![PersonConfig {
                name: Some("Alice".into()),
                ids: vec!["u-1001".into(), "alice".into()],
            }],
            ..Default::default()
        });
        assert!(!d.ready());
        assert_eq!(d.people().expand(["alice"]), vec!["alice", "u-1001"]);
        let off = Directory::new(&IdentityConfig {
            learn: false,
            ..Default::default()
        });
        assert!(off.ready());
    }
}

//! The agent's Prometheus metrics and readiness, served on `listen`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::stats::SourceStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub source: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabel {
    pub source: String,
    pub policy: String,
}

/// Every metric the agent exports, labelled by source.
#[derive(Debug, Default)]
pub struct Metrics {
    pub lines: Family<SourceLabel, Counter>,
    pub events: Family<SourceLabel, Counter>,
    pub ignored: Family<SourceLabel, Counter>,
    pub dead_letters: Family<KindLabel, Counter>,
    pub bytes_in: Family<SourceLabel, Counter>,
    pub bytes_out: Family<SourceLabel, Counter>,
    pub objects_spooled: Family<SourceLabel, Counter>,
    pub objects_uploaded: Family<SourceLabel, Counter>,
    pub spool_bytes: Family<SourceLabel, Gauge>,
    pub lag_seconds: Family<SourceLabel, Gauge<f64, AtomicU64>>,
    pub files_tailed: Family<SourceLabel, Gauge>,
    pub rotations: Family<SourceLabel, Counter>,
    pub truncations: Family<SourceLabel, Counter>,
    pub backpressure: Family<SourceLabel, Gauge>,
    pub errors: Family<KindLabel, Counter>,
    /// Bytes of log files lost unread (`auditlake_unread_bytes_lost_total`, outside the
    /// `auditlake_agent_` prefix: a name other tools alert on).
    pub unread_bytes_lost: Family<SourceLabel, Counter>,
    pub time_out_of_range: Family<PolicyLabel, Counter>,
}

impl Metrics {
    /// Registers the metrics: `auditlake_unread_bytes_lost_total`, and the rest under the
    /// `auditlake_agent_` prefix.
    pub fn registry(&self) -> Registry {
        let mut root = Registry::default();
        root.register(
            "auditlake_unread_bytes_lost",
            "Bytes of log files lost before they were read (deleted, compressed or truncated while unread); each loss has a record in the loss ledger",
            self.unread_bytes_lost.clone(),
        );
        let r = root.sub_registry_with_prefix("auditlake_agent");
        r.register(
            "lines_read",
            "Lines read from log files",
            self.lines.clone(),
        );
        r.register("events", "Audit events produced", self.events.clone());
        r.register(
            "lines_ignored",
            "Lines the profile calls noise",
            self.ignored.clone(),
        );
        r.register(
            "dead_letters",
            "Lines written to the dead-letter file, by reason",
            self.dead_letters.clone(),
        );
        r.register("bytes_in", "Bytes of log lines read", self.bytes_in.clone());
        r.register(
            "bytes_out",
            "Bytes of Parquet objects written",
            self.bytes_out.clone(),
        );
        r.register(
            "objects_spooled",
            "Archive objects written to the spool",
            self.objects_spooled.clone(),
        );
        r.register(
            "objects_uploaded",
            "Archive objects uploaded to the store",
            self.objects_uploaded.clone(),
        );
        r.register(
            "spool_bytes",
            "Bytes in the spool waiting for upload",
            self.spool_bytes.clone(),
        );
        r.register(
            "lag_seconds",
            "Now minus the time of the newest archived event",
            self.lag_seconds.clone(),
        );
        r.register(
            "files_tailed",
            "Files being followed",
            self.files_tailed.clone(),
        );
        r.register(
            "rotations",
            "Rename rotations detected",
            self.rotations.clone(),
        );
        r.register(
            "truncations",
            "Truncations (copytruncate) detected",
            self.truncations.clone(),
        );
        r.register(
            "backpressure",
            "1 while reading is paused because the spool is full",
            self.backpressure.clone(),
        );
        r.register("errors", "Errors by kind", self.errors.clone());
        r.register(
            "time_out_of_range",
            "Lines whose event time was outside the source's time window, by the policy applied",
            self.time_out_of_range.clone(),
        );
        root
    }

    /// Adds what a source did since the last call (`prev`) to the counters.
    pub fn observe(&self, source: &str, prev: &SourceStats, now: &SourceStats) {
        let l = SourceLabel {
            source: source.to_string(),
        };
        let d = |a: u64, b: u64| a.saturating_sub(b);
        self.lines
            .get_or_create(&l)
            .inc_by(d(now.lines, prev.lines));
        self.events
            .get_or_create(&l)
            .inc_by(d(now.events, prev.events));
        self.ignored
            .get_or_create(&l)
            .inc_by(d(now.ignored, prev.ignored));
        self.bytes_in
            .get_or_create(&l)
            .inc_by(d(now.bytes_in, prev.bytes_in));
        self.bytes_out
            .get_or_create(&l)
            .inc_by(d(now.bytes_out, prev.bytes_out));
        self.objects_spooled
            .get_or_create(&l)
            .inc_by(d(now.objects, prev.objects));
        self.objects_uploaded
            .get_or_create(&l)
            .inc_by(d(now.uploaded, prev.uploaded));
        self.unread_bytes_lost
            .get_or_create(&l)
            .inc_by(d(now.unread_bytes_lost, prev.unread_bytes_lost));
        for (kind, n) in &now.dead_letters_by_kind {
            let before = prev.dead_letters_by_kind.get(kind).copied().unwrap_or(0);
            self.dead_letters
                .get_or_create(&KindLabel {
                    source: source.to_string(),
                    kind: kind.clone(),
                })
                .inc_by(d(*n, before));
        }
        for (policy, n) in &now.time_out_of_range {
            let before = prev.time_out_of_range.get(policy).copied().unwrap_or(0);
            self.time_out_of_range
                .get_or_create(&PolicyLabel {
                    source: source.to_string(),
                    policy: policy.clone(),
                })
                .inc_by(d(*n, before));
        }
    }

    /// Counts one error of `kind` for a source.
    pub fn error(&self, source: &str, kind: &str) {
        self.errors
            .get_or_create(&KindLabel {
                source: source.to_string(),
                kind: kind.to_string(),
            })
            .inc();
    }

    pub fn source(source: &str) -> SourceLabel {
        SourceLabel {
            source: source.to_string(),
        }
    }
}

/// What `/readyz` answers from: per source, whether it can make progress.
#[derive(Debug, Default)]
pub struct Health {
    sources: Mutex<BTreeMap<String, SourceHealth>>,
}

#[derive(Debug, Default, Clone)]
pub struct SourceHealth {
    pub spool_full: bool,
    /// The last upload error, while uploads fail.
    pub upload_error: Option<String>,
}

impl Health {
    pub fn set(&self, source: &str, h: SourceHealth) {
        self.sources
            .lock()
            .expect("health lock")
            .insert(source.to_string(), h);
    }

    /// `Ok` when every source can make progress, else the reasons.
    pub fn ready(&self) -> Result<(), Vec<String>> {
        let sources = self.sources.lock().expect("health lock");
        let mut reasons = Vec::new();
        for (name, h) in sources.iter() {
            if h.spool_full {
                reasons.push(format!("{name}: spool full, reading paused"));
            }
            if let Some(e) = &h.upload_error {
                reasons.push(format!("{name}: uploads failing: {e}"));
            }
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_bytes_lost_is_exported_without_the_agent_prefix() {
        let m = Metrics::default();
        let lost = SourceStats {
            unread_bytes_lost: 106,
            ..SourceStats::default()
        };
        m.observe("app", &SourceStats::default(), &lost);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry()).unwrap();
        assert!(
            text.contains("auditlake_unread_bytes_lost_total{source=\"app\"} 106"),
            "{text}"
        );
        assert!(
            text.contains("auditlake_agent_lines_read_total{source=\"app\"} 0"),
            "{text}"
        );
    }

    #[test]
    fn times_out_of_range_are_counted_by_source_and_policy() {
        let m = Metrics::default();
        let registry = m.registry();
        let prev = SourceStats::default();
        let mut now = SourceStats::default();
        now.time_out_of_range("keep");
        now.time_out_of_range("keep");
        m.observe("app", &prev, &now);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(
                "auditlake_agent_time_out_of_range_total{source=\"app\",policy=\"keep\"} 2"
            ),
            "{text}"
        );
    }
}

//! Untrusted event times: the window around the time a line was read in which its own time is
//! believed, and what becomes of a line outside it.
//!
//! An event's time is the application's claim. A clock at year 1 or year 9999 (a bug, a reset
//! battery, a hostile writer) must not decide where the event is filed without being flagged.
//! Retention and Object Lock never count from it whatever the policy (they count from when the
//! object was written, see `auditlake_archive::written`); the window says which events are
//! flagged `time_out_of_range`, counted, and kept, re-timed or dead-lettered.
//!
//! ```toml
//! [[sources]]
//! name = "idp"
//! # ...
//! [sources.time_window]
//! max_ahead_secs = 300       # clocks a little ahead
//! max_behind_days = 30       # backfills of older logs are legitimate: raise it for them
//! policy = "keep"            # keep | observed | dead_letter
//! ```

use auditlake_event::{AuditEvent, micros_to_datetime};
use serde::Deserialize;

const MICROS_PER_SEC: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SEC;

/// The attribute that keeps an event's own time (RFC 3339) when the `observed` policy replaced it.
pub const ORIGINAL_TIME_ATTRIBUTE: &str = "original_time";

/// The dead-letter kind of lines the `dead_letter` policy refuses.
pub const DEAD_LETTER_KIND: &str = "time_out_of_range";

/// `[sources.time_window]`: how far an event's time may be from the time its line was read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowConfig {
    /// How many seconds an event's time may be ahead of the time its line was read (clock skew
    /// between the application and the agent). Default 300.
    #[serde(default = "default_max_ahead_secs")]
    pub max_ahead_secs: u64,
    /// How many days an event's time may be behind the time its line was read. Backfilling
    /// older logs is legitimate: raise it for a source that reads them. Default 30.
    #[serde(default = "default_max_behind_days")]
    pub max_behind_days: u32,
    /// What becomes of an event outside the window; it is flagged `time_out_of_range` and
    /// counted whatever the policy. Default `keep`.
    #[serde(default)]
    pub policy: OutOfRangePolicy,
}

/// What becomes of an event whose time is outside its source's window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfRangePolicy {
    /// Keep the event's own time (and so its `event_date` partition). Nothing is lost: the
    /// default, since backfills older than the window are common and retention does not
    /// count from event times anyway.
    #[default]
    Keep,
    /// File the event at the time its line was read; its own time is kept in the
    /// `original_time` attribute.
    Observed,
    /// Write the line to the dead-letter file (kind `time_out_of_range`) instead of the archive.
    DeadLetter,
}

impl OutOfRangePolicy {
    /// The policy's name, as configured (and as the metric label says it).
    pub fn as_str(self) -> &'static str {
        match self {
            OutOfRangePolicy::Keep => "keep",
            OutOfRangePolicy::Observed => "observed",
            OutOfRangePolicy::DeadLetter => "dead_letter",
        }
    }
}

fn default_max_ahead_secs() -> u64 {
    300
}
fn default_max_behind_days() -> u32 {
    30
}

impl Default for TimeWindowConfig {
    fn default() -> Self {
        TimeWindowConfig {
            max_ahead_secs: default_max_ahead_secs(),
            max_behind_days: default_max_behind_days(),
            policy: OutOfRangePolicy::default(),
        }
    }
}

/// What the window made of one line's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowVerdict {
    /// Every event's time is inside the window; nothing changed.
    InRange,
    /// Some event's time was outside: the events are flagged, and re-timed under `observed`.
    Flagged,
    /// Some event's time was outside and the policy refuses the line, for this reason.
    DeadLetter(String),
}

impl TimeWindowConfig {
    /// Checks the values; pure. `key` is the section's place in the file, for the error.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if self.max_behind_days == 0 {
            return Err(format!(
                "{key}.max_behind_days: must be at least 1 (a line is always read after it was written)"
            ));
        }
        Ok(())
    }

    /// The earliest and latest event time (UTC microseconds) believed of a line read at
    /// `observed`.
    fn bounds(&self, observed: i64) -> (i64, i64) {
        let behind = i64::from(self.max_behind_days).saturating_mul(MICROS_PER_DAY);
        let ahead = i64::try_from(self.max_ahead_secs)
            .unwrap_or(i64::MAX)
            .saturating_mul(MICROS_PER_SEC);
        (
            observed.saturating_sub(behind),
            observed.saturating_add(ahead),
        )
    }

    /// Checks the events of one line, read at `observed`, and applies the policy to them.
    pub(crate) fn apply(&self, events: &mut [AuditEvent], observed: i64) -> WindowVerdict {
        let (earliest, latest) = self.bounds(observed);
        let outside = |e: &AuditEvent| e.time < earliest || e.time > latest;
        let Some(first) = events.iter().find(|e| outside(e)) else {
            return WindowVerdict::InRange;
        };
        if self.policy == OutOfRangePolicy::DeadLetter {
            return WindowVerdict::DeadLetter(self.reason(first.time, observed));
        }
        for e in events.iter_mut().filter(|e| outside(e)) {
            e.flags.time_out_of_range = true;
            if self.policy == OutOfRangePolicy::Observed {
                e.attributes.insert(
                    ORIGINAL_TIME_ATTRIBUTE.to_string(),
                    serde_json::Value::from(rfc3339(e.time)),
                );
                e.time = observed;
            }
        }
        WindowVerdict::Flagged
    }

    /// Why an event at `time`, read at `observed`, is outside the window.
    fn reason(&self, time: i64, observed: i64) -> String {
        let (direction, limit) = if time < observed {
            (
                "behind",
                format!("max_behind_days = {}", self.max_behind_days),
            )
        } else {
            (
                "ahead of",
                format!("max_ahead_secs = {}", self.max_ahead_secs),
            )
        };
        format!(
            "event time {} is {direction} the time the line was read ({}) by more than time_window.{limit}",
            rfc3339(time),
            rfc3339(observed)
        )
    }
}

fn rfc3339(micros: i64) -> String {
    micros_to_datetime(micros).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-21T00:00:00Z.
    const OBSERVED: i64 = 1_795_219_200_000_000;

    fn at(rfc: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc)
            .unwrap()
            .timestamp_micros()
    }

    fn events(times: &[i64]) -> Vec<AuditEvent> {
        times
            .iter()
            .map(|&time| AuditEvent {
                time,
                observed_time: Some(OBSERVED),
                ..Default::default()
            })
            .collect()
    }

    fn window(policy: OutOfRangePolicy) -> TimeWindowConfig {
        TimeWindowConfig {
            policy,
            ..TimeWindowConfig::default()
        }
    }

    #[test]
    fn times_inside_the_window_are_untouched() {
        let w = window(OutOfRangePolicy::DeadLetter);
        let times = [
            OBSERVED,
            OBSERVED + 300 * MICROS_PER_SEC,
            OBSERVED - 30 * MICROS_PER_DAY,
        ];
        let mut evs = events(&times);
        assert_eq!(w.apply(&mut evs, OBSERVED), WindowVerdict::InRange);
        assert_eq!(evs, events(&times));
    }

    #[test]
    fn keep_flags_year_one_and_year_9999_and_keeps_their_times() {
        let w = window(OutOfRangePolicy::Keep);
        let (one, far) = (at("0001-01-01T00:00:00Z"), at("9999-12-31T00:00:00Z"));
        let mut evs = events(&[one, far, OBSERVED]);
        assert_eq!(w.apply(&mut evs, OBSERVED), WindowVerdict::Flagged);
        assert_eq!((evs[0].time, evs[1].time), (one, far));
        assert!(evs[0].flags.time_out_of_range && evs[1].flags.time_out_of_range);
        assert!(!evs[2].flags.time_out_of_range);
        assert!(evs[0].attributes.is_empty());
    }

    #[test]
    fn observed_re_times_the_event_and_keeps_its_own_time() {
        let w = window(OutOfRangePolicy::Observed);
        let mut evs = events(&[at("9999-12-31T00:00:00Z"), at("0001-01-01T00:00:00Z")]);
        assert_eq!(w.apply(&mut evs, OBSERVED), WindowVerdict::Flagged);
        for e in &evs {
            assert_eq!(e.time, OBSERVED);
            assert!(e.flags.time_out_of_range);
        }
        assert_eq!(
            evs[0].attributes[ORIGINAL_TIME_ATTRIBUTE],
            "9999-12-31T00:00:00Z"
        );
        assert_eq!(
            evs[1].attributes[ORIGINAL_TIME_ATTRIBUTE],
            "0001-01-01T00:00:00Z"
        );
    }

    #[test]
    fn dead_letter_names_the_time_and_the_limit() {
        let w = window(OutOfRangePolicy::DeadLetter);
        let mut evs = events(&[at("0001-01-01T00:00:00Z")]);
        let WindowVerdict::DeadLetter(reason) = w.apply(&mut evs, OBSERVED) else {
            panic!("not dead-lettered");
        };
        assert!(reason.contains("0001-01-01T00:00:00Z"), "{reason}");
        assert!(reason.contains("max_behind_days = 30"), "{reason}");
        let mut evs = events(&[OBSERVED + 301 * MICROS_PER_SEC]);
        let WindowVerdict::DeadLetter(reason) = w.apply(&mut evs, OBSERVED) else {
            panic!("not dead-lettered");
        };
        assert!(reason.contains("max_ahead_secs = 300"), "{reason}");
    }

    #[test]
    fn huge_limits_saturate_instead_of_overflowing() {
        let w = TimeWindowConfig {
            max_ahead_secs: u64::MAX,
            max_behind_days: u32::MAX,
            policy: OutOfRangePolicy::DeadLetter,
        };
        let mut evs = events(&[at("0001-01-01T00:00:00Z"), at("9999-12-31T00:00:00Z")]);
        assert_eq!(w.apply(&mut evs, OBSERVED), WindowVerdict::InRange);
        // The extremes of the time type are still outside: the bounds saturate, not wrap.
        let mut evs = events(&[i64::MIN]);
        assert!(matches!(
            w.apply(&mut evs, OBSERVED),
            WindowVerdict::DeadLetter(_)
        ));
    }

    #[test]
    fn config_parses_with_defaults_and_names_unknown_keys() {
        let w: TimeWindowConfig = toml::from_str("policy = \"dead_letter\"").unwrap();
        assert_eq!(w.max_ahead_secs, 300);
        assert_eq!(w.max_behind_days, 30);
        assert_eq!(w.policy, OutOfRangePolicy::DeadLetter);
        let err = toml::from_str::<TimeWindowConfig>("max_ahead = 1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_ahead"), "{err}");
        let zero = TimeWindowConfig {
            max_behind_days: 0,
            ..TimeWindowConfig::default()
        };
        let err = zero.validate("sources[0].time_window").unwrap_err();
        assert!(
            err.starts_with("sources[0].time_window.max_behind_days"),
            "{err}"
        );
    }
}

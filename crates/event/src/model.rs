use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether the action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }

    /// Parses the usual spellings of an outcome (`success`, `ok`, `true`, `failed`, `denied`, ...).
    pub fn parse_loose(s: &str) -> Option<Outcome> {
        match s.trim().to_ascii_lowercase().as_str() {
            "success" | "succeeded" | "successful" | "ok" | "true" | "allowed" | "allow"
            | "pass" | "passed" | "accepted" | "granted" => Some(Outcome::Success),
            "failure" | "failed" | "fail" | "error" | "false" | "denied" | "deny" | "rejected"
            | "refused" | "blocked" => Some(Outcome::Failure),
            "unknown" | "" => Some(Outcome::Unknown),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One changed field of a resource: its name, the value before and the value after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub old: serde_json::Value,
    #[serde(default)]
    pub new: serde_json::Value,
}

/// Where an event was read: the application, its Kubernetes coordinates and the file.
///
/// Shared between all events of one file, hence held in an `Arc` by [`AuditEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The configured source name (the application).
    pub app: String,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    pub node: Option<String>,
    /// The path of the log file the line was read from.
    pub file: Option<String>,
}

/// Marks on an event that say its line was not taken in whole, or not taken at its word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// The line was not valid UTF-8; `raw` holds its lossy conversion.
    pub invalid_utf8: bool,
    /// The line was longer than `max_line_bytes` and was cut.
    pub truncated: bool,
    /// The line had no newline: its file ended there (`--once` takes the end of a file as the
    /// end of its last line; the live agent, when the file was rotated away or deleted).
    pub unterminated: bool,
    /// The line's time was outside its source's window around the time it was read (an
    /// application clock far behind or ahead); the source's policy said what became of it.
    pub time_out_of_range: bool,
}

/// The `flags` column's value for each combination, indexed by the flags' bits in column order.
const FLAG_COLUMNS: [Option<&str>; 16] = [
    None,
    Some("invalid_utf8"),
    Some("truncated"),
    Some("invalid_utf8,truncated"),
    Some("unterminated"),
    Some("invalid_utf8,unterminated"),
    Some("truncated,unterminated"),
    Some("invalid_utf8,truncated,unterminated"),
    Some("time_out_of_range"),
    Some("invalid_utf8,time_out_of_range"),
    Some("truncated,time_out_of_range"),
    Some("invalid_utf8,truncated,time_out_of_range"),
    Some("unterminated,time_out_of_range"),
    Some("invalid_utf8,unterminated,time_out_of_range"),
    Some("truncated,unterminated,time_out_of_range"),
    Some("invalid_utf8,truncated,unterminated,time_out_of_range"),
];

impl Flags {
    /// The names of the flags, in column order.
    pub const NAMES: [&'static str; 4] = [
        "invalid_utf8",
        "truncated",
        "unterminated",
        "time_out_of_range",
    ];

    pub fn is_empty(self) -> bool {
        self.to_column().is_none()
    }

    /// The flags as a comma-separated list in [`Flags::NAMES`] order
    /// (`invalid_utf8,truncated,unterminated,time_out_of_range`), `None` when there are none.
    pub fn to_column(self) -> Option<&'static str> {
        let bits = usize::from(self.invalid_utf8)
            | (usize::from(self.truncated) << 1)
            | (usize::from(self.unterminated) << 2)
            | (usize::from(self.time_out_of_range) << 3);
        FLAG_COLUMNS[bits]
    }
}

/// One audit event: a row of the archive.
///
/// Times are UTC microseconds since the Unix epoch. Every field but `event_id`, `time`,
/// `category` and `action` may be absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditEvent {
    /// Unique id: the application's own where it supplies one, else a hash of the source, the
    /// file fingerprint and the byte offset (deterministic, so a re-read line keeps its id).
    pub event_id: String,
    /// The id the application gave the event, verbatim, where it gave one.
    pub origin_id: Option<String>,
    /// Gapless sequence number per source, assigned when the event is archived.
    pub seq: Option<u64>,
    /// When the action happened (UTC microseconds).
    pub time: i64,
    /// When auditlake read the line (UTC microseconds).
    pub observed_time: Option<i64>,
    pub category: String,
    /// Dotted, lower case `category.object.verb`, e.g. `authentication.login`.
    pub action: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub severity: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub actor_type: Option<String>,
    pub tenant: Option<String>,
    pub src_ip: Option<String>,
    pub src_geo: Option<String>,
    pub user_agent: Option<String>,
    pub device_id: Option<String>,
    pub session_id: Option<String>,
    pub auth_method: Option<String>,
    pub credential_id: Option<String>,
    pub rp_id: Option<String>,
    pub rp_name: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub changes: Vec<Change>,
    pub message: Option<String>,
    /// The source fields no column took.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub source: Arc<SourceInfo>,
    pub source_offset: Option<u64>,
    /// The original line (lossy where it was not UTF-8), unless the source turned it off.
    pub raw: Option<String>,
    pub flags: Flags,
}

impl AuditEvent {
    /// The event's time as a `DateTime<Utc>`.
    pub fn datetime(&self) -> DateTime<Utc> {
        micros_to_datetime(self.time)
    }

    /// The UTC calendar date of the event, the archive's `event_date` partition.
    pub fn event_date(&self) -> chrono::NaiveDate {
        self.datetime().date_naive()
    }
}

/// Converts UTC microseconds since the epoch to a `DateTime<Utc>`, saturating out-of-range values.
pub fn micros_to_datetime(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_parses_common_spellings() {
        assert_eq!(Outcome::parse_loose("OK"), Some(Outcome::Success));
        assert_eq!(Outcome::parse_loose("Denied"), Some(Outcome::Failure));
        assert_eq!(Outcome::parse_loose("maybe"), None);
    }

    #[test]
    fn event_date_is_utc() {
        let e = AuditEvent {
            time: 1_700_000_000_000_000,
            ..Default::default()
        };
        assert_eq!(e.event_date().to_string(), "2023-11-14");
    }

    #[test]
    fn flags_column() {
        assert_eq!(Flags::default().to_column(), None);
        let f = Flags {
            invalid_utf8: true,
            truncated: true,
            ..Flags::default()
        };
        assert_eq!(f.to_column(), Some("invalid_utf8,truncated"));
        let u = Flags {
            unterminated: true,
            ..Flags::default()
        };
        assert_eq!(u.to_column(), Some("unterminated"));
        assert!(!u.is_empty());
        let f = Flags {
            time_out_of_range: true,
            ..Flags::default()
        };
        assert_eq!(f.to_column(), Some("time_out_of_range"));
        assert!(!f.is_empty());
        let all = Flags {
            invalid_utf8: true,
            truncated: true,
            unterminated: true,
            time_out_of_range: true,
        };
        assert_eq!(all.to_column(), Some(Flags::NAMES.join(",").as_str()));
    }
}

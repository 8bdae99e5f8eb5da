//! The errors of this crate: a profile that cannot be compiled, and a line that cannot become an
//! event.

use std::fmt;

/// A profile that cannot be compiled. Every variant names the configuration key at fault, e.g.
/// `profiles.myapp.action.rules[2].pattern`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NormalizeConfigError {
    /// A regular expression does not compile.
    #[error("{key}: invalid regex: {message}")]
    InvalidRegex { key: String, message: String },
    /// An action name is not dotted lower case (`category.object.verb`).
    #[error(
        "{key}: invalid action `{action}`: actions are dotted, lower case ascii, digits and `_`, \
         at least two segments, e.g. `authentication.login`"
    )]
    InvalidAction { key: String, action: String },
    /// A field path is malformed.
    #[error("{key}: invalid field path `{path}`: {problem}")]
    InvalidPath {
        key: String,
        path: String,
        problem: &'static str,
    },
    /// A time format is neither a known name nor a valid strftime pattern.
    #[error("{key}: invalid time format `{format}`: {problem}")]
    InvalidTimeFormat {
        key: String,
        format: String,
        problem: String,
    },
    /// A timezone is neither UTC, a fixed offset nor an IANA zone name.
    #[error(
        "{key}: invalid timezone `{timezone}`: use UTC, a fixed offset such as +02:00, or a zone name such as Europe/Berlin"
    )]
    InvalidTimezone { key: String, timezone: String },
    /// An outcome value is not one of the known spellings.
    #[error("{key}: invalid outcome `{value}`: use success, failure or unknown")]
    InvalidOutcome { key: String, value: String },
    /// Any other inconsistency of a profile.
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

/// Why a line could not become an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectKind {
    /// The line does not parse in the profile's format (bad JSON, no key=value pair, no pattern
    /// matched).
    Parse,
    /// The time field is absent.
    MissingTime,
    /// The time field does not parse in the profile's time format.
    BadTime,
    /// The source's event name maps to no action.
    Unmapped,
    /// A field the profile requires (the event name, a `required` column) is absent.
    MissingField,
}

impl RejectKind {
    /// The kind as a short snake_case word, for dead-letter records and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Parse => "parse",
            RejectKind::MissingTime => "missing_time",
            RejectKind::BadTime => "bad_time",
            RejectKind::Unmapped => "unmapped",
            RejectKind::MissingField => "missing_field",
        }
    }
}

impl fmt::Display for RejectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a line could not become an event; goes to the dead-letter file with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {reason}")]
pub struct Rejection {
    /// The kind of failure.
    pub kind: RejectKind,
    /// A message for humans that names the field, the event name or the value at fault.
    pub reason: String,
    /// For an `unmapped` line, the source's event name that no rule maps.
    pub event_name: Option<String>,
}

impl Rejection {
    pub(crate) fn new(kind: RejectKind, reason: impl Into<String>) -> Rejection {
        Rejection {
            kind,
            reason: reason.into(),
            event_name: None,
        }
    }

    /// An `unmapped` rejection of the event name `name`.
    pub(crate) fn unmapped(name: &str, reason: impl Into<String>) -> Rejection {
        Rejection {
            kind: RejectKind::Unmapped,
            reason: reason.into(),
            event_name: Some(name.to_owned()),
        }
    }
}

/// A value quoted into a rejection reason, cut to a length that keeps reasons readable.
pub(crate) fn snippet(s: &str) -> &str {
    const MAX: usize = 120;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

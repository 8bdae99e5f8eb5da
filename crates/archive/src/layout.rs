//! The archive's key layout.
//!
//! ```text
//! tier={tier}/event_date={YYYY-MM-DD}/{source}-{first_event_time:YYYYMMDDTHHMMSSZ}-{object_seq:08}.parquet
//! _digests/{source}/{YYYY-MM-DD}/{seq:08}.json
//! _holds/{name}.json
//! ```
//!
//! Partitions are Hive-style (`tier=`, `event_date=`), so query engines read them as columns.
//! Tier, source and hold names are path segments: 1 to 64 of `a-z`, `0-9`, `_` and `-`.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::error::{ArchiveError, Result};

/// The longest tier, source or hold name.
pub const MAX_NAME_LEN: usize = 64;

/// The file name suffix of data objects.
pub const DATA_SUFFIX: &str = ".parquet";

/// The key prefix of digests.
pub const DIGESTS_PREFIX: &str = "_digests/";

/// The key prefix of legal holds.
pub const HOLDS_PREFIX: &str = "_holds/";

const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const DATE_FORMAT: &str = "%Y-%m-%d";

/// Whether `name` can be a tier, source or hold name: 1 to [`MAX_NAME_LEN`] of `a-z`, `0-9`,
/// `_` and `-`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Checks a name with [`is_valid_name`]; `what` says what it names in the error.
pub fn validate_name(what: &'static str, name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(ArchiveError::InvalidName {
            what,
            name: name.to_string(),
        })
    }
}

/// The key of one data object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// The tier's name, the `tier=` partition.
    pub tier: String,
    /// The UTC date of every event in the object, the `event_date=` partition.
    pub event_date: NaiveDate,
    /// The source (application) that wrote the events.
    pub source: String,
    /// The time of the object's first event; the key keeps whole seconds.
    pub first_time: DateTime<Utc>,
    /// The object's number in its source's sequence of objects.
    pub object_seq: u64,
}

impl ObjectKey {
    /// A key for an object of `source` in `tier`, whose first event is at `first_time_micros`
    /// (UTC microseconds) and whose events are all of `event_date`. Validates the names.
    pub fn new(
        tier: &str,
        event_date: NaiveDate,
        source: &str,
        first_time_micros: i64,
        object_seq: u64,
    ) -> Result<ObjectKey> {
        validate_name("tier", tier)?;
        validate_name("source", source)?;
        let first_time = auditlake_event::micros_to_datetime(first_time_micros);
        Ok(ObjectKey {
            tier: tier.to_string(),
            event_date,
            source: source.to_string(),
            first_time: truncate_to_seconds(first_time),
            object_seq,
        })
    }

    /// The object's key in the store.
    pub fn to_key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}-{}-{:08}{DATA_SUFFIX}",
            partition_prefix(&self.tier, self.event_date),
            self.source,
            self.first_time.format(TIME_FORMAT),
            self.object_seq
        )
    }
}

fn truncate_to_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// The key prefix of every object of `tier`: `tier={tier}/`.
pub fn tier_prefix(tier: &str) -> String {
    format!("tier={tier}/")
}

/// The key prefix of one partition: `tier={tier}/event_date={YYYY-MM-DD}/`.
pub fn partition_prefix(tier: &str, date: NaiveDate) -> String {
    format!("tier={tier}/event_date={}/", date.format(DATE_FORMAT))
}

fn bad(kind: &'static str, key: &str, reason: &'static str) -> ArchiveError {
    ArchiveError::InvalidKey {
        kind,
        key: key.to_string(),
        reason,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    // Exactly YYYY-MM-DD, so that a key has one spelling.
    (s.len() == 10)
        .then(|| NaiveDate::parse_from_str(s, DATE_FORMAT).ok())
        .flatten()
}

fn parse_seq(s: &str) -> Option<u64> {
    (s.len() >= 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses a data object's key; the inverse of [`ObjectKey::to_key`].
pub fn parse_data_key(key: &str) -> Result<ObjectKey> {
    const KIND: &str = "data object";
    let mut parts = key.split('/');
    let (Some(tier), Some(date), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(KIND, key, "expected tier=T/event_date=D/FILE"));
    };
    let tier = tier
        .strip_prefix("tier=")
        .filter(|t| is_valid_name(t))
        .ok_or_else(|| bad(KIND, key, "bad tier= segment"))?;
    let event_date = date
        .strip_prefix("event_date=")
        .and_then(parse_date)
        .ok_or_else(|| bad(KIND, key, "bad event_date= segment"))?;
    let stem = file
        .strip_suffix(DATA_SUFFIX)
        .ok_or_else(|| bad(KIND, key, "file name does not end in .parquet"))?;
    // The source may contain '-': split the two fixed fields off the right.
    let (rest, seq) = stem
        .rsplit_once('-')
        .ok_or_else(|| bad(KIND, key, "missing object sequence number"))?;
    let object_seq = parse_seq(seq).ok_or_else(|| bad(KIND, key, "bad object sequence number"))?;
    let (source, time) = rest
        .rsplit_once('-')
        .ok_or_else(|| bad(KIND, key, "missing first event time"))?;
    let first_time = NaiveDateTime::parse_from_str(time, TIME_FORMAT)
        .ok()
        .filter(|_| time.len() == 16)
        .ok_or_else(|| bad(KIND, key, "bad first event time"))?
        .and_utc();
    if !is_valid_name(source) {
        return Err(bad(KIND, key, "bad source name"));
    }
    Ok(ObjectKey {
        tier: tier.to_string(),
        event_date,
        source: source.to_string(),
        first_time,
        object_seq,
    })
}

/// The key of a digest: `_digests/{source}/{YYYY-MM-DD}/{seq:08}.json`.
pub fn digest_key(source: &str, date: NaiveDate, seq: u64) -> Result<String> {
    validate_name("source", source)?;
    Ok(format!(
        "{}{}/{seq:08}.json",
        digest_prefix(source),
        date.format(DATE_FORMAT)
    ))
}

/// The key prefix of one source's digests: `_digests/{source}/`.
pub fn digest_prefix(source: &str) -> String {
    format!("{DIGESTS_PREFIX}{source}/")
}

/// Parses a digest key into (source, date, seq).
pub fn parse_digest_key(key: &str) -> Result<(String, NaiveDate, u64)> {
    const KIND: &str = "digest";
    let rest = key
        .strip_prefix(DIGESTS_PREFIX)
        .ok_or_else(|| bad(KIND, key, "does not start with _digests/"))?;
    let mut parts = rest.split('/');
    let (Some(source), Some(date), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(KIND, key, "expected _digests/SOURCE/DATE/SEQ.json"));
    };
    if !is_valid_name(source) {
        return Err(bad(KIND, key, "bad source name"));
    }
    let date = parse_date(date).ok_or_else(|| bad(KIND, key, "bad date"))?;
    let seq = file
        .strip_suffix(".json")
        .and_then(parse_seq)
        .ok_or_else(|| bad(KIND, key, "bad sequence number"))?;
    Ok((source.to_string(), date, seq))
}

/// The key of a legal hold: `_holds/{name}.json`.
pub fn hold_key(name: &str) -> Result<String> {
    validate_name("hold", name)?;
    Ok(format!("{HOLDS_PREFIX}{name}.json"))
}

/// Parses a legal hold's key into its name.
pub fn parse_hold_key(key: &str) -> Result<String> {
    key.strip_prefix(HOLDS_PREFIX)
        .and_then(|r| r.strip_suffix(".json"))
        .filter(|n| is_valid_name(n))
        .map(str::to_string)
        .ok_or_else(|| bad("hold", key, "expected _holds/NAME.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn data_key_round_trips() {
        // 2026-11-21T08:15:30.123456Z
        let micros = 1_795_248_930_123_456;
        let k = ObjectKey::new("security", date("2026-11-21"), "my-app_2", micros, 7).unwrap();
        let s = k.to_key();
        assert_eq!(
            s,
            "tier=security/event_date=2026-11-21/my-app_2-20261121T081530Z-00000007.parquet"
        );
        assert_eq!(parse_data_key(&s).unwrap(), k);
        assert!(s.starts_with(&partition_prefix("security", date("2026-11-21"))));
        assert!(s.starts_with(&tier_prefix("security")));
        let big = ObjectKey {
            object_seq: 123_456_789_012,
            ..k
        };
        assert_eq!(parse_data_key(&big.to_key()).unwrap(), big);
    }

    #[test]
    fn bad_data_keys_are_rejected() {
        for key in [
            "tier=security/event_date=2026-11-21/idp-20261121T081530Z-00000007.json",
            "tier=security/event_date=2026-13-21/idp-20261121T081530Z-00000007.parquet",
            "tier=Security/event_date=2026-11-21/idp-20261121T081530Z-00000007.parquet",
            "tier=security/event_date=2026-11-21/idp-2026-11-21T08:15-00000007.parquet",
            "tier=security/event_date=2026-11-21/idp-20261121T081530Z-7.parquet",
            "tier=security/event_date=2026-11-21/-20261121T081530Z-00000007.parquet",
            "tier=security/event_date=2026-11-21/x/idp-20261121T081530Z-00000007.parquet",
            "security/2026-11-21/idp-20261121T081530Z-00000007.parquet",
        ] {
            let e = parse_data_key(key).unwrap_err();
            assert!(matches!(e, ArchiveError::InvalidKey { .. }), "{key}: {e}");
        }
    }

    #[test]
    fn names_are_path_segments() {
        assert!(is_valid_name("idp"));
        assert!(is_valid_name("web-app_2"));
        for bad in ["", "A", "a/b", "a.b", "a b", "é", &"x".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
        let e = ObjectKey::new("security", date("2026-11-21"), "../etc", 0, 0).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid source name \"../etc\""),
            "{e}"
        );
    }

    #[test]
    fn digest_and_hold_keys_round_trip() {
        let k = digest_key("idp", date("2026-11-21"), 42).unwrap();
        assert_eq!(k, "_digests/idp/2026-11-21/00000042.json");
        assert_eq!(
            parse_digest_key(&k).unwrap(),
            ("idp".into(), date("2026-11-21"), 42)
        );
        assert!(parse_digest_key("_digests/idp/2026-11-21/x.json").is_err());
        let h = hold_key("case-1234").unwrap();
        assert_eq!(h, "_holds/case-1234.json");
        assert_eq!(parse_hold_key(&h).unwrap(), "case-1234");
        assert!(hold_key("Case 1").is_err());
        assert!(parse_hold_key("_holds/a/b.json").is_err());
    }
}

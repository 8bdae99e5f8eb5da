//! Event times: RFC 3339, epoch numbers in any unit, and strftime patterns, including syslog's
//! yearless `Nov 23 10:15:01`. Every result is UTC microseconds.

use std::sync::LazyLock;

use chrono::format::{Fixed, Item, Numeric, Parsed, StrftimeItems};
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeDelta, TimeZone};

use crate::error::{NormalizeConfigError, snippet};
use crate::value::Val;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// How a time value is written.
#[derive(Debug)]
enum Format {
    Rfc3339,
    Epoch(EpochUnit),
    Strftime {
        items: Vec<Item<'static>>,
        has_year: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EpochUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
    Auto,
}

/// A compiled time format with its timezone.
#[derive(Debug)]
pub(crate) struct TimeParser {
    format: Format,
    text: String,
    /// The zone of times that carry no offset.
    zone: Zone,
    /// The year of times whose format has none (`time.year`); else the year they were read.
    year: Option<i32>,
}

/// The zone of times that carry no offset: a fixed offset, or a named zone with its daylight
/// saving rules (from the IANA database that `chrono-tz` compiles in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zone {
    /// Seconds east of UTC.
    Fixed(i32),
    Named(chrono_tz::Tz),
}

/// What was special about a local time in a named zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalTimeNote {
    /// The local time happened twice (clocks went back): the earlier instant was taken.
    Ambiguous,
    /// The local time never happened (clocks went forward): it was read with the offset in
    /// effect before the gap, which moves it forward by the gap's length.
    Nonexistent,
}

impl LocalTimeNote {
    /// The value of the event's `time_local` attribute.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LocalTimeNote::Ambiguous => "ambiguous",
            LocalTimeNote::Nonexistent => "nonexistent",
        }
    }
}

/// A parsed time: UTC microseconds, and a note when the local time was not plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedTime {
    pub(crate) micros: i64,
    pub(crate) note: Option<LocalTimeNote>,
}

impl ParsedTime {
    fn plain(micros: i64) -> ParsedTime {
        ParsedTime { micros, note: None }
    }
}

impl Zone {
    /// `UTC`, a fixed offset (`+02:00`, `UTC+2`), or an IANA zone name (`Europe/Berlin`).
    pub(crate) fn parse(tz: &str) -> Option<Zone> {
        if let Some(secs) = parse_offset(tz) {
            return Some(Zone::Fixed(secs));
        }
        tz.trim().parse::<chrono_tz::Tz>().ok().map(Zone::Named)
    }

    /// A local time in this zone as UTC microseconds. Ambiguous local times take the earlier
    /// instant, nonexistent ones the offset before the gap; both are noted.
    fn to_utc(self, naive: NaiveDateTime) -> Option<ParsedTime> {
        let tz = match self {
            Zone::Fixed(secs) => return naive_to_micros(naive, secs).map(ParsedTime::plain),
            Zone::Named(tz) => tz,
        };
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => Some(ParsedTime::plain(t.timestamp_micros())),
            LocalResult::Ambiguous(earlier, _) => Some(ParsedTime {
                micros: earlier.timestamp_micros(),
                note: Some(LocalTimeNote::Ambiguous),
            }),
            LocalResult::None => {
                // The offset of the latest plain local time before the gap (gaps are hours long).
                let before = (1..=48)
                    .find_map(|h| {
                        let earlier = naive.checked_sub_signed(TimeDelta::hours(h))?;
                        match tz.from_local_datetime(&earlier) {
                            LocalResult::Single(t) => Some(t.offset().fix().local_minus_utc()),
                            _ => None,
                        }
                    })
                    .unwrap_or(0);
                Some(ParsedTime {
                    micros: naive_to_micros(naive, before)?,
                    note: Some(LocalTimeNote::Nonexistent),
                })
            }
        }
    }
}

/// The names `time.format` accepts besides strftime patterns.
pub(crate) const FORMAT_NAMES: &[&str] = &[
    "rfc3339",
    "epoch_s",
    "epoch_ms",
    "epoch_us",
    "epoch_ns",
    "epoch_auto",
];

impl TimeParser {
    /// Compiles a format and a timezone; `key` is the profile's `time` key for errors.
    pub(crate) fn new(
        key: &str,
        format: &str,
        timezone: Option<&str>,
    ) -> Result<TimeParser, NormalizeConfigError> {
        let fmt = match format {
            "rfc3339" => Format::Rfc3339,
            "epoch_s" => Format::Epoch(EpochUnit::Seconds),
            "epoch_ms" => Format::Epoch(EpochUnit::Millis),
            "epoch_us" => Format::Epoch(EpochUnit::Micros),
            "epoch_ns" => Format::Epoch(EpochUnit::Nanos),
            "epoch_auto" => Format::Epoch(EpochUnit::Auto),
            f if f.contains('%') => compile_strftime(key, f)?,
            f => {
                return Err(NormalizeConfigError::InvalidTimeFormat {
                    key: format!("{key}.format"),
                    format: f.to_owned(),
                    problem: format!(
                        "use one of {} or a strftime pattern such as `%b %e %H:%M:%S`",
                        FORMAT_NAMES.join(", ")
                    ),
                });
            }
        };
        let zone = match timezone {
            None => Zone::Fixed(0),
            Some(tz) => Zone::parse(tz).ok_or_else(|| NormalizeConfigError::InvalidTimezone {
                key: format!("{key}.timezone"),
                timezone: tz.to_owned(),
            })?,
        };
        Ok(TimeParser {
            format: fmt,
            text: format.to_owned(),
            zone,
            year: None,
        })
    }

    /// Sets the year of times whose format has none (`time.year`, for a backfill); refused for a
    /// format that has a year of its own or that is no pattern.
    pub(crate) fn with_year(
        mut self,
        key: &str,
        year: Option<i32>,
    ) -> Result<TimeParser, NormalizeConfigError> {
        let Some(y) = year else { return Ok(self) };
        let problem = match &self.format {
            Format::Strftime {
                has_year: false, ..
            } if (1..=9999).contains(&y) => {
                self.year = Some(y);
                return Ok(self);
            }
            Format::Strftime {
                has_year: false, ..
            } => "must be between 1 and 9999".to_owned(),
            _ => format!(
                "only applies to a format without a year, and `{}` has one",
                self.text
            ),
        };
        Err(NormalizeConfigError::Invalid {
            key: format!("{key}.year"),
            problem,
        })
    }

    /// The format as configured, for messages.
    pub(crate) fn format_text(&self) -> &str {
        &self.text
    }

    /// Parses a time value to UTC microseconds. `observed` (UTC micros) supplies the year of
    /// yearless formats. The error is a reason for humans.
    #[cfg(test)]
    pub(crate) fn parse(&self, v: &Val<'_>, observed: i64) -> Result<i64, String> {
        self.parse_noted(v, observed).map(|t| t.micros)
    }

    /// [`Self::parse`], with a note when a local time in a named zone was ambiguous or
    /// nonexistent.
    pub(crate) fn parse_noted(&self, v: &Val<'_>, observed: i64) -> Result<ParsedTime, String> {
        match &self.format {
            Format::Epoch(unit) => epoch(v, *unit).map(ParsedTime::plain),
            Format::Rfc3339 => match v {
                Val::Str(s) => self.rfc3339(s),
                _ => Err(self.mismatch(v)),
            },
            Format::Strftime { items, has_year } => {
                let text = match v {
                    Val::Str(s) => std::borrow::Cow::Borrowed(s.as_ref()),
                    Val::I64(_) | Val::U64(_) | Val::F64(_) => {
                        v.to_text().ok_or_else(|| self.mismatch(v))?
                    }
                    _ => return Err(self.mismatch(v)),
                };
                self.strftime(&text, items, *has_year, observed)
                    .ok_or_else(|| self.mismatch(v))
            }
        }
    }

    fn mismatch(&self, v: &Val<'_>) -> String {
        let shown = v.to_text().unwrap_or_default();
        format!(
            "`{}` does not match time format `{}`",
            snippet(&shown),
            self.text
        )
    }

    fn rfc3339(&self, s: &str) -> Result<ParsedTime, String> {
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(ParsedTime::plain(dt.timestamp_micros()));
        }
        // Without an offset: the profile's timezone.
        NAIVE_ISO
            .iter()
            .find_map(|items| {
                let mut parsed = Parsed::new();
                chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
                self.resolve(&parsed)
            })
            .ok_or_else(|| self.mismatch(&Val::Str(s.into())))
    }

    /// The instant of parsed fields: with their own offset, else in the profile's zone.
    fn resolve(&self, parsed: &Parsed) -> Option<ParsedTime> {
        if let Some(offset) = parsed.offset() {
            let naive = parsed.to_naive_datetime_with_offset(offset).ok()?;
            return naive_to_micros(naive, offset).map(ParsedTime::plain);
        }
        let naive = parsed.to_naive_datetime_with_offset(0).ok()?;
        self.zone.to_utc(naive)
    }

    fn strftime(
        &self,
        s: &str,
        items: &[Item<'static>],
        has_year: bool,
        observed: i64,
    ) -> Option<ParsedTime> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
        if parsed.timestamp().is_some() {
            return parsed
                .to_datetime_with_timezone(&chrono::Utc)
                .ok()
                .map(|d| ParsedTime::plain(d.timestamp_micros()));
        }
        if has_year {
            return self.resolve(&parsed);
        }
        if let Some(y) = self.year {
            parsed.set_year(i64::from(y)).ok()?;
            return self.resolve(&parsed);
        }
        // No year in the text: the year it was read, or the one before if that would put the
        // event more than a day after it was read (a December line read in January).
        let year = auditlake_event::micros_to_datetime(observed).year();
        for y in [year, year - 1] {
            let mut p = parsed.clone();
            if p.set_year(i64::from(y)).is_err() {
                continue;
            }
            let Some(t) = self.resolve(&p) else {
                continue;
            };
            if t.micros <= observed.saturating_add(MICROS_PER_DAY) {
                return Some(t);
            }
        }
        None
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f][offset]` with `T` or a space, the offset optional.
static NAIVE_ISO: LazyLock<[Vec<Item<'static>>; 2]> = LazyLock::new(|| {
    let items = |f: &str| StrftimeItems::new(f).parse_to_owned().unwrap_or_default();
    [items("%Y-%m-%dT%H:%M:%S%.f"), items("%Y-%m-%d %H:%M:%S%.f")]
});

/// A local time at `offset_secs` east of UTC as UTC micros; `None` where the offset moves it past
/// the range of times (about ±262000 years), as the epoch formats refuse.
fn naive_to_micros(naive: NaiveDateTime, offset_secs: i32) -> Option<i64> {
    let micros = naive.and_utc().timestamp_micros() - i64::from(offset_secs) * 1_000_000;
    DateTime::from_timestamp_micros(micros).map(|_| micros)
}

fn compile_strftime(key: &str, f: &str) -> Result<Format, NormalizeConfigError> {
    let bad = |problem: String| NormalizeConfigError::InvalidTimeFormat {
        key: format!("{key}.format"),
        format: f.to_owned(),
        problem,
    };
    let items = StrftimeItems::new(f)
        .parse_to_owned()
        .map_err(|e| bad(e.to_string()))?;
    let mut has_year = false;
    let mut has_day = false;
    for item in &items {
        match item {
            Item::Numeric(
                Numeric::Year
                | Numeric::YearDiv100
                | Numeric::YearMod100
                | Numeric::IsoYear
                | Numeric::IsoYearDiv100
                | Numeric::IsoYearMod100,
                _,
            ) => has_year = true,
            Item::Numeric(Numeric::Timestamp, _) | Item::Fixed(Fixed::RFC2822 | Fixed::RFC3339) => {
                has_year = true;
                has_day = true;
            }
            Item::Numeric(Numeric::Day | Numeric::Ordinal, _) => has_day = true,
            _ => {}
        }
    }
    if !has_day {
        return Err(bad(
            "the pattern has no day of the month (%d or %e)".to_owned()
        ));
    }
    Ok(Format::Strftime { items, has_year })
}

/// `UTC`, `Z`, `GMT`, or a fixed offset `+HH:MM`, `+HHMM`, `+HH` (also with `UTC` before it).
fn parse_offset(tz: &str) -> Option<i32> {
    let t = tz.trim();
    if ["utc", "z", "gmt", "etc/utc"].contains(&t.to_ascii_lowercase().as_str()) {
        return Some(0);
    }
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// An epoch number (JSON number or numeric string) in `unit`, as micros.
fn epoch(v: &Val<'_>, unit: EpochUnit) -> Result<i64, String> {
    let num: f64;
    let int: Option<i128> = match v {
        Val::I64(n) => Some(i128::from(*n)),
        Val::U64(n) => Some(i128::from(*n)),
        Val::F64(f) => {
            num = *f;
            return float_epoch(num, unit).ok_or_else(|| bad_epoch(v, unit));
        }
        Val::Str(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i128>() {
                Some(n)
            } else if let Ok(f) = s.parse::<f64>() {
                return float_epoch(f, unit).ok_or_else(|| bad_epoch(v, unit));
            } else {
                None
            }
        }
        _ => None,
    };
    let n = int.ok_or_else(|| bad_epoch(v, unit))?;
    let micros = match resolve_unit(n.unsigned_abs() as f64, unit) {
        EpochUnit::Seconds => n.checked_mul(1_000_000),
        EpochUnit::Millis => n.checked_mul(1_000),
        EpochUnit::Micros => Some(n),
        EpochUnit::Nanos | EpochUnit::Auto => Some(n.div_euclid(1_000)),
    };
    micros
        .and_then(|m| i64::try_from(m).ok())
        .filter(|m| DateTime::from_timestamp_micros(*m).is_some())
        .ok_or_else(|| bad_epoch(v, unit))
}

fn float_epoch(f: f64, unit: EpochUnit) -> Option<i64> {
    if !f.is_finite() {
        return None;
    }
    let scale = match resolve_unit(f.abs(), unit) {
        EpochUnit::Seconds => 1e6,
        EpochUnit::Millis => 1e3,
        EpochUnit::Micros => 1.0,
        EpochUnit::Nanos | EpochUnit::Auto => 1e-3,
    };
    let m = (f * scale).round();
    // Within chrono's range (about ±262000 years), which also keeps the cast exact enough.
    (m.abs() < 8.2e18)
        .then_some(m as i64)
        .filter(|m| DateTime::from_timestamp_micros(*m).is_some())
}

/// The unit of an `epoch_auto` value by its magnitude: seconds up to 1e11 (year 5138), then
/// milliseconds, microseconds, nanoseconds.
fn resolve_unit(abs: f64, unit: EpochUnit) -> EpochUnit {
    match unit {
        EpochUnit::Auto if abs < 1e11 => EpochUnit::Seconds,
        EpochUnit::Auto if abs < 1e14 => EpochUnit::Millis,
        EpochUnit::Auto if abs < 1e17 => EpochUnit::Micros,
        EpochUnit::Auto => EpochUnit::Nanos,
        u => u,
    }
}

fn bad_epoch(v: &Val<'_>, unit: EpochUnit) -> String {
    let name = match unit {
        EpochUnit::Seconds => "epoch_s",
        EpochUnit::Millis => "epoch_ms",
        EpochUnit::Micros => "epoch_us",
        EpochUnit::Nanos => "epoch_ns",
        EpochUnit::Auto => "epoch_auto",
    };
    let shown = v.to_text().unwrap_or_default();
    format!("`{}` is not a valid {name} time", snippet(&shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23T12:00:00Z in micros.
    const OBSERVED: i64 = 1_795_435_200_000_000;

    fn micros(rfc: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc)
            .unwrap()
            .timestamp_micros()
    }

    fn parse(format: &str, tz: Option<&str>, v: Val<'_>) -> Result<i64, String> {
        TimeParser::new("profiles.t.time", format, tz)
            .unwrap()
            .parse(&v, OBSERVED)
    }

    fn s(text: &str) -> Val<'_> {
        Val::Str(text.into())
    }

    #[test]
    fn observed_constant_is_right() {
        assert_eq!(OBSERVED, micros("2026-11-23T12:00:00Z"));
    }

    #[test]
    fn rfc3339_variants() {
        let want = micros("2026-11-22T08:00:01.123Z");
        assert_eq!(
            parse("rfc3339", None, s("2026-11-22T08:00:01.123Z")),
            Ok(want)
        );
        assert_eq!(
            parse("rfc3339", None, s("2026-11-22T10:00:01.123+02:00")),
            Ok(want)
        );
        assert_eq!(
            parse("rfc3339", None, s("2026-11-22 08:00:01.123Z")),
            Ok(want)
        );
        assert_eq!(
            parse("rfc3339", None, s("2026-11-22T08:00:01.123")),
            Ok(want)
        );
        assert_eq!(
            parse("rfc3339", Some("+02:00"), s("2026-11-22T10:00:01.123")),
            Ok(want)
        );
        assert!(
            parse("rfc3339", None, s("yesterday"))
                .unwrap_err()
                .contains("`yesterday`")
        );
        assert!(parse("rfc3339", None, Val::I64(5)).is_err());
    }

    #[test]
    fn epoch_units() {
        let want = micros("2026-11-21T00:00:00Z");
        assert_eq!(
            parse("epoch_ms", None, Val::U64(1_795_219_200_000)),
            Ok(want)
        );
        assert_eq!(parse("epoch_s", None, Val::U64(1_795_219_200)), Ok(want));
        assert_eq!(
            parse("epoch_s", None, Val::F64(1_795_219_200.5)),
            Ok(want + 500_000)
        );
        assert_eq!(parse("epoch_us", None, s("1795219200000000")), Ok(want));
        assert_eq!(
            parse("epoch_ns", None, Val::U64(1_795_219_200_000_000_000)),
            Ok(want)
        );
        for v in [
            1_795_219_200u64,
            1_795_219_200_000,
            1_795_219_200_000_000,
            1_795_219_200_000_000_000,
        ] {
            assert_eq!(parse("epoch_auto", None, Val::U64(v)), Ok(want), "{v}");
        }
        assert!(parse("epoch_ms", None, s("soon")).is_err());
        assert!(parse("epoch_s", None, Val::U64(u64::MAX)).is_err());
        assert!(parse("epoch_s", None, Val::F64(f64::MAX)).is_err());
        assert!(parse("epoch_ms", None, Val::Bool(true)).is_err());
    }

    #[test]
    fn strftime_with_year_and_offset() {
        let want = micros("2026-11-21T09:12:44Z");
        assert_eq!(
            parse(
                "%d/%m/%Y %H:%M:%S",
                Some("+01:00"),
                s("21/11/2026 10:12:44")
            ),
            Ok(want)
        );
        assert_eq!(
            parse(
                "%d/%b/%Y:%H:%M:%S %z",
                None,
                s("21/Nov/2026:10:12:44 +0100")
            ),
            Ok(want)
        );
    }

    #[test]
    fn syslog_assumed_year_and_space_padded_day() {
        let f = "%b %e %H:%M:%S";
        assert_eq!(
            parse(f, None, s("Nov 21 10:15:01")),
            Ok(micros("2026-11-21T10:15:01Z"))
        );
        assert_eq!(
            parse(f, None, s("Nov  3 07:00:00")),
            Ok(micros("2026-11-03T07:00:00Z"))
        );
        // Less than a day ahead: clock skew, same year.
        assert_eq!(
            parse(f, None, s("Nov 24 06:00:00")),
            Ok(micros("2026-11-24T06:00:00Z"))
        );
        // More than a day ahead: last year's.
        assert_eq!(
            parse(f, None, s("Dec 31 23:59:59")),
            Ok(micros("2025-12-31T23:59:59Z"))
        );
        assert_eq!(
            parse(f, Some("-05:00"), s("Nov 21 05:15:01")),
            Ok(micros("2026-11-21T10:15:01Z"))
        );
        assert!(parse(f, None, s("Noc 21 10:15:01")).is_err());
        assert!(parse(f, None, s("Nov 32 10:15:01")).is_err());
    }

    #[test]
    fn an_assumed_year_dates_a_backfill() {
        let p = TimeParser::new("profiles.t.time", "%b %e %H:%M:%S", None)
            .unwrap()
            .with_year("profiles.t.time", Some(2019))
            .unwrap();
        let observed = micros("2026-01-02T00:00:00Z");
        // Even a December time, which without the year would be last year's (2025).
        assert_eq!(
            p.parse(&s("Dec 31 23:59:59"), observed).unwrap(),
            micros("2019-12-31T23:59:59Z")
        );
        assert_eq!(
            p.parse(&s("Feb 29 12:00:00"), observed).unwrap_err(),
            "`Feb 29 12:00:00` does not match time format `%b %e %H:%M:%S`",
            "2019 has no 29 February"
        );
        let with_year = TimeParser::new("profiles.t.time", "%Y-%m-%d %H:%M:%S", None).unwrap();
        let e = with_year
            .with_year("profiles.t.time", Some(2019))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profiles.t.time.year: only applies to a format without a year"),
            "{e}"
        );
        let rfc = TimeParser::new("profiles.t.time", "rfc3339", None).unwrap();
        assert!(rfc.with_year("profiles.t.time", Some(2019)).is_err());
        let yearless = TimeParser::new("profiles.t.time", "%b %e %H:%M:%S", None).unwrap();
        let e = yearless.with_year("profiles.t.time", Some(0)).unwrap_err();
        assert!(e.to_string().ends_with("must be between 1 and 9999"), "{e}");
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = TimeParser::new("profiles.t.time", "iso", None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profiles.t.time.format: invalid time format `iso`")
        );
        let e = TimeParser::new("profiles.t.time", "%H:%M", None).unwrap_err();
        assert!(e.to_string().contains("no day of the month"));
        let e = TimeParser::new("profiles.t.time", "%Q", None).unwrap_err();
        assert!(e.to_string().starts_with("profiles.t.time.format"));
        let e = TimeParser::new("profiles.t.time", "rfc3339", Some("Mars/Olympus")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profiles.t.time.timezone: invalid timezone")
        );
    }

    #[test]
    fn times_at_the_end_of_the_calendar_with_an_offset_are_invalid() {
        // `+262142-12-31T23:59:59` at -23:59 gave micros past the last representable time.
        let e = parse("rfc3339", Some("-23:59"), s("+262142-12-31T23:59:59")).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
        let f = "%d/%b/%Y:%H:%M:%S %z";
        assert!(parse(f, None, s("31/Dec/+262142:23:59:59 -2359")).is_err());
        assert!(parse(f, None, s("01/Jan/-262143:00:00:00 +2359")).is_err());
        // Within the range, the same far-off dates are fine.
        assert!(parse(f, None, s("31/Dec/+262142:23:59:59 +0000")).is_ok());
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("UTC"), Some(0));
        assert_eq!(parse_offset("+02:00"), Some(7200));
        assert_eq!(parse_offset("-0530"), Some(-19800));
        assert_eq!(parse_offset("UTC+2"), Some(7200));
        assert_eq!(parse_offset("+25:00"), None);
        assert_eq!(parse_offset("CET"), None);
    }

    fn noted(format: &str, tz: &str, v: &str) -> ParsedTime {
        TimeParser::new("profiles.t.time", format, Some(tz))
            .unwrap()
            .parse_noted(&s(v), OBSERVED)
            .unwrap()
    }

    #[test]
    fn named_zones_follow_daylight_saving_time() {
        let f = "%Y-%m-%d %H:%M:%S";
        // CET in winter, CEST in summer
        assert_eq!(
            parse(f, Some("Europe/Berlin"), s("2026-01-15 12:00:00")),
            Ok(micros("2026-01-15T11:00:00Z"))
        );
        assert_eq!(
            parse(f, Some("Europe/Berlin"), s("2026-07-15 12:00:00")),
            Ok(micros("2026-07-15T10:00:00Z"))
        );
        assert_eq!(
            parse(
                "rfc3339",
                Some("America/New_York"),
                s("2026-07-15T12:00:00")
            ),
            Ok(micros("2026-07-15T16:00:00Z"))
        );
        // an offset in the text wins over the zone
        assert_eq!(
            parse("rfc3339", Some("Europe/Berlin"), s("2026-07-15T12:00:00Z")),
            Ok(micros("2026-07-15T12:00:00Z"))
        );
        // a yearless syslog time in a named zone
        assert_eq!(
            parse(
                "%b %e %H:%M:%S",
                Some("Europe/Berlin"),
                s("Nov 23 10:00:00")
            ),
            Ok(micros("2026-11-23T09:00:00Z"))
        );
        // fixed offsets and UTC still work
        assert_eq!(
            parse(f, Some("+02:00"), s("2026-01-15 12:00:00")),
            Ok(micros("2026-01-15T10:00:00Z"))
        );
        assert_eq!(
            parse(f, Some("UTC"), s("2026-01-15 12:00:00")),
            Ok(micros("2026-01-15T12:00:00Z"))
        );
    }

    #[test]
    fn an_ambiguous_local_time_is_the_earlier_instant_and_noted() {
        // Berlin, 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET; 02:30 happens twice.
        let t = noted("%Y-%m-%d %H:%M:%S", "Europe/Berlin", "2026-10-25 02:30:00");
        assert_eq!(t.micros, micros("2026-10-25T00:30:00Z"));
        assert_eq!(t.note, Some(LocalTimeNote::Ambiguous));
        // an hour later it is plain again
        let t = noted("%Y-%m-%d %H:%M:%S", "Europe/Berlin", "2026-10-25 03:30:00");
        assert_eq!((t.micros, t.note), (micros("2026-10-25T02:30:00Z"), None));
    }

    #[test]
    fn a_nonexistent_local_time_moves_forward_by_the_gap_and_is_noted() {
        // Berlin, 2026-03-29: clocks go forward from 02:00 CET to 03:00 CEST; 02:30 never
        // happens and is read with the offset before the gap (+01:00), i.e. as 03:30 CEST.
        let t = noted("rfc3339", "Europe/Berlin", "2026-03-29T02:30:00");
        assert_eq!(t.micros, micros("2026-03-29T01:30:00Z"));
        assert_eq!(t.note, Some(LocalTimeNote::Nonexistent));
        let t = noted("rfc3339", "Europe/Berlin", "2026-03-29T01:59:59");
        assert_eq!((t.micros, t.note), (micros("2026-03-29T00:59:59Z"), None));
    }
}

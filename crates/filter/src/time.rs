//! Times and durations as users write them: `2026-11-21T08:00:00Z`, `2026-11-21`, `7d`, `24h`,
//! `30m`, `today`, `yesterday`, `now`.
//!
//! A date (and `today`, `yesterday`) means the whole day in UTC wherever a range is bounded:
//! `--since D` is D 00:00Z, `--until D` is the end of D (the range is `[since, until)` with
//! `until` the next midnight). Every command parses its times here.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::error::{FilterError, Result};

/// Which end of a range a time bounds: a bare date means its first instant for `Since` and the
/// first instant of the next day for `Until` (so `--until 2026-11-21` takes that whole day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Since,
    Until,
}

/// Parses a duration: a positive number followed by `s`, `m`, `h`, `d` or `w`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n <= 0 {
        return None;
    }
    match unit {
        's' => Duration::try_seconds(n),
        'm' => Duration::try_minutes(n),
        'h' => Duration::try_hours(n),
        'd' => Duration::try_days(n),
        'w' => Duration::try_weeks(n),
        _ => None,
    }
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// Parses a time as users write it, relative to `now` (UTC): RFC 3339, a date (`YYYY-MM-DD`),
/// a duration ago (`7d`), `now`, `today` or `yesterday` (midnight UTC starting the day; as an
/// `Until` bound, the midnight ending it).
pub fn parse_time(
    option: &'static str,
    s: &str,
    bound: Bound,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let s = s.trim();
    let day = |d: NaiveDate| match bound {
        Bound::Since => start_of(d),
        Bound::Until => start_of(d) + Duration::days(1),
    };
    match s {
        "now" => return Ok(now),
        "today" => return Ok(day(now.date_naive())),
        "yesterday" => return Ok(day(now.date_naive() - Duration::days(1))),
        _ => {}
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(day(d));
    }
    if let Some(d) = parse_duration(s) {
        return Ok(now - d);
    }
    Err(FilterError::arg(
        option,
        format!(
            "{s:?} is not a time: use RFC 3339 (2026-11-21T08:00:00Z), a date (2026-11-21), \
             a duration ago (7d, 24h, 30m), now, today or yesterday"
        ),
    ))
}

/// The last day a range ending (exclusively) at `until` touches.
pub fn last_day(until: DateTime<Utc>) -> NaiveDate {
    (until - Duration::microseconds(1)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn relative_and_absolute_times() {
        let p = |s, b| parse_time("--since", s, b, now()).unwrap();
        assert_eq!(p("7d", Bound::Since), t("2026-11-16T10:30:00Z"));
        assert_eq!(p("24h", Bound::Since), t("2026-11-22T10:30:00Z"));
        assert_eq!(p("30m", Bound::Until), t("2026-11-23T10:00:00Z"));
        assert_eq!(p("today", Bound::Since), t("2026-11-23T00:00:00Z"));
        assert_eq!(p("today", Bound::Until), t("2026-11-24T00:00:00Z"));
        assert_eq!(p("yesterday", Bound::Since), t("2026-11-22T00:00:00Z"));
        assert_eq!(p("yesterday", Bound::Until), t("2026-11-23T00:00:00Z"));
        assert_eq!(p("2026-11-21", Bound::Since), t("2026-11-21T00:00:00Z"));
        assert_eq!(p("2026-11-21", Bound::Until), t("2026-11-22T00:00:00Z"));
        assert_eq!(
            p("2026-11-21T08:00:00+02:00", Bound::Since),
            t("2026-11-21T06:00:00Z")
        );
        assert_eq!(p("now", Bound::Until), now());
    }

    #[test]
    fn bad_times_name_the_option() {
        for bad in ["", "7", "d", "-3d", "0h", "7y", "2026-13-01", "last week"] {
            let e = parse_time("--since", bad, Bound::Since, now()).unwrap_err();
            assert!(e.to_string().starts_with("--since: "), "{bad}: {e}");
        }
    }

    #[test]
    fn a_date_until_ends_with_its_day() {
        let until = parse_time("--until", "2026-11-21", Bound::Until, now()).unwrap();
        assert_eq!(
            last_day(until),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
        assert_eq!(
            last_day(t("2026-11-21T08:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Some(Duration::minutes(15)));
        assert_eq!(parse_duration("2w"), Some(Duration::weeks(2)));
        assert_eq!(parse_duration("90s"), Some(Duration::seconds(90)));
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_duration("1.5h"), None);
    }
}

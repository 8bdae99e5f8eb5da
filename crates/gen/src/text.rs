//! Byte-level formatting for the generator: integers, hex, timestamps (RFC 3339, syslog) and
//! filler text, written straight into a line buffer without going through `fmt`.

/// Appends `v` in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Appends `v` in decimal, zero-padded to at least `width` digits.
pub fn push_u64_pad(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v2 = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v2 % 10) as u8;
        v2 /= 10;
        if v2 == 0 {
            break;
        }
    }
    for _ in (tmp.len() - i)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Appends the low `digits` hex digits of `v`, lower case.
pub fn push_hex(out: &mut Vec<u8>, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for k in (0..digits).rev() {
        out.push(HEX[((v >> (k * 4)) & 0xf) as usize]);
    }
}

/// A 64-bit mix (SplitMix64's finalizer): spreads nearby inputs over the whole range.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// (year, month 1-12, day 1-31) of a day counted from 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

const DAY_US: i64 = 86_400_000_000;

/// Formats UTC timestamps (microseconds since the epoch); the date part is computed once a day.
#[derive(Debug, Default)]
pub struct Stamps {
    day: Option<i64>,
    ymd: (i64, u32, u32),
}

impl Stamps {
    fn date(&mut self, t_us: i64) -> ((i64, u32, u32), i64) {
        let day = t_us.div_euclid(DAY_US);
        if self.day != Some(day) {
            self.day = Some(day);
            self.ymd = civil_from_days(day);
        }
        (self.ymd, t_us.rem_euclid(DAY_US))
    }

    fn push_hms(out: &mut Vec<u8>, in_day_us: i64) {
        let secs = in_day_us / 1_000_000;
        push_u64_pad(out, (secs / 3600) as u64, 2);
        out.push(b':');
        push_u64_pad(out, (secs / 60 % 60) as u64, 2);
        out.push(b':');
        push_u64_pad(out, (secs % 60) as u64, 2);
    }

    /// `2026-11-20T08:02:11.120Z` (with `millis`) or `2026-11-20T08:02:11Z`.
    pub fn rfc3339(&mut self, out: &mut Vec<u8>, t_us: i64, millis: bool) {
        let ((y, m, d), rest) = self.date(t_us);
        push_u64_pad(out, y as u64, 4);
        out.push(b'-');
        push_u64_pad(out, m as u64, 2);
        out.push(b'-');
        push_u64_pad(out, d as u64, 2);
        out.push(b'T');
        Self::push_hms(out, rest);
        if millis {
            out.push(b'.');
            push_u64_pad(out, (rest / 1000 % 1000) as u64, 3);
        }
        out.push(b'Z');
    }

    /// syslog's `Nov  1 08:00:00` (no year, the day padded with a space).
    pub fn syslog(&mut self, out: &mut Vec<u8>, t_us: i64) {
        let ((_, m, d), rest) = self.date(t_us);
        out.extend_from_slice(MONTHS[m as usize - 1]);
        out.push(b' ');
        if d < 10 {
            out.push(b' ');
        }
        push_u64(out, d as u64);
        out.push(b' ');
        Self::push_hms(out, rest);
    }
}

/// Words of the filler text that pads lines to a size: the vocabulary of application messages.
const WORDS: &[&str] = &[
    "request",
    "completed",
    "for",
    "tenant",
    "via",
    "api",
    "gateway",
    "with",
    "policy",
    "default",
    "after",
    "retry",
    "cache",
    "miss",
    "on",
    "node",
    "eu-west-1",
    "user",
    "session",
    "refreshed",
    "token",
    "scope",
    "read",
    "write",
    "admin",
    "billing",
    "reports",
    "workspace",
    "settings",
    "updated",
    "by",
    "rule",
    "matched",
    "the",
    "client",
    "sent",
    "header",
    "x-request-id",
    "trace",
    "span",
    "latency",
    "within",
    "budget",
    "queue",
    "depth",
    "normal",
    "upstream",
    "responded",
    "status",
    "ok",
    "validation",
    "passed",
    "checksum",
    "verified",
    "record",
    "version",
    "bumped",
    "to",
    "draft",
    "final",
    "approved",
    "ticket",
    "linked",
    "change",
    "window",
    "maintenance",
    "scheduled",
    "service",
    "account",
    "owner",
    "notified",
    "email",
    "webhook",
    "delivered",
    "in",
    "ms",
    "region",
    "primary",
    "replica",
    "lag",
    "low",
];

/// Appends filler text of exactly `len` bytes (words separated by spaces), chosen by `seed`.
pub fn push_filler(out: &mut Vec<u8>, len: usize, seed: u64) {
    let end = out.len() + len;
    let mut h = seed;
    while out.len() < end {
        h = mix64(h);
        let word = WORDS[(h % WORDS.len() as u64) as usize].as_bytes();
        let room = end - out.len();
        out.extend_from_slice(&word[..word.len().min(room)]);
        if out.len() < end {
            out.push(b' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn integers_and_hex() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_u64(&mut out, 18_446_744_073_709_551_615);
        out.push(b' ');
        push_u64_pad(&mut out, 42, 5);
        out.push(b' ');
        push_u64_pad(&mut out, 123_456, 3);
        out.push(b' ');
        push_hex(&mut out, 0xbeef, 6);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 18446744073709551615 00042 123456 00beef"
        );
    }

    #[test]
    fn dates_agree_with_chrono() {
        let mut s = Stamps::default();
        // Every day from 1969 to 2101 at a moving time of day, including leap days.
        let mut t = -400 * DAY_US + 123_456;
        while t < 48_000 * DAY_US {
            let c = Utc.timestamp_micros(t).unwrap();
            let mut out = Vec::new();
            s.rfc3339(&mut out, t, true);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                c.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            );
            let mut out = Vec::new();
            s.syslog(&mut out, t);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                c.format("%b %e %H:%M:%S").to_string()
            );
            t += DAY_US + 3_600_000_017;
        }
        let mut out = Vec::new();
        s.rfc3339(&mut out, 1_795_161_300_120_000, false);
        assert_eq!(out, b"2026-11-20T07:55:00Z");
    }

    #[test]
    fn filler_has_the_exact_length_and_depends_on_the_seed() {
        for len in [0, 1, 7, 100, 1000] {
            let mut a = b"x".to_vec();
            push_filler(&mut a, len, 9);
            assert_eq!(a.len(), len + 1);
            assert!(a.iter().all(|b| b.is_ascii_graphic() || *b == b' '));
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push_filler(&mut a, 200, 1);
        push_filler(&mut b, 200, 2);
        assert_ne!(a, b);
    }
}

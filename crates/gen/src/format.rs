//! Turning facts into lines: the line buffer, the renderer shared by all profiles (user and
//! address strings, timestamps, padding to a line size) and the dispatch to each profile's writer.

use super::plan::{Fact, Profile};
use super::text::{Stamps, push_filler, push_u64};
use super::world::{People, User, push_ip};

/// Lines written for one fact: the bytes, and where each line ends with how many events it
/// holds (0: a line the profile ignores).
#[derive(Debug, Default)]
pub struct Lines {
    pub buf: Vec<u8>,
    pub ends: Vec<(usize, u32)>,
}

impl Lines {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    /// Ends the current line, which holds `events` events.
    pub fn end(&mut self, events: u32) {
        self.buf.push(b'\n');
        self.ends.push((self.buf.len(), events));
    }

    /// Where the current line started.
    pub fn line_start(&self) -> usize {
        self.ends.last().map(|e| e.0).unwrap_or(0)
    }

    pub fn s(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    pub fn u(&mut self, v: u64) -> &mut Self {
        push_u64(&mut self.buf, v);
        self
    }

    pub fn ip(&mut self, idx: u32) -> &mut Self {
        push_ip(&mut self.buf, idx);
        self
    }
}

/// Writes facts as lines of one profile.
#[derive(Debug)]
pub struct Renderer {
    pub profile: Profile,
    pub people: People,
    pub seed: u64,
    /// Pad lines to this many bytes (newline included) through a free-text field.
    pub line_size: Option<usize>,
    pub stamps: Stamps,
    /// The last sequence number written (formats that number their lines).
    pub seq: u64,
    /// Live mode: every line carries the time it is written, so the lines of one fact (the
    /// attempts of a burst) share its time instead of being spread into the future.
    pub live: bool,
}

impl Renderer {
    pub fn new(profile: Profile, users: u32, seed: u64, line_size: Option<usize>) -> Renderer {
        Renderer {
            profile,
            people: People::new(users),
            seed,
            line_size,
            stamps: Stamps::default(),
            seq: 0,
            live: false,
        }
    }

    /// The time of a fact's line `j`, `step_us` after the one before it (in live mode, the
    /// fact's own time).
    pub fn line_time(&self, time_us: i64, j: u32, step_us: i64) -> i64 {
        if self.live {
            time_us
        } else {
            time_us + i64::from(j) * step_us
        }
    }

    /// Appends the lines of `f` to `out`.
    pub fn render(&mut self, f: &Fact, out: &mut Lines) {
        match self.profile {
            Profile::AuditlakeJson => super::json::auditlake(self, f, out),
            Profile::IdpJson => super::json::idp(self, f, out),
            Profile::AssetJson => super::json::asset(self, f, out),
            Profile::Sshd => super::plain::sshd(self, f, out),
            Profile::LogfmtApp => super::plain::logfmt(self, f, out),
        }
    }

    pub fn user(&self, u: u32) -> &User {
        self.people.get(u)
    }

    /// RFC 3339 time, with milliseconds or without.
    pub fn time(&mut self, out: &mut Lines, t_us: i64, millis: bool) {
        self.stamps.rfc3339(&mut out.buf, t_us, millis);
    }

    /// Closes a JSON line: writes `"key":"text"` where `text` is `base` and, where the line is
    /// shorter than the line size, filler text after it; then `close` and the newline.
    pub fn close_json(
        &mut self,
        out: &mut Lines,
        key: &str,
        base: Option<&str>,
        close: &str,
        events: u32,
        n: u64,
    ) {
        let so_far = out.buf.len() - out.line_start();
        // ,"key":"   "
        let field = key.len() + 6;
        let with_base = so_far + close.len() + 1 + base.map(|b| field + b.len()).unwrap_or(0);
        let filler = match (self.line_size, base) {
            (Some(size), Some(_)) => size.saturating_sub(with_base + 1),
            (Some(size), None) => size.saturating_sub(with_base + field),
            (None, _) => 0,
        };
        if base.is_some() || filler > 0 {
            out.s(",\"").s(key).s("\":\"");
            if let Some(b) = base {
                out.s(b);
                if filler > 0 {
                    out.s(" ");
                }
            }
            push_filler(&mut out.buf, filler, n ^ self.seed);
            out.s("\"");
        }
        out.s(close);
        out.end(events);
    }

    /// Closes a logfmt line: ` key="filler"` up to the line size, then the newline.
    pub fn close_logfmt(&mut self, out: &mut Lines, key: &str, events: u32, n: u64) {
        let so_far = out.buf.len() - out.line_start() + 1;
        let field = key.len() + 4;
        if let Some(size) = self.line_size
            && size > so_far + field
        {
            out.s(" ").s(key).s("=\"");
            push_filler(&mut out.buf, size - so_far - field, n ^ self.seed);
            out.s("\"");
        }
        out.end(events);
    }
}

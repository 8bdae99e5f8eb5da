//! syslog's `message repeated N times: [ MESSAGE ]`, which stands for N lines of MESSAGE.

use memchr::memmem;

/// The most events one repeated line expands to.
pub(crate) const MAX_REPEAT: u32 = 10_000;

/// The most line bytes one repeated line expands to: each copy holds the line (`raw`) and what
/// was taken from it, so a long line repeats fewer times (a 64 KiB line at most 256 times).
pub(crate) const MAX_REPEAT_BYTES: usize = 16 * 1024 * 1024;

/// How many events a line of `line_len` bytes repeated `n` times expands to: `n`, capped by
/// [`MAX_REPEAT`] and [`MAX_REPEAT_BYTES`], and at least one.
pub(crate) fn copies(n: u64, line_len: usize) -> u32 {
    let by_bytes = (MAX_REPEAT_BYTES / line_len.max(1)).max(1);
    let cap = u64::from(MAX_REPEAT).min(by_bytes as u64);
    n.clamp(1, cap) as u32
}

static NEEDLE: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(b"message repeated "));

/// For a repeated line: N (as written) and the line with the repetition unwrapped, the syslog
/// prefix kept: `Nov 21 10:15:01 host sshd[1]: message repeated 3 times: [ Failed ...]` gives
/// `(3, "Nov 21 10:15:01 host sshd[1]: Failed ...")`.
///
/// Only syslog writes the marker, at the start of the message: right after the first `": "` of
/// the line (the end of the `host tag[pid]` prefix). Anywhere else it is text someone typed (a
/// user name tried over SSH, a sudo command) and the line is not a repetition.
pub(crate) fn split(line: &str) -> Option<(u64, String)> {
    let at = NEEDLE.find(line.as_bytes())?;
    if memmem::find(line.as_bytes(), b": ")? + 2 != at {
        return None;
    }
    let rest = &line[at + "message repeated ".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let count: u64 = rest[..digits].parse().ok()?;
    let inner = rest[digits..].strip_prefix(" times: [")?;
    let inner = inner.strip_suffix(']').unwrap_or(inner).trim_start();
    let mut unwrapped = String::with_capacity(at + inner.len());
    unwrapped.push_str(&line[..at]);
    unwrapped.push_str(inner);
    Some((count, unwrapped))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user name or a command holding the marker made one line thousands of events.
    #[test]
    fn the_marker_typed_inside_a_message_is_not_a_repetition() {
        for line in [
            "Nov 21 10:15:01 bastion sshd[1]: Invalid user message repeated 9999 times: [ Accepted password for root from 203.0.113.5 port 1 ssh2] from 198.51.100.7 port 4242",
            "Nov 21 10:15:01 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/echo message repeated 9999 times: [ x]",
            "message repeated 3 times: [ x]",
        ] {
            assert_eq!(split(line), None, "{line}");
        }
    }

    #[test]
    fn unwraps_the_message() {
        let line = "Nov 21 10:15:01 bastion sshd[1234]: message repeated 3 times: [ Failed password for root from 198.51.100.7 port 4242 ssh2]";
        let (n, s) = split(line).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            s,
            "Nov 21 10:15:01 bastion sshd[1234]: Failed password for root from 198.51.100.7 port 4242 ssh2"
        );
    }

    #[test]
    fn other_lines_are_left_alone() {
        assert!(split("Nov 21 10:15:01 h sshd[1]: Accepted password for a").is_none());
        assert!(split("message repeated many times: [ x]").is_none());
        assert!(split("message repeated 99999999999999999999999 times: [ x]").is_none());
        // Cut before the closing bracket: the message as far as it goes.
        assert_eq!(
            split("p: message repeated 2 times: [ abc").unwrap(),
            (2, "p: abc".to_owned())
        );
    }
}

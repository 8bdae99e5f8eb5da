//! `format = "regex"`: named captures of the first of several patterns that matches.

use std::borrow::Cow;

use regex::Regex;

use crate::error::{NormalizeConfigError, RejectKind, Rejection};
use crate::value::{Obj, Val};

/// One compiled pattern: its regex and its named groups.
#[derive(Debug)]
pub(crate) struct Pattern {
    regex: Regex,
    names: Vec<(Box<str>, usize)>,
}

impl Pattern {
    /// Compiles `prefix` + `pattern`; `key` names the pattern's configuration key.
    pub(crate) fn compile(
        key: &str,
        prefix: Option<&str>,
        pattern: &str,
    ) -> Result<Pattern, NormalizeConfigError> {
        let full = match prefix {
            Some(p) => Cow::Owned(format!("{p}{pattern}")),
            None => Cow::Borrowed(pattern),
        };
        let regex = Regex::new(&full).map_err(|e| NormalizeConfigError::InvalidRegex {
            key: key.to_owned(),
            message: e.to_string(),
        })?;
        let names: Vec<(Box<str>, usize)> = regex
            .capture_names()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (n.into(), i)))
            .collect();
        if names.is_empty() {
            return Err(NormalizeConfigError::Invalid {
                key: key.to_owned(),
                problem: "the pattern has no named capture group `(?P<name>...)`".to_owned(),
            });
        }
        Ok(Pattern { regex, names })
    }

    /// The names of its capture groups (the prefix's included).
    pub(crate) fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|(n, _)| &**n)
    }
}

/// Matches `line` against the patterns in order; the fields are the named groups that took part
/// in the match. Returns the index of the matching pattern.
pub(crate) fn parse<'a>(
    patterns: &'a [Pattern],
    line: &'a str,
) -> Result<(Obj<'a>, usize), Rejection> {
    for (i, p) in patterns.iter().enumerate() {
        // A match test needs no allocation and runs the fast engines; only the pattern that
        // matches pays for capture positions.
        if !p.regex.is_match(line) {
            continue;
        }
        let mut locs = p.regex.capture_locations();
        if p.regex.captures_read(&mut locs, line).is_none() {
            continue;
        }
        let mut obj: Obj<'a> = Vec::with_capacity(p.names.len());
        for (name, group) in &p.names {
            if let Some((s, e)) = locs.get(*group) {
                obj.push((Cow::Borrowed(&**name), Val::Str(Cow::Borrowed(&line[s..e]))));
            }
        }
        return Ok((obj, i));
    }
    Err(Rejection::new(
        RejectKind::Parse,
        if patterns.len() == 1 {
            "the line does not match the pattern".to_owned()
        } else {
            format!("the line matches none of the {} patterns", patterns.len())
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_pattern_wins_and_optional_groups_are_absent() {
        let pats = vec![
            Pattern::compile(
                "k[0]",
                Some(r"^(?P<host>\S+) "),
                r"Accepted (?P<method>\w+) for (?P<user>\S+)(?: from (?P<ip>\S+))?",
            )
            .unwrap(),
            Pattern::compile("k[1]", Some(r"^(?P<host>\S+) "), r"(?P<rest>.*)").unwrap(),
        ];
        let (obj, i) = parse(&pats, "web1 Accepted password for alice").unwrap();
        assert_eq!(i, 0);
        assert_eq!(obj.len(), 3);
        assert_eq!(
            crate::value::get(&obj, "user").unwrap().to_text().unwrap(),
            "alice"
        );
        assert!(crate::value::get(&obj, "ip").is_none());
        let (_, i) = parse(&pats, "web1 something else").unwrap();
        assert_eq!(i, 1);
        assert_eq!(parse(&pats, "nospace").unwrap_err().kind, RejectKind::Parse);
    }

    #[test]
    fn bad_patterns_name_the_key() {
        let e = Pattern::compile("profiles.p.patterns[2].pattern", None, "(?P<a>").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profiles.p.patterns[2].pattern: invalid regex")
        );
        let e = Pattern::compile("profiles.p.pattern", None, "a(b)").unwrap_err();
        assert!(e.to_string().contains("no named capture group"));
    }
}

//! Line parsers: a line becomes an object of fields ([`Obj`]) that borrows from the line.

pub(crate) mod auditd;
pub(crate) mod json;
pub(crate) mod logfmt;
pub(crate) mod records;
pub(crate) mod regex;
pub(crate) mod repeat;

use crate::error::Rejection;
use crate::value::Obj;

/// The parser of a profile's `format`.
#[derive(Debug)]
pub(crate) enum Parser {
    Json,
    Logfmt,
    Regex(Vec<regex::Pattern>),
    Auditd,
}

impl Parser {
    /// Parses a line into fields; for regex profiles also the index of the pattern that matched.
    pub(crate) fn parse<'a>(
        &'a self,
        line: &'a str,
    ) -> Result<(Obj<'a>, Option<usize>), Rejection> {
        match self {
            Parser::Json => json::parse(line).map(|o| (o, None)),
            Parser::Logfmt => logfmt::parse(line).map(|o| (o, None)),
            Parser::Regex(patterns) => regex::parse(patterns, line).map(|(o, i)| (o, Some(i))),
            Parser::Auditd => auditd::parse(line).map(|(o, _)| (o, None)),
        }
    }
}

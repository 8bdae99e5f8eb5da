//! Matching one event: the same filter as over batches, for alert rules and tests.

use auditlake_event::AuditEvent;

use crate::addr::in_nets;
use crate::spec::{Atom, Filter};

/// The value of a string column of an event; `None` for a null or a column no atom reads.
fn column<'a>(e: &'a AuditEvent, name: &str) -> Option<&'a str> {
    match name {
        "action" => Some(&e.action),
        "category" => Some(&e.category),
        "outcome" => Some(e.outcome.as_str()),
        "actor_id" => e.actor_id.as_deref(),
        "actor_name" => e.actor_name.as_deref(),
        "actor_email" => e.actor_email.as_deref(),
        "tenant" => e.tenant.as_deref(),
        "src_ip" => e.src_ip.as_deref(),
        "session_id" => e.session_id.as_deref(),
        "credential_id" => e.credential_id.as_deref(),
        "resource_type" => e.resource_type.as_deref(),
        "resource_id" => e.resource_id.as_deref(),
        "message" => e.message.as_deref(),
        "raw" => e.raw.as_deref(),
        _ => None,
    }
}

/// Whether `s` matches a SQL LIKE pattern: `%` any run, `_` one character, `\` escapes.
fn like(s: &str, pattern: &str, case_insensitive: bool) -> bool {
    let fold = |t: &str| -> Vec<char> {
        if case_insensitive {
            t.to_lowercase().chars().collect()
        } else {
            t.chars().collect()
        }
    };
    let (s, p) = (fold(s), fold(pattern));
    // Tokens: Some(c) a literal, None for `_`, and `%` kept apart.
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Lit(char),
        One,
        Any,
    }
    let mut toks = Vec::with_capacity(p.len());
    let mut it = p.into_iter();
    while let Some(c) = it.next() {
        toks.push(match c {
            '\\' => Tok::Lit(it.next().unwrap_or('\\')),
            '%' => Tok::Any,
            '_' => Tok::One,
            c => Tok::Lit(c),
        });
    }
    // Greedy matching with backtracking to the last `%`.
    let (mut si, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(ti) {
            Some(Tok::Any) => {
                star = Some((ti, si));
                ti += 1;
            }
            Some(Tok::One) => {
                si += 1;
                ti += 1;
            }
            Some(Tok::Lit(c)) if *c == s[si] => {
                si += 1;
                ti += 1;
            }
            _ => match star {
                Some((t, sp)) => {
                    ti = t + 1;
                    si = sp + 1;
                    star = Some((t, sp + 1));
                }
                None => return false,
            },
        }
    }
    toks[ti..].iter().all(|t| *t == Tok::Any)
}

fn atom_matches(atom: &Atom, e: &AuditEvent) -> bool {
    match atom {
        Atom::Time { since, until } => {
            since.is_none_or(|lo| e.time >= lo) && until.is_none_or(|hi| e.time < hi)
        }
        Atom::Eq { column: c, values } => {
            column(e, c).is_some_and(|v| values.iter().any(|w| w == v))
        }
        Atom::Like {
            column: c,
            pattern,
            case_insensitive,
            ..
        } => column(e, c).is_some_and(|v| like(v, pattern, *case_insensitive)),
        Atom::Glob {
            column: c, glob, ..
        } => column(e, c).is_some_and(|v| glob.is_match(v)),
        Atom::Cidr { column: c, nets } => column(e, c).is_some_and(|v| in_nets(v, nets)),
        Atom::All(atoms) => atoms.iter().all(|a| atom_matches(a, e)),
    }
}

impl Filter {
    /// Whether the event matches: the same answer [`Filter::evaluate`] gives for its row. Tiers
    /// are not looked at (an event alone does not name its tier).
    pub fn matches(&self, e: &AuditEvent) -> bool {
        self.clauses
            .iter()
            .all(|clause| clause.iter().any(|a| atom_matches(a, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FilterSpec;

    #[test]
    fn like_patterns() {
        assert!(like("Exported 100% of it", "%100\\%%", false));
        assert!(!like("Exported 1000 of it", "%100\\%%", false));
        assert!(like("account.lock", "account.%", false));
        assert!(!like("accounts", "account.%", false));
        assert!(like("RAW line", "%raw line%", true));
        assert!(!like("RAW line", "%raw line%", false));
        assert!(like("abc", "a_c", false));
        assert!(!like("ac", "a_c", false));
        assert!(like("aXbXc", "%b%c", false));
        assert!(like("", "%", false));
    }

    fn event(f: impl FnOnce(&mut AuditEvent)) -> AuditEvent {
        let mut e = AuditEvent {
            action: "authentication.login".into(),
            category: "authentication".into(),
            time: 1_000,
            ..Default::default()
        };
        f(&mut e);
        e
    }

    fn spec_matches(spec: FilterSpec, e: &AuditEvent) -> bool {
        spec.compile(chrono::Utc::now()).unwrap().matches(e)
    }

    #[test]
    fn an_event_matches_as_its_row_would() {
        let e = event(|e| {
            e.actor_id = Some("u-1".into());
            e.actor_email = Some("a@x".into());
            e.src_ip = Some("::ffff:10.1.2.3".into());
            e.outcome = auditlake_event::Outcome::Failure;
        });
        let s = |f: fn(&mut FilterSpec)| {
            let mut spec = FilterSpec::default();
            f(&mut spec);
            spec
        };
        assert!(spec_matches(s(|s| s.actors = vec!["a@x".into()]), &e));
        assert!(spec_matches(s(|s| s.actors = vec!["u-1".into()]), &e));
        assert!(!spec_matches(s(|s| s.actors = vec!["u-2".into()]), &e));
        assert!(!spec_matches(s(|s| s.actor_id = Some("a@x".into())), &e));
        assert!(spec_matches(
            s(|s| s.actions = vec!["authentication.*".into()]),
            &e
        ));
        assert!(!spec_matches(s(|s| s.actions = vec!["data.*".into()]), &e));
        assert!(spec_matches(s(|s| s.outcomes = vec!["failure".into()]), &e));
        assert!(spec_matches(s(|s| s.ips = vec!["10.0.0.0/8".into()]), &e));
        assert!(spec_matches(s(|s| s.ips = vec!["10.1.2.3".into()]), &e));
        assert!(spec_matches(s(|s| s.text = Some("A@X".into())), &e));
        assert!(!spec_matches(s(|s| s.tenant = Some("t".into())), &e));
        assert!(spec_matches(FilterSpec::default(), &e));
    }
}

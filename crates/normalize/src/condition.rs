//! Conditions on a field (`equals`, `any_of`, numeric `range`, regex `pattern`), compiled once per
//! profile, and the outcome rules built on them.

use auditlake_event::Outcome;
use regex::Regex;

use crate::config::{Condition, OutcomeRule};
use crate::error::NormalizeConfigError;
use crate::path::FieldPath;
use crate::value::{Obj, Val};

/// A compiled [`Condition`].
#[derive(Debug)]
pub(crate) struct Cond {
    path: FieldPath,
    test: Test,
}

#[derive(Debug)]
enum Test {
    AnyOf(Vec<String>),
    Range(f64, f64),
    Pattern(Regex),
}

impl Cond {
    /// Compiles a condition; `key` names it (`profiles.p.outcome_rules[0].when`).
    pub(crate) fn compile(key: &str, c: &Condition) -> Result<Cond, NormalizeConfigError> {
        let path = FieldPath::compile(&format!("{key}.field"), &c.field)?;
        let given = usize::from(c.equals.is_some())
            + usize::from(!c.any_of.is_empty())
            + usize::from(c.range.is_some())
            + usize::from(c.pattern.is_some());
        if given != 1 {
            return Err(NormalizeConfigError::Invalid {
                key: key.to_owned(),
                problem: "give exactly one of `equals`, `any_of`, `range` or `pattern`".to_owned(),
            });
        }
        let test = if let Some(v) = &c.equals {
            Test::AnyOf(vec![v.clone()])
        } else if !c.any_of.is_empty() {
            Test::AnyOf(c.any_of.clone())
        } else if let Some([low, high]) = c.range {
            if low.is_nan() || high.is_nan() || low > high {
                return Err(NormalizeConfigError::Invalid {
                    key: format!("{key}.range"),
                    problem: format!("[{low}, {high}] is empty: the low end comes first"),
                });
            }
            Test::Range(low, high)
        } else {
            let p = c.pattern.as_deref().unwrap_or_default();
            Test::Pattern(
                Regex::new(p).map_err(|e| NormalizeConfigError::InvalidRegex {
                    key: format!("{key}.pattern"),
                    message: e.to_string(),
                })?,
            )
        };
        Ok(Cond { path, test })
    }

    /// Whether the condition holds for a line. An absent field never holds.
    pub(crate) fn holds(&self, obj: &Obj<'_>) -> bool {
        let Some(v) = self.path.lookup(obj) else {
            return false;
        };
        match &self.test {
            Test::Range(low, high) => number(v).is_some_and(|n| *low <= n && n <= *high),
            Test::AnyOf(values) => v.to_text().is_some_and(|t| values.iter().any(|x| *x == *t)),
            Test::Pattern(re) => v.to_text().is_some_and(|t| re.is_match(&t)),
        }
    }
}

/// A value as a number: a JSON number, or a string that holds one (`"403"`).
fn number(v: &Val<'_>) -> Option<f64> {
    match v {
        Val::I64(n) => Some(*n as f64),
        Val::U64(n) => Some(*n as f64),
        Val::F64(f) => Some(*f),
        Val::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Compiles the conditions of a `when` list, all of which must hold; `key` names the list
/// (`profiles.p.action.rules[3].when`). An empty list is an error: it would hold for every line.
pub(crate) fn compile_all(
    key: &str,
    conds: &[Condition],
) -> Result<Box<[Cond]>, NormalizeConfigError> {
    if conds.is_empty() {
        return Err(NormalizeConfigError::Invalid {
            key: key.to_owned(),
            problem: "empty: give at least one condition, or leave `when` out".to_owned(),
        });
    }
    conds
        .iter()
        .enumerate()
        .map(|(j, c)| Cond::compile(&format!("{key}[{j}]"), c))
        .collect()
}

/// Whether all of `conds` hold for a line.
pub(crate) fn all_hold(conds: &[Cond], obj: &Obj<'_>) -> bool {
    conds.iter().all(|c| c.holds(obj))
}

/// A compiled [`OutcomeRule`].
#[derive(Debug)]
pub(crate) struct OutcomeWhen {
    pub(crate) when: Cond,
    pub(crate) outcome: Outcome,
    pub(crate) reason: Option<String>,
}

/// Compiles `profiles.NAME.outcome_rules`; `key` is `profiles.NAME.outcome_rules`.
pub(crate) fn compile_outcome_rules(
    key: &str,
    rules: &[OutcomeRule],
) -> Result<Vec<OutcomeWhen>, NormalizeConfigError> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(OutcomeWhen {
                when: Cond::compile(&format!("{key}[{i}].when"), &r.when)?,
                outcome: r.outcome,
                reason: r.reason.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    fn obj(text: &str) -> Obj<'_> {
        match parse_json(text).unwrap() {
            Val::Obj(o) => o,
            _ => panic!("not an object"),
        }
    }

    fn cond(toml_text: &str) -> Result<Cond, NormalizeConfigError> {
        let c: Condition = toml::from_str(toml_text).unwrap();
        Cond::compile("profiles.p.outcome_rules[0].when", &c)
    }

    #[test]
    fn ranges_hold_for_numbers_and_numeric_strings() {
        let ok = cond("field = 'responseStatus.code'\nrange = [200, 299]").unwrap();
        for (line, want) in [
            (r#"{"responseStatus":{"code":200}}"#, true),
            (r#"{"responseStatus":{"code":299}}"#, true),
            (r#"{"responseStatus":{"code":"201"}}"#, true),
            (r#"{"responseStatus":{"code":403}}"#, false),
            (r#"{"responseStatus":{"code":199.5}}"#, false),
            (r#"{"responseStatus":{"code":"ok"}}"#, false),
            (r#"{"responseStatus":{}}"#, false),
        ] {
            assert_eq!(ok.holds(&obj(line)), want, "{line}");
        }
    }

    #[test]
    fn equality_any_of_and_pattern() {
        let eq = cond("field = 'annotations.\"authorization.k8s.io/decision\"'\nequals = 'forbid'")
            .unwrap();
        assert!(eq.holds(&obj(
            r#"{"annotations":{"authorization.k8s.io/decision":"forbid"}}"#
        )));
        assert!(!eq.holds(&obj(
            r#"{"annotations":{"authorization.k8s.io/decision":"allow"}}"#
        )));
        let any = cond("field = 'ok'\nany_of = ['true', 'yes']").unwrap();
        assert!(any.holds(&obj(r#"{"ok":true}"#)));
        assert!(!any.holds(&obj(r#"{"ok":false}"#)));
        let re = cond("field = 'status'\npattern = '^(?i)fail'").unwrap();
        assert!(re.holds(&obj(r#"{"status":"FAILURE"}"#)));
        assert!(!re.holds(&obj(r#"{"status":"SUCCESS"}"#)));
    }

    #[test]
    fn a_condition_needs_exactly_one_test() {
        for (text, want) in [
            (
                "field = 'a'",
                "profiles.p.outcome_rules[0].when: give exactly one of",
            ),
            (
                "field = 'a'\nequals = 'x'\nrange = [1, 2]",
                "profiles.p.outcome_rules[0].when: give exactly one of",
            ),
            (
                "field = 'a'\nrange = [5, 1]",
                "profiles.p.outcome_rules[0].when.range: [5, 1] is empty",
            ),
            (
                "field = 'a'\npattern = '(['",
                "profiles.p.outcome_rules[0].when.pattern: invalid regex",
            ),
            (
                "field = 'a..b'\nequals = 'x'",
                "profiles.p.outcome_rules[0].when.field: invalid field path",
            ),
        ] {
            let e = cond(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text}: {e}");
        }
    }
}

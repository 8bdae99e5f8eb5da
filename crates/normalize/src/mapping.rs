//! From the source's own event names to auditlake actions, and from fields to columns.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use auditlake_event::{AuditEvent, Outcome, category_of, is_valid_action};
use regex::Regex;

use crate::config::{ActionRule, Column, ColumnFields, ColumnValues};
use crate::error::NormalizeConfigError;
use crate::path::{Consumed, FieldPath};

/// A compiled rule: the action, its category, and what it sets.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) action: String,
    pub(crate) category: String,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) reason: Option<String>,
    pub(crate) set: Vec<(Column, String)>,
    pub(crate) fields: Vec<(Column, Vec<FieldPath>)>,
    /// What the profile and this rule take from a line; the rest is `attributes`.
    pub(crate) consumed: Arc<Consumed>,
}

/// The parts of a rule, as the two places that declare rules (action rules and regex patterns)
/// give them.
pub(crate) struct RuleParts<'c> {
    pub(crate) action: &'c str,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) reason: Option<&'c str>,
    pub(crate) set: &'c ColumnValues,
    pub(crate) fields: Option<&'c ColumnFields>,
}

impl Rule {
    /// Compiles a rule; `key` names it (`profiles.p.action.rules[3]`), `base` is what the profile
    /// consumes.
    pub(crate) fn compile(
        key: &str,
        parts: RuleParts<'_>,
        base: &Arc<Consumed>,
    ) -> Result<Rule, NormalizeConfigError> {
        check_action(&format!("{key}.action"), parts.action)?;
        let set = compile_values(&format!("{key}.set"), parts.set)?;
        let mut fields = Vec::new();
        let mut consumed = None;
        if let Some(f) = parts.fields {
            for (col, src) in f.entries() {
                let paths =
                    FieldPath::compile_all(&format!("{key}.fields.{}", col.name()), src.paths())?;
                let c: &mut Consumed = consumed.get_or_insert_with(|| Consumed::clone(base));
                for p in &paths {
                    c.insert(p);
                }
                fields.push((col, paths));
            }
        }
        Ok(Rule {
            action: parts.action.to_owned(),
            category: category_of(parts.action).to_owned(),
            outcome: parts.outcome,
            reason: parts.reason.map(str::to_owned),
            set,
            fields,
            consumed: consumed.map_or_else(|| Arc::clone(base), Arc::new),
        })
    }
}

/// Checks an action name.
pub(crate) fn check_action(key: &str, action: &str) -> Result<(), NormalizeConfigError> {
    if is_valid_action(action) {
        Ok(())
    } else {
        Err(NormalizeConfigError::InvalidAction {
            key: key.to_owned(),
            action: action.to_owned(),
        })
    }
}

/// Compiles fixed column values, checking outcomes and refusing a fixed event id.
pub(crate) fn compile_values(
    key: &str,
    values: &ColumnValues,
) -> Result<Vec<(Column, String)>, NormalizeConfigError> {
    let mut out = Vec::new();
    for (col, v) in values.entries() {
        let k = format!("{key}.{}", col.name());
        match col {
            Column::EventId => {
                return Err(NormalizeConfigError::Invalid {
                    key: k,
                    problem: "event_id cannot be a fixed value: every event would share it"
                        .to_owned(),
                });
            }
            Column::Outcome if Outcome::parse_loose(v).is_none() => {
                return Err(NormalizeConfigError::InvalidOutcome {
                    key: k,
                    value: v.to_owned(),
                });
            }
            _ => out.push((col, v.to_owned())),
        }
    }
    Ok(out)
}

/// The action rules of a profile, indexed for lookup by event name.
#[derive(Debug, Default)]
pub(crate) struct ActionMap {
    rules: Vec<Rule>,
    exact: HashMap<Box<str>, usize>,
    patterns: Vec<(Regex, usize)>,
    passthrough: Option<Arc<Consumed>>,
}

/// What an event name maps to.
pub(crate) enum Resolved<'m> {
    Rule(&'m Rule),
    /// The name is itself the action; with what the profile consumes.
    Passthrough(&'m Arc<Consumed>),
}

impl ActionMap {
    /// Compiles `profiles.NAME.action.rules`; `key` is `profiles.NAME.action`. `passthrough` is
    /// what a passed-through line consumes, `None` when passthrough is off.
    pub(crate) fn compile(
        key: &str,
        rules: &[ActionRule],
        base: &Arc<Consumed>,
        passthrough: Option<Arc<Consumed>>,
    ) -> Result<ActionMap, NormalizeConfigError> {
        let mut map = ActionMap {
            passthrough,
            ..ActionMap::default()
        };
        for (i, r) in rules.iter().enumerate() {
            let rkey = format!("{key}.rules[{i}]");
            let rule = Rule::compile(
                &rkey,
                RuleParts {
                    action: &r.action,
                    outcome: r.outcome,
                    reason: r.reason.as_deref(),
                    set: &r.set,
                    fields: Some(&r.fields),
                },
                base,
            )?;
            let names: Vec<&String> = r.name.iter().chain(&r.names).collect();
            if names.is_empty() && r.pattern.is_none() {
                return Err(NormalizeConfigError::Invalid {
                    key: rkey,
                    problem: "a rule needs `name`, `names` or `pattern`".to_owned(),
                });
            }
            for n in names {
                if let Some(prev) = map.exact.insert(n.as_str().into(), i) {
                    return Err(NormalizeConfigError::Invalid {
                        key: rkey,
                        problem: format!("event name `{n}` is already mapped by rules[{prev}]"),
                    });
                }
            }
            if let Some(p) = &r.pattern {
                let re = Regex::new(p).map_err(|e| NormalizeConfigError::InvalidRegex {
                    key: format!("{rkey}.pattern"),
                    message: e.to_string(),
                })?;
                map.patterns.push((re, i));
            }
            map.rules.push(rule);
        }
        Ok(map)
    }

    /// Maps an event name: exact names first, then patterns in order, then passthrough.
    pub(crate) fn resolve(&self, name: &str) -> Option<Resolved<'_>> {
        if let Some(&i) = self.exact.get(name) {
            return Some(Resolved::Rule(&self.rules[i]));
        }
        if let Some((_, i)) = self.patterns.iter().find(|(re, _)| re.is_match(name)) {
            return Some(Resolved::Rule(&self.rules[*i]));
        }
        match &self.passthrough {
            Some(consumed) if is_valid_action(name) => Some(Resolved::Passthrough(consumed)),
            _ => None,
        }
    }

    /// Whether any rule or passthrough exists.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.passthrough.is_none()
    }
}

/// Where the columns of an event are while it is built: the string columns go straight into the
/// event, `event_id` and `outcome` wait for the rule's say.
pub(crate) struct Draft<'v> {
    pub(crate) origin_id: Option<String>,
    pub(crate) outcome: Option<Cow<'v, str>>,
}

impl<'v> Draft<'v> {
    /// Sets a column, replacing what was there.
    pub(crate) fn set(&mut self, ev: &mut AuditEvent, col: Column, v: Cow<'v, str>) {
        let slot = match col {
            Column::EventId => {
                self.origin_id = Some(v.into_owned());
                return;
            }
            Column::Outcome => {
                self.outcome = Some(v);
                return;
            }
            Column::Reason => &mut ev.reason,
            Column::Severity => &mut ev.severity,
            Column::ActorId => &mut ev.actor_id,
            Column::ActorName => &mut ev.actor_name,
            Column::ActorEmail => &mut ev.actor_email,
            Column::ActorType => &mut ev.actor_type,
            Column::Tenant => &mut ev.tenant,
            Column::SrcIp => &mut ev.src_ip,
            Column::SrcGeo => &mut ev.src_geo,
            Column::UserAgent => &mut ev.user_agent,
            Column::DeviceId => &mut ev.device_id,
            Column::SessionId => &mut ev.session_id,
            Column::AuthMethod => &mut ev.auth_method,
            Column::CredentialId => &mut ev.credential_id,
            Column::RpId => &mut ev.rp_id,
            Column::RpName => &mut ev.rp_name,
            Column::ResourceType => &mut ev.resource_type,
            Column::ResourceId => &mut ev.resource_id,
            Column::ResourceName => &mut ev.resource_name,
            Column::Message => &mut ev.message,
        };
        *slot = Some(v.into_owned());
    }

    /// Whether a column has a value.
    pub(crate) fn has(&self, ev: &AuditEvent, col: Column) -> bool {
        let slot = match col {
            Column::EventId => return self.origin_id.is_some(),
            Column::Outcome => return self.outcome.is_some(),
            Column::Reason => &ev.reason,
            Column::Severity => &ev.severity,
            Column::ActorId => &ev.actor_id,
            Column::ActorName => &ev.actor_name,
            Column::ActorEmail => &ev.actor_email,
            Column::ActorType => &ev.actor_type,
            Column::Tenant => &ev.tenant,
            Column::SrcIp => &ev.src_ip,
            Column::SrcGeo => &ev.src_geo,
            Column::UserAgent => &ev.user_agent,
            Column::DeviceId => &ev.device_id,
            Column::SessionId => &ev.session_id,
            Column::AuthMethod => &ev.auth_method,
            Column::CredentialId => &ev.credential_id,
            Column::RpId => &ev.rp_id,
            Column::RpName => &ev.rp_name,
            Column::ResourceType => &ev.resource_type,
            Column::ResourceId => &ev.resource_id,
            Column::ResourceName => &ev.resource_name,
            Column::Message => &ev.message,
        };
        slot.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: Option<&str>, pattern: Option<&str>, action: &str) -> ActionRule {
        ActionRule {
            name: name.map(str::to_owned),
            names: Vec::new(),
            pattern: pattern.map(str::to_owned),
            action: action.to_owned(),
            outcome: None,
            reason: None,
            set: ColumnValues::default(),
            fields: ColumnFields::default(),
        }
    }

    fn action(r: Option<Resolved<'_>>) -> Option<String> {
        match r? {
            Resolved::Rule(r) => Some(r.action.clone()),
            Resolved::Passthrough(_) => Some("passthrough".to_owned()),
        }
    }

    #[test]
    fn exact_before_patterns_then_passthrough() {
        let base = Arc::new(Consumed::default());
        let rules = [
            rule(None, Some("^USER_.*$"), "account.user.other"),
            rule(Some("USER_CREATED"), None, "account.user.create"),
            rule(None, Some("_FAILED$"), "authentication.login"),
        ];
        let m = ActionMap::compile("profiles.p.action", &rules, &base, Some(base.clone())).unwrap();
        assert_eq!(
            action(m.resolve("USER_CREATED")).unwrap(),
            "account.user.create"
        );
        assert_eq!(
            action(m.resolve("USER_DELETED")).unwrap(),
            "account.user.other"
        );
        assert_eq!(
            action(m.resolve("X_FAILED")).unwrap(),
            "authentication.login"
        );
        assert_eq!(
            action(m.resolve("billing.invoice.void")).unwrap(),
            "passthrough"
        );
        assert!(m.resolve("Something Else").is_none());
        let Some(Resolved::Rule(r)) = m.resolve("USER_CREATED") else {
            panic!()
        };
        assert_eq!(r.category, "account");
    }

    #[test]
    fn config_errors_name_the_rule() {
        let base = Arc::new(Consumed::default());
        let check = |rules: &[ActionRule], want: &str| {
            let e = ActionMap::compile("profiles.p.action", rules, &base, None).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e}");
        };
        check(
            &[rule(Some("A"), None, "Login")],
            "profiles.p.action.rules[0].action: invalid action `Login`",
        );
        check(
            &[rule(None, Some("(["), "a.b")],
            "profiles.p.action.rules[0].pattern: invalid regex",
        );
        check(
            &[rule(None, None, "a.b")],
            "profiles.p.action.rules[0]: a rule needs",
        );
        check(
            &[rule(Some("A"), None, "a.b"), rule(Some("A"), None, "a.c")],
            "profiles.p.action.rules[1]: event name `A` is already mapped by rules[0]",
        );
        let mut r = rule(Some("A"), None, "a.b");
        r.set.outcome = Some("maybe".to_owned());
        check(
            &[r],
            "profiles.p.action.rules[0].set.outcome: invalid outcome `maybe`",
        );
        let mut r = rule(Some("A"), None, "a.b");
        r.set.event_id = Some("x".to_owned());
        check(
            &[r],
            "profiles.p.action.rules[0].set.event_id: event_id cannot be a fixed value",
        );
    }
}

//! From the source's own event names to auditlake actions, and from fields to columns.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use auditlake_event::{AuditEvent, Outcome, category_of, is_valid_action};
use regex::Regex;

use crate::condition::{Cond, all_hold, compile_all};
use crate::config::{ActionRule, Column, ColumnFields, ColumnValues};
use crate::error::NormalizeConfigError;
use crate::path::{Consumed, FieldPath};
use crate::value::Obj;

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
    /// Per rule, the conditions of its `when` (empty: none).
    when: Vec<Box<[Cond]>>,
    /// Exact names to the rules that name them, in rule order.
    exact: HashMap<Box<str>, Vec<usize>>,
    /// The `pattern` rules and the rules of a `when` alone (`None`), in rule order.
    ordered: Vec<(Option<Regex>, usize)>,
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
            let when = match &r.when {
                None => Box::default(),
                Some(conds) => compile_all(&format!("{rkey}.when"), conds)?,
            };
            let names: Vec<&String> = r.name.iter().chain(&r.names).collect();
            if names.is_empty() && r.pattern.is_none() && r.when.is_none() {
                return Err(NormalizeConfigError::Invalid {
                    key: rkey,
                    problem: "a rule needs `name`, `names`, `pattern` or `when`".to_owned(),
                });
            }
            for n in names {
                let earlier = map.exact.entry(n.as_str().into()).or_default();
                // An earlier rule of this name without conditions takes every such line.
                if let Some(&prev) = earlier.iter().find(|&&j| map.when[j].is_empty()) {
                    return Err(NormalizeConfigError::Invalid {
                        key: rkey,
                        problem: format!("event name `{n}` is already mapped by rules[{prev}]"),
                    });
                }
                earlier.push(i);
            }
            if let Some(p) = &r.pattern {
                let re = Regex::new(p).map_err(|e| NormalizeConfigError::InvalidRegex {
                    key: format!("{rkey}.pattern"),
                    message: e.to_string(),
                })?;
                map.ordered.push((Some(re), i));
            } else if r.name.is_none() && r.names.is_empty() {
                map.ordered.push((None, i));
            }
            map.rules.push(rule);
            map.when.push(when);
        }
        Ok(map)
    }

    /// Maps a line by its event name (`None` when the profile has no event field): the rules of
    /// the exact name first, then the pattern and condition rules in order, then passthrough; a
    /// rule applies only where all conditions of its `when` hold on `obj`.
    pub(crate) fn resolve(&self, name: Option<&str>, obj: &Obj<'_>) -> Option<Resolved<'_>> {
        let holds = |i: usize| all_hold(&self.when[i], obj);
        if let Some(rules) = name.and_then(|n| self.exact.get(n))
            && let Some(&i) = rules.iter().find(|&&i| holds(i))
        {
            return Some(Resolved::Rule(&self.rules[i]));
        }
        let found = self.ordered.iter().find(|(re, i)| {
            let named = match re {
                Some(re) => name.is_some_and(|n| re.is_match(n)),
                None => true,
            };
            named && holds(*i)
        });
        if let Some((_, i)) = found {
            return Some(Resolved::Rule(&self.rules[*i]));
        }
        match (&self.passthrough, name) {
            (Some(consumed), Some(n)) if is_valid_action(n) => {
                Some(Resolved::Passthrough(consumed))
            }
            _ => None,
        }
    }

    /// Whether any rule or passthrough exists.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.passthrough.is_none()
    }

    /// Whether every rule is chosen by its `when` alone (no name, no pattern) and there is no
    /// passthrough: the rules need no event name.
    pub(crate) fn needs_no_name(&self) -> bool {
        self.passthrough.is_none()
            && self.exact.is_empty()
            && self.ordered.iter().all(|(re, _)| re.is_none())
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
            when: None,
            action: action.to_owned(),
            outcome: None,
            reason: None,
            set: ColumnValues::default(),
            fields: ColumnFields::default(),
        }
    }

    fn obj(text: &str) -> Obj<'_> {
        match crate::value::parse_json(text).unwrap() {
            crate::value::Val::Obj(o) => o,
            _ => panic!("not an object"),
        }
    }

    /// A rule with the conditions of `when` (TOML of a `when` list).
    fn rule_when(name: Option<&str>, when: &str, action: &str) -> ActionRule {
        #[derive(serde::Deserialize)]
        struct W {
            when: Vec<crate::config::Condition>,
        }
        let w: W = toml::from_str(&format!("when = {when}")).unwrap();
        ActionRule {
            when: Some(w.when),
            ..rule(name, None, action)
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
        let empty = obj("{}");
        assert_eq!(
            action(m.resolve(Some("USER_CREATED"), &empty)).unwrap(),
            "account.user.create"
        );
        assert_eq!(
            action(m.resolve(Some("USER_DELETED"), &empty)).unwrap(),
            "account.user.other"
        );
        assert_eq!(
            action(m.resolve(Some("X_FAILED"), &empty)).unwrap(),
            "authentication.login"
        );
        assert_eq!(
            action(m.resolve(Some("billing.invoice.void"), &empty)).unwrap(),
            "passthrough"
        );
        assert!(m.resolve(Some("Something Else"), &empty).is_none());
        let Some(Resolved::Rule(r)) = m.resolve(Some("USER_CREATED"), &empty) else {
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
            "profiles.p.action.rules[0]: a rule needs `name`, `names`, `pattern` or `when`",
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

    #[test]
    fn when_conditions_choose_among_rules_of_one_name_and_alone() {
        let base = Arc::new(Consumed::default());
        let rules = [
            rule_when(
                Some("CREATE"),
                "[{ field = 'resourceType', equals = 'USER' }]",
                "account.user.create",
            ),
            rule_when(
                Some("CREATE"),
                "[{ field = 'resourceType', equals = 'GROUP' }, { field = 'ok', equals = 'true' }]",
                "account.group.create",
            ),
            rule(Some("CREATE"), None, "resource.create"),
            rule_when(
                None,
                "[{ field = 'verb', any_of = ['create', 'patch'] }, \
                  { field = 'objectRef.resource', equals = 'rolebindings' }]",
                "account.role.change",
            ),
            rule(None, Some("^CRE"), "resource.other"),
        ];
        let m = ActionMap::compile("profiles.p.action", &rules, &base, None).unwrap();
        let act = |name: Option<&str>, line: &str| action(m.resolve(name, &obj(line)));
        let user = r#"{"resourceType":"USER"}"#;
        assert_eq!(act(Some("CREATE"), user).unwrap(), "account.user.create");
        let group = r#"{"resourceType":"GROUP","ok":true}"#;
        assert_eq!(act(Some("CREATE"), group).unwrap(), "account.group.create");
        // One condition of two fails: the next rule of the name.
        let group = r#"{"resourceType":"GROUP","ok":false}"#;
        assert_eq!(act(Some("CREATE"), group).unwrap(), "resource.create");
        let rb = r#"{"verb":"patch","objectRef":{"resource":"rolebindings"}}"#;
        assert_eq!(act(Some("x"), rb).unwrap(), "account.role.change");
        assert_eq!(act(None, rb).unwrap(), "account.role.change");
        // Rules in order: the condition rule before the later pattern rule.
        let both = r#"{"verb":"create","objectRef":{"resource":"rolebindings"}}"#;
        assert_eq!(act(Some("CREW"), both).unwrap(), "account.role.change");
        assert_eq!(act(Some("CREW"), "{}").unwrap(), "resource.other");
        // Without a name, pattern rules never apply.
        assert!(act(None, "{}").is_none());
        let get = r#"{"verb":"get","objectRef":{"resource":"rolebindings"}}"#;
        assert!(act(Some("get"), get).is_none());
        assert!(!m.needs_no_name());
        let alone = ActionMap::compile("profiles.p.action", &rules[3..4], &base, None).unwrap();
        assert!(alone.needs_no_name());
    }

    #[test]
    fn when_config_errors_name_the_condition() {
        let base = Arc::new(Consumed::default());
        let check = |rules: &[ActionRule], want: &str| {
            let e = ActionMap::compile("profiles.p.action", rules, &base, None).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e}");
        };
        check(
            &[rule_when(Some("A"), "[]", "a.b")],
            "profiles.p.action.rules[0].when: empty: give at least one condition",
        );
        check(
            &[rule_when(None, "[]", "a.b")],
            "profiles.p.action.rules[0].when: empty",
        );
        check(
            &[rule_when(
                None,
                "[{ field = 'a', equals = 'x' }, { field = 'b' }]",
                "a.b",
            )],
            "profiles.p.action.rules[0].when[1]: give exactly one of `equals`, `any_of`, `range` or `pattern`",
        );
        check(
            &[rule_when(
                None,
                "[{ field = 'a', equals = 'x', pattern = 'y' }]",
                "a.b",
            )],
            "profiles.p.action.rules[0].when[0]: give exactly one of",
        );
        check(
            &[rule_when(None, "[{ field = 'a', pattern = '(' }]", "a.b")],
            "profiles.p.action.rules[0].when[0].pattern: invalid regex",
        );
        check(
            &[rule_when(None, "[{ field = 'a', range = [2, 1] }]", "a.b")],
            "profiles.p.action.rules[0].when[0].range: [2, 1] is empty",
        );
        check(
            &[rule_when(None, "[{ field = 'a.', equals = 'x' }]", "a.b")],
            "profiles.p.action.rules[0].when[0].field: invalid field path",
        );
        // A rule of the name without conditions before: the later one could never apply.
        check(
            &[
                rule(Some("A"), None, "a.b"),
                rule_when(Some("A"), "[{ field = 'a', equals = 'x' }]", "a.c"),
            ],
            "profiles.p.action.rules[1]: event name `A` is already mapped by rules[0]",
        );
        // Conditions first, then the name's fallback: fine.
        ActionMap::compile(
            "profiles.p.action",
            &[
                rule_when(Some("A"), "[{ field = 'a', equals = 'x' }]", "a.c"),
                rule(Some("A"), None, "a.b"),
            ],
            &base,
            None,
        )
        .unwrap();
    }
}

//! The normalizer: a compiled profile that turns one line into audit events.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auditlake_event::{AuditEvent, Flags, Outcome, SourceInfo};
use regex::RegexSet;
use serde_json::Value;

use crate::changes::ChangesSpec;
use crate::condition::{Cond, OutcomeWhen, all_hold, compile_all, compile_outcome_rules};
use crate::config::{
    AttributesMode, Column, Format, MissingEvent, PatternConfig, ProfileConfig, TimeFallback,
};
use crate::error::{NormalizeConfigError, RejectKind, Rejection, snippet};
use crate::id::derive_event_id;
use crate::mapping::{ActionMap, Draft, Resolved, Rule, RuleParts, compile_values};
use crate::parse::{Parser, regex::Pattern, repeat};
use crate::path::{Consumed, FieldPath, first_of};
use crate::time::TimeParser;
use crate::value::Val;

/// Where a line comes from and how it was read.
#[derive(Debug, Clone)]
pub struct LineContext<'a> {
    /// The source, shared by all events of a file; each event holds a clone of the `Arc`.
    pub source: &'a Arc<SourceInfo>,
    /// The file's fingerprint.
    pub fingerprint: u64,
    /// Byte offset of the line's start in the file.
    pub offset: u64,
    /// When the line was read, UTC microseconds.
    pub observed_time: i64,
    /// Whether to keep the line in the event's `raw`.
    pub keep_raw: bool,
    /// How the reader found the line (invalid UTF-8, truncated); copied into the events.
    pub flags: Flags,
}

/// What became of a line that was not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// This many events were pushed (one, or N for a repeated syslog message).
    Events(usize),
    /// The line is noise by the profile's `ignore` rules (or blank); nothing was pushed.
    Ignored,
    /// The line's events are the elements of a list (`records`): what became of each.
    Records(RecordTally),
}

/// What became of the elements of a line's `records` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordTally {
    /// Events pushed.
    pub events: usize,
    /// Elements that are noise.
    pub ignored: usize,
    /// Elements that could not be mapped, for the dead-letter file.
    pub rejected: Vec<RejectedRecord>,
}

/// One element of a line's `records` that could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    /// Its position in the list, from 0.
    pub index: usize,
    /// Its text, exactly as in the line.
    pub text: String,
    /// Why.
    pub rejection: Rejection,
}

/// The text an event's `raw` holds and what tells its derived id apart from its line's others.
struct Whole<'l> {
    raw: &'l str,
    /// The element's index among the line's records (0 for a line of its own).
    index: u32,
    /// For a syslog "message repeated N times" line, N.
    repeated: Option<u64>,
}

/// A compiled profile. Built once per source; `Send + Sync`, so one may serve many threads.
#[derive(Debug)]
pub struct Normalizer {
    parser: Parser,
    expand_repeated: bool,
    ignore_lines: Option<RegexSet>,
    ignore_events: HashSet<Box<str>>,
    /// `ignore.rules`: a line is noise when all conditions of one of them hold.
    ignore_when: Vec<Box<[Cond]>>,
    time_paths: Vec<FieldPath>,
    time: TimeParser,
    time_missing: TimeFallback,
    time_invalid: TimeFallback,
    columns: Vec<ColumnSource>,
    required: Vec<Column>,
    event_paths: Vec<FieldPath>,
    event_missing: MissingEvent,
    actions: ActionMap,
    /// The fixed rules of regex patterns, by pattern index.
    pattern_rules: Vec<Option<Rule>>,
    changes: Option<ChangesSpec>,
    keep_attributes: bool,
    outcome_rules: Vec<OutcomeWhen>,
    /// Field texts read as absent (`transform.missing`).
    missing_values: HashSet<Box<str>>,
    /// Columns whose values are lower-cased (`transform.lowercase`).
    lowercase: Vec<Column>,
    /// Lines that reached the column mapping, and per entry of `columns` how many of them one of
    /// its paths resolved on: a mapped path that never resolves is reported, never silent.
    mapped_lines: AtomicU64,
    resolved: Box<[AtomicU64]>,
    /// The actions outside the catalog that rules and patterns map to, with the key of each.
    uncatalogued: Vec<(String, String)>,
    /// `records`: the list whose elements are a line's events.
    records: Option<FieldPath>,
    /// `transform.decode_json`: fields holding a JSON document as a string.
    decode_json: Vec<FieldPath>,
    /// `transform.hex_decode`: fields holding text written as hex.
    hex_decode: Vec<FieldPath>,
    /// `transform.split`: columns that take one part of their value.
    split: Vec<(Column, String, i64)>,
    /// Values that [`UNCONVERTIBLE`]'s columns could not take, by column.
    unconverted: [AtomicU64; UNCONVERTIBLE.len()],
    passthrough: bool,
    default_tier: Option<String>,
}

/// The columns whose values are converted, and may fail to be: the outcome (from any usual
/// spelling) and the source IP (an address, with a port or brackets taken off). A value that does
/// not convert is kept in `attributes.unconverted` under the column's name and counted.
/// `decode_json` counts the fields of `transform.decode_json` that held no JSON document (they
/// stay strings, where they were); `hex_decode` the values of `transform.hex_decode`, and the
/// values `format = "auditd"` writes as hex, that were no hex of UTF-8 text (they stay as
/// written).
pub const UNCONVERTIBLE: [&str; 4] = ["outcome", "src_ip", "decode_json", "hex_decode"];

/// The index of `decode_json` in [`UNCONVERTIBLE`].
const DECODE_JSON: usize = 2;

/// The index of `hex_decode` in [`UNCONVERTIBLE`].
const HEX_DECODE: usize = 3;

/// The profile's source of one column: field paths, then a fixed value.
#[derive(Debug)]
struct ColumnSource {
    column: Column,
    paths: Vec<FieldPath>,
    fixed: Option<String>,
}

impl Normalizer {
    /// Validates and compiles a profile (regexes, time formats, action rules). Errors name the
    /// key, e.g. `profiles.myapp.action.rules[2].pattern: invalid regex ...`.
    pub fn new(
        profile_name: &str,
        profile: &ProfileConfig,
    ) -> Result<Normalizer, NormalizeConfigError> {
        let key = format!("profiles.{profile_name}");
        let k = |suffix: &str| format!("{key}.{suffix}");

        // What the profile reads; the rest of a line is attributes.
        let mut base = Consumed::default();

        let time_paths = FieldPath::compile_all(&k("time.field"), profile.time.field.paths())?;
        time_paths.iter().for_each(|p| base.insert(p));
        let time = TimeParser::new(
            &k("time"),
            &profile.time.format,
            profile.time.timezone.as_deref(),
        )?
        .with_year(&k("time"), profile.time.year)?;

        let mut columns: Vec<ColumnSource> = Vec::new();
        for (column, src) in profile.fields.entries() {
            let paths =
                FieldPath::compile_all(&k(&format!("fields.{}", column.name())), src.paths())?;
            paths.iter().for_each(|p| base.insert(p));
            columns.push(ColumnSource {
                column,
                paths,
                fixed: None,
            });
        }
        for (column, v) in compile_values(&k("static"), &profile.static_values)? {
            match columns.iter_mut().find(|c| c.column == column) {
                Some(c) => c.fixed = Some(v),
                None => columns.push(ColumnSource {
                    column,
                    paths: Vec::new(),
                    fixed: Some(v),
                }),
            }
        }

        let changes = profile
            .changes
            .as_ref()
            .map(|c| ChangesSpec::compile(&k("changes"), c))
            .transpose()?;
        if let Some(c) = &changes {
            c.paths().into_iter().for_each(|p| base.insert(p));
        }

        let event_paths = match &profile.action.event_field {
            Some(src) => FieldPath::compile_all(&k("action.event_field"), src.paths())?,
            None => Vec::new(),
        };
        // The event name stays in attributes when a rule maps it (the source's own name is
        // worth keeping); a passed-through name is the action itself and is consumed.
        let base = Arc::new(base);
        let passthrough = profile.action.passthrough.then(|| {
            let mut c = Consumed::clone(&base);
            event_paths.iter().for_each(|p| c.insert(p));
            Arc::new(c)
        });
        let actions = ActionMap::compile(&k("action"), &profile.action.rules, &base, passthrough)?;
        // Without an event field, only rules of a `when` alone can choose actions.
        let by_conditions = event_paths.is_empty() && !actions.is_empty();
        if by_conditions && !actions.needs_no_name() {
            return Err(NormalizeConfigError::Invalid {
                key: k("action.event_field"),
                problem:
                    "rules of `name`, `names` or `pattern`, and passthrough, need `event_field`"
                        .to_owned(),
            });
        }

        let no_event_field = event_paths.is_empty() && !by_conditions;
        let (parser, pattern_rules) = compile_parser(&key, profile, &base, no_event_field)?;
        if no_event_field && !matches!(parser, Parser::Regex(_)) {
            return Err(NormalizeConfigError::Invalid {
                key: k("action.event_field"),
                problem: "missing: the field holding the event name is needed to choose actions"
                    .to_owned(),
            });
        }

        let ignore_lines = if profile.ignore.lines.is_empty() {
            None
        } else {
            for (i, p) in profile.ignore.lines.iter().enumerate() {
                regex::Regex::new(p).map_err(|e| NormalizeConfigError::InvalidRegex {
                    key: k(&format!("ignore.lines[{i}]")),
                    message: e.to_string(),
                })?;
            }
            Some(RegexSet::new(&profile.ignore.lines).map_err(|e| {
                NormalizeConfigError::InvalidRegex {
                    key: k("ignore.lines"),
                    message: e.to_string(),
                }
            })?)
        };
        if !profile.ignore.events.is_empty() && event_paths.is_empty() {
            return Err(NormalizeConfigError::Invalid {
                key: k("ignore.events"),
                problem: "ignoring event names needs `action.event_field`".to_owned(),
            });
        }

        let mut uncatalogued = Vec::new();
        for (i, r) in profile.action.rules.iter().enumerate() {
            if auditlake_event::lookup(&r.action).is_none() {
                uncatalogued.push((k(&format!("action.rules[{i}].action")), r.action.clone()));
            }
        }
        for (i, p) in profile.patterns.iter().enumerate() {
            if let Some(a) = p
                .action
                .as_ref()
                .filter(|a| auditlake_event::lookup(a).is_none())
            {
                uncatalogued.push((k(&format!("patterns[{i}].action")), a.clone()));
            }
        }
        if let Some(t) = &profile.default_tier
            && t.trim().is_empty()
        {
            return Err(NormalizeConfigError::Invalid {
                key: k("default_tier"),
                problem: "must name a tier".to_owned(),
            });
        }

        let records = match &profile.records {
            Some(path) if profile.format == Format::Json => {
                let p = FieldPath::compile(&k("records"), path)?;
                if p.has_selection() {
                    return Err(NormalizeConfigError::InvalidPath {
                        key: k("records"),
                        path: path.clone(),
                        problem: "the list of records is found by keys and indexes, not by a \
                                  selection `[KEY=VALUE]`",
                    });
                }
                Some(p)
            }
            Some(_) => {
                return Err(NormalizeConfigError::Invalid {
                    key: k("records"),
                    problem: "only applies to format = \"json\"".to_owned(),
                });
            }
            None => None,
        };
        let decode_json =
            FieldPath::compile_all(&k("transform.decode_json"), &profile.transform.decode_json)?;
        let hex_decode =
            FieldPath::compile_all(&k("transform.hex_decode"), &profile.transform.hex_decode)?;
        let mut split = Vec::new();
        for (i, sp) in profile.transform.split.iter().enumerate() {
            if sp.separator.is_empty() {
                return Err(NormalizeConfigError::Invalid {
                    key: k(&format!("transform.split[{i}].separator")),
                    problem: "must not be empty".to_owned(),
                });
            }
            if matches!(sp.column, Column::EventId | Column::Outcome) {
                return Err(NormalizeConfigError::Invalid {
                    key: k(&format!("transform.split[{i}].column")),
                    problem: format!("`{}` cannot be split", sp.column.name()),
                });
            }
            split.push((sp.column, sp.separator.clone(), sp.index));
        }

        check_never_matching(profile, &parser, &k)?;
        Ok(Normalizer {
            records,
            decode_json,
            hex_decode,
            split,
            uncatalogued,
            unconverted: Default::default(),
            passthrough: profile.action.passthrough,
            default_tier: profile.default_tier.clone(),
            parser,
            expand_repeated: profile.expand_repeated,
            ignore_lines,
            ignore_events: profile
                .ignore
                .events
                .iter()
                .map(|e| e.as_str().into())
                .collect(),
            ignore_when: profile
                .ignore
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| compile_all(&k(&format!("ignore.rules[{i}].when")), &r.when))
                .collect::<Result<_, _>>()?,
            time_paths,
            time,
            time_missing: profile.time.missing,
            time_invalid: profile.time.invalid,
            required: profile.required.clone(),
            event_paths,
            event_missing: profile.action.missing,
            actions,
            pattern_rules,
            changes,
            keep_attributes: profile.attributes == AttributesMode::Remaining,
            outcome_rules: compile_outcome_rules(&k("outcome_rules"), &profile.outcome_rules)?,
            missing_values: profile
                .transform
                .missing
                .iter()
                .map(|m| m.as_str().into())
                .collect(),
            lowercase: profile.transform.lowercase.clone(),
            mapped_lines: AtomicU64::new(0),
            resolved: columns.iter().map(|_| AtomicU64::new(0)).collect(),
            columns,
        })
    }

    /// Normalizes one line (without its newline). Pushes 0..n events to `out`: normally 1; 0 when
    /// the profile's `ignore` rules say the line is noise (then returns `Ok(LineOutcome::Ignored)`);
    /// n for a syslog "message repeated N times: [ ... ]" line (N events, ids made distinct by an
    /// index).
    pub fn normalize(
        &self,
        line: &str,
        ctx: &LineContext<'_>,
        out: &mut Vec<AuditEvent>,
    ) -> Result<LineOutcome, Rejection> {
        let body = line.strip_suffix('\r').unwrap_or(line);
        if body.trim_ascii().is_empty() {
            return Ok(LineOutcome::Ignored);
        }
        if let Some(set) = &self.ignore_lines
            && set.is_match(body)
        {
            return Ok(LineOutcome::Ignored);
        }
        let unwrapped;
        let mut repeated = None;
        let body = match self.expand_repeated.then(|| repeat::split(body)).flatten() {
            Some((n, s)) => {
                repeated = Some(n);
                unwrapped = s;
                unwrapped.as_str()
            }
            None => body,
        };
        if repeated == Some(0) {
            return Ok(LineOutcome::Ignored);
        }

        if let Some(records) = &self.records
            && let Some(elements) = crate::parse::records::split(body, records)?
        {
            return Ok(LineOutcome::Records(
                self.normalize_records(elements, ctx, out),
            ));
        }
        let (obj, pattern) = self.parse_decoded(body)?;
        self.map(
            obj,
            pattern,
            Whole {
                raw: line,
                index: 0,
                repeated,
            },
            ctx,
            out,
        )
    }

    /// Normalizes the elements of a line's `records` list: each is mapped as a line of its own,
    /// its `raw` the element's exact text. An element that cannot be mapped is reported with its
    /// text, and the others are kept.
    fn normalize_records(
        &self,
        elements: Vec<&str>,
        ctx: &LineContext<'_>,
        out: &mut Vec<AuditEvent>,
    ) -> RecordTally {
        let mut tally = RecordTally::default();
        for (index, text) in elements.into_iter().enumerate() {
            let mapped = self.parse_decoded(text).and_then(|(obj, pattern)| {
                self.map(
                    obj,
                    pattern,
                    Whole {
                        raw: text,
                        index: index as u32,
                        repeated: None,
                    },
                    ctx,
                    out,
                )
            });
            match mapped {
                Ok(LineOutcome::Events(n)) => tally.events += n,
                Ok(LineOutcome::Ignored) => tally.ignored += 1,
                Ok(LineOutcome::Records(t)) => {
                    tally.events += t.events;
                    tally.ignored += t.ignored;
                }
                Err(rejection) => tally.rejected.push(RejectedRecord {
                    index,
                    text: text.to_owned(),
                    rejection,
                }),
            }
        }
        tally
    }

    /// `text` parsed in the profile's format, with `transform.decode_json` applied; for a regex
    /// profile also the index of the pattern that matched.
    fn parse_decoded<'a>(
        &'a self,
        text: &'a str,
    ) -> Result<(crate::value::Obj<'a>, Option<usize>), Rejection> {
        let (mut obj, pattern) = match &self.parser {
            Parser::Auditd => {
                let (obj, notes) = crate::parse::auditd::parse(text)?;
                if notes.bad_hex > 0 {
                    self.unconverted[HEX_DECODE].fetch_add(notes.bad_hex, Ordering::Relaxed);
                }
                (obj, None)
            }
            parser => parser.parse(text)?,
        };
        self.decode(&mut obj);
        Ok((obj, pattern))
    }

    /// Whether the records of one event come as several lines that are joined before they are
    /// normalized (`format = "auditd"`): the caller passes each line through a
    /// [`Joiner`](crate::join::Joiner) and normalizes the texts it gives back.
    pub fn joins_records(&self) -> bool {
        matches!(self.parser, Parser::Auditd)
    }

    /// Decodes the fields of `transform.decode_json` that hold a JSON document as a string, so
    /// that paths reach inside, then those of `transform.hex_decode`; one that does not decode
    /// stays as it is and is counted.
    fn decode(&self, obj: &mut crate::value::Obj<'_>) {
        for path in &self.decode_json {
            let Some(slot) = path.lookup_mut(obj) else {
                continue;
            };
            let Val::Str(text) = slot else { continue };
            match crate::value::parse_json(text) {
                Ok(v @ (Val::Obj(_) | Val::Arr(_))) => {
                    let owned = v.into_owned();
                    *slot = owned;
                }
                _ => {
                    self.unconverted[DECODE_JSON].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        for path in &self.hex_decode {
            let Some(Val::Str(text)) = path.lookup_mut(obj) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            match crate::parse::auditd::decode_hex(text) {
                Some(decoded) => *text = std::borrow::Cow::Owned(decoded),
                None => {
                    self.unconverted[HEX_DECODE].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Maps the fields of one event (a line, or an element of a line's records) to an event.
    fn map(
        &self,
        obj: crate::value::Obj<'_>,
        pattern: Option<usize>,
        whole: Whole<'_>,
        ctx: &LineContext<'_>,
        out: &mut Vec<AuditEvent>,
    ) -> Result<LineOutcome, Rejection> {
        if self.ignore_when.iter().any(|conds| all_hold(conds, &obj)) {
            return Ok(LineOutcome::Ignored);
        }
        let Whole {
            raw: line,
            index: base_index,
            repeated,
        } = whole;
        // The action: a regex pattern's own, else by the event name.
        let fixed = pattern
            .and_then(|i| self.pattern_rules.get(i))
            .and_then(Option::as_ref);
        let (action, rule, consumed): (Cow<'_, str>, Option<&Rule>, &Arc<Consumed>) = match fixed {
            Some(rule) => (Cow::Borrowed(&rule.action), Some(rule), &rule.consumed),
            None if self.event_paths.is_empty() => match self.actions.resolve(None, &obj) {
                Some(Resolved::Rule(rule)) => {
                    (Cow::Borrowed(&rule.action), Some(rule), &rule.consumed)
                }
                _ => {
                    return Err(Rejection::new(
                        RejectKind::Unmapped,
                        "no action rule's `when` holds",
                    ));
                }
            },
            None => {
                let Some((path, name)) = first_of(&self.event_paths, &obj) else {
                    return match self.event_missing {
                        MissingEvent::Ignore => Ok(LineOutcome::Ignored),
                        MissingEvent::Reject => Err(Rejection::new(
                            RejectKind::MissingField,
                            format!(
                                "the event name field {} is missing",
                                list(&self.event_paths)
                            ),
                        )),
                    };
                };
                let name = match name {
                    Val::Arr(_) | Val::Obj(_) => None,
                    v => v.to_text(),
                };
                let Some(name) = name else {
                    return Err(Rejection::new(
                        RejectKind::MissingField,
                        format!(
                            "the event name field `{}` is empty or not a scalar",
                            path.as_str()
                        ),
                    ));
                };
                if self.ignore_events.contains(name.as_ref()) {
                    return Ok(LineOutcome::Ignored);
                }
                match self.actions.resolve(Some(name.as_ref()), &obj) {
                    Some(Resolved::Rule(rule)) => {
                        (Cow::Borrowed(&rule.action), Some(rule), &rule.consumed)
                    }
                    Some(Resolved::Passthrough(consumed)) => (name, None, consumed),
                    None => {
                        return Err(Rejection::unmapped(
                            &name,
                            format!(
                                "event name `{}` (field `{}`) maps to no action",
                                snippet(&name),
                                path.as_str()
                            ),
                        ));
                    }
                }
            }
        };

        let mut ev = AuditEvent {
            observed_time: Some(ctx.observed_time),
            category: match rule {
                Some(r) => r.category.clone(),
                None => auditlake_event::category_of(&action).to_owned(),
            },
            action: action.into_owned(),
            source: Arc::clone(ctx.source),
            source_offset: Some(ctx.offset),
            flags: ctx.flags,
            ..AuditEvent::default()
        };

        // Time.
        let mut time_note: Option<(&'static str, Option<String>)> = None;
        let mut local_note = None;
        ev.time = match first_of(&self.time_paths, &obj) {
            Some((path, v)) => match self.time.parse_noted(v, ctx.observed_time) {
                Ok(t) => {
                    local_note = t.note;
                    t.micros
                }
                Err(reason) => match self.time_invalid {
                    TimeFallback::Reject => {
                        return Err(Rejection::new(
                            RejectKind::BadTime,
                            format!("time field `{}`: {reason}", path.as_str()),
                        ));
                    }
                    TimeFallback::Observed => {
                        time_note = Some(("invalid", v.to_text().map(Cow::into_owned)));
                        ctx.observed_time
                    }
                },
            },
            None => match self.time_missing {
                TimeFallback::Reject => {
                    return Err(Rejection::new(
                        RejectKind::MissingTime,
                        format!(
                            "the time field {} is missing (format `{}`)",
                            list(&self.time_paths),
                            self.time.format_text()
                        ),
                    ));
                }
                TimeFallback::Observed => {
                    time_note = Some(("missing", None));
                    ctx.observed_time
                }
            },
        };

        // Columns: the profile's fields and static values, then the rule's fields and values.
        let mut draft = Draft {
            origin_id: None,
            outcome: None,
        };
        self.mapped_lines.fetch_add(1, Ordering::Relaxed);
        for (c, resolved) in self.columns.iter().zip(&self.resolved) {
            let found = self.text_of(&c.paths, &obj);
            if found.is_some() {
                resolved.fetch_add(1, Ordering::Relaxed);
            }
            let v = found.or_else(|| c.fixed.as_deref().map(Cow::Borrowed));
            if let Some(v) = v {
                draft.set(&mut ev, c.column, self.clean(c.column, v));
            }
        }
        if let Some(rule) = rule {
            for (col, paths) in &rule.fields {
                if let Some(v) = self.text_of(paths, &obj) {
                    draft.set(&mut ev, *col, self.clean(*col, v));
                }
            }
            for (col, v) in &rule.set {
                draft.set(&mut ev, *col, Cow::Borrowed(v));
            }
            if ev.reason.is_none() {
                ev.reason.clone_from(&rule.reason);
            }
        }
        for col in &self.required {
            if !draft.has(&ev, *col) {
                return Err(Rejection::new(
                    RejectKind::MissingField,
                    format!(
                        "the required column `{}` has no value{}",
                        col.name(),
                        self.column_hint(*col)
                    ),
                ));
            }
        }
        let fixed_outcome = rule.and_then(|r| r.outcome);
        let when = match fixed_outcome {
            Some(_) => None,
            None => self.outcome_rules.iter().find(|r| r.when.holds(&obj)),
        };
        if let Some(w) = when
            && ev.reason.is_none()
        {
            ev.reason.clone_from(&w.reason);
        }
        let mut unconverted: Vec<(&'static str, String)> = Vec::new();
        ev.outcome = match fixed_outcome.or(when.map(|w| w.outcome)) {
            Some(o) => o,
            None => match draft.outcome.as_deref() {
                Some(text) => Outcome::parse_loose(text).unwrap_or_else(|| {
                    unconverted.push((Column::Outcome.name(), text.to_owned()));
                    Outcome::Unknown
                }),
                None => Outcome::Unknown,
            },
        };
        if let Some(ip) = ev.src_ip.take() {
            match crate::value::ip_address(&ip) {
                Some(clean) => ev.src_ip = Some(clean.unwrap_or(ip)),
                None => unconverted.push((Column::SrcIp.name(), ip)),
            }
        }
        for (column, _) in &unconverted {
            let slot = UNCONVERTIBLE.iter().position(|c| c == column);
            if let Some(i) = slot {
                self.unconverted[i].fetch_add(1, Ordering::Relaxed);
            }
        }

        if let Some(spec) = &self.changes {
            ev.changes = spec.extract(&obj);
        }
        if self.keep_attributes {
            consumed.remaining(&obj, &mut ev.attributes);
        }
        if let Some(note) = local_note {
            ev.attributes
                .insert("time_local".to_owned(), Value::from(note.as_str()));
        }
        if let Some((kind, value)) = time_note {
            ev.attributes
                .insert("time_fallback".to_owned(), Value::from(kind));
            if let Some(v) = value {
                ev.attributes
                    .insert("time_invalid".to_owned(), Value::from(v));
            }
        }
        if let Some(n) = repeated {
            ev.attributes.insert("repeated".to_owned(), Value::from(n));
        }
        if !unconverted.is_empty() {
            let slot = ev
                .attributes
                .entry("unconverted".to_owned())
                .or_insert_with(|| Value::Object(Default::default()));
            if !slot.is_object() {
                *slot = Value::Object(Default::default());
            }
            if let Value::Object(m) = slot {
                for (column, text) in unconverted {
                    m.insert(column.to_owned(), Value::from(text));
                }
            }
        }
        if ctx.keep_raw {
            ev.raw = Some(line.to_owned());
        }

        let origin = draft.origin_id;
        let app = ctx.source.app.as_str();
        ev.event_id = match &origin {
            Some(o) => o.clone(),
            None => derive_event_id(app, ctx.fingerprint, ctx.offset, base_index),
        };
        ev.origin_id = origin;
        let copies = repeated.map_or(1, |n| repeat::copies(n, line.len()));
        let first = out.len();
        out.push(ev);
        for index in 1..copies {
            let mut copy = out[first].clone();
            copy.event_id = match &copy.origin_id {
                Some(o) => format!("{o}#{index}"),
                None => derive_event_id(app, ctx.fingerprint, ctx.offset, index),
            };
            out.push(copy);
        }
        Ok(LineOutcome::Events(copies as usize))
    }

    /// The column fields none of whose paths resolved on any line mapped so far, as
    /// `` fields.actor_email = `user.mail` ``; empty until a line was mapped. A path that never
    /// resolves is a misspelt or wrong one more often than a field the source never writes.
    pub fn never_resolved(&self) -> Vec<String> {
        if self.mapped_lines.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        self.columns
            .iter()
            .zip(&self.resolved)
            .filter(|(c, n)| !c.paths.is_empty() && n.load(Ordering::Relaxed) == 0)
            .map(|(c, _)| format!("fields.{} = {}", c.column.name(), list(&c.paths)))
            .collect()
    }

    /// The fields a line parses into, after `transform.decode_json`, as JSON: what the profile's
    /// paths address (for a `records` line, the line's own fields).
    pub fn fields(&self, line: &str) -> Result<serde_json::Map<String, Value>, Rejection> {
        let body = line.strip_suffix('\r').unwrap_or(line);
        let (obj, _) = self.parse_decoded(body)?;
        Ok(crate::value::obj_to_json(&obj))
    }

    /// How many values of each of [`UNCONVERTIBLE`]'s columns could not be converted so far
    /// (kept in `attributes.unconverted`), the columns with none left out.
    pub fn unconverted(&self) -> Vec<(&'static str, u64)> {
        UNCONVERTIBLE
            .iter()
            .zip(&self.unconverted)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The actions outside the catalog that the profile's rules and patterns map to, each with
    /// the key that names it (`profiles.p.action.rules[3].action`). Where no tier's `match` takes
    /// them, they need a default tier.
    pub fn uncatalogued_actions(&self) -> &[(String, String)] {
        &self.uncatalogued
    }

    /// Whether the profile takes well-formed event names as actions (`action.passthrough`): such
    /// names may be outside the catalog.
    pub fn passes_through(&self) -> bool {
        self.passthrough
    }

    /// The profile's `default_tier`.
    pub fn default_tier(&self) -> Option<&str> {
        self.default_tier.as_deref()
    }

    /// The text of the first of `paths` that is present, where a text of `transform.missing`
    /// counts as absent (and the next path is tried).
    fn text_of<'o>(
        &self,
        paths: &[FieldPath],
        obj: &'o crate::value::Obj<'_>,
    ) -> Option<Cow<'o, str>> {
        for p in paths {
            let Some(v) = p.lookup(obj) else { continue };
            match v.to_text() {
                Some(t) if self.missing_values.contains(t.as_ref()) => continue,
                other => return other,
            }
        }
        None
    }

    /// A column value after `transform.split` and `transform.lowercase`.
    fn clean<'v>(&self, col: Column, v: Cow<'v, str>) -> Cow<'v, str> {
        let v = match self.split.iter().find(|(c, _, _)| *c == col) {
            Some((_, sep, index)) => match split_part(&v, sep, *index) {
                Some(part) if part.len() == v.len() => v,
                Some(part) => Cow::Owned(part.to_owned()),
                None => v,
            },
            None => v,
        };
        if self.lowercase.contains(&col) && v.chars().any(char::is_uppercase) {
            Cow::Owned(v.to_lowercase())
        } else {
            v
        }
    }

    /// ` (fields.actor_id = `user.id`)`, where the column has a field.
    fn column_hint(&self, col: Column) -> String {
        match self.columns.iter().find(|c| c.column == col) {
            Some(c) if !c.paths.is_empty() => {
                format!(" (fields.{} = {})", col.name(), list(&c.paths))
            }
            _ => String::new(),
        }
    }
}

/// Part `index` of `text` split at `sep`, trimmed: from the start for 0, 1, ..., from the end for
/// -1, -2, ...; `None` where there are not that many parts.
fn split_part<'t>(text: &'t str, sep: &str, index: i64) -> Option<&'t str> {
    let part = if index >= 0 {
        text.split(sep).nth(usize::try_from(index).ok()?)
    } else {
        text.rsplit(sep)
            .nth(usize::try_from(index.unsigned_abs() - 1).ok()?)
    };
    part.map(str::trim)
}

/// `` `a` `` or `` `a` or `b` ``, for messages.
fn list(paths: &[FieldPath]) -> String {
    let mut s = String::new();
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push('`');
        s.push_str(p.as_str());
        s.push('`');
    }
    s
}

/// The parser of the profile's format, and for regex profiles the fixed rules of its patterns.
fn compile_parser(
    key: &str,
    profile: &ProfileConfig,
    base: &Arc<Consumed>,
    no_event_field: bool,
) -> Result<(Parser, Vec<Option<Rule>>), NormalizeConfigError> {
    let regex_only = |what: &str| NormalizeConfigError::Invalid {
        key: format!("{key}.{what}"),
        problem: "only applies to format = \"regex\"".to_owned(),
    };
    match profile.format {
        Format::Json | Format::Logfmt | Format::Auditd => {
            if profile.pattern.is_some() {
                return Err(regex_only("pattern"));
            }
            if !profile.patterns.is_empty() {
                return Err(regex_only("patterns"));
            }
            if profile.prefix.is_some() {
                return Err(regex_only("prefix"));
            }
            let parser = match profile.format {
                Format::Json => Parser::Json,
                Format::Logfmt => Parser::Logfmt,
                _ => Parser::Auditd,
            };
            Ok((parser, Vec::new()))
        }
        Format::Regex => {
            let single;
            let (configs, what): (&[PatternConfig], &str) =
                match (&profile.pattern, &profile.patterns[..]) {
                    (Some(p), []) => {
                        single = [PatternConfig {
                            pattern: p.clone(),
                            action: None,
                            outcome: None,
                            reason: None,
                            set: Default::default(),
                        }];
                        (&single, "pattern")
                    }
                    (None, ps) if !ps.is_empty() => (ps, "patterns"),
                    (Some(_), _) => {
                        return Err(NormalizeConfigError::Invalid {
                            key: format!("{key}.pattern"),
                            problem: "give `pattern` or `patterns`, not both".to_owned(),
                        });
                    }
                    (None, _) => {
                        return Err(NormalizeConfigError::Invalid {
                            key: format!("{key}.patterns"),
                            problem: "format = \"regex\" needs `pattern` or `patterns`".to_owned(),
                        });
                    }
                };
            let mut patterns = Vec::with_capacity(configs.len());
            let mut rules = Vec::new();
            for (i, pc) in configs.iter().enumerate() {
                let pkey = if what == "pattern" {
                    format!("{key}.pattern")
                } else {
                    format!("{key}.patterns[{i}]")
                };
                let rule = match &pc.action {
                    Some(action) => {
                        let parts = RuleParts {
                            action,
                            outcome: pc.outcome,
                            reason: pc.reason.as_deref(),
                            set: &pc.set,
                            fields: None,
                        };
                        Some(Rule::compile(&pkey, parts, base)?)
                    }
                    None if no_event_field => {
                        return Err(NormalizeConfigError::Invalid {
                            key: format!("{pkey}.action"),
                            problem:
                                "missing: give the pattern an action or set `action.event_field`"
                                    .to_owned(),
                        });
                    }
                    None => {
                        if pc.outcome.is_some()
                            || pc.reason.is_some()
                            || pc.set.entries().next().is_some()
                        {
                            return Err(NormalizeConfigError::Invalid {
                                key: pkey,
                                problem:
                                    "`outcome`, `reason` and `set` need the pattern's `action`"
                                        .to_owned(),
                            });
                        }
                        None
                    }
                };
                let pattern_key = if what == "pattern" {
                    pkey
                } else {
                    format!("{pkey}.pattern")
                };
                patterns.push(Pattern::compile(
                    &pattern_key,
                    profile.prefix.as_deref(),
                    &pc.pattern,
                )?);
                rules.push(rule);
            }
            Ok((Parser::Regex(patterns), rules))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// Load-time checks for what could never take effect, each an error naming its key: for
/// `format = "regex"`, a field path whose first key no pattern (nor the prefix) captures, the
/// usual misspelling of a capture name; for every format, an action rule of a name that
/// `ignore.events` skips.
fn check_never_matching(
    profile: &ProfileConfig,
    parser: &Parser,
    k: &dyn Fn(&str) -> String,
) -> Result<(), NormalizeConfigError> {
    if let Parser::Regex(patterns) = parser {
        let captured: std::collections::BTreeSet<&str> =
            patterns.iter().flat_map(Pattern::capture_names).collect();
        let check = |key: String, path: &str| -> Result<(), NormalizeConfigError> {
            let compiled = FieldPath::compile(&key, path)?;
            match compiled.keys().next() {
                Some(first) if !captured.contains(first) => Err(NormalizeConfigError::Invalid {
                    key,
                    problem: format!(
                        "`{first}` is captured by no pattern, so it never has a value \
                         (the patterns capture: {})",
                        captured.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                }),
                _ => Ok(()),
            }
        };
        for (column, source) in profile.fields.entries() {
            for path in source.paths() {
                check(k(&format!("fields.{}", column.name())), path)?;
            }
        }
        for path in profile.time.field.paths() {
            check(k("time.field"), path)?;
        }
        for (i, rule) in profile.action.rules.iter().enumerate() {
            for (column, source) in rule.fields.entries() {
                for path in source.paths() {
                    check(
                        k(&format!("action.rules[{i}].fields.{}", column.name())),
                        path,
                    )?;
                }
            }
            for (j, c) in rule.when.iter().flatten().enumerate() {
                check(k(&format!("action.rules[{i}].when[{j}].field")), &c.field)?;
            }
        }
        for (i, r) in profile.outcome_rules.iter().enumerate() {
            check(k(&format!("outcome_rules[{i}].when.field")), &r.when.field)?;
        }
        for (i, r) in profile.ignore.rules.iter().enumerate() {
            for (j, c) in r.when.iter().enumerate() {
                check(k(&format!("ignore.rules[{i}].when[{j}].field")), &c.field)?;
            }
        }
    }
    // Names skipped before any rule is tried (a name mapped twice is refused where rules are
    // compiled).
    for (i, rule) in profile.action.rules.iter().enumerate() {
        for name in rule.name.iter().chain(&rule.names) {
            if profile.ignore.events.iter().any(|e| e == name) {
                return Err(NormalizeConfigError::Invalid {
                    key: k(&format!("action.rules[{i}]")),
                    problem: format!(
                        "`{name}` is in `ignore.events`, so this rule never applies to it"
                    ),
                });
            }
        }
    }
    Ok(())
}

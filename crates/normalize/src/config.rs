//! The profile as a user writes it in TOML: `[profiles.NAME]` tables of the configuration file, or
//! the built-in profile files under `config/profiles/`.
//!
//! Every field's doc comment is the user's documentation of that key.

use std::fmt;

use auditlake_event::Outcome;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A profile: how to parse a source's lines and map them to audit events. Deserialized from TOML
/// (`[profiles.NAME]` tables of the user's config, or the built-in profile files).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// How a line is split into fields: `json` (one JSON object a line), `logfmt`
    /// (`key=value key="quoted value" bare_key`), `regex` (named captures of `pattern` or
    /// `patterns`) or `auditd` (Linux audit records, the records of one event joined).
    pub format: Format,
    /// For `format = "regex"`: a regex prepended to `pattern` and to every `patterns` entry, e.g.
    /// the syslog envelope `^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) sshd\[\d+\]: `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// For `format = "regex"`: the one pattern whose named captures are the line's fields. Use
    /// `patterns` for several kinds of lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// For `format = "regex"`: patterns tried in order, the first that matches wins; each may fix
    /// the action of the lines it matches. A line that no pattern matches is rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<PatternConfig>,
    /// For `format = "json"`: the path of a list whose elements are the line's events
    /// (CloudTrail's `Records`: `{"Records":[{...},{...}]}`). Each element is mapped as a line of
    /// its own, paths relative to it; its `raw` is the element's exact text, its derived id tells
    /// it from the line's others, and an element that cannot be mapped is dead-lettered alone. A
    /// line without the list is one event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// Expand syslog's `message repeated N times: [ MESSAGE ]` into N events of MESSAGE (at most
    /// 10000, and at most 16 MiB of line text in all: a 64 KiB line gives at most 256), with
    /// distinct ids and the attribute `repeated = N`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub expand_repeated: bool,
    /// Where the event time is and how it is written.
    pub time: TimeConfig,
    /// Which field feeds each column, as a field path (`user.id`, `changes.0.field`) or a list of
    /// paths of which the first present one wins.
    #[serde(default, skip_serializing_if = "ColumnFields::is_empty")]
    pub fields: ColumnFields,
    /// Fixed column values, used where the column's field (if any) is absent, e.g.
    /// `actor_type = "user"`.
    #[serde(
        default,
        rename = "static",
        skip_serializing_if = "ColumnValues::is_empty"
    )]
    pub static_values: ColumnValues,
    /// Columns without which a line is rejected (`missing_field`), e.g. `["actor_id"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<Column>,
    /// How the source's own event name becomes an action.
    #[serde(default)]
    pub action: ActionConfig,
    /// Where the before and after values of changed fields are; absent: no changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesConfig>,
    /// Lines that are noise: skipped and counted, never dead-lettered.
    #[serde(default, skip_serializing_if = "IgnoreConfig::is_empty")]
    pub ignore: IgnoreConfig,
    /// What becomes of the fields no column took: `remaining` keeps them in `attributes` (nested
    /// objects minus the leaves that columns took), `none` drops them.
    #[serde(default, skip_serializing_if = "is_default")]
    pub attributes: AttributesMode,
    /// Outcome from conditions on any field, tried in order; the first that holds gives the
    /// outcome (and its reason, unless the line has one). An action rule's or pattern's own
    /// `outcome` comes first; `fields.outcome` is read only when no condition holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome_rules: Vec<OutcomeRule>,
    /// How field values are cleaned before they become columns.
    #[serde(default, skip_serializing_if = "TransformConfig::is_empty")]
    pub transform: TransformConfig,
    /// The tier of this profile's actions that are not in the catalog (passed through, or of
    /// the profile's own making such as `billing.invoice.void`), unless a tier's `match` takes
    /// them: catalog actions follow the catalog's default tier, and nothing else may fall to the
    /// catch-all tier unnoticed. Where the configuration has more than one tier, a profile that
    /// passes names through or maps to actions outside the catalog must name it (or its source
    /// `default_tier`), or loading fails naming the action. A source's own `default_tier`
    /// overrides this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tier: Option<String>,
}

/// One condition on a field, with the outcome it gives.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// The condition, e.g. `{ field = "responseStatus.code", range = [200, 299] }`.
    pub when: Condition,
    /// The outcome when the condition holds: `success`, `failure` or `unknown`.
    pub outcome: Outcome,
    /// The reason when the condition holds, unless the line has a `reason` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A condition on one field: exactly one of `equals`, `any_of`, `range` or `pattern`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Path of the field the condition reads. A field that is absent never holds.
    pub field: String,
    /// Holds when the field's text is this (numbers and booleans in JSON spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// Holds when the field's text is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<String>,
    /// Holds when the field is a number (or a string of one) in `[low, high]`, both included:
    /// `[200, 299]` for HTTP 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    /// Holds when the field's text matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// How field values are cleaned before they become columns.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransformConfig {
    /// Strings that mean "no value" (`"null"`, `"-"`, `""`): a field holding one is absent, so the
    /// next path of a list, or the static value, is taken. Compared exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Columns whose values are lower-cased (e.g. `["actor_email"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lowercase: Vec<Column>,
    /// Columns that take one part of their value, e.g. the client of an `X-Forwarded-For` list:
    /// `{ column = "src_ip", separator = ",", index = 0 }`. Applied before `lowercase`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split: Vec<SplitConfig>,
    /// Paths of fields that hold a JSON document as a string (Azure's `properties.log`): decoded
    /// before mapping, so that paths reach inside (`properties.log.user`) and `attributes` keep
    /// the document, not the string. A field that does not decode stays a string and is counted
    /// (`decode_json` among the unconverted values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decode_json: Vec<String>,
    /// Paths of fields that hold text written as hex (auditd's untrusted strings, `616C696365`
    /// for `alice`): decoded before mapping, exactly (control characters and all). A field whose
    /// value is not hex of an even length, or whose bytes are not UTF-8, stays as it is and is
    /// counted (`hex_decode` among the unconverted values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hex_decode: Vec<String>,
}

/// One column that takes one part of its value.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    /// The column.
    pub column: Column,
    /// What separates the parts, e.g. `","`.
    pub separator: String,
    /// Which part, trimmed: 0 the first (the default), 1 the second, ..., -1 the last. A value
    /// with fewer parts is kept whole. The other parts stay in `raw`.
    #[serde(default)]
    pub index: i64,
}

impl TransformConfig {
    fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.lowercase.is_empty()
            && self.split.is_empty()
            && self.decode_json.is_empty()
            && self.hex_decode.is_empty()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// How a line is split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object a line; nested objects and arrays are reached by dotted paths.
    Json,
    /// `key=value` pairs separated by spaces; values may be double-quoted with `\"` escapes; a bare
    /// key is `true`.
    Logfmt,
    /// Linux audit daemon records (`type=USER_LOGIN msg=audit(1700000000.123:42): ...`, RAW or
    /// ENRICHED): the header, the key=value pairs, the nested `msg='...'` of user-space records
    /// (under `msg.`), quotes taken off and hex decoded; the records of one event (one serial)
    /// are joined into one event by the agent, later records under their type (`execve.a0`,
    /// `path.0.name`).
    Auditd,
    /// Named captures of a regular expression (`pattern` or `patterns`).
    Regex,
}

/// One pattern of a `format = "regex"` profile.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// The regular expression (after `prefix`); its named captures are the line's fields.
    pub pattern: String,
    /// The action of every line this pattern matches. Without it, the action comes from
    /// `action.event_field` and `action.rules`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The outcome of every line this pattern matches: `success`, `failure` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The reason of every line this pattern matches, unless the line has a `reason` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Fixed column values for the lines this pattern matches; they override fields.
    #[serde(default, skip_serializing_if = "ColumnValues::is_empty")]
    pub set: ColumnValues,
}

/// Where the event time is and how it is written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// Path of the field that holds the time, or a list of paths of which the first present wins.
    pub field: FieldSource,
    /// `rfc3339` (also accepts a space for `T` and, with `timezone`, no offset), `epoch_s`,
    /// `epoch_ms`, `epoch_us`, `epoch_ns`, `epoch_auto` (unit guessed from the magnitude), or a
    /// strftime pattern such as `%b %e %H:%M:%S`. A pattern without a year (syslog) takes `year`,
    /// else the year of the time the line was read, minus one if that would put the event more
    /// than a day in the future.
    #[serde(default = "default_time_format")]
    pub format: String,
    /// For a `format` without a year (syslog's `%b %e %H:%M:%S`): the year its times are in, for a
    /// backfill of an earlier year's files. Without it, the year the line was read, minus one if
    /// that would put the event more than a day in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// The timezone of times that carry no offset: `UTC` (the default), a fixed offset such as
    /// `+02:00`, or an IANA zone name such as `Europe/Berlin` (with its daylight saving time).
    /// A local time that happens twice (clocks go back) is read as the earlier instant; one that
    /// never happens (clocks go forward) with the offset before the gap, i.e. moved forward by
    /// the gap. Both keep their time and record `time_local = "ambiguous"` or `"nonexistent"` in
    /// attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// When the time field is absent: `reject` the line (the default), or use the time the line
    /// was `observed` and record `time_fallback = "missing"` in attributes.
    #[serde(default, skip_serializing_if = "is_default")]
    pub missing: TimeFallback,
    /// When the time field does not parse: `reject` the line (the default), or use the time the
    /// line was `observed` and record `time_fallback = "invalid"` and `time_invalid` in attributes.
    #[serde(default, skip_serializing_if = "is_default")]
    pub invalid: TimeFallback,
}

fn default_time_format() -> String {
    "rfc3339".to_owned()
}

/// What to do when the time is absent or invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeFallback {
    /// Reject the line.
    #[default]
    Reject,
    /// Use the time the line was read.
    Observed,
}

/// How the source's own event name becomes an action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionConfig {
    /// Path of the field holding the source's event name (e.g. `type`), or a list of paths of
    /// which the first present wins. It may be left out when every rule is chosen by its `when`
    /// alone (no `name`, `names` or `pattern`, no `passthrough`, no `ignore.events`): then each
    /// line is tried against the rules in order, and a line none of them takes is rejected as
    /// `unmapped` with the reason "no action rule's `when` holds".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_field: Option<FieldSource>,
    /// Take an event name that matches no rule but is already a well-formed dotted action
    /// (`authentication.login`) as the action.
    #[serde(default, skip_serializing_if = "is_false")]
    pub passthrough: bool,
    /// When the event field is absent: `reject` the line (the default) or `ignore` it (for logs
    /// that mix audit events with other lines).
    #[serde(default, skip_serializing_if = "is_default")]
    pub missing: MissingEvent,
    /// Rules from event names (and conditions on other fields) to actions. Rules of the exact
    /// `name`/`names` are looked up first (in order, the first whose `when` holds wins), then the
    /// `pattern` rules and the rules of a `when` alone, in order. An event name that no rule maps
    /// (and `passthrough` does not take) is rejected as `unmapped`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ActionRule>,
}

/// What to do with a line that has no event name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingEvent {
    /// Reject the line as `missing_field`.
    #[default]
    Reject,
    /// Skip the line as noise (counted).
    Ignore,
}

/// One rule from event names, or conditions on any fields, to an action.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRule {
    /// The exact event name this rule maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Several exact event names this rule maps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// A regular expression on the event name (use `^...$` to match it whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Conditions on any fields of the line, all of which must hold for the rule to apply (at
    /// least one), e.g. `[{ field = "operationType", equals = "CREATE" }, { field =
    /// "resourceType", equals = "USER" }]`; each is `{ field, equals | any_of | range | pattern }`
    /// as in `outcome_rules`. With `name`, `names` or `pattern`, the name must match too; alone,
    /// the rule is tried on every line, in order with the `pattern` rules. The fields stay in
    /// `attributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Vec<Condition>>,
    /// The action: dotted, lower case, from the catalog (`authentication.login`) or of the
    /// source's own making (`billing.invoice.void`).
    pub action: String,
    /// The outcome these events have, whatever the line's `outcome` field says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The reason these events have unless the line has a `reason` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Fixed column values for these events; they override fields.
    #[serde(default, skip_serializing_if = "ColumnValues::is_empty")]
    pub set: ColumnValues,
    /// Field paths for these events, used where present in place of the profile's `fields`.
    #[serde(default, skip_serializing_if = "ColumnFields::is_empty")]
    pub fields: ColumnFields,
}

/// Where the before and after values of changed fields are. `shape` says which of four forms the
/// source writes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangesConfig {
    /// A list of objects, one per changed field: `[{"field": "status", "old": 1, "new": 2}]`.
    List {
        /// Path of the list.
        path: String,
        /// Key(s) of the field name in each object; default `field`, `name`, `key`, `attribute`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field_key: Option<FieldSource>,
        /// Key(s) of the old value; default `old`, `from`, `before`, `previous`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_key: Option<FieldSource>,
        /// Key(s) of the new value; default `new`, `to`, `after`, `current`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_key: Option<FieldSource>,
    },
    /// An object keyed by field name: `{"status": {"from": "deployed", "to": "retired"}}`.
    Map {
        /// Path of the object.
        path: String,
        /// Key(s) of the old value; default `old`, `from`, `before`, `previous`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_key: Option<FieldSource>,
        /// Key(s) of the new value; default `new`, `to`, `after`, `current`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_key: Option<FieldSource>,
    },
    /// Two snapshots of the object; each key whose value differs is a change.
    BeforeAfter {
        /// Path of the object before the change.
        before: String,
        /// Path of the object after the change.
        after: String,
    },
    /// One change in three flat fields, e.g. logfmt's `field=role old=member new=admin`.
    Flat {
        /// Path of the field holding the changed field's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// The changed field's name, fixed (in place of `field`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Path of the old value.
        old: String,
        /// Path of the new value.
        new: String,
    },
}

/// Lines that are noise.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreConfig {
    /// Regular expressions on the raw line; a line that matches any is skipped before parsing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// Exact event names whose lines are skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Lines skipped by conditions on their fields, checked after parsing: a line is skipped when
    /// all conditions of any rule's `when` hold, e.g. `[[ignore.rules]] when = [{ field =
    /// "stage", equals = "ResponseStarted" }, { field = "responseStatus.code", range = [100,
    /// 399] }]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<IgnoreRule>,
}

impl IgnoreConfig {
    fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.events.is_empty() && self.rules.is_empty()
    }
}

/// Lines to skip by conditions on their fields.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// Conditions that must all hold (at least one), each `{ field, equals | any_of | range |
    /// pattern }` as in `outcome_rules`.
    pub when: Vec<Condition>,
}

/// What becomes of the fields no column took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributesMode {
    /// Keep them in `attributes`.
    #[default]
    Remaining,
    /// Drop them.
    None,
}

/// A field path, or a list of field paths of which the first present one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    /// One path.
    One(String),
    /// Paths tried in order.
    Any(Vec<String>),
}

impl FieldSource {
    /// The paths, in order.
    pub fn paths(&self) -> &[String] {
        match self {
            FieldSource::One(p) => std::slice::from_ref(p),
            FieldSource::Any(ps) => ps,
        }
    }
}

impl Serialize for FieldSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldSource::One(p) => s.serialize_str(p),
            FieldSource::Any(ps) => ps.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for FieldSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field path or a list of field paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldSource, E> {
                Ok(FieldSource::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FieldSource, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<String>()? {
                    out.push(p);
                }
                if out.is_empty() {
                    return Err(de::Error::invalid_length(0, &"at least one field path"));
                }
                Ok(FieldSource::Any(out))
            }
        }
        d.deserialize_any(V)
    }
}

macro_rules! columns {
    ($( $variant:ident $name:ident $doc:literal ),* $(,)?) => {
        /// A column of the audit event that a profile fills from a field or a fixed value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Column {
            $( #[doc = concat!("The ", $doc, ".")] $variant, )*
        }

        impl Column {
            /// Every column, in schema order.
            pub const ALL: &'static [Column] = &[$(Column::$variant),*];

            /// The column's name, as in the archive schema and in profile keys.
            pub fn name(self) -> &'static str {
                match self {
                    $( Column::$variant => stringify!($name), )*
                }
            }
        }

        /// Field paths feeding columns: a path (`user.id`) or a list of paths of which the first
        /// present one wins.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct ColumnFields {
            $(
                #[doc = concat!("Field path(s) of the ", $doc, ".")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<FieldSource>,
            )*
        }

        impl ColumnFields {
            /// The columns that have a field, in schema order.
            pub fn entries(&self) -> impl Iterator<Item = (Column, &FieldSource)> {
                [$( (Column::$variant, self.$name.as_ref()) ),*]
                    .into_iter()
                    .filter_map(|(c, s)| s.map(|s| (c, s)))
            }

            fn is_empty(&self) -> bool {
                self.entries().next().is_none()
            }
        }

        /// Fixed column values.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct ColumnValues {
            $(
                #[doc = concat!("A fixed value of the ", $doc, ".")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<String>,
            )*
        }

        impl ColumnValues {
            /// The columns that have a value, in schema order.
            pub fn entries(&self) -> impl Iterator<Item = (Column, &str)> {
                [$( (Column::$variant, self.$name.as_deref()) ),*]
                    .into_iter()
                    .filter_map(|(c, s)| s.map(|s| (c, s)))
            }

            fn is_empty(&self) -> bool {
                self.entries().next().is_none()
            }
        }
    };
}

columns! {
    EventId event_id "application's own event id, kept as both `event_id` and `origin_id`",
    Outcome outcome "outcome: success, failure or unknown, in any usual spelling (ok, denied, ...)",
    Reason reason "reason of a failure or a decision",
    Severity severity "severity or log level",
    ActorId actor_id "id of the user or service that acted",
    ActorName actor_name "name of the actor",
    ActorEmail actor_email "email of the actor",
    ActorType actor_type "kind of actor (user, service, admin, ...)",
    Tenant tenant "tenant, organisation or application the event belongs to",
    SrcIp src_ip "source IP address",
    SrcGeo src_geo "source location (country, city)",
    UserAgent user_agent "user agent or client",
    DeviceId device_id "device id",
    SessionId session_id "session id",
    AuthMethod auth_method "authentication method (password, publickey, totp, webauthn, ...)",
    CredentialId credential_id "credential id (security key, passkey, SSH key fingerprint)",
    RpId rp_id "relying party's id",
    RpName rp_name "relying party's name",
    ResourceType resource_type "type of the resource acted upon",
    ResourceId resource_id "id of the resource acted upon",
    ResourceName resource_name "name of the resource acted upon",
    Message message "message for humans",
}

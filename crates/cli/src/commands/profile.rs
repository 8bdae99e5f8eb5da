//! `auditlake profile`: list, show and try out profiles before deploying them.
//!
//! `profile test` runs lines through a profile exactly as the agent does (the same normalizer, the
//! same tier routing when given the configuration) and prints what each becomes, or with
//! `--summary` what a whole file becomes: mapped, ignored, dead-lettered by kind, the event names
//! no rule maps, the paths that never resolved, the values that did not convert.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use auditlake_agent::Config;
use auditlake_archive::TierRouter;
use auditlake_event::{AuditEvent, Flags, SourceInfo};
use auditlake_normalize::join::Joiner;
use auditlake_normalize::{LineContext, LineOutcome, Normalizer, ProfileConfig, Rejection};
use serde_json::{Map, Value, json};

/// `auditlake profile`.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub command: ProfileCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// List the built-in profiles.
    List,
    /// Print a built-in profile's TOML, to copy into a configuration and adapt.
    Show {
        /// The built-in profile.
        name: String,
    },
    /// Run lines through a profile and print what each becomes (fields, event, action,
    /// outcome, tier) or why it is dead-lettered; `--summary` for a whole file's coverage.
    Test(TestArgs),
}

/// `auditlake profile test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The profile: a `[profiles.NAME]` table of `--config`, else a built-in one.
    #[arg(long)]
    pub profile: String,
    /// The configuration whose profiles, tiers and sources' default tiers apply; without it,
    /// only built-in profiles, and tiers by the catalog's defaults.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// One line to test.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    pub line: Option<String>,
    /// A file of lines to test (`-` for standard input).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Test at most this many lines of `--file`.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Print the coverage of the lines instead of each line.
    #[arg(long)]
    pub summary: bool,
    /// Print JSON: one object a line, or one summary object.
    #[arg(long)]
    pub json: bool,
}

pub fn profile(args: ProfileArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ProfileCommand::List => {
            for name in auditlake_normalize::builtin_profile_names() {
                say!("{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        ProfileCommand::Show { name } => match auditlake_normalize::builtin_profile_text(&name) {
            Some(text) => {
                print!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            None => bail!(
                "no built-in profile {name:?}; the built-in profiles are: {}",
                auditlake_normalize::builtin_profile_names().join(", ")
            ),
        },
        ProfileCommand::Test(args) => test(args),
    }
}

/// Where the events of the profile under test go: the configuration's tiers, or the catalog's
/// default tier names.
struct Tiers {
    router: Option<TierRouter>,
    /// The source's (or profile's) default tier: an index into the router's tiers, or a name
    /// without a configuration.
    default: Option<(Option<usize>, String)>,
}

impl Tiers {
    fn of(&self, ev: &AuditEvent) -> String {
        match &self.router {
            Some(r) => {
                let default = self.default.as_ref().and_then(|(i, _)| *i);
                r.tier(r.route_with_default(&ev.category, &ev.action, default))
                    .name
                    .clone()
            }
            None => match auditlake_event::lookup(&ev.action) {
                Some(d) => d.default_tier.to_owned(),
                None => match &self.default {
                    Some((_, name)) => name.clone(),
                    None => "(the catch-all tier)".to_owned(),
                },
            },
        }
    }
}

fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let config = args.config.as_ref().map(|p| Config::load(p)).transpose()?;
    let profile: ProfileConfig = match &config {
        Some(c) => c.profile(&args.profile),
        None => auditlake_normalize::builtin_profile(&args.profile),
    }
    .with_context(|| {
        format!(
            "no profile {:?}: neither a [profiles.{}] table{} nor a built-in one ({})",
            args.profile,
            args.profile,
            if config.is_some() {
                " of the configuration"
            } else {
                " (no --config given)"
            },
            auditlake_normalize::builtin_profile_names().join(", ")
        )
    })?;
    let normalizer = Normalizer::new(&args.profile, &profile)?;
    let tiers = match &config {
        Some(c) => {
            let router = TierRouter::new(c.tiers.clone())?;
            let source = c
                .sources
                .iter()
                .enumerate()
                .find(|(_, s)| s.profile == args.profile);
            let default = match source {
                Some((i, s)) => {
                    auditlake_agent::config::source_default_tier(i, s, &normalizer, &router)
                        .map_err(anyhow::Error::msg)?
                }
                None => normalizer.default_tier().and_then(|t| router.index_of(t)),
            };
            Tiers {
                default: default.map(|i| (Some(i), router.tier(i).name.clone())),
                router: Some(router),
            }
        }
        None => Tiers {
            router: None,
            default: normalizer.default_tier().map(|t| (None, t.to_owned())),
        },
    };

    let source = Arc::new(SourceInfo {
        app: args.profile.clone(),
        file: args.file.as_ref().map(|f| f.display().to_string()),
        ..SourceInfo::default()
    });
    let observed_time = chrono::Utc::now().timestamp_micros();
    let mut summary = Summary::default();
    // `number` is the line's (or a joined event's first line's) number, `lines` how many lines.
    let mut run = |number: u64, lines: u64, offset: u64, line: &str| -> anyhow::Result<()> {
        let ctx = LineContext {
            source: &source,
            fingerprint: 0,
            offset,
            observed_time,
            keep_raw: false,
            flags: Flags::default(),
        };
        let mut events = Vec::new();
        let outcome = normalizer.normalize(line, &ctx, &mut events);
        summary.add(&outcome, &events, &tiers, lines);
        if !args.summary {
            print_line(
                number,
                offset,
                line,
                &normalizer,
                &outcome,
                &events,
                &tiers,
                args.json,
            )?;
        }
        Ok(())
    };

    match (&args.line, &args.file) {
        (Some(line), _) => run(1, 1, 0, line)?,
        (None, Some(path)) => {
            let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                let f = std::fs::File::open(path)
                    .with_context(|| format!("{}: cannot open", path.display()))?;
                Box::new(std::io::BufReader::new(f))
            };
            let mut offset = 0u64;
            let mut buf = Vec::new();
            let mut reader = reader;
            // auditd: the records of one event are joined as the agent joins them.
            let mut joiner = normalizer.joins_records().then(Joiner::new);
            let mut ready = Vec::new();
            let mut next_number = 1u64;
            for number in 1.. {
                if args.limit.is_some_and(|l| number > l) {
                    break;
                }
                buf.clear();
                let n = reader
                    .read_until(b'\n', &mut buf)
                    .with_context(|| format!("{}: cannot read", path.display()))?;
                if n == 0 {
                    break;
                }
                let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let text = String::from_utf8_lossy(bytes);
                match joiner.as_mut() {
                    Some(j) => {
                        j.push(
                            offset,
                            offset + n as u64,
                            &text,
                            Flags::default(),
                            &mut ready,
                        );
                        for r in ready.drain(..) {
                            run(next_number, r.lines as u64, r.offset, &r.text)?;
                            next_number += r.lines as u64;
                        }
                    }
                    None => run(number, 1, offset, &text)?,
                }
                offset += n as u64;
            }
            if let Some(r) = joiner.as_mut().and_then(Joiner::flush) {
                run(next_number, r.lines as u64, r.offset, &r.text)?;
            }
        }
        (None, None) => bail!("give --line or --file"),
    }
    summary.never_resolved = normalizer.never_resolved();
    summary.unconverted = normalizer
        .unconverted()
        .into_iter()
        .map(|(c, n)| (c.to_owned(), n))
        .collect();
    if args.summary {
        summary.print(&args, args.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What a file's lines became.
#[derive(Debug, Default)]
struct Summary {
    lines: u64,
    mapped: u64,
    events: u64,
    ignored: u64,
    dead_letters: BTreeMap<String, u64>,
    unmapped_names: HashMap<String, u64>,
    actions: BTreeMap<String, (u64, String)>,
    outcomes: BTreeMap<String, u64>,
    uncatalogued: BTreeMap<String, (u64, String)>,
    ids: HashSet<String>,
    duplicate_ids: u64,
    never_resolved: Vec<String>,
    unconverted: BTreeMap<String, u64>,
}

impl Summary {
    fn add(
        &mut self,
        outcome: &Result<LineOutcome, Rejection>,
        events: &[AuditEvent],
        t: &Tiers,
        lines: u64,
    ) {
        self.lines += lines;
        match outcome {
            Ok(LineOutcome::Ignored) => self.ignored += 1,
            Ok(LineOutcome::Events(_)) => self.mapped += lines,
            Ok(LineOutcome::Records(tally)) => {
                if tally.events > 0 {
                    self.mapped += 1;
                }
                self.ignored += tally.ignored as u64;
                for r in &tally.rejected {
                    self.reject(&r.rejection);
                }
            }
            Err(r) => self.reject(r),
        }
        for ev in events {
            self.events += 1;
            let tier = t.of(ev);
            let entry = self
                .actions
                .entry(ev.action.clone())
                .or_insert_with(|| (0, tier.clone()));
            entry.0 += 1;
            *self
                .outcomes
                .entry(ev.outcome.as_str().to_owned())
                .or_default() += 1;
            if auditlake_event::lookup(&ev.action).is_none() {
                self.uncatalogued
                    .entry(ev.action.clone())
                    .or_insert_with(|| (0, tier))
                    .0 += 1;
            }
            if let Some(id) = &ev.origin_id
                && !self.ids.insert(id.clone())
            {
                self.duplicate_ids += 1;
            }
        }
    }

    fn reject(&mut self, r: &Rejection) {
        *self
            .dead_letters
            .entry(r.kind.as_str().to_owned())
            .or_default() += 1;
        if let Some(name) = &r.event_name {
            *self.unmapped_names.entry(name.clone()).or_default() += 1;
        }
    }

    /// The most frequent unmapped event names, most frequent first.
    fn top_unmapped(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self
            .unmapped_names
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(20);
        v
    }

    fn print(&self, args: &TestArgs, as_json: bool) -> anyhow::Result<()> {
        let dead: u64 = self.dead_letters.values().sum();
        if as_json {
            let doc = json!({
                "profile": args.profile,
                "lines": self.lines,
                "mapped": self.mapped,
                "events": self.events,
                "ignored": self.ignored,
                "dead_letters": dead,
                "dead_letters_by_kind": self.dead_letters,
                "top_unmapped_event_names": self.top_unmapped().into_iter().map(|(n, c)| json!({"name": n, "lines": c})).collect::<Vec<_>>(),
                "actions": self.actions.iter().map(|(a, (n, t))| json!({"action": a, "events": n, "tier": t})).collect::<Vec<_>>(),
                "outcomes": self.outcomes,
                "actions_not_in_catalog": self.uncatalogued.iter().map(|(a, (n, t))| json!({"action": a, "events": n, "tier": t})).collect::<Vec<_>>(),
                "never_resolved": self.never_resolved,
                "unconverted": self.unconverted,
                "duplicate_event_ids": self.duplicate_ids,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
            return Ok(());
        }
        let what = match &args.file {
            Some(f) => f.display().to_string(),
            None => "--line".to_owned(),
        };
        say!(
            "{what} through profile {}: {} lines",
            args.profile,
            self.lines
        );
        say!(
            "  mapped        {} lines, {} events",
            self.mapped,
            self.events
        );
        say!("  ignored       {}", self.ignored);
        say!(
            "  dead letters  {}{}",
            dead,
            if self.dead_letters.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    join_counts(self.dead_letters.iter().map(|(k, n)| (k.as_str(), *n)))
                )
            }
        );
        let top = self.top_unmapped();
        if !top.is_empty() {
            say!(
                "  top unmapped event names: {}",
                join_counts(top.into_iter())
            );
        }
        if !self.actions.is_empty() {
            say!("  actions (events, tier):");
            for (a, (n, t)) in &self.actions {
                say!("    {a:<40} {n:>8}  {t}");
            }
        }
        if !self.outcomes.is_empty() {
            say!(
                "  outcomes: {}",
                join_counts(self.outcomes.iter().map(|(k, n)| (k.as_str(), *n)))
            );
        }
        if !self.uncatalogued.is_empty() {
            say!(
                "  actions not in the catalog: {}",
                self.uncatalogued
                    .iter()
                    .map(|(a, (n, t))| format!("{a} -> {t} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !self.never_resolved.is_empty() {
            say!(
                "  mapped paths that never resolved: {}",
                self.never_resolved.join(", ")
            );
        }
        if !self.unconverted.is_empty() {
            say!(
                "  values that could not be converted (kept in attributes.unconverted): {}",
                join_counts(self.unconverted.iter().map(|(k, n)| (k.as_str(), *n)))
            );
        }
        if self.duplicate_ids > 0 {
            say!(
                "  {} events reuse an event id seen before (is `fields.event_id` unique?)",
                self.duplicate_ids
            );
        }
        Ok(())
    }
}

fn join_counts<'a>(items: impl Iterator<Item = (&'a str, u64)>) -> String {
    items
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line's result, for people or as JSON.
#[allow(clippy::too_many_arguments)]
fn print_line(
    number: u64,
    offset: u64,
    line: &str,
    normalizer: &Normalizer,
    outcome: &Result<LineOutcome, Rejection>,
    events: &[AuditEvent],
    tiers: &Tiers,
    as_json: bool,
) -> anyhow::Result<()> {
    let fields = normalizer.fields(line).ok();
    let dead: Vec<(Option<usize>, &Rejection)> = match outcome {
        Err(r) => vec![(None, r)],
        Ok(LineOutcome::Records(t)) => t
            .rejected
            .iter()
            .map(|r| (Some(r.index), &r.rejection))
            .collect(),
        Ok(_) => Vec::new(),
    };
    let result = match outcome {
        Ok(LineOutcome::Ignored) => "ignored",
        Err(_) => "dead_letter",
        Ok(_) if events.is_empty() && !dead.is_empty() => "dead_letter",
        Ok(LineOutcome::Records(t)) if events.is_empty() && t.ignored > 0 => "ignored",
        Ok(_) => "mapped",
    };
    if as_json {
        let doc = json!({
            "line": number,
            "offset": offset,
            "result": result,
            "fields": fields,
            "events": events.iter().map(|e| event_json(e, &tiers.of(e))).collect::<Vec<_>>(),
            "dead_letters": dead.iter().map(|(i, r)| json!({"record": i, "kind": r.kind.as_str(), "reason": r.reason})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string(&doc)?);
        return Ok(());
    }
    let lines = line.split('\n').count();
    let head = if lines > 1 {
        format!(
            "lines {number}-{} (byte {offset})",
            number + lines as u64 - 1
        )
    } else {
        format!("line {number} (byte {offset})")
    };
    match outcome {
        Ok(LineOutcome::Ignored) => {
            say!("{head}: ignored (noise by the profile's ignore rules, or blank)");
            return Ok(());
        }
        Err(r) => say!("{head}: dead letter ({}): {}", r.kind, r.reason),
        Ok(_) => say!(
            "{head}: {} event{}",
            events.len(),
            if events.len() == 1 { "" } else { "s" }
        ),
    }
    if let Some(f) = &fields {
        say!("  fields      {}", Value::Object(f.clone()));
    }
    for (i, r) in dead.iter().filter_map(|(i, r)| i.map(|i| (i, r))) {
        say!("  record {i}: dead letter ({}): {}", r.kind, r.reason);
    }
    for ev in events {
        let tier = tiers.of(ev);
        say!(
            "  event       {}  {}  {}  tier {}",
            ev.datetime()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            ev.action,
            ev.outcome.as_str(),
            tier
        );
        let doc = event_json(ev, &tier);
        let cols: Vec<String> = doc
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "time" | "action" | "outcome" | "tier" | "attributes" | "changes"
                )
            })
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        say!("  columns     {}", cols.join("  "));
        if !ev.changes.is_empty() {
            say!("  changes     {}", doc["changes"]);
        }
        if !ev.attributes.is_empty() {
            say!("  attributes  {}", Value::Object(ev.attributes.clone()));
        }
    }
    Ok(())
}

/// The event's set columns as JSON, with its tier.
fn event_json(ev: &AuditEvent, tier: &str) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::from(v));
        }
    };
    let time = ev
        .datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    put("time", Some(&time));
    put("event_id", Some(&ev.event_id));
    put("category", Some(&ev.category));
    put("action", Some(&ev.action));
    put("outcome", Some(ev.outcome.as_str()));
    put("tier", Some(tier));
    put("reason", ev.reason.as_deref());
    put("severity", ev.severity.as_deref());
    put("actor_id", ev.actor_id.as_deref());
    put("actor_name", ev.actor_name.as_deref());
    put("actor_email", ev.actor_email.as_deref());
    put("actor_type", ev.actor_type.as_deref());
    put("tenant", ev.tenant.as_deref());
    put("src_ip", ev.src_ip.as_deref());
    put("src_geo", ev.src_geo.as_deref());
    put("user_agent", ev.user_agent.as_deref());
    put("device_id", ev.device_id.as_deref());
    put("session_id", ev.session_id.as_deref());
    put("auth_method", ev.auth_method.as_deref());
    put("credential_id", ev.credential_id.as_deref());
    put("rp_id", ev.rp_id.as_deref());
    put("rp_name", ev.rp_name.as_deref());
    put("resource_type", ev.resource_type.as_deref());
    put("resource_id", ev.resource_id.as_deref());
    put("resource_name", ev.resource_name.as_deref());
    put("message", ev.message.as_deref());
    if !ev.changes.is_empty() {
        m.insert(
            "changes".to_owned(),
            Value::Array(
                ev.changes
                    .iter()
                    .map(|c| json!({"field": c.field, "old": c.old, "new": c.new}))
                    .collect(),
            ),
        );
    }
    if !ev.attributes.is_empty() {
        m.insert(
            "attributes".to_owned(),
            Value::Object(ev.attributes.clone()),
        );
    }
    m
}

//! The configuration file: one TOML document, assembled from the sections each crate owns.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use auditlake_archive::TierConfig;
use auditlake_normalize::ProfileConfig;
use serde::{Deserialize, Serialize};

use crate::AgentError;

/// The version of the configuration format this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The configuration format's version; only `1` exists.
    #[serde(default = "default_version")]
    pub version: u32,
    /// The agent's own settings.
    #[serde(default)]
    pub agent: AgentConfig,
    /// Where the archive lives.
    pub archive: auditlake_storage::StoreConfig,
    /// The log files to read, one entry per application log.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Retention tiers, in routing order; the last one, without `match`, catches the rest.
    pub tiers: Vec<TierConfig>,
    /// Profiles of the user's own, by name, beside the built-in ones.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    /// How digests are signed and how often they are written (`[digest]`).
    #[serde(default)]
    pub digest: Option<auditlake_archive::DigestConfig>,
    /// How the retention job deletes (`[retention]`).
    #[serde(default)]
    pub retention: Option<auditlake_jobs::RetentionConfig>,
    /// How `auditlake erase` treats a subject's events (`[erasure]`).
    #[serde(default)]
    pub erasure: Option<auditlake_jobs::erasure::ErasureConfig>,
    /// How `auditlake compact` writes the objects it makes (`[compaction]`).
    #[serde(default)]
    pub compaction: Option<CompactionConfig>,
    /// Activity alert rules and their webhooks (`[alerts]`).
    #[serde(default)]
    pub alerts: Option<crate::alerts::AlertsConfig>,
    /// The console and API of `auditlake serve` (`[serve]`).
    #[serde(default)]
    pub serve: Option<auditlake_serve::ServeConfig>,
    /// Who is who (`[identity]`): people of several ids, configured and learned, for
    /// `auditlake serve` and `report --by-person`.
    #[serde(default)]
    pub identity: Option<auditlake_serve::IdentityConfig>,
}

fn default_version() -> u32 {
    CONFIG_VERSION
}

/// `[agent]`: the sidecar's state, batching and limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Directory for checkpoints, the spool and dead letters. Must survive restarts (a volume).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// A line is in the store within this many seconds plus the upload time.
    #[serde(default = "default_flush_interval_secs")]
    pub flush_interval_secs: u64,
    /// A batch is flushed when it holds this many events.
    #[serde(default = "default_batch_max_events")]
    pub batch_max_events: usize,
    /// A batch is flushed when its events take about this many bytes of memory.
    #[serde(default = "default_batch_max_bytes")]
    pub batch_max_bytes: usize,
    /// When the spool holds this many bytes (the store is down or slow), reading pauses.
    #[serde(default = "default_spool_max_bytes")]
    pub spool_max_bytes: u64,
    /// Rows per Parquet row group.
    #[serde(default = "default_row_group_rows")]
    pub row_group_rows: usize,
    /// The zstd level of archive objects (1-22).
    #[serde(default = "default_zstd_level")]
    pub zstd_level: i32,
    /// Address of the HTTP endpoint serving `/metrics`, `/healthz` and `/readyz`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Seconds allowed after SIGTERM to flush, upload and checkpoint before exiting.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// How often files are polled for growth and globs re-scanned, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// What to do when a source's checkpoint file is damaged: `fail` (the default: refuse to
    /// start and name the file), `reread` (move it aside and read every file again from the
    /// start: nothing is lost, events already archived are archived again with the same ids), or
    /// `skip_to_end` (move it aside and start at the files' ends: nothing is doubled, lines
    /// written since the last checkpoint are lost).
    #[serde(default)]
    pub on_corrupt_checkpoint: CorruptCheckpointPolicy,
}

/// `[compaction]`: how `auditlake compact` writes its objects.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompactionConfig {
    /// The zstd level of compacted objects (1-22). Higher than the agent's: an object is
    /// compacted once and kept for its tier's retention, so bytes matter more than the job's
    /// CPU time (on the bench archive, level 9 writes 11 % fewer bytes than 3 in 1.7x the time).
    #[serde(default = "default_compaction_zstd_level")]
    pub zstd_level: i32,
}

fn default_compaction_zstd_level() -> i32 {
    9
}

impl Default for CompactionConfig {
    fn default() -> Self {
        CompactionConfig {
            zstd_level: default_compaction_zstd_level(),
        }
    }
}

/// What the agent does with a damaged checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorruptCheckpointPolicy {
    #[default]
    Fail,
    Reread,
    SkipToEnd,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("./state")
}
fn default_flush_interval_secs() -> u64 {
    60
}
fn default_batch_max_events() -> usize {
    200_000
}
fn default_batch_max_bytes() -> usize {
    12 * 1024 * 1024
}
fn default_spool_max_bytes() -> u64 {
    1024 * 1024 * 1024
}
fn default_row_group_rows() -> usize {
    65_536
}
fn default_zstd_level() -> i32 {
    3
}
fn default_listen() -> String {
    "127.0.0.1:9464".to_string()
}
fn default_shutdown_grace_secs() -> u64 {
    20
}
fn default_poll_interval_ms() -> u64 {
    250
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            state_dir: default_state_dir(),
            flush_interval_secs: default_flush_interval_secs(),
            batch_max_events: default_batch_max_events(),
            batch_max_bytes: default_batch_max_bytes(),
            spool_max_bytes: default_spool_max_bytes(),
            row_group_rows: default_row_group_rows(),
            zstd_level: default_zstd_level(),
            listen: default_listen(),
            shutdown_grace_secs: default_shutdown_grace_secs(),
            poll_interval_ms: default_poll_interval_ms(),
            on_corrupt_checkpoint: CorruptCheckpointPolicy::default(),
        }
    }
}

/// Where reading starts in a file seen for the first time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartAt {
    /// Read the whole file.
    #[default]
    Beginning,
    /// Read only what is written from now on.
    End,
}

/// `[[sources]]`: one application's log files.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The source's name: the `source` column and part of each object's key.
    pub name: String,
    /// Glob patterns of the files to read (`/var/log/app/*.jsonl`).
    pub paths: Vec<String>,
    /// Glob patterns of files to skip (`*.gz`); without a `/` they match the file name.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// A built-in profile name or a `[profiles.NAME]` table of this file.
    pub profile: String,
    /// Where reading starts in files seen for the first time.
    #[serde(default)]
    pub start_at: StartAt,
    /// Keep the original line in the `raw` column.
    #[serde(default = "default_true")]
    pub keep_raw: bool,
    /// Lines longer than this are cut and flagged `truncated`.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: usize,
    /// How far an event's time may be from the time its line was read before it is flagged
    /// `time_out_of_range`, and what then becomes of it (`[sources.time_window]`).
    #[serde(default)]
    pub time_window: crate::time_window::TimeWindowConfig,
    /// The tier of this source's actions that are not in the catalog and that no tier's `match`
    /// takes; overrides the profile's `default_tier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tier: Option<String>,
}

fn default_true() -> bool {
    true
}
fn default_max_line_bytes() -> usize {
    64 * 1024
}

impl Config {
    /// Reads, parses and validates a configuration file. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<Config, AgentError> {
        let text = std::fs::read_to_string(path).map_err(|e| AgentError::Config {
            path: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(&text).map_err(|message| AgentError::Config {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and validates configuration text. The error names the key that is wrong.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what parsing cannot: no file system, network or credentials are touched.
    pub fn validate(&self) -> Result<(), String> {
        if self.version != CONFIG_VERSION {
            return Err(format!(
                "version: this build reads configuration version {CONFIG_VERSION}, not {}",
                self.version
            ));
        }
        let a = &self.agent;
        if a.flush_interval_secs == 0 {
            return Err("agent.flush_interval_secs: must be at least 1".into());
        }
        if a.batch_max_events == 0 {
            return Err("agent.batch_max_events: must be at least 1".into());
        }
        if a.batch_max_bytes < 1024 * 1024 {
            return Err("agent.batch_max_bytes: must be at least 1 MiB".into());
        }
        if a.row_group_rows < 1024 {
            return Err("agent.row_group_rows: must be at least 1024".into());
        }
        if !(1..=22).contains(&a.zstd_level) {
            return Err("agent.zstd_level: must be between 1 and 22".into());
        }
        if a.spool_max_bytes < 1024 * 1024 {
            return Err("agent.spool_max_bytes: must be at least 1 MiB".into());
        }
        if a.poll_interval_ms == 0 {
            return Err("agent.poll_interval_ms: must be at least 1".into());
        }
        if a.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "agent.listen: {:?} is not an address such as 127.0.0.1:9464",
                a.listen
            ));
        }
        if self.archive.url.trim().is_empty() {
            return Err("archive.url: must not be empty".into());
        }
        if self.archive.url.starts_with("s3://") {
            if let Some(s3) = &self.archive.s3 {
                s3.validate().map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })?;
            }
        } else if self.archive.s3.is_some() {
            return Err("archive.s3: only applies to s3:// urls".into());
        }
        auditlake_archive::validate_tiers(&self.tiers).map_err(|e| e.to_string())?;
        if let Some(d) = &self.digest {
            d.validate().map_err(|e| e.to_string())?;
        }
        if let Some(r) = &self.retention {
            r.validate().map_err(|e| e.to_string())?;
        }
        if let Some(e) = &self.erasure {
            e.validate().map_err(|e| e.to_string())?;
        }
        if let Some(c) = &self.compaction
            && !(1..=22).contains(&c.zstd_level)
        {
            return Err("compaction.zstd_level: must be between 1 and 22".into());
        }
        if let Some(a) = &self.alerts {
            a.validate()?;
        }
        if let Some(i) = &self.identity {
            i.validate()?;
        }
        if let Some(s) = &self.serve {
            s.validate()?;
            if !auditlake_archive::layout::is_valid_name(&s.access_source) {
                return Err(format!(
                    "serve.access_source: {:?} must be lower case letters, digits, '_' or '-'",
                    s.access_source
                ));
            }
        }
        let mut names = HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let key = |field: &str| format!("sources[{i}].{field}");
            if !auditlake_archive::layout::is_valid_name(&s.name) {
                return Err(format!(
                    "{}: {:?} must be lower case letters, digits, '_' or '-'",
                    key("name"),
                    s.name
                ));
            }
            if !names.insert(s.name.as_str()) {
                return Err(format!("{}: {:?} is used twice", key("name"), s.name));
            }
            if s.paths.is_empty() {
                return Err(format!("{}: needs at least one pattern", key("paths")));
            }
            auditlake_tail::FileGlobs::new(&s.paths, &s.exclude)
                .map_err(|e| format!("{}: {e}", key("paths")))?;
            if s.max_line_bytes < 256 {
                return Err(format!("{}: must be at least 256", key("max_line_bytes")));
            }
            s.time_window.validate(&key("time_window"))?;
            if !self.profiles.contains_key(&s.profile)
                && auditlake_normalize::builtin_profile(&s.profile).is_none()
            {
                return Err(format!(
                    "{}: no profile {:?}: neither a [profiles.{}] table nor a built-in one ({})",
                    key("profile"),
                    s.profile,
                    s.profile,
                    auditlake_normalize::builtin_profile_names().join(", ")
                ));
            }
        }
        for (name, profile) in &self.profiles {
            auditlake_normalize::Normalizer::new(name, profile).map_err(|e| e.to_string())?;
        }
        let router =
            auditlake_archive::TierRouter::new(self.tiers.clone()).map_err(|e| e.to_string())?;
        for (i, s) in self.sources.iter().enumerate() {
            let Some(profile) = self.profile(&s.profile) else {
                continue;
            };
            let normalizer = auditlake_normalize::Normalizer::new(&s.profile, &profile)
                .map_err(|e| e.to_string())?;
            source_default_tier(i, s, &normalizer, &router)?;
        }
        Ok(())
    }

    /// The configuration as the agent and the jobs use it: the optional sections that have
    /// defaults (`[digest]`, `[retention]`, `[erasure]`, `[compaction]`, and `[archive.s3]` for
    /// an `s3://` url) filled in with them. `[alerts]` stays absent when absent: no alerts are evaluated.
    pub fn resolved(&self) -> Config {
        let mut c = self.clone();
        c.digest.get_or_insert_with(Default::default);
        c.retention.get_or_insert_with(Default::default);
        c.erasure.get_or_insert_with(Default::default);
        c.compaction.get_or_insert_with(Default::default);
        if c.archive.url.starts_with("s3://") {
            c.archive.s3.get_or_insert_with(Default::default);
        }
        c
    }

    /// The [`Config::resolved`] configuration as TOML, every key with its value or default, and
    /// every secret (webhook header values) as `**redacted**`. Keys that are unset and have no
    /// default are left out.
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(&self.resolved()).map_err(|e| e.to_string())
    }

    /// The profile a source names: its own `[profiles.NAME]` table, else the built-in one.
    pub fn profile(&self, name: &str) -> Option<ProfileConfig> {
        self.profiles
            .get(name)
            .cloned()
            .or_else(|| auditlake_normalize::builtin_profile(name))
    }
}

/// The tier index of `sources[i]`'s actions that neither a tier's `match` nor the catalog
/// places: the source's `default_tier`, else its profile's. Where the configuration has several
/// tiers, a profile whose actions may be outside the catalog (passed through, or its rules' own)
/// must name one, so that no such action falls to the catch-all unnoticed; the error names the
/// action and the key. With one tier, everything lands in it and a profile's default is moot.
pub fn source_default_tier(
    i: usize,
    s: &SourceConfig,
    normalizer: &auditlake_normalize::Normalizer,
    router: &auditlake_archive::TierRouter,
) -> Result<Option<usize>, String> {
    let tiers = router.tiers();
    let names = || {
        tiers
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let catch_all = &tiers[tiers.len() - 1].name;
    if let Some(t) = &s.default_tier {
        return match router.index_of(t) {
            Some(idx) => Ok(Some(idx)),
            None => Err(format!(
                "sources[{i}].default_tier: no tier named {t:?} (the tiers are: {})",
                names()
            )),
        };
    }
    if tiers.len() == 1 {
        return Ok(None);
    }
    if let Some(t) = normalizer.default_tier() {
        return match router.index_of(t) {
            Some(idx) => Ok(Some(idx)),
            None => Err(format!(
                "profiles.{}.default_tier: no tier named {t:?} (the tiers are: {}); set \
                 `default_tier` on sources[{i}] ({}) to one of them",
                s.profile,
                names(),
                s.name
            )),
        };
    }
    for (key, action) in normalizer.uncatalogued_actions() {
        let category = auditlake_event::category_of(action);
        if router.matched(category, action).is_none() {
            return Err(format!(
                "{key}: action `{action}` (source {}) is not in the catalog and no tier's `match` \
                 takes it, so it would land in the catch-all tier {catch_all:?} unnoticed: set \
                 `default_tier` on the profile or on sources[{i}], or list it in a tier's \
                 `match.actions`",
                s.name
            ));
        }
    }
    if normalizer.passes_through() {
        return Err(format!(
            "profiles.{}.action.passthrough: source {} takes event names as actions, which may be \
             outside the catalog and would then land in the catch-all tier {catch_all:?} \
             unnoticed: set `default_tier` on the profile or on sources[{i}]",
            s.profile, s.name
        ));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[archive]
url = "./archive"

[[sources]]
name = "idp"
paths = ["/var/log/app/*.jsonl"]
profile = "idp-json"

[[tiers]]
name = "standard"
retention_days = 365
"#;

    #[test]
    fn minimal_config_loads_with_defaults() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.agent.flush_interval_secs, 60);
        assert_eq!(c.sources[0].start_at, StartAt::Beginning);
        assert!(c.sources[0].keep_raw);
    }

    #[test]
    fn compaction_zstd_level_defaults_to_9_and_is_checked() {
        let c = Config::parse(MINIMAL).unwrap().resolved();
        assert_eq!(c.compaction.unwrap().zstd_level, 9);
        let c = Config::parse(&format!("{MINIMAL}\n[compaction]\nzstd_level = 19\n")).unwrap();
        assert_eq!(c.compaction.unwrap().zstd_level, 19);
        for bad in ["0", "23"] {
            let err = Config::parse(&format!("{MINIMAL}\n[compaction]\nzstd_level = {bad}\n"))
                .unwrap_err();
            assert!(err.contains("compaction.zstd_level"), "{err}");
        }
        let err = Config::parse(&format!("{MINIMAL}\n[compaction]\nzstd = 9\n")).unwrap_err();
        assert!(err.contains("zstd"), "{err}");
    }

    #[test]
    fn misspelt_key_is_named() {
        let text = MINIMAL.replace("[archive]", "[agent]\nflush_intervl_secs = 5\n[archive]");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("flush_intervl_secs"), "{err}");
    }

    /// Two tiers and a profile of the application's own actions, for the default-tier rule.
    const TWO_TIERS: &str = r#"
[archive]
url = "./archive"

[[sources]]
name = "okta"
paths = ["/var/log/okta/*.jsonl"]
profile = "vendor"

[profiles.vendor]
format = "json"
time = { field = "published" }
action = { event_field = "eventType", passthrough = true }

[[tiers]]
name = "security"
retention_days = 2555
match = { categories = ["authentication"] }

[[tiers]]
name = "standard"
retention_days = 365
"#;

    #[test]
    fn passthrough_without_a_default_tier_is_refused_where_there_are_several_tiers() {
        // Okta's `user.authentication.verify` would pass through as category `user` into the
        // catch-all's one year: loading fails instead, naming the key.
        let err = Config::parse(TWO_TIERS).unwrap_err();
        assert!(
            err.starts_with("profiles.vendor.action.passthrough: source okta"),
            "{err}"
        );
        assert!(err.contains("default_tier"), "{err}");
        // A default tier on the profile or on the source settles it.
        let on_profile = TWO_TIERS.replace(
            "format = \"json\"\n",
            "format = \"json\"\ndefault_tier = \"security\"\n",
        );
        Config::parse(&on_profile).unwrap();
        let on_source = TWO_TIERS.replace(
            "profile = \"vendor\"",
            "profile = \"vendor\"\ndefault_tier = \"security\"",
        );
        Config::parse(&on_source).unwrap();
        // With one tier there is nowhere else to go.
        let one_tier = TWO_TIERS.replace(
            "[[tiers]]\nname = \"security\"\nretention_days = 2555\nmatch = { categories = [\"authentication\"] }\n",
            "",
        );
        Config::parse(&one_tier).unwrap();
    }

    #[test]
    fn a_default_tier_that_names_no_tier_is_refused() {
        let bad = TWO_TIERS.replace(
            "profile = \"vendor\"",
            "profile = \"vendor\"\ndefault_tier = \"securty\"",
        );
        let err = Config::parse(&bad).unwrap_err();
        assert_eq!(
            err,
            "sources[0].default_tier: no tier named \"securty\" (the tiers are: security, standard)"
        );
        let bad = TWO_TIERS.replace(
            "format = \"json\"\n",
            "format = \"json\"\ndefault_tier = \"gold\"\n",
        );
        let err = Config::parse(&bad).unwrap_err();
        assert!(
            err.starts_with("profiles.vendor.default_tier: no tier named \"gold\""),
            "{err}"
        );
    }

    #[test]
    fn an_uncatalogued_rule_action_needs_a_tier() {
        let custom = TWO_TIERS.replace(
            "action = { event_field = \"eventType\", passthrough = true }",
            "action = { event_field = \"eventType\", rules = [{ name = \"a\", action = \"authentication.login\" }, { name = \"b\", action = \"billing.invoice.void\" }] }",
        );
        let err = Config::parse(&custom).unwrap_err();
        assert!(
            err.starts_with(
                "profiles.vendor.action.rules[1].action: action `billing.invoice.void` (source okta) is not in the catalog"
            ),
            "{err}"
        );
        // A tier's match that takes it is as good as a default.
        let matched = custom.replace(
            "match = { categories = [\"authentication\"] }",
            "match = { categories = [\"authentication\"], actions = [\"billing.*\"] }",
        );
        Config::parse(&matched).unwrap();
    }

    #[test]
    fn unknown_profile_is_named() {
        let text = MINIMAL.replace("idp-json", "nope");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("sources[0].profile"), "{err}");
    }

    #[test]
    fn duplicate_source_is_named() {
        let dup = MINIMAL.replace(
            "[[tiers]]",
            "[[sources]]\nname = \"idp\"\npaths = [\"x\"]\nprofile = \"idp-json\"\n\n[[tiers]]",
        );
        let err = Config::parse(&dup).unwrap_err();
        assert!(err.contains("sources[1].name"), "{err}");
    }

    #[test]
    fn erasure_section_names_unknown_keys() {
        let text = format!("{MINIMAL}\n[erasure]\nmode = \"pseudonymize\"\n");
        let c = Config::parse(&text).unwrap();
        assert_eq!(
            c.erasure.unwrap().mode,
            auditlake_jobs::erasure::ErasureMode::Pseudonymize
        );
        let bad = format!("{MINIMAL}\n[erasure]\npseudonym_key = \"x\"\n");
        let err = Config::parse(&bad).unwrap_err();
        assert!(err.contains("pseudonym_key"), "{err}");
    }

    #[test]
    fn identity_is_learned_by_default_and_names_its_keys() {
        let text = format!(
            "{MINIMAL}\n[identity]\nlearn_sources = [\"idp\"]\n\n[[identity.people]]\nname = \"Alice\"\nids = [\"u-1\", \"alice\"]\n"
        );
        let c = Config::parse(&text).unwrap();
        let i = c.identity.unwrap();
        assert!(i.learn);
        assert_eq!(i.learn_sources, vec!["idp"]);
        assert_eq!(i.people[0].ids, vec!["u-1", "alice"]);
        let err = Config::parse(&text.replace("\"alice\"]", "\"\"]")).unwrap_err();
        assert!(err.contains("identity.people[0].ids"), "{err}");
        let err = Config::parse(&text.replace("learn_sources", "learn_source")).unwrap_err();
        assert!(err.contains("learn_source"), "{err}");
    }

    #[test]
    fn time_window_defaults_and_names_its_keys() {
        use crate::time_window::OutOfRangePolicy;
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.sources[0].time_window.policy, OutOfRangePolicy::Keep);
        assert_eq!(c.sources[0].time_window.max_behind_days, 30);
        let text = MINIMAL.replace(
            "[[tiers]]",
            "[sources.time_window]\npolicy = \"observed\"\nmax_ahead_secs = 60\n\n[[tiers]]",
        );
        let c = Config::parse(&text).unwrap();
        assert_eq!(c.sources[0].time_window.policy, OutOfRangePolicy::Observed);
        assert_eq!(c.sources[0].time_window.max_ahead_secs, 60);
        let typo = text.replace("max_ahead_secs", "max_ahead_seconds");
        let err = Config::parse(&typo).unwrap_err();
        assert!(err.contains("max_ahead_seconds"), "{err}");
        let zero = text.replace("max_ahead_secs = 60", "max_behind_days = 0");
        let err = Config::parse(&zero).unwrap_err();
        assert!(
            err.contains("sources[0].time_window.max_behind_days"),
            "{err}"
        );
    }

    #[test]
    fn bad_listen_is_named() {
        let text = MINIMAL.replace("[archive]", "[agent]\nlisten = \"nowhere\"\n[archive]");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("agent.listen"), "{err}");
    }
    #[test]
    fn resolved_toml_has_defaults_and_redacts_header_values() {
        let text = format!(
            "{MINIMAL}\n[alerts]\n[[alerts.webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\ntoken_env = \"HOOK_TOKEN\"\nheaders = {{ x-api-key = \"s3cr3t-header\" }}\n"
        );
        let c = Config::parse(&text).unwrap();
        let printed = c.to_toml().unwrap();
        assert!(!printed.contains("s3cr3t-header"), "{printed}");
        assert!(printed.contains("**redacted**"), "{printed}");
        for key in [
            "flush_interval_secs = 60",
            "digest_interval_secs = 3600",
            "delete_batch = 1000",
            "max_attempts = 5",
            "on_corrupt_checkpoint = \"fail\"",
        ] {
            assert!(printed.contains(key), "{key} missing in\n{printed}");
        }
        // What it prints is itself a configuration that loads.
        Config::parse(&printed).unwrap();
    }

    #[test]
    fn every_shipped_config_prints_as_toml_that_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let c = Config::load(&path).unwrap();
                let printed = c.to_toml().unwrap();
                let again = Config::parse(&printed)
                    .unwrap_or_else(|e| panic!("{}: {e}\n{printed}", path.display()));
                assert_eq!(again.to_toml().unwrap(), printed, "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 2, "{n} configs in {}", dir.display());
    }
}

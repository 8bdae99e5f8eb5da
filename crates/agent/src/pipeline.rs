//! One source's way from lines to spooled, checkpointed archive objects.
//!
//! Lines go through the source's normalizer into an in-memory batch, held as Arrow columns per
//! (tier, event date). A flush sorts each group into one object, writes it to the spool (fsync),
//! then commits the
//! checkpoint that names them together with every file offset the batch covers: one atomic step.
//! Uploads follow; an uploaded spool entry is removed and the checkpoint forgets it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use auditlake_archive::{ArchiveWriter, EncodedObject, ObjectKey, TierRouter, WriterOptions};
use auditlake_event::{AuditEvent, EventColumns, Flags, SourceInfo};
use auditlake_normalize::{LineContext, LineOutcome, Normalizer};
use auditlake_tail::{FilePosition, Line, TailEvent};
use bytes::Bytes;
use chrono::NaiveDate;

use crate::AgentError;
use crate::config::{AgentConfig, SourceConfig};
use crate::deadletter::{DeadLetter, DeadLetters};
use crate::ledger::{LossLedger, LossRecord};
use crate::metrics::Metrics;
use crate::state::{SourcePaths, SourceStateV1, SpoolEntry};
use crate::stats::SourceStats;
use crate::time_window::{self, WindowVerdict};

/// How long a heartbeat waits before trying again to open a digest chain the store refused.
const DIGEST_OPEN_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// The running state of one source.
#[derive(Debug)]
pub struct SourcePipeline {
    pub(crate) cfg: SourceConfig,
    normalizer: Normalizer,
    /// The source columns, with the file being read.
    info: Arc<SourceInfo>,
    pub(crate) paths: SourcePaths,
    pub(crate) state: SourceStateV1,
    router: Arc<TierRouter>,
    /// The tier of actions that neither a tier's `match` nor the catalog places.
    default_tier: Option<usize>,
    /// Hashes of the application event ids in the batch, to count the ids a source reuses.
    batch_ids: HashSet<u64>,
    tier_names: Arc<Vec<String>>,
    writer_opts: WriterOptions,
    /// The batch: its events as columns, one group per (tier index, event date).
    batch: BTreeMap<(usize, NaiveDate), EventColumns>,
    batch_events: usize,
    /// The bytes of the batch's values ([`EventColumns::values_size`]).
    batch_bytes: usize,
    batch_max_events: usize,
    batch_max_bytes: usize,
    /// Observed time of the batch's first event, UTC micros (for the flush interval).
    batch_started: Option<std::time::Instant>,
    scratch: Vec<AuditEvent>,
    dead: DeadLetters,
    /// The source's signed digest chain, where `[digest]` is configured.
    digest: Option<auditlake_archive::DigestWriter>,
    /// The signer and journal of the digest chain, kept to open it where the store could not be
    /// reached when it was attached.
    digest_setup: Option<(Arc<auditlake_archive::DigestSigner>, std::path::PathBuf)>,
    /// After a failed opening of the chain, when a heartbeat may try again.
    digest_open_after: Option<std::time::Instant>,
    /// The shared alert engine, where `[alerts]` is configured.
    alerts: Option<crate::alerts::AlertHook>,
    /// Fingerprints the tailer is done with (released or lost): forgotten by the checkpoint in
    /// the commit that holds the last lines read from them.
    forget: Vec<u64>,
    /// For profiles whose events are several records (`format = "auditd"`), the joiners of the
    /// files' records.
    pub(crate) joins: Option<crate::joins::Joins>,
    pub stats: SourceStats,
}

impl SourcePipeline {
    /// Records in the stats the mapped paths that have not resolved on any line so far, and
    /// warns of each.
    pub(crate) fn note_never_resolved(&mut self) {
        self.stats.unconverted = self
            .normalizer
            .unconverted()
            .into_iter()
            .map(|(c, n)| (c.to_owned(), n))
            .collect();
        self.stats.never_resolved = self.normalizer.never_resolved();
        for path in &self.stats.never_resolved {
            tracing::warn!(source = %self.name(), %path, "a mapped field path never resolved");
        }
    }

    /// Opens a source: compiles its profile and loads its checkpoint.
    pub fn open(
        index: usize,
        cfg: &SourceConfig,
        profile: &auditlake_normalize::ProfileConfig,
        agent: &AgentConfig,
        router: Arc<TierRouter>,
        tier_names: Arc<Vec<String>>,
        info: SourceInfo,
    ) -> Result<SourcePipeline, AgentError> {
        let normalizer = Normalizer::new(&cfg.profile, profile).map_err(|e| AgentError::Setup {
            message: format!("sources.{}: {e}", cfg.name),
        })?;
        let default_tier = crate::config::source_default_tier(index, cfg, &normalizer, &router)
            .map_err(|message| AgentError::Setup { message })?;
        let paths = SourcePaths::new(&agent.state_dir, &cfg.name);
        let mut start_at_end = false;
        let state = match SourceStateV1::load(&paths.checkpoint, &cfg.name) {
            Err(AgentError::CorruptState { path, message }) => {
                use crate::config::CorruptCheckpointPolicy as P;
                if agent.on_corrupt_checkpoint == P::Fail {
                    return Err(AgentError::CorruptState {
                        path,
                        message: format!(
                            "{message}; move it aside, or set agent.on_corrupt_checkpoint to \"reread\" or \"skip_to_end\""
                        ),
                    });
                }
                let moved =
                    auditlake_durable::quarantine(&path).map_err(|e| AgentError::io(&path, e))?;
                tracing::error!(
                    source = %cfg.name, path = %moved.display(), error = %message,
                    policy = ?agent.on_corrupt_checkpoint,
                    "checkpoint is damaged and was moved aside"
                );
                start_at_end = agent.on_corrupt_checkpoint == P::SkipToEnd;
                SourceStateV1 {
                    source: cfg.name.clone(),
                    // Object numbers from the clock, so no new object takes the key of one
                    // written before the damage.
                    next_object_seq: crate::now_micros().max(0) as u64 / 1000,
                    ..Default::default()
                }
            }
            other => other?,
        };
        let mut cfg = cfg.clone();
        if start_at_end {
            cfg.start_at = crate::config::StartAt::End;
        }
        let cfg = &cfg;
        Ok(SourcePipeline {
            cfg: cfg.clone(),
            info: Arc::new(info),
            dead: DeadLetters::new(&paths.dead_letter),
            paths,
            state,
            router,
            default_tier,
            batch_ids: HashSet::new(),
            tier_names,
            writer_opts: WriterOptions {
                row_group_rows: agent.row_group_rows,
                zstd_level: agent.zstd_level,
                ..WriterOptions::default()
            },
            batch: BTreeMap::new(),
            batch_events: 0,
            batch_bytes: 0,
            batch_max_events: agent.batch_max_events,
            batch_max_bytes: agent.batch_max_bytes,
            batch_started: None,
            scratch: Vec::new(),
            digest: None,
            digest_setup: None,
            digest_open_after: None,
            alerts: None,
            forget: Vec::new(),
            joins: normalizer
                .joins_records()
                .then(crate::joins::Joins::default),
            normalizer,
            stats: SourceStats::default(),
        })
    }

    /// Evaluates every event of this source against the alert rules from now on.
    pub(crate) fn set_alerts(&mut self, hook: crate::alerts::AlertHook) {
        self.alerts = Some(hook);
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The checkpoint as it stands in memory.
    pub fn state(&self) -> &SourceStateV1 {
        &self.state
    }

    /// Normalizes one line of a file into the batch, or into the dead-letter file.
    pub fn ingest(
        &mut self,
        file: &str,
        fingerprint: u64,
        line: &Line<'_>,
        observed_time: i64,
    ) -> Result<(), AgentError> {
        self.stats.lines += 1;
        self.stats.bytes_in += line.next_offset - line.offset;
        let (text, invalid_utf8) = match std::str::from_utf8(line.bytes) {
            Ok(s) => (std::borrow::Cow::Borrowed(s), false),
            Err(_) => (String::from_utf8_lossy(line.bytes), true),
        };
        self.stats.invalid_utf8 += u64::from(invalid_utf8);
        self.stats.truncated += u64::from(line.truncated);
        self.stats.unterminated += u64::from(line.unterminated);
        let flags = Flags {
            invalid_utf8,
            truncated: line.truncated,
            unterminated: line.unterminated,
            ..Flags::default()
        };
        if let Some(joins) = self.joins.as_mut() {
            // The records of one event are joined first; see crate::joins.
            let mut ready = Vec::new();
            let span = (line.offset, line.next_offset);
            joins.push(file, fingerprint, span, &text, flags, &mut ready);
            return self.ingest_ready(ready, observed_time);
        }
        self.normalize_into_batch(file, fingerprint, line.offset, &text, flags, observed_time)
    }

    /// Normalizes the text of one line (or of one event's joined lines, starting at `offset`)
    /// into the batch, or into the dead-letter file.
    pub(crate) fn normalize_into_batch(
        &mut self,
        file: &str,
        fingerprint: u64,
        offset: u64,
        text: &str,
        flags: Flags,
        observed_time: i64,
    ) -> Result<(), AgentError> {
        if self.info.file.as_deref() != Some(file) {
            let mut info = (*self.info).clone();
            info.file = Some(file.to_string());
            self.info = Arc::new(info);
        }
        let ctx = LineContext {
            source: &self.info,
            fingerprint,
            offset,
            observed_time,
            keep_raw: self.cfg.keep_raw,
            flags,
        };
        self.scratch.clear();
        let outcome = match self.normalizer.normalize(text, &ctx, &mut self.scratch) {
            Ok(LineOutcome::Records(tally)) => {
                self.stats.ignored += tally.ignored as u64;
                for r in &tally.rejected {
                    self.stats.dead_letter(r.rejection.kind.as_str());
                    self.dead.write(&DeadLetter {
                        time: auditlake_event::micros_to_datetime(observed_time).to_rfc3339(),
                        source: &self.cfg.name,
                        file,
                        offset,
                        kind: r.rejection.kind.as_str(),
                        reason: &format!("record {} of the line: {}", r.index, r.rejection.reason),
                        line: &r.text,
                    })?;
                }
                if tally.events == 0 {
                    return Ok(());
                }
                Ok(LineOutcome::Events(tally.events))
            }
            other => other,
        };
        match outcome {
            Ok(LineOutcome::Ignored) => self.stats.ignored += 1,
            Ok(LineOutcome::Events(_) | LineOutcome::Records(_)) => {
                let policy = self.cfg.time_window.policy;
                match self.cfg.time_window.apply(&mut self.scratch, observed_time) {
                    WindowVerdict::InRange => {}
                    WindowVerdict::Flagged => self.stats.time_out_of_range(policy.as_str()),
                    WindowVerdict::DeadLetter(reason) => {
                        self.stats.time_out_of_range(policy.as_str());
                        self.stats.dead_letter(time_window::DEAD_LETTER_KIND);
                        self.dead.write(&DeadLetter {
                            time: auditlake_event::micros_to_datetime(observed_time).to_rfc3339(),
                            source: &self.cfg.name,
                            file,
                            offset,
                            kind: time_window::DEAD_LETTER_KIND,
                            reason: &reason,
                            line: text,
                        })?;
                        return Ok(());
                    }
                }
                if self.batch_events == 0 {
                    self.batch_started = Some(std::time::Instant::now());
                }
                let mut events = std::mem::take(&mut self.scratch);
                for event in &mut events {
                    event.seq = Some(self.state.next_seq);
                    self.state.next_seq += 1;
                    if event.source_offset.is_none() {
                        event.source_offset = Some(offset);
                    }
                }
                self.stats.events += events.len() as u64;
                if let Some(hook) = &self.alerts {
                    for alert in hook.observe(&events) {
                        let mut event = alert.to_event(self.info.clone(), observed_time);
                        event.seq = Some(self.state.next_seq);
                        self.state.next_seq += 1;
                        events.push(event);
                        self.stats.alerts += 1;
                    }
                }
                let added = events.iter().try_for_each(|e| self.add_to_batch(e));
                events.clear();
                self.scratch = events;
                added?;
            }
            Err(rejection) => {
                self.stats.dead_letter(rejection.kind.as_str());
                self.dead.write(&DeadLetter {
                    time: auditlake_event::micros_to_datetime(observed_time).to_rfc3339(),
                    source: &self.cfg.name,
                    file,
                    offset,
                    kind: rejection.kind.as_str(),
                    reason: &rejection.reason,
                    line: text,
                })?;
            }
        }
        Ok(())
    }

    /// Records how far every followed file has been read into the batch, and forgets the files
    /// the tailer is done with. Durable with the next flush: call it right before.
    pub fn record_positions(&mut self, mut positions: Vec<FilePosition>) {
        if let Some(joins) = &self.joins {
            joins.hold_back(&mut positions);
        }
        self.state.forget(&self.forget);
        self.forget.clear();
        for pos in positions {
            self.state.set_position(pos);
        }
    }

    /// Whether files the tailer is done with wait for a commit to be forgotten.
    pub fn has_forgotten_files(&self) -> bool {
        !self.forget.is_empty()
    }

    /// Acts on what the tailer saw: logs it, counts it (in `metrics` too, for the live agent),
    /// queues released and lost files to be forgotten, and writes each loss to the ledger
    /// (durably) before going on. Returns how many losses there were.
    pub fn on_tail_events(
        &mut self,
        events: &mut Vec<TailEvent>,
        metrics: Option<&Metrics>,
        ledger: &LossLedger,
    ) -> Result<usize, AgentError> {
        let name = self.cfg.name.clone();
        let label = Metrics::source(&name);
        let mut losses = 0;
        let mut done_with = Vec::new();
        for e in events.drain(..) {
            match e {
                TailEvent::Added { path, offset } => {
                    self.stats.files += 1;
                    tracing::info!(source = %name, path = %path.display(), offset, "following file");
                }
                TailEvent::Renamed { from, to } => {
                    if let Some(m) = metrics {
                        m.rotations.get_or_create(&label).inc();
                    }
                    tracing::info!(source = %name, from = %from.display(), to = %to.display(), "file rotated, reading it to its end");
                }
                TailEvent::Found {
                    checkpointed,
                    path,
                    offset,
                } => {
                    self.stats.files += 1;
                    if let Some(m) = metrics {
                        m.rotations.get_or_create(&label).inc();
                    }
                    tracing::info!(source = %name, from = %checkpointed.display(), to = %path.display(), offset, "file rotated while the agent was down found again, reading it to its end");
                }
                TailEvent::Truncated { path } => {
                    if let Some(m) = metrics {
                        m.truncations.get_or_create(&label).inc();
                    }
                    self.stats.files_truncated += 1;
                    done_with.push(Err(path.display().to_string()));
                    tracing::warn!(source = %name, path = %path.display(), "file truncated, reading it again from the start");
                }
                TailEvent::Released {
                    path, fingerprint, ..
                } => {
                    self.forget.push(fingerprint);
                    done_with.push(Ok(fingerprint));
                    tracing::info!(source = %name, path = %path.display(), "file read to its end and released");
                }
                TailEvent::Lost(loss) => {
                    let record = LossRecord::new(&name, &loss);
                    tracing::warn!(
                        source = %name, path = %record.path, fingerprint = %record.fingerprint,
                        offset = loss.offset, size = ?loss.size, lost_bytes = ?loss.lost_bytes(),
                        reason = loss.reason.as_str(), ledger = %ledger.path().display(),
                        "unread bytes of a file are lost"
                    );
                    ledger.append(&record)?;
                    self.stats.files_lost += 1;
                    match loss.lost_bytes() {
                        Some(n) => self.stats.unread_bytes_lost += n,
                        None => self.stats.files_lost_size_unknown += 1,
                    }
                    self.forget.push(loss.fingerprint);
                    done_with.push(Ok(loss.fingerprint));
                    losses += 1;
                }
                TailEvent::Copy { path, of } => {
                    tracing::info!(source = %name, path = %path.display(), of = %of.display(), "a copy of a followed file (copytruncate), read once the original is truncated");
                }
                TailEvent::Error { path, message } => {
                    if let Some(m) = metrics {
                        m.error(&name, "read");
                    }
                    tracing::warn!(source = %name, path = %path.display(), error = %message, "cannot read file");
                }
                other => tracing::debug!(source = %name, event = ?other, "tail event"),
            }
        }
        self.release_done_files(&done_with)?;
        Ok(losses)
    }

    /// Appends an event to its (tier, event date) group of the batch.
    fn add_to_batch(&mut self, event: &AuditEvent) -> Result<(), AgentError> {
        let tier =
            self.router
                .route_with_default(&event.category, &event.action, self.default_tier);
        if let Some(id) = &event.origin_id
            && !self.batch_ids.insert(id_hash(id))
        {
            self.stats.duplicate_event_ids += 1;
            if self.stats.duplicate_event_ids <= 10 {
                tracing::warn!(
                    source = %self.cfg.name, event_id = %id, action = %event.action,
                    "an application event id seen before in this batch: the profile's `event_id` field may not be unique"
                );
            }
        }
        if auditlake_event::lookup(&event.action).is_none() {
            self.stats
                .uncatalogued_action(&event.action, &self.tier_names[tier]);
        }
        let group = self.batch.entry((tier, event.event_date())).or_default();
        self.batch_bytes +=
            group
                .push(event)
                .map_err(|source| auditlake_archive::ArchiveError::Arrow {
                    context: "adding an event to the batch",
                    source,
                })?;
        self.batch_events += 1;
        Ok(())
    }

    /// Whether the batch has reached its event or byte limit.
    pub fn batch_full(&self) -> bool {
        self.batch_events >= self.batch_max_events || self.batch_bytes >= self.batch_max_bytes
    }

    /// Lines that may be read before the batch can be full by its event count (at least one).
    pub fn batch_room(&self) -> usize {
        self.batch_max_events
            .saturating_sub(self.batch_events)
            .max(1)
    }

    /// Writes the batch to the spool, one object per (tier, event date), and commits the
    /// checkpoint naming them with every file position recorded so far. Commits even an empty
    /// batch, so positions of lines that made no event (dead letters, noise) advance too.
    pub fn flush(&mut self) -> Result<(), AgentError> {
        let groups = std::mem::take(&mut self.batch);
        self.batch_ids.clear();
        self.batch_events = 0;
        self.batch_bytes = 0;
        self.batch_started = None;
        std::fs::create_dir_all(&self.paths.spool_dir)
            .map_err(|e| AgentError::io(&self.paths.spool_dir, e))?;
        // Every group finished (and so at its exact size) before the first is encoded, and the
        // smallest encoded first: the encoder's buffers grow with the group, so the largest one
        // is encoded when the others' rows are gone.
        let mut finished = Vec::with_capacity(groups.len());
        for ((tier, date), group) in groups {
            let batch =
                group
                    .finish()
                    .map_err(|source| auditlake_archive::ArchiveError::Arrow {
                        context: "finishing a batch",
                        source,
                    })?;
            finished.push((tier, date, batch));
        }
        finished.sort_by_key(|(tier, date, batch)| (batch.num_rows(), *tier, *date));
        for (tier, date, batch) in finished {
            let object_seq = self.state.next_object_seq;
            let encoded = auditlake_archive::encode_batch(&batch, &self.writer_opts)?;
            drop(batch);
            let key = ObjectKey::new(
                &self.tier_names[tier],
                date,
                &self.cfg.name,
                encoded.min_time,
                object_seq,
            )?;
            let file = format!("{object_seq:010}.parquet");
            let spool_path = self.paths.spool_dir.join(&file);
            auditlake_durable::write_atomic(&spool_path, &encoded.bytes)
                .map_err(|e| AgentError::io(&spool_path, e))?;
            self.stats.objects += 1;
            self.stats.bytes_out += encoded.bytes.len() as u64;
            self.state.pending.push(SpoolEntry {
                key: key.to_key(),
                file,
                size: encoded.bytes.len() as u64,
                rows: encoded.rows,
                sha256: encoded.sha256.clone(),
                min_time: encoded.min_time,
                max_time: encoded.max_time,
                first_seq: encoded.first_seq,
                last_seq: encoded.last_seq,
                tier: key.tier.clone(),
                max_observed_time: encoded.max_observed_time,
            });
            self.state.next_object_seq += 1;
        }
        self.dead.sync()?;
        self.state.commit(&self.paths.checkpoint)?;
        if let Some(hook) = &self.alerts {
            hook.persist()?;
        }
        Ok(())
    }

    /// Signs the source's objects from now on: every object uploaded is listed in the next
    /// signed digest. Opens the chain (reading its head from the store); where the store cannot
    /// be reached yet, the error is returned and the chain is opened again before the next
    /// upload or digest, so no object is uploaded unlisted.
    pub async fn attach_digest(
        &mut self,
        store: &dyn auditlake_storage::ObjectStore,
        signer: Arc<auditlake_archive::DigestSigner>,
        state_dir: &Path,
    ) -> Result<(), AgentError> {
        let journal = state_dir
            .join("digests")
            .join(format!("{}.json", self.cfg.name));
        self.digest_setup = Some((signer, journal));
        self.open_digest(store).await
    }

    /// Opens the digest chain [`attach_digest`](Self::attach_digest) asked for, unless it is
    /// open already.
    async fn open_digest(
        &mut self,
        store: &dyn auditlake_storage::ObjectStore,
    ) -> Result<(), AgentError> {
        let Some((signer, journal)) = self.digest_setup.as_ref().filter(|_| self.digest.is_none())
        else {
            return Ok(());
        };
        let opened = auditlake_archive::DigestWriter::open(
            store,
            &self.cfg.name,
            signer.clone(),
            Some(journal.clone()),
            chrono::Utc::now(),
        )
        .await;
        match opened {
            Ok(d) => {
                self.digest = Some(d);
                self.digest_open_after = None;
                Ok(())
            }
            Err(e) => {
                self.digest_open_after = Some(std::time::Instant::now() + DIGEST_OPEN_RETRY);
                Err(e.into())
            }
        }
    }

    /// Writes the next digest when `interval_secs` have passed since the last one, or now when
    /// `force` (at shutdown). A digest is written even when no object was (a heartbeat).
    pub async fn write_digest(
        &mut self,
        store: &dyn auditlake_storage::ObjectStore,
        interval_secs: u64,
        force: bool,
    ) -> Result<(), AgentError> {
        // A chain the store did not let open is tried again at most every DIGEST_OPEN_RETRY
        // here (uploads try it each time, with their own backoff).
        let waiting = self
            .digest_open_after
            .is_some_and(|t| std::time::Instant::now() < t);
        if self.digest.is_none() && waiting && !force {
            return Ok(());
        }
        self.open_digest(store).await?;
        let now = chrono::Utc::now();
        if let Some(d) = self.digest.as_mut()
            && (force || d.due(now, interval_secs))
        {
            let key = d.write_digest(store, now).await?;
            tracing::info!(source = %self.cfg.name, key = %key, "digest written");
        }
        Ok(())
    }

    fn record_digest(&mut self, entry: &SpoolEntry) -> Result<(), AgentError> {
        if let Some(d) = self.digest.as_mut() {
            d.record(auditlake_archive::ObjectEntry {
                key: entry.key.clone(),
                sha256: entry.sha256.clone(),
                size: entry.size,
                rows: entry.rows,
                min_time: entry.min_time,
                max_time: entry.max_time,
                first_seq: entry.first_seq,
                last_seq: entry.last_seq,
            })?;
        }
        Ok(())
    }

    /// Bytes in the spool waiting for upload.
    pub fn spool_bytes(&self) -> u64 {
        self.state.pending.iter().map(|e| e.size).sum()
    }

    /// Uploads every pending spool entry, oldest first; each uploaded entry's spool file is
    /// removed and the checkpoint forgets it. Stops at the first failure, keeping the rest.
    pub async fn upload_pending(&mut self, archive: &ArchiveWriter) -> Result<usize, AgentError> {
        let mut uploaded = 0;
        if !self.state.pending.is_empty() {
            self.open_digest(&**archive.store()).await?;
        }
        while let Some(entry) = self.state.pending.first().cloned() {
            let spool_path = self.paths.spool_dir.join(&entry.file);
            let bytes = match std::fs::read(&spool_path) {
                Ok(b) => Bytes::from(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Removed after an upload whose checkpoint update did not happen, or lost.
                    if archive.store().exists(&entry.key).await? {
                        tracing::info!(key = %entry.key, "spool entry already uploaded");
                        self.record_digest(&entry)?;
                        self.state.pending.remove(0);
                        self.state.commit(&self.paths.checkpoint)?;
                        continue;
                    }
                    return Err(AgentError::SpoolLost {
                        path: spool_path,
                        key: entry.key,
                    });
                }
                Err(e) => return Err(AgentError::io(&spool_path, e)),
            };
            let sha = auditlake_archive::sha256_hex(&bytes);
            if sha != entry.sha256 {
                let moved = auditlake_durable::quarantine(&spool_path)
                    .map_err(|e| AgentError::io(&spool_path, e))?;
                tracing::error!(path = %moved.display(), key = %entry.key, "spool file is corrupt, moved aside");
                self.stats.spool_corrupt += 1;
                self.state.pending.remove(0);
                self.state.commit(&self.paths.checkpoint)?;
                continue;
            }
            let obj = EncodedObject {
                bytes,
                rows: entry.rows,
                min_time: entry.min_time,
                max_time: entry.max_time,
                first_seq: entry.first_seq,
                last_seq: entry.last_seq,
                max_observed_time: entry.max_observed_time,
                sha256: entry.sha256.clone(),
            };
            let key = auditlake_archive::parse_data_key(&entry.key)?;
            archive.put_object(&key, &obj).await?;
            self.record_digest(&entry)?;
            self.stats.uploaded += 1;
            self.state.pending.remove(0);
            self.state.commit(&self.paths.checkpoint)?;
            remove_file_logged(&spool_path);
            uploaded += 1;
        }
        Ok(uploaded)
    }

    /// Removes spool files that no checkpoint names: written before a crash that came before
    /// their checkpoint commit. Their lines are read again, so nothing is lost.
    pub fn remove_orphan_spool_files(&mut self) -> Result<usize, AgentError> {
        let dir = &self.paths.spool_dir;
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(AgentError::io(dir, e)),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let named = self.state.pending.iter().any(|p| p.file == name);
            if !named && name.ends_with(".parquet") {
                tracing::info!(path = %entry.path().display(), "removing spool file no checkpoint names");
                remove_file_logged(&entry.path());
                removed += 1;
            } else if auditlake_durable::is_temp_name(&name) {
                remove_file_logged(&entry.path());
            }
        }
        Ok(removed)
    }
}

fn remove_file_logged(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove spool file");
    }
}

/// A hash of an event id, for telling reused ids apart within a batch.
fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

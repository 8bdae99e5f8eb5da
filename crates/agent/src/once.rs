//! `agent --once`: read every source to its end, archive it, and stop.

use std::sync::Arc;
use std::time::Instant;

use auditlake_archive::{ArchiveWriter, TierRouter};
use auditlake_tail::{FileGlobs, TailEvent, Tailer, TailerOptions};
use serde::Serialize;

use crate::config::{Config, StartAt};
use crate::ledger::LossLedger;
use crate::pipeline::SourcePipeline;
use crate::stats::SourceStats;
use crate::{AgentError, kubernetes_source_info, now_micros};

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub sources: Vec<(String, SourceStats)>,
    pub total: SourceStats,
    pub seconds: f64,
    /// Where losses of unread bytes are recorded (`STATE_DIR/loss-ledger.jsonl`).
    pub loss_ledger: String,
}

/// Lines read between checks of the batch limits.
const READ_BUDGET: usize = 8192;

/// Opens every source's pipeline: profile compiled, checkpoint loaded.
pub(crate) fn open_pipelines(config: &Config) -> Result<Vec<SourcePipeline>, AgentError> {
    let router = Arc::new(TierRouter::new(config.tiers.clone())?);
    let tier_names = Arc::new(
        config
            .tiers
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>(),
    );
    config
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let profile = config
                .profile(&s.profile)
                .ok_or_else(|| AgentError::Setup {
                    message: format!("sources.{}: no profile {:?}", s.name, s.profile),
                })?;
            SourcePipeline::open(
                i,
                s,
                &profile,
                &config.agent,
                router.clone(),
                tier_names.clone(),
                kubernetes_source_info(&s.name),
            )
        })
        .collect()
}

/// The digest signer: the configured key, else the one generated in the state directory
/// ([`crate::generated_key`]). Digests are always written.
pub(crate) fn digest_signer(
    config: &Config,
) -> Result<Option<Arc<auditlake_archive::DigestSigner>>, AgentError> {
    Ok(Some(Arc::new(crate::generated_key::agent_signer(config)?)))
}

/// Seconds between digests.
pub(crate) fn digest_interval(config: &Config) -> u64 {
    config
        .digest
        .as_ref()
        .map_or(3600, |d| d.digest_interval_secs)
}

/// Reads every source to its end, archives what it read and returns the counts.
pub async fn run_once(config: &Config) -> Result<RunSummary, AgentError> {
    let started = Instant::now();
    let store = auditlake_storage::open(&config.archive).await?;
    let archive = ArchiveWriter::new(store, config.tiers.clone())?;
    let ledger = LossLedger::new(&config.agent.state_dir);
    let mut summary = RunSummary {
        sources: Vec::new(),
        total: SourceStats::default(),
        seconds: 0.0,
        loss_ledger: ledger.path().display().to_string(),
    };
    let signer = digest_signer(config)?;
    let alerts = start_alerts(config)?;
    let mut pipelines = open_pipelines(config)?;
    if let Some(a) = &alerts {
        for p in &mut pipelines {
            p.set_alerts(a.hook());
        }
    }
    for mut pipeline in pipelines {
        if let Some(signer) = &signer {
            pipeline
                .attach_digest(&**archive.store(), signer.clone(), &config.agent.state_dir)
                .await?;
        }
        // Finish what a previous run left in the spool before reading on.
        pipeline.remove_orphan_spool_files()?;
        pipeline.upload_pending(&archive).await?;
        let globs = FileGlobs::new(&pipeline.cfg.paths, &pipeline.cfg.exclude).map_err(|e| {
            AgentError::Setup {
                message: format!("sources.{}.paths: {e}", pipeline.name()),
            }
        })?;
        read_to_end(&mut pipeline, globs, &archive, &ledger).await?;
        pipeline.flush()?;
        pipeline.upload_pending(&archive).await?;
        pipeline
            .write_digest(&**archive.store(), digest_interval(config), true)
            .await?;
        pipeline.note_never_resolved();
        summary.total.add(&pipeline.stats);
        summary
            .sources
            .push((pipeline.name().to_string(), pipeline.stats.clone()));
    }
    if let Some(a) = alerts {
        // A run stops once its alerts are delivered, however many retries that takes.
        a.finish(std::time::Duration::MAX)?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The alert engine and its delivery thread, where `[alerts]` is configured.
pub(crate) fn start_alerts(config: &Config) -> Result<Option<crate::alerts::Alerts>, AgentError> {
    config
        .alerts
        .as_ref()
        .map(|a| crate::alerts::Alerts::start(a, &config.agent.state_dir))
        .transpose()
}

/// Reads every file of a source from its checkpointed offset to its end, the end of a file
/// ending its last line, including files the checkpoint knows that were rotated out of the globs
/// (found again by their identity, read to their end and forgotten). Losses go to the ledger.
async fn read_to_end(
    pipeline: &mut SourcePipeline,
    globs: FileGlobs,
    archive: &ArchiveWriter,
    ledger: &LossLedger,
) -> Result<(), AgentError> {
    let mut tailer = Tailer::new(
        globs,
        TailerOptions {
            max_line_bytes: pipeline.cfg.max_line_bytes,
            start_at_end: pipeline.cfg.start_at == StartAt::End,
            end_of_file_ends_line: true,
        },
    );
    let mut events = tailer.scan(&pipeline.state().files);
    for e in &events {
        if let TailEvent::Waiting { path } = e {
            tracing::info!(path = %path.display(), "no complete first line yet, left for later");
            pipeline.stats.files_waiting += 1;
        }
    }
    let observed = now_micros();
    loop {
        let mut ingest_error = None;
        // A batch holds at most its event limit, as the limit says, also when it is small.
        let budget = READ_BUDGET.min(pipeline.batch_room());
        let read = tailer.read(budget, &mut events, |fp, path, line| {
            if ingest_error.is_none()
                && let Err(e) = pipeline.ingest(&path.display().to_string(), fp, line, observed)
            {
                ingest_error = Some(e);
            }
        })?;
        if let Some(e) = ingest_error {
            return Err(e);
        }
        pipeline.on_tail_events(&mut events, None, ledger)?;
        if pipeline.batch_full() {
            pipeline.record_positions(tailer.positions());
            pipeline.flush()?;
            pipeline.upload_pending(archive).await?;
        }
        if read < budget {
            break;
        }
    }
    pipeline.stats.partial_bytes += tailer.pending_bytes();
    // Every file is read to its end: an event whose records are being joined is complete.
    pipeline.release_joined(observed)?;
    pipeline.record_positions(tailer.positions());
    Ok(())
}

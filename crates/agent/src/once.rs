//! `agent --once`: read every source to its end, archive it, and stop.

use std::sync::Arc;
use std::time::Instant;

use auditlake_archive::{ArchiveWriter, TierRouter};
use auditlake_tail::{FileGlobs, FileId, FilePosition, LineReader, fingerprint_file};
use serde::Serialize;

use crate::config::{Config, StartAt};
use crate::pipeline::SourcePipeline;
use crate::stats::SourceStats;
use crate::{AgentError, kubernetes_source_info, now_micros};

/// What a `--once` run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub sources: Vec<(String, SourceStats)>,
    pub total: SourceStats,
    pub seconds: f64,
}

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
        .map(|s| {
            let profile = config
                .profile(&s.profile)
                .ok_or_else(|| AgentError::Setup {
                    message: format!("sources.{}: no profile {:?}", s.name, s.profile),
                })?;
            SourcePipeline::open(
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
    let store = crate::open_store(&config.archive).await?;
    let archive = ArchiveWriter::new(store, config.tiers.clone())?;
    let mut summary = RunSummary {
        sources: Vec::new(),
        total: SourceStats::default(),
        seconds: 0.0,
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
        for path in globs.expand() {
            read_file_to_end(&mut pipeline, &path, &archive).await?;
        }
        pipeline.flush()?;
        pipeline.upload_pending(&archive).await?;
        pipeline
            .write_digest(&**archive.store(), digest_interval(config), true)
            .await?;
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

/// Reads one file from its checkpointed offset to its last complete line.
async fn read_file_to_end(
    pipeline: &mut SourcePipeline,
    path: &std::path::Path,
    archive: &ArchiveWriter,
) -> Result<(), AgentError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(AgentError::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| AgentError::io(path, e))?;
    let file_id = FileId::of(&meta);
    let Some(fp) = fingerprint_file(&mut file, path)? else {
        tracing::info!(path = %path.display(), "no complete first line yet, left for later");
        pipeline.stats.files_waiting += 1;
        return Ok(());
    };
    pipeline.stats.files += 1;
    let file_name = path.display().to_string();
    let offset = match pipeline.state().position(fp.hash, file_id) {
        Some(pos) if pos.offset <= meta.len() => pos.offset,
        Some(pos) => {
            tracing::warn!(
                path = %file_name, checkpoint = pos.offset, size = meta.len(),
                "file is shorter than its checkpoint: it was truncated and rewritten; reading it again from the start"
            );
            pipeline.stats.files_truncated += 1;
            0
        }
        None => match pipeline.cfg.start_at {
            StartAt::Beginning => 0,
            StartAt::End => meta.len(),
        },
    };
    let mut reader = LineReader::from_file(file, path, offset, pipeline.cfg.max_line_bytes)?;
    let position = |offset| FilePosition {
        fingerprint: fp.hash,
        file_id,
        path: file_name.clone(),
        offset,
    };
    let observed = now_micros();
    while let Some(line) = reader.next_line()? {
        let next = line.next_offset;
        pipeline.ingest(&file_name, fp.hash, &line, observed)?;
        if pipeline.batch_full() {
            pipeline.set_position(position(next));
            pipeline.flush()?;
            pipeline.upload_pending(archive).await?;
        }
    }
    pipeline.stats.partial_bytes += reader.pending_bytes();
    pipeline.set_position(position(reader.offset()));
    Ok(())
}

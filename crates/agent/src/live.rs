//! The live sidecar: follows every source's files until told to stop.
//!
//! Each source runs on its own thread: scan the globs, read what is new, flush a batch when it is
//! full or `flush_interval_secs` old, upload spooled objects, sleep until a file changes (inotify)
//! or the poll interval passes (the fallback for volumes where inotify is blind). When the spool
//! holds its share of `spool_max_bytes`, reading pauses: the log file is the buffer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auditlake_archive::ArchiveWriter;
use auditlake_tail::{FileGlobs, Tailer, TailerOptions};
use notify::Watcher;

use crate::config::{Config, StartAt};
use crate::ledger::LossLedger;
use crate::metrics::{Health, Metrics, SourceHealth};
use crate::once::{RunSummary, digest_interval, digest_signer, open_pipelines};
use crate::pipeline::SourcePipeline;
use crate::stats::SourceStats;
use crate::{AgentError, now_micros};

/// How long a scrape in flight at shutdown may take to finish.
const SERVER_DRAIN: Duration = Duration::from_secs(1);

/// Lines read between checks of the flush policy.
const READ_BUDGET: usize = 8192;

/// Runs the agent until `shutdown` completes, then stops reading, flushes, uploads and
/// checkpoints within `shutdown_grace_secs`.
pub async fn run_live(
    config: &Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<RunSummary, AgentError> {
    let started = Instant::now();
    let store = auditlake_storage::open(&config.archive).await?;
    let archive = Arc::new(ArchiveWriter::new(store, config.tiers.clone())?);
    let metrics = Arc::new(Metrics::default());
    let health = Arc::new(Health::default());
    let server = crate::http::serve(&config.agent.listen, metrics.clone(), health.clone())
        .await
        .map_err(|e| AgentError::Setup {
            message: format!(
                "agent.listen: cannot listen on {}: {e}",
                config.agent.listen
            ),
        })?;
    let stop = Arc::new(AtomicBool::new(false));
    let alerts = crate::once::start_alerts(config)?;
    let mut pipelines = open_pipelines(config)?;
    if let Some(a) = &alerts {
        for p in &mut pipelines {
            p.set_alerts(a.hook());
        }
    }
    if let Some(signer) = digest_signer(config)? {
        for p in &mut pipelines {
            // The store may be down at start: the agent spools meanwhile, and the chain is
            // opened before the first upload.
            if let Err(e) = p
                .attach_digest(&**archive.store(), signer.clone(), &config.agent.state_dir)
                .await
            {
                tracing::warn!(source = %p.name(), error = %e, "cannot open the digest chain yet, trying again before the next upload");
            }
        }
    }
    let spool_share = config.agent.spool_max_bytes / pipelines.len().max(1) as u64;
    let handle = tokio::runtime::Handle::current();
    let mut threads = Vec::new();
    for pipeline in pipelines {
        let ctx = SourceContext {
            archive: archive.clone(),
            metrics: metrics.clone(),
            health: health.clone(),
            stop: stop.clone(),
            handle: handle.clone(),
            spool_max_bytes: spool_share,
            flush_interval: Duration::from_secs(config.agent.flush_interval_secs),
            poll_interval: Duration::from_millis(config.agent.poll_interval_ms),
            start_at_end: pipeline.cfg.start_at == StartAt::End,
            digest_interval_secs: digest_interval(config),
            ledger: LossLedger::new(&config.agent.state_dir),
        };
        let name = pipeline.name().to_string();
        let thread = std::thread::Builder::new()
            .name(format!("source-{name}"))
            .spawn(move || run_source(pipeline, ctx))
            .map_err(|e| AgentError::Setup {
                message: format!("cannot start the thread of source {name}: {e}"),
            })?;
        threads.push((name, thread));
    }

    shutdown.await;
    tracing::info!("stopping: flushing, uploading and checkpointing");
    stop.store(true, Ordering::SeqCst);
    let grace = Duration::from_secs(config.agent.shutdown_grace_secs);
    let started_stop = Instant::now();
    let joined = tokio::time::timeout(
        grace,
        tokio::task::spawn_blocking(move || {
            threads
                .into_iter()
                .map(|(name, t)| (name, t.join()))
                .collect::<Vec<_>>()
        }),
    )
    .await;
    server.shutdown(SERVER_DRAIN).await;
    let joined = match joined {
        Ok(Ok(j)) => j,
        Ok(Err(e)) => {
            return Err(AgentError::Setup {
                message: format!("source threads failed: {e}"),
            });
        }
        Err(_) => {
            return Err(AgentError::Setup {
                message: format!(
                    "shutdown took longer than agent.shutdown_grace_secs ({}); the spool and checkpoints stay consistent and the next start resumes",
                    grace.as_secs()
                ),
            });
        }
    };
    let mut summary = RunSummary {
        sources: Vec::new(),
        total: SourceStats::default(),
        seconds: started.elapsed().as_secs_f64(),
        loss_ledger: LossLedger::new(&config.agent.state_dir)
            .path()
            .display()
            .to_string(),
    };
    let mut first_error = None;
    for (name, result) in joined {
        match result {
            Ok(Ok(stats)) => {
                summary.total.add(&stats);
                summary.sources.push((name, stats));
            }
            Ok(Err(e)) => {
                tracing::error!(source = %name, error = %e, "source stopped with an error");
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(AgentError::Setup {
                    message: format!("the thread of source {name} panicked"),
                });
            }
        }
    }
    // Delivery gets what is left of the grace period; alerts still failing then are
    // dead-lettered.
    let left = grace.saturating_sub(started_stop.elapsed());
    if let Some(a) = alerts
        && let Err(e) = a.finish(left)
    {
        first_error.get_or_insert(e);
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

struct SourceContext {
    archive: Arc<ArchiveWriter>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
    handle: tokio::runtime::Handle,
    spool_max_bytes: u64,
    flush_interval: Duration,
    poll_interval: Duration,
    start_at_end: bool,
    digest_interval_secs: u64,
    ledger: LossLedger,
}

/// Uploads with exponential backoff and jitter between failed attempts (the workspace's one
/// retry policy), so reading goes on meanwhile. It never gives up: the spool holds the data.
struct Uploader {
    next_attempt: Instant,
    schedule: auditlake_retry::Schedule,
}

impl Uploader {
    const MIN: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(60);

    fn new() -> Uploader {
        Uploader {
            next_attempt: Instant::now(),
            schedule: auditlake_retry::Backoff::new(Self::MIN, Self::MAX).schedule(),
        }
    }

    fn try_upload(&mut self, p: &mut SourcePipeline, ctx: &SourceContext, force: bool) -> bool {
        if p.state().pending.is_empty() {
            return true;
        }
        if !force && Instant::now() < self.next_attempt {
            return false;
        }
        let newest = p.state().pending.iter().map(|e| e.max_time).max();
        match ctx.handle.block_on(p.upload_pending(&ctx.archive)) {
            Ok(_) => {
                self.schedule.reset();
                if let Some(t) = newest {
                    let lag = (now_micros() - t) as f64 / 1e6;
                    ctx.metrics
                        .lag_seconds
                        .get_or_create(&Metrics::source(p.name()))
                        .set(lag);
                }
                true
            }
            Err(e) => {
                let wait = self.schedule.next_delay().unwrap_or(Self::MAX);
                tracing::warn!(source = %p.name(), error = %e, retry_in_ms = wait.as_millis() as u64, "upload failed, data stays in the spool");
                ctx.metrics.error(p.name(), upload_error_kind(&e));
                ctx.health.set(
                    p.name(),
                    SourceHealth {
                        spool_full: p.spool_bytes() >= ctx.spool_max_bytes,
                        upload_error: Some(e.to_string()),
                    },
                );
                self.next_attempt = Instant::now() + wait;
                false
            }
        }
    }
}

fn upload_error_kind(e: &AgentError) -> &'static str {
    match e {
        AgentError::Storage(s)
        | AgentError::Archive(auditlake_archive::ArchiveError::Storage(s))
            if !s.is_retryable() =>
        {
            "upload_permanent"
        }
        _ => "upload",
    }
}

fn run_source(mut p: SourcePipeline, ctx: SourceContext) -> Result<SourceStats, AgentError> {
    let name = p.name().to_string();
    let label = Metrics::source(&name);
    p.remove_orphan_spool_files()?;
    let mut uploader = Uploader::new();
    uploader.try_upload(&mut p, &ctx, true);

    let globs = FileGlobs::new(&p.cfg.paths, &p.cfg.exclude).map_err(|e| AgentError::Setup {
        message: format!("sources.{name}.paths: {e}"),
    })?;
    let mut tailer = Tailer::new(
        globs,
        TailerOptions {
            max_line_bytes: p.cfg.max_line_bytes,
            start_at_end: ctx.start_at_end,
            end_of_file_ends_line: false,
        },
    );
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let _watcher = watch(&tailer, wake_tx, &name);

    let mut reported = SourceStats::default();
    let mut last_flush = Instant::now();
    let mut dirty = false;
    let mut tail_events = Vec::new();
    loop {
        let stopping = ctx.stop.load(Ordering::SeqCst);
        let spool_full = p.spool_bytes() >= ctx.spool_max_bytes;
        let mut read = 0;
        let mut losses = 0;
        if !stopping && !spool_full {
            tail_events.extend(tailer.scan(&p.state().files));
            let observed = now_micros();
            let mut ingest_error = None;
            read = tailer.read(READ_BUDGET, &mut tail_events, |fp, path, line| {
                if ingest_error.is_none()
                    && let Err(e) = p.ingest(&path.display().to_string(), fp, line, observed)
                {
                    ingest_error = Some(e);
                }
            })?;
            if let Some(e) = ingest_error {
                return Err(e);
            }
            losses = p.on_tail_events(&mut tail_events, Some(&ctx.metrics), &ctx.ledger)?;
            // An event whose records are being joined is released once idle for a whole flush
            // interval (crate::joins): flush on until it is.
            dirty |= read > 0 || p.has_forgotten_files() || p.holds_records();
        }
        let due = last_flush.elapsed() >= ctx.flush_interval;
        // A loss is in the ledger already: commit its file's forgetting at once, so that a crash
        // does not record it twice.
        if dirty && (p.batch_full() || due || stopping || losses > 0) {
            if due {
                p.release_idle_joined(now_micros())?;
            }
            p.record_positions(tailer.positions());
            p.flush()?;
            last_flush = Instant::now();
            dirty = false;
        }
        let uploaded_all = uploader.try_upload(&mut p, &ctx, stopping);
        if uploaded_all {
            ctx.health.set(
                &name,
                SourceHealth {
                    spool_full: false,
                    upload_error: None,
                },
            );
        } else if spool_full {
            ctx.health.set(
                &name,
                SourceHealth {
                    spool_full: true,
                    upload_error: Some("spool full".into()),
                },
            );
        }
        ctx.metrics.observe(&name, &reported, &p.stats);
        reported = p.stats.clone();
        ctx.metrics
            .spool_bytes
            .get_or_create(&label)
            .set(p.spool_bytes() as i64);
        ctx.metrics
            .files_tailed
            .get_or_create(&label)
            .set(tailer.file_count() as i64);
        ctx.metrics
            .backpressure
            .get_or_create(&label)
            .set(i64::from(spool_full));
        if uploaded_all
            && let Err(e) = ctx.handle.block_on(p.write_digest(
                &**ctx.archive.store(),
                ctx.digest_interval_secs,
                stopping,
            ))
        {
            tracing::warn!(source = %name, error = %e, "cannot write digest, trying again later");
            ctx.metrics.error(&name, "digest");
        }
        if stopping {
            if !p.state().pending.is_empty() {
                // Keep trying until the grace period ends; the spool survives either way.
                std::thread::sleep(Duration::from_millis(200));
                if uploader.try_upload(&mut p, &ctx, true) {
                    ctx.handle.block_on(p.write_digest(
                        &**ctx.archive.store(),
                        ctx.digest_interval_secs,
                        true,
                    ))?;
                    break;
                }
                continue;
            }
            break;
        }
        if read < READ_BUDGET {
            // Caught up: sleep until a file changes or the poll interval passes.
            let _ = wake_rx.recv_timeout(ctx.poll_interval);
            while wake_rx.try_recv().is_ok() {}
        }
    }
    p.stats.partial_bytes = tailer.pending_bytes();
    p.note_never_resolved();
    Ok(p.stats)
}

/// Watches the globs' directories; any change wakes the source's loop. Polling covers what the
/// watcher misses, so a watcher that cannot start is only logged.
fn watch(
    tailer: &Tailer,
    wake: mpsc::Sender<()>,
    source: &str,
) -> Option<notify::RecommendedWatcher> {
    let mut watcher =
        match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Our own opens and reads of the files show up as access events: waking on them
            // would spin.
            if !matches!(res, Ok(ref e) if e.kind.is_access()) {
                let _ = wake.send(());
            }
        }) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(source, error = %e, "file watcher unavailable, polling only");
                return None;
            }
        };
    for dir in tailer.watch_dirs() {
        if let Err(e) = watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(source, dir = %dir.display(), error = %e, "cannot watch directory, polling it");
        }
    }
    Some(watcher)
}

//! The scan: plan the partitions a filter allows, read footers concurrently, prune row groups by
//! statistics and bloom filters, filter rows with Arrow kernels while decoding (late
//! materialization), and hand batches out in time order with bounded memory.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use auditlake_archive::layout::{self, ObjectKey};
use auditlake_storage::ObjectStore;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, RowFilter,
};
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use serde::{Deserialize, Serialize};

use crate::error::{QueryError, Result};
use crate::source::StoreFile;
use crate::stats::ScanStats;
use auditlake_filter::{
    Atom, Filter, FilterSpec, Verdict, bloom_checkable, bloom_probes, evaluate,
};

/// Rows per batch handed out.
pub const BATCH_ROWS: usize = 8192;
/// Sorted batches gathered ahead of the sink, at most.
const GATHERED_AHEAD: usize = 2;
/// Footers read at once.
const FOOTER_CONCURRENCY: usize = 16;
/// Objects decoded at once; each holds at most its own matching rows.
const FILE_CONCURRENCY: usize = 4;
/// Row groups of one object decoded at once.
const ROW_GROUP_CONCURRENCY: usize = 4;
/// Partitions listed one by one (rather than a whole tier) up to this many days.
const MAX_LISTED_DAYS: i64 = 400;
/// Columns of few distinct values: where the filter tests one, it is decoded as a dictionary,
/// so that the filter tests each distinct value once, not every row's copy of it; it is handed
/// out as plain strings all the same.
const DICTIONARY_COLUMNS: &[&str] = &[
    "category",
    "action",
    "outcome",
    "severity",
    "actor_type",
    "auth_method",
    "resource_type",
    "source",
    "tenant",
];

/// The order of the rows handed out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first.
    #[default]
    Desc,
    /// As stored (by day, then by actor and time within an object): no sorting at all.
    None,
}

/// A query as the command line gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRequest {
    pub filter: FilterSpec,
    /// Output columns, in order; every column when absent.
    pub columns: Option<Vec<String>>,
    pub order: Order,
    /// At most this many rows.
    pub limit: Option<u64>,
}

/// One object the plan will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub key: ObjectKey,
    pub size: u64,
}

/// A compiled query over one store.
#[derive(Debug, Clone)]
pub struct Query {
    store: Arc<dyn ObjectStore>,
    filter: Arc<Filter>,
    columns: Vec<String>,
    order: Order,
    limit: Option<u64>,
    stats: Arc<ScanStats>,
}

/// Checks column names against the archive's schema.
pub fn validate_columns(columns: &[String]) -> Result<()> {
    let known = auditlake_event::schema::column_names();
    for c in columns {
        if !known.contains(&c.as_str()) {
            return Err(QueryError::UnknownColumn { name: c.clone() });
        }
    }
    Ok(())
}

/// Compiles a filter whose tiers are tier names.
pub fn compile(spec: &FilterSpec, now: DateTime<Utc>) -> Result<Filter> {
    for t in &spec.tiers {
        if !layout::is_valid_name(t) {
            return Err(QueryError::arg(
                "--tier",
                format!("{t:?} is not a tier name"),
            ));
        }
    }
    Ok(spec.compile(now)?)
}

/// Lists the objects the filter's tiers and time range allow, oldest day first. Listing is per
/// partition when tiers and a bounded range are given, per tier when only tiers are, else of
/// every data object; keys are then filtered by their parsed tier and date.
pub async fn plan(
    store: &dyn ObjectStore,
    filter: &Filter,
    stats: &ScanStats,
) -> Result<Vec<PlannedFile>> {
    let (first, last) = filter.date_range();
    let mut prefixes = Vec::new();
    match (filter.tiers.is_empty(), first, last) {
        (false, Some(a), Some(b)) if (b - a).num_days() < MAX_LISTED_DAYS => {
            for t in &filter.tiers {
                let mut d = a;
                while d <= b {
                    prefixes.push(layout::partition_prefix(t, d));
                    d = d.succ_opt().unwrap_or(d);
                    if d == NaiveDate::MAX {
                        break;
                    }
                }
            }
        }
        (false, ..) => prefixes.extend(filter.tiers.iter().map(|t| layout::tier_prefix(t))),
        (true, ..) => prefixes.push("tier=".to_string()),
    }
    let listed: Vec<Vec<auditlake_storage::ObjectMeta>> = futures::stream::iter(prefixes)
        .map(|p| async move { store.list(&p).await })
        .buffer_unordered(FOOTER_CONCURRENCY)
        .try_collect()
        .await?;
    // Compaction and erasure jobs under way: each event is read from either the objects a job
    // replaces or those it writes, never both (see `auditlake_archive::markers`).
    let rewrites = auditlake_archive::markers::RewriteView::load(store).await?;
    let hidden = rewrites.hidden(listed.iter().flatten().map(|m| m.key.as_str()));
    let mut files = Vec::new();
    for meta in listed.into_iter().flatten() {
        if !meta.key.ends_with(layout::DATA_SUFFIX) || hidden.contains(&meta.key) {
            continue;
        }
        ScanStats::add(&stats.files_listed, 1);
        let key = match layout::parse_data_key(&meta.key) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(key = %meta.key, error = %e, "skipping an object that is not a data object");
                continue;
            }
        };
        if filter.may_match_partition(&key.tier, key.event_date) {
            files.push(PlannedFile {
                key,
                size: meta.size,
            });
        }
    }
    files.sort_by(|a, b| {
        (a.key.event_date, &a.key.tier, a.key.to_key()).cmp(&(
            b.key.event_date,
            &b.key.tier,
            b.key.to_key(),
        ))
    });
    files.dedup();
    ScanStats::add(&stats.files_planned, files.len() as u64);
    Ok(files)
}

/// The matching rows of one object.
struct FileRows {
    date: NaiveDate,
    batches: Vec<RecordBatch>,
}

impl Query {
    /// Compiles a request; relative times are taken from `now`.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        req: &QueryRequest,
        now: DateTime<Utc>,
    ) -> Result<Query> {
        let filter = compile(&req.filter, now)?;
        Query::with_filter(store, filter, req)
    }

    /// A query over an already compiled filter; the request's own filter is not used.
    pub fn with_filter(
        store: Arc<dyn ObjectStore>,
        filter: Filter,
        req: &QueryRequest,
    ) -> Result<Query> {
        let columns = match &req.columns {
            Some(c) if !c.is_empty() => c.clone(),
            _ => auditlake_event::schema::column_names()
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        validate_columns(&columns)?;
        Ok(Query {
            store,
            filter: Arc::new(filter),
            columns,
            order: req.order,
            limit: req.limit,
            stats: Arc::new(ScanStats::default()),
        })
    }

    /// Runs the scan and returns every row handed out as one batch (bounded by the limit: for
    /// pages and reports, not exports).
    pub async fn collect(&self) -> Result<RecordBatch> {
        let mut batches = Vec::new();
        self.run(&mut |b| {
            batches.push(b);
            Ok(())
        })
        .await?;
        arrow::compute::concat_batches(&self.output_schema(), &batches)
            .map_err(QueryError::arrow("collecting the rows"))
    }

    /// The same query handing out at most `limit` rows.
    pub fn with_limit(mut self, limit: Option<u64>) -> Query {
        self.limit = limit;
        self
    }

    /// The scan's live counters.
    pub fn stats(&self) -> Arc<ScanStats> {
        self.stats.clone()
    }

    /// The output columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The Arrow schema of the batches [`Query::run`] hands out.
    pub fn output_schema(&self) -> arrow::datatypes::SchemaRef {
        let full = auditlake_event::arrow_schema();
        let idx: Vec<usize> = self
            .columns
            .iter()
            .filter_map(|c| full.index_of(c).ok())
            .collect();
        Arc::new(full.project(&idx).expect("validated columns"))
    }

    /// Runs the scan, handing every matching row to `sink` in batches of the output columns.
    /// Returns the number of rows handed out.
    ///
    /// Memory: with [`Order::None`] a few objects' matching rows; with a time order, one day's
    /// matching rows (the days are disjoint in time), or with a limit at most about twice the
    /// limit.
    pub async fn run(
        &self,
        sink: &mut (dyn FnMut(RecordBatch) -> Result<()> + Send),
    ) -> Result<u64> {
        let mut files = plan(self.store.as_ref(), &self.filter, &self.stats).await?;
        if self.order == Order::Desc {
            // Days newest first; within a day the rows are sorted anyway.
            files.reverse();
        }
        let mut scan_cols: Vec<String> = self.columns.clone();
        if self.order != Order::None && !scan_cols.iter().any(|c| c == "time") {
            scan_cols.push("time".into());
        }
        let scan_cols = Arc::new(scan_cols);
        let mut out = Emitter {
            sink,
            columns: &self.columns,
            remaining: self.limit.unwrap_or(u64::MAX),
            emitted: 0,
        };
        if out.remaining == 0 {
            return Ok(0);
        }
        let store = self.store.clone();
        let stats = self.stats.clone();
        let filter = self.filter.clone();
        let mut stream = futures::stream::iter(files)
            .map(move |f| {
                let file = StoreFile::new(store.clone(), f.key.to_key(), f.size, stats.clone());
                async move {
                    let mut file = file;
                    let md = ArrowReaderMetadata::load_async(&mut file, ArrowReaderOptions::new())
                        .await
                        .map_err(|source| QueryError::Parquet {
                            key: file.key().to_string(),
                            source,
                        })?;
                    auditlake_archive::reader::check_schema_version(
                        md.metadata().file_metadata(),
                        Some(file.key()),
                    )?;
                    Ok::<_, QueryError>((f.key.event_date, file, md))
                }
            })
            .buffered(FOOTER_CONCURRENCY)
            .map({
                let filter = filter.clone();
                let stats = self.stats.clone();
                let cols = scan_cols.clone();
                move |r| {
                    let filter = filter.clone();
                    let stats = stats.clone();
                    let cols = cols.clone();
                    // Pruning (bloom filter reads and probes) on a runtime worker per object,
                    // so that the objects in flight are pruned in parallel too.
                    let task = tokio::spawn(async move {
                        let (date, file, md) = r?;
                        let batches = scan_file(file, md, &filter, &cols, &stats).await?;
                        Ok::<_, QueryError>(FileRows { date, batches })
                    });
                    async move {
                        task.await.map_err(|e| QueryError::Task {
                            message: e.to_string(),
                        })?
                    }
                }
            })
            .buffered(FILE_CONCURRENCY);

        let mut day: Option<NaiveDate> = None;
        let mut held: Vec<RecordBatch> = Vec::new();
        let mut held_rows = 0usize;
        while let Some(file) = stream.next().await {
            let file = file?;
            ScanStats::add(&self.stats.files_done, 1);
            if self.order == Order::None {
                for b in file.batches {
                    if !out.emit(b)? {
                        return Ok(out.emitted);
                    }
                }
                continue;
            }
            if day.is_some_and(|d| d != file.date) {
                let batches = std::mem::take(&mut held);
                held_rows = 0;
                if !out.emit_sorted(batches, self.order)? {
                    return Ok(out.emitted);
                }
            }
            day = Some(file.date);
            for b in file.batches {
                held_rows += b.num_rows();
                held.push(b);
            }
            // A bounded top-N: beyond twice the rows still wanted, keep only the best.
            let want = usize::try_from(out.remaining).unwrap_or(usize::MAX);
            if want < usize::MAX / 4 && held_rows > (2 * want).max(BATCH_ROWS) {
                let batches = std::mem::take(&mut held);
                let mut indices = sorted_indices(&batches, self.order)?;
                indices.truncate(want);
                let kept = gather(&batches, &indices)?;
                held_rows = kept.num_rows();
                held.push(kept);
            }
        }
        if !held.is_empty() {
            out.emit_sorted(held, self.order)?;
        }
        Ok(out.emitted)
    }
}

struct Emitter<'a> {
    sink: &'a mut (dyn FnMut(RecordBatch) -> Result<()> + Send),
    columns: &'a [String],
    remaining: u64,
    emitted: u64,
}

impl Emitter<'_> {
    /// Hands a batch out (projected, cut to the limit); false when the limit is reached.
    fn emit(&mut self, batch: RecordBatch) -> Result<bool> {
        let n = (batch.num_rows() as u64).min(self.remaining) as usize;
        if n > 0 {
            let batch = project(&batch.slice(0, n), self.columns)?;
            (self.sink)(batch)?;
            self.remaining -= n as u64;
            self.emitted += n as u64;
        }
        Ok(self.remaining > 0)
    }

    /// Hands the rows of `batches` out sorted by time, gathered a batch at a time: no sorted
    /// copy of the whole day is held, and rows beyond the limit are never copied.
    ///
    /// Gathering (the cells of a batch of output rows are scattered over the day's batches)
    /// costs about as much as writing them out, so a thread of its own gathers the next batches
    /// while the sink writes the last one. (Writing the picked rows straight from the day's
    /// batches, with no gathered copy, was measured twice as slow: reading a row's cells from
    /// all over memory misses the caches at every cell, where gathering goes column by column.)
    fn emit_sorted(&mut self, batches: Vec<RecordBatch>, order: Order) -> Result<bool> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(self.remaining > 0);
        }
        let indices = sorted_indices(&batches, order)?;
        let batches = batches
            .iter()
            .map(|b| project(b, self.columns))
            .collect::<Result<Vec<_>>>()?;
        let n = (indices.len() as u64).min(self.remaining) as usize;
        let sink = &mut *self.sink;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<RecordBatch>>(GATHERED_AHEAD);
            let (batches, indices) = (&batches, &indices[..n]);
            s.spawn(move || {
                for chunk in indices.chunks(BATCH_ROWS) {
                    // The sink failed and the receiver is gone: nothing more is wanted.
                    if tx.send(gather(batches, chunk)).is_err() {
                        break;
                    }
                }
            });
            rx.into_iter().try_for_each(|batch| sink(batch?))
        })?;
        self.remaining -= n as u64;
        self.emitted += n as u64;
        Ok(self.remaining > 0)
    }
}

fn project(batch: &RecordBatch, columns: &[String]) -> Result<RecordBatch> {
    let schema = batch.schema();
    let idx = columns
        .iter()
        .map(|c| {
            schema
                .index_of(c)
                .map_err(|_| QueryError::UnknownColumn { name: c.clone() })
        })
        .collect::<Result<Vec<_>>>()?;
    batch
        .project(&idx)
        .map_err(QueryError::arrow("projecting columns"))
}

/// Where each row of `batches` goes when they are sorted by `time` (ties in the order given):
/// `(batch, row)` pairs, in output order.
fn sorted_indices(batches: &[RecordBatch], order: Order) -> Result<Vec<(usize, usize)>> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::TimestampMicrosecondType;
    let mut keys: Vec<(bool, i64, u32, u32)> =
        Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for (b, batch) in batches.iter().enumerate() {
        let time = batch
            .column_by_name("time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| QueryError::UnknownColumn {
                name: "time".into(),
            })?;
        for r in 0..time.len() {
            // Nulls last either way (the archive's `time` has none); `!t` orders newest first.
            let (null, t) = match (time.is_valid(r), order) {
                (true, Order::Desc) => (false, !time.value(r)),
                (true, _) => (false, time.value(r)),
                (false, _) => (true, 0),
            };
            keys.push((null, t, b as u32, r as u32));
        }
    }
    keys.sort_unstable();
    Ok(keys
        .into_iter()
        .map(|(_, _, b, r)| (b as usize, r as usize))
        .collect())
}

/// The rows at `indices` of batches of one schema, as one batch in that order.
fn gather(batches: &[RecordBatch], indices: &[(usize, usize)]) -> Result<RecordBatch> {
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    arrow::compute::interleave_record_batch(&refs, indices)
        .map_err(QueryError::arrow("sorting rows"))
}

/// Reads one object's matching rows: prunes row groups, then decodes the filter's columns,
/// evaluates the filter, and decodes the other columns only for the matching rows.
async fn scan_file(
    file: StoreFile,
    md: ArrowReaderMetadata,
    filter: &Filter,
    columns: &[String],
    stats: &ScanStats,
) -> Result<Vec<RecordBatch>> {
    let key = file.key().to_string();
    let pq_err = |source| QueryError::Parquet {
        key: key.clone(),
        source,
    };
    let md = read_as_dictionaries(md, filter).map_err(pq_err)?;
    let meta = md.metadata().clone();
    let schema_descr = meta.file_metadata().schema_descr_ptr();
    let index_of = |name: &str| schema_descr.columns().iter().position(|c| c.name() == name);
    let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(file.clone(), md.clone());
    let mut kept = Vec::new();
    ScanStats::add(&stats.row_groups_total, meta.num_row_groups() as u64);
    'groups: for rg in 0..meta.num_row_groups() {
        let rg_meta = meta.row_group(rg);
        let verdicts = filter.stats_verdicts(rg_meta, &index_of);
        if verdicts.iter().any(|v| v.iter().all(|x| *x == Verdict::No)) {
            ScanStats::add(&stats.row_groups_pruned_stats, 1);
            continue;
        }
        for (clause, v) in filter.clauses.iter().zip(&verdicts) {
            if !bloom_checkable(clause, v) {
                continue;
            }
            let mut any = false;
            for (atom, verdict) in clause.iter().zip(v) {
                if *verdict == Verdict::No {
                    continue;
                }
                // The atom is ruled out when one of its probes finds none of its values.
                let mut ruled_out = false;
                for (column, values) in bloom_probes(atom) {
                    let Some(ci) = index_of(column) else {
                        continue;
                    };
                    if let Some(sbbf) = builder
                        .get_row_group_column_bloom_filter(rg, ci)
                        .await
                        .map_err(pq_err)?
                        && !values.iter().any(|v| sbbf.check(v.as_str()))
                    {
                        ruled_out = true;
                        break;
                    }
                }
                if !ruled_out {
                    any = true;
                    break;
                }
            }
            if !any {
                ScanStats::add(&stats.row_groups_pruned_bloom, 1);
                continue 'groups;
            }
        }
        ScanStats::add(&stats.rows_scanned, rg_meta.num_rows() as u64);
        kept.push(rg);
    }
    if kept.is_empty() {
        return Ok(Vec::new());
    }
    let leaves = |names: &mut dyn Iterator<Item = &str>| -> Vec<usize> {
        let set: BTreeSet<usize> = names.filter_map(index_of).collect();
        set.into_iter().collect()
    };
    let out_mask = ProjectionMask::leaves(
        &schema_descr,
        leaves(&mut columns.iter().map(String::as_str)),
    );
    let predicate = (!filter.is_empty()).then(|| {
        let filter_cols = filter.columns();
        let mask = ProjectionMask::leaves(&schema_descr, leaves(&mut filter_cols.iter().copied()));
        (mask, Arc::new(filter.clauses.clone()))
    });
    let read = |row_group: usize| {
        read_row_group(
            file.clone(),
            md.clone(),
            row_group,
            out_mask.clone(),
            predicate.clone(),
        )
    };
    // Decoding is CPU work: each row group on a runtime worker of its own, a few at a time,
    // joined in file order, so that one large object does not keep the other cores idle.
    let parts: Vec<Vec<RecordBatch>> = futures::stream::iter(kept)
        .map(|rg| {
            let task = tokio::spawn(read(rg));
            let key = key.clone();
            async move {
                task.await.map_err(|e| QueryError::Task {
                    message: format!("{key}: {e}"),
                })?
            }
        })
        .buffered(ROW_GROUP_CONCURRENCY)
        .try_collect()
        .await?;
    let batches: Vec<RecordBatch> = parts.into_iter().flatten().collect();
    let matched: usize = batches.iter().map(RecordBatch::num_rows).sum();
    ScanStats::add(&stats.rows_matched, matched as u64);
    Ok(batches)
}

/// Decodes one row group of an object: the filter's columns first, the filter evaluated on them,
/// then the output columns for the matching rows only.
async fn read_row_group(
    file: StoreFile,
    md: ArrowReaderMetadata,
    row_group: usize,
    out_mask: ProjectionMask,
    predicate: Option<(ProjectionMask, Arc<Vec<Vec<Atom>>>)>,
) -> Result<Vec<RecordBatch>> {
    let key = file.key().to_string();
    let pq_err = |source| QueryError::Parquet {
        key: key.clone(),
        source,
    };
    let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(file, md)
        .with_row_groups(vec![row_group])
        .with_projection(out_mask)
        .with_batch_size(BATCH_ROWS);
    if let Some((mask, clauses)) = predicate {
        let predicate = ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
            evaluate(&clauses, &batch)
                .map_err(|e| arrow::error::ArrowError::ExternalError(Box::new(e)))
        });
        builder = builder.with_row_filter(RowFilter::new(vec![Box::new(predicate)]));
    }
    let stream = builder.build().map_err(pq_err)?;
    let batches: Vec<RecordBatch> = stream
        .try_filter(|b| futures::future::ready(b.num_rows() > 0))
        .try_collect()
        .await
        .map_err(pq_err)?;
    // Objects of an older schema version come out with the current types.
    batches
        .into_iter()
        .map(|b| plain_strings(b).and_then(auditlake_event::upgrade))
        .collect::<std::result::Result<_, _>>()
        .map_err(|source| QueryError::Parquet {
            key: key.clone(),
            source: source.into(),
        })
}

/// `md` with the [`DICTIONARY_COLUMNS`] the filter tests read as dictionaries of strings.
fn read_as_dictionaries(
    md: ArrowReaderMetadata,
    filter: &Filter,
) -> parquet::errors::Result<ArrowReaderMetadata> {
    use arrow::datatypes::{DataType, Field, Schema};
    let tested = filter.columns();
    let wanted = |f: &Field| {
        *f.data_type() == DataType::Utf8
            && DICTIONARY_COLUMNS.contains(&f.name().as_str())
            && tested.contains(f.name().as_str())
    };
    let schema = md.schema().clone();
    if !schema.fields().iter().any(|f| wanted(f)) {
        return Ok(md);
    }
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let f = f.as_ref().clone();
            if wanted(&f) {
                f.with_data_type(dictionary.clone())
            } else {
                f
            }
        })
        .collect();
    let hint = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        md.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hint),
    )
}

/// `batch` with its dictionary-encoded string columns (see [`read_as_dictionaries`]) as plain
/// strings, the type every reader of a scan expects.
fn plain_strings(batch: RecordBatch) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    use arrow::datatypes::DataType;
    auditlake_event::cast_columns(batch, &Default::default(), |f| {
        matches!(f.data_type(), DataType::Dictionary(_, v) if **v == DataType::Utf8)
            .then_some(DataType::Utf8)
    })
}

/// The UTC date of a time in microseconds, `YYYY-MM-DD`.
pub fn day_of(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

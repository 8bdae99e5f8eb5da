//! Merging objects into one, in the archive's row order, with bounded memory: an external merge
//! sort. Rows are taken from the inputs one object at a time into runs of at most `run_rows`
//! rows, each run sorted and spilled to a temporary Parquet file; the runs are then merged, a
//! few rows of each at a time, straight into the output's encoder, which writes to a temporary
//! file too. Memory is one run's rows (and its sorted copy) while reading, then a small batch
//! and page per run and one row group's pages while merging, and finally the output's bytes
//! (read back once everything else is let go), whatever the inputs add up to.
//!
//! The output is what [`encode_batch`](crate::writer::encode_batch) makes of the inputs'
//! rows concatenated in input order: the same sort, ties kept in input order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{SortOptions, concat_batches, interleave_record_batch, take_record_batch};
use arrow::row::{OwnedRow, RowConverter, Rows, SortField};
use auditlake_event::arrow_schema;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::error::{ArchiveError, Result};
use crate::reader::check_schema_version;
use crate::writer::{EncodedObject, ObjectEncoder, WriterOptions, row_order_indices};

/// Rows read from a run at a time while merging.
const MERGE_BATCH_ROWS: usize = 1024;

/// Rows handed to the output encoder at a time (as `encode_batch` hands them).
const OUT_ROWS: usize = 8192;

/// Runs read at once; more are first merged into longer runs.
const FAN_IN: usize = 16;

/// Rows of a run by default: half a row group (about 40 MiB of decoded rows with `raw`).
pub const DEFAULT_RUN_ROWS: usize = 32_768;

fn io_err(source: std::io::Error) -> ArchiveError {
    ArchiveError::Io {
        path: std::env::temp_dir(),
        source,
    }
}

fn arrow_err(context: &'static str) -> impl Fn(arrow::error::ArrowError) -> ArchiveError {
    move |source| ArchiveError::Arrow { context, source }
}

fn parquet_err(context: &'static str) -> impl Fn(parquet::errors::ParquetError) -> ArchiveError {
    move |source| ArchiveError::Parquet { context, source }
}

/// Collects the rows of several objects, then writes them as one object in row order.
pub struct ObjectMerger {
    opts: WriterOptions,
    run_rows: usize,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    runs: Vec<File>,
    rows: usize,
}

impl ObjectMerger {
    /// A merger writing with `opts`, spilling runs of `run_rows` rows (at least one).
    pub fn new(opts: &WriterOptions, run_rows: usize) -> Result<ObjectMerger> {
        opts.validate()?;
        Ok(ObjectMerger {
            opts: opts.clone(),
            run_rows: run_rows.max(1),
            pending: Vec::new(),
            pending_rows: 0,
            runs: Vec::new(),
            rows: 0,
        })
    }

    /// Adds the rows of the object `bytes`, stored under `key` (which names it in errors).
    pub fn add_object(&mut self, bytes: Bytes, key: &str) -> Result<()> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(parquet_err("reading the footer"))?;
        check_schema_version(builder.metadata().file_metadata(), Some(key))?;
        let reader = builder
            .with_batch_size(OUT_ROWS)
            .build()
            .map_err(parquet_err("opening the reader"))?;
        for batch in reader {
            let batch = batch
                .and_then(auditlake_event::upgrade)
                .map_err(arrow_err("decoding rows"))?;
            self.add_batch(batch)?;
        }
        Ok(())
    }

    /// Adds rows (of the archive's schema, any order).
    pub fn add_batch(&mut self, batch: RecordBatch) -> Result<()> {
        let mut batch = batch;
        while batch.num_rows() > 0 {
            let n = (self.run_rows - self.pending_rows).min(batch.num_rows());
            self.pending.push(batch.slice(0, n));
            self.pending_rows += n;
            self.rows += n;
            batch = batch.slice(n, batch.num_rows() - n);
            if self.pending_rows == self.run_rows {
                self.spill()?;
            }
        }
        Ok(())
    }

    /// Sorts the pending rows and writes them to a run file.
    fn spill(&mut self) -> Result<()> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        let all =
            concat_batches(&arrow_schema(), &self.pending).map_err(arrow_err("joining rows"))?;
        self.pending.clear();
        self.pending_rows = 0;
        let order = row_order_indices(&all)?;
        let mut writer = run_writer()?;
        for slice in order.chunks(OUT_ROWS) {
            let indices = UInt32Array::from(slice.to_vec());
            let taken = take_record_batch(&all, &indices).map_err(arrow_err("reordering rows"))?;
            writer.write(&taken).map_err(parquet_err("writing a run"))?;
        }
        drop(all);
        let mut file = writer.into_inner().map_err(parquet_err("writing a run"))?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        self.runs.push(file);
        Ok(())
    }

    /// Merges the runs into the output object. `Err(EmptyBatch)` when no row was added.
    pub fn finish(mut self) -> Result<EncodedObject> {
        if self.rows == 0 {
            return Err(ArchiveError::EmptyBatch);
        }
        self.spill()?;
        // At most FAN_IN runs are read at once: more are merged into longer runs first.
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > FAN_IN {
            let mut longer = Vec::new();
            let mut rest = runs.into_iter();
            loop {
                let group: Vec<File> = rest.by_ref().take(FAN_IN).collect();
                if group.is_empty() {
                    break;
                }
                let mut writer = run_writer()?;
                merge_runs(group, |rows| {
                    writer.write(rows).map_err(parquet_err("writing a run"))
                })?;
                let mut file = writer.into_inner().map_err(parquet_err("writing a run"))?;
                file.seek(SeekFrom::Start(0)).map_err(io_err)?;
                longer.push(file);
            }
            runs = longer;
        }
        let out = tempfile::tempfile().map_err(io_err)?;
        let mut encoder = ObjectEncoder::new(out, &self.opts, self.rows)?;
        merge_runs(runs, |rows| encoder.write(rows))?;
        let (mut out, stats) = encoder.finish()?;
        out.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let len = out.metadata().map_err(io_err)?.len();
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        out.read_to_end(&mut bytes).map_err(io_err)?;
        Ok(stats.into_object(Bytes::from(bytes)))
    }
}

/// Merges sorted runs (ties in run order), handing the rows to `emit` in order, a few thousand
/// at a time.
fn merge_runs(files: Vec<File>, mut emit: impl FnMut(&RecordBatch) -> Result<()>) -> Result<()> {
    let converter = sort_converter()?;
    let mut runs = Vec::with_capacity(files.len());
    for file in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(parquet_err("reading a run"))?
            .with_batch_size(MERGE_BATCH_ROWS)
            .build()
            .map_err(parquet_err("reading a run"))?;
        runs.push(Run {
            reader,
            batch: None,
            keys: None,
            pos: 0,
            slot: 0,
        });
    }
    // Batches the pending output rows point into; each run's current batch is among them.
    let mut slots: Vec<RecordBatch> = Vec::new();
    let mut pending: Vec<(usize, usize)> = Vec::with_capacity(OUT_ROWS);
    let mut heap: BinaryHeap<Reverse<(OwnedRow, usize)>> = BinaryHeap::new();
    for (i, run) in runs.iter_mut().enumerate() {
        if let Some(key) = run.advance(&converter, &mut slots)? {
            heap.push(Reverse((key, i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let run = &mut runs[i];
        pending.push((run.slot, run.pos));
        run.pos += 1;
        if pending.len() == OUT_ROWS {
            flush(&mut emit, &mut slots, &mut pending, &mut runs)?;
        }
        if let Some(key) = runs[i].advance(&converter, &mut slots)? {
            heap.push(Reverse((key, i)));
        }
    }
    flush(&mut emit, &mut slots, &mut pending, &mut runs)
}

/// A writer of a run: uncompressed (a decompressor per column per run would cost more memory
/// than the pages it saves), small pages (the merge holds one page of each column of each run),
/// row groups of a spilled run's size.
fn run_writer() -> Result<ArrowWriter<File>> {
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_data_page_size_limit(64 * 1024)
        .set_data_page_row_count_limit(MERGE_BATCH_ROWS)
        // The writer holds a row group's pages until the group is done.
        .set_max_row_group_row_count(Some(DEFAULT_RUN_ROWS))
        .build();
    let file = tempfile::tempfile().map_err(io_err)?;
    ArrowWriter::try_new(file, arrow_schema(), Some(props)).map_err(parquet_err("writing a run"))
}

/// A sorted run being merged: its current batch (in `slots`), the batch's sort keys, and the
/// next row to take.
struct Run {
    reader: ParquetRecordBatchReader,
    batch: Option<RecordBatch>,
    keys: Option<Rows>,
    pos: usize,
    slot: usize,
}

impl Run {
    /// The key of the next row to take, reading the next batch when the current one is used
    /// up; `None` at the run's end.
    fn advance(
        &mut self,
        converter: &RowConverter,
        slots: &mut Vec<RecordBatch>,
    ) -> Result<Option<OwnedRow>> {
        if self.batch.as_ref().is_none_or(|b| self.pos >= b.num_rows()) {
            let Some(batch) = self.reader.next() else {
                self.batch = None;
                self.keys = None;
                return Ok(None);
            };
            let batch = batch.map_err(arrow_err("reading a run"))?;
            self.keys = Some(sort_keys(converter, &batch)?);
            self.slot = slots.len();
            slots.push(batch.clone());
            self.batch = Some(batch);
            self.pos = 0;
        }
        Ok(self.keys.as_ref().map(|k| k.row(self.pos).owned()))
    }
}

/// Writes the pending rows, then forgets the batches no run reads any more.
fn flush(
    emit: &mut impl FnMut(&RecordBatch) -> Result<()>,
    slots: &mut Vec<RecordBatch>,
    pending: &mut Vec<(usize, usize)>,
    runs: &mut [Run],
) -> Result<()> {
    if !pending.is_empty() {
        let refs: Vec<&RecordBatch> = slots.iter().collect();
        let rows = interleave_record_batch(&refs, pending).map_err(arrow_err("merging rows"))?;
        emit(&rows)?;
        pending.clear();
    }
    slots.clear();
    for run in runs.iter_mut() {
        if let Some(b) = &run.batch {
            run.slot = slots.len();
            slots.push(b.clone());
        }
    }
    Ok(())
}

/// The row format of the archive's sort key: `actor_id` (nulls last), `time`, `event_id`.
fn sort_converter() -> Result<RowConverter> {
    let schema = arrow_schema();
    let options = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let fields = ["actor_id", "time", "event_id"]
        .iter()
        .map(|name| {
            let f = schema
                .field_with_name(name)
                .map_err(arrow_err("sorting rows"))?;
            Ok(SortField::new_with_options(f.data_type().clone(), options))
        })
        .collect::<Result<Vec<_>>>()?;
    RowConverter::new(fields).map_err(arrow_err("sorting rows"))
}

fn sort_keys(converter: &RowConverter, batch: &RecordBatch) -> Result<Rows> {
    let columns = ["actor_id", "time", "event_id"]
        .iter()
        .map(|name| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| ArchiveError::Arrow {
                    context: "sorting rows",
                    source: arrow::error::ArrowError::SchemaError(format!("no column {name}")),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    converter
        .convert_columns(&columns)
        .map_err(arrow_err("sorting rows"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::{encode_batch, encode_parquet};
    use auditlake_event::{AuditEvent, SourceInfo, to_record_batch};
    use std::sync::Arc;

    fn events(n: usize, seed: u64) -> Vec<AuditEvent> {
        let src = Arc::new(SourceInfo {
            app: "app".into(),
            ..SourceInfo::default()
        });
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n)
            .map(|i| AuditEvent {
                event_id: format!("e-{seed}-{i:06}"),
                time: 1_700_000_000_000_000 + rng.i64(0..86_400_000_000),
                observed_time: Some(1_700_000_000_000_000 + i as i64),
                seq: Some(i as u64),
                actor_id: (rng.u8(..) > 20).then(|| format!("u-{}", rng.u8(0..40))),
                action: "authentication.login".into(),
                source: src.clone(),
                raw: Some(format!("line {i} of {seed}")),
                ..AuditEvent::default()
            })
            .collect()
    }

    /// Merged with small runs, the inputs give the very bytes one sort of them all gives.
    #[test]
    fn merging_in_runs_gives_what_one_sort_gives() {
        let opts = WriterOptions {
            row_group_rows: 8192,
            ..WriterOptions::default()
        };
        let inputs: Vec<Vec<AuditEvent>> = [3000, 1, 9000, 4500]
            .iter()
            .zip(1..)
            .map(|(&n, s)| events(n, s))
            .collect();
        let all: Vec<AuditEvent> = inputs.iter().flatten().cloned().collect();
        let want = encode_batch(&to_record_batch(&all).unwrap(), &opts).unwrap();
        // 500 and 1000 rows make more runs than are read at once: merged in two levels.
        for run_rows in [500, 1000, 4096, 100_000] {
            let mut m = ObjectMerger::new(&opts, run_rows).unwrap();
            for (i, evs) in inputs.iter().enumerate() {
                let obj = encode_parquet(evs, &opts).unwrap();
                m.add_object(obj.bytes, &format!("in-{i}")).unwrap();
            }
            let got = m.finish().unwrap();
            assert_eq!(got.rows, want.rows);
            assert_eq!(
                (got.min_time, got.max_time, got.first_seq, got.last_seq),
                (want.min_time, want.max_time, want.first_seq, want.last_seq)
            );
            assert_eq!(got.max_observed_time, want.max_observed_time);
            assert!(got.bytes == want.bytes, "run_rows {run_rows}: bytes differ");
            assert_eq!(got.sha256, want.sha256);
        }
    }

    #[test]
    fn nothing_added_is_an_empty_batch() {
        let m = ObjectMerger::new(&WriterOptions::default(), 10).unwrap();
        assert!(matches!(m.finish(), Err(ArchiveError::EmptyBatch)));
    }
}

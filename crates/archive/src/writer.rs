//! Parquet encoding of a batch of events, and the archive writer that stores the result.
//!
//! One object holds events of one tier and one event date, sorted by (`actor_id` with nulls
//! last, `time`, `event_id`), so that row-group and page statistics on `actor_id` prune.
//! Compression is zstd; low-cardinality strings are dictionary encoded, times, offsets and
//! sequence numbers delta encoded; statistics are kept per page, with the page index; the columns
//! people look single values up by carry bloom filters.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch, UInt32Array};
use arrow::compute::kernels::aggregate;
use arrow::compute::{LexicographicalComparator, SortColumn, SortOptions, take_record_batch};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use arrow::error::ArrowError;
use auditlake_event::schema::{BLOOM_FILTER_COLUMNS, DICTIONARY_COLUMNS};
use auditlake_event::{
    AuditEvent, SCHEMA_VERSION, SCHEMA_VERSION_KEY, arrow_schema, to_record_batch,
};
use auditlake_storage::{ObjectLock, ObjectStore, PutOptions, Sse};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ArchiveError, Result};
use crate::layout::ObjectKey;
use crate::tier::{TierConfig, validate_tiers};

/// The Parquet key-value metadata key naming the software that wrote an object.
pub const CREATED_BY_KEY: &str = "auditlake.created_by";

/// The content type of data objects.
pub const PARQUET_CONTENT_TYPE: &str = "application/vnd.apache.parquet";

/// Columns whose values are (nearly) unique per row: a dictionary would only cost.
const HIGH_CARDINALITY_COLUMNS: &[&str] = &[
    "event_id",
    "origin_id",
    "seq",
    "time",
    "observed_time",
    "changes",
    "message",
    "attributes",
    "source_offset",
    "raw",
];

/// Free-text and JSON columns: no query prunes by their minimum and maximum (text search is a
/// substring match), so their statistics and page index entries would only cost footer bytes.
const UNSTATISTICAL_COLUMNS: &[&str] = &["raw", "message", "attributes", "changes", "user_agent"];

/// 64-bit integer columns that grow within an actor's rows (times, offsets, sequence numbers):
/// delta encoding stores the small differences, not the full values.
const DELTA_COLUMNS: &[&str] = &["time", "observed_time", "seq", "source_offset"];

/// The columns the rows are sorted by, as written in the footer's `sorting_columns`.
const SORTING_COLUMNS: &[&str] = &["actor_id", "time"];

/// How Parquet objects are written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriterOptions {
    /// The zstd compression level, 1 (fastest) to 22 (smallest). Default 3.
    pub zstd_level: i32,
    /// The most rows in one row group. Memory while writing is about one row group's Arrow
    /// arrays. Default 65536.
    pub row_group_rows: usize,
    /// The false-positive probability of the bloom filters, between 0 and 1. Default 0.01.
    pub bloom_filter_fpp: f64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            zstd_level: 3,
            row_group_rows: 65_536,
            bloom_filter_fpp: 0.01,
        }
    }
}

impl WriterOptions {
    /// Checks the options' ranges.
    pub fn validate(&self) -> Result<()> {
        let err = |option, message: String| Err(ArchiveError::WriterOptions { option, message });
        if !(1..=22).contains(&self.zstd_level) {
            return err(
                "zstd_level",
                format!("{} is not in 1..=22", self.zstd_level),
            );
        }
        if self.row_group_rows == 0 {
            return err("row_group_rows", "must be at least 1".to_string());
        }
        if !(self.bloom_filter_fpp > 0.0 && self.bloom_filter_fpp < 1.0) {
            return err(
                "bloom_filter_fpp",
                format!("{} is not between 0 and 1", self.bloom_filter_fpp),
            );
        }
        Ok(())
    }
}

/// The SHA-256 of `bytes` as lower case hex, as digests and spool entries record it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A Parquet object ready to store, with what its digest entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedObject {
    /// The whole Parquet file.
    pub bytes: Bytes,
    /// The number of events (rows).
    pub rows: u64,
    /// The earliest event time (UTC microseconds).
    pub min_time: i64,
    /// The latest event time (UTC microseconds).
    pub max_time: i64,
    /// The lowest sequence number of the events, where they have one.
    pub first_seq: Option<u64>,
    /// The highest sequence number of the events, where they have one.
    pub last_seq: Option<u64>,
    /// The latest time at which auditlake read one of the events (UTC microseconds): when the
    /// object was written, as far as its rows tell. Object Lock counts from it.
    pub max_observed_time: Option<i64>,
    /// The SHA-256 of `bytes`, lower case hex.
    pub sha256: String,
}

impl EncodedObject {
    /// When the object counts as written, for its Object Lock: the latest observed time of its
    /// events, never later than now (where no event has an observed time: now).
    pub fn written_at(&self) -> chrono::DateTime<chrono::Utc> {
        let now = chrono::Utc::now();
        self.max_observed_time
            .map(auditlake_event::micros_to_datetime)
            .map_or(now, |t| t.min(now))
    }
}

/// The archive's row order: `actor_id` (nulls last), then `time`, then `event_id`.
pub fn row_order(a: &AuditEvent, b: &AuditEvent) -> Ordering {
    let actor = match (&a.actor_id, &b.actor_id) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    actor
        .then(a.time.cmp(&b.time))
        .then_with(|| a.event_id.cmp(&b.event_id))
}

/// Encodes events as one Parquet object, in the archive's row order ([`row_order`]). See
/// [`encode_batch`].
pub fn encode_parquet(events: &[AuditEvent], opts: &WriterOptions) -> Result<EncodedObject> {
    let batch = to_record_batch(events).map_err(|source| ArchiveError::Arrow {
        context: "building a record batch",
        source,
    })?;
    encode_batch(&batch, opts)
}

/// Rows taken from the batch and handed to the Parquet writer at a time: the copy that
/// reordering makes is a slice of about [`TAKE_BYTES`], of at least [`MIN_TAKE_ROWS`] and at
/// most [`MAX_TAKE_ROWS`] rows.
const TAKE_BYTES: usize = 2 << 20;
const MIN_TAKE_ROWS: usize = 1024;
const MAX_TAKE_ROWS: usize = 8192;

/// Rows per reordering slice of `batch`: about [`TAKE_BYTES`] of its rows.
fn take_rows(batch: &RecordBatch) -> usize {
    let bytes = batch.get_array_memory_size().max(1);
    (TAKE_BYTES.saturating_mul(batch.num_rows()) / bytes).clamp(MIN_TAKE_ROWS, MAX_TAKE_ROWS)
}

/// The order in which a batch's rows are written: [`row_order`] (`actor_id` with nulls last,
/// `time`, `event_id`), ties kept in their batch order, so the same input gives the same bytes.
pub fn row_order_indices(batch: &RecordBatch) -> Result<Vec<u32>> {
    let arrow_err = |source| ArchiveError::Arrow {
        context: "sorting rows",
        source,
    };
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| ArchiveError::Arrow {
                context: "sorting rows",
                source: ArrowError::SchemaError(format!("no column {name}")),
            })
    };
    let options = Some(SortOptions {
        descending: false,
        nulls_first: false,
    });
    let keys = ["actor_id", "time", "event_id"]
        .into_iter()
        .map(|name| {
            Ok(SortColumn {
                values: column(name)?,
                options,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let cmp = LexicographicalComparator::try_new(&keys).map_err(arrow_err)?;
    let rows = u32::try_from(batch.num_rows()).map_err(|_| ArchiveError::Arrow {
        context: "sorting rows",
        source: ArrowError::ComputeError("more than 2^32 rows in one object".into()),
    })?;
    let mut order: Vec<u32> = (0..rows).collect();
    // Stable: equal keys keep their ascending batch positions.
    order.sort_by(|&a, &b| cmp.compare(a as usize, b as usize));
    Ok(order)
}

/// Encodes a record batch of [`arrow_schema`] as one Parquet object.
///
/// Rows are written in [`row_order_indices`] order, one row group of `row_group_rows` at a time,
/// taken from the batch in slices of a few thousand rows, so that memory beyond the batch itself
/// stays a slice's copy plus the row group's encoded pages and the output.
pub fn encode_batch(batch: &RecordBatch, opts: &WriterOptions) -> Result<EncodedObject> {
    opts.validate()?;
    let rows = batch.num_rows();
    if rows == 0 {
        return Err(ArchiveError::EmptyBatch);
    }
    let order = row_order_indices(batch)?;
    let arrow_err = |context| move |source| ArchiveError::Arrow { context, source };
    let mut encoder = ObjectEncoder::new(Vec::new(), opts, rows)?;
    for slice in order.chunks(take_rows(batch)) {
        let indices = UInt32Array::from(slice.to_vec());
        let taken = take_record_batch(batch, &indices).map_err(arrow_err("reordering rows"))?;
        encoder.write(&taken)?;
    }
    let (buf, stats) = encoder.finish()?;
    Ok(stats.into_object(Bytes::from(buf)))
}

/// What an [`ObjectEncoder`] saw of the rows it wrote: an [`EncodedObject`] but its bytes.
#[derive(Debug, Clone, Default)]
pub struct ObjectStats {
    pub rows: u64,
    pub min_time: Option<i64>,
    pub max_time: Option<i64>,
    pub min_seq: Option<i64>,
    pub max_seq: Option<i64>,
    pub max_observed_time: Option<i64>,
}

impl ObjectStats {
    /// The encoded object of `bytes`, the whole file these stats describe.
    pub fn into_object(self, bytes: Bytes) -> EncodedObject {
        EncodedObject {
            sha256: sha256_hex(&bytes),
            bytes,
            rows: self.rows,
            min_time: self.min_time.unwrap_or_default(),
            max_time: self.max_time.unwrap_or_default(),
            // Sequence numbers start at 0; a negative one is no sequence number.
            first_seq: self.min_seq.and_then(|s| u64::try_from(s).ok()),
            last_seq: self.max_seq.and_then(|s| u64::try_from(s).ok()),
            max_observed_time: self.max_observed_time,
        }
    }

    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| ArchiveError::Arrow {
                    context: "reading the rows written",
                    source: ArrowError::SchemaError(format!("no column {name}")),
                })
        };
        let time = column("time")?
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| ArchiveError::Arrow {
                context: "reading event times",
                source: ArrowError::SchemaError("no timestamp column time".into()),
            })?;
        let seq = column("seq")?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| ArchiveError::Arrow {
                context: "reading sequence numbers",
                source: ArrowError::SchemaError("no i64 column seq".into()),
            })?;
        let observed = column("observed_time")?
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| ArchiveError::Arrow {
                context: "reading observed times",
                source: ArrowError::SchemaError("no timestamp column observed_time".into()),
            })?;
        fn fold(acc: &mut Option<i64>, v: Option<i64>, pick: fn(i64, i64) -> i64) {
            if let Some(v) = v {
                *acc = Some(acc.map_or(v, |a| pick(a, v)));
            }
        }
        self.rows += batch.num_rows() as u64;
        fold(&mut self.min_time, aggregate::min(time), i64::min);
        fold(&mut self.max_time, aggregate::max(time), i64::max);
        fold(&mut self.min_seq, aggregate::min(seq), i64::min);
        fold(&mut self.max_seq, aggregate::max(seq), i64::max);
        fold(
            &mut self.max_observed_time,
            aggregate::max(observed),
            i64::max,
        );
        Ok(())
    }
}

/// Writes one Parquet object of [`arrow_schema`] with the archive's writer properties from rows
/// handed to it already in their final order, a row group every `row_group_rows` rows: memory is
/// the row group's encoded pages (and the output, where `W` keeps it).
pub struct ObjectEncoder<W: std::io::Write + Send> {
    writer: ArrowWriter<W>,
    row_group_rows: usize,
    in_group: usize,
    stats: ObjectStats,
}

impl<W: std::io::Write + Send> ObjectEncoder<W> {
    /// An encoder into `out`; `rows` is about how many rows the object will hold (it sizes the
    /// bloom filters).
    pub fn new(out: W, opts: &WriterOptions, rows: usize) -> Result<Self> {
        opts.validate()?;
        let props = writer_properties(opts, rows)?;
        let writer = ArrowWriter::try_new(out, arrow_schema(), Some(props)).map_err(|source| {
            ArchiveError::Parquet {
                context: "creating the writer",
                source,
            }
        })?;
        Ok(ObjectEncoder {
            writer,
            row_group_rows: opts.row_group_rows,
            in_group: 0,
            stats: ObjectStats::default(),
        })
    }

    /// Appends rows, in the order they are to be stored.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let parquet_err = |source| ArchiveError::Parquet {
            context: "writing a row group",
            source,
        };
        self.stats.add(batch)?;
        let mut at = 0;
        while at < batch.num_rows() {
            let n = (self.row_group_rows - self.in_group).min(batch.num_rows() - at);
            self.writer
                .write(&batch.slice(at, n))
                .map_err(parquet_err)?;
            at += n;
            self.in_group += n;
            if self.in_group == self.row_group_rows {
                self.writer.flush().map_err(parquet_err)?;
                self.in_group = 0;
            }
        }
        Ok(())
    }

    /// Writes the footer; returns the output and what was written. An object needs a row.
    pub fn finish(self) -> Result<(W, ObjectStats)> {
        if self.stats.rows == 0 {
            return Err(ArchiveError::EmptyBatch);
        }
        let out = self
            .writer
            .into_inner()
            .map_err(|source| ArchiveError::Parquet {
                context: "writing the footer",
                source,
            })?;
        Ok((out, self.stats))
    }
}

fn column_index(name: &str) -> Result<i32> {
    arrow_schema()
        .index_of(name)
        .map(|i| i as i32)
        .map_err(|source| ArchiveError::Arrow {
            context: "looking up a sorting column",
            source,
        })
}

fn writer_properties(opts: &WriterOptions, rows: usize) -> Result<WriterProperties> {
    let level = ZstdLevel::try_new(opts.zstd_level).map_err(|e| ArchiveError::WriterOptions {
        option: "zstd_level",
        message: e.to_string(),
    })?;
    let sorting = SORTING_COLUMNS
        .iter()
        .map(|c| {
            Ok(SortingColumn {
                column_idx: column_index(c)?,
                descending: false,
                nulls_first: false,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = vec![
        KeyValue::new(SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
        KeyValue::new(
            CREATED_BY_KEY.to_string(),
            format!("auditlake {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(opts.row_group_rows))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_offset_index_disabled(false)
        // On by default: columns not named below (actor_id, src_ip, ...) repeat within a file,
        // and the writer falls back to plain encoding when a dictionary grows too large.
        .set_dictionary_enabled(true)
        .set_sorting_columns(Some(sorting))
        .set_key_value_metadata(Some(metadata));
    for c in DICTIONARY_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), true);
    }
    for c in HIGH_CARDINALITY_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    for c in UNSTATISTICAL_COLUMNS {
        b = b.set_column_statistics_enabled(ColumnPath::from(*c), EnabledStatistics::None);
    }
    for c in DELTA_COLUMNS {
        b = b.set_column_encoding(ColumnPath::from(*c), Encoding::DELTA_BINARY_PACKED);
    }
    // Sized for the worst case of one distinct value per row; the writer folds each filter down
    // to the values it actually saw.
    let ndv = rows.min(opts.row_group_rows) as u64;
    for c in BLOOM_FILTER_COLUMNS {
        let path = ColumnPath::from(*c);
        b = b
            .set_column_bloom_filter_enabled(path.clone(), true)
            .set_column_bloom_filter_fpp(path.clone(), opts.bloom_filter_fpp)
            .set_column_bloom_filter_max_ndv(path, ndv);
    }
    Ok(b.build())
}

/// Stores encoded objects with their tier's storage class and Object Lock.
#[derive(Debug, Clone)]
pub struct ArchiveWriter {
    store: Arc<dyn ObjectStore>,
    tiers: Vec<TierConfig>,
    sse: Option<Sse>,
}

impl ArchiveWriter {
    /// A writer into `store` for `tiers`, which it validates.
    pub fn new(store: Arc<dyn ObjectStore>, tiers: Vec<TierConfig>) -> Result<ArchiveWriter> {
        validate_tiers(&tiers)?;
        Ok(ArchiveWriter {
            store,
            tiers,
            sse: None,
        })
    }

    /// Asks for server-side encryption on every put (backends that cannot express it ignore it).
    pub fn with_sse(mut self, sse: Option<Sse>) -> Self {
        self.sse = sse;
        self
    }

    /// The store written to.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The tiers, in configuration order.
    pub fn tiers(&self) -> &[TierConfig] {
        &self.tiers
    }

    /// The options a put of an object of `key`, written at `written_at`
    /// ([`EncodedObject::written_at`]), carries: content type, the tier's storage class, and its
    /// Object Lock with retain-until [`TierConfig::retain_until`] of the write date, unless that
    /// time has already passed: S3 refuses a retain-until date in the past, and such a lock
    /// would protect nothing.
    ///
    /// The lock counts from when the object was written, never from its event date: an event
    /// time is the application's claim, and a clock at year 9999 must not lock an object for
    /// millennia, nor one at year 1 leave it unlocked.
    pub fn put_options(
        &self,
        key: &ObjectKey,
        written_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<PutOptions> {
        let tier = self
            .tiers
            .iter()
            .find(|t| t.name == key.tier)
            .ok_or_else(|| ArchiveError::UnknownTier {
                tier: key.tier.clone(),
            })?;
        Ok(PutOptions {
            content_type: Some(PARQUET_CONTENT_TYPE.to_string()),
            storage_class: tier.storage_class.clone(),
            sse: self.sse.clone(),
            object_lock: tier
                .object_lock
                .map(|mode| ObjectLock {
                    mode: mode.into(),
                    retain_until: tier.retain_until(written_at.date_naive()),
                })
                .filter(|lock| lock.retain_until > chrono::Utc::now()),
        })
    }

    /// Stores `obj` under `key`. Refuses an object whose events are not all of the key's event
    /// date, since retention and Object Lock are computed from it.
    pub async fn put_object(&self, key: &ObjectKey, obj: &EncodedObject) -> Result<()> {
        let date_of = |t| auditlake_event::micros_to_datetime(t).date_naive();
        let k = key.to_key();
        if date_of(obj.min_time) != key.event_date || date_of(obj.max_time) != key.event_date {
            return Err(ArchiveError::OutsidePartition {
                key: k,
                min_time: obj.min_time,
                max_time: obj.max_time,
            });
        }
        let opts = self.put_options(key, obj.written_at())?;
        self.store.put(&k, obj.bytes.clone(), &opts).await?;
        tracing::debug!(key = %k, bytes = obj.bytes.len(), rows = obj.rows, "object stored");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{decode_parquet, read_object};
    use crate::tier::{ObjectLockMode, TierMatch};
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
    use auditlake_event::{Change, Outcome, SourceInfo};
    use auditlake_storage::{LocalStore, StorageError};
    use chrono::NaiveDate;
    use parquet::file::properties::ReaderProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::serialized_reader::ReadOptionsBuilder;

    /// 2026-11-21T00:00:00Z in microseconds.
    const DAY: i64 = 1_795_219_200_000_000;

    fn event(i: u64, actor: Option<&str>, time: i64) -> AuditEvent {
        let source = Arc::new(SourceInfo {
            app: "idp".into(),
            pod: Some("web-0".into()),
            file: Some("/var/log/app/events.jsonl".into()),
            ..Default::default()
        });
        AuditEvent {
            event_id: format!("ev-{i:04}"),
            seq: Some(100 + i),
            time,
            category: "authentication".into(),
            action: "authentication.login".into(),
            outcome: if i % 3 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            actor_id: actor.map(str::to_string),
            src_ip: Some(format!("10.0.0.{}", i % 7)),
            session_id: Some(format!("s-{i}")),
            resource_id: Some(format!("r-{}", i % 5)),
            credential_id: Some(format!("c-{}", i % 2)),
            raw: Some(format!("{{\"n\":{i}}}")),
            source,
            source_offset: Some(i * 10),
            ..Default::default()
        }
    }

    fn sample() -> Vec<AuditEvent> {
        let actors = [
            Some("bob"),
            None,
            Some("alice"),
            Some("bob"),
            Some("alice"),
            None,
        ];
        actors
            .iter()
            .enumerate()
            .map(|(i, a)| event(i as u64, *a, DAY + 1_000_000 * (10 - i as i64)))
            .collect()
    }

    #[test]
    fn row_order_indices_equal_a_stable_sort_of_the_events() {
        // Many equal keys (actor and time repeat) so that stability shows.
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [1usize, 2, 3, 17, 500] {
            let events: Vec<AuditEvent> = (0..n)
                .map(|i| {
                    let actor = ["a", "b", "c"].get(rng.usize(0..4)).copied();
                    let mut e = event(i as u64, actor, DAY + rng.i64(0..3));
                    e.event_id = format!("ev-{}", rng.u8(0..4));
                    e.source_offset = Some(i as u64);
                    e
                })
                .collect();
            let mut expected = events.clone();
            expected.sort_by(row_order);
            let batch = to_record_batch(&events).unwrap();
            let got: Vec<AuditEvent> = row_order_indices(&batch)
                .unwrap()
                .into_iter()
                .map(|i| events[i as usize].clone())
                .collect();
            assert_eq!(got, expected, "n = {n}");
        }
    }

    fn reader(obj: &EncodedObject) -> SerializedFileReader<Bytes> {
        let props = ReaderProperties::builder()
            .set_read_bloom_filter(true)
            .build();
        let opts = ReadOptionsBuilder::new()
            .with_reader_properties(props)
            .build();
        SerializedFileReader::new_with_options(obj.bytes.clone(), opts).unwrap()
    }

    fn idx(name: &str) -> usize {
        arrow_schema().index_of(name).unwrap()
    }

    #[test]
    fn round_trips_values() {
        let mut events = vec![event(1, Some("u1"), DAY + 5)];
        let e = &mut events[0];
        e.changes = vec![Change {
            field: "status".into(),
            old: "active".into(),
            new: "retired".into(),
        }];
        e.attributes.insert("k".into(), serde_json::json!("v"));
        e.message = Some("signed in".into());
        e.flags.truncated = true;
        let obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
        let batches = decode_parquet(obj.bytes.clone()).unwrap();
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.schema().fields(), arrow_schema().fields());
        let s = |n: &str| {
            b.column_by_name(n)
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_string()
        };
        assert_eq!(s("event_id"), "ev-0001");
        assert_eq!(s("actor_id"), "u1");
        assert_eq!(s("outcome"), "success");
        assert_eq!(
            s("changes"),
            r#"[{"field":"status","old":"active","new":"retired"}]"#
        );
        assert_eq!(s("attributes"), r#"{"k":"v"}"#);
        assert_eq!(s("source"), "idp");
        assert_eq!(s("source_pod"), "web-0");
        assert_eq!(s("flags"), "truncated");
        assert_eq!(s("raw"), r#"{"n":1}"#);
        let time = b
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        assert_eq!(time.value(0), DAY + 5);
        let seq = b.column_by_name("seq").unwrap().as_primitive::<Int64Type>();
        assert_eq!(seq.value(0), 101);
        assert!(b.column_by_name("actor_email").unwrap().is_null(0));
    }

    #[test]
    fn rows_are_sorted_by_actor_then_time() {
        let events = sample();
        let obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
        let b = &decode_parquet(obj.bytes).unwrap()[0];
        let actors = b.column_by_name("actor_id").unwrap().as_string::<i32>();
        let actors: Vec<Option<&str>> = actors.iter().collect();
        assert_eq!(
            actors,
            [
                Some("alice"),
                Some("alice"),
                Some("bob"),
                Some("bob"),
                None,
                None
            ]
        );
        let times = b
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        for pair in [(0, 1), (2, 3), (4, 5)] {
            assert!(times.value(pair.0) < times.value(pair.1), "rows {pair:?}");
        }
        // The caller's slice is left as it was.
        assert_eq!(events[0].actor_id.as_deref(), Some("bob"));
        assert!(events[1].actor_id.is_none());
    }

    #[test]
    fn reports_rows_times_sequence_and_checksum() {
        let mut events = sample();
        events[2].seq = None;
        let obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
        assert_eq!(obj.rows, 6);
        assert_eq!(obj.min_time, DAY + 5_000_000);
        assert_eq!(obj.max_time, DAY + 10_000_000);
        assert_eq!((obj.first_seq, obj.last_seq), (Some(100), Some(105)));
        assert_eq!(obj.sha256, hex::encode(Sha256::digest(&obj.bytes)));
        // Same input, same bytes.
        let again = encode_parquet(&sample(), &WriterOptions::default()).unwrap();
        let first = sample();
        let first = encode_parquet(&first, &WriterOptions::default()).unwrap();
        assert_eq!(again.sha256, first.sha256);
    }

    #[test]
    fn footer_has_zstd_statistics_page_index_and_sorting() {
        let events: Vec<AuditEvent> = (0..10)
            .map(|i| event(i, Some(&format!("user-{}", i % 3)), DAY + i as i64))
            .collect();
        let opts = WriterOptions {
            row_group_rows: 4,
            ..Default::default()
        };
        let obj = encode_parquet(&events, &opts).unwrap();
        let r = reader(&obj);
        let meta = r.metadata();
        assert_eq!(meta.num_row_groups(), 3, "10 rows in row groups of 4");
        let kv = meta.file_metadata().key_value_metadata().unwrap();
        let get = |k: &str| kv.iter().find(|e| e.key == k).and_then(|e| e.value.clone());
        assert_eq!(get(SCHEMA_VERSION_KEY), Some(SCHEMA_VERSION.to_string()));
        assert_eq!(
            get(CREATED_BY_KEY),
            Some(format!("auditlake {}", env!("CARGO_PKG_VERSION")))
        );
        for rg in meta.row_groups() {
            for col in rg.columns() {
                assert!(
                    matches!(col.compression(), Compression::ZSTD(_)),
                    "{}: {:?}",
                    col.column_path(),
                    col.compression()
                );
                assert!(
                    col.offset_index_offset().is_some(),
                    "{} offset index",
                    col.column_path()
                );
            }
            let sorting = rg.sorting_columns().expect("sorting_columns");
            let cols: Vec<usize> = sorting.iter().map(|s| s.column_idx as usize).collect();
            assert_eq!(cols, [idx("actor_id"), idx("time")]);
            assert!(sorting.iter().all(|s| !s.descending && !s.nulls_first));
            for name in ["actor_id", "time", "action"] {
                let col = rg.column(idx(name));
                let stats = col
                    .statistics()
                    .unwrap_or_else(|| panic!("{name} statistics"));
                assert!(stats.min_bytes_opt().is_some() && stats.max_bytes_opt().is_some());
                assert!(col.column_index_offset().is_some(), "{name} column index");
            }
        }
        let first = meta
            .row_group(0)
            .column(idx("actor_id"))
            .statistics()
            .unwrap();
        assert_eq!(first.min_bytes_opt(), Some(&b"user-0"[..]));
        // Dictionary for low-cardinality columns, not for unique ones.
        let encodings = |name: &str| -> Vec<Encoding> {
            meta.row_group(0).column(idx(name)).encodings().collect()
        };
        assert!(encodings("action").contains(&Encoding::RLE_DICTIONARY));
        assert!(!encodings("event_id").contains(&Encoding::RLE_DICTIONARY));
        assert!(!encodings("raw").contains(&Encoding::RLE_DICTIONARY));
        // Times, offsets and sequence numbers as deltas.
        for name in DELTA_COLUMNS {
            assert!(
                encodings(name).contains(&Encoding::DELTA_BINARY_PACKED),
                "{name}: {:?}",
                encodings(name)
            );
        }
    }

    #[test]
    fn bloom_filters_on_lookup_columns() {
        let events = sample();
        let obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
        let r = reader(&obj);
        let rg = r.get_row_group(0).unwrap();
        for name in BLOOM_FILTER_COLUMNS {
            assert!(
                rg.get_column_bloom_filter(idx(name)).is_some(),
                "{name} bloom filter"
            );
        }
        let actor = rg.get_column_bloom_filter(idx("actor_id")).unwrap();
        assert!(actor.check("alice"));
        assert!(actor.check("bob"));
        let absent = (0..50)
            .filter(|i| actor.check(format!("nobody-{i}").as_str()))
            .count();
        assert!(absent <= 3, "{absent} of 50 absent actors pass the filter");
        assert!(
            rg.get_column_bloom_filter(idx("src_ip"))
                .unwrap()
                .check("10.0.0.3")
        );
        assert!(rg.get_column_bloom_filter(idx("event_id")).is_none());
    }

    #[test]
    fn schema_version_is_required_on_read() {
        let batch = to_record_batch(&sample()).unwrap();
        let write = |metadata: Option<Vec<KeyValue>>| {
            let props = WriterProperties::builder()
                .set_key_value_metadata(metadata)
                .build();
            let mut w = ArrowWriter::try_new(Vec::new(), arrow_schema(), Some(props)).unwrap();
            w.write(&batch).unwrap();
            Bytes::from(w.into_inner().unwrap())
        };
        let err = decode_parquet(write(None)).unwrap_err();
        assert!(
            matches!(err, ArchiveError::SchemaVersion { found: None, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("unsupported schema version (missing)"),
            "{err}"
        );
        let future = Some(vec![KeyValue::new(
            SCHEMA_VERSION_KEY.to_string(),
            "99".to_string(),
        )]);
        let err = decode_parquet(write(future)).unwrap_err();
        assert!(
            err.to_string()
                .contains("unsupported schema version \"99\""),
            "{err}"
        );
    }

    #[test]
    fn rejects_empty_batches_and_bad_options() {
        let err = encode_parquet(&[], &WriterOptions::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::EmptyBatch));
        for opts in [
            WriterOptions {
                zstd_level: 0,
                ..Default::default()
            },
            WriterOptions {
                row_group_rows: 0,
                ..Default::default()
            },
            WriterOptions {
                bloom_filter_fpp: 1.0,
                ..Default::default()
            },
        ] {
            let err = encode_parquet(&sample(), &opts).unwrap_err();
            assert!(matches!(err, ArchiveError::WriterOptions { .. }), "{err}");
        }
    }

    fn tiers() -> Vec<TierConfig> {
        vec![
            TierConfig {
                name: "security".into(),
                retention_days: 2555,
                storage_class: Some("STANDARD_IA".into()),
                object_lock: Some(ObjectLockMode::Compliance),
                transitions: Vec::new(),
                matches: Some(TierMatch {
                    categories: vec!["authentication".into()],
                    actions: vec![],
                }),
            },
            TierConfig {
                name: "standard".into(),
                retention_days: 365,
                storage_class: None,
                object_lock: None,
                transitions: Vec::new(),
                matches: None,
            },
        ]
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn put_options_follow_the_tier() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::new(dir.path()).unwrap());
        let w = ArchiveWriter::new(store, tiers()).unwrap();
        let written = auditlake_event::micros_to_datetime(DAY + 3_600_000_000);
        let key = ObjectKey::new("security", date(), "idp", DAY, 1).unwrap();
        let opts = w.put_options(&key, written).unwrap();
        assert_eq!(opts.content_type.as_deref(), Some(PARQUET_CONTENT_TYPE));
        assert_eq!(opts.storage_class.as_deref(), Some("STANDARD_IA"));
        let lock = opts.object_lock.unwrap();
        assert_eq!(lock.mode, auditlake_storage::LockMode::Compliance);
        // 2026-11-21 + 2555 days = 2033-11-19; the lock runs to the end of that day.
        assert_eq!(lock.retain_until.to_rfc3339(), "2033-11-20T00:00:00+00:00");
        let key = ObjectKey::new("standard", date(), "idp", DAY, 1).unwrap();
        assert_eq!(w.put_options(&key, written).unwrap().object_lock, None);
        // A lock that would have ended before the put is not asked for.
        let long_ago = auditlake_event::micros_to_datetime(0);
        let key = ObjectKey::new("security", date(), "idp", DAY, 1).unwrap();
        assert_eq!(w.put_options(&key, long_ago).unwrap().object_lock, None);
        let key = ObjectKey::new("nope", date(), "idp", DAY, 1).unwrap();
        assert!(matches!(
            w.put_options(&key, written),
            Err(ArchiveError::UnknownTier { .. })
        ));
    }

    #[test]
    fn event_timed_year_9999_is_locked_from_its_write_date_not_for_millennia() {
        // The retain-until was event date + retention: a line timed 9999-12-31 locked its
        // object beyond the end of the calendar.
        let dir = tempfile::tempdir().unwrap();
        let w =
            ArchiveWriter::new(Arc::new(LocalStore::new(dir.path()).unwrap()), tiers()).unwrap();
        let written = auditlake_event::micros_to_datetime(DAY);
        let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        let key = ObjectKey::new("security", far, "idp", DAY, 1).unwrap();
        let lock = w.put_options(&key, written).unwrap().object_lock.unwrap();
        assert_eq!(lock.retain_until.to_rfc3339(), "2033-11-20T00:00:00+00:00");
    }

    #[test]
    fn event_timed_year_one_is_still_locked_from_its_write_date() {
        // The retain-until was event date + retention: a line timed 0001-01-01 was written
        // without any lock, deletable at once.
        let dir = tempfile::tempdir().unwrap();
        let w =
            ArchiveWriter::new(Arc::new(LocalStore::new(dir.path()).unwrap()), tiers()).unwrap();
        let written = auditlake_event::micros_to_datetime(DAY);
        let year_one = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        let key = ObjectKey::new("security", year_one, "idp", DAY, 1).unwrap();
        let lock = w.put_options(&key, written).unwrap().object_lock.unwrap();
        assert_eq!(lock.retain_until.to_rfc3339(), "2033-11-20T00:00:00+00:00");
    }

    #[test]
    fn written_at_is_the_latest_observed_time_but_never_later_than_now() {
        let mut events = sample();
        for (i, e) in events.iter_mut().enumerate() {
            e.observed_time = Some(DAY + 1000 * i as i64);
        }
        let mut obj = encode_parquet(&events, &WriterOptions::default()).unwrap();
        assert_eq!(obj.max_observed_time, Some(DAY + 5000));
        assert_eq!(
            obj.written_at(),
            auditlake_event::micros_to_datetime(DAY + 5000)
        );
        obj.max_observed_time = Some(i64::MAX);
        assert!(obj.written_at() <= chrono::Utc::now());
        obj.max_observed_time = None;
        assert!(obj.written_at() <= chrono::Utc::now());
    }

    #[tokio::test]
    async fn put_object_stores_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::new(dir.path()).unwrap());
        let w = ArchiveWriter::new(store.clone(), tiers()).unwrap();
        let events = sample();
        let obj = encode_parquet(&events, &WriterOptions::default()).unwrap();

        let key = ObjectKey::new("standard", date(), "idp", obj.min_time, 1).unwrap();
        w.put_object(&key, &obj).await.unwrap();
        let batches = read_object(store.as_ref(), &key.to_key()).await.unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 6);

        // The local directory cannot honour the security tier's Object Lock.
        let key = ObjectKey::new("security", date(), "idp", obj.min_time, 2).unwrap();
        let err = w.put_object(&key, &obj).await.unwrap_err();
        assert!(
            matches!(err, ArchiveError::Storage(StorageError::Unsupported { .. })),
            "{err}"
        );

        // Events of another day do not go into this day's partition.
        let next = date().succ_opt().unwrap();
        let key = ObjectKey::new("standard", next, "idp", obj.min_time, 3).unwrap();
        let err = w.put_object(&key, &obj).await.unwrap_err();
        assert!(
            matches!(err, ArchiveError::OutsidePartition { .. }),
            "{err}"
        );
    }
}

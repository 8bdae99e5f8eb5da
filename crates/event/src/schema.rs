//! The archive's Arrow schema and the conversion of events into record batches.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;

use crate::AuditEvent;

/// The version of the archive's row schema. Written into every Parquet file's key-value metadata
/// under [`SCHEMA_VERSION_KEY`]; readers refuse versions they do not know.
///
/// - 1: `seq` and `source_offset` unsigned 64-bit (which Spark and Trino read as `decimal(20,0)`).
/// - 2: `seq` and `source_offset` signed 64-bit (`bigint` everywhere); nothing else changed.
pub const SCHEMA_VERSION: u32 = 2;

/// Every schema version this build reads; [`upgrade`] turns batches of the older ones into the
/// current schema's types.
pub const READABLE_SCHEMA_VERSIONS: &[u32] = &[1, SCHEMA_VERSION];

/// The columns that were unsigned 64-bit in schema version 1 and are signed 64-bit since 2.
pub const WIDENED_COLUMNS: &[&str] = &["seq", "source_offset"];

/// The Parquet key-value metadata key that holds [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "auditlake.schema_version";

/// The columns that are written with bloom filters: the ones people look single values up by.
pub const BLOOM_FILTER_COLUMNS: &[&str] = &[
    "actor_id",
    "src_ip",
    "session_id",
    "resource_id",
    "credential_id",
];

/// Low-cardinality columns, dictionary encoded in Parquet.
pub const DICTIONARY_COLUMNS: &[&str] = &[
    "category",
    "action",
    "outcome",
    "reason",
    "severity",
    "actor_type",
    "tenant",
    "auth_method",
    "rp_id",
    "rp_name",
    "resource_type",
    "source",
    "source_namespace",
    "source_pod",
    "source_container",
    "source_node",
    "source_file",
    "flags",
    "src_geo",
    "user_agent",
];

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let s = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        s("origin_id"),
        Field::new("seq", DataType::Int64, true),
        Field::new("time", ts(), false),
        Field::new("observed_time", ts(), true),
        Field::new("category", DataType::Utf8, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("outcome", DataType::Utf8, false),
        s("reason"),
        s("severity"),
        s("actor_id"),
        s("actor_name"),
        s("actor_email"),
        s("actor_type"),
        s("tenant"),
        s("src_ip"),
        s("src_geo"),
        s("user_agent"),
        s("device_id"),
        s("session_id"),
        s("auth_method"),
        s("credential_id"),
        s("rp_id"),
        s("rp_name"),
        s("resource_type"),
        s("resource_id"),
        s("resource_name"),
        s("changes"),
        s("message"),
        s("attributes"),
        s("source"),
        s("source_namespace"),
        s("source_pod"),
        s("source_container"),
        s("source_node"),
        s("source_file"),
        Field::new("source_offset", DataType::Int64, true),
        s("raw"),
        s("flags"),
    ]))
});

/// The Arrow schema of an archive row, version [`SCHEMA_VERSION`].
///
/// `changes` holds a JSON list of `{field, old, new}`, `attributes` a JSON object of the source
/// fields no column took; `source` is the configured source (application) name and the
/// `source_*` columns say where in Kubernetes and in which file the line was read.
pub fn arrow_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// The names of the schema's columns, in order.
pub fn column_names() -> Vec<&'static str> {
    // Field names live as long as the static schema.
    const NAMES: &[&str] = &[
        "event_id",
        "origin_id",
        "seq",
        "time",
        "observed_time",
        "category",
        "action",
        "outcome",
        "reason",
        "severity",
        "actor_id",
        "actor_name",
        "actor_email",
        "actor_type",
        "tenant",
        "src_ip",
        "src_geo",
        "user_agent",
        "device_id",
        "session_id",
        "auth_method",
        "credential_id",
        "rp_id",
        "rp_name",
        "resource_type",
        "resource_id",
        "resource_name",
        "changes",
        "message",
        "attributes",
        "source",
        "source_namespace",
        "source_pod",
        "source_container",
        "source_node",
        "source_file",
        "source_offset",
        "raw",
        "flags",
    ];
    NAMES.to_vec()
}

/// A `u64` of the model as the column's `i64`; no sequence number or byte offset reaches 2^63.
fn signed(v: Option<u64>, column: &str) -> Result<Option<i64>, ArrowError> {
    v.map(|v| {
        i64::try_from(v).map_err(|_| {
            ArrowError::InvalidArgumentError(format!(
                "{column} {v} does not fit a signed 64-bit column"
            ))
        })
    })
    .transpose()
}

/// `batch` (all or some of the archive's columns, decoded from an object of any
/// [`READABLE_SCHEMA_VERSIONS`]) with the current schema's types: the [`WIDENED_COLUMNS`] of a
/// version 1 object are cast from `UInt64` to `Int64`. A batch of the current version is
/// returned as it is, without copying.
pub fn upgrade(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    // Checked, not wrapping: a value past i64::MAX would be an error, not a negative.
    let checked = arrow::compute::CastOptions {
        safe: false,
        ..Default::default()
    };
    cast_columns(batch, &checked, |f| {
        (*f.data_type() == DataType::UInt64 && WIDENED_COLUMNS.contains(&f.name().as_str()))
            .then_some(DataType::Int64)
    })
}

/// `batch` with each column for which `to` names a type cast to it, the others as they are;
/// `batch` itself, without copying, when `to` names none.
pub fn cast_columns(
    batch: RecordBatch,
    options: &arrow::compute::CastOptions,
    to: impl Fn(&Field) -> Option<DataType>,
) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| to(f).is_some()) {
        return Ok(batch);
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        match to(f) {
            Some(t) => {
                columns.push(arrow::compute::cast_with_options(c, &t, options)?);
                fields.push(f.as_ref().clone().with_data_type(t));
            }
            None => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
    RecordBatch::try_new(Arc::new(schema), columns)
}

/// Builds one record batch of [`arrow_schema`] from events, in the order given.
pub fn to_record_batch<'a, I>(events: I) -> Result<RecordBatch, ArrowError>
where
    I: IntoIterator<Item = &'a AuditEvent>,
    I::IntoIter: ExactSizeIterator,
{
    let events = events.into_iter();
    let mut columns = EventColumns::with_capacity(events.len());
    for e in events {
        columns.push(e)?;
    }
    columns.finish()
}

/// Events held as the archive's columns, appended one at a time: a batch that costs about the
/// bytes of its values, where a `Vec<AuditEvent>` costs a struct and a dozen small allocations
/// per event.
#[derive(Debug)]
pub struct EventColumns {
    rows: usize,
    event_id: StringBuilder,
    origin_id: StringBuilder,
    seq: Int64Builder,
    time: TimestampMicrosecondBuilder,
    observed: TimestampMicrosecondBuilder,
    category: StringBuilder,
    action: StringBuilder,
    outcome: StringBuilder,
    /// The optional string columns from `reason` to `resource_name`, in schema order.
    opt: Vec<StringBuilder>,
    changes: StringBuilder,
    message: StringBuilder,
    attributes: StringBuilder,
    /// `source` and the five `source_*` columns.
    source: Vec<StringBuilder>,
    source_offset: Int64Builder,
    raw: StringBuilder,
    flags: StringBuilder,
    json_buf: Vec<u8>,
    /// The string bytes appended so far, over every builder.
    string_bytes: usize,
}

/// What a row costs beyond its strings: 37 offsets of 4 bytes and 4 fixed-width values of 8.
const ROW_FIXED_BYTES: usize = 37 * 4 + 4 * 8;

impl Default for EventColumns {
    fn default() -> Self {
        EventColumns::with_capacity(0)
    }
}

impl EventColumns {
    /// Empty columns with room for `rows` events before the first reallocation.
    pub fn with_capacity(rows: usize) -> EventColumns {
        let n = rows;
        let str_builder = || StringBuilder::with_capacity(n, n * 8);
        EventColumns {
            rows: 0,
            event_id: StringBuilder::with_capacity(n, n * 32),
            origin_id: str_builder(),
            seq: Int64Builder::with_capacity(n),
            time: TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"),
            observed: TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"),
            category: str_builder(),
            action: str_builder(),
            outcome: str_builder(),
            opt: (0..19).map(|_| str_builder()).collect(),
            changes: str_builder(),
            message: str_builder(),
            attributes: str_builder(),
            source: (0..6).map(|_| str_builder()).collect(),
            source_offset: Int64Builder::with_capacity(n),
            raw: StringBuilder::with_capacity(n, n * 256),
            flags: str_builder(),
            json_buf: Vec::new(),
            string_bytes: 0,
        }
    }

    /// The number of events appended.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no event was appended.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The bytes the values take so far: string bytes plus offsets, validity and fixed-width
    /// values. What the batch costs in memory, give or take the builders' spare capacity.
    pub fn values_size(&self) -> usize {
        self.string_bytes + self.rows * ROW_FIXED_BYTES
    }

    /// The string bytes of every builder, counted from the builders themselves.
    fn count_string_bytes(&self) -> usize {
        [
            &self.event_id,
            &self.origin_id,
            &self.category,
            &self.action,
            &self.outcome,
            &self.changes,
            &self.message,
            &self.attributes,
            &self.raw,
            &self.flags,
        ]
        .into_iter()
        .chain(&self.opt)
        .chain(&self.source)
        .map(|b| b.values_slice().len())
        .sum::<usize>()
    }

    /// Appends one event; returns the bytes it added to [`EventColumns::values_size`].
    pub fn push(&mut self, e: &AuditEvent) -> Result<usize, ArrowError> {
        let mut text = 0;
        let mut put = |b: &mut StringBuilder, v: Option<&str>| {
            text += v.map_or(0, str::len);
            b.append_option(v);
        };
        put(&mut self.event_id, Some(&e.event_id));
        put(&mut self.origin_id, e.origin_id.as_deref());
        self.seq.append_option(signed(e.seq, "seq")?);
        self.time.append_value(e.time);
        self.observed.append_option(e.observed_time);
        put(&mut self.category, Some(&e.category));
        put(&mut self.action, Some(&e.action));
        put(&mut self.outcome, Some(e.outcome.as_str()));
        let fields = [
            &e.reason,
            &e.severity,
            &e.actor_id,
            &e.actor_name,
            &e.actor_email,
            &e.actor_type,
            &e.tenant,
            &e.src_ip,
            &e.src_geo,
            &e.user_agent,
            &e.device_id,
            &e.session_id,
            &e.auth_method,
            &e.credential_id,
            &e.rp_id,
            &e.rp_name,
            &e.resource_type,
            &e.resource_id,
            &e.resource_name,
        ];
        for (b, v) in self.opt.iter_mut().zip(fields) {
            put(b, v.as_deref());
        }
        if e.changes.is_empty() {
            self.changes.append_null();
        } else {
            self.json_buf.clear();
            serde_json::to_writer(&mut self.json_buf, &e.changes)
                .map_err(|err| ArrowError::ExternalError(Box::new(err)))?;
            put(
                &mut self.changes,
                Some(&String::from_utf8_lossy(&self.json_buf)),
            );
        }
        put(&mut self.message, e.message.as_deref());
        if e.attributes.is_empty() {
            self.attributes.append_null();
        } else {
            self.json_buf.clear();
            serde_json::to_writer(&mut self.json_buf, &e.attributes)
                .map_err(|err| ArrowError::ExternalError(Box::new(err)))?;
            put(
                &mut self.attributes,
                Some(&String::from_utf8_lossy(&self.json_buf)),
            );
        }
        let src = &e.source;
        put(&mut self.source[0], Some(&src.app));
        put(&mut self.source[1], src.namespace.as_deref());
        put(&mut self.source[2], src.pod.as_deref());
        put(&mut self.source[3], src.container.as_deref());
        put(&mut self.source[4], src.node.as_deref());
        put(&mut self.source[5], src.file.as_deref());
        self.source_offset
            .append_option(signed(e.source_offset, "source_offset")?);
        put(&mut self.raw, e.raw.as_deref());
        put(&mut self.flags, e.flags.to_column());
        self.rows += 1;
        self.string_bytes += text;
        debug_assert_eq!(self.string_bytes, self.count_string_bytes());
        Ok(text + ROW_FIXED_BYTES)
    }

    /// The events as one record batch of [`arrow_schema`], in the order they were appended.
    pub fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(39);
        columns.push(Arc::new(self.event_id.finish()));
        columns.push(Arc::new(self.origin_id.finish()));
        columns.push(Arc::new(self.seq.finish()));
        columns.push(Arc::new(self.time.finish()));
        columns.push(Arc::new(self.observed.finish()));
        columns.push(Arc::new(self.category.finish()));
        columns.push(Arc::new(self.action.finish()));
        columns.push(Arc::new(self.outcome.finish()));
        for b in &mut self.opt {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(self.changes.finish()));
        columns.push(Arc::new(self.message.finish()));
        columns.push(Arc::new(self.attributes.finish()));
        for b in &mut self.source {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(self.source_offset.finish()));
        columns.push(Arc::new(self.raw.finish()));
        columns.push(Arc::new(self.flags.finish()));
        // A builder grows by doubling: let go of what it reserved beyond its values, so that a
        // finished batch holds its rows' bytes, not up to twice as many.
        for c in &mut columns {
            arrow::array::Array::shrink_to_fit(c);
        }
        RecordBatch::try_new(arrow_schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, Outcome, SourceInfo};
    use arrow::array::{Array, AsArray};

    #[test]
    fn column_names_match_schema() {
        let schema = arrow_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, column_names());
        for c in BLOOM_FILTER_COLUMNS.iter().chain(DICTIONARY_COLUMNS) {
            assert!(names.contains(c), "{c}");
        }
    }

    #[test]
    fn batch_round_trips_values() {
        let src = Arc::new(SourceInfo {
            app: "idp".into(),
            pod: Some("web-0".into()),
            ..Default::default()
        });
        let mut attrs = serde_json::Map::new();
        attrs.insert("k".into(), serde_json::json!(1));
        let e = AuditEvent {
            event_id: "e1".into(),
            time: 5,
            category: "resource".into(),
            action: "resource.update".into(),
            outcome: Outcome::Success,
            actor_id: Some("u1".into()),
            changes: vec![Change {
                field: "status".into(),
                old: "active".into(),
                new: "retired".into(),
            }],
            attributes: attrs,
            source: src,
            ..Default::default()
        };
        let b = to_record_batch([&e, &e]).unwrap();
        assert_eq!(b.num_rows(), 2);
        let col = |n: &str| b.column_by_name(n).unwrap().as_string::<i32>().clone();
        assert_eq!(col("actor_id").value(0), "u1");
        assert_eq!(
            col("changes").value(1),
            r#"[{"field":"status","old":"active","new":"retired"}]"#
        );
        assert_eq!(col("attributes").value(0), r#"{"k":1}"#);
        assert_eq!(col("source").value(0), "idp");
        assert_eq!(col("source_pod").value(0), "web-0");
        assert!(col("actor_email").is_null(0));
        assert_eq!(col("outcome").value(0), "success");
    }

    #[test]
    fn seq_and_offset_are_signed_64_bit() {
        // Spark and Trino read the unsigned columns of version 1 as decimal(20,0).
        let schema = arrow_schema();
        for c in WIDENED_COLUMNS {
            assert_eq!(
                schema.field_with_name(c).unwrap().data_type(),
                &DataType::Int64
            );
        }
        let e = AuditEvent {
            seq: Some(7),
            source_offset: Some(1 << 40),
            ..Default::default()
        };
        let b = to_record_batch([&e]).unwrap();
        let seq = b.column_by_name("seq").unwrap();
        assert_eq!(
            seq.as_primitive::<arrow::datatypes::Int64Type>().value(0),
            7
        );
        let too_big = AuditEvent {
            seq: Some(u64::MAX),
            ..Default::default()
        };
        assert!(to_record_batch([&too_big]).is_err());
    }

    #[test]
    fn upgrade_casts_version_1_columns() {
        use arrow::array::{StringArray, UInt64Array};
        let old = Arc::new(Schema::new(vec![
            Field::new("event_id", DataType::Utf8, false),
            Field::new("seq", DataType::UInt64, true),
            Field::new("source_offset", DataType::UInt64, true),
        ]));
        let b = RecordBatch::try_new(
            old,
            vec![
                Arc::new(StringArray::from(vec!["a", "b"])),
                Arc::new(UInt64Array::from(vec![Some(1), None])),
                Arc::new(UInt64Array::from(vec![Some(42), Some(0)])),
            ],
        )
        .unwrap();
        let up = upgrade(b).unwrap();
        let expected = arrow_schema().project(&[0, 2, 36]).unwrap();
        assert_eq!(up.schema().fields(), expected.fields());
        let seq = up.column(1).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!((seq.value(0), seq.is_null(1)), (1, true));
        let overflow = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("seq", DataType::UInt64, true)])),
            vec![Arc::new(UInt64Array::from(vec![u64::MAX]))],
        )
        .unwrap();
        assert!(upgrade(overflow).is_err());
        // The current schema passes through.
        let current = to_record_batch([&AuditEvent::default()]).unwrap();
        assert_eq!(upgrade(current.clone()).unwrap(), current);
    }
}

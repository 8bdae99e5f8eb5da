//! The archive's Arrow schema and the conversion of events into record batches.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;

use crate::AuditEvent;

/// The version of the archive's row schema. Written into every Parquet file's key-value metadata
/// under [`SCHEMA_VERSION_KEY`]; readers refuse versions they do not know.
pub const SCHEMA_VERSION: u32 = 1;

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
        Field::new("seq", DataType::UInt64, true),
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
        Field::new("source_offset", DataType::UInt64, true),
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
    seq: UInt64Builder,
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
    source_offset: UInt64Builder,
    raw: StringBuilder,
    flags: StringBuilder,
    json_buf: Vec<u8>,
}

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
            seq: UInt64Builder::with_capacity(n),
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
            source_offset: UInt64Builder::with_capacity(n),
            raw: StringBuilder::with_capacity(n, n * 256),
            flags: str_builder(),
            json_buf: Vec::new(),
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
        let strings = [
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
        .sum::<usize>();
        // 37 offsets of 4 bytes and 4 fixed-width values of 8 bytes per row.
        strings + self.rows * (37 * 4 + 4 * 8)
    }

    /// Appends one event; returns the bytes it added to [`EventColumns::values_size`].
    pub fn push(&mut self, e: &AuditEvent) -> Result<usize, ArrowError> {
        let before = self.values_size();
        self.event_id.append_value(&e.event_id);
        self.origin_id.append_option(e.origin_id.as_deref());
        self.seq.append_option(e.seq);
        self.time.append_value(e.time);
        self.observed.append_option(e.observed_time);
        self.category.append_value(&e.category);
        self.action.append_value(&e.action);
        self.outcome.append_value(e.outcome.as_str());
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
            b.append_option(v.as_deref());
        }
        if e.changes.is_empty() {
            self.changes.append_null();
        } else {
            self.json_buf.clear();
            serde_json::to_writer(&mut self.json_buf, &e.changes)
                .map_err(|err| ArrowError::ExternalError(Box::new(err)))?;
            self.changes
                .append_value(String::from_utf8_lossy(&self.json_buf));
        }
        self.message.append_option(e.message.as_deref());
        if e.attributes.is_empty() {
            self.attributes.append_null();
        } else {
            self.json_buf.clear();
            serde_json::to_writer(&mut self.json_buf, &e.attributes)
                .map_err(|err| ArrowError::ExternalError(Box::new(err)))?;
            self.attributes
                .append_value(String::from_utf8_lossy(&self.json_buf));
        }
        let src = &e.source;
        self.source[0].append_value(&src.app);
        self.source[1].append_option(src.namespace.as_deref());
        self.source[2].append_option(src.pod.as_deref());
        self.source[3].append_option(src.container.as_deref());
        self.source[4].append_option(src.node.as_deref());
        self.source[5].append_option(src.file.as_deref());
        self.source_offset.append_option(e.source_offset);
        self.raw.append_option(e.raw.as_deref());
        self.flags.append_option(e.flags.to_column());
        self.rows += 1;
        Ok(self.values_size() - before)
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
}

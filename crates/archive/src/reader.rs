//! Reading archive objects back: the schema version check and whole-object decoding. Objects of
//! every readable schema version come back with the current schema's types
//! ([`auditlake_event::upgrade`]), so that old and new objects mix in one compaction or erasure.

use arrow::array::RecordBatch;
use auditlake_event::{READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION_KEY};
use auditlake_storage::ObjectStore;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::FileMetaData;

use crate::error::{ArchiveError, Result};

/// Rows per decoded record batch.
const READ_BATCH_ROWS: usize = 8192;

/// Checks that a Parquet footer carries a schema version this build reads
/// ([`READABLE_SCHEMA_VERSIONS`]); `key` names the object in the error.
pub fn check_schema_version(metadata: &FileMetaData, key: Option<&str>) -> Result<()> {
    let found = metadata
        .key_value_metadata()
        .and_then(|kvs| kvs.iter().find(|kv| kv.key == SCHEMA_VERSION_KEY))
        .and_then(|kv| kv.value.clone());
    if found
        .as_deref()
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| READABLE_SCHEMA_VERSIONS.contains(&v))
    {
        Ok(())
    } else {
        Err(ArchiveError::SchemaVersion {
            key: key.map(str::to_string),
            found,
        })
    }
}

/// Decodes a whole Parquet object into record batches, after checking its schema version.
pub fn decode_parquet(bytes: Bytes) -> Result<Vec<RecordBatch>> {
    decode(bytes, None)
}

/// Reads the object at `key` and decodes only `columns` (after checking its schema version).
pub async fn read_columns(
    store: &dyn ObjectStore,
    key: &str,
    columns: &[&str],
) -> Result<Vec<RecordBatch>> {
    let bytes = store.get(key).await?;
    let parquet_err = |context| move |source| ArchiveError::Parquet { context, source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(parquet_err("reading the footer"))?;
    check_schema_version(builder.metadata().file_metadata(), Some(key))?;
    let mask =
        parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(parquet_err("opening the reader"))?;
    reader
        .map(|b| b.and_then(auditlake_event::upgrade))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ArchiveError::Arrow {
            context: "decoding rows",
            source,
        })
}

/// Decodes a whole Parquet object read from `key`, which names it in errors.
pub fn decode_parquet_named(bytes: Bytes, key: &str) -> Result<Vec<RecordBatch>> {
    decode(bytes, Some(key))
}

/// Reads and decodes the object at `key`. The decoding runs on the calling task; it is meant
/// for objects of a bounded size (one batch of events).
pub async fn read_object(store: &dyn ObjectStore, key: &str) -> Result<Vec<RecordBatch>> {
    let bytes = store.get(key).await?;
    decode(bytes, Some(key))
}

fn decode(bytes: Bytes, key: Option<&str>) -> Result<Vec<RecordBatch>> {
    let parquet_err = |context| move |source| ArchiveError::Parquet { context, source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(parquet_err("reading the footer"))?;
    check_schema_version(builder.metadata().file_metadata(), key)?;
    let reader = builder
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(parquet_err("opening the reader"))?;
    reader
        .map(|b| b.and_then(auditlake_event::upgrade))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ArchiveError::Arrow {
            context: "decoding rows",
            source,
        })
}

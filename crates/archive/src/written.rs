//! When an archive object was written: what retention and Object Lock count from.
//!
//! An event's time is the application's claim: a clock at year 1 would have its object deleted
//! by the next retention run, one at year 9999 would keep it (and on S3 lock it) for millennia.
//! So retention counts from when auditlake wrote the object, which no event can be older than.
//!
//! The write time of an object is the latest `observed_time` of its events (when the agent read
//! their lines), taken from that column's statistics in the Parquet footer. It is part of the
//! object's bytes, so it reads the same from a local directory and from S3, survives copying the
//! archive elsewhere, is kept by compaction and erasure (they keep the rows' observed times), and
//! the object's SHA-256 in its signed digest covers it. The store's last-modified time is not
//! used for it: a copy or a restore resets it, and on a local directory anyone can set it. It
//! serves only where a footer has no observed times (objects of other writers), and to tell
//! which objects can be due at all without reading their footers: an object cannot have been
//! written after the store last modified it.

use auditlake_storage::ObjectStore;
use chrono::{DateTime, Utc};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;

use crate::error::{ArchiveError, Result};

/// The column whose largest value is an object's write time.
const OBSERVED_TIME_COLUMN: &str = "observed_time";

/// How many bytes of an object's tail the first read takes, so that most footers take one read.
const FOOTER_PREFETCH: u64 = 64 * 1024;

/// The length of a Parquet file's trailer: the footer length (4 bytes) and `PAR1`.
const TRAILER_LEN: u64 = 8;

/// The latest `observed_time` of the object at `key`, of `size` bytes, from its footer's
/// statistics; `None` when no row group has statistics of that column.
pub async fn max_observed_time(
    store: &dyn ObjectStore,
    key: &str,
    size: u64,
) -> Result<Option<DateTime<Utc>>> {
    let metadata = read_footer(store, key, size).await?;
    Ok(max_observed_in(&metadata).map(auditlake_event::micros_to_datetime))
}

/// The latest `observed_time` in a footer's row-group statistics (UTC microseconds).
pub fn max_observed_in(metadata: &ParquetMetaData) -> Option<i64> {
    let schema = metadata.file_metadata().schema_descr();
    let column =
        (0..schema.num_columns()).find(|&i| schema.column(i).name() == OBSERVED_TIME_COLUMN)?;
    metadata
        .row_groups()
        .iter()
        .filter_map(|rg| match rg.column(column).statistics() {
            Some(Statistics::Int64(s)) => s.max_opt().copied(),
            _ => None,
        })
        .max()
}

/// Reads and decodes the footer of a Parquet object with ranged reads: one, or two for a footer
/// larger than [`FOOTER_PREFETCH`].
async fn read_footer(store: &dyn ObjectStore, key: &str, size: u64) -> Result<ParquetMetaData> {
    let bad = |message: String| ArchiveError::Parquet {
        context: "reading the footer",
        source: ParquetError::General(format!("{key}: {message}")),
    };
    if size < TRAILER_LEN {
        return Err(bad(format!("{size} bytes is too short for Parquet")));
    }
    let tail_len = size.min(FOOTER_PREFETCH);
    let tail = store.get_range(key, size - tail_len..size).await?;
    if tail.len() as u64 != tail_len {
        return Err(bad(format!("read {} of {tail_len} bytes", tail.len())));
    }
    let trailer = &tail[tail.len() - TRAILER_LEN as usize..];
    if &trailer[4..] != b"PAR1" {
        return Err(bad("no PAR1 magic at the end".to_string()));
    }
    let footer_len = u64::from(u32::from_le_bytes([
        trailer[0], trailer[1], trailer[2], trailer[3],
    ]));
    if footer_len + TRAILER_LEN > size {
        return Err(bad(format!("footer of {footer_len} bytes in {size}")));
    }
    let footer = if footer_len + TRAILER_LEN <= tail_len {
        let end = tail.len() - TRAILER_LEN as usize;
        tail.slice(end - footer_len as usize..end)
    } else {
        let end = size - TRAILER_LEN;
        store.get_range(key, end - footer_len..end).await?
    };
    ParquetMetaDataReader::decode_metadata(&footer).map_err(|source| ArchiveError::Parquet {
        context: "decoding the footer",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::{WriterOptions, encode_parquet};
    use auditlake_event::AuditEvent;
    use auditlake_storage::{LocalStore, PutOptions};
    use bytes::Bytes;

    fn event(i: i64, observed: Option<i64>) -> AuditEvent {
        AuditEvent {
            event_id: format!("e{i}"),
            time: 1_000_000 * i,
            observed_time: observed,
            category: "authentication".into(),
            action: "authentication.login".into(),
            actor_id: Some(format!("a{i}")),
            ..Default::default()
        }
    }

    async fn stored(
        events: &[AuditEvent],
        opts: &WriterOptions,
    ) -> (tempfile::TempDir, LocalStore, u64) {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let obj = encode_parquet(events, opts).unwrap();
        let size = obj.bytes.len() as u64;
        store
            .put("o.parquet", obj.bytes, &PutOptions::default())
            .await
            .unwrap();
        (dir, store, size)
    }

    #[tokio::test]
    async fn reads_the_latest_observed_time_across_row_groups() {
        let events: Vec<_> = (0..3000)
            .map(|i| event(i, Some(5_000_000_000 + (i * 7919) % 3000)))
            .collect();
        let opts = WriterOptions {
            row_group_rows: 1000,
            ..WriterOptions::default()
        };
        let (_dir, store, size) = stored(&events, &opts).await;
        let t = max_observed_time(&store, "o.parquet", size).await.unwrap();
        assert_eq!(
            t,
            Some(auditlake_event::micros_to_datetime(5_000_000_000 + 2999))
        );
    }

    #[tokio::test]
    async fn no_observed_times_is_none_and_garbage_is_an_error() {
        let (_dir, store, size) = stored(&[event(1, None)], &WriterOptions::default()).await;
        assert_eq!(
            max_observed_time(&store, "o.parquet", size).await.unwrap(),
            None
        );
        store
            .put(
                "x.parquet",
                Bytes::from_static(b"not parquet at all"),
                &PutOptions::default(),
            )
            .await
            .unwrap();
        let err = max_observed_time(&store, "x.parquet", 18)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("x.parquet"), "{err}");
    }
}

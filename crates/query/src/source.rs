//! Parquet's async reader over an [`ObjectStore`]: every read is a ranged read, so on S3 a
//! footer or a column chunk is one ranged GET.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use auditlake_storage::ObjectStore;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

use crate::stats::ScanStats;

/// How many bytes of a file's tail the first read takes, so that most footers take one read.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// One object of the store as a Parquet file.
#[derive(Debug, Clone)]
pub struct StoreFile {
    store: Arc<dyn ObjectStore>,
    key: String,
    size: u64,
    stats: Arc<ScanStats>,
}

impl StoreFile {
    pub fn new(store: Arc<dyn ObjectStore>, key: String, size: u64, stats: Arc<ScanStats>) -> Self {
        StoreFile {
            store,
            key,
            size,
            stats,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

fn storage_err(e: auditlake_storage::StorageError) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for StoreFile {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            let len = range.end - range.start;
            let bytes = self
                .store
                .get_range(&self.key, range)
                .await
                .map_err(storage_err)?;
            self.stats.bytes_read.fetch_add(len, Ordering::Relaxed);
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            Ok(bytes)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            // Coalesce ranges that are close together into one read, as column chunks of one
            // row group sit side by side.
            const GAP: u64 = 64 * 1024;
            let mut sorted: Vec<(usize, Range<u64>)> = ranges.iter().cloned().enumerate().collect();
            sorted.sort_by_key(|(_, r)| r.start);
            let mut merged: Vec<Range<u64>> = Vec::new();
            for (_, r) in &sorted {
                match merged.last_mut() {
                    Some(m) if r.start <= m.end + GAP => m.end = m.end.max(r.end),
                    _ => merged.push(r.clone()),
                }
            }
            let fetched = futures::future::try_join_all(merged.iter().map(|m| {
                let store = self.store.clone();
                let key = self.key.clone();
                let m = m.clone();
                async move { store.get_range(&key, m).await }
            }))
            .await
            .map_err(storage_err)?;
            for m in &merged {
                self.stats
                    .bytes_read
                    .fetch_add(m.end - m.start, Ordering::Relaxed);
            }
            self.stats
                .requests
                .fetch_add(merged.len() as u64, Ordering::Relaxed);
            let mut out = Vec::with_capacity(ranges.len());
            for r in &ranges {
                let i = merged
                    .iter()
                    .position(|m| m.start <= r.start && r.end <= m.end)
                    .ok_or_else(|| ParquetError::General("range not fetched".into()))?;
                let base = merged[i].start;
                let bytes = &fetched[i];
                let (a, b) = ((r.start - base) as usize, (r.end - base) as usize);
                if b > bytes.len() {
                    return Err(ParquetError::EOF(format!(
                        "{}: wanted bytes up to {}, object has {}",
                        self.key,
                        r.end,
                        base as usize + bytes.len()
                    )));
                }
                out.push(bytes.slice(a..b));
            }
            Ok(out)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            // The page index (just before the footer, usually inside the prefetch) lets the
            // decoder fetch only the pages that hold matching rows.
            let reader = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .with_page_index_policy(PageIndexPolicy::Optional);
            let md = reader.load_and_finish(&mut *self, size).await?;
            Ok(Arc::new(md))
        }
        .boxed()
    }
}

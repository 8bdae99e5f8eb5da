//! Counters of a scan, shared with whoever shows progress.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Live counters of a scan; every field only grows.
#[derive(Debug, Default)]
pub struct ScanStats {
    /// Objects the plan selected (after partition pruning).
    pub files_planned: AtomicU64,
    /// Objects whose scan finished.
    pub files_done: AtomicU64,
    /// Objects the listing returned before partition pruning.
    pub files_listed: AtomicU64,
    pub row_groups_total: AtomicU64,
    /// Row groups skipped because min/max statistics rule the filter out.
    pub row_groups_pruned_stats: AtomicU64,
    /// Row groups skipped because a bloom filter rules an equality out.
    pub row_groups_pruned_bloom: AtomicU64,
    /// Rows of the row groups that were read.
    pub rows_scanned: AtomicU64,
    pub rows_matched: AtomicU64,
    /// Bytes fetched from the store (footers, bloom filters, column chunks).
    pub bytes_read: AtomicU64,
    /// Ranged reads issued to the store.
    pub requests: AtomicU64,
}

/// A copy of [`ScanStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub files_listed: u64,
    pub files_planned: u64,
    pub files_done: u64,
    pub row_groups_total: u64,
    pub row_groups_pruned_stats: u64,
    pub row_groups_pruned_bloom: u64,
    pub rows_scanned: u64,
    pub rows_matched: u64,
    pub bytes_read: u64,
    pub requests: u64,
}

impl ScanStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            files_listed: g(&self.files_listed),
            files_planned: g(&self.files_planned),
            files_done: g(&self.files_done),
            row_groups_total: g(&self.row_groups_total),
            row_groups_pruned_stats: g(&self.row_groups_pruned_stats),
            row_groups_pruned_bloom: g(&self.row_groups_pruned_bloom),
            rows_scanned: g(&self.rows_scanned),
            rows_matched: g(&self.rows_matched),
            bytes_read: g(&self.bytes_read),
            requests: g(&self.requests),
        }
    }

    pub(crate) fn add(a: &AtomicU64, n: u64) {
        a.fetch_add(n, Ordering::Relaxed);
    }
}

impl StatsSnapshot {
    /// One line for a terminal: files, row groups kept and pruned, rows matched, MiB read.
    pub fn progress_line(&self) -> String {
        let pruned = self.row_groups_pruned_stats + self.row_groups_pruned_bloom;
        format!(
            "files {}/{} | row groups {} kept, {} pruned | {} rows matched | {:.1} MiB read",
            self.files_done,
            self.files_planned,
            self.row_groups_total - pruned,
            pruned,
            self.rows_matched,
            self.bytes_read as f64 / (1024.0 * 1024.0)
        )
    }
}

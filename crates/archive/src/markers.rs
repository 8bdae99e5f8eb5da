//! Rewrite markers: `_rewrites/{job}.json`, naming the objects a rewrite under way replaces and
//! the ones it writes in their place, and what readers make of them ([`RewriteView`]). The jobs
//! that write them are in `auditlake-jobs`; the format is the archive's, read by every reader
//! and by `verify`.

use std::collections::HashSet;

use auditlake_storage::{ObjectStore, StorageError};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::{DeletedObject, ErasedSpan, ObjectEntry, ReceiptKind, RewriteReceipt};
use crate::error::{ArchiveError, Result};

/// The key prefix of rewrite markers.
pub const REWRITES_PREFIX: &str = "_rewrites/";

/// A job as its marker stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// The job's id: `{kind}-{run start}-{job number}`.
    pub job: String,
    pub kind: ReceiptKind,
    pub policy: String,
    /// The run's start.
    pub time: DateTime<Utc>,
    /// The objects replaced.
    pub inputs: Vec<DeletedObject>,
    /// The objects written in their place.
    pub outputs: Vec<ObjectEntry>,
    /// Events of the inputs the outputs no longer hold.
    #[serde(default)]
    pub erased: Vec<ErasedSpan>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum Persisted {
    #[serde(rename = "1")]
    V1(Marker),
}

impl Marker {
    /// The marker's key.
    pub fn key(&self) -> String {
        marker_key(&self.job)
    }

    /// The marker as it is stored.
    pub fn to_bytes(&self) -> Bytes {
        let mut v = serde_json::to_vec_pretty(&Persisted::V1(self.clone())).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }

    /// Parses a stored marker; `key` names it in errors.
    pub fn parse(key: &str, bytes: &[u8]) -> Result<Marker> {
        match serde_json::from_slice::<Persisted>(bytes) {
            Ok(Persisted::V1(m)) => Ok(m),
            Err(e) => Err(ArchiveError::digest(key, format!("rewrite marker: {e}"))),
        }
    }

    /// The receipt the job's digest records.
    pub fn receipt(&self) -> RewriteReceipt {
        RewriteReceipt {
            kind: self.kind,
            job: self.job.clone(),
            policy: self.policy.clone(),
            time: self.time,
            replaced: self.inputs.clone(),
            written: self.outputs.clone(),
            erased: self.erased.clone(),
        }
    }

    /// The chain the job's receipt goes into.
    pub fn chain(&self) -> &'static str {
        chain_of(self.kind)
    }
}

/// The job chain of a kind of rewrite.
pub fn chain_of(kind: ReceiptKind) -> &'static str {
    match kind {
        ReceiptKind::Compaction => crate::digest::COMPACTION_CHAIN,
        ReceiptKind::Erasure | ReceiptKind::Retention => crate::digest::ERASURE_CHAIN,
    }
}

/// The key of a job's marker.
pub fn marker_key(job: &str) -> String {
    format!("{REWRITES_PREFIX}{job}.json")
}

/// Every stored marker; one that cannot be read is an error naming it.
pub async fn list_markers(store: &dyn ObjectStore) -> Result<Vec<Marker>> {
    let mut out = Vec::new();
    for m in store.list(REWRITES_PREFIX).await? {
        if !m.key.ends_with(".json") {
            continue;
        }
        let bytes = match store.get(&m.key).await {
            Ok(b) => b,
            // Deleted by a run finishing between the list and the get.
            Err(StorageError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        out.push(Marker::parse(&m.key, &bytes)?);
    }
    Ok(out)
}

/// What readers must skip while rewrites are under way.
#[derive(Debug, Clone, Default)]
pub struct RewriteView {
    markers: Vec<Marker>,
}

impl RewriteView {
    /// Loads the markers (one list request when there are none).
    pub async fn load(store: &dyn ObjectStore) -> Result<RewriteView> {
        Ok(RewriteView {
            markers: list_markers(store).await?,
        })
    }

    /// The view of these markers.
    pub fn of(markers: Vec<Marker>) -> RewriteView {
        RewriteView { markers }
    }

    /// Whether no rewrite is under way.
    pub fn is_empty(&self) -> bool {
        self.markers.is_empty()
    }

    /// The keys among `listed` a reader must skip: the inputs of markers whose outputs are all
    /// listed, and the outputs of the others. Inputs and outputs of a job share a partition, so
    /// a listing of that partition decides.
    pub fn hidden<'a>(&self, listed: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
        let listed: HashSet<&str> = listed.into_iter().collect();
        let mut hidden = HashSet::new();
        for m in &self.markers {
            let complete = m.outputs.iter().all(|o| listed.contains(o.key.as_str()));
            let keys: Vec<&str> = if complete {
                m.inputs.iter().map(|i| i.key.as_str()).collect()
            } else {
                m.outputs.iter().map(|o| o.key.as_str()).collect()
            };
            hidden.extend(
                keys.into_iter()
                    .filter(|k| listed.contains(k))
                    .map(str::to_string),
            );
        }
        hidden
    }
}

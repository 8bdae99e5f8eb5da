//! The per-source checkpoint: where each file's reading stands, the next sequence numbers, and
//! the spool entries not yet uploaded. It commits atomically with the spool files it names.

use std::path::{Path, PathBuf};

use auditlake_tail::FilePosition;
use serde::{Deserialize, Serialize};

use crate::AgentError;

/// One spooled archive object waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    /// The object's key in the store.
    pub key: String,
    /// The spool file's name in the source's spool directory.
    pub file: String,
    pub size: u64,
    pub rows: u64,
    pub sha256: String,
    pub min_time: i64,
    pub max_time: i64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The tier the object belongs to.
    pub tier: String,
    /// The latest time a line of the object was read (UTC microseconds): its write time, which
    /// its Object Lock counts from. Absent in entries spooled by earlier versions (then the
    /// upload time counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_observed_time: Option<i64>,
}

/// The checkpoint of one source, version 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStateV1 {
    pub source: String,
    /// The sequence number the next event gets.
    pub next_seq: u64,
    /// The sequence number the next archive object gets (part of its key).
    pub next_object_seq: u64,
    /// Where reading of each known file stands.
    pub files: Vec<FilePosition>,
    /// Spooled objects not yet uploaded.
    pub pending: Vec<SpoolEntry>,
}

/// The persisted checkpoint, tagged with its format version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "version")]
enum Persisted {
    #[serde(rename = "1")]
    V1(SourceStateV1),
}

/// The state directory's layout for one source.
#[derive(Debug, Clone)]
pub struct SourcePaths {
    pub checkpoint: PathBuf,
    pub spool_dir: PathBuf,
    pub dead_letter: PathBuf,
}

impl SourcePaths {
    pub fn new(state_dir: &Path, source: &str) -> SourcePaths {
        SourcePaths {
            checkpoint: state_dir.join("checkpoints").join(format!("{source}.json")),
            spool_dir: state_dir.join("spool").join(source),
            dead_letter: state_dir
                .join("dead-letter")
                .join(format!("{source}.jsonl")),
        }
    }
}

impl SourceStateV1 {
    /// Loads the checkpoint. A missing file is a fresh start; a damaged one is an error naming it
    /// (the caller decides whether to move it aside).
    pub fn load(path: &Path, source: &str) -> Result<SourceStateV1, AgentError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SourceStateV1 {
                    source: source.to_string(),
                    ..Default::default()
                });
            }
            Err(e) => return Err(AgentError::io(path, e)),
        };
        let persisted: Persisted =
            serde_json::from_slice(&bytes).map_err(|e| AgentError::CorruptState {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let Persisted::V1(state) = persisted;
        if state.source != source {
            return Err(AgentError::CorruptState {
                path: path.to_path_buf(),
                message: format!("holds source {:?}, expected {source:?}", state.source),
            });
        }
        Ok(state)
    }

    /// Commits the checkpoint durably (temp file, fsync, rename, fsync dir).
    pub fn commit(&self, path: &Path) -> Result<(), AgentError> {
        let json =
            serde_json::to_vec_pretty(&Persisted::V1(self.clone())).expect("checkpoint serializes");
        auditlake_durable::write_atomic(path, &json).map_err(|e| AgentError::io(path, e))
    }

    /// Forgets the positions of these fingerprints: files read to their end and let go, or lost.
    pub fn forget(&mut self, fingerprints: &[u64]) {
        self.files
            .retain(|p| !fingerprints.contains(&p.fingerprint));
    }

    /// Records a file's position, replacing the entry of the same fingerprint and file id.
    pub fn set_position(&mut self, pos: FilePosition) {
        if let Some(p) = self
            .files
            .iter_mut()
            .find(|p| p.fingerprint == pos.fingerprint && p.file_id == pos.file_id)
        {
            *p = pos;
        } else if let Some(p) = self
            .files
            .iter_mut()
            .find(|p| p.fingerprint == pos.fingerprint)
        {
            *p = pos;
        } else {
            self.files.push(pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_tail::FileId;

    #[test]
    fn round_trips_with_version_tag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let mut s = SourceStateV1::load(&path, "idp").unwrap();
        s.next_seq = 7;
        s.set_position(FilePosition {
            fingerprint: 1,
            file_id: FileId { dev: 1, ino: 2 },
            path: "/x".into(),
            offset: 10,
            size: Some(12),
        });
        s.commit(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"version\": \"1\""), "{text}");
        assert_eq!(SourceStateV1::load(&path, "idp").unwrap(), s);
    }

    #[test]
    fn checkpoint_without_sizes_still_loads() {
        // Written before sizes were recorded: the size is unknown, not an error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(
            &path,
            r#"{"version":"1","source":"idp","next_seq":0,"next_object_seq":0,"pending":[],
               "files":[{"fingerprint":1,"file_id":{"dev":1,"ino":2},"path":"/x","offset":10}]}"#,
        )
        .unwrap();
        let s = SourceStateV1::load(&path, "idp").unwrap();
        assert_eq!(s.files[0].size, None);
    }

    #[test]
    fn forget_drops_the_positions_of_a_fingerprint() {
        let mut s = SourceStateV1::default();
        for fingerprint in [1, 2] {
            s.set_position(FilePosition {
                fingerprint,
                file_id: FileId::default(),
                path: String::new(),
                offset: 0,
                size: Some(0),
            });
        }
        s.forget(&[1]);
        assert_eq!(s.files.len(), 1);
        assert_eq!(s.files[0].fingerprint, 2);
    }

    #[test]
    fn corrupt_checkpoint_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = SourceStateV1::load(&path, "idp").unwrap_err();
        assert!(err.to_string().contains("c.json"), "{err}");
    }

    #[test]
    fn position_prefers_same_inode() {
        let mut s = SourceStateV1::default();
        for (ino, offset) in [(1, 5), (2, 9)] {
            s.files.push(FilePosition {
                fingerprint: 42,
                file_id: FileId { dev: 0, ino },
                path: String::new(),
                offset,
                size: None,
            });
        }
        let at = |fp, ino| auditlake_tail::checkpointed(&s.files, fp, FileId { dev: 0, ino });
        assert_eq!(at(42, 2).unwrap().offset, 9);
        assert!(at(43, 0).is_none());
    }
}

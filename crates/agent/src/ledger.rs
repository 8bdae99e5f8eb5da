//! The loss ledger: `STATE_DIR/loss-ledger.jsonl`, one JSON object per line for every file whose
//! unread bytes were lost (deleted, compressed or truncated before the agent read them), so that
//! a loss is never silent. Appends are durable (fsync) before the agent goes on.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use auditlake_tail::Loss;
use serde::Serialize;

use crate::AgentError;

/// The ledger's file name in the state directory.
pub const LEDGER_FILE: &str = "loss-ledger.jsonl";

/// The format version written in every record.
const LEDGER_VERSION: u32 = 1;

/// One line of the ledger. Bytes `offset..size` of the file's content were never read; `size`
/// and `lost_bytes` are `null` where the checkpoint did not record the size (written by a
/// version before sizes were recorded). `lost_bytes` is a lower bound: what the application
/// appended after the agent last saw the file cannot be counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LossRecord {
    /// The record format's version; a number, first, as readers of other tools expect.
    pub version: u32,
    /// When the loss was found (RFC 3339, UTC).
    pub recorded_at: String,
    pub source: String,
    /// The absolute path the file was last read under.
    pub path: String,
    /// The file's fingerprint, 16 hex digits.
    pub fingerprint: String,
    pub dev: u64,
    pub inode: u64,
    /// The checkpointed read offset: the first byte not archived.
    pub offset: u64,
    /// The file's last known size.
    pub size: Option<u64>,
    /// `size - offset`.
    pub lost_bytes: Option<u64>,
    /// `not_found` or `truncated`.
    pub reason: String,
}

impl LossRecord {
    pub fn new(source: &str, loss: &Loss) -> LossRecord {
        let path = std::path::absolute(&loss.path).unwrap_or_else(|_| loss.path.clone());
        LossRecord {
            version: LEDGER_VERSION,
            recorded_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            source: source.to_string(),
            path: path.display().to_string(),
            fingerprint: format!("{:016x}", loss.fingerprint),
            dev: loss.file_id.dev,
            inode: loss.file_id.ino,
            offset: loss.offset,
            size: loss.size,
            lost_bytes: loss.lost_bytes(),
            reason: loss.reason.as_str().to_string(),
        }
    }
}

/// Appends records to the ledger file.
#[derive(Debug, Clone)]
pub struct LossLedger {
    path: PathBuf,
}

impl LossLedger {
    pub fn new(state_dir: &Path) -> LossLedger {
        LossLedger {
            path: state_dir.join(LEDGER_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line, in one write (sources append from their own threads), and
    /// fsyncs it (and the directory, when the file is new).
    pub fn append(&self, record: &LossRecord) -> Result<(), AgentError> {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| AgentError::io(dir, e))?;
        let created = !self.path.exists();
        let mut line = serde_json::to_vec(record).expect("loss record serializes");
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| AgentError::io(&self.path, e))?;
        f.write_all(&line)
            .and_then(|()| f.sync_data())
            .map_err(|e| AgentError::io(&self.path, e))?;
        if created {
            auditlake_durable::sync_dir(dir).map_err(|e| AgentError::io(dir, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditlake_tail::{FileId, LossReason};

    #[test]
    fn records_are_appended_one_json_object_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = LossLedger::new(dir.path());
        let mut loss = Loss {
            path: PathBuf::from("/var/log/app.log.1"),
            fingerprint: 0xabc,
            file_id: FileId { dev: 8, ino: 42 },
            offset: 100,
            size: Some(160),
            reason: LossReason::NotFound,
        };
        ledger.append(&LossRecord::new("app", &loss)).unwrap();
        loss.size = None;
        ledger.append(&LossRecord::new("app", &loss)).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LEDGER_FILE)).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(
            text.starts_with("{\"version\":1,\"recorded_at\":"),
            "{text}"
        );
        let first = &lines[0];
        assert_eq!(first["source"], "app");
        assert_eq!(first["path"], "/var/log/app.log.1");
        assert_eq!(first["fingerprint"], "0000000000000abc");
        assert_eq!(
            (first["dev"].as_u64(), first["inode"].as_u64()),
            (Some(8), Some(42))
        );
        assert_eq!(first["offset"], 100);
        assert_eq!(first["size"], 160);
        assert_eq!(first["lost_bytes"], 60);
        assert_eq!(first["reason"], "not_found");
        assert!(lines[1]["size"].is_null() && lines[1]["lost_bytes"].is_null());
        chrono::DateTime::parse_from_rfc3339(first["recorded_at"].as_str().unwrap()).unwrap();
    }
}

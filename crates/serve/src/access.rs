//! The record of reads: every API read and export becomes an `audit.log.view` or
//! `audit.log.export` event (who, role, filter, rows returned, time, client address), appended
//! and synced to `access.jsonl` in auditlake's own JSON event format before the data leaves.
//! The server's archiving pipeline (the agent's, with its spool, checkpoint and digest) reads
//! that file into the archive, so that who looked at whose activity is itself evidence.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use auditlake_durable::Appender;
use auditlake_filter::FilterSpec;
use chrono::{SecondsFormat, Utc};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};

use crate::auth::{Principal, ReaderKind};

/// The file name of the record of reads in `serve.state_dir`.
pub const ACCESS_LOG: &str = "access.jsonl";

/// What kind of read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    View,
    Export,
}

impl ReadKind {
    pub fn action(self) -> &'static str {
        match self {
            ReadKind::View => "audit.log.view",
            ReadKind::Export => "audit.log.export",
        }
    }
}

/// One read, as it is recorded.
#[derive(Debug, Clone)]
pub struct Read<'a> {
    pub kind: ReadKind,
    pub principal: &'a Principal,
    /// The endpoint read (`/api/v1/events`, `/api/v1/reports/last-login`).
    pub endpoint: &'a str,
    /// The filter as asked, and the scope the reader's role added.
    pub filter: &'a FilterSpec,
    /// Other parameters of the read (report options, format, cursor).
    pub params: Value,
    pub rows: u64,
    /// Whether the read completed (an export cut off by the client did not).
    pub complete: bool,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

/// The append-only record of reads.
#[derive(Debug, Clone)]
pub struct AccessLog {
    path: PathBuf,
    out: Arc<Mutex<Appender>>,
}

impl AccessLog {
    /// The record in `dir`, created (durably) when missing, and checked writable now: a server
    /// that cannot record its reads does not serve them.
    pub fn open(dir: &Path) -> io::Result<AccessLog> {
        auditlake_durable::create_dirs(dir)?;
        let path = dir.join(ACCESS_LOG);
        let mut out = Appender::new(&path);
        out.write(b"")?;
        out.sync()?;
        Ok(AccessLog {
            path,
            out: Arc::new(Mutex::new(out)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the read and syncs it.
    pub async fn record(&self, read: &Read<'_>) -> io::Result<()> {
        let mut line = serde_json::to_vec(&event(read)).map_err(io::Error::other)?;
        line.push(b'\n');
        let out = self.out.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
            out.write(&line)?;
            out.sync()
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// The event of a read, in auditlake's JSON event format.
pub fn event(read: &Read<'_>) -> Value {
    let p = read.principal;
    let mut id = [0u8; 16];
    OsRng.fill_bytes(&mut id);
    let verb = match read.kind {
        ReadKind::View => "read",
        ReadKind::Export => "exported",
    };
    let tenant = match p.tenants.as_deref() {
        Some([one]) => Some(one.clone()),
        _ => None,
    };
    json!({
        "id": format!("read-{}", hex::encode(id)),
        "time": Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        "action": read.kind.action(),
        "outcome": if read.complete { "success" } else { "failure" },
        "reason": (!read.complete).then_some("the read ended before every row was sent"),
        "actor": {
            "id": p.subject,
            "name": p.name,
            "email": p.email,
            "type": match p.kind { ReaderKind::Person => "user", ReaderKind::Service => "service" },
        },
        "tenant": tenant,
        "src_ip": read.client_ip.map(|ip| ip.to_string()),
        "user_agent": read.user_agent,
        "resource": { "type": "audit_log", "id": read.endpoint },
        "message": format!("{} {verb} {} rows of {}", p.subject, read.rows, read.endpoint),
        "role": p.role.as_str(),
        "tenants": p.tenants,
        "filter": read.filter,
        "params": read.params,
        "rows": read.rows,
    })
}

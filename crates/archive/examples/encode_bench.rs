//! Encodes synthetic audit events and prints the object size and encoding time per zstd level.
//!
//! `cargo run --release -p auditlake-archive --example encode_bench -- [EVENTS]` (default 100000)

use std::sync::Arc;
use std::time::Instant;

use auditlake_archive::{WriterOptions, encode_parquet};
use auditlake_event::{AuditEvent, Outcome, SourceInfo, lookup};

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ACTIONS: &[&str] = &[
    "authentication.login",
    "authentication.login",
    "authentication.login",
    "authentication.mfa.totp",
    "authentication.primary.password",
    "session.create",
    "session.sign_out",
    "account.password.change",
    "resource.update",
    "resource.assign",
    "data.export",
    "message.email.send",
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "okhttp/4.12.0",
];

fn synthetic(n: usize) -> Vec<AuditEvent> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let source = Arc::new(SourceInfo {
        app: "idp".into(),
        namespace: Some("auth".into()),
        pod: Some("idp-7d9f8b6c5-x2k4q".into()),
        container: Some("idp".into()),
        node: Some("node-3".into()),
        file: Some("/var/log/app/events.jsonl".into()),
    });
    // 2026-11-21T00:00:00Z, events spread over the day.
    let day = 1_795_219_200_000_000i64;
    (0..n)
        .map(|i| {
            let action = ACTIONS[rng.below(ACTIONS.len() as u64) as usize];
            let category = lookup(action).map_or("custom", |d| d.category);
            let user = rng.below(5000);
            let time = day + (i as i64) * (86_400_000_000 / n as i64) + rng.below(1000) as i64;
            let ip = format!("203.0.{}.{}", user % 200, rng.below(250));
            let failed = rng.below(10) == 0;
            let session = format!("sess_{:016x}", rng.next());
            let ua = AGENTS[(user % AGENTS.len() as u64) as usize];
            let raw = format!(
                "{{\"ts\":\"{time}\",\"event\":\"{action}\",\"user_id\":\"usr_{user:06}\",\"email\":\"user{user}@example.com\",\"ip\":\"{ip}\",\"ua\":\"{ua}\",\"session\":\"{session}\",\"result\":\"{}\",\"request_id\":\"{:032x}\"}}",
                if failed { "denied" } else { "ok" },
                u128::from(rng.next()) << 64 | u128::from(rng.next()),
            );
            AuditEvent {
                event_id: format!("{:032x}", u128::from(rng.next()) << 64 | u128::from(rng.next())),
                seq: Some(i as u64),
                time,
                observed_time: Some(time + 150_000),
                category: category.into(),
                action: action.into(),
                outcome: if failed { Outcome::Failure } else { Outcome::Success },
                reason: failed.then(|| "invalid_password".to_string()),
                actor_id: Some(format!("usr_{user:06}")),
                actor_email: Some(format!("user{user}@example.com")),
                actor_type: Some("user".into()),
                tenant: Some(format!("tenant-{}", user % 20)),
                src_ip: Some(ip),
                user_agent: Some(ua.into()),
                session_id: Some(session),
                auth_method: Some("password".into()),
                source: source.clone(),
                source_offset: Some(i as u64 * 420),
                raw: Some(raw),
                ..Default::default()
            }
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let events = synthetic(n);
    let raw_bytes: usize = events
        .iter()
        .filter_map(|e| e.raw.as_ref())
        .map(|r| r.len() + 1)
        .sum();
    println!("{n} events, {raw_bytes} bytes of raw log lines");
    print_columns(&events);
    for level in [1, 3, 6, 9] {
        let opts = WriterOptions {
            zstd_level: level,
            ..Default::default()
        };
        let mut best = f64::MAX;
        let mut size = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let obj = encode_parquet(&events, &opts).expect("encode");
            best = best.min(start.elapsed().as_secs_f64() * 1000.0);
            size = obj.bytes.len();
        }
        println!(
            "zstd level {level}: {size} bytes ({:.1} bytes/event, {:.1}% of raw), {best:.0} ms",
            size as f64 / n as f64,
            100.0 * size as f64 / raw_bytes as f64
        );
    }
}

/// The largest columns of a default-options object, by compressed bytes.
fn print_columns(events: &[AuditEvent]) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let obj = encode_parquet(events, &WriterOptions::default()).expect("encode");
    let reader = SerializedFileReader::new(obj.bytes.clone()).expect("footer");
    let meta = reader.metadata();
    let mut sizes: Vec<(String, i64)> = (0..meta.file_metadata().schema_descr().num_columns())
        .map(|i| {
            let name = meta
                .file_metadata()
                .schema_descr()
                .column(i)
                .name()
                .to_string();
            let bytes = meta
                .row_groups()
                .iter()
                .map(|rg| rg.column(i).compressed_size())
                .sum();
            (name, bytes)
        })
        .collect();
    sizes.sort_by_key(|s| std::cmp::Reverse(s.1));
    let top: Vec<String> = sizes
        .iter()
        .take(8)
        .map(|(n, b)| format!("{n} {b}"))
        .collect();
    println!("largest columns (bytes, zstd 3): {}", top.join(", "));
}

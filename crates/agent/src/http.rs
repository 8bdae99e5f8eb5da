//! A small HTTP endpoint: `/metrics` (Prometheus text format), `/healthz`, `/readyz`.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::metrics::{Health, Metrics};

/// Serves until the task is dropped. Binding errors are returned at once.
pub async fn serve(
    listen: &str,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "serving /metrics, /healthz, /readyz");
    let registry = Arc::new(metrics.registry());
    Ok(tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            let registry = registry.clone();
            let health = health.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut n = 0;
                while n < buf.len() {
                    match conn.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                    if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, ctype, body) = match path {
                    "/metrics" => {
                        let mut text = String::new();
                        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
                        (
                            "200 OK",
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            text,
                        )
                    }
                    "/healthz" => ("200 OK", "text/plain", "ok\n".to_string()),
                    "/readyz" => match health.ready() {
                        Ok(()) => ("200 OK", "text/plain", "ready\n".to_string()),
                        Err(reasons) => (
                            "503 Service Unavailable",
                            "text/plain",
                            reasons.join("\n") + "\n",
                        ),
                    },
                    _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(body.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    }))
}

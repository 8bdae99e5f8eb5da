//! The agent's endpoints: `/metrics` (Prometheus text format), `/healthz`, `/readyz`, served by
//! [`auditlake_http::Server`] with its timeouts and limits.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;

use crate::metrics::{Health, Metrics};

/// The content type of the OpenMetrics text format, which Prometheus scrapes.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

#[derive(Clone)]
struct Endpoints {
    registry: Arc<Registry>,
    health: Arc<Health>,
}

/// Binds `listen` (an error at once if it cannot) and serves until the handle is shut down.
pub async fn serve(
    listen: &str,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
) -> std::io::Result<auditlake_http::ServerHandle> {
    let server = auditlake_http::Server::builder().bind(listen).await?;
    tracing::info!(address = %server.local_addr()?, "serving /metrics, /healthz, /readyz");
    Ok(server.spawn(router(&metrics, health)))
}

fn router(metrics: &Metrics, health: Arc<Health>) -> Router {
    let state = Endpoints {
        registry: Arc::new(metrics.registry()),
        health,
    };
    Router::new()
        .route("/metrics", get(metrics_text))
        .route(
            "/healthz",
            get(|| async { ([(header::CONTENT_TYPE, TEXT)], "ok\n") }),
        )
        .route("/readyz", get(ready))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, TEXT)],
                "not found\n",
            )
        })
        .with_state(state)
}

async fn metrics_text(State(s): State<Endpoints>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &s.registry) {
        Ok(()) => ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn ready(State(s): State<Endpoints>) -> Response {
    match s.health.ready() {
        Ok(()) => ([(header::CONTENT_TYPE, TEXT)], "ready\n").into_response(),
        Err(reasons) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, TEXT)],
            reasons.join("\n") + "\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::metrics::SourceHealth;

    async fn fetch(addr: std::net::SocketAddr, path: &str) -> String {
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        c.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn endpoints_answer_as_before() {
        let metrics = Arc::new(Metrics::default());
        metrics.lines.get_or_create(&Metrics::source("app")).inc();
        let health = Arc::new(Health::default());
        let handle = serve("127.0.0.1:0", metrics, health.clone()).await.unwrap();
        let addr = handle.local_addr().unwrap();

        let m = fetch(addr, "/metrics").await.to_lowercase();
        assert!(m.starts_with("http/1.1 200"), "{m}");
        assert!(m.contains(&format!("content-type: {OPENMETRICS}")), "{m}");
        assert!(
            m.contains("auditlake_agent_lines_read_total{source=\"app\"} 1"),
            "{m}"
        );
        assert!(fetch(addr, "/healthz").await.ends_with("\r\n\r\nok\n"));
        assert!(fetch(addr, "/readyz").await.ends_with("\r\n\r\nready\n"));
        health.set(
            "app",
            SourceHealth {
                spool_full: false,
                upload_error: Some("s3 down".into()),
            },
        );
        let r = fetch(addr, "/readyz").await;
        assert!(
            r.starts_with("HTTP/1.1 503") && r.contains("s3 down"),
            "{r}"
        );
        assert!(fetch(addr, "/nope").await.starts_with("HTTP/1.1 404"));
        handle.shutdown(std::time::Duration::from_secs(1)).await;
    }
}

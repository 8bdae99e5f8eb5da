//! The HTTP server behind auditlake's endpoints (the agent's `/metrics`, `/healthz`, `/readyz`;
//! later the console of `auditlake serve`): an [`axum::Router`] served by hyper with the limits a
//! server facing a network needs.
//!
//! - **Header-read timeout**: a client that does not finish its request head within
//!   `header_read_timeout` is disconnected (slowloris).
//! - **Request timeout**: a handler that takes longer than `request_timeout` answers
//!   `408 Request Timeout`.
//! - **Body limit**: a request body over `max_body_bytes` is refused with `413 Payload Too Large`.
//! - **Connection limit**: at most `max_connections` connections are served at once; further
//!   ones wait in the listen backlog until one closes.
//! - **Accept errors** (too many open files, say) are logged and retried after a pause, never
//!   in a busy loop.
//! - **The client's address** is in every request's extensions as
//!   [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo).
//! - **Graceful shutdown**: [`ServerHandle::shutdown`] stops accepting, lets requests in flight
//!   finish within a drain period, then closes what is left.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok\n" }));
//! let server = auditlake_http::Server::builder().bind("127.0.0.1:9464").await?;
//! let handle = server.spawn(app);
//! // ...
//! handle.shutdown(std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot, watch};
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// The pause after an accept error before accepting again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The limits of a [`Server`], with defaults fit for a metrics endpoint.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    header_read_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
    max_connections: usize,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServerBuilder {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
    pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

    /// How long a client may take to send its request head.
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.header_read_timeout = d;
        self
    }

    /// How long a handler may take before the request is answered with 408.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// The largest request body accepted.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// How many connections are served at once (at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Binds the listening socket; an address in use is an error here, not later.
    pub async fn bind(self, addr: &str) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            opts: self,
        })
    }
}

/// A bound server, ready to serve a router.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    opts: ServerBuilder,
}

impl Server {
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `app` on a task of its own until [`ServerHandle::shutdown`].
    pub fn spawn(self, app: Router) -> ServerHandle {
        let (tx, rx) = oneshot::channel::<Duration>();
        let addr = self.listener.local_addr().ok();
        let task = tokio::spawn(self.serve(app, rx));
        ServerHandle {
            stop: tx,
            task,
            addr,
        }
    }

    /// Serves `app` until `stop` yields the drain period (or its sender is dropped: no drain).
    async fn serve(
        self,
        app: Router,
        stop: impl Future<Output = Result<Duration, oneshot::error::RecvError>>,
    ) {
        let Server { listener, opts } = self;
        let app = app
            .layer(RequestBodyLimitLayer::new(opts.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                opts.request_timeout,
            ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(opts.header_read_timeout);
        let connections = Arc::new(Semaphore::new(opts.max_connections));
        let graceful = GracefulShutdown::new();
        // Dropped when serving ends: connections still open after the drain period close then.
        let (closed_tx, closed) = watch::channel(());
        tokio::pin!(stop);
        let drain = loop {
            let permit = tokio::select! {
                p = connections.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                d = &mut stop => break d.unwrap_or_default(),
            };
            let accepted = tokio::select! {
                a = listener.accept() => a,
                d = &mut stop => break d.unwrap_or_default(),
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    if !is_connection_error(&e) {
                        tracing::warn!(error = %e, "cannot accept a connection, pausing");
                        tokio::select! {
                            () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                            d = &mut stop => break d.unwrap_or_default(),
                        }
                    }
                    continue;
                }
            };
            // Handlers see the client's address as `ConnectInfo<SocketAddr>`.
            let service = TowerToHyperService::new(app.clone().map_request(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                },
            ));
            let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            let mut closed = closed.clone();
            tokio::spawn(async move {
                tokio::select! {
                    r = conn => if let Err(e) = r {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    },
                    _ = closed.changed() => {}
                }
                drop(permit);
            });
        };
        drop(listener);
        if tokio::time::timeout(drain, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::debug!(
                drain_ms = drain.as_millis() as u64,
                "connections still open after the drain period, closed"
            );
        }
        drop(closed_tx);
    }
}

/// Errors of one connection that say nothing about the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    stop: oneshot::Sender<Duration>,
    task: tokio::task::JoinHandle<()>,
    addr: Option<SocketAddr>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Stops accepting connections, waits up to `drain` for requests in flight, closes the rest.
    pub async fn shutdown(self, drain: Duration) {
        let _ = self.stop.send(drain);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the http server task failed");
        }
    }
}

#[cfg(test)]
mod tests;

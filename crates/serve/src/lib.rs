//! `auditlake serve`: the console and API over the archive.
//!
//! - **Reads** go through the same scan, [`Filter`](auditlake_filter::Filter) and reports as
//!   `auditlake query` and `report`, on any store; read-only credentials suffice for them.
//! - **Sign-in** ([`auth`]): OIDC bearer JWTs checked against the provider's JWKS, and service
//!   tokens kept hashed. Roles: `auditor` reads everything, `admin` everything within its
//!   tenants, `user` only events whose actor is the signed-in person (their token's subject
//!   and e-mail, widened to every id of their person: [`identity`]). A tenant confines any role. Every
//!   read is ANDed with the reader's [`Scope`](auditlake_filter::Scope), inside the scan.
//! - **Every read is recorded** ([`access`]) before its data leaves; the caller archives the
//!   record through the agent's pipeline.
//! - **The console** ([`console`]) is compiled in and served under a strict CSP.
//!
//! | route | answers |
//! | --- | --- |
//! | `/`, `/assets/*` | the console |
//! | `/api/v1/openapi.json` | the API's description |
//! | `/auth/login`, `/auth/callback`, `/api/v1/login` | sign-in through the identity provider ([`login`]) |
//! | `/api/v1/me` | the signed-in reader |
//! | `/api/v1/events` | events, newest first, in cursor pages |
//! | `/api/v1/reports/{name}` | a report as columns and rows |
//! | `/api/v1/export` | every matching event as CSV, JSON lines, JSON or Parquet, streamed |
//! | `/api/v1/integrity` | the last verification of the archive against its digests |
//! | `/api/v1/people`, `/api/v1/people/{id}` | who is who: people of several ids, and the ids joined to no one |
//! | `/healthz`, `/readyz`, `/metrics` | probes and Prometheus metrics |

pub mod access;
pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod identity;
pub mod integrity;
pub mod login;
pub mod metrics;
pub mod params;

use std::sync::Arc;
use std::time::Duration;

use auditlake_archive::PublicKey;
use auditlake_storage::ObjectStore;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;

pub use access::AccessLog;
pub use auditlake_query::people::IdentityConfig;
pub use auth::{Authenticator, Principal, token_sha256};
pub use config::{Role, ServeConfig};

/// How long a request may take to start its answer (a report over a large archive can take a
/// while; an export's body streams after that).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// What every handler shares.
pub struct App {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) auth: Authenticator,
    pub(crate) access: AccessLog,
    pub(crate) config: ServeConfig,
    pub(crate) integrity: integrity::Integrity,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) login: Option<login::Login>,
    pub(crate) directory: Arc<identity::Directory>,
    registry: Registry,
}

/// A running server.
pub struct Running {
    http: auditlake_http::ServerHandle,
}

impl Running {
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.http.local_addr()
    }

    /// Stops accepting, lets requests in flight finish within `drain`.
    pub async fn shutdown(self, drain: Duration) {
        self.http.shutdown(drain).await;
    }
}

/// Opens the record of reads, loads the keys, binds `serve.listen` and serves; learns who is
/// who from the archive in the background.
pub async fn start(
    config: &ServeConfig,
    identity: &IdentityConfig,
    store: Arc<dyn ObjectStore>,
    keys: Vec<PublicKey>,
) -> Result<Running, String> {
    config.validate()?;
    identity.validate()?;
    let directory = Arc::new(identity::Directory::new(identity));
    directory.spawn(store.clone());
    let access = AccessLog::open(&config.state_dir).map_err(|e| {
        format!(
            "serve.state_dir: cannot write the access log in {}: {e}",
            config.state_dir.display()
        )
    })?;
    let auth = Authenticator::new(config, directory.clone()).await?;
    let metrics = metrics::Metrics::default();
    let registry = metrics.registry();
    let integrity = integrity::Integrity::default();
    integrity
        .spawn(
            store.clone(),
            keys,
            Duration::from_secs(config.verify_interval_secs),
        )
        .map_err(|e| format!("cannot start the integrity check: {e}"))?;
    let login = config
        .oidc
        .as_ref()
        .and_then(|o| o.login.as_ref())
        .map(login::Login::new)
        .transpose()?;
    let app = Arc::new(App {
        login,
        directory,
        store,
        auth,
        access,
        config: config.clone(),
        integrity,
        metrics,
        registry,
    });
    let server = auditlake_http::Server::builder()
        .request_timeout(REQUEST_TIMEOUT)
        .bind(&config.listen)
        .await
        .map_err(|e| format!("serve.listen: cannot listen on {}: {e}", config.listen))?;
    if let Ok(a) = server.local_addr() {
        tracing::info!(address = %a, "serving the console and API");
    }
    Ok(Running {
        http: server.spawn(router(app)),
    })
}

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(console::index))
        .route("/assets/app.js", get(console::app_js))
        .route("/assets/app.css", get(console::app_css))
        .route("/api/v1/openapi.json", get(console::openapi))
        .route("/api/v1/login", get(login::info))
        .route("/auth/login", get(login::login))
        .route("/auth/callback", get(login::callback))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/events", get(api::events))
        .route("/api/v1/reports/{name}", get(api::report))
        .route("/api/v1/export", get(api::export))
        .route("/api/v1/integrity", get(api::integrity))
        .route("/api/v1/people", get(api::people))
        .route("/api/v1/people/{id}", get(api::person))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async {
            api::ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint").into_response()
        })
        .layer(middleware::from_fn_with_state(
            app.clone(),
            count_and_secure,
        ))
        .with_state(app)
}

async fn count_and_secure(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = metrics::route_label(req.uri().path());
    let r = next.run(req).await;
    app.metrics
        .requests
        .get_or_create(&metrics::StatusLabel {
            route,
            status: r.status().as_u16().to_string(),
        })
        .inc();
    console::secure(r)
}

/// Ready once the map of people has been learned: before, a reader would see less of their own
/// activity than they should.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.directory.ready() {
        "ready\n".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: learning who is who from the archive\n",
        )
            .into_response()
    }
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &app.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

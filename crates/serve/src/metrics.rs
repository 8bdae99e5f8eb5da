//! The server's Prometheus metrics: requests by route and status, rows returned by route, and
//! refused credentials.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub route: String,
    pub status: String,
}

#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: Family<StatusLabel, Counter>,
    pub rows: Family<RouteLabel, Counter>,
    pub auth_failures: Counter,
}

/// The route a path is counted under: the path itself for fixed routes, one label per report,
/// `other` for anything else (a client cannot make up label values).
pub fn route_label(path: &str) -> String {
    const FIXED: &[&str] = &[
        "/api/v1/me",
        "/api/v1/events",
        "/api/v1/export",
        "/api/v1/integrity",
        "/api/v1/openapi.json",
        "/api/v1/login",
        "/auth/login",
        "/auth/callback",
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
    ];
    const REPORTS: &[&str] = &[
        "timeline",
        "last-login",
        "failed-logins",
        "activity",
        "changes",
        "credential",
        "heatmap",
        "subject",
    ];
    if FIXED.contains(&path) {
        return path.to_string();
    }
    if let Some(r) = path.strip_prefix("/api/v1/reports/")
        && REPORTS.contains(&r)
    {
        return path.to_string();
    }
    if path.starts_with("/assets/") {
        return "/assets".to_string();
    }
    "other".to_string()
}

impl Metrics {
    pub fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("auditlake_serve");
        r.register(
            "requests",
            "HTTP requests answered, by route and status",
            self.requests.clone(),
        );
        r.register(
            "rows",
            "rows of events or reports returned, by route",
            self.rows.clone(),
        );
        r.register(
            "auth_failures",
            "requests refused for missing, unknown or invalid credentials",
            self.auth_failures.clone(),
        );
        r
    }

    pub fn observe_read(&self, path: &str, rows: u64) {
        self.rows
            .get_or_create(&RouteLabel {
                route: route_label(path),
            })
            .inc_by(rows);
    }
}

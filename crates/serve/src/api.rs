//! `/api/v1`: the events (newest first, cursor pages), the reports, the export and the integrity
//! status, each read scoped by the reader's role and recorded before its data leaves.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::take_record_batch;
use arrow::datatypes::TimestampMicrosecondType;
use auditlake_filter::{Atom, FilterSpec};
use auditlake_query::reports::{self, ActivityBy, GroupBy, Report, ReportOutput};
use auditlake_query::{Format, OutputWriter, Query, QueryError, QueryRequest, scan};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::App;
use crate::access::{Read, ReadKind};
use crate::auth::{AuthError, Principal};
use crate::params::{ParamError, Params};

/// Rows of one page when the request names no `limit`.
const DEFAULT_PAGE: u64 = 50;
/// Rows a report that lists events returns when the request names no `limit`.
const DEFAULT_REPORT_ROWS: u64 = 1000;
/// The most rows a page fetch reads to settle ties at one instant.
const MAX_PAGE_FETCH: usize = 1 << 20;
/// Encoded chunks of an export waiting for a slow client.
const EXPORT_CHANNEL: usize = 8;

/// An error answered as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        let status = match e {
            AuthError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        match e {
            QueryError::Filter(_)
            | QueryError::InvalidArgument { .. }
            | QueryError::UnknownColumn { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
            }
            e => {
                tracing::error!(error = %e, "a read of the archive failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    format!("reading the archive failed: {e}"),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = json_response(self.status, &json!({ "error": self.message }));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"auditlake\""),
            );
        }
        r
    }
}

pub type ApiResult = Result<Response, ApiError>;

pub fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A read in progress: who, what was asked, from where.
struct Request {
    principal: Principal,
    params: Params,
    client: SocketAddr,
    user_agent: Option<String>,
    endpoint: String,
}

impl Request {
    async fn begin(
        app: &App,
        headers: &HeaderMap,
        uri: &Uri,
        client: SocketAddr,
        own: &[&str],
    ) -> Result<Request, ApiError> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"));
        let principal = match app.auth.authenticate(authorization).await {
            Ok(p) => p,
            Err(e) => {
                app.metrics.auth_failures.inc();
                return Err(e.into());
            }
        };
        let mut params = Params::parse(uri.query(), own)?;
        if !params.persons.is_empty() {
            // `person=ID`: every id of the person ID belongs to.
            let people = app.directory.people();
            params
                .filter
                .actors
                .extend(people.expand(params.persons.iter().map(String::as_str)));
            params.filter.actors.sort();
            params.filter.actors.dedup();
        }
        params.filter.scope = principal.scope();
        Ok(Request {
            principal,
            params,
            client,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            endpoint: uri.path().to_string(),
        })
    }

    /// Records the read; a read that cannot be recorded is not answered.
    async fn record(
        &self,
        app: &App,
        kind: ReadKind,
        rows: u64,
        complete: bool,
    ) -> Result<(), ApiError> {
        let read = Read {
            kind,
            principal: &self.principal,
            endpoint: &self.endpoint,
            filter: &self.params.filter,
            params: self.params.own_json(),
            rows,
            complete,
            client_ip: Some(self.client.ip()),
            user_agent: self.user_agent.as_deref(),
        };
        app.metrics.observe_read(&self.endpoint, rows);
        app.access.record(&read).await.map_err(|e| {
            tracing::error!(error = %e, path = %app.access.path().display(), "cannot record a read");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the read cannot be recorded in the access log, so it is not served",
            )
        })
    }
}

/// `GET /api/v1/me`: who the token is.
pub async fn me(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let r = Request::begin(&app, &headers, &uri, client, &[]).await?;
    let p = &r.principal;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "subject": p.subject,
            "name": p.name,
            "email": p.email,
            "role": p.role.as_str(),
            "tenants": p.tenants,
            "actor_ids": p.actor_ids,
        }),
    ))
}

/// Where a page of events ends: the last row's time and id; the next page starts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub time: i64,
    pub event_id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.time, hex::encode(&self.event_id))
    }

    pub fn decode(s: &str) -> Result<Cursor, ParamError> {
        let bad = || ParamError {
            name: "cursor".into(),
            message: "not a cursor this server handed out".into(),
        };
        let (t, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            time: t.parse().map_err(|_| bad())?,
            event_id: String::from_utf8(hex::decode(id).map_err(|_| bad())?).map_err(|_| bad())?,
        })
    }
}

/// One page of events, newest first (ties at one instant by event id, descending), after
/// `cursor`. A page is stable while objects are added: the cursor is a position in that order.
pub async fn page(
    app: &App,
    spec: &FilterSpec,
    limit: usize,
    cursor: Option<&Cursor>,
    now: DateTime<Utc>,
) -> Result<(RecordBatch, Option<Cursor>), ApiError> {
    let mut filter = scan::compile(spec, now)?;
    if let Some(c) = cursor {
        let until = c.time.saturating_add(1);
        filter.until = Some(filter.until.map_or(until, |u| u.min(until)));
        filter.clauses.push(vec![Atom::Time {
            since: None,
            until: Some(until),
        }]);
    }
    let mut fetch = limit + 1 + 64;
    loop {
        let req = QueryRequest {
            filter: FilterSpec::default(),
            columns: None,
            order: auditlake_query::Order::Desc,
            limit: Some(fetch as u64),
        };
        let all = Query::with_filter(app.store.clone(), filter.clone(), &req)?
            .collect()
            .await?;
        let full = all.num_rows() >= fetch;
        let times = all
            .column_by_name("time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no time column"))?;
        let ids = all
            .column_by_name("event_id")
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no event_id column")
            })?;
        let key = |i: usize| (times.value(i), ids.value(i));
        let mut order: Vec<usize> = (0..all.num_rows()).collect();
        order.sort_unstable_by(|&a, &b| key(b).cmp(&key(a)));
        if let Some(c) = cursor {
            order.retain(|&i| key(i) < (c.time, c.event_id.as_str()));
        }
        if full {
            // The rows at the oldest instant fetched may be only some of that instant's.
            if let Some(&oldest) = order.last() {
                let t = times.value(oldest);
                order.retain(|&i| times.value(i) != t);
            }
            if order.len() < limit {
                if fetch >= MAX_PAGE_FETCH {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "more events share one instant than a page can settle",
                    ));
                }
                fetch = (fetch * 4).min(MAX_PAGE_FETCH);
                continue;
            }
        }
        let more = full || order.len() > limit;
        order.truncate(limit);
        let next = match (more, order.last()) {
            (true, Some(&i)) => Some(Cursor {
                time: times.value(i),
                event_id: ids.value(i).to_string(),
            }),
            _ => None,
        };
        let idx =
            arrow::array::UInt32Array::from(order.iter().map(|&i| i as u32).collect::<Vec<_>>());
        let rows = take_record_batch(&all, &idx)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        return Ok((rows, next));
    }
}

/// A buffer an [`OutputWriter`] writes into and its owner drains.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Rows as JSON objects, every column (null where absent), times in RFC 3339.
pub fn rows_json(batch: &RecordBatch) -> Result<Vec<Value>, ApiError> {
    let buf = SharedBuf::default();
    let mut w = OutputWriter::new(Format::Json, batch.schema(), Box::new(buf.clone()), 0)?;
    w.write(batch)?;
    w.finish()?;
    let bytes = buf.take();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `GET /api/v1/events`.
pub async fn events(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let r = Request::begin(&app, &headers, &uri, client, &["limit", "cursor"]).await?;
    let limit = r
        .params
        .number("limit", DEFAULT_PAGE, 1..=app.config.max_page as u64)? as usize;
    let cursor = r.params.get("cursor").map(Cursor::decode).transpose()?;
    let (rows, next) = page(&app, &r.params.filter, limit, cursor.as_ref(), Utc::now()).await?;
    let events = rows_json(&rows)?;
    r.record(&app, ReadKind::View, events.len() as u64, true)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "events": events,
            "next_cursor": next.map(|c| c.encode()),
        }),
    ))
}

/// The report a name and its parameters ask for; the filter loses what the report sets itself.
fn report_of(name: &str, p: &mut Params) -> Result<Report, ApiError> {
    let bad = |name: &str, message: String| {
        ApiError::from(ParamError {
            name: name.into(),
            message,
        })
    };
    let one = |values: &mut Vec<String>, what: &str| -> Result<String, ApiError> {
        match values.as_slice() {
            [one] => {
                let v = one.clone();
                values.clear();
                Ok(v)
            }
            _ => Err(bad(what, "exactly one is needed for this report".into())),
        }
    };
    Ok(match name {
        "timeline" => Report::Timeline {
            actor: one(&mut p.filter.actors, "actor")?,
        },
        "last-login" => Report::LastLogin,
        "failed-logins" => {
            let window = p.get("window").unwrap_or("15m");
            let window = auditlake_filter::parse_duration(window)
                .ok_or_else(|| bad("window", format!("{window:?}: expected 30s, 15m, 1h, 1d")))?;
            Report::FailedLogins {
                window_micros: window.num_microseconds().unwrap_or(i64::MAX),
                threshold: p.number("threshold", 5, 1..=1_000_000)? as usize,
                by: match p.get("by").unwrap_or("actor") {
                    "actor" | "user" => GroupBy::Actor,
                    "ip" => GroupBy::Ip,
                    other => return Err(bad("by", format!("{other:?}: expected actor or ip"))),
                },
            }
        }
        "activity" => Report::Activity {
            by: match p.get("by").unwrap_or("user") {
                "user" => ActivityBy::User,
                "action" => ActivityBy::Action,
                "day" => ActivityBy::Day,
                other => {
                    return Err(bad(
                        "by",
                        format!("{other:?}: expected user, action or day"),
                    ));
                }
            },
        },
        "changes" => Report::Changes {
            resource: p
                .filter
                .resource
                .take()
                .ok_or_else(|| bad("resource", "TYPE:ID is needed for this report".into()))?,
        },
        "credential" => Report::Credential {
            id: p
                .filter
                .credential
                .take()
                .ok_or_else(|| bad("credential", "the credential id is needed".into()))?,
        },
        "heatmap" => Report::Heatmap,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no report {other:?}; reports: timeline, last-login, failed-logins, activity, changes, credential, heatmap, subject"
                ),
            ));
        }
    })
}

/// `GET /api/v1/reports/{name}`: `{"columns": [...], "rows": [[...], ...]}`.
pub async fn report(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let own = ["window", "threshold", "by", "limit"];
    let mut r = Request::begin(&app, &headers, &uri, client, &own).await?;
    if name == "subject" {
        return subject(&app, r).await;
    }
    let report = report_of(&name, &mut r.params)?;
    let limit = r.params.number("limit", DEFAULT_REPORT_ROWS, 1..=100_000)?;
    let people = app.directory.people();
    let out = reports::run(
        app.store.clone(),
        &report,
        r.params.filter.clone(),
        Utc::now(),
        Some(&people),
    )
    .await?;
    let (batch, truncated) = match out {
        ReportOutput::Table(t) => (t, false),
        ReportOutput::Query(q) => {
            let all = q.with_limit(Some(limit + 1)).collect().await?;
            let n = all.num_rows().min(limit as usize);
            (all.slice(0, n), all.num_rows() > n)
        }
    };
    let columns: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let rows: Vec<Value> = rows_json(&batch)?
        .into_iter()
        .map(|mut o| {
            Value::Array(
                columns
                    .iter()
                    .map(|c| o.get_mut(c).map(Value::take).unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    r.record(&app, ReadKind::View, rows.len() as u64, true)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "report": name, "columns": columns, "rows": rows, "truncated": truncated }),
    ))
}

/// `GET /api/v1/reports/subject?actor=X`: everything about one person as one JSON document
/// (a data subject's access request), within the reader's scope.
async fn subject(app: &App, mut r: Request) -> ApiResult {
    let actor = match r.params.filter.actors.as_slice() {
        [one] => one.clone(),
        _ => {
            return Err(ParamError {
                name: "actor".into(),
                message: "exactly one is needed for this report".into(),
            }
            .into());
        }
    };
    r.params.filter.actors.clear();
    let buf = SharedBuf::default();
    let people = app.directory.people();
    let rows = reports::subject_export(
        app.store.clone(),
        &actor,
        r.params.filter.clone(),
        Utc::now(),
        Some(&people),
        Box::new(buf.clone()),
    )
    .await?;
    r.params.filter.actors = vec![actor];
    r.record(app, ReadKind::Export, rows, true).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        buf.take(),
    )
        .into_response())
}

/// `GET /api/v1/export?format=csv|jsonl|json|parquet`: every matching row, newest first,
/// streamed; recorded when the stream ends, with the rows sent and whether it completed.
pub async fn export(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let r = Request::begin(&app, &headers, &uri, client, &["format"]).await?;
    let asked = r.params.get("format").unwrap_or("csv");
    let format = match asked.parse::<Format>() {
        Ok(f) if f != Format::Table => f,
        _ => {
            return Err(ParamError {
                name: "format".into(),
                message: format!("{asked:?}: expected csv, jsonl, json or parquet"),
            }
            .into());
        }
    };
    let q = Query::new(
        app.store.clone(),
        &QueryRequest {
            filter: r.params.filter.clone(),
            columns: None,
            order: auditlake_query::Order::Desc,
            limit: None,
        },
        Utc::now(),
    )?;
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Jsonl => ("application/x-ndjson", "jsonl"),
        Format::Json => ("application/json", "json"),
        _ => ("application/vnd.apache.parquet", "parquet"),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(EXPORT_CHANNEL);
    let task_app = app.clone();
    tokio::spawn(async move {
        let buf = SharedBuf::default();
        let mut rows = 0u64;
        let result: Result<(), QueryError> = async {
            let mut w = OutputWriter::new(format, q.output_schema(), Box::new(buf.clone()), 0)?;
            let send = |chunk: Vec<u8>| -> Result<(), QueryError> {
                if chunk.is_empty() {
                    return Ok(());
                }
                tokio::task::block_in_place(|| tx.blocking_send(Ok(Bytes::from(chunk)))).map_err(
                    |_| QueryError::Output {
                        source: io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"),
                    },
                )
            };
            q.run(&mut |b| {
                w.write(&b)?;
                send(buf.take())?;
                rows += b.num_rows() as u64;
                Ok(())
            })
            .await?;
            w.finish()?;
            send(buf.take())
        }
        .await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, rows, "an export ended early");
            let _ = tx
                .send(Err(io::Error::other(format!("the export failed: {e}"))))
                .await;
        }
        if let Err(e) = r
            .record(&task_app, ReadKind::Export, rows, result.is_ok())
            .await
        {
            tracing::error!(error = ?e, "an export was sent but cannot be recorded");
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"auditlake-export.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/v1/integrity`: the last check of the archive against its digests.
pub async fn integrity(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let r = Request::begin(&app, &headers, &uri, client, &[]).await?;
    if r.principal.role == crate::config::Role::User {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the integrity of the whole archive is for auditors and admins",
        ));
    }
    let status = app.integrity.snapshot();
    r.record(&app, ReadKind::View, 0, true).await?;
    Ok(json_response(StatusCode::OK, &status))
}

/// A person as the API shows them.
fn person_json(p: &auditlake_query::people::Person) -> Value {
    json!({
        "key": p.key,
        "name": p.name,
        "ids": p.ids,
        "configured": p.configured,
        "learned": p.learned,
    })
}

/// `GET /api/v1/people`: every person of several ids, and the ids joined to no one because
/// they would join several people. The whole archive's map: for auditors not confined to a
/// tenant.
pub async fn people(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let r = Request::begin(&app, &headers, &uri, client, &[]).await?;
    if r.principal.role != crate::config::Role::Auditor || r.principal.tenants.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the map of every person is for auditors not confined to a tenant; /api/v1/people/{id} shows your own",
        ));
    }
    let people = app.directory.people();
    let persons: Vec<Value> = people.persons().iter().map(person_json).collect();
    r.record(&app, ReadKind::View, persons.len() as u64, true)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "learning": app.directory.status(),
            "people": persons,
            "ambiguous": people.ambiguous(),
        }),
    ))
}

/// `GET /api/v1/people/{id}`: the person an id belongs to (every id joined to them, and why)
/// and the ids that were not joined to them because they are ambiguous. A reader who is not
/// an auditor of the whole archive may ask only about their own ids.
pub async fn person(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let mut r = Request::begin(&app, &headers, &uri, client, &[]).await?;
    let everything =
        r.principal.role == crate::config::Role::Auditor && r.principal.tenants.is_none();
    if !everything && !r.principal.actor_ids.contains(&id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only an auditor of the whole archive sees who another id is",
        ));
    }
    let people = app.directory.people();
    let person = people.person_of(&id);
    let ids: Vec<String> = person.map_or_else(|| vec![id.clone()], |p| p.ids.clone());
    let ambiguous: Vec<_> = people.ambiguous_for(&ids).collect();
    r.params.filter.actors = vec![id.clone()];
    r.record(&app, ReadKind::View, 1, true).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "id": id,
            "person": person.map(person_json),
            "ids": ids,
            "ambiguous": ambiguous,
            "learning": app.directory.status(),
        }),
    ))
}

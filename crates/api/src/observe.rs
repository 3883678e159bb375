//! What operators see of each request: its id, its client, its log lines and its metrics.
//!
//! - Request id: `X-Request-Id` as the client (or the proxy) sent it when it is sane (1 to
//!   [`MAX_REQUEST_ID`] visible ASCII characters), a new UUID v7 otherwise; answered in
//!   `X-Request-Id`, carried by every log line of the request (a tracing span), and added to
//!   every problem document as the extension member `request_id`.
//! - Client: worked out once by [`crate::proxy`] and kept in the request's extensions.
//! - Metrics (Prometheus text at `/metrics`): `http_requests_total{method,route,status}`,
//!   `http_request_duration_seconds{method,route}` by route pattern (`/api/v1/needs/{id}`,
//!   never the raw path, so the label values are bounded), and, read when scraped, the index
//!   lag (`omics_index_lag_sequences`, `omics_index_lag_seconds`), the webhook outbox
//!   (`omics_outbox_depth`), the connection pool (`omics_db_pool_connections`,
//!   `omics_db_pool_idle_connections`, `omics_db_pool_max_connections`) and
//!   `omics_database_up`.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use prometheus::{Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use tracing::Instrument;

use crate::error::PROBLEM_JSON;
use crate::proxy::ClientAddr;
use crate::state::AppState;

/// The longest request id taken from a request.
pub const MAX_REQUEST_ID: usize = 128;
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request, in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A request id as sent, if it is sane: 1 to [`MAX_REQUEST_ID`] visible ASCII characters.
pub fn sane_request_id(sent: &str) -> bool {
    (1..=MAX_REQUEST_ID).contains(&sent.len()) && sent.bytes().all(|b| b.is_ascii_graphic())
}

/// The process's metrics; gauges of the service are set when scraped.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    index_lag_sequences: IntGauge,
    index_lag_seconds: Gauge,
    outbox_depth: IntGauge,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    database_up: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by method, route pattern and status"),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time from a request's headers to its answer, by method and route pattern")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["method", "route"],
        )?;
        let gauge = |name: &str, help: &str| IntGauge::new(name, help);
        let m = Metrics {
            requests,
            duration,
            index_lag_sequences: gauge("omics_index_lag_sequences", "Change-log entries the search index has not applied yet")?,
            index_lag_seconds: Gauge::new("omics_index_lag_seconds", "Age of the oldest change the search index has not applied yet")?,
            outbox_depth: gauge("omics_outbox_depth", "Webhook deliveries queued and not yet delivered")?,
            pool_connections: gauge("omics_db_pool_connections", "Database connections open")?,
            pool_idle: gauge("omics_db_pool_idle_connections", "Database connections open and idle")?,
            pool_max: gauge("omics_db_pool_max_connections", "Database connections the pool opens at most")?,
            database_up: gauge("omics_database_up", "1 when the database answered the last scrape, else 0")?,
            registry,
        };
        m.registry.register(Box::new(m.requests.clone()))?;
        m.registry.register(Box::new(m.duration.clone()))?;
        for g in [&m.index_lag_sequences, &m.outbox_depth, &m.pool_connections, &m.pool_idle, &m.pool_max, &m.database_up] {
            m.registry.register(Box::new(g.clone()))?;
        }
        m.registry.register(Box::new(m.index_lag_seconds.clone()))?;
        Ok(m)
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.duration.with_label_values(&[method, route]).observe(seconds);
    }

    /// The text exposition, with the service's gauges as `gauges` has them (none: the
    /// database did not answer).
    pub fn render(&self, gauges: Option<&omics_service::Gauges>) -> String {
        self.database_up.set(i64::from(gauges.is_some()));
        if let Some(g) = gauges {
            self.index_lag_sequences.set(g.index_lag_sequences);
            self.index_lag_seconds.set(g.index_lag_seconds);
            self.outbox_depth.set(g.outbox_depth);
            self.pool_connections.set(i64::from(g.pool_connections));
            self.pool_idle.set(i64::from(g.pool_idle));
            self.pool_max.set(i64::from(g.pool_max));
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "encoding the metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A method as a label: the standard ones by name, any other as `other` (bounded values).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware, the outermost: request id, client address, the request's span and log line,
/// the metrics, and `request_id` in problem documents.
pub async fn observe(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let sent = req.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| sane_request_id(v));
    let id = sent.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    let client = req.peer_addr().map(|peer| match &state {
        Some(s) => s.proxies.client(peer.ip(), req.headers()),
        None => peer.ip().to_canonical(),
    });
    if let Some(c) = client {
        req.extensions_mut().insert(ClientAddr(c));
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = method_label(req.method());
    let client_text = client.map_or_else(|| "-".to_owned(), |c| c.to_string());
    let span = tracing::info_span!("request", request_id = %id, client = %client_text, method, path = %req.path());
    // The route as the path stands now, for an answer that comes back without its request.
    let route_of_path = req.match_pattern();
    // (The request is not cloned: an inner middleware may need to be its only holder.)
    let (res, request) = match next.call(req).instrument(span.clone()).await {
        Ok(res) => {
            let (req, res) = res.map_into_boxed_body().into_parts();
            (res, Ok(req))
        }
        // An inner service's error (a request timed out) is counted, logged and marked too.
        Err(e) => (e.error_response(), Err(e)),
    };
    let mut res = with_request_id(res, &id).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, v);
    }
    let status = res.status().as_u16();
    let route = request.as_ref().ok().and_then(|r| r.match_pattern()).or(route_of_path).unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(state) = &state {
        state.metrics.observe(method, &route, status, elapsed);
    }
    let _in = span.enter();
    let ms = (elapsed * 1000.0 * 10.0).round() / 10.0;
    if status >= 500 {
        tracing::warn!(status, route = %route, ms, "answered");
    } else {
        tracing::debug!(status, route = %route, ms, "answered");
    }
    match request {
        Ok(req) => Ok(ServiceResponse::new(req, res)),
        Err(e) => Err(InternalError::from_response(e, res).into()),
    }
}

/// A problem document gets the member `request_id`.
async fn with_request_id(res: HttpResponse, id: &str) -> HttpResponse {
    let is_problem = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !is_problem {
        return res;
    }
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut doc)) => {
            doc.insert("request_id".into(), id.into());
            serde_json::to_vec(&doc).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    head.set_body(BoxBody::new(body))
}

/// `GET /metrics`: the Prometheus text exposition.
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let service = state.service.clone();
    let gauges = match web::block(move || service.gauges()).await {
        Ok(Ok(g)) => Some(g),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the service's gauges could not be read");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the gauges task failed");
            None
        }
    };
    HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(gauges.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::sane_request_id;

    #[test]
    fn request_ids_are_bounded_visible_ascii() {
        assert!(sane_request_id("0193a4c2-7b1e-7cc0-8f3a-2b9d5e6f7a81"));
        assert!(sane_request_id("caddy:abc/123"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id("with space"));
        assert!(!sane_request_id("tab\there"));
        assert!(!sane_request_id("é"));
        assert!(sane_request_id(&"x".repeat(128)));
        assert!(!sane_request_id(&"x".repeat(129)));
    }
}

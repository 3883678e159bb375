//! Cross-origin requests from browsers (CORS), by `cors_allowed_origins`:
//!
//! - a listed origin (`https://app.example.org`) gets its origin echoed in
//!   `Access-Control-Allow-Origin` with `Vary: Origin`, and may send tokens and write: its
//!   preflights may ask for GET, HEAD, POST, PUT, PATCH and DELETE and for the headers
//!   `Authorization`, `Content-Type`, `If-Match`, `If-None-Match` and `X-Request-Id`;
//! - `*` lets every other origin read anonymously: `Access-Control-Allow-Origin: *` on GET
//!   and HEAD answers, and a preflight from an origin not listed is refused when it asks for
//!   `Authorization` or a method other than GET and HEAD;
//! - no answer carries `Access-Control-Allow-Credentials`: tokens travel in `Authorization`,
//!   which a front end sets itself, and the service keeps no cookies, so a browser never needs
//!   to send credentials (cookies, TLS client certificates) to it. Without credentials mode a
//!   page of another origin cannot ride on anything the browser holds for this one.
//!
//! Every answer to a listed origin exposes `ETag`, `Retry-After`, `Location` and
//! `X-Request-Id`; preflights are cached for [`MAX_AGE`] seconds. A refused preflight is 403
//! `forbidden` with no CORS headers, so the browser stops there.
//!
//! Written here rather than with actix-cors: that crate has one set of methods and headers
//! for every allowed origin, and this policy has two (listed origins, and `*`).

use std::collections::HashSet;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use omics_domain::Code;

use crate::error::ApiError;
use crate::state::AppState;

/// Seconds a browser may keep a preflight's answer.
pub const MAX_AGE: u32 = 600;
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
const HEADERS: &str = "Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id";
const EXPOSE: &str = "ETag, Retry-After, Location, X-Request-Id";
/// What `*` allows an origin that is not listed.
const ANY_METHODS: &str = "GET, HEAD";
const ANY_HEADERS: &str = "If-None-Match, X-Request-Id";

/// `cors_allowed_origins`, checked.
#[derive(Debug, Default)]
pub struct CorsPolicy {
    origins: HashSet<String>,
    any: bool,
}

impl CorsPolicy {
    /// Each entry `*` or an origin: scheme, host and optional port, nothing else.
    pub fn parse(entries: &[String]) -> Result<CorsPolicy, String> {
        let mut policy = CorsPolicy::default();
        for entry in entries {
            let e = entry.trim();
            if e == "*" {
                policy.any = true;
                continue;
            }
            let bad = || {
                format!("cors_allowed_origins: {entry:?} is not an origin like https://app.example.org (scheme, host, port; no path) or *")
            };
            let url = url::Url::parse(e).map_err(|_| bad())?;
            let origin = url.origin();
            let plain = url.path() == "/" && url.query().is_none() && url.fragment().is_none() && url.username().is_empty();
            if !origin.is_tuple() || !plain || !matches!(url.scheme(), "http" | "https") {
                return Err(bad());
            }
            policy.origins.insert(origin.ascii_serialization());
        }
        Ok(policy)
    }

    fn is_off(&self) -> bool {
        self.origins.is_empty() && !self.any
    }
}

fn text(v: &'static str) -> HeaderValue {
    HeaderValue::from_static(v)
}

/// Middleware: answer preflights and add the CORS headers to the answers of cross-origin
/// requests, by [`CorsPolicy`].
pub async fn cors(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else { return call(req, next).await };
    let policy = &state.cors;
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(origin) = origin.filter(|_| !policy.is_off()) else { return call(req, next).await };
    let listed = policy.origins.contains(&origin);
    let asked_method = req.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let (true, Some(method)) = (req.method() == Method::OPTIONS, asked_method) {
        let asked_headers: Vec<String> = req
            .headers()
            .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .flat_map(|v| v.to_str().unwrap_or("").split(','))
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let fits = |methods: &str, headers: &str| {
            let list = |s: &str| s.split(", ").map(str::to_ascii_lowercase).collect::<Vec<_>>();
            list(methods).contains(&method.to_ascii_lowercase()) && asked_headers.iter().all(|h| list(headers).contains(h))
        };
        let mut res = HttpResponse::NoContent();
        if listed && fits(METHODS, HEADERS) {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()))
                .insert_header((header::VARY, "Origin"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, HEADERS));
        } else if policy.any && !listed && fits(ANY_METHODS, ANY_HEADERS) {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ANY_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ANY_HEADERS));
        } else {
            let what = if asked_headers.is_empty() { method } else { format!("{method} with {}", asked_headers.join(", ")) };
            let why = if listed || policy.any {
                format!("{what} is not allowed from {origin}")
            } else {
                format!("{origin} is not in cors_allowed_origins")
            };
            let refused = ApiError::new(Code::Forbidden, format!("cross-origin request refused: {why}"));
            return Ok(req.into_response(refused.error_response()));
        }
        res.insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE.to_string()));
        return Ok(req.into_response(res.finish()));
    }
    let read = matches!(*req.method(), Method::GET | Method::HEAD) && !req.headers().contains_key(header::AUTHORIZATION);
    let allow = |headers: &mut HeaderMap| {
        if listed {
            if let Ok(v) = HeaderValue::from_str(&origin) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            }
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, text(EXPOSE));
        } else if policy.any && read {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, text("*"));
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, text(EXPOSE));
        }
        if !policy.origins.is_empty() {
            // The answer depends on the origin: caches keep one per origin.
            headers.append(header::VARY, text("Origin"));
        }
    };
    match call(req, next).await {
        Ok(mut res) => {
            allow(res.headers_mut());
            Ok(res)
        }
        // An inner service's error (a request timed out) is answered with the same headers,
        // so that the page reads its problem document rather than a failed cross-origin call.
        Err(e) => {
            let mut res = e.error_response();
            allow(res.headers_mut());
            Err(InternalError::from_response(e, res).into())
        }
    }
}

/// Call the next service. (The request is not cloned beforehand: an inner middleware may need
/// it to be the only reference.)
async fn call(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::CorsPolicy;

    #[test]
    fn origins_are_checked() {
        let p = CorsPolicy::parse(&["https://App.Example.org".into(), "http://localhost:5173".into(), "*".into()]).unwrap();
        assert!(p.any && p.origins.contains("https://app.example.org") && p.origins.contains("http://localhost:5173"));
        for bad in ["app.example.org", "https://app.example.org/path", "ftp://x.org", "https://u@x.org", "null"] {
            let e = CorsPolicy::parse(&[bad.into()]).unwrap_err();
            assert!(e.contains("cors_allowed_origins"), "{e}");
        }
        assert!(CorsPolicy::parse(&[]).unwrap().is_off());
    }
}

//! The HTTP side of platforms and needs, shared by both resources: run a service call off the
//! executor, read `If-Match`, and answer with `ETag` (and `Location` for a new record).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use omics_service::Service;
use omics_service::records::{Entity, IfMatch, Versioned};
use serde::Serialize;

use crate::error::ApiResult;
use crate::etag;
use crate::state::AppState;

/// Run one service call on the blocking pool.
pub async fn call<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Service) -> omics_service::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let service = state.service.clone();
    Ok(web::block(move || f(&service)).await??)
}

/// The `If-Match` precondition of a request, if it sends one.
pub fn if_match(req: &HttpRequest) -> Option<IfMatch> {
    req.headers().get(header::IF_MATCH).map(|h| IfMatch(h.to_str().unwrap_or("").to_owned()))
}

/// A record with its version as `ETag`; a new one with its `Location` too.
pub fn respond<E: Entity, T: Serialize>(v: Versioned<T>, status: StatusCode) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::ETAG, etag(v.version)));
    if status == StatusCode::CREATED {
        res.insert_header((header::LOCATION, format!("/api/v1/{}s/{}", E::NAME, v.id)));
    }
    res.json(v.value)
}

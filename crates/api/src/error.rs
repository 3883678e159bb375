//! The HTTP edge of errors: every failure becomes an RFC 9457 `application/problem+json`
//! document with a stable `code` from `omics_domain::Code`. Causes of 5xx are logged here
//! and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use omics_domain::{Code, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/unknown_term", "title": "A vocabulary term is not known", "status": 422,
    "code": "unknown_term", "detail": "1 invalid field(s)",
    "errors": [{"field": "capabilities[0].technology", "code": "unknown_term",
        "message": "'whole exom seq' is not a known technologies term; closest: whole-exome-sequencing",
        "suggestions": [{"id": "whole-exome-sequencing", "label": "Whole exome sequencing", "score": 0.83}]}],
    "request_id": "0193a4c2-7b1e-7cc0-8f3a-2b9d5e6f7a81"
}))]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code; see the README for the table.
    pub code: String,
    /// What went wrong in this request and what would be right.
    pub detail: String,
    /// Field-level problems, for 400 and 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request's id (`X-Request-Id`), to quote when reporting the problem; added to every
    /// problem document as it leaves the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "0193a4c2-7b1e-7cc0-8f3a-2b9d5e6f7a81")]
    pub request_id: Option<String>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extra headers, e.g. `ETag` with a 412.
    pub etag: Option<String>,
    /// Seconds for `Retry-After` with a 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        ApiError { code, detail: detail.into(), errors: vec![], etag: None, retry_after: None }
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(Code::Internal, "an internal error occurred; it has been logged")
    }
    pub fn field(code: Code, field: FieldError) -> Self {
        ApiError { code, detail: field.message.clone(), errors: vec![field], etag: None, retry_after: None }
    }
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.code.as_str()),
            title: self.code.title().to_owned(),
            status: self.code.status(),
            code: self.code.as_str().to_owned(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            request_id: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(etag) = &self.etag {
            res.insert_header((header::ETAG, etag.as_str()));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(self.code, Code::MissingToken | Code::InvalidToken) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"omics-match\""));
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<omics_service::Error> for ApiError {
    fn from(e: omics_service::Error) -> Self {
        let omics_service::Error { code, detail, errors, current_version } = e;
        ApiError { code, detail, errors, etag: current_version.map(crate::etag), retry_after: None }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

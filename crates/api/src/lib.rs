//! omics-match HTTP API: actix-web handlers, the auth extractors, problem+json errors, the
//! request limits and the OpenAPI document. Handlers extract, call one `omics_service`
//! function off the async executor (`web::block`), and map the answer to a response; the rules
//! live in the service.
//!
//! Where things are: the route table and the handlers in [`routes`]; settings in
//! [`settings`]; start-up and serving in [`start`]; bearer tokens in [`tokens`], external ones
//! in [`oidc`], and the extractors that read them in [`auth`]; errors as problem documents in
//! [`error`]; body, depth and time limits in [`limits`], per-client rate limits in
//! [`ratelimit`].

pub mod auth;
pub mod conditional;
pub mod cors;
pub mod error;
pub mod examples;
pub mod limits;
pub mod mail;
pub mod observe;
pub mod oidc;
pub mod openapi;
pub mod proxy;
pub mod ratelimit;
pub mod routes;
pub mod settings;
pub mod start;
pub mod state;
pub mod tokens;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::{self, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, web};
use omics_domain::Code;

pub use error::{ApiError, Problem};
pub use settings::Settings;
pub use start::{Application, Background, StartError};
pub use state::AppState;

/// The entity tag of a record version.
pub fn etag(version: i64) -> String {
    omics_service::version_tag(version)
}

/// Register every route, the extractor configurations, the error handling and the limits: body
/// size (`max_body_bytes`), JSON nesting ([`limits::json_depth`]) and the time a request may
/// take ([`limits::request_timeout`]).
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>, auth: web::Data<auth::Authenticator>) {
    let max_body = state.settings.max_body_bytes;
    cfg.app_data(state)
        .app_data(auth)
        .app_data(
            web::JsonConfig::default()
                .limit(max_body)
                .content_type_required(true)
                .content_type(|m| limits::is_json_mime(&m))
                .error_handler(json_error),
        )
        .app_data(web::PayloadConfig::default().limit(max_body))
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| {
                ApiError::new(Code::InvalidQuery, format!("{e}; see the parameters in /api-docs/openapi.json")).into()
            }),
        )
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::new(Code::InvalidPath, format!("{e}; ids are UUIDs like 0193a4c2-7b1e-7cc0-8f3a-2b9d5e6f7a81")).into()
        }))
        .service(routes::docs_ui())
        .service(
            web::scope("")
                .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
                .wrap(middleware::from_fn(limits::json_depth))
                .wrap(middleware::NormalizePath::trim())
                .wrap(middleware::from_fn(conditional::if_none_match))
                .wrap(middleware::from_fn(limits::request_timeout))
                .wrap(middleware::from_fn(cors::cors))
                .wrap(middleware::from_fn(observe::observe))
                .configure(routes::configure)
                .default_service(web::to(no_route)),
        );
}

fn json_error(e: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let err = match &e {
        J::OverflowKnownLength { length, limit } => {
            ApiError::new(Code::PayloadTooLarge, format!("the body has {length} bytes; at most {limit} are accepted"))
        }
        J::Overflow { limit } => ApiError::new(Code::PayloadTooLarge, format!("the body is larger than {limit} bytes")),
        J::ContentType => ApiError::new(
            Code::UnsupportedMediaType,
            "send the body as JSON with 'Content-Type: application/json' (or application/merge-patch+json for PATCH)",
        ),
        J::Deserialize(d) => ApiError::new(Code::MalformedJson, format!("the body is not valid JSON: {d}")),
        J::Payload(p) if limits::is_too_deep(p) => ApiError::new(Code::MalformedJson, omics_domain::body::TooDeep.to_string()),
        other => ApiError::new(Code::MalformedJson, format!("the body could not be read: {other}")),
    };
    err.into()
}

async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(route_not_found(&req))
}

/// 404 `route_not_found`, naming where the routes are.
pub(crate) fn route_not_found(req: &HttpRequest) -> ApiError {
    ApiError::new(
        Code::RouteNotFound,
        format!("no route {} {}; the API is under /api/v1 and described at /api-docs/openapi.json", req.method(), req.path()),
    )
}

/// Turn any error response that is not yet a problem document (actix's own 404/405/413, ...)
/// into one, so every 4xx and 5xx has the same shape.
fn problem_for_bare_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(error::PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status().as_u16();
    let code = match status {
        404 => Code::RouteNotFound,
        405 => Code::MethodNotAllowed,
        _ => Code::ALL.iter().copied().find(|c| c.status() == status).unwrap_or(if status >= 500 {
            Code::Internal
        } else {
            Code::InvalidQuery
        }),
    };
    let detail = match code {
        Code::MethodNotAllowed => format!("{} is not allowed on {}", res.request().method(), res.request().path()),
        _ => code.title().to_owned(),
    };
    let (req, old) = res.into_parts();
    let mut new: HttpResponse<BoxBody> = actix_web::ResponseError::error_response(&ApiError::new(code, detail));
    *new.status_mut() = old.status();
    if let Some(allow) = old.headers().get(header::ALLOW) {
        new.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, new).map_body(|_, b| EitherBody::right(b))))
}

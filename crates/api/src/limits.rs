//! Limits at the HTTP edge, and the limits of every input stated in the OpenAPI document.
//!
//! - [`json_depth`]: a request body nesting arrays and objects deeper than
//!   [`limits::JSON_DEPTH`] is refused with 400 `malformed_json` while it is read, before the
//!   parser sees it (which would otherwise recurse up to its own limit of 128).
//! - [`request_timeout`]: a request that is not answered within `request_timeout_secs`
//!   (reading a slow body included) gets 503 `unavailable` with `Retry-After`.
//! - [`BODY`] and [`QUERY`] say which limit bounds which field and query parameter;
//!   [`Documented`] writes them into the generated OpenAPI document, so the numbers live only
//!   in [`omics_domain::limits`], which validation uses too.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Decompress, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use futures_util::StreamExt;
use omics_domain::body::{DepthGuard, TooDeep};
use omics_domain::{Code, limits};
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};

use crate::error::{ApiError, PROBLEM_JSON};
use crate::state::AppState;

/// Whether a media type is JSON (`application/json`, `application/*+json`): what the JSON
/// extractor accepts, and so what [`json_depth`] counts.
pub fn is_json_mime(m: &actix_web::mime::Mime) -> bool {
    m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON)
}

fn is_json(req: &ServiceRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(m)) if is_json_mime(&m))
}

/// Middleware: count the nesting of a JSON body as it streams in; past
/// [`limits::JSON_DEPTH`] the body ends with an error that the JSON extractor reports as 400
/// `malformed_json`. A compressed body is decompressed here (and `Content-Encoding` dropped),
/// so the depth is counted on the JSON itself.
pub async fn json_depth(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_json(&req) {
        let decoded = Decompress::from_headers(req.take_payload(), req.headers());
        req.headers_mut().remove(header::CONTENT_ENCODING);
        let mut guard = DepthGuard::default();
        let guarded = decoded.map(move |chunk: Result<web::Bytes, PayloadError>| {
            let chunk = chunk?;
            guard.feed(&chunk).map_err(|e| PayloadError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
            Ok(chunk)
        });
        req.set_payload(Payload::from(Box::pin(guarded) as actix_http::BoxedPayloadStream));
    }
    next.call(req).await
}

/// Whether a payload error is [`json_depth`] refusing a body.
pub fn is_too_deep(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<TooDeep>()))
}

/// Middleware: answer 503 `unavailable` with `Retry-After` when a request is not answered
/// within `request_timeout_secs` (0: no limit). The handler is dropped; blocking work it
/// started runs to its end, so a change may have been made: the detail says to check.
pub async fn request_timeout(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secs = req.app_data::<web::Data<AppState>>().map_or(0, |s| s.settings.request_timeout_secs);
    if secs == 0 {
        return next.call(req).await;
    }
    let what = format!("{} {}", req.method(), req.path());
    match actix_web::rt::time::timeout(Duration::from_secs(secs), next.call(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(request = %what, secs, "request timed out");
            let mut e = ApiError::new(
                Code::Unavailable,
                format!(
                    "the request was not answered within {secs} s; retry later (a change may have been made: read the record before repeating it)"
                ),
            );
            e.retry_after = Some(limits::TIMEOUT_RETRY_AFTER_SECS);
            Err(e.into())
        }
    }
}

/// The bound of one field or query parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A string of `min` to `max` characters.
    Text { min: usize, max: usize },
    /// A list of `min` to `max` items; string items have `item_min` to `item_max` characters.
    List { min: usize, max: usize, items: Option<(usize, usize)> },
    /// An integer from `min` to `max` (no upper bound when `None`).
    Int { min: i64, max: Option<i64> },
    /// A number from `min` to `max`.
    Float { min: f64, max: f64 },
}

use limits::{CAPABILITIES, EMAIL, LIST, LONG_TEXT, SHORT_TEXT};

const fn text(min: usize, max: usize) -> Bound {
    Bound::Text { min, max }
}
/// A vocabulary value: an id, label or synonym.
const TERM: Bound = text(1, SHORT_TEXT);
const TERMS: Bound = Bound::List { min: 0, max: LIST, items: Some((1, SHORT_TEXT)) };
const fn int(min: i64, max: i64) -> Bound {
    Bound::Int { min, max: Some(max) }
}

/// Fields of request bodies: (schema, property, bound).
pub const BODY: &[(&str, &str, Bound)] = &[
    ("PlatformFields", "external_key", text(0, SHORT_TEXT)),
    ("PlatformFields", "name", text(1, SHORT_TEXT)),
    ("PlatformFields", "country", TERM),
    ("PlatformFields", "city", text(1, SHORT_TEXT)),
    ("PlatformFields", "description", text(0, LONG_TEXT)),
    ("PlatformFields", "website", text(0, SHORT_TEXT)),
    ("PlatformFields", "contact_email", text(0, EMAIL)),
    ("PlatformFields", "maturity_level", int(limits::MIN_MATURITY as i64, limits::MAX_MATURITY as i64)),
    ("PlatformFields", "readiness_areas", TERMS),
    ("PlatformFields", "data_standards", TERMS),
    ("PlatformFields", "capabilities", Bound::List { min: 0, max: CAPABILITIES, items: None }),
    ("PlatformFields", "held_capabilities", Bound::List { min: 0, max: CAPABILITIES, items: None }),
    ("PlatformFields", "unread", Bound::List { min: 0, max: limits::UNREAD, items: None }),
    ("Unread", "field", text(1, SHORT_TEXT)),
    ("Unread", "typed", text(1, SHORT_TEXT)),
    ("Organisation", "name", text(1, SHORT_TEXT)),
    ("Organisation", "ror_id", text(0, SHORT_TEXT)),
    ("Capability", "technology", TERM),
    ("Capability", "technology_text", text(0, SHORT_TEXT)),
    ("Capability", "instruments", Bound::List { min: 0, max: LIST, items: Some((1, SHORT_TEXT)) }),
    ("Capability", "sample_types", TERMS),
    ("Capability", "monthly_capacity", int(0, limits::MAX_SAMPLES as i64)),
    ("Capability", "turnaround_days", int(1, limits::MAX_TURNAROUND_DAYS as i64)),
    ("Capability", "accreditations", TERMS),
    ("Capability", "services", TERMS),
    ("NeedFields", "external_key", text(0, SHORT_TEXT)),
    ("NeedFields", "title", text(1, SHORT_TEXT)),
    ("NeedFields", "description", text(0, LONG_TEXT)),
    ("NeedFields", "technologies", Bound::List { min: 1, max: LIST, items: None }),
    ("NeedFields", "held_technologies", Bound::List { min: 0, max: LIST, items: None }),
    ("NeedFields", "sample_type", TERM),
    ("NeedFields", "sample_count", int(1, limits::MAX_SAMPLES as i64)),
    ("NeedFields", "cancer_type", TERM),
    ("NeedFields", "readiness_area", TERM),
    ("NeedFields", "country", TERM),
    ("NeedFields", "acceptable_countries", TERMS),
    ("NeedFields", "accreditation_required", TERM),
    ("TechnologyRequirement", "technology", TERM),
    ("TechnologyRequirement", "technology_text", text(0, SHORT_TEXT)),
    ("Budget", "min", int(0, limits::MAX_EUR as i64)),
    ("Budget", "max", int(0, limits::MAX_EUR as i64)),
    ("RegisterRequest", "email", text(1, EMAIL)),
    ("RegisterRequest", "password", text(limits::MIN_PASSWORD, limits::MAX_PASSWORD)),
    ("RegisterRequest", "display_name", text(1, SHORT_TEXT)),
    ("TokenRequest", "email", text(0, EMAIL)),
    ("TokenRequest", "password", text(0, limits::MAX_PASSWORD)),
    ("PasswordChange", "current_password", text(0, limits::MAX_PASSWORD)),
    ("PasswordChange", "new_password", text(limits::MIN_PASSWORD, limits::MAX_PASSWORD)),
    ("Proposal", "message", text(0, LONG_TEXT)),
    ("Answer", "message", text(0, LONG_TEXT)),
    ("NewMessage", "message", text(1, LONG_TEXT)),
    ("ReadRequest", "ids", Bound::List { min: 0, max: limits::MAX_PAGE as usize, items: None }),
    ("NewWebhook", "url", text(1, SHORT_TEXT * 10)),
    ("NewWebhook", "events", Bound::List { min: 1, max: omics_domain::EventKind::ALL.len(), items: Some((1, SHORT_TEXT)) }),
    ("NewSavedSearch", "name", text(1, SHORT_TEXT)),
    ("NewSavedSearch", "min_score", Bound::Float { min: 0.0, max: 1.0 }),
    ("SavedQuery", "q", text(0, limits::QUERY_TEXT)),
    ("SavedQuery", "technology", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "country", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "readiness_area", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "sample_type", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "accreditation", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "cancer_type", text(0, limits::FILTER_TEXT)),
    ("SavedQuery", "status", text(0, limits::FILTER_TEXT)),
];

/// Query parameters, by name (each name means the same wherever it occurs).
pub const QUERY: &[(&str, Bound)] = &[
    ("q", text(0, limits::QUERY_TEXT)),
    ("technology", text(0, limits::FILTER_TEXT)),
    ("country", text(0, limits::FILTER_TEXT)),
    ("readiness_area", text(0, limits::FILTER_TEXT)),
    ("sample_type", text(0, limits::FILTER_TEXT)),
    ("accreditation", text(0, limits::FILTER_TEXT)),
    ("cancer_type", text(0, limits::FILTER_TEXT)),
    ("status", text(0, limits::FILTER_TEXT)),
    ("sort", text(0, SHORT_TEXT)),
    ("limit", int(1, limits::MAX_PAGE as i64)),
    ("offset", int(0, limits::MAX_OFFSET as i64)),
    ("min_score", Bound::Float { min: 0.0, max: 1.0 }),
    ("weights", text(0, SHORT_TEXT)),
    ("after", Bound::Int { min: 0, max: None }),
    ("value", text(1, SHORT_TEXT)),
    ("level", text(0, 20)),
    ("interval", text(0, 20)),
    ("from", text(0, 7)),
    ("to", text(0, 7)),
    ("open_days", int(1, 3650)),
];

/// Write `bound` into `schema`; false when the schema has no place for it.
fn apply(schema: &mut RefOr<Schema>, bound: Bound) -> bool {
    use utoipa::Number;
    match (schema, bound) {
        (RefOr::T(Schema::Object(o)), Bound::Text { min, max }) => {
            o.min_length = (min > 0).then_some(min);
            o.max_length = Some(max);
            true
        }
        (RefOr::T(Schema::Object(o)), Bound::Int { min, max }) => {
            o.minimum = Some(Number::Int(min as isize));
            o.maximum = max.map(|m| Number::Int(m as isize));
            true
        }
        (RefOr::T(Schema::Object(o)), Bound::Float { min, max }) => {
            o.minimum = Some(Number::Float(min));
            o.maximum = Some(Number::Float(max));
            true
        }
        (RefOr::T(Schema::Array(a)), Bound::List { min, max, items }) => {
            a.min_items = (min > 0).then_some(min);
            a.max_items = Some(max);
            match (items, &mut a.items) {
                (None, _) => true,
                (Some((min, max)), ArrayItems::RefOrSchema(item)) => apply(item, Bound::Text { min, max }),
                (Some(_), ArrayItems::False) => false,
            }
        }
        _ => false,
    }
}

/// Every operation of the document, to change.
pub(crate) fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths
        .paths
        .values_mut()
        .flat_map(|p| [&mut p.get, &mut p.put, &mut p.post, &mut p.delete, &mut p.patch].into_iter().filter_map(|o| o.as_mut()))
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
        .build()
        .into()
}

/// Writes [`BODY`] and [`QUERY`] into the document, and documents on every operation the
/// answers the limits give: 400 (too deep), 413 and 415 where there is a body, 503 (timeout)
/// everywhere (413 and 503 as the shared responses `PayloadTooLarge` and `Unavailable`).
/// The `openapi` tests check that every entry found its field.
pub struct Documented;

const TOO_LARGE: &str = "PayloadTooLarge";
const UNAVAILABLE: &str = "Unavailable";

fn response_ref(name: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
}

fn unavailable() -> RefOr<utoipa::openapi::Response> {
    let seconds = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
        .minimum(Some(0))
        .build();
    let retry = HeaderBuilder::new().schema(Some(RefOr::T(Schema::Object(seconds)))).description(Some("Seconds to wait")).build();
    match problem("Not answered within the configured request_timeout_secs, or the database is unreachable; see Retry-After") {
        RefOr::T(mut res) => {
            res.headers.insert("Retry-After".into(), RefOr::T(retry));
            RefOr::T(res)
        }
        other => other,
    }
}

impl Modify for Documented {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for &(schema, property, bound) in BODY {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema)
                && let Some(p) = o.properties.get_mut(property)
            {
                apply(p, bound);
            }
        }
        components.responses.insert(TOO_LARGE.into(), problem("Body larger than the configured max_body_bytes"));
        components.responses.insert(UNAVAILABLE.into(), unavailable());
        let depth = limits::JSON_DEPTH;
        for op in operations(doc) {
            for param in op.parameters.iter_mut().flatten() {
                let RefOr::T(param) = param else { continue };
                if param.parameter_in != ParameterIn::Query {
                    continue;
                }
                if let (Some((_, bound)), Some(schema)) = (QUERY.iter().find(|(n, _)| *n == param.name), param.schema.as_mut()) {
                    apply(schema, *bound);
                }
            }
            let responses = &mut op.responses.responses;
            if op.request_body.is_some() {
                responses.entry("400".into()).or_insert_with(|| problem(&format!("Malformed JSON, or nested deeper than {depth} levels")));
                responses.insert("413".into(), response_ref(TOO_LARGE));
                responses.entry("415".into()).or_insert_with(|| problem("Not JSON"));
            }
            responses.entry("503".into()).or_insert_with(|| response_ref(UNAVAILABLE));
        }
    }
}

//! The OpenAPI 3.1 document. Its operations are collected from the handlers the router
//! registers ([`crate::routes::api`]), so a route and its documentation are one declaration;
//! this file adds what is global: the description, tags, the bearer scheme, the limits
//! ([`Documented`]) and the problem responses ([`ProblemResponses`]). It is checked in at
//! `api-spec/openapi.json`; a test fails when the two differ.

use std::sync::OnceLock;

use actix_web::http::Method;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::PROBLEM_JSON;
use crate::limits::Documented;
use omics_service::records;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "omics-match",
        description = "Matchmaking engine of the European Network of Expertise on omics technologies in cancer (JANE-2). \
Researchers and clinicians post unmet needs; omics platforms register their capabilities. \
Every error is an RFC 9457 `application/problem+json` document with a stable `code`. \
Vocabulary values (technologies, countries, sample types, ...) are accepted as ids, labels or synonyms and stored as ids; \
an unknown value is refused with 422 and the closest terms in `errors[].suggestions`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    // Relative: the server that serves this document (every path carries `/api/v1`); a client
    // of another deployment sets its own base URL.
    servers((url = "/", description = "The server this document was fetched from")),
    components(schemas(crate::error::Problem, records::Facets, records::FacetValue, omics_domain::Meta)),
    tags(
        (name = "auth", description = "Accounts and bearer tokens"),
        (name = "platforms", description = "Omics platforms and their capabilities"),
        (name = "needs", description = "Unmet needs of researchers and clinicians"),
        (name = "matches", description = "Ranked, explained partner matches in both directions"),
        (name = "introductions", description = "A match becomes a contact: proposals, answers, threads"),
        (name = "notifications", description = "What concerns you, from the outbox: the in-app feed"),
        (name = "webhooks", description = "Your events POSTed to your URL, signed as Standard Webhooks"),
        (name = "saved-searches", description = "Searches that notify you once of each record entering their results"),
        (name = "analytics", description = "The network seen whole: coverage, gaps, activity (counts of needs below `analytics_min_cell` show as \"<N\" to non-admins)"),
        (name = "vocabularies", description = "Controlled vocabularies"),
        (name = "audit", description = "Who changed what, when (admins)"),
        (name = "health", description = "Liveness, readiness, GA4GH service-info"),
    )
)]
struct ApiDoc;

/// The document: the operations the router registers, merged into the global parts above.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, routed) = actix_web::App::new().into_utoipa_app().service(crate::routes::scope()).split_for_parts();
        let mut doc = ApiDoc::openapi();
        doc.merge(routed);
        let modifiers: [&dyn Modify; 3] = [&BearerAuth, &Documented, &ProblemResponses];
        for m in modifiers {
            m.modify(&mut doc);
        }
        doc
    })
}

/// (method, path) of every documented operation, in document order.
pub fn operations() -> Vec<(Method, &'static str)> {
    let mut out = Vec::new();
    for (path, item) in &document().paths.paths {
        let methods = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ];
        out.extend(methods.into_iter().filter(|(_, op)| op.is_some()).map(|(m, _)| (m, path.as_str())));
    }
    out
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "A token from `POST /api/v1/auth/token`, or, where the operator has configured an external \
OpenID Connect issuer (e.g. Life Science Login), an access token of that issuer (signed with one of its published keys, RS256 or ES256 by \
default, with this service as `aud`); the account of an external user is made on first use. A refused token is 401 `invalid_token`.",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// Every error answer is a problem document: each 4xx and 5xx response an operation declares
/// without content gets `application/problem+json` with the `Problem` schema, so handlers
/// declare only the status and what it means.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for op in crate::limits::operations(doc) {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else { continue };
                if status.as_str() >= "400" && response.content.is_empty() {
                    response
                        .content
                        .insert(PROBLEM_JSON.into(), ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build().into());
                }
            }
        }
    }
}

/// The document as pretty JSON, as checked in.
pub fn json() -> String {
    document().to_pretty_json().unwrap_or_default() + "\n"
}

//! The OpenAPI 3.1 document, generated from the handlers and types. It is checked in at
//! `api-spec/openapi.json`; a test fails when the two differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::limits::Documented;
use crate::routes::{audit, auth, health, matches, needs, platforms, vocabularies};
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
    paths(
        auth::register, auth::token, auth::me, auth::password,
        platforms::list, platforms::create, platforms::get, platforms::replace, platforms::patch, platforms::delete,
        needs::list, needs::create, needs::get, needs::replace, needs::patch, needs::delete,
        matches::for_need, matches::for_platform, matches::adhoc,
        vocabularies::index, vocabularies::get, vocabularies::resolve,
        audit::list,
        health::live, health::ready, health::service_info,
    ),
    components(schemas(records::Facets, records::FacetValue, omics_domain::Meta)),
    modifiers(&BearerAuth, &Documented),
    tags(
        (name = "auth", description = "Accounts and bearer tokens"),
        (name = "platforms", description = "Omics platforms and their capabilities"),
        (name = "needs", description = "Unmet needs of researchers and clinicians"),
        (name = "matches", description = "Ranked, explained partner matches in both directions"),
        (name = "vocabularies", description = "Controlled vocabularies"),
        (name = "audit", description = "Who changed what, when (admins)"),
        (name = "health", description = "Liveness, readiness, GA4GH service-info"),
    )
)]
pub struct ApiDoc;

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

/// The document as pretty JSON, as checked in.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default() + "\n"
}

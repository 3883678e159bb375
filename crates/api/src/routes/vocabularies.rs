//! `/api/v1/vocabularies`: the controlled vocabularies, read-only.

use actix_web::{HttpResponse, get, web};
use omics_domain::Term;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularySummary {
    #[schema(example = "technologies")]
    pub name: String,
    pub version: String,
    pub description: String,
    pub terms: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyView<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub description: &'a str,
    pub terms: &'a [Term],
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResolveParams {
    /// What a user typed: an id, a label, a synonym, or something close.
    #[param(example = "10x Chromium")]
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveResult<'a> {
    pub term: &'a Term,
}

/// List the vocabularies
///
/// The controlled vocabularies every vocabulary field is read against, with their versions and
/// numbers of terms.
#[utoipa::path(operation_id = "listVocabularies", security(()), tag = "vocabularies",
    responses((status = 200, description = "The vocabularies", body = Vec<VocabularySummary>)))]
#[get("/vocabularies")]
pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    let list: Vec<VocabularySummary> = omics_domain::Vocabularies::NAMES
        .iter()
        .filter_map(|n| state.service.vocabs.by_name(n))
        .map(|v| VocabularySummary {
            name: v.name.clone(),
            version: v.version.clone(),
            description: v.description.clone(),
            terms: v.terms().len(),
        })
        .collect();
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(list)
}

/// Every term of one vocabulary
///
/// Every term of one vocabulary: `technologies`, `readiness-areas` (in order of readiness),
/// `sample-types`, `accreditations`, `services`, `data-standards`, `cancer-types`, `countries`.
#[utoipa::path(operation_id = "getVocabulary", security(()), tag = "vocabularies",
    params(("name" = String, Path, example = "technologies")),
    responses(
        (status = 200, description = "The vocabulary", body = VocabularyView),
        (status = 404, description = "No such vocabulary"),
    ))]
#[get("/vocabularies/{name}")]
pub async fn get(state: web::Data<AppState>, name: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = state.service.vocabulary(&name)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(VocabularyView {
        name: &v.name,
        version: &v.version,
        description: &v.description,
        terms: v.terms(),
    }))
}

/// Resolve typed text to a term
///
/// Resolve what a user typed to a term, as every vocabulary field does; 422 with the closest
/// terms when it is unknown.
#[utoipa::path(operation_id = "resolveTerm", security(()), tag = "vocabularies",
    params(("name" = String, Path, example = "technologies"), ResolveParams),
    responses(
        (status = 200, description = "The term", body = ResolveResult),
        (status = 400, description = "Missing value"),
        (status = 404, description = "No such vocabulary"),
        (status = 422, description = "Unknown term, with suggestions"),
    ))]
#[get("/vocabularies/{name}/resolve")]
pub async fn resolve(state: web::Data<AppState>, name: web::Path<String>, params: web::Query<ResolveParams>) -> ApiResult<HttpResponse> {
    let term = state.service.resolve(&name, &params.value)?;
    Ok(HttpResponse::Ok().json(ResolveResult { term }))
}

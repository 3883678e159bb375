//! Liveness, readiness and the GA4GH service-info document.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// Change-log entries not yet in the search index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_lag: Option<i64>,
}

/// Liveness
///
/// The process is up.
#[utoipa::path(operation_id = "getLiveness", security(()), tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None, index_lag: None })
}

/// Readiness
///
/// The database answers and the index is open.
#[utoipa::path(operation_id = "getReadiness", security(()), tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready", body = Health),
    ))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let service = state.service.clone();
    let checked = web::block(move || service.index_lag()).await;
    let backend = state.service.store.backend().as_str();
    match checked {
        Ok(Ok(lag)) => HttpResponse::Ok().json(Health { status: "ok", database: Some(backend), index_lag: Some(lag) }),
        _ => HttpResponse::ServiceUnavailable().json(Health { status: "unavailable", database: Some(backend), index_lag: None }),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceType {
    pub group: &'static str,
    pub artifact: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub name: &'static str,
    pub url: &'static str,
}

/// GA4GH service-info 1.0.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInfo {
    pub id: &'static str,
    pub name: &'static str,
    #[serde(rename = "type")]
    pub type_: ServiceType,
    pub description: &'static str,
    pub organization: Organization,
    pub version: &'static str,
    pub documentation_url: &'static str,
    pub environment: &'static str,
}

/// GA4GH service-info
///
/// Describes this service (GA4GH service-info).
#[utoipa::path(operation_id = "getServiceInfo", security(()), tag = "health",
    responses((status = 200, description = "GA4GH service-info", body = ServiceInfo)))]
#[get("/service-info")]
pub async fn service_info() -> HttpResponse {
    HttpResponse::Ok().json(ServiceInfo {
        id: "eu.jane2.omics-match",
        name: "omics-match",
        type_: ServiceType { group: "eu.jane2", artifact: "omics-match", version: "1.0.0" },
        description: "Matchmaking engine of the European Network of Expertise on omics technologies in cancer: omics platforms, unmet needs and explained partner matches.",
        organization: Organization { name: "JANE-2 Network of Expertise on Omics technologies in cancer", url: "https://jane2.eu" },
        version: env!("CARGO_PKG_VERSION"),
        documentation_url: "/docs/",
        environment: "production",
    })
}

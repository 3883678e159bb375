//! `/api/v1/audit`: every change to platforms and needs (who, when, what), for admins.

use actix_web::{HttpResponse, web};
use omics_service::audit::{AuditPage, AuditParams};

use crate::auth::AdminUser;
use crate::error::{ApiResult, Problem};
use crate::routes::records::call;
use crate::state::AppState;

/// The audit trail (admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "Changes, oldest first", body = AuditPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(state: web::Data<AppState>, admin: AdminUser, params: web::Query<AuditParams>) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.audit(&admin.0.actor(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}

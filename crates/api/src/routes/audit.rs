//! `/api/v1/audit`: every change to platforms and needs (who, when, what), for admins.

use actix_web::{HttpResponse, get, web};
use omics_service::audit::{AuditPage, AuditParams};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::routes::records::call;
use crate::state::AppState;

/// The audit trail
///
/// The audit trail (admins only).
#[utoipa::path(operation_id = "listAuditEvents", tag = "audit", params(AuditParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "Changes, oldest first", body = AuditPage),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
    ))]
#[get("/audit")]
pub async fn list(state: web::Data<AppState>, admin: AdminUser, params: web::Query<AuditParams>) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.audit(&admin.0.actor(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}

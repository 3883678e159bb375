//! `/api/v1/needs`: unmet-need requests.

use omics_domain::{Need, NeedFields};
use omics_service::need_life::MatchedBody;

super::crud_macro::record_handlers!(
    fields = NeedFields,
    stored = Need,
    written = omics_service::records::NeedWritten,
    page = omics_service::records::Page<Need>,
    tag = "needs",
    noun = "need",
    collection = "/needs",
    item = "/needs/{id}",
    ids = { list = "listNeeds", create = "createNeed", get = "getNeed", replace = "replaceNeed", patch = "patchNeed", delete = "deleteNeed" },
    examples = { fields = need, patch = need_patch }
);

/// Mark a need matched
///
/// Mark the need matched by one of its accepted introductions (its owner, or an admin). The
/// need's other introductions that are still proposed or accepted are closed, each with a note
/// in its thread.
#[utoipa::path(operation_id = "markNeedMatched", tag = "needs", params(("id" = Uuid, Path)), request_body = MatchedBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The need, now `matched`; `ETag` carries the version", body = Need,
            headers(("ETag" = String, description = "The need's version"))),
        (status = 400, description = "Malformed body or id"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not the need's owner"),
        (status = 404, description = "No such need or introduction of it, or not visible to you"),
        (status = 409, description = "`invalid_transition`: the introduction is not accepted, or the need not in discussion"),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/needs/{id}/matched")]
pub async fn matched(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let v = call(&state, move |s| s.mark_matched(&user.actor(), id.into_inner(), body.into_inner())).await?;
    Ok(respond::<NeedFields, _>(v, StatusCode::OK))
}

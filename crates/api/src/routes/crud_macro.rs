//! The HTTP handlers of one record resource, written once for platforms and needs: each
//! extracts, calls the service's generic record workflow, and carries its OpenAPI description.

macro_rules! record_handlers {
    (
        fields = $fields:ty, stored = $stored:ty, written = $written:ty, page = $page:ty, tag = $tag:literal, noun = $noun:literal,
        collection = $collection:tt, item = $item:tt,
        ids = { list = $list_id:literal, create = $create_id:literal, get = $get_id:literal, replace = $replace_id:literal, patch = $patch_id:literal, delete = $delete_id:literal },
        examples = { fields = $fields_example:ident, patch = $patch_example:ident }
    ) => {
        use actix_web::http::StatusCode;
        use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
        use omics_service::records::{ListParams, WriteParams};
        use uuid::Uuid;

        use crate::auth::{AuthUser, MaybeUser};
        use crate::error::ApiResult;
        use crate::routes::records::{call, if_match, respond};
        use crate::state::AppState;

        #[doc = concat!("List and search ", $noun, "s, with facet counts.")]
        #[utoipa::path(operation_id = $list_id, tag = $tag,
            summary = concat!("List and search ", $noun, "s"),
            description = concat!("A page of the ", $noun, "s you may see, filtered by the parameters and searched with `q`, with the count of each facet value."), params(ListParams),
            security((), ("bearer" = [])),
            responses(
                (status = 200, description = "A page of results with facet counts", body = $page),
                (status = 400, description = "Invalid parameter"),
                (status = 401, description = "Bad token"),
                (status = 422, description = "Unknown vocabulary term in a filter"),
            ))]
        #[get($collection)]
        pub async fn list(state: web::Data<AppState>, params: web::Query<ListParams>, viewer: MaybeUser) -> ApiResult<HttpResponse> {
            let page = call(&state, move |s| s.list::<$fields>(&params, viewer.actor().as_ref())).await?;
            Ok(HttpResponse::Ok().json(page))
        }

        #[doc = concat!("Create a ", $noun, "; vocabulary values may be ids, labels, synonyms or free text the term linker reads with confidence (`readings` says how; `?strict=true` takes only ids, labels and synonyms).")]
        #[utoipa::path(operation_id = $create_id, tag = $tag,
            summary = concat!("Create a ", $noun),
            description = concat!("Create a ", $noun, "; vocabulary values may be ids, labels, synonyms or free text the term linker reads with confidence (`readings` says how; `?strict=true` takes only ids, labels and synonyms)."),
            request_body(content = $fields, example = crate::examples::$fields_example), params(WriteParams), security(("bearer" = [])),
            responses(
                (status = 201, description = "Created; `ETag` carries the version; `readings` and `warnings` say how typed values were read", body = $written,
                    headers(("ETag" = String, description = "Version tag"), ("Location" = String, description = "URL of the new record"))),
                (status = 400, description = "Malformed JSON"),
                (status = 401, description = "No or bad token"),
                (status = 403, description = "Role may not create this"),
                (status = 409, description = "external_key taken"),
                (status = 422, description = "Invalid fields or unknown terms, with suggestions"),
            ))]
        #[post($collection)]
        pub async fn create(state: web::Data<AppState>, user: AuthUser, params: web::Query<WriteParams>, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
            let written = call(&state, move |s| s.create::<$fields>(&user.actor(), body.into_inner(), params.mode())).await?;
            Ok(respond::<$fields, _>(written, StatusCode::CREATED))
        }

        #[doc = concat!("Read one ", $noun, ".")]
        #[utoipa::path(operation_id = $get_id, tag = $tag,
            summary = concat!("Read one ", $noun),
            description = concat!("The ", $noun, " with its version in `ETag`; one that is not visible to you is 404, as if it did not exist."),
            params(("id" = Uuid, Path)), security((), ("bearer" = [])),
            responses(
                (status = 200, description = "The record; `ETag` carries the version", body = $stored,
                    headers(("ETag" = String, description = "Version tag"))),
                (status = 400, description = "Invalid id"),
                (status = 401, description = "Bad token"),
                (status = 404, description = "Not found or not visible to you"),
            ))]
        #[get($item)]
        pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>, viewer: MaybeUser) -> ApiResult<HttpResponse> {
            let shown = call(&state, move |s| s.get::<$fields>(id.into_inner(), viewer.actor().as_ref())).await?;
            Ok(respond::<$fields, _>(shown, StatusCode::OK))
        }

        #[doc = concat!("Replace a ", $noun, " (owner or admin). Send `If-Match` with the `ETag` you read to avoid overwriting someone else's change.")]
        #[utoipa::path(operation_id = $replace_id, tag = $tag,
            summary = concat!("Replace a ", $noun),
            description = concat!("Replace a ", $noun, " (owner or admin). Send `If-Match` with the `ETag` you read to avoid overwriting someone else's change."),
            request_body(content = $fields, example = crate::examples::$fields_example),
            params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read"), WriteParams),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Replaced; `readings` and `warnings` say how typed values were read", body = $written, headers(("ETag" = String, description = "New version tag"))),
                (status = 400, description = "Malformed JSON or id"),
                (status = 401, description = "No or bad token"),
                (status = 403, description = "Not the owner"),
                (status = 404, description = "Not found"),
                (status = 409, description = "external_key taken"),
                (status = 412, description = "Changed since you read it"),
                (status = 422, description = "Invalid fields"),
            ))]
        #[put($item)]
        pub async fn replace(state: web::Data<AppState>, req: HttpRequest, id: web::Path<Uuid>, user: AuthUser, params: web::Query<WriteParams>, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
            let precondition = if_match(&req);
            let written = call(&state, move |s| s.replace::<$fields>(&user.actor(), id.into_inner(), precondition.as_ref(), body.into_inner(), params.mode())).await?;
            Ok(respond::<$fields, _>(written, StatusCode::OK))
        }

        #[doc = concat!("Change some fields of a ", $noun, " with a JSON merge patch (RFC 7396; `null` removes an optional field).")]
        #[utoipa::path(operation_id = $patch_id, tag = $tag,
            summary = concat!("Change some fields of a ", $noun),
            description = concat!("Change some fields of a ", $noun, " with a JSON merge patch (RFC 7396; `null` removes an optional field). Send `If-Match` with the `ETag` you read to avoid overwriting someone else's change."),
            request_body(content = serde_json::Value, content_type = "application/merge-patch+json", description = "Fields to change", example = crate::examples::$patch_example),
            params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read"), WriteParams),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Changed; `readings` and `warnings` say how typed values were read", body = $written, headers(("ETag" = String, description = "New version tag"))),
                (status = 400, description = "Malformed JSON or id"),
                (status = 401, description = "No or bad token"),
                (status = 403, description = "Not the owner"),
                (status = 404, description = "Not found"),
                (status = 409, description = "external_key taken"),
                (status = 412, description = "Changed since you read it"),
                (status = 422, description = "Invalid fields"),
            ))]
        #[patch($item)]
        pub async fn patch(state: web::Data<AppState>, req: HttpRequest, id: web::Path<Uuid>, user: AuthUser, params: web::Query<WriteParams>, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
            let precondition = if_match(&req);
            let written = call(&state, move |s| s.patch::<$fields>(&user.actor(), id.into_inner(), precondition.as_ref(), body.into_inner(), params.mode())).await?;
            Ok(respond::<$fields, _>(written, StatusCode::OK))
        }

        #[doc = concat!("Delete a ", $noun, " (owner or admin).")]
        #[utoipa::path(operation_id = $delete_id, tag = $tag,
            summary = concat!("Delete a ", $noun),
            description = concat!("Delete a ", $noun, " (owner or admin); with `If-Match`, only if it has not changed since you read it."),
            params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
            security(("bearer" = [])),
            responses(
                (status = 204, description = "Deleted"),
                (status = 400, description = "Invalid id"),
                (status = 401, description = "No or bad token"),
                (status = 403, description = "Not the owner"),
                (status = 404, description = "Not found"),
                (status = 412, description = "Changed since you read it"),
            ))]
        #[delete($item)]
        pub async fn delete(state: web::Data<AppState>, req: HttpRequest, id: web::Path<Uuid>, user: AuthUser) -> ApiResult<HttpResponse> {
            let precondition = if_match(&req);
            call(&state, move |s| s.delete::<$fields>(&user.actor(), id.into_inner(), precondition.as_ref())).await?;
            Ok(HttpResponse::NoContent().finish())
        }
    };
}

pub(crate) use record_handlers;

//! Route table. Handlers live beside it, one file per resource.

pub mod audit;
pub mod auth;
mod crud_macro;
pub mod health;
pub mod matches;
pub mod needs;
pub mod platforms;
pub mod records;
pub mod vocabularies;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/auth/register").route(web::post().to(auth::register)))
            .service(web::resource("/auth/token").route(web::post().to(auth::token)))
            .service(web::resource("/auth/me").route(web::get().to(auth::me)))
            .service(web::resource("/auth/password").route(web::post().to(auth::password)))
            .service(web::resource("/platforms").route(web::get().to(platforms::list)).route(web::post().to(platforms::create)))
            .service(
                web::resource("/platforms/{id}")
                    .route(web::get().to(platforms::get))
                    .route(web::put().to(platforms::replace))
                    .route(web::patch().to(platforms::patch))
                    .route(web::delete().to(platforms::delete)),
            )
            .service(web::resource("/matches").route(web::post().to(matches::adhoc)))
            .service(web::resource("/needs/{id}/matches").route(web::get().to(matches::for_need)))
            .service(web::resource("/platforms/{id}/matches").route(web::get().to(matches::for_platform)))
            .service(web::resource("/needs").route(web::get().to(needs::list)).route(web::post().to(needs::create)))
            .service(
                web::resource("/needs/{id}")
                    .route(web::get().to(needs::get))
                    .route(web::put().to(needs::replace))
                    .route(web::patch().to(needs::patch))
                    .route(web::delete().to(needs::delete)),
            )
            .service(web::resource("/vocabularies").route(web::get().to(vocabularies::index)))
            .service(web::resource("/vocabularies/{name}").route(web::get().to(vocabularies::get)))
            .service(web::resource("/vocabularies/{name}/resolve").route(web::get().to(vocabularies::resolve)))
            .service(web::resource("/audit").route(web::get().to(audit::list)))
            .service(web::resource("/health/live").route(web::get().to(health::live)))
            .service(web::resource("/health/ready").route(web::get().to(health::ready)))
            .service(web::resource("/service-info").route(web::get().to(health::service_info))),
    )
    .service(web::resource("/api-docs/openapi.json").route(web::get().to(openapi_json)))
    .service(web::resource("/").route(web::get().to(to_docs)))
    .service(web::resource("/docs").route(web::get().to(to_docs)));
}

async fn to_docs() -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", "/docs/")).finish()
}

/// The interactive documentation, served from files compiled into the binary (no CDN).
pub fn docs_ui() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", crate::openapi::ApiDoc::openapi())
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::json())
}

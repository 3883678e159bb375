//! The route table. Each route is declared once, on its handler: the method attribute
//! (`#[get("/platforms")]`) gives the route, the `#[utoipa::path]` above it its documentation,
//! and [`api`] registers the handlers, so the router and the OpenAPI document come from the same
//! declarations ([`crate::openapi::document`] collects them). Handlers live beside this file,
//! one file per resource.

pub mod analytics;
pub mod audit;
pub mod auth;
mod crud_macro;
pub mod health;
pub mod introductions;
pub mod matches;
pub mod needs;
pub mod notifications;
pub mod platforms;
pub mod records;
pub mod saved_searches;
mod site;
pub mod vocabularies;
pub mod webhooks;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use omics_domain::Code;
use utoipa_actix_web::OpenApiFactory;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

/// Where the API lives; [`api`]'s routes are relative to it.
pub const PREFIX: &str = "/api/v1";

/// Every route of the API, in the order the document lists them.
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(auth::register)
        .service(auth::token)
        .service(auth::me)
        .service(auth::password)
        .service(platforms::list)
        .service(platforms::create)
        .service(platforms::get)
        .service(platforms::replace)
        .service(platforms::patch)
        .service(platforms::delete)
        .service(needs::list)
        .service(needs::create)
        .service(needs::get)
        .service(needs::replace)
        .service(needs::patch)
        .service(needs::delete)
        .service(needs::matched)
        .service(matches::for_need)
        .service(matches::for_platform)
        .service(matches::adhoc)
        .service(matches::similar)
        .service(introductions::propose)
        .service(introductions::inbox)
        .service(introductions::get)
        .service(introductions::accept)
        .service(introductions::decline)
        .service(introductions::withdraw)
        .service(introductions::message)
        .service(notifications::feed)
        .service(notifications::read)
        .service(notifications::settings)
        .service(notifications::set_settings)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::delete)
        .service(webhooks::deliveries)
        .service(saved_searches::create)
        .service(saved_searches::list)
        .service(saved_searches::get)
        .service(saved_searches::delete)
        .service(saved_searches::hits)
        .service(analytics::coverage)
        .service(analytics::gaps)
        .service(analytics::activity)
        .service(vocabularies::index)
        .service(vocabularies::get)
        .service(vocabularies::resolve)
        .service(audit::list)
        .service(health::live)
        .service(health::ready)
        .service(health::service_info);
}

/// The `/api/v1` scope with every route of [`api`]; a request that matches a route's path but
/// none of its methods gets 405 with `Allow`, any other 404 `route_not_found`.
pub fn scope() -> impl HttpServiceFactory + OpenApiFactory + 'static {
    utoipa_actix_web::scope(PREFIX).configure(api).default_service(web::to(not_routed))
}

macro_rules! site_routes {
    ($($path:literal => $handler:path,)*) => {
        /// The pages outside the API (GET only): the explorer at `/` and its files, the
        /// document, the Prometheus metrics, beside the documentation UI at `/docs/`.
        pub const SITE: &[&str] = &[$($path,)* "/docs/"];

        fn site(cfg: &mut web::ServiceConfig) {
            $(cfg.service(web::resource($path).route(web::get().to($handler)));)*
        }
    };
}

site_routes! {
    "/api-docs/openapi.json" => openapi_json,
    "/" => site::index,
    "/site/app.js" => site::app_js,
    "/site/app.css" => site::app_css,
    "/site/text.js" => site::text_js,
    "/docs" => to_docs,
    "/metrics" => crate::observe::metrics,
}

/// Register the API scope and the pages beside it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(scope()).configure(site);
}

/// (method, path) of every route the router serves: the API's from the declarations that
/// build it (through the document they make), and the pages beside it.
pub fn registered() -> Vec<(Method, String)> {
    let mut routes: Vec<(Method, String)> = crate::openapi::operations().into_iter().map(|(m, p)| (m, p.to_owned())).collect();
    routes.extend(SITE.iter().map(|p| (Method::GET, (*p).to_owned())));
    routes
}

/// Whether a concrete path fits a documented path template (`{id}` stands for one segment).
fn fits(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b => {}
            _ => return false,
        }
    }
}

async fn not_routed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed: Vec<String> =
        crate::openapi::operations().into_iter().filter(|(_, template)| fits(template, req.path())).map(|(m, _)| m.to_string()).collect();
    if allowed.is_empty() {
        return Err(crate::route_not_found(&req));
    }
    let allow = allowed.join(", ");
    let mut res = actix_web::ResponseError::error_response(&ApiError::new(
        Code::MethodNotAllowed,
        format!("{} is not allowed on {}; allowed: {allow}", req.method(), req.path()),
    ));
    if let Ok(v) = header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    Ok(res)
}

async fn to_docs() -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", "/docs/")).finish()
}

/// The interactive documentation, served from files compiled into the binary (no CDN).
pub fn docs_ui() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", crate::openapi::document().clone())
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::json())
}

#[cfg(test)]
mod tests {
    use super::fits;

    #[test]
    fn a_template_fits_paths_with_one_segment_per_parameter() {
        assert!(fits("/api/v1/needs/{id}", "/api/v1/needs/abc"));
        assert!(fits("/api/v1/needs", "/api/v1/needs"));
        assert!(!fits("/api/v1/needs/{id}", "/api/v1/needs/abc/matches"));
        assert!(!fits("/api/v1/needs/{id}", "/api/v1/needs/"));
        assert!(!fits("/api/v1/needs/{id}/matches", "/api/v1/platforms/abc/matches"));
    }
}

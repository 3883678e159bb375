//! The explorer: a page for people at `/`, built only on the public API, with its script,
//! style sheet and text compiled into the binary (nothing is loaded from elsewhere). The
//! files are in `crates/api/site/`; every word the page shows is in `text.js`, so that it
//! can be translated in one place.

use actix_web::HttpResponse;
use actix_web::http::header;

const INDEX: &str = include_str!("../../site/index.html");
const APP_JS: &str = include_str!("../../site/app.js");
const APP_CSS: &str = include_str!("../../site/app.css");
const TEXT_JS: &str = include_str!("../../site/text.js");

fn file(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        // Revalidated on each load: an upgraded binary serves its own page at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ))
        .body(body)
}

pub(crate) async fn index() -> HttpResponse {
    file("text/html; charset=utf-8", INDEX)
}

pub(crate) async fn app_js() -> HttpResponse {
    file("text/javascript; charset=utf-8", APP_JS)
}

pub(crate) async fn app_css() -> HttpResponse {
    file("text/css; charset=utf-8", APP_CSS)
}

pub(crate) async fn text_js() -> HttpResponse {
    file("text/javascript; charset=utf-8", TEXT_JS)
}

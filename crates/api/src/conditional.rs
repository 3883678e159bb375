//! Conditional reads (RFC 9110 §13.1.2): a GET or HEAD whose `200` answer carries an `ETag`
//! matched by the request's `If-None-Match` is answered `304 Not Modified`, without a body,
//! with the `ETag` (and `Cache-Control`, `Vary`, `Content-Location`, `Expires`) repeated.
//! `If-None-Match` compares weakly (`W/"3"` matches `"3"`), takes a list, and `*` matches
//! any current representation. Done once here for every route that sends an `ETag`.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;

/// Middleware: turn a `200` with a matched `ETag` into `304`.
pub async fn if_none_match(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let condition = match *req.method() {
        Method::GET | Method::HEAD => req.headers().get(header::IF_NONE_MATCH).map(|v| v.to_str().unwrap_or("").to_owned()),
        _ => None,
    };
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(condition) = condition else { return Ok(res) };
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let Some(etag) = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()) else { return Ok(res) };
    if !none_match_fails(&condition, etag) {
        return Ok(res);
    }
    let mut not_modified = HttpResponse::NotModified();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY, header::CONTENT_LOCATION, header::EXPIRES] {
        for value in res.headers().get_all(&name) {
            not_modified.append_header((name.clone(), value.clone()));
        }
    }
    let (http, _) = res.into_parts();
    Ok(ServiceResponse::new(http, not_modified.finish()))
}

/// Whether `If-None-Match: condition` is false for a representation tagged `etag`, that is,
/// whether the answer is 304: `*`, or a tag in the list equal to `etag` by weak comparison.
/// A malformed list matches nothing (the full answer is always safe).
pub fn none_match_fails(condition: &str, etag: &str) -> bool {
    let condition = condition.trim();
    if condition == "*" {
        return true;
    }
    let Some(own) = opaque(etag.trim()) else { return false };
    entity_tags(condition).is_some_and(|tags| tags.contains(&own))
}

/// The opaque tag of one entity tag (`"x"` or `W/"x"`), quotes included.
fn opaque(tag: &str) -> Option<&str> {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    (tag.len() >= 2 && tag.starts_with('"') && tag.ends_with('"') && !tag[1..tag.len() - 1].contains('"')).then_some(tag)
}

/// The opaque tags of a comma-separated list of entity tags (a tag may hold a comma), or
/// `None` if the list is malformed.
fn entity_tags(list: &str) -> Option<Vec<&str>> {
    let mut tags = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let body = rest.strip_prefix("W/").unwrap_or(rest);
        let inner = body.strip_prefix('"')?;
        let end = inner.find('"')?;
        tags.push(&body[..end + 2]);
        rest = &inner[end + 1..];
        if !rest.is_empty() && !rest.starts_with([' ', '\t', ',']) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::none_match_fails;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        assert!(none_match_fails(r#""3""#, r#""3""#));
        assert!(!none_match_fails(r#""4""#, r#""3""#));
        // Weak comparison: W/ on either side does not matter.
        assert!(none_match_fails(r#"W/"3""#, r#""3""#));
        assert!(none_match_fails(r#""3""#, r#"W/"3""#));
        // Lists, with spaces, and a tag holding a comma.
        assert!(none_match_fails(r#""1", W/"2" ,"3""#, r#""3""#));
        assert!(none_match_fails(r#""a,b", "3""#, r#""a,b""#));
        assert!(!none_match_fails(r#""1", "2""#, r#""3""#));
        assert!(none_match_fails(" * ", r#""3""#));
        // Malformed: no match, the full answer.
        assert!(!none_match_fails("3", r#""3""#));
        assert!(!none_match_fails(r#""3"x"#, r#""3""#));
        assert!(!none_match_fails(r#""3"#, r#""3""#));
        assert!(!none_match_fails("", r#""3""#));
        // `*` is the whole value, not a member of a list.
        assert!(!none_match_fails(r#"*, "4""#, r#""3""#));
    }
}

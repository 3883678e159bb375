//! The network seen whole: coverage and demand (JSON or CSV), the gaps, and activity per
//! month. Counts are public; a count of needs below `analytics_min_cell` shows as "<N" to
//! everyone but admins. The figures are the service's (`omics_service::analytics`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use omics_service::analytics::activity::{Activity, ActivityParams};
use omics_service::analytics::coverage::{Coverage, CoverageParams};
use omics_service::analytics::gaps::{GapParams, Gaps};

use crate::auth::MaybeUser;
use crate::error::ApiResult;
use crate::routes::records::call;
use crate::state::AppState;

/// Whether the client asks for CSV before JSON.
fn wants_csv(req: &HttpRequest) -> bool {
    let accept = req.headers().get(header::ACCEPT).and_then(|h| h.to_str().ok()).unwrap_or("");
    let rank = |kind: &str| accept.split(',').position(|part| part.trim().starts_with(kind));
    match (rank("text/csv"), rank("application/json")) {
        (Some(csv), Some(json)) => csv < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Coverage and demand per country and technology
///
/// Coverage and demand: a matrix of country × technology (family or term), each cell with the
/// published platforms there, those taking samples from abroad, their monthly capacity, the
/// open needs of requesters there, those no platform can serve, and the median best match
/// score of the rest; totals per country, per technology and in all. `Accept: text/csv` gives
/// the same table as CSV (cells, then totals with `ALL`).
#[utoipa::path(operation_id = "getCoverage", tag = "analytics", params(CoverageParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The matrix; counts of needs below `min_cell` are \"<N\" for non-admins", content(
            (Coverage = "application/json"),
            (String = "text/csv", example = json!("country,technology,platforms,cross_border_platforms,monthly_capacity,open_needs,unserved_needs,median_best_score\r\nPT,dna-sequencing,3,2,400,5,<3,0.71\r\n")),
        )),
        (status = 400, description = "Invalid parameter (an unknown term, with suggestions)"),
        (status = 401, description = "Bad token"),
    ))]
#[get("/analytics/coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<CoverageParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    let csv = wants_csv(&req);
    let result = call(&state, move |s| s.coverage(&params, viewer.actor().as_ref())).await?;
    Ok(if csv { HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(result.to_csv()) } else { HttpResponse::Ok().json(result) })
}

/// Unmet needs, most acute first
///
/// The unmet needs, most acute first: technologies requesters in a country ask for that no
/// platform in the country or a land neighbour offers; then needs open longer than
/// `open_days` without an accepted introduction; then countries with no published platform
/// for a technology family. Within a kind, most open needs concerned first. Each row has its
/// count, examples and reason.
#[utoipa::path(operation_id = "getGaps", tag = "analytics", params(GapParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The gaps, most acute first", body = Gaps),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "Bad token"),
    ))]
#[get("/analytics/gaps")]
pub async fn gaps(state: web::Data<AppState>, params: web::Query<GapParams>, viewer: MaybeUser) -> ApiResult<HttpResponse> {
    let result = call(&state, move |s| s.gaps(&params, viewer.actor().as_ref())).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Activity per month
///
/// Activity per month: needs posted, introductions proposed and accepted, needs matched, and
/// the median days from posting to first accepted introduction.
#[utoipa::path(operation_id = "getActivity", tag = "analytics", params(ActivityParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Every month of the range, oldest first", body = Activity),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "Bad token"),
    ))]
#[get("/analytics/activity")]
pub async fn activity(state: web::Data<AppState>, params: web::Query<ActivityParams>, viewer: MaybeUser) -> ApiResult<HttpResponse> {
    let result = call(&state, move |s| s.activity(&params, viewer.actor().as_ref())).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    #[test]
    fn csv_is_given_when_asked_for_before_json() {
        let with = |accept: &str| super::wants_csv(&TestRequest::default().insert_header(("accept", accept)).to_http_request());
        assert!(with("text/csv"));
        assert!(with("text/csv, application/json;q=0.5"));
        assert!(!with("application/json, text/csv"));
        assert!(!with("*/*"));
        assert!(!with(""));
        assert!(!super::wants_csv(&TestRequest::default().to_http_request()), "no Accept: JSON");
    }
}

//! What Jamf Pro reads: `HEAD`/`GET /`, `/software`, `/software/{ids}`, `/patch/{id}`,
//! mounted under both `/v1` and `/jamf/v1` (PatchServer's base path).
//!
//! Served from the feed cache only: no database query per request. Bodies are precompressed;
//! gzip is sent when the client accepts it, with `ETag` and `If-None-Match` (304). Never a redirect.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use crate::patch_source::feed_cache::{RenderedBody, entity_tag, gzip, gzip_entity_tag};

/// Bodies smaller than this are not worth compressing on the fly.
const GZIP_MIN_BYTES: usize = 512;

/// The read routes under one base path (`/v1` or `/jamf/v1`), with and without a trailing
/// slash on the base, since Jamf Pro administrators type both and redirects are not an option.
pub fn routes(base: &str) -> Router<AppState> {
    Router::new()
        .route(base, get(get_root))
        .route(&format!("{base}/"), get(get_root))
        .route(&format!("{base}/software"), get(list_software))
        .route(&format!("{base}/software/"), get(list_software))
        .route(
            &format!("{base}/software/{{ids}}"),
            get(list_software_by_ids),
        )
        .route(&format!("{base}/patch/{{id}}"), get(get_patch))
}

/// Jamf's connection test sends `HEAD` here first.
async fn get_root() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        "{\n  \"status\": \"ok\"\n}\n",
    )
}

async fn list_software(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.patch_source.cache.snapshot();
    send_rendered(&snapshot.software, &headers)
}

async fn list_software_by_ids(
    State(state): State<AppState>,
    ApiPath(ids): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.patch_source.cache.snapshot();
    let wanted: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    let body = snapshot.summaries_for(&wanted);
    send_dynamic(body, &headers)
}

async fn get_patch(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snapshot = state.patch_source.cache.snapshot();
    let title = snapshot.titles.get(&id).ok_or_else(ApiError::not_found)?;
    Ok(send_rendered(&title.patch, &headers))
}

fn send_rendered(body: &RenderedBody, headers: &HeaderMap) -> Response {
    let gzipped = accepts_gzip(headers);
    let etag = if gzipped { &body.etag_gzip } else { &body.etag };
    // Either representation's tag stands for the same content (weak comparison).
    if not_modified(headers, &body.etag) || not_modified(headers, &body.etag_gzip) {
        return not_modified_response(etag);
    }
    if gzipped {
        json_response(body.gzip.clone(), etag, true)
    } else {
        json_response(body.json.clone(), etag, false)
    }
}

fn send_dynamic(body: Vec<u8>, headers: &HeaderMap) -> Response {
    let gzipped = body.len() >= GZIP_MIN_BYTES && accepts_gzip(headers);
    let plain_etag = entity_tag(&body);
    let etag = if gzipped {
        gzip_entity_tag(&plain_etag)
    } else {
        plain_etag
    };
    if not_modified(headers, &etag) {
        return not_modified_response(&etag);
    }
    if gzipped {
        json_response(Bytes::from(gzip(&body)), &etag, true)
    } else {
        json_response(Bytes::from(body), &etag, false)
    }
}

fn json_response(body: Bytes, etag: &str, gzipped: bool) -> Response {
    let mut response = Response::new(Body::from(body));
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        response_headers.insert(header::ETAG, value);
    }
    if gzipped {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

fn not_modified_response(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    let response_headers = response.headers_mut();
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// True when `If-None-Match` lists this entity tag (weak comparison, as RFC 9110 asks) or `*`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == "*" || candidate == etag)
}

/// True when `Accept-Encoding` accepts gzip with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let quality_zero = parts.any(|parameter| {
                let parameter = parameter.trim().replace(' ', "");
                parameter == "q=0"
                    || parameter == "q=0.0"
                    || parameter == "q=0.00"
                    || parameter == "q=0.000"
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !quality_zero
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )));
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "br;q=1.0, gzip;q=0.8"
        )));
        assert!(!accepts_gzip(&headers(header::ACCEPT_ENCODING, "gzip;q=0")));
        assert!(!accepts_gzip(&headers(header::ACCEPT_ENCODING, "identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists() {
        let etag = "\"abc\"";
        assert!(not_modified(
            &headers(header::IF_NONE_MATCH, "\"x\", \"abc\""),
            etag
        ));
        assert!(not_modified(
            &headers(header::IF_NONE_MATCH, "W/\"abc\""),
            etag
        ));
        assert!(not_modified(&headers(header::IF_NONE_MATCH, "*"), etag));
        assert!(!not_modified(
            &headers(header::IF_NONE_MATCH, "\"abd\""),
            etag
        ));
    }
}

//! Repeated slashes in a request path are read as one, before routing.
//!
//! Scripts build URLs by joining a configured base and a path (`"%s/api/v1/title/%s/version" %
//! (PATCH_URL, id)` in AutoPkg's `NotifyPatchServer`), so a base that ends in `/` sends
//! `//api/v1/…`; PatchServer (Werkzeug) answered those, and a 404 would break such scripts for a
//! matter of typing. [`router`](crate::http::router) runs [`collapse_repeated_slashes`] on every
//! request before any route is matched, so `//api/v1/title` is `/api/v1/title` and
//! `/v1//software` is `/v1/software` for every router, present and future. Only the path
//! changes; the query is kept as sent, and an encoded slash (`%2F`) is not a slash here.
//! Nothing is redirected: the request is answered as if it had been sent with single slashes.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// The request with every run of `/` in its path replaced by one `/`. A path without `//` (the
/// usual case) is left untouched, without allocating.
pub fn collapse_repeated_slashes(mut request: Request) -> Request {
    let uri = request.uri();
    if !uri.path().contains("//") {
        return request;
    }
    let mut path_and_query = collapse(uri.path());
    if let Some(query) = uri.query() {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    // The collapsed path is made of the original's characters, so it parses as they did.
    if let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) {
        parts.path_and_query = Some(path_and_query);
        if let Ok(collapsed) = Uri::from_parts(parts) {
            *request.uri_mut() = collapsed;
        }
    }
    request
}

fn collapse(path: &str) -> String {
    let mut collapsed = String::with_capacity(path.len());
    let mut previous_was_slash = false;
    for character in path.chars() {
        let is_slash = character == '/';
        if !(is_slash && previous_was_slash) {
            collapsed.push(character);
        }
        previous_was_slash = is_slash;
    }
    collapsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_after(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        collapse_repeated_slashes(request).uri().to_string()
    }

    #[test]
    fn runs_of_slashes_become_one_and_the_query_is_kept() {
        assert_eq!(path_after("//api/v1/title"), "/api/v1/title");
        assert_eq!(path_after("/v1//software"), "/v1/software");
        assert_eq!(path_after("///jamf///v1//patch/A"), "/jamf/v1/patch/A");
        assert_eq!(
            path_after("//api/v1/title/A/version?after=1.0//x"),
            "/api/v1/title/A/version?after=1.0//x"
        );
        assert_eq!(path_after("/v1/patch/a%2F%2Fb"), "/v1/patch/a%2F%2Fb");
        assert_eq!(path_after("/v1/"), "/v1/");
        assert_eq!(path_after("/"), "/");
    }
}

//! `GET /`: a small HTML page naming the server and linking to what it serves.
//!
//! Its `<title>` is `Patch Server`, as PatchServer's home page was: CytadelHosting's
//! `patch_server_updater.sh init` checks that `curl -L <server>/` contains `<title>Patch Server</title>`
//! before it pushes anything. `HEAD /` answers the same headers without the body (200), as Jamf
//! Pro's connection test expects of a source registered without a base path. The page is
//! static: no script, no outside resource, nothing from the request echoed back.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The links on the page: path, label, what it is.
const LINKS: [(&str, &str, &str); 5] = [
    (
        "/ui/",
        "/ui/",
        "the admin web app (sign in with an admin token)",
    ),
    (
        "/v1/software",
        "/v1/software",
        "the titles Jamf Pro reads (register <code>this-host/v1</code> as the external patch source; <code>/jamf/v1</code>, PatchServer's base path, works too)",
    ),
    (
        "/jamf/v1/software",
        "/jamf/v1/software",
        "the same feed under PatchServer's base path",
    ),
    (
        "/api/v1/title",
        "/api/v1/title",
        "the admin API (PatchServer's paths and more; every route needs <code>Authorization: Bearer &lt;token&gt;</code>)",
    ),
    ("/healthz", "/healthz", "health"),
];

pub async fn get_home() -> Response {
    let mut items = String::new();
    for (href, label, what) in LINKS {
        items.push_str(&format!(
            "      <li><a href=\"{href}\"><code>{label}</code></a>: {what}</li>\n"
        ));
    }
    let page = format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         \x20 <head>\n\
         \x20   <meta charset=\"utf-8\">\n\
         \x20   <title>Patch Server</title>\n\
         \x20 </head>\n\
         \x20 <body>\n\
         \x20   <h1>ringmaster {version}</h1>\n\
         \x20   <p>A Jamf Pro external patch source with PatchServer's admin API, and Apple OS updates through Declarative Device Management.</p>\n\
         \x20   <ul>\n\
         {items}\
         \x20   </ul>\n\
         \x20 </body>\n\
         </html>\n",
        version = env!("CARGO_PKG_VERSION"),
    );
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    response
}

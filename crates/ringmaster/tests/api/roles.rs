//! The role matrix: every admin route of the router, with no token and with a token of each
//! role, answers as the one route table (`ringmaster::http::roles::ADMIN_ROUTES`) says; and the
//! table names exactly the router's admin routes.
//!
//! - No token: 401 on every row, which also proves the router has the row's method and path
//!   (a path the router lacks answers 404, a method it lacks 405, both before authentication).
//! - A role below the row's: 403, the JSON error naming the role needed and the token's.
//! - A role at or above it: neither 401 nor 403 (the handler answers, whatever it makes of the
//!   placeholder ids and empty bodies).
//! - Every other method on each of the table's paths is 405 for an admin: were it a route the
//!   table lacks, it would be refused 403 to everyone ("no role is declared").
//! - Every path the source declares with `.route("…")` in an admin module is in the table.

use std::collections::BTreeSet;

use reqwest::Method;
use ringmaster::http::roles::{ADMIN_ROUTES, Verb};
use ringmaster_domain::access::{ROLES, Role};
use ringmaster_store::tokens::NewToken;

use crate::support::{TestApp, TestBackend, json_body, repo_root, spawn_app};

/// The placeholder every path parameter is given.
const PLACEHOLDER: &str = "none";

/// `/api/v1/title/{id}` with each `{…}` replaced by [`PLACEHOLDER`].
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                PLACEHOLDER
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A token of each role on the app's database: `(role, secret)`.
pub(crate) async fn tokens_of_each_role(app: &TestApp) -> Vec<(Role, String)> {
    let store = app.database.store().await;
    let mut tokens = Vec::new();
    for role in ROLES {
        let name = format!("matrix-{role}");
        let secret = format!("matrix-secret-{role}-0123456789");
        store
            .create_token(&NewToken {
                role,
                ..NewToken::admin(&name, &secret, jiff::Timestamp::now())
            })
            .await
            .expect("create token");
        tokens.push((role, secret));
    }
    tokens
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    secret: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    request.send().await.expect("request")
}

on_each_backend!(every_admin_route_answers_each_role_as_the_table_says);
async fn every_admin_route_answers_each_role_as_the_table_says(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let tokens = tokens_of_each_role(&app).await;
    for route in ADMIN_ROUTES {
        let method = route.verb.method();
        let path = concrete(route.path);
        let anonymous = send(&app, method.clone(), &path, None).await;
        assert_eq!(
            anonymous.status(),
            401,
            "{backend:?}: {method} {path} without a token (a 404 or 405 here: the router lacks the route)"
        );
        for (role, secret) in &tokens {
            let response = send(&app, method.clone(), &path, Some(secret)).await;
            let status = response.status();
            if role.includes(route.role) {
                assert!(
                    status != 401 && status != 403,
                    "{backend:?}: {method} {path} as {role}: {status} {:?}",
                    response.text().await
                );
            } else {
                assert_eq!(status, 403, "{backend:?}: {method} {path} as {role}");
                let body = json_body(response).await;
                assert_eq!(body["requiredRole"], route.role.as_str(), "{body}");
                assert_eq!(body["tokenRole"], role.as_str(), "{body}");
                assert!(
                    body["message"]
                        .as_str()
                        .is_some_and(|message| message.contains(route.role.as_str())
                            && message.contains(role.as_str())),
                    "{backend:?}: the message names both roles: {body}"
                );
            }
        }
    }
    app.stop().await;
}

on_each_backend!(the_table_names_every_method_the_router_has_on_its_paths);
async fn the_table_names_every_method_the_router_has_on_its_paths(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let paths: BTreeSet<&str> = ADMIN_ROUTES.iter().map(|route| route.path).collect();
    for pattern in paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            let declared = ADMIN_ROUTES
                .iter()
                .any(|route| route.path == pattern && Verb::of(&method) == Some(route.verb));
            if declared {
                continue;
            }
            let path = concrete(pattern);
            let status = send(&app, method.clone(), &path, Some(&app.token))
                .await
                .status();
            assert_eq!(
                status, 405,
                "{backend:?}: {method} {pattern} is a route of the router missing from the table"
            );
        }
    }
    app.stop().await;
}

/// The path literals of every `.route("…", …)` in `source`.
fn declared_paths(source: &str) -> Vec<String> {
    source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix('"')?;
            rest.split_once('"').map(|(path, _)| path.to_owned())
        })
        .collect()
}

#[test]
fn every_route_the_admin_modules_declare_is_in_the_table() {
    let http = repo_root().join("crates/ringmaster/src/http");
    // Not admin routes: the DDM check-ins, Jamf's read routes, and `/` and `/healthz`.
    let not_admin = ["ddm.rs", "jamf_feed.rs", "mod.rs"];
    let table: BTreeSet<&str> = ADMIN_ROUTES.iter().map(|route| route.path).collect();
    let mut checked = 0;
    for entry in std::fs::read_dir(&http).expect("http folder") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if !file.ends_with(".rs") || not_admin.contains(&file) {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("source");
        for declared in declared_paths(&source) {
            let full = format!("/api/v1{declared}");
            assert!(
                table.contains(full.as_str()),
                "{file} declares {full}, which has no role in http/roles.rs ADMIN_ROUTES"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 35,
        "only {checked} routes found: is the scan still reading the router?"
    );
}

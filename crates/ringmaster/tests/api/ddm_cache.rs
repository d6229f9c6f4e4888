//! The per-device set cache across servers: a declaration is always the one the token the
//! device was last given advertises, whichever server answers, even when the answering server
//! cached another set for the device; and a server answers `declaration-items` with the set
//! recorded last, not the one it cached.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::Value;

use crate::ddm_protocol::{SECRET, options};
use crate::os_catalog::import;
use crate::os_devices::{bind_group, create_device};
use crate::support::{
    TestApp, TestBackend, TestDatabase, fixture, json_body, load_rings, spawn_app_on,
};

async fn ddm_get(app: &TestApp, endpoint: &str, enrollment: &str) -> reqwest::Response {
    app.client
        .request(Method::GET, app.url(&format!("/ddm/{endpoint}")))
        .header("X-Enrollment-ID", enrollment)
        .bearer_auth(SECRET)
        .send()
        .await
        .expect("check-in")
}

async fn ddm_json(app: &TestApp, endpoint: &str, enrollment: &str) -> Value {
    let response = ddm_get(app, endpoint, enrollment).await;
    assert_eq!(response.status(), StatusCode::OK, "{endpoint}");
    json_body(response).await
}

/// `(kind, identifier, server token)` of every item of a `declaration-items` answer.
fn items_of(items: &Value) -> Vec<(String, String, String)> {
    let kinds = [
        ("Activations", "activation"),
        ("Assets", "asset"),
        ("Configurations", "configuration"),
        ("Management", "management"),
    ];
    kinds
        .iter()
        .flat_map(|(key, kind)| {
            items["Declarations"][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| {
                    (
                        (*kind).to_owned(),
                        item["Identifier"].as_str().unwrap().to_owned(),
                        item["ServerToken"].as_str().unwrap().to_owned(),
                    )
                })
        })
        .collect()
}

/// A full sync on `app`: tokens, items, every declaration; returns the token and the items.
async fn full_sync(app: &TestApp, device: &str) -> (String, Vec<(String, String, String)>) {
    let tokens = ddm_json(app, "tokens", device).await;
    let token = tokens["SyncTokens"]["DeclarationsToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = ddm_json(app, "declaration-items", device).await;
    assert_eq!(items["DeclarationsToken"], token.as_str());
    let items = items_of(&items);
    for (kind, identifier, server_token) in &items {
        let declaration = ddm_json(app, &format!("declaration/{kind}/{identifier}"), device).await;
        assert_eq!(declaration["ServerToken"], server_token.as_str());
    }
    (token, items)
}

on_each_backend!(a_declaration_fetched_through_another_server_matches_the_token_given);
async fn a_declaration_fetched_through_another_server_matches_the_token_given(
    backend: TestBackend,
) {
    let database = TestDatabase::new(backend).await;
    let second_handle = database.another_handle();
    let first = spawn_app_on(database, options(&Clock::System, Some(SECRET))).await;
    let second = spawn_app_on(second_handle, options(&Clock::System, Some(SECRET))).await;
    import(&first, fixture("catalog/macos-26-autumn-2025.json")).await;
    let rings = load_rings(&first).await;
    create_device(&first, "mac-1", "macOS", "26.0").await;

    // The device syncs through the first server, which caches its (unbound) set.
    let (unbound, unbound_items) = full_sync(&first, "mac-1").await;

    // A binding changes its set; the device's next `tokens` goes to the second server, which
    // records the new set once its snapshot has the binding.
    bind_group(&first, rings[0], &["mac-1"], &[]).await;
    let started = Instant::now();
    let bound = loop {
        let tokens = ddm_json(&second, "tokens", "mac-1").await;
        let token = tokens["SyncTokens"]["DeclarationsToken"]
            .as_str()
            .unwrap()
            .to_owned();
        if token != unbound {
            break token;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{backend:?}: the second server never served the binding"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let items = ddm_json(&second, "declaration-items", "mac-1").await;
    assert_eq!(items["DeclarationsToken"], bound.as_str());
    let bound_items = items_of(&items);
    assert_ne!(bound_items, unbound_items);

    // The first server still caches the old set; every declaration it answers is the recorded
    // one, with the ServerToken the second server advertised.
    for (kind, identifier, server_token) in &bound_items {
        let declaration =
            ddm_json(&first, &format!("declaration/{kind}/{identifier}"), "mac-1").await;
        assert_eq!(
            declaration["ServerToken"],
            server_token.as_str(),
            "{backend:?}: {kind}/{identifier} through the first server"
        );
    }
    // A declaration only the old set had is not served from the stale cache.
    for (kind, identifier, _) in unbound_items.iter().filter(|(kind, identifier, _)| {
        !bound_items
            .iter()
            .any(|(k, i, _)| k == kind && i == identifier)
    }) {
        let response = ddm_get(&first, &format!("declaration/{kind}/{identifier}"), "mac-1").await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{backend:?}: {kind}/{identifier}"
        );
    }
    // And its `declaration-items` is the recorded set's.
    let items = ddm_json(&first, "declaration-items", "mac-1").await;
    assert_eq!(items["DeclarationsToken"], bound.as_str(), "{backend:?}");
    assert_eq!(items_of(&items), bound_items);

    // Back on the first server, a whole sync is consistent and the same set.
    let (token, again) = full_sync(&first, "mac-1").await;
    assert_eq!(token, bound, "{backend:?}");
    assert_eq!(again, bound_items);
    second.stop().await;
    first.stop().await;
}

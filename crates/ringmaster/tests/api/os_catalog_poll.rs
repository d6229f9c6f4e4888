//! `serve --catalog-url`: polling a feed over HTTP at most once per period across servers,
//! retrying after a failure, with conditional requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ringmaster::os_updates::catalog_poll::CatalogPollConfig;
use ringmaster::os_updates::feed_fetch::{Fetched, Validators, client, fetch_url};

use crate::os_catalog::catalog;
use crate::support::{AppOptions, TestApp, TestBackend, TestDatabase, fixture, spawn_app_on};

const ETAG: &str = "\"feed-1\"";

/// A feed server that fails its first `failures` requests, then serves the sample catalog with
/// an `ETag`, answering 304 to a matching `If-None-Match`. Returns its URL and request count.
async fn feed_server(failures: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/feed.json",
        axum::routing::get(move |headers: HeaderMap| {
            let counter = counter.clone();
            async move {
                let seen = counter.fetch_add(1, Ordering::SeqCst);
                if seen < failures {
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
                if headers
                    .get(header::IF_NONE_MATCH)
                    .is_some_and(|tag| tag == ETAG)
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                let response: Response = (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::ETAG, ETAG),
                    ],
                    fixture("catalog/macos-26-autumn-2025.json"),
                )
                    .into_response();
                response
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/feed.json"), hits)
}

fn polling(url: &str) -> AppOptions {
    AppOptions {
        catalog_poll: Some(CatalogPollConfig {
            urls: vec![url.to_owned()],
            period: Duration::from_secs(24 * 3600),
            check_every: Duration::from_millis(100),
        }),
        ..AppOptions::default()
    }
}

async fn wait_for_releases(app: &TestApp, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = catalog(app, "macOS").await;
        if listed["releases"].as_array().unwrap().len() == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the catalog was never filled: {listed}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_each_backend!(two_servers_poll_a_feed_once_per_period_between_them);
async fn two_servers_poll_a_feed_once_per_period_between_them(backend: TestBackend) {
    let (url, hits) = feed_server(0).await;
    let database = TestDatabase::new(backend).await;
    let second_database = database.another_handle();
    let first = spawn_app_on(database, polling(&url)).await;
    let second = spawn_app_on(second_database, polling(&url)).await;
    wait_for_releases(&first, 4).await;
    wait_for_releases(&second, 4).await;
    // Many checks later, still one request: the lease holds for the period.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1, "{backend:?}");
}

#[tokio::test]
async fn a_failed_poll_is_retried_at_the_next_check() {
    let (url, hits) = feed_server(2).await;
    let database = TestDatabase::new(crate::support::TestBackend::Sqlite).await;
    let app = spawn_app_on(database, polling(&url)).await;
    wait_for_releases(&app, 4).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "two failures, then the import"
    );
}

#[tokio::test]
async fn requests_are_conditional_on_what_was_received() {
    let (url, _) = feed_server(0).await;
    let client = client().unwrap();
    let Fetched::Body { validators, bytes } = fetch_url(&client, &url, &Validators::default())
        .await
        .unwrap()
    else {
        panic!("a first request gets the body");
    };
    assert_eq!(validators.etag.as_deref(), Some(ETAG));
    assert!(!bytes.is_empty());
    assert!(matches!(
        fetch_url(&client, &url, &validators).await.unwrap(),
        Fetched::NotModified
    ));
    let error = fetch_url(
        &client,
        "http://127.0.0.1:9/feed.json",
        &Validators::default(),
    )
    .await
    .unwrap_err();
    assert!(error.contains("127.0.0.1:9"), "{error}");
}

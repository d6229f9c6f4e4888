//! The edge's guards through the real server: the refusal to start with the DDM check-ins
//! neither secret nor explicitly open, `--trusted-proxy` (forwarding headers believed from a
//! trusted peer only), `--feed-auth` on the Jamf read routes, the per-address limit of failed
//! authentication and the per-token `--admin-rate-limit`, both answered 429 with `Retry-After`.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster::http::HttpConfig;
use ringmaster::http::client_address::{TrustedProxies, parse_network};
use ringmaster::http::feed_auth::FeedAuth;

use crate::support::{AppOptions, TestApp, TestBackend, json_body, spawn_app_with};

fn start() -> Timestamp {
    "2026-03-01T09:00:00Z".parse().unwrap()
}

async fn app_with(backend: TestBackend, clock: &Clock, http: HttpConfig) -> TestApp {
    spawn_app_with(
        backend,
        AppOptions {
            clock: clock.clone(),
            http,
            ..AppOptions::default()
        },
    )
    .await
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", response.headers()))
}

async fn titles_as(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/api/v1/title")).bearer_auth(token);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.expect("GET title")
}

#[tokio::test]
async fn without_a_ddm_secret_the_server_starts_only_when_told_the_checkins_are_open() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        crate::cli::ringmaster(&["serve", "--listen", "127.0.0.1:0", "--database", &database]),
    )
    .await
    .expect("refused, not serving");
    assert_eq!(run.code, 1, "{}", run.stderr);
    for words in ["no DDM secret", "--ddm-secret-file", "--ddm-open"] {
        assert!(run.stderr.contains(words), "{words:?} in {}", run.stderr);
    }
    let both = crate::cli::ringmaster(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--ddm-open",
        "--ddm-secret",
        "s3cret-s3cret",
    ])
    .await;
    assert_eq!(
        both.code, 2,
        "open and a secret contradict: {}",
        both.stderr
    );
    assert!(both.stderr.contains("--ddm-open"), "{}", both.stderr);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
    let clock = Clock::manual(start());
    let limited = |trusted: &[&str]| HttpConfig {
        trusted_proxies: TrustedProxies::new(
            trusted
                .iter()
                .map(|net| parse_network(net).unwrap())
                .collect(),
        ),
        auth_failure_limit: "2/h".parse().unwrap(),
        ..HttpConfig::default()
    };
    // The test's client is 127.0.0.1: a trusted proxy here, so each forwarded address has its
    // own failures.
    let app = app_with(TestBackend::Sqlite, &clock, limited(&["127.0.0.0/8"])).await;
    for _ in 0..2 {
        let response = titles_as(&app, "wrong", Some("198.51.100.1")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = titles_as(&app, &app.token, Some("198.51.100.1")).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let spoofed_left = titles_as(&app, &app.token, Some("198.51.100.9, 198.51.100.1")).await;
    assert_eq!(
        spoofed_left.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the rightmost untrusted address is the client, whatever is written left of it"
    );
    let other = titles_as(&app, &app.token, Some("198.51.100.2")).await;
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another client is not limited"
    );
    let direct = titles_as(&app, &app.token, None).await;
    assert_eq!(direct.status(), StatusCode::OK, "nor is the proxy itself");
    app.stop().await;

    // Not trusted: the header is ignored, every request is 127.0.0.1's.
    let app = app_with(TestBackend::Sqlite, &clock, limited(&["10.0.0.0/8"])).await;
    for address in ["198.51.100.1", "198.51.100.2"] {
        let response = titles_as(&app, "wrong", Some(address)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let other = titles_as(&app, &app.token, Some("198.51.100.3")).await;
    assert_eq!(
        other.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted peer cannot choose its address"
    );
    app.stop().await;
}

async fn failed_authentication_is_limited_per_address(backend: TestBackend) {
    let clock = Clock::manual(start());
    let app = app_with(
        backend,
        &clock,
        HttpConfig {
            auth_failure_limit: "3/m".parse().unwrap(),
            ddm_secret: Some("ddm-shared-secret".to_owned()),
            ..HttpConfig::default()
        },
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            titles_as(&app, "wrong", None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // DDM failures count in the same bucket.
    let ddm = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "limited-device")
        .bearer_auth("not-the-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ddm.status(), StatusCode::UNAUTHORIZED);
    // Out of tries: even the right token waits, and is told how long.
    let refused = titles_as(&app, &app.token, None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&refused), 20);
    let body = json_body(refused).await;
    assert_eq!(body["status"], 429);
    let ddm = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "limited-device")
        .bearer_auth("ddm-shared-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ddm.status(), StatusCode::TOO_MANY_REQUESTS);
    // The feed is not authenticated here, and not limited.
    assert_eq!(app.get("/v1/software").await.status(), StatusCode::OK);
    clock.advance(SignedDuration::from_secs(20));
    assert_eq!(
        titles_as(&app, &app.token, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        titles_as(&app, "wrong", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        titles_as(&app, &app.token, None).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one try came back, and was spent"
    );
    app.stop().await;
}
on_each_backend!(failed_authentication_is_limited_per_address);

async fn admin_requests_are_limited_per_token(backend: TestBackend) {
    let clock = Clock::manual(start());
    let app = app_with(
        backend,
        &clock,
        HttpConfig {
            admin_rate_limit: Some("2/m".parse().unwrap()),
            ..HttpConfig::default()
        },
    )
    .await;
    let store = app.database.store().await;
    store
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "second",
            "second-token-0123456789",
            start(),
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            titles_as(&app, &app.token, None).await.status(),
            StatusCode::OK
        );
    }
    let refused = titles_as(&app, &app.token, None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&refused), 30);
    assert!(
        json_body(refused).await["message"]
            .as_str()
            .unwrap()
            .contains("--admin-rate-limit")
    );
    assert_eq!(
        titles_as(&app, "second-token-0123456789", None)
            .await
            .status(),
        StatusCode::OK,
        "another token has its own budget"
    );
    // A wrong token is a 401, never a 429 from this limit.
    assert_eq!(
        titles_as(&app, "wrong", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(
        titles_as(&app, &app.token, None).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}
on_each_backend!(admin_requests_are_limited_per_token);

async fn feed(app: &TestApp, path: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.client.request(Method::GET, app.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("GET feed")
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

async fn the_feed_takes_credentials_only_when_told(backend: TestBackend) {
    let clock = Clock::manual(start());
    let open = app_with(backend, &clock, HttpConfig::default()).await;
    assert_eq!(
        feed(&open, "/v1/software", None).await.status(),
        StatusCode::OK
    );
    open.stop().await;

    let bearer = app_with(
        backend,
        &clock,
        HttpConfig {
            feed_auth: Some(FeedAuth::Bearer),
            ..HttpConfig::default()
        },
    )
    .await;
    let token = format!("Bearer {}", bearer.token);
    for path in [
        "/v1/software",
        "/jamf/v1/software",
        "/v1/software/Firefox",
        "/v1/patch/x",
    ] {
        let refused = feed(&bearer, path, None).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        let allowed = feed(&bearer, path, Some(&token)).await.status();
        assert_ne!(allowed, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(
        feed(&bearer, "/v1/software", Some(&basic("jamf", &bearer.token)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "bearer mode takes bearer only"
    );
    // Revocation: believed for at most ten seconds after the last check.
    let store = bearer.database.store().await;
    let name = store.list_tokens().await.unwrap()[0].name.clone();
    assert!(store.revoke_token(&name, start()).await.unwrap());
    clock.advance(SignedDuration::from_secs(11));
    assert_eq!(
        feed(&bearer, "/v1/software", Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED,
        "a revoked token stops reading the feed"
    );
    bearer.stop().await;

    let basic_app = app_with(
        backend,
        &clock,
        HttpConfig {
            feed_auth: Some(FeedAuth::Basic),
            ..HttpConfig::default()
        },
    )
    .await;
    let refused = feed(&basic_app, "/v1/software", None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );
    for user in ["jamf", "any name"] {
        let allowed = feed(
            &basic_app,
            "/v1/software",
            Some(&basic(user, &basic_app.token)),
        )
        .await;
        assert_eq!(allowed.status(), StatusCode::OK, "{user}");
    }
    assert_eq!(
        feed(&basic_app, "/v1/software", Some(&basic("jamf", "wrong")))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    basic_app.stop().await;
}
on_each_backend!(the_feed_takes_credentials_only_when_told);

//! Tokens through the real server and the real binary: `/api/v1/tokens` (create answers the
//! secret once, list never shows it, revoke), expiry on the manual clock, "last used", scope to
//! title ids, a revoke through one server refused by another within its token refresh (200 ms here, bounded at 2 s), and `ringmaster token`
//! create/list/revoke with `--role` required.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use ringmaster::clock::Clock;
use ringmaster::server::{RunningServer, ServerConfig};
use serde_json::{Value, json};

use crate::cli::ringmaster;
use crate::support::{
    AppOptions, TestApp, TestBackend, TestDatabase, fixture, json_body, spawn_app, spawn_app_on,
    spawn_app_with,
};

/// `POST /api/v1/tokens` with `body`, as the app's admin.
async fn create(app: &TestApp, body: Value) -> reqwest::Response {
    app.admin(Method::POST, "/api/v1/tokens")
        .json(&body)
        .send()
        .await
        .expect("POST tokens")
}

/// Creates a token through the API and hands back its secret.
async fn secret_of(app: &TestApp, body: Value) -> String {
    let response = create(app, body).await;
    assert_eq!(response.status(), 201);
    json_body(response).await["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn status_as(app: &TestApp, method: Method, path: &str, secret: &str) -> u16 {
    app.client
        .request(method, app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// A version of Jamf Admin, as `POST /api/v1/title/JamfAdmin/version` takes it.
fn version_body(version: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "version": version, "releaseDate": "2026-02-03T04:05:06.789Z", "standalone": true,
        "minimumOperatingSystem": "13.0", "reboot": false, "killApps": [],
        "components": [{"name": "Jamf Admin", "version": version, "criteria": [
            {"name": "Application Bundle ID", "operator": "is", "value": "com.jamfsoftware.JamfAdmin", "type": "recon"}
        ]}],
        "capabilities": []
    }))
    .unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

on_each_backend!(the_token_api_creates_lists_without_secrets_and_revokes);
async fn the_token_api_creates_lists_without_secrets_and_revokes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = create(&app, json!({"name": "no-role"})).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert_eq!(body["errors"][0]["pointer"], "/role", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("readOnly, manager and admin"),
        "{body}"
    );
    let bad_role = json_body(create(&app, json!({"name": "x", "role": "root"})).await).await;
    assert!(
        bad_role["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("readOnly, manager and admin")
    );
    assert_eq!(
        app.admin(Method::GET, "/api/v1/tokens")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let response = create(
        &app,
        json!({"name": "autopkg", "role": "manager", "expiresIn": "30d", "titles": ["Slack", "Firefox"]}),
    )
    .await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let created = json_body(response).await;
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rmt_"), "{created}");
    assert_eq!(created["role"], "manager");
    assert_eq!(created["titles"], json!(["Firefox", "Slack"]));
    let created_at: Timestamp = created["createdAt"].as_str().unwrap().parse().unwrap();
    let expires_at: Timestamp = created["expiresAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires_at.duration_since(created_at),
        SignedDuration::from_hours(720)
    );
    assert_eq!(
        create(&app, json!({"name": "autopkg", "role": "readOnly"}))
            .await
            .status(),
        409,
        "{backend:?}: the name is taken"
    );

    let listed = app
        .admin(Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(&secret),
        "{backend:?}: the list never shows a secret"
    );
    assert!(
        !listed.contains("Hash") && !listed.contains("hash"),
        "{listed}"
    );
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let autopkg = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["name"] == "autopkg")
        .expect("listed");
    for key in [
        "role",
        "titles",
        "createdAt",
        "lastUsedAt",
        "expiresAt",
        "revokedAt",
    ] {
        assert!(autopkg.get(key).is_some(), "{key} in {autopkg}");
    }
    assert_eq!(autopkg["lastUsedAt"], Value::Null, "never used yet");

    // A manager may not manage tokens: 403 naming both roles.
    let response = app
        .client
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    let revoke = app
        .admin(Method::DELETE, "/api/v1/tokens/autopkg")
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204, "{backend:?}");
    let again = app
        .admin(Method::DELETE, "/api/v1/tokens/autopkg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        404,
        "{backend:?}: nothing live by that name"
    );
    app.stop().await;
}

on_each_backend!(a_token_expires_on_the_application_clock_and_records_its_last_use);
async fn a_token_expires_on_the_application_clock_and_records_its_last_use(backend: TestBackend) {
    let start = at("2026-12-04T12:00:00Z");
    let clock = Clock::manual(start);
    let app = spawn_app_with(
        backend,
        AppOptions {
            clock: clock.clone(),
            ..AppOptions::default()
        },
    )
    .await;
    let secret = secret_of(
        &app,
        json!({"name": "short", "role": "readOnly", "expiresIn": "1h"}),
    )
    .await;
    let last_used = || async {
        let listed = crate::support::admin_json(&app, "/api/v1/tokens").await;
        let short = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|token| token["name"] == "short")
            .unwrap()
            .clone();
        assert_eq!(short["expiresAt"], "2026-12-04T13:00:00Z", "{short}");
        short["lastUsedAt"].clone()
    };
    assert_eq!(last_used().await, Value::Null);
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title", &secret).await,
        200
    );
    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title", &secret).await,
        200
    );
    assert_eq!(
        last_used().await,
        "2026-12-04T12:00:00Z",
        "{backend:?}: a use within a minute of the last is not written"
    );
    clock.set(at("2026-12-04T12:59:59Z"));
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title", &secret).await,
        200,
        "{backend:?}: a second before expiry"
    );
    assert_eq!(last_used().await, "2026-12-04T12:59:59Z", "{backend:?}");
    clock.advance(SignedDuration::from_secs(1));
    let response = app
        .client
        .get(app.url("/api/v1/title"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "{backend:?}: expired at its expiry");
    let body = json_body(response).await;
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    app.stop().await;
}

on_each_backend!(a_scoped_token_acts_only_on_its_titles);
async fn a_scoped_token_acts_only_on_its_titles(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        201
    );
    let secret = secret_of(
        &app,
        json!({"name": "autopkg", "role": "manager", "titles": ["JamfAdmin", "Slack"]}),
    )
    .await;
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title/JamfAdmin", &secret).await,
        200,
        "{backend:?}: a scoped token reads its titles"
    );
    let added = app
        .client
        .post(app.url("/api/v1/title/JamfAdmin/version"))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body(version_body("99.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201, "{backend:?}: {:?}", added.text().await);
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title/Slack", &secret).await,
        404,
        "{backend:?}: in scope, not there"
    );
    for (method, path) in [
        (Method::GET, "/api/v1/title/JavaSEDevelopmentKit8"),
        (Method::DELETE, "/api/v1/title/Firefox"),
        (Method::GET, "/api/v1/title"),
        (Method::POST, "/api/v1/title"),
        (Method::GET, "/api/v1/policies"),
        (Method::GET, "/api/v1/devices"),
    ] {
        assert_eq!(
            status_as(&app, method.clone(), path, &secret).await,
            403,
            "{backend:?}: {method} {path} is not about one of its titles"
        );
    }
    app.stop().await;
}

/// Another server on `database_url`.
async fn second_server(database_url: &str) -> RunningServer {
    let store = ringmaster_store::store::Store::connect(database_url, &Default::default())
        .await
        .expect("connect");
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        http: ringmaster::http::HttpConfig {
            ddm_open: true,
            ..Default::default()
        },
        cache_refresh: Duration::from_millis(200),
        catalog_poll: None,
        clock: Default::default(),
        notifier: None,
        webhooks: crate::support::fast_webhooks(),
        audit: Default::default(),
    };
    ringmaster::server::start_with_store(config, store)
        .await
        .expect("second server")
}

/// How long a revoke may take to reach another server: its token refresh runs every 200 ms
/// here (`--cache-refresh-ms`); the rest is slack for a loaded machine.
const REVOKE_BOUND: Duration = Duration::from_secs(2);

/// Polls `request` until it answers 401 (a 5xx, or [`REVOKE_BOUND`] passing, fails); returns
/// how long it took.
pub(crate) async fn refused_within<F, Fut>(what: &str, request: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let started = std::time::Instant::now();
    loop {
        let status = request().await.unwrap().status();
        if status == 401 {
            return started.elapsed();
        }
        assert!(!status.is_server_error(), "{what}: {status}");
        assert!(
            started.elapsed() < REVOKE_BOUND,
            "{what}: still accepted {REVOKE_BOUND:?} after the revoke"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_each_backend!(a_revoke_through_one_server_is_refused_by_another_within_the_refresh);
async fn a_revoke_through_one_server_is_refused_by_another_within_the_refresh(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let other = second_server(&app.database.url).await;
    let secret = secret_of(&app, json!({"name": "ci", "role": "readOnly"})).await;
    let on = |address: std::net::SocketAddr| {
        app.client
            .get(format!("http://{address}/api/v1/title"))
            .bearer_auth(&secret)
            .send()
    };
    // Both servers have now checked the token, so both hold it in memory.
    assert_eq!(
        on(other.address).await.unwrap().status(),
        200,
        "{backend:?}"
    );
    assert_eq!(
        on(app.address()).await.unwrap().status(),
        200,
        "{backend:?}"
    );
    let revoke = app
        .admin(Method::DELETE, "/api/v1/tokens/ci")
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(
        on(app.address()).await.unwrap().status(),
        401,
        "{backend:?}: the server that revoked it refuses it at once"
    );
    let took = refused_within(&format!("{backend:?}: the other server"), || {
        on(other.address)
    })
    .await;
    eprintln!("{backend:?}: the other server refused the revoked token after {took:?}");

    // Revoked past both servers (as `ringmaster token revoke` does): both refuse it in time.
    let cli = secret_of(&app, json!({"name": "cli", "role": "readOnly"})).await;
    let with_cli = |address: std::net::SocketAddr| {
        app.client
            .get(format!("http://{address}/api/v1/title"))
            .bearer_auth(&cli)
            .send()
    };
    assert_eq!(with_cli(other.address).await.unwrap().status(), 200);
    assert_eq!(with_cli(app.address()).await.unwrap().status(), 200);
    let store = app.database.store().await;
    assert!(
        store
            .revoke_token("cli", jiff::Timestamp::now())
            .await
            .unwrap()
    );
    for address in [app.address(), other.address] {
        let took = refused_within(&format!("{backend:?}: {address}"), || with_cli(address)).await;
        eprintln!("{backend:?}: {address} refused a token revoked in the database after {took:?}");
    }
    other.stop().await.unwrap();
    app.stop().await;
}

on_each_backend!(the_cli_creates_a_scoped_expiring_token_lists_and_revokes_it);
async fn the_cli_creates_a_scoped_expiring_token_lists_and_revokes_it(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let missing = ringmaster(&["token", "create", "autopkg", "--database", &url]).await;
    assert_eq!(missing.code, 2, "{backend:?}: {missing:?}");
    assert!(
        missing.stderr.contains("--role") && missing.stderr.contains("readOnly|manager|admin"),
        "{backend:?}: the error names --role and the roles: {missing:?}"
    );
    let unknown = ringmaster(&[
        "token",
        "create",
        "autopkg",
        "--role",
        "root",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("readOnly, manager and admin"),
        "{unknown:?}"
    );
    let bad_expiry = ringmaster(&[
        "token",
        "create",
        "autopkg",
        "--role",
        "manager",
        "--expires-in",
        "3mo",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(bad_expiry.code, 2, "{bad_expiry:?}");

    let run = ringmaster(&[
        "token",
        "create",
        "autopkg",
        "--role",
        "manager",
        "--expires-in",
        "30d",
        "--titles",
        "JamfAdmin,Slack",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let secret = run.stdout.trim().to_owned();
    assert_eq!(
        run.stdout,
        format!("{secret}\n"),
        "only the secret on stdout"
    );
    assert!(
        run.stderr.contains("manager") && run.stderr.contains("JamfAdmin,Slack"),
        "{run:?}"
    );

    let list = ringmaster(&["token", "list", "--database", &url]).await;
    assert_eq!(list.code, 0, "{list:?}");
    let line = list
        .stdout
        .lines()
        .find(|line| line.starts_with("autopkg"))
        .unwrap_or_else(|| panic!("{list:?}"));
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(columns[1..3], ["manager", "JamfAdmin,Slack"], "{line}");
    assert_eq!(columns[4], "-", "never used: {line}");
    assert_ne!(columns[5], "-", "an expiry: {line}");
    assert!(!list.stdout.contains(&secret));

    let app = spawn_app_on(database, AppOptions::default()).await;
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/title/JamfAdmin", &secret).await,
        404
    );
    assert_eq!(
        status_as(&app, Method::GET, "/api/v1/policies", &secret).await,
        403
    );
    let used = ringmaster(&["token", "list", "--database", &url]).await;
    let line = used
        .stdout
        .lines()
        .find(|line| line.starts_with("autopkg"))
        .unwrap();
    assert_ne!(
        line.split_whitespace().nth(4),
        Some("-"),
        "last used is shown: {line}"
    );

    let revoke = ringmaster(&["token", "revoke", "autopkg", "--database", &url]).await;
    assert_eq!(revoke.code, 0, "{revoke:?}");
    // The running server reloads its tokens within its refresh interval.
    refused_within(&format!("{backend:?}: revoked by the CLI"), || {
        app.client
            .get(app.url("/api/v1/title/JamfAdmin"))
            .bearer_auth(&secret)
            .send()
    })
    .await;
    app.stop().await;
}

on_each_backend!(a_full_backup_restores_a_tokens_role_scope_and_expiry);
async fn a_full_backup_restores_a_tokens_role_scope_and_expiry(backend: TestBackend) {
    let source = spawn_app(backend).await;
    let secret = secret_of(
        &source,
        json!({"name": "autopkg", "role": "manager", "expiresIn": "30d", "titles": ["JamfAdmin"]}),
    )
    .await;
    let zip = crate::backup_full::full_backup(&source).await;
    let target = spawn_app(backend).await;
    let restored = crate::backup_restore::restore(&target, "", zip).await;
    assert!(
        restored.status().is_success(),
        "{backend:?}: {:?}",
        restored.text().await
    );
    let listed = crate::support::admin_json(&target, "/api/v1/tokens").await;
    let autopkg = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["name"] == "autopkg")
        .expect("restored")
        .clone();
    assert_eq!(autopkg["role"], "manager", "{autopkg}");
    assert_eq!(autopkg["titles"], json!(["JamfAdmin"]), "{autopkg}");
    assert!(autopkg["expiresAt"].is_string(), "{autopkg}");
    assert_eq!(
        status_as(&target, Method::GET, "/api/v1/title/JamfAdmin", &secret).await,
        404
    );
    assert_eq!(
        status_as(&target, Method::GET, "/api/v1/policies", &secret).await,
        403
    );
    source.stop().await;
    target.stop().await;
}

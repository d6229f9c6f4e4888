//! Test support: starting servers on fresh databases, and a small HTTP client for them.
//!
//! `on_each_backend!` runs a test on each database: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` names a server (each test gets its own new database there, dropped after
//! it); the fresh databases come from `ringmaster-testing`, shared with the store's tests.
//! Under `CI=true` a missing `TEST_DATABASE_URL` is a failure, never a skip.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use ringmaster::http::HttpConfig;
use ringmaster::os_updates::catalog_poll::CatalogPollConfig;
use ringmaster::server::{RunningServer, ServerConfig};
pub(crate) use ringmaster_testing::{
    TestBackend, TestDatabase, postgres_backend, shared_reference, skip_because,
};

/// Runs `async fn NAME(backend: TestBackend)` as one test per backend, `NAME::sqlite` and
/// `NAME::postgres` (the latter only with `TEST_DATABASE_URL`, which `CI=true` requires), so a
/// failure on one backend never hides the other's result. `on_each_backend!(NAME, flavor =
/// "multi_thread", worker_threads = 4)` passes what follows the name to `#[tokio::test]`. A
/// test that needs something outside (a tool, the reference data) checks for it at the start
/// of NAME, so each backend's test skips with the reason (and fails under `CI=true`) alone.
macro_rules! on_each_backend {
    ($name:ident $(, $($runtime:tt)+)?) => {
        mod $name {
            #[tokio::test$(($($runtime)+))?]
            async fn sqlite() {
                super::$name($crate::support::TestBackend::Sqlite).await;
            }

            #[tokio::test$(($($runtime)+))?]
            async fn postgres() {
                if let Some(backend) = $crate::support::postgres_backend() {
                    super::$name(backend).await;
                }
            }
        }
    };
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

/// A running server with a fresh database and an admin token.
#[derive(Debug)]
pub(crate) struct TestApp {
    pub(crate) base_url: String,
    pub(crate) token: String,
    pub(crate) client: reqwest::Client,
    pub(crate) database: TestDatabase,
    server: Option<RunningServer>,
}

/// Options for [`spawn_app_with`].
#[derive(Debug, Clone)]
pub(crate) struct AppOptions {
    pub(crate) http: HttpConfig,
    pub(crate) cache_refresh: Duration,
    pub(crate) catalog_poll: Option<CatalogPollConfig>,
    pub(crate) clock: ringmaster::clock::Clock,
    pub(crate) notifier: Option<ringmaster::os_updates::notifier::NotifierConfig>,
    pub(crate) webhooks: ringmaster::webhooks::delivery::WebhookDeliveryConfig,
    pub(crate) audit: ringmaster::audit::prune::AuditPruneConfig,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            http: HttpConfig {
                // Tests refuse credentials by the hundred (every route, every role); the limit
                // of failed authentication is tested on its own (edge_security.rs).
                auth_failure_limit: "1000000/s".parse().expect("rate"),
                ..HttpConfig::default()
            },
            cache_refresh: Duration::from_millis(200),
            catalog_poll: None,
            clock: ringmaster::clock::Clock::System,
            notifier: None,
            webhooks: fast_webhooks(),
            audit: Default::default(),
        }
    }
}

/// The default HTTP settings with the DDM check-ins open (`--ddm-open`), for servers started
/// without [`spawn_app_on`].
pub(crate) fn open_ddm_http() -> HttpConfig {
    HttpConfig {
        ddm_open: true,
        ..HttpConfig::default()
    }
}

/// Webhook delivery that looks for due events every 50 ms (the server's default is a second).
pub(crate) fn fast_webhooks() -> ringmaster::webhooks::delivery::WebhookDeliveryConfig {
    ringmaster::webhooks::delivery::WebhookDeliveryConfig {
        poll: Duration::from_millis(50),
        ..Default::default()
    }
}

pub(crate) async fn spawn_app(backend: TestBackend) -> TestApp {
    spawn_app_with(backend, AppOptions::default()).await
}

pub(crate) async fn spawn_app_with(backend: TestBackend, options: AppOptions) -> TestApp {
    let database = TestDatabase::new(backend).await;
    spawn_app_on(database, options).await
}

/// Starts a server over an existing database (for restarts and several servers on one database).
pub(crate) async fn spawn_app_on(database: TestDatabase, options: AppOptions) -> TestApp {
    init_test_logging();
    let store = database.store().await;
    let token = format!("test-token-{}", random_suffix());
    let name = format!("test-{}", random_suffix());
    store
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            &name,
            &token,
            jiff::Timestamp::now(),
        ))
        .await
        .expect("create token");
    let mut http = options.http;
    // Test servers without a DDM secret run open, as `serve --ddm-open` does (the refusal to
    // start without either is tested through the binary, in tests/api/edge_tls.rs).
    http.ddm_open |= http.ddm_secret.is_none();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: database.url.clone(),
        http,
        cache_refresh: options.cache_refresh,
        catalog_poll: options.catalog_poll,
        clock: options.clock,
        notifier: options.notifier,
        webhooks: options.webhooks,
        audit: options.audit,
    };
    let server = ringmaster::server::start_with_store(config, store)
        .await
        .expect("start server");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .build()
        .expect("client");
    TestApp {
        base_url: format!("http://{}", server.address),
        token,
        client,
        database,
        server: Some(server),
    }
}

impl TestApp {
    /// The listen address (HTTPS when the test configured TLS).
    pub(crate) fn address(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").address
    }

    /// The plain-HTTP listener beside HTTPS, if the test asked for one.
    pub(crate) fn plain_address(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().expect("running").plain_address
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An authenticated request builder.
    pub(crate) fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// `POST /api/v1/title` with a JSON body.
    pub(crate) async fn create_title(&self, body: &[u8]) -> reqwest::Response {
        self.admin(reqwest::Method::POST, "/api/v1/title")
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("POST title")
    }

    /// Stops the server and hands back its database (to restart on it).
    pub(crate) async fn stop(mut self) -> TestDatabase {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("stop server");
        }
        self.database
    }
}

/// Reads a fixture the project owns, from `fixtures/` at the repository root.
pub(crate) fn fixture(relative: &str) -> Vec<u8> {
    let path = repo_root().join("fixtures").join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {}: {error}", path.display()))
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `GET path` with the admin token, asserting 200; the JSON body.
pub(crate) async fn admin_json(app: &TestApp, path: &str) -> serde_json::Value {
    let response = app
        .admin(reqwest::Method::GET, path)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), reqwest::StatusCode::OK, "GET {path}");
    json_body(response).await
}

/// Loads the default rings (`POST /api/v1/policy-groups/defaults`); returns the policy-group ids, earliest ring first.
pub(crate) async fn load_rings(app: &TestApp) -> Vec<i64> {
    let body = json_body(
        app.admin(reqwest::Method::POST, "/api/v1/policy-groups/defaults")
            .send()
            .await
            .unwrap(),
    )
    .await;
    body["policyGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["id"].as_i64().unwrap())
        .collect()
}

/// A response's `content-type` (empty when there is none).
pub(crate) fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// A response's JSON body (asserting the content type says JSON).
pub(crate) async fn json_body(response: reqwest::Response) -> serde_json::Value {
    let content_type = content_type(&response);
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(
        content_type.starts_with("application/json"),
        "expected JSON, got {content_type:?} (status {status}): {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("invalid JSON ({error}): {text}"))
}

fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_test_writer()
            .try_init();
    }
}

/// The peak resident memory (`VmHWM`) of this test process, server included, in bytes, where
/// Linux tells it. nextest runs each test in its own process, so this is the test's own peak.
pub(crate) fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

//! Several servers on one database, crashes, and moving an installation between backends.
//!
//! Run on every backend (SQLite file shared by servers in one process, and PostgreSQL):
//! a write through one server is served by the others within a second; concurrent writers
//! through different servers lose nothing; a SIGKILLed server loses no acknowledged write and
//! leaves nothing half-written.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringmaster::server::{RunningServer, ServerConfig};
use serde_json::Value;

use crate::os_catalog::import;
use crate::os_devices::{bind_group, create_device};
use crate::support::{
    AppOptions, TestBackend, TestDatabase, admin_json, fixture, json_body, load_rings,
    postgres_backend, spawn_app, spawn_app_on, spawn_app_with,
};

/// Another server on the database of `app`, sharing its token.
pub(crate) async fn second_server(database_url: &str, cache_refresh: Duration) -> RunningServer {
    let store = ringmaster_store::store::Store::connect(database_url, &Default::default())
        .await
        .expect("connect");
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        http: crate::support::open_ddm_http(),
        cache_refresh,
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

fn version_body(version: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": version, "releaseDate": "2026-02-03T04:05:06.789Z", "standalone": true,
        "minimumOperatingSystem": "13.0", "reboot": false, "killApps": [],
        "components": [{"name": "Jamf Admin", "version": version, "criteria": [
            {"name": "Application Bundle ID", "operator": "is", "value": "com.jamfsoftware.JamfAdmin", "type": "recon"}
        ]}],
        "capabilities": []
    }))
    .unwrap()
}

/// Polls `url` until `check` accepts its JSON or `within` passes; returns how long it took.
async fn eventually(
    client: &reqwest::Client,
    url: &str,
    within: Duration,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let response = client.get(url).send().await.expect("GET");
        if response.status() == 200 && check(&json_body(response).await) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{url} did not show the change within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

on_each_backend!(a_write_through_one_server_is_served_by_another_within_a_second);
async fn a_write_through_one_server_is_served_by_another_within_a_second(backend: TestBackend) {
    let options = AppOptions {
        cache_refresh: Duration::from_millis(500),
        ..AppOptions::default()
    };
    let first = spawn_app_with(backend, options).await;
    let second = second_server(&first.database.url, Duration::from_millis(500)).await;
    let second_url = format!("http://{}", second.address);

    assert_eq!(
        first
            .create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        201
    );
    let took = eventually(
        &first.client,
        &format!("{second_url}/v1/software"),
        Duration::from_secs(1),
        |body| {
            body.as_array()
                .is_some_and(|titles| titles.iter().any(|title| title["id"] == "JamfAdmin"))
        },
    )
    .await;
    eprintln!("{backend:?}: new title visible on the second server after {took:?}");

    let response = first
        .admin(reqwest::Method::POST, "/api/v1/title/JamfAdmin/version")
        .header("content-type", "application/json")
        .body(version_body("10.9.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    eventually(
        &first.client,
        &format!("{second_url}/v1/patch/JamfAdmin"),
        Duration::from_secs(1),
        |body| body["currentVersion"] == "10.9.0",
    )
    .await;

    let deleted = first
        .admin(reqwest::Method::DELETE, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    eventually(
        &first.client,
        &format!("{second_url}/v1/software"),
        Duration::from_secs(1),
        |body| body.as_array().is_some_and(Vec::is_empty),
    )
    .await;
    second.stop().await.unwrap();
    first.stop().await;
}

on_each_backend!(concurrent_admins_on_two_servers_lose_no_write);
async fn concurrent_admins_on_two_servers_lose_no_write(backend: TestBackend) {
    let first = spawn_app(backend).await;
    let second = second_server(&first.database.url, Duration::from_millis(200)).await;
    let urls = [first.base_url.clone(), format!("http://{}", second.address)];
    assert_eq!(
        first
            .create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        201
    );

    let writers: Vec<_> = (0..16)
        .map(|index| {
            let client = first.client.clone();
            let token = first.token.clone();
            let base = urls[index % 2].clone();
            tokio::spawn(async move {
                let version = format!("10.1.0.{index}");
                client
                    .post(format!(
                        "{base}/api/v1/title/JamfAdmin/version?after=10.1.0"
                    ))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(version_body(&version))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for writer in writers {
        assert_eq!(writer.await.unwrap(), 201);
    }
    let title = json_body(
        first
            .admin(reqwest::Method::GET, "/api/v1/title/JamfAdmin")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let versions: Vec<&str> = title["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|patch| patch["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions.len(), 3 + 16, "{versions:?}");
    for index in 0..16 {
        assert!(
            versions.contains(&format!("10.1.0.{index}").as_str()),
            "lost 10.1.0.{index}"
        );
    }
    second.stop().await.unwrap();
    first.stop().await;
}

on_each_backend!(a_stale_if_match_through_another_server_answers_412_and_changes_nothing);
async fn a_stale_if_match_through_another_server_answers_412_and_changes_nothing(
    backend: TestBackend,
) {
    let first = spawn_app(backend).await;
    let second = second_server(&first.database.url, Duration::from_millis(200)).await;
    assert_eq!(
        first
            .create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        201
    );
    let read = first
        .admin(reqwest::Method::GET, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let disabled = first
        .client
        .post(format!(
            "http://{}/api/v1/title/JamfAdmin/disable",
            second.address
        ))
        .bearer_auth(&first.token)
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let stale_delete = first
        .admin(reqwest::Method::DELETE, "/api/v1/title/JamfAdmin")
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status(), 412);
    let still_there = first
        .admin(reqwest::Method::GET, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    assert_eq!(still_there.status(), 200);
    second.stop().await.unwrap();
    first.stop().await;
}

on_each_backend!(a_binding_made_through_one_server_is_served_by_another_within_a_second);
async fn a_binding_made_through_one_server_is_served_by_another_within_a_second(
    backend: TestBackend,
) {
    let database = TestDatabase::new(backend).await;
    let second_handle = database.another_handle();
    let first = spawn_app_on(database, AppOptions::default()).await;
    let second = spawn_app_on(second_handle, AppOptions::default()).await;
    import(&first, fixture("catalog/macos-26-autumn-2025.json")).await;
    let rings = load_rings(&first).await;
    create_device(&first, "mac-1", "macOS", "26.0.1").await;
    bind_group(&first, rings[1], &["mac-1"], &[]).await;
    let started = Instant::now();
    loop {
        let served = admin_json(
            &second,
            "/api/v1/devices/mac-1/declarations?at=2025-11-10T12:00:00Z",
        )
        .await;
        if served["schedule"]["deadline"] == "2025-11-17T17:00:00" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{backend:?}: {served}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        admin_json(
            &first,
            "/api/v1/devices/mac-1/declarations?at=2025-11-10T12:00:00Z"
        )
        .await["declarationsToken"],
        admin_json(
            &second,
            "/api/v1/devices/mac-1/declarations?at=2025-11-10T12:00:00Z"
        )
        .await["declarationsToken"],
        "both servers serve the same set"
    );
}

/// The real binary as a child process, on a database, listening on a free port.
pub(crate) struct ServerProcess {
    pub(crate) child: Child,
    pub(crate) base_url: String,
}

impl ServerProcess {
    pub(crate) fn start(database_url: &str) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database_url,
                "--log-format",
                "json",
                "--ddm-open",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ringmaster serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = loop {
            assert!(
                Instant::now() < deadline,
                "the server did not report its address"
            );
            let Some(Ok(line)) = lines.next() else {
                panic!("the server exited before listening");
            };
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && let Some(address) = event["fields"]["address"].as_str()
            {
                break address.to_owned();
            }
        };
        // Keep draining the log so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        ServerProcess {
            child,
            base_url: format!("http://{address}"),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

on_each_backend!(a_killed_server_loses_no_acknowledged_write);
async fn a_killed_server_loses_no_acknowledged_write(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let token = "kill-test-token";
    database
        .store()
        .await
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "kill-test",
            token,
            jiff::Timestamp::now(),
        ))
        .await
        .unwrap();
    let mut server = ServerProcess::start(&database.url);
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/v1/title", server.base_url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(fixture("titles/JamfAdmin.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // Four writers add versions until the server dies under them.
    let started = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let client = client.clone();
            let base = server.base_url.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for sequence in 0.. {
                    let version = format!("10.1.0.{writer}.{sequence}");
                    let result = client
                        .post(format!(
                            "{base}/api/v1/title/JamfAdmin/version?after=10.1.0"
                        ))
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(version_body(&version))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    match result {
                        Ok(response) if response.status() == 201 => acknowledged.push(version),
                        Ok(response) => panic!("unexpected status {}", response.status()),
                        Err(_) => break,
                    }
                    if started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // SIGKILL: no graceful shutdown, no chance to flush anything.
    server.child.kill().expect("kill");
    server.child.wait().expect("wait");
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 4,
        "too few writes before the kill: {}",
        acknowledged.len()
    );

    let restarted = ServerProcess::start(&database.url);
    let title = client
        .get(format!("{}/api/v1/title/JamfAdmin", restarted.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(title.status(), 200);
    let title: Value = title.json().await.unwrap();
    let stored: Vec<&str> = title["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    for version in &acknowledged {
        assert!(
            stored.contains(&version.as_str()),
            "{backend:?}: acknowledged {version} was lost"
        );
    }
    // Nothing half-written: every stored version is whole and the feed serves the title.
    let feed: Value = client
        .get(format!("{}/v1/patch/JamfAdmin", restarted.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed["patches"].as_array().unwrap().len(), stored.len());
    for patch in feed["patches"].as_array().unwrap() {
        assert_eq!(patch["components"][0]["version"], patch["version"]);
    }
    eprintln!(
        "{backend:?}: {} acknowledged writes survived SIGKILL",
        acknowledged.len()
    );
}

#[tokio::test]
async fn migrate_moves_an_installation_between_backends_and_back() {
    if postgres_backend().is_none() {
        return;
    }
    let app = spawn_app(TestBackend::Sqlite).await;
    assert_eq!(
        app.create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.create_title(&fixture("titles/JavaSEDevelopmentKit8.json"))
            .await
            .status(),
        201
    );
    let pinned = app
        .admin(
            reqwest::Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
        )
        .json(&serde_json::json!({"version": "10.1.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.status(), 200);
    let before = json_body(app.get("/v1/software").await).await;
    let sqlite = app.stop().await;

    let postgres = TestDatabase::new(TestBackend::Postgres).await;
    let back = TestDatabase::new(TestBackend::Sqlite).await;
    for (from, to) in [(&sqlite.url, &postgres.url), (&postgres.url, &back.url)] {
        let output = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
            .args(["migrate", "--from", from, "--to", to])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "migrate failed: {stderr}");
        assert!(
            stderr.contains("Migrated 2 title(s) and 1 token(s)"),
            "{stderr}"
        );
    }
    // Into a database that is not empty: refused.
    let again = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
        .args(["migrate", "--from", &sqlite.url, "--to", &back.url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    let restored = crate::support::spawn_app_on(back, AppOptions::default()).await;
    let after = json_body(restored.get("/v1/software").await).await;
    assert_eq!(
        before, after,
        "lastModified, currentVersion (pinned) and titles survive the round trip"
    );
    restored.stop().await;
}

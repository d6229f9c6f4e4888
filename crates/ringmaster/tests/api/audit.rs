//! The audit log through the real server: every kind of change through the admin API leaves one
//! entry (who, when by the application clock, what route and object, before and after, secrets
//! redacted), a refused write leaves none, a change whose entry cannot be written is not made,
//! `GET /api/v1/audit` filters and refuses bad
//! parameters by name, old entries are pruned by the retention round, and a full backup carries
//! the entries into a fresh installation. `audit_cli.rs` covers the CLI.

use std::time::Duration;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use ringmaster::audit::Retention;
use ringmaster::audit::prune::AuditPruneConfig;
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{
    AppOptions, TestApp, TestBackend, admin_json, fixture, json_body, spawn_app_with,
};

const START: &str = "2025-11-12T09:00:00Z";

fn options(clock: &Clock) -> AppOptions {
    AppOptions {
        clock: clock.clone(),
        ..AppOptions::default()
    }
}

/// The audit entries `query` selects, newest first.
async fn entries(app: &TestApp, query: &str) -> Vec<Value> {
    let body = admin_json(app, &format!("/api/v1/audit{query}")).await;
    body["entries"].as_array().expect("entries").clone()
}

/// The one entry whose action is `action`, asserting there is exactly one.
fn one<'a>(entries: &'a [Value], action: &str) -> &'a Value {
    let found: Vec<&Value> = entries
        .iter()
        .filter(|entry| entry["action"] == action)
        .collect();
    assert_eq!(found.len(), 1, "one entry for {action}: {entries:#?}");
    found[0]
}

async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn lab_policy() -> Value {
    json!({
        "name": "Lab Macs", "platform": "macOS",
        "deferrals": {"majorDays": 30, "minorDays": 7, "systemDays": 3},
        "enforcement": {"enabled": true, "gracePeriodDays": 5, "localTime": "18:30", "scope": "sameMajor"},
        "updatePermissions": "adminsOnly",
        "notifications": "oneHourBeforeDeadline",
        "automaticActions": {"download": "alwaysOn", "installOSUpdates": "alwaysOn", "installSecurityResponse": "alwaysOn"},
        "rapidSecurityResponse": {"offer": true, "allowRollback": false},
        "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": []}
    })
}

fn version_10_3_0() -> Vec<u8> {
    fixture("versions/JamfAdmin-10.3.0.json")
}

on_each_backend!(every_kind_of_change_is_recorded_and_a_refused_one_is_not);
async fn every_kind_of_change_is_recorded_and_a_refused_one_is_not(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let app = spawn_app_with(backend, options(&clock)).await;

    // Titles: create, add a version, disable, delete.
    let response = app.create_title(&fixture("titles/JamfAdmin.json")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    clock.advance(SignedDuration::from_secs(60));
    ok(
        app.admin(Method::POST, "/api/v1/title/JamfAdmin/version")
            .header("content-type", "application/json")
            .body(version_10_3_0())
            .send()
            .await
            .unwrap(),
        "add version",
    )
    .await;
    ok(
        app.admin(Method::POST, "/api/v1/title/JamfAdmin/disable")
            .send()
            .await
            .unwrap(),
        "disable",
    )
    .await;
    // A refused write (an unknown version) changes nothing and is not recorded.
    let refused = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin/version/99.0")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    let all = entries(&app, "?object=title/JamfAdmin").await;
    assert_eq!(all.len(), 3, "{backend:?}: {all:#?}");
    let created = one(&all, "POST /api/v1/title");
    assert_eq!(created["at"], START, "{backend:?}: the application clock");
    assert_eq!(created["actor"]["kind"], "token");
    assert!(created["actor"]["tokenId"].as_i64().is_some());
    assert!(
        created["actor"]["name"]
            .as_str()
            .unwrap()
            .starts_with("test-")
    );
    assert_eq!(
        created["object"],
        json!({"kind": "title", "id": "JamfAdmin"})
    );
    assert_eq!(created["outcome"], "done");
    assert_eq!(created["status"], 201);
    assert_eq!(created["before"], Value::Null);
    assert_eq!(
        created["after"]["versions"],
        json!(["10.2.0", "10.1.1", "10.1.0"])
    );
    let added = one(&all, "POST /api/v1/title/{id}/version");
    assert_eq!(added["at"], "2025-11-12T09:01:00Z");
    assert_eq!(
        added["before"]["versions"],
        json!(["10.2.0", "10.1.1", "10.1.0"])
    );
    assert_eq!(
        added["after"]["versions"],
        json!(["10.3.0", "10.2.0", "10.1.1", "10.1.0"])
    );
    assert!(
        added["after"]["revision"].as_i64() > added["before"]["revision"].as_i64(),
        "{added}"
    );
    let disabled = one(&all, "POST /api/v1/title/{id}/disable");
    assert_eq!(disabled["before"]["enabled"], true);
    assert_eq!(disabled["after"]["enabled"], false);
    // Newest first.
    assert_eq!(all[0]["action"], "POST /api/v1/title/{id}/disable");

    let response = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let deleted = entries(&app, "?object=JamfAdmin&limit=1").await;
    assert_eq!(deleted[0]["action"], "DELETE /api/v1/title/{id}");
    assert_eq!(deleted[0]["before"]["enabled"], false);
    assert_eq!(deleted[0]["after"], Value::Null);

    // The OS-update side.
    ok(
        import(&app, fixture("catalog/macos-26-autumn-2025.json")).await,
        "import",
    )
    .await;
    let rings = ok(
        app.admin(Method::POST, "/api/v1/policy-groups/defaults")
            .send()
            .await
            .unwrap(),
        "rings",
    )
    .await;
    let early = rings["policyGroups"][1]["id"].as_i64().unwrap();
    let policy = ok(
        send(&app, Method::POST, "/api/v1/policies", &lab_policy()).await,
        "policy",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mut changed = lab_policy();
    changed["deferrals"]["minorDays"] = 14.into();
    ok(
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/policies/{policy}"),
            &changed,
        )
        .await,
        "policy edit",
    )
    .await;
    // Refused: a stale If-Match (412) and an invalid document (400).
    let stale = app
        .admin(Method::PUT, &format!("/api/v1/policies/{policy}"))
        .header("content-type", "application/json")
        .header("if-match", "\"1\"")
        .body(serde_json::to_vec(&lab_policy()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let invalid = send(&app, Method::POST, "/api/v1/policies", &json!({"name": 3})).await;
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);

    let policies = entries(&app, &format!("?object=policy/{policy}")).await;
    assert_eq!(policies.len(), 2, "{backend:?}: {policies:#?}");
    let edit = one(&policies, "PUT /api/v1/policies/{id}");
    assert_eq!(edit["before"]["deferrals"]["minorDays"], 7);
    assert_eq!(edit["after"]["deferrals"]["minorDays"], 14);
    let create = one(&policies, "POST /api/v1/policies");
    assert_eq!(
        create["object"]["id"],
        policy.to_string(),
        "id from the answer"
    );
    assert_eq!(create["after"]["name"], "Lab Macs");

    for (path, body) in [
        (
            "/api/v1/devices",
            json!({"id": "mac-1", "platform": "macOS", "osVersion": "26.0"}),
        ),
        (
            "/api/v1/device-groups",
            json!({"name": "Lab", "devices": ["mac-1"]}),
        ),
    ] {
        ok(send(&app, Method::POST, path, &body).await, path).await;
    }
    ok(
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{early}/bindings"),
            &json!({"devices": ["mac-1"]}),
        )
        .await,
        "bindings",
    )
    .await;
    let response = app
        .admin(Method::DELETE, "/api/v1/devices/mac-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let release = app
        .admin(Method::DELETE, "/api/v1/catalog/macOS/26.0.1")
        .send()
        .await
        .unwrap();
    assert!(release.status().is_success(), "{}", release.status());

    // A webhook whose URL carries credentials: never stored in the log.
    let hook = ok(
        send(
            &app,
            Method::POST,
            "/api/v1/webhooks",
            &json!({"url": "https://jamf:hunter2@hooks.example/patch?key=s3cret"}),
        )
        .await,
        "webhook",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let response = app
        .admin(Method::DELETE, &format!("/api/v1/webhooks/{hook}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let log = entries(&app, "?limit=1000").await;
    let actions: Vec<&str> = log
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    for action in [
        "POST /api/v1/catalog/import",
        "POST /api/v1/policy-groups/defaults",
        "POST /api/v1/devices",
        "POST /api/v1/device-groups",
        "PUT /api/v1/policy-groups/{id}/bindings",
        "DELETE /api/v1/devices/{id}",
        "DELETE /api/v1/catalog/{platform}/{version}",
        "POST /api/v1/webhooks",
        "DELETE /api/v1/webhooks/{id}",
    ] {
        one(&log, action);
    }
    assert_eq!(actions.len(), 15, "{backend:?}: {actions:#?}");
    let bindings = one(&log, "PUT /api/v1/policy-groups/{id}/bindings");
    assert_eq!(bindings["object"]["id"], early.to_string());
    assert_eq!(bindings["after"]["devices"], json!(["mac-1"]));
    let device_delete = one(&log, "DELETE /api/v1/devices/{id}");
    assert_eq!(device_delete["before"]["id"], "mac-1");
    let release_delete = one(&log, "DELETE /api/v1/catalog/{platform}/{version}");
    assert_eq!(release_delete["object"]["id"], "macOS:26.0.1");
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
    let hook_delete = one(&log, "DELETE /api/v1/webhooks/{id}");
    assert_eq!(
        hook_delete["before"]["url"],
        "https://[redacted]@hooks.example/patch?[redacted]"
    );
    for entry in &log {
        assert_eq!(entry["outcome"], "done", "{entry}");
        assert_eq!(
            entry["actor"], log[0]["actor"],
            "one token made every change"
        );
    }
    // Reads are not changes.
    assert!(!text.contains("\"GET "));
}

on_each_backend!(the_filters_select_and_bad_parameters_are_named);
async fn the_filters_select_and_bad_parameters_are_named(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let app = spawn_app_with(backend, options(&clock)).await;
    for title in ["titles/JamfAdmin.json", "titles/JavaSEDevelopmentKit8.json"] {
        assert_eq!(
            app.create_title(&fixture(title)).await.status(),
            StatusCode::CREATED
        );
        clock.advance(SignedDuration::from_hours(1));
    }
    let all = entries(&app, "").await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0]["object"]["id"], "JavaSEDevelopmentKit8",
        "newest first"
    );
    let name = all[0]["actor"]["name"].as_str().unwrap().to_owned();

    let since = entries(&app, "?since=2025-11-12T09:30:00Z").await;
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["object"]["id"], "JavaSEDevelopmentKit8");
    assert_eq!(entries(&app, "?object=JamfAdmin").await.len(), 1);
    assert_eq!(entries(&app, "?object=policy/JamfAdmin").await.len(), 0);
    assert_eq!(entries(&app, &format!("?token={name}")).await.len(), 2);
    assert_eq!(entries(&app, "?token=cli").await.len(), 0);
    assert_eq!(entries(&app, "?token=someone-else").await.len(), 0);
    assert_eq!(entries(&app, "?limit=1").await.len(), 1);

    for (query, parameter) in [
        ("?since=yesterday", "since"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=ten", "limit"),
        ("?object=", "object"),
        ("?object=/x", "object"),
        ("?token=", "token"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/audit{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body = json_body(response).await;
        assert_eq!(
            body["errors"][0]["parameter"], parameter,
            "{backend:?} {query}: {body}"
        );
    }
    let anonymous = app.get("/api/v1/audit").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

on_each_backend!(entries_past_the_retention_are_pruned);
async fn entries_past_the_retention_are_pruned(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let app = spawn_app_with(
        backend,
        AppOptions {
            audit: AuditPruneConfig {
                retention: Retention(Some(Duration::from_secs(86_400))),
                every: Duration::from_millis(50),
            },
            ..options(&clock)
        },
    )
    .await;
    assert_eq!(
        app.create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Within the retention, rounds keep it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(entries(&app, "").await.len(), 1, "{backend:?}");

    clock.advance(SignedDuration::from_hours(36));
    assert_eq!(
        app.create_title(&fixture("titles/JavaSEDevelopmentKit8.json"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut left = Vec::new();
    for _ in 0..100 {
        left = entries(&app, "").await;
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left.len(), 1, "{backend:?}: {left:#?}");
    assert_eq!(left[0]["object"]["id"], "JavaSEDevelopmentKit8");
}

on_each_backend!(a_full_backup_carries_the_audit_log_into_a_fresh_installation);
async fn a_full_backup_carries_the_audit_log_into_a_fresh_installation(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let source = spawn_app_with(backend, options(&clock)).await;
    assert_eq!(
        source
            .create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        StatusCode::CREATED
    );
    ok(
        send(&source, Method::POST, "/api/v1/policies", &lab_policy()).await,
        "policy",
    )
    .await;
    let before = entries(&source, "").await;
    assert_eq!(before.len(), 2);
    let backup = source
        .admin(Method::GET, "/api/v1/backup")
        .send()
        .await
        .unwrap();
    assert_eq!(backup.status(), StatusCode::OK);
    let zip = backup.bytes().await.unwrap().to_vec();

    clock.advance(SignedDuration::from_hours(1));
    let target = spawn_app_with(backend, options(&clock)).await;
    let restored = target
        .admin(Method::POST, "/api/v1/restore")
        .header("content-type", "application/zip")
        .body(zip.clone())
        .send()
        .await
        .unwrap();
    let status = restored.status();
    let report = json_body(restored).await;
    assert!(status.is_success(), "{backend:?}: {status} {report}");
    assert_eq!(report["osUpdates"]["auditAdded"], 2, "{report}");

    let after = entries(&target, "").await;
    assert_eq!(after.len(), 3, "{backend:?}: {after:#?}");
    let restore = &after[0];
    assert_eq!(restore["action"], "POST /api/v1/restore");
    assert_eq!(restore["object"]["kind"], "installation");
    assert_eq!(restore["after"]["osUpdates"]["auditAdded"], 2);
    for (copied, original) in after[1..].iter().zip(&before) {
        for key in [
            "at", "actor", "action", "object", "before", "after", "status",
        ] {
            assert_eq!(copied[key], original[key], "{backend:?} {key}");
        }
    }

    // Restoring the same backup again adds nothing twice.
    let again = target
        .admin(Method::POST, "/api/v1/restore?replace=true")
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    let report = json_body(again).await;
    assert_eq!(report["osUpdates"]["auditSkipped"], 2, "{report}");
    assert_eq!(entries(&target, "").await.len(), 4);
}

/// Runs `sql` on the test database directly, behind the server's back.
async fn execute(database: &crate::support::TestDatabase, sql: &'static str) {
    use sqlx::Connection;
    match database.backend {
        TestBackend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&database.url)
                .await
                .unwrap();
            sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
        }
        TestBackend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&database.url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
        }
    }
}

on_each_backend!(a_change_that_cannot_be_recorded_is_not_made);
async fn a_change_that_cannot_be_recorded_is_not_made(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let app = spawn_app_with(backend, options(&clock)).await;
    execute(
        &app.database,
        "ALTER TABLE audit_log RENAME TO audit_log_away",
    )
    .await;
    let refused = app.create_title(&fixture("titles/JamfAdmin.json")).await;
    assert_eq!(
        refused.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "{backend:?}: no entry, no change"
    );
    execute(
        &app.database,
        "ALTER TABLE audit_log_away RENAME TO audit_log",
    )
    .await;
    let title = app
        .admin(Method::GET, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    assert_eq!(title.status(), StatusCode::NOT_FOUND, "{backend:?}");
    assert!(entries(&app, "").await.is_empty());
    // Reads go on regardless.
    assert_eq!(
        app.admin(Method::GET, "/api/v1/title")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

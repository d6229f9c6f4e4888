//! PatchServer's webhook API (`GET`/`POST /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`):
//! its shapes and status codes, hostile input refused by pointer with nothing changed, the admin
//! token required; webhooks carried by a full backup (one the API would refuse is refused there
//! too, and an older backup without them still restores); `ringmaster webhook` doing the same.
//! On both backends. `webhook_delivery.rs` covers what receivers get.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backup_full::{entries, full_backup, zip_of};
use crate::backup_restore::restore;
use crate::cli::ringmaster;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, json_body, spawn_app};

pub(crate) async fn add_webhook(app: &TestApp, body: &Value) -> i64 {
    let response = send(app, Method::POST, "/api/v1/webhooks", body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "POST {body}");
    let text = response.text().await.unwrap();
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        text,
        format!("{{\n  \"id\": {}\n}}\n", created["id"]),
        "PatchServer's answer, pretty"
    );
    created["id"].as_i64().unwrap()
}

pub(crate) async fn list_webhooks(app: &TestApp) -> Value {
    let response = app
        .admin(Method::GET, "/api/v1/webhooks")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

/// The pointers of a 400's errors.
async fn refused_at(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|error| error["pointer"].as_str().unwrap_or_default().to_owned())
        .collect()
}

on_each_backend!(
    webhooks_are_created_listed_and_deleted_as_patchserver_answers_and_bad_ones_change_nothing
);
async fn webhooks_are_created_listed_and_deleted_as_patchserver_answers_and_bad_ones_change_nothing(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let empty = app
        .admin(Method::GET, "/api/v1/webhooks")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(empty.text().await.unwrap(), "[]\n");

    let first = add_webhook(&app, &json!({"url": "https://hooks.example/in"})).await;
    let second = add_webhook(
        &app,
        &json!({"url": "http://10.0.0.5:8080/patch?key=1", "enabled": false,
                "verify_ssl": false, "send_definition": true}),
    )
    .await;
    assert_ne!(first, second);
    let listed = app
        .admin(Method::GET, "/api/v1/webhooks")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = json!([
        {"id": first, "url": "https://hooks.example/in", "enabled": true,
         "verify_ssl": true, "send_definition": false},
        {"id": second, "url": "http://10.0.0.5:8080/patch?key=1", "enabled": false,
         "verify_ssl": false, "send_definition": true},
    ]);
    assert_eq!(
        listed,
        serde_json::to_string_pretty(&expected).unwrap() + "\n"
    );

    let duplicate = send(
        &app,
        Method::POST,
        "/api/v1/webhooks",
        &json!({"url": "https://hooks.example/in", "enabled": false}),
    )
    .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let body = json_body(duplicate).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("https://hooks.example/in"),
        "{body}"
    );

    let too_long = format!("https://hooks.example/{}", "a".repeat(300));
    for (body, pointers) in [
        (json!({"url": too_long}), vec!["/url"]),
        (json!({"url": "ftp://hooks.example/"}), vec!["/url"]),
        (json!({"url": "https:///no-host"}), vec!["/url"]),
        (json!({"url": "hooks.example"}), vec!["/url"]),
        (json!({"url": 5}), vec!["/url"]),
        (json!({}), vec!["/url"]),
        (
            json!({"url": "https://new.example/", "enabled": "yes", "send_definition": 1}),
            vec!["/enabled", "/send_definition"],
        ),
        (
            json!({"url": "https://new.example/", "secret": "x"}),
            vec!["/secret"],
        ),
        (json!(["https://new.example/"]), vec![""]),
    ] {
        let response = send(&app, Method::POST, "/api/v1/webhooks", &body).await;
        assert_eq!(refused_at(response).await, pointers, "{body}");
    }
    let why = send(
        &app,
        Method::POST,
        "/api/v1/webhooks",
        &json!({"url": "ftp://hooks.example/"}),
    )
    .await;
    let why = json_body(why).await;
    assert!(
        why["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("http:// or https://"),
        "{why}"
    );
    let syntax = app
        .admin(Method::POST, "/api/v1/webhooks")
        .header("content-type", "application/json")
        .body("{\"url\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(syntax.status(), StatusCode::BAD_REQUEST);
    let form = app
        .admin(Method::POST, "/api/v1/webhooks")
        .header("content-type", "text/plain")
        .body("url=https://new.example/")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(list_webhooks(&app).await, expected, "nothing changed");

    for (method, path) in [
        (Method::GET, "/api/v1/webhooks".to_owned()),
        (Method::POST, "/api/v1/webhooks".to_owned()),
        (Method::DELETE, format!("/api/v1/webhooks/{first}")),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .header("content-type", "application/json")
            .body(r#"{"url": "https://sneaky.example/"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    assert_eq!(list_webhooks(&app).await, expected, "nothing changed");

    let path = format!("/api/v1/webhooks/{first}");
    let deleted = app.admin(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for path in [
        path.as_str(),
        "/api/v1/webhooks/999",
        "/api/v1/webhooks/abc",
    ] {
        let again = app.admin(Method::DELETE, path).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(json_body(again).await["status"], 404);
    }
    assert_eq!(list_webhooks(&app).await, json!([expected[1]]));
    app.stop().await;
}

async fn backup_round_trip(backend: TestBackend) {
    let source = spawn_app(backend).await;
    assert_eq!(
        source
            .create_title(&crate::support::fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let kept = add_webhook(&source, &json!({"url": "https://kept.example/"})).await;
    let gone = add_webhook(&source, &json!({"url": "https://gone.example/"})).await;
    let last = add_webhook(
        &source,
        &json!({"url": "https://last.example/", "send_definition": true, "verify_ssl": false}),
    )
    .await;
    let deleted = source
        .admin(Method::DELETE, &format!("/api/v1/webhooks/{gone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let hooks = list_webhooks(&source).await;
    let zip = full_backup(&source).await;
    let files = entries(&zip);
    let (_, webhooks_file) = files
        .iter()
        .find(|(name, _)| name == "ringmaster/webhooks.json")
        .expect("the backup holds ringmaster/webhooks.json");
    let rows: Value = serde_json::from_slice(webhooks_file).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    source.stop().await;

    // A webhook the API would refuse is refused in a backup too, naming its file.
    let spoiled: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, content)| {
            let content = if name == "ringmaster/webhooks.json" {
                String::from_utf8_lossy(content)
                    .replace("https://kept.example/", "ftp://kept.example/")
                    .into_bytes()
            } else {
                content.clone()
            };
            (name.clone(), content)
        })
        .collect();
    let target = spawn_app(backend).await;
    let refused = restore(&target, "", zip_of(&spoiled)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = json_body(refused).await;
    assert_eq!(
        refused["errors"][0]["file"], "ringmaster/webhooks.json",
        "{refused}"
    );
    assert_eq!(list_webhooks(&target).await, json!([]), "nothing restored");
    assert_eq!(
        target.get("/jamf/v1/software").await.text().await.unwrap(),
        "[]\n"
    );
    let restored = restore(&target, "", zip.clone()).await;
    assert_eq!(restored.status(), StatusCode::CREATED);
    let report = json_body(restored).await;
    assert_eq!(report["osUpdates"]["webhooksAdded"], 2, "{report}");
    assert_eq!(list_webhooks(&target).await, hooks, "ids and flags kept");
    assert_eq!(hooks[0]["id"], kept);
    assert_eq!(hooks[1]["id"], last);
    let next = add_webhook(&target, &json!({"url": "https://new.example/"})).await;
    assert!(next > last, "new ids follow the restored ones");
    target.stop().await;

    // A backup made before webhooks were kept has no webhooks.json: it still restores.
    let older: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|(name, _)| name != "ringmaster/webhooks.json")
        .collect();
    let target = spawn_app(backend).await;
    let restored = restore(&target, "", zip_of(&older)).await;
    assert_eq!(restored.status(), StatusCode::CREATED);
    assert_eq!(list_webhooks(&target).await, json!([]));
    target.stop().await;
}

on_each_backend!(a_full_backup_carries_the_webhooks_and_an_older_one_without_them_restores);
async fn a_full_backup_carries_the_webhooks_and_an_older_one_without_them_restores(
    backend: TestBackend,
) {
    backup_round_trip(backend).await;
}

async fn from_the_command_line(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let database = app.database.url.clone();
    let added = ringmaster(&[
        "webhook",
        "add",
        "--url",
        "https://cli.example/hook",
        "--send-definition",
        "--database",
        &database,
    ])
    .await;
    assert_eq!(added.code, 0, "{added:?}");
    let id: i64 = added
        .stdout
        .trim()
        .parse()
        .expect("the id alone on its line");
    let expected = json!([{"id": id, "url": "https://cli.example/hook", "enabled": true,
                           "verify_ssl": true, "send_definition": true}]);
    assert_eq!(list_webhooks(&app).await, expected, "the server sees it");
    let listed = ringmaster(&["webhook", "list", "--database", &database]).await;
    assert_eq!(listed.code, 0, "{listed:?}");
    assert_eq!(
        listed.stdout,
        serde_json::to_string_pretty(&expected).unwrap() + "\n"
    );
    let refused = ringmaster(&[
        "webhook",
        "add",
        "--url",
        "ftp://cli.example/",
        "--database",
        &database,
    ])
    .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .lines()
            .any(|line| line.starts_with("/url: ") && line.contains("http://")),
        "{refused:?}"
    );
    let id = id.to_string();
    let deleted = ringmaster(&["webhook", "delete", &id, "--database", &database]).await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let again = ringmaster(&["webhook", "delete", &id, "--database", &database]).await;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("does not exist"), "{again:?}");
    assert_eq!(list_webhooks(&app).await, json!([]));
    app.stop().await;
}

on_each_backend!(ringmaster_webhook_adds_lists_and_deletes_what_the_server_serves);
async fn ringmaster_webhook_adds_lists_and_deletes_what_the_server_serves(backend: TestBackend) {
    from_the_command_line(backend).await;
}

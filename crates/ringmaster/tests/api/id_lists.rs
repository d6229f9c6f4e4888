//! Large id lists: a device group and bindings of a whole fleet (100,000 ids, the most one list
//! may hold) are written in linear time while the server keeps answering, a longer list is a 400
//! naming the list, and positions in errors are the caller's even with duplicates.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::ids::MAX_IDS_PER_LIST;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::DeviceDocument;
use serde_json::{Value, json};

use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, json_body, spawn_app};

fn fleet_id(index: usize) -> String {
    format!("00008101-{index:016X}")
}

/// Creates `count` devices straight through the store (the API would take a request each).
async fn create_fleet(app: &TestApp, count: usize) -> Vec<String> {
    let ids: Vec<String> = (0..count).map(fleet_id).collect();
    let devices: Vec<DeviceDocument> = ids
        .iter()
        .map(|id| DeviceDocument {
            id: DeviceId::parse(id).unwrap(),
            platform: Platform::Ios,
            os_version: AppleOsVersion::parse("26.0").unwrap(),
            os_build: None,
            model: None,
            software_update_device_id: None,
        })
        .collect();
    let store = app.database.store().await;
    store
        .upsert_devices(&devices, jiff::Timestamp::now())
        .await
        .expect("create the fleet");
    ids
}

/// The pointers of a 400's errors.
async fn refused_pointers(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["pointer"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Sends `body` to `path` while polling `/v1/` (each poll must answer within a few seconds);
/// returns the response and how many polls were answered while the request was in flight.
async fn send_while_polling(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &Value,
) -> (StatusCode, Value, usize) {
    let request = app
        .admin(method, path)
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(Duration::from_secs(300))
        .send();
    let big = tokio::spawn(request);
    let mut overlapping = 0;
    while !big.is_finished() {
        let polled = app
            .client
            .get(app.url("/v1/"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("/v1/ answers while a large list is written");
        assert_eq!(polled.status(), StatusCode::OK);
        if !big.is_finished() {
            overlapping += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = big.await.expect("join").expect("the large request");
    let status = response.status();
    (status, json_body(response).await, overlapping)
}

on_each_backend!(
    a_fleet_sized_group_and_bindings_are_written_while_the_server_keeps_answering,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn a_fleet_sized_group_and_bindings_are_written_while_the_server_keeps_answering(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let fleet = create_fleet(&app, MAX_IDS_PER_LIST).await;
    // Duplicates are allowed and stored once; the list holds exactly the limit.
    let mut members = fleet.clone();
    members[MAX_IDS_PER_LIST - 1] = fleet[0].clone();

    let started = Instant::now();
    let (status, group, overlapping) = send_while_polling(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Whole fleet", "devices": members}),
    )
    .await;
    eprintln!(
        "{backend:?}: a group of {MAX_IDS_PER_LIST} ids took {:?}; /v1/ answered {overlapping} times meanwhile",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(
        group["devices"].as_array().map(Vec::len),
        Some(MAX_IDS_PER_LIST - 1)
    );
    let group_id = group["id"].as_i64().unwrap();

    let policy = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &json!({"name": "Fleet", "platform": "iOS"}),
    )
    .await;
    assert_eq!(policy.status(), StatusCode::CREATED);
    let policy_id = json_body(policy).await["id"].as_i64().unwrap();
    let started = Instant::now();
    let (status, bindings, overlapping) = send_while_polling(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{policy_id}/bindings"),
        &json!({"devices": fleet, "deviceGroups": vec![group_id; MAX_IDS_PER_LIST]}),
    )
    .await;
    eprintln!(
        "{backend:?}: bindings of {MAX_IDS_PER_LIST} devices and {MAX_IDS_PER_LIST} group ids took {:?}; /v1/ answered {overlapping} times meanwhile",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::OK, "{bindings}");
    assert_eq!(
        bindings["devices"].as_array().map(Vec::len),
        Some(MAX_IDS_PER_LIST)
    );
    assert_eq!(bindings["deviceGroups"], json!([group_id]));

    // Replacing the group with the fleet in another order changes one member only.
    let mut reversed = fleet.clone();
    reversed.reverse();
    let (status, replaced, _) = send_while_polling(
        &app,
        Method::PUT,
        &format!("/api/v1/device-groups/{group_id}"),
        &json!({"name": "Whole fleet", "devices": reversed}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(
        replaced["devices"].as_array().map(Vec::len),
        Some(MAX_IDS_PER_LIST)
    );
}

on_each_backend!(a_list_longer_than_the_limit_is_refused_naming_the_list_and_nothing_is_written);
async fn a_list_longer_than_the_limit_is_refused_naming_the_list_and_nothing_is_written(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let fleet = create_fleet(&app, 3).await;
    let too_many: Vec<String> = (0..=MAX_IDS_PER_LIST)
        .map(|index| fleet[index % 3].clone())
        .collect();
    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Too many", "devices": too_many}),
    )
    .await;
    assert_eq!(refused_pointers(response).await, vec!["/devices"]);
    assert_eq!(admin_json(&app, "/api/v1/device-groups").await, json!([]));

    let policy = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &json!({"name": "Fleet", "platform": "iOS"}),
    )
    .await;
    let policy_id = json_body(policy).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/policies/{policy_id}/bindings");
    let response = send(
        &app,
        Method::PUT,
        &path,
        &json!({"devices": too_many, "deviceGroups": vec![1; MAX_IDS_PER_LIST + 1]}),
    )
    .await;
    let body = json_body(response).await;
    let messages: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .all(|message| message.contains("at most 100000")),
        "{messages:?}"
    );
    assert_eq!(body["errors"][0]["pointer"], "/devices");
    assert_eq!(body["errors"][1]["pointer"], "/deviceGroups");
    assert_eq!(
        admin_json(&app, &path).await,
        json!({"devices": [], "deviceGroups": []})
    );
}

on_each_backend!(unknown_members_are_named_at_the_position_sent_even_after_duplicates);
async fn unknown_members_are_named_at_the_position_sent_even_after_duplicates(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let fleet = create_fleet(&app, 2).await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Lab", "devices": [fleet[0], fleet[0], fleet[1], "ghost", fleet[1]]}),
    )
    .await;
    assert_eq!(refused_pointers(response).await, vec!["/devices/3"]);
    let policy = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &json!({"name": "Lab", "platform": "iOS"}),
    )
    .await;
    let policy_id = json_body(policy).await["id"].as_i64().unwrap();
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{policy_id}/bindings"),
        &json!({"devices": [fleet[1], fleet[1], "ghost"], "deviceGroups": [7, 7]}),
    )
    .await;
    assert_eq!(
        refused_pointers(response).await,
        vec!["/devices/2", "/deviceGroups/0", "/deviceGroups/1"]
    );
}

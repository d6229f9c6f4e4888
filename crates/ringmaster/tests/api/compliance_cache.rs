//! Compliance served from memory: after each kind of change (a status report, a legacy
//! mechanism, a binding, a catalog import, a pause and its end, an exemption, time passing a
//! deadline) the answer without `?at=` (the server's index) equals the one computed directly with
//! `?at=` the same instant; a status report through another server is seen at once; the device
//! lines are paged with the counts unchanged; device groups are listed with member counts.

use std::time::Duration;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::ddm_protocol::{SECRET, check_in, mac_report, options};
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, json_body, load_rings, spawn_app_with};

fn feed(releases: &[(&str, &str, &str)]) -> Vec<u8> {
    let assets: Vec<Value> = releases
        .iter()
        .map(|(version, build, posted)| {
            json!({"ProductVersion": version, "Build": build, "PostingDate": posted,
                   "SupportedDevices": ["J413AP"]})
        })
        .collect();
    serde_json::to_vec(&json!({"AssetSets": {"macOS": assets}})).unwrap()
}

/// The cached answers (policy `policy`'s and the macOS rings') after checking that each
/// equals the one computed directly at the same instant.
async fn same(app: &TestApp, policy: i64, step: &str) -> Value {
    let cached = admin_json(app, &format!("/api/v1/policies/{policy}/compliance")).await;
    let at = cached["evaluatedAt"].as_str().unwrap().to_owned();
    let fresh = admin_json(
        app,
        &format!("/api/v1/policies/{policy}/compliance?at={at}"),
    )
    .await;
    assert_eq!(cached, fresh, "{step}: the cached policy answer");
    let rings = admin_json(app, "/api/v1/policy-groups/compliance?platform=macOS").await;
    let at = rings["evaluatedAt"].as_str().unwrap().to_owned();
    let fresh_rings = admin_json(
        app,
        &format!("/api/v1/policy-groups/compliance?platform=macOS&at={at}"),
    )
    .await;
    assert_eq!(rings, fresh_rings, "{step}: the cached rings answer");
    cached
}

fn states(answer: &Value) -> Vec<(String, String)> {
    answer["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["id"].as_str().unwrap().to_owned(),
                line["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn state_of(answer: &Value, device: &str) -> String {
    states(answer)
        .into_iter()
        .find(|(id, _)| id == device)
        .map(|(_, state)| state)
        .unwrap_or_else(|| panic!("{device} not in {answer}"))
}

async fn ok(response: reqwest::Response, step: &str) -> Value {
    let status = response.status();
    let body = json_body(response).await;
    assert!(status.is_success(), "{step}: {status} {body}");
    body
}

/// Catalog, rings, four Macs on 26.0.1 reporting, the first three bound to Early Adoption;
/// returns the app, the ring's id and its macOS policy's id.
async fn fleet(backend: TestBackend, clock: &Clock) -> (TestApp, i64, i64) {
    let app = spawn_app_with(backend, options(clock, Some(SECRET))).await;
    ok(
        import(
            &app,
            feed(&[
                ("26.0.1", "25A362", "2025-09-29"),
                ("26.1", "25B78", "2025-11-03"),
            ]),
        )
        .await,
        "import",
    )
    .await;
    let early = load_rings(&app).await[1];
    for device in ["mac-1", "mac-2", "mac-3", "mac-4"] {
        let response = check_in(
            &app,
            Method::PUT,
            "status",
            device,
            Some(&mac_report("26.0.1", true)),
        )
        .await;
        assert!(response.status().is_success(), "{device}");
    }
    ok(
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{early}/bindings"),
            &json!({"devices": ["mac-1", "mac-2", "mac-3"]}),
        )
        .await,
        "bind",
    )
    .await;
    let rings = admin_json(&app, "/api/v1/policy-groups/compliance?platform=macOS").await;
    let policy = rings["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ring| ring["ring"] == "Early Adoption")
        .unwrap()["policy"]["id"]
        .as_i64()
        .unwrap();
    (app, early, policy)
}

on_each_backend!(the_cached_answer_equals_a_fresh_computation_after_each_kind_of_change);
async fn the_cached_answer_equals_a_fresh_computation_after_each_kind_of_change(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let (app, early, policy) = fleet(backend, &clock).await;
    let answer = same(&app, policy, "start").await;
    assert_eq!(
        states(&answer),
        [
            ("mac-1", "pending"),
            ("mac-2", "pending"),
            ("mac-3", "pending")
        ]
        .map(|(id, state)| (id.to_owned(), state.to_owned()))
        .to_vec(),
        "{answer}"
    );
    assert_eq!(answer["counts"]["pending"], 3);

    // A status report: mac-1's install failed.
    let failed = json!({"StatusItems": {"softwareupdate": {
        "install-state": "failed", "failure-reason": {"count": 1, "reason": "no space"}}}});
    check_in(&app, Method::PUT, "status", "mac-1", Some(&failed)).await;
    let answer = same(&app, policy, "status report").await;
    assert_eq!(state_of(&answer, "mac-1"), "failed", "{answer}");
    assert_eq!(answer["devices"][0]["installState"], "failed");

    // A legacy mechanism on mac-2.
    ok(
        send(
            &app,
            Method::POST,
            "/api/v1/devices/mac-2/legacy-mechanisms",
            &json!({"kind": "patchPolicy", "name": "macOS Updates (Jamf)"}),
        )
        .await,
        "legacy",
    )
    .await;
    let answer = same(&app, policy, "legacy mechanism").await;
    assert_eq!(answer["counts"]["legacyConflict"], 1, "{answer}");

    // A binding: mac-4 joins the ring.
    ok(
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{early}/bindings"),
            &json!({"devices": ["mac-1", "mac-2", "mac-3", "mac-4"]}),
        )
        .await,
        "rebind",
    )
    .await;
    let answer = same(&app, policy, "binding").await;
    assert_eq!(state_of(&answer, "mac-4"), "pending", "{answer}");

    // A device reports a newer OS (its row changes): up to date.
    check_in(
        &app,
        Method::PUT,
        "status",
        "mac-3",
        Some(&mac_report("26.1", true)),
    )
    .await;
    let answer = same(&app, policy, "device row").await;
    assert_eq!(state_of(&answer, "mac-3"), "upToDate", "{answer}");

    // A catalog import: a newer release.
    ok(
        import(
            &app,
            feed(&[
                ("26.0.1", "25A362", "2025-09-29"),
                ("26.1", "25B78", "2025-11-03"),
                ("26.1.1", "25B99", "2025-11-05"),
            ]),
        )
        .await,
        "import 26.1.1",
    )
    .await;
    let answer = same(&app, policy, "catalog import").await;
    let fresh_status = admin_json(&app, "/api/v1/devices/mac-3/status").await;
    assert_eq!(
        answer["devices"][2]["targetVersion"], fresh_status["targetVersion"],
        "{answer}"
    );

    // A pause, then its resumption.
    ok(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/policy-groups/{early}/pause"),
            &json!({"reason": "bad build"}),
        )
        .await,
        "pause",
    )
    .await;
    let answer = same(&app, policy, "pause").await;
    assert_eq!(state_of(&answer, "mac-4"), "paused", "{answer}");
    ok(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/policy-groups/{early}/resume"),
            &json!({}),
        )
        .await,
        "resume",
    )
    .await;
    let answer = same(&app, policy, "resume").await;
    assert_eq!(state_of(&answer, "mac-4"), "pending", "{answer}");

    // An exemption of mac-2 for two days.
    ok(
        send(
            &app,
            Method::POST,
            "/api/v1/devices/mac-2/exemptions",
            &json!({"until": "2025-11-14T09:00:00Z", "reason": "travelling"}),
        )
        .await,
        "exempt",
    )
    .await;
    let answer = same(&app, policy, "exemption").await;
    assert_eq!(state_of(&answer, "mac-2"), "exempt", "{answer}");

    // Time passes the exemption's end: pending again, no write in between.
    clock.set("2025-11-14T09:00:01Z".parse().unwrap());
    let answer = same(&app, policy, "exemption ended").await;
    assert_eq!(state_of(&answer, "mac-2"), "pending", "{answer}");

    // Time passes the deadline: overdue.
    let deadline = answer["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["id"] == "mac-4")
        .unwrap()["deadline"]
        .as_str()
        .unwrap()
        .to_owned();
    let instant: jiff::Timestamp = format!("{deadline}Z").parse().unwrap();
    clock.set(instant);
    let answer = same(&app, policy, "at the deadline").await;
    assert_eq!(state_of(&answer, "mac-4"), "pending", "{answer}");
    clock.advance(SignedDuration::from_secs(1));
    let answer = same(&app, policy, "past the deadline").await;
    assert_eq!(state_of(&answer, "mac-4"), "overdue", "{answer}");
    assert_eq!(state_of(&answer, "mac-1"), "failed", "{answer}");
}

on_each_backend!(the_device_lines_are_paged_with_the_counts_unchanged);
async fn the_device_lines_are_paged_with_the_counts_unchanged(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let (app, _, policy) = fleet(backend, &clock).await;
    let failed = json!({"StatusItems": {"softwareupdate": {"install-state": "failed"}}});
    check_in(&app, Method::PUT, "status", "mac-2", Some(&failed)).await;
    let path = format!("/api/v1/policies/{policy}/compliance");
    let all = admin_json(&app, &path).await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["next"], Value::Null);

    let first = admin_json(&app, &format!("{path}?limit=2")).await;
    assert_eq!(
        first["counts"], all["counts"],
        "the counts are the policy's"
    );
    assert_eq!(first["total"], 3);
    assert_eq!(
        first["devices"],
        json!(all["devices"].as_array().unwrap()[..2])
    );
    assert_eq!(first["next"], "mac-2");
    let second = admin_json(&app, &format!("{path}?limit=2&after=mac-2")).await;
    assert_eq!(
        states(&second),
        [("mac-3".to_owned(), "pending".to_owned())]
    );
    assert_eq!(second["next"], Value::Null);

    let only = admin_json(&app, &format!("{path}?state=failed")).await;
    assert_eq!(states(&only), [("mac-2".to_owned(), "failed".to_owned())]);
    assert_eq!(only["total"], 1);
    assert_eq!(only["counts"], all["counts"]);
    // The same page computed directly.
    let at = only["evaluatedAt"].as_str().unwrap();
    assert_eq!(
        admin_json(&app, &format!("{path}?state=failed&at={at}")).await,
        only
    );

    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=many", "limit"),
        ("state=late", "state"),
        ("after=%00", "after"),
    ] {
        let response = app
            .admin(Method::GET, &format!("{path}?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body = json_body(response).await;
        assert_eq!(body["errors"][0]["parameter"], parameter, "{query}: {body}");
    }
}

on_each_backend!(device_groups_are_listed_with_member_counts);
async fn device_groups_are_listed_with_member_counts(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let (app, _, _) = fleet(backend, &clock).await;
    for (name, devices) in [("two", json!(["mac-1", "mac-2"])), ("none", json!([]))] {
        ok(
            send(
                &app,
                Method::POST,
                "/api/v1/device-groups",
                &json!({"name": name, "devices": devices}),
            )
            .await,
            name,
        )
        .await;
    }
    let full = admin_json(&app, "/api/v1/device-groups").await;
    let summary = admin_json(&app, "/api/v1/device-groups?summary=true").await;
    let summary = summary.as_array().unwrap();
    assert_eq!(summary.len(), 2);
    for (group, brief) in full.as_array().unwrap().iter().zip(summary) {
        assert_eq!(brief["id"], group["id"]);
        assert_eq!(brief["name"], group["name"]);
        assert_eq!(brief["revision"], group["revision"]);
        assert_eq!(
            brief["memberCount"],
            group["devices"].as_array().unwrap().len()
        );
        assert!(brief.get("devices").is_none(), "{brief}");
    }
    let response = app
        .admin(Method::GET, "/api/v1/device-groups?summary=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A member deleted through another server (whose timer never refreshes this one) is no
    // longer counted by this server's next answer.
    let other = crate::cluster::second_server(&app.database.url, Duration::from_secs(3600)).await;
    let response = reqwest::Client::new()
        .delete(format!("http://{}/api/v1/devices/mac-2", other.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let summary = admin_json(&app, "/api/v1/device-groups?summary=true").await;
    assert_eq!(summary[0]["name"], "two", "{summary}");
    assert_eq!(summary[0]["memberCount"], 1, "{summary}");
    assert_eq!(summary[1]["memberCount"], 0, "{summary}");
}

on_each_backend!(a_report_through_another_server_is_counted_at_once);
async fn a_report_through_another_server_is_counted_at_once(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let (app, _, policy) = fleet(backend, &clock).await;
    let before = same(&app, policy, "before").await;
    assert_eq!(state_of(&before, "mac-3"), "pending");
    // Slow refreshes on the other server: nothing it does reaches the first by its timer.
    let other = crate::cluster::second_server(&app.database.url, Duration::from_secs(3600)).await;
    let client = reqwest::Client::new();
    let response = client
        .put(format!("http://{}/ddm/status", other.address))
        .header("X-Enrollment-ID", "mac-3")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&mac_report("26.1", true)).unwrap())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let after = admin_json(&app, &format!("/api/v1/policies/{policy}/compliance")).await;
    assert_eq!(state_of(&after, "mac-3"), "upToDate", "{after}");
    assert_eq!(after["counts"]["upToDate"], 1, "{after}");
    // A device deleted through the other server is gone at once too.
    let response = client
        .delete(format!("http://{}/api/v1/devices/mac-3", other.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = same(&app, policy, "deleted elsewhere").await;
    assert_eq!(after["total"], 2, "{after}");
    assert_eq!(after["counts"]["upToDate"], 0, "{after}");
}

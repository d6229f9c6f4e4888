//! Devices, device groups, bindings, the effective policy, the declarations a device is served,
//! and the rollout plan, over the project's sample catalog (macOS 26, autumn 2025).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, fixture, json_body, load_rings, spawn_app};

pub(crate) async fn create_device(app: &TestApp, id: &str, platform: &str, version: &str) {
    let response = send(
        app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": id, "platform": platform, "osVersion": version, "model": "J413AP"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED, "device {id}");
}

async fn create_group(app: &TestApp, name: &str, devices: &[&str]) -> i64 {
    let response = send(
        app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": name, "devices": devices}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED, "group {name}");
    json_body(response).await["id"].as_i64().unwrap()
}

pub(crate) async fn bind_group(app: &TestApp, group: i64, devices: &[&str], device_groups: &[i64]) {
    let response = send(
        app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{group}/bindings"),
        &json!({"devices": devices, "deviceGroups": device_groups}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(devices_and_groups_are_created_and_refused_with_pointers);
async fn devices_and_groups_are_created_and_refused_with_pointers(backend: TestBackend) {
    let app = spawn_app(backend).await;
    create_device(&app, "mac-1", "macOS", "26.0.1").await;
    let device = admin_json(&app, "/api/v1/devices/mac-1").await;
    assert_eq!(device["osVersion"], "26.0.1");
    assert_eq!(device["model"], "J413AP");

    let again = send(
        &app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": "mac-1", "platform": "macOS", "osVersion": "26.0"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let bad = send(
        &app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": "x", "platform": "watchOS", "osVersion": "26.x"}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body = json_body(bad).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, vec!["/platform", "/osVersion"]);

    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Lab", "devices": ["mac-1", "ghost"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    assert_eq!(body["errors"][0]["pointer"], "/devices/1");
    assert!(
        admin_json(&app, "/api/v1/device-groups")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    let group = create_group(&app, "Lab", &["mac-1"]).await;
    let again = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Lab", "devices": []}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        admin_json(&app, &format!("/api/v1/device-groups/{group}")).await["devices"],
        json!(["mac-1"])
    );

    let listed = admin_json(&app, "/api/v1/devices").await;
    assert_eq!(listed["devices"].as_array().unwrap().len(), 1);
    let response = app
        .admin(Method::DELETE, "/api/v1/devices/mac-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        admin_json(&app, &format!("/api/v1/device-groups/{group}")).await["devices"],
        json!([])
    );
    let response = app
        .admin(Method::GET, "/api/v1/devices/mac-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

on_each_backend!(bindings_to_unknown_targets_are_refused_and_nothing_is_bound);
async fn bindings_to_unknown_targets_are_refused_and_nothing_is_bound(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let rings = load_rings(&app).await;
    create_device(&app, "mac-1", "macOS", "26.0.1").await;
    let path = format!("/api/v1/policy-groups/{}/bindings", rings[0]);
    let response = send(
        &app,
        Method::PUT,
        &path,
        &json!({"devices": ["mac-1", "ghost"], "deviceGroups": [999]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, vec!["/devices/1", "/deviceGroups/0"]);
    assert_eq!(
        admin_json(&app, &path).await,
        json!({"devices": [], "deviceGroups": []})
    );

    let response = send(
        &app,
        Method::PUT,
        "/api/v1/policy-groups/999/bindings",
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = send(
        &app,
        Method::PUT,
        "/api/v1/policies/999/bindings",
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    bind_group(&app, rings[0], &["mac-1"], &[]).await;
    bind_group(&app, rings[0], &[], &[]).await;
    assert_eq!(
        admin_json(&app, &path).await,
        json!({"devices": [], "deviceGroups": []}),
        "PUT replaces"
    );
}

on_each_backend!(the_effective_policy_follows_the_precedence_and_reports_conflicts);
async fn the_effective_policy_follows_the_precedence_and_reports_conflicts(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let rings = load_rings(&app).await;
    create_device(&app, "mac-1", "macOS", "26.0.1").await;
    create_device(&app, "ipad-1", "iOS", "26.0.1").await;
    let lab = create_group(&app, "Lab", &["mac-1", "ipad-1"]).await;

    let none = admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await;
    assert_eq!(none["policy"], Value::Null);
    assert!(none["reason"].as_str().unwrap().contains("no policy"));

    // General Adoption for the whole lab: each platform gets its own ring policy.
    bind_group(&app, rings[2], &[], &[lab]).await;
    let mac = admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await;
    assert_eq!(mac["policy"]["name"], "General Adoption (macOS)");
    assert_eq!(mac["conflict"], false);
    assert_eq!(mac["routes"][0]["via"], "deviceGroup");
    assert_eq!(mac["routes"][0]["deviceGroup"]["name"], "Lab");
    assert_eq!(
        mac["ignored"][0]["policy"]["name"],
        "General Adoption (iOS)"
    );
    let ipad = admin_json(&app, "/api/v1/devices/ipad-1/effective-policy").await;
    assert_eq!(ipad["policy"]["name"], "General Adoption (iOS)");

    // Late Adoption through the same group: the later ring wins.
    bind_group(&app, rings[3], &[], &[lab]).await;
    let mac = admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await;
    assert_eq!(mac["policy"]["name"], "Late Adoption (macOS)");
    assert_eq!(mac["conflict"], true);
    assert_eq!(
        mac["overruled"][0]["policy"]["name"],
        "General Adoption (macOS)"
    );
    assert_eq!(mac["overruled"][0]["rule"], "ring");

    // Vanguard bound to the device itself beats both.
    bind_group(&app, rings[0], &["mac-1"], &[]).await;
    let mac = admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await;
    assert_eq!(mac["policy"]["name"], "Vanguard (macOS)");
    let rules: Vec<&str> = mac["overruled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["directness", "directness"]);
    assert!(
        mac["reason"]
            .as_str()
            .unwrap()
            .contains("Vanguard (macOS) wins over 2 other policies")
    );
}

on_each_backend!(each_ring_sees_26_1_after_its_deferral_and_must_install_it_by_its_deadline);
/// The README's worked example: on 2025-11-10 (UTC), what each ring's Mac on 26.0.1 sees of
/// macOS 26.1 (released 2025-11-03), and by when it must install it.
async fn each_ring_sees_26_1_after_its_deferral_and_must_install_it_by_its_deadline(
    backend: TestBackend,
) {
    let expected = [
        // ring, visible on, deadline, enforced on 2025-11-10
        ("mac-vanguard", "2025-11-04", Some("2025-11-07T17:00:00")),
        ("mac-early", "2025-11-10", Some("2025-11-17T17:00:00")),
        ("mac-general", "2025-11-18", None),
        ("mac-late", "2025-12-03", None),
    ];
    let app = spawn_app(backend).await;
    assert_eq!(
        import(&app, fixture("catalog/macos-26-autumn-2025.json"))
            .await
            .status(),
        StatusCode::OK
    );
    let rings = load_rings(&app).await;
    for ((device, _, _), ring) in expected.iter().zip(&rings) {
        create_device(&app, device, "macOS", "26.0.1").await;
        bind_group(&app, *ring, &[device], &[]).await;
    }
    for (device, visible_on, deadline) in expected {
        let served = admin_json(
            &app,
            &format!("/api/v1/devices/{device}/declarations?at=2025-11-10T12:00:00Z"),
        )
        .await;
        let schedule = &served["schedule"];
        let release = schedule["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["version"] == "26.1")
            .unwrap();
        assert_eq!(release["visibleOn"], visible_on, "{device}");
        let declarations = served["declarations"].as_array().unwrap();
        let enforcement: Vec<&Value> = declarations
            .iter()
            .filter(|d| d["Type"] == "com.apple.configuration.softwareupdate.enforcement.specific")
            .collect();
        match deadline {
            Some(deadline) => {
                assert_eq!(enforcement.len(), 1, "{device}");
                assert_eq!(enforcement[0]["Payload"]["TargetOSVersion"], "26.1");
                assert_eq!(enforcement[0]["Payload"]["TargetBuildVersion"], "25B78");
                assert_eq!(
                    enforcement[0]["Payload"]["TargetLocalDateTime"], deadline,
                    "{device}"
                );
                assert_eq!(schedule["deadline"], deadline);
            }
            None => assert!(enforcement.is_empty(), "{device} has nothing enforced yet"),
        }
        let types: Vec<&str> = declarations
            .iter()
            .map(|d| d["Type"].as_str().unwrap())
            .collect();
        for kind in [
            "com.apple.configuration.softwareupdate.settings",
            "com.apple.configuration.management.status-subscriptions",
            "com.apple.activation.simple",
        ] {
            assert_eq!(
                types.iter().filter(|t| **t == kind).count(),
                1,
                "{device}: {kind}"
            );
        }
        for declaration in declarations {
            assert!(declaration["Identifier"].as_str().unwrap().len() <= 64);
            assert_eq!(declaration["ServerToken"].as_str().unwrap().len(), 32);
        }
    }

    // The same instant gives the same tokens; a later instant that changes the target, new ones.
    let token = |body: &Value| body["declarationsToken"].as_str().unwrap().to_owned();
    let at = |when: &str| format!("/api/v1/devices/mac-late/declarations?at={when}");
    let first = admin_json(&app, &at("2025-11-10T12:00:00Z")).await;
    assert_eq!(
        token(&first),
        token(&admin_json(&app, &at("2025-11-10T12:00:00Z")).await)
    );
    assert_eq!(
        token(&first),
        token(&admin_json(&app, &at("2025-11-20T12:00:00Z")).await),
        "nothing visible changed"
    );
    let late = admin_json(&app, &at("2025-12-03T00:00:00Z")).await;
    assert_ne!(token(&first), token(&late));
    assert_eq!(late["schedule"]["deadline"], "2025-12-13T17:00:00");

    let response = app
        .admin(Method::GET, &at("next-tuesday"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(response).await["errors"][0]["parameter"], "at");
}

on_each_backend!(the_plan_shows_every_ring_as_json_and_as_a_picture);
async fn the_plan_shows_every_ring_as_json_and_as_a_picture(backend: TestBackend) {
    let app = spawn_app(backend).await;
    import(&app, fixture("catalog/macos-26-autumn-2025.json")).await;
    let rings = load_rings(&app).await;
    let plan = admin_json(
        &app,
        "/api/v1/policy-groups/plan?platform=macOS&from=2025-11-01&to=2025-12-31",
    )
    .await;
    let policies = plan["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 4);
    assert_eq!(policies[0]["ring"], "Vanguard");
    let release_261 = |ring: &Value| {
        ring["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["version"] == "26.1")
            .cloned()
            .unwrap()
    };
    assert_eq!(release_261(&policies[1])["visibleOn"], "2025-11-10");
    assert_eq!(
        release_261(&policies[3])["enforcedBy"],
        "2025-12-13T17:00:00"
    );

    let group = admin_json(&app, &format!("/api/v1/policy-groups/{}", rings[1])).await;
    let policy_id = group["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == "macOS")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let one = admin_json(
        &app,
        &format!("/api/v1/policies/{policy_id}/plan?from=2025-11-01&to=2025-12-31"),
    )
    .await;
    assert_eq!(one["policies"].as_array().unwrap().len(), 1);
    assert_eq!(one["policies"][0], policies[1]);

    let response = app
        .admin(
            Method::GET,
            &format!("/api/v1/policies/{policy_id}/plan?from=2025-11-01&to=2025-12-31&format=svg"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = response.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..60.min(svg.len())]
    );
    assert!(svg.contains("Early Adoption") && svg.contains("26.1"));

    for (query, parameter) in [
        ("from=2025-13-01", "from"),
        ("from=2025-12-01&to=2025-11-01", "to"),
        ("format=png", "format"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/policy-groups/plan?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            json_body(response).await["errors"][0]["parameter"],
            parameter
        );
    }
}

on_each_backend!(groups_are_replaced_and_deleted_and_devices_are_listed_page_by_page);
async fn groups_are_replaced_and_deleted_and_devices_are_listed_page_by_page(backend: TestBackend) {
    let app = spawn_app(backend).await;
    for index in 0..5 {
        create_device(&app, &format!("mac-{index}"), "macOS", "26.0").await;
    }
    let group = create_group(&app, "Lab", &["mac-0"]).await;
    let path = format!("/api/v1/device-groups/{group}");
    let response = send(
        &app,
        Method::PUT,
        &path,
        &json!({"name": "Lab 2", "devices": ["mac-1", "mac-2"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let replaced = json_body(response).await;
    assert_eq!(replaced["name"], "Lab 2");
    assert_eq!(replaced["devices"], json!(["mac-1", "mac-2"]));
    let response = send(
        &app,
        Method::PUT,
        &path,
        &json!({"name": "Lab 2", "devices": ["mac-9"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        admin_json(&app, &path).await["devices"],
        json!(["mac-1", "mac-2"]),
        "a refused write changes nothing"
    );
    let response = send(
        &app,
        Method::PUT,
        "/api/v1/device-groups/999",
        &json!({"name": "X", "devices": []}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A policy bound to the group, then the group deleted: the binding goes with it.
    let policy = json_body(
        send(
            &app,
            Method::POST,
            "/api/v1/policies",
            &json!({"name": "P", "platform": "macOS"}),
        )
        .await,
    )
    .await;
    let bindings = format!("/api/v1/policies/{}/bindings", policy["id"]);
    assert_eq!(
        send(
            &app,
            Method::PUT,
            &bindings,
            &json!({"deviceGroups": [group]})
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        admin_json(&app, &bindings).await["deviceGroups"],
        json!([group])
    );
    assert_eq!(
        admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await["policy"]["name"],
        "P"
    );
    assert_eq!(
        app.admin(Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.admin(Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(admin_json(&app, &bindings).await["deviceGroups"], json!([]));
    assert_eq!(
        admin_json(&app, "/api/v1/devices/mac-1/effective-policy").await["policy"],
        Value::Null
    );

    let first = admin_json(&app, "/api/v1/devices?limit=2").await;
    let ids = |page: &Value| -> Vec<String> {
        page["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), vec!["mac-0", "mac-1"]);
    assert_eq!(first["next"], "mac-1");
    let second = admin_json(&app, "/api/v1/devices?limit=2&after=mac-1").await;
    assert_eq!(ids(&second), vec!["mac-2", "mac-3"]);
    let last = admin_json(&app, "/api/v1/devices?limit=2&after=mac-3").await;
    assert_eq!(ids(&last), vec!["mac-4"]);
    assert_eq!(last["next"], Value::Null);
    let response = app
        .admin(Method::GET, "/api/v1/devices?limit=0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

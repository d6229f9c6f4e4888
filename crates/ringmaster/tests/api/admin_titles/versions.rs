//! Versions: added newest or in version order, placed with `?after=`/`?before=`, refused with
//! their pointers, read, deleted, and the pinned one protected.

use super::*;

// ---------------------------------------------------------------------------------------------
// Versions

on_each_backend!(adding_a_newer_version_answers_201_and_makes_it_current_everywhere);
async fn adding_a_newer_version_answers_201_and_makes_it_current_everywhere(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = add_version(&app, "", &fixture(VERSION_10_3_0)).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let status = json_body(response).await;
    assert_eq!(status["currentVersion"], "10.3.0");
    assert_eq!(
        strings(&status["versions"]),
        ["10.3.0", "10.2.0", "10.1.1", "10.1.0"]
    );
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.3.0", "10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}"
    );
    assert_current_version_everywhere(&app, "JamfAdmin", "10.3.0", &format!("{backend:?}")).await;
    app.stop().await;
}

on_each_backend!(adding_an_existing_version_is_refused_with_409_wherever_it_would_go);
async fn adding_an_existing_version_is_refused_with_409_wherever_it_would_go(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    assert_eq!(
        add_version(&app, "", &fixture(VERSION_10_3_0))
            .await
            .status(),
        201
    );
    let before = status_of(&app, "JamfAdmin").await;
    // AutoPkg's NotifyPatchServer posts the same version again and reads 409 as "already there".
    for query in ["", "?after=10.1.0", "?before=10.2.0"] {
        let body = expect_error(
            add_version(&app, query, &fixture(VERSION_10_3_0)).await,
            409,
            &format!("{backend:?} duplicate 10.3.0 {query}"),
        )
        .await;
        assert!(
            body["message"].as_str().unwrap().contains("10.3.0"),
            "{backend:?}: {body}"
        );
    }
    expect_error(
        add_version(&app, "", &version("10.1.1")).await,
        409,
        &format!("{backend:?} duplicate 10.1.1"),
    )
    .await;
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    app.stop().await;
}

on_each_backend!(an_older_version_without_a_position_is_inserted_in_version_order);
async fn an_older_version_without_a_position_is_inserted_in_version_order(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = add_version(&app, "", &version("10.1.5")).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let status = status_of(&app, "JamfAdmin").await;
    assert_eq!(
        status["versions"],
        json!(["10.2.0", "10.1.5", "10.1.1", "10.1.0"]),
        "{backend:?}: {status}"
    );
    assert_eq!(status["currentVersion"], "10.2.0", "{backend:?}: {status}");

    let body = expect_error(
        add_version(&app, "", &version("10.02.0")).await,
        400,
        &format!("{backend:?} tie 10.02.0"),
    )
    .await;
    assert_eq!(
        body["errors"][0]["pointer"], "/version",
        "{backend:?}: {body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("10.2.0") && message.contains("?after=") && message.contains("?before="),
        "{backend:?}: the reason and both ways to place it: {message}"
    );
    assert_eq!(status_of(&app, "JamfAdmin").await, status, "{backend:?}");
    app.stop().await;
}

on_each_backend!(after_and_before_insert_a_version_at_that_position);
async fn after_and_before_insert_a_version_at_that_position(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let steps = [
        (
            "?after=10.2.0",
            "10.1.5",
            vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0"],
        ),
        (
            "?before=10.1.0",
            "10.1.0.1",
            vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0.1", "10.1.0"],
        ),
        (
            "?after=10.1.0",
            "9.99",
            vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0.1", "10.1.0", "9.99"],
        ),
    ];
    for (query, number, expected) in steps {
        let response = add_version(&app, query, &version(number)).await;
        assert_eq!(response.status(), 201, "{backend:?} {query} {number}");
        let status = json_body(response).await;
        assert_eq!(
            strings(&status["versions"]),
            expected,
            "{backend:?} admin {query}"
        );
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            expected,
            "{backend:?} served after {query}"
        );
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.2.0",
            &format!("{backend:?} {query}"),
        )
        .await;
    }
    // Placed above the top, by the curator's choice, it becomes current even if not "newer".
    let response = add_version(&app, "?before=10.2.0", &version("10.2.0 (hotfix)")).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await[..2],
        ["10.2.0 (hotfix)", "10.2.0"]
    );
    assert_current_version_everywhere(
        &app,
        "JamfAdmin",
        "10.2.0 (hotfix)",
        &format!("{backend:?}"),
    )
    .await;
    // Versions with spaces and parentheses work as path segments and anchors, exactly.
    let read = send(
        &app,
        Method::GET,
        "/api/v1/title/JamfAdmin/version/10.2.0%20(hotfix)",
    )
    .await;
    assert_eq!(read.status(), 200, "{backend:?}");
    assert_eq!(json_body(read).await["version"], "10.2.0 (hotfix)");
    let response = add_version(
        &app,
        "?after=10.2.0%20(hotfix)",
        &version("10.2.0 (hotfix 2)"),
    )
    .await;
    assert_eq!(response.status(), 201, "{backend:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await[..3],
        ["10.2.0 (hotfix)", "10.2.0 (hotfix 2)", "10.2.0"],
        "{backend:?}"
    );
    app.stop().await;
}

on_each_backend!(giving_both_after_and_before_is_refused_naming_the_parameter);
async fn giving_both_after_and_before_is_refused_naming_the_parameter(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let body = expect_error(
        add_version(&app, "?after=10.1.1&before=10.2.0", &version("10.1.5")).await,
        400,
        &format!("{backend:?} both"),
    )
    .await;
    let parameter = body["errors"][0]["parameter"].as_str();
    assert!(
        matches!(parameter, Some("after" | "before")),
        "{backend:?}: errors[0].parameter names after or before: {body}"
    );
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    app.stop().await;
}

on_each_backend!(an_anchor_version_that_does_not_exist_is_refused_naming_the_parameter);
async fn an_anchor_version_that_does_not_exist_is_refused_naming_the_parameter(
    backend: TestBackend,
) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    // "10.2" is not "10.2.0": versions are matched exactly.
    for (parameter, anchor) in [("after", "9.9.9"), ("before", "9.9.9"), ("after", "10.2")] {
        let body = expect_error(
            add_version(&app, &format!("?{parameter}={anchor}"), &version("10.1.5")).await,
            400,
            &format!("{backend:?} ?{parameter}={anchor}"),
        )
        .await;
        assert_eq!(
            body["errors"][0]["parameter"], parameter,
            "{backend:?}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains(anchor),
            "{backend:?}: {body}"
        );
    }
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    app.stop().await;
}

on_each_backend!(a_version_naming_an_unknown_extension_attribute_is_refused_with_its_pointer);
async fn a_version_naming_an_unknown_extension_attribute_is_refused_with_its_pointer(
    backend: TestBackend,
) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let mut patch: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
    patch["components"][0]["criteria"][1] = json!({
        "name": "jamf-patch-JamfAdmin",
        "operator": "is",
        "value": "10.3.0",
        "type": "extensionAttribute"
    });
    let body = expect_error(
        add_version(&app, "", &serde_json::to_vec(&patch).unwrap()).await,
        400,
        &format!("{backend:?} unknown EA"),
    )
    .await;
    assert_eq!(
        pointers(&body),
        ["/components/0/criteria/1/name"],
        "{backend:?}: {body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("jamf-patch-JamfAdmin"),
        "{backend:?}: {body}"
    );
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    app.stop().await;
}

on_each_backend!(an_invalid_version_object_is_refused_with_every_error_pointer);
async fn an_invalid_version_object_is_refused_with_every_error_pointer(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let mut patch: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
    patch.as_object_mut().unwrap().remove("releaseDate");
    patch["reboot"] = json!("false");
    let body = expect_error(
        add_version(&app, "", &serde_json::to_vec(&patch).unwrap()).await,
        400,
        &format!("{backend:?} invalid version"),
    )
    .await;
    let mut found = pointers(&body);
    found.sort_unstable();
    assert_eq!(found, ["/reboot", "/releaseDate"], "{backend:?}: {body}");

    // And to a title that does not exist: 404.
    let response = send_json(
        &app,
        Method::POST,
        "/api/v1/title/Missing/version",
        &fixture(VERSION_10_3_0),
    )
    .await;
    expect_error(
        response,
        404,
        &format!("{backend:?} version of unknown title"),
    )
    .await;
    app.stop().await;
}

on_each_backend!(reading_one_version_returns_it_as_submitted);
async fn reading_one_version_returns_it_as_submitted(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    assert_eq!(
        add_version(&app, "", &fixture(VERSION_10_3_0))
            .await
            .status(),
        201
    );
    let response = send(&app, Method::GET, "/api/v1/title/JamfAdmin/version/10.3.0").await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let read = json_body(response).await;
    let submitted: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
    assert_eq!(read, submitted, "{backend:?}");

    // A disabled version can still be read by admins.
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.0/disable"
        )
        .await
        .status(),
        200
    );
    let disabled = send(&app, Method::GET, "/api/v1/title/JamfAdmin/version/10.1.0").await;
    assert_eq!(disabled.status(), 200, "{backend:?}");
    assert_eq!(json_body(disabled).await["version"], "10.1.0");

    for path in [
        "/api/v1/title/JamfAdmin/version/10.3",
        "/api/v1/title/JamfAdmin/version/9.9.9",
        "/api/v1/title/Missing/version/10.3.0",
    ] {
        expect_error(
            send(&app, Method::GET, path).await,
            404,
            &format!("{backend:?} GET {path}"),
        )
        .await;
    }
    app.stop().await;
}

on_each_backend!(deleting_a_version_answers_204_and_stops_serving_it);
async fn deleting_a_version_answers_204_and_stops_serving_it(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = send(
        &app,
        Method::DELETE,
        "/api/v1/title/JamfAdmin/version/10.2.0",
    )
    .await;
    assert_eq!(response.status(), 204, "{backend:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.1.1", "10.1.0"],
        "{backend:?}"
    );
    assert_current_version_everywhere(&app, "JamfAdmin", "10.1.1", &format!("{backend:?}")).await;
    for path in [
        "/api/v1/title/JamfAdmin/version/10.2.0",
        "/api/v1/title/JamfAdmin/version/1.0",
        "/api/v1/title/Missing/version/10.1.1",
    ] {
        expect_error(
            send(&app, Method::DELETE, path).await,
            404,
            &format!("{backend:?} DELETE {path}"),
        )
        .await;
    }
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.1.1", "10.1.0"]
    );
    app.stop().await;
}

on_each_backend!(the_pinned_version_can_be_neither_deleted_nor_disabled);
async fn the_pinned_version_can_be_neither_deleted_nor_disabled(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = send_json(
        &app,
        Method::PUT,
        "/api/v1/title/JamfAdmin/current-version",
        br#"{"version": "10.1.1"}"#,
    )
    .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let before = status_of(&app, "JamfAdmin").await;
    let body = expect_error(
        send(
            &app,
            Method::DELETE,
            "/api/v1/title/JamfAdmin/version/10.1.1",
        )
        .await,
        409,
        &format!("{backend:?} delete pinned"),
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("pinned"),
        "{body}"
    );
    expect_error(
        send(
            &app,
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.1/disable",
        )
        .await,
        409,
        &format!("{backend:?} disable pinned"),
    )
    .await;
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"]
    );
    app.stop().await;
}

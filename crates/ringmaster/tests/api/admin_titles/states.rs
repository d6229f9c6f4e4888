//! Enabling, disabling and pinning titles and versions, and `lastModified` moving forward with
//! every change and only then.

use super::*;

// ---------------------------------------------------------------------------------------------
// Enabling, disabling and pinning

on_each_backend!(a_disabled_title_is_not_served_but_stays_in_the_admin_list);
async fn a_disabled_title_is_not_served_but_stays_in_the_admin_list(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    assert_eq!(app.create_title(&fixture(JAVA)).await.status(), 201);
    let response = send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable").await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let status = json_body(response).await;
    assert_eq!(status["enabled"], false);
    assert_eq!(status["served"], false);

    assert!(
        summary(&app, "JamfAdmin").await.is_none(),
        "{backend:?}: still in /software"
    );
    assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_some());
    for base in ["/v1", "/jamf/v1"] {
        let response = app.get(&format!("{base}/patch/JamfAdmin")).await;
        let body = expect_error(response, 404, &format!("{backend:?} {base}/patch")).await;
        assert_eq!(body["message"], "Not Found");
        let by_id = json_body(app.get(&format!("{base}/software/JamfAdmin")).await).await;
        assert_eq!(by_id, json!([]), "{backend:?} {base}/software/JamfAdmin");
    }
    let listed = status_of(&app, "JamfAdmin").await;
    assert_eq!(listed["served"], false, "{backend:?}");
    assert_eq!(listed["enabled"], false, "{backend:?}");
    assert_eq!(
        send(&app, Method::GET, "/api/v1/title/JamfAdmin")
            .await
            .status(),
        200,
        "{backend:?}: admins still read it"
    );

    let response = send(&app, Method::POST, "/api/v1/title/JamfAdmin/enable").await;
    assert_eq!(response.status(), 200, "{backend:?}");
    assert_eq!(json_body(response).await["served"], true);
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}"
    );
    for path in [
        "/api/v1/title/Missing/enable",
        "/api/v1/title/Missing/disable",
    ] {
        expect_error(
            send(&app, Method::POST, path).await,
            404,
            &format!("{backend:?} {path}"),
        )
        .await;
    }
    app.stop().await;
}

on_each_backend!(a_disabled_version_is_not_served_and_current_version_moves_to_the_next);
async fn a_disabled_version_is_not_served_and_current_version_moves_to_the_next(
    backend: TestBackend,
) {
    let app = app_with_jamf_admin(backend).await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/title/JamfAdmin/version/10.2.0/disable",
    )
    .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let status = json_body(response).await;
    assert_eq!(strings(&status["disabledVersions"]), ["10.2.0"]);
    assert_eq!(
        strings(&status["versions"]),
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}: still stored"
    );
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.1.1", "10.1.0"],
        "{backend:?}"
    );
    assert_current_version_everywhere(&app, "JamfAdmin", "10.1.1", &format!("{backend:?}")).await;
    let definition = json_body(send(&app, Method::GET, "/api/v1/title/JamfAdmin").await).await;
    assert_eq!(
        versions_of(&definition["patches"]),
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}: the admin definition keeps disabled versions"
    );

    // Every version disabled: the title is not served at all.
    for number in ["10.1.1", "10.1.0"] {
        let path = format!("/api/v1/title/JamfAdmin/version/{number}/disable");
        assert_eq!(send(&app, Method::POST, &path).await.status(), 200);
    }
    assert!(served(&app, "JamfAdmin").await.is_none(), "{backend:?}");
    assert!(summary(&app, "JamfAdmin").await.is_none(), "{backend:?}");
    assert_eq!(status_of(&app, "JamfAdmin").await["served"], false);

    for number in ["10.1.0", "10.2.0"] {
        let path = format!("/api/v1/title/JamfAdmin/version/{number}/enable");
        assert_eq!(send(&app, Method::POST, &path).await.status(), 200);
    }
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.0"],
        "{backend:?}"
    );
    assert_current_version_everywhere(&app, "JamfAdmin", "10.2.0", &format!("{backend:?}")).await;
    for path in [
        "/api/v1/title/JamfAdmin/version/9.9.9/disable",
        "/api/v1/title/JamfAdmin/version/9.9.9/enable",
    ] {
        expect_error(
            send(&app, Method::POST, path).await,
            404,
            &format!("{backend:?} {path}"),
        )
        .await;
    }
    app.stop().await;
}

on_each_backend!(pinning_a_version_makes_it_current_everywhere_until_unpinned);
async fn pinning_a_version_makes_it_current_everywhere_until_unpinned(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = send_json(
        &app,
        Method::PUT,
        "/api/v1/title/JamfAdmin/current-version",
        br#"{"version": "10.1.1"}"#,
    )
    .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let status = json_body(response).await;
    assert_eq!(status["pinnedVersion"], "10.1.1");
    assert_current_version_everywhere(&app, "JamfAdmin", "10.1.1", &format!("{backend:?} pinned"))
        .await;
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}: pinning does not reorder or hide patches"
    );
    // A newer version added on top does not move the pin.
    assert_eq!(
        add_version(&app, "", &fixture(VERSION_10_3_0))
            .await
            .status(),
        201
    );
    assert_current_version_everywhere(
        &app,
        "JamfAdmin",
        "10.1.1",
        &format!("{backend:?} pinned + new"),
    )
    .await;

    let response = send(
        &app,
        Method::DELETE,
        "/api/v1/title/JamfAdmin/current-version",
    )
    .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let status = json_body(response).await;
    assert!(
        status.get("pinnedVersion").is_none_or(Value::is_null),
        "{status}"
    );
    assert_current_version_everywhere(
        &app,
        "JamfAdmin",
        "10.3.0",
        &format!("{backend:?} unpinned"),
    )
    .await;

    // Unpinned with the top version disabled: the first enabled one.
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.3.0/disable"
        )
        .await
        .status(),
        200
    );
    assert_current_version_everywhere(
        &app,
        "JamfAdmin",
        "10.2.0",
        &format!("{backend:?} top disabled"),
    )
    .await;
    app.stop().await;
}

on_each_backend!(pinning_a_disabled_unknown_or_missing_version_is_refused);
async fn pinning_a_disabled_unknown_or_missing_version_is_refused(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
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
    let before = status_of(&app, "JamfAdmin").await;
    let path = "/api/v1/title/JamfAdmin/current-version";

    let body = expect_error(
        send_json(&app, Method::PUT, path, br#"{"version": "10.1.0"}"#).await,
        400,
        &format!("{backend:?} pin disabled"),
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    expect_error(
        send_json(&app, Method::PUT, path, br#"{"version": "9.9.9"}"#).await,
        404,
        &format!("{backend:?} pin unknown"),
    )
    .await;
    for (body, what) in [
        (&br#"{}"#[..], "missing"),
        (br#"{"version": 10}"#, "number"),
    ] {
        let error = expect_error(
            send_json(&app, Method::PUT, path, body).await,
            400,
            &format!("{backend:?} pin body {what}"),
        )
        .await;
        assert_eq!(pointers(&error), ["/version"], "{backend:?}: {error}");
    }
    expect_error(
        send_json(
            &app,
            Method::PUT,
            "/api/v1/title/Missing/current-version",
            br#"{"version": "1"}"#,
        )
        .await,
        404,
        &format!("{backend:?} pin on unknown title"),
    )
    .await;
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// lastModified

on_each_backend!(last_modified_moves_forward_with_every_change);
async fn last_modified_moves_forward_with_every_change(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let mut previous = status_of(&app, "JamfAdmin").await["lastModified"]
        .as_str()
        .unwrap()
        .to_owned();
    let pin = br#"{"version": "10.1.1"}"#;
    let mut renamed: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    renamed["name"] = json!("Jamf Admin (renamed)");
    let renamed = serde_json::to_vec(&renamed).unwrap();
    let version_10_3_0 = fixture(VERSION_10_3_0);
    let version_10_1_5 = version("10.1.5");
    let changes: Vec<(Method, &str, Option<&[u8]>)> = vec![
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version",
            Some(&version_10_3_0),
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version?after=10.2.0",
            Some(&version_10_1_5),
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.5/disable",
            None,
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.5/enable",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
            Some(pin),
        ),
        (
            Method::DELETE,
            "/api/v1/title/JamfAdmin/current-version",
            None,
        ),
        (
            Method::DELETE,
            "/api/v1/title/JamfAdmin/version/10.1.5",
            None,
        ),
        (Method::PUT, "/api/v1/title/JamfAdmin", Some(&renamed)),
        (Method::POST, "/api/v1/title/JamfAdmin/disable", None),
        (Method::POST, "/api/v1/title/JamfAdmin/enable", None),
    ];
    for (method, path, body) in changes {
        let response = match body {
            Some(body) => send_json(&app, method.clone(), path, body).await,
            None => send(&app, method.clone(), path).await,
        };
        let what = format!("{backend:?} {method} {path}");
        assert!(
            response.status().is_success(),
            "{what}: {}",
            response.status()
        );
        let current = status_of(&app, "JamfAdmin").await["lastModified"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            current > previous,
            "{what}: lastModified {previous} → {current}"
        );
        if let Some(listed) = summary(&app, "JamfAdmin").await {
            assert_eq!(
                listed["lastModified"],
                current.as_str(),
                "{what}: /software"
            );
            assert_eq!(
                served(&app, "JamfAdmin").await.unwrap()["lastModified"],
                current.as_str(),
                "{what}: /patch"
            );
        }
        previous = current;
    }
    app.stop().await;
}

on_each_backend!(last_modified_and_etags_stay_put_after_a_no_op);
async fn last_modified_and_etags_stay_put_after_a_no_op(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    // Set up a state with a disabled version and a pin (real changes).
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.0/disable",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
            Some(&br#"{"version": "10.1.1"}"#[..]),
        ),
    ] {
        let response = match body {
            Some(body) => send_json(&app, method, path, body).await,
            None => send(&app, method, path).await,
        };
        assert_eq!(response.status(), 200, "{backend:?} {path}");
    }
    let settled = fingerprint(&app, "JamfAdmin").await;
    let patch_etag = etag(&app.get("/v1/patch/JamfAdmin").await);

    let pin = br#"{"version": "10.1.1"}"#;
    let same_definition = fixture(JAMF_ADMIN);
    let no_ops: Vec<(Method, &str, Option<&[u8]>)> = vec![
        (Method::POST, "/api/v1/title/JamfAdmin/enable", None),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.0/disable",
            None,
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/enable",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
            Some(pin),
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin",
            Some(&same_definition),
        ),
    ];
    for (method, path, body) in no_ops {
        let response = match body {
            Some(body) => send_json(&app, method.clone(), path, body).await,
            None => send(&app, method.clone(), path).await,
        };
        let what = format!("{backend:?} {method} {path}");
        assert_eq!(response.status(), 200, "{what}");
        assert_eq!(
            fingerprint(&app, "JamfAdmin").await,
            settled,
            "{what} changed the title"
        );
        assert_eq!(
            etag(&app.get("/v1/patch/JamfAdmin").await),
            patch_etag,
            "{what} changed the served title"
        );
    }

    // Unpinning twice: the second is a no-op.
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            "/api/v1/title/JamfAdmin/current-version"
        )
        .await
        .status(),
        200
    );
    let unpinned = fingerprint(&app, "JamfAdmin").await;
    assert_ne!(unpinned, settled, "{backend:?}: unpinning is a change");
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            "/api/v1/title/JamfAdmin/current-version"
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        fingerprint(&app, "JamfAdmin").await,
        unpinned,
        "{backend:?}: second unpin"
    );

    // Disabling a disabled title twice: the second is a no-op.
    assert_eq!(
        send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable")
            .await
            .status(),
        200
    );
    let disabled = status_of(&app, "JamfAdmin").await;
    assert_eq!(
        send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable")
            .await
            .status(),
        200
    );
    assert_eq!(
        status_of(&app, "JamfAdmin").await,
        disabled,
        "{backend:?}: second disable"
    );
    app.stop().await;
}

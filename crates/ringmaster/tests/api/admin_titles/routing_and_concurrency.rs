//! Routing errors as JSON (405, 404), and concurrent admins adding versions losing no write.

use super::*;

// ---------------------------------------------------------------------------------------------
// Routing errors

on_each_backend!(an_unsupported_method_on_a_known_path_is_a_json_405);
async fn an_unsupported_method_on_a_known_path_is_a_json_405(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let admin_cases = [
        (Method::PATCH, "/api/v1/title/JamfAdmin"),
        (Method::DELETE, "/api/v1/title"),
        (Method::GET, "/api/v1/title/JamfAdmin/enable"),
        (Method::PUT, "/api/v1/title/JamfAdmin/version"),
        (Method::POST, "/api/v1/backup"),
    ];
    for (method, path) in admin_cases {
        let response = send(&app, method.clone(), path).await;
        let allow = allow_header(&response);
        let what = format!("{backend:?} {method} {path}");
        expect_error(response, 405, &what).await;
        assert!(
            !allow.is_empty(),
            "{what}: a 405 must list the allowed methods in Allow"
        );
    }
    for (method, path) in [
        (Method::POST, "/v1/software"),
        (Method::DELETE, "/v1/patch/JamfAdmin"),
        (Method::PUT, "/jamf/v1/software/JamfAdmin"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let allow = allow_header(&response);
        let what = format!("{backend:?} {method} {path}");
        expect_error(response, 405, &what).await;
        assert!(allow.contains("GET"), "{what}: Allow is {allow:?}");
    }
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"]
    );
    app.stop().await;
}

on_each_backend!(an_unknown_path_is_a_json_404);
async fn an_unknown_path_is_a_json_404(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    for path in [
        "/api/v1/titles",
        "/api/v1/title/",
        "/api/v1/title/JamfAdmin/",
        "/api/v1/title/JamfAdmin/versions",
        "/api/v2/title",
        "/v2/software",
        "/nope",
    ] {
        let body = expect_error(
            send(&app, Method::GET, path).await,
            404,
            &format!("{backend:?} GET {path}"),
        )
        .await;
        assert_eq!(body["status"], 404);
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Concurrent admins

on_each_backend!(concurrent_admins_adding_versions_lose_no_write);
async fn concurrent_admins_adding_versions_lose_no_write(backend: TestBackend) {
    const ANCHORS: [&str; 3] = ["10.2.0", "10.1.1", "10.1.0"];
    let app = std::sync::Arc::new(app_with_jamf_admin(backend).await);
    let tasks: Vec<_> = (0..20)
        .map(|index| {
            let app = app.clone();
            tokio::spawn(async move {
                let anchor = ANCHORS[index % ANCHORS.len()];
                let number = format!("{anchor}-build{index}");
                let response =
                    add_version(&app, &format!("?after={anchor}"), &version(&number)).await;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                (anchor, number, status, text)
            })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let mut added = Vec::new();
    for result in results {
        let (anchor, number, status, text) = result.expect("task");
        // Regression: a retry limit on lost optimistic races once answered 409 ("being
        // changed by others too often") here, which AutoPkg reads as "already there".
        assert_eq!(status, 201, "{backend:?} {number} after {anchor}: {text}");
        added.push((anchor, number));
    }

    let status = status_of(&app, "JamfAdmin").await;
    let stored = strings(&status["versions"]);
    assert_eq!(stored.len(), 23, "{backend:?}: {stored:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        stored,
        "{backend:?}"
    );
    // The originals keep their order, and each new version sits between its anchor and the
    // original that followed it.
    let originals: Vec<&String> = stored
        .iter()
        .filter(|v| ANCHORS.contains(&v.as_str()))
        .collect();
    assert_eq!(originals, ANCHORS, "{backend:?}");
    for (anchor, number) in added {
        let at = stored
            .iter()
            .position(|v| *v == number)
            .unwrap_or_else(|| panic!("{backend:?}: {number} is missing from {stored:?}"));
        let owner = stored[..at]
            .iter()
            .rev()
            .find(|v| ANCHORS.contains(&v.as_str()))
            .unwrap();
        assert_eq!(
            owner, anchor,
            "{backend:?}: {number} is not after {anchor}: {stored:?}"
        );
    }
    assert_eq!(status["currentVersion"], "10.2.0");
    let app = std::sync::Arc::try_unwrap(app).expect("no task holds the app");
    app.stop().await;
}

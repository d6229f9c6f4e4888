//! Authentication, and creating titles: 401 on every admin route, 201 with its location, 409,
//! refused definitions with their pointers, malformed JSON, content types, size limits, uploads.

use super::*;

// ---------------------------------------------------------------------------------------------
// Authentication

on_each_backend!(every_admin_route_refuses_a_missing_wrong_or_non_bearer_token_with_401);
async fn every_admin_route_refuses_a_missing_wrong_or_non_bearer_token_with_401(
    backend: TestBackend,
) {
    let routes: [(Method, &str); 16] = [
        (Method::GET, "/api/v1/title"),
        (Method::POST, "/api/v1/title"),
        (Method::GET, "/api/v1/title/JamfAdmin"),
        (Method::PUT, "/api/v1/title/JamfAdmin"),
        (Method::DELETE, "/api/v1/title/JamfAdmin"),
        (Method::POST, "/api/v1/title/JamfAdmin/enable"),
        (Method::POST, "/api/v1/title/JamfAdmin/disable"),
        (Method::PUT, "/api/v1/title/JamfAdmin/current-version"),
        (Method::DELETE, "/api/v1/title/JamfAdmin/current-version"),
        (Method::POST, "/api/v1/title/JamfAdmin/version"),
        (Method::GET, "/api/v1/title/JamfAdmin/version/10.2.0"),
        (Method::DELETE, "/api/v1/title/JamfAdmin/version/10.2.0"),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/enable",
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/disable",
        ),
        (Method::GET, "/api/v1/backup"),
        (Method::POST, "/api/v1/restore"),
    ];
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let credentials = [
        None,
        Some("Bearer not-the-token".to_owned()),
        Some(format!("Bearer {}x", app.token)),
        Some(format!("Basic {}", app.token)),
        Some(format!("Token {}", app.token)),
        Some(app.token.clone()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
    ];
    for (method, path) in &routes {
        for credential in &credentials {
            let mut request = app
                .client
                .request(method.clone(), app.url(path))
                .header("content-type", "application/json")
                .body(fixture(VERSION_10_3_0));
            if let Some(credential) = credential {
                request = request.header("authorization", credential);
            }
            let response = request.send().await.unwrap();
            let what = format!("{backend:?} {method} {path} with {credential:?}");
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|value| value.to_str().unwrap().to_owned());
            expect_error(response, 401, &what).await;
            assert!(
                challenge
                    .as_deref()
                    .is_some_and(|value| value.starts_with("Bearer")),
                "{what}: WWW-Authenticate is {challenge:?}"
            );
        }
    }
    // Nothing refused changed anything.
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"]
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Creating titles

on_each_backend!(creating_a_title_answers_201_with_its_location_and_serves_it);
async fn creating_a_title_answers_201_with_its_location_and_serves_it(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app.create_title(&fixture(JAMF_ADMIN)).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    assert_eq!(location.as_deref(), Some("/api/v1/title/JamfAdmin"));
    let created = json_body(response).await;
    assert_eq!(created["id"], "JamfAdmin");
    assert_eq!(created["currentVersion"], "10.2.0");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["served"], true);

    let read = send(&app, Method::GET, location.as_deref().unwrap()).await;
    assert_eq!(read.status(), 200, "{backend:?}: the Location can be read");
    assert_eq!(json_body(read).await["id"], "JamfAdmin");
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}"
    );
    app.stop().await;
}

on_each_backend!(creating_a_title_whose_id_exists_is_refused_with_409_and_keeps_the_original);
async fn creating_a_title_whose_id_exists_is_refused_with_409_and_keeps_the_original(
    backend: TestBackend,
) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let mut other: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    other["name"] = json!("Someone Else's Jamf Admin");
    let response = app.create_title(&serde_json::to_vec(&other).unwrap()).await;
    let body = expect_error(response, 409, &format!("{backend:?} duplicate")).await;
    assert!(
        body["message"].as_str().unwrap().contains("JamfAdmin"),
        "{backend:?}: {body}"
    );
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    assert_eq!(
        served(&app, "JamfAdmin").await.unwrap()["name"],
        "Jamf Admin"
    );
    app.stop().await;
}

on_each_backend!(an_invalid_definition_is_refused_with_a_pointer_for_every_error);
async fn an_invalid_definition_is_refused_with_a_pointer_for_every_error(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_title(&fixture("titles/invalid/StringBooleans.json"))
        .await;
    let body = expect_error(response, 400, &format!("{backend:?} StringBooleans")).await;
    let mut found = pointers(&body);
    found.sort_unstable();
    let mut expected = vec![
        "/requirements/0/and",
        "/patches/0/components/0/criteria/1/and",
        "/patches/0/capabilities/0/type",
        "/patches/1/components/0/criteria/0/and",
        "/patches/1/components/0/criteria/1/name",
        "/patches/2/version",
        "/patches/2/capabilities/0/and",
        "/extensionAttributes/0/value",
    ];
    expected.sort_unstable();
    assert_eq!(found, expected, "{backend:?}: {body:#}");
    assert_eq!(
        body["message"], "the document has 8 errors",
        "{backend:?}: {body}"
    );
    for error in body["errors"].as_array().unwrap() {
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{backend:?}: {error}"
        );
    }
    let and = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|error| error["pointer"] == "/requirements/0/and")
        .unwrap();
    assert!(
        and["message"].as_str().unwrap().contains("boolean"),
        "{backend:?}: {and}"
    );
    // Nothing was stored.
    expect_error(
        send(&app, Method::GET, "/api/v1/title/StringBooleans").await,
        404,
        &format!("{backend:?} GET after refusal"),
    )
    .await;
    assert!(summary(&app, "StringBooleans").await.is_none());
    app.stop().await;
}

on_each_backend!(malformed_json_is_refused_with_its_line_and_column);
async fn malformed_json_is_refused_with_its_line_and_column(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_title(b"{\n  \"id\": \"Broken\",\n  \"name\": \n}")
        .await;
    let body = expect_error(response, 400, &format!("{backend:?} malformed")).await;
    assert_eq!(pointers(&body), [""], "{backend:?}: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("line 4") && message.contains("column"),
        "{backend:?}: {message}"
    );

    // The same for a version body.
    assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
    let body = expect_error(
        add_version(&app, "", b"{\"version\": \"10.3.0\",").await,
        400,
        &format!("{backend:?} malformed version"),
    )
    .await;
    assert_eq!(pointers(&body), [""], "{backend:?}: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("line 1") && message.contains("column"),
        "{backend:?}: {message}"
    );
    app.stop().await;
}

on_each_backend!(a_body_that_is_not_declared_as_json_is_refused_with_415);
async fn a_body_that_is_not_declared_as_json_is_refused_with_415(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let cases = [
        (Method::POST, "/api/v1/title", fixture(JAVA)),
        (Method::PUT, "/api/v1/title/JamfAdmin", fixture(JAMF_ADMIN)),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version",
            fixture(VERSION_10_3_0),
        ),
    ];
    for (method, path, body) in cases {
        for content_type in [Some("text/plain"), Some("application/xml"), None] {
            let mut request = app.admin(method.clone(), path).body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = request.send().await.unwrap();
            let what = format!("{backend:?} {method} {path} as {content_type:?}");
            let error = expect_error(response, 415, &what).await;
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("application/json"),
                "{what}: {error}"
            );
        }
    }
    // Nothing was written.
    assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_none());
    // A JSON type with parameters, or a +json type, is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/vnd.jamf.patch+json",
    ] {
        let response = app
            .admin(Method::POST, "/api/v1/title")
            .header("content-type", content_type)
            .body(fixture(JAVA))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            status == 201 || status == 409,
            "{backend:?} POST as {content_type}: {status}"
        );
    }
    assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_some());
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"]
    );
    app.stop().await;
}

on_each_backend!(a_body_over_the_size_limit_is_refused_with_413);
async fn a_body_over_the_size_limit_is_refused_with_413(backend: TestBackend) {
    let mut options = AppOptions::default();
    options.http.max_body_bytes = 4096;
    let app = spawn_app_with(backend, options).await;
    // The pretty fixture (5 KB) is over the limit; the same title minified (2.4 KB) is not.
    let pretty = fixture(JAMF_ADMIN);
    assert!(pretty.len() > 4096);
    let response = app.create_title(&pretty).await;
    let body = expect_error(response, 413, &format!("{backend:?} oversized POST")).await;
    assert!(
        body["message"].as_str().unwrap().contains("4096"),
        "{backend:?}: the message names the limit: {body}"
    );
    assert!(summary(&app, "JamfAdmin").await.is_none());

    let value: Value = serde_json::from_slice(&pretty).unwrap();
    let minified = serde_json::to_vec(&value).unwrap();
    assert!(minified.len() < 4096);
    assert_eq!(
        app.create_title(&minified).await.status(),
        201,
        "{backend:?}"
    );

    // Over the limit on the other JSON routes too, multipart included.
    let padded: Vec<u8> = [minified.clone(), vec![b' '; 4096]].concat();
    let response = send_json(&app, Method::PUT, "/api/v1/title/JamfAdmin", &padded).await;
    expect_error(response, 413, &format!("{backend:?} oversized PUT")).await;
    let padded_version: Vec<u8> = [fixture(VERSION_10_3_0), vec![b' '; 4096]].concat();
    let response = add_version(&app, "", &padded_version).await;
    expect_error(response, 413, &format!("{backend:?} oversized version")).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(padded.clone()).file_name("JamfAdmin.json"),
    );
    let response = app
        .admin(Method::PUT, "/api/v1/title/JamfAdmin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(response, 413, &format!("{backend:?} oversized multipart")).await;

    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}: refused bodies changed nothing"
    );
    app.stop().await;
}

on_each_backend!(a_definition_uploaded_as_a_multipart_file_is_accepted);
async fn a_definition_uploaded_as_a_multipart_file_is_accepted(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let form = reqwest::multipart::Form::new()
        .text("note", "PatchServer's upload form sends a file part")
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture(JAVA))
                .file_name("JavaSEDevelopmentKit8.json")
                .mime_str("application/json")
                .unwrap(),
        );
    let response = app
        .admin(Method::POST, "/api/v1/title")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{backend:?}");
    assert_eq!(
        served(&app, "JavaSEDevelopmentKit8").await.unwrap()["currentVersion"],
        "1.8.162"
    );

    // A multipart upload without a `file` part says what is missing.
    let form = reqwest::multipart::Form::new().part(
        "definition",
        reqwest::multipart::Part::bytes(fixture(JAMF_ADMIN)).file_name("JamfAdmin.json"),
    );
    let response = app
        .admin(Method::POST, "/api/v1/title")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 400, &format!("{backend:?} no file part")).await;
    assert_eq!(
        body["errors"][0]["parameter"], "file",
        "{backend:?}: {body}"
    );
    assert!(summary(&app, "JamfAdmin").await.is_none());
    app.stop().await;
}

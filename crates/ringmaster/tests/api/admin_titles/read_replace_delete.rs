//! Reading, replacing and deleting titles, and optimistic concurrency (`If-Match`, 412).

use super::*;

// ---------------------------------------------------------------------------------------------
// Reading, replacing and deleting titles

on_each_backend!(listing_titles_shows_each_with_its_state_sorted_by_id);
async fn listing_titles_shows_each_with_its_state_sorted_by_id(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
    assert_eq!(list, json!([]), "{backend:?}: empty at first");

    for title in [JAVA, JAMF_ADMIN] {
        assert_eq!(app.create_title(&fixture(title)).await.status(), 201);
    }
    let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|title| title["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["JamfAdmin", "JavaSEDevelopmentKit8"], "{backend:?}");
    let jamf = &list[0];
    assert_eq!(jamf["name"], "Jamf Admin");
    assert_eq!(jamf["publisher"], "Jamf");
    assert_eq!(jamf["currentVersion"], "10.2.0");
    assert_eq!(jamf["enabled"], true);
    assert_eq!(jamf["served"], true);
    assert_eq!(strings(&jamf["versions"]), ["10.2.0", "10.1.1", "10.1.0"]);
    assert_eq!(jamf["disabledVersions"], json!([]));
    assert!(jamf["revision"].is_i64(), "{backend:?}: {jamf}");
    assert_eq!(
        jamf["lastModified"],
        summary(&app, "JamfAdmin").await.unwrap()["lastModified"],
        "{backend:?}: the admin list and the feed agree on lastModified"
    );
    app.stop().await;
}

on_each_backend!(reading_a_title_returns_its_full_definition_with_an_etag);
async fn reading_a_title_returns_its_full_definition_with_an_etag(backend: TestBackend) {
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
    let response = send(&app, Method::GET, "/api/v1/title/JamfAdmin").await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let revision = status_of(&app, "JamfAdmin").await["revision"].clone();
    assert_eq!(
        etag(&response),
        format!("\"{revision}\""),
        "{backend:?}: ETag is the revision"
    );
    let definition = json_body(response).await;
    let submitted: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    assert_eq!(
        versions_of(&definition["patches"]),
        ["10.2.0", "10.1.1", "10.1.0"],
        "{backend:?}: disabled versions are in the admin definition"
    );
    for key in [
        "name",
        "publisher",
        "appName",
        "bundleId",
        "requirements",
        "id",
    ] {
        assert_eq!(definition[key], submitted[key], "{backend:?}: {key}");
    }
    assert_eq!(
        definition["patches"][0], submitted["patches"][0],
        "{backend:?}"
    );

    for path in ["/api/v1/title/Missing", "/api/v1/title/no%20such%20id"] {
        expect_error(
            send(&app, Method::GET, path).await,
            404,
            &format!("{backend:?} GET {path}"),
        )
        .await;
    }
    app.stop().await;
}

on_each_backend!(replacing_a_title_serves_the_new_definition);
async fn replacing_a_title_serves_the_new_definition(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let mut definition: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    definition["name"] = json!("Jamf Admin (renamed)");
    definition["patches"].as_array_mut().unwrap().remove(0);
    definition["currentVersion"] = json!("10.1.1");
    let response = send_json(
        &app,
        Method::PUT,
        "/api/v1/title/JamfAdmin",
        &serde_json::to_vec(&definition).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let new_etag = etag(&response);
    let status = json_body(response).await;
    assert_eq!(new_etag, format!("\"{}\"", status["revision"]));
    assert_ne!(status["revision"], before["revision"], "{backend:?}");
    assert_eq!(status["name"], "Jamf Admin (renamed)");
    assert_eq!(status["currentVersion"], "10.1.1");

    let feed = served(&app, "JamfAdmin").await.unwrap();
    assert_eq!(feed["name"], "Jamf Admin (renamed)", "{backend:?}");
    assert_eq!(versions_of(&feed["patches"]), ["10.1.1", "10.1.0"]);
    assert_eq!(feed["currentVersion"], "10.1.1");
    let listed = summary(&app, "JamfAdmin").await.unwrap();
    assert_eq!(listed["name"], "Jamf Admin (renamed)");
    assert!(
        listed["lastModified"].as_str() > before["lastModified"].as_str(),
        "{backend:?}: lastModified moved"
    );
    app.stop().await;
}

on_each_backend!(replacing_with_another_id_in_the_body_is_refused_with_pointer_id);
async fn replacing_with_another_id_in_the_body_is_refused_with_pointer_id(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let before = status_of(&app, "JamfAdmin").await;
    let mut definition: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    definition["id"] = json!("JamfAdmin2");
    let response = send_json(
        &app,
        Method::PUT,
        "/api/v1/title/JamfAdmin",
        &serde_json::to_vec(&definition).unwrap(),
    )
    .await;
    let body = expect_error(response, 400, &format!("{backend:?} id mismatch")).await;
    assert_eq!(pointers(&body), ["/id"], "{backend:?}: {body}");
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "{backend:?}: no new title"
    );
    app.stop().await;
}

on_each_backend!(replacing_an_unknown_title_is_404_and_creates_nothing);
async fn replacing_an_unknown_title_is_404_and_creates_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = send_json(
        &app,
        Method::PUT,
        "/api/v1/title/JamfAdmin",
        &fixture(JAMF_ADMIN),
    )
    .await;
    expect_error(response, 404, &format!("{backend:?} PUT unknown")).await;
    let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
    assert_eq!(list, json!([]), "{backend:?}");
    assert!(served(&app, "JamfAdmin").await.is_none());
    app.stop().await;
}

on_each_backend!(deleting_a_title_answers_204_then_404_and_stops_serving_it);
async fn deleting_a_title_answers_204_then_404_and_stops_serving_it(backend: TestBackend) {
    let app = app_with_jamf_admin(backend).await;
    let response = send(&app, Method::DELETE, "/api/v1/title/JamfAdmin").await;
    assert_eq!(response.status(), 204, "{backend:?}");
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(served(&app, "JamfAdmin").await.is_none(), "{backend:?}");
    assert!(summary(&app, "JamfAdmin").await.is_none(), "{backend:?}");
    expect_error(
        send(&app, Method::GET, "/api/v1/title/JamfAdmin").await,
        404,
        &format!("{backend:?} GET deleted"),
    )
    .await;
    expect_error(
        send(&app, Method::DELETE, "/api/v1/title/JamfAdmin").await,
        404,
        &format!("{backend:?} DELETE again"),
    )
    .await;
    // The id is free again.
    assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
    assert_eq!(
        served_versions(&app, "JamfAdmin").await,
        ["10.2.0", "10.1.1", "10.1.0"]
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Optimistic concurrency

on_each_backend!(a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing);
async fn a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    backend: TestBackend,
) {
    let app = app_with_jamf_admin(backend).await;
    let stale = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
    assert!(
        stale.starts_with('"')
            && stale.ends_with('"')
            && stale[1..stale.len() - 1].parse::<i64>().is_ok(),
        "{backend:?}: ETag {stale:?} is not \"N\""
    );
    // Someone else changes the title.
    let changed = send(
        &app,
        Method::POST,
        "/api/v1/title/JamfAdmin/version/10.1.0/disable",
    )
    .await;
    assert_eq!(changed.status(), 200);
    let current = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
    assert_ne!(current, stale, "{backend:?}: a write changes the ETag");
    let before = status_of(&app, "JamfAdmin").await;

    let mut renamed: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
    renamed["name"] = json!("Renamed");
    let renamed = serde_json::to_vec(&renamed).unwrap();
    let put = app
        .admin(Method::PUT, "/api/v1/title/JamfAdmin")
        .header("content-type", "application/json")
        .header("if-match", &stale)
        .body(renamed.clone())
        .send()
        .await
        .unwrap();
    expect_error(put, 412, &format!("{backend:?} stale PUT")).await;
    for path in [
        "/api/v1/title/JamfAdmin",
        "/api/v1/title/JamfAdmin/version/10.1.1",
    ] {
        let delete = app
            .admin(Method::DELETE, path)
            .header("if-match", &stale)
            .send()
            .await
            .unwrap();
        expect_error(delete, 412, &format!("{backend:?} stale DELETE {path}")).await;
    }
    assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
    assert_eq!(
        served(&app, "JamfAdmin").await.unwrap()["name"],
        "Jamf Admin"
    );

    // With the current tag, each succeeds.
    let put = app
        .admin(Method::PUT, "/api/v1/title/JamfAdmin")
        .header("content-type", "application/json")
        .header("if-match", &current)
        .body(renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{backend:?} PUT with the current ETag");
    let current = etag(&put);
    assert_eq!(served(&app, "JamfAdmin").await.unwrap()["name"], "Renamed");
    let delete = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin/version/10.1.1")
        .header("if-match", &current)
        .send()
        .await
        .unwrap();
    assert_eq!(
        delete.status(),
        204,
        "{backend:?} DELETE version with the current ETag"
    );
    let current = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
    let delete = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin")
        .header("if-match", &current)
        .send()
        .await
        .unwrap();
    assert_eq!(
        delete.status(),
        204,
        "{backend:?} DELETE with the current ETag"
    );
    assert!(served(&app, "JamfAdmin").await.is_none());
    app.stop().await;
}

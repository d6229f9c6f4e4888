//! The web app's forms over HTTP, on both backends: a change is previewed (the API's dry run:
//! the devices whose target or deadline changes) and nothing is written or audited until it is
//! confirmed; a refused dry run shows the API's words and changes nothing; pausing and resuming
//! a ring; a specific-version policy with the API's warnings; the notifier and the paused rings
//! on the overview; the devices page's search.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_devices::create_device;
use crate::os_policies::send;
use crate::support::{
    AppOptions, TestApp, TestBackend, admin_json, fixture, load_rings, spawn_app, spawn_app_with,
};
use crate::ui_sessions::{csrf, page, sign_in};

/// Posts a form as the session `secret`; the answer's status and body.
async fn post(
    app: &TestApp,
    secret: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let answer = app
        .client
        .post(app.url(path))
        .header("cookie", format!("ringmaster_session={secret}"))
        .form(form)
        .send()
        .await
        .expect("post");
    let status = answer.status();
    (status, answer.text().await.expect("body"))
}

/// A fleet: the sample catalog, the default rings, a Mac on 26.0 in a device group.
async fn fleet(app: &TestApp) -> (Vec<i64>, i64) {
    assert!(
        import(app, fixture("catalog/macos-26-autumn-2025.json"))
            .await
            .status()
            .is_success()
    );
    let rings = load_rings(app).await;
    create_device(app, "mac-1", "macOS", "26.0").await;
    let group = send(
        app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Pilot", "devices": ["mac-1"]}),
    )
    .await;
    assert_eq!(group.status(), StatusCode::CREATED);
    let group: Value = group.json().await.expect("json");
    (rings, group["id"].as_i64().expect("id"))
}

async fn state_of(app: &TestApp) -> Value {
    admin_json(app, "/api/v1/devices/mac-1/status").await["state"].clone()
}

async fn audited(app: &TestApp) -> usize {
    admin_json(app, "/api/v1/audit").await["entries"]
        .as_array()
        .map_or(0, Vec::len)
}

on_each_backend!(a_form_is_previewed_and_written_only_once_confirmed);
async fn a_form_is_previewed_and_written_only_once_confirmed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let (rings, group) = fleet(&app).await;
    let ring = rings[0];
    let (secret, _) = sign_in(&app, &app.token).await;
    let token = csrf(&app, &secret).await;
    let bindings = format!("/api/v1/policy-groups/{ring}/bindings");
    let before = audited(&app).await;
    let group = group.to_string();
    let form = [
        ("csrf", token.as_str()),
        ("deviceGroup", group.as_str()),
        ("devices", ""),
    ];

    // The first submit: the preview, with the device that gets a target; nothing written.
    let (status, preview) = post(&app, &secret, &format!("/ui/rings/{ring}/bindings"), &form).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("Preview: bind ring"), "{preview}");
    assert!(preview.contains("Nothing has changed yet."), "{preview}");
    assert!(preview.contains("id=\"preview-changed\">1<"), "{preview}");
    assert!(preview.contains("mac-1"), "{preview}");
    assert!(preview.contains("gets a target"), "{preview}");
    assert!(
        preview.contains("name=\"confirmed\" value=\"yes\""),
        "{preview}"
    );
    assert!(
        preview.contains(&format!("name=\"deviceGroup\" value=\"{group}\"")),
        "{preview}"
    );
    assert_eq!(admin_json(&app, &bindings).await["deviceGroups"], json!([]));
    assert_eq!(audited(&app).await, before, "a dry run is not audited");

    // Confirmed: written once, audited once.
    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "yes"));
    let (status, _) = post(
        &app,
        &secret,
        &format!("/ui/rings/{ring}/bindings"),
        &confirmed,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin_json(&app, &bindings).await["deviceGroups"],
        json!([group.parse::<i64>().expect("id")])
    );
    assert_eq!(audited(&app).await, before + 1);

    // A refused dry run: the API's words on the page, its status, nothing changed.
    let refused = [
        ("csrf", token.as_str()),
        ("deviceGroup", "999"),
        ("devices", "nobody"),
    ];
    let (status, page_text) = post(
        &app,
        &secret,
        &format!("/ui/rings/{ring}/bindings"),
        &refused,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page_text}");
    assert!(page_text.contains("role=\"alert\""), "{page_text}");
    assert!(!page_text.contains("Preview:"), "{page_text}");
    assert_eq!(
        admin_json(&app, &bindings).await["deviceGroups"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Deleting a release is previewed too: the device loses nothing it does not run, but the page
    // names the release and offers the confirmation.
    let (status, delete) = post(
        &app,
        &secret,
        "/ui/catalog/macOS/26.2/delete",
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{delete}");
    assert!(delete.contains("Preview: delete macOS 26.2"), "{delete}");
    assert!(
        admin_json(&app, "/api/v1/catalog/macOS").await["releases"]
            .as_array()
            .expect("releases")
            .iter()
            .any(|release| release["version"] == "26.2")
    );
}

on_each_backend!(a_ring_is_paused_through_its_preview_and_resumed);
async fn a_ring_is_paused_through_its_preview_and_resumed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let (rings, group) = fleet(&app).await;
    let ring = rings[0];
    assert_eq!(
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{ring}/bindings"),
            &json!({"deviceGroups": [group]})
        )
        .await
        .status(),
        StatusCode::OK
    );
    let (secret, _) = sign_in(&app, &app.token).await;
    let token = csrf(&app, &secret).await;
    let path = format!("/ui/rings/{ring}/pause");

    // A pause without a reason: the API's words at the field, nothing paused.
    let empty = [
        ("csrf", token.as_str()),
        ("reason", ""),
        ("until", ""),
        ("confirmed", "yes"),
    ];
    let (status, refused) = post(&app, &secret, &path, &empty).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused.contains(&format!("id=\"pause-policyGroup-{ring}-reason-error\"")),
        "{refused}"
    );

    let form = [
        ("csrf", token.as_str()),
        ("reason", "VPN breaks"),
        ("until", ""),
    ];
    let (status, preview) = post(&app, &secret, &path, &form).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(
        preview.contains("Preview: pause ring Vanguard"),
        "{preview}"
    );
    assert!(
        preview.contains("name=\"reason\" value=\"VPN breaks\""),
        "{preview}"
    );
    // The API's dry run of the pause: the bound device loses its enforced target.
    assert!(preview.contains("id=\"preview-changed\">1<"), "{preview}");
    assert!(preview.contains("loses its target"), "{preview}");
    assert_ne!(
        state_of(&app).await,
        "paused",
        "nothing is paused before the confirmation"
    );

    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "yes"));
    let (status, _) = post(&app, &secret, &path, &confirmed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app).await, "paused");
    let rings_page = page(&app, &secret, "/ui/rings")
        .await
        .text()
        .await
        .expect("page");
    assert!(rings_page.contains("VPN breaks"), "{rings_page}");
    assert!(
        rings_page.contains(&format!("action=\"/ui/rings/{ring}/resume\"")),
        "{rings_page}"
    );
    let overview = page(&app, &secret, "/ui/")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        overview.contains("VPN breaks"),
        "the overview lists the paused ring: {overview}"
    );
    assert!(overview.contains("id=\"notifier\""), "{overview}");

    let resume = format!("/ui/rings/{ring}/resume");
    let (status, preview) = post(&app, &secret, &resume, &[("csrf", token.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, _) = post(
        &app,
        &secret,
        &resume,
        &[("csrf", token.as_str()), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(state_of(&app).await, "paused");
}

on_each_backend!(a_specific_version_policy_is_made_through_the_form_with_its_warnings);
async fn a_specific_version_policy_is_made_through_the_form_with_its_warnings(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    fleet(&app).await;
    let (secret, _) = sign_in(&app, &app.token).await;
    let token = csrf(&app, &secret).await;
    let mut form = vec![
        ("csrf", token.as_str()),
        ("/name", "Finance to 99.1"),
        ("/platform", "macOS"),
        ("/kind", "specificVersion"),
        ("/targetVersion", "99.1"),
        ("/deadline", "2030-01-15T17:00:00"),
        ("/deferrals/majorDays", "30"),
    ];
    let (status, preview) = post(&app, &secret, "/ui/policies", &form).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(
        preview.contains("Warnings"),
        "an unknown version is a warning: {preview}"
    );
    assert!(preview.contains("/targetVersion"), "{preview}");
    assert!(
        admin_json(&app, "/api/v1/policies")
            .await
            .as_array()
            .is_some_and(|list| list
                .iter()
                .all(|policy| policy["name"] != "Finance to 99.1"))
    );

    form.push(("confirmed", "yes"));
    let (status, _) = post(&app, &secret, "/ui/policies", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let made = admin_json(&app, "/api/v1/policies").await;
    let made = made
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|policy| policy["name"] == "Finance to 99.1")
                .cloned()
        })
        .expect("made");
    assert_eq!(made["kind"], "specificVersion");
    assert_eq!(made["deadline"], "2030-01-15T17:00:00");

    // The API's dry run answers the real write's warnings (the catalog's included).
    let document = json!({"name": "Pilot to 98.1", "kind": "specificVersion", "platform": "macOS",
        "targetVersion": "98.1", "deadline": "2030-01-15T17:00:00"});
    let dry: Value = send(
        &app,
        Method::POST,
        "/api/v1/policies?dryRun=true",
        &document,
    )
    .await
    .json()
    .await
    .expect("json");
    let real: Value = send(&app, Method::POST, "/api/v1/policies", &document)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        dry["warnings"]
            .as_array()
            .is_some_and(|list| !list.is_empty()),
        "{dry}"
    );
    assert_eq!(dry["warnings"], real["warnings"]);

    // A deadline with a zone: refused at its field.
    let bad = [
        ("csrf", token.as_str()),
        ("/name", "Zoned"),
        ("/platform", "macOS"),
        ("/kind", "specificVersion"),
        ("/targetVersion", "26.1"),
        ("/deadline", "2030-01-15T17:00:00Z"),
    ];
    let (status, refused) = post(&app, &secret, "/ui/policies", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.contains("id=\"p-deadline-error\""), "{refused}");
}

on_each_backend!(devices_are_searched_by_substring_page_by_page);
async fn devices_are_searched_by_substring_page_by_page(backend: TestBackend) {
    let app = spawn_app(backend).await;
    for id in [
        "Lab-Mac-01",
        "lab-mac-02",
        "office-mac-03",
        "lab_ipad-04",
        "lab%x",
    ] {
        create_device(&app, id, "macOS", "26.0").await;
    }
    let ids = |page: &Value| -> Vec<String> {
        page["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .map(|device| device["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let first = admin_json(&app, "/api/v1/devices?search=LAB-MAC&limit=1").await;
    assert_eq!(ids(&first), ["Lab-Mac-01"]);
    assert_eq!(first["next"], "Lab-Mac-01");
    let second = admin_json(
        &app,
        "/api/v1/devices?search=LAB-MAC&limit=1&after=Lab-Mac-01",
    )
    .await;
    assert_eq!(ids(&second), ["lab-mac-02"]);
    let third = admin_json(
        &app,
        "/api/v1/devices?search=LAB-MAC&limit=1&after=lab-mac-02",
    )
    .await;
    assert_eq!(ids(&third), Vec::<String>::new());
    assert_eq!(third["next"], Value::Null);
    // `_` and `%` are the text itself, never a wildcard; the model is searched too.
    assert_eq!(
        ids(&admin_json(&app, "/api/v1/devices?search=b_i").await),
        ["lab_ipad-04"]
    );
    assert_eq!(
        ids(&admin_json(&app, "/api/v1/devices?search=b%25").await),
        ["lab%x"]
    );
    assert_eq!(
        ids(&admin_json(&app, "/api/v1/devices?search=j413").await).len(),
        5
    );
    assert_eq!(
        ids(&admin_json(&app, "/api/v1/devices?search=%20").await).len(),
        5,
        "blank is no filter"
    );

    for bad in [&"x".repeat(101), "a%07b"] {
        let answer = app
            .admin(Method::GET, &format!("/api/v1/devices?search={bad}"))
            .send()
            .await
            .expect("search");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let body: Value = answer.json().await.expect("json");
        assert_eq!(body["errors"][0]["parameter"], "search", "{body}");
    }

    // The devices page's search box lists the matches; an exact id opens the device.
    let (secret, _) = sign_in(&app, &app.token).await;
    let listed = page(&app, &secret, "/ui/devices?q=office")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        listed.contains("office-mac-03") && !listed.contains("lab-mac-02"),
        "{listed}"
    );
    let exact = page(&app, &secret, "/ui/devices?q=lab-mac-02").await;
    assert_eq!(exact.status(), StatusCode::SEE_OTHER);
    let refused = page(&app, &secret, &format!("/ui/devices?q={}", "y".repeat(101))).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("id=\"q-error\"")
    );

    // The notifier's route and the halts, read-only answers.
    let notifier = admin_json(&app, "/api/v1/notifier").await;
    assert_eq!(notifier["running"], false);
    assert_eq!(notifier["lastRound"], Value::Null);
    assert_eq!(
        admin_json(&app, "/api/v1/policy-groups/halts").await,
        json!({"halts": []})
    );
}

on_each_backend!(a_gate_is_set_explained_evaluated_and_cleared_through_the_forms);
async fn a_gate_is_set_explained_evaluated_and_cleared_through_the_forms(backend: TestBackend) {
    // A month after 26.2 came out: it is visible to the second ring, which waits for the first.
    let clock = ringmaster::clock::Clock::manual("2026-01-15T12:00:00Z".parse().expect("time"));
    let app = spawn_app_with(
        backend,
        AppOptions {
            clock,
            ..AppOptions::default()
        },
    )
    .await;
    let (rings, group) = fleet(&app).await;
    let (first, second) = (rings[0], rings[1]);
    let bound = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{first}/bindings"),
        &json!({"deviceGroups": [group]}),
    )
    .await;
    assert_eq!(bound.status(), StatusCode::OK);
    let (secret, _) = sign_in(&app, &app.token).await;
    let token = csrf(&app, &secret).await;
    let path = format!("/ui/rings/{second}/gate");
    let after = first.to_string();

    // Out of range: refused at its field, with the API's words; no gate.
    let bad = [
        ("csrf", token.as_str()),
        ("after", after.as_str()),
        ("minInstalledPercent", "200"),
        ("maxFailedPercent", "10"),
        ("minDays", ""),
        ("confirmed", "yes"),
    ];
    let (status, refused) = post(&app, &secret, &path, &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let error = format!("id=\"gate-{second}-minInstalledPercent-error\"");
    assert!(refused.contains(&error), "{refused}");
    let gate_of = |groups: &Value| {
        groups
            .as_array()
            .and_then(|list| list.iter().find(|ring| ring["id"] == second))
            .map(|ring| ring["gate"].clone())
    };
    let groups = admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(gate_of(&groups), Some(Value::Null));

    // Previewed (or confirmed), then set: the ring says what it waits for, in words.
    let form = [
        ("csrf", token.as_str()),
        ("after", after.as_str()),
        ("minInstalledPercent", "50"),
        ("maxFailedPercent", "10"),
        ("minDays", "2"),
    ];
    let (status, preview) = post(&app, &secret, &path, &form).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(
        preview.contains("Preview: set the gate of ring"),
        "{preview}"
    );
    let groups = admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(
        gate_of(&groups),
        Some(Value::Null),
        "nothing set before the confirmation"
    );
    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "yes"));
    let (status, _) = post(&app, &secret, &path, &confirmed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let groups = admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(gate_of(&groups).expect("ring")["minInstalledPercent"], 50);
    let rings_page = page(&app, &secret, "/ui/rings")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        rings_page.contains("Gate: waits for <strong>Vanguard</strong>"),
        "{rings_page}"
    );
    assert!(
        rings_page.contains("Waiting: "),
        "the second ring waits for the first: {rings_page}"
    );
    assert!(rings_page.contains("id=\"halts\""), "{rings_page}");

    // Evaluate now, then clear through the preview.
    let (status, _) = post(
        &app,
        &secret,
        "/ui/rings/evaluate-gates",
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let clear = format!("/ui/rings/{second}/gate/clear");
    let (status, preview) = post(&app, &secret, &clear, &[("csrf", token.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, _) = post(
        &app,
        &secret,
        &clear,
        &[("csrf", token.as_str()), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let groups = admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(gate_of(&groups), Some(Value::Null));
}

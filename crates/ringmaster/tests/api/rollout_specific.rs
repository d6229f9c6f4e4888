//! Specific-version policies (`"kind": "specificVersion"`) through the real server: saved with
//! catalog warnings, refused by pointer, bound like any policy; a device below the target is
//! served the target and deadline while keeping its ring's settings, a device at the target is
//! left to its ring, a block wins, and the effective policy, compliance and plan say so; the
//! `policy` commands and `plan` take them too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::ringmaster;
use crate::ddm_target_builds::{app_at, ddm, enroll_in_first_ring, report, served_enforcement};
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, TestDatabase, admin_json, json_body};

pub(crate) fn two_releases() -> Value {
    json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.0.1", "Build": "25A362", "PostingDate": "2025-09-29",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]}
    ]}})
}

pub(crate) fn force(name: &str, target: &str, deadline: &str) -> Value {
    json!({
        "name": name,
        "kind": "specificVersion",
        "platform": "macOS",
        "targetVersion": target,
        "deadline": deadline,
        "detailsUrl": "https://intranet.example/macos-26-1",
    })
}

/// Creates `document` (201) and binds it to `devices`; its answer.
pub(crate) async fn create_bound(app: &TestApp, document: &Value, devices: &[&str]) -> Value {
    let response = send(app, Method::POST, "/api/v1/policies", document).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json_body(response).await;
    let id = created["id"].as_i64().unwrap();
    let response = send(
        app,
        Method::PUT,
        &format!("/api/v1/policies/{id}/bindings"),
        &json!({ "devices": devices }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    created
}

async fn configuration_ids(app: &TestApp, device: &str) -> Vec<String> {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str().map(str::to_owned))
        .collect()
}

async fn effective(app: &TestApp, device: &str) -> Value {
    admin_json(app, &format!("/api/v1/devices/{device}/effective-policy")).await
}

on_each_backend!(a_specific_version_policy_forces_the_devices_below_its_target);
async fn a_specific_version_policy_forces_the_devices_below_its_target(backend: TestBackend) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    enroll_in_first_ring(
        &app,
        &[
            ("behind", report("26.0", "25A354", "J413AP", "Mac16,1")),
            ("ahead", report("26.1", "25B78", "J413AP", "Mac16,1")),
        ],
        &two_releases(),
    )
    .await;
    let ring_settings: Vec<String> = configuration_ids(&app, "behind")
        .await
        .into_iter()
        .filter(|id| id.contains("settings"))
        .collect();
    assert_eq!(ring_settings.len(), 1, "{ring_settings:?}");

    let created = create_bound(
        &app,
        &force("Force 26.1", "26.1", "2025-11-20T18:00:00"),
        &["behind", "ahead"],
    )
    .await;
    assert_eq!(created["kind"], "specificVersion");
    assert_eq!(created["deadline"], "2025-11-20T18:00:00");
    assert_eq!(created.get("warnings"), None, "26.1 is in the catalog");
    assert_eq!(created.get("deferrals"), None, "{created}");

    // Below the target: the specific target and deadline, and still the ring's settings.
    let payload = served_enforcement(&app, "behind").await;
    assert_eq!(payload["TargetOSVersion"], "26.1", "{backend:?}: {payload}");
    assert_eq!(payload["TargetBuildVersion"], "25B78");
    assert_eq!(payload["TargetLocalDateTime"], "2025-11-20T18:00:00");
    assert_eq!(payload["DetailsURL"], "https://intranet.example/macos-26-1");
    let behind_ids = configuration_ids(&app, "behind").await;
    for settings in &ring_settings {
        assert!(behind_ids.contains(settings), "{behind_ids:?}");
    }
    let view = effective(&app, "behind").await;
    assert_eq!(view["policy"]["name"], "Vanguard (macOS)", "{view}");
    assert_eq!(view["enforcement"]["source"], "specificVersion", "{view}");
    assert_eq!(view["enforcement"]["policy"]["name"], "Force 26.1");
    assert_eq!(view["enforcement"]["deadline"], "2025-11-20T18:00:00");
    let reason = view["enforcement"]["reason"].as_str().unwrap();
    assert!(reason.contains("replaces the enforcement of the automatic policy Vanguard (macOS)"));
    assert_eq!(view["specificVersion"]["applies"], true);
    assert_eq!(view["specificVersion"]["routes"][0]["via"], "device");
    assert_eq!(view["schedule"]["targetVersion"], "26.1");
    let served = admin_json(&app, "/api/v1/devices/behind/declarations").await;
    assert_eq!(served["policy"]["name"], "Vanguard (macOS)", "{served}");
    assert_eq!(
        served["specificVersionPolicy"]["name"], "Force 26.1",
        "{served}"
    );

    // At the target: left to the ring, and told why.
    let view = effective(&app, "ahead").await;
    assert_eq!(view["specificVersion"]["applies"], false, "{view}");
    let reason = view["specificVersion"]["reason"].as_str().unwrap();
    assert!(reason.contains("never downgrades"), "{reason}");
    assert_eq!(view["enforcement"]["source"], "none", "{view}");

    // Compliance of the specific-version policy counts the devices it wins on.
    let id = created["id"].as_i64().unwrap();
    let compliance = admin_json(&app, &format!("/api/v1/policies/{id}/compliance")).await;
    assert_eq!(
        compliance["devices"].as_array().unwrap().len(),
        2,
        "{compliance}"
    );
    assert_eq!(compliance["counts"]["pending"], 1, "{compliance}");
    assert_eq!(compliance["counts"]["upToDate"], 1, "{compliance}");

    // A block wins: the ring's own target below it is enforced instead, and the view says why.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/catalog/macOS/26.1/block",
        &json!({"reason": "breaks the VPN client"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let payload = served_enforcement(&app, "behind").await;
    assert_eq!(
        payload["TargetOSVersion"], "26.0.1",
        "{backend:?}: {payload}"
    );
    let view = effective(&app, "behind").await;
    assert_eq!(view["enforcement"]["source"], "automatic", "{view}");
    let reason = view["enforcement"]["reason"].as_str().unwrap();
    assert!(reason.contains("26.1 is blocked"), "{reason}");
}

on_each_backend!(a_specific_version_policy_is_checked_by_pointer_and_against_the_catalog);
async fn a_specific_version_policy_is_checked_by_pointer_and_against_the_catalog(
    backend: TestBackend,
) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    enroll_in_first_ring(
        &app,
        &[("mac", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    let before = admin_json(&app, "/api/v1/policies").await;
    let mut with_deferrals = force("bad", "26.1", "2025-11-20T18:00:00");
    with_deferrals["deferrals"] = json!({"minorDays": 3});
    let mut bad_build = force("bad", "26.1", "2025-11-20T18:00:00");
    bad_build["targetBuild"] = json!("25 B78");
    let automatic_with_target =
        json!({"name": "bad", "platform": "macOS", "targetVersion": "26.1"});
    for (document, pointer) in [
        (with_deferrals, "/deferrals"),
        (force("bad", "26.1", "2025-11-20 18:00"), "/deadline"),
        (force("bad", "26.1", "2025-02-30T18:00:00"), "/deadline"),
        (
            force("bad", "twenty-six", "2025-11-20T18:00:00"),
            "/targetVersion",
        ),
        (bad_build, "/targetBuild"),
        (automatic_with_target, "/targetVersion"),
        (
            json!({"name": "bad", "kind": "manual", "platform": "macOS"}),
            "/kind",
        ),
    ] {
        let response = send(&app, Method::POST, "/api/v1/policies", &document).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{document}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["pointer"], pointer, "{answer}");
    }
    assert_eq!(admin_json(&app, "/api/v1/policies").await, before);

    // Unknown to the catalog, and a deadline already past: saved, with warnings.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &force("Future", "26.9", "2025-11-01T09:00:00"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json_body(response).await;
    let pointers: Vec<&str> = created["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|warning| warning["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/targetVersion", "/deadline"], "{created}");
    let id = created["id"].as_i64().unwrap();
    let stored = admin_json(&app, &format!("/api/v1/policies/{id}")).await;
    assert_eq!(stored["targetVersion"], "26.9");
    assert_eq!(stored.get("warnings"), None);

    // A policy keeps its kind.
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{id}"),
        &json!({"name": "Future", "platform": "macOS"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(response).await["errors"][0]["pointer"], "/kind");

    // Replacing it keeps the kind's rules; the plan shows it.
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{id}"),
        &force("Future", "26.1", "2025-12-01T09:00:00"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await.get("warnings"), None);
    let plan = admin_json(&app, "/api/v1/policy-groups/plan?platform=macOS").await;
    let rows = plan["policies"].as_array().unwrap();
    let last = rows.last().unwrap();
    assert_eq!(last["policy"]["name"], "Future", "{plan}");
    assert_eq!(last["releases"][0]["deferral"], "specificVersion");
    assert_eq!(last["releases"][0]["enforcedBy"], "2025-12-01T09:00:00");
}

on_each_backend!(the_policy_commands_and_the_plan_take_specific_version_policies);
async fn the_policy_commands_and_the_plan_take_specific_version_policies(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let db = database.url.clone();
    let folder = tempfile::tempdir().unwrap();
    let feed = folder.path().join("feed.json");
    std::fs::write(&feed, two_releases().to_string()).unwrap();
    let run = ringmaster(&[
        "catalog",
        "import",
        feed.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    let file = folder.path().join("force.json");
    let mut document = force("Force 26.1", "26.1", "2099-11-20T18:00:00");
    std::fs::write(&file, document.to_string()).unwrap();
    let run = ringmaster(&[
        "policy",
        "create",
        file.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("created policy"), "{}", run.stdout);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);

    document["name"] = json!("Future");
    document["targetVersion"] = json!("26.9");
    document["enforcement"] = json!({"enabled": true});
    std::fs::write(&file, document.to_string()).unwrap();
    let run = ringmaster(&[
        "policy",
        "create",
        file.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("/enforcement: enforcement belongs to automatic policies"),
        "{}",
        run.stderr
    );
    document.as_object_mut().unwrap().remove("enforcement");
    std::fs::write(&file, document.to_string()).unwrap();
    let run = ringmaster(&[
        "policy",
        "create",
        file.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("/targetVersion: warning: macOS 26.9 is not in the catalog"),
        "{}",
        run.stderr
    );

    let run = ringmaster(&["policy", "list", "--database", &db]).await;
    assert!(
        run.stdout.contains("26.1 by 2099-11-20 18:00:00"),
        "{}",
        run.stdout
    );
    let run = ringmaster(&["policy", "show", "Force 26.1", "--database", &db]).await;
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(shown["kind"], "specificVersion");
    assert_eq!(shown["deadline"], "2099-11-20T18:00:00");

    let run = ringmaster(&[
        "plan",
        "--policy",
        "Force 26.1",
        "--from",
        "2099-11-01",
        "--to",
        "2099-12-01",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let row = run
        .stdout
        .lines()
        .find(|line| line.contains("26.1"))
        .unwrap();
    assert!(row.contains("specificVersion"), "{}", run.stdout);
    assert!(row.contains("2099-11-20 18:00:00"), "{}", run.stdout);
    let run = ringmaster(&[
        "plan",
        "--platform",
        "macOS",
        "--from",
        "2099-11-01",
        "--to",
        "2099-12-01",
        "--json",
        "--database",
        &db,
    ])
    .await;
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = plan["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["policy"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Force 26.1", "Future"], "{plan}");

    let run = ringmaster(&["policy", "delete", "Future", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let run = ringmaster(&["policy", "list", "--database", &db]).await;
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
}

//! `?dryRun=true` through the real server: for every kind of write that changes what devices
//! are served, a dry run changes nothing (what devices are served, the audit log) and predicts
//! exactly what the real write then does, device by device, as the check-in protocol serves it.
//! `dry_run_errors.rs` checks that a refused dry run answers the real write's error, and
//! `dry_run_simulator.rs` runs a dry run and its change under simulated devices.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use ringmaster_testing::golden::check_json;
use serde_json::{Value, json};

use crate::cli::ringmaster;
use crate::ddm_target_builds::{app_at, ddm, enroll_in_first_ring, report};
use crate::golden::without_wall_clock;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, json_body, load_rings};

/// What one device is served: `(TargetOSVersion, TargetBuildVersion, TargetLocalDateTime)`.
pub(crate) type Served = Option<(String, Option<String>, String)>;

/// The enforcement `device` is served over the check-in protocol, if any.
pub(crate) async fn served(app: &TestApp, device: &str) -> Served {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    let identifier = items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str())
        .find(|id| id.starts_with("ringmaster.softwareupdate.enforcement"))?
        .to_owned();
    let path = format!("declaration/configuration/{identifier}");
    let response = ddm(app, Method::GET, &path, device, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let payload = json_body(response).await["Payload"].clone();
    Some((
        payload["TargetOSVersion"].as_str().unwrap().to_owned(),
        payload["TargetBuildVersion"].as_str().map(str::to_owned),
        payload["TargetLocalDateTime"].as_str().unwrap().to_owned(),
    ))
}

/// A preview's `from` or `to`, in the shape [`served`] reads.
pub(crate) fn target_of(view: &Value) -> Served {
    if view.is_null() {
        return None;
    }
    Some((
        view["targetVersion"].as_str().unwrap().to_owned(),
        view["targetBuild"].as_str().map(str::to_owned),
        view["deadline"].as_str().unwrap().to_owned(),
    ))
}

async fn fleet(app: &TestApp, devices: &[&str]) -> BTreeMap<String, Served> {
    let mut served_now = BTreeMap::new();
    for device in devices {
        served_now.insert((*device).to_owned(), served(app, device).await);
    }
    served_now
}

async fn audit_count(app: &TestApp) -> usize {
    admin_json(app, "/api/v1/audit?limit=1000").await["entries"]
        .as_array()
        .unwrap()
        .len()
}

/// Asserts that `preview` lists exactly the devices whose service differs between `before` and
/// `after`, each with its from and to, and that its counts add up.
pub(crate) fn assert_predicted(
    preview: &Value,
    before: &BTreeMap<String, Served>,
    after: &BTreeMap<String, Served>,
) {
    let listed: BTreeMap<String, (Served, Served)> = preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            (
                change["deviceId"].as_str().unwrap().to_owned(),
                (target_of(&change["from"]), target_of(&change["to"])),
            )
        })
        .collect();
    let changed: BTreeMap<String, (Served, Served)> = before
        .iter()
        .filter(|(device, served)| after.get(*device) != Some(served))
        .map(|(device, served)| (device.clone(), (served.clone(), after[device].clone())))
        .collect();
    assert_eq!(listed, changed, "{preview:#}");
    assert_eq!(preview["changed"], changed.len(), "{preview:#}");
    assert_eq!(preview["listed"], changed.len());
    assert_eq!(preview["truncated"], false);
    let urgent = |urgency: &str| {
        preview["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|change| change["urgency"] == urgency)
            .count()
    };
    assert_eq!(preview["overdueAtOnce"], urgent("atOnce"), "{preview:#}");
    assert_eq!(preview["dueWithin24Hours"], urgent("within24Hours"));
}

/// One change: its dry run writes nothing (same service, no audit entry) and predicts what the
/// real write then does. Answers the preview and the real write's answer.
pub(crate) async fn check(
    app: &TestApp,
    devices: &[&str],
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (Value, Value) {
    let before = fleet(app, devices).await;
    let entries = audit_count(app).await;
    let request = |query: &str| {
        let separator = if path.contains('?') { '&' } else { '?' };
        let builder = app.admin(method.clone(), &format!("{path}{separator}{query}"));
        match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(serde_json::to_vec(body).unwrap()),
            None => builder,
        }
    };
    let response = request("dryRun=true").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{method} {path}");
    let preview = json_body(response).await;
    assert_eq!(preview["dryRun"], true, "{preview}");
    assert_eq!(preview["devices"], devices.len(), "{preview}");
    assert_eq!(
        fleet(app, devices).await,
        before,
        "{method} {path}: a dry run wrote"
    );
    assert_eq!(
        audit_count(app).await,
        entries,
        "{method} {path}: a dry run was recorded"
    );

    let response = request("dryRun=false").send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{method} {path}: {}",
        response.status()
    );
    let answer = if response.status() == StatusCode::NO_CONTENT {
        Value::Null
    } else {
        json_body(response).await
    };
    assert_eq!(audit_count(app).await, entries + 1, "{method} {path}");
    let after = fleet(app, devices).await;
    assert_predicted(&preview, &before, &after);
    (preview, answer)
}

/// 26.0.1 (2025-09-29) and 26.1 (2025-11-03) for the Mac16,1 (J413AP).
pub(crate) fn two_releases() -> Value {
    json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.0.1", "Build": "25A362", "PostingDate": "2025-09-29",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]}
    ]}})
}

pub(crate) async fn policy_id(app: &TestApp, name: &str) -> i64 {
    admin_json(app, "/api/v1/policies")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|policy| policy["name"] == name)
        .and_then(|policy| policy["id"].as_i64())
        .unwrap()
}

on_each_backend!(a_dry_run_predicts_exactly_what_each_kind_of_change_then_does);
async fn a_dry_run_predicts_exactly_what_each_kind_of_change_then_does(backend: TestBackend) {
    // 26.1 is visible to Vanguard since 2025-11-04, due 2025-11-07; Early Adoption enforces
    // 26.0.1, overdue.
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    let devices = ["mac-a", "mac-b", "mac-c", "mac-d"];
    let macs: Vec<(&str, Value)> = devices
        .iter()
        .map(|id| (*id, report("26.0", "25A354", "J413AP", "Mac16,1")))
        .collect();
    enroll_in_first_ring(&app, &macs[..2], &two_releases()).await;
    for (device, body) in &macs[2..] {
        let response = ddm(&app, Method::PUT, "status", device, Some(body)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let rings = load_rings(&app).await;
    let group = json_body(
        send(
            &app,
            Method::POST,
            "/api/v1/device-groups",
            &json!({"name": "lab", "devices": ["mac-c"]}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let early = format!("/api/v1/policy-groups/{}/bindings", rings[1]);
    let response = send(&app, Method::PUT, &early, &json!({"deviceGroups": [group]})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let vanguard = policy_id(&app, "Vanguard (macOS)").await;
    let vanguard_path = format!("/api/v1/policies/{vanguard}");

    // A shorter grace period: Vanguard's deadlines move to today (due at once or within a day).
    let mut document = admin_json(&app, &vanguard_path).await;
    for key in ["id", "policyGroup", "revision", "createdAt", "updatedAt"] {
        document.as_object_mut().unwrap().remove(key);
    }
    document["enforcement"]["gracePeriodDays"] = json!(1);
    let (preview, _) = check(&app, &devices, Method::PUT, &vanguard_path, Some(&document)).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "rescheduled");

    // Blocking 26.1 sends Vanguard back to 26.0.1; unblocking restores it.
    let block = "/api/v1/catalog/macOS/26.1/block";
    let (preview, _) = check(
        &app,
        &devices,
        Method::POST,
        block,
        Some(&json!({"reason": "bad"})),
    )
    .await;
    assert_eq!(preview["changes"][0]["change"], "retargeted", "{preview:#}");
    check_json(
        "os_updates/dry-run.block.json",
        &without_wall_clock(preview),
    );
    check(
        &app,
        &devices,
        Method::POST,
        "/api/v1/catalog/macOS/26.1/unblock",
        None,
    )
    .await;

    // An exemption removes one device's enforcement; ending it brings it back.
    let exempt = json!({"until": "2025-11-20T00:00:00Z", "reason": "travelling"});
    let (preview, answer) = check(
        &app,
        &devices,
        Method::POST,
        "/api/v1/devices/mac-a/exemptions",
        Some(&exempt),
    )
    .await;
    assert_eq!(preview["changes"][0]["change"], "removed", "{preview:#}");
    assert_eq!(preview["changes"][0]["urgency"], "none");
    let end = format!("/api/v1/devices/mac-a/exemptions/{}", answer["id"]);
    check(&app, &devices, Method::DELETE, &end, None).await;

    // A device group's new member gets its ring; a binding without a device drops it.
    let group_path = format!("/api/v1/device-groups/{group}");
    let members = json!({"name": "lab", "devices": ["mac-c", "mac-d"]});
    let (preview, _) = check(&app, &devices, Method::PUT, &group_path, Some(&members)).await;
    assert_eq!(preview["changes"][0]["deviceId"], "mac-d", "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "added");
    let bindings = format!("/api/v1/policy-groups/{}/bindings", rings[0]);
    let (preview, _) = check(
        &app,
        &devices,
        Method::PUT,
        &bindings,
        Some(&json!({"devices": ["mac-a"]})),
    )
    .await;
    assert_eq!(preview["changes"][0]["deviceId"], "mac-b", "{preview:#}");

    // A newer release imported (visible to Vanguard today), then deleted again.
    let newer = json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.2", "Build": "25C56", "PostingDate": "2025-11-04",
         "SupportedDevices": ["J413AP"]}
    ]}});
    let (preview, _) = check(
        &app,
        &devices,
        Method::POST,
        "/api/v1/catalog/import",
        Some(&newer),
    )
    .await;
    assert_eq!(
        preview["changes"][0]["to"]["targetVersion"], "26.2",
        "{preview:#}"
    );
    check(
        &app,
        &devices,
        Method::DELETE,
        "/api/v1/catalog/macOS/26.2",
        None,
    )
    .await;

    // A new policy is bound to nothing: no device changes, but it is checked and created.
    let mut lab = crate::os_policies::lab_policy();
    lab["name"] = json!("Lab");
    let (preview, answer) =
        check(&app, &devices, Method::POST, "/api/v1/policies", Some(&lab)).await;
    assert_eq!(preview["changed"], 0, "{preview:#}");
    assert_eq!(answer["name"], "Lab");

    // Deleting the device group and the Vanguard policy.
    let (preview, _) = check(&app, &devices, Method::DELETE, &group_path, None).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    let (preview, _) = check(&app, &devices, Method::DELETE, &vanguard_path, None).await;
    assert_eq!(preview["changes"][0]["deviceId"], "mac-a", "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "removed");
}

on_each_backend!(a_dry_run_value_other_than_true_or_false_is_a_400_naming_the_parameter);
async fn a_dry_run_value_other_than_true_or_false_is_a_400_naming_the_parameter(
    backend: TestBackend,
) {
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    let entries = audit_count(&app).await;
    for query in ["dryRun=yes", "dryRun=", "dryRun=true&dryRun=false"] {
        let path = format!("/api/v1/policies?{query}");
        let response = send(&app, Method::POST, &path, &crate::os_policies::lab_policy()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["parameter"], "dryRun", "{answer}");
    }
    assert_eq!(admin_json(&app, "/api/v1/policies").await, json!([]));
    assert_eq!(audit_count(&app).await, entries);
}

on_each_backend!(a_route_that_has_no_dry_run_records_its_write_whatever_the_query_says);
async fn a_route_that_has_no_dry_run_records_its_write_whatever_the_query_says(
    backend: TestBackend,
) {
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    let entries = audit_count(&app).await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices?dryRun=true",
        &json!({"id": "mac-z", "platform": "macOS", "osVersion": "26.0"}),
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(audit_count(&app).await, entries + 1);
}

on_each_backend!(the_cli_shows_a_preview_with_dry_run_and_changes_without_asking_off_a_terminal);
async fn the_cli_shows_a_preview_with_dry_run_and_changes_without_asking_off_a_terminal(
    backend: TestBackend,
) {
    // The CLI reads the system clock: these releases are long visible and overdue.
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    let mac = report("26.0", "25A354", "J413AP", "Mac16,1");
    enroll_in_first_ring(&app, &[("mac-a", mac)], &two_releases()).await;
    let db = app.database.url.clone();
    let blocked = |catalog: Value| catalog["blocked"].as_array().map_or(0, Vec::len);

    let block = [
        "catalog",
        "block",
        "macOS",
        "26.1",
        "--reason",
        "bad",
        "--database",
        &db,
    ];
    let run = ringmaster(&[&block[..], &["--dry-run"]].concat()).await;
    assert_eq!(run.code, 0, "{run:?}");
    for expected in [
        "DEVICE",
        "mac-a",
        "26.1 (25B78)",
        "26.0.1 (25A362)",
        "atOnce",
        "1 of 1 device(s) would change: 0 due within 24 hours, 1 overdue at once",
        "dry run: nothing was changed",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert_eq!(blocked(admin_json(&app, "/api/v1/catalog/macOS").await), 0);

    let run = ringmaster(&[
        "policy",
        "delete",
        "Vanguard (macOS)",
        "--dry-run",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("nothing"), "{}", run.stdout);
    assert_eq!(
        admin_json(&app, "/api/v1/policies")
            .await
            .as_array()
            .unwrap()
            .len(),
        8
    );

    // A refused dry run fails as the real command does.
    let run = ringmaster(&[
        "catalog",
        "unblock",
        "macOS",
        "27.0",
        "--dry-run",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not exist"), "{run:?}");

    // Standard input is not a terminal: the change is made without a question.
    let run = ringmaster(&block).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("blocked macOS 26.1"), "{run:?}");
    assert!(!run.stdout.contains("apply this change"), "{run:?}");
    assert_eq!(blocked(admin_json(&app, "/api/v1/catalog/macOS").await), 1);
}

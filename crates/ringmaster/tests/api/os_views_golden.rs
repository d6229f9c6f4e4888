//! The OS-update answers as golden files: one fleet (two Macs reporting over DDM, an iPad added
//! by an admin, a Mac that checked in but never reported, the four rings, a lab group with its
//! own policy, a legacy patch policy) and every admin view of it at fixed instants: policies,
//! groups, bindings, devices, the effective policy, the declarations served, device status,
//! compliance and the plan, their refusals, and the same views printed by the CLI. The
//! server's clock is manual, so everything but the wall-clock stamps is fixed.

use jiff::SignedDuration;
use reqwest::Method;
use ringmaster::clock::Clock;
use ringmaster_testing::golden::{check_json, check_text};
use serde_json::{Value, json};

use crate::ddm_protocol::{SECRET, check_in, get_json, options, settings_item};
use crate::golden::without_wall_clock;
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, fixture, json_body, spawn_app_with};

async fn report(app: &TestApp, enrollment: &str, body: &Value) {
    let response = check_in(app, Method::PUT, "status", enrollment, Some(body)).await;
    assert!(response.status().is_success(), "{}", response.status());
}

fn mac_report(version: &str) -> Value {
    json!({
        "StatusItems": {
            "device": {
                "operating-system": {"family": "macOS", "version": version, "build-version": "25A362"},
                "model": {"identifier": "Mac16,1"}
            },
            "softwareupdate": {"device-id": "J413AP", "install-state": "none", "beta-enrollment": ""}
        },
        "Errors": [],
        "FullReport": true
    })
}

/// `method path` with the admin token and an optional JSON body: the status and the JSON answer.
async fn call(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let response = match body {
        Some(body) => send(app, method, path, body).await,
        None => app.admin(method, path).send().await.expect("request"),
    };
    let status = response.status().as_u16();
    (status, json_body(response).await)
}

/// Checks the answer of `GET path` (200) against `fixtures/golden/os_updates/{file}`.
async fn golden_get(app: &TestApp, path: &str, file: &str) -> Value {
    let (status, body) = call(app, Method::GET, path, None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    check_json(
        &format!("os_updates/{file}"),
        &without_wall_clock(body.clone()),
    );
    body
}

fn golden_answer(file: &str, body: &Value) {
    check_json(
        &format!("os_updates/{file}"),
        &without_wall_clock(body.clone()),
    );
}

on_each_backend!(the_os_update_answers_match_the_golden_files);
async fn the_os_update_answers_match_the_golden_files(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, Some(SECRET))).await;
    let imported = import(&app, fixture("catalog/macos-26-autumn-2025.json")).await;
    assert!(imported.status().is_success());
    let imported = import(&app, fixture("catalog/ios-26-autumn-2025.json")).await;
    assert!(imported.status().is_success());
    golden_get(&app, "/api/v1/catalog/macOS", "catalog.macos.json").await;

    // The rings, a lab policy (with a warning), a lab group, and the devices.
    let (status, rings) = call(&app, Method::POST, "/api/v1/policy-groups/defaults", None).await;
    assert_eq!(status, 201, "{backend:?}");
    golden_answer("policy-groups.defaults.json", &rings);
    let ring = |index: usize| rings["policyGroups"][index]["id"].as_i64().unwrap();
    report(&app, "mac-1", &mac_report("26.0.1")).await;
    report(&app, "mac-2", &mac_report("26.0.1")).await;
    let (status, ipad) = call(
        &app,
        Method::POST,
        "/api/v1/devices",
        Some(
            &json!({"id": "ipad-1", "platform": "iOS", "osVersion": "26.0.1", "model": "iPad16,3"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{ipad}");
    golden_answer("device.created.json", &ipad);
    // A device that checks in but has never reported its OS.
    get_json(&app, "declaration-items", "mac-silent").await;
    let (status, lab) = call(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        Some(&json!({"name": "Lab", "devices": ["mac-1", "ipad-1", "mac-silent"]})),
    )
    .await;
    assert_eq!(status, 201, "{lab}");
    golden_answer("device-group.created.json", &lab);
    let lab_id = lab["id"].as_i64().unwrap();
    let (status, policy) = call(
        &app,
        Method::POST,
        "/api/v1/policies",
        Some(&json!({
            "name": "Lab Macs", "platform": "macOS",
            "deferrals": {"majorDays": 30, "minorDays": 7, "systemDays": 3},
            "enforcement": {"enabled": true, "gracePeriodDays": 5, "localTime": "18:30", "detailsUrl": "https://intranet.example/updates", "scope": "sameMajor"},
            "recommendedCadence": "newest"
        })),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    golden_answer("policy.created.json", &policy);
    let lab_policy = policy["id"].as_i64().unwrap();

    // mac-1 and mac-2 in Early Adoption directly; the lab through its group gets General
    // Adoption and the lab policy.
    let (status, bindings) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{}/bindings", ring(1)),
        Some(&json!({"devices": ["mac-1", "mac-2"]})),
    )
    .await;
    assert_eq!(status, 200);
    golden_answer("bindings.early.json", &bindings);
    for path in [
        format!("/api/v1/policy-groups/{}/bindings", ring(2)),
        format!("/api/v1/policies/{lab_policy}/bindings"),
    ] {
        let (status, _) = call(
            &app,
            Method::PUT,
            &path,
            Some(&json!({"deviceGroups": [lab_id]})),
        )
        .await;
        assert_eq!(status, 200, "{path}");
    }

    // mac-1 downloads, rejects its settings, and reports an item error.
    let items = get_json(&app, "declaration-items", "mac-1").await;
    golden_answer("ddm.declaration-items.mac-1.json", &items);
    let tokens = get_json(&app, "tokens", "mac-1").await;
    golden_answer("ddm.tokens.mac-1.json", &tokens);
    let settings = settings_item(&items);
    report(&app, "mac-1", &json!({"StatusItems": {
        "softwareupdate": {
            "install-state": "downloading",
            "pending-version": {"os-version": "26.1", "build-version": "25B78", "target-local-date-time": "2025-11-17T17:00:00"},
            "install-reason": {"reason": ["declaration"], "declaration-id": "ringmaster.softwareupdate.enforcement"},
            "failure-reason": {"count": 1, "reason": "Not enough space", "timestamp": "2025-11-12T08:00:00Z"}
        },
        "management": {"declarations": {
            "activations": [], "assets": [], "management": [],
            "configurations": [{"identifier": settings["Identifier"], "server-token": settings["ServerToken"],
                "active": false, "valid": "invalid",
                "reasons": [{"code": "Error.UnknownPayloadKeys", "description": "Unknown payload keys", "details": {"keys": ["X"]}}]}]
        }}
    }, "Errors": [{"StatusItem": "device.model.marketing-name", "Reasons": [{"Code": "Error.NotSupported", "Description": "not here"}]}]}))
    .await;
    // A legacy patch policy on mac-2.
    let (status, legacy) = call(
        &app,
        Method::POST,
        "/api/v1/devices/mac-2/legacy-mechanisms",
        Some(&json!({"kind": "patchPolicy", "name": "macOS Updates (Jamf)"})),
    )
    .await;
    assert_eq!(status, 201, "{legacy}");
    golden_answer("legacy.recorded.json", &legacy);

    golden_get(&app, "/api/v1/policies", "policies.json").await;
    golden_get(
        &app,
        &format!("/api/v1/policies/{lab_policy}"),
        "policy.json",
    )
    .await;
    golden_get(&app, "/api/v1/policy-groups", "policy-groups.json").await;
    golden_get(
        &app,
        &format!("/api/v1/policy-groups/{}", ring(1)),
        "policy-group.json",
    )
    .await;
    golden_get(
        &app,
        &format!("/api/v1/policies/{lab_policy}/bindings"),
        "bindings.lab.json",
    )
    .await;
    golden_get(&app, "/api/v1/devices", "devices.json").await;
    golden_get(&app, "/api/v1/devices?limit=1", "devices.page.json").await;
    golden_get(&app, "/api/v1/devices/ipad-1", "device.json").await;
    golden_get(&app, "/api/v1/device-groups", "device-groups.json").await;
    golden_get(
        &app,
        &format!("/api/v1/device-groups/{lab_id}"),
        "device-group.json",
    )
    .await;
    golden_get(
        &app,
        "/api/v1/devices/mac-2/legacy-mechanisms",
        "legacy.mac-2.json",
    )
    .await;

    for device in ["mac-1", "mac-2", "ipad-1", "mac-silent"] {
        golden_get(
            &app,
            &format!("/api/v1/devices/{device}/effective-policy"),
            &format!("effective-policy.{device}.json"),
        )
        .await;
        golden_get(
            &app,
            &format!("/api/v1/devices/{device}/declarations"),
            &format!("declarations.{device}.json"),
        )
        .await;
        golden_get(
            &app,
            &format!("/api/v1/devices/{device}/status"),
            &format!("status.{device}.json"),
        )
        .await;
    }
    let early_policy = rings["policyGroups"][1]["policies"][0]["id"]
        .as_i64()
        .unwrap();
    golden_get(
        &app,
        &format!("/api/v1/policies/{early_policy}/compliance"),
        "compliance.early.json",
    )
    .await;
    golden_get(
        &app,
        "/api/v1/policy-groups/compliance",
        "compliance.rings.macos.json",
    )
    .await;
    golden_get(
        &app,
        "/api/v1/policy-groups/compliance?platform=iOS",
        "compliance.rings.ios.json",
    )
    .await;
    golden_get(
        &app,
        &format!("/api/v1/policies/{lab_policy}/plan?from=2025-11-01&to=2026-01-31"),
        "plan.lab.json",
    )
    .await;
    golden_get(&app, "/api/v1/policy-groups/plan", "plan.rings.macos.json").await;
    golden_get(
        &app,
        "/api/v1/policy-groups/plan?platform=iOS&at=2025-12-01T00:00:00Z",
        "plan.rings.ios.json",
    )
    .await;

    // Refused queries and documents answer the same errors.
    for (method, path, body, file) in [
        (
            Method::GET,
            "/api/v1/policy-groups/plan?from=2025-11-02&to=2025-11-01",
            None,
            "error.plan-reversed.json",
        ),
        (
            Method::GET,
            "/api/v1/policy-groups/plan?to=soon",
            None,
            "error.plan-to.json",
        ),
        (
            Method::GET,
            "/api/v1/policy-groups/plan?platform=tvOS",
            None,
            "error.plan-platform.json",
        ),
        (
            Method::GET,
            "/api/v1/policy-groups/compliance?platform=tvOS",
            None,
            "error.compliance-platform.json",
        ),
        (
            Method::POST,
            "/api/v1/devices/mac-2/legacy-mechanisms",
            Some(json!({"kind": "script", "name": " ", "extra": true})),
            "error.legacy.json",
        ),
        (
            Method::POST,
            "/api/v1/devices/mac-2/legacy-mechanisms",
            Some(json!(["patchPolicy"])),
            "error.legacy-array.json",
        ),
    ] {
        let (status, answer) = call(&app, method, path, body.as_ref()).await;
        assert_eq!(status, 400, "{path}: {answer}");
        golden_answer(file, &answer);
    }

    // The command line prints the same views.
    let at = clock.now().to_string();
    let database = app.database.url.clone();
    for (file, args) in [
        ("cli.compliance.txt", vec!["compliance", "--devices"]),
        (
            "cli.compliance.ios.txt",
            vec!["compliance", "--platform", "iOS"],
        ),
        (
            "cli.compliance.lab.txt",
            vec!["compliance", "--policy", "Lab Macs", "--devices"],
        ),
        (
            "cli.device-status.mac-1.txt",
            vec!["device-status", "mac-1"],
        ),
        (
            "cli.device-status.mac-silent.txt",
            vec!["device-status", "mac-silent"],
        ),
        (
            "cli.plan.txt",
            vec!["plan", "--from", "2025-11-01", "--to", "2026-01-31"],
        ),
        (
            "cli.plan.lab.txt",
            vec!["plan", "--policy", "Lab Macs", "--from", "2025-11-01"],
        ),
    ] {
        let mut args: Vec<&str> = args;
        if args[0] != "plan" {
            args.extend(["--at", at.as_str()]);
        }
        args.extend(["--database", database.as_str()]);
        let run = crate::cli::ringmaster(&args).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        check_text(&format!("os_updates/{file}"), &run.stdout);
    }
    let run = crate::cli::ringmaster(&[
        "device-status",
        "mac-1",
        "--json",
        "--at",
        &at,
        "--database",
        &database,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    check_json("os_updates/status.mac-1.json", &without_wall_clock(printed));
    let run = crate::cli::ringmaster(&[
        "plan",
        "--json",
        "--from",
        "2025-11-01",
        "--to",
        "2026-01-31",
        "--database",
        &database,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    check_json("os_updates/cli.plan.json", &printed);
    for (args, message) in [
        (
            vec!["plan", "--from", "2025-11-02", "--to", "2025-11-01"],
            "error: --to (2025-11-01) is before --from (2025-11-02)\n",
        ),
        (
            vec!["plan", "--to", "11/01"],
            "error: --to: write the day as yyyy-mm-dd\n",
        ),
    ] {
        let mut args = args;
        args.extend(["--database", database.as_str()]);
        let run = crate::cli::ringmaster(&args).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }

    // A week later, past Early Adoption's deadline: mac-2 is overdue with a legacy conflict.
    clock.advance(SignedDuration::from_hours(24 * 7));
    golden_get(
        &app,
        "/api/v1/devices/mac-2/status",
        "status.mac-2.overdue.json",
    )
    .await;
    golden_get(
        &app,
        &format!("/api/v1/policies/{early_policy}/compliance"),
        "compliance.early.overdue.json",
    )
    .await;
}

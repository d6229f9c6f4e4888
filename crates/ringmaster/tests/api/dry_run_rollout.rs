//! `?dryRun=true` on pausing and resuming a ring and a policy and on setting and removing a
//! ring's health gate, through the real server on both backends: each dry run writes nothing
//! (what devices are served, the audit log) and predicts exactly what the real write then does,
//! device by device; the CLI's `ring|policy pause|resume --dry-run` shows the table and changes
//! nothing. Refused dry runs are in `dry_run_errors.rs`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::cli::ringmaster;
use crate::ddm_target_builds::{app_at, ddm, enroll_in_first_ring, report};
use crate::dry_run::{check, policy_id, served, two_releases};
use crate::os_policies::send;
use crate::support::{TestBackend, admin_json, load_rings};

on_each_backend!(a_dry_run_of_a_pause_a_resume_or_a_gate_predicts_what_the_write_then_does);
async fn a_dry_run_of_a_pause_a_resume_or_a_gate_predicts_what_the_write_then_does(
    backend: TestBackend,
) {
    // 26.1 is visible to Vanguard since 2025-11-04, due 2025-11-07; Early Adoption enforces
    // 26.0.1, overdue.
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    let devices = ["mac-a", "mac-b", "mac-c", "mac-d"];
    let mac = || report("26.0", "25A354", "J413AP", "Mac16,1");
    enroll_in_first_ring(&app, &[("mac-a", mac()), ("mac-b", mac())], &two_releases()).await;
    for device in &devices[2..] {
        let response = ddm(&app, Method::PUT, "status", device, Some(&mac())).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let rings = load_rings(&app).await;
    let early = format!("/api/v1/policy-groups/{}/bindings", rings[1]);
    let body = json!({"devices": ["mac-c", "mac-d"]});
    assert_eq!(
        send(&app, Method::PUT, &early, &body).await.status(),
        StatusCode::OK
    );

    // Pausing Vanguard withdraws its two devices' enforcement; pausing it again with another
    // reason changes nothing; resuming restarts the grace period from today.
    let pause = format!("/api/v1/policy-groups/{}/pause", rings[0]);
    let reason = json!({"reason": "VPN client breaks on 26.1"});
    let (preview, answer) = check(&app, &devices, Method::POST, &pause, Some(&reason)).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "removed", "{preview:#}");
    assert_eq!(answer["pause"]["active"], true, "{answer:#}");
    let longer = json!({"reason": "still broken", "until": "2025-11-20T00:00:00Z"});
    let (preview, _) = check(&app, &devices, Method::POST, &pause, Some(&longer)).await;
    assert_eq!(preview["changed"], 0, "{preview:#}");
    let resume = format!("/api/v1/policy-groups/{}/resume", rings[0]);
    let (preview, answer) = check(&app, &devices, Method::POST, &resume, None).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "added", "{preview:#}");
    assert_eq!(answer["active"], false, "{answer:#}");
    // Resuming what is no longer paused answers the pause and changes nothing.
    let (preview, _) = check(&app, &devices, Method::POST, &resume, None).await;
    assert_eq!(preview["changed"], 0, "{preview:#}");

    // A policy by its own id: Early Adoption's devices only.
    let policy = policy_id(&app, "Early Adoption (macOS)").await;
    let pause = format!("/api/v1/policies/{policy}/pause");
    let (preview, _) = check(&app, &devices, Method::POST, &pause, Some(&reason)).await;
    let listed: Vec<&str> = preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|change| change["deviceId"].as_str())
        .collect();
    assert_eq!(listed, ["mac-c", "mac-d"], "{preview:#}");
    let resume = format!("/api/v1/policies/{policy}/resume");
    check(&app, &devices, Method::POST, &resume, None).await;

    // A gate on Early Adoption after Vanguard: nothing has passed it, so Early Adoption waits;
    // removing it brings its enforcement back.
    let gate = format!("/api/v1/policy-groups/{}/gate", rings[1]);
    let document = json!({"after": rings[0], "minInstalledPercent": 80, "maxFailedPercent": 5,
                          "minDays": 2});
    let (preview, answer) = check(&app, &devices, Method::PUT, &gate, Some(&document)).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    assert_eq!(preview["changes"][1]["deviceId"], "mac-d", "{preview:#}");
    assert_eq!(preview["changes"][1]["change"], "removed", "{preview:#}");
    assert_eq!(answer["minInstalledPercent"], 80, "{answer:#}");
    let looser = json!({"after": rings[0], "minInstalledPercent": 0, "maxFailedPercent": 100,
                        "minDays": 0});
    check(&app, &devices, Method::PUT, &gate, Some(&looser)).await;
    let (preview, _) = check(&app, &devices, Method::DELETE, &gate, None).await;
    assert_eq!(preview["changed"], 2, "{preview:#}");
    assert_eq!(preview["changes"][0]["change"], "added", "{preview:#}");
}

on_each_backend!(the_cli_previews_a_pause_and_a_resume_with_dry_run);
async fn the_cli_previews_a_pause_and_a_resume_with_dry_run(backend: TestBackend) {
    // The CLI reads the system clock: these releases are long visible and overdue.
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    let mac = report("26.0", "25A354", "J413AP", "Mac16,1");
    enroll_in_first_ring(&app, &[("mac-a", mac)], &two_releases()).await;
    let db = app.database.url.clone();
    let enforced = served(&app, "mac-a").await;
    assert!(enforced.is_some());
    let pauses = |ring: &str| {
        vec![
            "ring".to_owned(),
            "pause".to_owned(),
            ring.to_owned(),
            "--reason".to_owned(),
            "bad build".to_owned(),
            "--database".to_owned(),
            db.clone(),
        ]
    };
    let run = ringmaster(&[&pauses("Vanguard")[..], &["--dry-run".to_owned()]].concat()).await;
    assert_eq!(run.code, 0, "{run:?}");
    for expected in [
        "DEVICE",
        "mac-a",
        "26.1 (25B78)",
        "nothing",
        "1 of 1 device(s) would change: 0 due within 24 hours, 0 overdue at once",
        "dry run: nothing was changed",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    let policy = ringmaster(&[
        "policy",
        "pause",
        "Vanguard (macOS)",
        "--reason",
        "r",
        "--dry-run",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(policy.code, 0, "{policy:?}");
    assert!(policy.stdout.contains("mac-a"), "{}", policy.stdout);
    // A refused dry run fails as the real command does.
    let run = ringmaster(&["ring", "resume", "Vanguard", "--dry-run", "--database", &db]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not exist"), "{run:?}");
    let audit = admin_json(&app, "/api/v1/audit?limit=1000").await;
    let recorded = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| {
            entry["action"]
                .as_str()
                .is_some_and(|a| a.contains("pause"))
        })
        .count();
    assert_eq!(recorded, 0, "{audit:#}");
    assert_eq!(served(&app, "mac-a").await, enforced);

    // Standard input is not a terminal: the change is made without a question, then previewed
    // resumed.
    let run = ringmaster(&pauses("Vanguard")).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("paused policy-group"), "{run:?}");
    assert!(!run.stdout.contains("apply this change"), "{run:?}");
    let run = ringmaster(&["ring", "resume", "Vanguard", "--dry-run", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("mac-a"), "{}", run.stdout);
    assert!(run.stdout.contains("dry run"), "{}", run.stdout);
}

on_each_backend!(a_dry_run_is_evaluated_at_its_at_like_every_view);
async fn a_dry_run_is_evaluated_at_its_at_like_every_view(backend: TestBackend) {
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    let mac = report("26.0", "25A354", "J413AP", "Mac16,1");
    enroll_in_first_ring(&app, &[("mac-a", mac)], &two_releases()).await;
    let entries = admin_json(&app, "/api/v1/audit?limit=1000").await["entries"]
        .as_array()
        .unwrap()
        .len();
    let block = "/api/v1/catalog/macOS/26.1/block?dryRun=true";
    let reason = json!({"reason": "bad"});
    let preview = |query: String| {
        let app = &app;
        let reason = &reason;
        async move { send(app, Method::POST, &format!("{block}{query}"), reason).await }
    };

    // Now 26.1 is Vanguard's target: blocking it sends mac-a back to 26.0.1.
    let now = crate::support::json_body(preview(String::new()).await).await;
    assert_eq!(now["at"], "2025-11-05T09:00:00Z", "{now:#}");
    assert_eq!(now["changed"], 1, "{now:#}");
    assert_eq!(now["changes"][0]["from"]["targetVersion"], "26.1");
    // On Nov 3, before 26.1 became visible to Vanguard, the same block changes nothing.
    let early =
        crate::support::json_body(preview("&at=2025-11-03T12:00:00Z".to_owned()).await).await;
    assert_eq!(early["at"], "2025-11-03T12:00:00Z", "{early:#}");
    assert_eq!(early["changed"], 0, "{early:#}");
    // A pause until Nov 10 withdraws the enforcement now; asked about Nov 12 it is over, and
    // the grace period restarted when it ended, so the deadline moved.
    let ring = admin_json(&app, "/api/v1/policy-groups").await[0]["id"].clone();
    let pause = format!("/api/v1/policy-groups/{ring}/pause?dryRun=true");
    let body = json!({"reason": "r", "until": "2025-11-10T00:00:00Z"});
    let paused = crate::support::json_body(send(&app, Method::POST, &pause, &body).await).await;
    assert_eq!(paused["changes"][0]["change"], "removed", "{paused:#}");
    let later = format!("{pause}&at=2025-11-12T00:00:00Z");
    let after = crate::support::json_body(send(&app, Method::POST, &later, &body).await).await;
    assert_eq!(after["at"], "2025-11-12T00:00:00Z", "{after:#}");
    assert_eq!(after["changes"][0]["change"], "rescheduled", "{after:#}");
    assert_eq!(after["changes"][0]["to"]["deadline"], "2025-11-13T17:00:00");

    // An invalid `at` is a 400 naming it, and nothing is written or recorded.
    for query in [
        "&at=soon",
        "&at=",
        "&at=2025-11-03T12:00:00Z&at=2025-11-04T12:00:00Z",
    ] {
        let response = preview(query.to_owned()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let answer = crate::support::json_body(response).await;
        assert_eq!(answer["errors"][0]["parameter"], "at", "{answer:#}");
    }
    let catalog = admin_json(&app, "/api/v1/catalog/macOS").await;
    let blocked = catalog["blocked"].as_array().map_or(0, Vec::len);
    assert_eq!(blocked, 0, "{catalog:#}");
    let audit = admin_json(&app, "/api/v1/audit?limit=1000").await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), entries);
}

//! `ringmaster ring gate set|clear|evaluate` against the real server's database, on both
//! backends: a gate set by name is what the API then shows, refusals are plain words naming the
//! flag and change nothing, `--dry-run` shows the preview and changes nothing, the evaluation
//! round says what it found, and every change is in the audit log.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::cli::ringmaster;
use crate::support::{TestApp, TestBackend, admin_json};

async fn group_named(app: &TestApp, name: &str) -> Value {
    admin_json(app, "/api/v1/policy-groups")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == name)
        .cloned()
        .unwrap()
}

/// Waits (the server refreshes every half second) until `name`'s gate is `wanted`.
async fn wait_for_gate(app: &TestApp, name: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let group = group_named(app, name).await;
        if wanted(&group["gate"]) {
            return group;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name}: {group:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_each_backend!(the_command_line_sets_evaluates_and_clears_a_gate_by_ring_name);
async fn the_command_line_sets_evaluates_and_clears_a_gate_by_ring_name(backend: TestBackend) {
    let app = crate::support::spawn_app(backend).await;
    let response = app
        .admin(Method::POST, "/api/v1/policy-groups/defaults")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let db = app.database.url.clone();
    let vanguard = group_named(&app, "Vanguard").await["id"].clone();
    let set = |ring: &str, after: &str, installed: &str| {
        vec![
            "ring".to_owned(),
            "gate".to_owned(),
            "set".to_owned(),
            ring.to_owned(),
            "--after".to_owned(),
            after.to_owned(),
            "--min-installed-percent".to_owned(),
            installed.to_owned(),
            "--max-failed-percent".to_owned(),
            "5".to_owned(),
            "--min-days".to_owned(),
            "2".to_owned(),
            "--database".to_owned(),
            db.clone(),
        ]
    };

    // Refusals in plain words, naming the flag; nothing changes.
    let run = ringmaster(&set("Early Adoption", "Vanguard", "101")).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("--min-installed-percent: minInstalledPercent is 101"),
        "{run:?}"
    );
    let run = ringmaster(&set("Early Adoption", "Nowhere", "80")).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("no ring (policy group) has the id or name \"Nowhere\""),
        "{run:?}"
    );
    let run = ringmaster(&set("Early Adoption", "Early Adoption", "80")).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--after:"), "{run:?}");
    // A dry run shows the preview (no device yet) and changes nothing.
    let run = ringmaster(
        &[
            &set("Early Adoption", "Vanguard", "80")[..],
            &["--dry-run".to_owned()],
        ]
        .concat(),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("0 of 0 device(s) would change"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("dry run: nothing was changed"),
        "{run:?}"
    );
    assert_eq!(
        group_named(&app, "Early Adoption").await["gate"],
        Value::Null
    );

    // Set by names (standard input is not a terminal: no question).
    let run = ringmaster(&set("Early Adoption", "Vanguard", "80")).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        "Early Adoption waits for Vanguard: at least 80% installed, at most 5% failed, at least 2 days"
    );
    let group = wait_for_gate(&app, "Early Adoption", |gate| !gate.is_null()).await;
    assert_eq!(group["gate"]["after"], vanguard, "{group:#}");
    assert_eq!(group["gate"]["minInstalledPercent"], 80);
    // The gate may not close a cycle.
    let run = ringmaster(&set("Vanguard", "Early Adoption", "80")).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("may not close a cycle"), "{run:?}");

    let run = ringmaster(&["ring", "gate", "evaluate", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("no gated ring has a release to evaluate"),
        "{run:?}"
    );

    let clear = ["ring", "gate", "clear", "Early Adoption", "--database", &db];
    let run = ringmaster(&clear).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Early Adoption no longer waits"),
        "{run:?}"
    );
    wait_for_gate(&app, "Early Adoption", Value::is_null).await;
    let run = ringmaster(&clear).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not exist"), "{run:?}");

    let audit = admin_json(&app, "/api/v1/audit?limit=1000").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|action| action.starts_with("ringmaster ring gate"))
            .count(),
        2,
        "one set and one clear: {actions:?}"
    );
}

#[tokio::test]
async fn every_gate_command_has_help_naming_its_flags() {
    for (command, flags) in [
        (&["ring", "gate"][..], &["set", "clear", "evaluate"][..]),
        (
            &["ring", "gate", "set"][..],
            &[
                "--after",
                "--min-installed-percent",
                "--max-failed-percent",
                "--min-days",
                "--dry-run",
                "--yes",
                "--database",
            ][..],
        ),
        (
            &["ring", "gate", "clear"][..],
            &["--dry-run", "--yes", "--database"][..],
        ),
        (&["ring", "gate", "evaluate"][..], &["--database"][..]),
        (
            &["ring", "pause"][..],
            &["--dry-run", "--yes", "--reason"][..],
        ),
        (&["policy", "resume"][..], &["--dry-run", "--yes"][..]),
    ] {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let run = ringmaster(&args).await;
        assert_eq!(run.code, 0, "{command:?}: {run:?}");
        for flag in flags {
            assert!(
                run.stdout.contains(flag),
                "{command:?} lacks {flag}: {}",
                run.stdout
            );
        }
    }
}

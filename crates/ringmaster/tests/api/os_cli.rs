//! The OS-update commands as the real binary: `catalog import|list`, `policy load-defaults|list|
//! create|show|delete`, `plan` (table, JSON and SVG), each on `--database`, and a running server
//! seeing what they wrote.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::cli::ringmaster;
use crate::support::{AppOptions, TestBackend, TestDatabase, json_body, repo_root, spawn_app_on};

fn fixture_path(relative: &str) -> String {
    repo_root()
        .join("fixtures")
        .join(relative)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

on_each_backend!(the_catalog_rings_and_plan_work_from_the_command_line);
async fn the_catalog_rings_and_plan_work_from_the_command_line(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let db = database.url.clone();
    let feed = fixture_path("catalog/macos-26-autumn-2025.json");

    let run = ringmaster(&["catalog", "import", &feed, "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("gdmf feed with 4 release(s): 4 added"),
        "{}",
        run.stdout
    );
    let run = ringmaster(&["catalog", "import", &feed, "--database", &db]).await;
    assert!(
        run.stdout
            .contains("0 added, 0 updated, 0 merged, 4 unchanged"),
        "{}",
        run.stdout
    );
    let run = ringmaster(&["catalog", "list", "--platform", "macOS", "--database", &db]).await;
    assert_eq!(run.code, 0);
    let versions: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    assert_eq!(versions, vec!["26.2", "26.1", "26.0.1", "26.0"]);

    let run = ringmaster(&["policy", "load-defaults", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("created the default rings"));
    let run = ringmaster(&["policy", "load-defaults", "--database", &db]).await;
    assert!(run.stdout.contains("nothing was created"), "{}", run.stdout);

    let run = ringmaster(&[
        "plan",
        "--from",
        "2025-11-01",
        "--to",
        "2025-12-31",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let early_261 = run
        .stdout
        .lines()
        .find(|line| line.starts_with("Early Adoption") && line.contains(" 26.1 "))
        .unwrap_or_else(|| panic!("no Early Adoption 26.1 row in:\n{}", run.stdout));
    assert!(early_261.contains("2025-11-10"), "{early_261}");
    assert!(early_261.contains("2025-11-17 17:00:00"), "{early_261}");

    let picture = tempfile::tempdir().unwrap();
    let svg = picture.path().join("rings.svg");
    let run = ringmaster(&[
        "plan",
        "--policy",
        "Late Adoption (macOS)",
        "--from",
        "2025-11-01",
        "--to",
        "2025-12-31",
        "--json",
        "--svg",
        svg.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["policies"][0]["ring"], "Late Adoption");
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("Late Adoption")
    );

    let run = ringmaster(&["plan", "--from", "11/01/2025", "--database", &db]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--from"), "{}", run.stderr);

    // A server on the same database serves what the CLI wrote.
    let app = spawn_app_on(database, AppOptions::default()).await;
    let groups = json_body(
        app.admin(Method::GET, "/api/v1/policy-groups")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(groups.as_array().unwrap().len(), 4);

    // And the CLI writes while the server runs; the server picks it up.
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        policy.path(),
        br#"{"name": "Kiosk iPads", "platform": "iOS", "deferrals": {"combinedDays": 45}}"#,
    )
    .unwrap();
    let run = ringmaster(&[
        "policy",
        "create",
        policy.path().to_str().unwrap(),
        "--database",
        &app.database.url,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let plan = json_body(
            app.admin(Method::GET, "/api/v1/policies")
                .send()
                .await
                .unwrap(),
        )
        .await;
        if plan
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Kiosk iPads")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never saw the CLI's policy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn refused_input_is_explained_in_plain_words_and_changes_nothing() {
    let database = TestDatabase::new(crate::support::TestBackend::Sqlite).await;
    let db = database.url.clone();
    let folder = tempfile::tempdir().unwrap();

    let broken = folder.path().join("broken.json");
    std::fs::write(
        &broken,
        br#"{"AssetSets": {"macOS": [{"ProductVersion": "x"}]}}"#,
    )
    .unwrap();
    let run = ringmaster(&[
        "catalog",
        "import",
        broken.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("/AssetSets/macOS/0/ProductVersion"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the catalog was not changed"),
        "{}",
        run.stderr
    );
    let run = ringmaster(&["catalog", "list", "--database", &db]).await;
    assert_eq!(
        run.stdout.lines().count(),
        1,
        "only the header: {}",
        run.stdout
    );

    let missing = folder.path().join("missing.json");
    let run = ringmaster(&[
        "catalog",
        "import",
        missing.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);

    let policy = folder.path().join("policy.json");
    std::fs::write(
        &policy,
        br#"{"name": "Bad", "platform": "macOS", "automaticActions": {"download": "alwaysOff", "installOSUpdates": "alwaysOn"}}"#,
    )
    .unwrap();
    let run = ringmaster(&[
        "policy",
        "create",
        policy.to_str().unwrap(),
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "/automaticActions/installOSUpdates: Invalid global settings declaration: Installation cannot be forced when downloading is disabled."
        ),
        "{}",
        run.stderr
    );
    let run = ringmaster(&["policy", "list", "--database", &db]).await;
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);

    for command in [
        vec!["catalog", "--help"],
        vec!["catalog", "import", "--help"],
        vec!["policy", "load-defaults", "--help"],
        vec!["plan", "--help"],
    ] {
        let run = ringmaster(&command).await;
        assert_eq!(run.code, 0, "{command:?}");
        assert!(
            run.stdout.contains("--database") || command.len() == 2,
            "{command:?}"
        );
    }
}

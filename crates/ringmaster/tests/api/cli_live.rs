//! A running server picks up what the command line wrote to its database: titles imported by
//! `ringmaster title import` are served within the cache refresh, without a restart.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{VALID_IDS, VALID_TITLES, folder_of, ids, ringmaster, software_ids, text};
use crate::support::{TestBackend, fixture, json_body, spawn_app};

on_each_backend!(a_running_server_picks_up_a_cli_import);
async fn a_running_server_picks_up_a_cli_import(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert!(software_ids(&app).await.is_empty(), "{backend:?}");
    let url = app.database.url.clone();

    let folder = folder_of(&VALID_TITLES);
    let run = ringmaster(&["title", "import", &text(folder.path()), "--database", &url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let waited = wait_until(|| async { software_ids(&app).await == ids(&VALID_IDS) }).await;
    assert!(
        waited.is_some(),
        "{backend:?}: the import was not served within 2 s"
    );

    // Replacements of a title the server already serves are picked up too, each with a new
    // lastModified (Jamf Pro notices changes by it). Three rounds, so that at least one falls
    // within the second of the previous write.
    std::fs::remove_file(folder.path().join("JavaSEDevelopmentKit8.json")).unwrap();
    let mut previous =
        json_body(app.get("/v1/software/JamfAdmin").await).await[0]["lastModified"].clone();
    for round in 1..=3 {
        let name = format!("Jamf Admin (from the CLI, round {round})");
        let mut renamed: Value = serde_json::from_slice(&fixture(VALID_TITLES[0])).unwrap();
        renamed["name"] = Value::String(name.clone());
        std::fs::write(
            folder.path().join("JamfAdmin.json"),
            serde_json::to_vec_pretty(&renamed).unwrap(),
        )
        .unwrap();
        let run = ringmaster(&[
            "title",
            "import",
            &text(folder.path()),
            "--replace",
            "--database",
            &url,
        ])
        .await;
        assert_eq!(run.code, 0, "{backend:?}: {run:?}");
        let waited = wait_until(|| async {
            let served = json_body(app.get("/v1/patch/JamfAdmin").await).await;
            served["name"] == name.as_str()
        })
        .await;
        assert!(
            waited.is_some(),
            "{backend:?}: replacement {round} was not served within 2 s"
        );
        let summary = json_body(app.get("/v1/software/JamfAdmin").await).await;
        assert_eq!(
            summary[0]["name"],
            name.as_str(),
            "{backend:?}: summary too"
        );
        // BUG: `title import --replace` stamps replaced titles with the wall clock
        // (records_from_files(now) + Store::restore_titles), not a lastModified strictly later
        // than the stored one, so a replacement within the same second keeps lastModified.
        let current = summary[0]["lastModified"].clone();
        assert!(
            current.as_str() > previous.as_str(),
            "{backend:?}: replacement {round} moves lastModified forward ({previous} -> {current})"
        );
        previous = current;
    }
    app.stop().await;
}

/// Polls `check` every 50 ms for up to 2 s; the time it took, or `None`.
async fn wait_until<F, Fut>(mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    let deadline = start + Duration::from_secs(2);
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! The audit log and the CLI, through the real binary: token create and revoke, webhook add and
//! title import are recorded as `cli` with the OS user (never a secret), a refused command (a
//! revoke of no token) is not, `ringmaster audit` prints and filters the log (and refuses a bad
//! filter by name), and a server on the same database answers the same entries.

use std::process::Command;

use serde_json::Value;

use crate::cli::CliRun;
use crate::support::{AppOptions, TestBackend, TestDatabase, admin_json, spawn_app_on};

/// Runs `ringmaster ARGS…` as OS user `auditor` (by `USER`), no `RINGMASTER_*` inherited.
async fn run_as_auditor(args: &[&str]) -> CliRun {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let workdir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_ringmaster"));
        command
            .args(&args)
            .current_dir(workdir.path())
            .env("USER", "auditor");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("RINGMASTER_") {
                command.env_remove(name);
            }
        }
        let output = command.output().expect("run the ringmaster binary");
        CliRun {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("the CLI task")
}

on_each_backend!(cli_changes_are_recorded_and_ringmaster_audit_shows_them);
async fn cli_changes_are_recorded_and_ringmaster_audit_shows_them(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let db = ["--database", url.as_str()];
    let run = |args: Vec<&'static str>| {
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        args.extend(db.iter().map(|arg| (*arg).to_owned()));
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            run_as_auditor(&refs).await
        }
    };

    let created = run(vec!["token", "create", "--name", "ci", "--role", "manager"]).await;
    assert_eq!(created.code, 0, "{backend:?}: {created:?}");
    let secret = created.stdout.trim().to_owned();
    let hook = run(vec![
        "webhook",
        "add",
        "--url",
        "https://jamf:hunter2@hooks.example/patch",
    ])
    .await;
    assert_eq!(hook.code, 0, "{backend:?}: {hook:?}");
    let refused = run(vec!["token", "revoke", "--name", "nobody"]).await;
    assert_eq!(refused.code, 1, "{backend:?}: {refused:?}");
    let revoked = run(vec!["token", "revoke", "--name", "ci"]).await;
    assert_eq!(revoked.code, 0, "{backend:?}: {revoked:?}");
    let folder = crate::cli::folder_of(&["titles/JamfAdmin.json"]);
    let title = folder.path().to_str().unwrap().to_owned();
    let mut import = vec!["title".to_owned(), "import".to_owned(), title];
    import.extend(db.iter().map(|arg| (*arg).to_owned()));
    let import: Vec<&str> = import.iter().map(String::as_str).collect();
    let imported = run_as_auditor(&import).await;
    assert_eq!(imported.code, 0, "{backend:?}: {imported:?}");

    let listed = run(vec!["audit", "--json"]).await;
    assert_eq!(listed.code, 0, "{backend:?}: {listed:?}");
    assert!(!listed.stdout.contains(&secret), "never the token's secret");
    assert!(!listed.stdout.contains("hunter2"), "never a URL's password");
    let answer: Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let entries = answer["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "ringmaster title import",
            "ringmaster token revoke",
            "ringmaster webhook add",
            "ringmaster token create",
        ],
        "{backend:?}: newest first, the refused revoke left out"
    );
    for entry in entries {
        assert_eq!(entry["actor"]["kind"], "cli");
        assert_eq!(entry["actor"]["name"], "auditor");
        assert_eq!(entry["actor"]["tokenId"], Value::Null);
        assert_eq!(entry["outcome"], "done");
    }
    let create = &entries[3];
    assert_eq!(create["object"]["kind"], "token");
    assert_eq!(create["object"]["id"], "ci");
    assert_eq!(create["after"]["name"], "ci");
    assert_eq!(create["after"]["role"], "manager");
    assert_eq!(entries[2]["object"]["kind"], "webhook");
    assert!(entries[2]["object"]["id"].as_str().is_some(), "the new id");
    assert_eq!(entries[0]["after"]["created"][0], "JamfAdmin");

    let table = run(vec!["audit", "--token", "cli", "--object", "token/ci"]).await;
    assert_eq!(table.code, 0, "{backend:?}: {table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two entries: {table:?}");
    assert!(lines[0].starts_with("AT"));
    assert!(lines[1].contains("cli:auditor") && lines[1].contains("ringmaster token revoke"));
    assert!(lines[2].contains("token/ci") && lines[2].contains("done"));

    let bad = run(vec!["audit", "--limit", "0"]).await;
    assert_eq!(bad.code, 1, "{backend:?}: {bad:?}");
    assert!(bad.stderr.contains("--limit"), "{bad:?}");

    // A server on the database answers the same entries.
    let app = spawn_app_on(database, AppOptions::default()).await;
    let served = admin_json(&app, "/api/v1/audit?token=cli").await;
    assert_eq!(served["entries"].as_array().unwrap().len(), 4);
    assert_eq!(served["entries"], answer["entries"]);
}

//! The command line, run as the real binary (`CARGO_BIN_EXE_ringmaster`) against real databases:
//! tokens that a server on the same database accepts, `title lint`, `title import`
//! (all or nothing, `--replace`), `title export` to a folder or a zip; a running server picking
//! up what the CLI wrote is in [`crate::cli_live`], the help texts in [`crate::cli_help`].

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::meaning::{assert_feed_means, read_json, string_boolean_pointers};
use crate::support::{
    AppOptions, TestApp, TestBackend, TestDatabase, fixture, json_body, repo_root, spawn_app_on,
};

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct CliRun {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `ringmaster ARGS…` to completion (off the async runtime's threads), with no
/// `RINGMASTER_*` variables inherited, in a fresh working directory.
pub(crate) async fn ringmaster<S: AsRef<str>>(args: &[S]) -> CliRun {
    ringmaster_with_input(args, None).await
}

/// [`ringmaster`] with `input`, when given, on standard input.
pub(crate) async fn ringmaster_with_input<S: AsRef<str>>(
    args: &[S],
    input: Option<&[u8]>,
) -> CliRun {
    let args: Vec<String> = args.iter().map(|arg| arg.as_ref().to_owned()).collect();
    let input = input.map(<[u8]>::to_vec);
    tokio::task::spawn_blocking(move || {
        let workdir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_ringmaster"));
        command.args(&args).current_dir(workdir.path());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("RINGMASTER_") {
                command.env_remove(name);
            }
        }
        let output = match input {
            None => command.output().expect("run the ringmaster binary"),
            Some(input) => {
                command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let mut child = command.spawn().expect("run the ringmaster binary");
                let mut stdin = child.stdin.take().expect("stdin");
                // The binary may exit before reading everything (a refused secret); that is fine.
                let _ = stdin.write_all(&input);
                drop(stdin);
                child.wait_with_output().expect("wait for the binary")
            }
        };
        CliRun {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("the CLI task")
}

fn fixture_path(relative: &str) -> PathBuf {
    repo_root().join("fixtures").join(relative)
}

pub(crate) fn text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

/// A folder holding copies of the named fixtures (flat, by file name).
pub(crate) fn folder_of(fixtures: &[&str]) -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("temp dir");
    for relative in fixtures {
        let name = Path::new(relative).file_name().expect("file name");
        std::fs::write(folder.path().join(name), fixture(relative)).expect("copy fixture");
    }
    folder
}

pub(crate) const VALID_TITLES: [&str; 2] =
    ["titles/JamfAdmin.json", "titles/JavaSEDevelopmentKit8.json"];
pub(crate) const VALID_IDS: [&str; 2] = ["JamfAdmin", "JavaSEDevelopmentKit8"];

pub(crate) async fn software_ids(app: &TestApp) -> BTreeSet<String> {
    let software = json_body(app.get("/v1/software").await).await;
    software
        .as_array()
        .expect("an array")
        .iter()
        .map(|summary| summary["id"].as_str().expect("id").to_owned())
        .collect()
}

pub(crate) fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

on_each_backend!(token_create_prints_only_a_token_that_a_server_on_the_database_accepts);
async fn token_create_prints_only_a_token_that_a_server_on_the_database_accepts(
    backend: TestBackend,
) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let run = ringmaster(&[
        "token",
        "create",
        "--name",
        "automation",
        "--role",
        "admin",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{backend:?}: exactly one line on stdout: {:?}",
        run.stdout
    );
    let token = lines[0];
    assert_eq!(
        run.stdout,
        format!("{token}\n"),
        "{backend:?}: nothing else on stdout"
    );
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{backend:?}: {token:?}"
    );
    assert!(
        !run.stderr.contains(token),
        "{backend:?}: the token is not logged"
    );

    let again = ringmaster(&[
        "token",
        "create",
        "--name",
        "automation",
        "--role",
        "admin",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(
        again.code, 1,
        "{backend:?}: a second token of that name fails: {again:?}"
    );
    assert!(again.stdout.is_empty(), "{backend:?}: {again:?}");
    assert!(
        again.stderr.contains("automation"),
        "{backend:?}: {again:?}"
    );

    let list = ringmaster(&["token", "list", "--database", &url]).await;
    assert_eq!(list.code, 0, "{backend:?}: {list:?}");
    assert!(list.stdout.contains("automation"), "{backend:?}: {list:?}");
    assert!(
        !list.stdout.contains(token),
        "{backend:?}: secrets are never listed"
    );

    let app = spawn_app_on(database, AppOptions::default()).await;
    let with = |secret: &str| {
        app.client
            .get(app.url("/api/v1/title"))
            .bearer_auth(secret)
            .send()
    };
    assert_eq!(with(token).await.unwrap().status(), 200, "{backend:?}");
    assert_eq!(
        with("rmt_not-a-token").await.unwrap().status(),
        401,
        "{backend:?}"
    );

    let revoke = ringmaster(&[
        "token",
        "revoke",
        "--name",
        "automation",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(revoke.code, 0, "{backend:?}: {revoke:?}");
    // The running server reloads its tokens within its refresh interval.
    crate::tokens::refused_within(&format!("{backend:?}: revoked"), || with(token)).await;
    let revoke_again = ringmaster(&[
        "token",
        "revoke",
        "--name",
        "automation",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(revoke_again.code, 1, "{backend:?}: {revoke_again:?}");
    app.stop().await;
}

#[tokio::test]
async fn title_lint_reports_file_pointer_and_message() {
    let valid = fixture_path("titles/JamfAdmin.json");
    let run = ringmaster(&["title", "lint", &text(&valid)]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        format!("{}: ok (title definition)", valid.display())
    );

    let invalid = fixture_path("titles/invalid/StringBooleans.json");
    let run = ringmaster(&["title", "lint", &text(&invalid)]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let prefix = format!("{}: ", invalid.display());
    for line in run.stdout.lines() {
        let rest = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("FILE: POINTER: message, got {line:?}"));
        let (pointer, message) = rest.split_once(": ").expect("POINTER: message");
        assert!(pointer.starts_with('/'), "{line:?}");
        assert!(!message.is_empty(), "{line:?}");
    }
    assert!(
        run.stdout
            .contains(&format!("{prefix}/patches/0/components/0/criteria/1/and: ")),
        "{}",
        run.stdout
    );
    for pointer in string_boolean_pointers(&read_json(&invalid)) {
        assert!(
            run.stdout.contains(&format!("{prefix}{pointer}: ")),
            "{pointer}: {}",
            run.stdout
        );
    }
    assert!(run.stderr.contains("invalid"), "{run:?}");

    let version = fixture_path("versions/JamfAdmin-10.3.0.json");
    let run = ringmaster(&["title", "lint", &text(&version)]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        format!("{}: ok (version object)", version.display())
    );

    // Several files: each reported; one bad file (or a missing one) fails the whole run.
    let missing = fixture_path("titles/DoesNotExist.json");
    let run = ringmaster(&[
        "title",
        "lint",
        &text(&valid),
        &text(&missing),
        &text(&version),
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!("{}: ok", valid.display())),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("{}: ok", version.display())),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("{}: ", missing.display())),
        "{run:?}"
    );
}

on_each_backend!(title_import_writes_titles_that_a_server_serves);
async fn title_import_writes_titles_that_a_server_serves(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let folder = folder_of(&VALID_TITLES);
    let run = ringmaster(&["title", "import", &text(folder.path()), "--database", &url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");

    let app = spawn_app_on(database, AppOptions::default()).await;
    assert_eq!(software_ids(&app).await, ids(&VALID_IDS), "{backend:?}");
    for (relative, id) in VALID_TITLES.iter().zip(VALID_IDS) {
        let original: Value = serde_json::from_slice(&fixture(relative)).unwrap();
        let served = json_body(app.get(&format!("/v1/patch/{id}")).await).await;
        assert_feed_means(&format!("{backend:?} {id}"), &original, &served);
    }
    app.stop().await;
}

on_each_backend!(title_import_is_all_or_nothing_and_refuses_existing_titles_without_replace);
async fn title_import_is_all_or_nothing_and_refuses_existing_titles_without_replace(
    backend: TestBackend,
) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();

    let mixed = folder_of(&[
        VALID_TITLES[0],
        "titles/invalid/StringBooleans.json",
        VALID_TITLES[1],
    ]);
    let run = ringmaster(&["title", "import", &text(mixed.path()), "--database", &url]).await;
    assert_eq!(run.code, 1, "{backend:?}: {run:?}");
    assert!(
        run.stdout
            .contains("StringBooleans.json: /patches/0/components/0/criteria/1/and: "),
        "{backend:?}: the invalid file is named with its pointers: {run:?}"
    );
    assert!(
        run.stderr.contains("nothing was imported"),
        "{backend:?}: {run:?}"
    );
    let export = tempfile::tempdir().unwrap();
    let out = export.path().join("out");
    let run = ringmaster(&["title", "export", "--out", &text(&out), "--database", &url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "{backend:?}: nothing imported"
    );

    let valid = folder_of(&VALID_TITLES);
    let run = ringmaster(&["title", "import", &text(valid.path()), "--database", &url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");

    let again = ringmaster(&["title", "import", &text(valid.path()), "--database", &url]).await;
    assert_eq!(again.code, 1, "{backend:?}: {again:?}");
    for id in VALID_IDS {
        assert!(
            again.stderr.contains(id),
            "{backend:?}: names {id}: {again:?}"
        );
    }

    // A changed definition replaces the stored one with --replace.
    let mut renamed: Value = serde_json::from_slice(&fixture(VALID_TITLES[0])).unwrap();
    renamed["name"] = Value::String("Jamf Admin (replaced)".into());
    std::fs::write(
        valid.path().join("JamfAdmin.json"),
        serde_json::to_vec_pretty(&renamed).unwrap(),
    )
    .unwrap();
    let replace = ringmaster(&[
        "title",
        "import",
        &text(valid.path()),
        "--replace",
        "--database",
        &url,
    ])
    .await;
    assert_eq!(replace.code, 0, "{backend:?}: {replace:?}");

    let app = spawn_app_on(database, AppOptions::default()).await;
    assert_eq!(software_ids(&app).await, ids(&VALID_IDS), "{backend:?}");
    let served = json_body(app.get("/v1/patch/JamfAdmin").await).await;
    assert_feed_means(&format!("{backend:?} replaced"), &renamed, &served);
    app.stop().await;
}

on_each_backend!(title_export_writes_a_folder_that_lints_and_a_zip_that_imports_elsewhere);
async fn title_export_writes_a_folder_that_lints_and_a_zip_that_imports_elsewhere(
    backend: TestBackend,
) {
    let first = TestDatabase::new(backend).await;
    let first_url = first.url.clone();
    let folder = folder_of(&VALID_TITLES);
    let run = ringmaster(&[
        "title",
        "import",
        &text(folder.path()),
        "--database",
        &first_url,
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");

    // Admin state that only the zip can carry: a disabled version and a pin.
    let app = spawn_app_on(first, AppOptions::default()).await;
    let disable = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.1/disable",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 200, "{backend:?}");
    let pin = app
        .admin(
            reqwest::Method::PUT,
            "/api/v1/title/JavaSEDevelopmentKit8/current-version",
        )
        .json(&serde_json::json!({"version": "1.8.152"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pin.status(), 200, "{backend:?}");
    let before = served_state(&app).await;
    let first = app.stop().await;

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export");
    let run = ringmaster(&[
        "title",
        "export",
        "--out",
        &format!("{}/", text(&dir)),
        "--database",
        &first_url,
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["JamfAdmin.json", "JavaSEDevelopmentKit8.json"],
        "{backend:?}"
    );
    let mut lint: Vec<String> = vec!["title".into(), "lint".into()];
    lint.extend(written.iter().map(|name| text(&dir.join(name))));
    let run = ringmaster(&lint).await;
    assert_eq!(run.code, 0, "{backend:?}: the export lints clean: {run:?}");
    let exported = read_json(&dir.join("JamfAdmin.json"));
    let versions: Vec<&str> = exported["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|patch| patch["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"10.1.1"),
        "{backend:?}: disabled versions are exported"
    );

    let zip = out.path().join("backup.zip");
    let run = ringmaster(&[
        "title",
        "export",
        "--out",
        &text(&zip),
        "--database",
        &first_url,
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    drop(first);

    let second = TestDatabase::new(backend).await;
    let run = ringmaster(&["title", "import", &text(&zip), "--database", &second.url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let app = spawn_app_on(second, AppOptions::default()).await;
    assert_eq!(
        served_state(&app).await,
        before,
        "{backend:?}: the zip carries everything"
    );
    app.stop().await;
}

/// What a server serves and says about its titles, without `lastModified` and revisions.
async fn served_state(app: &TestApp) -> Value {
    let mut software = json_body(app.get("/v1/software").await).await;
    let mut patches = serde_json::Map::new();
    for summary in software.as_array_mut().unwrap() {
        summary
            .as_object_mut()
            .unwrap()
            .shift_remove("lastModified");
        let id = summary["id"].as_str().unwrap().to_owned();
        let mut patch = json_body(app.get(&format!("/v1/patch/{id}")).await).await;
        patch.as_object_mut().unwrap().shift_remove("lastModified");
        patches.insert(id, patch);
    }
    let response = app
        .admin(reqwest::Method::GET, "/api/v1/title")
        .send()
        .await
        .unwrap();
    let mut titles = json_body(response).await;
    for title in titles.as_array_mut().unwrap() {
        let object = title.as_object_mut().unwrap();
        object.shift_remove("lastModified");
        object.shift_remove("revision");
    }
    serde_json::json!({"software": software, "patches": patches, "titles": titles})
}

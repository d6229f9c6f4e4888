//! `ringmaster token import`: a secret a tool already sends (PatchServer's `PATCH_TOKEN`), piped
//! in on standard input, becomes an admin token that the real server accepts as a bearer token;
//! empty, short, long and duplicate imports are refused with a message and store nothing.

use crate::cli::ringmaster_with_input;
use crate::support::{AppOptions, TestBackend, TestDatabase, spawn_app_on};

const PATCH_TOKEN: &str = "94631ec5c65e4dd19fb81479abdd2929";

on_each_backend!(an_imported_patch_token_is_accepted_as_bearer_by_the_server);
async fn an_imported_patch_token_is_accepted_as_bearer_by_the_server(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let import = |name: &'static str, input: Vec<u8>| {
        let url = url.clone();
        async move {
            ringmaster_with_input(
                &[
                    "token",
                    "import",
                    "--name",
                    name,
                    "--role",
                    "admin",
                    "--database",
                    &url,
                ],
                Some(&input),
            )
            .await
        }
    };

    let run = import("patch-token", format!("{PATCH_TOKEN}\n").into_bytes()).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    assert!(
        run.stdout.is_empty(),
        "{backend:?}: nothing on stdout: {run:?}"
    );
    assert!(
        !run.stderr.contains(PATCH_TOKEN),
        "{backend:?}: the secret is never echoed: {run:?}"
    );

    let again = import("patch-token", b"another-secret-0123456789".to_vec()).await;
    assert_eq!(again.code, 1, "{backend:?}: a duplicate name: {again:?}");
    assert!(
        again.stderr.contains("patch-token"),
        "{backend:?}: {again:?}"
    );

    let refused: [(&str, Vec<u8>, &str); 4] = [
        ("empty", Vec::new(), "no secret"),
        ("newline", b"\n".to_vec(), "no secret"),
        ("short", b"abc123\n".to_vec(), "too short"),
        ("long", vec![b'a'; 600], "too long"),
    ];
    for (name, input, message) in refused {
        let run = import(name, input).await;
        assert_eq!(run.code, 1, "{backend:?} {name}: {run:?}");
        assert!(
            run.stderr.contains(message),
            "{backend:?} {name}: says {message:?}: {run:?}"
        );
    }

    let list = crate::cli::ringmaster(&["token", "list", "--database", &url]).await;
    assert_eq!(list.code, 0, "{backend:?}: {list:?}");
    assert!(list.stdout.contains("patch-token"), "{backend:?}: {list:?}");
    for name in ["empty", "newline", "short", "long"] {
        assert!(
            !list.stdout.contains(name),
            "{backend:?}: a refused import stores nothing: {list:?}"
        );
    }
    assert!(!list.stdout.contains(PATCH_TOKEN), "{backend:?}: {list:?}");

    let app = spawn_app_on(database, AppOptions::default()).await;
    let status_with = |secret: &'static str| {
        let request = app.client.get(app.url("/api/v1/title")).bearer_auth(secret);
        async move { request.send().await.expect("GET").status() }
    };
    assert_eq!(status_with(PATCH_TOKEN).await, 200, "{backend:?}");
    assert_eq!(
        status_with("94631ec5c65e4dd19fb81479abdd2928").await,
        401,
        "{backend:?}: a near miss is refused"
    );
    assert_eq!(
        status_with("another-secret-0123456789").await,
        401,
        "{backend:?}: the refused duplicate's secret was not stored"
    );
}

#[tokio::test]
async fn token_import_help_names_its_flags_and_how_to_pipe_the_secret() {
    let help = crate::cli::ringmaster(&["token", "import", "--help"]).await;
    assert_eq!(help.code, 0, "{help:?}");
    for needle in ["--name", "--database", "standard input", "PATCH_TOKEN"] {
        assert!(
            help.stdout.contains(needle),
            "{needle:?} in {}",
            help.stdout
        );
    }
    let token = crate::cli::ringmaster(&["token", "--help"]).await;
    assert!(token.stdout.contains("import"), "{}", token.stdout);
}

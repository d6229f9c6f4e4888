//! Configuration refused at start, through the real binary, with a message naming the flag:
//! prefixes a router would read as syntax, zero body limits, blank secrets, out-of-range values,
//! a secret given twice or from an empty file; bounded CLI counts; a clear `title export --out`
//! error; and the SQLite file and folder created readable by the owner only.

use std::time::Duration;

use crate::cli::ringmaster;
use crate::support::{TestBackend, TestDatabase};

/// Runs `ringmaster ARGS…` and asserts it exits 1 or 2 without starting, saying each of `words`.
async fn refused(args: &[&str], words: &[&str]) {
    let run = tokio::time::timeout(Duration::from_secs(60), ringmaster(args))
        .await
        .unwrap_or_else(|_| panic!("ringmaster {args:?} did not stop: it started serving"));
    assert!(
        run.code == 1 || run.code == 2,
        "ringmaster {args:?} exits with a failure: {run:?}"
    );
    for word in words {
        assert!(
            run.stderr.contains(word),
            "ringmaster {args:?} says {word:?}: {}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("panicked"),
        "ringmaster {args:?} panicked: {}",
        run.stderr
    );
}

#[tokio::test]
async fn bad_server_settings_are_refused_at_start_with_the_flag_named() {
    // Each would otherwise start a server; a port of 0 keeps a wrong start harmless.
    fn serve<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite://x.db",
        ];
        args.extend_from_slice(extra);
        args
    }
    for prefix in ["/*rest", "/{id}", "/a//b", "/../x", "ddm", "/a b"] {
        refused(&serve(&["--ddm-prefix", prefix]), &["--ddm-prefix"]).await;
    }
    refused(
        &serve(&["--max-body-bytes", "0"]),
        &["--max-body-bytes", "at least 1"],
    )
    .await;
    refused(
        &serve(&["--max-restore-bytes", "0"]),
        &["--max-restore-bytes"],
    )
    .await;
    refused(
        &serve(&["--ddm-secret", "   "]),
        &["--ddm-secret", "whitespace"],
    )
    .await;
    refused(
        &serve(&["--mdm-api-key", " "]),
        &["--mdm-api-key", "whitespace"],
    )
    .await;
    refused(
        &serve(&["--catalog-poll-hours", "2"]),
        &["--catalog-poll-hours", "24"],
    )
    .await;
    refused(
        &serve(&["--notify-every-secs", "0"]),
        &["--notify-every-secs"],
    )
    .await;
    refused(
        &serve(&["--cache-refresh-ms", "1"]),
        &["--cache-refresh-ms"],
    )
    .await;
    refused(
        &serve(&["--header-timeout-secs", "0"]),
        &["--header-timeout-secs"],
    )
    .await;
    refused(
        &serve(&["--body-timeout-secs", "0"]),
        &["--body-timeout-secs"],
    )
    .await;
    refused(
        &serve(&["--idle-timeout-secs", "0"]),
        &["--idle-timeout-secs"],
    )
    .await;
    refused(&serve(&["--max-connections", "0"]), &["--max-connections"]).await;

    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let secret = secret.to_str().unwrap();
    let empty = empty.to_str().unwrap();
    refused(
        &serve(&["--ddm-secret", "x", "--ddm-secret-file", secret]),
        &["--ddm-secret-file", "cannot be used with"],
    )
    .await;
    refused(
        &serve(&["--ddm-secret-file", empty]),
        &["--ddm-secret-file", "empty"],
    )
    .await;
    refused(
        &serve(&["--mdm-api-key-file", empty]),
        &["--mdm-api-key-file", "empty"],
    )
    .await;
    refused(
        &serve(&["--ddm-secret-file", "/no/such/file"]),
        &["--ddm-secret-file", "/no/such/file", "cannot be read"],
    )
    .await;
}

#[tokio::test]
async fn command_line_counts_are_bounded_and_export_targets_are_checked() {
    let server = ["--server", "http://127.0.0.1:9"];
    for (flag, value) in [
        ("--devices", "99999999999"),
        ("--devices", "0"),
        ("--rounds", "0"),
        ("--concurrency", "0"),
        ("--concurrency", "1000000"),
        ("--full-report-every", "0"),
    ] {
        let mut args = vec!["simulate", "--devices", "1", flag, value];
        args.extend_from_slice(&server);
        refused(&args, &[flag]).await;
    }

    let database = TestDatabase::new(TestBackend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let file = file.to_str().unwrap();
    refused(
        &[
            "title",
            "export",
            "--out",
            file,
            "--database",
            &database.url,
        ],
        &[file, "exists and is not a folder"],
    )
    .await;
    let zip_in_missing = dir.path().join("missing/backup.zip");
    let zip_in_missing = zip_in_missing.to_str().unwrap();
    refused(
        &[
            "title",
            "export",
            "--out",
            zip_in_missing,
            "--database",
            &database.url,
        ],
        &[zip_in_missing, "does not exist"],
    )
    .await;
    let folder_as_zip = dir.path().join("folder.zip");
    std::fs::create_dir(&folder_as_zip).unwrap();
    let folder_as_zip = folder_as_zip.to_str().unwrap();
    refused(
        &[
            "title",
            "export",
            "--out",
            folder_as_zip,
            "--database",
            &database.url,
        ],
        &[folder_as_zip, "is a folder"],
    )
    .await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_file_and_its_folder_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("fresh-data");
    let file = folder.join("ringmaster.db");
    let url = format!("sqlite://{}", file.display());
    let store = ringmaster_store::store::Store::connect(&url, &Default::default())
        .await
        .expect("connect");
    store.ping().await.unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700, "the data folder");
    assert_eq!(mode(&file), 0o600, "the database file");
    for journal in ["ringmaster.db-wal", "ringmaster.db-shm"] {
        let path = folder.join(journal);
        if path.exists() {
            assert_eq!(
                mode(&path) & 0o077,
                0,
                "{journal} is not readable by others"
            );
        }
    }
    store.close().await;
}

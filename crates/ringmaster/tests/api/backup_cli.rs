//! `ringmaster backup` and `ringmaster restore`, run as the real binary: a whole installation
//! backed up from one database and restored into a fresh one serves the same as before; a second
//! restore is refused in plain words unless `--replace`; a refused zip names its entry; `title
//! import` of a full backup imports its titles; both commands have `--help`.

use serde_json::Value;

use crate::backup_full::{
    SECOND_TOKEN, authenticates, entries, options, populate, spawn, view, zip_of,
};
use crate::cli::ringmaster;
use crate::support::{TestBackend, TestDatabase, spawn_app_on};

/// Leaves out what a replacing restore moves on purpose: `lastModified` (strictly later).
fn without_last_modified(mut document: Value) -> Value {
    document.as_object_mut().unwrap().remove("software");
    document.as_object_mut().unwrap().remove("feeds");
    for title in document["titles"].as_array_mut().unwrap() {
        title.as_object_mut().unwrap().shift_remove("lastModified");
    }
    document
}

on_each_backend!(the_cli_backs_up_and_restores_a_whole_installation);
async fn the_cli_backs_up_and_restores_a_whole_installation(backend: TestBackend) {
    let source = spawn(backend).await;
    populate(&source).await;
    let before = view(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("installation.zip");
    let file = file.to_str().unwrap();
    let run = ringmaster(&["backup", "--out", file, "--database", &source.database.url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {}", run.stderr);
    assert!(
        run.stderr.contains("2 title(s), 2 token(s)"),
        "{}",
        run.stderr
    );

    let database = TestDatabase::new(backend).await;
    let run = ringmaster(&["restore", file, "--database", &database.url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {}", run.stderr);
    assert!(run.stderr.contains("3 device(s)"), "{}", run.stderr);
    // A second restore is refused in plain words, and --replace goes through.
    let run = ringmaster(&["restore", file, "--database", &database.url]).await;
    assert_eq!(run.code, 1, "{backend:?}");
    assert!(
        run.stderr.contains("nothing was restored") && run.stderr.contains("--replace"),
        "{}",
        run.stderr
    );
    let run = ringmaster(&["restore", file, "--replace", "--database", &database.url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {}", run.stderr);

    let target = spawn_app_on(database, options()).await;
    assert_eq!(
        without_last_modified(view(&target).await),
        without_last_modified(before),
        "{backend:?}"
    );
    assert!(authenticates(&target, SECOND_TOKEN).await);

    // A refused zip names the entry in plain words and exits 1.
    let bad = dir.path().join("bad.zip");
    let mut spoiled = entries(&std::fs::read(file).unwrap());
    spoiled.push(("../escape.json".to_owned(), b"{}".to_vec()));
    std::fs::write(&bad, zip_of(&spoiled)).unwrap();
    let run = ringmaster(&[
        "restore",
        bad.to_str().unwrap(),
        "--database",
        &target.database.url,
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("../escape.json: the entry's name climbs out of the zip"),
        "{}",
        run.stdout
    );
    // `title import` of a full backup imports its titles.
    let titles_only = TestDatabase::new(backend).await;
    let run = ringmaster(&["title", "import", file, "--database", &titles_only.url]).await;
    assert_eq!(run.code, 0, "{backend:?}: {} {}", run.stdout, run.stderr);
    assert!(run.stderr.contains("2 created"), "{}", run.stderr);
    let help = ringmaster(&["restore", "--help"]).await;
    assert!(help.stdout.contains("--replace") && help.stdout.contains("--database"));
    let help = ringmaster(&["backup", "--help"]).await;
    assert!(help.stdout.contains("--scope") && help.stdout.contains("--out"));
    source.stop().await;
    target.stop().await;
}

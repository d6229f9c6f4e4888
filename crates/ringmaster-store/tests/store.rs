//! Store tests on real databases: an SQLite file always, PostgreSQL when `TEST_DATABASE_URL`
//! is set (required under `CI=true`). Covers what the HTTP suite cannot see directly:
//! the change feed, revision checks under concurrency, leases, and whole-installation transfer.

use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::{Store, StoreOptions};
use ringmaster_store::titles::Modified;
use ringmaster_testing::{TestDatabase, postgres_backend};

mod support;

use support::stores;

fn title(id: &str, versions: &[&str]) -> TitleRecord {
    let patches: Vec<serde_json::Value> = versions
        .iter()
        .map(|version| {
            serde_json::json!({
                "version": version, "releaseDate": "2024-01-02T03:04:05.123Z", "standalone": true,
                "minimumOperatingSystem": "12.0", "reboot": false, "killApps": [],
                "components": [{"name": id, "version": version, "criteria": []}], "capabilities": []
            })
        })
        .collect();
    let document = serde_json::json!({
        "id": id, "name": id, "publisher": "Example", "appName": format!("{id}.app"),
        "bundleId": format!("com.example.{id}"), "requirements": [], "patches": patches
    });
    TitleRecord::new(
        parse::software_title(&document).unwrap(),
        "2026-01-01T00:00:00Z".parse().unwrap(),
    )
}

#[tokio::test]
async fn the_change_feed_reports_writes_and_deletes_after_a_revision() {
    for (store, _dir) in stores().await {
        let start = store.title_revision().await.unwrap();
        let first = store
            .insert_title(&title("Alpha", &["1.0"]), jiff::Timestamp::now())
            .await
            .unwrap();
        store
            .insert_title(&title("Beta", &["2.0"]), jiff::Timestamp::now())
            .await
            .unwrap();
        let changes = store.title_changes_since(start).await.unwrap();
        let ids: Vec<String> = changes
            .changed
            .iter()
            .map(|t| t.record.definition.id.to_string())
            .collect();
        assert_eq!(ids, ["Alpha", "Beta"]);
        let after_inserts = changes.revision;

        let alpha = title("Alpha", &["1.1", "1.0"]);
        let alpha_id = alpha.definition.id.clone();
        let updated = store
            .modify_title(
                &alpha_id,
                Some(first.revision),
                jiff::Timestamp::now(),
                |record| {
                    *record = alpha;
                    Ok::<bool, ()>(true)
                },
            )
            .await
            .unwrap();
        assert!(matches!(updated, Modified::Updated(_)), "{updated:?}");
        let beta_id = ringmaster_domain::title::id::SoftwareTitleId::parse("Beta").unwrap();
        assert!(
            store
                .delete_title(&beta_id, None, jiff::Timestamp::now())
                .await
                .unwrap()
        );
        let changes = store.title_changes_since(after_inserts).await.unwrap();
        assert_eq!(changes.changed.len(), 1);
        assert_eq!(changes.changed[0].record.definition.patches.len(), 2);
        assert_eq!(changes.deleted, ["Beta"]);
        let nothing = store.title_changes_since(changes.revision).await.unwrap();
        assert!(nothing.changed.is_empty() && nothing.deleted.is_empty());
    }
}

#[tokio::test]
async fn a_write_based_on_a_stale_revision_is_refused_and_changes_nothing() {
    for (store, _dir) in stores().await {
        let stored = store
            .insert_title(&title("Gamma", &["1.0"]), jiff::Timestamp::now())
            .await
            .unwrap();
        let id = ringmaster_domain::title::id::SoftwareTitleId::parse("Gamma").unwrap();
        let replace_with = |versions: &'static [&'static str]| {
            move |record: &mut TitleRecord| {
                *record = title("Gamma", versions);
                Ok::<bool, ()>(true)
            }
        };
        let first = store
            .modify_title(
                &id,
                Some(stored.revision),
                jiff::Timestamp::now(),
                replace_with(&["1.1", "1.0"]),
            )
            .await
            .unwrap();
        assert!(matches!(first, Modified::Updated(_)), "{first:?}");
        let stale = store
            .modify_title(
                &id,
                Some(stored.revision),
                jiff::Timestamp::now(),
                replace_with(&["9.9"]),
            )
            .await
            .unwrap();
        assert!(matches!(stale, Modified::Stale { .. }), "{stale:?}");
        let now = store.get_title(&id).await.unwrap().unwrap();
        assert_eq!(now.record.definition.patches[0].version, "1.1");
    }
}

#[tokio::test]
async fn concurrent_inserts_of_one_id_store_it_once() {
    for (store, _dir) in stores().await {
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .insert_title(&title("Delta", &["1.0"]), jiff::Timestamp::now())
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(_) => created += 1,
                Err(StoreError::AlreadyExists(_)) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        assert_eq!(created, 1);
    }
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires() {
    for (store, _dir) in stores().await {
        let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let ttl = SignedDuration::from_secs(30);
        assert!(
            store
                .try_acquire_lease("poll", "server-a", ttl, now)
                .await
                .unwrap()
        );
        assert!(
            !store
                .try_acquire_lease("poll", "server-b", ttl, now)
                .await
                .unwrap()
        );
        let renewed_at = now + SignedDuration::from_secs(20);
        assert!(
            store
                .try_acquire_lease("poll", "server-a", ttl, renewed_at)
                .await
                .unwrap()
        );
        let before_expiry = now + SignedDuration::from_secs(45);
        assert!(
            !store
                .try_acquire_lease("poll", "server-b", ttl, before_expiry)
                .await
                .unwrap()
        );
        let after_expiry = now + SignedDuration::from_secs(51);
        assert!(
            store
                .try_acquire_lease("poll", "server-b", ttl, after_expiry)
                .await
                .unwrap()
        );
        store.release_lease("poll", "server-b").await.unwrap();
        assert!(
            store
                .try_acquire_lease("poll", "server-a", ttl, after_expiry)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn a_whole_installation_moves_to_another_database_unchanged() {
    let mut all = stores().await;
    let (target, _keep) = {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("target.db").display());
        (
            Store::connect(&url, &StoreOptions::default())
                .await
                .unwrap(),
            dir,
        )
    };
    let (source, _dir) = all.pop().unwrap();
    let mut record = title("Epsilon", &["3.0", "2.0", "1.0"]);
    record.pinned_version = Some("2.0".into());
    record.disabled_versions.insert("1.0".into());
    record.enabled = false;
    source
        .insert_title(&record, jiff::Timestamp::now())
        .await
        .unwrap();
    source
        .insert_title(&title("Zeta", &["1.0"]), jiff::Timestamp::now())
        .await
        .unwrap();
    source
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "ci",
            "secret-1",
            Timestamp::now(),
        ))
        .await
        .unwrap();
    source
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "old",
            "secret-2",
            Timestamp::now(),
        ))
        .await
        .unwrap();
    source.revoke_token("old", Timestamp::now()).await.unwrap();

    let installation = source.read_installation().await.unwrap();
    assert!(target.is_empty().await.unwrap());
    target.write_installation(&installation).await.unwrap();
    let copied = target.read_installation().await.unwrap();
    assert!(copied.same_content(&installation));
    assert!(target.find_token("secret-1").await.unwrap().is_some());
    assert!(target.find_token("secret-2").await.unwrap().is_none());
}

#[tokio::test]
async fn servers_starting_together_on_a_new_database_migrate_it_once() {
    // Concurrent migration is a PostgreSQL concern: without TEST_DATABASE_URL this says so and
    // returns (and fails under CI=true). The database is new and empty, and dropped afterwards.
    let Some(backend) = postgres_backend() else {
        return;
    };
    let database = TestDatabase::new(backend).await;
    let url = database.url.clone();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::connect(&url, &StoreOptions::default()).await })
        })
        .collect();
    for start in starts {
        let store = start.await.unwrap().expect("every server starts");
        assert_eq!(store.title_revision().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute_per_token() {
    for (store, _database) in stores().await {
        let start: Timestamp = "2026-12-04T12:00:00Z".parse().unwrap();
        let token = store
            .create_token(&ringmaster_store::tokens::NewToken::admin(
                "ci", "secret-1", start,
            ))
            .await
            .unwrap();
        assert_eq!(token.last_used_at, None);
        assert!(store.touch_token(&token, start).await.unwrap());
        let used = store.find_token("secret-1").await.unwrap().unwrap();
        assert_eq!(used.last_used_at, Some(start));
        let within = start + jiff::SignedDuration::from_secs(59);
        assert!(!store.touch_token(&used, within).await.unwrap());
        // A server holding the token as read before the first write loses the race.
        assert!(!store.touch_token(&token, within).await.unwrap());
        let after = start + jiff::SignedDuration::from_secs(60);
        assert!(store.touch_token(&used, after).await.unwrap());
        let listed = store.list_tokens().await.unwrap();
        assert_eq!(listed[0].last_used_at, Some(after), "{:?}", store.backend());
    }
}

//! Moving an installation between databases (`ringmaster migrate`), with its OS-update data:
//! SQLite → PostgreSQL → SQLite when `TEST_DATABASE_URL` is set, SQLite → SQLite otherwise.
//! Every id, revision and date survives, new rows on the target get fresh ids (and no stale
//! tombstone of the target's own), a target that holds anything is refused with nothing
//! written, 100,000 devices go in one copy, and the transfer knows every table and column of the
//! schema.

use std::collections::BTreeSet;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::date;
use ringmaster_domain::access::{Role, TitleScope};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::FeedFormat;
use ringmaster_domain::catalog::release::{Release, SecurityInfo};
use ringmaster_domain::ids::{DeviceGroupId, DeviceId};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::model::UpdatePolicy;
use ringmaster_domain::policy::parse::parse_policy;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::title::id::SoftwareTitleId;
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::webhook::NewWebhook;
use ringmaster_store::audit::{AuditActor, NewAuditEntry};
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::{DeviceDocument, GroupWrite, StoredDevice};
use ringmaster_store::os_updates::policies::{BindingTargets, Subject};
use ringmaster_store::store::{Backend, Store, StoreOptions};
use ringmaster_store::tokens::NewToken;
use ringmaster_store::webhooks::WebhookInsert;
use sqlx::Connection;

mod support;

use support::{release, stores};

fn now() -> Timestamp {
    "2026-05-01T10:00:00Z".parse().unwrap()
}

fn later() -> Timestamp {
    "2026-05-02T11:30:00.25Z".parse().unwrap()
}

/// A fresh SQLite store and its URL (for a side connection); keep the `TempDir` alive.
async fn sqlite() -> (Store, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("source.db").display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    (store, url, dir)
}

/// The databases a copy goes through after the source: PostgreSQL (when available) and back
/// to a fresh SQLite file. Keep the `TestDatabase`s alive.
async fn targets() -> (Vec<Store>, Vec<ringmaster_testing::TestDatabase>) {
    let mut all = stores().await;
    // `stores()` gives SQLite first; copies go to PostgreSQL (if any), then back to SQLite.
    all.rotate_left(1);
    all.into_iter().unzip()
}

fn title(id: &str) -> TitleRecord {
    let document = serde_json::json!({
        "id": id, "name": id, "publisher": "Example", "appName": format!("{id}.app"),
        "bundleId": format!("com.example.{id}"), "requirements": [], "patches": [{
            "version": "1.0", "releaseDate": "2024-01-02T03:04:05.123Z", "standalone": true,
            "minimumOperatingSystem": "12.0", "reboot": false, "killApps": [],
            "components": [{"name": id, "version": "1.0", "criteria": []}], "capabilities": []
        }]
    });
    TitleRecord::new(
        parse::software_title(&document).unwrap(),
        "2026-01-01T00:00:00Z".parse().unwrap(),
    )
}

fn catalog() -> Vec<Release> {
    let mut macos = release(Platform::MacOs, "26.4", Some("25E246"));
    macos.expires_on = Some(date(2026, 7, 1));
    macos.supported_devices = BTreeSet::from(["J413AP".to_owned(), "Mac-1E7109".to_owned()]).into();
    macos.seen_at = Some("2026-03-24T18:02:03.5Z".parse().unwrap());
    let mut rsr = release(Platform::MacOs, "26.3.1(a)", Some("25D771280a"));
    rsr.prerequisite_build = Some("25D2128".to_owned());
    rsr.source = FeedFormat::SofaV2;
    rsr.security = Some(SecurityInfo {
        cve_count: 3,
        actively_exploited_count: 1,
        details_url: Some("https://support.apple.com/en-us/126000".to_owned()),
    });
    let buildless = release(Platform::MacOs, "26.0", None);
    let ios = release(Platform::Ios, "26.4", Some("23E244"));
    vec![macos, rsr, buildless, ios]
}

fn policy(name: &str, platform: &str) -> UpdatePolicy {
    parse_policy(&serde_json::json!({"name": name, "platform": platform}))
        .unwrap()
        .policy
}

fn device(id: &str) -> DeviceDocument {
    DeviceDocument {
        id: DeviceId::parse(id).unwrap(),
        platform: Platform::MacOs,
        os_version: AppleOsVersion::parse("26.3").unwrap(),
        os_build: Some("25D125".to_owned()),
        model: Some("Mac16,1".to_owned()),
        software_update_device_id: Some("J613AP".to_owned()),
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

fn written(write: GroupWrite) -> DeviceGroupId {
    match write {
        GroupWrite::Written(group) => group.id,
        other => panic!("group not written: {other:?}"),
    }
}

async fn all_devices(store: &Store) -> Vec<StoredDevice> {
    store.list_devices(None, u32::MAX).await.unwrap()
}

/// Copies `from` into `to` as `ringmaster migrate` does, and checks the copy: counts, raw rows
/// and counters, titles, OS-update configuration and devices as read back.
async fn copy(from: &Store, to: &Store) {
    assert_eq!(to.occupied_tables().await.unwrap(), Vec::<&str>::new());
    assert_eq!(
        from.columns_not_copied().await.unwrap(),
        Vec::<String>::new()
    );
    let installation = from.read_installation().await.unwrap();
    to.write_installation(&installation).await.unwrap();
    assert_eq!(
        from.compare_copy(to).await.unwrap(),
        Vec::<String>::new(),
        "{:?} → {:?}",
        from.backend(),
        to.backend()
    );
    assert_eq!(
        to.table_counts().await.unwrap(),
        installation.counts(),
        "{:?}",
        to.backend()
    );
}

/// The ids a source gave out, deleted ones included, by table.
#[derive(Debug, Default)]
struct Given {
    policies: Vec<i64>,
    policy_groups: Vec<i64>,
    device_groups: Vec<i64>,
}

/// A source with every kind of OS-update data, ids with gaps, and rows of the DDM tables
/// written through a side connection.
async fn fill(source: &Store, url: &str) -> Given {
    source
        .create_token(&NewToken::admin("ci", "secret-1", now()))
        .await
        .unwrap();
    // A scoped, expiring manager token that has been used: every column of it moves.
    let scope = TitleScope::parse(["Firefox", "Slack"]).unwrap();
    let autopkg = source
        .create_token(&NewToken {
            name: "autopkg",
            secret: "secret-2",
            role: Role::Manager,
            titles: Some(&scope),
            expires_at: Some(later()),
            now: now(),
        })
        .await
        .unwrap();
    assert!(source.touch_token(&autopkg, now()).await.unwrap());
    // Webhooks, with an id gap; the title write below queues a delivery, which stays behind.
    let webhook = |body: &[u8]| NewWebhook::parse(body).unwrap();
    let gone = source
        .insert_webhook(&webhook(br#"{"url": "https://gone.example/"}"#), now())
        .await
        .unwrap();
    source
        .insert_webhook(
            &webhook(br#"{"url": "https://kept.example/", "send_definition": true}"#),
            now(),
        )
        .await
        .unwrap();
    let WebhookInsert::Created(gone) = gone else {
        panic!("webhook refused");
    };
    assert!(source.delete_webhook(gone).await.unwrap());
    source
        .insert_title(&title("Alpha"), jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(source.delivery_counts().await.unwrap().pending, 1);
    source.import_releases(catalog()).await.unwrap();
    let rings = source
        .ensure_default_rings(&default_rings(), now())
        .await
        .unwrap();
    let doomed = source
        .insert_policy(&policy("Doomed", "macOS"), None, now())
        .await
        .unwrap();
    let custom = source
        .insert_policy_group("Custom", None, now())
        .await
        .unwrap();
    let extra = source
        .insert_policy(&policy("Pilot", "iOS"), Some(custom.id), later())
        .await
        .unwrap();
    assert!(source.delete_policy(doomed.id, None).await.unwrap());
    source
        .replace_policy(extra.id, &policy("Pilot 2", "iOS"), None, later())
        .await
        .unwrap()
        .unwrap();
    for id in ["mac-1", "mac-2", "Mac-3", "ipad-1"] {
        source.insert_device(&device(id), now()).await.unwrap();
    }
    let old_group = written(
        source
            .insert_device_group("Old", &ids(&["mac-1"]), now())
            .await
            .unwrap(),
    );
    let lab = written(
        source
            .insert_device_group("Lab", &ids(&["mac-2", "mac-1", "Mac-3"]), now())
            .await
            .unwrap(),
    );
    assert!(source.delete_device_group(old_group).await.unwrap());
    source
        .set_bindings(
            Subject::Policy(extra.id),
            &BindingTargets {
                devices: ids(&["ipad-1", "mac-2"]),
                device_groups: vec![lab],
            },
        )
        .await
        .unwrap();
    source
        .set_bindings(
            Subject::PolicyGroup(rings.rings[0].group.id),
            &BindingTargets {
                devices: vec![],
                device_groups: vec![lab],
            },
        )
        .await
        .unwrap();
    // The audit log: a done entry, one left pending, and an id gap (a discarded one).
    let entry = |action: &str| NewAuditEntry {
        occurred_at: now(),
        actor: AuditActor::Token {
            id: 1,
            name: "ci".to_owned(),
        },
        client_address: Some("192.0.2.7".to_owned()),
        action: action.to_owned(),
        object_kind: Some("policy".to_owned()),
        object_id: Some(extra.id.to_string()),
        before: Some(r#"{"name":"Pilot"}"#.to_owned()),
    };
    let done = source
        .begin_audit(&entry("PUT /api/v1/policies/{id}"))
        .await
        .unwrap();
    source
        .complete_audit(done, Some(200), None, Some(r#"{"name":"Pilot 2"}"#))
        .await
        .unwrap();
    let refused = source
        .begin_audit(&entry("DELETE /api/v1/policies/{id}"))
        .await
        .unwrap();
    source.discard_audit(refused).await.unwrap();
    source
        .begin_audit(&entry("POST /api/v1/restore"))
        .await
        .unwrap();
    // What DDM keeps per device, and a device that enrolled itself (no platform or version yet).
    let mut side = sqlx::SqliteConnection::connect(url).await.unwrap();
    for sql in [
        "INSERT INTO devices (id, created_at, updated_at, last_check_in_at) VALUES \
         ('enrolled', '2026-05-01T10:00:00Z', '2026-05-01T10:00:00Z', '2026-05-01T10:00:01Z')",
        "INSERT INTO ddm_served (device_id, declarations_token, declarations, served_at) VALUES \
         ('mac-1', 'token-1', '[]', '2026-05-01T10:00:02Z')",
        "INSERT INTO device_status (device_id, status, reports, updated_at) VALUES \
         ('mac-1', '{\"StatusItems\": {}, \"Errors\": []}', 3, '2026-05-01T10:00:03Z')",
        "INSERT INTO legacy_mechanisms (device_id, kind, name, recorded_at) VALUES \
         ('mac-2', 'patchPolicy', 'Old patching', '2026-05-01T10:00:04Z')",
    ] {
        sqlx::query(sql).execute(&mut side).await.unwrap();
    }
    side.close().await.unwrap();
    let mut given = Given {
        policies: vec![doomed.id.get(), extra.id.get()],
        policy_groups: vec![custom.id.get()],
        device_groups: vec![old_group.get(), lab.get()],
    };
    for ring in &rings.rings {
        given.policy_groups.push(ring.group.id.get());
        given
            .policies
            .extend(ring.policies.iter().map(|stored| stored.id.get()));
    }
    given
}

#[tokio::test]
async fn os_update_data_moves_with_every_id_and_new_rows_get_fresh_ids() {
    let (source, url, _dir) = sqlite().await;
    let given = fill(&source, &url).await;
    let config = source.load_os_update_config().await.unwrap();
    assert_eq!(config.policies.len(), 9, "8 ring policies and Pilot 2");
    let devices = all_devices(&source).await;
    assert_eq!(devices.len(), 5);
    let counts = source.table_counts().await.unwrap();
    assert_eq!(
        (counts.releases, counts.policy_groups, counts.device_groups),
        (4, 5, 1)
    );
    assert_eq!((counts.members, counts.bindings), (3, 4));
    assert_eq!(counts.audit, 2, "a done and a pending entry");
    assert_eq!(
        (
            counts.served_sets,
            counts.device_statuses,
            counts.legacy_mechanisms
        ),
        (1, 1, 1)
    );

    let (targets, _dirs) = targets().await;
    // A title created and deleted on the last target leaves a tombstone numbered by the
    // target's own counter; the copy replaces that counter, so the tombstone must go.
    let last = targets.last().unwrap();
    last.insert_title(&title("Ghost"), jiff::Timestamp::now())
        .await
        .unwrap();
    let ghost = SoftwareTitleId::parse("Ghost").unwrap();
    assert!(
        last.delete_title(&ghost, None, jiff::Timestamp::now())
            .await
            .unwrap()
    );
    let mut from = &source;
    for target in &targets {
        copy(from, target).await;
        assert_eq!(
            target.load_os_update_config().await.unwrap(),
            config,
            "{:?}: ids, revisions and dates included",
            target.backend()
        );
        assert_eq!(all_devices(target).await, devices, "{:?}", target.backend());
        assert_eq!(
            target.os_update_revision().await.unwrap(),
            source.os_update_revision().await.unwrap()
        );
        assert_eq!(
            target.title_revision().await.unwrap(),
            source.title_revision().await.unwrap()
        );
        assert!(target.find_token("secret-1").await.unwrap().is_some());
        let autopkg = target.find_token("secret-2").await.unwrap().unwrap();
        assert_eq!(
            (
                autopkg.role,
                autopkg.titles.map(|scope| scope.to_stored()),
                autopkg.expires_at,
                autopkg.last_used_at
            ),
            (
                Role::Manager,
                Some("Firefox,Slack".to_owned()),
                Some(later()),
                Some(now())
            ),
            "{:?}",
            target.backend()
        );
        from = target;
    }
    // A change the counts cannot see is still a difference.
    let mut moved = device("mac-2");
    moved.model = Some("Mac16,5".to_owned());
    assert!(source.upsert_device(&moved, later()).await.unwrap().1);
    assert_eq!(
        source.compare_copy(from).await.unwrap(),
        vec![
            "devices: the rows differ",
            "devices: they differ as read back"
        ]
    );
    // Only after the last copy: a write on a middle database would show up as a difference.
    for target in &targets {
        let backend = target.backend();
        let since = target.title_revision().await.unwrap();
        for id in ["Beta", "Gamma"] {
            target
                .insert_title(&title(id), jiff::Timestamp::now())
                .await
                .unwrap();
        }
        let changes = target.title_changes_since(since).await.unwrap();
        assert_eq!(changes.changed.len(), 2, "{backend:?}");
        assert_eq!(changes.deleted, Vec::<String>::new(), "{backend:?}");
        let policy = target
            .insert_policy(&policy("New", "macOS"), None, later())
            .await
            .unwrap();
        let group = target
            .insert_policy_group("New group", None, later())
            .await
            .unwrap();
        let devices = written(
            target
                .insert_device_group("New devices", &ids(&["mac-1"]), later())
                .await
                .unwrap(),
        );
        for (what, id, copied) in [
            ("policy", policy.id.get(), &given.policies),
            ("policy group", group.id.get(), &given.policy_groups),
            ("device group", devices.get(), &given.device_groups),
        ] {
            assert!(
                copied.iter().all(|copied| id > *copied),
                "{backend:?}: a new {what} got id {id}, not above every copied id ({copied:?})"
            );
        }
        assert!(
            policy.revision > config.revision,
            "{backend:?}: the revision goes on from the source's"
        );
        let differences = source.compare_copy(target).await.unwrap();
        for table in ["update_policies", "update_policy_groups", "device_groups"] {
            let count = format!("{table}: ");
            assert!(
                differences.iter().any(|line| line.starts_with(&count)),
                "{backend:?}: {differences:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_target_that_holds_only_a_device_is_refused_and_left_as_it_was() {
    let (source, url, _dir) = sqlite().await;
    fill(&source, &url).await;
    let installation = source.read_installation().await.unwrap();
    for (target, _dir) in stores().await {
        let backend = target.backend();
        target
            .insert_device(&device("already-here"), now())
            .await
            .unwrap();
        assert!(!target.is_empty().await.unwrap(), "{backend:?}");
        assert_eq!(target.occupied_tables().await.unwrap(), vec!["devices"]);
        let before = target.read_installation().await.unwrap();
        let refused = target.write_installation(&installation).await;
        assert!(
            matches!(&refused, Err(StoreError::AlreadyExists(what)) if what.contains("devices")),
            "{backend:?}: {refused:?}"
        );
        assert!(
            target
                .read_installation()
                .await
                .unwrap()
                .same_content(&before),
            "{backend:?}: nothing written, counters included"
        );
        assert_eq!(target.os_update_revision().await.unwrap(), 0);
        assert!(target.list_policies().await.unwrap().is_empty());
        assert!(!source.compare_copy(&target).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_hundred_thousand_devices_in_a_group_move_in_one_copy() {
    let (source, _url, _dir) = sqlite().await;
    let devices: Vec<DeviceDocument> = (0..100_000)
        .map(|n| device(&format!("dev-{n:06}")))
        .collect();
    source.upsert_devices(&devices, now()).await.unwrap();
    let everyone: Vec<String> = devices
        .iter()
        .map(|device| device.id.as_str().to_owned())
        .collect();
    let group = written(
        source
            .insert_device_group("Everyone", &everyone, now())
            .await
            .unwrap(),
    );
    let pilot = source
        .insert_policy(&policy("Pilot", "macOS"), None, now())
        .await
        .unwrap();
    source
        .set_bindings(
            Subject::Policy(pilot.id),
            &BindingTargets {
                devices: everyone[..20_000].to_vec(),
                device_groups: vec![group],
            },
        )
        .await
        .unwrap();

    let (targets, _dirs) = targets().await;
    let mut from = &source;
    for target in &targets {
        let started = Instant::now();
        copy(from, target).await;
        eprintln!(
            "{:?} → {:?}: copying and checking 100,000 devices, 100,000 members and 20,001 \
             bindings took {:?}",
            from.backend(),
            target.backend(),
            started.elapsed()
        );
        let counts = target.table_counts().await.unwrap();
        assert_eq!(
            (counts.devices, counts.members, counts.bindings),
            (100_000, 100_000, 20_001)
        );
        from = target;
    }
}

#[tokio::test]
async fn the_transfer_knows_every_table_and_column_and_names_any_other() {
    for (store, _dir) in stores().await {
        assert_eq!(
            store.columns_not_copied().await.unwrap(),
            Vec::<String>::new(),
            "{:?}: a migration added data that `ringmaster migrate` would leave behind",
            store.backend()
        );
    }
    let (store, url, _dir) = sqlite().await;
    assert_eq!(store.backend(), Backend::Sqlite);
    let mut side = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for sql in [
        "ALTER TABLE devices ADD COLUMN nickname TEXT",
        "CREATE TABLE novelties (id INTEGER PRIMARY KEY, what TEXT)",
    ] {
        sqlx::query(sql).execute(&mut side).await.unwrap();
    }
    side.close().await.unwrap();
    assert_eq!(
        store.columns_not_copied().await.unwrap(),
        vec!["devices.nickname", "novelties"]
    );
}

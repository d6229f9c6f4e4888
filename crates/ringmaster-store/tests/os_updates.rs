//! OS-update storage on real databases (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is
//! set): the release catalog and its imports, policies and the default rings, bindings, devices
//! and device groups, the configuration snapshot, and when the OS-update revision moves.

use std::collections::BTreeSet;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::date;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::FeedFormat;
use ringmaster_domain::catalog::release::{Platform, Release, SecurityInfo};
use ringmaster_domain::policy::model::UpdatePolicy;
use ringmaster_domain::policy::parse::parse_policy;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::{GroupWrite, NewDevice};
use ringmaster_store::os_updates::policies::{
    BindingSubject, BindingTargets, BindingsWrite, StoredBinding, UnknownTargets,
};
use ringmaster_store::store::Store;

mod support;

use support::stores;

fn now() -> Timestamp {
    "2026-05-01T10:00:00Z".parse().unwrap()
}

fn later() -> Timestamp {
    "2026-05-02T11:30:00.25Z".parse().unwrap()
}

fn release(platform: Platform, version: &str, build: Option<&str>) -> Release {
    Release {
        platform,
        version: AppleOsVersion::parse(version).unwrap(),
        build: build.map(str::to_owned),
        released_on: date(2026, 3, 24),
        expires_on: None,
        supported_devices: BTreeSet::new(),
        security: None,
        prerequisite_build: None,
        seen_at: None,
        source: FeedFormat::Gdmf,
    }
}

/// Releases using every field, in catalog order (platform, newest first, then build).
fn catalog() -> Vec<Release> {
    let mut macos_new = release(Platform::MacOs, "26.4", Some("25E246"));
    macos_new.expires_on = Some(date(2026, 7, 1));
    macos_new.supported_devices = BTreeSet::from(["J413AP".to_owned(), "Mac-1E7109".to_owned()]);
    macos_new.seen_at = Some("2026-03-24T18:02:03.5Z".parse().unwrap());
    let mut macos_rsr = release(Platform::MacOs, "26.3.1(a)", Some("25D771280a"));
    macos_rsr.prerequisite_build = Some("25D2128".to_owned());
    macos_rsr.source = FeedFormat::SofaV2;
    macos_rsr.security = Some(SecurityInfo {
        cve_count: 3,
        actively_exploited_count: 1,
        details_url: Some("https://support.apple.com/en-us/126000".to_owned()),
    });
    let mut macos_old = release(Platform::MacOs, "26.0", None);
    macos_old.source = FeedFormat::SofaV1;
    macos_old.security = Some(SecurityInfo {
        cve_count: 70,
        actively_exploited_count: 0,
        details_url: None,
    });
    let ios_a = release(Platform::Ios, "26.4", Some("23E244"));
    let mut ios_b = release(Platform::Ios, "26.4", Some("23E246"));
    ios_b.source = FeedFormat::SofaDms;
    ios_b.supported_devices = BTreeSet::from(["iPhone17,1".to_owned()]);
    vec![macos_new, macos_rsr, macos_old, ios_a, ios_b]
}

fn policy(name: &str, platform: &str) -> UpdatePolicy {
    parse_policy(&serde_json::json!({"name": name, "platform": platform}))
        .unwrap()
        .policy
}

fn device(id: &str) -> NewDevice {
    NewDevice {
        id: id.to_owned(),
        platform: Platform::MacOs,
        os_version: AppleOsVersion::parse("26.3").unwrap(),
        os_build: Some("25D125".to_owned()),
        model: Some("Mac16,1".to_owned()),
        software_update_device_id: None,
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

async fn insert_devices(store: &Store, list: &[&str]) {
    for id in list {
        store.insert_device(&device(id), now()).await.unwrap();
    }
}

#[tokio::test]
async fn releases_read_back_equal_in_catalog_order() {
    for (store, _dir) in stores().await {
        let mut shuffled = catalog();
        shuffled.reverse();
        let import = store.import_releases(shuffled).await.unwrap();
        assert_eq!((import.added, import.updated, import.removed), (5, 0, 0));
        assert_eq!(import.revision, store.os_update_revision().await.unwrap());

        let stored = store.list_releases(None).await.unwrap();
        assert_eq!(stored, catalog());
        // Equality ignores how a version is written; the text is kept too.
        assert_eq!(stored[1].version.as_str(), "26.3.1(a)");
        let ios = store.list_releases(Some(Platform::Ios)).await.unwrap();
        assert_eq!(ios, catalog()[3..].to_vec());
    }
}

#[tokio::test]
async fn importing_the_same_releases_again_changes_nothing() {
    for (store, _dir) in stores().await {
        let first = store.import_releases(catalog()).await.unwrap();
        let second = store.import_releases(catalog()).await.unwrap();
        assert_eq!(
            (
                second.added,
                second.updated,
                second.removed,
                second.unchanged
            ),
            (0, 0, 0, 5)
        );
        assert_eq!(second.revision, first.revision);
        assert_eq!(store.os_update_revision().await.unwrap(), first.revision);

        let mut shorter = release(Platform::Ios, "26.4", Some("23E244"));
        shorter.expires_on = Some(date(2026, 6, 1));
        let third = store.import_releases(vec![shorter]).await.unwrap();
        assert_eq!((third.updated, third.unchanged), (1, 0));
        assert_eq!(third.revision, first.revision + 1);
        let ios = store.list_releases(Some(Platform::Ios)).await.unwrap();
        assert_eq!(ios[0].expires_on, Some(date(2026, 6, 1)));
    }
}

#[tokio::test]
async fn a_build_takes_over_the_buildless_entry_of_its_version() {
    for (store, _dir) in stores().await {
        let mut history = release(Platform::MacOs, "26.0.1", None);
        history.released_on = date(2026, 9, 29);
        history.source = FeedFormat::SofaV1;
        store.import_releases(vec![history]).await.unwrap();

        let mut build = release(Platform::MacOs, "26.0.1", Some("25A362"));
        build.released_on = date(2026, 10, 2);
        let import = store.import_releases(vec![build]).await.unwrap();
        assert_eq!((import.added, import.removed), (1, 1));

        let stored = store.list_releases(None).await.unwrap();
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(stored[0].build.as_deref(), Some("25A362"));
        assert_eq!(stored[0].released_on, date(2026, 9, 29));
    }
}

#[tokio::test]
async fn policy_names_are_unique_and_stale_writes_are_refused() {
    for (store, _dir) in stores().await {
        let first = store
            .insert_policy(&policy("Pilot", "macOS"), None, now())
            .await
            .unwrap();
        assert_eq!(
            store.get_policy(first.id).await.unwrap(),
            Some(first.clone())
        );
        let duplicate = store
            .insert_policy(&policy("Pilot", "iOS"), None, now())
            .await
            .unwrap_err();
        assert!(
            matches!(&duplicate, StoreError::AlreadyExists(what) if what == "policy \"Pilot\""),
            "{duplicate:?}"
        );
        let other = store
            .insert_policy(&policy("Other", "iOS"), None, now())
            .await
            .unwrap();

        let renamed = policy("Pilot renamed", "macOS");
        let replaced = store
            .replace_policy(first.id, &renamed, Some(first.revision), later())
            .await
            .unwrap()
            .unwrap();
        assert!(replaced.revision > first.revision);
        assert_eq!(replaced.created_at, now());
        assert_eq!(replaced.updated_at, later());
        assert_eq!(
            store.get_policy(first.id).await.unwrap(),
            Some(replaced.clone())
        );

        let stale = store
            .replace_policy(
                first.id,
                &policy("Stale", "macOS"),
                Some(first.revision),
                later(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::RevisionMismatch { expected, found: Some(found), .. }
                if expected == first.revision && found == replaced.revision),
            "{stale:?}"
        );
        let clash = store
            .replace_policy(first.id, &policy("Other", "macOS"), None, later())
            .await
            .unwrap_err();
        assert!(matches!(clash, StoreError::AlreadyExists(_)), "{clash:?}");

        let revision = store.os_update_revision().await.unwrap();
        let same = store
            .replace_policy(first.id, &renamed, None, now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(same, replaced, "an equal document writes nothing");
        assert_eq!(store.os_update_revision().await.unwrap(), revision);
        assert_eq!(
            store
                .replace_policy(9999, &renamed, None, now())
                .await
                .unwrap(),
            None
        );
        let listed: Vec<i64> = store
            .list_policies()
            .await
            .unwrap()
            .iter()
            .map(|stored| stored.id)
            .collect();
        assert_eq!(listed, [first.id, other.id]);
    }
}

#[tokio::test]
async fn deleting_a_policy_removes_its_bindings() {
    for (store, _dir) in stores().await {
        insert_devices(&store, &["mac-1"]).await;
        let stored = store
            .insert_policy(&policy("Pilot", "macOS"), None, now())
            .await
            .unwrap();
        let subject = BindingSubject::Policy(stored.id);
        let targets = BindingTargets {
            devices: ids(&["mac-1"]),
            device_groups: vec![],
        };
        store.set_bindings(subject, &targets).await.unwrap();
        assert_eq!(store.list_bindings().await.unwrap().len(), 1);

        let mismatch = store
            .delete_policy(stored.id, Some(stored.revision + 100))
            .await
            .unwrap_err();
        assert!(
            matches!(mismatch, StoreError::RevisionMismatch { .. }),
            "{mismatch:?}"
        );
        assert!(
            store
                .delete_policy(stored.id, Some(stored.revision))
                .await
                .unwrap()
        );
        assert!(!store.delete_policy(stored.id, None).await.unwrap());
        assert_eq!(store.list_bindings().await.unwrap(), vec![]);
        assert_eq!(store.get_bindings(subject).await.unwrap(), None);
    }
}

#[tokio::test]
async fn default_rings_are_created_once() {
    for (store, _dir) in stores().await {
        let rings = default_rings();
        let first = store.ensure_default_rings(&rings, now()).await.unwrap();
        assert!(first.created);
        let revision = store.os_update_revision().await.unwrap();
        let second = store.ensure_default_rings(&rings, later()).await.unwrap();
        assert!(!second.created);
        assert_eq!(second.rings, first.rings, "same groups, policies and ids");
        assert_eq!(store.os_update_revision().await.unwrap(), revision);

        let groups = store.list_policy_groups().await.unwrap();
        let names: Vec<(&str, Option<i32>)> = groups
            .iter()
            .map(|group| (group.name.as_str(), group.ring_order))
            .collect();
        assert_eq!(
            names,
            [
                ("Vanguard", Some(0)),
                ("Early Adoption", Some(1)),
                ("General Adoption", Some(2)),
                ("Late Adoption", Some(3)),
            ]
        );
        let policies = store.list_policies().await.unwrap();
        assert_eq!(policies.len(), 8);
        for (ring, stored) in rings.iter().zip(&first.rings) {
            let mine: Vec<&UpdatePolicy> = stored.policies.iter().map(|p| &p.policy).collect();
            assert_eq!(mine, [&ring.macos, &ring.ios]);
            assert!(
                stored
                    .policies
                    .iter()
                    .all(|p| p.group_id == Some(stored.group.id))
            );
        }
    }
}

#[tokio::test]
async fn concurrent_default_rings_make_one_set() {
    for (store, _dir) in stores().await {
        let calls: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.ensure_default_rings(&default_rings(), now()).await },
                )
            })
            .collect();
        let mut created = 0;
        for call in calls {
            if call.await.unwrap().unwrap().created {
                created += 1;
            }
        }
        assert_eq!(created, 1);
        assert_eq!(store.list_policy_groups().await.unwrap().len(), 4);
        assert_eq!(store.list_policies().await.unwrap().len(), 8);
    }
}

#[tokio::test]
async fn a_taken_ring_policy_name_refuses_the_rings_and_writes_nothing() {
    for (store, _dir) in stores().await {
        store
            .insert_policy(&policy("Late Adoption (iOS)", "iOS"), None, now())
            .await
            .unwrap();
        let error = store
            .ensure_default_rings(&default_rings(), now())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::AlreadyExists(what)
                if what.contains("Late Adoption (iOS)")),
            "{error:?}"
        );
        assert_eq!(store.list_policy_groups().await.unwrap(), vec![]);
        assert_eq!(store.list_policies().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn bindings_are_checked_and_replaced_whole() {
    for (store, _dir) in stores().await {
        insert_devices(&store, &["mac-a", "mac-b", "mac-c"]).await;
        let GroupWrite::Written(group) = store
            .insert_device_group("Lab", &ids(&["mac-c"]), now())
            .await
            .unwrap()
        else {
            panic!("group not written");
        };
        let pilot = store
            .insert_policy(&policy("Pilot", "macOS"), None, now())
            .await
            .unwrap();
        let subject = BindingSubject::Policy(pilot.id);

        let refused = store
            .set_bindings(
                subject,
                &BindingTargets {
                    devices: ids(&["mac-a", "ghost", "mac-b"]),
                    device_groups: vec![group.id, 4242],
                },
            )
            .await
            .unwrap();
        assert_eq!(
            refused,
            BindingsWrite::Refused(UnknownTargets {
                devices: vec![1],
                device_groups: vec![1],
            })
        );
        assert_eq!(
            store.get_bindings(subject).await.unwrap(),
            Some(BindingTargets::default())
        );

        let written = store
            .set_bindings(
                subject,
                &BindingTargets {
                    devices: ids(&["mac-b", "mac-a", "mac-b"]),
                    device_groups: vec![group.id],
                },
            )
            .await
            .unwrap();
        let expected = BindingTargets {
            devices: ids(&["mac-a", "mac-b"]),
            device_groups: vec![group.id],
        };
        assert_eq!(written, BindingsWrite::Written(expected.clone()));
        assert_eq!(store.get_bindings(subject).await.unwrap(), Some(expected));

        let replacement = BindingTargets {
            devices: ids(&["mac-c"]),
            device_groups: vec![],
        };
        store.set_bindings(subject, &replacement).await.unwrap();
        assert_eq!(
            store.get_bindings(subject).await.unwrap(),
            Some(replacement.clone()),
            "replaced, not appended"
        );
        let revision = store.os_update_revision().await.unwrap();
        store.set_bindings(subject, &replacement).await.unwrap();
        assert_eq!(store.os_update_revision().await.unwrap(), revision);

        let rings = store
            .ensure_default_rings(&default_rings(), now())
            .await
            .unwrap();
        let ring = BindingSubject::PolicyGroup(rings.rings[2].group.id);
        store
            .set_bindings(
                ring,
                &BindingTargets {
                    devices: vec![],
                    device_groups: vec![group.id],
                },
            )
            .await
            .unwrap();
        assert_eq!(
            store.list_bindings().await.unwrap(),
            vec![
                StoredBinding {
                    subject,
                    targets: replacement,
                },
                StoredBinding {
                    subject: ring,
                    targets: BindingTargets {
                        devices: vec![],
                        device_groups: vec![group.id],
                    },
                },
            ]
        );
        assert_eq!(
            store
                .set_bindings(
                    BindingSubject::PolicyGroup(9999),
                    &BindingTargets::default()
                )
                .await
                .unwrap(),
            BindingsWrite::SubjectNotFound
        );
        assert_eq!(
            store
                .get_bindings(BindingSubject::Policy(9999))
                .await
                .unwrap(),
            None
        );

        // Deleting the group keeps its policies, without a group, and drops its bindings.
        assert!(
            store
                .delete_policy_group(rings.rings[2].group.id)
                .await
                .unwrap()
        );
        assert!(
            !store
                .delete_policy_group(rings.rings[2].group.id)
                .await
                .unwrap()
        );
        let orphan = store
            .get_policy(rings.rings[2].policies[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(orphan.group_id, None);
        assert!(orphan.revision > rings.rings[2].policies[0].revision);
        assert_eq!(store.list_bindings().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn device_groups_refuse_unknown_members_by_position() {
    for (store, _dir) in stores().await {
        insert_devices(&store, &["b", "a", "c"]).await;
        let refused = store
            .insert_device_group("Lab", &ids(&["a", "nope", "b", "gone"]), now())
            .await
            .unwrap();
        assert_eq!(refused, GroupWrite::UnknownDevices(vec![1, 3]));
        assert_eq!(store.list_device_groups().await.unwrap(), vec![]);

        let GroupWrite::Written(lab) = store
            .insert_device_group("Lab", &ids(&["b", "a", "b"]), now())
            .await
            .unwrap()
        else {
            panic!("group not written");
        };
        assert_eq!(lab.devices, ids(&["a", "b"]));
        assert_eq!(
            store.get_device_group(lab.id).await.unwrap(),
            Some(lab.clone())
        );
        let duplicate = store
            .insert_device_group("Lab", &[], now())
            .await
            .unwrap_err();
        assert!(
            matches!(duplicate, StoreError::AlreadyExists(_)),
            "{duplicate:?}"
        );

        let replaced = store
            .replace_device_group(lab.id, "Lab 2", &ids(&["c", "b"]), later())
            .await
            .unwrap();
        let GroupWrite::Written(replaced) = replaced else {
            panic!("{replaced:?}");
        };
        assert_eq!(replaced.devices, ids(&["b", "c"]));
        assert_eq!(replaced.name, "Lab 2");
        assert!(replaced.revision > lab.revision);
        assert_eq!(
            store.list_device_groups().await.unwrap(),
            vec![replaced.clone()]
        );

        let revision = store.os_update_revision().await.unwrap();
        let same = store
            .replace_device_group(lab.id, "Lab 2", &ids(&["b", "c"]), later())
            .await
            .unwrap();
        assert_eq!(same, GroupWrite::Written(replaced));
        assert_eq!(store.os_update_revision().await.unwrap(), revision);
        assert_eq!(
            store
                .replace_device_group(lab.id, "Lab 2", &ids(&["zzz"]), later())
                .await
                .unwrap(),
            GroupWrite::UnknownDevices(vec![0])
        );
        assert_eq!(
            store
                .replace_device_group(9999, "X", &[], later())
                .await
                .unwrap(),
            GroupWrite::NotFound
        );
        assert!(store.delete_device_group(lab.id).await.unwrap());
        assert!(!store.delete_device_group(lab.id).await.unwrap());
        assert_eq!(store.get_device_group(lab.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn deleting_a_device_removes_it_from_groups_and_bindings() {
    for (store, _dir) in stores().await {
        insert_devices(&store, &["mac-1", "mac-2"]).await;
        let GroupWrite::Written(group) = store
            .insert_device_group("Lab", &ids(&["mac-1", "mac-2"]), now())
            .await
            .unwrap()
        else {
            panic!("group not written");
        };
        let pilot = store
            .insert_policy(&policy("Pilot", "macOS"), None, now())
            .await
            .unwrap();
        let subject = BindingSubject::Policy(pilot.id);
        store
            .set_bindings(
                subject,
                &BindingTargets {
                    devices: ids(&["mac-1"]),
                    device_groups: vec![group.id],
                },
            )
            .await
            .unwrap();

        let revision = store.os_update_revision().await.unwrap();
        assert!(store.delete_device("mac-1").await.unwrap());
        assert!(store.os_update_revision().await.unwrap() > revision);
        assert!(!store.delete_device("mac-1").await.unwrap());
        assert_eq!(store.get_device("mac-1").await.unwrap(), None);

        let after = store.get_device_group(group.id).await.unwrap().unwrap();
        assert_eq!(after.devices, ids(&["mac-2"]));
        assert!(after.revision > group.revision);
        assert_eq!(
            store.get_bindings(subject).await.unwrap(),
            Some(BindingTargets {
                devices: vec![],
                device_groups: vec![group.id],
            })
        );
    }
}

#[tokio::test]
async fn devices_are_created_updated_and_paged() {
    for (store, _dir) in stores().await {
        let stored = store.insert_device(&device("mac-1"), now()).await.unwrap();
        assert_eq!(
            store.get_device("mac-1").await.unwrap(),
            Some(stored.clone())
        );
        let duplicate = store
            .insert_device(&device("mac-1"), now())
            .await
            .unwrap_err();
        assert!(
            matches!(&duplicate, StoreError::AlreadyExists(what) if what == "device \"mac-1\""),
            "{duplicate:?}"
        );

        let (same, changed) = store
            .upsert_device(&device("mac-1"), later())
            .await
            .unwrap();
        assert!(!changed);
        assert_eq!(same, stored);

        let mut checked_in = device("mac-1");
        checked_in.os_version = AppleOsVersion::parse("26.4").unwrap();
        checked_in.os_build = None;
        let (updated, changed) = store.upsert_device(&checked_in, later()).await.unwrap();
        assert!(changed);
        assert_eq!(
            updated.os_version.as_ref().map(|v| v.as_str()),
            Some("26.4")
        );
        assert_eq!(updated.os_build, None);
        assert_eq!((updated.created_at, updated.updated_at), (now(), later()));

        let (created, changed) = store
            .upsert_device(&device("mac-0"), later())
            .await
            .unwrap();
        assert!(changed);
        assert_eq!(created.created_at, later());

        insert_devices(&store, &["mac-2", "Mac-3", "mac-10"]).await;
        let first = store.list_devices(None, 2).await.unwrap();
        let first: Vec<&str> = first.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(first, ["Mac-3", "mac-0"], "bytewise order");
        let rest = store.list_devices(Some("mac-0"), 10).await.unwrap();
        let rest: Vec<&str> = rest.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(rest, ["mac-1", "mac-10", "mac-2"]);
        assert_eq!(store.count_devices().await.unwrap(), 5);
    }
}

#[tokio::test]
async fn thousands_of_devices_are_written_in_one_call() {
    for (store, _dir) in stores().await {
        let devices: Vec<NewDevice> = (0..5_000).map(|n| device(&format!("dev-{n:06}"))).collect();
        let revision = store.os_update_revision().await.unwrap();
        let started = Instant::now();
        let written = store.upsert_devices(&devices, now()).await.unwrap();
        eprintln!(
            "{:?}: upsert_devices of 5,000 new devices took {:?}",
            store.backend(),
            started.elapsed()
        );
        assert_eq!(written, 5_000);
        assert_eq!(store.count_devices().await.unwrap(), 5_000);
        assert_eq!(store.os_update_revision().await.unwrap(), revision);

        let mut again = devices.clone();
        again[17].model = Some("Mac16,5".to_owned());
        again.push(device("dev-000017"));
        again.push(device("dev-new"));
        let started = Instant::now();
        let written = store.upsert_devices(&again, later()).await.unwrap();
        eprintln!(
            "{:?}: upsert_devices of 5,002 mostly unchanged devices took {:?}",
            store.backend(),
            started.elapsed()
        );
        assert_eq!(
            written, 1,
            "the last description of dev-000017 wins, unchanged"
        );
        assert_eq!(store.count_devices().await.unwrap(), 5_001);

        let everyone: Vec<String> = devices.iter().map(|d| d.id.clone()).collect();
        let group = store
            .insert_device_group("Everyone", &everyone, now())
            .await
            .unwrap();
        let GroupWrite::Written(group) = group else {
            panic!("{group:?}");
        };
        assert_eq!(group.devices.len(), 5_000);
        let half: Vec<String> = everyone[2_500..].to_vec();
        let replaced = store
            .replace_device_group(group.id, "Everyone", &half, later())
            .await
            .unwrap();
        assert!(matches!(replaced, GroupWrite::Written(_)), "{replaced:?}");
        let stored = store.get_device_group(group.id).await.unwrap().unwrap();
        assert_eq!(stored.devices, half);
    }
}

#[tokio::test]
async fn the_config_snapshot_sees_everything_at_one_revision() {
    for (store, _dir) in stores().await {
        store.import_releases(catalog()).await.unwrap();
        let rings = store
            .ensure_default_rings(&default_rings(), now())
            .await
            .unwrap();
        let extra = store
            .insert_policy(
                &policy("Pilot", "iOS"),
                Some(rings.rings[0].group.id),
                now(),
            )
            .await
            .unwrap();
        let custom = store
            .insert_policy_group("Custom", None, now())
            .await
            .unwrap();
        insert_devices(&store, &["mac-1", "mac-2"]).await;
        let GroupWrite::Written(group) = store
            .insert_device_group("Lab", &ids(&["mac-2", "mac-1"]), now())
            .await
            .unwrap()
        else {
            panic!("group not written");
        };
        store
            .set_bindings(
                BindingSubject::PolicyGroup(rings.rings[0].group.id),
                &BindingTargets {
                    devices: vec![],
                    device_groups: vec![group.id],
                },
            )
            .await
            .unwrap();

        let config = store.load_os_update_config().await.unwrap();
        assert_eq!(config.revision, store.os_update_revision().await.unwrap());
        assert_eq!(config.releases, catalog());
        assert_eq!(config.policies.len(), 9);
        assert_eq!(config.policies.last(), Some(&extra));
        assert_eq!(config.policies, store.list_policies().await.unwrap());
        assert_eq!(config.policy_groups.len(), 5);
        assert_eq!(
            config.policy_groups.last(),
            Some(&custom),
            "no ring order: last"
        );
        assert_eq!(config.device_groups, vec![group]);
        assert_eq!(config.bindings, store.list_bindings().await.unwrap());
        assert_eq!(config.bindings.len(), 1);
    }
}

#[tokio::test]
async fn the_revision_moves_on_configuration_writes_only() {
    for (store, _dir) in stores().await {
        let mut revision = store.os_update_revision().await.unwrap();
        let mut moved = |now: i64, what: &str| {
            assert!(now > revision, "{what} moves the revision");
            revision = now;
        };

        store.import_releases(catalog()).await.unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a catalog import",
        );
        let pilot = store
            .insert_policy(&policy("Pilot", "macOS"), None, now())
            .await
            .unwrap();
        moved(store.os_update_revision().await.unwrap(), "a policy insert");
        store
            .replace_policy(pilot.id, &policy("Pilot 2", "macOS"), None, now())
            .await
            .unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a policy replace",
        );
        let group = store
            .insert_policy_group("Custom", None, now())
            .await
            .unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a policy group insert",
        );
        store
            .ensure_default_rings(&default_rings(), now())
            .await
            .unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "creating the rings",
        );

        let before_devices = store.os_update_revision().await.unwrap();
        store.insert_device(&device("mac-1"), now()).await.unwrap();
        let mut checked_in = device("mac-1");
        checked_in.model = Some("Mac16,5".to_owned());
        store.upsert_device(&checked_in, later()).await.unwrap();
        store
            .upsert_devices(&[device("mac-2")], now())
            .await
            .unwrap();
        assert_eq!(
            store.os_update_revision().await.unwrap(),
            before_devices,
            "device writes do not move the revision"
        );

        store
            .set_bindings(
                BindingSubject::Policy(pilot.id),
                &BindingTargets {
                    devices: ids(&["mac-1"]),
                    device_groups: vec![],
                },
            )
            .await
            .unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a bindings write",
        );
        let GroupWrite::Written(lab) = store
            .insert_device_group("Lab", &ids(&["mac-1"]), now())
            .await
            .unwrap()
        else {
            panic!("group not written");
        };
        moved(
            store.os_update_revision().await.unwrap(),
            "a device group insert",
        );
        store
            .replace_device_group(lab.id, "Lab", &ids(&["mac-2"]), now())
            .await
            .unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a device group replace",
        );
        store.delete_device("mac-2").await.unwrap();
        moved(store.os_update_revision().await.unwrap(), "a device delete");
        store.delete_device_group(lab.id).await.unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a device group delete",
        );
        store.delete_policy_group(group.id).await.unwrap();
        moved(
            store.os_update_revision().await.unwrap(),
            "a policy group delete",
        );
        store.delete_policy(pilot.id, None).await.unwrap();
        moved(store.os_update_revision().await.unwrap(), "a policy delete");

        let unchanged = store.os_update_revision().await.unwrap();
        assert!(!store.delete_policy(pilot.id, None).await.unwrap());
        assert!(!store.delete_device("nobody").await.unwrap());
        store
            .ensure_default_rings(&default_rings(), now())
            .await
            .unwrap();
        assert_eq!(store.os_update_revision().await.unwrap(), unchanged);
    }
}

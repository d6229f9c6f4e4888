//! The release catalog and its imports, policies (unique names, stale writes) and the default
//! rings, on each backend.

use ringmaster_domain::ids::PolicyId;

use super::*;

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
                .replace_policy(PolicyId::new(9999), &renamed, None, now())
                .await
                .unwrap(),
            None
        );
        let listed: Vec<PolicyId> = store
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
        let subject = Subject::Policy(stored.id);
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

//! Bindings, devices and device groups, the configuration snapshot, and when the OS-update
//! revision moves, on each backend.

use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};

use super::*;

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
        let subject = Subject::Policy(pilot.id);

        let refused = store
            .set_bindings(
                subject,
                &BindingTargets {
                    devices: ids(&["mac-a", "ghost", "mac-b"]),
                    device_groups: vec![group.id, DeviceGroupId::new(4242)],
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
        let ring = Subject::PolicyGroup(rings.rings[2].group.id);
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
                    Subject::PolicyGroup(PolicyGroupId::new(9999)),
                    &BindingTargets::default()
                )
                .await
                .unwrap(),
            BindingsWrite::SubjectNotFound
        );
        assert_eq!(
            store
                .get_bindings(Subject::Policy(PolicyId::new(9999)))
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
                .replace_device_group(DeviceGroupId::new(9999), "X", &[], later())
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
        let subject = Subject::Policy(pilot.id);
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
        let devices: Vec<DeviceDocument> =
            (0..5_000).map(|n| device(&format!("dev-{n:06}"))).collect();
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

        let everyone: Vec<String> = devices.iter().map(|d| d.id.as_str().to_owned()).collect();
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
                Subject::PolicyGroup(rings.rings[0].group.id),
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
                Subject::Policy(pilot.id),
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

//! OS-update storage on real databases (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is
//! set): the release catalog and its imports, policies and the default rings, bindings, devices
//! and device groups, the configuration snapshot, and when the OS-update revision moves.

use std::collections::BTreeSet;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::date;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::FeedFormat;
use ringmaster_domain::catalog::release::{Release, SecurityInfo};
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::model::UpdatePolicy;
use ringmaster_domain::policy::parse::parse_policy;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::{DeviceDocument, GroupWrite};
use ringmaster_store::os_updates::policies::{
    BindingTargets, BindingsWrite, StoredBinding, Subject, UnknownTargets,
};
use ringmaster_store::store::Store;

#[path = "../support/mod.rs"]
mod support;

mod catalog_and_policies;
mod inventory;

use support::{release, stores};

fn now() -> Timestamp {
    "2026-05-01T10:00:00Z".parse().unwrap()
}

fn later() -> Timestamp {
    "2026-05-02T11:30:00.25Z".parse().unwrap()
}

/// Releases using every field, in catalog order (platform, newest first, then build).
fn catalog() -> Vec<Release> {
    let mut macos_new = release(Platform::MacOs, "26.4", Some("25E246"));
    macos_new.expires_on = Some(date(2026, 7, 1));
    macos_new.supported_devices =
        BTreeSet::from(["J413AP".to_owned(), "Mac-1E7109".to_owned()]).into();
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
    ios_b.supported_devices = BTreeSet::from(["iPhone17,1".to_owned()]).into();
    vec![macos_new, macos_rsr, macos_old, ios_a, ios_b]
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

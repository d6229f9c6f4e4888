//! What the store test binaries share: a fresh store per backend and a release to store, from `ringmaster-testing`
//! (the same fresh databases the server's tests use, dropped after the test).

use jiff::civil::date;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::platform::Platform;
use ringmaster_store::store::Store;
use ringmaster_testing::{TestDatabase, backends};

/// A fresh SQLite file always, and a fresh PostgreSQL database when `TEST_DATABASE_URL` is set,
/// which `CI=true` requires. Keep the [`TestDatabase`] alive while its store is used: dropping
/// it removes the database.
pub(crate) async fn stores() -> Vec<(Store, TestDatabase)> {
    let mut stores = Vec::new();
    for backend in backends() {
        let database = TestDatabase::new(backend).await;
        stores.push((database.store().await, database));
    }
    stores
}

/// A release of `platform`, out on 2026-03-24, with only its version and (maybe) build.
#[allow(dead_code)] // not every store test binary stores releases
pub(crate) fn release(platform: Platform, version: &str, build: Option<&str>) -> Release {
    let release = Release::new(
        platform,
        AppleOsVersion::parse(version).unwrap(),
        date(2026, 3, 24),
    );
    match build {
        Some(build) => release.with_build(build),
        None => release,
    }
}

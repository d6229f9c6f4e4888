//! What the store test binaries share: a fresh store per backend, from `ringmaster-testing`
//! (the same fresh databases the server's tests use, dropped after the test).

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

//! What the store test binaries share: a fresh store per backend.

use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use ringmaster_store::store::{Store, StoreOptions};
use sqlx::Connection;

/// A fresh SQLite file always, and a fresh PostgreSQL database (with a random name) when
/// `TEST_DATABASE_URL` is set, which `CI=true` requires. Keep the `TempDir` alive while the
/// SQLite store is used.
pub(crate) async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/dir/store.db").display()
    );
    let mut stores = vec![(
        Store::connect(&url, &StoreOptions::default())
            .await
            .unwrap(),
        Some(dir),
    )];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            // Tests run in parallel: the process id and a counter keep names apart.
            static CREATED: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "ringmaster_store_{}_{}_{}",
                Timestamp::now().as_nanosecond().unsigned_abs() % 1_000_000_000_000,
                std::process::id(),
                CREATED.fetch_add(1, Ordering::Relaxed)
            );
            let mut connection = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut connection)
                .await
                .unwrap();
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap();
            let store = Store::connect(&format!("{base}/{name}"), &StoreOptions::default())
                .await
                .unwrap();
            stores.push((store, None));
        }
        _ => assert!(
            !matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1")),
            "CI=true requires TEST_DATABASE_URL"
        ),
    }
    stores
}

//! A fresh, empty database per test, on each backend, for the store's and the server's tests.
//!
//! SQLite is always there: a file in a temporary folder, removed with it. PostgreSQL is there
//! when `TEST_DATABASE_URL` names a server (which `CI=true` requires, so CI never passes by
//! skipping it): each [`TestDatabase`] creates a database with a random name on that server and
//! drops it again when the handle that created it is dropped, connections and all.

use std::path::PathBuf;

use rand::Rng;
use ringmaster_store::store::{Store, StoreOptions};
use sqlx::Connection;

use crate::on_ci;

/// The database backends a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when `TEST_DATABASE_URL` is set (required under `CI=true`).
pub fn backends() -> Vec<TestBackend> {
    let mut backends = vec![TestBackend::Sqlite];
    backends.extend(postgres_backend());
    backends
}

/// PostgreSQL when `TEST_DATABASE_URL` is set; `None` (with a note) otherwise, which `CI=true`
/// turns into a failure.
pub fn postgres_backend() -> Option<TestBackend> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(TestBackend::Postgres),
        _ => {
            assert!(
                !on_ci(),
                "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must not be skipped on CI"
            );
            eprintln!("note: TEST_DATABASE_URL is not set; the PostgreSQL case is skipped");
            None
        }
    }
}

/// A fresh, empty database of one backend. The handle [`TestDatabase::new`] returns owns it: the
/// SQLite folder is removed and the PostgreSQL database dropped when that handle is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub backend: TestBackend,
    _dir: Option<tempfile::TempDir>,
    /// The server's admin URL and the database's name, on the handle that drops it.
    owned_postgres: Option<(String, String)>,
}

/// Runs `$body` with `$connection`, a fresh connection of the database's own backend.
macro_rules! with_connection {
    ($database:expr, $connection:ident => $body:expr) => {
        match $database.backend {
            TestBackend::Sqlite => {
                let mut $connection = sqlx::SqliteConnection::connect(&$database.url)
                    .await
                    .expect("connect to the test database");
                $body
            }
            TestBackend::Postgres => {
                let mut $connection = sqlx::PgConnection::connect(&$database.url)
                    .await
                    .expect("connect to the test database");
                $body
            }
        }
    };
}

impl TestDatabase {
    pub async fn new(backend: TestBackend) -> TestDatabase {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path: PathBuf = dir.path().join("data").join("ringmaster.db");
                TestDatabase {
                    url: format!("sqlite://{}", path.display()),
                    backend,
                    _dir: Some(dir),
                    owned_postgres: None,
                }
            }
            TestBackend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("ringmaster_test_{}", random_suffix());
                let mut connection = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut connection)
                    .await
                    .expect("create test database");
                let _ = connection.close().await;
                TestDatabase {
                    url: replace_database_name(&admin_url, &name),
                    backend,
                    _dir: None,
                    owned_postgres: Some((admin_url, name)),
                }
            }
        }
    }

    /// Another handle on the same database, for a second server; the first keeps (and drops) it.
    pub fn another_handle(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            backend: self.backend,
            _dir: None,
            owned_postgres: None,
        }
    }

    /// A store on the database.
    pub async fn store(&self) -> Store {
        Store::connect(&self.url, &StoreOptions::default())
            .await
            .expect("connect store")
    }

    /// Runs `sql` (one or more statements) on the database directly, past the store, as an
    /// older ringmaster or an admin might have.
    pub async fn execute(&self, sql: &'static str) {
        with_connection!(self, connection => {
            sqlx::raw_sql(sql)
                .execute(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
        })
    }

    /// The one integer `sql` selects, read from the database directly.
    pub async fn scalar(&self, sql: &'static str) -> i64 {
        with_connection!(self, connection => {
            sqlx::query_scalar(sql)
                .fetch_one(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"))
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.owned_postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which must not be blocked on from within: the
        // database is dropped from a thread of its own, with its own small runtime, and waited for.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(mut connection) = sqlx::PgConnection::connect(&admin_url).await else {
                    return;
                };
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut connection)
                    .await
                {
                    eprintln!("note: could not drop the test database {name}: {error}");
                }
                let _ = connection.close().await;
            });
        });
        let _ = dropper.join();
    }
}

fn random_suffix() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

/// `url` naming the database `name` instead of its own, query kept.
pub fn replace_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|index| index + 3).unwrap_or(0);
    let host_and_path = &base[scheme_end..];
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    let mut result = format!("{}{host}/{name}", &base[..scheme_end]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::replace_database_name;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            replace_database_name("postgres://u@db:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@db:5432/t1?sslmode=disable"
        );
        assert_eq!(
            replace_database_name("postgres://u@db/postgres", "t2"),
            "postgres://u@db/t2"
        );
    }
}

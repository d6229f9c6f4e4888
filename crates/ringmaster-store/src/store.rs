//! Connecting to the database chosen by URL, and running its migrations.
//!
//! `sqlite://PATH` (the embedded default; the file and its folder are created on first start,
//! readable by the owner only (0600 and 0700 on Unix); WAL journal) or `postgres://…`. Each backend has its own migration tree, embedded in the binary.
//! Queries dispatch on the backend through [`on_pool!`](crate::on_pool), which expands one query
//! body for both pool types so the SQL is written once.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::StoreError;

/// The backend a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
        }
    }
}

/// The database, whichever backend it is. Cheap to clone (pools are shared handles).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one body against whichever pool the store holds. Inside the body, `$pool` is a
/// `&SqlitePool` or a `&PgPool`; the body is compiled once per backend.
#[macro_export]
#[doc(hidden)]
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

impl Store {
    /// Connects, creating an SQLite file and its folder when needed, and applies migrations.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let store = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let file = connect.get_filename().to_path_buf();
                if !url.contains("mode=memory") && file.as_os_str() != ":memory:" {
                    if let Some(parent) = file.parent()
                        && !parent.as_os_str().is_empty()
                    {
                        create_dir(parent)?;
                    }
                    create_owner_only_file(&file)?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections)
                    .connect_with(connect)
                    .await?;
                sqlx::migrate!("migrations/sqlite").run(&pool).await?;
                Store {
                    pool: Pool::Sqlite(pool),
                }
            }
            Backend::Postgres => {
                let connect = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(connect)
                    .await?;
                // sqlx takes an advisory lock around the run, so servers starting together
                // apply each migration once.
                sqlx::migrate!("migrations/postgres").run(&pool).await?;
                Store {
                    pool: Pool::Postgres(pool),
                }
            }
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection, waiting for work in flight.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// Creates the data folder (and any missing parents) readable by the owner only (0700 on Unix);
/// folders that exist are left as they are.
fn create_dir(path: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|source| StoreError::DataDirectory {
            path: path.display().to_string(),
            source,
        })
}

/// Creates an empty database file readable by the owner only (0600 on Unix) unless it exists;
/// SQLite gives its journal files the same mode.
fn create_owner_only_file(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::DataDirectory {
            path: path.display().to_string(),
            source,
        }),
    }
}

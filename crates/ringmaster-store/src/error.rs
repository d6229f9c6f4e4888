//! The storage error type.

/// What can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one ringmaster can use.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A row with this key exists already.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The row changed since it was read (optimistic concurrency).
    #[error("{what} was changed by someone else (expected revision {expected}, found {found:?})")]
    RevisionMismatch {
        what: String,
        expected: i64,
        found: Option<i64>,
    },
    /// A stored row could not be read back; the database was edited by hand or is damaged.
    #[error("stored row {what} is damaged: {why}")]
    Corrupt { what: String, why: String },
    /// Rows of a restored table that the database or the store's readers refuse.
    #[error("rows of {table} refused: {why}")]
    Refused { table: String, why: String },
    /// PostgreSQL cannot store a NUL character, and these cells of the data to write hold one
    /// (`table row (key): column`).
    #[error(
        "PostgreSQL cannot store the NUL character (U+0000), and the data holds one in {}; \
         nothing was written: correct or delete these rows in the source, then try again",
        .0.join("; ")
    )]
    NulCharacters(Vec<String>),
    #[error("could not create the data directory {path}: {source}")]
    DataDirectory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A part of the store that writes in the background has stopped (the server is shutting
    /// down).
    #[error("{0}")]
    Unavailable(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// True for a unique-key violation, which callers turn into "already exists".
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

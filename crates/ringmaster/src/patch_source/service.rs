//! Title operations shared by the admin API and the CLI.
//!
//! Each edit reads the stored title, applies a pure domain edit and writes it back in one
//! transaction that queues behind other writers (`Store::modify_title`), so concurrent admins lose
//! nothing. With an `If-Match` from the caller, the edit applies only to the revision the caller
//! read, and otherwise fails as [`TitleError::Stale`] (HTTP 412). After every
//! successful write the feed cache is refreshed before the caller answers, so the next read —
//! on this server — already sees the change. Every write queues its webhook events in its own
//! transaction (the store does), so answering never waits for a receiver.

use std::sync::Arc;

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::jamf_time::next_last_modified;
use ringmaster_domain::title::edit::{self, Outcome, Placement, TitleEditError};
use ringmaster_domain::title::id::SoftwareTitleId;
use ringmaster_domain::title::model::{Patch, SoftwareTitle};
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::title_row::StoredTitle;
use ringmaster_store::titles::{ExistingTitles, Modified, RestoreOutcome};

use crate::clock::Clock;
use crate::patch_source::feed_cache::FeedCache;

#[derive(Debug, thiserror::Error)]
pub enum TitleError {
    #[error("title {0:?} does not exist")]
    NotFound(String),
    #[error("the submitted document is invalid")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Edit(#[from] TitleEditError),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error(
        "title {id:?} has changed since revision {expected} (it is now at {found:?}); read it again"
    )]
    Stale {
        id: String,
        expected: i64,
        found: Option<i64>,
    },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for TitleError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => TitleError::AlreadyExists(what),
            other => TitleError::Store(other),
        }
    }
}

/// The patch source: storage plus the read cache it keeps current, and the clock that stamps
/// `lastModified`.
#[derive(Debug, Clone)]
pub struct PatchSource {
    pub store: Store,
    pub cache: Arc<FeedCache>,
    /// The application clock: it stamps `lastModified` and says when webhook events happen
    /// (and become due).
    pub clock: Clock,
}

impl PatchSource {
    /// A patch source over `store` that reads "now" from `clock`.
    pub fn new(store: Store, clock: Clock) -> PatchSource {
        PatchSource {
            store,
            cache: Arc::new(FeedCache::default()),
            clock,
        }
    }

    /// The time edits are stamped with.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Brings the read cache up to date; failures are logged and retried by the next refresh.
    pub async fn refresh_cache(&self) {
        if let Err(error) = self.cache.refresh(&self.store).await {
            tracing::warn!(%error, "feed cache refresh failed; serving the previous snapshot");
        }
    }

    pub async fn list_titles(&self) -> Result<Vec<StoredTitle>, TitleError> {
        Ok(self.store.list_titles().await?)
    }

    pub async fn get_title(&self, id: &str) -> Result<StoredTitle, TitleError> {
        let title_id = parse_path_id(id)?;
        self.store
            .get_title(&title_id)
            .await?
            .ok_or_else(|| TitleError::NotFound(id.to_owned()))
    }

    /// Stores a new title (`POST /api/v1/title`).
    pub async fn create_title(&self, definition: SoftwareTitle) -> Result<StoredTitle, TitleError> {
        let record = TitleRecord::new(definition, next_last_modified(None, self.clock.now()));
        let stored = self.store.insert_title(&record, self.clock.now()).await?;
        self.refresh_cache().await;
        Ok(stored)
    }

    /// Replaces a title's definition (`PUT /api/v1/title/{id}`), keeping admin state that applies.
    pub async fn replace_title(
        &self,
        id: &str,
        definition: SoftwareTitle,
        if_match: Option<i64>,
    ) -> Result<StoredTitle, TitleError> {
        self.modify(id, if_match, move |record, now| {
            Ok(edit::replace_definition(record, definition, now)?)
        })
        .await
    }

    pub async fn delete_title(&self, id: &str, if_match: Option<i64>) -> Result<(), TitleError> {
        let title_id = parse_path_id(id)?;
        match self
            .store
            .delete_title(&title_id, if_match, self.clock.now())
            .await
        {
            Ok(true) => {
                self.refresh_cache().await;
                Ok(())
            }
            Ok(false) => Err(TitleError::NotFound(id.to_owned())),
            Err(StoreError::RevisionMismatch {
                expected, found, ..
            }) => Err(TitleError::Stale {
                id: id.to_owned(),
                expected,
                found,
            }),
            Err(error) => Err(error.into()),
        }
    }

    /// Adds one version (`POST /api/v1/title/{id}/version`).
    pub async fn add_version(
        &self,
        id: &str,
        patch: Patch,
        placement: Placement,
    ) -> Result<StoredTitle, TitleError> {
        self.modify(id, None, move |record, now| {
            if let Err(errors) = parse::check_patch_against_title(&patch, &record.definition) {
                return Err(EditFailure::Invalid(errors));
            }
            Ok(edit::add_patch(record, patch, placement, now)?)
        })
        .await
    }

    pub async fn remove_version(
        &self,
        id: &str,
        version: &str,
        if_match: Option<i64>,
    ) -> Result<StoredTitle, TitleError> {
        self.modify(id, if_match, |record, now| {
            Ok(edit::remove_patch(record, version, now)?)
        })
        .await
    }

    pub async fn set_version_enabled(
        &self,
        id: &str,
        version: &str,
        enabled: bool,
    ) -> Result<StoredTitle, TitleError> {
        self.modify(id, None, |record, now| {
            Ok(edit::set_patch_enabled(record, version, enabled, now)?)
        })
        .await
    }

    pub async fn set_title_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<StoredTitle, TitleError> {
        self.modify(id, None, |record, now| {
            Ok(edit::set_title_enabled(record, enabled, now))
        })
        .await
    }

    pub async fn pin_version(&self, id: &str, version: &str) -> Result<StoredTitle, TitleError> {
        self.modify(id, None, |record, now| {
            Ok(edit::pin_current_version(record, version, now)?)
        })
        .await
    }

    pub async fn unpin_version(&self, id: &str) -> Result<StoredTitle, TitleError> {
        self.modify(id, None, |record, now| {
            Ok(edit::unpin_current_version(record, now))
        })
        .await
    }

    /// Writes many titles at once, all or nothing (restore and import).
    pub async fn restore(
        &self,
        records: Vec<TitleRecord>,
        existing: ExistingTitles,
    ) -> Result<RestoreOutcome, TitleError> {
        let outcome = self.store.restore_titles(&records, existing).await?;
        self.refresh_cache().await;
        Ok(outcome)
    }

    async fn modify(
        &self,
        id: &str,
        if_match: Option<i64>,
        apply: impl FnOnce(&mut TitleRecord, Timestamp) -> Result<Outcome, EditFailure>,
    ) -> Result<StoredTitle, TitleError> {
        let title_id = parse_path_id(id)?;
        let modified = self
            .store
            .modify_title(&title_id, if_match, self.clock.now(), |record| {
                apply(record, self.clock.now()).map(|outcome| outcome == Outcome::Changed)
            })
            .await?;
        match modified {
            Modified::Updated(stored) => {
                self.refresh_cache().await;
                Ok(stored)
            }
            Modified::Unchanged(stored) => Ok(stored),
            Modified::NotFound => Err(TitleError::NotFound(id.to_owned())),
            Modified::Stale { found } => Err(TitleError::Stale {
                id: id.to_owned(),
                expected: if_match.unwrap_or_default(),
                found: Some(found),
            }),
            Modified::Refused(EditFailure::Edit(error)) => Err(error.into()),
            Modified::Refused(EditFailure::Invalid(errors)) => Err(TitleError::Invalid(errors)),
        }
    }
}

/// Why an edit closure refused.
#[derive(Debug)]
enum EditFailure {
    Edit(TitleEditError),
    Invalid(FieldErrors),
}

impl From<TitleEditError> for EditFailure {
    fn from(error: TitleEditError) -> Self {
        EditFailure::Edit(error)
    }
}

fn parse_path_id(id: &str) -> Result<SoftwareTitleId, TitleError> {
    // An id that cannot exist is simply not found. Lookups take ids stored before the id rule
    // (beginning with a dot), so such a title can still be read and deleted.
    SoftwareTitleId::parse_stored(id).map_err(|_| TitleError::NotFound(id.to_owned()))
}

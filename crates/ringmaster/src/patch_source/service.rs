//! Title operations shared by the admin API and the CLI.
//!
//! Each edit reads the stored title, applies a pure domain edit, and writes it back only if the
//! title is still at the revision it read (optimistic concurrency). Without an `If-Match` from the
//! caller a lost race is retried; with one, it is reported as [`TitleError::Stale`]. After every
//! successful write the feed cache is refreshed before the caller answers, so the next read —
//! on this server — already sees the change.

use std::sync::Arc;

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::title::edit::{self, Outcome, Placement, TitleEditError};
use ringmaster_domain::title::id::SoftwareTitleId;
use ringmaster_domain::title::model::{Patch, SoftwareTitle};
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::title_row::StoredTitle;
use ringmaster_store::titles::{ExistingTitles, RestoreOutcome};

use crate::patch_source::feed_cache::FeedCache;

/// How many times an edit is retried after losing a race to another writer.
const MAX_EDIT_ATTEMPTS: usize = 8;

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
    #[error("title {0:?} is being changed by others too often; try again")]
    Contended(String),
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

/// The patch source: storage plus the read cache it keeps current.
#[derive(Debug, Clone)]
pub struct PatchSource {
    pub store: Store,
    pub cache: Arc<FeedCache>,
}

impl PatchSource {
    pub fn new(store: Store) -> PatchSource {
        PatchSource {
            store,
            cache: Arc::new(FeedCache::default()),
        }
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
        let record = TitleRecord::new(definition, now());
        let stored = self.store.insert_title(&record).await?;
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
            Ok(edit::replace_definition(record, definition.clone(), now)?)
        })
        .await
    }

    pub async fn delete_title(&self, id: &str, if_match: Option<i64>) -> Result<(), TitleError> {
        let title_id = parse_path_id(id)?;
        match self.store.delete_title(&title_id, if_match).await {
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
            Ok(edit::add_patch(
                record,
                patch.clone(),
                placement.clone(),
                now,
            )?)
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
        apply: impl Fn(&mut TitleRecord, Timestamp) -> Result<Outcome, EditFailure>,
    ) -> Result<StoredTitle, TitleError> {
        let title_id = parse_path_id(id)?;
        for _ in 0..MAX_EDIT_ATTEMPTS {
            let stored = self
                .store
                .get_title(&title_id)
                .await?
                .ok_or_else(|| TitleError::NotFound(id.to_owned()))?;
            if let Some(expected) = if_match
                && expected != stored.revision
            {
                return Err(TitleError::Stale {
                    id: id.to_owned(),
                    expected,
                    found: Some(stored.revision),
                });
            }
            let mut record = stored.record.clone();
            match apply(&mut record, now()) {
                Err(EditFailure::Edit(error)) => return Err(error.into()),
                Err(EditFailure::Invalid(errors)) => return Err(TitleError::Invalid(errors)),
                Ok(Outcome::Unchanged) => return Ok(stored),
                Ok(Outcome::Changed) => {}
            }
            match self.store.update_title(&record, stored.revision).await {
                Ok(updated) => {
                    self.refresh_cache().await;
                    return Ok(updated);
                }
                Err(StoreError::RevisionMismatch {
                    expected, found, ..
                }) => {
                    if if_match.is_some() {
                        return Err(TitleError::Stale {
                            id: id.to_owned(),
                            expected,
                            found,
                        });
                    }
                    if found.is_none() {
                        return Err(TitleError::NotFound(id.to_owned()));
                    }
                    tracing::debug!(title = id, "lost a race to another writer; retrying");
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(TitleError::Contended(id.to_owned()))
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
    // An id that cannot exist is simply not found.
    SoftwareTitleId::parse(id).map_err(|_| TitleError::NotFound(id.to_owned()))
}

/// The current time. The one place the patch source reads the clock.
pub fn now() -> Timestamp {
    Timestamp::now()
}

//! Writing a backup into a store: shared by `POST /api/v1/restore` and `ringmaster restore`.
//!
//! A titles-only backup restores as it always has ([`Store::restore_titles`]): only titles are
//! touched, existing ones are refused unless `replace`. A full backup's tables are first checked
//! in a scratch database ([`Store::check_backup_tables`]), then everything is written in one
//! transaction ([`Store::restore_installation`]): a target holding OS-update data, or any title
//! of the backup, is refused unless `replace`, which replaces the whole installation (tokens
//! are merged, never removed). Rows the store refuses are reported against their backup file.

use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::titles::ExistingTitles;
use ringmaster_store::transfer::backup::{BackupTables, InstallationRestored};
use serde::Serialize;

use crate::backup::{ReadBackup, Scope, TableFile};
use crate::patch_source::archive::{ArchiveError, FileErrors};
use ringmaster_domain::field_error::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// A file of the backup is refused (nothing was written).
    #[error(transparent)]
    Invalid(#[from] ArchiveError),
    /// The target holds data the restore would overwrite (nothing was written).
    #[error("{0} already exist")]
    AlreadyExists(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RestoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => RestoreError::AlreadyExists(what),
            StoreError::Refused { table, why } => {
                let file = TableFile::of_table(&table)
                    .map(|file| file.path().to_owned())
                    .unwrap_or(table);
                let mut errors = FieldErrors::new();
                errors.push("", why);
                RestoreError::Invalid(ArchiveError::Invalid(vec![FileErrors { file, errors }]))
            }
            other => RestoreError::Store(other),
        }
    }
}

/// Rows restored per table file of a full backup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredRows {
    pub releases: usize,
    pub policy_groups: usize,
    pub policies: usize,
    pub devices: usize,
    pub device_groups: usize,
    pub device_group_members: usize,
    pub bindings: usize,
    pub legacy_mechanisms: usize,
    /// Tokens added (a token the target has already, same hash, is skipped).
    pub tokens_added: usize,
    pub tokens_skipped: usize,
    /// Webhooks added (one whose URL the target has is skipped).
    pub webhooks_added: usize,
    pub webhooks_skipped: usize,
    /// Audit entries added (one the target holds already is skipped).
    pub audit_added: usize,
    pub audit_skipped: usize,
}

impl RestoredRows {
    fn of(tables: &BackupTables, restored: &InstallationRestored) -> RestoredRows {
        RestoredRows {
            releases: tables.releases.len(),
            policy_groups: tables.policy_groups.len(),
            policies: tables.policies.len(),
            devices: tables.devices.len(),
            device_groups: tables.device_groups.len(),
            device_group_members: tables.members.len(),
            bindings: tables.bindings.len(),
            legacy_mechanisms: tables.legacy_mechanisms.len(),
            tokens_added: restored.tokens_added,
            tokens_skipped: restored.tokens_skipped,
            webhooks_added: restored.webhooks_added,
            webhooks_skipped: restored.webhooks_skipped,
            audit_added: restored.audit_added,
            audit_skipped: restored.audit_skipped,
        }
    }
}

/// What a restore did. A titles-only restore answers `created` and `replaced` only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    /// Titles created and replaced.
    pub created: Vec<String>,
    pub replaced: Vec<String>,
    /// A full backup's scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Titles deleted because the full backup does not hold them (`replace` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_updates: Option<RestoredRows>,
}

/// Restores `backup` into `store`, all or nothing.
pub async fn restore(
    store: &Store,
    backup: ReadBackup,
    replace: bool,
) -> Result<RestoreReport, RestoreError> {
    let Some((tables, counters)) = backup.full else {
        let existing = if replace {
            ExistingTitles::Replace
        } else {
            ExistingTitles::Refuse
        };
        let outcome = store.restore_titles(&backup.titles, existing).await?;
        return Ok(RestoreReport {
            created: outcome.created,
            replaced: outcome.replaced,
            scope: None,
            deleted: None,
            os_updates: None,
        });
    };
    Store::check_backup_tables(&tables).await?;
    let restored = store
        .restore_installation(&backup.titles, &tables, counters, replace)
        .await?;
    let rows = RestoredRows::of(&tables, &restored);
    Ok(RestoreReport {
        created: restored.titles.created,
        replaced: restored.titles.replaced,
        scope: Some(Scope::Full),
        deleted: Some(restored.deleted_titles),
        os_updates: Some(rows),
    })
}

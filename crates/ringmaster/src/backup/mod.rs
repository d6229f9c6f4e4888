//! Backups of a whole installation: the zip layout, writing one, and reading one back.
//!
//! A full backup is PatchServer's layout (`patch_archive/<id>.json`, one definition per title)
//! plus `ringmaster/state.json` (what Jamf's format has no place for), exactly as a titles-only
//! backup (`?scope=titles`), and beside them:
//!
//! - `ringmaster/backup.json`: the [`Manifest`] (format version, scope, when, both counters);
//! - `ringmaster/tokens.json`: token hashes with their names, roles and dates;
//! - `ringmaster/webhooks.json`: the webhooks (optional: older backups lack it);
//! - `ringmaster/audit.json`: the audit log's entries (optional: older backups lack it);
//! - `ringmaster/os-updates/<table>.json`: one JSON array per OS-update table, one object per
//!   row keyed by column name, as `ringmaster migrate` copies them ([`TableFile`] lists them).
//!
//! A zip with a manifest is a full backup and must hold every table file; one without is a
//! titles-only (or PatchServer's) backup. Entries elsewhere are refused ([`BackupLayout`]).
//! [`restore`] writes a backup into a store.

pub mod restore;

use std::collections::BTreeMap;

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::json_read;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::transfer::backup::{BackupCounters, BackupTables, InstallationBackup};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::patch_source::archive::{
    self, ARCHIVE_FOLDER, ArchiveError, ArchiveFile, FileErrors, LastModified, STATE_FILE,
};
use crate::patch_source::zip_read::{self, ZipLayout, ZipLimits};

/// The manifest of a full backup.
pub const MANIFEST_FILE: &str = "ringmaster/backup.json";
/// The token hashes of a full backup.
pub const TOKENS_FILE: &str = "ringmaster/tokens.json";
/// The webhooks of a full backup.
pub const WEBHOOKS_FILE: &str = "ringmaster/webhooks.json";
/// The audit log of a full backup.
pub const AUDIT_FILE: &str = "ringmaster/audit.json";
/// The folder of OS-update table files.
pub const OS_UPDATES_FOLDER: &str = "ringmaster/os-updates";
/// The format a backup's manifest declares; restore refuses others.
pub const FORMAT: u32 = 1;

/// What a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Titles, tokens and every OS-update table.
    Full,
    /// Titles only (PatchServer's layout and the state file).
    Titles,
}

/// `ringmaster/backup.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub scope: Scope,
    pub created_at: Timestamp,
    /// The source's `change_counter`; a restore moves the target's past it.
    pub title_revision: i64,
    /// The source's `os_update_counter`; a restore moves the target's past it.
    pub os_update_revision: i64,
}

/// One table file of a full backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFile {
    Tokens,
    Releases,
    /// Optional: backups made before hardware facts were stored lack it.
    HardwareModels,
    PolicyGroups,
    Policies,
    Devices,
    DeviceGroups,
    DeviceGroupMembers,
    Bindings,
    LegacyMechanisms,
    /// Optional: backups made before webhooks were stored lack it.
    Webhooks,
    /// Optional: backups made before the audit log lack it.
    Audit,
    /// Optional: backups made before migration 0010 lack it.
    BlockedReleases,
    /// Optional: backups made before migration 0010 lack it.
    DeviceExemptions,
    /// Optional: backups made before migration 0011 lack it.
    RolloutPauses,
    /// Optional: backups made before migration 0012 lack it (and the next two).
    Gates,
    GateEvaluations,
    ReleaseHalts,
}

impl TableFile {
    pub const ALL: [TableFile; 18] = [
        TableFile::Tokens,
        TableFile::Releases,
        TableFile::HardwareModels,
        TableFile::PolicyGroups,
        TableFile::Policies,
        TableFile::Devices,
        TableFile::DeviceGroups,
        TableFile::DeviceGroupMembers,
        TableFile::Bindings,
        TableFile::LegacyMechanisms,
        TableFile::Webhooks,
        TableFile::Audit,
        TableFile::BlockedReleases,
        TableFile::DeviceExemptions,
        TableFile::RolloutPauses,
        TableFile::Gates,
        TableFile::GateEvaluations,
        TableFile::ReleaseHalts,
    ];

    /// The entry's name in the zip.
    pub fn path(self) -> &'static str {
        match self {
            TableFile::Tokens => TOKENS_FILE,
            TableFile::Releases => "ringmaster/os-updates/releases.json",
            TableFile::HardwareModels => "ringmaster/os-updates/hardware-models.json",
            TableFile::PolicyGroups => "ringmaster/os-updates/policy-groups.json",
            TableFile::Policies => "ringmaster/os-updates/policies.json",
            TableFile::Devices => "ringmaster/os-updates/devices.json",
            TableFile::DeviceGroups => "ringmaster/os-updates/device-groups.json",
            TableFile::DeviceGroupMembers => "ringmaster/os-updates/device-group-members.json",
            TableFile::Bindings => "ringmaster/os-updates/bindings.json",
            TableFile::LegacyMechanisms => "ringmaster/os-updates/legacy-mechanisms.json",
            TableFile::Webhooks => WEBHOOKS_FILE,
            TableFile::Audit => AUDIT_FILE,
            TableFile::BlockedReleases => "ringmaster/os-updates/blocked-releases.json",
            TableFile::DeviceExemptions => "ringmaster/os-updates/device-exemptions.json",
            TableFile::RolloutPauses => "ringmaster/os-updates/rollout-pauses.json",
            TableFile::Gates => "ringmaster/os-updates/gates.json",
            TableFile::GateEvaluations => "ringmaster/os-updates/gate-evaluations.json",
            TableFile::ReleaseHalts => "ringmaster/os-updates/release-halts.json",
        }
    }

    /// The database table the file holds.
    pub fn table(self) -> &'static str {
        match self {
            TableFile::Tokens => "api_tokens",
            TableFile::Releases => "os_releases",
            TableFile::HardwareModels => "hardware_models",
            TableFile::PolicyGroups => "update_policy_groups",
            TableFile::Policies => "update_policies",
            TableFile::Devices => "devices",
            TableFile::DeviceGroups => "device_groups",
            TableFile::DeviceGroupMembers => "device_group_members",
            TableFile::Bindings => "update_bindings",
            TableFile::LegacyMechanisms => "legacy_mechanisms",
            TableFile::BlockedReleases => "blocked_releases",
            TableFile::DeviceExemptions => "device_exemptions",
            TableFile::RolloutPauses => "rollout_pauses",
            TableFile::Gates => "policy_group_gates",
            TableFile::GateEvaluations => "gate_evaluations",
            TableFile::ReleaseHalts => "release_halts",
            TableFile::Webhooks => "webhooks",
            TableFile::Audit => "audit_log",
        }
    }

    /// The file holding a database table's rows, if a backup has one.
    pub fn of_table(table: &str) -> Option<TableFile> {
        TableFile::ALL
            .into_iter()
            .find(|file| file.table() == table)
    }

    fn of_path(name: &str) -> Option<TableFile> {
        TableFile::ALL.into_iter().find(|file| file.path() == name)
    }
}

/// The names a backup zip may hold: `patch_archive/*.json` (one level), the state file, the
/// manifest and the table files. Anything else is refused, saying why.
#[derive(Debug, Clone, Copy)]
pub struct BackupLayout;

impl ZipLayout for BackupLayout {
    fn admits(&self, name: &str) -> Result<bool, String> {
        if let Some(file) = name.strip_prefix(&format!("{ARCHIVE_FOLDER}/")) {
            return if file.contains('/') {
                Err(format!(
                    "outside the backup layout: {ARCHIVE_FOLDER}/ holds definitions only, no folders"
                ))
            } else if file.to_ascii_lowercase().ends_with(".json") {
                Ok(true)
            } else {
                Err(format!(
                    "outside the backup layout: {ARCHIVE_FOLDER}/ holds <id>.json definitions only"
                ))
            };
        }
        if name == STATE_FILE || name == MANIFEST_FILE || TableFile::of_path(name).is_some() {
            return Ok(true);
        }
        Err(format!(
            "outside the backup layout: expected {ARCHIVE_FOLDER}/<id>.json, {STATE_FILE}, \
             {MANIFEST_FILE}, {TOKENS_FILE}, {WEBHOOKS_FILE}, {AUDIT_FILE} or a table file under \
             {OS_UPDATES_FOLDER}/"
        ))
    }
}

/// A backup read and checked, ready to restore.
#[derive(Debug, Clone)]
pub struct ReadBackup {
    pub titles: Vec<TitleRecord>,
    /// The tables and counters of a full backup; `None` for a titles-only one.
    pub full: Option<(BackupTables, BackupCounters)>,
}

/// Writes a backup zip of `backup`; with [`Scope::Titles`], exactly the titles-only backup.
pub fn write_backup(backup: &InstallationBackup, scope: Scope, now: Timestamp) -> Vec<u8> {
    let records: Vec<TitleRecord> = backup
        .titles
        .iter()
        .map(|stored| stored.record.clone())
        .collect();
    let mut extra = Vec::new();
    if scope == Scope::Full {
        let manifest = Manifest {
            format: FORMAT,
            scope,
            created_at: now,
            title_revision: backup.counters.title_revision,
            os_update_revision: backup.counters.os_update_revision,
        };
        extra.push((MANIFEST_FILE.to_owned(), pretty(&manifest)));
        let tables = &backup.tables;
        for file in TableFile::ALL {
            let body = match file {
                TableFile::Tokens => pretty(&tables.tokens),
                TableFile::Releases => pretty(&tables.releases),
                TableFile::HardwareModels => pretty(&tables.hardware_models),
                TableFile::PolicyGroups => pretty(&tables.policy_groups),
                TableFile::Policies => pretty(&tables.policies),
                TableFile::Devices => pretty(&tables.devices),
                TableFile::DeviceGroups => pretty(&tables.device_groups),
                TableFile::DeviceGroupMembers => pretty(&tables.members),
                TableFile::Bindings => pretty(&tables.bindings),
                TableFile::LegacyMechanisms => pretty(&tables.legacy_mechanisms),
                TableFile::BlockedReleases => pretty(&tables.blocked_releases),
                TableFile::DeviceExemptions => pretty(&tables.device_exemptions),
                TableFile::RolloutPauses => pretty(&tables.rollout_pauses),
                TableFile::Gates => pretty(&tables.gates),
                TableFile::GateEvaluations => pretty(&tables.gate_evaluations),
                TableFile::ReleaseHalts => pretty(&tables.release_halts),
                TableFile::Webhooks => pretty(&tables.webhooks),
                TableFile::Audit => pretty(&tables.audit),
            };
            extra.push((file.path().to_owned(), body));
        }
    }
    archive::write_zip_with(&records, &extra)
}

fn pretty<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain rows and strings into memory cannot fail.
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

/// Reads and checks a backup zip: every entry within `limits` and the layout, every definition
/// valid (keeping its `lastModified`), and for a full backup the manifest and every table file
/// readable. Every problem of every file is reported; nothing is returned unless all are good.
/// (The rows themselves are checked against the store by [`restore::restore`].)
pub fn read_backup(
    bytes: &[u8],
    limits: &ZipLimits,
    now: Timestamp,
) -> Result<ReadBackup, ArchiveError> {
    let files = zip_read::read_zip(bytes, limits, &BackupLayout)?;
    let mut problems = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let mut table_files: BTreeMap<&'static str, &ArchiveFile> = BTreeMap::new();
    let mut title_files = Vec::new();
    for file in &files {
        if file.name == MANIFEST_FILE {
            match serde_json::from_slice::<Manifest>(&file.bytes) {
                Ok(parsed) if parsed.format != FORMAT => problems.push(file_error(
                    &file.name,
                    "/format",
                    format!(
                        "format {} is not one this ringmaster reads (it reads {FORMAT})",
                        parsed.format
                    ),
                )),
                Ok(parsed) => manifest = Some(parsed),
                Err(error) => problems.push(file_error(
                    &file.name,
                    "",
                    format!("unreadable manifest: {error}"),
                )),
            }
        } else if let Some(table) = TableFile::of_path(&file.name) {
            table_files.insert(table.path(), file);
        } else {
            title_files.push(file.clone());
        }
    }
    let titles = match archive::records_from_files(
        &title_files,
        LastModified::FromDefinition(now),
        |_| {},
    ) {
        Ok(records) => records,
        Err(ArchiveError::Invalid(found)) => {
            problems.extend(found);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    let full = match manifest {
        Some(manifest) if manifest.scope == Scope::Full => {
            let mut tables = BackupTables::default();
            for file in TableFile::ALL {
                let Some(found) = table_files.get(file.path()) else {
                    if matches!(
                        file,
                        TableFile::HardwareModels
                            | TableFile::Webhooks
                            | TableFile::Audit
                            | TableFile::BlockedReleases
                            | TableFile::DeviceExemptions
                            | TableFile::RolloutPauses
                            | TableFile::Gates
                            | TableFile::GateEvaluations
                            | TableFile::ReleaseHalts
                    ) {
                        continue;
                    }
                    problems.push(file_error(
                        file.path(),
                        "",
                        format!("a full backup must hold this file (see {MANIFEST_FILE})"),
                    ));
                    continue;
                };
                let bytes = &found.bytes;
                let read = match file {
                    TableFile::Tokens => rows(bytes).map(|rows| tables.tokens = rows),
                    TableFile::Releases => rows(bytes).map(|rows| tables.releases = rows),
                    TableFile::HardwareModels => {
                        rows(bytes).map(|rows| tables.hardware_models = rows)
                    }
                    TableFile::PolicyGroups => rows(bytes).map(|rows| tables.policy_groups = rows),
                    TableFile::Policies => rows(bytes).map(|rows| tables.policies = rows),
                    TableFile::Devices => rows(bytes).map(|rows| tables.devices = rows),
                    TableFile::DeviceGroups => rows(bytes).map(|rows| tables.device_groups = rows),
                    TableFile::DeviceGroupMembers => rows(bytes).map(|rows| tables.members = rows),
                    TableFile::Bindings => rows(bytes).map(|rows| tables.bindings = rows),
                    TableFile::LegacyMechanisms => {
                        rows(bytes).map(|rows| tables.legacy_mechanisms = rows)
                    }
                    TableFile::Webhooks => rows(bytes).map(|rows| tables.webhooks = rows),
                    TableFile::Audit => rows(bytes).map(|rows| tables.audit = rows),
                    TableFile::BlockedReleases => {
                        rows(bytes).map(|rows| tables.blocked_releases = rows)
                    }
                    TableFile::DeviceExemptions => {
                        rows(bytes).map(|rows| tables.device_exemptions = rows)
                    }
                    TableFile::RolloutPauses => {
                        rows(bytes).map(|rows| tables.rollout_pauses = rows)
                    }
                    TableFile::Gates => rows(bytes).map(|rows| tables.gates = rows),
                    TableFile::GateEvaluations => {
                        rows(bytes).map(|rows| tables.gate_evaluations = rows)
                    }
                    TableFile::ReleaseHalts => rows(bytes).map(|rows| tables.release_halts = rows),
                };
                if let Err(errors) = read {
                    problems.push(FileErrors {
                        file: file.path().to_owned(),
                        errors,
                    });
                }
            }
            let counters = BackupCounters {
                title_revision: manifest.title_revision,
                os_update_revision: manifest.os_update_revision,
            };
            Some((tables, counters))
        }
        Some(_) => None,
        None => {
            for name in table_files.keys() {
                problems.push(file_error(
                    name,
                    "",
                    format!("a table file needs {MANIFEST_FILE} beside it (a full backup)"),
                ));
            }
            None
        }
    };
    if !problems.is_empty() {
        return Err(ArchiveError::Invalid(problems));
    }
    if titles.is_empty() && full.is_none() {
        return Err(ArchiveError::Empty("the backup".into()));
    }
    Ok(ReadBackup { titles, full })
}

/// A table file's rows, or why it cannot be read: with the line and column, or the pointer of
/// each string holding a NUL character (which PostgreSQL cannot store).
fn rows<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, FieldErrors> {
    json_read::refuse_nul_text(bytes, "the file")?;
    serde_json::from_slice(bytes).map_err(|error| {
        let mut errors = FieldErrors::new();
        errors.push("", format!("unreadable rows: {error}"));
        errors
    })
}

fn file_error(file: &str, pointer: &str, message: String) -> FileErrors {
    let mut errors = FieldErrors::new();
    errors.push(pointer, message);
    FileErrors {
        file: file.to_owned(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_admits_the_documented_files_only() {
        for name in [
            "patch_archive/JamfAdmin.json",
            STATE_FILE,
            MANIFEST_FILE,
            TOKENS_FILE,
            WEBHOOKS_FILE,
            "ringmaster/os-updates/policies.json",
        ] {
            assert_eq!(BackupLayout.admits(name), Ok(true), "{name}");
        }
        for name in [
            "patch_archive/sub/x.json",
            "patch_archive/x.txt",
            "ringmaster/other.json",
            "ringmaster/os-updates/served.json",
            "x.json",
        ] {
            assert!(BackupLayout.admits(name).is_err(), "{name}");
        }
    }

    #[test]
    fn every_table_file_has_one_table_and_lives_in_the_layout() {
        let mut tables: Vec<&str> = TableFile::ALL.map(TableFile::table).to_vec();
        let mut backed_up = ringmaster_store::transfer::backup::BACKED_UP_TABLES.to_vec();
        tables.sort_unstable();
        backed_up.sort_unstable();
        assert_eq!(tables, backed_up, "one file per table the store backs up");
        for file in TableFile::ALL {
            assert_eq!(TableFile::of_table(file.table()), Some(file));
            assert_eq!(TableFile::of_path(file.path()), Some(file));
            assert!(
                matches!(
                    file,
                    TableFile::Tokens | TableFile::Webhooks | TableFile::Audit
                ) || file.path().starts_with(OS_UPDATES_FOLDER),
                "{}",
                file.path()
            );
        }
    }
}

//! Backups and folders of definitions.
//!
//! A backup is a zip in PatchServer's layout, `patch_archive/<id>.json`, one full definition per
//! title (disabled patches included), plus `ringmaster/state.json` with what Jamf's format has no
//! place for: which titles and patches are disabled and which version is pinned. Zips from
//! PatchServer (no state file) restore as enabled, unpinned titles. A folder of `<id>.json` files
//! reads the same way. Reading validates everything before anything is written, and reports every
//! problem of every file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::jamf_time;
use ringmaster_domain::json_read;
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::render;
use serde::{Deserialize, Serialize};

use crate::patch_source::zip_read::{self, AnyJson, ZipLimits};

/// The folder of definitions inside a backup zip.
pub const ARCHIVE_FOLDER: &str = "patch_archive";
/// The admin state inside a backup zip.
pub const STATE_FILE: &str = "ringmaster/state.json";

/// One file read from a zip or a folder.
#[derive(Debug, Clone)]
pub struct ArchiveFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The problems of one file.
#[derive(Debug, Clone)]
pub struct FileErrors {
    pub file: String,
    pub errors: FieldErrors,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a readable zip file: {0}")]
    NotAZip(String),
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} file(s) are invalid", .0.len())]
    Invalid(Vec<FileErrors>),
    #[error("no definitions (*.json files) found in {0}")]
    Empty(String),
    #[error("the zip declares {declared} entries; at most {limit} are read")]
    TooManyEntries { declared: u64, limit: usize },
}

/// Which `lastModified` records read from files get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastModified {
    /// The one each definition carries (a restore), or `now` where it has none.
    FromDefinition(Timestamp),
    /// `now` for every record (an import of new definitions).
    Now(Timestamp),
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchiveState {
    format: u32,
    titles: BTreeMap<String, TitleState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitleState {
    enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pinned_version: Option<String>,
    #[serde(default)]
    disabled_versions: BTreeSet<String>,
}

/// Writes a backup zip of every record.
pub fn write_zip(records: &[TitleRecord]) -> Vec<u8> {
    write_zip_with(records, &[])
}

/// Writes a backup zip of every record, then `extra` files (name and content) after the state
/// file (a full backup's, see [`crate::backup`]).
pub fn write_zip_with(records: &[TitleRecord], extra: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut state = ArchiveState {
        format: 1,
        ..ArchiveState::default()
    };
    for record in records {
        let id = record.definition.id.to_string();
        let body = serde_json::to_vec_pretty(&render::definition(record)).unwrap_or_default();
        // Writing into memory cannot fail for I/O reasons; names are unique ids.
        let _ = writer.start_file(format!("{ARCHIVE_FOLDER}/{id}.json"), options);
        let _ = writer.write_all(&body);
        state.titles.insert(id, title_state(record));
    }
    let _ = writer.start_file(STATE_FILE, options);
    let _ = writer.write_all(&serde_json::to_vec_pretty(&state).unwrap_or_default());
    for (name, body) in extra {
        let _ = writer.start_file(name.as_str(), options);
        let _ = writer.write_all(body);
    }
    writer
        .finish()
        .map(|cursor| cursor.into_inner())
        .unwrap_or_default()
}

/// Writes every record as `<folder>/<id>.json` (definitions only; Jamf's format).
pub fn write_folder(folder: &Path, records: &[TitleRecord]) -> Result<usize, ArchiveError> {
    std::fs::create_dir_all(folder).map_err(|source| io_error(folder, source))?;
    for record in records {
        let path = folder.join(format!("{}.json", record.definition.id));
        let body = serde_json::to_vec_pretty(&render::definition(record)).unwrap_or_default();
        std::fs::write(&path, body).map_err(|source| io_error(&path, source))?;
    }
    Ok(records.len())
}

/// Reads the definitions of a zip held in memory (any `*.json` entry; within `limits`).
pub fn read_zip(bytes: &[u8], limits: &ZipLimits) -> Result<Vec<ArchiveFile>, ArchiveError> {
    zip_read::read_zip(bytes, limits, &AnyJson)
}

/// Reads a folder (recursively), a zip (within `limits`), or a single `.json` definition from
/// disk.
pub fn read_path(path: &Path, limits: &ZipLimits) -> Result<Vec<ArchiveFile>, ArchiveError> {
    if path.is_dir() {
        let mut files = Vec::new();
        collect_folder(path, path, &mut files)?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    } else {
        let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
        let is_json = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        if is_json {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            return Ok(vec![ArchiveFile { name, bytes }]);
        }
        read_zip(&bytes, limits).map_err(|error| match error {
            ArchiveError::NotAZip(why) => ArchiveError::NotAZip(format!(
                "{} is neither a folder, a .json definition nor a zip ({why})",
                path.display()
            )),
            other => other,
        })
    }
}

/// Validates every file and builds records stamped as `stamp` says; nothing is returned unless
/// all are valid. Files other than definitions and the state file are the caller's (see
/// [`crate::backup`]) and must be left out of `files`. `on_file` is called once per file read
/// (for progress bars).
pub fn records_from_files(
    files: &[ArchiveFile],
    stamp: LastModified,
    mut on_file: impl FnMut(&str),
) -> Result<Vec<TitleRecord>, ArchiveError> {
    let mut problems = Vec::new();
    let mut state = ArchiveState::default();
    let mut records: Vec<(String, TitleRecord)> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for file in files {
        on_file(&file.name);
        if file.name.ends_with(STATE_FILE) {
            if let Err(errors) = json_read::refuse_nul_text(&file.bytes, "the state file") {
                problems.push(FileErrors {
                    file: file.name.clone(),
                    errors,
                });
                continue;
            }
            match serde_json::from_slice::<ArchiveState>(&file.bytes) {
                Ok(parsed) => state = parsed,
                Err(error) => problems.push(single(
                    &file.name,
                    "",
                    format!("unreadable state file: {error}"),
                )),
            }
            continue;
        }
        match parse::software_title_from_slice(&file.bytes) {
            Ok(definition) => {
                let last_modified = match stamp {
                    LastModified::Now(now) => now,
                    LastModified::FromDefinition(now) => {
                        definition_last_modified(&file.bytes).unwrap_or(now)
                    }
                };
                let id = definition.id.to_string();
                if let Some(other) = seen.insert(id.clone(), file.name.clone()) {
                    problems.push(single(
                        &file.name,
                        "/id",
                        format!("title {id:?} is also defined in {other}"),
                    ));
                    continue;
                }
                records.push((
                    file.name.clone(),
                    TitleRecord::new(definition, last_modified),
                ));
            }
            Err(errors) => problems.push(FileErrors {
                file: file.name.clone(),
                errors,
            }),
        }
    }
    for (file, record) in &mut records {
        if let Some(title_state) = state.titles.remove(&record.definition.id.to_string())
            && let Err(errors) = apply_state(record, title_state)
        {
            problems.push(FileErrors {
                file: format!("{STATE_FILE} (for {file})"),
                errors,
            });
        }
    }
    if !problems.is_empty() {
        return Err(ArchiveError::Invalid(problems));
    }
    Ok(records.into_iter().map(|(_, record)| record).collect())
}

/// The `lastModified` a definition carries (checked by the parser already), to whole seconds.
fn definition_last_modified(bytes: &[u8]) -> Option<Timestamp> {
    #[derive(Deserialize)]
    struct Stamp {
        #[serde(rename = "lastModified")]
        last_modified: Option<String>,
    }
    let stamp: Stamp = serde_json::from_slice(bytes).ok()?;
    let parsed = jamf_time::parse_loose(stamp.last_modified.as_deref()?).ok()?;
    Timestamp::from_second(parsed.as_second()).ok()
}

fn apply_state(record: &mut TitleRecord, state: TitleState) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let id = record.definition.id.to_string();
    for version in &state.disabled_versions {
        if record.definition.patch(version).is_none() {
            errors.push(
                format!("/titles/{id}/disabledVersions"),
                format!("version {version:?} is not in the definition"),
            );
        }
    }
    if let Some(pinned) = &state.pinned_version
        && (record.definition.patch(pinned).is_none() || state.disabled_versions.contains(pinned))
    {
        errors.push(
            format!("/titles/{id}/pinnedVersion"),
            format!("version {pinned:?} is not an enabled version of the definition"),
        );
    }
    record.enabled = state.enabled;
    record.pinned_version = state.pinned_version;
    record.disabled_versions = state.disabled_versions;
    errors.into_result(())
}

fn title_state(record: &TitleRecord) -> TitleState {
    TitleState {
        enabled: record.enabled,
        pinned_version: record.pinned_version.clone(),
        disabled_versions: record.disabled_versions.clone(),
    }
}

fn single(file: &str, pointer: &str, message: String) -> FileErrors {
    let mut errors = FieldErrors::new();
    errors.push(pointer, message);
    FileErrors {
        file: file.to_owned(),
        errors,
    }
}

fn wanted(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json") && !zip_read::is_clutter(name)
}

fn collect_folder(
    root: &Path,
    folder: &Path,
    files: &mut Vec<ArchiveFile>,
) -> Result<(), ArchiveError> {
    let entries = std::fs::read_dir(folder).map_err(|source| io_error(folder, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| io_error(folder, source))?;
        let path: PathBuf = entry.path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if !relative.rsplit('/').next().unwrap_or("").starts_with('.') {
                collect_folder(root, &path, files)?;
            }
        } else if wanted(&relative) {
            let bytes = std::fs::read(&path).map_err(|source| io_error(&path, source))?;
            files.push(ArchiveFile {
                name: relative,
                bytes,
            });
        }
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> ArchiveError {
    ArchiveError::Io {
        path: path.display().to_string(),
        source,
    }
}

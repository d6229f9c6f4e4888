//! Reading a zip from untrusted hands, bounded.
//!
//! Before anything is decompressed, the central directory is walked by hand (not trusted to the
//! zip library, which silently keeps only the last of two entries with one name): more than
//! [`ZipLimits::entries`] entries, two entries with one name, a name with `..`, a backslash, a
//! NUL or a leading `/` (or a drive letter), and an encrypted entry or one compressed other than
//! stored or deflated are each refused, naming the entry. The caller's [`ZipLayout`] then
//! decides which names belong; entries outside it are refused too, macOS clutter (`__MACOSX/`,
//! dot files) is skipped. Each entry is then read through `take(limit + 1)`, so a size header
//! that lies cannot make the reader allocate or inflate more than the limit: an entry larger
//! than [`ZipLimits::entry_bytes`], entries totalling more than [`ZipLimits::total_bytes`], and
//! an entry whose actual size differs from the size it declares are refused, naming it.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use crate::patch_source::archive::{ArchiveError, ArchiveFile, FileErrors, STATE_FILE};
use ringmaster_domain::field_error::FieldErrors;

/// The default of `--max-restore-bytes`, and the total limit of the CLI's zip reading.
pub const DEFAULT_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// The largest number of entries read from one zip.
pub const MAX_ENTRIES: usize = 50_000;
/// The largest uncompressed size of one entry, unless the total limit is lower.
pub const MAX_ENTRY_BYTES: u64 = 128 * 1024 * 1024;

/// How much one zip may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Entries in the central directory (directories and skipped clutter included).
    pub entries: usize,
    /// Uncompressed bytes of one entry.
    pub entry_bytes: u64,
    /// Uncompressed bytes of all entries read.
    pub total_bytes: u64,
}

impl ZipLimits {
    /// [`MAX_ENTRIES`], and `total_bytes` in all (each entry at most [`MAX_ENTRY_BYTES`]).
    pub fn with_total(total_bytes: u64) -> ZipLimits {
        ZipLimits {
            entries: MAX_ENTRIES,
            entry_bytes: MAX_ENTRY_BYTES.min(total_bytes),
            total_bytes,
        }
    }
}

/// Which entry names a zip may hold.
pub trait ZipLayout {
    /// `Ok(true)` to read the entry, `Ok(false)` to skip it, `Err(why)` to refuse the zip.
    fn admits(&self, name: &str) -> Result<bool, String>;
}

/// Any `*.json` file in any folder (a zip of definitions for `title import`), but for a full
/// backup's own files under `ringmaster/` (other than the state file), which are not
/// definitions: `title import` of a full backup imports its titles.
#[derive(Debug, Clone, Copy)]
pub struct AnyJson;

impl ZipLayout for AnyJson {
    fn admits(&self, name: &str) -> Result<bool, String> {
        let backup_file = name.starts_with("ringmaster/") && name != STATE_FILE;
        Ok(name.to_ascii_lowercase().ends_with(".json") && !backup_file)
    }
}

/// Whether a name is clutter macOS adds when a user zips a folder (skipped everywhere).
pub fn is_clutter(name: &str) -> bool {
    let base = name
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(name);
    name.starts_with("__MACOSX/") || base.starts_with('.')
}

/// Reads every admitted file of a zip held in memory, within `limits`.
pub fn read_zip(
    bytes: &[u8],
    limits: &ZipLimits,
    layout: &dyn ZipLayout,
) -> Result<Vec<ArchiveFile>, ArchiveError> {
    let names = central_directory_names(bytes, limits.entries)?;
    let mut problems = Vec::new();
    let mut seen = HashSet::with_capacity(names.len());
    let mut admitted = vec![false; names.len()];
    for (index, name) in names.iter().enumerate() {
        if !seen.insert(name.as_str()) {
            problems.push(refusal(
                name,
                "the zip holds two entries with this name".into(),
            ));
            continue;
        }
        if let Err(why) = check_name(name) {
            problems.push(refusal(name, why));
            continue;
        }
        if name.ends_with('/') || is_clutter(name) {
            continue;
        }
        match layout.admits(name) {
            Ok(true) => admitted[index] = true,
            Ok(false) => {}
            Err(why) => problems.push(refusal(name, why)),
        }
    }
    if !problems.is_empty() {
        return Err(ArchiveError::Invalid(problems));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| ArchiveError::NotAZip(error.to_string()))?;
    if archive.len() != names.len() {
        return Err(ArchiveError::NotAZip(
            "the central directory is inconsistent".into(),
        ));
    }
    let mut files = Vec::new();
    let mut total: u64 = 0;
    let wanted = admitted
        .iter()
        .enumerate()
        .filter_map(|(index, admitted)| admitted.then_some(index));
    for index in wanted {
        let (name, declared) = {
            let raw = archive
                .by_index_raw(index)
                .map_err(|error| ArchiveError::NotAZip(error.to_string()))?;
            let name = raw.name().to_owned();
            if raw.encrypted() {
                return Err(refused(&name, "the entry is encrypted".into()));
            }
            let method = raw.compression();
            if !matches!(
                method,
                zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
            ) {
                return Err(refused(
                    &name,
                    format!(
                        "the entry is compressed with {method}; only stored and deflated entries are read"
                    ),
                ));
            }
            (name, raw.size())
        };
        let left = limits.total_bytes.saturating_sub(total);
        let limit = limits.entry_bytes.min(left);
        let entry = archive
            .by_index(index)
            .map_err(|error| refused(&name, format!("unreadable entry: {error}")))?;
        let mut content = Vec::new();
        let outcome = entry
            .take(limit.saturating_add(1))
            .read_to_end(&mut content);
        let read = content.len() as u64;
        if let Err(error) = outcome {
            // A size header that lies usually shows as a damaged entry: say the sizes first.
            return Err(refused(
                &name,
                if read < declared && read <= limit {
                    format!("the entry declares {declared} bytes but holds {read} ({error})")
                } else {
                    format!("unreadable entry: {error}")
                },
            ));
        }
        if read > limits.entry_bytes {
            return Err(refused(
                &name,
                format!(
                    "the entry is larger than {} bytes uncompressed (the limit per entry)",
                    limits.entry_bytes
                ),
            ));
        }
        if read > left {
            return Err(refused(
                &name,
                format!(
                    "the zip's entries hold more than {} bytes uncompressed in all (--max-restore-bytes)",
                    limits.total_bytes
                ),
            ));
        }
        if read != declared {
            return Err(refused(
                &name,
                format!("the entry declares {declared} bytes but holds {read}"),
            ));
        }
        total += read;
        files.push(ArchiveFile {
            name,
            bytes: content,
        });
    }
    Ok(files)
}

/// Refuses names that could point outside a folder or mean different things on different
/// systems.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the entry has no name".into());
    }
    if name.contains('\0') || name.chars().any(char::is_control) {
        return Err("the entry's name holds a control character".into());
    }
    if name.contains('\\') {
        return Err("the entry's name holds a backslash".into());
    }
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Err("the entry's name is an absolute path".into());
    }
    if name.split('/').any(|part| part == "..") {
        return Err("the entry's name climbs out of the zip (`..`)".into());
    }
    Ok(())
}

fn refusal(name: &str, why: String) -> FileErrors {
    let mut errors = FieldErrors::new();
    errors.push("", why);
    FileErrors {
        file: name.to_owned(),
        errors,
    }
}

fn refused(name: &str, why: String) -> ArchiveError {
    ArchiveError::Invalid(vec![refusal(name, why)])
}

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const EOCD64_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const EOCD_LENGTH: usize = 22;
const CENTRAL_HEADER_LENGTH: usize = 46;

/// The names in the central directory, in order, refusing more than `max_entries` before
/// reading them. The zip library checks the rest of the structure afterwards.
fn central_directory_names(bytes: &[u8], max_entries: usize) -> Result<Vec<String>, ArchiveError> {
    let not_a_zip = |why: &str| ArchiveError::NotAZip(why.to_owned());
    let eocd = find_eocd(bytes).ok_or_else(|| not_a_zip("no end of central directory record"))?;
    let mut entries = u64::from(read_u16(bytes, eocd + 10).unwrap_or(0));
    let mut offset = u64::from(read_u32(bytes, eocd + 16).unwrap_or(0));
    if (entries == u64::from(u16::MAX) || offset == u64::from(u32::MAX))
        && let Some(zip64) = zip64_directory(bytes, eocd)
    {
        (entries, offset) = zip64;
    }
    if entries > max_entries as u64 {
        return Err(ArchiveError::TooManyEntries {
            declared: entries,
            limit: max_entries,
        });
    }
    let mut names = Vec::with_capacity(entries as usize);
    let mut at =
        usize::try_from(offset).map_err(|_| not_a_zip("central directory out of range"))?;
    for _ in 0..entries {
        if read_u32(bytes, at) != Some(CENTRAL_HEADER_SIGNATURE) {
            return Err(not_a_zip("the central directory is damaged"));
        }
        let field = |relative: usize| read_u16(bytes, at.checked_add(relative)?).map(usize::from);
        let (Some(name_length), Some(extra_length), Some(comment_length)) =
            (field(28), field(30), field(32))
        else {
            return Err(not_a_zip("the central directory is cut short"));
        };
        let cut_short = || not_a_zip("the central directory is cut short");
        let start = at
            .checked_add(CENTRAL_HEADER_LENGTH)
            .ok_or_else(cut_short)?;
        let name = slice(bytes, start, name_length).ok_or_else(cut_short)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at = start + name_length + extra_length + comment_length;
    }
    Ok(names)
}

/// The end of central directory record: the last signature within the 64 KiB comment window.
fn find_eocd(bytes: &[u8]) -> Option<usize> {
    let last = bytes.len().checked_sub(EOCD_LENGTH)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&at| read_u32(bytes, at) == Some(EOCD_SIGNATURE))
}

/// The entry count and central directory offset of a zip64 end record, when there is one.
fn zip64_directory(bytes: &[u8], eocd: usize) -> Option<(u64, u64)> {
    let locator = eocd.checked_sub(20)?;
    if read_u32(bytes, locator)? != EOCD64_LOCATOR_SIGNATURE {
        return None;
    }
    let record = usize::try_from(read_u64(bytes, locator + 8)?).ok()?;
    if read_u32(bytes, record)? != EOCD64_SIGNATURE {
        return None;
    }
    Some((read_u64(bytes, record + 32)?, read_u64(bytes, record + 48)?))
}

fn slice(bytes: &[u8], at: usize, length: usize) -> Option<&[u8]> {
    bytes.get(at..at.checked_add(length)?)
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(slice(bytes, at, 2)?.try_into().ok()?))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(slice(bytes, at, 4)?.try_into().ok()?))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(slice(bytes, at, 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_a_folder_are_refused() {
        for name in [
            "../x.json",
            "patch_archive/../../x.json",
            "/etc/x.json",
            "C:/x.json",
            "a\\b.json",
            "a\u{0}.json",
            "",
        ] {
            assert!(check_name(name).is_err(), "{name:?}");
        }
        for name in ["patch_archive/JamfAdmin.json", "a/..b/c.json", "x.json"] {
            assert!(check_name(name).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn title_import_skips_a_full_backups_own_files() {
        assert_eq!(AnyJson.admits("patch_archive/A.json"), Ok(true));
        assert_eq!(AnyJson.admits(STATE_FILE), Ok(true));
        assert_eq!(
            AnyJson.admits("ringmaster/os-updates/devices.json"),
            Ok(false)
        );
        assert_eq!(AnyJson.admits("ringmaster/backup.json"), Ok(false));
        assert_eq!(AnyJson.admits("notes.txt"), Ok(false));
    }

    #[test]
    fn not_a_zip_and_a_truncated_directory_are_errors_not_panics() {
        let limits = ZipLimits::with_total(1024);
        assert!(matches!(
            read_zip(b"not a zip", &limits, &AnyJson),
            Err(ArchiveError::NotAZip(_))
        ));
        let mut eocd = vec![0x50, 0x4b, 0x05, 0x06];
        eocd.extend([0u8; 4]);
        eocd.extend(3u16.to_le_bytes());
        eocd.extend(3u16.to_le_bytes());
        eocd.extend(u32::MAX.to_le_bytes());
        eocd.extend((u32::MAX - 2).to_le_bytes());
        eocd.extend(0u16.to_le_bytes());
        assert!(matches!(
            read_zip(&eocd, &limits, &AnyJson),
            Err(ArchiveError::NotAZip(_))
        ));
    }
}

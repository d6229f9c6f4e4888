//! The backup PatchServer itself restores (`GET /api/v1/backup?format=patchserver`).
//!
//! PatchServer's backup is a zip holding `patch_archive/<id>.json` and nothing else: no
//! directory entries, no other files. Its restore reads every entry of the zip as JSON and
//! checks it against its full-definition schema, which requires every key of a definition
//! (`name`, `publisher`, `appName`, `bundleId`, `lastModified`, `currentVersion`,
//! `requirements`, `patches`, `extensionAttributes`, `id`), of each patch (`killApps`,
//! `components`, `capabilities` among them) and `and` on each requirement; any other file
//! (such as `ringmaster/state.json`) makes it refuse the whole archive.
//!
//! So this zip holds what Jamf Pro is served: the served titles only (a disabled title, or one
//! without an enabled patch, is left out: PatchServer has no place to keep it disabled), each
//! exactly as `GET /jamf/v1/patch/{id}` answers it, with one addition: a requirement without
//! `and` is written with `"and": true`, what Jamf Pro (and PatchServer's import) take it to mean.
//! ringmaster restores the same zip as any PatchServer backup (enabled, unpinned titles).

use std::io::{Cursor, Write};

use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::render;
use serde_json::Value;

use crate::patch_source::archive::ARCHIVE_FOLDER;

/// The file name PatchServer gives its backup download.
pub const DOWNLOAD_NAME: &str = "patch_archive.zip";

/// Writes PatchServer's backup zip of the served records (others are skipped).
pub fn write_patchserver_zip(records: &[TitleRecord]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for record in records.iter().filter(|record| record.is_served()) {
        let body = serde_json::to_vec(&patchserver_definition(record)).unwrap_or_default();
        // Writing into memory cannot fail for I/O reasons; names are unique ids.
        let _ = writer.start_file(
            format!("{ARCHIVE_FOLDER}/{}.json", record.definition.id),
            options,
        );
        let _ = writer.write_all(&body);
    }
    writer
        .finish()
        .map(|cursor| cursor.into_inner())
        .unwrap_or_default()
}

/// A record as Jamf Pro is served it, every requirement carrying `and`.
pub fn patchserver_definition(record: &TitleRecord) -> Value {
    let mut definition = render::feed_title(record);
    if let Some(Value::Array(requirements)) = definition.get_mut("requirements") {
        for requirement in requirements {
            if let Value::Object(object) = requirement {
                object.entry("and").or_insert(Value::Bool(true));
            }
        }
    }
    definition
}

//! Hostile zips at `POST /api/v1/restore` and `ringmaster title import`, written byte by byte
//! here: an entry whose headers claim 2^45 bytes, a deflate bomb of 1 GiB of zeros, sizes that
//! lie, duplicate names, encryption, an unsupported method, too many entries, and names outside
//! the backup layout. Each is a 400 whose error `file` names the entry and says why; the server
//! answers `/v1/` quickly afterwards, and the process's peak memory stays bounded.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::backup_restore::restore;
use crate::cli::ringmaster;
use crate::support::{
    TestApp, TestBackend, TestDatabase, fixture, json_body, peak_memory_bytes, spawn_app,
};

/// One entry as written: its name, its bytes as stored, and what the headers say.
struct Entry {
    name: String,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
}

impl Entry {
    /// A stored entry telling the truth.
    fn stored(name: &str, data: &[u8]) -> Entry {
        Entry {
            name: name.to_owned(),
            data: data.to_vec(),
            method: 0,
            flags: 0,
            crc: crc32(data),
            compressed: data.len() as u64,
            uncompressed: data.len() as u64,
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip of `entries`; sizes over 4 GiB go in zip64 extra fields. `declared_entries` overrides
/// the count in the end records (then written as zip64 too).
fn write_zip(entries: &[Entry], declared_entries: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = out.len() as u32;
        let zip64 =
            entry.compressed > u64::from(u32::MAX) || entry.uncompressed > u64::from(u32::MAX);
        let (compressed, uncompressed) = if zip64 {
            (u32::MAX, u32::MAX)
        } else {
            (entry.compressed as u32, entry.uncompressed as u32)
        };
        let mut extra = Vec::new();
        if zip64 {
            extra.extend(1u16.to_le_bytes());
            extra.extend(16u16.to_le_bytes());
            extra.extend(entry.uncompressed.to_le_bytes());
            extra.extend(entry.compressed.to_le_bytes());
        }
        let version: u16 = if zip64 { 45 } else { 20 };
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(version.to_le_bytes());
        out.extend(entry.flags.to_le_bytes());
        out.extend(entry.method.to_le_bytes());
        out.extend([0u8; 4]); // time, date
        out.extend(entry.crc.to_le_bytes());
        out.extend(compressed.to_le_bytes());
        out.extend(uncompressed.to_le_bytes());
        out.extend((entry.name.len() as u16).to_le_bytes());
        out.extend((extra.len() as u16).to_le_bytes());
        out.extend(entry.name.as_bytes());
        out.extend(&extra);
        out.extend(&entry.data);

        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(version.to_le_bytes());
        central.extend(version.to_le_bytes());
        central.extend(entry.flags.to_le_bytes());
        central.extend(entry.method.to_le_bytes());
        central.extend([0u8; 4]);
        central.extend(entry.crc.to_le_bytes());
        central.extend(compressed.to_le_bytes());
        central.extend(uncompressed.to_le_bytes());
        central.extend((entry.name.len() as u16).to_le_bytes());
        central.extend((extra.len() as u16).to_le_bytes());
        central.extend([0u8; 6]); // comment length, disk, internal attributes
        central.extend([0u8; 4]); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(entry.name.as_bytes());
        central.extend(&extra);
    }
    let directory_offset = out.len() as u64;
    out.extend(&central);
    let count = declared_entries.unwrap_or(entries.len() as u64);
    if declared_entries.is_some() {
        let record = out.len() as u64;
        out.extend(0x0606_4b50u32.to_le_bytes());
        out.extend(44u64.to_le_bytes());
        out.extend(45u16.to_le_bytes());
        out.extend(45u16.to_le_bytes());
        out.extend([0u8; 8]); // disks
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend((central.len() as u64).to_le_bytes());
        out.extend(directory_offset.to_le_bytes());
        out.extend(0x0706_4b50u32.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(record.to_le_bytes());
        out.extend(1u32.to_le_bytes());
    }
    let short_count = if declared_entries.is_some() {
        u16::MAX
    } else {
        count as u16
    };
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disks
    out.extend(short_count.to_le_bytes());
    out.extend(short_count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend((directory_offset as u32).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Bits written least significant first, as deflate wants.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u64,
    filled: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u32, count: u32) {
        self.current |= u64::from(value) << self.filled;
        self.filled += count;
        while self.filled >= 8 {
            self.bytes.push(self.current as u8);
            self.current >>= 8;
            self.filled -= 8;
        }
    }

    /// A Huffman code, written most significant bit first.
    fn code(&mut self, code: u32, length: u32) {
        let reversed = code.reverse_bits() >> (32 - length);
        self.bits(reversed, length);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.bytes.push(self.current as u8);
        }
        self.bytes
    }
}

/// A raw deflate stream inflating to `length` zeros: one fixed-Huffman block of a literal zero
/// and back-references of 258 bytes at distance 1 (13 bits each, so about 200:1).
fn deflated_zeros(length: u64) -> Vec<u8> {
    let mut writer = BitWriter::default();
    writer.bits(1, 1); // final block
    writer.bits(1, 2); // fixed Huffman codes
    writer.code(0x30, 8); // literal 0
    let mut left = length - 1;
    while left >= 258 {
        writer.code(0xC5, 8); // length 258 (code 285)
        writer.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        writer.code(0x30, 8);
    }
    writer.code(0, 7); // end of block
    writer.finish()
}

/// Restores `zip`, expects a 400 naming `file` with a message containing `why`, then checks
/// that `/v1/software` answers within a second.
async fn refused(app: &TestApp, what: &str, zip: Vec<u8>, file: &str, why: &str) {
    let response = restore(app, "", zip).await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|error| error["file"] == file
                && error["message"].as_str().unwrap_or("").contains(why)),
        "{what}: expected {file}: …{why}…, got {body}"
    );
    let started = Instant::now();
    let response = app.get("/v1/software").await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{what}: the server answers"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{what}: /v1/ answered in {:?}",
        started.elapsed()
    );
}

const DEFINITION: &str = "patch_archive/JamfAdmin.json";

on_each_backend!(an_entry_claiming_2_to_the_45_bytes_is_refused_naming_it);
async fn an_entry_claiming_2_to_the_45_bytes_is_refused_naming_it(backend: TestBackend) {
    let mut entry = Entry::stored(DEFINITION, b"{}");
    entry.compressed = 1 << 45;
    entry.uncompressed = 1 << 45;
    let zip = write_zip(&[entry], None);
    assert!(zip.len() < 250, "a small zip: {} bytes", zip.len());
    let app = spawn_app(backend).await;
    let response = restore(&app, "", zip.clone()).await;
    let body = json_body(response).await;
    assert_eq!(body["status"], 400, "{backend:?}: {body}");
    assert_eq!(body["errors"][0]["file"], DEFINITION, "{backend:?}: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the entry declares 35184372088832 bytes but holds"),
        "{backend:?}: {body}"
    );
    assert_eq!(app.get("/v1/software").await.status(), StatusCode::OK);
    app.stop().await;
    // The CLI says the same in plain words, and does not abort.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.zip");
    std::fs::write(&path, &zip).unwrap();
    let database = TestDatabase::new(backend).await;
    let run = ringmaster(&[
        "title",
        "import",
        path.to_str().unwrap(),
        "--database",
        &database.url,
    ])
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("{DEFINITION}: ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("nothing was imported"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_deflate_bomb_is_refused_within_bounded_memory() {
    const GIB: u64 = 1 << 30;
    let bomb = deflated_zeros(GIB);
    let entry = Entry {
        name: DEFINITION.to_owned(),
        compressed: bomb.len() as u64,
        data: bomb,
        method: 8,
        flags: 0,
        crc: 0,
        uncompressed: GIB,
    };
    let zip = write_zip(&[entry], None);
    let app = spawn_app(crate::support::TestBackend::Sqlite).await;
    refused(
        &app,
        "bomb",
        zip,
        DEFINITION,
        "larger than 134217728 bytes uncompressed",
    )
    .await;
    if let Some(peak) = peak_memory_bytes().map(|bytes| bytes / (1024 * 1024)) {
        eprintln!("peak RSS after the bomb: {peak} MiB");
        assert!(peak < 300, "peak RSS {peak} MiB");
    }
    app.stop().await;
}

on_each_backend!(lying_duplicate_encrypted_and_unsupported_entries_are_refused_naming_them);
async fn lying_duplicate_encrypted_and_unsupported_entries_are_refused_naming_them(
    backend: TestBackend,
) {
    let definition = fixture("titles/JamfAdmin.json");
    let mut short = Entry::stored(DEFINITION, &definition);
    short.uncompressed = 10; // declared smaller than it is
    let mut encrypted = Entry::stored(DEFINITION, &definition);
    encrypted.flags = 1;
    let mut bzip2 = Entry::stored(DEFINITION, &definition);
    bzip2.method = 12;
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "a size that lies",
            write_zip(&[short], None),
            DEFINITION,
            "declares 10 bytes but holds",
        ),
        (
            "a duplicate",
            write_zip(
                &[
                    Entry::stored(DEFINITION, &definition),
                    Entry::stored(DEFINITION, b"{}"),
                ],
                None,
            ),
            DEFINITION,
            "two entries with this name",
        ),
        (
            "encrypted",
            write_zip(&[encrypted], None),
            DEFINITION,
            "encrypted",
        ),
        (
            "bzip2",
            write_zip(&[bzip2], None),
            DEFINITION,
            "only stored and deflated",
        ),
        (
            "a traversal",
            write_zip(
                &[Entry::stored("patch_archive/../../etc/x.json", b"{}")],
                None,
            ),
            "patch_archive/../../etc/x.json",
            "climbs out of the zip",
        ),
        (
            "an absolute path",
            write_zip(&[Entry::stored("/etc/x.json", b"{}")], None),
            "/etc/x.json",
            "absolute path",
        ),
        (
            "an unknown folder",
            write_zip(&[Entry::stored("secrets/x.json", b"{}")], None),
            "secrets/x.json",
            "outside the backup layout",
        ),
        (
            "a nested folder",
            write_zip(&[Entry::stored("patch_archive/sub/x.json", b"{}")], None),
            "patch_archive/sub/x.json",
            "no folders",
        ),
        (
            "a table file without a manifest",
            write_zip(
                &[Entry::stored("ringmaster/os-updates/devices.json", b"[]")],
                None,
            ),
            "ringmaster/os-updates/devices.json",
            "needs ringmaster/backup.json",
        ),
    ];
    let app = spawn_app(backend).await;
    for (what, zip, file, why) in &cases {
        refused(&app, &format!("{backend:?} {what}"), zip.clone(), file, why).await;
    }
    // Still a working server: a truthful zip restores.
    let response = restore(
        &app,
        "",
        write_zip(&[Entry::stored(DEFINITION, &definition)], None),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED, "{backend:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_zip_declaring_too_many_entries_is_refused_before_reading_them() {
    let zip = write_zip(&[Entry::stored(DEFINITION, b"{}")], Some(1 << 40));
    let app = spawn_app(crate::support::TestBackend::Sqlite).await;
    let response = restore(&app, "", zip).await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("declares 1099511627776 entries; at most 50000"),
        "{body}"
    );
    assert_eq!(app.get("/v1/software").await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn entries_over_the_total_limit_are_refused_naming_the_entry_that_crossed_it() {
    let options = crate::support::AppOptions {
        http: ringmaster::http::HttpConfig {
            max_restore_bytes: 1 << 20,
            ..ringmaster::http::HttpConfig::default()
        },
        ..crate::support::AppOptions::default()
    };
    let half = 600 * 1024;
    let entry = |name: &str| Entry {
        name: name.to_owned(),
        data: deflated_zeros(half),
        method: 8,
        flags: 0,
        crc: crc32(&vec![0; half as usize]),
        compressed: 0,
        uncompressed: half,
    };
    let mut entries = vec![entry("patch_archive/A.json"), entry("patch_archive/B.json")];
    for entry in &mut entries {
        entry.compressed = entry.data.len() as u64;
    }
    let zip = write_zip(&entries, None);
    let app = crate::support::spawn_app_with(crate::support::TestBackend::Sqlite, options).await;
    refused(
        &app,
        "total",
        zip,
        "patch_archive/B.json",
        "more than 1048576 bytes uncompressed in all (--max-restore-bytes)",
    )
    .await;
    app.stop().await;
}

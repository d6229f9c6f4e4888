//! Tidy checks over the whole source tree, run as a test so `cargo test` is the one gate:
//! every Rust file opens with a `//!` module doc; no test is ignored or expected to panic;
//! no `dbg!` is left behind; nothing names a path of a developer's machine; HTTP handlers use
//! only extractors whose rejections are our JSON errors; the system time is read in `clock.rs`
//! only; no Rust file grows past 600 lines.

use std::path::{Path, PathBuf};

fn rust_files(root: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, files);
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
}

fn workspace_sources() -> Vec<(PathBuf, String)> {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(
        files.len() > 10,
        "expected the workspace's sources under {}",
        crates.display()
    );
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (path, text)
        })
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let missing: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|(_, text)| {
            let first = text
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc: {missing:#?}"
    );
}

#[test]
fn no_ignored_or_should_panic_tests_and_no_dbg() {
    // Built from pieces so this file does not trip its own check.
    let forbidden = [
        format!("#[{}", "ignore"),
        format!("#[{}", "should_panic"),
        format!("{}!(", "dbg"),
    ];
    let mut found = Vec::new();
    for (path, text) in workspace_sources() {
        for (number, line) in text.lines().enumerate() {
            for pattern in &forbidden {
                if line.contains(pattern.as_str()) {
                    found.push(format!(
                        "{}:{}: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "forbidden constructs: {found:#?}");
}

#[test]
fn no_source_names_a_path_of_a_developer_machine() {
    let forbidden = [
        format!("/{}/", "work"),
        format!("/{}/", "root"),
        format!("/{}/", "home"),
    ];
    let mut found = Vec::new();
    for (path, text) in workspace_sources() {
        for (number, line) in text.lines().enumerate() {
            if forbidden
                .iter()
                .any(|pattern| line.contains(&format!("\"{pattern}")))
            {
                found.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "machine paths in sources: {found:#?}");
}

#[test]
fn the_domain_crate_depends_on_no_io_crate() {
    let manifest_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ringmaster-domain/Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).expect("domain manifest");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .unwrap_or("");
    let io_crates = [
        "tokio",
        "sqlx",
        "axum",
        "reqwest",
        "hyper",
        "tower",
        "ringmaster-store",
    ];
    let found: Vec<&str> = io_crates
        .iter()
        .copied()
        .filter(|name| {
            dependencies.lines().any(|line| {
                line.trim_start().starts_with(&format!("{name} "))
                    || line.trim_start().starts_with(&format!("{name}."))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "the pure domain crate depends on IO crates: {found:?}"
    );
    assert!(
        dependencies.contains("serde_json"),
        "expected to read the domain's dependencies"
    );
}

#[test]
fn handlers_extract_only_through_extractors_that_answer_our_json_errors() {
    let offenders: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|(path, _)| {
            path.components().any(|part| part.as_os_str() == "http")
                && path.components().any(|part| part.as_os_str() == "src")
                && !path.ends_with("extract.rs")
                && !path.ends_with("upload.rs")
        })
        .filter(|(_, text)| {
            text.lines().any(|line| {
                let line = line.trim();
                line.starts_with("use axum::extract::")
                    && ["Path", "Query", "Json", "Form"].iter().any(|name| {
                        line.split(|c: char| !c.is_alphanumeric())
                            .any(|word| word == *name)
                    })
            })
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "use ApiPath / ApiQuery / JsonUpload (their rejections are ApiErrors), not axum's: {offenders:#?}"
    );
}

#[test]
fn the_system_time_is_read_only_by_the_clock() {
    // Built from pieces so this file does not trip its own check.
    let reading = format!("Timestamp::{}()", "now");
    let offenders: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|(path, _)| {
            path.components().any(|part| part.as_os_str() == "src") && !path.ends_with("clock.rs")
        })
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| line.contains(reading.as_str()))
                .map(|(number, line)| format!("{}:{}: {}", path.display(), number + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "read the time through clock::Clock, so a manual clock governs it: {offenders:#?}"
    );
}

/// The most lines a Rust file may have: past it, split it by what a reader looks for.
const MAX_LINES: usize = 600;

#[test]
fn no_rust_file_grows_past_six_hundred_lines() {
    let too_long: Vec<String> = workspace_sources()
        .into_iter()
        .filter_map(|(path, text)| {
            let lines = text.lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(
        too_long.is_empty(),
        "files over {MAX_LINES} lines (split them by what a reader looks for): {too_long:#?}"
    );
}

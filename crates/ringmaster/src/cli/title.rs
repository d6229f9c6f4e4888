//! `ringmaster title lint|import|export`.
//!
//! `lint` works offline (on files, or folders of them) and reports the same errors as the API, one per line as
//! `FILE: POINTER: message` (and fields accepted but ignored as `FILE: POINTER: warning: message`);
//! it exits 1 when any file is invalid. `import` validates every file
//! before writing anything and writes all titles in one transaction. `export` writes a folder of
//! `<id>.json`, or a backup zip when the path ends in `.zip`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ringmaster_domain::field_error::{FieldError, FieldErrors};
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::titles::ExistingTitles;

use crate::audit::cli::{Outcome, TitlesWritten, recorded};
use crate::cli::open_store;
use crate::clock::Clock;
use crate::config::TitleCommand;
use crate::patch_source::archive::{self, ArchiveError, LastModified};
use crate::patch_source::service::{PatchSource, TitleError};
use crate::patch_source::zip_read::{DEFAULT_TOTAL_BYTES, ZipLimits};

pub(crate) async fn run(command: TitleCommand) -> anyhow::Result<ExitCode> {
    match command {
        TitleCommand::Lint { files } => lint(&files),
        TitleCommand::Import {
            path,
            replace,
            database,
        } => import(&path, replace, &database.url).await,
        TitleCommand::Export { out, database } => export(&out, &database.url).await,
    }
}

fn lint(paths: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    let mut invalid = 0usize;
    // A folder stands for the definitions in it.
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = archive::read_path(path, &cli_zip_limits())?;
            files.extend(found.into_iter().map(|file| path.join(file.name)));
        } else {
            files.push(path.clone());
        }
    }
    for file in &files {
        let shown = file.display();
        let result = std::fs::read(file)
            .map_err(|error| {
                let mut errors = FieldErrors::new();
                errors.push("", format!("cannot read the file: {error}"));
                errors
            })
            .and_then(|bytes| lint_document(&bytes));
        match result {
            Ok((kind, warnings)) => {
                writeln!(stdout, "{shown}: ok ({kind})")?;
                for warning in &warnings {
                    writeln!(
                        stdout,
                        "{shown}: {}: warning: {}",
                        warning.pointer, warning.message
                    )?;
                }
            }
            Err(errors) => {
                invalid += 1;
                for error in &errors {
                    let pointer = if error.pointer.is_empty() {
                        "(document)"
                    } else {
                        &error.pointer
                    };
                    writeln!(stdout, "{shown}: {pointer}: {}", error.message)?;
                }
            }
        }
    }
    if invalid > 0 {
        eprintln!("{invalid} of {} file(s) invalid", files.len());
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// Lints a full definition, or a single version object when the document is one
/// (no `patches` and no `id`, but a `version`).
fn lint_document(bytes: &[u8]) -> Result<(&'static str, Vec<FieldError>), FieldErrors> {
    let document = ringmaster_domain::json_read::json_document(bytes, "the file")?;
    let is_version_object = document.get("patches").is_none()
        && document.get("id").is_none()
        && document.get("version").is_some();
    if is_version_object {
        parse::patch_from_slice(bytes).map(|_| ("version object", Vec::new()))
    } else {
        parse::software_title_with_warnings(bytes)
            .map(|parsed| ("title definition", parsed.warnings))
    }
}

async fn import(path: &Path, replace: bool, database_url: &str) -> anyhow::Result<ExitCode> {
    let files = match archive::read_path(path, &cli_zip_limits()) {
        Ok(files) => files,
        Err(ArchiveError::Invalid(problems)) => {
            return crate::cli::backup::print_problems(&problems, "nothing was imported");
        }
        Err(other) => {
            return Err(anyhow::Error::new(other).context(format!("reading {}", path.display())));
        }
    };
    if files.is_empty() {
        anyhow::bail!("no definitions (*.json files) found in {}", path.display());
    }
    let progress = progress_bar(files.len() as u64, "validating");
    let parsed =
        archive::records_from_files(&files, LastModified::Now(Clock::System.now()), |name| {
            progress.set_message(name.to_owned());
            progress.inc(1);
        });
    progress.finish_and_clear();
    let records: Vec<TitleRecord> = match parsed {
        Ok(records) => records,
        Err(ArchiveError::Invalid(problems)) => {
            let mut stdout = std::io::stdout().lock();
            for problem in &problems {
                for error in &problem.errors {
                    let pointer = if error.pointer.is_empty() {
                        "(document)"
                    } else {
                        &error.pointer
                    };
                    writeln!(stdout, "{}: {pointer}: {}", problem.file, error.message)?;
                }
            }
            eprintln!("{} file(s) invalid; nothing was imported", problems.len());
            return Ok(ExitCode::FAILURE);
        }
        Err(other) => return Err(other.into()),
    };
    let store = open_store(database_url).await?;
    let source = PatchSource::new(store, Clock::System);
    let existing = if replace {
        ExistingTitles::Replace
    } else {
        ExistingTitles::Refuse
    };
    let spinner =
        ProgressBar::new_spinner().with_message(format!("writing {} titles", records.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let import = source.store.restore_titles(&records, existing);
    let outcome = |done: &ringmaster_store::titles::RestoreOutcome| {
        let written = TitlesWritten {
            created: &done.created,
            replaced: &done.replaced,
        };
        Outcome::changed(None, &written)
    };
    let outcome = recorded(
        &source.store,
        "title import",
        ("title", None),
        import,
        outcome,
    )
    .await?;
    spinner.finish_and_clear();
    match outcome.map_err(TitleError::from) {
        Ok(outcome) => {
            eprintln!(
                "Imported {} title(s): {} created, {} replaced.",
                records.len(),
                outcome.created.len(),
                outcome.replaced.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(TitleError::AlreadyExists(what)) => {
            anyhow::bail!(
                "{what} already exist; nothing was imported (use --replace to replace them)"
            )
        }
        Err(error) => Err(error.into()),
    }
}

async fn export(out: &Path, database_url: &str) -> anyhow::Result<ExitCode> {
    if let Err(problem) = check_export_target(out) {
        eprintln!("error: --out {}: {problem}", out.display());
        return Ok(ExitCode::FAILURE);
    }
    let store = open_store(database_url).await?;
    let records: Vec<TitleRecord> = store
        .list_titles()
        .await?
        .into_iter()
        .map(|stored| stored.record)
        .collect();
    let is_zip = out
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    if is_zip {
        let bytes = archive::write_zip(&records);
        std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    } else {
        archive::write_folder(out, &records)?;
    }
    eprintln!("Exported {} title(s) to {}.", records.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// Whether `out` can receive an export: a zip path whose folder exists, or a folder (existing or
/// to create); the problem in plain words otherwise.
fn check_export_target(out: &Path) -> Result<(), String> {
    let is_zip = out
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    let metadata = std::fs::metadata(out);
    if is_zip {
        if metadata.as_ref().is_ok_and(|metadata| metadata.is_dir()) {
            return Err("it is a folder, not a zip file".into());
        }
        let parent = out
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(format!("its folder {} does not exist", parent.display()));
        }
        return Ok(());
    }
    match metadata {
        Ok(metadata) if metadata.is_dir() => {
            let probe = out.join(".ringmaster-export-check");
            std::fs::write(&probe, b"")
                .map_err(|error| format!("the folder cannot be written: {error}"))?;
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Ok(_) => Err(
            "it exists and is not a folder; give a new or existing folder, or a path ending in .zip"
                .into(),
        ),
        Err(_) => std::fs::create_dir_all(out)
            .map_err(|error| format!("the folder cannot be created: {error}")),
    }
}

/// What the CLI reads of a zip: what a server reads by default.
fn cli_zip_limits() -> ZipLimits {
    ZipLimits::with_total(DEFAULT_TOTAL_BYTES)
}

fn progress_bar(length: u64, prefix: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix);
    bar
}

//! `ringmaster catalog import|list|delete`.
//!
//! `import` reads a feed file or URL (Apple's root certificate trusted for gdmf), detects its
//! format and folds it into the catalog in one transaction; a feed that cannot be read prints
//! every problem as `POINTER: message` and changes nothing. `delete` removes one release (or one
//! build of it) and exits 1 when none matches. Both take `--dry-run` and `--yes`
//! ([`super::preview`]). `block` and `unblock` are in [`super::catalog_block`].

use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::platform::Platform;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::CatalogCommand;
use crate::os_updates::feed_fetch::read_source;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

pub(crate) async fn run(command: CatalogCommand) -> anyhow::Result<ExitCode> {
    match command {
        CatalogCommand::Import {
            source,
            confirm,
            database,
        } => {
            let bytes = match read_source(&source).await {
                Ok(bytes) => bytes,
                Err(error) => {
                    eprintln!("error: {error}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let now = Clock::System.now();
            let refused =
                match gate(&confirm, || service.preview_import_feed(&bytes, now, now)).await? {
                    Gate::Proceed => None,
                    Gate::Stop(code) => return Ok(code),
                    Gate::Refused(error) => Some(Err(error)),
                };
            let result = match refused {
                Some(refused) => refused,
                None => {
                    let import = service.import_feed(&bytes, now);
                    let outcome = |report: &_| Outcome::changed(None, report);
                    recorded(&store, "catalog import", ("catalog", None), import, outcome).await?
                }
            };
            match result {
                Ok(report) => {
                    let mut out = std::io::stdout().lock();
                    writeln!(
                        out,
                        "{source}: {} feed with {} release(s): {} added, {} updated, {} merged, {} unchanged",
                        report.format,
                        report.releases,
                        report.added,
                        report.updated,
                        report.merged,
                        report.unchanged
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(OsUpdateError::Feed(error)) => {
                    let mut lines = error.to_string();
                    lines.push_str("\nthe catalog was not changed");
                    eprintln!("{source}: {lines}");
                    Ok(ExitCode::FAILURE)
                }
                Err(other) => Err(other.into()),
            }
        }
        CatalogCommand::Delete {
            platform,
            version,
            build,
            confirm,
            database,
        } => {
            let platform = match Platform::parse(&platform) {
                Ok(platform) => platform,
                Err(why) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::from(2));
                }
            };
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let release = format!("{}:{version}", platform.as_str());
            let preview = || {
                service.preview_delete_release(
                    platform,
                    &version,
                    build.as_deref(),
                    Clock::System.now(),
                )
            };
            let refused = match gate(&confirm, preview).await? {
                Gate::Proceed => None,
                Gate::Stop(code) => return Ok(code),
                Gate::Refused(error) => Some(Err(error)),
            };
            let result = match refused {
                Some(refused) => refused,
                None => {
                    let delete = service.delete_release(platform, &version, build.as_deref());
                    let object = ("catalog-release", Some(release.as_str()));
                    let outcome = |deleted: &_| Outcome::changed(None, deleted);
                    recorded(&store, "catalog delete", object, delete, outcome).await?
                }
            };
            match result {
                Ok(deleted) => {
                    writeln!(std::io::stdout().lock(), "deleted {deleted} release(s)")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(OsUpdateError::NotFound(what)) => {
                    eprintln!("error: {what} does not exist");
                    Ok(ExitCode::FAILURE)
                }
                Err(other) => Err(other.into()),
            }
        }
        CatalogCommand::Block {
            platform,
            version,
            reason,
            confirm,
            database,
        } => super::catalog_block::block(&platform, &version, &reason, &confirm, &database).await,
        CatalogCommand::Unblock {
            platform,
            version,
            confirm,
            database,
        } => super::catalog_block::unblock(&platform, &version, &confirm, &database).await,
        CatalogCommand::List { platform, database } => {
            let platform = match platform.as_deref().map(Platform::parse).transpose() {
                Ok(platform) => platform,
                Err(why) => {
                    eprintln!("error: --platform: {why}");
                    return Ok(ExitCode::from(2));
                }
            };
            let service = OsUpdates::new(open_store(&database.url).await?);
            let releases = service.releases(platform).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<8} {:<12} {:<12} {:<11} {:<11} {:>5}",
                "PLATFORM", "VERSION", "BUILD", "RELEASED", "EXPIRES", "CVES"
            )?;
            for release in &releases {
                writeln!(
                    out,
                    "{:<8} {:<12} {:<12} {:<11} {:<11} {:>5}",
                    release.platform.as_str(),
                    release.version.as_str(),
                    release.build.as_deref().unwrap_or("-"),
                    release.released_on.to_string(),
                    release
                        .expires_on
                        .map_or_else(|| "-".to_owned(), |day| day.to_string()),
                    release
                        .security
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |s| s.cve_count.to_string()),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! The command line: parses arguments, sets up logging and a runtime, runs one subcommand.
//!
//! Results go to standard output, logs and progress to standard error. Failures print a plain
//! explanation and exit with status 1 (2 for usage errors, as clap does).

mod audit;
mod backup;
mod catalog;
mod catalog_block;
mod device;
mod gate;
mod migrate;
mod pause;
mod plan;
mod policy;
mod preview;
mod results;
mod simulate;
mod title;
mod token;
mod webhook;

use std::process::ExitCode;

use clap::Parser;

use crate::config::{Cli, Command, ServeArgs, checks};
use crate::connections::ConnectionLimits;
use crate::http::HttpConfig;
use crate::os_updates::catalog_poll::CatalogPollConfig;
use crate::os_updates::notifier::NotifierConfig;
use crate::server::{self, ServerConfig};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(&cli.logging);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            server::run_until_signal(serve_config(&args)?).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(command) => token::run(command).await,
        Command::Webhook(command) => webhook::run(command).await,
        Command::Title(command) => title::run(command).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Catalog(command) => catalog::run(command).await,
        Command::Policy(command) => policy::run(command).await,
        Command::Device(command) => device::run(command).await,
        Command::Ring(command) => pause::ring(command).await,
        Command::Plan(args) => plan::run(args).await,
        Command::DeviceStatus(args) => results::device_status(args).await,
        Command::Compliance(args) => results::compliance(args).await,
        Command::Simulate(args) => simulate::run(args).await,
        Command::Audit(args) => audit::run(args).await,
    }
}

/// The server's settings from its flags; secrets are read from their files here.
fn serve_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let ddm_secret = checks::secret_from(
        args.ddm_secret.as_deref(),
        args.ddm_secret_file.as_deref(),
        "--ddm-secret-file",
    )?;
    let mdm_api_key = checks::secret_from(
        args.mdm_api_key.as_deref(),
        args.mdm_api_key_file.as_deref(),
        "--mdm-api-key-file",
    )?;
    let seconds = std::time::Duration::from_secs;
    Ok(ServerConfig {
        listen: args.listen,
        database_url: args.database.url.clone(),
        http: HttpConfig {
            max_body_bytes: args.max_body_bytes,
            max_restore_bytes: args.max_restore_bytes,
            ddm_prefix: args.ddm_prefix.clone(),
            ddm_secret,
            connections: ConnectionLimits {
                header_timeout: seconds(args.header_timeout_secs),
                body_timeout: seconds(args.body_timeout_secs),
                idle_timeout: seconds(args.idle_timeout_secs),
                max_connections: args.max_connections,
            },
            ddm_open: args.ddm_open,
            tls: match (&args.tls_cert, &args.tls_key) {
                (Some(cert), Some(key)) => Some(crate::tls::TlsConfig {
                    cert: cert.clone(),
                    key: key.clone(),
                    reload_every: seconds(args.tls_reload_secs),
                    plain_listen: args.plain_listen,
                }),
                _ => None,
            },
            trusted_proxies: crate::http::client_address::TrustedProxies::new(
                args.trusted_proxies.clone(),
            ),
            auth_failure_limit: args.auth_failure_limit,
            admin_rate_limit: args.admin_rate_limit,
            feed_auth: args.feed_auth,
        },
        cache_refresh: std::time::Duration::from_millis(args.cache_refresh_ms),
        catalog_poll: (!args.catalog_urls.is_empty()).then(|| CatalogPollConfig {
            urls: args.catalog_urls.clone(),
            period: seconds(args.catalog_poll_hours * 3600),
            check_every: seconds(3600),
        }),
        clock: crate::clock::Clock::System,
        webhooks: crate::webhooks::delivery::WebhookDeliveryConfig {
            public_url: args.public_url.clone(),
            ..Default::default()
        },
        audit: crate::audit::prune::AuditPruneConfig {
            retention: args.audit_retention,
            ..Default::default()
        },
        notifier: args.mdm_enqueue_url.clone().map(|url| {
            let mut notify = NotifierConfig::new(url, mdm_api_key);
            notify.every = seconds(args.notify_every_secs);
            notify.api_user = args.mdm_api_user.clone();
            notify.batch = args.mdm_batch_size;
            notify
        }),
    })
}

/// Opens the store a data-touching command names.
async fn open_store(url: &str) -> anyhow::Result<ringmaster_store::store::Store> {
    use anyhow::Context;
    ringmaster_store::store::Store::connect(url, &ringmaster_store::store::StoreOptions::default())
        .await
        .with_context(|| format!("opening database {}", server::redact(url)))
}

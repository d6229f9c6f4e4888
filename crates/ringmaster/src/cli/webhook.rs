//! `ringmaster webhook list|add|delete`: PatchServer's webhooks from the command line, through
//! the same operations as `/api/v1/webhooks` (the same checks, the same answers).
//!
//! `list` prints the API's JSON; `add` prints the new webhook's id alone on its line; a refused
//! webhook prints `POINTER: message` lines and exits 1.

use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::json_write;
use serde::Serialize;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::clock::Clock;
use crate::config::WebhookCommand;
use crate::webhooks::{self, WebhookError};

/// The document `add` hands to the same parser as the API.
#[derive(Debug, Serialize)]
struct NewWebhookDocument<'a> {
    url: &'a str,
    enabled: bool,
    verify_ssl: bool,
    send_definition: bool,
}

pub(crate) async fn run(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    match command {
        WebhookCommand::List { database } => {
            let store = open_store(&database.url).await?;
            let hooks = webhooks::list(&store).await?;
            std::io::stdout()
                .lock()
                .write_all(&json_write::to_vec(&hooks)?)?;
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Add {
            webhook_url,
            disabled,
            no_verify_ssl,
            send_definition,
            database,
        } => {
            let store = open_store(&database.url).await?;
            let document = serde_json::to_vec(&NewWebhookDocument {
                url: &webhook_url,
                enabled: !disabled,
                verify_ssl: !no_verify_ssl,
                send_definition,
            })?;
            let add = webhooks::add(&store, &document, Clock::System.now());
            let object = ("webhook", None);
            let outcome = |created: &webhooks::WebhookCreated| {
                Outcome::changed(Some(created.id.to_string()), created)
            };
            match recorded(&store, "webhook add", object, add, outcome).await? {
                Ok(created) => {
                    writeln!(std::io::stdout().lock(), "{}", created.id)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(WebhookError::Invalid(errors)) => {
                    for error in errors.iter() {
                        eprintln!("{}: {}", error.pointer, error.message);
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(other) => Err(other.into()),
            }
        }
        WebhookCommand::Delete { id, database } => {
            let store = open_store(&database.url).await?;
            let delete = webhooks::delete(&store, &id);
            let outcome = |_: &()| Outcome::Changed {
                object_id: None,
                after: None,
            };
            recorded(
                &store,
                "webhook delete",
                ("webhook", Some(&id)),
                delete,
                outcome,
            )
            .await??;
            eprintln!("Deleted webhook {id} and the events queued for it.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

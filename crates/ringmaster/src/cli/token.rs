//! `ringmaster token create|list|revoke`.
//!
//! A token is 32 random bytes, base64url, prefixed `rmt_` so it is recognisable in a leaked log.
//! It is printed once, alone on its line, on standard output; only its hash is stored.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use base64::Engine;
use rand::RngCore;
use ringmaster_store::tokens::ROLE_ADMIN;

use crate::cli::open_store;
use crate::config::TokenCommand;
use crate::patch_source::service::now;

pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create { name, database } => {
            let name = name.trim().to_owned();
            anyhow::ensure!(!name.is_empty(), "--name must not be empty");
            let store = open_store(&database.url).await?;
            let secret = new_secret();
            store
                .create_token(&name, &secret, ROLE_ADMIN, now())
                .await
                .with_context(|| format!("creating token {name:?}"))?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{secret}")?;
            eprintln!("Created admin token {name:?}. It is shown only now: store it safely.");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { database } => {
            let store = open_store(&database.url).await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "{:<24} {:<8} {:<28} REVOKED",
                "NAME", "ROLE", "CREATED"
            )?;
            for token in store.list_tokens().await? {
                writeln!(
                    stdout,
                    "{:<24} {:<8} {:<28} {}",
                    token.name,
                    token.role,
                    token.created_at,
                    token.revoked_at.as_deref().unwrap_or("-")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { name, database } => {
            let store = open_store(&database.url).await?;
            if store.revoke_token(&name, now()).await? {
                eprintln!("Revoked token {name:?}.");
                Ok(ExitCode::SUCCESS)
            } else {
                anyhow::bail!("no live token is named {name:?}")
            }
        }
    }
}

/// A new random token.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "rmt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

//! `ringmaster token create|import|list|revoke`.
//!
//! A token is 32 random bytes, base64url, prefixed `rmt_` so it is recognisable in a leaked log.
//! It is printed once, alone on its line, on standard output; only its hash is stored.
//! `import` stores the hash of a secret a tool already sends (PatchServer's `PATCH_TOKEN`), read
//! from standard input so that it never shows in a process list or a shell history.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use base64::Engine;
use rand::RngCore;
use ringmaster_store::tokens::ROLE_ADMIN;

use crate::cli::open_store;
use crate::clock::Clock;
use crate::config::TokenCommand;

pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create { name, database } => {
            let name = name.trim().to_owned();
            anyhow::ensure!(!name.is_empty(), "--name must not be empty");
            let store = open_store(&database.url).await?;
            let secret = new_secret();
            let created = store.create_token(&name, &secret, ROLE_ADMIN, Clock::System.now());
            crate::audit::cli::token_created(&store, "token create", &name, created)
                .await?
                .with_context(|| format!("creating token {name:?}"))?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{secret}")?;
            eprintln!("Created admin token {name:?}. It is shown only now: store it safely.");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Import { name, database } => {
            let name = name.trim().to_owned();
            anyhow::ensure!(!name.is_empty(), "--name must not be empty");
            let mut input = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_IMPORTED_SECRET_BYTES as u64 + 3)
                .read_to_end(&mut input)
                .context("reading the secret from standard input")?;
            let secret = imported_secret(&input).map_err(|problem| anyhow::anyhow!(problem))?;
            let store = open_store(&database.url).await?;
            let created = store.create_token(&name, secret, ROLE_ADMIN, Clock::System.now());
            crate::audit::cli::token_created(&store, "token import", &name, created)
                .await?
                .with_context(|| format!("importing token {name:?}"))?;
            eprintln!("Imported admin token {name:?}: only its hash is stored.");
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
            let revoke = store.revoke_token(&name, Clock::System.now());
            if crate::audit::cli::token_revoked(&store, &name, revoke).await?? {
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

/// The fewest characters an imported secret may have (PatchServer's tokens have 32).
pub(crate) const MIN_IMPORTED_SECRET_BYTES: usize = 16;
/// The most characters an imported secret may have.
pub(crate) const MAX_IMPORTED_SECRET_BYTES: usize = 512;

/// The secret in what was read from standard input: one trailing newline (`\n` or `\r\n`)
/// dropped, then 16 to 512 visible ASCII characters (what an `Authorization: Bearer` header
/// carries unchanged), or why not.
pub(crate) fn imported_secret(input: &[u8]) -> Result<&str, String> {
    let input = input
        .strip_suffix(b"\r\n")
        .or_else(|| input.strip_suffix(b"\n"))
        .unwrap_or(input);
    if input.is_empty() {
        return Err("no secret on standard input (pipe it in: printf %s \"$SECRET\" | ringmaster token import --name NAME)".into());
    }
    if input.len() < MIN_IMPORTED_SECRET_BYTES {
        return Err(format!(
            "the secret is too short: {} characters, at least {MIN_IMPORTED_SECRET_BYTES} are needed",
            input.len()
        ));
    }
    if input.len() > MAX_IMPORTED_SECRET_BYTES {
        return Err(format!(
            "the secret is too long: more than {MAX_IMPORTED_SECRET_BYTES} characters"
        ));
    }
    if let Some(position) = input.iter().position(|byte| !byte.is_ascii_graphic()) {
        return Err(format!(
            "the secret holds a space, control or non-ASCII character at byte {position}; \
             a bearer token is visible ASCII only"
        ));
    }
    std::str::from_utf8(input).map_err(|error| format!("the secret is not text: {error}"))
}

#[cfg(test)]
mod tests {
    use super::imported_secret;

    #[test]
    fn one_trailing_newline_is_dropped_and_bad_secrets_are_refused() {
        let secret = "94631ec5c65e4dd19fb81479abdd2929";
        assert_eq!(imported_secret(secret.as_bytes()), Ok(secret));
        assert_eq!(
            imported_secret(format!("{secret}\n").as_bytes()),
            Ok(secret)
        );
        assert_eq!(
            imported_secret(format!("{secret}\r\n").as_bytes()),
            Ok(secret)
        );
        assert!(imported_secret(format!("{secret}\n\n").as_bytes()).is_err());
        assert!(imported_secret(b"").unwrap_err().contains("no secret"));
        assert!(imported_secret(b"\n").unwrap_err().contains("no secret"));
        assert!(
            imported_secret(b"short\n")
                .unwrap_err()
                .contains("too short")
        );
        assert!(
            imported_secret("x".repeat(513).as_bytes())
                .unwrap_err()
                .contains("too long")
        );
        assert!(imported_secret(b" leading-space-secret").is_err());
        assert!(imported_secret("0123456789abcdef\u{e9}".as_bytes()).is_err());
        assert_eq!(
            imported_secret("x".repeat(512).as_bytes()).map(str::len),
            Ok(512)
        );
    }
}

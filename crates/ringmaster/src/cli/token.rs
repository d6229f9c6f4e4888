//! `ringmaster token create|import|list|revoke`.
//!
//! A new token ([`crate::tokens::new_secret`]) is printed once, alone on its line, on standard
//! output; only its hash is stored. `--role` is required; `--expires-in` and `--titles` are not.
//! `import` stores the hash of a secret a tool already sends (PatchServer's `PATCH_TOKEN`), read
//! from standard input so that it never shows in a process list or a shell history.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use jiff::Timestamp;
use ringmaster_domain::access::request::{TokenRequest, check_token_name};

use crate::cli::open_store;
use crate::clock::Clock;
use crate::config::token::{TokenAccessArgs, TokenCommand, TokenName};
use crate::tokens::{self, TokenView};

pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create {
            name,
            access,
            database,
        } => {
            let request = request(&name, access)?;
            let store = open_store(&database.url).await?;
            let secret = tokens::new_secret();
            let created = tokens::create(&store, &request, &secret, Clock::System.now());
            let created =
                crate::audit::cli::token_created(&store, "token create", &request.name, created)
                    .await?
                    .with_context(|| format!("creating token {:?}", request.name))?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{secret}")?;
            eprintln!(
                "Created {} token {:?}{}. It is shown only now: store it safely.",
                created.view.role,
                request.name,
                described(&created.view)
            );
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Import {
            name,
            access,
            database,
        } => {
            let request = request(&name, access)?;
            let mut input = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_IMPORTED_SECRET_BYTES as u64 + 3)
                .read_to_end(&mut input)
                .context("reading the secret from standard input")?;
            let secret = imported_secret(&input).map_err(|problem| anyhow::anyhow!(problem))?;
            let store = open_store(&database.url).await?;
            let created = tokens::create(&store, &request, secret, Clock::System.now());
            let created =
                crate::audit::cli::token_created(&store, "token import", &request.name, created)
                    .await?
                    .with_context(|| format!("importing token {:?}", request.name))?;
            eprintln!(
                "Imported {} token {:?}{}: only its hash is stored.",
                created.view.role,
                request.name,
                described(&created.view)
            );
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { database } => {
            let store = open_store(&database.url).await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "{:<24} {:<8} {:<24} {:<20} {:<20} {:<20} REVOKED",
                "NAME", "ROLE", "TITLES", "CREATED", "LAST USED", "EXPIRES"
            )?;
            for token in tokens::list(&store).await? {
                writeln!(
                    stdout,
                    "{:<24} {:<8} {:<24} {:<20} {:<20} {:<20} {}",
                    token.name,
                    token.role.as_str(),
                    token
                        .titles
                        .as_ref()
                        .map_or_else(|| "(all)".to_owned(), |ids| ids.join(",")),
                    instant(Some(token.created_at)),
                    instant(token.last_used_at),
                    instant(token.expires_at),
                    instant(token.revoked_at),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { name, database } => {
            let store = open_store(&database.url).await?;
            let revoke = tokens::revoke(&store, name.get(), Clock::System.now());
            crate::audit::cli::token_revoked(&store, name.get(), revoke).await??;
            eprintln!("Revoked token {:?}.", name.get());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The token the flags ask for.
fn request(name: &TokenName, access: TokenAccessArgs) -> anyhow::Result<TokenRequest> {
    let name = name.get().trim().to_owned();
    check_token_name(&name).map_err(|why| anyhow::anyhow!("NAME: {why}"))?;
    Ok(TokenRequest {
        name,
        role: access.role,
        lifetime: access.expires_in,
        titles: access.titles,
    })
}

/// ", scoped to Firefox,Slack, expiring at …" for a new token's message.
fn described(token: &TokenView) -> String {
    let mut text = String::new();
    if let Some(titles) = &token.titles {
        text.push_str(&format!(", scoped to {}", titles.join(",")));
    }
    if let Some(at) = token.expires_at {
        text.push_str(&format!(", expiring at {}", instant(Some(at))));
    }
    text
}

/// An instant to the second (`2026-12-04T12:00:00Z`), or `-`.
fn instant(at: Option<Timestamp>) -> String {
    at.and_then(|at| at.round(jiff::Unit::Second).ok())
        .map_or_else(|| "-".to_owned(), |at| at.to_string())
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
        return Err("no secret on standard input (pipe it in: printf %s \"$SECRET\" | ringmaster token import --name NAME --role ROLE)".into());
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

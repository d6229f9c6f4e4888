//! Recording a CLI command's change: the actor is `cli` with the OS user, the action the
//! command (`ringmaster webhook add`), and the entry is written before the change, completed
//! after it, and deleted when the command's change was refused (as for the API).

use std::future::Future;

use anyhow::Context;
use ringmaster_store::audit::{AuditActor, NewAuditEntry};
use ringmaster_store::store::Store;
use serde::Serialize;

use crate::audit::summary::summarize_answer;
use crate::clock::Clock;
use crate::tokens::CreatedToken;

/// What a command's successful result says about its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It changed the object; the id when only the change made it known, and the summary after.
    Changed {
        object_id: Option<String>,
        after: Option<String>,
    },
    /// It changed nothing (a revoke of no live token): not recorded.
    Unchanged,
}

impl Outcome {
    /// A change summarized by a typed value.
    pub fn changed<T: Serialize>(object_id: Option<String>, after: &T) -> Outcome {
        Outcome::Changed {
            object_id,
            after: summarize_answer(after),
        }
    }
}

/// Runs `change` (the command's write) recorded as `ringmaster <command>` on `object` (kind,
/// id): the entry is written first (and the change not made when that fails), then completed
/// as `outcome` reads a success, or deleted when `change` fails or changed nothing. The
/// change's own result is returned as it was.
pub async fn recorded<T, E, F>(
    store: &Store,
    command: &str,
    object: (&'static str, Option<&str>),
    change: F,
    outcome: impl FnOnce(&T) -> Outcome,
) -> anyhow::Result<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    let (kind, id) = object;
    let entry = NewAuditEntry {
        occurred_at: Clock::System.now(),
        actor: AuditActor::Cli {
            os_user: super::os_user(),
        },
        client_address: None,
        action: format!("ringmaster {command}"),
        object_kind: Some(kind.to_owned()),
        object_id: id.map(str::to_owned),
        before: None,
    };
    let audit_id = store
        .begin_audit(&entry)
        .await
        .context("recording the change in the audit log (nothing was changed)")?;
    let result = change.await;
    let closed = match result.as_ref().map(outcome) {
        Ok(Outcome::Changed { object_id, after }) => {
            store
                .complete_audit(audit_id, None, object_id.as_deref(), after.as_deref())
                .await
        }
        Ok(Outcome::Unchanged) | Err(_) => store.discard_audit(audit_id).await,
    };
    if let Err(error) = closed {
        tracing::error!(%error, audit_id, "audit: the entry of this change stays pending");
    }
    Ok(result)
}

/// Titles written by an import, as its audit summary shows them.
#[derive(Debug, Serialize)]
pub struct TitlesWritten<'a> {
    pub created: &'a [String],
    pub replaced: &'a [String],
}

/// Records `change`, a token creation by `ringmaster <command>`; its summary is the token's
/// listing (name, role, scope, expiry), never its secret.
pub async fn token_created<E>(
    store: &Store,
    command: &str,
    name: &str,
    change: impl Future<Output = Result<CreatedToken, E>>,
) -> anyhow::Result<Result<CreatedToken, E>> {
    recorded(store, command, ("token", Some(name)), change, |created| {
        Outcome::changed(None, &created.view)
    })
    .await
}

/// Records `change`, the revocation of token `name` (an error, such as no live token of that
/// name, records nothing).
pub async fn token_revoked<E>(
    store: &Store,
    name: &str,
    change: impl Future<Output = Result<(), E>>,
) -> anyhow::Result<Result<(), E>> {
    recorded(store, "token revoke", ("token", Some(name)), change, |()| {
        Outcome::Changed {
            object_id: None,
            after: None,
        }
    })
    .await
}

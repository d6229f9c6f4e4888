//! PatchServer's webhooks: the operations shared by `/api/v1/webhooks` and `ringmaster webhook`,
//! and their delivery.
//!
//! A webhook is a URL POSTed a JSON event whenever a title is created (`new_title`), deleted
//! (`title_deleted`), changed (`title_updated`) or given a version (`new_version`). Events are
//! queued by the store in the title write's own transaction and sent by [`delivery`] in the
//! background, so a write never waits for a receiver and a crash loses no event.
//!
//! - [`delivery`]: the background task sending queued events, with retries.

pub mod delivery;

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::webhook::{MAX_WEBHOOKS, NewWebhook};
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::webhooks::{StoredWebhook, WebhookInsert};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The submitted webhook is refused (nothing was written).
    #[error("the submitted webhook is invalid")]
    Invalid(FieldErrors),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("an installation keeps at most {MAX_WEBHOOKS} webhooks; delete one first")]
    TooMany,
    #[error("webhook {0:?} does not exist")]
    NotFound(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WebhookError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => WebhookError::AlreadyExists(what),
            other => WebhookError::Store(other),
        }
    }
}

/// A webhook as `GET /api/v1/webhooks` lists it: PatchServer's keys, in its order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub enabled: bool,
    pub verify_ssl: bool,
    pub send_definition: bool,
}

impl WebhookView {
    pub fn of(stored: StoredWebhook) -> WebhookView {
        WebhookView {
            id: stored.id,
            url: stored.url,
            enabled: stored.enabled,
            verify_ssl: stored.verify_ssl,
            send_definition: stored.send_definition,
        }
    }
}

/// The answer to a create: the new webhook's id, as PatchServer answers it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct WebhookCreated {
    pub id: i64,
}

/// Every webhook, by id.
pub async fn list(store: &Store) -> Result<Vec<WebhookView>, WebhookError> {
    Ok(store
        .list_webhooks()
        .await?
        .into_iter()
        .map(WebhookView::of)
        .collect())
}

/// Creates a webhook from a request body (`{"url", "enabled"?, "verify_ssl"?,
/// "send_definition"?}`).
pub async fn add(
    store: &Store,
    body: &[u8],
    now: Timestamp,
) -> Result<WebhookCreated, WebhookError> {
    let hook = NewWebhook::parse(body).map_err(WebhookError::Invalid)?;
    // The client's own reading too, so that every stored URL is one it can send to.
    if let Err(error) = reqwest::Url::parse(hook.url.as_str()) {
        let mut errors = FieldErrors::new();
        errors.push("/url", format!("not a URL: {error}"));
        return Err(WebhookError::Invalid(errors));
    }
    match store.insert_webhook(&hook, now).await? {
        WebhookInsert::Created(id) => Ok(WebhookCreated { id }),
        WebhookInsert::TooMany => Err(WebhookError::TooMany),
    }
}

/// Deletes a webhook, and the events still queued for it.
pub async fn delete(store: &Store, id: &str) -> Result<(), WebhookError> {
    let not_found = || WebhookError::NotFound(id.to_owned());
    let number: i64 = id.parse().map_err(|_| not_found())?;
    if store.delete_webhook(number).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

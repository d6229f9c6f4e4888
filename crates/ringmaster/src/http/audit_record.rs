//! Recording every admin write in the audit log: a middleware on the admin routes, inside the
//! token check.
//!
//! For each `POST`, `PUT`, `PATCH` and `DELETE` it reads the object the route changes
//! ([`objects::object_of_route`]) and its view before (for objects with an id in the path),
//! writes the entry as `pending` (`Store::begin_audit`) and answers 500 without running the
//! handler when that fails, so that no change goes unrecorded. After the handler: a 2xx answer
//! completes the entry with the status and the summary after (the object's view read again, or
//! the answer's JSON body for creates and collections, of a token's answer only the keys that
//! are never its secret); any other answer (4xx, 5xx, a 412)
//! deletes it, since nothing changed. A process that stops between the change and the
//! completion leaves the entry `pending`: the change may or may not have committed, and the log
//! says it was attempted. Reads (`GET`, `HEAD`) are not recorded, nor are dry runs
//! ([`dry_run::skips_audit`]: `?dryRun=true` on a route that honours it, which writes nothing).
//!
//! The summaries before and after are separate reads around the change, not of its
//! transaction: a concurrent write to the same object in between can show up in them.

use axum::RequestExt;
use axum::body::Body;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use ringmaster_store::audit::{AuditActor, NewAuditEntry};
use ringmaster_store::tokens::ApiToken;
use serde_json::Value;

use crate::audit::objects::{self, AuditObject, Reader, Readers};
use crate::audit::summary::summarize;
use crate::http::AppState;
use crate::http::client_address::ClientAddress;
use crate::http::dry_run;
use crate::http::error::ApiError;

/// The largest answer body read for the summary after.
const MAX_ANSWER_BYTES: u64 = 256 * 1024;

/// The client's address, as the audit log records it. The one place that decides it.
pub fn client_address(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ClientAddress>()
        .map(|client| client.ip.to_string())
}

/// Records the request's change, as the module describes.
pub async fn record_changes(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(request).await);
    }
    let pattern = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    if dry_run::skips_audit(&method, &pattern, request.uri().query()) {
        return Ok(next.run(request).await);
    }
    let params: Vec<(String, String)> = match request.extract_parts::<RawPathParams>().await {
        Ok(params) => params
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let object = objects::object_of_route(&pattern, &params);
    let readers = Readers {
        patch_source: &state.patch_source,
        os_updates: &state.os_updates,
        store: &state.store,
    };
    let before = match &object.id {
        Some(id) => readers.summary(object.reader, id).await,
        None => None,
    };
    let actor = match request.extensions().get::<ApiToken>() {
        Some(token) => AuditActor::Token {
            id: token.id,
            name: token.name.clone(),
        },
        None => AuditActor::Token {
            id: 0,
            name: "unknown".to_owned(),
        },
    };
    let entry = NewAuditEntry {
        occurred_at: state.clock.now(),
        actor,
        client_address: client_address(&request),
        action: format!("{method} {pattern}"),
        object_kind: Some(object.kind.to_owned()),
        object_id: object.id.clone(),
        before,
    };
    let audit_id = state.store.begin_audit(&entry).await.map_err(|error| {
        ApiError::Internal(anyhow::Error::new(error).context("recording the change"))
    })?;
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_success() {
        if let Err(error) = state.store.discard_audit(audit_id).await {
            tracing::error!(%error, audit_id, "audit: a refused change's entry stays pending");
        }
        return Ok(response);
    }
    let (response, body) = answer_json(response).await;
    let (object_id, after) = after_change(&readers, &object, &method, body.as_ref()).await;
    if let Err(error) = state
        .store
        .complete_audit(
            audit_id,
            Some(status.as_u16()),
            object_id.as_deref(),
            after.as_deref(),
        )
        .await
    {
        tracing::error!(%error, audit_id, "audit: the entry of a change stays pending");
    }
    Ok(response)
}

/// The object's id when only the answer names it, and the summary after the change.
async fn after_change(
    readers: &Readers<'_>,
    object: &AuditObject,
    method: &Method,
    body: Option<&Value>,
) -> (Option<String>, Option<String>) {
    let answered_id = body
        .and_then(|body| body.get("id"))
        .and_then(|id| match id {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        });
    let id = object.id.clone().or(answered_id);
    let read = match (&id, method) {
        (_, &Method::DELETE) => None,
        (Some(id), _) => readers.summary(object.reader, id).await,
        (None, _) => None,
    };
    let after = read.or_else(|| match object.reader {
        Reader::TokenAnswer => body.map(|body| summarize(&only_token_keys(body))),
        _ => body.map(summarize),
    });
    let new_id = if object.id.is_none() { id } else { None };
    (new_id, after)
}

/// A token answer with only the keys a summary may keep ([`objects::TOKEN_KEYS`]).
fn only_token_keys(body: &Value) -> Value {
    match body {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(key, _)| objects::TOKEN_KEYS.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(only_token_keys).collect()),
        _ => Value::Null,
    }
}

/// The response, rebuilt, and its body as JSON when it is JSON of a known, bounded size.
async fn answer_json(response: Response) -> (Response, Option<Value>) {
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|size| size <= MAX_ANSWER_BYTES);
    if !small {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_ANSWER_BYTES as usize).await {
        Ok(bytes) => {
            let json = serde_json::from_slice::<Value>(&bytes).ok();
            (Response::from_parts(parts, Body::from(bytes)), json)
        }
        Err(error) => (
            ApiError::Internal(anyhow::anyhow!("reading the answer: {error}")).into_response(),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answer_keeps_no_secret_under_any_key() {
        let answer = serde_json::json!({
            "id": 4, "name": "autopkg", "role": "manager", "value": "rm_secret", "plain": "x"
        });
        let kept = only_token_keys(&answer);
        assert_eq!(
            kept,
            serde_json::json!({"id": 4, "name": "autopkg", "role": "manager"})
        );
    }
}

//! PatchServer's webhook API, under `/api/v1/webhooks` (behind the admin token).
//!
//! `GET /webhooks` lists them (`[{"id", "url", "enabled", "verify_ssl", "send_definition"}]`);
//! `POST /webhooks` creates one from `{"url", "enabled"?, "verify_ssl"?, "send_definition"?}`
//! (201 `{"id"}`; 400 naming the field, 409 for a URL already there); `DELETE /webhooks/{id}`
//! deletes one (204; 404). Paths, keys and status codes are PatchServer's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::webhooks;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", delete(delete_webhook))
}

async fn list_webhooks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let hooks = webhooks::list(&state.store).await?;
    Ok(PrettyJson(hooks).into_response())
}

async fn create_webhook(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let created = webhooks::add(&state.store, &body, state.clock.now()).await?;
    Ok((StatusCode::CREATED, PrettyJson(created)).into_response())
}

async fn delete_webhook(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(&state.store, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The admin web app under `/ui/`: server-rendered pages over the admin API.
//!
//! - [`session`]: signing in with an admin token (a session cookie, stored server-side so a
//!   cluster shares it), signing out, and the session every page needs.
//! - [`form`]: every form's fields, bounded, and its CSRF check.
//! - [`preview`]: every form's change previewed (the API's dry run) before it is confirmed.
//! - [`api`]: the one way pages read and change anything: an in-process request to the admin
//!   API as the session's token, so roles, validation, services and the audit log are the API's.
//! - [`layout`]: the page shell, navigation, stylesheet and headers.
//! - the pages: [`overview`], [`titles`], [`catalog`], [`policies`], [`rings`], [`devices`],
//!   [`compliance`], [`admin`] (audit log, tokens).
//!
//! Architecture invariant: the web app decides nothing the API decides. A page shows an edit
//! control only when [`api::Ui::can`] (the route table and `Access::permits`) says the API
//! would accept it, and every change is an API request, so a crafted form from a read-only
//! session is refused by the API (403) exactly as a request with its token would be.

pub mod admin;
pub mod api;
pub mod catalog;
pub mod compliance;
pub mod devices;
pub mod form;
pub mod layout;
pub mod overview;
pub mod policies;
pub mod policy_form;
pub mod preview;
pub mod rings;
pub mod rollout_control;
pub mod session;
pub mod titles;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};

use crate::http::AppState;
use crate::ui::api::InternalApi;

/// The web app's routes, given the admin API to call.
pub fn router(state: &AppState, api: InternalApi) -> Router<AppState> {
    let pages = Router::new()
        .route("/ui/", get(overview::page))
        .route("/ui/sign-out", post(session::sign_out))
        .merge(titles::router())
        .merge(catalog::router())
        .merge(policies::router())
        .merge(rings::router())
        .merge(rollout_control::router())
        .merge(devices::router())
        .merge(compliance::router())
        .merge(admin::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ));
    Router::new()
        .merge(pages)
        .route(
            "/ui",
            get(|| async { axum::response::Redirect::to("/ui/") }),
        )
        .route("/ui/style.css", get(layout::stylesheet))
        .route(
            "/ui/sign-in",
            get(session::sign_in_page)
                .post(session::sign_in)
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::http::rate_limit::guard_auth_failures,
                )),
        )
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(Extension(api))
}

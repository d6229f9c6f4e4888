//! The HTTP edge: one router for Jamf Pro's read routes, the admin API and health.
//!
//! - [`jamf_feed`]: `/v1/…` and `/jamf/v1/…`, served from the feed cache.
//! - [`admin_titles`], [`backup`]: `/api/v1/…` for titles, behind [`auth`].
//! - [`webhooks`]: `/api/v1/webhooks`, PatchServer's webhooks, behind [`auth`].
//! - [`audit`]: `/api/v1/audit`, the audit log, behind [`auth`]; [`audit_record`] records
//!   every admin write in it (inside [`auth`], so it knows the token).
//! - [`catalog`], [`policies`], [`devices`]: `/api/v1/…` for OS updates, behind [`auth`];
//!   [`os_query`] reads their shared parameters, [`conditional`] does `ETag`/`If-Match`.
//! - [`auth`]: every admin request's token, role and scope, checked against [`roles`], the one
//!   table of admin routes and the role each needs; [`tokens`]: `/api/v1/tokens`.
//! - [`upload`]: body extractors with content-type and size checks.
//! - [`extract`]: query, path and raw-body extractors whose rejections are [`error::ApiError`]s.
//! - [`error`]: [`error::ApiError`], the one error type answered as JSON.
//! - [`pretty_json`]: [`pretty_json::PrettyJson`], the one JSON answer type (pretty-printed, as
//!   PatchServer answered): every admin answer and every error goes through it.
//! - [`ddm`]: the DDM check-in endpoints devices reach through their MDM (under `--ddm-prefix`);
//!   [`ddm_auth`] checks their secret before a body is read ([`bearer`] reads the
//!   `Authorization` header for it and for [`auth`]), [`checkin_plist`] reads Apple's
//!   check-in plist within limits.
//! - [`health`]: the `/healthz` route; [`home`]: `GET /`, a small HTML page (`<title>Patch Server</title>`)
//!   linking to the web app ([`crate::ui`], under `/ui/`).
//! - [`path_normalize`]: repeated slashes in a path read as one, before any route is matched.
//! - [`client_address`]: the [`client_address::ClientAddress`] extension of every request (the
//!   peer, or what a `--trusted-proxy` forwarded), in the request span as `client`.
//! - [`rate_limit`]: failed authentication per client address (outside [`auth`], [`ddm_auth`]
//!   and [`feed_auth`]) and `--admin-rate-limit` per token (after [`auth`]), answered 429.
//! - [`feed_auth`]: `--feed-auth basic|bearer` on the Jamf read routes.
//!
//! Architecture invariant: handlers are thin; they parse input into domain types, call the patch
//! source service, and shape the answer. No SQL here.

pub mod admin_titles;
pub mod audit;
pub mod audit_record;
pub mod auth;
pub mod backup;
pub mod bearer;
pub mod catalog;
pub mod checkin_plist;
pub mod client_address;
pub mod conditional;
pub mod ddm;
pub mod ddm_auth;
pub mod devices;
pub mod dry_run;
pub mod error;
pub mod exemptions;
pub mod extract;
pub mod feed_auth;
pub mod health;
pub mod home;
pub mod jamf_feed;
pub mod os_query;
pub mod path_normalize;
pub mod pauses;
pub mod policies;
pub mod pretty_json;
pub mod rate_limit;
pub mod roles;
pub mod tokens;
pub mod upload;
pub mod webhooks;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::routing::get;
use axum::{Extension, Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use ringmaster_store::store::Store;

use crate::clock::Clock;
use crate::connections::ConnectionLimits;
use crate::http::error::ApiError;
use crate::http::upload::BodyLimit;
use crate::os_updates::service::OsUpdates;
use crate::patch_source::service::PatchSource;

/// The default prefix of the DDM check-in endpoints.
pub const DEFAULT_DDM_PREFIX: &str = "/ddm/";

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub max_body_bytes: usize,
    pub max_restore_bytes: usize,
    /// Where the DDM check-in endpoints live, such as `/ddm/`.
    pub ddm_prefix: String,
    /// The secret DDM check-ins must carry (bearer or HMAC); `None` leaves them open.
    pub ddm_secret: Option<String>,
    /// Timeouts and the connection cap ([`crate::connections`]).
    pub connections: ConnectionLimits,
    /// Start without a DDM secret, the check-ins open to anyone (`--ddm-open`); without it and
    /// without a secret the server refuses to start.
    pub ddm_open: bool,
    /// HTTPS on the listen address (`--tls-cert`, `--tls-key`); plain HTTP when `None`.
    pub tls: Option<crate::tls::TlsConfig>,
    /// Whose `X-Forwarded-For`/`-Proto` is believed (`--trusted-proxy`).
    pub trusted_proxies: client_address::TrustedProxies,
    /// Failed authentications allowed per client address (`--auth-failure-limit`).
    pub auth_failure_limit: rate_limit::Rate,
    /// Admin API requests allowed per token (`--admin-rate-limit`); unlimited when `None`.
    pub admin_rate_limit: Option<rate_limit::Rate>,
    /// Credentials required on the Jamf read routes (`--feed-auth`); open when `None`.
    pub feed_auth: Option<feed_auth::FeedAuth>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 8 * 1024 * 1024,
            max_restore_bytes: 512 * 1024 * 1024,
            ddm_prefix: DEFAULT_DDM_PREFIX.to_owned(),
            ddm_secret: None,
            connections: ConnectionLimits::default(),
            ddm_open: false,
            tls: None,
            trusted_proxies: client_address::TrustedProxies::default(),
            auth_failure_limit: rate_limit::DEFAULT_AUTH_FAILURE_LIMIT,
            admin_rate_limit: None,
            feed_auth: None,
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database every service writes to; handlers that need it alone (health, tokens,
    /// webhooks, restore) reach it here.
    pub store: Store,
    pub patch_source: PatchSource,
    pub os_updates: OsUpdates,
    pub config: HttpConfig,
    /// The one clock every handler reads "now" from (a manual one in tests).
    pub clock: Clock,
    /// The rate limiters ([`rate_limit`]), shared by every request.
    pub limiters: std::sync::Arc<rate_limit::Limiters>,
    /// Tokens the Jamf read routes verified recently ([`feed_auth`]).
    pub feed_tokens: feed_auth::VerifiedTokens,
    /// Admin tokens in memory ([`crate::token_cache`]), refreshed with the snapshots.
    pub admin_tokens: crate::token_cache::TokenCache,
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let json_limit = state.config.max_body_bytes;
    let restore_limit = state.config.max_restore_bytes;
    let admin = Router::new()
        .merge(admin_titles::router())
        .merge(backup::router())
        .merge(catalog::router())
        .merge(policies::router())
        .merge(devices::router())
        .merge(exemptions::router())
        .merge(pauses::router())
        .merge(webhooks::router())
        .merge(tokens::router())
        .merge(audit::router())
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(Extension(BodyLimit(json_limit)))
        .merge(
            backup::restore_router()
                .layer(DefaultBodyLimit::max(restore_limit))
                .layer(Extension(BodyLimit(restore_limit))),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            audit_record::record_changes,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_per_token,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::guard_auth_failures,
        ));
    // The web app calls the admin API in process, through this same stack (crate::ui::api).
    let internal_api = crate::ui::api::InternalApi(
        Router::new()
            .nest("/api/v1", admin.clone())
            .fallback(not_found)
            .with_state(state.clone()),
    );
    let ddm_prefix = format!("/{}", state.config.ddm_prefix.trim_matches('/'));
    let check_ins = if ddm_prefix == "/" {
        ddm::router()
    } else {
        Router::new().nest(&ddm_prefix, ddm::router())
    };
    let device_side =
        check_ins
            .merge(ddm::raw_check_in_router())
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                ddm_auth::require_ddm_secret,
            ));
    // Open check-ins (`--ddm-open`) never fail authentication: no failure counting then.
    let device_side = if state.config.ddm_secret.is_some() {
        device_side.route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::guard_auth_failures,
        ))
    } else {
        device_side
    };
    let device_side = device_side
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(Extension(BodyLimit(json_limit)));
    let routes = Router::new()
        .route("/", get(home::get_home))
        .merge(device_side)
        .merge(feed_routes(&state))
        .nest("/api/v1", admin)
        .merge(crate::ui::router(&state, internal_api))
        .route("/healthz", get(health::get_health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let client = request
                    .extensions()
                    .get::<client_address::ClientAddress>()
                    .map(|client| client.ip);
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    client = client.map(tracing::field::display),
                    token = tracing::field::Empty,
                )
            }),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            client_address::set_client_address,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::Internal(anyhow::anyhow!(
                "a handler panicked"
            )))
        }))
        .with_state(state);
    // Outside the routes, so the path is normalized before a route is chosen (a layer on the
    // router itself would run after routing).
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .map_request(path_normalize::collapse_repeated_slashes)
            .service(routes),
    )
}

/// The Jamf read routes; behind [`feed_auth`] (and the failure limit) only with `--feed-auth`,
/// so the open feed's read path takes no lock.
fn feed_routes(state: &AppState) -> Router<AppState> {
    let routes = jamf_feed::routes("/v1").merge(jamf_feed::routes("/jamf/v1"));
    if state.config.feed_auth.is_none() {
        return routes;
    }
    routes
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            feed_auth::require_feed_credentials,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::guard_auth_failures,
        ))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on this path"))
}

//! `?dryRun=true` on the admin writes that change what devices are served: the extractor, the
//! table of routes that honour it, and the answer.
//!
//! [`DryRun`] reads `dryRun` from the query: `true` or `false` (absent is `false`); any other
//! value, or the parameter given twice, is a 400 naming `dryRun`. A dry run also reads `?at=`,
//! as `?at=` means everywhere else: today's configuration, before and after the change, both
//! evaluated at that instant (the clock's "now" when absent; not an RFC 3339 instant, or given
//! twice, is a 400 naming `at`); the change itself is still the one the write would make now. A
//! handler given `DryRun(Some(at))` calls the service's preview of the same change (its checks
//! and errors are the real write's) and answers a [`PreviewView`] with 200, writing nothing; a
//! write without `dryRun=true` ignores `at`.
//!
//! [`DRY_RUN_ROUTES`] is the one list of routes that honour it. The audit middleware
//! ([`super::audit_record`]) records nothing for a request that [`skips_audit`]: a listed route
//! asked for a dry run. A route not listed records as ever, whatever its query says, so a write
//! can never go unrecorded by adding `?dryRun=true` to a route that ignores it.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use jiff::Timestamp;
use ringmaster_domain::policy::parse::Warning;
use ringmaster_domain::preview::ChangePreview;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::os_query::AtQuery;
use crate::http::pretty_json::PrettyJson;
use crate::os_updates::preview::PreviewView;
use crate::os_updates::views::WarningView;

/// The query parameter's name.
pub const PARAMETER: &str = "dryRun";

/// Every admin route that honours `?dryRun=true`: method and path pattern, as `MatchedPath`
/// gives it.
pub const DRY_RUN_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/policies"),
    (Method::PUT, "/api/v1/policies/{id}"),
    (Method::DELETE, "/api/v1/policies/{id}"),
    (Method::PUT, "/api/v1/policies/{id}/bindings"),
    (Method::PUT, "/api/v1/policy-groups/{id}/bindings"),
    (Method::POST, "/api/v1/catalog/import"),
    (Method::DELETE, "/api/v1/catalog/{platform}/{version}"),
    (Method::POST, "/api/v1/catalog/{platform}/{version}/block"),
    (Method::POST, "/api/v1/catalog/{platform}/{version}/unblock"),
    (Method::POST, "/api/v1/devices/{id}/exemptions"),
    (
        Method::DELETE,
        "/api/v1/devices/{id}/exemptions/{exemption}",
    ),
    (Method::POST, "/api/v1/device-groups"),
    (Method::PUT, "/api/v1/device-groups/{id}"),
    (Method::DELETE, "/api/v1/device-groups/{id}"),
    (Method::POST, "/api/v1/policy-groups/{id}/pause"),
    (Method::POST, "/api/v1/policy-groups/{id}/resume"),
    (Method::POST, "/api/v1/policies/{id}/pause"),
    (Method::POST, "/api/v1/policies/{id}/resume"),
    (Method::PUT, "/api/v1/policy-groups/{id}/gate"),
    (Method::DELETE, "/api/v1/policy-groups/{id}/gate"),
];

/// Whether the request asked for a dry run, and if so the instant it is evaluated at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DryRun(pub Option<Timestamp>);

impl FromRequestParts<AppState> for DryRun {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query();
        if !dry_run_of(query)? {
            return Ok(DryRun(None));
        }
        at_of(query, state.clock.now()).map(|at| DryRun(Some(at)))
    }
}

/// `at` of a dry run's query: an RFC 3339 instant, or `now` when absent.
pub fn at_of(query: Option<&str>, now: Timestamp) -> Result<Timestamp, ApiError> {
    let mut values = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "at")
        .map(|(_, value)| value.into_owned());
    let at = values.next();
    if values.next().is_some() {
        return Err(ApiError::invalid_parameter(
            "at",
            "given more than once; give one RFC 3339 instant",
        ));
    }
    AtQuery { at }.instant(now)
}

/// `dryRun` of a query string: `true`, `false`, or absent (`false`).
pub fn dry_run_of(query: Option<&str>) -> Result<bool, ApiError> {
    let mut values = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == PARAMETER)
        .map(|(_, value)| value.into_owned());
    let Some(value) = values.next() else {
        return Ok(false);
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_parameter(
            PARAMETER,
            "given more than once; give it once, true or false",
        ));
    }
    match value.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid_parameter(
            PARAMETER,
            format!("{value:?} is not a valid value: expected true or false"),
        )),
    }
}

/// A request the audit log does not record: a route of [`DRY_RUN_ROUTES`] asked for a dry run.
pub fn skips_audit(method: &Method, pattern: &str, query: Option<&str>) -> bool {
    DRY_RUN_ROUTES
        .iter()
        .any(|(route_method, route)| route_method == method && *route == pattern)
        && dry_run_of(query).unwrap_or(false)
}

/// The answer to a dry run.
pub fn preview_answer(preview: &ChangePreview, warnings: &[Warning]) -> PrettyJson<PreviewView> {
    PrettyJson(PreviewView::of(
        preview,
        warnings
            .iter()
            .map(|warning| WarningView {
                pointer: warning.pointer.clone(),
                message: warning.message.clone(),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_true_and_false_are_values() {
        assert!(!dry_run_of(None).unwrap());
        assert!(!dry_run_of(Some("at=2026-01-01T00:00:00Z")).unwrap());
        assert!(dry_run_of(Some("dryRun=true")).unwrap());
        assert!(!dry_run_of(Some("dryRun=false")).unwrap());
        for bad in [
            "dryRun=yes",
            "dryRun=",
            "dryRun=TRUE",
            "dryRun=true&dryRun=true",
        ] {
            assert!(dry_run_of(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_dry_run_is_evaluated_at_its_at_or_now() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(at_of(Some("dryRun=true"), now).unwrap(), now);
        let at = at_of(Some("dryRun=true&at=2026-03-01T09:00:00Z"), now).unwrap();
        assert_eq!(at, "2026-03-01T09:00:00Z".parse::<Timestamp>().unwrap());
        for bad in [
            "at=soon",
            "at=",
            "at=2026-03-01",
            "at=2026-03-01T09:00:00Z&at=x",
        ] {
            assert!(at_of(Some(bad), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_dry_run_route_is_an_admin_write_of_the_route_table() {
        for (method, path) in DRY_RUN_ROUTES {
            let listed = crate::http::roles::ADMIN_ROUTES.iter().any(|route| {
                route.verb.method() == *method
                    && route.path == *path
                    && route.verb.method() != Method::GET
            });
            assert!(
                listed,
                "{method} {path} is not an admin write of ADMIN_ROUTES"
            );
        }
    }

    #[test]
    fn only_a_listed_route_skips_the_audit_log() {
        let policies = "/api/v1/policies";
        assert!(skips_audit(&Method::POST, policies, Some("dryRun=true")));
        assert!(!skips_audit(&Method::POST, policies, Some("dryRun=false")));
        assert!(!skips_audit(&Method::POST, policies, Some("dryRun=maybe")));
        assert!(!skips_audit(
            &Method::POST,
            "/api/v1/tokens",
            Some("dryRun=true")
        ));
        assert!(!skips_audit(&Method::GET, policies, Some("dryRun=true")));
    }
}

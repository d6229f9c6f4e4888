//! The one table of who may use which admin route: [`ADMIN_ROUTES`], read by [`super::auth`]
//! for every request under `/api/v1`.
//!
//! Every admin route has one row: its method, its path pattern (as the router matches it), the
//! lowest [`Role`] that may use it, and whether it is about one title (then its `{id}` is the
//! title a scoped token must hold). A route the router has and the table lacks is refused to
//! every token (403, and an error in the log): a new route without a role cannot be used, and
//! the role matrix test (`tests/api/roles.rs`) walks this table with each role and checks that
//! it names exactly the router's routes.
//!
//! The rule: every read is `readOnly`, except the three that show secrets or who holds access
//! (`GET /backup` holds token hashes, `GET /webhooks` URLs that may embed credentials,
//! `GET /tokens`), which are `admin`; changes to titles, the OS-update side and legacy mechanisms
//! are `manager`; tokens, webhooks, backup and restore are `admin`.

use axum::http::Method;
use ringmaster_domain::access::Role;

/// The methods admin routes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    /// The verb a request's method is checked as (`HEAD` as `GET`, which answers it).
    pub fn of(method: &Method) -> Option<Verb> {
        match *method {
            Method::GET | Method::HEAD => Some(Verb::Get),
            Method::POST => Some(Verb::Post),
            Method::PUT => Some(Verb::Put),
            Method::DELETE => Some(Verb::Delete),
            _ => None,
        }
    }

    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// Whether a route is about one title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// The path's `{id}` is a title id: a scoped token may use the route for its titles.
    Title,
    /// Anything else: refused to every scoped token.
    Other,
}

/// One admin route and who may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRole {
    pub verb: Verb,
    /// The full path pattern, as `MatchedPath` gives it (`/api/v1/title/{id}`).
    pub path: &'static str,
    pub role: Role,
    pub about: About,
}

const fn route(verb: Verb, path: &'static str, role: Role, about: About) -> RouteRole {
    RouteRole {
        verb,
        path,
        role,
        about,
    }
}

use About::{Other, Title};
use Role::{Admin, Manager, ReadOnly};
use Verb::{Delete, Get, Post, Put};

/// Every admin route and the lowest role that may use it.
pub const ADMIN_ROUTES: &[RouteRole] = &[
    // Titles and versions.
    route(Get, "/api/v1/title", ReadOnly, Other),
    route(Post, "/api/v1/title", Manager, Other),
    route(Get, "/api/v1/title/{id}", ReadOnly, Title),
    route(Put, "/api/v1/title/{id}", Manager, Title),
    route(Delete, "/api/v1/title/{id}", Manager, Title),
    route(Post, "/api/v1/title/{id}/enable", Manager, Title),
    route(Post, "/api/v1/title/{id}/disable", Manager, Title),
    route(Put, "/api/v1/title/{id}/current-version", Manager, Title),
    route(Delete, "/api/v1/title/{id}/current-version", Manager, Title),
    route(Post, "/api/v1/title/{id}/version", Manager, Title),
    route(Get, "/api/v1/title/{id}/version/{version}", ReadOnly, Title),
    route(
        Delete,
        "/api/v1/title/{id}/version/{version}",
        Manager,
        Title,
    ),
    route(
        Post,
        "/api/v1/title/{id}/version/{version}/enable",
        Manager,
        Title,
    ),
    route(
        Post,
        "/api/v1/title/{id}/version/{version}/disable",
        Manager,
        Title,
    ),
    // The OS release catalog.
    route(Post, "/api/v1/catalog/import", Manager, Other),
    route(Get, "/api/v1/catalog/{platform}", ReadOnly, Other),
    route(
        Delete,
        "/api/v1/catalog/{platform}/{version}",
        Manager,
        Other,
    ),
    route(
        Post,
        "/api/v1/catalog/{platform}/{version}/block",
        Manager,
        Other,
    ),
    route(
        Post,
        "/api/v1/catalog/{platform}/{version}/unblock",
        Manager,
        Other,
    ),
    // Update policies, policy groups and their bindings.
    route(Get, "/api/v1/policies", ReadOnly, Other),
    route(Post, "/api/v1/policies", Manager, Other),
    route(Get, "/api/v1/policies/{id}", ReadOnly, Other),
    route(Put, "/api/v1/policies/{id}", Manager, Other),
    route(Delete, "/api/v1/policies/{id}", Manager, Other),
    route(Get, "/api/v1/policies/{id}/bindings", ReadOnly, Other),
    route(Put, "/api/v1/policies/{id}/bindings", Manager, Other),
    route(Get, "/api/v1/policies/{id}/plan", ReadOnly, Other),
    route(Get, "/api/v1/policies/{id}/compliance", ReadOnly, Other),
    route(Post, "/api/v1/policies/{id}/pause", Manager, Other),
    route(Post, "/api/v1/policies/{id}/resume", Manager, Other),
    route(Get, "/api/v1/policy-groups/compliance", ReadOnly, Other),
    route(Get, "/api/v1/policy-groups", ReadOnly, Other),
    route(Post, "/api/v1/policy-groups/defaults", Manager, Other),
    route(Get, "/api/v1/policy-groups/plan", ReadOnly, Other),
    route(Get, "/api/v1/policy-groups/{id}", ReadOnly, Other),
    route(Get, "/api/v1/policy-groups/{id}/bindings", ReadOnly, Other),
    route(Put, "/api/v1/policy-groups/{id}/bindings", Manager, Other),
    route(Post, "/api/v1/policy-groups/{id}/pause", Manager, Other),
    route(Put, "/api/v1/policy-groups/{id}/gate", Manager, Other),
    route(Delete, "/api/v1/policy-groups/{id}/gate", Manager, Other),
    route(Post, "/api/v1/policy-groups/gates/evaluate", Manager, Other),
    route(Get, "/api/v1/policy-groups/halts", ReadOnly, Other),
    route(Get, "/api/v1/notifier", ReadOnly, Other),
    route(Post, "/api/v1/policy-groups/{id}/resume", Manager, Other),
    // Devices, their legacy mechanisms, device groups.
    route(Get, "/api/v1/devices", ReadOnly, Other),
    route(Post, "/api/v1/devices", Manager, Other),
    route(Get, "/api/v1/devices/{id}", ReadOnly, Other),
    route(Delete, "/api/v1/devices/{id}", Manager, Other),
    route(
        Get,
        "/api/v1/devices/{id}/effective-policy",
        ReadOnly,
        Other,
    ),
    route(Get, "/api/v1/devices/{id}/declarations", ReadOnly, Other),
    route(Get, "/api/v1/devices/{id}/status", ReadOnly, Other),
    route(Get, "/api/v1/devices/{id}/exemptions", ReadOnly, Other),
    route(Post, "/api/v1/devices/{id}/exemptions", Manager, Other),
    route(
        Delete,
        "/api/v1/devices/{id}/exemptions/{exemption}",
        Manager,
        Other,
    ),
    route(
        Get,
        "/api/v1/devices/{id}/legacy-mechanisms",
        ReadOnly,
        Other,
    ),
    route(
        Post,
        "/api/v1/devices/{id}/legacy-mechanisms",
        Manager,
        Other,
    ),
    route(
        Delete,
        "/api/v1/devices/{id}/legacy-mechanisms/{kind}/{name}",
        Manager,
        Other,
    ),
    route(Get, "/api/v1/device-groups", ReadOnly, Other),
    route(Post, "/api/v1/device-groups", Manager, Other),
    route(Get, "/api/v1/device-groups/{id}", ReadOnly, Other),
    route(Put, "/api/v1/device-groups/{id}", Manager, Other),
    route(Delete, "/api/v1/device-groups/{id}", Manager, Other),
    // Administration: the audit log, webhooks, tokens, backup and restore.
    route(Get, "/api/v1/audit", Admin, Other),
    route(Get, "/api/v1/webhooks", Admin, Other),
    route(Post, "/api/v1/webhooks", Admin, Other),
    route(Delete, "/api/v1/webhooks/{id}", Admin, Other),
    route(Get, "/api/v1/tokens", Admin, Other),
    route(Post, "/api/v1/tokens", Admin, Other),
    route(Delete, "/api/v1/tokens/{name}", Admin, Other),
    route(Get, "/api/v1/backup", Admin, Other),
    route(Post, "/api/v1/restore", Admin, Other),
];

/// The table's row for a request's method and matched path, if it has one.
pub fn route_role(method: &Method, path: &str) -> Option<&'static RouteRole> {
    let verb = Verb::of(method)?;
    ADMIN_ROUTES
        .iter()
        .find(|route| route.verb == verb && route.path == path)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn each_route_has_one_row() {
        let mut seen = BTreeSet::new();
        for route in ADMIN_ROUTES {
            assert!(
                seen.insert((route.path, route.verb.method().to_string())),
                "{:?} {} twice",
                route.verb,
                route.path
            );
        }
    }

    #[test]
    fn reads_are_read_only_except_those_showing_secrets_and_title_routes_name_an_id() {
        let secret_reads = [
            "/api/v1/audit",
            "/api/v1/backup",
            "/api/v1/webhooks",
            "/api/v1/tokens",
        ];
        for route in ADMIN_ROUTES {
            if route.verb == Verb::Get {
                let expected = if secret_reads.contains(&route.path) {
                    Role::Admin
                } else {
                    Role::ReadOnly
                };
                assert_eq!(route.role, expected, "{}", route.path);
            } else {
                assert_ne!(route.role, Role::ReadOnly, "{}", route.path);
            }
            if route.about == About::Title {
                assert!(
                    route.path.starts_with("/api/v1/title/{id}"),
                    "{}",
                    route.path
                );
            }
        }
        assert_eq!(
            route_role(&Method::HEAD, "/api/v1/title").map(|route| route.role),
            Some(Role::ReadOnly)
        );
        assert_eq!(route_role(&Method::PATCH, "/api/v1/title"), None);
    }
}

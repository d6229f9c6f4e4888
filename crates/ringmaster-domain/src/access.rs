//! Who may do what on the admin API: roles, a token's scope to title ids, its lifetime, and the
//! one decision [`Access::permits`] the HTTP edge asks for every admin request.
//!
//! - [`Role`]: `readOnly` < `manager` < `admin`, each including the one before.
//! - [`TitleScope`]: the title ids a scoped token may act on (none: every title and every route).
//! - [`parse_lifetime`]: `90d`, `12h` (what `--expires-in` and `expiresIn` take), bounded.
//! - [`request`]: the body of `POST /api/v1/tokens`.
//!
//! A scoped token may use only the routes about one title (`/api/v1/title/{id}…`) whose title is
//! in its scope, reading included; every other route, the title list and title creation among
//! them, is refused. It is meant for a packaging tool (AutoPkg adding versions to `Firefox`),
//! which needs nothing else.

pub mod request;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

use crate::title::id::SoftwareTitleId;

/// What a token may do. Ordered: a higher role includes every lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Every read of the admin API (except the few that show secrets; see the route table).
    ReadOnly,
    /// Also titles and versions, policies, policy groups, bindings, devices, device groups,
    /// catalog import and delete, legacy mechanisms.
    Manager,
    /// Also tokens, webhooks, backup and restore.
    Admin,
}

/// The roles, lowest first.
pub const ROLES: [Role; 3] = [Role::ReadOnly, Role::Manager, Role::Admin];

impl Role {
    /// The role's name on the wire, in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "readOnly",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn includes(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of [`ROLES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {given:?}; the roles are readOnly, manager and admin")]
pub struct UnknownRole {
    /// What was given, cut to 64 characters.
    pub given: String,
}

impl FromStr for Role {
    type Err = UnknownRole;

    /// Exactly `readOnly`, `manager` or `admin` (case matters, as on the wire).
    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        ROLES
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole {
                given: text.chars().take(64).collect(),
            })
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The most title ids one token's scope may name.
pub const MAX_SCOPE_TITLES: usize = 100;

/// The title ids a scoped token may act on: at least one, at most [`MAX_SCOPE_TITLES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleScope(BTreeSet<SoftwareTitleId>);

impl TitleScope {
    /// A scope of `ids` (duplicates merged); the error names the first bad id.
    pub fn parse<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<TitleScope, String> {
        let mut titles = BTreeSet::new();
        for id in ids {
            if titles.len() >= MAX_SCOPE_TITLES {
                return Err(format!(
                    "a token may be scoped to at most {MAX_SCOPE_TITLES} titles"
                ));
            }
            titles.insert(SoftwareTitleId::parse_stored(id.trim())?);
        }
        if titles.is_empty() {
            return Err("a scope names at least one title id".into());
        }
        Ok(TitleScope(titles))
    }

    /// A scope from its stored form, title ids joined by commas (title ids hold no comma).
    pub fn from_stored(text: &str) -> Result<TitleScope, String> {
        TitleScope::parse(text.split(','))
    }

    /// The stored form: the ids in order, joined by commas.
    pub fn to_stored(&self) -> String {
        self.ids().collect::<Vec<_>>().join(",")
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(SoftwareTitleId::as_str)
    }

    /// Whether `title` is in the scope.
    pub fn contains(&self, title: &str) -> bool {
        self.0.iter().any(|id| id.as_str() == title)
    }
}

/// The shortest lifetime a token may be given.
pub const MIN_LIFETIME: SignedDuration = SignedDuration::from_hours(1);
/// The longest lifetime a token may be given (ten years of 24-hour days).
pub const MAX_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 3650);

/// A token's lifetime such as `90d`, `36h` or `1d 12h` (jiff's friendly format, in days and
/// hours, days of 24 hours), from [`MIN_LIFETIME`] to [`MAX_LIFETIME`]; the error says why not.
pub fn parse_lifetime(text: &str) -> Result<SignedDuration, String> {
    let text = text.trim();
    if text.len() > 64 {
        return Err("a lifetime is at most 64 characters, such as 90d or 12h".into());
    }
    let span: Span = text.parse().map_err(|_| {
        format!("{text:?} is not a lifetime; write days or hours, such as 90d or 12h")
    })?;
    if span.get_years() != 0
        || span.get_months() != 0
        || span.get_weeks() != 0
        || span.get_minutes() != 0
        || span.get_seconds() != 0
        || span.get_milliseconds() != 0
        || span.get_microseconds() != 0
        || span.get_nanoseconds() != 0
    {
        return Err(format!(
            "{text:?}: a lifetime is given in days and hours only, such as 90d or 12h"
        ));
    }
    let lifetime = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| format!("{text:?} is too long a lifetime"))?;
    if lifetime < MIN_LIFETIME {
        return Err(format!("{text:?}: a token lives at least one hour"));
    }
    if lifetime > MAX_LIFETIME {
        return Err(format!("{text:?}: a token lives at most 3650 days"));
    }
    Ok(lifetime)
}

/// The instant a token expired, if it has expired by `now` (the one expiry rule: a token is
/// refused from its `expires_at` on).
pub fn expired(expires_at: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
    expires_at.filter(|at| now >= *at)
}

/// What a token brings to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    pub role: Role,
    /// `None`: every title and every route its role allows.
    pub scope: Option<&'a TitleScope>,
    pub expires_at: Option<Timestamp>,
}

/// Why [`Access::permits`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The token expired at this instant (answered like no token: 401).
    #[error("the token expired at {0}")]
    Expired(Timestamp),
    #[error("this route needs the {needed} role; the token has {held}")]
    RoleTooLow { needed: Role, held: Role },
    #[error("the token is scoped to titles ({scope}) and may use only their routes")]
    NotATitleRoute { scope: String },
    #[error("the token is scoped to titles ({scope}), not to {title:?}")]
    OutOfScope { scope: String, title: String },
}

impl Access<'_> {
    /// Whether a request at `now` to a route needing `needed`, about `title` (the route's title
    /// id, `None` for a route not about one title), may go on.
    pub fn permits(
        &self,
        needed: Role,
        title: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Refusal> {
        if let Some(expires_at) = expired(self.expires_at, now) {
            return Err(Refusal::Expired(expires_at));
        }
        if !self.role.includes(needed) {
            return Err(Refusal::RoleTooLow {
                needed,
                held: self.role,
            });
        }
        let Some(scope) = self.scope else {
            return Ok(());
        };
        match title {
            None => Err(Refusal::NotATitleRoute {
                scope: scope.to_stored(),
            }),
            Some(title) if scope.contains(title) => Ok(()),
            Some(title) => Err(Refusal::OutOfScope {
                scope: scope.to_stored(),
                title: title.chars().take(255).collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn roles_parse_exactly_and_the_error_lists_them() {
        for role in ROLES {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        for bad in ["readonly", "Admin", "", "root", "manager "] {
            let error = bad.parse::<Role>().unwrap_err().to_string();
            assert!(
                error.contains("readOnly, manager and admin"),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn each_role_includes_exactly_those_below_it() {
        assert!(Role::Admin.includes(Role::Manager) && Role::Admin.includes(Role::ReadOnly));
        assert!(Role::Manager.includes(Role::ReadOnly) && !Role::Manager.includes(Role::Admin));
        assert!(!Role::ReadOnly.includes(Role::Manager));
    }

    proptest! {
        #[test]
        fn inclusion_follows_the_order_of_roles(a in 0usize..3, b in 0usize..3) {
            prop_assert_eq!(ROLES[a].includes(ROLES[b]), a >= b);
        }

        #[test]
        fn day_and_hour_lifetimes_parse_to_their_length(days in 0i64..=3650, hours in 0i64..24) {
            let text = format!("{days}d {hours}h");
            let expected = SignedDuration::from_hours(days * 24 + hours);
            let parsed = parse_lifetime(&text);
            if expected < MIN_LIFETIME || expected > MAX_LIFETIME {
                prop_assert!(parsed.is_err(), "{}", text);
            } else {
                prop_assert_eq!(parsed, Ok(expected));
            }
        }

        #[test]
        fn no_text_makes_the_lifetime_parser_panic(text in ".{0,80}") {
            let _ = parse_lifetime(&text);
        }
    }

    #[test]
    fn lifetimes_are_days_or_hours_within_bounds() {
        assert_eq!(
            parse_lifetime("90d"),
            Ok(SignedDuration::from_hours(90 * 24))
        );
        assert_eq!(parse_lifetime("12h"), Ok(SignedDuration::from_hours(12)));
        assert_eq!(
            parse_lifetime("90 days"),
            Ok(SignedDuration::from_hours(90 * 24))
        );
        for bad in [
            "", "90", "3mo", "1y", "30m", "0d", "-5d", "3651d", "soon", "1w",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
        assert!(parse_lifetime(&"9".repeat(100)).unwrap_err().contains("64"));
    }

    #[test]
    fn a_scope_is_one_to_a_hundred_valid_title_ids_and_round_trips() {
        let scope = TitleScope::parse(["Slack", "Firefox", "Slack"]).unwrap();
        assert_eq!(scope.to_stored(), "Firefox,Slack");
        assert_eq!(TitleScope::from_stored("Firefox,Slack"), Ok(scope.clone()));
        assert!(TitleScope::parse([]).is_err());
        assert!(TitleScope::parse(["Fire fox"]).is_err());
        let many: Vec<String> = (0..=MAX_SCOPE_TITLES).map(|n| format!("T{n}")).collect();
        assert!(TitleScope::parse(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn expiry_role_and_scope_decide_in_that_order() {
        let scope = TitleScope::parse(["Firefox"]).unwrap();
        let now = at("2026-12-04T12:00:00Z");
        let manager = Access {
            role: Role::Manager,
            scope: None,
            expires_at: Some(at("2026-12-04T12:00:01Z")),
        };
        assert_eq!(manager.permits(Role::Manager, None, now), Ok(()));
        assert_eq!(
            manager.permits(Role::Admin, None, now),
            Err(Refusal::RoleTooLow {
                needed: Role::Admin,
                held: Role::Manager
            })
        );
        let later = at("2026-12-04T12:00:01Z");
        assert!(matches!(
            manager.permits(Role::ReadOnly, None, later),
            Err(Refusal::Expired(_))
        ));
        let scoped = Access {
            role: Role::Manager,
            scope: Some(&scope),
            expires_at: None,
        };
        assert_eq!(scoped.permits(Role::Manager, Some("Firefox"), now), Ok(()));
        assert!(matches!(
            scoped.permits(Role::Manager, Some("Slack"), now),
            Err(Refusal::OutOfScope { .. })
        ));
        assert!(matches!(
            scoped.permits(Role::ReadOnly, None, now),
            Err(Refusal::NotATitleRoute { .. })
        ));
    }
}

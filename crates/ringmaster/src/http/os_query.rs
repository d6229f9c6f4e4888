//! Query parameters and path ids shared by the OS-update routes: `?at=`, `?from=`/`?to=`,
//! `?format=`, `?platform=`, numeric ids, device ids, and the JSON body of a write.

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::compliance::ComplianceState;
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::plan_window::plan_window;
use ringmaster_domain::platform::Platform;
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::ApiError;
use crate::os_updates::compliance_cache::{DEFAULT_LINES, LinePage, MAX_LINES};

/// `?at=<RFC 3339 instant>`: evaluate as of that moment (default: the OS-update clock's now).
#[derive(Debug, Deserialize)]
pub struct AtQuery {
    pub at: Option<String>,
}

impl AtQuery {
    pub fn instant(&self, now: Timestamp) -> Result<Timestamp, ApiError> {
        match &self.at {
            None => Ok(now),
            Some(text) => text.parse::<Timestamp>().map_err(|error| {
                ApiError::invalid_parameter(
                    "at",
                    format!(
                        "{text:?} is not an RFC 3339 instant such as 2026-11-24T09:00:00Z: {error}"
                    ),
                )
            }),
        }
    }
}

/// `GET /api/v1/policies/{id}/compliance`: `?at=` and the page of device lines.
#[derive(Debug, Deserialize)]
pub struct ComplianceQuery {
    pub at: Option<String>,
    pub limit: Option<String>,
    pub after: Option<String>,
    pub state: Option<String>,
}

impl ComplianceQuery {
    /// The page asked for: `?limit=` 1 to 10,000 (default 1,000), `?after=` a device id,
    /// `?state=` one compliance state by its API spelling.
    pub fn page(&self) -> Result<LinePage, ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LINES,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LINES).contains(limit))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "limit",
                        format!("limit is a whole number from 1 to {MAX_LINES}, not {text:?}"),
                    )
                })?,
        };
        let after = match self.after.as_deref().filter(|after| !after.is_empty()) {
            None => None,
            Some(after) => {
                DeviceId::parse_stored(after).map_err(|why| {
                    ApiError::invalid_parameter("after", format!("after is a device id: {why}"))
                })?;
                Some(after.to_owned())
            }
        };
        let state = match self.state.as_deref().filter(|state| !state.is_empty()) {
            None => None,
            Some(text) => Some(
                ComplianceState::ALL
                    .into_iter()
                    .find(|state| state.as_str() == text)
                    .ok_or_else(|| {
                        let known: Vec<&str> = ComplianceState::ALL
                            .iter()
                            .map(|state| state.as_str())
                            .collect();
                        ApiError::invalid_parameter(
                            "state",
                            format!(
                                "{text:?} is not a compliance state; one of {}",
                                known.join(", ")
                            ),
                        )
                    })?,
            ),
        };
        Ok(LinePage {
            limit,
            after,
            state,
        })
    }
}

/// `?from=DATE&to=DATE&at=…&format=json|svg&platform=…` for the plan views.
#[derive(Debug, Deserialize)]
pub struct PlanQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
    pub platform: Option<String>,
    pub at: Option<String>,
}

/// How the plan is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Json,
    Svg,
}

impl PlanQuery {
    /// `?at=`, as [`AtQuery::instant`] reads it.
    pub fn instant(&self, now: Timestamp) -> Result<Timestamp, ApiError> {
        AtQuery {
            at: self.at.clone(),
        }
        .instant(now)
    }

    /// `?platform=` (default: macOS).
    pub fn platform(&self) -> Result<Platform, ApiError> {
        Platform::parse_or_default(self.platform.as_deref())
            .map_err(|why| ApiError::invalid_parameter("platform", why))
    }

    /// `from` (default: the UTC day of `at`, or of `now`) and `to` (default: 90 days later), by
    /// the domain's [`plan_window`].
    pub fn window(&self, now: Timestamp) -> Result<(Date, Date), ApiError> {
        let today = self.instant(now)?.to_zoned(jiff::tz::TimeZone::UTC).date();
        let from = self
            .from
            .as_deref()
            .map(|text| parse_date("from", text))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|text| parse_date("to", text))
            .transpose()?;
        plan_window(today, from, to)
            .map_err(|reversed| ApiError::invalid_parameter("to", reversed.to_string()))
    }

    pub fn format(&self) -> Result<PlanFormat, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(PlanFormat::Json),
            Some("svg") => Ok(PlanFormat::Svg),
            Some(other) => Err(ApiError::invalid_parameter(
                "format",
                format!("{other:?} is not a format of the plan: use json or svg"),
            )),
        }
    }
}

fn parse_date(parameter: &str, text: &str) -> Result<Date, ApiError> {
    text.parse::<Date>().map_err(|_| {
        ApiError::invalid_parameter(
            parameter,
            format!("{text:?} is not a date written yyyy-mm-dd"),
        )
    })
}

/// A numeric id from the path (`PolicyId::parse(text)` and its twins); one that is no number
/// names nothing, so it is a 404.
pub fn path_id<T>(parsed: Result<T, String>) -> Result<T, ApiError> {
    parsed.map_err(ApiError::NotFound)
}

/// A device id from the path. One that no device can have (empty, overlong, a control character
/// such as NUL) names nothing, so it is a 404; ids stored before the id rule stay reachable.
pub fn device_path_id(text: &str) -> Result<&str, ApiError> {
    match DeviceId::parse_stored(text) {
        Ok(_) => Ok(text),
        Err(why) => Err(ApiError::NotFound(format!(
            "no device has the id {text:?}: {why}"
        ))),
    }
}

/// A name from the path (a legacy mechanism's): one holding a control character names nothing.
pub fn path_name<'a>(text: &'a str, what: &str) -> Result<&'a str, ApiError> {
    if text.chars().any(char::is_control) {
        return Err(ApiError::NotFound(format!(
            "no {what} is named {text:?}: names hold no control characters"
        )));
    }
    Ok(text)
}

/// The JSON document of a write, with syntax errors reported at the document.
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    ringmaster_domain::json_read::json_document(bytes, "the body")
        .map_err(|errors| ApiError::invalid_document(&errors))
}

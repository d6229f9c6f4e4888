//! The admin documents of rollout control: blocking a release (`{"reason"}`), exempting a
//! device from enforcement (`{"until", "reason"}`) and pausing a ring or a policy (`{"reason",
//! "until"?}`), each read with every problem by pointer.
//!
//! A reason is required, trimmed, at most [`MAX_REASON_CHARS`] characters and free of control
//! characters. An exemption's `until` is an RFC 3339 instant after "now" and at most
//! [`MAX_EXEMPTION_DAYS`] days ahead; "now" is a parameter. Whether a device is exempt at an
//! instant is [`exempt_at`]: strictly before `until`.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::field_error::{FieldErrors, child};
use crate::json_read::{describe, expect_object, json_document};

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// How far ahead an exemption may end.
pub const MAX_EXEMPTION_DAYS: i64 = 366;

/// The active exemptions a device may have at once.
pub const MAX_EXEMPTIONS_PER_DEVICE: usize = 20;

/// `POST /catalog/{platform}/{version}/block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRequest {
    pub reason: String,
}

/// `POST /policy-groups/{id}/pause` and `POST /policies/{id}/pause`: `until` is optional (the
/// pause then lasts until resumed) and bounded like an exemption's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseRequest {
    pub reason: String,
    pub until: Option<Timestamp>,
}

impl PauseRequest {
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<PauseRequest, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let Some(object) = expect_object(&document, "", &mut errors) else {
            return Err(errors);
        };
        refuse_unknown(
            object,
            &["reason", "until"],
            "a pause has reason and until",
            &mut errors,
        );
        let reason = read_reason(object, &mut errors);
        let until = match object.get("until") {
            None | Some(Value::Null) => None,
            Some(_) => read_until(object, now, &mut errors),
        };
        match reason {
            Some(reason) if errors.is_empty() => Ok(PauseRequest { reason, until }),
            _ => Err(errors),
        }
    }
}

/// `POST /devices/{id}/exemptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExemptionRequest {
    pub until: Timestamp,
    pub reason: String,
}

impl BlockRequest {
    pub fn parse(bytes: &[u8]) -> Result<BlockRequest, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let Some(object) = expect_object(&document, "", &mut errors) else {
            return Err(errors);
        };
        refuse_unknown(object, &["reason"], "a block has only reason", &mut errors);
        let reason = read_reason(object, &mut errors);
        match reason {
            Some(reason) if errors.is_empty() => Ok(BlockRequest { reason }),
            _ => Err(errors),
        }
    }
}

impl ExemptionRequest {
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<ExemptionRequest, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let Some(object) = expect_object(&document, "", &mut errors) else {
            return Err(errors);
        };
        refuse_unknown(
            object,
            &["until", "reason"],
            "an exemption has until and reason",
            &mut errors,
        );
        let until = read_until(object, now, &mut errors);
        let reason = read_reason(object, &mut errors);
        match (until, reason) {
            (Some(until), Some(reason)) if errors.is_empty() => {
                Ok(ExemptionRequest { until, reason })
            }
            _ => Err(errors),
        }
    }
}

/// Whether an exemption ending at `until` holds at `at`: strictly before `until`.
pub fn exempt_at(until: Timestamp, at: Timestamp) -> bool {
    at < until
}

fn refuse_unknown(
    object: &Map<String, Value>,
    known: &[&str],
    message: &str,
    errors: &mut FieldErrors,
) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(child("", key), format!("unknown key: {message}"));
        }
    }
}

fn read_reason(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    match object.get("reason") {
        None | Some(Value::Null) => {
            errors.push(
                "/reason",
                "reason is required: say why, for whoever reads it later",
            );
            None
        }
        Some(Value::String(text)) => {
            let text = text.trim();
            let chars = text.chars().count();
            if text.is_empty() {
                errors.push("/reason", "reason must not be blank");
                None
            } else if chars > MAX_REASON_CHARS {
                errors.push(
                    "/reason",
                    format!(
                        "reason is {chars} characters long; at most {MAX_REASON_CHARS} are kept"
                    ),
                );
                None
            } else if text.chars().any(|c| c.is_control() && c != '\n') {
                errors.push("/reason", "reason must not hold control characters");
                None
            } else {
                Some(text.to_owned())
            }
        }
        Some(other) => {
            errors.push(
                "/reason",
                format!("reason must be a string, not {}", describe(other)),
            );
            None
        }
    }
}

fn read_until(
    object: &Map<String, Value>,
    now: Timestamp,
    errors: &mut FieldErrors,
) -> Option<Timestamp> {
    let text = match object.get("until") {
        None | Some(Value::Null) => {
            errors.push(
                "/until",
                "until is required: an RFC 3339 instant such as 2027-01-31T17:00:00Z",
            );
            return None;
        }
        Some(Value::String(text)) => text,
        Some(other) => {
            errors.push(
                "/until",
                format!("until must be an RFC 3339 string, not {}", describe(other)),
            );
            return None;
        }
    };
    let Ok(until) = text.trim().parse::<Timestamp>() else {
        errors.push(
            "/until",
            format!("until {text:?} is not an RFC 3339 instant (such as 2027-01-31T17:00:00Z)"),
        );
        return None;
    };
    let latest = now.saturating_add(SignedDuration::from_hours(24 * MAX_EXEMPTION_DAYS));
    if until <= now {
        errors.push(
            "/until",
            format!("until {until} is not in the future (now is {now})"),
        );
        None
    } else if latest.is_ok_and(|latest| until > latest) {
        errors.push(
            "/until",
            format!("until {until} is more than {MAX_EXEMPTION_DAYS} days ahead"),
        );
        None
    } else {
        Some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-04T12:00:00Z".parse().unwrap()
    }

    fn pointers(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|error| error.pointer.as_str()).collect()
    }

    #[test]
    fn a_block_needs_a_bounded_reason() {
        assert_eq!(
            BlockRequest::parse(br#"{"reason": "  breaks VPN  "}"#)
                .unwrap()
                .reason,
            "breaks VPN"
        );
        for body in [
            r#"{}"#.to_owned(),
            r#"{"reason": ""}"#.to_owned(),
            r#"{"reason": 7}"#.to_owned(),
            r#"{"reason": "a\u0007b"}"#.to_owned(),
            format!(r#"{{"reason": "{}"}}"#, "x".repeat(MAX_REASON_CHARS + 1)),
        ] {
            let errors = BlockRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(pointers(&errors), ["/reason"], "{body}");
        }
        let errors = BlockRequest::parse(br#"{"reason": "x", "why": 1}"#).unwrap_err();
        assert_eq!(pointers(&errors), ["/why"]);
        assert!(BlockRequest::parse(b"[]").is_err());
    }

    #[test]
    fn an_exemption_ends_in_the_future_within_a_year() {
        let parsed = ExemptionRequest::parse(
            br#"{"until": "2026-12-24T00:00:00Z", "reason": "travelling"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(parsed.until, "2026-12-24T00:00:00Z".parse().unwrap());
        for until in [
            r#""2026-12-04T12:00:00Z""#,
            r#""2026-12-01T00:00:00Z""#,
            r#""2028-01-01T00:00:00Z""#,
            r#""tomorrow""#,
            r#""2026-12-24""#,
            "12",
        ] {
            let body = format!(r#"{{"until": {until}, "reason": "r"}}"#);
            let errors = ExemptionRequest::parse(body.as_bytes(), now()).unwrap_err();
            assert_eq!(pointers(&errors), ["/until"], "{until}");
        }
        let errors = ExemptionRequest::parse(b"{}", now()).unwrap_err();
        assert_eq!(pointers(&errors), ["/until", "/reason"]);
    }

    #[test]
    fn a_pause_needs_a_reason_and_may_end_within_a_year() {
        let open = PauseRequest::parse(br#"{"reason": "VPN breaks"}"#, now()).unwrap();
        assert_eq!(open.until, None);
        let planned = PauseRequest::parse(
            br#"{"reason": "VPN breaks", "until": "2026-12-10T00:00:00Z"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(planned.until, Some("2026-12-10T00:00:00Z".parse().unwrap()));
        let errors = PauseRequest::parse(br#"{"until": "2026-12-01T00:00:00Z", "x": 1}"#, now())
            .unwrap_err();
        assert_eq!(pointers(&errors), ["/x", "/reason", "/until"]);
    }

    #[test]
    fn an_exemption_holds_exactly_until_its_end() {
        let until: Timestamp = "2026-12-24T00:00:00Z".parse().unwrap();
        assert!(exempt_at(until, now()));
        assert!(exempt_at(until, until - SignedDuration::from_secs(1)));
        assert!(!exempt_at(until, until));
        assert!(!exempt_at(until, until + SignedDuration::from_secs(1)));
    }
}

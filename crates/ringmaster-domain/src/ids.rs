//! The one id rule: what a software title id, a device's id and a check-in's enrollment id may
//! be, and how many ids one list may hold.
//!
//! Every id, whoever sends it (the admin API, a definition file, a device's check-in):
//! - is not empty and at most its kind's length ([`MAX_DEVICE_ID_CHARS`] characters for a device,
//!   [`MAX_TITLE_ID_LEN`](crate::title::id::MAX_TITLE_ID_LEN) bytes for a title);
//! - holds no control character (NUL included: PostgreSQL cannot store one);
//! - does not begin with a dot: `.` and `..` vanish from URLs and paths, and `.hidden` is a hidden
//!   file in a backup, so clients could not name them;
//! - does not begin or end with whitespace (ids are compared exactly; a padded id would be another
//!   device than the one the MDM checks in as).
//!
//! Anything else real ids use stays accepted: UDIDs (`00008101-000A1B2C3D4E5F6A`), serial-based
//! ids, user-channel ids with a colon (`UDID:UserID`), Jamf title ids (`GoogleChrome`).
//! A software title id is further limited to Jamf's characters (see
//! [`SoftwareTitleId`](crate::title::id::SoftwareTitleId)).
//!
//! Ids stored before this rule (a device or title id beginning with a dot) still load and can be
//! looked up and deleted: lookups use [`check_stored_id`], which refuses only what no database
//! can hold or no rule ever allowed (empty, overlong, control characters).

use std::fmt;

/// The longest device (enrollment) id accepted, in characters.
pub const MAX_DEVICE_ID_CHARS: usize = 256;

/// The most ids one list of a request may hold (a device group's members, a binding's devices or
/// device groups): a whole fleet fits, a list that would only tie up the server does not.
pub const MAX_IDS_PER_LIST: usize = 100_000;

/// Checks `text` against the id rule, with at most `max_chars` characters. The error is a
/// sentence saying what is wrong with the id.
pub fn check_id(text: &str, max_chars: usize) -> Result<(), String> {
    check_stored_id(text, max_chars)?;
    if text.starts_with('.') {
        return Err(format!(
            "{} begins with a dot; ids such as \".\", \"..\" and \".hidden\" cannot be named in a \
             URL or a file name",
            shown(text)
        ));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(format!("{} begins or ends with whitespace", shown(text)));
    }
    Ok(())
}

/// What any id ever stored satisfies: not empty, at most `max_chars` characters, no control
/// character. Lookups by id refuse what fails this (it names nothing) and accept the rest, so ids
/// stored before [`check_id`] stay reachable.
pub fn check_stored_id(text: &str, max_chars: usize) -> Result<(), String> {
    if text.is_empty() {
        return Err("the id is empty".into());
    }
    let length = text.chars().count();
    if length > max_chars {
        return Err(format!(
            "the id is {length} characters long; at most {max_chars} are allowed"
        ));
    }
    if let Some(control) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{} contains the control character U+{:04X}; ids hold no control characters",
            shown(text),
            u32::from(control)
        ));
    }
    Ok(())
}

/// Checks a list's length against [`MAX_IDS_PER_LIST`]; the error says how long it is.
pub fn check_list_length(length: usize) -> Result<(), String> {
    if length > MAX_IDS_PER_LIST {
        return Err(format!(
            "the list holds {length} ids; at most {MAX_IDS_PER_LIST} are allowed in one request"
        ));
    }
    Ok(())
}

/// A device's id: the MDM enrollment id (a UDID, an enrollment id, `UDID:UserID`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// A new id, by the whole rule (what the API and check-ins accept).
    pub fn parse(text: &str) -> Result<DeviceId, String> {
        check_id(text, MAX_DEVICE_ID_CHARS)?;
        Ok(DeviceId(text.to_owned()))
    }

    /// An id to look up, which may have been stored before the rule ([`check_stored_id`]).
    pub fn parse_stored(text: &str) -> Result<DeviceId, String> {
        check_stored_id(text, MAX_DEVICE_ID_CHARS)?;
        Ok(DeviceId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id quoted for a message, or "the id" when it is too long to show.
fn shown(text: &str) -> String {
    if text.chars().count() <= 40 {
        format!("the id {text:?}")
    } else {
        "the id".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_enrollment_ids_are_accepted() {
        for id in [
            "00008101-000A1B2C3D4E5F6A",
            "5B0C7D2E-1F3A-4B5C-9D8E-7F6A5B4C3D2E",
            "C02XK1JHJG5J",
            "00008101-000A1B2C3D4E5F6A:2F1E8D0C-3B4A-5968-7A6B-5C4D3E2F1A0B",
            "mac-1",
            "device.with.dots",
            "Ünïcödé id",
            &"a".repeat(MAX_DEVICE_ID_CHARS),
        ] {
            assert_eq!(DeviceId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn dot_led_control_padded_empty_and_overlong_ids_are_refused() {
        for (id, why) in [
            (".", "begins with a dot"),
            ("..", "begins with a dot"),
            (".hidden", "begins with a dot"),
            ("", "empty"),
            ("a\u{0}b", "U+0000"),
            ("a\nb", "U+000A"),
            ("a\u{7f}", "U+007F"),
            ("a\u{85}", "U+0085"),
            (" a", "whitespace"),
            ("a\u{a0}", "whitespace"),
            (&"a".repeat(MAX_DEVICE_ID_CHARS + 1), "257 characters"),
        ] {
            let error = DeviceId::parse(id).unwrap_err();
            assert!(error.contains(why), "{id:?}: {error}");
        }
    }

    #[test]
    fn stored_ids_are_looked_up_with_the_lenient_rule() {
        assert!(DeviceId::parse_stored(".hidden").is_ok());
        assert!(DeviceId::parse_stored(" padded ").is_ok());
        assert!(DeviceId::parse_stored("a\u{0}").is_err());
        assert!(DeviceId::parse_stored("").is_err());
    }

    #[test]
    fn lists_are_bounded() {
        assert!(check_list_length(MAX_IDS_PER_LIST).is_ok());
        let error = check_list_length(MAX_IDS_PER_LIST + 1).unwrap_err();
        assert!(error.contains("100001"), "{error}");
    }
}

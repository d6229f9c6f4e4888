//! The one id rule: what a software title id, a device's id and a check-in's enrollment id may
//! be, and how many ids one list may hold; and the numeric ids the database gives policies,
//! policy groups and device groups ([`PolicyId`], [`PolicyGroupId`], [`DeviceGroupId`]).
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
//!
//! So a device id is read one of two ways, both here: [`DeviceId::parse`] for an id that may
//! become a device (an admin's device document, a group's members, a binding's devices, a DDM
//! check-in's `X-Enrollment-ID` header or `EnrollmentID`/`UDID`), [`DeviceId::parse_stored`] for
//! an id that only looks one up (the admin device routes' path, the device list's `after`). The
//! types hold this: a check-in's channel and the store's `ensure_device` take a [`DeviceId`].
//!
//! Policy, policy-group and device-group ids are the database's integers, written as JSON numbers
//! and as decimal path segments (`/api/v1/policies/3`); [`PolicyId::parse`] and its twins read a
//! path segment as Rust reads an `i64` (so the wire is what it always was).

use std::fmt;

use serde::Serialize;

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

/// A numeric id the database gives: one type per kind of row, so a policy's id is never passed
/// where a device group's is expected.
macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id the database gave.
            pub const fn new(id: i64) -> $name {
                $name(id)
            }

            /// Reads a path segment or command-line argument (decimal, as Rust reads an `i64`);
            /// the error says it names no such row.
            pub fn parse(text: &str) -> Result<$name, String> {
                text.parse::<i64>()
                    .map($name)
                    .map_err(|_| format!("{} {text:?} does not exist", $what))
            }

            /// The integer, for the database and JSON.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// An update policy's id.
    PolicyId,
    "policy"
);
numeric_id!(
    /// A policy group's (ring's) id.
    PolicyGroupId,
    "policy group"
);
numeric_id!(
    /// A device group's id.
    DeviceGroupId,
    "device group"
);

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
    fn numeric_ids_read_as_an_i64_and_name_what_they_miss() {
        assert_eq!(PolicyId::parse("3").unwrap().get(), 3);
        assert_eq!(DeviceGroupId::parse("+3").unwrap(), DeviceGroupId::new(3));
        assert_eq!(
            PolicyGroupId::parse("x").unwrap_err(),
            "policy group \"x\" does not exist"
        );
        assert!(PolicyId::parse("99999999999999999999").is_err());
        assert_eq!(serde_json::to_string(&PolicyId::new(7)).unwrap(), "7");
    }

    proptest::proptest! {
        /// The rule, said as a predicate: a device id is accepted exactly when it is 1 to 256
        /// characters, holds no control character, and neither begins with a dot nor begins or
        /// ends with whitespace; and every id accepted is accepted for lookups too.
        #[test]
        fn device_ids_follow_the_one_rule(text in "[ .a-z0-9:\u{0}-\u{1f}\u{7f}\u{85}\u{a0}\u{e9}-]{0,8}") {
            let expected = !text.is_empty()
                && !text.chars().any(char::is_control)
                && !text.starts_with('.')
                && !text.starts_with(char::is_whitespace)
                && !text.ends_with(char::is_whitespace);
            let parsed = DeviceId::parse(&text);
            proptest::prop_assert_eq!(parsed.is_ok(), expected, "{:?}: {:?}", text, parsed);
            if let Ok(id) = parsed {
                proptest::prop_assert_eq!(id.as_str(), text.as_str());
                proptest::prop_assert!(DeviceId::parse_stored(&text).is_ok());
            }
            let stored_expected = !text.is_empty() && !text.chars().any(char::is_control);
            proptest::prop_assert_eq!(DeviceId::parse_stored(&text).is_ok(), stored_expected);
        }

        #[test]
        fn device_ids_are_bounded_in_characters(length in 250usize..262, c in "[a-z\u{e9}\u{4e2d}]") {
            let text = c.repeat(length);
            proptest::prop_assert_eq!(DeviceId::parse(&text).is_ok(), length <= MAX_DEVICE_ID_CHARS);
        }
    }

    #[test]
    fn lists_are_bounded() {
        assert!(check_list_length(MAX_IDS_PER_LIST).is_ok());
        let error = check_list_length(MAX_IDS_PER_LIST + 1).unwrap_err();
        assert!(error.contains("100001"), "{error}");
    }
}

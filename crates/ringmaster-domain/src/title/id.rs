//! The software title id: the key Jamf Pro subscribes by.

use std::fmt;

use crate::ids::{check_id, check_stored_id};

/// A software title id such as `GoogleChrome` or `AdobeAcrobatReaderDC`.
///
/// It follows the one id rule ([`crate::ids`]: no control characters, not beginning with a dot,
/// 1 to 255 of them) and, as Jamf allows no spaces or special characters (and puts ids in a
/// comma-separated URL and in file names), only ASCII letters, digits, `-`, `_` and `.`.
/// Constructed only through [`SoftwareTitleId::parse`] and [`SoftwareTitleId::parse_stored`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SoftwareTitleId(String);

/// The longest id accepted, in bytes (its characters are ASCII, so also in characters).
pub const MAX_TITLE_ID_LEN: usize = 255;

impl SoftwareTitleId {
    /// Parses a new id (a definition's `id`), explaining what is wrong with a refused one.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_id(text, MAX_TITLE_ID_LEN)?;
        Self::parse_stored(text)
    }

    /// Parses an id that may have been stored before the id rule: a title whose id begins with a
    /// dot still loads and can be looked up (to be read or deleted), but none can be created.
    pub fn parse_stored(text: &str) -> Result<Self, String> {
        check_stored_id(text, MAX_TITLE_ID_LEN)?;
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "the id {text:?} contains {bad:?}; only letters, digits, '-', '_' and '.' are allowed"
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SoftwareTitleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ids_are_accepted() {
        for id in [
            "GoogleChrome",
            "Firefox",
            "AdobeAcrobatReaderDC",
            "JavaSEDevelopmentKit8",
            "Xcode",
            "macOS",
            "com.example.app_2-x",
            "app.",
        ] {
            assert_eq!(SoftwareTitleId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn spaces_slashes_dots_controls_and_empty_ids_are_refused() {
        for id in [
            "",
            "Google Chrome",
            "a/b",
            "a,b",
            "café",
            "x%20y",
            "a\u{0}",
            ".",
            "..",
            ".hidden",
            &"a".repeat(256),
        ] {
            assert!(SoftwareTitleId::parse(id).is_err(), "{id:?}");
        }
    }

    #[test]
    fn a_dot_led_id_stored_before_the_rule_can_still_be_named() {
        assert_eq!(
            SoftwareTitleId::parse_stored(".hidden").unwrap().as_str(),
            ".hidden"
        );
        let error = SoftwareTitleId::parse(".hidden").unwrap_err();
        assert!(error.contains("begins with a dot"), "{error}");
        assert!(SoftwareTitleId::parse_stored("a\u{0}").is_err());
    }
}

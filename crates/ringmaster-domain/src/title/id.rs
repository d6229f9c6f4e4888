//! The software title id: the key Jamf Pro subscribes by.

use std::fmt;

/// A software title id such as `GoogleChrome` or `AdobeAcrobatReaderDC`.
///
/// Jamf allows no spaces or special characters; we accept ASCII letters, digits, `-`, `_` and `.`,
/// 1 to 255 of them. Constructed only through [`SoftwareTitleId::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SoftwareTitleId(String);

/// The longest id accepted, in bytes.
pub const MAX_TITLE_ID_LEN: usize = 255;

impl SoftwareTitleId {
    /// Parses an id, explaining what is wrong with a refused one.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("the id must not be empty".into());
        }
        if text.len() > MAX_TITLE_ID_LEN {
            return Err(format!(
                "the id is {} bytes long; at most {MAX_TITLE_ID_LEN} are allowed",
                text.len()
            ));
        }
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
            "AdobeAcrobatReaderDC",
            "Xcode",
            "com.example.app_2-x",
        ] {
            assert_eq!(SoftwareTitleId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn spaces_slashes_and_empty_ids_are_refused() {
        for id in [
            "",
            "Google Chrome",
            "a/b",
            "café",
            "x%20y",
            &"a".repeat(256),
        ] {
            assert!(SoftwareTitleId::parse(id).is_err(), "{id:?}");
        }
    }
}

//! Validation errors that name the offending field by JSON pointer (RFC 6901).
//!
//! Parsers collect every problem they find instead of stopping at the first one,
//! so an admin fixes a definition in one round trip. They keep the first
//! [`MAX_LISTED_ERRORS`] and count the rest, so memory stays bounded whatever the input.

use std::fmt;

/// One problem with one field of a submitted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer to the field, such as `/patches/2/components/0/criteria/1/and`.
    /// The empty string names the whole document.
    pub pointer: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(document): {}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

/// How many problems a [`FieldErrors`] keeps; past this it only counts them, so a hostile
/// document of millions of small mistakes costs neither memory nor a huge error answer.
pub const MAX_LISTED_ERRORS: usize = 100;

/// The problems found in one document: the first [`MAX_LISTED_ERRORS`] of them, and how many
/// there were in all. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    listed: Vec<FieldError>,
    total: usize,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem at `pointer` (counted always, kept while fewer than the cap are kept).
    pub fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(FieldError {
                pointer: pointer.into(),
                message: message.into(),
            });
        }
    }

    /// Records every problem of `other`, for a document made of several.
    pub fn append(&mut self, other: FieldErrors) {
        let room = MAX_LISTED_ERRORS.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.into_iter().take(room));
        self.total += other.total;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many problems were found, listed or not.
    pub fn len(&self) -> usize {
        self.total
    }

    /// How many problems found were not kept.
    pub fn unlisted(&self) -> usize {
        self.total - self.listed.len()
    }

    /// The problems kept, in the order found.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.listed.iter()
    }

    /// The problems kept, in the order found.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.listed
    }

    /// Returns `Ok(value)` when nothing was recorded, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Prefixes every pointer, for a document nested in a larger one.
    pub fn nested_under(self, prefix: &str) -> Self {
        Self {
            listed: self
                .listed
                .into_iter()
                .map(|error| FieldError {
                    pointer: format!("{prefix}{}", error.pointer),
                    message: error.message,
                })
                .collect(),
            total: self.total,
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self {
            listed: vec![error],
            total: 1,
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.listed.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        if self.unlisted() > 0 {
            write!(
                f,
                "\n… and {} more (of {} in all)",
                self.unlisted(),
                self.total
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.listed.iter()
    }
}

/// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Joins a parent pointer and one child token.
pub fn child(parent: &str, token: impl fmt::Display) -> String {
    format!("{parent}/{}", escape_token(&token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(child("/patches/0", "a/b~c"), "/patches/0/a~1b~0c");
        assert_eq!(child("", 3), "/3");
    }

    #[test]
    fn nesting_prefixes_every_pointer() {
        let mut errors = FieldErrors::new();
        errors.push("/version", "missing");
        let nested = errors.nested_under("/patches/4");
        assert_eq!(nested.iter().next().unwrap().pointer, "/patches/4/version");
    }

    #[test]
    fn past_the_cap_errors_are_counted_not_kept() {
        let mut errors = FieldErrors::new();
        for index in 0..MAX_LISTED_ERRORS * 10 {
            errors.push(child("", index), "bad");
        }
        assert_eq!(errors.len(), MAX_LISTED_ERRORS * 10);
        assert_eq!(errors.iter().count(), MAX_LISTED_ERRORS);
        assert_eq!(errors.unlisted(), MAX_LISTED_ERRORS * 9);
        assert_eq!(errors.iter().last().unwrap().pointer, "/99");
        let mut more = FieldErrors::new();
        more.push("/x", "bad");
        more.append(errors.clone());
        assert_eq!(more.len(), MAX_LISTED_ERRORS * 10 + 1);
        assert_eq!(more.iter().count(), MAX_LISTED_ERRORS);
        assert!(
            errors
                .to_string()
                .ends_with("… and 900 more (of 1000 in all)")
        );
    }
}

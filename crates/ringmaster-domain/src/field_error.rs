//! Validation errors that name the offending field by JSON pointer (RFC 6901).
//!
//! Parsers collect every problem they find instead of stopping at the first one,
//! so an admin fixes a definition in one round trip.

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

/// Every problem found in one document. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Records a problem at `pointer`.
    pub fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            pointer: pointer.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// Returns `Ok(value)` when nothing was recorded, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Prefixes every pointer, for a document nested in a larger one.
    pub fn nested_under(self, prefix: &str) -> Self {
        Self(
            self.0
                .into_iter()
                .map(|error| FieldError {
                    pointer: format!("{prefix}{}", error.pointer),
                    message: error.message,
                })
                .collect(),
        )
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
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
}

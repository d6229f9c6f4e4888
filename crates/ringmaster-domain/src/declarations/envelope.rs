//! Apple's declaration envelope (`Type`, `Identifier`, `ServerToken`, `Payload`) and its tokens.
//!
//! Token rules (docs/ddm-software-updates.md §9):
//! - a declaration's `ServerToken` is a hash of its canonical content (type, identifier and
//!   payload, object keys sorted, compact JSON), so it changes exactly when the content changes;
//! - a set's `DeclarationsToken` hashes the sorted list of `(kind, Identifier, ServerToken)`, so
//!   it never depends on the order declarations were built or stored in.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Hex digits kept from a SHA-256 digest for a token: 128 bits, well under Apple's 64 octets.
const TOKEN_HEX_DIGITS: usize = 32;

/// The four kinds of declaration, the third dot-part of `Type` and the singular word in the
/// `declaration/<kind>/<Identifier>` endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclarationKind {
    Activation,
    Asset,
    Configuration,
    Management,
}

impl DeclarationKind {
    /// `activation`, `asset`, `configuration` or `management`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationKind::Activation => "activation",
            DeclarationKind::Asset => "asset",
            DeclarationKind::Configuration => "configuration",
            DeclarationKind::Management => "management",
        }
    }

    /// Reads the singular kind word of the protocol (`configuration`), exactly.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "activation" => Ok(DeclarationKind::Activation),
            "asset" => Ok(DeclarationKind::Asset),
            "configuration" => Ok(DeclarationKind::Configuration),
            "management" => Ok(DeclarationKind::Management),
            _ => Err(format!(
                "\"{text}\" is not a declaration kind (expected activation, asset, configuration or management)"
            )),
        }
    }
}

impl fmt::Display for DeclarationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The declaration types ringmaster produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclarationType {
    /// `com.apple.configuration.softwareupdate.settings`
    SoftwareUpdateSettings,
    /// `com.apple.configuration.softwareupdate.enforcement.specific`
    SoftwareUpdateEnforcementSpecific,
    /// `com.apple.configuration.management.status-subscriptions`
    StatusSubscriptions,
    /// `com.apple.activation.simple`
    ActivationSimple,
}

impl DeclarationType {
    /// Every type, for tests and listings.
    pub const ALL: [DeclarationType; 4] = [
        DeclarationType::SoftwareUpdateSettings,
        DeclarationType::SoftwareUpdateEnforcementSpecific,
        DeclarationType::StatusSubscriptions,
        DeclarationType::ActivationSimple,
    ];

    /// Apple's `Type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationType::SoftwareUpdateSettings => {
                "com.apple.configuration.softwareupdate.settings"
            }
            DeclarationType::SoftwareUpdateEnforcementSpecific => {
                "com.apple.configuration.softwareupdate.enforcement.specific"
            }
            DeclarationType::StatusSubscriptions => {
                "com.apple.configuration.management.status-subscriptions"
            }
            DeclarationType::ActivationSimple => "com.apple.activation.simple",
        }
    }

    /// Reads one of the `Type` strings above, exactly.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("\"{text}\" is not a declaration type ringmaster produces"))
    }

    /// The kind: the third dot-part of the type string.
    pub fn kind(self) -> DeclarationKind {
        match self {
            DeclarationType::ActivationSimple => DeclarationKind::Activation,
            DeclarationType::SoftwareUpdateSettings
            | DeclarationType::SoftwareUpdateEnforcementSpecific
            | DeclarationType::StatusSubscriptions => DeclarationKind::Configuration,
        }
    }
}

impl fmt::Display for DeclarationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declaration's `Identifier`: 1 to 64 bytes of ASCII letters, digits, `.`, `-` and `_`.
///
/// Apple only limits the length (64 octets); ringmaster also limits the characters so an
/// identifier is safe as-is in the `declaration/<kind>/<Identifier>` URL path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeclarationIdentifier(String);

impl DeclarationIdentifier {
    /// Apple's limit on `Identifier` (and `ServerToken`), in bytes.
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("a declaration identifier must not be empty".to_owned());
        }
        if text.len() > Self::MAX_LEN {
            return Err(format!(
                "the declaration identifier \"{text}\" is {} bytes long, at most {} are allowed",
                text.len(),
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(format!(
                "the declaration identifier \"{text}\" contains {bad:?}; only ASCII letters, digits, '.', '-' and '_' are allowed"
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// `prefix` followed by `suffix`, always valid: when that is too long or holds other
    /// characters, the suffix is replaced by the first [`Self::DIGEST_HEX_DIGITS`] hex digits of
    /// its SHA-256 (and a prefix with other characters loses them), so different suffixes still
    /// give different identifiers.
    pub fn with_suffix(prefix: &str, suffix: &str) -> Self {
        if let Ok(identifier) = Self::parse(&format!("{prefix}{suffix}")) {
            return identifier;
        }
        let digest = hex_digest(suffix.as_bytes(), Self::DIGEST_HEX_DIGITS);
        let room = Self::MAX_LEN - digest.len();
        let mut text: String = prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(room)
            .collect();
        text.push_str(&digest);
        Self(text)
    }

    /// How many hex digits of a digest [`Self::with_suffix`] uses.
    pub const DIGEST_HEX_DIGITS: usize = 24;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeclarationIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One declaration in Apple's envelope. The `ServerToken` is derived from the content when the
/// declaration is built, so the fields are read-only.
///
/// The content is shared: a clone is a reference count, so the declarations every device of a
/// policy gets (the settings, the status subscriptions, an enforcement many devices share) are
/// one copy however many sets hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration(Arc<Content>);

#[derive(Debug, PartialEq, Eq)]
struct Content {
    kind: DeclarationType,
    identifier: DeclarationIdentifier,
    server_token: String,
    payload: Value,
}

impl Declaration {
    /// Builds a declaration and derives its `ServerToken` from `(Type, Identifier, Payload)`.
    pub fn new(kind: DeclarationType, identifier: DeclarationIdentifier, payload: Value) -> Self {
        let server_token = server_token(kind, &identifier, &payload);
        Self(Arc::new(Content {
            kind,
            identifier,
            server_token,
            payload,
        }))
    }

    /// Whether both are the same shared copy (then they are equal without comparing content).
    pub fn shares(&self, other: &Declaration) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The declaration type (`Type`).
    pub fn kind(&self) -> DeclarationType {
        self.0.kind
    }

    pub fn identifier(&self) -> &DeclarationIdentifier {
        &self.0.identifier
    }

    pub fn server_token(&self) -> &str {
        &self.0.server_token
    }

    pub fn payload(&self) -> &Value {
        &self.0.payload
    }

    /// The envelope exactly as the device receives it:
    /// `{"Type", "Identifier", "ServerToken", "Payload"}`, in that order.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "Type": self.0.kind.as_str(),
            "Identifier": self.0.identifier.as_str(),
            "ServerToken": self.0.server_token,
            "Payload": self.0.payload,
        })
    }
}

impl serde::Serialize for Declaration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The `ServerToken` for this content: hex SHA-256 (first 32 digits) of the canonical JSON of
/// `{"Identifier", "Payload", "Type"}`.
pub fn server_token(
    kind: DeclarationType,
    identifier: &DeclarationIdentifier,
    payload: &Value,
) -> String {
    let mut canonical = String::new();
    canonical.push_str("{\"Identifier\":");
    write_canonical(
        &Value::String(identifier.as_str().to_owned()),
        &mut canonical,
    );
    canonical.push_str(",\"Payload\":");
    write_canonical(payload, &mut canonical);
    canonical.push_str(",\"Type\":");
    write_canonical(&Value::String(kind.as_str().to_owned()), &mut canonical);
    canonical.push('}');
    hex_token(canonical.as_bytes())
}

/// Canonical JSON: compact, object keys sorted by their UTF-8 bytes, serde_json's escaping.
/// Two values that are equal as JSON give the same text whatever their key order.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                // Serializing a string cannot fail; an empty key would only change the token.
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap_or_default()),
    }
}

fn hex_token(bytes: &[u8]) -> String {
    hex_digest(bytes, TOKEN_HEX_DIGITS)
}

/// The first `digits` (even, at most 64) hex digits of the SHA-256 of `bytes`.
fn hex_digest(bytes: &[u8], digits: usize) -> String {
    hex_of(&Sha256::digest(bytes), digits)
}

/// The first `digits` (even) hex digits of `digest`.
fn hex_of(digest: &[u8], digits: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(digits);
    for byte in digest.iter().take(digits / 2) {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// The declarations one device is served, kept sorted by (kind, identifier).
/// Identifiers are unique within a set. The default is the empty set (what a user channel is
/// served).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclarationSet {
    declarations: Vec<Declaration>,
}

impl DeclarationSet {
    /// Collects declarations into a set. Errors when two share an identifier.
    pub fn new(mut declarations: Vec<Declaration>) -> Result<Self, String> {
        declarations.sort_by(|a, b| {
            (a.0.kind.kind(), &a.0.identifier).cmp(&(b.0.kind.kind(), &b.0.identifier))
        });
        let mut identifiers: Vec<&str> = declarations
            .iter()
            .map(|d| d.0.identifier.as_str())
            .collect();
        identifiers.sort_unstable();
        if let Some(pair) = identifiers.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!(
                "two declarations share the identifier \"{}\"",
                pair[0]
            ));
        }
        Ok(Self { declarations })
    }

    /// Collects declarations whose identifiers are distinct by construction; should two share
    /// one anyway, the first (in (kind, identifier) order) is kept rather than failing.
    pub(crate) fn of_distinct(mut declarations: Vec<Declaration>) -> Self {
        declarations.sort_by(|a, b| {
            (a.0.kind.kind(), &a.0.identifier).cmp(&(b.0.kind.kind(), &b.0.identifier))
        });
        // A device's set holds a handful: compare with the ones kept, without copying identifiers.
        let mut kept: Vec<Declaration> = Vec::with_capacity(declarations.len());
        for declaration in declarations {
            if !kept
                .iter()
                .any(|other| other.0.identifier == declaration.0.identifier)
            {
                kept.push(declaration);
            }
        }
        Self { declarations: kept }
    }

    /// The declarations, sorted by (kind, identifier).
    pub fn declarations(&self) -> &[Declaration] {
        &self.declarations
    }

    pub fn len(&self) -> usize {
        self.declarations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.declarations.is_empty()
    }

    /// The declarations of one kind, for the `declaration-items` lists.
    pub fn of_kind(&self, kind: DeclarationKind) -> impl Iterator<Item = &Declaration> {
        self.declarations
            .iter()
            .filter(move |declaration| declaration.0.kind.kind() == kind)
    }

    /// The declaration a device asks for with `declaration/<kind>/<identifier>`; `None` when it
    /// is not in the set or is of another kind (the server answers 404).
    pub fn get(&self, kind: DeclarationKind, identifier: &str) -> Option<&Declaration> {
        self.of_kind(kind)
            .find(|declaration| declaration.0.identifier.as_str() == identifier)
    }

    /// The `DeclarationsToken`: hex SHA-256 (first 32 digits) of the sorted lines
    /// `kind \t Identifier \t ServerToken \n`. Independent of the order declarations came in.
    ///
    /// The set's own order is already that of the lines: kinds sort as their words do, a tab
    /// sorts before every character an identifier may hold, and identifiers are unique, so the
    /// lines are hashed as they come, without building or sorting them.
    pub fn declarations_token(&self) -> String {
        let mut digest = Sha256::new();
        for declaration in &self.declarations {
            digest.update(declaration.0.kind.kind().as_str());
            digest.update(b"\t");
            digest.update(declaration.0.identifier.as_str());
            digest.update(b"\t");
            digest.update(&declaration.0.server_token);
            digest.update(b"\n");
        }
        hex_of(&digest.finalize(), TOKEN_HEX_DIGITS)
    }
}

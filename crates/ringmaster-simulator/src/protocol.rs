//! The DDM sync protocol as a device reads and writes it: the `tokens` and
//! `declaration-items` bodies, the key of one declaration, and the status report.
//!
//! Parsing is strict where Apple's schema is (`DeclarationsToken` required, all four item arrays
//! required, every item with `Identifier` and `ServerToken`), so a server bug surfaces as a
//! [`ProtocolError`] instead of a silently different device state.

use std::collections::BTreeMap;
use std::fmt;

use ringmaster_domain::declarations::envelope::DeclarationKind;
use serde_json::{Map, Value, json};

/// Every declaration kind, in the order the protocol lists them.
pub const DECLARATION_KINDS: [DeclarationKind; 4] = [
    DeclarationKind::Activation,
    DeclarationKind::Configuration,
    DeclarationKind::Asset,
    DeclarationKind::Management,
];

/// A server answer that does not follow the protocol (missing key, wrong type, not JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    pub message: String,
}

impl ProtocolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The body of `GET tokens`: `{"SyncTokens":{"DeclarationsToken","Timestamp"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTokens {
    pub declarations_token: String,
    /// `Timestamp` as the server wrote it (RFC 3339); absent when the server left it out.
    pub timestamp: Option<String>,
}

impl SyncTokens {
    pub fn from_json(body: &Value) -> Result<Self, ProtocolError> {
        let tokens = body
            .get("SyncTokens")
            .and_then(Value::as_object)
            .ok_or_else(|| ProtocolError::new("the tokens body has no \"SyncTokens\" object"))?;
        let declarations_token = required_string(tokens, "DeclarationsToken", "SyncTokens")?;
        let timestamp = match tokens.get("Timestamp") {
            None => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                return Err(ProtocolError::new("SyncTokens.Timestamp is not a string"));
            }
        };
        Ok(Self {
            declarations_token,
            timestamp,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut tokens = Map::new();
        tokens.insert(
            "DeclarationsToken".into(),
            self.declarations_token.clone().into(),
        );
        if let Some(timestamp) = &self.timestamp {
            tokens.insert("Timestamp".into(), timestamp.clone().into());
        }
        json!({ "SyncTokens": tokens })
    }
}

/// One declaration as the protocol addresses it: its kind and its `Identifier`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeclarationKey {
    pub kind: DeclarationKind,
    pub identifier: String,
}

impl DeclarationKey {
    pub fn new(kind: DeclarationKind, identifier: impl Into<String>) -> Self {
        Self {
            kind,
            identifier: identifier.into(),
        }
    }

    /// A configuration's key.
    pub fn configuration(identifier: impl Into<String>) -> Self {
        Self::new(DeclarationKind::Configuration, identifier)
    }

    /// An activation's key.
    pub fn activation(identifier: impl Into<String>) -> Self {
        Self::new(DeclarationKind::Activation, identifier)
    }
}

impl fmt::Display for DeclarationKey {
    /// `configuration/ringmaster.softwareupdate.settings`, the tail of the fetch URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.identifier)
    }
}

/// The body of `GET declaration-items`: each declaration's `(Identifier, ServerToken)` by kind,
/// and the `DeclarationsToken` of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationItems {
    pub declarations_token: String,
    /// `ServerToken` by declaration.
    pub items: BTreeMap<DeclarationKey, String>,
}

impl DeclarationItems {
    /// Reads the body. All four arrays are required (Apple's schema), identifiers are unique
    /// across kinds, and every item has string `Identifier` and `ServerToken`.
    pub fn from_json(body: &Value) -> Result<Self, ProtocolError> {
        let object = body
            .as_object()
            .ok_or_else(|| ProtocolError::new("the declaration-items body is not an object"))?;
        let declarations_token = required_string(object, "DeclarationsToken", "the body")?;
        let declarations = object
            .get("Declarations")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ProtocolError::new("the declaration-items body has no \"Declarations\" object")
            })?;
        let mut items = BTreeMap::new();
        let mut identifiers = BTreeMap::new();
        for kind in DECLARATION_KINDS {
            let name = items_array_name(kind);
            let list = declarations
                .get(name)
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ProtocolError::new(format!(
                        "Declarations.{name} is missing or not an array (all four arrays are required, even empty)"
                    ))
                })?;
            for (index, item) in list.iter().enumerate() {
                let item = item.as_object().ok_or_else(|| {
                    ProtocolError::new(format!("Declarations.{name}[{index}] is not an object"))
                })?;
                let place = format!("Declarations.{name}[{index}]");
                let identifier = required_string(item, "Identifier", &place)?;
                let server_token = required_string(item, "ServerToken", &place)?;
                if let Some(other) = identifiers.insert(identifier.clone(), kind) {
                    return Err(ProtocolError::new(format!(
                        "the identifier \"{identifier}\" is listed twice (as {other} and {kind}); identifiers are unique in a device's set"
                    )));
                }
                items.insert(DeclarationKey::new(kind, identifier), server_token);
            }
        }
        Ok(Self {
            declarations_token,
            items,
        })
    }

    /// The body a server would send for these items.
    pub fn to_json(&self) -> Value {
        let mut declarations = Map::new();
        for kind in DECLARATION_KINDS {
            let list: Vec<Value> = self
                .items
                .iter()
                .filter(|(key, _)| key.kind == kind)
                .map(|(key, token)| json!({ "Identifier": key.identifier, "ServerToken": token }))
                .collect();
            declarations.insert(items_array_name(kind).into(), Value::Array(list));
        }
        json!({
            "Declarations": declarations,
            "DeclarationsToken": self.declarations_token,
        })
    }
}

/// `Activations`, `Configurations`, `Assets` or `Management`: the array names of
/// `declaration-items`.
pub fn items_array_name(kind: DeclarationKind) -> &'static str {
    match kind {
        DeclarationKind::Activation => "Activations",
        DeclarationKind::Configuration => "Configurations",
        DeclarationKind::Asset => "Assets",
        DeclarationKind::Management => "Management",
    }
}

/// `activations`, `configurations`, `assets` or `management`: the array names of the
/// `management.declarations` status item.
pub fn status_array_name(kind: DeclarationKind) -> &'static str {
    match kind {
        DeclarationKind::Activation => "activations",
        DeclarationKind::Configuration => "configurations",
        DeclarationKind::Asset => "assets",
        DeclarationKind::Management => "management",
    }
}

/// One status report as the device builds it: items by dotted name (`softwareupdate.install-state`).
/// [`StatusReport::to_json`] nests them as the protocol sends them.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    /// `FullReport`: true when the report carries every item (replace stored state), false for
    /// an incremental report that carries only the items that changed.
    pub full: bool,
    /// Status item values by dotted name.
    pub items: BTreeMap<String, Value>,
    /// The `Errors` array (each `{StatusItem, Reasons}`); the simulator sends it empty.
    pub errors: Vec<Value>,
}

impl StatusReport {
    /// One item's value by dotted name.
    pub fn item(&self, name: &str) -> Option<&Value> {
        self.items.get(name)
    }

    /// `{"StatusItems": {…nested…}, "Errors": […], "FullReport": bool}`.
    pub fn to_json(&self) -> Value {
        json!({
            "StatusItems": nest_status_items(&self.items),
            "Errors": self.errors,
            "FullReport": self.full,
        })
    }
}

/// Nests items by their dotted names: `{"a.b.c": 1}` → `{"a":{"b":{"c":1}}}`.
pub fn nest_status_items(items: &BTreeMap<String, Value>) -> Value {
    let mut root = Map::new();
    for (name, value) in items {
        let mut parts: Vec<&str> = name.split('.').collect();
        let leaf = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            let entry = node
                .entry(part.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("made an object just above");
        }
        node.insert(leaf.to_owned(), value.clone());
    }
    Value::Object(root)
}

fn required_string(
    object: &Map<String, Value>,
    key: &str,
    place: &str,
) -> Result<String, ProtocolError> {
    match object.get(key) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        Some(Value::String(_)) => Err(ProtocolError::new(format!("{place}: {key} is empty"))),
        Some(_) => Err(ProtocolError::new(format!(
            "{place}: {key} is not a string"
        ))),
        None => Err(ProtocolError::new(format!("{place}: {key} is missing"))),
    }
}

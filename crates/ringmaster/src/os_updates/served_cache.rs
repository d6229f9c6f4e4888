//! Each device's computed declaration set, kept in memory with its answers already written, so a
//! check-in after `tokens` neither recomputes the set nor reads it back from the database.
//!
//! - An entry is keyed by everything the set depends on ([`CacheKey`]): the configuration
//!   revision, the device row's facts (platform, version, build, model, software-update id,
//!   enrollment type, client configurations), the UTC day (deferrals, expiry and deadlines count
//!   whole UTC days) and the end of the exemption in force, if any. A lookup with another key is a
//!   miss, and the set is computed again.
//! - Sets are interned by `DeclarationsToken` and declarations by (identifier, `ServerToken`):
//!   devices served the same set share one [`SetBodies`], and sets sharing a declaration share
//!   its bytes ([`Bytes`] is reference-counted), so memory follows the distinct sets, not the
//!   devices.
//! - What is cached is never trusted over the database for what a device was given: the
//!   check-in path compares the entry's token with the recorded one (one indexed read of a short
//!   string) and falls back to the recorded set when another server recorded a different one.
//! - Bounded: at most [`MAX_DEVICES`] device entries (then an arbitrary one is dropped for each
//!   new one) and [`MAX_INTERNED`] interned sets and declarations (then the interning tables
//!   start afresh; entries keep what they point at). An entry is about 300 bytes plus its id, so
//!   100,000 devices take some 40 MB besides their distinct sets.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::capabilities::EnrollmentType;
use ringmaster_domain::declarations::envelope::{Declaration, DeclarationKind, DeclarationSet};
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::StoredDevice;
use serde::Serialize;
use serde_json::Value;

use crate::os_updates::ddm::declaration_items;

/// The most device entries kept.
pub const MAX_DEVICES: usize = 500_000;

/// The most interned sets (and, separately, declarations) before the tables start afresh.
pub const MAX_INTERNED: usize = 200_000;

/// What a device's set depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub revision: i64,
    pub day: Date,
    pub exempt_until: Option<Timestamp>,
    /// How many pauses have reached their `until` ([`crate::os_updates::snapshot::OsUpdateSnapshot::pauses_ended_by`]): a
    /// pause that ends by itself changes what devices are served without a new revision.
    pub pauses_ended: usize,
    pub device: DeviceKey,
}

/// The facts of a device row that its set depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceKey {
    pub platform: Option<Platform>,
    pub os_version: Option<String>,
    pub os_build: Option<String>,
    pub model: Option<String>,
    pub software_update_device_id: Option<String>,
    pub enrollment_type: Option<EnrollmentType>,
    pub client_configurations: Option<BTreeSet<String>>,
}

impl DeviceKey {
    pub fn of(device: &StoredDevice) -> DeviceKey {
        DeviceKey {
            platform: device.platform,
            os_version: device.os_version.as_ref().map(|v| v.as_str().to_owned()),
            os_build: device.os_build.clone(),
            model: device.model.clone(),
            software_update_device_id: device.software_update_device_id.clone(),
            enrollment_type: device.enrollment_type,
            client_configurations: device.client_configurations.clone(),
        }
    }
}

/// One declaration, written as the device receives it.
#[derive(Debug, Clone)]
pub struct CachedDeclaration {
    pub kind: DeclarationKind,
    pub identifier: String,
    pub body: Bytes,
}

/// A set with its answers written: the token, the `declaration-items` body and every
/// declaration's body, sorted by (kind, identifier).
#[derive(Debug)]
pub struct SetBodies {
    pub token: String,
    pub items: Bytes,
    pub declarations: Vec<CachedDeclaration>,
}

impl SetBodies {
    /// The declaration a device asks for, if it is in the set.
    pub fn get(&self, kind: DeclarationKind, identifier: &str) -> Option<&CachedDeclaration> {
        self.declarations
            .iter()
            .find(|declaration| declaration.kind == kind && declaration.identifier == identifier)
    }

    /// The set as the store records it: a JSON array of the declarations.
    pub fn recorded_body(&self) -> String {
        let mut body = String::with_capacity(
            2 + self
                .declarations
                .iter()
                .map(|declaration| declaration.body.len() + 1)
                .sum::<usize>(),
        );
        body.push('[');
        for (index, declaration) in self.declarations.iter().enumerate() {
            if index > 0 {
                body.push(',');
            }
            // Written by `serde_json` from a typed envelope: always UTF-8.
            body.push_str(&String::from_utf8_lossy(&declaration.body));
        }
        body.push(']');
        body
    }
}

/// A declaration's envelope, `{"Type", "Identifier", "ServerToken", "Payload"}` in that order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a> {
    #[serde(rename = "Type")]
    kind: &'a str,
    identifier: &'a str,
    server_token: &'a str,
    payload: &'a Value,
}

/// The bytes of one declaration's envelope.
pub fn declaration_body(declaration: &Declaration) -> Bytes {
    let envelope = Envelope {
        kind: declaration.kind().as_str(),
        identifier: declaration.identifier().as_str(),
        server_token: declaration.server_token(),
        payload: declaration.payload(),
    };
    // Serializing a `Value` and strings into memory cannot fail.
    Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default())
}

/// A device's entry: the key its set was computed under, and the set.
#[derive(Debug, Clone)]
pub struct DeviceEntry {
    pub key: CacheKey,
    pub set: Arc<SetBodies>,
}

#[derive(Debug, Default)]
struct Interned {
    sets: HashMap<String, Arc<SetBodies>>,
    declarations: HashMap<(String, String), Bytes>,
}

/// The cache, shared by every clone of the service.
#[derive(Debug, Default)]
pub struct ServedCache {
    devices: Mutex<HashMap<String, DeviceEntry>>,
    interned: Mutex<Interned>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind, still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ServedCache {
    /// The set cached for `device` under `key`, if any.
    pub fn lookup(&self, device: &str, key: &CacheKey) -> Option<Arc<SetBodies>> {
        let devices = lock(&self.devices);
        let entry = devices.get(device)?;
        (entry.key == *key).then(|| entry.set.clone())
    }

    /// The entry last cached for `device`, whatever its key.
    pub fn latest(&self, device: &str) -> Option<DeviceEntry> {
        lock(&self.devices).get(device).cloned()
    }

    /// Caches `set` for `device` under `key`, sharing what is already interned.
    pub fn insert(&self, device: &str, key: CacheKey, set: &DeclarationSet) -> Arc<SetBodies> {
        let bodies = self.intern(set);
        let mut devices = lock(&self.devices);
        if devices.len() >= MAX_DEVICES && !devices.contains_key(device) {
            let victim = devices.keys().next().cloned();
            if let Some(victim) = victim {
                devices.remove(&victim);
            }
        }
        devices.insert(
            device.to_owned(),
            DeviceEntry {
                key,
                set: bodies.clone(),
            },
        );
        bodies
    }

    /// Forgets `device` (its row changed here).
    pub fn forget(&self, device: &str) {
        lock(&self.devices).remove(device);
    }

    /// How many devices and distinct sets are cached.
    pub fn sizes(&self) -> (usize, usize) {
        let devices = lock(&self.devices).len();
        (devices, lock(&self.interned).sets.len())
    }

    fn intern(&self, set: &DeclarationSet) -> Arc<SetBodies> {
        let token = set.declarations_token();
        let mut interned = lock(&self.interned);
        if let Some(found) = interned.sets.get(&token) {
            return found.clone();
        }
        if interned.sets.len() >= MAX_INTERNED || interned.declarations.len() >= MAX_INTERNED {
            *interned = Interned::default();
        }
        let declarations = set
            .declarations()
            .iter()
            .map(|declaration| {
                let identifier = declaration.identifier().as_str().to_owned();
                let body = interned
                    .declarations
                    .entry((identifier.clone(), declaration.server_token().to_owned()))
                    .or_insert_with(|| declaration_body(declaration))
                    .clone();
                CachedDeclaration {
                    kind: declaration.kind().kind(),
                    identifier,
                    body,
                }
            })
            .collect();
        let items = Bytes::from(serde_json::to_vec(&declaration_items(set)).unwrap_or_default());
        let bodies = Arc::new(SetBodies {
            token: token.clone(),
            items,
            declarations,
        });
        interned.sets.insert(token, bodies.clone());
        bodies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringmaster_domain::declarations::envelope::{DeclarationIdentifier, DeclarationType};

    fn set(payload: i64) -> DeclarationSet {
        DeclarationSet::new(vec![
            Declaration::new(
                DeclarationType::parse("com.apple.configuration.softwareupdate.settings").unwrap(),
                DeclarationIdentifier::parse("ringmaster.settings").unwrap(),
                serde_json::json!({"Deferrals": {"MajorPeriodInDays": payload}}),
            ),
            Declaration::new(
                DeclarationType::parse("com.apple.activation.simple").unwrap(),
                DeclarationIdentifier::parse("ringmaster.activation").unwrap(),
                serde_json::json!({"StandardConfigurations": ["ringmaster.settings"]}),
            ),
        ])
        .unwrap()
    }

    fn key(revision: i64) -> CacheKey {
        CacheKey {
            revision,
            day: jiff::civil::date(2026, 12, 7),
            exempt_until: None,
            pauses_ended: 0,
            device: DeviceKey {
                platform: Some(Platform::MacOs),
                os_version: Some("26.0".into()),
                os_build: None,
                model: None,
                software_update_device_id: None,
                enrollment_type: None,
                client_configurations: None,
            },
        }
    }

    #[test]
    fn bodies_are_the_envelopes_the_domain_writes() {
        let set = set(30);
        for declaration in set.declarations() {
            let body: Value = serde_json::from_slice(&declaration_body(declaration)).unwrap();
            assert_eq!(body, declaration.to_json());
            let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["Type", "Identifier", "ServerToken", "Payload"]);
        }
        let cache = ServedCache::default();
        let bodies = cache.insert("mac-1", key(1), &set);
        let recorded: Value = serde_json::from_str(&bodies.recorded_body()).unwrap();
        let expected: Vec<Value> = set.declarations().iter().map(|d| d.to_json()).collect();
        assert_eq!(recorded, Value::Array(expected));
        let items: Value = serde_json::from_slice(&bodies.items).unwrap();
        assert_eq!(
            items,
            serde_json::to_value(declaration_items(&set)).unwrap()
        );
        assert_eq!(bodies.token, set.declarations_token());
    }

    #[test]
    fn a_lookup_hits_only_under_the_same_key_and_equal_sets_are_shared() {
        let cache = ServedCache::default();
        let first = cache.insert("mac-1", key(1), &set(30));
        let second = cache.insert("mac-2", key(1), &set(30));
        assert!(Arc::ptr_eq(&first, &second), "one set, shared");
        assert!(cache.lookup("mac-1", &key(1)).is_some());
        assert!(cache.lookup("mac-1", &key(2)).is_none(), "another revision");
        let mut other_day = key(1);
        other_day.day = jiff::civil::date(2026, 12, 8);
        assert!(cache.lookup("mac-1", &other_day).is_none(), "another day");
        let mut other_device = key(1);
        other_device.device.os_version = Some("26.1".into());
        assert!(cache.lookup("mac-1", &other_device).is_none());
        let third = cache.insert("mac-3", key(1), &set(60));
        let activation = |bodies: &SetBodies| {
            bodies
                .get(DeclarationKind::Activation, "ringmaster.activation")
                .unwrap()
                .body
                .as_ptr()
        };
        assert_eq!(
            activation(&first),
            activation(&third),
            "an equal declaration in two sets is one allocation"
        );
        cache.forget("mac-1");
        assert!(cache.lookup("mac-1", &key(1)).is_none());
        assert_eq!(cache.sizes(), (2, 2));
    }
}

//! [`SimulatedDevice`]: one Apple device's side of DDM as a pure state machine (no IO; the
//! clock is given to it).
//!
//! One sync, in the order [`crate::client::SyncClient::sync`] drives it:
//! 1. [`SimulatedDevice::begin_sync`] with "now": counts the sync and moves a running install one
//!    step;
//! 2. [`SimulatedDevice::needs_declaration_items`] with the `tokens` answer: true only when the
//!    `DeclarationsToken` differs from the one the device holds;
//! 3. [`SimulatedDevice::plan_fetches`] with the `declaration-items` answer: the declarations
//!    whose `(Identifier, ServerToken)` is new, and those no longer listed;
//! 4. [`SimulatedDevice::apply_declarations`] with what was fetched: drops, validates, activates,
//!    stores the new token, and picks up an enforcement;
//! 5. [`SimulatedDevice::status_report`], then [`SimulatedDevice::report_sent`] once the server
//!    took it.
//!
//! Choices where Apple leaves room (all documented on the types):
//! - **Device-local time** is UTC plus a fixed offset ([`DeviceOptions::utc_offset`], UTC by
//!   default); `TargetLocalDateTime` is read in it.
//! - **Installs move one step per sync** once due: `downloading`, `prepared`, `installing`, then
//!   the new version (or `failed`), so a server sees every state; four syncs from due to done.
//! - **Every enforced version exists**: the device does not consult Apple's catalog.
//! - **Only subscribed items are reported** (plus `management.client-capabilities` and
//!   `management.declarations`), as Apple's client does; a subscription names an item or a
//!   dotted prefix of items. [`DeviceOptions::report_unsubscribed_items`] lifts the filter.
//! - **Activations are all or nothing**: one that names a configuration the device does not hold
//!   stays inactive with `Error.MissingConfigurations`; predicates are not evaluated (true).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::tz::Offset;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::declarations::envelope::DeclarationKind;
use ringmaster_domain::platform::Platform;
use serde_json::Value;

mod install;
pub mod status;

pub use install::made_up_build;

use crate::kinds;
pub use crate::profile::DeviceProfile;
use crate::protocol::{DeclarationItems, DeclarationKey, StatusReport, SyncTokens};
use crate::validate::{
    Content, Enforcement, StatusReason, UNKNOWN_DECLARATION_TYPE, check_declaration,
};

/// How the simulated device behaves where a real one would vary.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceOptions {
    /// A full report (`FullReport: true`) on the first sync and then every this many syncs
    /// (Apple's "safety sync"); incremental reports in between. 0 counts as 1 (always full).
    pub full_report_every: u32,
    /// The device's offset from UTC: `TargetLocalDateTime` is read in it. UTC by default.
    pub utc_offset: Offset,
    /// `None`: the update starts at the deadline. `Some(f)` (0 to 1): the user starts it at the
    /// fraction `f` of the way from receiving the enforcement to its deadline.
    pub early_install_fraction: Option<f64>,
    /// The install ends in `failed` (failure-reason count 1) instead of the new version.
    pub fail_install: bool,
    /// Report every item, subscribed or not.
    pub report_unsubscribed_items: bool,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        Self {
            full_report_every: 10,
            utc_offset: Offset::UTC,
            early_install_fraction: None,
            fail_install: false,
            report_unsubscribed_items: false,
        }
    }
}

/// `softwareupdate.install-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstallState {
    None,
    Downloading,
    Prepared,
    Installing,
    Failed,
}

impl InstallState {
    /// Apple's value: `none`, `downloading`, `prepared`, `installing`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            InstallState::None => "none",
            InstallState::Downloading => "downloading",
            InstallState::Prepared => "prepared",
            InstallState::Installing => "installing",
            InstallState::Failed => "failed",
        }
    }
}

/// The update an active enforcement asks for, from the moment the device holds it until the
/// new version runs.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingInstall {
    /// The enforcement declaration's `Identifier`.
    pub declaration_identifier: String,
    pub enforcement: Enforcement,
    /// The version the device will run (`26.1` for a `TargetOSVersion` of `26.1.0`;
    /// `26.3.1 (a)` for a supplemental build).
    pub install_version: AppleOsVersion,
    /// The build it will run: `TargetBuildVersion`, or a made-up build of the right shape.
    pub install_build: String,
    /// The supplemental build, when the target is one (`25D771280a`).
    pub supplemental_build: Option<String>,
    /// `TargetLocalDateTime` in device-local time.
    pub deadline: Timestamp,
    /// When the device first held this enforcement.
    pub received_at: Timestamp,
    /// When the update starts: the deadline, or earlier with an early-install fraction.
    pub starts_at: Timestamp,
    /// The user starts it before the deadline.
    pub early: bool,
    pub state: InstallState,
    /// Failed attempts (`softwareupdate.failure-reason` `count`).
    pub failures: u32,
    pub failed_at: Option<Timestamp>,
}

/// One declaration the device holds.
#[derive(Debug, Clone)]
pub struct StoredDeclaration {
    key: DeclarationKey,
    server_token: String,
    declaration: Value,
    declaration_type: Option<String>,
    validation: Vec<StatusReason>,
    activation: Vec<StatusReason>,
    active: bool,
    content: Content,
}

impl StoredDeclaration {
    pub fn key(&self) -> &DeclarationKey {
        &self.key
    }

    /// The `ServerToken` the device holds for it (the one the declaration carries).
    pub fn server_token(&self) -> &str {
        &self.server_token
    }

    /// The declaration JSON as received.
    pub fn declaration(&self) -> &Value {
        &self.declaration
    }

    /// `Type`, when it was a string.
    pub fn declaration_type(&self) -> Option<&str> {
        self.declaration_type.as_deref()
    }

    /// The device accepted it (`valid: "valid"`; a refused one is `invalid`, or `unknown` when the
    /// device does not know its type).
    pub fn is_valid(&self) -> bool {
        self.validation.is_empty()
    }

    /// It is in force (`active: true`).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The `reasons` reported for it: why it is invalid, or why it is not active.
    pub fn reasons(&self) -> Vec<&StatusReason> {
        self.validation.iter().chain(&self.activation).collect()
    }

    /// Its entry in `management.declarations`:
    /// `{identifier, server-token, active, valid, reasons?}`.
    pub fn status_json(&self) -> Value {
        let mut entry = serde_json::Map::new();
        entry.insert("identifier".into(), self.key.identifier.clone().into());
        entry.insert("server-token".into(), self.server_token.clone().into());
        entry.insert("active".into(), self.active.into());
        // A type the device's OS does not know is neither valid nor invalid to it: `unknown`, as
        // real devices answer for a declaration type newer than their OS.
        let unknown_type = !self.validation.is_empty()
            && self
                .validation
                .iter()
                .all(|reason| reason.code == UNKNOWN_DECLARATION_TYPE);
        let valid = if self.is_valid() {
            "valid"
        } else if unknown_type {
            "unknown"
        } else {
            "invalid"
        };
        entry.insert("valid".into(), valid.into());
        let reasons = self.reasons();
        if !reasons.is_empty() {
            let reasons = reasons.into_iter().map(StatusReason::to_json).collect();
            entry.insert("reasons".into(), Value::Array(reasons));
        }
        Value::Object(entry)
    }
}

/// What to fetch after `declaration-items`, and what the device will drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchPlan {
    /// Listed declarations the device lacks or holds with another `ServerToken`.
    pub fetch: Vec<DeclarationKey>,
    /// Held declarations no longer listed.
    pub drop: Vec<DeclarationKey>,
}

/// What [`SimulatedDevice::apply_declarations`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedDeclarations {
    /// Declarations stored from this fetch.
    pub stored: Vec<DeclarationKey>,
    /// Declarations removed because they are no longer listed.
    pub dropped: Vec<DeclarationKey>,
    /// Declarations stored from this fetch that the device judged invalid.
    pub invalid: Vec<DeclarationKey>,
    /// Declarations the plan needed but `fetched` lacked; the device then keeps its old
    /// `DeclarationsToken`, so the next sync tries again.
    pub missing: Vec<DeclarationKey>,
    /// Server answers that break the protocol (identifier or token mismatches…).
    pub issues: Vec<String>,
}

/// One simulated device. See the module doc for the sync order and the choices made.
#[derive(Debug, Clone)]
pub struct SimulatedDevice {
    profile: DeviceProfile,
    options: DeviceOptions,
    supplemental_build: Option<String>,
    declarations: BTreeMap<DeclarationKey, StoredDeclaration>,
    declarations_token: Option<String>,
    pending: Option<PendingInstall>,
    syncs: u64,
    clock: Option<Timestamp>,
    last_full_report: Option<u64>,
    acknowledged: BTreeMap<String, Value>,
}

impl SimulatedDevice {
    pub fn new(profile: DeviceProfile, options: DeviceOptions) -> Self {
        Self {
            profile,
            options,
            supplemental_build: None,
            declarations: BTreeMap::new(),
            declarations_token: None,
            pending: None,
            syncs: 0,
            clock: None,
            last_full_report: None,
            acknowledged: BTreeMap::new(),
        }
    }

    /// The same device already running supplemental build `build` (`25D771280a`) on top of
    /// its profile's build: its profile's version should carry the suffix (`26.3.1 (a)`).
    pub fn running_supplemental_build(mut self, build: &str) -> Self {
        self.supplemental_build = Some(build.to_owned());
        self
    }

    pub fn enrollment_id(&self) -> &str {
        &self.profile.enrollment_id
    }

    /// The profile, with the OS version and build as they are now (after installs).
    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn platform(&self) -> Platform {
        self.profile.platform
    }

    /// The running version (with a supplemental suffix after a supplemental install).
    pub fn os_version(&self) -> &AppleOsVersion {
        &self.profile.os_version
    }

    pub fn build_version(&self) -> &str {
        &self.profile.build_version
    }

    /// The running supplemental build, if one was installed.
    pub fn supplemental_build(&self) -> Option<&str> {
        self.supplemental_build.as_deref()
    }

    pub fn options(&self) -> &DeviceOptions {
        &self.options
    }

    /// Change behaviour mid-run (make the next install fail, …).
    pub fn options_mut(&mut self) -> &mut DeviceOptions {
        &mut self.options
    }

    /// The `DeclarationsToken` of the last set applied; `None` before the first.
    pub fn declarations_token(&self) -> Option<&str> {
        self.declarations_token.as_deref()
    }

    /// Every held declaration, by kind then identifier.
    pub fn declarations(&self) -> impl Iterator<Item = &StoredDeclaration> {
        self.declarations.values()
    }

    pub fn declaration(&self, key: &DeclarationKey) -> Option<&StoredDeclaration> {
        self.declarations.get(key)
    }

    /// `softwareupdate.install-state` now.
    pub fn install_state(&self) -> InstallState {
        self.pending
            .as_ref()
            .map_or(InstallState::None, |pending| pending.state)
    }

    pub fn pending_install(&self) -> Option<&PendingInstall> {
        self.pending.as_ref()
    }

    /// Syncs begun so far.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    /// The clock of the current sync (`None` before the first).
    pub fn now(&self) -> Option<Timestamp> {
        self.clock
    }

    /// The status item names the active status-subscription configurations list.
    pub fn subscriptions(&self) -> BTreeSet<String> {
        self.declarations
            .values()
            .filter(|stored| stored.active)
            .filter_map(|stored| match &stored.content {
                Content::Subscriptions { items } => Some(items.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Step 1: a sync begins at `now`. A due install starts, a running one moves one step.
    pub fn begin_sync(&mut self, now: Timestamp) {
        self.syncs += 1;
        self.clock = Some(now);
        self.step_install(now);
    }

    /// Step 2: whether to fetch `declaration-items`: the server's `DeclarationsToken` differs
    /// from the held one (always true before the first set).
    pub fn needs_declaration_items(&self, tokens: &SyncTokens) -> bool {
        self.declarations_token.as_deref() != Some(tokens.declarations_token.as_str())
    }

    /// Step 3: the listed declarations whose `(Identifier, ServerToken)` the device does not
    /// hold, and the held ones no longer listed.
    pub fn plan_fetches(&self, items: &DeclarationItems) -> FetchPlan {
        let fetch = items
            .items
            .iter()
            .filter(|(key, token)| {
                self.declarations
                    .get(*key)
                    .is_none_or(|held| &held.server_token != *token)
            })
            .map(|(key, _)| key.clone())
            .collect();
        let drop = self
            .declarations
            .keys()
            .filter(|key| !items.items.contains_key(*key))
            .cloned()
            .collect();
        FetchPlan { fetch, drop }
    }

    /// Step 4: applies a new set: `fetched` holds the bodies of the planned declarations.
    /// Unlisted declarations are dropped, fetched ones validated and stored, activations
    /// evaluated, the token stored (unless a planned declaration is missing), and the enforced
    /// update picked up.
    pub fn apply_declarations(
        &mut self,
        items: &DeclarationItems,
        fetched: &BTreeMap<DeclarationKey, Value>,
    ) -> AppliedDeclarations {
        let plan = self.plan_fetches(items);
        let mut applied = AppliedDeclarations::default();
        for key in plan.drop {
            self.declarations.remove(&key);
            applied.dropped.push(key);
        }
        for key in plan.fetch {
            let Some(body) = fetched.get(&key) else {
                applied.missing.push(key);
                continue;
            };
            let listed_token = &items.items[&key];
            let mut checked = check_declaration(
                self.profile.platform,
                &self.profile.os_version,
                &key,
                listed_token,
                body,
            );
            kinds::refuse_unsupported(&mut checked, &self.profile);
            applied.issues.extend(checked.issues);
            if !checked.reasons.is_empty() {
                applied.invalid.push(key.clone());
            }
            let stored = StoredDeclaration {
                key: key.clone(),
                server_token: checked.server_token,
                declaration: body.clone(),
                declaration_type: checked.declaration_type,
                validation: checked.reasons,
                activation: Vec::new(),
                active: false,
                content: checked.content,
            };
            self.declarations.insert(key.clone(), stored);
            applied.stored.push(key);
        }
        for key in fetched.keys() {
            if !items.items.contains_key(key) {
                applied
                    .issues
                    .push(format!("{key} was fetched but is not listed"));
            }
        }
        if applied.missing.is_empty() {
            self.declarations_token = Some(items.declarations_token.clone());
        }
        self.evaluate_activations();
        let now = self.clock.unwrap_or(Timestamp::UNIX_EPOCH);
        self.refresh_pending(now);
        applied
    }

    /// Every status item the device reports now, by dotted name (filtered by subscriptions
    /// unless [`DeviceOptions::report_unsubscribed_items`]).
    pub fn status_items(&self) -> BTreeMap<String, Value> {
        let subscriptions = self.subscriptions();
        status::all_items(self)
            .into_iter()
            .filter(|(name, _)| {
                self.options.report_unsubscribed_items
                    || status::is_subscribed(name, &subscriptions)
            })
            .collect()
    }

    /// Step 5: the report to send now. Full on the first sync and every
    /// [`DeviceOptions::full_report_every`] syncs after the last full one that was sent;
    /// otherwise incremental with only the items whose value differs from what the server
    /// last took, or `None` when nothing changed.
    pub fn status_report(&self) -> Option<StatusReport> {
        let items = self.status_items();
        let every = u64::from(self.options.full_report_every.max(1));
        let full = self
            .last_full_report
            .is_none_or(|last| self.syncs.saturating_sub(last) >= every);
        if full {
            return Some(StatusReport {
                full: true,
                items,
                errors: Vec::new(),
            });
        }
        let changed: BTreeMap<String, Value> = items
            .into_iter()
            .filter(|(name, value)| self.acknowledged.get(name) != Some(value))
            .collect();
        (!changed.is_empty()).then_some(StatusReport {
            full: false,
            items: changed,
            errors: Vec::new(),
        })
    }

    /// The server took `report` (HTTP 2xx): later incremental reports are relative to it.
    pub fn report_sent(&mut self, report: &StatusReport) {
        if report.full {
            self.acknowledged = report.items.clone();
            self.last_full_report = Some(self.syncs);
        } else {
            for (name, value) in &report.items {
                self.acknowledged.insert(name.clone(), value.clone());
            }
        }
    }

    /// Activations activate the configurations they list when all are held; a valid
    /// configuration no active activation lists is inactive with `Info.NotReferencedByActivation`.
    fn evaluate_activations(&mut self) {
        let held_configurations: BTreeSet<String> = self
            .declarations
            .keys()
            .filter(|key| key.kind == DeclarationKind::Configuration)
            .map(|key| key.identifier.clone())
            .collect();
        let mut referenced = BTreeSet::new();
        for stored in self.declarations.values_mut() {
            stored.activation.clear();
            stored.active = false;
            if stored.key.kind != DeclarationKind::Activation || !stored.validation.is_empty() {
                continue;
            }
            let Content::Activation { configurations } = &stored.content else {
                stored.active = true;
                continue;
            };
            let missing: Vec<&String> = configurations
                .iter()
                .filter(|identifier| !held_configurations.contains(*identifier))
                .collect();
            if missing.is_empty() {
                stored.active = true;
                referenced.extend(configurations.iter().cloned());
            } else {
                stored.activation.push(StatusReason {
                    code: "Error.MissingConfigurations".to_owned(),
                    description: format!(
                        "the activation references configurations the device does not hold: {}",
                        missing
                            .iter()
                            .map(|identifier| identifier.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    details: Some(serde_json::json!({
                        "Identifier": stored.key.identifier,
                        "ServerToken": stored.server_token,
                        "ConfigurationIdentifiers": missing,
                    })),
                });
            }
        }
        for stored in self.declarations.values_mut() {
            if !stored.validation.is_empty() {
                continue;
            }
            match stored.key.kind {
                DeclarationKind::Activation => {}
                DeclarationKind::Configuration => {
                    if referenced.contains(&stored.key.identifier) {
                        stored.active = true;
                    } else {
                        stored.activation.push(StatusReason {
                            code: "Info.NotReferencedByActivation".to_owned(),
                            description: "no active activation references this configuration"
                                .to_owned(),
                            details: Some(serde_json::json!({
                                "Identifier": stored.key.identifier,
                                "ServerToken": stored.server_token,
                            })),
                        });
                    }
                }
                DeclarationKind::Asset | DeclarationKind::Management => stored.active = true,
            }
        }
    }
}

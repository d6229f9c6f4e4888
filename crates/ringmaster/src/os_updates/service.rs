//! OS-update operations shared by the admin API and the CLI.
//!
//! Writes go to the store (which validates references and serializes writers), then the
//! in-memory snapshot is refreshed before the caller answers, so the writer's next read sees its
//! write. Other servers pick the change up with their periodic refresh. Computations (effective
//! policy, declarations, plans) read the snapshot and one device row: no other query.

use std::sync::Arc;

use arc_swap::ArcSwap;
use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::Resolution;
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::catalog::{FeedError, parse_feed};
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::fleet::{DeviceDeclarations, device_declarations, status_only};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::parse::{Warning, parse_policy};
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::schedule::{DeviceFacts, RolloutEntry, rollout};
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::{
    GroupWrite, NewDevice, StoredDevice, StoredDeviceGroup,
};
use ringmaster_store::os_updates::policies::{
    BindingTargets, BindingsWrite, DefaultRings, StoredPolicy, StoredPolicyGroup, Subject,
};
use ringmaster_store::store::Store;
use serde_json::Value;

use crate::clock::Clock;
use crate::os_updates::snapshot::OsUpdateSnapshot;

#[derive(Debug, thiserror::Error)]
pub enum OsUpdateError {
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("the submitted document is invalid")]
    Invalid(FieldErrors),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{what} has changed since revision {expected}; read it again")]
    Stale { what: String, expected: i64 },
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("{0}")]
    Fetch(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for OsUpdateError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => OsUpdateError::AlreadyExists(what),
            StoreError::RevisionMismatch { what, expected, .. } => {
                OsUpdateError::Stale { what, expected }
            }
            other => OsUpdateError::Store(other),
        }
    }
}

/// What a catalog import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// `sofa-v1`, `sofa-v2`, `sofa-dms` or `gdmf`.
    pub format: String,
    /// Releases the feed holds.
    pub releases: usize,
    pub added: usize,
    pub updated: usize,
    /// Build-less entries that a release with a build took over.
    pub merged: usize,
    pub unchanged: usize,
    /// Models whose facts (OS majors, board ids) the feed added or changed.
    pub models: usize,
    /// The catalog's revision after the import.
    pub revision: i64,
}

/// A policy's rollout for the plan view.
#[derive(Debug, Clone)]
pub struct PolicyRollout {
    pub policy: StoredPolicy,
    /// The ring's name, when the policy is in a policy group.
    pub ring: Option<String>,
    pub entries: Vec<RolloutEntry>,
}

impl PolicyRollout {
    /// How the plan names it: the ring, or else the policy.
    pub fn label(&self) -> &str {
        self.ring
            .as_deref()
            .unwrap_or_else(|| self.policy.policy.name.as_str())
    }
}

/// The OS-update service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OsUpdates {
    pub store: Store,
    pub clock: Clock,
    snapshot: Arc<ArcSwap<OsUpdateSnapshot>>,
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl OsUpdates {
    pub fn new(store: Store) -> OsUpdates {
        OsUpdates::with_clock(store, Clock::System)
    }

    /// A service reading `clock` for "now" on the device-facing side.
    pub fn with_clock(store: Store, clock: Clock) -> OsUpdates {
        OsUpdates {
            store,
            clock,
            snapshot: Arc::new(ArcSwap::from_pointee(OsUpdateSnapshot::empty())),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The configuration as of the last refresh.
    pub fn snapshot(&self) -> Arc<OsUpdateSnapshot> {
        self.snapshot.load_full()
    }

    /// Reloads the snapshot when the store's revision has moved.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let revision = self.store.os_update_revision().await?;
        if revision != self.snapshot.load().revision {
            let config = self.store.load_os_update_config().await?;
            self.snapshot
                .store(Arc::new(OsUpdateSnapshot::build(config)));
        }
        Ok(())
    }

    /// Refreshes after a write; a failure is logged, as the periodic refresh will catch up.
    pub(crate) async fn refresh_after_write(&self) {
        if let Err(error) = self.refresh().await {
            tracing::warn!(%error, "OS-update snapshot refresh failed after a write");
        }
    }

    // ----- catalog -----

    /// Parses a feed (format detected) and folds it into the catalog; all or nothing.
    pub async fn import_feed(
        &self,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<ImportReport, OsUpdateError> {
        let parsed = parse_feed(bytes, now)?;
        let format = parsed.format;
        let mut releases = parsed.releases;
        for release in &mut releases {
            // SOFA's dates are stable and it has no "seen" time: the first import is the sighting.
            release.seen_at.get_or_insert(now);
        }
        let count = releases.len();
        let import = self
            .store
            .import_feed_catalog(releases, &parsed.hardware)
            .await?;
        let (outcome, models) = (import.releases, import.models);
        let revision = outcome.revision;
        self.refresh_after_write().await;
        Ok(ImportReport {
            format: format.as_str().to_owned(),
            releases: count,
            added: outcome.added,
            updated: outcome.updated,
            merged: outcome.removed,
            unchanged: outcome.unchanged,
            models,
            revision,
        })
    }

    /// The stored catalog, optionally of one platform, newest first.
    pub async fn releases(
        &self,
        platform: Option<Platform>,
    ) -> Result<Vec<Release>, OsUpdateError> {
        Ok(self.store.list_releases(platform).await?)
    }

    // ----- policies -----

    pub async fn list_policies(&self) -> Result<Vec<StoredPolicy>, OsUpdateError> {
        Ok(self.store.list_policies().await?)
    }

    pub async fn policy(&self, id: i64) -> Result<StoredPolicy, OsUpdateError> {
        self.store
            .get_policy(id)
            .await?
            .ok_or_else(|| policy_not_found(id))
    }

    pub async fn create_policy(
        &self,
        document: &Value,
        now: Timestamp,
    ) -> Result<(StoredPolicy, Vec<Warning>), OsUpdateError> {
        let parsed = parse_policy(document).map_err(OsUpdateError::Invalid)?;
        let stored = self.store.insert_policy(&parsed.policy, None, now).await?;
        self.refresh_after_write().await;
        Ok((stored, parsed.warnings))
    }

    pub async fn replace_policy(
        &self,
        id: i64,
        document: &Value,
        expected_revision: Option<i64>,
        now: Timestamp,
    ) -> Result<(StoredPolicy, Vec<Warning>), OsUpdateError> {
        let parsed = parse_policy(document).map_err(OsUpdateError::Invalid)?;
        let current = self.policy(id).await?;
        if current.policy.platform() != parsed.policy.platform() {
            let mut errors = FieldErrors::new();
            errors.push(
                "/platform",
                format!(
                    "a policy keeps its platform ({}); create a new policy for {}",
                    current.policy.platform(),
                    parsed.policy.platform()
                ),
            );
            return Err(OsUpdateError::Invalid(errors));
        }
        let stored = self
            .store
            .replace_policy(id, &parsed.policy, expected_revision, now)
            .await?
            .ok_or_else(|| policy_not_found(id))?;
        self.refresh_after_write().await;
        Ok((stored, parsed.warnings))
    }

    pub async fn delete_policy(
        &self,
        id: i64,
        expected_revision: Option<i64>,
    ) -> Result<(), OsUpdateError> {
        if !self.store.delete_policy(id, expected_revision).await? {
            return Err(policy_not_found(id));
        }
        self.refresh_after_write().await;
        Ok(())
    }

    /// Every policy group with its policies and bindings, ring order first.
    pub async fn policy_groups(&self) -> Result<Vec<PolicyGroupDetail>, OsUpdateError> {
        let groups = self.store.list_policy_groups().await?;
        let policies = self.store.list_policies().await?;
        let bindings = self.store.list_bindings().await?;
        Ok(groups
            .into_iter()
            .map(|group| PolicyGroupDetail {
                policies: policies
                    .iter()
                    .filter(|policy| policy.group_id == Some(group.id))
                    .cloned()
                    .collect(),
                bindings: bindings
                    .iter()
                    .find(|binding| binding.subject == Subject::PolicyGroup(group.id))
                    .map(|binding| binding.targets.clone())
                    .unwrap_or_default(),
                group,
            })
            .collect())
    }

    pub async fn policy_group(&self, id: i64) -> Result<PolicyGroupDetail, OsUpdateError> {
        self.policy_groups()
            .await?
            .into_iter()
            .find(|detail| detail.group.id == id)
            .ok_or_else(|| OsUpdateError::NotFound(format!("policy group {id}")))
    }

    /// Creates the four default rings unless they exist; returns them either way.
    pub async fn load_default_rings(&self, now: Timestamp) -> Result<DefaultRings, OsUpdateError> {
        let rings = self
            .store
            .ensure_default_rings(&default_rings(), now)
            .await?;
        if rings.created {
            self.refresh_after_write().await;
        }
        Ok(rings)
    }

    /// Replaces the bindings of a policy or policy group. Unknown targets are refused with a
    /// pointer each (`/devices/3`, `/deviceGroups/0`).
    pub async fn set_bindings(
        &self,
        subject: Subject,
        targets: &BindingTargets,
    ) -> Result<BindingTargets, OsUpdateError> {
        match self.store.set_bindings(subject, targets).await? {
            BindingsWrite::Written(written) => {
                self.refresh_after_write().await;
                Ok(written)
            }
            BindingsWrite::SubjectNotFound => Err(subject_not_found(subject)),
            BindingsWrite::Refused(unknown) => {
                let mut errors = FieldErrors::new();
                for index in unknown.devices {
                    errors.push(
                        format!("/devices/{index}"),
                        format!(
                            "no device has the id {:?}",
                            targets.devices.get(index).map_or("", String::as_str)
                        ),
                    );
                }
                for index in unknown.device_groups {
                    errors.push(
                        format!("/deviceGroups/{index}"),
                        format!(
                            "no device group has the id {}",
                            targets
                                .device_groups
                                .get(index)
                                .copied()
                                .unwrap_or_default()
                        ),
                    );
                }
                Err(OsUpdateError::Invalid(errors))
            }
        }
    }

    pub async fn bindings(&self, subject: Subject) -> Result<BindingTargets, OsUpdateError> {
        self.store
            .get_bindings(subject)
            .await?
            .ok_or_else(|| subject_not_found(subject))
    }

    // ----- devices -----

    pub async fn create_device(
        &self,
        device: &NewDevice,
        now: Timestamp,
    ) -> Result<StoredDevice, OsUpdateError> {
        Ok(self.store.insert_device(device, now).await?)
    }

    pub async fn device(&self, id: &str) -> Result<StoredDevice, OsUpdateError> {
        self.store
            .get_device(id)
            .await?
            .ok_or_else(|| OsUpdateError::NotFound(format!("device {id:?}")))
    }

    pub async fn devices(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredDevice>, OsUpdateError> {
        Ok(self.store.list_devices(after, limit).await?)
    }

    pub async fn device_groups(&self) -> Result<Vec<StoredDeviceGroup>, OsUpdateError> {
        Ok(self.store.list_device_groups().await?)
    }

    pub async fn delete_device(&self, id: &str) -> Result<(), OsUpdateError> {
        if !self.store.delete_device(id).await? {
            return Err(OsUpdateError::NotFound(format!("device {id:?}")));
        }
        self.refresh_after_write().await;
        Ok(())
    }

    pub async fn create_device_group(
        &self,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        let written = self.store.insert_device_group(name, devices, now).await?;
        self.group_written(written, devices, None).await
    }

    pub async fn replace_device_group(
        &self,
        id: i64,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        let written = self
            .store
            .replace_device_group(id, name, devices, now)
            .await?;
        self.group_written(written, devices, Some(id)).await
    }

    async fn group_written(
        &self,
        written: GroupWrite,
        devices: &[String],
        id: Option<i64>,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        match written {
            GroupWrite::Written(group) => {
                self.refresh_after_write().await;
                Ok(group)
            }
            GroupWrite::NotFound => Err(OsUpdateError::NotFound(format!(
                "device group {}",
                id.unwrap_or_default()
            ))),
            GroupWrite::UnknownDevices(positions) => {
                let mut errors = FieldErrors::new();
                for index in positions {
                    errors.push(
                        format!("/devices/{index}"),
                        format!(
                            "no device has the id {:?}; create it first (POST /api/v1/devices)",
                            devices.get(index).map_or("", String::as_str)
                        ),
                    );
                }
                Err(OsUpdateError::Invalid(errors))
            }
        }
    }

    pub async fn device_group(&self, id: i64) -> Result<StoredDeviceGroup, OsUpdateError> {
        self.store
            .get_device_group(id)
            .await?
            .ok_or_else(|| OsUpdateError::NotFound(format!("device group {id}")))
    }

    pub async fn delete_device_group(&self, id: i64) -> Result<(), OsUpdateError> {
        if !self.store.delete_device_group(id).await? {
            return Err(OsUpdateError::NotFound(format!("device group {id}")));
        }
        self.refresh_after_write().await;
        Ok(())
    }

    // ----- computations -----

    /// What a device is served at `at`: its effective policy's schedule and the declarations.
    pub async fn device_declarations(
        &self,
        device_id: &str,
        at: Timestamp,
    ) -> Result<DeviceServed, OsUpdateError> {
        let device = self.device(device_id).await?;
        Ok(self.declarations_for(&device, at))
    }

    /// What `device` is served at `at`, from the current snapshot: which policy wins, the
    /// schedule it gives, and the declarations.
    pub fn declarations_for(&self, device: &StoredDevice, at: Timestamp) -> DeviceServed {
        let snapshot = self.snapshot();
        let resolution = match device.platform {
            Some(platform) => snapshot.assignments.resolve(&device.id, platform),
            None => Resolution::default(),
        };
        let policy_id = resolution.winner.as_ref().map(|winner| winner.policy);
        let served = match facts(device, &snapshot.hardware) {
            Some(facts) => device_declarations(
                policy_id.and_then(|id| snapshot.prepared.get(&id)),
                &facts,
                &device.capabilities(),
                &snapshot.releases,
                at,
            ),
            None => status_only(Platform::MacOs),
        };
        let policy = policy_id.and_then(|id| snapshot.policies.get(&id).cloned());
        DeviceServed {
            snapshot,
            device: device.clone(),
            policy,
            resolution,
            served,
        }
    }

    /// One policy's rollout between two days.
    pub async fn policy_rollout(
        &self,
        id: i64,
        from: Date,
        to: Date,
    ) -> Result<PolicyRollout, OsUpdateError> {
        let snapshot = self.snapshot();
        let policy = snapshot
            .policies
            .get(&id)
            .cloned()
            .ok_or_else(|| policy_not_found(id))?;
        Ok(rollout_of(&snapshot, policy, from, to))
    }

    /// Every ring's policy for `platform`, earliest ring first.
    pub async fn rings_rollout(
        &self,
        platform: Platform,
        from: Date,
        to: Date,
    ) -> Result<Vec<PolicyRollout>, OsUpdateError> {
        let snapshot = self.snapshot();
        Ok(snapshot
            .ring_policies(platform)
            .into_iter()
            .map(|(_, policy)| rollout_of(&snapshot, policy.clone(), from, to))
            .collect())
    }
}

/// A policy group with what it holds and what it is bound to.
#[derive(Debug, Clone)]
pub struct PolicyGroupDetail {
    pub group: StoredPolicyGroup,
    pub policies: Vec<StoredPolicy>,
    pub bindings: BindingTargets,
}

/// What one device is served, and why.
#[derive(Debug, Clone)]
pub struct DeviceServed {
    /// The configuration it was computed from (for names in explanations).
    pub snapshot: Arc<OsUpdateSnapshot>,
    pub device: StoredDevice,
    pub policy: Option<StoredPolicy>,
    pub resolution: Resolution,
    pub served: DeviceDeclarations,
}

fn rollout_of(
    snapshot: &OsUpdateSnapshot,
    policy: StoredPolicy,
    from: Date,
    to: Date,
) -> PolicyRollout {
    let timing = policy.policy.timing();
    let entries = rollout(&timing, &snapshot.releases, timing.platform, from, to);
    PolicyRollout {
        ring: policy
            .group_id
            .and_then(|group| snapshot.policy_groups.get(&group))
            .map(|group| group.name.clone()),
        policy,
        entries,
    }
}

/// What the schedule needs to know about a stored device, its hardware described with the
/// feeds' facts; `None` until its platform and version are known.
pub fn facts(device: &StoredDevice, hardware: &HardwareCatalog) -> Option<DeviceFacts> {
    let platform = device.platform?;
    Some(DeviceFacts {
        platform,
        os_version: device.os_version.clone()?,
        os_build: device.os_build.clone(),
        hardware: hardware.describe(
            platform,
            device.model.as_deref(),
            device.software_update_device_id.as_deref(),
        ),
    })
}

fn policy_not_found(id: i64) -> OsUpdateError {
    OsUpdateError::NotFound(format!("policy {id}"))
}

fn subject_not_found(subject: Subject) -> OsUpdateError {
    OsUpdateError::NotFound(match subject {
        Subject::Policy(id) => format!("policy {id}"),
        Subject::PolicyGroup(id) => format!("policy group {id}"),
    })
}

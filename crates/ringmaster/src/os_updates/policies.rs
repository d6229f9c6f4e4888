//! Policies, policy groups (the default rings among them) and what they are bound to.

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_domain::policy::model::UpdatePolicy;
use ringmaster_domain::policy::parse::{ParsedPolicy, Warning, parse_policy};
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::policy::specific::catalog_warnings;
use ringmaster_domain::schedule::{BlockedReleases, TargetRules};
use ringmaster_store::os_updates::policies::{
    BindingTargets, BindingsWrite, DefaultRings, StoredPolicy, StoredPolicyGroup, Subject,
    UnknownTargets,
};
use serde_json::Value;

use crate::os_updates::service::{OsUpdateError, OsUpdates};

impl OsUpdates {
    pub async fn list_policies(&self) -> Result<Vec<StoredPolicy>, OsUpdateError> {
        Ok(self.store.list_policies().await?)
    }

    pub async fn policy(&self, id: PolicyId) -> Result<StoredPolicy, OsUpdateError> {
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
        let warnings = self.with_catalog_warnings(&parsed, now).await?;
        let stored = self.store.insert_policy(&parsed.policy, None, now).await?;
        self.refresh_after_write().await;
        Ok((stored, warnings))
    }

    pub async fn replace_policy(
        &self,
        id: PolicyId,
        document: &Value,
        expected_revision: Option<i64>,
        now: Timestamp,
    ) -> Result<(StoredPolicy, Vec<Warning>), OsUpdateError> {
        let parsed = parse_policy(document).map_err(OsUpdateError::Invalid)?;
        let current = self.policy(id).await?;
        keeps_platform(&current, &parsed.policy)?;
        let stored = self
            .store
            .replace_policy(id, &parsed.policy, expected_revision, now)
            .await?
            .ok_or_else(|| policy_not_found(id))?;
        let warnings = self.with_catalog_warnings(&parsed, now).await?;
        self.refresh_after_write().await;
        Ok((stored, warnings))
    }

    /// The parser's warnings, and for a specific-version policy what the catalog says of its
    /// target ([`catalog_warnings`]: an unknown version, a build not listed, a blocked target, a
    /// deadline already past), never refusing it.
    /// The catalog is the store's current one (the snapshot, refreshed first: the CLI's service
    /// has none yet).
    pub(super) async fn with_catalog_warnings(
        &self,
        parsed: &ParsedPolicy,
        now: Timestamp,
    ) -> Result<Vec<Warning>, OsUpdateError> {
        let mut warnings = parsed.warnings.clone();
        if let Some(specific) = parsed.policy.specific() {
            self.refresh().await?;
            let snapshot = self.snapshot();
            let rules = TargetRules {
                blocked: BlockedReleases::new(
                    snapshot
                        .blocked
                        .iter()
                        .map(|block| (block.platform, block.version.clone())),
                ),
                ..TargetRules::none()
            };
            warnings.extend(catalog_warnings(
                specific,
                parsed.policy.platform(),
                &snapshot.releases,
                &rules,
                now,
            ));
        }
        Ok(warnings)
    }

    pub async fn delete_policy(
        &self,
        id: PolicyId,
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
        let gates = self.snapshot().gates.clone();
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
                gate: gates.get(&group.id).copied(),
                group,
            })
            .collect())
    }

    pub async fn policy_group(
        &self,
        id: PolicyGroupId,
    ) -> Result<PolicyGroupDetail, OsUpdateError> {
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
            BindingsWrite::Refused(unknown) => Err(unknown_targets(&unknown, targets)),
        }
    }

    pub async fn bindings(&self, subject: Subject) -> Result<BindingTargets, OsUpdateError> {
        self.store
            .get_bindings(subject)
            .await?
            .ok_or_else(|| subject_not_found(subject))
    }
}

/// A policy group with what it holds and what it is bound to.
#[derive(Debug, Clone)]
pub struct PolicyGroupDetail {
    pub group: StoredPolicyGroup,
    pub policies: Vec<StoredPolicy>,
    pub bindings: BindingTargets,
    /// Its health gate, if it waits for an earlier ring.
    pub gate: Option<ringmaster_domain::schedule::gates::Gate>,
}

pub(super) fn policy_not_found(id: PolicyId) -> OsUpdateError {
    OsUpdateError::NotFound(format!("policy {id}"))
}

/// A replacement keeps the policy's platform.
pub(super) fn keeps_platform(
    current: &StoredPolicy,
    replacement: &UpdatePolicy,
) -> Result<(), OsUpdateError> {
    let mut errors = FieldErrors::new();
    if current.policy.platform() != replacement.platform() {
        errors.push(
            "/platform",
            format!(
                "a policy keeps its platform ({}); create a new policy for {}",
                current.policy.platform(),
                replacement.platform()
            ),
        );
        return Err(OsUpdateError::Invalid(errors));
    }
    let kind_of = |policy: &UpdatePolicy| {
        if policy.specific().is_some() {
            "specificVersion"
        } else {
            "automatic"
        }
    };
    if kind_of(&current.policy) != kind_of(replacement) {
        errors.push(
            "/kind",
            format!(
                "a policy keeps its kind ({}); create a new policy of kind {}",
                kind_of(&current.policy),
                kind_of(replacement)
            ),
        );
        return Err(OsUpdateError::Invalid(errors));
    }
    Ok(())
}

/// Bindings naming devices or device groups that do not exist, by pointer.
pub(super) fn unknown_targets(unknown: &UnknownTargets, targets: &BindingTargets) -> OsUpdateError {
    let mut errors = FieldErrors::new();
    for index in &unknown.devices {
        errors.push(
            format!("/devices/{index}"),
            format!(
                "no device has the id {:?}",
                targets.devices.get(*index).map_or("", String::as_str)
            ),
        );
    }
    for index in &unknown.device_groups {
        errors.push(
            format!("/deviceGroups/{index}"),
            format!(
                "no device group has the id {}",
                targets.device_groups.get(*index).map_or(0, |id| id.get())
            ),
        );
    }
    OsUpdateError::Invalid(errors)
}

pub(super) fn subject_not_found(subject: Subject) -> OsUpdateError {
    OsUpdateError::NotFound(match subject {
        Subject::Policy(id) => format!("policy {id}"),
        Subject::PolicyGroup(id) => format!("policy group {id}"),
    })
}

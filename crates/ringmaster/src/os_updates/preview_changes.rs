//! The dry run of each write that changes what devices are served: the same checks, in the same
//! order and with the same errors, as the real write (parsing shares its code; what the store
//! checks, names, revisions, existing ids, is checked against the configuration read for the
//! preview), then the edit applied to the copy in memory ([`OsUpdates::preview`]). Each takes
//! the instant `at` both configurations are evaluated at (`?at=`, else now); a change that is
//! checked against "now" (an exemption's or a pause's `until`, a feed's first sighting) also
//! takes `now`, so that it is the change the real write would make.

use jiff::Timestamp;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::merge::{ReleaseKey, merge_into_catalog};
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::ids::{DeviceGroupId, PolicyId};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::parse::{Warning, parse_policy};
use ringmaster_domain::preview::ChangePreview;
use ringmaster_domain::rollout_control::{
    BlockRequest, ExemptionRequest, MAX_EXEMPTIONS_PER_DEVICE,
};
use ringmaster_store::os_updates::OsUpdateConfig;
use ringmaster_store::os_updates::blocks::StoredBlock;
use ringmaster_store::os_updates::devices::StoredDeviceGroup;
use ringmaster_store::os_updates::exemptions::StoredExemption;
use ringmaster_store::os_updates::policies::{
    BindingTargets, StoredBinding, StoredPolicy, Subject, UnknownTargets,
};
use serde_json::Value;

use crate::os_updates::blocks::{not_blocked, release_version};
use crate::os_updates::catalog::read_feed;
use crate::os_updates::catalog_delete::no_release;
use crate::os_updates::exemptions::{no_exemption, too_many_exemptions};
use crate::os_updates::inventory::{device_group_not_found, unknown_members};
use crate::os_updates::policies::{
    keeps_platform, policy_not_found, subject_not_found, unknown_targets,
};
use crate::os_updates::preview::KnownDevices;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

impl OsUpdates {
    /// `POST /policies?dryRun=true`: a new policy is bound to nothing, so it changes no device;
    /// the document is checked as the real create checks it.
    pub async fn preview_create_policy(
        &self,
        document: &Value,
        at: Timestamp,
    ) -> Result<(ChangePreview, Vec<Warning>), OsUpdateError> {
        let parsed = parse_policy(document).map_err(OsUpdateError::Invalid)?;
        // The real write's warnings, the catalog's on a specific-version target included.
        let warnings = self.with_catalog_warnings(&parsed, at).await?;
        let policy = parsed.policy;
        let preview = self
            .preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
                name_is_free(config, None, policy.name.as_str())?;
                let id = PolicyId::new(
                    config
                        .policies
                        .iter()
                        .map(|p| p.id.get())
                        .max()
                        .unwrap_or(0)
                        + 1,
                );
                config.policies.push(StoredPolicy {
                    id,
                    policy,
                    group_id: None,
                    revision: config.revision + 1,
                    created_at: at,
                    updated_at: at,
                });
                Ok(())
            })
            .await?;
        Ok((preview, warnings))
    }

    /// `PUT /policies/{id}?dryRun=true`.
    pub async fn preview_replace_policy(
        &self,
        id: PolicyId,
        document: &Value,
        expected_revision: Option<i64>,
        at: Timestamp,
    ) -> Result<(ChangePreview, Vec<Warning>), OsUpdateError> {
        let parsed = parse_policy(document).map_err(OsUpdateError::Invalid)?;
        // The real write's warnings, the catalog's on a specific-version target included.
        let warnings = self.with_catalog_warnings(&parsed, at).await?;
        let policy = parsed.policy;
        let preview = self
            .preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
                let current = stored_policy(config, id)?;
                keeps_platform(current, &policy)?;
                revision_matches(current, expected_revision)?;
                if current.policy != policy {
                    name_is_free(config, Some(id), policy.name.as_str())?;
                }
                if let Some(stored) = config.policies.iter_mut().find(|p| p.id == id) {
                    stored.policy = policy;
                }
                Ok(())
            })
            .await?;
        Ok((preview, warnings))
    }

    /// `DELETE /policies/{id}?dryRun=true`: the policy and its bindings go.
    pub async fn preview_delete_policy(
        &self,
        id: PolicyId,
        expected_revision: Option<i64>,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            revision_matches(stored_policy(config, id)?, expected_revision)?;
            config.policies.retain(|policy| policy.id != id);
            config
                .bindings
                .retain(|binding| binding.subject != Subject::Policy(id));
            Ok(())
        })
        .await
    }

    /// `PUT …/bindings?dryRun=true`.
    pub async fn preview_set_bindings(
        &self,
        subject: Subject,
        targets: &BindingTargets,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, known: &KnownDevices| {
            let exists = match subject {
                Subject::Policy(id) => config.policies.iter().any(|p| p.id == id),
                Subject::PolicyGroup(id) => config.policy_groups.iter().any(|g| g.id == id),
            };
            if !exists {
                return Err(subject_not_found(subject));
            }
            let unknown = UnknownTargets {
                devices: positions(&targets.devices, |id| !known.contains(id)),
                device_groups: positions(&targets.device_groups, |id| {
                    !config.device_groups.iter().any(|group| group.id == *id)
                }),
            };
            if !unknown.devices.is_empty() || !unknown.device_groups.is_empty() {
                return Err(unknown_targets(&unknown, targets));
            }
            config.bindings.retain(|binding| binding.subject != subject);
            let wanted = targets.normalized();
            if !wanted.is_empty() {
                config.bindings.push(StoredBinding {
                    subject,
                    targets: wanted,
                });
                config.bindings.sort_by_key(|binding| binding.subject);
            }
            Ok(())
        })
        .await
    }

    /// `POST /catalog/{platform}/{version}/block?dryRun=true`.
    pub async fn preview_block_release(
        &self,
        platform: Platform,
        version: &str,
        body: &[u8],
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let version = release_version(platform, version)?;
        let request = BlockRequest::parse(body).map_err(OsUpdateError::Invalid)?;
        let block = StoredBlock {
            platform,
            version,
            reason: request.reason,
            blocked_by: by.map(str::to_owned),
            blocked_at: at,
        };
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            config
                .blocked
                .retain(|stored| !same_block(stored, platform, &block.version));
            config.blocked.push(block);
            Ok(())
        })
        .await
    }

    /// `POST /catalog/{platform}/{version}/unblock?dryRun=true`.
    pub async fn preview_unblock_release(
        &self,
        platform: Platform,
        version: &str,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let parsed = release_version(platform, version)?;
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let before = config.blocked.len();
            config
                .blocked
                .retain(|stored| !same_block(stored, platform, &parsed));
            if config.blocked.len() == before {
                return Err(not_blocked(platform, version));
            }
            Ok(())
        })
        .await
    }

    /// `POST /devices/{id}/exemptions?dryRun=true`: checked and made at `now`, as the write is.
    pub async fn preview_add_exemption(
        &self,
        device: &str,
        body: &[u8],
        by: Option<&str>,
        now: Timestamp,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let request = ExemptionRequest::parse(body, now).map_err(OsUpdateError::Invalid)?;
        self.preview(at, |config: &mut OsUpdateConfig, known: &KnownDevices| {
            if !known.contains(device) {
                return Err(OsUpdateError::NotFound(format!("device {device:?}")));
            }
            let active = config
                .exemptions
                .iter()
                .filter(|exemption| exemption.device_id == device && exemption.until > now)
                .count();
            if active >= MAX_EXEMPTIONS_PER_DEVICE {
                return Err(too_many_exemptions(active));
            }
            let id = config.exemptions.iter().map(|e| e.id).max().unwrap_or(0) + 1;
            config.exemptions.push(StoredExemption {
                id,
                device_id: device.to_owned(),
                until: request.until,
                reason: request.reason,
                created_by: by.map(str::to_owned),
                created_at: now,
            });
            Ok(())
        })
        .await
    }

    /// `DELETE /devices/{id}/exemptions/{exemptionId}?dryRun=true`.
    pub async fn preview_end_exemption(
        &self,
        device: &str,
        id: i64,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let before = config.exemptions.len();
            config
                .exemptions
                .retain(|exemption| !(exemption.device_id == device && exemption.id == id));
            if config.exemptions.len() == before {
                return Err(no_exemption(device, id));
            }
            Ok(())
        })
        .await
    }

    /// `POST /catalog/import?dryRun=true`: the feed folded into the catalog as the import folds
    /// it (the domain's merge), its hardware facts merged as a union; read at `now`, as the
    /// import reads it (a release first seen then).
    pub async fn preview_import_feed(
        &self,
        bytes: &[u8],
        now: Timestamp,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let parsed = read_feed(bytes, now)?;
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let platforms: Vec<Platform> = parsed.releases.iter().map(|r| r.platform).collect();
            let stored: Vec<Release> = config
                .releases
                .iter()
                .filter(|release| platforms.contains(&release.platform))
                .cloned()
                .collect();
            let merge = merge_into_catalog(&stored, parsed.releases);
            let replaced: Vec<ReleaseKey> = merge
                .removed
                .iter()
                .cloned()
                .chain(merge.updated.iter().map(ReleaseKey::of))
                .collect();
            config
                .releases
                .retain(|release| !replaced.contains(&ReleaseKey::of(release)));
            config.releases.extend(merge.added);
            config.releases.extend(merge.updated);
            sort_releases(&mut config.releases);
            config.hardware = config.hardware.merged_with(&parsed.hardware);
            Ok(())
        })
        .await
    }

    /// `DELETE /catalog/{platform}/{version}?dryRun=true` (`?build=` for one build).
    pub async fn preview_delete_release(
        &self,
        platform: Platform,
        version: &str,
        build: Option<&str>,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let text = version.trim();
        let key = AppleOsVersion::parse(text)
            .as_ref()
            .map_or_else(|_| text.to_owned(), AppleOsVersion::canonical_text);
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let before = config.releases.len();
            config.releases.retain(|release| {
                let matches = release.platform == platform
                    && (release.version.canonical_text() == key
                        || release.version.as_str() == text)
                    && build.is_none_or(|build| release.build.as_deref() == Some(build));
                !matches
            });
            if config.releases.len() == before {
                return Err(no_release(platform, text, build));
            }
            Ok(())
        })
        .await
    }

    /// `POST /device-groups?dryRun=true`: a new group is bound to nothing, so it changes no
    /// device; its members and name are checked as the real create checks them.
    pub async fn preview_create_device_group(
        &self,
        name: &str,
        devices: &[String],
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, known: &KnownDevices| {
            members_exist(known, devices)?;
            group_name_is_free(config, None, name)?;
            let id = config
                .device_groups
                .iter()
                .map(|g| g.id.get())
                .max()
                .unwrap_or(0)
                + 1;
            config.device_groups.push(StoredDeviceGroup {
                id: DeviceGroupId::new(id),
                name: name.to_owned(),
                devices: sorted_members(devices),
                revision: config.revision + 1,
                created_at: at,
            });
            Ok(())
        })
        .await
    }

    /// `PUT /device-groups/{id}?dryRun=true`: the members change, and so does every binding's
    /// reach through the group.
    pub async fn preview_replace_device_group(
        &self,
        id: DeviceGroupId,
        name: &str,
        devices: &[String],
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, known: &KnownDevices| {
            let Some(index) = config.device_groups.iter().position(|g| g.id == id) else {
                return Err(device_group_not_found(id.get()));
            };
            members_exist(known, devices)?;
            let members = sorted_members(devices);
            let group = &config.device_groups[index];
            if group.name != name || group.devices != members {
                group_name_is_free(config, Some(id), name)?;
            }
            let group = &mut config.device_groups[index];
            group.name = name.to_owned();
            group.devices = members;
            Ok(())
        })
        .await
    }

    /// `DELETE /device-groups/{id}?dryRun=true`: the group and its bindings go.
    pub async fn preview_delete_device_group(
        &self,
        id: DeviceGroupId,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let before = config.device_groups.len();
            config.device_groups.retain(|group| group.id != id);
            if config.device_groups.len() == before {
                return Err(device_group_not_found(id.get()));
            }
            for binding in &mut config.bindings {
                binding.targets.device_groups.retain(|group| *group != id);
            }
            config
                .bindings
                .retain(|binding| !binding.targets.is_empty());
            Ok(())
        })
        .await
    }
}

fn stored_policy(config: &OsUpdateConfig, id: PolicyId) -> Result<&StoredPolicy, OsUpdateError> {
    config
        .policies
        .iter()
        .find(|policy| policy.id == id)
        .ok_or_else(|| policy_not_found(id))
}

/// The store's revision check, with its error.
fn revision_matches(stored: &StoredPolicy, expected: Option<i64>) -> Result<(), OsUpdateError> {
    match expected {
        Some(expected) if expected != stored.revision => Err(OsUpdateError::Stale {
            what: format!("policy {}", stored.id),
            expected,
        }),
        _ => Ok(()),
    }
}

/// The store's unique policy name, with its error.
fn name_is_free(
    config: &OsUpdateConfig,
    except: Option<PolicyId>,
    name: &str,
) -> Result<(), OsUpdateError> {
    let taken = config
        .policies
        .iter()
        .any(|policy| Some(policy.id) != except && policy.policy.name.as_str() == name);
    if taken {
        return Err(OsUpdateError::AlreadyExists(format!("policy \"{name}\"")));
    }
    Ok(())
}

/// The store's unique device-group name, with its error.
fn group_name_is_free(
    config: &OsUpdateConfig,
    except: Option<DeviceGroupId>,
    name: &str,
) -> Result<(), OsUpdateError> {
    let taken = config
        .device_groups
        .iter()
        .any(|group| Some(group.id) != except && group.name == name);
    if taken {
        return Err(OsUpdateError::AlreadyExists(format!(
            "device group \"{name}\""
        )));
    }
    Ok(())
}

fn members_exist(known: &KnownDevices, devices: &[String]) -> Result<(), OsUpdateError> {
    let unknown = positions(devices, |id| !known.contains(id));
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(unknown_members(&unknown, devices))
    }
}

/// Members sorted bytewise, without duplicates, as the store keeps them.
fn sorted_members(devices: &[String]) -> Vec<String> {
    let mut members = devices.to_vec();
    members.sort();
    members.dedup();
    members
}

fn positions<T>(items: &[T], unknown: impl Fn(&T) -> bool) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| unknown(item))
        .map(|(position, _)| position)
        .collect()
}

fn same_block(stored: &StoredBlock, platform: Platform, version: &AppleOsVersion) -> bool {
    stored.platform == platform && stored.version.canonical_text() == version.canonical_text()
}

/// The store's catalog order: by platform, newest version first, then build.
fn sort_releases(releases: &mut [Release]) {
    releases.sort_by(|a, b| {
        a.platform
            .cmp(&b.platform)
            .then_with(|| b.version.cmp(&a.version))
            .then_with(|| a.build.cmp(&b.build))
    });
}

//! The preview of a configuration change (`?dryRun=true`): for each device, what it is served
//! before and after the change (the enforced version, its build and deadline), and the devices
//! whose target or deadline would change, with how urgent the new deadline is.
//!
//! The edge evaluates every device under the configuration as it is and as it would be, at one
//! instant, and feeds the pairs to a [`PreviewBuilder`]; this module decides what counts as a
//! change and how urgent it is, and keeps the list bounded ([`PREVIEW_LIMIT`] devices, the
//! counts always over the whole fleet), so a fleet of 100,000 devices answers a small document.
//!
//! Urgency compares the new deadline (device-local civil time, no zone) with the UTC civil time
//! of the instant, as the schedule's `overdue` flag does: **overdue at once** when the deadline
//! is at most one hour away (Apple forces the install as soon as the declaration arrives),
//! **due within 24 hours** when it is later than that but at most 24 hours away. The two counts
//! are disjoint, and only devices whose target or deadline changes are counted.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::apple_version::AppleOsVersion;
use crate::capabilities::{DeviceCapabilities, UpdateSupport, update_support};
use crate::catalog::release::Release;
use crate::fleet::specific::PreparedSpecific;
use crate::fleet::{PreparedPolicy, device_declarations_combined, target_build};
use crate::schedule::{DeviceFacts, plan_device_within};

/// The most devices a preview lists; the counts cover every device.
pub const PREVIEW_LIMIT: usize = 1000;

/// What one device is told to install, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedTarget {
    /// The release's version, with its suffix for a supplemental release.
    pub version: AppleOsVersion,
    /// The build, when the enforcement names one.
    pub build: Option<String>,
    /// Device-local civil date-time, as DDM's `TargetLocalDateTime`.
    pub deadline: jiff::civil::DateTime,
}

impl ServedTarget {
    fn same_release(&self, other: &ServedTarget) -> bool {
        self.version == other.version && self.build == other.build
    }
}

/// What `device` is told to install under `policy` (its effective policy) at `now`: the
/// enforcement [`device_declarations`](crate::fleet::device_declarations) would serve, with the
/// same build, computed without building the declarations. `None` when no policy applies, the
/// schedule enforces nothing, or the device cannot take an enforcement declaration.
pub fn served_target(
    policy: Option<&PreparedPolicy>,
    specific: Option<&PreparedSpecific>,
    device: &DeviceFacts,
    capabilities: &DeviceCapabilities,
    catalog: &[Release],
    now: Timestamp,
) -> Option<ServedTarget> {
    if let Some(specific) = specific {
        // A specific-version policy reaches the device: its enforcement is decided together
        // with the automatic policy's (`fleet/specific.rs`), so take what the declarations carry.
        let served = device_declarations_combined(
            policy,
            Some(specific),
            device,
            capabilities,
            catalog,
            now,
        );
        let enforced = served.enforcement()?;
        return Some(ServedTarget {
            version: enforced.version.clone(),
            build: enforced
                .target_build
                .clone()
                .or_else(|| target_build(enforced, device, catalog)),
            deadline: enforced.deadline,
        });
    }
    let policy = policy?;
    let support = if policy.platform() == device.platform {
        update_support(device.platform, &device.os_version, capabilities)
    } else {
        UpdateSupport::everything()
    };
    if !support.enforcement {
        return None;
    }
    let plan = plan_device_within(&policy.timing, &policy.rules, device, catalog, now);
    let enforced = plan.enforcement()?;
    Some(ServedTarget {
        version: enforced.version.clone(),
        build: target_build(enforced, device, catalog),
        deadline: enforced.deadline,
    })
}

/// How a device's enforcement changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Nothing was enforced; now a release is.
    Added,
    /// A release was enforced; now nothing is.
    Removed,
    /// Another release (version or build) is enforced.
    Retargeted,
    /// The same release, by another deadline.
    Rescheduled,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Retargeted => "retargeted",
            ChangeKind::Rescheduled => "rescheduled",
        }
    }
}

/// How soon the new deadline comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Nothing is enforced after the change.
    NoDeadline,
    /// More than 24 hours away.
    Later,
    /// More than one hour and at most 24 hours away.
    DueWithin24Hours,
    /// At most one hour away, or past: the install is forced at once.
    OverdueAtOnce,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::NoDeadline => "none",
            Urgency::Later => "later",
            Urgency::DueWithin24Hours => "within24Hours",
            Urgency::OverdueAtOnce => "atOnce",
        }
    }
}

/// How soon `target`'s deadline comes, seen at `now` (the UTC civil time, as `overdue` is).
pub fn urgency(target: Option<&ServedTarget>, now: Timestamp) -> Urgency {
    let Some(target) = target else {
        return Urgency::NoDeadline;
    };
    let civil_now = now.to_zoned(TimeZone::UTC).datetime();
    let within = |hours: i64| {
        civil_now
            .checked_add(Span::new().hours(hours))
            .is_ok_and(|limit| target.deadline <= limit)
    };
    if within(1) {
        Urgency::OverdueAtOnce
    } else if within(24) {
        Urgency::DueWithin24Hours
    } else {
        Urgency::Later
    }
}

/// One device whose target or deadline would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceChange {
    pub device_id: String,
    pub kind: ChangeKind,
    pub before: Option<ServedTarget>,
    pub after: Option<ServedTarget>,
    pub urgency: Urgency,
}

/// The change of one device between `before` and `after`, seen at `now`; `None` when its target
/// and deadline stay as they are.
pub fn diff_device(
    device_id: &str,
    before: Option<ServedTarget>,
    after: Option<ServedTarget>,
    now: Timestamp,
) -> Option<DeviceChange> {
    let kind = match (&before, &after) {
        (None, None) => return None,
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        (Some(old), Some(new)) if !old.same_release(new) => ChangeKind::Retargeted,
        (Some(old), Some(new)) if old.deadline != new.deadline => ChangeKind::Rescheduled,
        (Some(_), Some(_)) => return None,
    };
    let urgency = urgency(after.as_ref(), now);
    Some(DeviceChange {
        device_id: device_id.to_owned(),
        kind,
        before,
        after,
        urgency,
    })
}

/// The preview of one change over the whole fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePreview {
    /// The instant both configurations were evaluated at.
    pub at: Timestamp,
    /// Devices evaluated (every device).
    pub devices: usize,
    /// Devices whose target or deadline would change.
    pub changed: usize,
    /// Of those, how many would be due within 24 hours (but not within the hour).
    pub due_within_24_hours: usize,
    /// Of those, how many would be overdue at once (a forced install within the hour).
    pub overdue_at_once: usize,
    /// The first changed devices, in the order given, at most the builder's limit.
    pub changes: Vec<DeviceChange>,
    /// More devices changed than are listed.
    pub truncated: bool,
}

/// Collects devices' before and after into a [`ChangePreview`].
#[derive(Debug, Clone)]
pub struct PreviewBuilder {
    limit: usize,
    preview: ChangePreview,
}

impl PreviewBuilder {
    /// A preview at `at` listing at most `limit` changed devices.
    pub fn new(at: Timestamp, limit: usize) -> PreviewBuilder {
        PreviewBuilder {
            limit,
            preview: ChangePreview {
                at,
                devices: 0,
                changed: 0,
                due_within_24_hours: 0,
                overdue_at_once: 0,
                changes: Vec::new(),
                truncated: false,
            },
        }
    }

    /// Adds one device's target before and after the change.
    pub fn device(
        &mut self,
        device_id: &str,
        before: Option<ServedTarget>,
        after: Option<ServedTarget>,
    ) {
        self.preview.devices += 1;
        let Some(change) = diff_device(device_id, before, after, self.preview.at) else {
            return;
        };
        self.preview.changed += 1;
        match change.urgency {
            Urgency::DueWithin24Hours => self.preview.due_within_24_hours += 1,
            Urgency::OverdueAtOnce => self.preview.overdue_at_once += 1,
            Urgency::Later | Urgency::NoDeadline => {}
        }
        if self.preview.changes.len() < self.limit {
            self.preview.changes.push(change);
        } else {
            self.preview.truncated = true;
        }
    }

    pub fn finish(self) -> ChangePreview {
        self.preview
    }
}

#[cfg(test)]
mod tests;

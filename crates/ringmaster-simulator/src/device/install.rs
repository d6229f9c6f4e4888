//! How a simulated device follows an enforcement: which one it picks, when it is due in
//! device-local time, and the one-step-per-sync install (`downloading` → `prepared` →
//! `installing` → the new version or `failed`), with the build it ends up on.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;

use super::*;

impl SimulatedDevice {
    /// The active enforcement to follow: among those asking for something newer than what
    /// runs, the highest target, then the earliest deadline.
    fn wanted_enforcement(&self) -> Option<(String, Enforcement)> {
        self.declarations
            .values()
            .filter(|stored| stored.active)
            .filter_map(|stored| match &stored.content {
                Content::Enforcement(enforcement) if self.needs_install(enforcement) => {
                    Some((stored.key.identifier.clone(), enforcement.clone()))
                }
                _ => None,
            })
            .max_by(|(a_id, a), (b_id, b)| {
                a.target_os_version
                    .cmp(&b.target_os_version)
                    .then(b.target_local_date_time.cmp(&a.target_local_date_time))
                    .then(b_id.cmp(a_id))
            })
    }

    fn needs_install(&self, enforcement: &Enforcement) -> bool {
        let running = self.profile.os_version.without_supplemental();
        match enforcement.target_os_version.cmp(&running) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                enforcement
                    .target_build_version
                    .as_deref()
                    .is_some_and(|build| {
                        is_supplemental_build(build)
                            && self.supplemental_build.as_deref() != Some(build)
                    })
            }
        }
    }

    /// Follows the wanted enforcement: keeps a matching pending install (updating its deadline),
    /// replaces another one unless it is already installing, clears it when nothing is wanted.
    pub(super) fn refresh_pending(&mut self, now: Timestamp) {
        let wanted = self.wanted_enforcement();
        let installing = self
            .pending
            .as_ref()
            .is_some_and(|pending| pending.state == InstallState::Installing);
        match wanted {
            None => {
                if !installing {
                    self.pending = None;
                }
            }
            Some((identifier, enforcement)) => {
                if let Some(pending) = &mut self.pending
                    && pending.declaration_identifier == identifier
                    && pending.enforcement.target_os_version == enforcement.target_os_version
                    && pending.enforcement.target_build_version == enforcement.target_build_version
                {
                    if pending.enforcement != enforcement {
                        let received_at = pending.received_at;
                        let (deadline, starts_at) = self.schedule(&enforcement, received_at);
                        let pending = self.pending.as_mut().expect("matched just above");
                        pending.deadline = deadline;
                        pending.starts_at = starts_at;
                        pending.early = starts_at < deadline;
                        pending.enforcement = enforcement;
                    }
                    return;
                }
                if installing {
                    return;
                }
                self.pending = Some(self.new_pending(identifier, enforcement, now));
            }
        }
    }

    fn new_pending(
        &self,
        declaration_identifier: String,
        enforcement: Enforcement,
        now: Timestamp,
    ) -> PendingInstall {
        let (deadline, starts_at) = self.schedule(&enforcement, now);
        let target = &enforcement.target_os_version;
        let supplemental_build = enforcement
            .target_build_version
            .clone()
            .filter(|build| is_supplemental_build(build));
        let base_text = short_version_text(target);
        let (install_version, install_build) = match &supplemental_build {
            Some(build) => {
                // `is_supplemental_build` saw a lowercase last letter, and `target` is a parsed
                // version, so the supplemental version always parses; the target stands in if not.
                let letter = build.chars().last().unwrap_or('a');
                let version = AppleOsVersion::parse(&format!("{base_text} ({letter})"))
                    .unwrap_or_else(|_| target.clone());
                let running = self.profile.os_version.without_supplemental();
                let base_build = if running == *target {
                    self.profile.build_version.clone()
                } else {
                    made_up_build(self.profile.platform, target)
                };
                (version, base_build)
            }
            None => (
                AppleOsVersion::parse(&base_text).unwrap_or_else(|_| target.clone()),
                enforcement
                    .target_build_version
                    .clone()
                    .unwrap_or_else(|| made_up_build(self.profile.platform, target)),
            ),
        };
        PendingInstall {
            declaration_identifier,
            enforcement,
            install_version,
            install_build,
            supplemental_build,
            deadline,
            received_at: now,
            starts_at,
            early: starts_at < deadline,
            state: InstallState::None,
            failures: 0,
            failed_at: None,
        }
    }

    /// The deadline as an instant, and when the update starts.
    fn schedule(
        &self,
        enforcement: &Enforcement,
        received_at: Timestamp,
    ) -> (Timestamp, Timestamp) {
        let deadline =
            local_to_timestamp(enforcement.target_local_date_time, self.options.utc_offset);
        let starts_at = match self.options.early_install_fraction {
            Some(fraction) if deadline > received_at => {
                let fraction = fraction.clamp(0.0, 1.0);
                let lead = deadline.duration_since(received_at).mul_f64(fraction);
                received_at
                    .checked_add(lead)
                    .unwrap_or(deadline)
                    .min(deadline)
            }
            _ => deadline,
        };
        (deadline, starts_at)
    }

    pub(super) fn step_install(&mut self, now: Timestamp) {
        let fail = self.options.fail_install;
        let Some(pending) = &mut self.pending else {
            return;
        };
        let next = match pending.state {
            InstallState::None if now >= pending.starts_at => InstallState::Downloading,
            InstallState::None => InstallState::None,
            InstallState::Downloading => InstallState::Prepared,
            InstallState::Prepared => InstallState::Installing,
            InstallState::Installing if fail => {
                pending.failures += 1;
                pending.failed_at = Some(now);
                InstallState::Failed
            }
            InstallState::Installing => {
                self.finish_install(now);
                return;
            }
            InstallState::Failed => InstallState::Failed,
        };
        pending.state = next;
    }

    /// The new version runs; a further enforcement, if any, is picked up.
    fn finish_install(&mut self, now: Timestamp) {
        let Some(done) = self.pending.take() else {
            return;
        };
        self.profile.os_version = done.install_version;
        self.profile.build_version = done.install_build;
        self.supplemental_build = done.supplemental_build;
        self.refresh_pending(now);
    }
}

/// A build ending in a lowercase letter names a supplemental (Background Security Improvement)
/// release, such as `25D771280a`.
fn is_supplemental_build(build: &str) -> bool {
    build.len() > 1
        && build.ends_with(|c: char| c.is_ascii_lowercase())
        && build.chars().any(|c| c.is_ascii_digit())
}

/// How a device writes its version: `26.1` (no zero patch), `26.0.1`.
fn short_version_text(version: &AppleOsVersion) -> String {
    if version.patch() == 0 {
        format!("{}.{}", version.major(), version.minor())
    } else {
        format!(
            "{}.{}.{}",
            version.major(),
            version.minor(),
            version.patch()
        )
    }
}

/// A plausible build for a version the enforcement gave no build for: the build train's number
/// (macOS 26 → 25, macOS 15 → 24, iOS 26 → 23, iOS 18 → 22), a letter for the minor, a number
/// from the patch (macOS `26.1` → `25B100`, macOS `15.7.1` → `24H101`, iOS `26.2` → `23C100`).
pub fn made_up_build(platform: Platform, version: &AppleOsVersion) -> String {
    let major = version.major();
    let train = match platform {
        Platform::MacOs if major >= 26 => major - 1,
        Platform::MacOs => major + 9,
        Platform::Ios if major >= 26 => major - 3,
        Platform::Ios => major + 4,
    };
    let letter = char::from(b'A' + u8::try_from(version.minor().min(25)).unwrap_or(25));
    format!("{train}{letter}{}", 100 + version.patch())
}

/// A device-local civil time as an instant, for a device at `offset` from UTC.
fn local_to_timestamp(local: DateTime, offset: Offset) -> Timestamp {
    TimeZone::fixed(offset)
        .to_timestamp(local)
        .unwrap_or(Timestamp::MAX)
}

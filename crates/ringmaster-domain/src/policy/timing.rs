//! The part of a policy the schedule engine reads: deferral periods and enforcement timing.

use crate::policy::model::{Deferrals, UpdatePolicy};
use crate::schedule::{EnforcementTiming, ScheduleTiming};

impl UpdatePolicy {
    /// The timing the schedule engine needs. Enforcement is `Some` only when enabled with a local
    /// time (parsing guarantees the time whenever enforcement is enabled).
    pub fn timing(&self) -> ScheduleTiming {
        let days = |period: Option<crate::policy::model::DeferralDays>| period.map(|d| d.get());
        let (major_days, minor_days, system_days, combined_days) = match self.deferrals {
            Deferrals::MacOs {
                major,
                minor,
                system,
            } => (days(major), days(minor), days(system), None),
            Deferrals::Ios { combined } => (None, None, None, days(combined)),
        };
        let enforcement = match (self.enforcement.enabled, self.enforcement.local_time) {
            (true, Some(local_time)) => Some(EnforcementTiming {
                grace_days: self.enforcement.grace_period.get(),
                local_time,
                scope: self.enforcement.scope,
            }),
            _ => None,
        };
        ScheduleTiming {
            platform: self.platform(),
            major_days,
            minor_days,
            system_days,
            combined_days,
            enforcement,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::policy::rings::{RING_LOCAL_TIME, default_rings};
    use crate::schedule::EnforcementScope;

    #[test]
    fn macos_timing_carries_the_three_periods_and_enforcement() {
        let general = &default_rings()[2];
        assert_eq!(
            general.macos.timing(),
            ScheduleTiming {
                platform: Platform::MacOs,
                major_days: Some(15),
                minor_days: Some(15),
                system_days: Some(15),
                combined_days: None,
                enforcement: Some(EnforcementTiming {
                    grace_days: 10,
                    local_time: RING_LOCAL_TIME,
                    scope: EnforcementScope::Latest,
                }),
            }
        );
    }

    #[test]
    fn ios_timing_carries_only_the_combined_period() {
        let vanguard = &default_rings()[0];
        let timing = vanguard.ios.timing();
        assert_eq!(timing.platform, Platform::Ios);
        assert_eq!(
            (
                timing.major_days,
                timing.minor_days,
                timing.system_days,
                timing.combined_days
            ),
            (None, None, None, Some(1))
        );
        assert_eq!(timing.enforcement.unwrap().grace_days, 3);
    }

    #[test]
    fn disabled_enforcement_gives_no_enforcement_timing() {
        let mut policy = default_rings()[0].macos.clone();
        policy.enforcement.enabled = false;
        assert_eq!(policy.timing().enforcement, None);
    }
}

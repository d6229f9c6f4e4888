//! Day arithmetic of the schedule: UTC days of instants, deadlines, saturating additions.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::schedule::EnforcementTiming;

/// `visible_on + grace` at the local time, whole seconds.
pub(super) fn deadline_for(visible_on: Date, enforcement: &EnforcementTiming) -> DateTime {
    let time = enforcement
        .local_time
        .with()
        .subsec_nanosecond(0)
        .build()
        .unwrap_or(enforcement.local_time);
    add_days(visible_on, enforcement.grace_days).to_datetime(time)
}

pub(super) fn utc_day(now: Timestamp) -> Date {
    now.to_zoned(TimeZone::UTC).date()
}

pub(super) fn start_of_day_utc(day: Date) -> Timestamp {
    day.to_zoned(TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// `day + days`, saturating at the last representable day.
pub(super) fn add_days(day: Date, days: u16) -> Date {
    day.checked_add(Span::new().days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

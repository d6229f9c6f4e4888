//! A specific-version policy's pauses: while one is in force its enforcement is withdrawn, and
//! after it ends its fixed deadline moves so that no device is overdue at once because of it.
//!
//! # Rules
//!
//! - **Paused.** A pause of the specific-version policy itself (by its id, or of the policy
//!   group it belongs to) withdraws its enforcement from every device it would enforce, while
//!   it is in force ([`PauseSpan::holds_at`]: like every pause, today's configuration, so `?at=`
//!   before its start shows it too). Such a device is served no enforcement (its settings stay)
//!   and shows `paused`; the target it holds is the policy's. A pause of the device's automatic
//!   policy or ring does not withdraw a specific-version policy's enforcement: pause the
//!   specific-version policy for that.
//! - **Resumed.** The deadline is device-local civil time, compared with UTC civil time as the
//!   schedule compares it. For a pause that began at `since` and ended at `end` (its resume or
//!   its `until`): a deadline `D` earlier than `end` plus [`MIN_TIME_AFTER_RESUME`] moves to
//!   `end` plus the time that remained when the pause began (`D − since`), and never less than
//!   [`MIN_TIME_AFTER_RESUME`]; a later deadline stays. A moved deadline is therefore always
//!   later than the written one, and at least a day after the resume, so resuming never makes a
//!   device overdue at once (nor due within the day). Several ended pauses apply in the order
//!   they ended.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::schedule::pause::PauseSpan;

/// The least time a device gets, after a pause ends, before a specific-version deadline.
pub const MIN_TIME_AFTER_RESUME: SignedDuration = SignedDuration::from_hours(24);

fn civil(at: Timestamp) -> DateTime {
    at.to_zoned(TimeZone::UTC).datetime()
}

/// The deadline `written` becomes at `now` after the pauses of `spans` that ended by then.
pub fn deadline_after_pauses(written: DateTime, spans: &[PauseSpan], now: Timestamp) -> DateTime {
    let mut ended: Vec<(Timestamp, Timestamp)> = spans
        .iter()
        .filter_map(|span| span.end().map(|end| (end, span.since)))
        .filter(|(end, _)| *end <= now)
        .collect();
    ended.sort();
    ended.into_iter().fold(written, |deadline, (end, since)| {
        moved_after(deadline, since, end)
    })
}

/// `deadline` after one pause from `since` to `end`.
fn moved_after(deadline: DateTime, since: Timestamp, end: Timestamp) -> DateTime {
    let end = civil(end);
    let least = end.saturating_add(MIN_TIME_AFTER_RESUME);
    if deadline >= least {
        return deadline;
    }
    let remained = deadline.duration_since(civil(since));
    end.saturating_add(remained.max(MIN_TIME_AFTER_RESUME))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn deadline(text: &str) -> DateTime {
        text.parse().unwrap()
    }

    fn span(since: &str, resumed: &str) -> PauseSpan {
        PauseSpan {
            since: instant(since),
            until: None,
            resumed_at: Some(instant(resumed)),
        }
    }

    #[test]
    fn a_deadline_inside_the_pause_gets_the_time_that_remained_when_it_began() {
        // Paused 3 days before the deadline, resumed 5 days later: 3 days from the resume.
        let pause = span("2026-12-01T17:00:00Z", "2026-12-06T10:00:00Z");
        let moved = deadline_after_pauses(
            deadline("2026-12-04T17:00:00"),
            &[pause],
            instant("2026-12-06T10:00:00Z"),
        );
        assert_eq!(moved, deadline("2026-12-09T10:00:00"));
    }

    #[test]
    fn a_deadline_close_after_the_resume_or_already_past_gets_at_least_a_day() {
        let pause = span("2026-12-01T17:00:00Z", "2026-12-02T10:00:00Z");
        let now = instant("2026-12-02T10:00:00Z");
        // Two hours before the deadline when it began: a day from the resume, not two hours.
        let moved = deadline_after_pauses(deadline("2026-12-01T19:00:00"), &[pause], now);
        assert_eq!(moved, deadline("2026-12-03T10:00:00"));
        // Already past when it began.
        let moved = deadline_after_pauses(deadline("2026-11-20T09:00:00"), &[pause], now);
        assert_eq!(moved, deadline("2026-12-03T10:00:00"));
    }

    #[test]
    fn a_deadline_well_after_the_resume_stays_and_a_pause_not_ended_changes_nothing() {
        let pause = span("2026-12-01T17:00:00Z", "2026-12-02T10:00:00Z");
        let far = deadline("2026-12-20T17:00:00");
        let now = instant("2026-12-03T00:00:00Z");
        assert_eq!(deadline_after_pauses(far, &[pause], now), far);
        let near = deadline("2026-12-02T12:00:00");
        let before_the_end = instant("2026-12-02T09:00:00Z");
        assert_eq!(deadline_after_pauses(near, &[pause], before_the_end), near);
    }

    fn arb_instant() -> impl Strategy<Value = Timestamp> {
        // 2026 to 2028, to the second.
        (1_767_225_600i64..1_830_297_600).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        /// Resuming never makes a device overdue at once: right after any pause ends, a
        /// specific-version deadline is at least a day away, and never earlier than written.
        #[test]
        fn resuming_never_makes_a_device_overdue_at_once(
            written in arb_instant(),
            since in arb_instant(),
            length in 0i64..(90 * 86_400),
            after in 0i64..(3 * 86_400),
        ) {
            let written = civil(written);
            let end = since.saturating_add(SignedDuration::from_secs(length)).unwrap();
            let pause = PauseSpan { since, until: None, resumed_at: Some(end) };
            let moved = deadline_after_pauses(written, &[pause], end);
            prop_assert!(moved >= written);
            prop_assert!(moved >= civil(end).saturating_add(MIN_TIME_AFTER_RESUME));
            // Later on, the deadline does not move again.
            let later = end.saturating_add(SignedDuration::from_secs(after)).unwrap();
            prop_assert_eq!(deadline_after_pauses(written, &[pause], later), moved);
        }
    }
}

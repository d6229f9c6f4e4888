//! Pauses of a ring (a policy group) or of one policy, as the schedule sees them.
//!
//! # Rules
//!
//! - **Span.** A pause begins at `since` (when the admin paused) and ends at the earlier of its
//!   planned `until` and the instant it was resumed; with neither it lasts until resumed.
//! - **In force.** Like an exemption or a binding, a pause is today's configuration: it applies
//!   at every instant before its end ([`PauseSpan::holds_at`]), so `?at=` before `since` shows it
//!   too.
//! - **Held target.** While paused, no new target is promoted and nothing is enforced: the
//!   ring's enforcement declaration is withdrawn (the settings, and so the deferrals, stay). The
//!   schedule still names the target it would hold, the one enforced at the *freeze instant*, the
//!   earlier of `since` and the instant asked about ([`PauseSpan::freeze_at`]).
//! - **Resume.** After a pause ends, the grace period restarts at its end
//!   ([`grace_floor`]): a target's deadline is counted from the later of the day its deferral
//!   ended and the resume day, and when that deadline would already be past at the resume
//!   instant (grace 0, an earlier local time) it moves a day later. So no device becomes overdue
//!   because of a pause.

use jiff::Timestamp;

/// One pause of a ring or a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseSpan {
    /// When it was paused.
    pub since: Timestamp,
    /// The planned end, if the admin gave one.
    pub until: Option<Timestamp>,
    /// When it was resumed, if it was.
    pub resumed_at: Option<Timestamp>,
}

impl PauseSpan {
    /// The instant the pause ends (exclusive): the earlier of `until` and the resume; `None`
    /// while it lasts until resumed.
    pub fn end(&self) -> Option<Timestamp> {
        match (self.until, self.resumed_at) {
            (Some(until), Some(resumed)) => Some(until.min(resumed)),
            (until, resumed) => until.or(resumed),
        }
    }

    /// Whether the pause applies at `at`: at every instant before its end.
    pub fn holds_at(&self, at: Timestamp) -> bool {
        self.end().is_none_or(|end| at < end)
    }

    /// The instant whose target a pause in force at `at` holds: the earlier of `since` and `at`.
    pub fn freeze_at(&self, at: Timestamp) -> Timestamp {
        self.since.min(at)
    }
}

/// The pause in force at `at` among `spans` (the one that began first), if any.
pub fn pause_at(spans: &[PauseSpan], at: Timestamp) -> Option<PauseSpan> {
    spans
        .iter()
        .filter(|span| span.holds_at(at))
        .min_by_key(|span| span.since)
        .copied()
}

/// The latest end of a pause at or before `at`: no grace period counted at `at` starts before it.
pub fn grace_floor(spans: &[PauseSpan], at: Timestamp) -> Option<Timestamp> {
    spans
        .iter()
        .filter_map(PauseSpan::end)
        .filter(|end| *end <= at)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_pause_ends_at_its_until_or_its_resume_whichever_is_first() {
        let since = instant("2026-12-01T10:00:00Z");
        let open = PauseSpan {
            since,
            until: None,
            resumed_at: None,
        };
        assert_eq!(open.end(), None);
        assert!(open.holds_at(instant("2020-01-01T00:00:00Z")));
        assert!(open.holds_at(instant("2030-01-01T00:00:00Z")));
        let planned = PauseSpan {
            until: Some(instant("2026-12-10T00:00:00Z")),
            ..open
        };
        assert!(planned.holds_at(instant("2026-12-09T23:59:59Z")));
        assert!(!planned.holds_at(instant("2026-12-10T00:00:00Z")));
        let resumed_early = PauseSpan {
            resumed_at: Some(instant("2026-12-05T00:00:00Z")),
            ..planned
        };
        assert_eq!(resumed_early.end(), Some(instant("2026-12-05T00:00:00Z")));
        let resumed_only = PauseSpan {
            resumed_at: Some(instant("2026-12-05T00:00:00Z")),
            ..open
        };
        assert_eq!(resumed_only.end(), Some(instant("2026-12-05T00:00:00Z")));
    }

    #[test]
    fn the_freeze_instant_is_never_after_the_instant_asked() {
        let span = PauseSpan {
            since: instant("2026-12-01T10:00:00Z"),
            until: None,
            resumed_at: None,
        };
        assert_eq!(span.freeze_at(instant("2026-12-03T00:00:00Z")), span.since);
        let earlier = instant("2026-11-20T00:00:00Z");
        assert_eq!(span.freeze_at(earlier), earlier);
    }

    #[test]
    fn the_grace_floor_is_the_latest_end_already_reached() {
        let first = PauseSpan {
            since: instant("2026-11-01T00:00:00Z"),
            until: Some(instant("2026-11-05T00:00:00Z")),
            resumed_at: None,
        };
        let second = PauseSpan {
            since: instant("2026-11-10T00:00:00Z"),
            until: None,
            resumed_at: Some(instant("2026-11-12T08:00:00Z")),
        };
        let spans = [first, second];
        assert_eq!(grace_floor(&spans, instant("2026-11-04T00:00:00Z")), None);
        assert_eq!(
            grace_floor(&spans, instant("2026-11-06T00:00:00Z")),
            first.until
        );
        assert_eq!(
            grace_floor(&spans, instant("2026-12-01T00:00:00Z")),
            second.resumed_at
        );
        assert_eq!(
            pause_at(&spans, instant("2026-11-11T00:00:00Z")),
            Some(second)
        );
        assert_eq!(
            pause_at(&spans, instant("2026-11-01T00:00:00Z")),
            Some(first)
        );
        assert_eq!(pause_at(&spans, instant("2026-11-13T00:00:00Z")), None);
    }
}

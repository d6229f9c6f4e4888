//! The devices' clock: the wall clock, or a simulated one that moves a fixed step each round so
//! a whole rollout plays in seconds. The only place the simulator reads the system time.

use jiff::{SignedDuration, Timestamp};

/// The device clock of each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetClock {
    /// The wall clock when the round starts.
    Real,
    /// `start` for the first round, then `step` later each round (a day per round plays a
    /// rollout in a few seconds).
    Simulated {
        start: Timestamp,
        step: SignedDuration,
    },
}

impl FleetClock {
    /// "Now" for round `round` (0-based).
    pub fn at_round(self, round: usize) -> Timestamp {
        match self {
            FleetClock::Real => Timestamp::now(),
            FleetClock::Simulated { start, step } => {
                let rounds = i32::try_from(round).unwrap_or(i32::MAX);
                step.checked_mul(rounds)
                    .and_then(|offset| start.checked_add(offset).ok())
                    .unwrap_or(Timestamp::MAX)
            }
        }
    }
}

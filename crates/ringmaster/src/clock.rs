//! The one clock the application reads: the system's, or a manual one that tests and simulations
//! move forward by hand, so a whole rollout (deferrals ending, deadlines passing) can be driven
//! through the real protocol in seconds.
//!
//! The server holds one [`Clock`] in its state and hands it to every service (the patch source
//! stamping `lastModified`, the OS-update side, the notifier, catalog polling, the handlers); the
//! command line reads [`Clock::System`]. This is the only module that reads the system time
//! (`tests/tidy.rs` checks it), so nothing escapes a manual clock.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from. Cheap to clone; clones of a manual clock share its time.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// A manual clock set to `at`.
    pub fn manual(at: Timestamp) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Sets a manual clock; no effect on the system clock.
    pub fn set(&self, to: Timestamp) {
        if let Clock::Manual(at) = self {
            *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
        }
    }

    /// Moves a manual clock forward; no effect on the system clock.
    pub fn advance(&self, by: SignedDuration) {
        if let Clock::Manual(at) = self {
            let mut at = at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *at = at.checked_add(by).unwrap_or(*at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_follow() {
        let start: Timestamp = "2025-11-10T12:00:00Z".parse().unwrap();
        let clock = Clock::manual(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(SignedDuration::from_hours(24));
        assert_eq!(clock.now(), "2025-11-11T12:00:00Z".parse().unwrap());
        clock.set(start);
        assert_eq!(shared.now(), start);
        let system = Clock::System;
        system.set(start);
        assert!(system.now() > start);
    }
}

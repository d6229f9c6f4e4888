//! Health gates between rings, as the schedule sees them, and the gate document.
//!
//! # Rules
//!
//! - **Document.** A policy group may wait for the ring before it: `{"after": <policy group id>,
//!   "minInstalledPercent": 0–100, "maxFailedPercent": 0–100, "minDays": 0–90}` ([`Gate::parse`],
//!   every problem by pointer; `minDays` defaults to 0). A gate never names its own group nor
//!   closes a cycle ([`closes_cycle`]); the group it names must exist (the edge checks that).
//! - **Opening.** A release reaches a gated ring only when its deferral there has ended *and* its
//!   gate has opened for it. Whether it has is a recorded fact, not computed here: the server's
//!   evaluation round records the instant a gate opened for a release (on the earlier ring at
//!   least `minInstalledPercent` of the devices run it or newer, at most `maxFailedPercent`
//!   failed or rejected it, and `minDays` have passed since it became visible there), and the
//!   schedule reads those openings ([`GateRule::opened`]): so every server agrees, and `?at=`
//!   before an opening shows the release waiting ([`crate::schedule::ReleaseStatus::WaitingForGate`]).
//! - **Grace.** A release enforced because its gate opened counts its grace period from the
//!   opening at the earliest (the same floor as a resume), so no device is overdue at once.
//! - **Halts.** A release whose failures crossed `maxFailedPercent` on a ring is halted for every
//!   later ring: recorded, and refused like a blocked release ([`crate::schedule::ReleaseStatus::Halted`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::field_error::FieldErrors;
use crate::ids::PolicyGroupId;
use crate::json_read::json_document;
use crate::json_read::object::{ObjectReader, UnknownKey};
use crate::platform::Platform;

/// The longest `minDays`.
pub const MAX_GATE_DAYS: u16 = 90;

/// A policy group's health gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// The earlier ring it waits for.
    pub after: PolicyGroupId,
    pub min_installed_percent: u8,
    pub max_failed_percent: u8,
    pub min_days: u16,
}

impl Gate {
    /// Reads `PUT /policy-groups/{id}/gate`.
    pub fn parse(bytes: &[u8]) -> Result<Gate, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let gate = read_gate(&document, &mut errors);
        match gate {
            Some(gate) if errors.is_empty() => Ok(gate),
            _ => Err(errors),
        }
    }
}

fn read_gate(document: &Value, errors: &mut FieldErrors) -> Option<Gate> {
    let mut reader = ObjectReader::of(document, "", errors)?;
    let after = match reader.field("after") {
        None => {
            reader.missing("after", Some("the id of the policy group it waits for"));
            None
        }
        Some(Value::Number(number)) => match number.as_i64() {
            Some(id) if id > 0 => Some(PolicyGroupId::new(id)),
            _ => {
                reader.error(
                    "after",
                    "after must be a policy group's id: a whole number above 0",
                );
                None
            }
        },
        Some(other) => {
            reader.wrong_kind("after", "a policy group's id (a number)", other);
            None
        }
    };
    let installed = read_percent(&mut reader, "minInstalledPercent");
    let failed = read_percent(&mut reader, "maxFailedPercent");
    let days = match reader.optional_integer("minDays", "a whole number of days") {
        Some(None) => Some(0),
        Some(Some(days)) if (0..=i64::from(MAX_GATE_DAYS)).contains(&days) => Some(days as u16),
        Some(Some(days)) => {
            reader.error(
                "minDays",
                format!("minDays is {days}; it must be 0 to {MAX_GATE_DAYS} days"),
            );
            None
        }
        None => None,
    };
    reader.refuse_unknown(UnknownKey::ListKnown);
    Some(Gate {
        after: after?,
        min_installed_percent: installed?,
        max_failed_percent: failed?,
        min_days: days?,
    })
}

fn read_percent(reader: &mut ObjectReader<'_, '_>, key: &'static str) -> Option<u8> {
    match reader.optional_integer(key, "a whole percentage, 0 to 100") {
        Some(None) => {
            reader.missing(key, Some("a whole percentage, 0 to 100"));
            None
        }
        Some(Some(value)) if (0..=100).contains(&value) => Some(value as u8),
        Some(Some(value)) => {
            reader.error(key, format!("{key} is {value}; it must be 0 to 100"));
            None
        }
        None => None,
    }
}

/// Whether gating `group` after `after` closes a cycle, given each gated group's `after`.
pub fn closes_cycle(
    gates: &BTreeMap<PolicyGroupId, PolicyGroupId>,
    group: PolicyGroupId,
    after: PolicyGroupId,
) -> bool {
    let mut seen = BTreeSet::new();
    let mut current = Some(after);
    while let Some(next) = current {
        if next == group || !seen.insert(next) {
            return true;
        }
        current = gates.get(&next).copied();
    }
    false
}

/// A release as gates and halts key it: platform and canonical version text.
pub fn release_key(platform: Platform, version: &AppleOsVersion) -> (Platform, String) {
    (platform, version.canonical_text())
}

/// What the earlier ring showed at the last evaluation, for the words of a waiting ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateProgress {
    pub installed_percent: u8,
    pub failed_percent: u8,
    /// Whole days since the release became visible on the earlier ring.
    pub days: u16,
}

/// A gated policy's gate, with what the evaluation rounds recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateRule {
    /// The earlier ring's name.
    pub after: String,
    pub min_installed_percent: u8,
    pub max_failed_percent: u8,
    pub min_days: u16,
    /// When the gate opened for each release ([`release_key`]).
    pub opened: BTreeMap<(Platform, String), Timestamp>,
    /// The last evaluation of each release not yet through.
    pub progress: BTreeMap<(Platform, String), GateProgress>,
}

impl GateRule {
    /// When the gate opened for `version`, if it has by `now`.
    pub fn opened_by(
        &self,
        platform: Platform,
        version: &AppleOsVersion,
        now: Timestamp,
    ) -> Option<Timestamp> {
        self.opened
            .get(&release_key(platform, version))
            .copied()
            .filter(|opened| *opened <= now)
    }

    /// Why `version` waits, in words: `waiting for Early Adoption: 62% of 80% installed, 1%
    /// failed`.
    pub fn waiting(&self, platform: Platform, version: &AppleOsVersion) -> Waiting {
        Waiting {
            after: self.after.clone(),
            version: version.clone(),
            min_installed_percent: self.min_installed_percent,
            max_failed_percent: self.max_failed_percent,
            min_days: self.min_days,
            progress: self.progress.get(&release_key(platform, version)).copied(),
        }
    }
}

/// A release waiting for its gate, and how far the earlier ring is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub after: String,
    pub version: AppleOsVersion,
    pub min_installed_percent: u8,
    pub max_failed_percent: u8,
    pub min_days: u16,
    pub progress: Option<GateProgress>,
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiting for {}: ", self.after)?;
        match self.progress {
            Some(progress) => write!(
                f,
                "{}% of {}% installed, {}% failed (at most {}%), {} of {} days, for {}",
                progress.installed_percent,
                self.min_installed_percent,
                progress.failed_percent,
                self.max_failed_percent,
                progress.days.min(self.min_days),
                self.min_days,
                self.version
            ),
            None => write!(f, "{} is not evaluated there yet", self.version),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|error| error.pointer.as_str()).collect()
    }

    #[test]
    fn a_gate_is_read_with_every_problem_by_pointer() {
        let gate = Gate::parse(
            br#"{"after": 2, "minInstalledPercent": 80, "maxFailedPercent": 5, "minDays": 3}"#,
        )
        .unwrap();
        assert_eq!(gate.after, PolicyGroupId::new(2));
        assert_eq!(
            (
                gate.min_installed_percent,
                gate.max_failed_percent,
                gate.min_days
            ),
            (80, 5, 3)
        );
        let no_days =
            Gate::parse(br#"{"after": 2, "minInstalledPercent": 80, "maxFailedPercent": 5}"#)
                .unwrap();
        assert_eq!(no_days.min_days, 0);
        let errors = Gate::parse(
            br#"{"after": "x", "minInstalledPercent": 101, "maxFailedPercent": -1, "minDays": 91, "y": 1}"#,
        )
        .unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/after",
                "/minInstalledPercent",
                "/maxFailedPercent",
                "/minDays",
                "/y"
            ]
        );
        let errors = Gate::parse(b"{}").unwrap_err();
        assert_eq!(
            pointers(&errors),
            ["/after", "/minInstalledPercent", "/maxFailedPercent"]
        );
        let errors =
            Gate::parse(br#"{"after": 0, "minInstalledPercent": 1.5, "maxFailedPercent": 1}"#)
                .unwrap_err();
        assert_eq!(pointers(&errors), ["/after", "/minInstalledPercent"]);
    }

    #[test]
    fn a_gate_may_not_close_a_cycle() {
        let id = PolicyGroupId::new;
        let gates = BTreeMap::from([(id(2), id(1)), (id(3), id(2))]);
        assert!(closes_cycle(&gates, id(1), id(1)));
        assert!(closes_cycle(&gates, id(1), id(3)));
        assert!(!closes_cycle(&gates, id(4), id(3)));
        assert!(!closes_cycle(&gates, id(3), id(1)));
    }

    #[test]
    fn a_waiting_ring_is_explained_in_words() {
        let version = AppleOsVersion::parse("26.1").unwrap();
        let mut rule = GateRule {
            after: "Early Adoption".into(),
            min_installed_percent: 80,
            max_failed_percent: 5,
            min_days: 7,
            ..GateRule::default()
        };
        assert_eq!(
            rule.waiting(Platform::MacOs, &version).to_string(),
            "waiting for Early Adoption: 26.1 is not evaluated there yet"
        );
        rule.progress.insert(
            release_key(Platform::MacOs, &version),
            GateProgress {
                installed_percent: 62,
                failed_percent: 1,
                days: 9,
            },
        );
        assert_eq!(
            rule.waiting(Platform::MacOs, &version).to_string(),
            "waiting for Early Adoption: 62% of 80% installed, 1% failed (at most 5%), 7 of 7 days, for 26.1"
        );
    }
}

//! What the notifier did last, for `GET /api/v1/notifier` and the web app's overview.
//!
//! The notifier ([`super::notifier`]) records each round it runs here: when it ended, how many
//! devices it recomputed and asked the MDM to sync, how many failed, or the error that ended
//! the round. The log lives in the server's memory: on a cluster, the server that holds the
//! notifier's lease answers with the rounds, another answers that it ran none.

use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use serde::Serialize;

use crate::os_updates::notifier::RoundReport;

/// The notifier's log, shared by the notifier and the API.
#[derive(Debug, Clone, Default)]
pub struct NotifierLog(Arc<Mutex<LogState>>);

#[derive(Debug, Clone, Default)]
struct LogState {
    running: bool,
    rounds: u64,
    last: Option<LastRoundView>,
}

/// The answer of `GET /api/v1/notifier`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifierView {
    /// Whether this server runs a notifier (`--mdm-enqueue-url` given).
    pub running: bool,
    /// Rounds this server ran since it started.
    pub rounds: u64,
    /// The last of them; `null` before the first.
    pub last_round: Option<LastRoundView>,
}

/// One round, as recorded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastRoundView {
    /// When the round ended (RFC 3339).
    pub finished_at: String,
    /// Devices that have synced before (the candidates).
    pub devices: usize,
    /// Devices recomputed (the round's scope).
    pub recomputed: usize,
    /// Devices whose set changed and that the MDM was asked to sync.
    pub notified: usize,
    /// Devices whose batch failed every attempt (tried again next round).
    pub failed: usize,
    pub elapsed_ms: u64,
    /// Why the round ended early (a store error, a panic); `null` when it ran through.
    pub error: Option<String>,
}

impl NotifierLog {
    fn with<T>(&self, change: impl FnOnce(&mut LogState) -> T) -> T {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state)
    }

    /// The notifier started on this server.
    pub fn started(&self) {
        self.with(|state| state.running = true);
    }

    /// A round ended at `at`: its report, or why it failed.
    pub fn record(&self, at: Timestamp, outcome: Result<&RoundReport, String>) {
        let view = match outcome {
            Ok(report) => LastRoundView {
                finished_at: at.to_string(),
                devices: report.devices,
                recomputed: report.recomputed,
                notified: report.notified,
                failed: report.failed,
                elapsed_ms: u64::try_from(report.elapsed_ms).unwrap_or(u64::MAX),
                error: None,
            },
            Err(error) => LastRoundView {
                finished_at: at.to_string(),
                devices: 0,
                recomputed: 0,
                notified: 0,
                failed: 0,
                elapsed_ms: 0,
                error: Some(error),
            },
        };
        self.with(|state| {
            state.rounds += 1;
            state.last = Some(view);
        });
    }

    /// What the API answers.
    pub fn view(&self) -> NotifierView {
        self.with(|state| NotifierView {
            running: state.running,
            rounds: state.rounds,
            last_round: state.last.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_round_is_kept_and_counted() {
        let log = NotifierLog::default();
        assert!(!log.view().running);
        assert!(log.view().last_round.is_none());
        log.started();
        let report = RoundReport {
            devices: 10,
            recomputed: 4,
            computed: 2,
            notified: 3,
            failed: 1,
            elapsed_ms: 12,
        };
        log.record(Timestamp::UNIX_EPOCH, Ok(&report));
        log.record(Timestamp::UNIX_EPOCH, Err("database gone".to_owned()));
        let view = log.view();
        assert!(view.running);
        assert_eq!(view.rounds, 2);
        let last = view.last_round.expect("a round");
        assert_eq!(last.error.as_deref(), Some("database gone"));
        assert_eq!(last.notified, 0);
    }
}

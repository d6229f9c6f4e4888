//! Background rounds (the notifier, catalog polling, the cache refresher) that outlive a bad one.
//!
//! Each task runs a loop of rounds. A round that fails returns an error the task logs; a round
//! that panics would end the whole task silently, so every round runs inside [`guarded`], which
//! catches the panic, logs it with the task's name, and lets the loop go on with the next round.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

/// Runs one round of background task `task`; `None` (logged as an error) when it panicked.
///
/// The state a round shares with the next (the services, a client, counters) is either behind
/// atomics and async locks that a panic cannot leave half-written, or rebuilt by the next round.
pub async fn guarded<F: Future>(task: &'static str, round: F) -> Option<F::Output> {
    match AssertUnwindSafe(round).catch_unwind().await {
        Ok(output) => Some(output),
        Err(payload) => {
            tracing::error!(
                task,
                panic = panic_message(payload.as_ref()),
                "a background round panicked; the next round runs as usual"
            );
            None
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_panicking_round_is_logged_and_the_next_round_runs() {
        let rounds = AtomicUsize::new(0);
        let mut finished = Vec::new();
        for _ in 0..3 {
            let outcome = guarded("test", async {
                let round = rounds.fetch_add(1, Ordering::SeqCst);
                if round == 1 {
                    panic!("round {round} went wrong");
                }
                round
            })
            .await;
            finished.push(outcome);
        }
        assert_eq!(finished, vec![Some(0), None, Some(2)]);
    }

    #[test]
    fn panic_messages_are_read_from_either_payload() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&7u8), "a panic without a message");
    }
}

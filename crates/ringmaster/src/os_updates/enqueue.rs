//! One batch of the notifier ([`crate::os_updates::notifier`]) sent to the MDM's enqueue API,
//! NanoMDM's and NanoHUB's shape: `PUT {enqueue URL}/{id,id,…}` with the command plist, HTTP
//! basic auth `<user>:<API key>` (`nanomdm` for NanoMDM, `nanohub` for NanoHUB).
//!
//! The enqueue URL may be given with or without its trailing slash; the ids always go in a path
//! segment of their own. NanoMDM answers 200 when every id was enqueued and pushed, 500 when
//! none was, and 207 when some failed, with a JSON body whose `status` maps each enrollment id
//! to its result (`command_error` when enqueuing failed, `push_error` when the push did). After
//! a 207 only the ids it reports as failed are sent again; the others count as delivered. A 207
//! whose body names no failed id of the batch is retried whole, since which ids failed is then
//! unknown. Answer bodies are read up to [`MAX_ANSWER_BYTES`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// The most of an answer body read (a 207 names at most a batch of ids).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Where and as whom to enqueue.
#[derive(Debug, Clone)]
pub struct EnqueueTarget<'a> {
    /// The enqueue URL as configured, with or without a trailing slash.
    pub url: &'a str,
    /// The basic-auth user (`nanomdm`, `nanohub`).
    pub user: &'a str,
    pub api_key: Option<&'a str>,
    /// Attempts before giving up until the next round (at least 1).
    pub attempts: u32,
    /// The first retry's delay; each further one doubles it.
    pub backoff: Duration,
}

/// What became of one batch after every attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResult {
    /// Ids the MDM took.
    pub delivered: Vec<String>,
    /// Ids still failed after the last attempt.
    pub failed: Vec<String>,
}

/// The request URL for `ids`: the enqueue URL, a `/` unless it ends in one, the ids
/// percent-encoded and comma-separated; a query in the enqueue URL stays at the end.
pub fn enqueue_url(base: &str, ids: &[&str]) -> String {
    let (path, query) = match base.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (base, None),
    };
    let separator = if path.ends_with('/') { "" } else { "/" };
    let joined = ids
        .iter()
        .map(|id| percent_encode(id))
        .collect::<Vec<_>>()
        .join(",");
    match query {
        Some(query) => format!("{path}{separator}{joined}?{query}"),
        None => format!("{path}{separator}{joined}"),
    }
}

/// Sends `command` for `ids`, retrying with exponential backoff what the MDM did not take.
pub async fn send_batch(
    client: &reqwest::Client,
    target: &EnqueueTarget<'_>,
    ids: &[String],
    command: impl Fn() -> Vec<u8>,
) -> BatchResult {
    let mut pending: Vec<String> = ids.to_vec();
    let mut delivered = Vec::new();
    let mut delay = target.backoff;
    let attempts = target.attempts.max(1);
    for attempt in 1..=attempts {
        let refs: Vec<&str> = pending.iter().map(String::as_str).collect();
        let url = enqueue_url(target.url, &refs);
        let mut request = client
            .put(&url)
            .header("content-type", "application/x-apple-aspen-mdm")
            .body(command());
        if let Some(key) = target.api_key {
            request = request.basic_auth(target.user, Some(key));
        }
        match request.send().await {
            Ok(response) if response.status() == StatusCode::MULTI_STATUS => {
                let body = read_bounded(response).await;
                match failed_ids(&body, &refs) {
                    Some(failed) => {
                        tracing::warn!(
                            attempt,
                            devices = pending.len(),
                            failed = failed.len(),
                            "notifier: the MDM enqueued the command for some devices only"
                        );
                        let (retry, took): (Vec<String>, Vec<String>) =
                            pending.into_iter().partition(|id| failed.contains(id));
                        delivered.extend(took);
                        pending = retry;
                    }
                    None => tracing::warn!(
                        attempt,
                        devices = pending.len(),
                        "notifier: the MDM answered 207 without naming a failed device; the \
                         whole batch is tried again"
                    ),
                }
            }
            Ok(response) if response.status().is_success() => {
                delivered.append(&mut pending);
            }
            Ok(response) if response.status() == StatusCode::NOT_FOUND => tracing::warn!(
                status = %response.status(),
                attempt,
                devices = pending.len(),
                url = %target.url,
                "notifier: the MDM has no such enqueue URL (NanoMDM's is …/v1/enqueue/, \
                 NanoHUB's …/api/v1/nanomdm/enqueue/)"
            ),
            Ok(response) => tracing::warn!(
                status = %response.status(),
                attempt,
                devices = pending.len(),
                "notifier: the MDM refused the command"
            ),
            Err(error) => tracing::warn!(%error, attempt, "notifier: the MDM did not answer"),
        }
        if pending.is_empty() {
            break;
        }
        if attempt < attempts {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
    BatchResult {
        delivered,
        failed: pending,
    }
}

/// NanoMDM's answer to an enqueue: per enrollment id, what failed.
#[derive(Debug, Deserialize)]
struct EnqueueAnswer {
    #[serde(default)]
    status: BTreeMap<String, EnrollmentAnswer>,
}

#[derive(Debug, Deserialize)]
struct EnrollmentAnswer {
    #[serde(default)]
    push_error: Option<serde_json::Value>,
    #[serde(default)]
    command_error: Option<serde_json::Value>,
}

/// The ids of `sent` that a 207 body reports as failed (an enqueue or a push error); `None`
/// when the body is not NanoMDM's shape or names none of them.
pub fn failed_ids(body: &[u8], sent: &[&str]) -> Option<BTreeSet<String>> {
    let answer: EnqueueAnswer = serde_json::from_slice(body).ok()?;
    let sent: BTreeSet<&str> = sent.iter().copied().collect();
    let failed: BTreeSet<String> = answer
        .status
        .into_iter()
        .filter(|(id, result)| {
            sent.contains(id.as_str())
                && (is_error(result.command_error.as_ref()) || is_error(result.push_error.as_ref()))
        })
        .map(|(id, _)| id)
        .collect();
    (!failed.is_empty()).then_some(failed)
}

fn is_error(value: Option<&serde_json::Value>) -> bool {
    match value {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    }
}

/// The answer's body, at most [`MAX_ANSWER_BYTES`] of it (a broken one reads as empty).
async fn read_bounded(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    body
}

/// Percent-encodes what an enrollment id may hold that a path segment may not.
fn percent_encode(id: &str) -> String {
    id.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ids_go_in_their_own_segment_with_or_without_the_slash() {
        for base in ["http://mdm/v1/enqueue/", "http://mdm/v1/enqueue"] {
            assert_eq!(enqueue_url(base, &["a", "b"]), "http://mdm/v1/enqueue/a,b");
        }
        assert_eq!(
            enqueue_url("http://mdm/v1/enqueue?nopush=1", &["a"]),
            "http://mdm/v1/enqueue/a?nopush=1"
        );
    }

    #[test]
    fn ids_are_encoded_for_the_path() {
        assert_eq!(percent_encode("A1B2-c3"), "A1B2-c3");
        assert_eq!(percent_encode("a,b/c d"), "a%2Cb%2Fc%20d");
    }

    #[test]
    fn a_multi_status_names_the_failed_ids() {
        let body = br#"{"status": {
            "a": {"push_result": "apns-1"},
            "b": {"command_error": "enrollment not found"},
            "c": {"push_error": "push failed", "push_result": ""},
            "d": {"command_error": "not one we sent"}
        }, "command_uuid": "x", "request_type": "DeclarativeManagement"}"#;
        let failed = failed_ids(body, &["a", "b", "c"]).unwrap();
        assert_eq!(
            failed.into_iter().collect::<Vec<_>>(),
            vec!["b".to_owned(), "c".to_owned()]
        );
    }

    #[test]
    fn a_multi_status_that_names_nothing_is_unknown() {
        assert_eq!(failed_ids(b"not json", &["a"]), None);
        assert_eq!(failed_ids(br#"{"status": {"a": {}}}"#, &["a"]), None);
        assert_eq!(failed_ids(br#"{}"#, &["a"]), None);
    }
}

//! The web app's one way to read and change anything: a request to the admin API, made in
//! process with the session's token.
//!
//! [`Ui::call`] builds a request for `/api/v1/…` and sends it through the admin router itself
//! (the same middleware stack as a request from outside: the role table and
//! `Access::permits`, the per-token rate limit, the audit record), with a [`UiCaller`]
//! extension in place of an `Authorization` header. An extension cannot come from the network,
//! so only this module can act as a session's token. The answers are the API's JSON, refusals
//! included, which the pages show with the API's words.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use ringmaster_domain::access::Access;
use ringmaster_store::tokens::ApiToken;
use ringmaster_store::ui_sessions::UiSession;
use serde_json::Value;
use tower::ServiceExt;

use crate::http::client_address::ClientAddress;
use crate::http::roles::{self, Verb};

/// The largest API answer a page reads (a page of devices, a catalog, a compliance list).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The token a web-app request acts as, put on the in-process request by [`Ui::call`] and read
/// by the admin API's token check instead of a bearer header.
#[derive(Debug, Clone)]
pub struct UiCaller(pub ApiToken);

/// The admin API's router, with its state, for in-process requests.
#[derive(Clone)]
pub struct InternalApi(pub Router);

impl std::fmt::Debug for InternalApi {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("InternalApi")
    }
}

/// A signed-in request's context: its session, the API and where the request came from.
#[derive(Debug, Clone)]
pub struct Ui {
    pub session: UiSession,
    /// The cookie's secret (for sign-out).
    pub(super) secret: String,
    pub(super) api: InternalApi,
    pub(super) client: Option<ClientAddress>,
    pub(super) now: jiff::Timestamp,
}

/// One problem the API named: where (a JSON pointer, a parameter or a file) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

/// The API's answer to one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// The JSON body (`Null` when there is none or it is not JSON).
    pub body: Value,
    /// The body as sent, for answers that are not JSON (the timeline's SVG).
    pub text: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The API's message for a refusal.
    pub fn message(&self) -> String {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the server answered {}", self.status))
    }

    /// The problems of a refusal, each at its pointer (or parameter, or file).
    pub fn problems(&self) -> Vec<Problem> {
        let Some(errors) = self.body.get("errors").and_then(Value::as_array) else {
            return Vec::new();
        };
        errors
            .iter()
            .map(|error| Problem {
                at: ["pointer", "parameter", "file"]
                    .iter()
                    .find_map(|key| error.get(key).and_then(Value::as_str))
                    .unwrap_or("")
                    .to_owned(),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            })
            .collect()
    }
}

/// A refused or failed read, shown as an error page with the API's status.
#[derive(Debug)]
pub struct Refused(pub Answer);

impl Ui {
    /// Sends one request to the admin API as this session's token.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(uri);
        let body = match body {
            Some((content_type, bytes)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let Ok(mut request) = builder.body(body) else {
            return internal("the web app built a request the API cannot read");
        };
        request
            .extensions_mut()
            .insert(UiCaller(self.session.token.clone()));
        if let Some(client) = self.client {
            request.extensions_mut().insert(client);
        }
        let Ok(response) = self.api.0.clone().oneshot(request).await;
        let status = response.status();
        let Ok(bytes) = to_bytes(response.into_body(), MAX_ANSWER_BYTES).await else {
            return internal("the API's answer could not be read");
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body, text }
    }

    /// A read that must succeed: its JSON, or the refusal as an error page.
    pub async fn get(&self, uri: &str) -> Result<Value, Refused> {
        let answer = self.call(Method::GET, uri, None).await;
        if answer.ok() {
            Ok(answer.body)
        } else {
            Err(Refused(answer))
        }
    }

    /// Sends a JSON document.
    pub async fn send_json(&self, method: Method, uri: &str, document: &Value) -> Answer {
        let bytes = serde_json::to_vec(document).unwrap_or_default();
        self.call(method, uri, Some(("application/json", bytes)))
            .await
    }

    /// Whether this session's token may use the admin route `verb path` (a pattern of the
    /// route table), by the API's own rule: the page shows a control only then.
    pub fn can(&self, verb: Verb, path: &str) -> bool {
        let Some(route) = roles::route_role(&verb.method(), path) else {
            return false;
        };
        let token = &self.session.token;
        let access = Access {
            role: token.role,
            scope: token.titles.as_ref(),
            expires_at: token.expires_at,
        };
        // A scoped token may act on some titles: a title route's control is shown if the role
        // allows it, and the API decides per title id when the form is sent.
        let title = match route.about {
            roles::About::Title => token.titles.as_ref().and_then(|scope| scope.ids().next()),
            roles::About::Other => None,
        };
        access.permits(route.role, title, self.now).is_ok()
    }

    /// The session's CSRF secret, for every form.
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
}

fn internal(message: &str) -> Answer {
    Answer {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: serde_json::json!({ "message": message }),
        text: String::new(),
    }
}

/// `text` as one path segment or query value: every byte but the unreserved ones
/// percent-encoded.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_whole() {
        assert_eq!(encode("14.1 (a/b)?"), "14.1%20%28a%2Fb%29%3F");
        assert_eq!(encode("Firefox_x-1~"), "Firefox_x-1~");
        assert_eq!(encode("é"), "%C3%A9");
    }
}

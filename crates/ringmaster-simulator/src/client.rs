//! [`SyncClient`]: runs one simulated device's sync against a DDM server over HTTP.
//!
//! KMFDDM-style endpoints under a prefix (default `/ddm/`): `GET tokens`,
//! `GET declaration-items`, `GET declaration/{kind}/{identifier}`, `PUT status`, each with
//! the headers NanoMDM forwards (`X-Enrollment-ID`, `X-Enrollment-Type`, and on a user channel
//! `X-Enrollment-ParentID`) and, when a secret is set, `Authorization: Bearer <secret>` or, as
//! NanoMDM's `-dm-send-hmac-key` and `-dm-recv-hmac-key` do ([`SecretUse::Hmac`]),
//! `X-Hmac-Signature` of each request body, with every answer's signature checked.
//! One client (one connection pool) serves any number of devices; clone it freely. Where the
//! server is and how the secret goes are in [`crate::endpoint`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde_json::Value;

use crate::device::SimulatedDevice;
pub use crate::endpoint::{
    BearerSecret, ClientSetupError, DEFAULT_PREFIX, ENROLLMENT_ID_HEADER, ENROLLMENT_PARENT_HEADER,
    ENROLLMENT_TYPE_HEADER, SIGNATURE_HEADER, SecretUse, ServerEndpoint,
};
use crate::endpoint::{Caller, hmac_base64};
use crate::protocol::{DeclarationItems, DeclarationKey, StatusReport, SyncTokens};

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest part of an error body kept in a [`SyncError`].
const ERROR_BODY_CHARS: usize = 300;

/// Why a request of a sync failed. `path` is relative to the prefix (`declaration/configuration/x`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The server answered with a status other than 2xx.
    #[error("{method} {path}: HTTP {status}: {body}")]
    Status {
        method: String,
        path: String,
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// No answer: connection refused, timeout, reset.
    #[error("{method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    /// An answer that is not what the protocol says (not JSON, keys missing).
    #[error("{method} {path}: {message}")]
    Protocol {
        method: String,
        path: String,
        message: String,
    },
}

impl SyncError {
    /// The HTTP status, for [`SyncError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            SyncError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The request's path relative to the prefix.
    pub fn path(&self) -> &str {
        match self {
            SyncError::Status { path, .. }
            | SyncError::Transport { path, .. }
            | SyncError::Protocol { path, .. } => path,
        }
    }

    /// A short class for counting: `HTTP 404`, `transport`, `protocol`.
    pub fn class(&self) -> String {
        match self {
            SyncError::Status { status, .. } => format!("HTTP {status}"),
            SyncError::Transport { .. } => "transport".to_owned(),
            SyncError::Protocol { .. } => "protocol".to_owned(),
        }
    }
}

/// One HTTP request a sync made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET` or `PUT`.
    pub method: String,
    /// Relative to the prefix: `tokens`, `declaration-items`, `declaration/configuration/x`,
    /// `status`.
    pub path: String,
    /// The HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    pub duration: Duration,
}

/// What one device's sync did.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    pub enrollment_id: String,
    /// Every request, in order.
    pub requests: Vec<RequestRecord>,
    /// The `DeclarationsToken` had changed, so `declaration-items` was fetched.
    pub fetched_items: bool,
    /// Declarations fetched and stored.
    pub fetched: Vec<DeclarationKey>,
    /// Declarations dropped because they are no longer listed.
    pub dropped: Vec<DeclarationKey>,
    /// Fetched declarations the device judged invalid (reported in `management.declarations`).
    pub invalid: Vec<DeclarationKey>,
    /// Server answers that break the protocol without failing the sync (a
    /// `declaration-items` token other than the `tokens` one, a `ServerToken` other than the
    /// listed one, …).
    pub issues: Vec<String>,
    /// The status report built for this sync, if any (sent or not: see `report_accepted`).
    pub report: Option<StatusReport>,
    /// The server answered the status `PUT` with 2xx.
    pub report_accepted: bool,
    /// The first failed request; the sync stopped there and the device kept its declarations.
    pub error: Option<SyncError>,
    /// Wall time of the whole sync.
    pub duration: Duration,
}

impl SyncOutcome {
    fn new(enrollment_id: &str) -> Self {
        Self {
            enrollment_id: enrollment_id.to_owned(),
            requests: Vec::new(),
            fetched_items: false,
            fetched: Vec::new(),
            dropped: Vec::new(),
            invalid: Vec::new(),
            issues: Vec::new(),
            report: None,
            report_accepted: false,
            error: None,
            duration: Duration::ZERO,
        }
    }

    /// No request failed.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The status report that the server took, if one was sent.
    pub fn sent_report(&self) -> Option<&StatusReport> {
        self.report.as_ref().filter(|_| self.report_accepted)
    }
}

/// Talks to one DDM server for any number of devices.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    root: Url,
    secret: Option<BearerSecret>,
    signing: SecretUse,
}

impl SyncClient {
    /// A client with its own connection pool (timeouts: 10 s to connect, [`REQUEST_TIMEOUT`]
    /// per request).
    pub fn new(endpoint: &ServerEndpoint) -> Result<Self, ClientSetupError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ringmaster-simulator/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| ClientSetupError {
                message: format!("cannot build the HTTP client: {error}"),
            })?;
        Self::with_http_client(http, endpoint)
    }

    /// A client over an existing `reqwest::Client` (shared pool, custom TLS roots…).
    pub fn with_http_client(
        http: reqwest::Client,
        endpoint: &ServerEndpoint,
    ) -> Result<Self, ClientSetupError> {
        Ok(Self {
            http,
            root: endpoint.root_url()?,
            secret: endpoint.secret.clone(),
            signing: endpoint.secret_use,
        })
    }

    /// The URL the endpoint names are joined to (ends in `/`).
    pub fn root_url(&self) -> &Url {
        &self.root
    }

    /// Runs one full sync of `device` at `now`: `begin_sync`, `tokens`, then (token changed)
    /// `declaration-items` and each changed declaration, `apply_declarations`, and the status
    /// `PUT` when the device has something to report. Stops at the first failed request.
    pub async fn sync(&self, device: &mut SimulatedDevice, now: Timestamp) -> SyncOutcome {
        let started = Instant::now();
        let mut outcome = SyncOutcome::new(device.enrollment_id());
        device.begin_sync(now);
        if let Err(error) = self.sync_steps(device, &mut outcome).await {
            outcome.error = Some(error);
        }
        outcome.duration = started.elapsed();
        outcome
    }

    async fn sync_steps(
        &self,
        device: &mut SimulatedDevice,
        outcome: &mut SyncOutcome,
    ) -> Result<(), SyncError> {
        let profile = device.profile();
        let caller = Caller {
            enrollment_id: profile.enrollment_id.clone(),
            channel: profile.channel,
            parent_id: profile.parent_id.clone(),
        };
        let enrollment_id = &caller;
        let records = &mut outcome.requests;
        let tokens = self.get_tokens(enrollment_id, records).await?;
        if device.needs_declaration_items(&tokens) {
            outcome.fetched_items = true;
            let items = self.get_items(enrollment_id, records).await?;
            if items.declarations_token != tokens.declarations_token {
                outcome.issues.push(format!(
                    "declaration-items has DeclarationsToken {:?} but tokens said {:?}",
                    items.declarations_token, tokens.declarations_token
                ));
            }
            let plan = device.plan_fetches(&items);
            let mut fetched = BTreeMap::new();
            for key in plan.fetch {
                let body = self.get_declaration(enrollment_id, &key, records).await?;
                fetched.insert(key, body);
            }
            let applied = device.apply_declarations(&items, &fetched);
            outcome.fetched = applied.stored;
            outcome.dropped = applied.dropped;
            outcome.invalid = applied.invalid;
            outcome.issues.extend(applied.issues);
        }
        if let Some(report) = device.status_report() {
            let sent = self
                .put_status(enrollment_id, &report.to_json(), &mut outcome.requests)
                .await;
            outcome.report = Some(report);
            sent?;
            let report = outcome.report.as_ref().expect("stored just above");
            device.report_sent(report);
            outcome.report_accepted = true;
        }
        Ok(())
    }

    /// `GET tokens` for one enrollment.
    pub async fn tokens(&self, enrollment_id: &str) -> Result<SyncTokens, SyncError> {
        self.get_tokens(&Caller::device(enrollment_id), &mut Vec::new())
            .await
    }

    /// `GET declaration-items` for one enrollment.
    pub async fn declaration_items(
        &self,
        enrollment_id: &str,
    ) -> Result<DeclarationItems, SyncError> {
        self.get_items(&Caller::device(enrollment_id), &mut Vec::new())
            .await
    }

    /// `GET declaration/{kind}/{identifier}` for one enrollment: the declaration JSON.
    pub async fn declaration(
        &self,
        enrollment_id: &str,
        key: &DeclarationKey,
    ) -> Result<Value, SyncError> {
        self.get_declaration(&Caller::device(enrollment_id), key, &mut Vec::new())
            .await
    }

    /// `PUT status` with any JSON body (a [`StatusReport::to_json`] or a hand-made one).
    pub async fn send_status(&self, enrollment_id: &str, report: &Value) -> Result<(), SyncError> {
        self.put_status(&Caller::device(enrollment_id), report, &mut Vec::new())
            .await
    }

    async fn get_tokens(
        &self,
        enrollment_id: &Caller,
        records: &mut Vec<RequestRecord>,
    ) -> Result<SyncTokens, SyncError> {
        let path = "tokens".to_owned();
        let body = self
            .json_request(
                Method::GET,
                &path,
                self.url(&["tokens"]),
                enrollment_id,
                None,
                records,
            )
            .await?;
        SyncTokens::from_json(&body).map_err(|error| protocol_error("GET", &path, error.message))
    }

    async fn get_items(
        &self,
        enrollment_id: &Caller,
        records: &mut Vec<RequestRecord>,
    ) -> Result<DeclarationItems, SyncError> {
        let path = "declaration-items".to_owned();
        let url = self.url(&["declaration-items"]);
        let body = self
            .json_request(Method::GET, &path, url, enrollment_id, None, records)
            .await?;
        DeclarationItems::from_json(&body)
            .map_err(|error| protocol_error("GET", &path, error.message))
    }

    async fn get_declaration(
        &self,
        enrollment_id: &Caller,
        key: &DeclarationKey,
        records: &mut Vec<RequestRecord>,
    ) -> Result<Value, SyncError> {
        let path = format!("declaration/{key}");
        let url = self.url(&["declaration", key.kind.as_str(), &key.identifier]);
        self.json_request(Method::GET, &path, url, enrollment_id, None, records)
            .await
    }

    async fn put_status(
        &self,
        enrollment_id: &Caller,
        report: &Value,
        records: &mut Vec<RequestRecord>,
    ) -> Result<(), SyncError> {
        let url = self.url(&["status"]);
        self.request(
            Method::PUT,
            "status",
            url,
            enrollment_id,
            Some(report),
            records,
        )
        .await
        .map(|_| ())
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.root.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has path segments")
            .pop_if_empty()
            .extend(segments);
        url
    }

    async fn json_request(
        &self,
        method: Method,
        path: &str,
        url: Url,
        enrollment_id: &Caller,
        body: Option<&Value>,
        records: &mut Vec<RequestRecord>,
    ) -> Result<Value, SyncError> {
        let method_name = method.to_string();
        let bytes = self
            .request(method, path, url, enrollment_id, body, records)
            .await?;
        serde_json::from_slice(&bytes).map_err(|error| {
            protocol_error(
                &method_name,
                path,
                format!("the answer is not JSON: {error}"),
            )
        })
    }

    /// Sends one request; a non-2xx answer is an error. Every attempt is recorded.
    async fn request(
        &self,
        method: Method,
        path: &str,
        url: Url,
        enrollment_id: &Caller,
        body: Option<&Value>,
        records: &mut Vec<RequestRecord>,
    ) -> Result<bytes::Bytes, SyncError> {
        let method_name = method.to_string();
        let started = Instant::now();
        let mut request = self
            .http
            .request(method, url)
            .header(ENROLLMENT_ID_HEADER, &enrollment_id.enrollment_id)
            .header(ENROLLMENT_TYPE_HEADER, enrollment_id.channel.header_value());
        if let Some(parent) = &enrollment_id.parent_id {
            request = request.header(ENROLLMENT_PARENT_HEADER, parent);
        }
        let bytes = body
            .map(|body| serde_json::to_vec(body).expect("a JSON value serializes"))
            .unwrap_or_default();
        match (&self.secret, self.signing) {
            (Some(secret), SecretUse::Hmac) => {
                request = request.header(SIGNATURE_HEADER, hmac_base64(secret.expose(), &bytes));
            }
            (Some(secret), SecretUse::Bearer) => {
                request = request.header(AUTHORIZATION, format!("Bearer {}", secret.expose()));
            }
            (None, _) => {}
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        let answer = async {
            let response = request.send().await?;
            let status = response.status();
            let signature = response
                .headers()
                .get(SIGNATURE_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, signature, bytes))
        }
        .await;
        let mut record = RequestRecord {
            method: method_name.clone(),
            path: path.to_owned(),
            status: None,
            duration: Duration::ZERO,
        };
        let result = match answer {
            Ok((status, signature, bytes)) => {
                record.status = Some(status.as_u16());
                let unsigned = match (&self.secret, self.signing) {
                    (Some(secret), SecretUse::Hmac) => {
                        signature.as_deref() != Some(hmac_base64(secret.expose(), &bytes).as_str())
                    }
                    _ => false,
                };
                if unsigned {
                    Err(protocol_error(
                        &method_name,
                        path,
                        format!(
                            "the HTTP {} answer's X-Hmac-Signature is missing or does not match                              its body (NanoMDM's -dm-recv-hmac-key would refuse it)",
                            status.as_u16()
                        ),
                    ))
                } else if status.is_success() {
                    Ok(bytes)
                } else {
                    Err(SyncError::Status {
                        method: method_name,
                        path: path.to_owned(),
                        status: status.as_u16(),
                        body: body_excerpt(&bytes),
                    })
                }
            }
            Err(error) => Err(SyncError::Transport {
                method: method_name,
                path: path.to_owned(),
                message: error_chain(&error),
            }),
        };
        record.duration = started.elapsed();
        records.push(record);
        result
    }
}

fn protocol_error(method: &str, path: &str, message: String) -> SyncError {
    SyncError::Protocol {
        method: method.to_owned(),
        path: path.to_owned(),
        message,
    }
}

fn body_excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(ERROR_BODY_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The error and its causes, `: `-separated.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

//! The device side of DDM: answering a device's check-ins (tokens, declaration items, one
//! declaration, a status report), as the HTTP endpoints and the raw check-in route ask.
//!
//! - An enrollment id not seen before becomes a device at once, with no platform or version; it is
//!   served its status subscriptions and, from its first status report on, its policy.
//! - `tokens` reads the device row, takes the device's set from the per-device cache
//!   ([`super::served_cache`], keyed by the configuration revision, the row's facts, the UTC day
//!   and the exemption in force) or computes it from the snapshot at the clock's now, and records
//!   it (by `DeclarationsToken`) when it differs from what the device was last served.
//! - `declaration-items` and `declaration/{kind}/{identifier}` are answered from the cached set's
//!   bytes, with one read: the token recorded for the device. When it is not the cached set's
//!   (another server of a cluster recorded another set, or nothing is cached), `declaration-items`
//!   is computed as `tokens` is, and a declaration is answered from the recorded set. So a fetched
//!   declaration always carries the `ServerToken` the device was given, even if a policy changed
//!   in between, and whichever server of a cluster answers.
//! - A status report is merged into the stored status (a full report replaces it), together with
//!   what it says about the device (OS family or model family, version, build, model,
//!   software-update id, client capabilities), in one transaction shared with other reports
//!   arriving at the same time ([`super::status_batch`]), answered once it commits.
//! - A user channel (NanoMDM's `User`, `User Enrollment` and `Shared iPad` enrollment types) is not
//!   a device: it is answered a valid empty set (`tokens` and `declaration-items` of no
//!   declarations, 404 for any declaration, 200 to a status report, which is not read) and never
//!   creates a device or touches one's stored status. A device channel's enrollment type is
//!   recorded on the device (`enrollmentType`).
//!
//! Every answer is a typed serializer's output: [`TokensAnswer`], and the bytes of
//! [`DeclarationItemsAnswer`] and of each declaration's envelope, written once per set.

use std::sync::Arc;

use bytes::Bytes;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ringmaster_domain::capabilities::EnrollmentType;
use ringmaster_domain::declarations::envelope::{DeclarationKind, DeclarationSet, DeclarationType};
use ringmaster_domain::device_status::report::parse_status_report;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::DeviceId;
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::StoredDevice;
use serde::Serialize;

use crate::os_updates::served_cache::{CacheKey, DeviceKey, SetBodies};
use crate::os_updates::service::OsUpdates;

/// One check-in, by endpoint.
#[derive(Debug, Clone)]
pub enum DdmRequest {
    Tokens,
    DeclarationItems,
    Declaration { kind: String, identifier: String },
    Status(Bytes),
}

/// What a check-in answers: a JSON body, or (for a status report) nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum DdmAnswer {
    Tokens(TokensAnswer),
    /// A JSON body written once per set: `declaration-items`, or one declaration as served.
    Json(Bytes),
    Empty,
}

/// `tokens`: `{"SyncTokens": {"DeclarationsToken", "Timestamp"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokensAnswer {
    pub sync_tokens: SyncTokens,
}

/// The device's declarations token, and when it was given (UTC, whole seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SyncTokens {
    pub declarations_token: String,
    pub timestamp: String,
}

/// `declaration-items`: every kind's list present, even when empty, and the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeclarationItemsAnswer {
    pub declarations: DeclarationItems,
    pub declarations_token: String,
}

/// The items of each kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeclarationItems {
    pub activations: Vec<DeclarationItem>,
    pub assets: Vec<DeclarationItem>,
    pub configurations: Vec<DeclarationItem>,
    pub management: Vec<DeclarationItem>,
}

/// One declaration by identifier and server token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeclarationItem {
    pub identifier: String,
    pub server_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DdmError {
    #[error("{0}")]
    NotFound(String),
    #[error("the status report cannot be read")]
    BadReport(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who checks in: the enrollment id and, when the MDM says, its enrollment type.
#[derive(Debug, Clone, Copy)]
pub struct CheckInChannel<'a> {
    /// Read by [`DeviceId::parse`], the rule every id that may become a device follows.
    pub enrollment: &'a DeviceId,
    /// `None` when the MDM did not say (an older NanoMDM, another MDM).
    pub enrollment_type: Option<EnrollmentType>,
}

impl OsUpdates {
    /// Answers one check-in on `channel`.
    pub async fn check_in(
        &self,
        channel: CheckInChannel<'_>,
        request: DdmRequest,
    ) -> Result<DdmAnswer, DdmError> {
        let enrollment = channel.enrollment.as_str();
        if let Some(kind) = channel
            .enrollment_type
            .filter(|kind| kind.is_user_channel())
        {
            tracing::debug!(enrollment, %kind, "a user channel checked in; answered an empty set");
            return self.user_channel_answer(request);
        }
        if let Some(answer) = self.answer_from_cache(channel, &request).await? {
            return Ok(answer);
        }
        // `tokens` (and `declaration-items` the long way) read the served token with the row.
        let wants_token = matches!(request, DdmRequest::Tokens | DdmRequest::DeclarationItems);
        let found = if wants_token {
            self.store.device_with_served_token(enrollment).await?
        } else {
            self.store
                .get_device(enrollment)
                .await?
                .map(|device| (device, None))
        };
        let (mut device, recorded) = match found {
            Some((device, recorded)) => (device, wants_token.then_some(recorded)),
            None => {
                tracing::info!(enrollment, "a new device enrolled itself by checking in");
                let device = self
                    .store
                    .ensure_device(channel.enrollment, self.clock.now())
                    .await?;
                (device, None)
            }
        };
        // The type is used at once, and stored only once the check-in is answered, so that a
        // refused request changes nothing.
        let record_type = channel
            .enrollment_type
            .filter(|kind| device.enrollment_type != Some(*kind));
        if record_type.is_some() {
            device.enrollment_type = record_type;
        }
        let answer = self.answer_device(&device, request, recorded).await?;
        if let Some(kind) = record_type {
            self.store
                .record_device_enrollment(&device.id, kind, self.clock.now())
                .await?;
            self.served_cache.forget(&device.id);
        }
        Ok(answer)
    }

    /// `declaration-items` or a declaration from the cached set, when it is what the device was
    /// last given (the one read: the recorded token). `None`: answer the long way.
    async fn answer_from_cache(
        &self,
        channel: CheckInChannel<'_>,
        request: &DdmRequest,
    ) -> Result<Option<DdmAnswer>, DdmError> {
        let enrollment = channel.enrollment.as_str();
        let items = match request {
            DdmRequest::DeclarationItems => true,
            DdmRequest::Declaration { .. } => false,
            DdmRequest::Tokens | DdmRequest::Status(_) => return Ok(None),
        };
        let Some(entry) = self.served_cache.latest(enrollment) else {
            return Ok(None);
        };
        if channel
            .enrollment_type
            .is_some_and(|kind| entry.key.device.enrollment_type != Some(kind))
        {
            return Ok(None);
        }
        if items {
            // The items of a stale key are computed again, as `tokens` would.
            let now = self.clock.now();
            let snapshot = self.snapshot();
            if entry.key.revision != snapshot.revision
                || entry.key.day != utc_day(now)
                || entry.key.exempt_until != snapshot.exempt_until(enrollment, now)
            {
                return Ok(None);
            }
        }
        let recorded = self.store.served_token(enrollment).await?;
        if recorded.as_deref() != Some(entry.set.token.as_str()) {
            return Ok(None);
        }
        match request {
            DdmRequest::Declaration { kind, identifier } => {
                let kind = parse_kind(kind)?;
                match entry.set.get(kind, identifier) {
                    Some(declaration) => Ok(Some(DdmAnswer::Json(declaration.body.clone()))),
                    None => Err(no_declaration(kind, identifier)),
                }
            }
            _ => Ok(Some(DdmAnswer::Json(entry.set.items.clone()))),
        }
    }

    /// `recorded`: the served token when it was read with the device (`Some(None)`: none).
    async fn answer_device(
        &self,
        device: &StoredDevice,
        request: DdmRequest,
        recorded: Option<Option<String>>,
    ) -> Result<DdmAnswer, DdmError> {
        match request {
            DdmRequest::Tokens => {
                let set = self.serve_current(device, recorded).await?;
                Ok(DdmAnswer::Tokens(self.tokens(&set.token)))
            }
            DdmRequest::DeclarationItems => {
                let set = self.serve_current(device, recorded).await?;
                Ok(DdmAnswer::Json(set.items.clone()))
            }
            DdmRequest::Declaration { kind, identifier } => {
                let kind = parse_kind(&kind)?;
                let Some(served) = self.store.served_set(&device.id).await? else {
                    let set = self.serve_current(device, None).await?;
                    return match set.get(kind, &identifier) {
                        Some(declaration) => Ok(DdmAnswer::Json(declaration.body.clone())),
                        None => Err(no_declaration(kind, &identifier)),
                    };
                };
                served
                    .declarations
                    .iter()
                    .find(|declaration| {
                        declaration["Identifier"] == identifier.as_str()
                            && declaration["Type"]
                                .as_str()
                                .and_then(|kind| DeclarationType::parse(kind).ok())
                                .is_some_and(|found| found.kind() == kind)
                    })
                    .map(|declaration| {
                        DdmAnswer::Json(Bytes::from(
                            serde_json::to_vec(declaration).unwrap_or_default(),
                        ))
                    })
                    .ok_or_else(|| no_declaration(kind, &identifier))
            }
            DdmRequest::Status(body) => {
                self.merge_status(device, body).await?;
                Ok(DdmAnswer::Empty)
            }
        }
    }

    /// What a user channel is answered: the empty set, whatever it asks.
    fn user_channel_answer(&self, request: DdmRequest) -> Result<DdmAnswer, DdmError> {
        let empty = DeclarationSet::default();
        match request {
            DdmRequest::Tokens => Ok(DdmAnswer::Tokens(self.tokens(&empty.declarations_token()))),
            DdmRequest::DeclarationItems => Ok(DdmAnswer::Json(Bytes::from(
                serde_json::to_vec(&declaration_items(&empty)).unwrap_or_default(),
            ))),
            DdmRequest::Declaration { .. } => Err(DdmError::NotFound(
                "a user channel is served no declarations".to_owned(),
            )),
            DdmRequest::Status(_) => Ok(DdmAnswer::Empty),
        }
    }

    fn tokens(&self, token: &str) -> TokensAnswer {
        TokensAnswer {
            sync_tokens: SyncTokens {
                declarations_token: token.to_owned(),
                timestamp: self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
        }
    }

    /// The device's set now, from the cache or computed, recorded when it is not what the
    /// device was last served (`recorded`, or read now when not given).
    async fn serve_current(
        &self,
        device: &StoredDevice,
        recorded: Option<Option<String>>,
    ) -> Result<Arc<SetBodies>, DdmError> {
        let now = self.clock.now();
        let set = self.current_set(device, now);
        let recorded = match recorded {
            Some(recorded) => recorded,
            None => self.store.served_token(&device.id).await?,
        };
        if recorded.as_deref() != Some(set.token.as_str()) {
            self.store
                .record_served_body(&device.id, &set.token, &set.recorded_body(), now)
                .await?;
        }
        Ok(set)
    }

    /// The device's set at `now`: the cached one when its key still holds, else computed (and
    /// cached). The key is taken from the snapshot before the computation reads it, so a
    /// snapshot swapped in between makes the entry stale, never wrongly fresh.
    pub fn current_set(&self, device: &StoredDevice, now: Timestamp) -> Arc<SetBodies> {
        let snapshot = self.snapshot();
        let key = CacheKey {
            revision: snapshot.revision,
            day: utc_day(now),
            exempt_until: snapshot.exempt_until(&device.id, now),
            pauses_ended: snapshot.pauses_ended_by(now),
            device: DeviceKey::of(device),
        };
        if let Some(set) = self.served_cache.lookup(&device.id, &key) {
            return set;
        }
        let computed = self.served_set(device, now);
        self.served_cache.insert(&device.id, key, &computed)
    }

    async fn merge_status(&self, device: &StoredDevice, body: Bytes) -> Result<(), DdmError> {
        let report = parse_status_report(&body).map_err(DdmError::BadReport)?;
        self.status_writer
            .merge(
                &self.store,
                &self.served_cache,
                device,
                report,
                self.clock.now(),
            )
            .await?;
        Ok(())
    }
}

/// The UTC calendar day of `now`, the day deferrals and deadlines count by.
pub fn utc_day(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned(TimeZone::UTC).date()
}

fn parse_kind(kind: &str) -> Result<DeclarationKind, DdmError> {
    DeclarationKind::parse(kind)
        .map_err(|_| DdmError::NotFound(format!("no declaration kind {kind:?}")))
}

fn no_declaration(kind: DeclarationKind, identifier: &str) -> DdmError {
    DdmError::NotFound(format!(
        "this device has no {} declaration {identifier:?}",
        kind.as_str()
    ))
}

/// `declaration-items`: every kind's list present, even when empty.
pub fn declaration_items(set: &DeclarationSet) -> DeclarationItemsAnswer {
    let items = |kind: DeclarationKind| -> Vec<DeclarationItem> {
        set.of_kind(kind)
            .map(|declaration| DeclarationItem {
                identifier: declaration.identifier().as_str().to_owned(),
                server_token: declaration.server_token().to_owned(),
            })
            .collect()
    };
    DeclarationItemsAnswer {
        declarations: DeclarationItems {
            activations: items(DeclarationKind::Activation),
            assets: items(DeclarationKind::Asset),
            configurations: items(DeclarationKind::Configuration),
            management: items(DeclarationKind::Management),
        },
        declarations_token: set.declarations_token(),
    }
}

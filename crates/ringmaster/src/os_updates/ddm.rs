//! The device side of DDM: answering a device's check-ins (tokens, declaration items, one
//! declaration, a status report), as the HTTP endpoints and the raw check-in route ask.
//!
//! - An enrollment id not seen before becomes a device at once, with no platform or version; it is
//!   served its status subscriptions and, from its first status report on, its policy.
//! - `tokens` and `declaration-items` compute the device's set from the snapshot at the clock's
//!   now, and record it (by `DeclarationsToken`) when it differs from what the device was last
//!   served. `declaration/{kind}/{identifier}` answers from that recorded set, so a fetched
//!   declaration always carries the `ServerToken` the device was given, even if a policy changed
//!   in between, and whichever server of a cluster answers.
//! - A status report is merged into the stored status (a full report replaces it) in one
//!   transaction; the OS family (or, without it, the model family), version, build, device id and
//!   client capabilities it carries update the device.
//! - A user channel (NanoMDM's `User`, `User Enrollment` and `Shared iPad` enrollment types) is not
//!   a device: it is answered a valid empty set (`tokens` and `declaration-items` of no
//!   declarations, 404 for any declaration, 200 to a status report, which is not read) and never
//!   creates a device or touches one's stored status. A device channel's enrollment type is
//!   recorded on the device (`enrollmentType`).

use bytes::Bytes;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::capabilities::{DeviceCapabilities, EnrollmentType};
use ringmaster_domain::declarations::envelope::{DeclarationKind, DeclarationSet};
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::device_status::report::parse_status_report;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::devices::{DeviceDocument, StoredDevice};
use serde::Serialize;
use serde_json::Value;

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
    DeclarationItems(DeclarationItemsAnswer),
    /// One declaration, as it was recorded when served.
    Declaration(Value),
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
        let mut device = match self.store.get_device(enrollment).await? {
            Some(device) => device,
            None => {
                tracing::info!(enrollment, "a new device enrolled itself by checking in");
                self.store
                    .ensure_device(channel.enrollment, self.clock.now())
                    .await?
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
        let answer = self.answer_device(&device, request).await?;
        if let Some(kind) = record_type {
            self.store
                .record_device_enrollment(&device.id, kind, self.clock.now())
                .await?;
        }
        Ok(answer)
    }

    async fn answer_device(
        &self,
        device: &StoredDevice,
        request: DdmRequest,
    ) -> Result<DdmAnswer, DdmError> {
        match request {
            DdmRequest::Tokens => {
                let set = self.serve_current(device).await?;
                Ok(DdmAnswer::Tokens(self.tokens(&set)))
            }
            DdmRequest::DeclarationItems => {
                let set = self.serve_current(device).await?;
                Ok(DdmAnswer::DeclarationItems(declaration_items(&set)))
            }
            DdmRequest::Declaration { kind, identifier } => {
                let kind = DeclarationKind::parse(&kind)
                    .map_err(|_| DdmError::NotFound(format!("no declaration kind {kind:?}")))?;
                let served = match self.store.served_set(&device.id).await? {
                    Some(served) => served.declarations,
                    None => {
                        let set = self.serve_current(device).await?;
                        set.declarations().iter().map(|d| d.to_json()).collect()
                    }
                };
                served
                    .into_iter()
                    .find(|declaration| {
                        declaration["Identifier"] == identifier.as_str()
                            && declaration["Type"]
                                .as_str()
                                .and_then(|kind| {
                                    ringmaster_domain::declarations::envelope::DeclarationType::parse(kind).ok()
                                })
                                .is_some_and(|found| found.kind() == kind)
                    })
                    .map(DdmAnswer::Declaration)
                    .ok_or_else(|| {
                        DdmError::NotFound(format!(
                            "this device has no {} declaration {identifier:?}",
                            kind.as_str()
                        ))
                    })
            }
            DdmRequest::Status(body) => {
                self.merge_status(device, &body).await?;
                Ok(DdmAnswer::Empty)
            }
        }
    }

    /// What a user channel is answered: the empty set, whatever it asks.
    fn user_channel_answer(&self, request: DdmRequest) -> Result<DdmAnswer, DdmError> {
        let empty = DeclarationSet::default();
        match request {
            DdmRequest::Tokens => Ok(DdmAnswer::Tokens(self.tokens(&empty))),
            DdmRequest::DeclarationItems => {
                Ok(DdmAnswer::DeclarationItems(declaration_items(&empty)))
            }
            DdmRequest::Declaration { .. } => Err(DdmError::NotFound(
                "a user channel is served no declarations".to_owned(),
            )),
            DdmRequest::Status(_) => Ok(DdmAnswer::Empty),
        }
    }

    fn tokens(&self, set: &DeclarationSet) -> TokensAnswer {
        TokensAnswer {
            sync_tokens: SyncTokens {
                declarations_token: set.declarations_token(),
                timestamp: self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
        }
    }

    /// Computes the device's set now and records it when it is not what the device was last
    /// served.
    async fn serve_current(&self, device: &StoredDevice) -> Result<DeclarationSet, DdmError> {
        let now = self.clock.now();
        let set = self.declarations_for(device, now).served.declarations;
        let token = set.declarations_token();
        let recorded = self.store.served_token(&device.id).await?;
        if recorded.as_deref() != Some(token.as_str()) {
            let declarations: Vec<Value> = set.declarations().iter().map(|d| d.to_json()).collect();
            self.store
                .record_served_set(&device.id, &token, &declarations, now)
                .await?;
        }
        Ok(set)
    }

    async fn merge_status(&self, device: &StoredDevice, body: &[u8]) -> Result<(), DdmError> {
        let report = parse_status_report(body).map_err(DdmError::BadReport)?;
        let full = report.full_report;
        let now = self.clock.now();
        let mut merged_status = DeviceStatus::default();
        self.store
            .merge_device_status(&device.id, full, now, |stored| {
                let mut status = stored
                    .and_then(|value| DeviceStatus::from_json(value).ok())
                    .unwrap_or_default();
                status.apply(report);
                merged_status = status.clone();
                status.to_json()
            })
            .await?;
        if let Some(update) = device_update(device, &merged_status) {
            self.store.upsert_device(&update, now).await?;
        }
        let configurations = merged_status
            .client_capabilities()
            .and_then(DeviceCapabilities::configurations_of);
        if configurations.is_some() && configurations != device.client_configurations {
            self.store
                .record_client_configurations(&device.id, configurations.as_ref(), now)
                .await?;
        }
        Ok(())
    }
}

/// The device record a status implies, when it says more than (or differs from) what is stored.
/// The model comes from `device.model.identifier` and the software-update id from
/// `softwareupdate.device-id`, each kept when the status does not say; the version carries the
/// supplemental suffix and the build is the supplemental build while one is installed.
fn device_update(device: &StoredDevice, status: &DeviceStatus) -> Option<DeviceDocument> {
    let os = status.operating_system();
    let model_identifier = status.model().identifier.filter(|id| !id.is_empty());
    let platform = match os.family.as_deref() {
        Some("macOS") => Some(Platform::MacOs),
        Some("iOS") | Some("iPadOS") => Some(Platform::Ios),
        _ => None,
    }
    .or_else(|| platform_of_family(status.model().family.as_deref()?))
    .or(device.platform)
    .or_else(|| platform_of_model(model_identifier.as_deref()?))?;
    let installed = os.installed();
    let os_version = installed
        .as_ref()
        .map(|installed| installed.version.clone())
        .or_else(|| device.os_version.clone())?;
    let os_build = installed
        .and_then(|installed| installed.supplemental_build)
        .or_else(|| os.build.clone())
        .or_else(|| device.os_build.clone());
    let model = model_identifier.or_else(|| device.model.clone());
    let software_update_device_id = status
        .software_update()
        .device_id
        .filter(|id| !id.is_empty())
        .or_else(|| device.software_update_device_id.clone());
    let unchanged = device.platform == Some(platform)
        && device.os_version.as_ref().map(AppleOsVersion::as_str) == Some(os_version.as_str())
        && device.os_build == os_build
        && device.model == model
        && device.software_update_device_id == software_update_device_id;
    if unchanged {
        return None;
    }
    Some(DeviceDocument {
        id: DeviceId::parse_stored(&device.id).ok()?,
        platform,
        os_version,
        os_build,
        model,
        software_update_device_id,
    })
}

/// The platform of a `device.model.family` (`Mac`; `iPhone`, `iPad`, `iPod`), for a device
/// that reports no OS family.
fn platform_of_family(family: &str) -> Option<Platform> {
    match family {
        "Mac" => Some(Platform::MacOs),
        "iPhone" | "iPad" | "iPod" => Some(Platform::Ios),
        _ => None,
    }
}

/// The platform a model identifier belongs to, for a device that reports its model but not its
/// OS family (`Mac14,2`, `MacBookPro18,3`, `iMac21,1` → macOS; `iPhone17,1`, `iPad16,3` → iOS).
fn platform_of_model(identifier: &str) -> Option<Platform> {
    let mac = [
        "Mac",
        "iMac",
        "MacBook",
        "MacBookAir",
        "MacBookPro",
        "Macmini",
        "MacPro",
    ];
    if identifier.starts_with("iPhone")
        || identifier.starts_with("iPad")
        || identifier.starts_with("iPod")
    {
        Some(Platform::Ios)
    } else if mac.iter().any(|prefix| identifier.starts_with(prefix))
        || identifier.starts_with("VirtualMac")
    {
        Some(Platform::MacOs)
    } else {
        None
    }
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

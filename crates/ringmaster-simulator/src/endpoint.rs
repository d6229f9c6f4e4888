//! Where a simulated device's server is and how it proves itself: the base URL and prefix
//! ([`ServerEndpoint`]), the secret ([`BearerSecret`]) and how it is sent ([`SecretUse`]), and
//! the headers NanoMDM forwards with every check-in.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

use crate::kinds::EnrollmentChannel;

/// The path prefix of the DDM endpoints unless told otherwise.
pub const DEFAULT_PREFIX: &str = "/ddm/";

/// The header that names the device.
pub const ENROLLMENT_ID_HEADER: &str = "X-Enrollment-ID";

/// The channel header NanoMDM sends (`Device`, `User`, `Shared iPad`, …).
pub const ENROLLMENT_TYPE_HEADER: &str = "X-Enrollment-Type";

/// A user channel's device-channel id, as NanoMDM sends it.
pub const ENROLLMENT_PARENT_HEADER: &str = "X-Enrollment-ParentID";

/// NanoMDM's body signature header.
pub const SIGNATURE_HEADER: &str = "X-Hmac-Signature";

/// How the secret is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretUse {
    /// `Authorization: Bearer <secret>`.
    #[default]
    Bearer,
    /// NanoMDM's way: `X-Hmac-Signature` (base64 HMAC-SHA256 of the body) on every request,
    /// and every answer must carry a matching one.
    Hmac,
}

/// Who a request speaks for: the enrollment id and channel headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) enrollment_id: String,
    pub(crate) channel: EnrollmentChannel,
    pub(crate) parent_id: Option<String>,
}

impl Caller {
    pub(crate) fn device(enrollment_id: &str) -> Self {
        Self {
            enrollment_id: enrollment_id.to_owned(),
            channel: EnrollmentChannel::Device,
            parent_id: None,
        }
    }
}

/// Base64 HMAC-SHA256 of `body` under `secret`.
pub(crate) fn hmac_base64(secret: &str, body: &[u8]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The shared secret sent as `Authorization: Bearer …`. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerSecret(String);

impl BearerSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerSecret(***)")
    }
}

impl FromStr for BearerSecret {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            Err("the secret must not be empty".to_owned())
        } else {
            Ok(Self(text.to_owned()))
        }
    }
}

/// Where the DDM endpoints are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEndpoint {
    /// `http://127.0.0.1:8080`; a path in it goes before the prefix.
    pub base_url: String,
    /// `/ddm/`; slashes at either end are optional.
    pub prefix: String,
    pub secret: Option<BearerSecret>,
    /// How the secret is sent (bearer unless told otherwise).
    pub secret_use: SecretUse,
}

impl ServerEndpoint {
    /// The endpoints under [`DEFAULT_PREFIX`] of `base_url`, without a secret.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            secret: None,
            secret_use: SecretUse::Bearer,
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    pub fn with_secret(mut self, secret: Option<BearerSecret>) -> Self {
        self.secret = secret;
        self
    }

    /// Sends the secret as `use_` says.
    pub fn with_secret_use(mut self, use_: SecretUse) -> Self {
        self.secret_use = use_;
        self
    }

    /// The URL the endpoint names end in: base, then the prefix, ending in `/`.
    pub fn root_url(&self) -> Result<Url, ClientSetupError> {
        let mut url = Url::parse(&self.base_url).map_err(|error| ClientSetupError {
            message: format!("the server URL {:?} is not a URL: {error}", self.base_url),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ClientSetupError {
                message: format!("the server URL {:?} is not http or https", self.base_url),
            });
        }
        let base_path = url.path().trim_end_matches('/').to_owned();
        let prefix = self.prefix.trim_matches('/');
        let path = if prefix.is_empty() {
            format!("{base_path}/")
        } else {
            format!("{base_path}/{prefix}/")
        };
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        Ok(url)
    }
}

/// A [`SyncClient`](crate::client::SyncClient) could not be built (bad URL, TLS setup).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClientSetupError {
    pub message: String,
}

//! Reading a release feed from a file or from an `http(s)://` URL.
//!
//! HTTPS trusts the usual web roots plus Apple's root certificate (`certs/apple-root-ca.pem`),
//! because the chain of `gdmf.apple.com` ends there and common trust stores lack it. Requests
//! can be conditional: given the `ETag` and `Last-Modified` of the previous answer, a server
//! that has nothing new answers 304 and [`Fetched::NotModified`] is returned.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

/// Apple's public root certificate, PEM.
pub const APPLE_ROOT_CA_PEM: &str = include_str!("../../certs/apple-root-ca.pem");

/// The largest feed accepted (the gdmf response is about 1 MB; SOFA's macOS feed a few MB).
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;

/// Validators of a previous answer, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The result of a fetch.
#[derive(Debug)]
pub enum Fetched {
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
    NotModified,
}

/// True when `source` names a URL rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// An HTTP client that trusts Apple's root as well as the usual ones.
pub fn client() -> Result<reqwest::Client, String> {
    let apple_root = reqwest::Certificate::from_pem(APPLE_ROOT_CA_PEM.as_bytes())
        .map_err(|error| format!("Apple's root certificate cannot be read: {error}"))?;
    reqwest::Client::builder()
        .add_root_certificate(apple_root)
        .user_agent(concat!("ringmaster/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|error| format!("cannot build an HTTP client: {error}"))
}

/// Fetches `url`, conditionally when `previous` has validators.
pub async fn fetch_url(
    client: &reqwest::Client,
    url: &str,
    previous: &Validators,
) -> Result<Fetched, String> {
    let mut request = client.get(url);
    if let Some(etag) = &previous.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &previous.last_modified {
        request = request.header(IF_MODIFIED_SINCE, last_modified);
    }
    let response = request
        .send()
        .await
        .map_err(|error| format!("fetching {url}: {error}"))?;
    if response.status() == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !response.status().is_success() {
        return Err(format!(
            "fetching {url}: the server answered {}",
            response.status()
        ));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    let validators = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_FEED_BYTES as u64)
    {
        return Err(format!("{url} is larger than {MAX_FEED_BYTES} bytes"));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|error| format!("reading {url}: {error}"))?;
    if bytes.len() > MAX_FEED_BYTES {
        return Err(format!("{url} is larger than {MAX_FEED_BYTES} bytes"));
    }
    Ok(Fetched::Body {
        bytes: bytes.to_vec(),
        validators,
    })
}

/// Reads a feed from a file path or a URL.
pub async fn read_source(source: &str) -> Result<Vec<u8>, String> {
    if is_url(source) {
        match fetch_url(&client()?, source, &Validators::default()).await? {
            Fetched::Body { bytes, .. } => Ok(bytes),
            Fetched::NotModified => Err(format!("{source} answered 304 to a plain request")),
        }
    } else {
        tokio::fs::read(source)
            .await
            .map_err(|error| format!("cannot read {source}: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn the_shipped_root_is_apples() {
        let body: String = APPLE_ROOT_CA_PEM
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let fingerprint: String = Sha256::digest(&der)
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(
            fingerprint,
            "B0:B1:73:0E:CB:C7:FF:45:05:14:2C:49:F1:29:5E:6E:DA:6B:CA:ED:7E:2C:68:C5:BE:91:B5:A1:10:01:F0:24"
        );
        assert!(client().is_ok());
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(is_url("https://gdmf.apple.com/v2/pmv"));
        assert!(is_url("http://127.0.0.1:9/feed.json"));
        assert!(!is_url("fixtures/feeds/gdmf-pmv.json"));
    }
}

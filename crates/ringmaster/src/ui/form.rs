//! Reading the web app's forms: URL-encoded or multipart (a file upload), bounded, and proven
//! by the session's CSRF secret.
//!
//! [`UiForm`] is the extractor of every page's `POST`: it reads the fields (at most
//! [`MAX_FIELDS`], the body within `--max-body-bytes`), then compares the form's `csrf` field
//! with the session's secret in constant time; a form without it, or with another, answers 403
//! and changes nothing. [`Fields::read`] reads a form without a session (sign-in).

use axum::body::to_bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;

use crate::http::AppState;
use crate::http::bearer::secret_matches;
use crate::ui::api::Ui;
use crate::ui::layout;

/// The most fields a form may have.
pub const MAX_FIELDS: usize = 200;

/// A file sent with a form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub field: String,
    pub bytes: Vec<u8>,
}

/// A form's fields in order, and its files.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pairs: Vec<(String, String)>,
    files: Vec<UploadedFile>,
}

impl Fields {
    /// The first value of `name`, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// The fields in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The bytes of the file sent as `name`, if one was chosen.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|file| file.field == name && !file.bytes.is_empty())
            .map(|file| file.bytes.as_slice())
    }

    /// Reads a form within `limit` bytes; a refusal page otherwise.
    pub async fn read(request: Request, limit: usize) -> Result<Fields, Response> {
        let too_big = || {
            layout::refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is larger than this server accepts (--max-body-bytes).",
            )
        };
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        let mut fields = Fields::default();
        if multipart {
            let bad = || layout::refusal(StatusCode::BAD_REQUEST, "The form could not be read.");
            let mut parts = Multipart::from_request(request, &())
                .await
                .map_err(|_| bad())?;
            let mut total = 0usize;
            while let Some(part) = parts.next_field().await.map_err(|_| too_big())? {
                if fields.pairs.len() + fields.files.len() >= MAX_FIELDS {
                    return Err(bad());
                }
                let name = part.name().unwrap_or("").to_owned();
                let is_file = part.file_name().is_some();
                let bytes = part.bytes().await.map_err(|_| too_big())?;
                total += bytes.len();
                if total > limit {
                    return Err(too_big());
                }
                if is_file {
                    fields.files.push(UploadedFile {
                        field: name,
                        bytes: bytes.to_vec(),
                    });
                } else {
                    let text = String::from_utf8(bytes.to_vec()).map_err(|_| bad())?;
                    fields.pairs.push((name, text));
                }
            }
        } else {
            let bytes = to_bytes(request.into_body(), limit)
                .await
                .map_err(|_| too_big())?;
            for (key, value) in form_urlencoded::parse(&bytes) {
                if fields.pairs.len() >= MAX_FIELDS {
                    return Err(layout::refusal(
                        StatusCode::BAD_REQUEST,
                        "The form has too many fields.",
                    ));
                }
                fields.pairs.push((key.into_owned(), value.into_owned()));
            }
        }
        Ok(fields)
    }
}

/// A signed-in form whose CSRF secret matched.
#[derive(Debug, Clone)]
pub struct UiForm {
    pub ui: Ui,
    pub fields: Fields,
}

impl UiForm {
    /// The first value of `name`, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.fields.text(name)
    }

    /// A form read without a session, for sign-in (no CSRF secret exists yet).
    pub async fn read_unchecked(request: Request) -> Result<Fields, Response> {
        Fields::read(request, SIGN_IN_LIMIT).await
    }
}

/// The most a sign-in form may hold.
const SIGN_IN_LIMIT: usize = 4096;

impl FromRequest<AppState> for UiForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ui) = request.extensions().get::<Ui>().cloned() else {
            return Err(layout::refusal(StatusCode::UNAUTHORIZED, "Sign in first."));
        };
        let fields = Fields::read(request, state.config.max_body_bytes).await?;
        if !secret_matches(fields.text("csrf"), ui.csrf()) {
            return Err(layout::refusal(
                StatusCode::FORBIDDEN,
                "This form is out of date or did not come from this session (CSRF check). Reload the page and try again.",
            ));
        }
        Ok(UiForm { ui, fields })
    }
}

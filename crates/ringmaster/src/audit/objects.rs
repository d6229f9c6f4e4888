//! What an audited change is about: the object's kind and id from the route, and the object as
//! the admin API shows it (its view), read before and after the change for the summaries.
//!
//! The views are the same typed answers the API's `GET` routes write, so a summary reads like
//! what an admin would have fetched; a title is summarized by its revision, state and version
//! list instead of its whole definition.

use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};
use ringmaster_store::os_updates::policies::Subject;
use ringmaster_store::store::Store;
use serde::Serialize;

use crate::audit::summary::summarize_answer;
use crate::os_updates::service::OsUpdates;
use crate::os_updates::views::{BindingsView, DeviceGroupView, DeviceView, PolicyView};
use crate::patch_source::service::PatchSource;

/// How an object is read for its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Title,
    Policy,
    PolicyBindings,
    PolicyGroupBindings,
    Device,
    DeviceGroup,
    Webhook,
    /// No reading: the summary after is the answer's body, only its [`TOKEN_KEYS`] (a token's
    /// answer at creation carries its secret, under whatever key).
    TokenAnswer,
    /// No cheap reading: the summary after is the answer's body.
    None,
}

/// The keys of a token answer a summary keeps.
pub const TOKEN_KEYS: [&str; 7] = [
    "id",
    "name",
    "role",
    "titles",
    "expiresAt",
    "createdAt",
    "revokedAt",
];

/// The object a route changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditObject {
    pub kind: &'static str,
    /// From the path; `None` for creates (the answer's `id` fills it in) and for collections.
    pub id: Option<String>,
    pub reader: Reader,
}

/// The object of admin route `pattern` (as matched, under `/api/v1`), with its path
/// parameters `params` (name, value).
pub fn object_of_route(pattern: &str, params: &[(String, String)]) -> AuditObject {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let route = pattern.strip_prefix("/api/v1").unwrap_or(pattern);
    let segments: Vec<&str> = route.trim_matches('/').split('/').collect();
    let id = param("id");
    let (kind, reader) = match segments.as_slice() {
        ["title", ..] => ("title", Reader::Title),
        ["policies", _, "bindings"] => ("policy", Reader::PolicyBindings),
        // A pause is not part of the policy's view: the summary after is the answer.
        ["policies", _, "pause" | "resume"] => ("policy", Reader::None),
        ["policies", ..] => ("policy", Reader::Policy),
        ["policy-groups", _, "bindings"] => ("policy-group", Reader::PolicyGroupBindings),
        ["policy-groups", ..] => ("policy-group", Reader::None),
        ["devices", _, "legacy-mechanisms", ..] => ("device", Reader::None),
        ["devices", ..] => ("device", Reader::Device),
        ["device-groups", ..] => ("device-group", Reader::DeviceGroup),
        ["catalog", "import"] => ("catalog", Reader::None),
        ["catalog", ..] => {
            let release = param("platform")
                .zip(param("version"))
                .map(|(platform, version)| format!("{platform}:{version}"));
            return AuditObject {
                kind: "catalog-release",
                id: release,
                reader: Reader::None,
            };
        }
        ["webhooks", ..] => ("webhook", Reader::Webhook),
        ["restore"] => ("installation", Reader::None),
        ["tokens", ..] => ("token", Reader::TokenAnswer),
        _ => ("other", Reader::None),
    };
    AuditObject { kind, id, reader }
}

/// What a title's summary holds: its state and version list, not its whole definition.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TitleSummary {
    id: String,
    revision: i64,
    enabled: bool,
    current_version: Option<String>,
    pinned_version: Option<String>,
    versions: Vec<String>,
    disabled_versions: Vec<String>,
}

/// The services a summary is read through.
#[derive(Debug, Clone, Copy)]
pub struct Readers<'a> {
    pub patch_source: &'a PatchSource,
    pub os_updates: &'a OsUpdates,
    pub store: &'a Store,
}

impl Readers<'_> {
    /// The object's view as a summary; `None` when it does not exist (before a create, after
    /// a delete) or cannot be read cheaply.
    pub async fn summary(&self, reader: Reader, id: &str) -> Option<String> {
        let number = || id.parse::<i64>().ok();
        match reader {
            Reader::Title => {
                let stored = self.patch_source.get_title(id).await.ok()?;
                let record = &stored.record;
                summarize_answer(&TitleSummary {
                    id: record.definition.id.to_string(),
                    revision: stored.revision,
                    enabled: record.enabled,
                    current_version: record.current_version().map(str::to_owned),
                    pinned_version: record.pinned_version.clone(),
                    versions: record
                        .definition
                        .patches
                        .iter()
                        .map(|patch| patch.version.clone())
                        .collect(),
                    disabled_versions: record.disabled_versions.iter().cloned().collect(),
                })
            }
            Reader::Policy => {
                let stored = self
                    .os_updates
                    .policy(PolicyId::parse(id).ok()?)
                    .await
                    .ok()?;
                summarize_answer(&PolicyView::of(&stored, &[]))
            }
            Reader::PolicyBindings => {
                self.bindings(Subject::Policy(PolicyId::parse(id).ok()?))
                    .await
            }
            Reader::PolicyGroupBindings => {
                self.bindings(Subject::PolicyGroup(PolicyGroupId::parse(id).ok()?))
                    .await
            }
            Reader::Device => {
                let stored = self.os_updates.device(id).await.ok()?;
                summarize_answer(&DeviceView::of(&stored))
            }
            Reader::DeviceGroup => {
                let stored = self
                    .os_updates
                    .device_group(DeviceGroupId::parse(id).ok()?)
                    .await
                    .ok()?;
                summarize_answer(&DeviceGroupView::of(&stored))
            }
            Reader::Webhook => {
                let number = number()?;
                let hooks = crate::webhooks::list(self.store).await.ok()?;
                let hook = hooks.into_iter().find(|hook| hook.id == number)?;
                summarize_answer(&hook)
            }
            Reader::TokenAnswer | Reader::None => None,
        }
    }

    async fn bindings(&self, subject: Subject) -> Option<String> {
        let bindings = self.os_updates.bindings(subject).await.ok()?;
        summarize_answer(&BindingsView::of(&bindings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn routes_name_their_objects() {
        let title = object_of_route("/api/v1/title/{id}/version", &params(&[("id", "Firefox")]));
        assert_eq!(
            (title.kind, title.id.as_deref()),
            ("title", Some("Firefox"))
        );
        assert_eq!(title.reader, Reader::Title);
        let bindings = object_of_route("/api/v1/policies/{id}/bindings", &params(&[("id", "3")]));
        assert_eq!(bindings.reader, Reader::PolicyBindings);
        let release = object_of_route(
            "/api/v1/catalog/{platform}/{version}",
            &params(&[("platform", "macOS"), ("version", "15.1")]),
        );
        assert_eq!(release.id.as_deref(), Some("macOS:15.1"));
        assert_eq!(object_of_route("/api/v1/policies", &[]).id, None);
        assert_eq!(
            object_of_route("/api/v1/tokens", &[]).reader,
            Reader::TokenAnswer
        );
    }
}

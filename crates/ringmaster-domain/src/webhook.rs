//! Webhooks as PatchServer has them: a URL that is POSTed a small JSON event when a title changes.
//!
//! What PatchServer's tools send and read is kept: a webhook is `{"url", "enabled", "verify_ssl",
//! "send_definition"}` (defaults true, true, false), its URL at most [`MAX_URL_LEN`] bytes. The
//! event body has PatchServer's keys, `"version:"` with its colon included (PatchServer's typo,
//! which receivers written for it read), plus `version` without it; `timestamp` is whole Unix
//! seconds, as PatchServer sends it. PatchServer fires `new_title` and `title_deleted`; ringmaster
//! also fires `title_updated` and `new_version` ([`TitleEvent`]).
//!
//! Pure: the edge delivers, the store queues; "now" is a parameter.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::field_error::FieldErrors;
use crate::ids::PolicyGroupId;
use crate::json_read::object::{ObjectReader, UnknownKey};
use crate::json_read::{describe, json_document};
use crate::platform::Platform;
use crate::title::record::TitleRecord;

/// The longest webhook URL, in bytes (PatchServer's column is 255 characters).
pub const MAX_URL_LEN: usize = 255;

/// The most webhooks an installation keeps: every title write queues one delivery per webhook.
pub const MAX_WEBHOOKS: usize = 100;

/// A webhook's URL: `http://` or `https://`, a host, at most [`MAX_URL_LEN`] bytes of visible
/// ASCII, no `#fragment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The URL, or a sentence saying what is wrong with it.
    pub fn parse(text: &str) -> Result<WebhookUrl, String> {
        if text.len() > MAX_URL_LEN {
            return Err(format!(
                "the URL is {} bytes long; at most {MAX_URL_LEN} are kept",
                text.len()
            ));
        }
        if let Some(bad) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "the URL holds {bad:?}: only visible ASCII is allowed (percent-encode the rest)"
            ));
        }
        let lower = text.to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &text["https://".len()..]
        } else if lower.starts_with("http://") {
            &text["http://".len()..]
        } else {
            return Err("the URL must begin with http:// or https://".into());
        };
        if text.contains('#') {
            return Err("the URL must not have a #fragment (it is never sent)".into());
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host_and_port = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = split_port(host_and_port)?;
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        let host_ok = if let Some(inner) = host.strip_prefix('[') {
            inner.strip_suffix(']').is_some_and(|ip| {
                !ip.is_empty()
                    && ip
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            })
        } else {
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        };
        if !host_ok {
            return Err(format!("{host:?} is not a host name or IP address"));
        }
        if let Some(port) = port
            && !(!port.is_empty()
                && port.len() <= 5
                && port.chars().all(|c| c.is_ascii_digit())
                && port
                    .parse::<u32>()
                    .is_ok_and(|number| (1..=65_535).contains(&number)))
        {
            return Err(format!("{port:?} is not a port (1 to 65535)"));
        }
        Ok(WebhookUrl(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `host:port` → (host, Some(port)); `[v6]:port` keeps the brackets on the host.
fn split_port(host_and_port: &str) -> Result<(&str, Option<&str>), String> {
    if host_and_port.starts_with('[') {
        return match host_and_port.find(']') {
            Some(end) => {
                let (host, rest) = host_and_port.split_at(end + 1);
                match rest.strip_prefix(':') {
                    Some(port) => Ok((host, Some(port))),
                    None if rest.is_empty() => Ok((host, None)),
                    None => Err(format!("{host_and_port:?} is not a host and port")),
                }
            }
            None => Err(format!(
                "{host_and_port:?} opens an IPv6 address it never closes"
            )),
        };
    }
    Ok(match host_and_port.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_and_port, None),
    })
}

/// A webhook to create, as `POST /api/v1/webhooks` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: WebhookUrl,
    /// Disabled webhooks are kept but sent nothing.
    pub enabled: bool,
    /// False accepts any TLS certificate (self-signed receivers).
    pub verify_ssl: bool,
    /// Whether events carry the whole served definition as `patch_definition`.
    pub send_definition: bool,
}

impl NewWebhook {
    /// Parses a request body; every problem is reported by JSON pointer.
    pub fn parse(bytes: &[u8]) -> Result<NewWebhook, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let Some(reader) = ObjectReader::of(&document, "", &mut errors) else {
            return Err(errors);
        };
        // `null` is refused here like any value of the wrong kind, as it always was.
        let mut reader = reader.refusing_null();
        let url = match reader.field("url") {
            None => {
                reader.error(
                    "url",
                    "required: the http:// or https:// URL events are POSTed to",
                );
                None
            }
            Some(Value::String(text)) => WebhookUrl::parse(text)
                .map_err(|why| reader.error("url", why))
                .ok(),
            Some(other) => {
                reader.error(
                    "url",
                    format!("expected the URL as a string, not {}", describe(other)),
                );
                None
            }
        };
        let mut flags = [
            ("enabled", true),
            ("verify_ssl", true),
            ("send_definition", false),
        ];
        for (key, flag) in &mut flags {
            match reader.field(key) {
                None => {}
                Some(Value::Bool(given)) => *flag = *given,
                Some(other) => reader.error(
                    key,
                    format!("expected true or false, not {}", describe(other)),
                ),
            }
        }
        reader.refuse_unknown(UnknownKey::Say(
            "unknown key: a webhook has url, enabled, verify_ssl and send_definition",
        ));
        let [(_, enabled), (_, verify_ssl), (_, send_definition)] = flags;
        match url {
            Some(url) if errors.is_empty() => Ok(NewWebhook {
                url,
                enabled,
                verify_ssl,
                send_definition,
            }),
            _ => Err(errors),
        }
    }
}

/// The event announcing that a release was halted for the rings after one whose failures
/// crossed a health gate ([`crate::schedule::gates`]): its `software_title` is the platform
/// (`macOS`, `iOS`) and its `version` the halted release, and the body adds [`ReleaseHalt`].
pub const RELEASE_HALTED: &str = "release_halted";

/// What a `release_halted` event adds to PatchServer's keys, in their style (snake case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseHalt {
    /// `macOS` or `iOS`.
    pub platform: String,
    /// The halted release's version.
    pub release: String,
    /// The ring (policy group) whose devices failed it, by name, and its id.
    pub ring: String,
    pub ring_id: i64,
    /// The later ring whose gate the failures crossed.
    pub gated_ring: String,
    /// The share of the ring's devices that failed or rejected it (rounded up).
    pub failed_percent: u8,
    /// The most that gate allows.
    pub max_failed_percent: u8,
    /// The same in words.
    pub reason: String,
}

impl ReleaseHalt {
    /// The halt of `platform` `release` after `ring` (id, name), whose `failed_percent` crossed
    /// the `max_failed_percent` of `gated_ring`'s gate.
    pub fn new(
        platform: Platform,
        release: &str,
        ring: (PolicyGroupId, &str),
        gated_ring: &str,
        failed_percent: u8,
        max_failed_percent: u8,
    ) -> ReleaseHalt {
        let (ring_id, ring) = ring;
        ReleaseHalt {
            platform: platform.as_str().to_owned(),
            release: release.to_owned(),
            ring: ring.to_owned(),
            ring_id: ring_id.get(),
            gated_ring: gated_ring.to_owned(),
            failed_percent,
            max_failed_percent,
            reason: format!(
                "{failed_percent}% of {ring}'s devices failed or rejected {platform} {release}, \
                 more than the {max_failed_percent}% the gate of {gated_ring} allows: it is halted \
                 for every ring after {ring}"
            ),
        }
    }
}

/// What happened to a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleEvent {
    /// A title was created (PatchServer's name).
    NewTitle,
    /// A title was deleted (PatchServer's name).
    TitleDeleted,
    /// A title changed otherwise: its definition replaced, a version removed, enabled, disabled
    /// or pinned (ringmaster's name; PatchServer has no such event).
    TitleUpdated,
    /// A version was added to a title (ringmaster's name; PatchServer has no such event).
    NewVersion,
}

impl TitleEvent {
    pub const ALL: [TitleEvent; 4] = [
        TitleEvent::NewTitle,
        TitleEvent::TitleDeleted,
        TitleEvent::TitleUpdated,
        TitleEvent::NewVersion,
    ];

    /// The `event` receivers are sent.
    pub fn name(self) -> &'static str {
        match self {
            TitleEvent::NewTitle => "new_title",
            TitleEvent::TitleDeleted => "title_deleted",
            TitleEvent::TitleUpdated => "title_updated",
            TitleEvent::NewVersion => "new_version",
        }
    }

    pub fn of_name(name: &str) -> Option<TitleEvent> {
        TitleEvent::ALL
            .into_iter()
            .find(|event| event.name() == name)
    }

    /// The event of an edit from `before` to `after`: [`TitleEvent::NewVersion`] when `after`
    /// holds a version `before` did not, else [`TitleEvent::TitleUpdated`].
    pub fn of_edit(before: &TitleRecord, after: &TitleRecord) -> TitleEvent {
        let added = after.definition.patches.iter().any(|patch| {
            !before
                .definition
                .patches
                .iter()
                .any(|old| old.version == patch.version)
        });
        if added {
            TitleEvent::NewVersion
        } else {
            TitleEvent::TitleUpdated
        }
    }
}

/// The JSON body POSTed to a webhook.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WebhookPayload {
    /// A [`TitleEvent`]'s name.
    pub event: String,
    /// When the change was made, in whole Unix seconds (as PatchServer sends it).
    pub timestamp: i64,
    /// The title's id.
    pub software_title: String,
    /// The title's current version, under PatchServer's misspelt key (`null` when it has none).
    #[serde(rename = "version:")]
    pub version_with_colon: Option<String>,
    /// The same, under the key receivers would expect.
    pub version: Option<String>,
    /// Where Jamf Pro reads the title: [`patch_url`].
    pub url: String,
    /// The served definition, for webhooks with `send_definition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_definition: Option<Value>,
    /// A `release_halted` event's halt, its keys beside the others.
    #[serde(flatten)]
    pub halt: Option<ReleaseHalt>,
}

/// `{public_url}/jamf/v1/patch/{id}`; without a public URL, the path alone (as PatchServer
/// sends it).
pub fn patch_url(public_url: Option<&str>, title_id: &str) -> String {
    let base = public_url.unwrap_or_default().trim_end_matches('/');
    let mut url = format!("{base}/jamf/v1/patch/");
    for byte in title_id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_http_or_https_a_host_and_at_most_255_bytes() {
        for good in [
            "http://hooks.example/in",
            "HTTPS://hooks.example:8443/a?b=c",
            "https://user:secret@hooks.example/",
            "http://127.0.0.1:9000",
            "http://[::1]:9000/x",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        let long = format!("https://hooks.example/{}", "a".repeat(240));
        for (bad, why) in [
            ("ftp://hooks.example/", "http"),
            ("https:///path", "no host"),
            ("https://", "no host"),
            ("https://:80/", "no host"),
            ("hooks.example", "http"),
            ("https://hooks example/", "visible ASCII"),
            ("https://hooks.example/#top", "fragment"),
            ("https://hooks.example:99999/", "port"),
            ("https://hooks.example:/", "port"),
            ("https://[::1/", "never closes"),
            ("https://ho%6fks/", "host name"),
            (long.as_str(), "at most 255"),
        ] {
            let error = WebhookUrl::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn a_new_webhook_takes_defaults_and_names_every_bad_key() {
        let hook = NewWebhook::parse(br#"{"url": "https://hooks.example/in"}"#).unwrap();
        assert!(hook.enabled && hook.verify_ssl && !hook.send_definition);
        let hook = NewWebhook::parse(
            br#"{"url": "http://h/", "enabled": false, "verify_ssl": false, "send_definition": true}"#,
        )
        .unwrap();
        assert!(!hook.enabled && !hook.verify_ssl && hook.send_definition);
        let errors = NewWebhook::parse(
            br#"{"url": 7, "enabled": "yes", "secret": "x", "verify_ssl": null}"#,
        )
        .unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|error| error.pointer.as_str()).collect();
        // Each key is read in turn, then the unknown ones are refused.
        assert_eq!(pointers, ["/url", "/enabled", "/verify_ssl", "/secret"]);
        let errors = NewWebhook::parse(b"{}").unwrap_err();
        assert_eq!(errors.iter().next().unwrap().pointer, "/url");
        assert!(NewWebhook::parse(b"[]").is_err());
        assert!(NewWebhook::parse(b"{").is_err());
    }

    #[test]
    fn events_have_patchservers_names_and_an_edit_adding_a_version_is_new_version() {
        for event in TitleEvent::ALL {
            assert_eq!(TitleEvent::of_name(event.name()), Some(event));
        }
        assert_eq!(TitleEvent::NewTitle.name(), "new_title");
        assert_eq!(TitleEvent::TitleDeleted.name(), "title_deleted");
        use crate::title::test_support::record;
        let before = record(&["1.0"]);
        let after = record(&["1.1", "1.0"]);
        assert_eq!(TitleEvent::of_edit(&before, &after), TitleEvent::NewVersion);
        assert_eq!(
            TitleEvent::of_edit(&after, &before),
            TitleEvent::TitleUpdated
        );
        assert_eq!(
            TitleEvent::of_edit(&before, &before),
            TitleEvent::TitleUpdated
        );
    }

    #[test]
    fn the_payload_keeps_patchservers_keys_and_the_url_is_absolute_only_with_a_public_url() {
        let payload = WebhookPayload {
            event: TitleEvent::NewTitle.name().into(),
            timestamp: 1_700_000_000,
            software_title: "Firefox".into(),
            version_with_colon: Some("1.0".into()),
            version: Some("1.0".into()),
            url: patch_url(None, "Firefox"),
            patch_definition: None,
            halt: None,
        };
        let text = serde_json::to_string(&payload).unwrap();
        assert_eq!(
            text,
            r#"{"event":"new_title","timestamp":1700000000,"software_title":"Firefox","version:":"1.0","version":"1.0","url":"/jamf/v1/patch/Firefox"}"#
        );
        assert_eq!(
            patch_url(Some("https://patch.example/"), "A b"),
            "https://patch.example/jamf/v1/patch/A%20b"
        );
    }

    #[test]
    fn a_release_halted_event_adds_the_halt_beside_patchservers_keys() {
        let halt = ReleaseHalt::new(
            Platform::MacOs,
            "26.1",
            (PolicyGroupId::new(1), "Vanguard"),
            "Early Adoption",
            100,
            10,
        );
        let payload = WebhookPayload {
            event: RELEASE_HALTED.into(),
            timestamp: 1_700_000_000,
            software_title: "macOS".into(),
            version_with_colon: Some("26.1".into()),
            version: Some("26.1".into()),
            url: patch_url(None, "macOS"),
            patch_definition: None,
            halt: Some(halt.clone()),
        };
        let body = serde_json::to_value(&payload).unwrap();
        assert_eq!(body["ring"], "Vanguard");
        assert_eq!(body["ring_id"], 1);
        assert_eq!(body["failed_percent"], 100);
        assert_eq!(
            body["reason"],
            "100% of Vanguard's devices failed or rejected macOS 26.1, more than the 10% the gate \
             of Early Adoption allows: it is halted for every ring after Vanguard"
        );
        let text = serde_json::to_string(&halt).unwrap();
        assert_eq!(serde_json::from_str::<ReleaseHalt>(&text).unwrap(), halt);
    }
}

//! The admin calls of the Python tools, sent with `curl` in the shape each tool sends them
//! (method, path, headers, body), against the real server, with the answers each tool needs.
//!
//! - AutoPkg's `NotifyPatchServer` (lrz-recipes): `POST {PATCH_URL}/api/v1/title/{id}/version`
//!   with `Authorization: Bearer {PATCH_TOKEN}` and `requests`' `json=` body (one line,
//!   `Content-Type: application/json`). Any 2xx is success, 409 means "already at this version",
//!   anything else fails the recipe. `PATCH_URL` ending in `/` sends `//api/v1/…`.
//! - PatchCLI (`patchlib.api.patch_server`): `GET jamf/v1/software` and `GET jamf/v1/patch/{id}`
//!   without a token, `POST api/v1/title`, `POST api/v1/title/{id}/version` and
//!   `DELETE api/v1/title/{id}` with the bearer token, joined to its URL with `os.path.join`;
//!   401, 403, 400 and 404 become distinct errors, and a 2xx body is read as JSON.

use serde_json::{Value, json};

use crate::patch_server_tools::{bash, shell_tools_present};
use crate::support::{TestApp, TestBackend, fixture, json_body, spawn_app};

const JAMF_ADMIN: &str = "titles/JamfAdmin.json";

/// One request with `curl`: `$METHOD $URL`, the bearer token when `$TOKEN` is set, the body of
/// `$BODY` when set. Prints the body, then a last line with the status.
const CURL_CALL: &str = r#"
args=(-s -m 60 -X "$METHOD" -A 'python-requests/2.31.0' -H 'Accept: */*')
[ -n "$TOKEN" ] && args+=(-H "Authorization: Bearer $TOKEN")
[ -n "$BODY" ] && args+=(-H 'Content-Type: application/json' --data-binary "$BODY")
curl "${args[@]}" -w '\n%{http_code}' "$URL"
"#;

/// What a call answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {self:?}"))
    }
}

/// Sends one call with `curl` (see [`CURL_CALL`]); `token` and `body` are optional.
async fn call(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> Answer {
    let workdir = tempfile::tempdir().expect("temp dir");
    let run = bash(
        CURL_CALL,
        workdir.path(),
        &[
            ("METHOD", method),
            ("URL", url),
            ("TOKEN", token.unwrap_or("")),
            ("BODY", body.unwrap_or("")),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{method} {url}: {run:?}");
    assert!(run.stderr.is_empty(), "{method} {url}: {run:?}");
    let (body, status) = run
        .stdout
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("{method} {url}: no status line: {run:?}"));
    Answer {
        status: status.trim().parse().expect("status"),
        body: body.to_owned(),
    }
}

/// The version `NotifyPatchServer` builds from an app bundle, in its key order, as `requests`
/// sends it (`json.dumps`: one line, `", "` and `": "` between items).
fn notify_version(version: &str, release_date: &str) -> String {
    let bundle_id = "com.jamfsoftware.JamfAdmin";
    let body = json!({
        "version": version,
        "releaseDate": release_date,
        "standalone": true,
        "minimumOperatingSystem": "10.9",
        "reboot": false,
        "killApps": [{"bundleId": bundle_id, "appName": "Jamf Admin.app"}],
        "components": [{"name": "Jamf Admin", "version": version, "criteria": [
            {"name": "Application Bundle ID", "operator": "is", "value": bundle_id,
             "type": "recon", "and": true},
            {"name": "Application Version", "operator": "is", "value": version, "type": "recon"}
        ]}],
        "capabilities": [{"name": "Operating System Version", "operator": "greater than or equal",
                          "value": "10.9", "type": "recon"}],
        "dependencies": []
    });
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, PythonDumps);
    serde::Serialize::serialize(&body, &mut serializer).expect("JSON");
    String::from_utf8(bytes).expect("UTF-8")
}

/// `json.dumps`' default layout: one line, `", "` between items and `": "` after keys.
struct PythonDumps;

impl serde_json::ser::Formatter for PythonDumps {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

/// The versions Jamf Pro is served for a title, in order, and its `currentVersion`.
async fn served_versions(app: &TestApp, id: &str) -> (Vec<String>, String) {
    let feed = json_body(app.get(&format!("/jamf/v1/patch/{id}")).await).await;
    let versions = feed["patches"]
        .as_array()
        .expect("patches")
        .iter()
        .map(|patch| patch["version"].as_str().expect("version").to_owned())
        .collect();
    let current = feed["currentVersion"]
        .as_str()
        .expect("currentVersion")
        .to_owned();
    (versions, current)
}

on_each_backend!(notify_patch_server_posts_new_repeated_and_older_versions_as_patchserver_answers);
async fn notify_patch_server_posts_new_repeated_and_older_versions_as_patchserver_answers(
    backend: TestBackend,
) {
    if !shell_tools_present() {
        return;
    }
    let app = spawn_app(backend).await;
    assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
    // `patch_id` is the bundle's `CFBundleName` without spaces: "Jamf Admin" → JamfAdmin.
    let url = app.url("/api/v1/title/JamfAdmin/version");
    let token = Some(app.token.as_str());

    let new = call(
        "POST",
        &url,
        token,
        Some(&notify_version("10.3.0", "2018-04-10T14:48:03Z")),
    )
    .await;
    assert_eq!(new.status, 201, "{backend:?}: {new:?}");
    new.json();

    // The recipe run again: 409, which the processor reports as "already at this version".
    let again = call(
        "POST",
        &url,
        token,
        Some(&notify_version("10.3.0", "2018-04-10T14:48:03Z")),
    )
    .await;
    assert_eq!(again.status, 409, "{backend:?}: {again:?}");
    again.json();

    // A fix shipped on an older branch, through a PATCH_URL that ends in `/`.
    let slashed = format!("{}/", app.base_url) + "/api/v1/title/JamfAdmin/version";
    assert!(slashed.contains("//api/v1/"), "{slashed}");
    let older = call(
        "POST",
        &slashed,
        token,
        Some(&notify_version("10.1.5", "2018-05-02T09:00:00Z")),
    )
    .await;
    assert_eq!(
        older.status, 201,
        "{backend:?}: an older version is accepted: {older:?}"
    );

    let (versions, current) = served_versions(&app, "JamfAdmin").await;
    assert_eq!(
        versions,
        ["10.3.0", "10.2.0", "10.1.5", "10.1.1", "10.1.0"],
        "{backend:?}"
    );
    assert_eq!(
        current, "10.3.0",
        "{backend:?}: currentVersion stays the newest"
    );

    // Without PATCH_TOKEN the processor sends no Authorization header: refused, nothing added.
    let anonymous = call(
        "POST",
        &url,
        None,
        Some(&notify_version("10.4.0", "2018-06-01T00:00:00Z")),
    )
    .await;
    assert_eq!(anonymous.status, 401, "{backend:?}: {anonymous:?}");
    let (versions, _) = served_versions(&app, "JamfAdmin").await;
    assert!(
        !versions.iter().any(|version| version == "10.4.0"),
        "{backend:?}"
    );
}

on_each_backend!(patchcli_calls_get_the_statuses_and_json_its_client_expects);
async fn patchcli_calls_get_the_statuses_and_json_its_client_expects(backend: TestBackend) {
    if !shell_tools_present() {
        return;
    }
    let app = spawn_app(backend).await;
    // `os.path.join(url, uri)`: one slash whether the profile's URL ends in `/` or not.
    let url = |uri: &str| format!("{}/{uri}", app.base_url);
    let token = Some(app.token.as_str());
    let definition: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).expect("fixture");
    let definition = serde_json::to_string(&definition).expect("JSON");

    // create_title
    let created = call("POST", &url("api/v1/title"), token, Some(&definition)).await;
    assert_eq!(created.status, 201, "{backend:?}: {created:?}");
    let created_json = created.json();
    assert!(
        created_json["database_id"].is_i64(),
        "{backend:?}: {created:?}"
    );
    assert_eq!(created_json["id"], "JamfAdmin", "{backend:?}");

    // list_titles and get_title: no token sent.
    let list = call("GET", &url("jamf/v1/software"), None, None).await;
    assert_eq!(list.status, 200, "{backend:?}: {list:?}");
    let list_json = list.json();
    assert_eq!(list_json.as_array().map(Vec::len), Some(1), "{backend:?}");
    assert_eq!(list_json[0]["id"], "JamfAdmin", "{backend:?}");
    let title = call("GET", &url("jamf/v1/patch/JamfAdmin"), None, None).await;
    assert_eq!(title.status, 200, "{backend:?}: {title:?}");
    assert_eq!(title.json()["id"], "JamfAdmin", "{backend:?}");

    // update_version: the answer is read as JSON.
    let version = String::from_utf8(fixture("versions/JamfAdmin-10.3.0.json")).expect("UTF-8");
    let added = call(
        "POST",
        &url("api/v1/title/JamfAdmin/version"),
        token,
        Some(&version),
    )
    .await;
    assert_eq!(added.status, 201, "{backend:?}: {added:?}");
    added.json();

    // The errors PatchCLI tells apart: 401, 400, 404 (each with a JSON body).
    let refused = call("POST", &url("api/v1/title"), None, Some(&definition)).await;
    assert_eq!(refused.status, 401, "{backend:?}: {refused:?}");
    refused.json();
    let invalid = call(
        "POST",
        &url("api/v1/title"),
        token,
        Some(r#"{"id": "Broken"}"#),
    )
    .await;
    assert_eq!(invalid.status, 400, "{backend:?}: {invalid:?}");
    invalid.json();
    let missing = call("GET", &url("jamf/v1/patch/NoSuchTitle"), None, None).await;
    assert_eq!(missing.status, 404, "{backend:?}: {missing:?}");

    // delete_title: 204 and no body, as PatchServer answers.
    let deleted = call("DELETE", &url("api/v1/title/JamfAdmin"), token, None).await;
    assert_eq!(deleted.status, 204, "{backend:?}: {deleted:?}");
    assert!(deleted.body.is_empty(), "{backend:?}: {deleted:?}");
    let gone = call("GET", &url("jamf/v1/patch/JamfAdmin"), None, None).await;
    assert_eq!(gone.status, 404, "{backend:?}: {gone:?}");
}

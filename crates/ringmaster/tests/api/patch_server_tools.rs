//! The shell pipelines of the tools Mac admins already run against a patch server, run for real
//! (`bash -c` with `curl`, `grep`, `cut`) against the real server on its random port.
//!
//! - CytadelHosting's `patch_server_updater.sh`: `init` fetches `GET /` with `curl -L` and greps
//!   `<title>Patch Server</title>`, posts the definition with `curl -d @file` and checks
//!   `echo ${response} | grep '^{ "database_id":'`; `add` lists the versions of
//!   `/jamf/v1/patch/{id}` with `grep '"version":.*' | cut -d '"' -f4` and posts a version built
//!   from its template (a date alone as `releaseDate`), older ones included.
//! - jamf/kinobi-title-editor's `download_patch_source.sh`: the ids of `/software` with
//!   `grep '"id":' | cut -d '"' -f 4`, then every `/patch/{id}`, under `/v1`, `/jamf/v1` and a
//!   base that ends in `/`.
//!
//! AutoPkg's `NotifyPatchServer` and PatchCLI, which speak HTTP from Python, are in
//! `patch_server_tools_admin`. The tools are found on `PATH`; a missing one skips these tests with
//! a message, and fails them under `CI=true` (`scripts/test.sh` installs `curl` when missing).
//! Each run is bounded in time and sees only `PATH` and the variables it is given.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TestApp, TestBackend, fixture, json_body, skip_because, spawn_app};

const JAMF_ADMIN: &str = "titles/JamfAdmin.json";
const JAVA: &str = "titles/JavaSEDevelopmentKit8.json";

// ---------------------------------------------------------------------------------------------
// Running the pipelines

/// What the pipelines need.
const TOOLS: [&str; 4] = ["bash", "curl", "grep", "cut"];

/// How long one `bash -c` run may take before it is killed (with its pipeline) and fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Whether every tool in [`TOOLS`] is on `PATH`. A missing one is a skip with a message, or a
/// failure under `CI=true`.
pub(crate) fn shell_tools_present() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|tool| !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip_because(&format!(
        "{missing:?} not on PATH (install curl to run the shell-tool tests; scripts/test.sh \
         installs it on CI)"
    ));
    false
}

/// What one `bash -c` run printed.
#[derive(Debug)]
pub(crate) struct ShellRun {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl ShellRun {
    /// The non-empty lines of standard output.
    pub(crate) fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| !line.is_empty())
            .collect()
    }
}

/// Runs `script` with `bash -c` in `workdir`, bounded by [`RUN_LIMIT`], with only `PATH`,
/// `LC_ALL=C` and `variables` in its environment (no proxy settings, no `~/.curlrc`).
pub(crate) async fn bash(script: &str, workdir: &Path, variables: &[(&str, &str)]) -> ShellRun {
    let script = script.to_owned();
    let workdir = workdir.to_owned();
    let variables: Vec<(String, String)> = variables
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || run_bounded(&script, &workdir, variables))
        .await
        .expect("the shell task")
}

fn run_bounded(script: &str, workdir: &Path, variables: Vec<(String, String)>) -> ShellRun {
    // Output goes to files, so a large answer can never block the pipeline on a full pipe.
    let output = tempfile::tempdir().expect("temp dir");
    let stdout_path = output.path().join("stdout");
    let stderr_path = output.path().join("stderr");
    let mut child = Command::new("bash")
        .args(["-c", script])
        .current_dir(workdir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .env("CURL_HOME", workdir)
        .envs(variables)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"))
        // Its own process group, so a timeout kills curl too, not only bash.
        .process_group(0)
        .spawn()
        .expect("run bash");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for bash") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("bash -c did not finish within {RUN_LIMIT:?}: {script}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    ShellRun {
        code: status.code().unwrap_or(-1),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    }
}

/// A fixture definition with another id and name (a third title for the lists).
fn renamed(relative: &str, id: &str, name: &str) -> Vec<u8> {
    let mut definition: Value = serde_json::from_slice(&fixture(relative)).expect("fixture JSON");
    definition["id"] = Value::from(id);
    definition["name"] = Value::from(name);
    serde_json::to_vec_pretty(&definition).expect("JSON")
}

/// Stores `definition` through the admin API, asserting 201.
async fn store(app: &TestApp, definition: &[u8]) {
    let response = app.create_title(definition).await;
    let status = response.status();
    assert_eq!(status, 201, "{}", response.text().await.unwrap_or_default());
}

// ---------------------------------------------------------------------------------------------
// patch_server_updater.sh

/// `init`: the server URL cut to `scheme://host:port` (`cut -d '/' -f1-3`), the home-page check,
/// then the push and its check. Prints `PUSHED` when the tool would write its config file.
const UPDATER_INIT: &str = r#"
URL=$(echo "$GIVEN_URL" | cut -d '/' -f1-3)
if [ -z "$(curl -L -m 15 -s -X GET $URL | grep "<title>Patch Server</title>")" ]; then
  echo "UNREACHABLE"; exit 0
fi
response=$(curl -H "Authorization: Bearer $TOKEN" -s -m 60 -X POST $URL/api/v1/title -d @"$DEFINITION" -H 'Content-Type: application/json')
if [ -z "$(echo ${response} | grep '^{ "database_id":')" ]; then
  echo "PUSH FAILED"; echo "$response"; exit 0
fi
echo "PUSHED"
echo ${response}
"#;

on_each_backend!(patch_server_updater_init_finds_the_home_page_and_accepts_the_create_answer);
async fn patch_server_updater_init_finds_the_home_page_and_accepts_the_create_answer(
    backend: TestBackend,
) {
    if !shell_tools_present() {
        return;
    }
    let app = spawn_app(backend).await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let definition = workdir.path().join("JamfAdmin.json");
    std::fs::write(&definition, fixture(JAMF_ADMIN)).expect("write the definition");
    let given = app.url("/");
    let definition_path = definition.to_string_lossy().into_owned();
    let vars = [
        ("GIVEN_URL", given.as_str()),
        ("TOKEN", app.token.as_str()),
        ("DEFINITION", definition_path.as_str()),
    ];

    // Without `-t` the tool sends `Authorization: Bearer ` with nothing after it: refused
    // (PatchServer with no token created let it through), and nothing is stored.
    let anonymous_vars = [vars[0], ("TOKEN", ""), vars[2]];
    let anonymous = bash(UPDATER_INIT, workdir.path(), &anonymous_vars).await;
    assert_eq!(
        anonymous.lines().first(),
        Some(&"PUSH FAILED"),
        "{backend:?}: {anonymous:?}"
    );
    assert!(
        anonymous.stdout.contains("401"),
        "{backend:?}: {anonymous:?}"
    );
    assert_eq!(
        app.get("/jamf/v1/patch/JamfAdmin").await.status(),
        404,
        "{backend:?}"
    );

    let run = bash(UPDATER_INIT, workdir.path(), &vars).await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let lines = run.lines();
    assert_eq!(lines.first(), Some(&"PUSHED"), "{backend:?}: {run:?}");
    // The collapsed answer: database_id first, then the id, on what was one key per line.
    let collapsed = lines.get(1).copied().unwrap_or_default();
    assert!(
        collapsed.starts_with("{ \"database_id\": ")
            && collapsed.contains("\"id\": \"JamfAdmin\","),
        "{backend:?}: {collapsed}"
    );

    // `curl -d @file` strips the file's newlines; the title arrived whole.
    let feed = json_body(app.get("/jamf/v1/patch/JamfAdmin").await).await;
    assert_eq!(feed["currentVersion"], "10.2.0", "{backend:?}");
    assert_eq!(
        feed["patches"].as_array().map(Vec::len),
        Some(3),
        "{backend:?}"
    );

    // A rerun pushes again and is refused (409), so the tool reports the failure, as against
    // PatchServer.
    let again = bash(UPDATER_INIT, workdir.path(), &vars).await;
    let again_lines = again.lines();
    assert_eq!(
        again_lines.first(),
        Some(&"PUSH FAILED"),
        "{backend:?}: {again:?}"
    );
    assert!(again.stdout.contains("JamfAdmin"), "{backend:?}: {again:?}");
}

/// `add`'s look-up: every `"version":` line of the feed, cut to its value.
const UPDATER_VERSIONS: &str =
    r#"curl -L -m 60 -s ${GET_URL} | grep '"version":.*' | cut -d '"' -f4"#;

/// `add`'s check for one version: prints it when the server has it.
const UPDATER_HAS_VERSION: &str = r#"curl -L -m 60 -s ${GET_URL} | grep '"version":.*' | cut -d '"' -f4 | grep -m 1 "^${VERSION}$""#;

/// `add`'s push (the tool sends it with `--output /dev/null`; the status is printed here).
const UPDATER_PUSH: &str = r#"curl -H "Authorization: Bearer $TOKEN" --silent -m 60 --output /dev/null -w '%{http_code}' -X POST $POST_URL -d "$DATA" -H 'Content-Type: application/json'"#;

/// The version `add` builds from its template: a date alone as `releaseDate`, the version in
/// the patch and in its component, the minimum OS in the patch and in its capability.
fn updater_version(version: &str, date: &str, minimum_os: &str) -> String {
    let body = serde_json::json!({
        "releaseDate": date,
        "killApps": [{"appName": "Jamf Admin.app", "bundleId": "com.jamfsoftware.JamfAdmin"}],
        "version": version,
        "components": [{
            "version": version,
            "name": "Jamf Admin",
            "criteria": [
                {"operator": "is", "and": true, "type": "recon", "name": "Application Bundle ID",
                 "value": "com.jamfsoftware.JamfAdmin"},
                {"operator": "is", "type": "recon", "name": "Application Version", "value": version}
            ]
        }],
        "standalone": true,
        "minimumOperatingSystem": minimum_os,
        "dependencies": [],
        "reboot": false,
        "capabilities": [{"operator": "greater than or equal", "type": "recon",
                          "name": "Operating System Version", "value": minimum_os}]
    });
    // The template is indented with four spaces, one key per line.
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    serde::Serialize::serialize(&body, &mut serializer).expect("JSON");
    String::from_utf8(bytes).expect("UTF-8")
}

/// Asserts that the version look-up prints each of `versions` twice (the patch and its
/// component), in this order, and nothing else.
fn assert_versions_listed(run: &ShellRun, versions: &[&str], context: &str) {
    let expected: Vec<&str> = versions
        .iter()
        .flat_map(|version| [*version, *version])
        .collect();
    assert_eq!(run.lines(), expected, "{context}: {run:?}");
}

on_each_backend!(patch_server_updater_add_sees_the_versions_and_pushes_newer_and_older_ones);
async fn patch_server_updater_add_sees_the_versions_and_pushes_newer_and_older_ones(
    backend: TestBackend,
) {
    if !shell_tools_present() {
        return;
    }
    let app = spawn_app(backend).await;
    store(&app, &fixture(JAMF_ADMIN)).await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let get_url = app.url("/jamf/v1/patch/JamfAdmin");
    let post_url = app.url("/api/v1/title/JamfAdmin/version");
    let run_with = |script: &'static str, version: &str, data: String| {
        let vars: Vec<(String, String)> = vec![
            ("GET_URL".into(), get_url.clone()),
            ("POST_URL".into(), post_url.clone()),
            ("TOKEN".into(), app.token.clone()),
            ("VERSION".into(), version.to_owned()),
            ("DATA".into(), data),
        ];
        let workdir = workdir.path().to_owned();
        async move {
            let vars: Vec<(&str, &str)> = vars
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            bash(script, &workdir, &vars).await
        }
    };

    let listed = run_with(UPDATER_VERSIONS, "", String::new()).await;
    assert_versions_listed(
        &listed,
        &["10.2.0", "10.1.1", "10.1.0"],
        &format!("{backend:?}"),
    );
    let present = run_with(UPDATER_HAS_VERSION, "10.1.1", String::new()).await;
    assert_eq!(present.lines(), ["10.1.1"], "{backend:?}: already there");
    let absent = run_with(UPDATER_HAS_VERSION, "10.3.0", String::new()).await;
    assert!(
        absent.lines().is_empty(),
        "{backend:?}: not there yet: {absent:?}"
    );

    // A newer version, then one older than every version (a changelog back-filled).
    for (version, date) in [("10.3.0", "2018-04-10"), ("10.0.0", "2017-10-02")] {
        let push = run_with(
            UPDATER_PUSH,
            version,
            updater_version(version, date, "10.10"),
        )
        .await;
        assert_eq!(push.stdout, "201", "{backend:?} {version}: {push:?}");
        let found = run_with(UPDATER_HAS_VERSION, version, String::new()).await;
        assert_eq!(found.lines(), [version], "{backend:?} {version}: now there");
    }
    let listed = run_with(UPDATER_VERSIONS, "", String::new()).await;
    assert_versions_listed(
        &listed,
        &["10.3.0", "10.2.0", "10.1.1", "10.1.0", "10.0.0"],
        &format!("{backend:?} after the pushes"),
    );

    let feed = json_body(app.get("/jamf/v1/patch/JamfAdmin").await).await;
    assert_eq!(feed["currentVersion"], "10.3.0", "{backend:?}: the newest");
    assert_eq!(
        feed["patches"][4]["releaseDate"], "2017-10-02T00:00:00Z",
        "{backend:?}: the date alone is read as midnight UTC"
    );

    // The same version again: 409, which the tool never sends (its look-up finds it first).
    let repeat = run_with(
        UPDATER_PUSH,
        "10.3.0",
        updater_version("10.3.0", "2018-04-10", "10.10"),
    )
    .await;
    assert_eq!(repeat.stdout, "409", "{backend:?}: {repeat:?}");
}

// ---------------------------------------------------------------------------------------------
// download_patch_source.sh (Kinobi)

/// The ids of `$SOURCE/software`, then each `$SOURCE/patch/{id}` saved as `$OUT/{id}.json`.
/// Prints the ids, one a line.
const KINOBI_DOWNLOAD: &str = r#"
ids=$(curl -s -X GET "${SOURCE}/software" -H "Accept: application/json" --output - | grep '"id":' | cut -d \" -f 4)
printf '%s\n' "$ids" | while IFS= read -r id; do
  [ -n "$id" ] || continue
  curl -s -L -X GET "${SOURCE}/patch/${id}" -H "Accept: application/json" --output - > "${OUT}/${id}.json"
done
printf '%s\n' "$ids"
"#;

on_each_backend!(kinobi_download_script_gets_every_title_under_its_own_name);
async fn kinobi_download_script_gets_every_title_under_its_own_name(backend: TestBackend) {
    if !shell_tools_present() {
        return;
    }
    let titles = [
        ("JamfAdmin", "Jamf Admin"),
        ("JamfAdminBeta", "Jamf Admin Beta"),
        ("JavaSEDevelopmentKit8", "Java SE Development Kit 8"),
    ];
    let app = spawn_app(backend).await;
    store(&app, &fixture(JAMF_ADMIN)).await;
    store(
        &app,
        &renamed(JAMF_ADMIN, "JamfAdminBeta", "Jamf Admin Beta"),
    )
    .await;
    store(&app, &fixture(JAVA)).await;

    // As configured in Jamf Pro: with `/v1`, PatchServer's `/jamf/v1`, and a trailing slash
    // (which sends `/v1//software`).
    for base in ["/v1", "/jamf/v1", "/v1/"] {
        let workdir = tempfile::tempdir().expect("temp dir");
        let out = workdir.path().join("patch");
        std::fs::create_dir(&out).expect("create the output folder");
        let source = app.url(base);
        let out_path = out.to_string_lossy().into_owned();
        let run = bash(
            KINOBI_DOWNLOAD,
            workdir.path(),
            &[("SOURCE", source.as_str()), ("OUT", out_path.as_str())],
        )
        .await;
        let context = format!("{backend:?} {base}");
        assert_eq!(run.code, 0, "{context}: {run:?}");
        let expected_ids: Vec<&str> = titles.iter().map(|(id, _)| *id).collect();
        assert_eq!(run.lines(), expected_ids, "{context}: every id, once");

        let mut saved: Vec<String> = std::fs::read_dir(&out)
            .expect("read the output folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        saved.sort();
        let expected_files: Vec<String> =
            expected_ids.iter().map(|id| format!("{id}.json")).collect();
        assert_eq!(saved, expected_files, "{context}");
        for (id, name) in titles {
            let bytes = std::fs::read(out.join(format!("{id}.json"))).expect("saved file");
            let saved: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|error| panic!("{context} {id}: not JSON ({error})"));
            assert_eq!(saved["id"], id, "{context}");
            assert_eq!(saved["name"], name, "{context}: named after itself");
            let served = app
                .get(&format!("/v1/patch/{id}"))
                .await
                .bytes()
                .await
                .expect("body");
            assert_eq!(
                bytes,
                served.as_ref(),
                "{context} {id}: byte for byte what is served"
            );
        }
    }
}

//! Jamf Pro's read routes: what Jamf's connection test and subscriptions see.
//!
//! Every test here talks to the real server as Jamf Pro would (plain GETs and HEADs, no token)
//! and checks what is actually served: status codes, headers and bodies.

use std::io::Read;

use flate2::read::GzDecoder;
use ringmaster_testing::json::{keys, null_pointers};
use serde_json::Value;

use crate::support::{TestApp, TestBackend, fixture, json_body, spawn_app};

/// Both base paths Jamf Pro administrators may register.
const BASES: [&str; 2] = ["/v1", "/jamf/v1"];

const JAMF_ADMIN: &str = "titles/JamfAdmin.json";
const JAVA: &str = "titles/JavaSEDevelopmentKit8.json";

/// Starts a server holding both owned title fixtures.
async fn app_with_both_titles(backend: crate::support::TestBackend) -> TestApp {
    let app = spawn_app(backend).await;
    for title in [JAMF_ADMIN, JAVA] {
        let response = app.create_title(&fixture(title)).await;
        assert_eq!(response.status(), 201, "{backend:?} POST {title}");
    }
    app
}

/// GETs a path with extra headers and returns the response.
async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("GET")
}

/// A header's value as text, or `None`.
fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header").to_owned())
}

/// Whether text is `YYYY-MM-DDTHH:MM:SSZ` exactly (`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).
fn is_jamf_timestamp(text: &str) -> bool {
    let pattern = b"dddd-dd-ddTdd:dd:ddZ";
    text.len() == pattern.len()
        && text
            .bytes()
            .zip(pattern.iter())
            .all(|(byte, expected)| match expected {
                b'd' => byte.is_ascii_digit(),
                other => byte == *other,
            })
}

fn assert_no_nulls(value: &Value, what: &str) {
    let found = null_pointers(value);
    assert!(found.is_empty(), "{what} serves null at {found:?}");
}

/// The five summary fields of a full title object, in Jamf's order.
fn summary_of(title: &Value) -> Value {
    serde_json::json!({
        "name": title["name"],
        "publisher": title["publisher"],
        "lastModified": title["lastModified"],
        "currentVersion": title["currentVersion"],
        "id": title["id"],
    })
}

fn ids_of(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|summary| summary["id"].as_str().expect("id is a string"))
        .collect()
}

on_each_backend!(jamf_connection_test_sequence_succeeds_on_both_base_paths);
async fn jamf_connection_test_sequence_succeeds_on_both_base_paths(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
    for base in BASES {
        // Administrators type the host field with and without a trailing slash.
        for root in [format!("{base}/"), base.to_owned()] {
            let head = app.client.head(app.url(&root)).send().await.unwrap();
            assert_eq!(head.status(), 200, "{backend:?} HEAD {root}");
            let get = app.get(&root).await;
            assert_eq!(get.status(), 200, "{backend:?} GET {root}");
            json_body(get).await;
        }
        let head = app
            .client
            .head(app.url(&format!("{base}/software")))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "{backend:?} HEAD {base}/software");
        let software = json_body(app.get(&format!("{base}/software")).await).await;
        assert_eq!(software[0]["id"], "JamfAdmin");
        assert_eq!(software[0]["currentVersion"], "10.2.0");
        let patch = json_body(app.get(&format!("{base}/patch/JamfAdmin")).await).await;
        assert_eq!(
            patch["id"], "JamfAdmin",
            "{backend:?} {base}/patch/JamfAdmin"
        );
    }
    app.stop().await;
}

on_each_backend!(software_lists_enabled_titles_by_id_agreeing_with_their_patch_objects);
async fn software_lists_enabled_titles_by_id_agreeing_with_their_patch_objects(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    // Created out of id order: the list is still sorted by id.
    for title in [JAVA, JAMF_ADMIN] {
        assert_eq!(app.create_title(&fixture(title)).await.status(), 201);
    }
    for base in BASES {
        for path in [format!("{base}/software"), format!("{base}/software/")] {
            let software = json_body(app.get(&path).await).await;
            assert_eq!(
                ids_of(&software),
                ["JamfAdmin", "JavaSEDevelopmentKit8"],
                "{backend:?} {path}"
            );
            for summary in software.as_array().unwrap() {
                assert_eq!(
                    keys(summary),
                    ["name", "publisher", "lastModified", "currentVersion", "id"],
                    "{backend:?} {path}: a summary has exactly Jamf's five keys"
                );
                let id = summary["id"].as_str().unwrap();
                let title = json_body(app.get(&format!("{base}/patch/{id}")).await).await;
                assert_eq!(
                    *summary,
                    summary_of(&title),
                    "{backend:?} {path}: the summary of {id} disagrees with its patch object"
                );
                assert_eq!(
                    title["currentVersion"], title["patches"][0]["version"],
                    "{backend:?} {id}"
                );
            }
        }
    }

    // A disabled title leaves the list.
    let disabled = app
        .admin(reqwest::Method::POST, "/api/v1/title/JamfAdmin/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let software = json_body(app.get("/v1/software").await).await;
    assert_eq!(ids_of(&software), ["JavaSEDevelopmentKit8"], "{backend:?}");
    app.stop().await;
}

on_each_backend!(software_by_ids_omits_unknown_ids_and_never_answers_404);
async fn software_by_ids_omits_unknown_ids_and_never_answers_404(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    let cases: [(&str, &[&str]); 7] = [
        ("JamfAdmin", &["JamfAdmin"]),
        (
            "JavaSEDevelopmentKit8,JamfAdmin,missing",
            &["JamfAdmin", "JavaSEDevelopmentKit8"],
        ),
        ("JamfAdmin,missing", &["JamfAdmin"]),
        ("missing", &[]),
        ("a,b,missing", &[]),
        ("JamfAdmin,JamfAdmin", &["JamfAdmin"]),
        // Ids that could not exist (Jamf's rule forbids spaces) are just unknown.
        ("no%20such%20title,JamfAdmin", &["JamfAdmin"]),
    ];
    for base in BASES {
        let all = json_body(app.get(&format!("{base}/software")).await).await;
        for (ids, expected) in cases {
            let path = format!("{base}/software/{ids}");
            let response = app.get(&path).await;
            assert_eq!(response.status(), 200, "{backend:?} {path}");
            let list = json_body(response).await;
            assert_eq!(ids_of(&list), expected, "{backend:?} {path}");
            for summary in list.as_array().unwrap() {
                let same = all
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|entry| entry["id"] == summary["id"])
                    .expect("listed in /software");
                assert_eq!(summary, same, "{backend:?} {path}");
            }
        }
    }
    app.stop().await;
}

on_each_backend!(an_unknown_patch_is_a_json_404_not_found);
async fn an_unknown_patch_is_a_json_404_not_found(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    for base in BASES {
        for id in ["missing", "jamfadmin", "Jamf%20Admin"] {
            let path = format!("{base}/patch/{id}");
            let response = app.get(&path).await;
            assert_eq!(response.status(), 404, "{backend:?} {path}");
            let body = json_body(response).await;
            assert_eq!(body["message"], "Not Found", "{backend:?} {path}: {body}");
            assert_eq!(body["status"], 404, "{backend:?} {path}: {body}");
        }
    }
    app.stop().await;
}

on_each_backend!(no_read_route_ever_redirects);
async fn no_read_route_ever_redirects(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    let paths = [
        "/v1",
        "/v1/",
        "/jamf/v1",
        "/jamf/v1/",
        "/v1/software",
        "/v1/software/",
        "/v1/software/JamfAdmin",
        "/v1/software/JamfAdmin/",
        "/v1/patch/JamfAdmin",
        "/v1/patch/JamfAdmin/",
        "/v1/patch/",
        "/v1//software",
        "/jamf/v1/software",
        "/jamf/v1/patch/JamfAdmin",
        "/jamf/v1/patch/missing",
        "/V1/software",
        "/v1/software?x=1",
        "/",
    ];
    for path in paths {
        for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert!(
                !response.status().is_redirection(),
                "{backend:?} {method} {path} answered {}",
                response.status()
            );
            assert!(
                header(&response, "location").is_none(),
                "{backend:?} {method} {path} sent a Location header"
            );
            assert!(
                response.status() == 200 || response.status() == 404,
                "{backend:?} {method} {path} answered {}",
                response.status()
            );
        }
    }
    app.stop().await;
}

on_each_backend!(gzip_is_sent_when_accepted_and_decodes_to_the_plain_body);
async fn gzip_is_sent_when_accepted_and_decodes_to_the_plain_body(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    for base in BASES {
        // Precompressed bodies: always gzipped when gzip is accepted.
        for path in [
            format!("{base}/software"),
            format!("{base}/patch/JamfAdmin"),
            format!("{base}/patch/JavaSEDevelopmentKit8"),
        ] {
            let plain = get_with(&app, &path, &[]).await;
            assert_eq!(plain.status(), 200, "{backend:?} {path}");
            assert_eq!(
                header(&plain, "content-encoding"),
                None,
                "{backend:?} {path}"
            );
            let plain_body = plain.bytes().await.unwrap();

            for accept in ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8"] {
                let zipped = get_with(&app, &path, &[("accept-encoding", accept)]).await;
                assert_eq!(zipped.status(), 200, "{backend:?} {path}");
                assert_eq!(
                    header(&zipped, "content-encoding").as_deref(),
                    Some("gzip"),
                    "{backend:?} {path} with Accept-Encoding: {accept}"
                );
                assert!(
                    header(&zipped, "content-type")
                        .is_some_and(|value| value.starts_with("application/json")),
                    "{backend:?} {path}"
                );
                assert!(
                    header(&zipped, "vary").is_some_and(|value| value
                        .to_ascii_lowercase()
                        .contains("accept-encoding")),
                    "{backend:?} {path}: Vary must name Accept-Encoding"
                );
                let compressed = zipped.bytes().await.unwrap();
                let mut decoded = Vec::new();
                GzDecoder::new(compressed.as_ref())
                    .read_to_end(&mut decoded)
                    .unwrap_or_else(|error| panic!("{backend:?} {path}: bad gzip: {error}"));
                assert_eq!(
                    decoded,
                    plain_body.as_ref(),
                    "{backend:?} {path}: gzip body differs from the plain one"
                );
            }

            let refused = get_with(&app, &path, &[("accept-encoding", "gzip;q=0")]).await;
            assert_eq!(
                header(&refused, "content-encoding"),
                None,
                "{backend:?} {path}"
            );
            assert_eq!(
                refused.bytes().await.unwrap(),
                plain_body,
                "{backend:?} {path}"
            );
        }

        // Bodies built per request may skip compression when small, but whatever is sent
        // must decode to the plain body.
        let path = format!("{base}/software/JamfAdmin,JavaSEDevelopmentKit8");
        let plain_body = get_with(&app, &path, &[]).await.bytes().await.unwrap();
        let zipped = get_with(&app, &path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(zipped.status(), 200);
        let encoding = header(&zipped, "content-encoding");
        let body = zipped.bytes().await.unwrap();
        let decoded = match encoding.as_deref() {
            Some("gzip") => {
                let mut decoded = Vec::new();
                GzDecoder::new(body.as_ref())
                    .read_to_end(&mut decoded)
                    .unwrap();
                decoded
            }
            None => body.to_vec(),
            Some(other) => panic!("{backend:?} {path}: unexpected Content-Encoding {other}"),
        };
        assert_eq!(decoded, plain_body.as_ref(), "{backend:?} {path}");
    }
    app.stop().await;
}

on_each_backend!(if_none_match_answers_304_until_the_served_content_changes);
async fn if_none_match_answers_304_until_the_served_content_changes(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    let paths = [
        "/v1/software",
        "/v1/patch/JamfAdmin",
        "/jamf/v1/patch/JamfAdmin",
        "/v1/software/JamfAdmin,missing",
    ];
    let mut before = Vec::new();
    for path in paths {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200, "{backend:?} {path}");
        let etag = header(&first, "etag").unwrap_or_else(|| panic!("{backend:?} {path}: no ETag"));
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{backend:?} {path}: ETag {etag:?} is not a quoted entity tag"
        );

        // The same tag again, plain or gzipped, and in a list or weak form: 304, no body.
        for if_none_match in [
            etag.clone(),
            format!("\"other\", {etag}"),
            format!("W/{etag}"),
        ] {
            for accept in ["identity", "gzip"] {
                let cached = get_with(
                    &app,
                    path,
                    &[
                        ("if-none-match", &if_none_match),
                        ("accept-encoding", accept),
                    ],
                )
                .await;
                assert_eq!(
                    cached.status(),
                    304,
                    "{backend:?} {path} If-None-Match: {if_none_match}"
                );
                // Each representation has its own tag: the gzip one is marked as such.
                let expected = if accept == "gzip" && path != "/v1/software/JamfAdmin,missing" {
                    format!("{}-gzip\"", etag.trim_end_matches('"'))
                } else {
                    etag.clone()
                };
                assert_eq!(header(&cached, "etag").as_deref(), Some(expected.as_str()));
                assert!(cached.bytes().await.unwrap().is_empty());
            }
        }
        let other = get_with(&app, path, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(other.status(), 200, "{backend:?} {path}");
        before.push(etag);
    }

    // A write to JamfAdmin changes every body it appears in, and so every tag.
    let response = app
        .admin(reqwest::Method::POST, "/api/v1/title/JamfAdmin/version")
        .header("content-type", "application/json")
        .body(fixture("versions/JamfAdmin-10.3.0.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{backend:?}");
    for (path, old) in paths.iter().zip(&before) {
        let response = get_with(&app, path, &[("if-none-match", old)]).await;
        assert_eq!(
            response.status(),
            200,
            "{backend:?} {path}: the old ETag must not match after a write"
        );
        let new = header(&response, "etag").unwrap();
        assert_ne!(
            &new, old,
            "{backend:?} {path}: ETag unchanged after a write"
        );
        let body = json_body(response).await;
        let current = if body.is_array() {
            body[0]["currentVersion"].clone()
        } else {
            body["currentVersion"].clone()
        };
        assert_eq!(current, "10.3.0", "{backend:?} {path}");
    }

    // A title the write did not touch keeps its tag.
    let java = "/v1/patch/JavaSEDevelopmentKit8";
    let etag = header(&app.get(java).await, "etag").unwrap();
    let disable = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.0/disable",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 200);
    assert_eq!(
        get_with(&app, java, &[("if-none-match", &etag)])
            .await
            .status(),
        304,
        "{backend:?}: an untouched title's ETag changed"
    );
    app.stop().await;
}

on_each_backend!(served_json_never_contains_null_and_null_names_are_served_empty);
async fn served_json_never_contains_null_and_null_names_are_served_empty(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    for base in BASES {
        let mut paths = vec![
            format!("{base}/"),
            format!("{base}/software"),
            format!("{base}/software/JamfAdmin,JavaSEDevelopmentKit8,missing"),
        ];
        let software = json_body(app.get(&format!("{base}/software")).await).await;
        for id in ids_of(&software) {
            paths.push(format!("{base}/patch/{id}"));
        }
        paths.push(format!("{base}/patch/missing"));
        for path in paths {
            let body = json_body(app.get(&path).await).await;
            assert_no_nulls(&body, &format!("{backend:?} {path}"));
        }
        let java = json_body(
            app.get(&format!("{base}/patch/JavaSEDevelopmentKit8"))
                .await,
        )
        .await;
        assert_eq!(
            java["appName"], "",
            "{backend:?}: null appName is served as \"\""
        );
        assert_eq!(
            java["bundleId"], "",
            "{backend:?}: null bundleId is served as \"\""
        );
    }
    // The admin view keeps the nulls as given, so the definition round-trips.
    let definition = json_body(
        app.admin(reqwest::Method::GET, "/api/v1/title/JavaSEDevelopmentKit8")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(definition["appName"], Value::Null, "{backend:?}");
    app.stop().await;
}

on_each_backend!(served_titles_match_the_golden_files);
async fn served_titles_match_the_golden_files(backend: TestBackend) {
    let app = app_with_both_titles(backend).await;
    for id in ["JamfAdmin", "JavaSEDevelopmentKit8"] {
        let golden_feed: Value =
            serde_json::from_slice(&fixture(&format!("golden/{id}.feed.json"))).unwrap();
        let golden_summary: Value =
            serde_json::from_slice(&fixture(&format!("golden/{id}.summary.json"))).unwrap();
        let golden_time = golden_feed["lastModified"].clone();

        for base in BASES {
            let mut served = json_body(app.get(&format!("{base}/patch/{id}")).await).await;
            let last_modified = served["lastModified"].as_str().unwrap_or("").to_owned();
            assert!(
                is_jamf_timestamp(&last_modified),
                "{backend:?} {id}: lastModified {last_modified:?} is not YYYY-MM-DDTHH:MM:SSZ"
            );
            served["lastModified"] = golden_time.clone();
            assert_eq!(served, golden_feed, "{backend:?} {base}/patch/{id}");
            // Same keys in the same order (Jamf's), not only the same values.
            assert_eq!(
                serde_json::to_string(&served).unwrap(),
                serde_json::to_string(&golden_feed).unwrap(),
                "{backend:?} {base}/patch/{id}: key order differs from the golden file"
            );

            let software = json_body(app.get(&format!("{base}/software")).await).await;
            let mut summary = software
                .as_array()
                .unwrap()
                .iter()
                .find(|entry| entry["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{backend:?}: {id} not in {base}/software"));
            assert_eq!(summary["lastModified"], last_modified.as_str());
            summary["lastModified"] = golden_time.clone();
            assert_eq!(summary, golden_summary, "{backend:?} {base}/software {id}");
            assert_eq!(
                serde_json::to_string(&summary).unwrap(),
                serde_json::to_string(&golden_summary).unwrap(),
                "{backend:?} {base}/software {id}: key order differs from the golden file"
            );
        }
    }
    app.stop().await;
}

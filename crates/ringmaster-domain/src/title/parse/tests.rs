//! Tests of [`super`].

use serde_json::json;

use super::*;
use crate::title::record::TitleRecord;
use crate::title::render;
use crate::title::test_support::{T0, at, fixture, fixture_title, patch_json, title_json};

fn refused(document: &Value) -> FieldErrors {
    match software_title(document) {
        Ok(title) => panic!("accepted {title:?}"),
        Err(errors) => errors,
    }
}

fn pointers(errors: &FieldErrors) -> Vec<&str> {
    errors.iter().map(|error| error.pointer.as_str()).collect()
}

fn sorted_pointers(errors: &FieldErrors) -> Vec<&str> {
    let mut pointers = pointers(errors);
    pointers.sort_unstable();
    pointers
}

fn message_at<'a>(errors: &'a FieldErrors, pointer: &str) -> &'a str {
    errors
        .iter()
        .find(|error| error.pointer == pointer)
        .map(|error| error.message.as_str())
        .unwrap_or_else(|| panic!("no error at {pointer}; got:\n{errors}"))
}

#[test]
fn the_invalid_fixture_reports_every_problem_at_once() {
    let errors = software_title_from_slice(&fixture("titles/invalid/StringBooleans.json"))
        .expect_err("StringBooleans.json must be refused");
    let mut expected = vec![
        "/requirements/0/and",
        "/patches/0/components/0/criteria/1/and",
        "/patches/0/capabilities/0/type",
        "/patches/1/components/0/criteria/0/and",
        "/patches/1/components/0/criteria/1/name",
        "/patches/2/version",
        "/patches/2/capabilities/0/and",
        "/extensionAttributes/0/value",
    ];
    expected.sort_unstable();
    assert_eq!(sorted_pointers(&errors), expected, "{errors}");

    for (pointer, words) in [
        ("/requirements/0/and", "not the string \"true\""),
        ("/patches/0/components/0/criteria/1/and", "without quotes"),
        (
            "/patches/1/components/0/criteria/0/and",
            "not the string \"false\"",
        ),
        ("/patches/0/capabilities/0/type", "\"Recon\""),
        (
            "/patches/1/components/0/criteria/1/name",
            "\"jamf-patch-StringBoolean\"",
        ),
        ("/patches/2/version", "also at /patches/1/version"),
        ("/extensionAttributes/0/value", "not valid base64"),
    ] {
        let message = message_at(&errors, pointer);
        assert!(
            message.contains(words),
            "{pointer}: {message:?} should mention {words:?}"
        );
    }
}

#[test]
fn string_booleans_are_refused_never_coerced() {
    let mut document = title_json(&["1.0"]);
    document["patches"][0]["standalone"] = json!("true");
    document["patches"][0]["reboot"] = json!("false");
    document["patches"][0]["capabilities"][0]["and"] = json!("true");
    document["patches"][0]["components"][0]["criteria"][0]["and"] = json!(1);
    let errors = refused(&document);
    assert_eq!(
        pointers(&errors),
        [
            "/patches/0/standalone",
            "/patches/0/reboot",
            "/patches/0/components/0/criteria/0/and",
            "/patches/0/capabilities/0/and",
        ],
        "{errors}"
    );
    assert!(message_at(&errors, "/patches/0/components/0/criteria/0/and").contains("the number 1"));
}

#[test]
fn every_missing_required_field_is_named() {
    let errors = refused(&json!({}));
    assert_eq!(
        pointers(&errors),
        ["/id", "/name", "/publisher", "/requirements", "/patches"]
    );
    assert!(message_at(&errors, "/patches").contains("required"));

    let errors = patch_from_slice(b"{}").expect_err("an empty patch");
    assert_eq!(
        pointers(&errors),
        [
            "/version",
            "/releaseDate",
            "/standalone",
            "/minimumOperatingSystem",
            "/reboot",
            "/components",
            "/capabilities",
        ]
    );

    let mut document = title_json(&["1.0"]);
    document["requirements"] = json!([{}]);
    document["patches"][0]["killApps"] = json!([{}]);
    document["patches"][0]["components"] = json!([{}]);
    document["extensionAttributes"] = json!([{}]);
    let errors = refused(&document);
    assert_eq!(
        pointers(&errors),
        [
            "/requirements/0/name",
            "/requirements/0/operator",
            "/requirements/0/value",
            "/requirements/0/type",
            "/patches/0/killApps/0/bundleId",
            "/patches/0/killApps/0/appName",
            "/patches/0/components/0/name",
            "/patches/0/components/0/version",
            "/patches/0/components/0/criteria",
            "/extensionAttributes/0/key",
            "/extensionAttributes/0/value",
            "/extensionAttributes/0/displayName",
        ],
        "{errors}"
    );
}

#[test]
fn optional_arrays_may_be_left_out() {
    let mut document = title_json(&["1.0"]);
    document
        .as_object_mut()
        .unwrap()
        .remove("extensionAttributes");
    let patch = document["patches"][0].as_object_mut().unwrap();
    patch.remove("killApps");
    patch.remove("dependencies");
    let title = software_title(&document).unwrap();
    assert!(title.extension_attributes.is_empty() && title.patches[0].kill_apps.is_empty());
    // ...and are served as [] (never null), except dependencies, served only when given.
    let feed = render::feed_title(&TitleRecord::new(title, at(T0)));
    assert_eq!(feed["extensionAttributes"], json!([]));
    assert_eq!(feed["patches"][0]["killApps"], json!([]));
    assert!(feed["patches"][0].get("dependencies").is_none());
}

#[test]
fn wrong_types_are_named_with_what_was_found() {
    let mut document = title_json(&["1.0"]);
    document["name"] = json!(42);
    document["appName"] = json!(["Tool.app"]);
    document["requirements"] = json!(["Application Bundle ID"]);
    document["patches"][0]["releaseDate"] = json!(20250601);
    document["patches"][0]["killApps"] = json!({"bundleId": "org.example.Tool"});
    document["patches"][0]["components"][0]["criteria"][1]["value"] = json!(1.0);
    document["extensionAttributes"] = Value::Null;
    let errors = refused(&document);
    assert_eq!(
        pointers(&errors),
        [
            "/name",
            "/appName",
            "/requirements/0",
            "/patches/0/releaseDate",
            "/patches/0/killApps",
            "/patches/0/components/0/criteria/1/value",
            "/extensionAttributes",
        ],
        "{errors}"
    );
    for (pointer, words) in [
        ("/name", "must be a string, not the number 42"),
        ("/appName", "must be a string or null, not an array"),
        ("/requirements/0", "expected an object, not the string"),
        ("/patches/0/killApps", "must be an array, not an object"),
        ("/extensionAttributes", "must be an array, not null"),
    ] {
        let message = message_at(&errors, pointer);
        assert!(
            message.contains(words),
            "{pointer}: {message:?} should mention {words:?}"
        );
    }

    let errors = refused(&json!([document]));
    assert_eq!(pointers(&errors), [""]);
    assert!(message_at(&errors, "").contains("expected an object, not an array"));
}

#[test]
fn null_is_refused_except_for_app_name_and_bundle_id() {
    let mut document = title_json(&["1.0"]);
    document["appName"] = Value::Null;
    document["bundleId"] = Value::Null;
    let title = software_title(&document).expect("null appName and bundleId are accepted");
    assert_eq!(
        (title.app_name.as_deref(), title.bundle_id.as_deref()),
        (None, None)
    );

    for (field, pointer) in [
        ("name", "/name"),
        ("publisher", "/publisher"),
        ("id", "/id"),
        ("patches", "/patches"),
    ] {
        let mut document = title_json(&["1.0"]);
        document[field] = Value::Null;
        let errors = refused(&document);
        assert_eq!(pointers(&errors), [pointer], "{errors}");
        assert!(
            message_at(&errors, pointer).contains("not null"),
            "{errors}"
        );
    }
    let mut document = title_json(&["1.0"]);
    document["patches"][0]["minimumOperatingSystem"] = Value::Null;
    document["patches"][0]["capabilities"][0]["and"] = Value::Null;
    let errors = refused(&document);
    assert_eq!(
        pointers(&errors),
        [
            "/patches/0/minimumOperatingSystem",
            "/patches/0/capabilities/0/and"
        ]
    );
}

#[test]
fn empty_names_are_refused() {
    for field in ["name", "publisher"] {
        let mut document = title_json(&["1.0"]);
        document[field] = json!("  ");
        let errors = refused(&document);
        assert_eq!(pointers(&errors), [format!("/{field}")]);
        assert!(message_at(&errors, &format!("/{field}")).contains("must not be empty"));
    }
    let mut document = title_json(&["1.0"]);
    document["patches"][0]["version"] = json!("");
    assert_eq!(pointers(&refused(&document)), ["/patches/0/version"]);
    // macOS.json serves an empty appName and bundleId: accepted.
    let mut document = title_json(&["1.0"]);
    document["appName"] = json!("");
    document["bundleId"] = json!("");
    assert!(software_title(&document).is_ok());
}

#[test]
fn malformed_json_is_reported_by_line_and_column_for_the_whole_document() {
    let body =
        b"{\n  \"id\": \"JamfAdmin\",\n  \"name\": \"Jamf Admin\"\n  \"publisher\": \"Jamf\"\n}";
    let errors = software_title_from_slice(body).expect_err("a comma is missing");
    assert_eq!(pointers(&errors), [""]);
    let message = message_at(&errors, "");
    assert!(message.contains("not valid JSON"), "{message}");
    assert!(message.contains("(line 4, column 3)"), "{message}");
    assert!(
        !message.contains(" at line "),
        "the position is given twice: {message}"
    );

    for body in [&b""[..], b"{\"version\": ", b"\xff"] {
        let errors = patch_from_slice(body).expect_err("not JSON");
        assert_eq!(pointers(&errors), [""], "{errors}");
        assert!(message_at(&errors, "").contains("line 1"), "{errors}");
    }
}

#[test]
fn unknown_keys_are_kept_and_rendered_after_the_known_ones() {
    let mut document = title_json(&["1.0"]);
    document["x-curator"] = json!({"team": "desktop"});
    document["x-empty"] = Value::Null;
    document["patches"][0]["notes"] = json!("security fixes");
    document["patches"][0]["killApps"][0]["graceful"] = json!(true);
    document["patches"][0]["components"][0]["build"] = json!(7);
    document["patches"][0]["components"][0]["criteria"][0]["comment"] = json!("main app");
    document["extensionAttributes"] =
        json!([{"key": "tool-ea", "value": "ZWNobyAx", "displayName": "Tool", "platform": "mac"}]);
    let title = software_title(&document).unwrap();
    let extra_keys: Vec<&str> = title.extra.keys().map(String::as_str).collect();
    assert_eq!(
        extra_keys,
        ["x-curator"],
        "known keys and nulls are not extras"
    );

    let record = TitleRecord::new(title.clone(), at(T0));
    let feed = render::feed_title(&record);
    let keys: Vec<&str> = feed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "publisher",
            "appName",
            "bundleId",
            "lastModified",
            "currentVersion",
            "requirements",
            "patches",
            "extensionAttributes",
            "id",
            "x-curator",
        ]
    );
    assert_eq!(feed["x-curator"], json!({"team": "desktop"}));
    let patch = &feed["patches"][0];
    assert_eq!(
        patch.as_object().unwrap().keys().next_back().unwrap(),
        "notes"
    );
    assert_eq!(patch["notes"], "security fixes");
    assert_eq!(patch["killApps"][0]["graceful"], true);
    assert_eq!(patch["components"][0]["build"], 7);
    assert_eq!(patch["components"][0]["criteria"][0]["comment"], "main app");
    assert_eq!(feed["extensionAttributes"][0]["platform"], "mac");

    assert_eq!(software_title(&render::definition(&record)).unwrap(), title);
}

#[test]
fn loose_dates_are_accepted_and_served_strictly() {
    let mut document = title_json(&["1.0"]);
    document["lastModified"] = json!("2017-9-12T14:19:38Z");
    document["patches"][0]["releaseDate"] = json!("2017-9-12T14:19:38.270Z");
    let title = software_title(&document).unwrap();
    assert_eq!(
        title.patches[0].release_date,
        at("2017-09-12T14:19:38.270Z")
    );
    let feed = render::feed_title(&TitleRecord::new(title, at(T0)));
    assert_eq!(
        feed["patches"][0]["releaseDate"],
        "2017-09-12T14:19:38.270Z"
    );

    let jamf_admin = fixture_title("JamfAdmin");
    assert_eq!(
        jamf_admin.patches[2].release_date,
        at("2017-12-05T09:02:47.630Z")
    );

    // A lastModified that is no date is ignored with a warning (the server stamps its own);
    // a release date that is no date is still refused.
    document["lastModified"] = json!("0000-00-000T00:00:00Z");
    let parsed = software_title_with_warnings(document.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.title, software_title(&document).unwrap());
    let [warning] = parsed.warnings.as_slice() else {
        panic!("one warning expected: {:?}", parsed.warnings);
    };
    assert_eq!(warning.pointer, "/lastModified");
    assert!(
        warning.message.contains("\"0000-00-000T00:00:00Z\"")
            && warning.message.contains("ignored"),
        "{}",
        warning.message
    );
    document["patches"][0]["releaseDate"] = json!("last Tuesday");
    assert_eq!(pointers(&refused(&document)), ["/patches/0/releaseDate"]);
    document["patches"][0]["releaseDate"] = json!("2017-9-12T14:19:38.270Z");
    document["lastModified"] = json!(20170912);
    assert_eq!(pointers(&refused(&document)), ["/lastModified"]);
}

#[test]
fn versions_and_absent_ands_are_kept_exactly() {
    let versions = [
        "5.14.10 (19202)",
        "Adobe Lightroom CC [20170919-1412-ccb76bd]",
        "01.0 ",
    ];
    let title = software_title(&title_json(&versions)).unwrap();
    let feed = render::feed_title(&TitleRecord::new(title, at(T0)));
    for (index, version) in versions.iter().enumerate() {
        assert_eq!(feed["patches"][index]["version"], *version);
        assert_eq!(feed["patches"][index]["components"][0]["version"], *version);
    }
    assert_eq!(feed["currentVersion"], versions[0]);

    // `and` is not added where the definition left it out (PatchServer added "and": true).
    let feed = render::feed_title(&TitleRecord::new(fixture_title("JamfAdmin"), at(T0)));
    assert_eq!(feed["requirements"][0]["and"], false);
    assert!(feed["patches"][0]["capabilities"][0].get("and").is_none());
    assert!(
        feed["patches"][0]["components"][0]["criteria"][1]
            .get("and")
            .is_none()
    );
}

#[test]
fn current_version_must_name_a_patch() {
    let mut document = title_json(&["3.0", "2.0"]);
    document["currentVersion"] = json!("9.9");
    let errors = refused(&document);
    assert_eq!(pointers(&errors), ["/currentVersion"]);
    assert!(message_at(&errors, "/currentVersion").contains("\"9.9\""));

    document["currentVersion"] = json!(3.0);
    assert_eq!(pointers(&refused(&document)), ["/currentVersion"]);

    // Naming any patch is accepted; the served currentVersion is derived, not taken from here.
    document["currentVersion"] = json!("2.0");
    let title = software_title(&document).unwrap();
    assert_eq!(
        TitleRecord::new(title, at(T0)).current_version(),
        Some("3.0")
    );

    document.as_object_mut().unwrap().remove("currentVersion");
    assert!(software_title(&document).is_ok());
}

#[test]
fn a_bad_id_is_refused_at_id() {
    for bad in [
        json!("Jamf Admin"),
        json!(""),
        json!("tools/Tool"),
        json!(7),
        Value::Null,
    ] {
        let mut document = title_json(&["1.0"]);
        document["id"] = bad.clone();
        let errors = refused(&document);
        assert_eq!(pointers(&errors), ["/id"], "{bad}: {errors}");
    }
    let mut document = title_json(&["1.0"]);
    document.as_object_mut().unwrap().remove("id");
    assert_eq!(pointers(&refused(&document)), ["/id"]);
}

#[test]
fn extension_attributes_are_checked() {
    let mut document = fixture_title_json("JavaSEDevelopmentKit8");
    let attribute = document["extensionAttributes"][0].clone();
    document["extensionAttributes"] = json!([attribute.clone(), attribute]);
    document["requirements"][1]["name"] = json!("jamf-patch-jdk7");
    let errors = refused(&document);
    assert_eq!(
        pointers(&errors),
        ["/extensionAttributes/1/key", "/requirements/1/name"],
        "{errors}"
    );
    assert!(
        message_at(&errors, "/extensionAttributes/1/key").contains("/extensionAttributes/0/key")
    );

    // Scripts wrapped over several lines are valid base64 and kept as given.
    let mut document = fixture_title_json("JavaSEDevelopmentKit8");
    let script = document["extensionAttributes"][0]["value"]
        .as_str()
        .unwrap();
    let wrapped = script
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    document["extensionAttributes"][0]["value"] = json!(wrapped);
    let title = software_title(&document).unwrap();
    assert_eq!(title.extension_attributes[0].value, wrapped);
}

#[test]
fn cross_checks_do_not_guess_about_items_they_cannot_read() {
    // A key that cannot be read: criteria naming keys are not reported as undefined.
    let mut document = fixture_title_json("JavaSEDevelopmentKit8");
    document["extensionAttributes"][0]["key"] = json!(17);
    assert_eq!(
        pointers(&refused(&document)),
        ["/extensionAttributes/0/key"]
    );
    // A version that cannot be read: currentVersion is not reported as naming no patch.
    let mut document = title_json(&["2.0", "1.0"]);
    document["patches"][0]["version"] = Value::Null;
    document["currentVersion"] = json!("2.0");
    assert_eq!(pointers(&refused(&document)), ["/patches/0/version"]);
}

#[test]
fn a_lone_patch_parses_and_is_checked_against_its_title() {
    let patch = patch_from_slice(&fixture("versions/JamfAdmin-10.3.0.json")).unwrap();
    assert_eq!(patch.version, "10.3.0");
    assert_eq!(patch.release_date, at("2018-04-10T14:48:03.201Z"));
    assert_eq!(
        check_patch_against_title(&patch, &fixture_title("JamfAdmin")),
        Ok(())
    );

    let mut document = patch_json("1.8.171");
    document["components"][0]["criteria"] = json!([
        {"name": "jamf-patch-jdk8", "operator": "is", "value": "1.8.171", "type": "extensionAttribute"},
        {"name": "jamf-patch-jdk9", "operator": "is", "value": "1.8.171", "type": "extensionAttribute"}
    ]);
    let patch = patch_from_slice(document.to_string().as_bytes()).unwrap();
    let errors = check_patch_against_title(&patch, &fixture_title("JavaSEDevelopmentKit8"))
        .expect_err("jamf-patch-jdk9 is not defined");
    assert_eq!(pointers(&errors), ["/components/0/criteria/1/name"]);

    let mut document = patch_json("1.0");
    document["standalone"] = json!("yes");
    let errors = patch_from_slice(document.to_string().as_bytes()).unwrap_err();
    assert_eq!(pointers(&errors), ["/standalone"]);
}

fn fixture_title_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("titles/{name}.json"))).unwrap()
}

#[test]
fn the_pin_body_names_the_version_and_refuses_anything_else_at_its_pointer() {
    assert_eq!(
        pinned_version(br#"{"version": "1.2", "note": 1}"#).unwrap(),
        "1.2"
    );
    for (body, pointer, why) in [
        (&br#"{}"#[..], "/version", "version is required"),
        (br#"{"version": null}"#, "/version", "version is required"),
        (
            br#"{"version": 7}"#,
            "/version",
            "version must be a string, not the number 7",
        ),
        (br#"["1.2"]"#, "", "expected an object"),
        (br#"{"#, "", "not valid JSON"),
    ] {
        let errors = pinned_version(body).unwrap_err();
        let error = errors.iter().next().unwrap();
        assert_eq!(error.pointer, pointer, "{errors}");
        assert!(error.message.contains(why), "{errors}");
    }
}

//! The web app (`/ui/`) in headless Chromium, driven through WebDriver (fantoccini), against
//! the real server on a random port over SQLite: sign in; import the sample catalog (through its
//! preview); load the default rings; create a policy and see the invalid-combination error at its
//! field; bind a ring to a device group, a form that shows its preview (the device that gets a
//! target) before it is confirmed from the keyboard; open a device and read its deadline; pause a
//! ring and see the preview, confirm, see it paused, resume; add a title version; sign out;
//! sign in read-only and find no edit controls, and a crafted form post refused (403); sign out.
//! axe-core runs on every page (no serious or critical violation) and every page is saved as a
//! screenshot in `target/ui-screenshots/`. Skips without Chromium, chromedriver or axe-core
//! (and fails under `CI=true`); `scripts/test.sh` installs them.

mod driver;

use std::path::PathBuf;

use jiff::Timestamp;
use ringmaster_domain::access::Role;
use ringmaster_store::tokens::NewToken;

use crate::support::{TestBackend, spawn_app};
use driver::Browser;

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(relative)
        .canonicalize()
        .expect("fixture")
}

/// Every page a session can open, by name (for screenshots) and path.
const PAGES: [(&str, &str); 12] = [
    ("overview", "/ui/"),
    ("titles", "/ui/titles"),
    ("title", "/ui/titles/JamfAdmin"),
    ("catalog-macos", "/ui/catalog/macOS"),
    ("policies", "/ui/policies"),
    ("policy", "/ui/policies/1"),
    ("rings", "/ui/rings"),
    ("devices", "/ui/devices"),
    ("device", "/ui/devices/ui-mac-1"),
    ("compliance", "/ui/compliance"),
    ("compliance-policy", "/ui/compliance/policy/1"),
    ("audit", "/ui/audit"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_in_a_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(TestBackend::Sqlite).await;
    let store = app.database.store().await;
    let reader_secret = "ui-reader-secret-0123456789";
    store
        .create_token(&NewToken {
            role: Role::ReadOnly,
            ..NewToken::admin("ui-reader", reader_secret, Timestamp::now())
        })
        .await
        .expect("read-only token");
    let url = |path: &str| app.url(path);

    // Signing in: the app sends a browser without a session to the sign-in page.
    browser.goto(&url("/ui/")).await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/ui/sign-in")
    );
    browser.check_page("sign-in").await;
    browser.fill("#token", "not-a-token").await;
    browser.submit("form[action='/ui/sign-in'] button").await;
    assert!(browser.text("#token-error").await.contains("unknown"));
    browser.fill("#token", &app.token).await;
    browser.submit("form[action='/ui/sign-in'] button").await;
    assert_eq!(browser.text("h1").await, "Overview");

    // Importing the sample catalog from a file.
    browser.goto(&url("/ui/catalog/macOS")).await;
    let feed = fixture("catalog/macos-26-autumn-2025.json");
    browser
        .upload("#feed-file", &feed.display().to_string())
        .await;
    browser.submit("form[action$='/import'] button").await;
    assert!(browser.text("h1").await.starts_with("Preview: import"));
    browser.check_page("preview-import").await;
    browser.submit("#confirm").await;
    assert!(
        browser.text(".notice").await.contains("Imported"),
        "{}",
        browser.source().await
    );
    assert!(browser.source().await.contains("25C56"));

    // Loading the default rings.
    browser.goto(&url("/ui/rings")).await;
    browser
        .submit("form[action='/ui/rings/defaults'] button")
        .await;
    assert!(browser.source().await.contains("Vanguard"));

    // A policy whose automatic actions contradict each other: the API's words at the field.
    browser.goto(&url("/ui/policies/new")).await;
    browser.fill("#p-name", "Contradiction").await;
    browser.choose("#p-platform", "macOS").await;
    browser
        .choose("#p-automaticActions-download", "alwaysOff")
        .await;
    browser
        .choose("#p-automaticActions-installOSUpdates", "alwaysOn")
        .await;
    browser
        .submit("form[action='/ui/policies'] button[type='submit']")
        .await;
    let at_field = browser
        .text("#p-automaticActions-installOSUpdates-error")
        .await;
    assert!(
        at_field.starts_with("Invalid global settings declaration: "),
        "{at_field}"
    );
    assert_eq!(
        browser
            .client
            .find(fantoccini::Locator::Css(
                "#p-automaticActions-installOSUpdates"
            ))
            .await
            .expect("field")
            .attr("aria-invalid")
            .await
            .expect("attribute")
            .as_deref(),
        Some("true")
    );
    browser.check_page("policy-refused").await;

    // A device, a device group with it, and the first ring bound to that group.
    let created = app
        .admin(reqwest::Method::POST, "/api/v1/devices")
        .header("content-type", "application/json")
        .body(r#"{"id": "ui-mac-1", "platform": "macOS", "osVersion": "26.0", "osBuild": "25A354", "model": "Mac15,3"}"#)
        .send()
        .await
        .expect("device");
    assert_eq!(created.status(), 201);
    browser.goto(&url("/ui/rings")).await;
    browser.fill("#group-name", "Pilot Macs").await;
    browser.fill("#group-devices", "ui-mac-1").await;
    browser
        .submit("form[action='/ui/device-groups'] button")
        .await;
    assert!(
        browser
            .text("h1")
            .await
            .starts_with("Preview: create device group")
    );
    browser.submit("#confirm").await;
    browser.click("#ring-1-group-1").await;
    browser
        .submit("form[action='/ui/rings/1/bindings'] button")
        .await;
    // The preview: the device gets a target; nothing is bound yet.
    assert!(browser.text("h1").await.starts_with("Preview: bind ring"));
    assert_eq!(browser.text("#preview-changed").await, "1");
    assert!(browser.text("#preview-changes").await.contains("ui-mac-1"));
    let bound: serde_json::Value = app
        .admin(reqwest::Method::GET, "/api/v1/policy-groups/1/bindings")
        .send()
        .await
        .expect("bindings")
        .json()
        .await
        .expect("json");
    assert_eq!(bound["deviceGroups"], serde_json::json!([]));
    browser.check_page("preview-bindings").await;
    // Confirmed from the keyboard: the focused Confirm button, Enter.
    assert_eq!(
        browser
            .client
            .active_element()
            .await
            .expect("focus")
            .attr("id")
            .await
            .expect("id")
            .as_deref(),
        Some("confirm"),
        "the preview's Confirm button has the focus"
    );
    browser.press_enter("#confirm").await;
    let rings = browser.source().await;
    assert!(
        rings.contains("Bound to device groups: Pilot Macs"),
        "{rings}"
    );

    // The device's deadline, as the API answers it.
    browser.goto(&url("/ui/devices")).await;
    browser.fill("#q", "ui-mac-1").await;
    browser.submit("form[role='search'] button").await;
    let deadline = browser.text("#deadline").await;
    let status: serde_json::Value = app
        .admin(reqwest::Method::GET, "/api/v1/devices/ui-mac-1/status")
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    let expected = status["deadline"]
        .as_str()
        .expect("a deadline from the Vanguard ring");
    assert!(deadline.starts_with(expected), "{deadline} vs {expected}");

    // Pausing the first ring: its preview, confirmed; the ring shows its pause; resumed.
    browser.goto(&url("/ui/rings")).await;
    browser
        .click("section[aria-labelledby='ring-1'] details summary")
        .await;
    browser
        .fill("#pause-policyGroup-1-reason", "VPN breaks")
        .await;
    browser
        .submit("form[action='/ui/rings/1/pause'] button")
        .await;
    assert!(
        browser
            .text("h1")
            .await
            .starts_with("Preview: pause ring Vanguard")
    );
    assert_eq!(browser.text("#preview-changed").await, "1");
    assert!(browser.text("#preview-changes").await.contains("ui-mac-1"));
    browser.check_page("preview-pause").await;
    browser.submit("#confirm").await;
    let paused = browser
        .text("section[aria-labelledby='ring-1'] .paused")
        .await;
    assert!(paused.contains("VPN breaks"), "{paused}");
    browser.goto(&url("/ui/devices/ui-mac-1")).await;
    let state = browser.text("#result + dl .badge").await;
    assert_eq!(state, "paused", "{}", browser.source().await);
    browser.goto(&url("/ui/rings")).await;
    browser.check_page("rings-paused").await;
    browser
        .submit("form[action='/ui/rings/1/resume'] button")
        .await;
    assert!(browser.text("h1").await.starts_with("Preview: resume ring"));
    browser.submit("#confirm").await;
    assert_eq!(
        browser
            .count("section[aria-labelledby='ring-1'] .paused")
            .await,
        0
    );

    // A title and a new version of it through the version form.
    let title = std::fs::read(fixture("titles/JamfAdmin.json")).expect("title");
    assert_eq!(app.create_title(&title).await.status(), 201);
    browser.goto(&url("/ui/titles/JamfAdmin")).await;
    browser.fill("#v-version", "10.3.0").await;
    browser.fill("#v-releaseDate", "2026-12-01T00:00:00Z").await;
    browser.submit("form[action$='/versions'] button").await;
    assert!(browser.text("tbody tr td").await.starts_with("10.3.0"));

    // Every page: no serious or critical accessibility violation, and a screenshot.
    for (name, path) in PAGES {
        browser.goto(&url(path)).await;
        browser.check_page(name).await;
    }
    browser.goto(&url("/ui/tokens")).await;
    browser.check_page("tokens").await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    browser.goto(&url("/ui/")).await;
    browser.check_page("overview-phone").await;
    browser
        .client
        .set_window_size(1280, 1000)
        .await
        .expect("laptop size");

    // Signing out ends the session.
    browser.submit("form[action='/ui/sign-out'] button").await;
    browser.goto(&url("/ui/policies")).await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/ui/sign-in")
    );

    // Read-only: no edit control on any page (only the sign-out form posts).
    browser.fill("#token", reader_secret).await;
    browser.submit("form[action='/ui/sign-in'] button").await;
    for (name, path) in PAGES.iter().filter(|(name, _)| *name != "audit") {
        browser.goto(&url(path)).await;
        assert_eq!(
            browser.count("form[method='post']").await,
            1,
            "{name}: a read-only session sees only the sign-out form"
        );
        assert_eq!(
            browser.count("textarea, input[type='file']").await,
            0,
            "{name}"
        );
    }
    browser.goto(&url("/ui/rings")).await;
    browser.check_page("rings-read-only").await;

    // A crafted form from the read-only session (its own cookie and CSRF secret): 403.
    let cookie = browser
        .client
        .get_named_cookie("ringmaster_session")
        .await
        .expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    let page = browser.source().await;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the sign-out form's CSRF field")
        .to_owned();
    let crafted = app
        .client
        .post(url("/ui/rings/defaults"))
        .header("cookie", format!("ringmaster_session={}", cookie.value()))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("crafted post");
    assert_eq!(crafted.status(), 403);
    let crafted = app
        .client
        .post(url("/ui/policies"))
        .header("cookie", format!("ringmaster_session={}", cookie.value()))
        .form(&[
            ("csrf", csrf.as_str()),
            ("/name", "Sneaky"),
            ("/platform", "macOS"),
        ])
        .send()
        .await
        .expect("crafted post");
    assert_eq!(crafted.status(), 403);

    browser.submit("form[action='/ui/sign-out'] button").await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/ui/sign-in")
    );
    browser.close().await;
}

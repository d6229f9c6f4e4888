//! The web app's sessions over HTTP, on both backends: the cookie's flags, a refused sign-in
//! (401), the CSRF check (403 without the session's secret), the session ending at sign-out,
//! when its token is revoked and after its lifetime (by the manual clock), and a change made
//! through a form recorded in the audit log under the token's name.

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;

use crate::support::{AppOptions, TestApp, TestBackend, spawn_app_with};

/// Signs in with `token`; the session cookie's secret and the whole `Set-Cookie` line.
pub(crate) async fn sign_in(app: &TestApp, token: &str) -> (String, String) {
    let answer = app
        .client
        .post(app.url("/ui/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/ui/");
    let line = answer.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    let secret = line
        .trim_start_matches("ringmaster_session=")
        .split(';')
        .next()
        .expect("secret")
        .to_owned();
    (secret, line)
}

pub(crate) async fn page(app: &TestApp, secret: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", format!("ringmaster_session={secret}"))
        .send()
        .await
        .expect("page")
}

/// The CSRF secret of a page's forms.
pub(crate) async fn csrf(app: &TestApp, secret: &str) -> String {
    let body = page(app, secret, "/ui/").await.text().await.expect("body");
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF field")
        .to_owned()
}

on_each_backend!(sessions_are_cookies_with_csrf_and_end_as_they_should);
async fn sessions_are_cookies_with_csrf_and_end_as_they_should(backend: TestBackend) {
    let start: Timestamp = "2026-12-07T09:00:00Z".parse().expect("time");
    let clock = ringmaster::clock::Clock::manual(start);
    let app = spawn_app_with(
        backend,
        AppOptions {
            clock: clock.clone(),
            ..AppOptions::default()
        },
    )
    .await;
    // A page without a session goes to sign-in; a bad token is 401 and opens nothing.
    let answer = app.get("/ui/").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/ui/sign-in");
    let refused = app
        .client
        .post(app.url("/ui/sign-in"))
        .form(&[("token", "rmt_nothing")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().get("set-cookie").is_none());

    let (secret, line) = sign_in(&app, &app.token).await;
    for flag in ["Path=/ui", "HttpOnly", "SameSite=Strict", "Max-Age=28800"] {
        assert!(line.contains(flag), "{line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    assert_eq!(page(&app, &secret, "/ui/").await.status(), StatusCode::OK);

    // A form without the session's CSRF secret, or from another site, changes nothing.
    let cookie = format!("ringmaster_session={secret}");
    for form in [vec![], vec![("csrf", "rmt_wrong")]] {
        let answer = app
            .client
            .post(app.url("/ui/rings/defaults"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    }
    let token = csrf(&app, &secret).await;
    let cross = app
        .client
        .post(app.url("/ui/rings/defaults"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let groups = crate::support::admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(groups.as_array().map(Vec::len), Some(0));

    // With it, the change is made through the API and recorded under the token's name.
    let made = app
        .client
        .post(app.url("/ui/rings/defaults"))
        .header("cookie", &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let audit = crate::support::admin_json(&app, "/api/v1/audit").await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "POST /api/v1/policy-groups/defaults");
    assert_eq!(entry["actor"]["kind"], "token");
    assert_eq!(entry["outcome"], "done");
    assert_eq!(entry["clientAddress"], "127.0.0.1");

    // Sign-out ends the session.
    let out = app
        .client
        .post(app.url("/ui/sign-out"))
        .header("cookie", &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .contains("Max-Age=0")
    );
    assert_eq!(
        page(&app, &secret, "/ui/").await.status(),
        StatusCode::SEE_OTHER
    );

    // A session ends after eight hours.
    let (secret, _) = sign_in(&app, &app.token).await;
    clock.advance(SignedDuration::from_hours(8));
    assert_eq!(
        page(&app, &secret, "/ui/").await.status(),
        StatusCode::SEE_OTHER
    );

    // Revoking the token ends its sessions.
    let created = app
        .admin(reqwest::Method::POST, "/api/v1/tokens")
        .json(&serde_json::json!({"name": "browser", "role": "readOnly"}))
        .send()
        .await
        .expect("token");
    assert_eq!(created.status(), StatusCode::CREATED);
    let reader: serde_json::Value = created.json().await.expect("json");
    let reader = reader["token"].as_str().expect("secret").to_owned();
    let (secret, _) = sign_in(&app, &reader).await;
    assert_eq!(
        page(&app, &secret, "/ui/policies").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        page(&app, &secret, "/ui/tokens").await.status(),
        StatusCode::FORBIDDEN
    );
    let revoked = app
        .admin(reqwest::Method::DELETE, "/api/v1/tokens/browser")
        .send()
        .await
        .expect("revoke");
    assert!(revoked.status().is_success());
    assert_eq!(
        page(&app, &secret, "/ui/policies").await.status(),
        StatusCode::SEE_OTHER
    );
}

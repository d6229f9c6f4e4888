//! Jamf Pro's read routes: what Jamf's connection test and subscriptions see.

use crate::support::{backends, fixture, json_body, spawn_app};

#[tokio::test]
async fn jamf_connection_test_sequence_succeeds_on_both_base_paths() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        assert_eq!(app.create_title(&fixture("titles/JamfAdmin.json")).await.status(), 201);
        for base in ["/v1", "/jamf/v1"] {
            let head = app.client.head(app.url(&format!("{base}/"))).send().await.unwrap();
            assert_eq!(head.status(), 200, "{backend:?} HEAD {base}/");
            let software = json_body(app.get(&format!("{base}/software")).await).await;
            assert_eq!(software[0]["id"], "JamfAdmin");
            assert_eq!(software[0]["currentVersion"], "10.2.0");
        }
        app.stop().await;
    }
}

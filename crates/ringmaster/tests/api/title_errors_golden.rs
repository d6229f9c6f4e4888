//! The admin title API's refusals of a replacement as golden files: a body whose id is not the
//! path's (decided by the domain's `IdMismatch`), with and without a title at the path.

use reqwest::Method;
use serde_json::{Value, json};

use crate::golden::check_golden_json;
use crate::support::{backends, fixture, json_body, spawn_app};

#[tokio::test]
async fn a_replacement_with_another_id_is_refused_as_the_golden_file_says() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let created = app.create_title(&fixture("titles/JamfAdmin.json")).await;
        assert_eq!(created.status().as_u16(), 201, "{backend:?}");
        let mut definition: Value =
            serde_json::from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
        definition["id"] = json!("JamfAdmin2");
        let response = app
            .admin(Method::PUT, "/api/v1/title/JamfAdmin")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&definition).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{backend:?}");
        check_golden_json("titles/error.id-mismatch.json", &json_body(response).await);
    }
}

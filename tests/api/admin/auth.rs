//! Tokens and roles: 401 without a valid token, 403 outside the role.

use reqwest::Method;
use serde_json::json;

use super::{assert_problem, officer};
use crate::helpers::{raw_blobs, spawn_app};

/// Every operation of the OpenAPI document, with `{id}` filled in.
async fn documented_operations(app: &crate::helpers::TestApp) -> Vec<(Method, String)> {
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations.push((method, path.replace("{id}", "1")));
        }
    }
    assert!(operations.len() >= 18, "{operations:?}");
    operations
}

/// Routes only an admin may use.
const ADMIN_ONLY: [(&str, &str); 10] = [
    ("POST", "/api/v1/areas"),
    ("PATCH", "/api/v1/areas/1"),
    ("POST", "/api/v1/recruiters"),
    ("PATCH", "/api/v1/recruiters/1"),
    ("POST", "/api/v1/event-codes"),
    ("GET", "/api/v1/people"),
    ("DELETE", "/api/v1/people/1"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/1"),
];

#[tokio::test]
async fn every_route_answers_401_without_a_token_or_with_a_bad_one() {
    let app = spawn_app().await;
    let real = app.admin_token().await;
    let forged = format!("{}x", &real[..real.len() - 1]);
    for (method, path) in documented_operations(&app).await {
        for token in [None, Some("mitan_not-a-real-token"), Some(forged.as_str())] {
            let response = app.api(method.clone(), &path, token, Some(json!({}))).await;
            assert_problem(&response, 401);
            assert!(
                response.headers.contains_key("www-authenticate"),
                "{method} {path}"
            );
        }
        let basic = app
            .client
            .request(method.clone(), app.url(&path))
            .header("authorization", format!("Basic {real}"))
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), 401, "{method} {path} with Basic");
    }
}

#[tokio::test]
async fn an_officer_gets_403_on_every_admin_route() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let token = app.officer_token(id).await;
    for (method, path) in ADMIN_ONLY {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .api(method.clone(), path, Some(&token), Some(json!({})))
            .await;
        assert_problem(&response, 403);
    }
}

#[tokio::test]
async fn me_tells_the_holder_their_role_and_recruiter() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.api_get("/api/v1/me", &admin).await.json();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["recruiter_id"], serde_json::Value::Null);
    assert_eq!(me["name"], "test desk");

    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let token = app.officer_token(id).await;
    let me = app.api_get("/api/v1/me", &token).await.json();
    assert_eq!(me["role"], "officer");
    assert_eq!(me["recruiter_id"], id);
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once_and_is_listed_as_revoked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let officer_token = app.officer_token(id).await;
    assert_eq!(app.api_get("/api/v1/me", &officer_token).await.status, 200);

    let tokens = app.api_get("/api/v1/tokens", &admin).await.json();
    let listed = tokens.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        !app.api_get("/api/v1/tokens", &admin)
            .await
            .text
            .contains("mitan_"),
        "a token's text is never listed"
    );
    let officer_token_id = listed.iter().find(|t| t["role"] == "officer").unwrap()["id"]
        .as_i64()
        .unwrap();

    let revoked = app
        .api_delete(&format!("/api/v1/tokens/{officer_token_id}"), &admin)
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_problem(&app.api_get("/api/v1/me", &officer_token).await, 401);
    let tokens = app.api_get("/api/v1/tokens", &admin).await.json();
    let entry = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == officer_token_id)
        .unwrap()
        .clone();
    assert!(entry["revoked"].is_string(), "{entry}");
    assert_problem(&app.api_delete("/api/v1/tokens/999", &admin).await, 404);
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let stored = raw_blobs(&app.db, "SELECT token_hash FROM api_tokens")
        .await
        .unwrap();
    assert_eq!(stored, [mitan::access::token_hash(&token).to_vec()]);
}

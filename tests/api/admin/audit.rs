//! The audit log: every admin action with its actor, time and target; append-only; no number.

use serde_json::json;

use super::{morning, officer};
use crate::helpers::{spawn_app, villager, RECRUITER_NUMBERS};

#[tokio::test]
async fn every_admin_write_is_logged_with_the_token_that_made_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.api_get("/api/v1/me", &admin).await.json();
    let actor = format!("token:{}:test desk", me["token_id"]);

    let (id, _) = app
        .add_recruiter(
            &admin,
            json!({"name": "SI Verma", "kind": "police", "phone": RECRUITER_NUMBERS[0]}),
        )
        .await;
    app.api_patch(
        &format!("/api/v1/recruiters/{id}"),
        &admin,
        json!({"quota": 30}),
    )
    .await;
    let person = app.join(&villager(1), None, morning()).await.person_id();
    app.api_delete(&format!("/api/v1/people/{person}"), &admin)
        .await;

    let audit = app.api_get("/api/v1/audit?limit=3", &admin).await.json();
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let recruiter = format!("recruiter:{id}");
    let erased = format!("person:{person}");
    assert_eq!(
        actions,
        [
            ("person.erase", erased.as_str()),
            ("recruiter.update", recruiter.as_str()),
            ("recruiter.create", recruiter.as_str()),
        ]
    );
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == actor.as_str() && e["at"].is_string()));

    // Older entries are a page further; the token itself was logged when it was made.
    let before = audit["next_before"].as_i64().unwrap();
    let older = app
        .api_get(&format!("/api/v1/audit?before={before}"), &admin)
        .await
        .json();
    let first = older["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(first["action"], "token.create");
    assert_eq!(first["actor"], "cli");
}

#[tokio::test]
async fn officers_cannot_read_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let token = app.officer_token(id).await;
    super::assert_problem(&app.api_get("/api/v1/audit", &token).await, 403);
}

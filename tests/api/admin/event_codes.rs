//! Event codes: issued by admins for a training camp, credited to their owner until they expire
//! or are used up.

use chrono::{Duration, Utc};
use mitan::enrollment::{CodeRefusal, OptInCode};
use mitan::store::JoinError;
use serde_json::json;

use super::{assert_invalid, figures, officer};
use crate::helpers::{spawn_app, villager};

#[tokio::test]
async fn an_event_code_credits_its_owner_until_it_is_used_up() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let expires = Utc::now() + Duration::days(2);
    let created = app
        .api_post(
            "/api/v1/event-codes",
            &admin,
            json!({"recruiter_id": id, "label": "NSS camp, CMD College", "expires_at": expires, "max_uses": 2}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    let code = created["code"].as_str().unwrap().to_string();
    assert!(OptInCode::parse(&code).is_ok());
    assert_eq!(created["uses"], 0);
    assert_eq!(created["max_uses"], 2);

    let now = Utc::now();
    for n in 0..2 {
        app.join(&villager(n), Some(&code), now).await;
    }
    let refused = app.try_join(&villager(2), Some(&code), now).await;
    assert!(
        matches!(refused, Err(JoinError::Code(CodeRefusal::UsedUp))),
        "{refused:?}"
    );
    assert_eq!(figures(&app, &admin, id).await["direct"]["total"], 2);

    let listed = app.api_get("/api/v1/event-codes", &admin).await.json();
    assert_eq!(listed[0]["code"], code.as_str());
    assert_eq!(listed[0]["uses"], 2);
    assert_eq!(listed[0]["label"], "NSS camp, CMD College");

    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "event_code.create" && e["target"] == format!("recruiter:{id}")));
}

#[tokio::test]
async fn an_officer_lists_only_the_event_codes_of_their_subtree() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (verma, _) = officer(&app, &admin, "SI Verma", None).await;
    let (sahu, _) = officer(&app, &admin, "ASI Sahu", None).await;
    let expires = Utc::now() + Duration::days(2);
    for (owner, label) in [(verma, "Camp A"), (sahu, "Camp B")] {
        let created = app
            .api_post(
                "/api/v1/event-codes",
                &admin,
                json!({"recruiter_id": owner, "label": label, "expires_at": expires}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let token = app.officer_token(verma).await;
    let theirs = app.api_get("/api/v1/event-codes", &token).await.json();
    let labels: Vec<&str> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Camp A"]);
    let by_owner = app
        .api_get(&format!("/api/v1/event-codes?recruiter={sahu}"), &admin)
        .await
        .json();
    assert_eq!(by_owner.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_event_code_needs_an_owner_a_future_expiry_and_a_positive_limit() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/event-codes",
            &admin,
            json!({"recruiter_id": 999, "label": "Camp", "expires_at": "2020-01-01T00:00:00Z", "max_uses": 0}),
        )
        .await;
    assert_invalid(&response, &["expires_at", "max_uses", "recruiter_id"]);
    let unreadable = app
        .api_post(
            "/api/v1/event-codes",
            &admin,
            json!({"recruiter_id": 1, "label": "Camp", "expires_at": "next Tuesday"}),
        )
        .await;
    assert_invalid(&unreadable, &["expires_at"]);
}

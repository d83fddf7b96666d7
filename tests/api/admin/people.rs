//! People, masked: the last two digits at most, with filters and pages; erasure.

use chrono::Duration;

use super::{assert_problem, morning, officer, thana};
use crate::helpers::{spawn_app, villager};

#[tokio::test]
async fn people_are_listed_masked_with_filters_and_pages() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let (id, code) = officer(&app, &admin, "SI Verma", Some(koni)).await;
    for n in 0..3 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    for n in 3..5 {
        app.join(&villager(n), None, morning() + Duration::days(2))
            .await;
    }

    let first = app.api_get("/api/v1/people?limit=2", &admin).await.json();
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["hint"], "00",
        "the last two digits of +919876500000"
    );
    assert_eq!(items[0]["language"], "hi");
    assert_eq!(items[0]["status"], "active");
    assert_eq!(items[0]["area_id"], koni);
    assert_eq!(items[0]["recruited_by"], id);
    assert_eq!(items[0]["joined"], "2026-11-28T04:30:00Z");
    let after = first["next_after"].as_i64().unwrap();
    let rest = app
        .api_get(&format!("/api/v1/people?after={after}"), &admin)
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);

    let count = |path: String| {
        let app = &app;
        let admin = &admin;
        async move {
            let page = app.api_get(&path, admin).await;
            assert_eq!(page.status, 200, "{}", page.text);
            page.json()["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(count(format!("/api/v1/people?area={koni}")).await, 3);
    assert_eq!(count(format!("/api/v1/people?recruiter={id}")).await, 3);
    assert_eq!(
        count("/api/v1/people?joined_from=2026-11-29".into()).await,
        2
    );
    assert_eq!(count("/api/v1/people?joined_to=2026-11-28".into()).await, 3);
    assert_eq!(count("/api/v1/people?language=en".into()).await, 0);
    assert_eq!(count("/api/v1/people?status=opted_out".into()).await, 0);
}

#[tokio::test]
async fn people_of_a_district_include_those_of_its_thanas_and_villages() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let birkona = super::village(&app, &admin, "Koni", "Birkona").await;
    let (_, code) = officer(&app, &admin, "Constable Patel", Some(birkona)).await;
    app.join(&villager(1), Some(&code), morning()).await;
    let areas = app.api_get("/api/v1/areas", &admin).await.json();
    let district = areas
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "district")
        .unwrap()["id"]
        .clone();
    let page = app
        .api_get(&format!("/api/v1/people?area={district}"), &admin)
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn erasing_a_person_removes_their_hint_keeps_their_row_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let joined = app.join(&villager(7), None, morning()).await;
    let id = joined.person_id();
    let erased = app
        .api_delete(&format!("/api/v1/people/{id}"), &admin)
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert!(erased.text.is_empty());

    let page = app
        .api_get("/api/v1/people?status=erased", &admin)
        .await
        .json();
    let person = &page["items"][0];
    assert_eq!(person["id"], id);
    assert_eq!(person["hint"], serde_json::Value::Null);
    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "person.erase");
    assert_eq!(entry["target"], format!("person:{id}"));
    assert!(entry["actor"].as_str().unwrap().starts_with("token:"));

    assert_eq!(
        app.api_delete(&format!("/api/v1/people/{id}"), &admin)
            .await
            .status,
        204
    );
    assert_problem(&app.api_delete("/api/v1/people/999", &admin).await, 404);
}

//! Areas: Bilaspur's thanas from the start, villages added and renamed by admins.

use serde_json::json;

use super::{assert_invalid, thana};
use crate::helpers::spawn_app;

#[tokio::test]
async fn bilaspur_and_its_thanas_are_there_from_the_first_start() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let areas = app.api_get("/api/v1/areas", &admin).await.json();
    let areas = areas.as_array().unwrap();
    let district = areas.iter().find(|a| a["kind"] == "district").unwrap();
    assert_eq!(district["name"], "Bilaspur");
    let thanas: Vec<&str> = areas
        .iter()
        .filter(|a| a["kind"] == "thana")
        .inspect(|a| assert_eq!(a["parent_id"], district["id"]))
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(thanas.len(), 13, "{thanas:?}");
    for name in [
        "Ratanpur",
        "Bilha",
        "Civil Lines",
        "Kotwali",
        "Masturi",
        "Chowki Malhar",
    ] {
        assert!(thanas.contains(&name), "{name} missing");
    }
}

#[tokio::test]
async fn an_officer_may_read_the_areas_too() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = super::officer(&app, &admin, "SI Verma", None).await;
    let officer = app.officer_token(id).await;
    let areas = app.api_get("/api/v1/areas", &officer).await;
    assert_eq!(areas.status, 200);
    assert_eq!(areas.json().as_array().unwrap().len(), 14);
}

#[tokio::test]
async fn admins_add_villages_under_thanas_and_rename_them() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let created = app
        .api_post(
            "/api/v1/areas",
            &admin,
            json!({"kind": "village", "name": "Birkona", "parent_id": koni}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let village = created.json();
    assert_eq!(village["kind"], "village");
    assert_eq!(village["parent_id"], koni);

    let renamed = app
        .api_patch(
            &format!("/api/v1/areas/{}", village["id"]),
            &admin,
            json!({"name": "Birkona Ward 2"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json()["name"], "Birkona Ward 2");

    let district = app
        .api_post(
            "/api/v1/areas",
            &admin,
            json!({"kind": "district", "name": "Mungeli"}),
        )
        .await;
    assert_eq!(district.status, 201, "{}", district.text);
}

#[tokio::test]
async fn an_area_must_sit_under_the_right_kind_of_area() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let cases = [
        json!({"kind": "village", "name": "Birkona"}),
        json!({"kind": "thana", "name": "New Thana", "parent_id": koni}),
        json!({"kind": "district", "name": "Mungeli", "parent_id": koni}),
        json!({"kind": "village", "name": "Birkona", "parent_id": 9999}),
    ];
    for body in cases {
        let response = app.api_post("/api/v1/areas", &admin, body).await;
        assert_invalid(&response, &["parent_id"]);
    }
}

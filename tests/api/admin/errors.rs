//! Bad input gets a clear answer: problem+json, with the fields that are wrong.

use figment::providers::Serialized;
use serde_json::json;

use super::{assert_invalid, assert_problem, officer, thana};
use crate::helpers::{spawn_app, spawn_app_with, RECRUITER_NUMBERS};

#[tokio::test]
async fn an_unknown_json_field_is_refused_by_name_not_ignored() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "SI Verma", "kind": "police", "nickname": "V"}),
        )
        .await;
    assert_invalid(&response, &["nickname"]);
    assert_eq!(response.json()["errors"][0]["pointer"], "#/nickname");
}

#[tokio::test]
async fn every_invalid_field_is_listed_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": " ", "kind": "police", "phone": "98765 4321O", "quota": 0, "area": 9999}),
        )
        .await;
    assert_invalid(&response, &["area", "name", "phone", "quota"]);

    let missing = app
        .api_post("/api/v1/recruiters", &admin, json!({"kind": "police"}))
        .await;
    assert_invalid(&missing, &["name"]);

    let wrong_kind = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "X", "kind": "army"}),
        )
        .await;
    assert_invalid(&wrong_kind, &["kind"]);

    let wrong_type = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "X", "kind": "ncc", "quota": "lots"}),
        )
        .await;
    assert_invalid(&wrong_type, &["quota"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_400_and_one_not_declared_json_gets_415() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let broken = app
        .client
        .post(app.url("/api/v1/recruiters"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"name\": \"SI Verma\",")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert_eq!(broken.headers()["content-type"], "application/problem+json");

    let form = app
        .client
        .post(app.url("/api/v1/recruiters"))
        .bearer_auth(&admin)
        .form(&[("name", "SI Verma"), ("kind", "police")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    assert_eq!(form.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn an_oversized_body_gets_a_problem_json_413() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("server.max_body_bytes", 2048))).await;
    let admin = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "x".repeat(4096), "kind": "police"}),
        )
        .await;
    assert_problem(&response, 413);
}

#[tokio::test]
async fn a_phone_or_an_area_name_already_taken_gets_409() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.add_recruiter(
        &admin,
        json!({"name": "SI Verma", "kind": "police", "phone": RECRUITER_NUMBERS[0]}),
    )
    .await;
    // The same phone written another way.
    let national = format!("0{}", &RECRUITER_NUMBERS[0][3..]);
    let again = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "ASI Sahu", "kind": "spo", "phone": national}),
        )
        .await;
    assert_problem(&again, 409);

    let koni = thana(&app, &admin, "Koni").await;
    let body = json!({"kind": "village", "name": "Birkona", "parent_id": koni});
    assert_eq!(
        app.api_post("/api/v1/areas", &admin, body.clone())
            .await
            .status,
        201
    );
    assert_problem(&app.api_post("/api/v1/areas", &admin, body).await, 409);
}

#[tokio::test]
async fn unknown_query_parameters_and_bad_values_are_named() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let unknown = app.api_get("/api/v1/people?stauts=active", &admin).await;
    assert_invalid(&unknown, &["stauts"]);
    let bad = app.api_get("/api/v1/people?limit=many", &admin).await;
    assert_invalid(&bad, &["limit"]);
    let too_many = app.api_get("/api/v1/recruiters?limit=1000", &admin).await;
    assert_invalid(&too_many, &["limit"]);
    let status = app.api_get("/api/v1/people?status=happy", &admin).await;
    assert_invalid(&status, &["status"]);
}

#[tokio::test]
async fn things_that_do_not_exist_get_404() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_problem(&app.api_get("/api/v1/recruiters/4242", &admin).await, 404);
    assert_problem(
        &app.api_get("/api/v1/recruiters/4242/tree", &admin).await,
        404,
    );
    assert_problem(&app.api_delete("/api/v1/people/4242", &admin).await, 404);
    assert_problem(
        &app.api_patch("/api/v1/areas/4242", &admin, json!({"name": "X"}))
            .await,
        404,
    );
    assert_problem(
        &app.api_patch("/api/v1/recruiters/4242", &admin, json!({"quota": 5}))
            .await,
        404,
    );
    assert_problem(&app.api_get("/api/v1/nothing-here", &admin).await, 404);
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    assert_eq!(
        app.api_get(&format!("/api/v1/recruiters/{id}"), &admin)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_name_of_invisible_characters_is_refused_wherever_a_name_is_taken() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let (recruiter, _) = officer(&app, &admin, "SI Verma", None).await;
    let before = app.api_get("/api/v1/areas", &admin).await.json();
    let expires = "2030-01-01T00:00:00Z";
    for name in [
        "\u{200b}",
        "\u{202e}",
        "\u{200b}\u{200c}\u{200d}",
        " \u{2060}\u{feff} ",
        "\u{3164}",
        "\u{00ad}",
        "\u{2066}\u{2069}",
        "Koni\u{202e}anirb",
        "\u{200b}Koni",
    ] {
        let requests = [
            (
                "POST",
                "/api/v1/areas".to_string(),
                json!({"kind": "village", "name": name, "parent_id": koni}),
                "name",
            ),
            (
                "PATCH",
                format!("/api/v1/areas/{koni}"),
                json!({ "name": name }),
                "name",
            ),
            (
                "POST",
                "/api/v1/recruiters".to_string(),
                json!({"name": name, "kind": "police"}),
                "name",
            ),
            (
                "PATCH",
                format!("/api/v1/recruiters/{recruiter}"),
                json!({ "name": name }),
                "name",
            ),
            (
                "POST",
                "/api/v1/event-codes".to_string(),
                json!({"recruiter_id": recruiter, "label": name, "expires_at": expires}),
                "label",
            ),
        ];
        for (method, path, body, field) in requests {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = app.api(method, &path, Some(&admin), Some(body)).await;
            assert_invalid(&response, &[field]);
            assert!(
                !response.text.contains(name),
                "{name:?} came back: {}",
                response.text
            );
        }
    }
    assert_eq!(app.api_get("/api/v1/areas", &admin).await.json(), before);
    assert_eq!(
        app.api_get("/api/v1/event-codes", &admin).await.json(),
        json!([])
    );
    let recruiters = app.api_get("/api/v1/recruiters", &admin).await.json();
    assert_eq!(recruiters["items"].as_array().unwrap().len(), 1);

    // Joiners that Indian scripts need inside a word are letters' business, not invisible names.
    let village = app
        .api_post(
            "/api/v1/areas",
            &admin,
            json!({"kind": "village", "name": "क्\u{200d}षेत्र", "parent_id": koni}),
        )
        .await;
    assert_eq!(village.status, 201, "{}", village.text);
    assert_eq!(village.json()["name"], "क्\u{200d}षेत्र");
}

//! The shape of requests, on every route the OpenAPI document lists: a JSON body is an object
//! (never an array read by position), every bad field is named in one answer, and a path id that
//! is not a whole number from 1 gets a 422 naming `id`.

use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_invalid, assert_problem, figures, officer};
use crate::helpers::{spawn_app, TestApp};

/// Every operation of the document as (method, path, operation).
async fn operations(app: &TestApp) -> Vec<(Method, String, Value)> {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            found.push((method, path.clone(), operation.clone()));
        }
    }
    found
}

#[tokio::test]
async fn every_json_body_must_be_an_object_never_an_array_read_by_position() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    assert_eq!(id, 1);
    let mut checked = Vec::new();
    for (method, path, operation) in operations(&app).await {
        if operation.get("requestBody").is_none() {
            continue;
        }
        let url = path.replace("{id}", "1");
        for not_an_object in [json!(["x", 5, 9]), json!("SI Verma"), json!(5), json!(null)] {
            let response = app
                .api(
                    method.clone(),
                    &url,
                    Some(&admin),
                    Some(not_an_object.clone()),
                )
                .await;
            assert_problem(&response, 422);
            let errors = &response.json()["errors"];
            assert_eq!(errors.as_array().unwrap().len(), 1, "{}", response.text);
            assert_eq!(
                errors[0]["pointer"], "#",
                "{method} {path}: {}",
                response.text
            );
            let detail = errors[0]["detail"].as_str().unwrap();
            assert!(
                detail.contains("expected a JSON object"),
                "{method} {path} {not_an_object}: {detail}"
            );
        }
        checked.push(format!("{method} {path}"));
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "PATCH /api/v1/areas/{id}",
            "PATCH /api/v1/recruiters/{id}",
            "PATCH /api/v1/tips/{id}",
            "POST /api/v1/areas",
            "POST /api/v1/broadcasts",
            "POST /api/v1/broadcasts/dry-run",
            "POST /api/v1/event-codes",
            "POST /api/v1/recruiters",
            "POST /api/v1/tips",
        ]
    );
    // A struct inside a body is an object too: a segment of five items in the order of its
    // fields would fill them by position.
    for path in ["/api/v1/broadcasts/dry-run", "/api/v1/broadcasts"] {
        let by_position = json!({
            "segment": [[], [], [], null, null],
            "drip": true,
            "send_at": "2026-12-02T11:00:00+05:30",
        });
        let response = app.api_post(path, &admin, by_position).await;
        assert_invalid(&response, &["segment"]);
        assert!(
            response.text.contains("expected a JSON object"),
            "{}",
            response.text
        );
    }
    // Nothing was filled in by position.
    let recruiter = figures(&app, &admin, 1).await;
    assert_eq!(recruiter["name"], "SI Verma");
    assert_eq!(recruiter["quota"]["target"], 25);
    let broadcasts = app.api_get("/api/v1/broadcasts", &admin).await.json();
    assert_eq!(broadcasts["items"], json!([]));
}

#[tokio::test]
async fn every_bad_field_of_a_body_or_a_query_is_named_in_one_answer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": 5, "kind": "army", "quota": "lots", "nickname": "V", "area": "x"}),
        )
        .await;
    assert_invalid(&created, &["area", "kind", "name", "nickname", "quota"]);

    let (id, _) = officer(&app, &admin, "SI Verma", None).await;
    let changed = app
        .api_patch(
            &format!("/api/v1/recruiters/{id}"),
            &admin,
            json!({"name": [], "quota": "x", "area": "y"}),
        )
        .await;
    assert_invalid(&changed, &["area", "name", "quota"]);
    assert_eq!(figures(&app, &admin, id).await["name"], "SI Verma");

    let code = app
        .api_post(
            "/api/v1/event-codes",
            &admin,
            json!({"recruiter_id": "one", "label": 7, "expires_at": "tomorrow"}),
        )
        .await;
    assert_invalid(&code, &["expires_at", "label", "recruiter_id"]);

    // A field given twice is named, not settled by whichever came last.
    let twice = app
        .client
        .post(app.url("/api/v1/recruiters"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(r#"{"name": "SI Verma", "kind": "police", "name": "ASI Sahu", "quota": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 422);
    let fields: Vec<String> = twice.json::<Value>().await.unwrap()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["name"]);

    let query = app
        .api_get("/api/v1/people?limit=many&status=happy&stauts=x", &admin)
        .await;
    assert_invalid(&query, &["limit", "status", "stauts"]);
}

#[tokio::test]
async fn a_path_id_that_is_not_a_whole_number_from_1_gets_a_422_naming_id_on_every_route() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut checked = 0;
    for (method, path, operation) in operations(&app).await {
        if !path.contains("{id}") {
            continue;
        }
        let documented = operation["responses"]["422"]["description"].as_str();
        assert!(
            documented.is_some_and(|d| d.contains("path `id`")),
            "{method} {path} documents no 422 for a bad id"
        );
        for bad in [
            "1e3",
            "abc",
            "-1",
            "0",
            "99999999999999999999",
            "1.0",
            "%201",
        ] {
            let url = path.replace("{id}", bad);
            let body = matches!(method, Method::PATCH).then(|| json!({}));
            let response = app.api(method.clone(), &url, Some(&admin), body).await;
            assert_invalid(&response, &["id"]);
            assert!(!response.text.contains("99999"), "{}", response.text);
        }
        checked += 1;
    }
    assert_eq!(checked, 12, "routes with a path id");
}

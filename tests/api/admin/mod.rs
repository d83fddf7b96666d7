//! The admin API, for both roles. Every answer passes `TestApp::api`, which fails the test if
//! it holds any test number in any form.

mod anti_gaming;
mod areas;
mod audit;
mod auth;
mod bodies;
mod cascade;
mod cli;
mod days;
mod errors;
mod event_codes;
mod exports;
mod openapi;
mod people;
mod recruiters;
mod scan;
mod suppression;

use chrono::{DateTime, TimeZone as _, Utc};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// A fixed morning for joins (10:00 IST on 28 November 2026).
pub fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 4, 30, 0).unwrap()
}

/// The id of the thana called `name` (the built-in Bilaspur areas are loaded at start).
pub async fn thana(app: &TestApp, token: &str, name: &str) -> i64 {
    let areas = app.api_get("/api/v1/areas", token).await.json();
    areas
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "thana" && a["name"] == name)
        .unwrap_or_else(|| panic!("no thana {name}"))["id"]
        .as_i64()
        .unwrap()
}

/// A new village under the thana called `thana_name`.
pub async fn village(app: &TestApp, token: &str, thana_name: &str, name: &str) -> i64 {
    let parent = thana(app, token, thana_name).await;
    let created = app
        .api_post(
            "/api/v1/areas",
            token,
            json!({"kind": "village", "name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_i64().unwrap()
}

/// A police recruiter in `area`.
pub async fn officer(app: &TestApp, token: &str, name: &str, area: Option<i64>) -> (i64, String) {
    app.add_recruiter(token, json!({"name": name, "kind": "police", "area": area}))
        .await
}

/// The recruiter's figures as an admin or officer sees them.
pub async fn figures(app: &TestApp, token: &str, id: i64) -> Value {
    let response = app
        .api_get(&format!("/api/v1/recruiters/{id}"), token)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

/// Whether an answer is an RFC 9457 problem with this status.
pub fn assert_problem(response: &crate::helpers::ApiResponse, status: u16) {
    assert_eq!(response.status, status, "{}", response.text);
    assert_eq!(
        response.content_type(),
        "application/problem+json",
        "{}",
        response.text
    );
    assert_eq!(response.json()["status"], status);
}

/// The fields a 422 names, sorted.
pub fn invalid_fields(response: &crate::helpers::ApiResponse) -> Vec<String> {
    let mut fields: Vec<String> = response.json()["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    fields
}

/// A 422 problem naming exactly these fields (in any order).
pub fn assert_invalid(response: &crate::helpers::ApiResponse, fields: &[&str]) {
    assert_problem(response, 422);
    let mut expected: Vec<&str> = fields.to_vec();
    expected.sort();
    assert_eq!(invalid_fields(response), expected, "{}", response.text);
}

/// The row of the area called `name` in `/stats`.
pub fn area_row<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {stats}"))
}

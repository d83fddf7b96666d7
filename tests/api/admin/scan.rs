//! No answer of the admin API holds a phone number. `TestApp::api` scans every answer the
//! suite gets for every test number in every form; these tests make sure the scan can fail, and
//! send numbers in through every door to see that none comes back out.

use reqwest::Method;
use serde_json::json;

use super::{morning, officer, thana};
use crate::helpers::{assert_no_number_in, number_forms, spawn_app, villager, TEST_NUMBERS};

#[test]
fn the_scan_catches_a_number_in_every_form() {
    for form in number_forms(&villager(42)) {
        let body = format!("{{\"note\":\"call {form} now\"}}");
        let caught = std::panic::catch_unwind(|| assert_no_number_in(&body, "a test body"));
        assert!(caught.is_err(), "{form} was not caught");
    }
    assert_no_number_in(
        "{\"hint\":\"42\",\"masked\":\"+91******42\"}",
        "a masked body",
    );
}

#[tokio::test]
async fn numbers_sent_through_every_door_never_come_back_out() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let (id, code) = officer(&app, &admin, "SI Verma", Some(koni)).await;
    for number in TEST_NUMBERS {
        app.join(number, Some(&code), morning()).await;
    }
    let officer_token = app.officer_token(id).await;
    let number = TEST_NUMBERS[0];
    let digits: i64 = number[1..].parse().unwrap();

    // Numbers where they do not belong: in names, as JSON numbers, in query strings.
    let refused = [
        json!({"name": format!("Verma {number}"), "kind": "police"}),
        json!({"name": "Verma", "kind": "police", "phone": digits}),
        json!({"name": "Verma", "kind": "police", "phone": "+91 12345 67890"}),
        json!({"name": "Verma", "kind": "police", "quota": digits}),
        json!({"name": "Verma", "kind": "police", number: 1}),
    ];
    for body in refused {
        let response = app
            .api_post("/api/v1/recruiters", &admin, body.clone())
            .await;
        assert_eq!(response.status, 422, "{body}: {}", response.text);
    }
    for form in number_forms(number) {
        let encoded = form.replace('+', "%2B");
        for path in [
            format!("/api/v1/people?area={encoded}"),
            format!("/api/v1/people?{encoded}=1"),
            format!("/api/v1/recruiters/{encoded}"),
            format!("/api/v1/stats?from={encoded}"),
        ] {
            // Refused or answered, as the value allows; scanned either way.
            let response = app.api_get(&path, &admin).await;
            assert!(response.status < 500, "{path}: {}", response.text);
        }
    }

    // Every read, by both roles, with people and a recruiter phone in the database.
    app.add_recruiter(
        &admin,
        json!({"name": "ASI Sahu", "kind": "police", "phone": number}),
    )
    .await;
    for token in [&admin, &officer_token] {
        for path in [
            "/api/v1/me".to_string(),
            "/api/v1/areas".into(),
            "/api/v1/recruiters".into(),
            format!("/api/v1/recruiters/{id}"),
            format!("/api/v1/recruiters/{id}/tree"),
            "/api/v1/event-codes".into(),
            "/api/v1/people".into(),
            "/api/v1/stats".into(),
            "/api/v1/exports/areas.csv".into(),
            "/api/v1/exports/recruiters.csv".into(),
            "/api/v1/audit".into(),
            "/api/v1/tokens".into(),
        ] {
            app.api(Method::GET, &path, Some(token), None).await;
        }
    }
    let people = app.api_get("/api/v1/people", &admin).await.json();
    let hints: Vec<&str> = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["hint"].as_str().unwrap())
        .collect();
    assert_eq!(hints, ["10", "45", "99"], "two digits at most");
}

#[tokio::test]
async fn a_number_typed_into_a_count_an_order_or_a_key_is_refused_without_being_repeated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (recruiter, _) = officer(&app, &admin, "SI Verma", None).await;
    let number = TEST_NUMBERS[0];
    let digits: i64 = number[1..].parse().unwrap();
    let refused = [
        (
            Method::POST,
            "/api/v1/event-codes".to_string(),
            json!({"recruiter_id": recruiter, "label": "Camp", "expires_at": "2030-01-01T00:00:00Z",
                   "max_uses": digits}),
            "max_uses",
        ),
        (
            Method::POST,
            "/api/v1/tips".into(),
            json!({"category": "otp_pin_sharing", "texts": {"en": "Never share your OTP. Call 1930."},
                   "order": digits}),
            "order",
        ),
        (
            Method::PATCH,
            "/api/v1/tips/1".into(),
            json!({"order": digits}),
            "order",
        ),
        (
            Method::PATCH,
            "/api/v1/tips/1".into(),
            json!({"order": i64::MIN}),
            "order",
        ),
        (
            Method::POST,
            "/api/v1/tips".into(),
            json!({"category": number[1..].to_string(), "texts": {"en": "Call 1930."}}),
            "category",
        ),
        (
            Method::POST,
            "/api/v1/tips".into(),
            json!({"category": "otp_pin_sharing", "texts": {number: "Call 1930."}}),
            "texts.…",
        ),
        (
            Method::POST,
            "/api/v1/broadcasts/dry-run".into(),
            json!({"tip_id": 1, "segment": {"areas": [digits]}, "send_at": "2026-12-02T11:00:00Z"}),
            "segment.areas",
        ),
    ];
    for (method, path, body, field) in refused {
        let response = app
            .api(method, &path, Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(response.status, 422, "{body}: {}", response.text);
        let fields: Vec<String> = response.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert!(fields.iter().any(|f| f == field), "{body}: {fields:?}");
    }
}

//! The OpenAPI document: 3.1, generated from the handlers, listing every route the API serves.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

/// Every operation of the admin API; a route added without a line here fails this test.
const ROUTES: [&str; 36] = [
    "GET /api/v1/me",
    "GET /api/v1/areas",
    "POST /api/v1/areas",
    "PATCH /api/v1/areas/{id}",
    "GET /api/v1/recruiters",
    "POST /api/v1/recruiters",
    "GET /api/v1/recruiters/{id}",
    "PATCH /api/v1/recruiters/{id}",
    "GET /api/v1/recruiters/{id}/tree",
    "GET /api/v1/event-codes",
    "POST /api/v1/event-codes",
    "GET /api/v1/event-codes/{code}",
    "GET /api/v1/people",
    "DELETE /api/v1/people/{id}",
    "GET /api/v1/stats",
    "GET /api/v1/scam-checks",
    "GET /api/v1/fraud-reports",
    "GET /api/v1/exports/fraud-reports.csv",
    "GET /api/v1/exports/areas.csv",
    "GET /api/v1/exports/recruiters.csv",
    "GET /api/v1/audit",
    "GET /api/v1/tokens",
    "DELETE /api/v1/tokens/{id}",
    "GET /api/v1/tips",
    "POST /api/v1/tips",
    "GET /api/v1/tips/{id}",
    "PATCH /api/v1/tips/{id}",
    "POST /api/v1/broadcasts",
    "POST /api/v1/broadcasts/dry-run",
    "GET /api/v1/broadcasts",
    "GET /api/v1/broadcasts/{id}",
    "POST /api/v1/broadcasts/{id}/pause",
    "POST /api/v1/broadcasts/{id}/resume",
    "POST /api/v1/broadcasts/{id}/cancel",
    // Served without a token, and not part of the document itself:
    "GET /api/v1/openapi.json",
    "GET /healthz",
];

/// Every `$ref` in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route_of_the_api() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "mitan admin API");

    let mut gets = Vec::new();
    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                operation_ids.insert(id.to_string()),
                "operationId {id} twice"
            );
            // The roles a token needs, as the bearer scheme's list; checked against the server
            // below.
            let roles = &operation["security"][0]["bearer"];
            assert!(
                [json!(["admin"]), json!(["admin", "officer"])].contains(roles),
                "{method} {path} names the roles it needs: {}",
                operation["security"]
            );
            if method == "get" && !path.contains('{') {
                gets.push((path.clone(), roles.clone()));
            }
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has a summary"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|code| code.starts_with('2')),
                "{method} {path}"
            );
            assert!(responses.contains_key("401"), "{method} {path}");
            assert!(responses.contains_key("403"), "{method} {path}");
        }
    }
    // An officer is refused exactly the operations the document says need an admin.
    let (officer_id, _) = crate::helpers::officer(&app, None).await;
    let officer = app.officer_token(officer_id).await;
    for (path, roles) in &gets {
        let status = app.api_get(path, &officer).await.status;
        let officers_may = roles.as_array().unwrap().contains(&json!("officer"));
        assert_eq!(status == 403, !officers_may, "{path}: {status} for {roles}");
    }
    let expected: BTreeSet<String> = ROUTES
        .iter()
        .filter(|route| route.contains(" /api/v1/") && !route.ends_with("openapi.json"))
        .map(|route| route.to_string())
        .collect();
    assert_eq!(documented, expected);
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // Every reference resolves to a schema of the document.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {target}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is missing"
        );
    }
}

#[tokio::test]
async fn every_route_the_router_serves_is_in_the_list_and_unknown_ones_are_404() {
    let app = spawn_app().await;
    // Each listed route is served (never the 404 of an unknown route) ...
    for route in ROUTES {
        let (method, path) = route.split_once(' ').unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method, app.url(&path.replace("{id}", "1")))
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), 404, "{route} is not served");
        assert_ne!(
            response.status(),
            405,
            "{route} is not served with this method"
        );
    }
    // ... and nothing else under /api/v1 is.
    for path in [
        "/api/v1",
        "/api/v1/",
        "/api/v1/person",
        "/api/v1/recruiters/1/codes",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn every_create_answers_where_the_new_resource_lives() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let creates = [
        (
            "/api/v1/areas",
            json!({"kind": "district", "name": "Mungeli"}),
        ),
        (
            "/api/v1/recruiters",
            json!({"name": "SI Verma", "kind": "police"}),
        ),
        (
            "/api/v1/tips",
            json!({"category": "otp_pin_sharing", "texts": {"en": "Never share an OTP. Call 1930."}}),
        ),
        (
            "/api/v1/broadcasts",
            json!({"drip": true, "send_at": "2026-12-02T05:30:00Z"}),
        ),
        (
            "/api/v1/event-codes",
            json!({"recruiter_id": 1, "label": "NSS camp", "expires_at": "2026-12-31T18:30:00Z"}),
        ),
    ];
    for (path, body) in creates {
        let documented = &doc["paths"][path]["post"]["responses"]["201"]["headers"]["Location"];
        assert!(documented.is_object(), "{path} documents its Location");
        let made = app.api_post(path, &admin, body).await;
        assert_eq!(made.status, 201, "{path}: {}", made.text);
        // An event code's address is its code; everything else's its id.
        let key = if path.ends_with("event-codes") {
            "code"
        } else {
            "id"
        };
        let id = made.json()[key].clone();
        let location = made.headers["location"].to_str().unwrap().to_string();
        let shown = id.as_str().map_or_else(|| id.to_string(), str::to_string);
        assert_eq!(location, format!("{path}/{shown}"));
        // Areas are changed at their address, not read there; the others are read back.
        let again = if path.ends_with("areas") {
            app.api_patch(&location, &admin, json!({"name": "Mungeli district"}))
                .await
        } else {
            app.api_get(&location, &admin).await
        };
        assert_eq!(again.status, 200, "{location}: {}", again.text);
        assert_eq!(again.json()[key], id, "{location}");
        if key == "code" {
            // Officers read only their subtree's codes; a code that is no code is named.
            let (other, _) = crate::helpers::officer(&app, None).await;
            let officer = app.officer_token(other).await;
            assert_eq!(app.api_get(&location, &officer).await.status, 403);
            let bad = app.api_get("/api/v1/event-codes/12ab", &admin).await;
            assert_eq!(bad.status, 422, "{}", bad.text);
            assert!(bad.text.contains("\"code\""), "{}", bad.text);
            assert_eq!(
                app.api_get("/api/v1/event-codes/99999999", &admin)
                    .await
                    .status,
                404
            );
        }
    }
}

use crate::helpers::{raw_sql, spawn_app, spawn_app_with};
use figment::providers::Serialized;

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_ok_once_the_database_is_migrated() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_does_not_answer() {
    let app = spawn_app().await;
    app.state.store.close().await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_missing() {
    let app = spawn_app().await;
    // Someone rolls back the record of the newest migration behind the service's back.
    raw_sql(
        &app.db,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await
    .unwrap();
    assert_eq!(app.get("/readyz").await.status(), 503);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{route="/healthz",method="GET",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",method="GET",status="404""#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_routes_get_a_problem_json_404() {
    let app = spawn_app().await;
    let response = app.get("/webhooks").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("server.max_body_bytes", 1024))).await;
    let response = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let small = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 16])
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 405);
}

#[tokio::test]
async fn the_production_example_removes_the_unauthenticated_console_channel_and_the_simulator() {
    use figment::providers::{Format as _, Toml};
    let production =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/production.example.toml");
    let app = spawn_app_with(|test| {
        let db: String = test.extract_inner("database.url").unwrap();
        // The aggregator's credentials come from the environment in production.
        let credentials = ["account_sid", "api_key", "api_token", "entity_id", "header"];
        credentials.iter().fold(
            test.merge(Toml::file(production))
                .merge(Serialized::default("database.url", db))
                .merge(Serialized::default("server.bind", "127.0.0.1:0")),
            |figment, key| {
                figment.merge(Serialized::default(&format!("channels.exotel.{key}"), "x1"))
            },
        )
    })
    .await;
    assert!(!app.state.settings.channels.contains_key("console"));
    let response = app
        .client
        .post(app.url("/webhooks/console/ussd"))
        .form(&[
            ("sessionId", "x"),
            ("phoneNumber", "+919876543210"),
            ("text", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    for path in ["/simulator", "/admin/simulator"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

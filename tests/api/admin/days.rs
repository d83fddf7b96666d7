//! Joins are counted by the campaign's days (Asia/Kolkata), not by UTC days.

use chrono::{TimeZone as _, Utc};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_join_after_midnight_in_bilaspur_counts_for_the_new_day() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // 15:00 IST on the 28th, and 01:30 IST on the 29th (still the 28th in UTC).
    app.join(
        "+919876543210",
        None,
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 30, 0).unwrap(),
    )
    .await;
    app.join(
        "+917000012345",
        None,
        Utc.with_ymd_and_hms(2026, 11, 28, 20, 0, 0).unwrap(),
    )
    .await;
    let stats = app
        .api_get("/api/v1/stats?from=2026-11-27&to=2026-11-29", &admin)
        .await
        .json();
    assert_eq!(
        stats["joins_per_day"],
        serde_json::json!([{"day": "2026-11-28", "joins": 1}, {"day": "2026-11-29", "joins": 1}])
    );
}

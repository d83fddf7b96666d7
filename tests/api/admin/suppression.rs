//! Small-count suppression: an officer sees a count under five that describes the people of a
//! village only as "<5"; an admin sees it exactly, and thana and district counts stay exact.

use serde_json::Value;

use super::{area_row, figures, morning, officer, village};
use crate::helpers::{spawn_app, villager};

#[tokio::test]
async fn an_officer_sees_small_village_counts_only_as_fewer_than_five() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let birkona = village(&app, &admin, "Koni", "Birkona").await;
    let (id, code) = officer(&app, &admin, "Constable Patel", Some(birkona)).await;
    for n in 0..3 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    let token = app.officer_token(id).await;

    let seen = figures(&app, &token, id).await;
    assert_eq!(seen["direct"]["total"], "<5");
    assert_eq!(seen["direct"]["active"], "<5");
    assert_eq!(seen["direct"]["erased"], "<5", "zero is hidden too");
    assert_eq!(seen["quota"]["credited"], "<5");
    assert_eq!(
        seen["quota"]["percent"],
        Value::Null,
        "a percent would give the count away"
    );
    assert_eq!(seen["figures"]["subtree"]["total"], "<5");
    assert_eq!(seen["figures"]["small_counts_hidden"], true);

    let stats = app.api_get("/api/v1/stats", &token).await.json();
    assert_eq!(area_row(&stats, "Birkona")["people"]["total"], "<5");
    assert_eq!(area_row(&stats, "Birkona")["recruiters"], "<5");
    assert_eq!(
        area_row(&stats, "Koni")["people"]["total"],
        3,
        "a thana's count is exact"
    );
    assert_eq!(area_row(&stats, "Bilaspur")["people"]["total"], 3);

    let tree = app
        .api_get(&format!("/api/v1/recruiters/{id}/tree"), &token)
        .await
        .json();
    assert_eq!(tree["direct"]["total"], "<5");

    let csv = app.api_get("/api/v1/exports/areas.csv", &token).await.text;
    let line = csv.lines().find(|l| l.contains("Birkona")).unwrap();
    assert!(line.ends_with(",<5,<5,<5,<5,<5"), "{line}");

    // The admin sees the same figures exactly.
    let exact = figures(&app, &admin, id).await;
    assert_eq!(exact["direct"]["total"], 3);
    assert_eq!(exact["quota"]["percent"], 12);
    assert_eq!(exact["figures"]["small_counts_hidden"], false);
    let stats = app.api_get("/api/v1/stats", &admin).await.json();
    assert_eq!(area_row(&stats, "Birkona")["people"]["total"], 3);
}

#[tokio::test]
async fn five_or_more_people_of_a_village_are_shown_exactly_to_an_officer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let birkona = village(&app, &admin, "Koni", "Birkona").await;
    let (id, code) = officer(&app, &admin, "Constable Patel", Some(birkona)).await;
    for n in 0..6 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    let token = app.officer_token(id).await;
    let seen = figures(&app, &token, id).await;
    assert_eq!(seen["direct"]["total"], 6);
    assert_eq!(seen["direct"]["opted_out"], "<5");
    assert_eq!(seen["quota"]["percent"], 24);
}

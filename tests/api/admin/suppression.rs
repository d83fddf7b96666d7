//! Small-count suppression: an officer sees a count under five that describes the people of a
//! village only as "<5"; an admin sees it exactly, and thana and district counts stay exact.

use serde_json::Value;

use super::{area_row, figures, morning, officer, village};
use crate::helpers::{spawn_app, villager, TestApp};

/// A constable of the new village Birkona (under Koni) who recruited `recruits` villagers:
/// the admin's token, the constable's recruiter id and officer token.
async fn village_constable(app: &TestApp, recruits: u32) -> (String, i64, String) {
    let admin = app.admin_token().await;
    let birkona = village(app, &admin, "Koni", "Birkona").await;
    let (id, code) = officer(app, &admin, "Constable Patel", Some(birkona)).await;
    for n in 0..recruits {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    let token = app.officer_token(id).await;
    (admin, id, token)
}

#[tokio::test]
async fn an_officer_sees_small_village_counts_only_as_fewer_than_five() {
    let app = spawn_app().await;
    let (admin, id, token) = village_constable(&app, 3).await;

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
    assert_eq!(
        stats["people"]["total"], "<5",
        "the officer's whole subtree is the village"
    );
    assert!(stats["recruiters"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["recruiters"] == "<5"));
    assert_eq!(area_row(&stats, "Birkona")["people"]["total"], "<5");
    assert_eq!(area_row(&stats, "Birkona")["recruiters"], "<5");
    // The thana and district hold only this village's people here: they would give it away.
    assert_eq!(area_row(&stats, "Koni")["people"]["total"], "<5");
    assert_eq!(area_row(&stats, "Bilaspur")["people"]["total"], "<5");

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
async fn a_thana_officer_sees_thana_counts_exactly_and_village_counts_hidden() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = super::thana(&app, &admin, "Koni").await;
    let birkona = village(&app, &admin, "Koni", "Birkona").await;
    let (id, code) = officer(&app, &admin, "SI Verma", Some(koni)).await;
    let (cadet, cadet_code) = app
        .add_recruiter(
            &admin,
            serde_json::json!({"name": "Cadet Dewangan", "kind": "ncc", "area": birkona, "recruited_by": id}),
        )
        .await;
    for n in 0..3 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    for n in 10..12 {
        app.join(&villager(n), Some(&cadet_code), morning()).await;
    }
    let token = app.officer_token(id).await;

    let stats = app.api_get("/api/v1/stats", &token).await.json();
    assert_eq!(stats["people"]["total"], 5);
    assert_eq!(area_row(&stats, "Koni")["people"]["total"], 5);
    assert_eq!(area_row(&stats, "Birkona")["people"]["total"], "<5");
    let own = figures(&app, &token, id).await;
    assert_eq!(
        own["direct"]["total"], 3,
        "the officer's own figures are of a thana"
    );
    assert_eq!(own["figures"]["subtree"]["total"], 5);
    assert_eq!(figures(&app, &token, cadet).await["direct"]["total"], "<5");

    let admin_stats = app.api_get("/api/v1/stats", &admin).await.json();
    assert_eq!(area_row(&admin_stats, "Birkona")["people"]["total"], 2);
}

#[tokio::test]
async fn five_or_more_people_of_a_village_are_shown_exactly_to_an_officer() {
    let app = spawn_app().await;
    let (_, id, token) = village_constable(&app, 6).await;
    let seen = figures(&app, &token, id).await;
    assert_eq!(seen["direct"]["total"], 6);
    assert_eq!(seen["direct"]["opted_out"], "<5");
    assert_eq!(seen["quota"]["percent"], 24);
}

#[tokio::test]
async fn an_officer_does_not_see_a_villages_mitans_one_by_one() {
    let app = spawn_app().await;
    let (admin, id, token) = village_constable(&app, 3).await;

    // Listing them would count the village's people exactly.
    let listed = app.api_get("/api/v1/recruiters", &token).await.json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the officer's own entry: {listed}");
    assert_eq!(items[0]["id"], id);
    let tree = app
        .api_get(&format!("/api/v1/recruiters/{id}/tree"), &token)
        .await
        .json();
    assert!(tree["children"].as_array().unwrap().is_empty(), "{tree}");
    let csv = app
        .api_get("/api/v1/exports/recruiters.csv", &token)
        .await
        .text;
    assert_eq!(csv.lines().count(), 2, "{csv}");

    // Nor one at a time, while the admin sees all three.
    let mitans = app
        .api_get("/api/v1/recruiters?kind=mitan", &admin)
        .await
        .json();
    let mitans = mitans["items"].as_array().unwrap();
    assert_eq!(mitans.len(), 3);
    for mitan in mitans {
        let path = format!("/api/v1/recruiters/{}", mitan["id"]);
        super::assert_problem(&app.api_get(&path, &token).await, 403);
    }
    assert_eq!(
        figures(&app, &token, id).await["figures"]["subtree_recruiters"],
        "<5"
    );
}

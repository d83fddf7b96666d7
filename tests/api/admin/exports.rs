//! CSV exports of the aggregates, for both roles, each one audited.

use super::{morning, officer, thana};
use crate::helpers::{spawn_app, villager};

#[tokio::test]
async fn the_areas_export_rolls_villages_up_into_thanas_and_districts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let (_, code) = officer(&app, &admin, "SI Verma", Some(koni)).await;
    for n in 0..6 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    let export = app.api_get("/api/v1/exports/areas.csv", &admin).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.content_type(), "text/csv; charset=utf-8");
    assert!(export.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("areas.csv"));
    let mut lines = export.text.lines();
    assert_eq!(
        lines.next(),
        Some("area_id,kind,name,parent_id,recruiters,people,active,opted_out,erased")
    );
    let koni_line = export.text.lines().find(|l| l.contains(",Koni,")).unwrap();
    assert!(koni_line.ends_with(",7,6,6,0,0"), "{koni_line}");
    let district = export
        .text
        .lines()
        .find(|l| l.contains(",Bilaspur,"))
        .unwrap();
    assert!(district.ends_with(",7,6,6,0,0"), "{district}");
    assert_eq!(
        export.text.lines().count(),
        1 + 14 + 1,
        "header, 14 areas, no-area row"
    );
}

#[tokio::test]
async fn the_recruiters_export_lists_quota_progress_for_the_tokens_scope() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (verma, code) = officer(&app, &admin, "SI Verma", None).await;
    officer(&app, &admin, "=HYPERLINK(\"x\")", None).await;
    for n in 0..5 {
        app.join(&villager(n), Some(&code), morning()).await;
    }
    let export = app.api_get("/api/v1/exports/recruiters.csv", &admin).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert!(export.text.starts_with(
        "recruiter_id,kind,name,area_id,recruited_by,quota,quota_percent,people,active,opted_out,erased\n"
    ));
    let verma_line = export
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{verma},police,SI Verma,")))
        .unwrap();
    assert!(verma_line.ends_with(",25,20,5,5,0,0"), "{verma_line}");
    assert_eq!(
        export.text.lines().count(),
        1 + 2 + 5,
        "header, two officers, five mitans"
    );
    assert!(
        export.text.contains("\"'=HYPERLINK"),
        "a name a spreadsheet would run is quoted: {}",
        export.text
    );

    let token = app.officer_token(verma).await;
    let theirs = app.api_get("/api/v1/exports/recruiters.csv", &token).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(
        theirs.text.lines().count(),
        1 + 1 + 5,
        "Verma and his five mitans"
    );

    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    let exports: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.csv")
        .collect();
    assert_eq!(
        exports.len(),
        2,
        "both exports are audited, the officer's too"
    );
    assert_eq!(exports[0]["target"], "export:recruiters");
}

//! `/admin/people`: masked people for admins; officers are refused.

use mitan::access::Role;

use crate::helpers::{officer, spawn_app, villager};

#[tokio::test]
async fn admins_see_people_by_their_last_two_digits_only_and_officers_are_refused() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.join(&villager(n), None, chrono::Utc::now()).await;
    }
    let admin = app.signed_in("desk", Role::Admin, None).await;
    // Every page the browser reads is scanned for test numbers in any form.
    let page = admin.get("/admin/people").await;
    assert_eq!(page.status, 200);
    let numbers = page.texts("#people tbody td:nth-child(2)");
    assert_eq!(numbers, ["******00", "******01", "******02"]);
    let active = admin.get("/admin/people?status=opted_out").await;
    assert_eq!(
        active.texts("#people tbody tr td.muted").len(),
        1,
        "nobody stopped"
    );

    let (recruiter, _) = officer(&app, None).await;
    let thana = app.signed_in("thana", Role::Officer, Some(recruiter)).await;
    let refused = thana.get("/admin/people").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("admins"), "{}", refused.body);
    // Nor is the page in an officer's navigation.
    let overview = thana.get("/admin").await;
    assert_eq!(overview.status, 200);
    assert!(
        overview.texts("nav a").iter().all(|a| a != "People"),
        "{:?}",
        overview.texts("nav a")
    );
}

//! Running the campaign from the browser: a recruiter added in the page and credited with three
//! USSD joins, a tip written with its counter following each key, a broadcast scheduled through
//! its estimate whose figures rise on the open page as the dispatcher sends, paused and resumed.

use chrono::TimeZone as _;
use figment::providers::Serialized;
use mitan::access::Role;
use mitan::clock::Clock as _;
use mitan::outbox::Outcome;
use mitan::planner::{try_plan_one, PlanStep};
use serde_json::json;

use crate::chrome::Chrome;
use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{spawn_app, spawn_app_with, villager, TestApp};

async fn signed_in_admin(app: &TestApp, chrome: &Chrome) {
    let password = app.dashboard_user("desk", Role::Admin, None).await;
    chrome.sign_in("desk", &password).await;
}

/// A villager joins over USSD in English with `code`, as on a handset.
async fn joins_with(app: &TestApp, n: u32, code: &str) {
    let mut phone = app.handset(&villager(n));
    phone.dial().await;
    for input in ["3", "1", code, "1", "1"] {
        phone.press(input).await;
    }
    let done = phone.press("1").await;
    assert!(done.end, "{done:?}");
    done.says("Done!");
}

#[tokio::test]
async fn a_recruiter_added_in_the_page_shows_three_joins_as_three_of_twenty_five() {
    let app = spawn_app().await;
    let chrome = Chrome::open(&app).await;
    signed_in_admin(&app, &chrome).await;

    chrome.goto("/admin/recruiters").await;
    chrome
        .fill("#add-recruiter input[name=name]", "SI Sahu")
        .await;
    chrome
        .select("#add-recruiter select[name=kind]", "police")
        .await;
    chrome.click("#add-recruiter button[type=submit]").await;
    chrome.wait_for_text("h1#name", "SI Sahu").await;
    let page = chrome.path().await;
    assert!(page.starts_with("/admin/recruiters/"), "{page}");
    assert_eq!(chrome.text("#progress .progress-text").await, "0 / 25");
    let code: String = chrome
        .text("#code")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "{code}");

    for n in 0..3 {
        joins_with(&app, n, &code).await;
    }
    chrome.goto(&page).await;
    assert_eq!(chrome.text("#progress .progress-text").await, "3 / 25");
    chrome.screenshot("recruiter-three-joins-en").await;
    chrome.goto("/admin/recruiters").await;
    assert_eq!(
        chrome.text("#recruiters tbody tr .progress-text").await,
        "3 / 25"
    );
    chrome.screenshot("recruiters-three-joins-en").await;
    chrome.close().await;
}

#[tokio::test]
async fn the_tip_counter_follows_each_key_and_marks_what_forces_ucs2() {
    let app = spawn_app().await;
    let chrome = Chrome::open(&app).await;
    signed_in_admin(&app, &chrome).await;
    chrome.goto("/admin/tips/new").await;

    chrome
        .type_into("#text-en", "Never share your OTP. Call 1930.")
        .await;
    chrome.wait_for_text("#count-en .count-chars", "32").await;
    assert_eq!(chrome.text("#count-en .count-encoding").await, "GSM-7");
    assert_eq!(chrome.text("#count-en .count-parts").await, "1");

    // One tick makes the whole text UCS-2, and the counter marks the character that did it
    // (a rupee sign would not: it is sent as "Rs.").
    chrome.type_into("#text-en", " OK ✓").await;
    chrome
        .wait_for_text("#count-en .count-encoding", "UCS-2")
        .await;
    assert_eq!(chrome.text("#count-en .count-chars").await, "37");
    assert_eq!(chrome.text("#count-en mark").await, "✓");

    // A link is called out before anything is saved.
    chrome
        .type_into("#text-hi", "OTP किसी को न बताएं। http://bit.ly/x")
        .await;
    chrome.find("#count-hi .count-checks li").await;
    assert_eq!(chrome.text("#count-hi .count-encoding").await, "UCS-2");
    chrome.screenshot("tip-editor-en").await;
    chrome.close().await;
}

/// Bilaspur wall-clock time.
fn ist(d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::Asia::Kolkata
        .with_ymd_and_hms(2026, 12, d, h, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn a_broadcast_is_estimated_confirmed_and_its_counts_rise_on_the_open_page() {
    let fake =
        FakeAggregator::start(Canned::json(200, json!({"message_id": "agg-{request}"}))).await;
    let url = fake.url.clone();
    let app = spawn_app_with(move |f| {
        f.merge(Serialized::default("broadcasts.planner", false))
            .merge(Serialized::default("outbound.default_channel", "generic"))
            .merge(Serialized::default("channels.generic.base_url", url))
            // The clock moves days ahead to the due time; the session outlives it.
            .merge(Serialized::default("dashboard.session_hours", 24 * 30))
    })
    .await;
    for n in 0..3 {
        app.join(&villager(n), None, app.clock.now()).await;
    }
    let chrome = Chrome::open(&app).await;
    signed_in_admin(&app, &chrome).await;

    chrome.goto("/admin/broadcasts/new").await;
    let tip = app.state.store.tips().await.unwrap().remove(0).id;
    chrome.select("select[name=tip_id]", &tip.to_string()).await;
    chrome
        .run("document.querySelector('input[name=send_at]').value = '2026-12-02T11:00'")
        .await;
    chrome.click("form.bc-form button[type=submit]").await;
    chrome.wait_for_text("#dry-recipients", "3").await;
    chrome.screenshot("broadcast-estimate-en").await;
    chrome.click("#confirm button").await;
    chrome.wait_for_text("#bc-status", "Scheduled").await;
    // A mark that a reload would wipe: the figures below must change with the page still open.
    chrome.run("window.stillOpen = true").await;

    app.clock.set(ist(2, 11));
    while try_plan_one(&app.state.planning(), app.clock.now())
        .await
        .unwrap()
        != PlanStep::Idle
    {}
    chrome.wait_for_text("#bc-planned", "3").await;
    chrome.wait_for_text("#bc-status", "Sending").await;

    chrome.click("#bc-pause").await;
    chrome.wait_for_text("#bc-status", "Paused").await;
    assert_eq!(
        app.dispatcher().try_dispatch_one().await.unwrap(),
        Outcome::Idle,
        "nothing is sent while paused"
    );
    chrome.click("#bc-resume").await;
    chrome.wait_for_text("#bc-status", "Sending").await;
    chrome.run("window.stillOpen = true").await;

    for sent in 1..=3 {
        assert_eq!(
            app.dispatcher().try_dispatch_one().await.unwrap(),
            Outcome::Sent
        );
        chrome.wait_for_text("#bc-sent", &sent.to_string()).await;
    }
    chrome.wait_for_text("#bc-status", "Done").await;
    assert_eq!(chrome.text("#bc-remaining").await, "0");
    assert_eq!(chrome.run("return window.stillOpen === true").await, true);
    assert_eq!(fake.requests().len(), 3);
    chrome.screenshot("broadcast-done-en").await;
    chrome.close().await;
}

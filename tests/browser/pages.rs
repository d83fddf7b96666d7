//! The dashboard as its users meet it, in headless Chromium.

use mitan::access::Role;
use mitan::clock::Clock as _;

use crate::chrome::Chrome;
use crate::helpers::{officer, spawn_app, villager, TestApp};

/// Signs the browser in as a new dashboard user.
async fn signed_in(app: &TestApp, chrome: &Chrome, name: &str, role: Role, recruiter: Option<i64>) {
    let password = app.dashboard_user(name, role, recruiter).await;
    chrome.sign_in(name, &password).await;
}

#[tokio::test]
async fn the_cyber_cell_signs_in_reads_the_campaign_in_both_languages_and_signs_out() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.join(&villager(n), None, app.clock.now()).await;
    }
    let chrome = Chrome::open(&app).await;
    chrome.goto("/admin").await;
    assert_eq!(chrome.path().await, "/admin/login", "not signed in yet");
    signed_in(&app, &chrome, "desk", Role::Admin, None).await;
    assert_eq!(chrome.path().await, "/admin");
    assert_eq!(chrome.text("#active-mitans").await, "3");
    // htmx came from the binary itself and the page's policy let it run.
    assert_eq!(chrome.run("return typeof htmx").await, "object");
    chrome.screenshot("overview-en").await;

    chrome.click("form[action='/admin/language'] button").await;
    chrome
        .wait_for_text("header.top nav a[href='/admin']", "सारांश")
        .await;
    assert_eq!(
        chrome.run("return document.documentElement.lang").await,
        "hi"
    );
    chrome.screenshot("overview-hi").await;

    // The choice is the user's: a new browser signed in as the same user reads Hindi too.
    chrome.goto("/admin/people").await;
    chrome.wait_for_text("h1", "लोग").await;
    let masked = chrome.text("#people tbody tr td:nth-child(2)").await;
    assert_eq!(masked, "******00");
    chrome.screenshot("people-hi").await;

    chrome.click("form[action='/admin/logout'] button").await;
    chrome.find("input[name=password]").await;
    chrome.goto("/admin/people").await;
    assert_eq!(chrome.path().await, "/admin/login", "the session ended");
    chrome.close().await;
}

#[tokio::test]
async fn an_officer_sees_the_overview_and_is_refused_the_people_page() {
    let app = spawn_app().await;
    let (recruiter, code) = officer(&app, None).await;
    for n in 0..3 {
        let mut phone = app.handset(&villager(n));
        phone.dial().await;
        for input in ["3", "1", code.as_str(), "1", "1"] {
            phone.press(input).await;
        }
        assert!(phone.press("1").await.end, "joined");
    }
    let chrome = Chrome::open(&app).await;
    signed_in(&app, &chrome, "thana", Role::Officer, Some(recruiter)).await;
    let nav = chrome.text("header.top nav").await;
    assert!(!nav.contains("People"), "{nav}");
    chrome.screenshot("officer-overview-en").await;

    chrome.goto("/admin/people").await;
    assert!(
        chrome.text("main").await.contains("admins"),
        "{}",
        chrome.source().await
    );
    assert!(!chrome.source().await.contains("******"));
    chrome.screenshot("officer-refused-en").await;
    chrome.close().await;
}

/// A campaign with something on every page: three people, an officer, a scheduled broadcast;
/// every dashboard page and the name its screenshots get.
async fn every_page(app: &TestApp) -> Vec<(String, String)> {
    for n in 0..3 {
        app.join(&villager(n), None, app.clock.now()).await;
    }
    let (recruiter, _) = officer(app, None).await;
    let tip = app
        .state
        .store
        .tips()
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    let setup = app.signed_in("setup", Role::Admin, None).await;
    let created = setup
        .post(
            "/admin/broadcasts",
            &[
                ("tip_id", tip.as_str()),
                ("send_at", "2026-12-02T11:00"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let broadcast = created.location.expect("the broadcast's page");
    // A fraud number three villagers reported, and a forwarded scam.
    for n in 0..3 {
        app.text(&villager(n + 10), "REPORT 98888 12345 whatsapp lottery")
            .await;
    }
    app.text(
        &villager(20),
        "Dear customer your SBI account will be blocked today, update KYC at sbi-kyc.in/u now",
    )
    .await;
    [
        ("/admin", "overview"),
        (&format!("/admin/recruiters/{recruiter}"), "recruiter"),
        ("/admin/recruiters", "recruiters"),
        ("/admin/tips", "tips"),
        ("/admin/tips/new", "tip-new"),
        (&format!("/admin/tips/{tip}"), "tip"),
        ("/admin/broadcasts", "broadcasts"),
        ("/admin/broadcasts/new", "broadcast-new"),
        (&broadcast, "broadcast"),
        ("/admin/people", "people"),
        ("/admin/audit", "audit"),
        ("/admin/exports", "exports"),
        ("/admin/tokens", "tokens"),
        ("/admin/scams", "scams"),
        ("/admin/reports", "reports"),
    ]
    .into_iter()
    .map(|(path, name)| (path.to_string(), name.to_string()))
    .collect()
}

#[tokio::test]
async fn every_page_in_english_and_hindi_kept_as_screenshots() {
    let app = spawn_app().await;
    let pages = every_page(&app).await;
    let chrome = Chrome::open(&app).await;
    signed_in(&app, &chrome, "desk", Role::Admin, None).await;
    for lang in ["en", "hi"] {
        if lang == "hi" {
            chrome.click("form[action='/admin/language'] button").await;
            chrome
                .wait_for_text("header.top nav a[href='/admin']", "सारांश")
                .await;
        }
        for (path, name) in &pages {
            chrome.goto(path).await;
            assert_eq!(chrome.path().await, *path);
            assert!(!chrome.text("main h1").await.is_empty(), "{path}");
            assert_eq!(
                chrome.run("return document.documentElement.lang").await,
                lang,
                "{path}"
            );
            chrome.screenshot(&format!("{name}-{lang}")).await;
        }
    }
    chrome.close().await;
}

#[tokio::test]
async fn every_page_fits_a_phone_without_sideways_scrolling() {
    let app = spawn_app().await;
    let pages = every_page(&app).await;
    let chrome = Chrome::sized(&app, 390, 844).await;
    signed_in(&app, &chrome, "desk", Role::Admin, None).await;
    for (path, name) in &pages {
        chrome.goto(path).await;
        chrome.find("main h1").await;
        let overflow = chrome
            .run("return document.documentElement.scrollWidth - window.innerWidth")
            .await;
        assert!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "{path} is {overflow} px wider than a phone"
        );
        chrome.screenshot(&format!("phone-{name}-en")).await;
    }
    chrome.close().await;
}

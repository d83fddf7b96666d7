//! `/admin/recruiters`: the list with search and quota progress, the add form (good, bad and
//! doubled input), a recruiter's page with the cascade and event codes; admins only.

use mitan::access::Role;
use mitan::clock::Clock as _;

use crate::admin::{thana, village};
use crate::helpers::{count, spawn_app, villager, Browser, Page, TestApp, RECRUITER_NUMBERS};

/// A form as the browser posts it.
type Form<'a> = &'a [(&'a str, &'a str)];

async fn recruiters(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM recruiters").await
}

/// Adds a recruiter through the form; returns its id (from the redirect) and its page.
async fn add<'a>(browser: &Browser<'a>, form: &[(&str, &str)]) -> (i64, Page) {
    let answer = browser.post("/admin/recruiters", form).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.location.expect("a redirect");
    let id = location
        .strip_prefix("/admin/recruiters/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{location}"));
    (id, browser.get(&location).await)
}

/// The list's row of the recruiter called `name`, cell by cell.
fn row_of(page: &Page, id: i64) -> Vec<String> {
    page.texts(&format!("#recruiters tr[data-id=\"{id}\"] td"))
}

#[tokio::test]
async fn the_list_shows_each_recruiter_masked_with_their_code_and_progress_and_searches_by_name() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let koni = thana(&app, &app.admin_token().await, "Koni").await;
    let koni = koni.to_string();
    let (verma, _) = add(
        &admin,
        &[
            ("name", "SI Verma"),
            ("kind", "police"),
            ("phone", RECRUITER_NUMBERS[0]),
            ("area", &koni),
        ],
    )
    .await;
    let (college, _) = add(&admin, &[("name", "CMD College NSS"), ("kind", "nss")]).await;

    let page = admin.get("/admin/recruiters").await;
    assert_eq!(page.status, 200);
    let code = app
        .state
        .store
        .recruiter(verma)
        .await
        .unwrap()
        .unwrap()
        .code
        .unwrap();
    let row = row_of(&page, verma);
    assert_eq!(row[0], "SI Verma");
    assert_eq!(row[1], "Police");
    assert_eq!(row[2], "Koni");
    assert_eq!(row[3], "******78", "the last two digits only");
    assert_eq!(row[4], code);
    assert_eq!(
        page.text(&format!(
            "#recruiters tr[data-id=\"{verma}\"] .progress-text"
        )),
        "0 / 25"
    );
    assert_eq!(
        page.texts(&format!(
            "#recruiters tr[data-id=\"{verma}\"] progress[value=\"0\"][max=\"25\"]"
        ))
        .len(),
        1
    );
    assert_eq!(
        page.texts(&format!(
            "#recruiters a[href=\"/admin/recruiters/{college}\"]"
        )),
        ["CMD College NSS"]
    );
    assert!(!page.body.contains("style="), "no inline styles (CSP)");

    let found = admin.get("/admin/recruiters?q=verma").await;
    assert_eq!(found.status, 200);
    assert_eq!(found.texts("#recruiters td.name"), ["SI Verma"]);
    assert!(found.body.contains("value=\"verma\""), "the search is kept");
    let none = admin.get("/admin/recruiters?q=nobody+here").await;
    assert_eq!(none.texts("#recruiters td.name").len(), 0);
    assert_eq!(none.texts("#recruiters td.muted").len(), 1);
    // The add form offers every kind the API adds, not mitans, and the areas.
    let kinds = page.texts("#add-recruiter select[name=kind] option");
    assert_eq!(kinds, ["Police", "NCC", "NSS", "SPO", "NGO"]);
    let hindi = admin.post("/admin/language", &[("language", "hi")]).await;
    assert_eq!(hindi.status, 303);
    let hindi = admin.get("/admin/recruiters").await;
    assert_eq!(hindi.text("#add"), "भर्ती करने वाला जोड़ें");
    assert_eq!(row_of(&hindi, verma)[1], "पुलिस");
    assert!(page
        .texts("#add-recruiter select[name=area] option")
        .contains(&"Koni (thana)".to_string()));
}

#[tokio::test]
async fn the_list_pages_through_many_recruiters() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    for n in 0..51 {
        add(&admin, &[("name", &format!("Cadet {n}")), ("kind", "ncc")]).await;
    }
    let first = admin.get("/admin/recruiters?q=cadet").await;
    assert_eq!(first.texts("#recruiters td.name").len(), 50);
    let document = scraper::Html::parse_document(&first.body);
    let link = scraper::Selector::parse("a.next").unwrap();
    let next = document
        .select(&link)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a next page")
        .to_string();
    assert!(next.contains("q=cadet"), "{next}");
    let second = admin.get(&next).await;
    assert_eq!(second.texts("#recruiters td.name"), ["Cadet 50"]);
    assert!(!second.body.contains("class=\"next\""));
    // A cursor that is not a number starts again; it is never a 500.
    assert_eq!(admin.get("/admin/recruiters?after=x").await.status, 200);
}

#[tokio::test]
async fn a_new_recruiter_s_page_shows_their_code_and_three_joins_make_three_of_twenty_five() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let (id, page) = add(&admin, &[("name", "SI Sahu"), ("kind", "police")]).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("h1#name"), "SI Sahu");
    let code = page.text("#code");
    assert_eq!(code.len(), 6, "{code}");
    assert_eq!(page.text("#progress .progress-text"), "0 / 25");
    let audited = count(
        &app,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'recruiter.create' AND target = 'recruiter:{id}' AND actor LIKE '%desk%'"),
    )
    .await;
    assert_eq!(
        audited, 1,
        "the form's add is audited as the API's, by the user"
    );

    for n in 0..3 {
        app.join(&villager(n), Some(&code), app.clock.now()).await;
    }
    let page = admin.get(&format!("/admin/recruiters/{id}")).await;
    assert_eq!(page.text("#progress .progress-text"), "3 / 25");
    assert_eq!(
        page.texts("#progress progress[value=\"3\"][max=\"25\"]")
            .len(),
        1
    );
    assert_eq!(page.text("#subtree"), "3");
    let list = admin.get("/admin/recruiters").await;
    assert_eq!(
        list.text(&format!("#recruiters tr[data-id=\"{id}\"] .progress-text")),
        "3 / 25"
    );
    // The three mitans hang below in the tree, with their (no) recruits.
    let tree = page.texts("#tree > ul > li .direct");
    assert_eq!(tree, ["0", "0", "0"]);
}

#[tokio::test]
async fn a_long_cascade_lists_its_nearest_two_hundred_and_says_how_many_there_are() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let (id, page) = add(&admin, &[("name", "SI Sahu"), ("kind", "police")]).await;
    let code = page.text("#code");
    // More people than the suite's named villagers.
    let person = |n: u32| format!("+9161{n:08}");
    // 190 direct recruits, and 15 recruited by the first of them: 205 below, 200 listed, the
    // whole first generation among them.
    let mut first = None;
    for n in 0..190 {
        let joined = app.join(&person(n), Some(&code), app.clock.now()).await;
        first.get_or_insert(joined.own_code().to_string());
    }
    let first = first.unwrap();
    for n in 190..205 {
        app.join(&person(n), Some(&first), app.clock.now()).await;
    }
    let page = admin.get(&format!("/admin/recruiters/{id}")).await;
    assert_eq!(page.texts("#tree li").len(), 200);
    assert_eq!(page.texts("#tree > ul > li").len(), 190);
    let cut = page.text("#tree-cut");
    assert!(cut.contains("200 of 205"), "{cut}");
    // A short cascade is listed whole, without the note.
    let (other, page) = add(&admin, &[("name", "SI Verma"), ("kind", "police")]).await;
    app.join(&person(300), Some(&page.text("#code")), app.clock.now())
        .await;
    let page = admin.get(&format!("/admin/recruiters/{other}")).await;
    assert_eq!(page.texts("#tree li").len(), 1);
    assert!(page.texts("#tree-cut").is_empty());
}

/// Posts `form` to the add form and expects 422 with `field`'s problem holding `says`, and no
/// recruiter written.
async fn refused(
    app: &TestApp,
    browser: &Browser<'_>,
    form: &[(&str, &str)],
    field: &str,
    says: &str,
) -> Page {
    let before = recruiters(app).await;
    let page = browser.post("/admin/recruiters", form).await;
    assert_eq!(page.status, 422, "{form:?}: {}", page.body);
    let problem = page.text(&format!(".problem[data-field={field}]"));
    assert!(problem.contains(says), "{field}: {problem}");
    assert_eq!(recruiters(app).await, before, "{form:?} wrote a recruiter");
    page
}

#[tokio::test]
async fn bad_input_is_refused_by_field_with_the_values_kept_and_nothing_written() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let koni = thana(&app, &app.admin_token().await, "Koni")
        .await
        .to_string();

    // A good phone beside a bad name: the page never shows the phone back, in any form (every
    // page the browser reads is scanned for the test numbers).
    let page = refused(
        &app,
        &admin,
        &[
            ("name", "  "),
            ("kind", "nss"),
            ("phone", RECRUITER_NUMBERS[1]),
            ("area", &koni),
        ],
        "name",
        "visible",
    )
    .await;
    assert!(page
        .body
        .contains("name=\"phone\" type=\"tel\" autocomplete=\"off\" maxlength=\"20\">"));
    assert_eq!(page.texts("#phone-again").len(), 1);
    assert_eq!(
        page.texts("select[name=kind] option[selected]"),
        ["NSS"],
        "the kind is kept"
    );
    assert_eq!(
        page.texts("select[name=area] option[selected]"),
        ["Koni (thana)"]
    );

    let long = "a".repeat(500);
    let page = refused(
        &app,
        &admin,
        &[("name", &long), ("kind", "police")],
        "name",
        "at most 100",
    )
    .await;
    assert!(
        page.body.contains(&format!("value=\"{long}\"")),
        "the name is kept"
    );
    let page = refused(
        &app,
        &admin,
        &[("name", "SI Verma"), ("kind", "police"), ("phone", "12345")],
        "phone",
        "number",
    )
    .await;
    assert!(page.body.contains("value=\"SI Verma\""));
    assert!(!page.body.contains("12345"), "the phone is not shown back");
    let tampered: [(Form, &str, &str); 4] = [
        (
            &[("name", "SI Verma"), ("kind", "police"), ("area", "987654")],
            "area",
            "no such area",
        ),
        (
            &[("name", "SI Verma"), ("kind", "police"), ("area", "Koni")],
            "area",
            "Choose",
        ),
        (&[("name", "Mitan"), ("kind", "mitan")], "kind", "Choose"),
        (&[("name", "X"), ("kind", "")], "kind", "Choose"),
    ];
    for (form, field, says) in tampered {
        refused(&app, &admin, form, field, says).await;
    }

    // The same form sent twice: the second is refused by the phone another recruiter has.
    let form = [
        ("name", "SI Verma"),
        ("kind", "police"),
        ("phone", RECRUITER_NUMBERS[0]),
    ];
    add(&admin, &form).await;
    refused(
        &app,
        &admin,
        &form,
        "phone",
        "another recruiter has this phone",
    )
    .await;
    assert_eq!(recruiters(&app).await, 1);
}

#[tokio::test]
async fn a_name_with_markup_is_shown_as_text() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let name = "<script>alert(1)</script>";
    let (id, page) = add(&admin, &[("name", name), ("kind", "ngo")]).await;
    assert_eq!(page.text("h1#name"), name);
    assert!(!page.body.contains(name), "the raw tag is in the page");
    let list = admin.get("/admin/recruiters").await;
    assert_eq!(row_of(&list, id)[0], name);
    assert!(!list.body.contains(name));
    // And on the page that re-renders the form.
    let again = admin
        .post("/admin/recruiters", &[("name", name), ("kind", "nobody")])
        .await;
    assert_eq!(again.status, 422);
    assert!(!again.body.contains(name));
}

#[tokio::test]
async fn other_origins_officers_and_unknown_ids_are_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let (id, _) = add(&admin, &[("name", "SI Verma"), ("kind", "police")]).await;

    let form = [("name", "Evil"), ("kind", "police")];
    let evil = admin
        .post_from("/admin/recruiters", &form, Some("http://evil.example"))
        .await;
    assert_eq!(evil.status, 403);
    let path = format!("/admin/recruiters/{id}/event-codes");
    let evil = admin
        .post_from(
            &path,
            &[("label", "Camp"), ("expires", "2099-01-01")],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(evil.status, 403);
    assert_eq!(recruiters(&app).await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM codes WHERE kind = 'event'").await,
        0
    );

    let thana = app.signed_in("thana", Role::Officer, Some(id)).await;
    for path in [
        "/admin/recruiters".to_string(),
        format!("/admin/recruiters/{id}"),
    ] {
        let page = thana.get(&path).await;
        assert_eq!(page.status, 403, "{path}");
    }
    let page = thana.post("/admin/recruiters", &form).await;
    assert_eq!(page.status, 403);
    let page = thana
        .post(
            &format!("/admin/recruiters/{id}/event-codes"),
            &[("label", "Camp"), ("expires", "2099-01-01")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(recruiters(&app).await, 1);

    for path in [
        "/admin/recruiters/4242",
        "/admin/recruiters/abc",
        "/admin/recruiters/-1",
        "/admin/recruiters/99999999999999999999",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.texts("h1"), ["Not found"], "{path}");
    }
    let page = admin
        .post(
            "/admin/recruiters/4242/event-codes",
            &[("label", "Camp"), ("expires", "2099-01-01")],
        )
        .await;
    assert_eq!(page.status, 404);
    let page = admin
        .post("/admin/recruiters/abc/event-codes/123/expire", &[])
        .await;
    assert_eq!(page.status, 404);
    let page = admin
        .post(
            &format!("/admin/recruiters/{id}/event-codes/123/expire"),
            &[],
        )
        .await;
    assert_eq!(page.status, 404, "no such event code");
}

/// The counts of the tree the API answers `token` for `id`, depth first.
fn api_tree_counts(node: &serde_json::Value, counts: &mut Vec<String>) {
    for child in node["children"].as_array().unwrap() {
        counts.push(match &child["direct"]["total"] {
            serde_json::Value::String(s) => s.clone(),
            n => n.to_string(),
        });
        api_tree_counts(child, counts);
    }
}

#[tokio::test]
async fn the_tree_shows_the_counts_the_api_shows_this_viewer() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let koni = thana(&app, &token, "Koni").await.to_string();
    let ghat = village(&app, &token, "Koni", "Ghat").await.to_string();
    let (top, _) = add(
        &admin,
        &[("name", "SI Verma"), ("kind", "police"), ("area", &koni)],
    )
    .await;
    // A village's NGO below the officer, with three recruits: fewer than five people of a village.
    let under = app
        .api_post(
            "/api/v1/recruiters",
            &token,
            serde_json::json!({"name": "Ghat NGO", "kind": "ngo", "area": ghat.parse::<i64>().unwrap(), "recruited_by": top}),
        )
        .await
        .json();
    let code = under["code"].as_str().unwrap().to_string();
    for n in 0..3 {
        app.join(&villager(n), Some(&code), app.clock.now()).await;
    }

    let mut api = Vec::new();
    let tree = app
        .api_get(&format!("/api/v1/recruiters/{top}/tree?depth=3"), &token)
        .await
        .json();
    api_tree_counts(&tree, &mut api);
    let page = admin.get(&format!("/admin/recruiters/{top}")).await;
    let shown = page.texts("#tree li .direct");
    assert_eq!(shown, api, "the page's tree is the API's for an admin");
    assert_eq!(shown, ["3", "0", "0", "0"]);
    assert_eq!(
        page.texts("#tree > ul > li > ul > li").len(),
        3,
        "the mitans nest below the NGO"
    );

    // An officer's API tree hides the village's small counts: the same rule, a different viewer.
    let officer = app.officer_token(top).await;
    let hidden = app
        .api_get(&format!("/api/v1/recruiters/{top}/tree?depth=3"), &officer)
        .await
        .json();
    let mut theirs = Vec::new();
    api_tree_counts(&hidden, &mut theirs);
    assert_eq!(theirs, ["<5"]);
}

#[tokio::test]
async fn an_event_code_is_issued_joined_with_and_expired() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let (id, page) = add(&admin, &[("name", "CMD College NSS"), ("kind", "nss")]).await;
    assert_eq!(page.texts("#codes td.muted").len(), 1, "no codes yet");
    let path = format!("/admin/recruiters/{id}/event-codes");
    let tomorrow = (app.clock.now() + chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string();

    // Bad input: by field, kept, nothing written.
    let bad = admin
        .post(
            &path,
            &[
                ("label", "NSS camp"),
                ("expires", "next week"),
                ("max_uses", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.text(".problem[data-field=expires]").contains("date"));
    assert!(bad.body.contains("value=\"NSS camp\""));
    let yesterday = (app.clock.now() - chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string();
    let bad = admin
        .post(
            &path,
            &[("label", ""), ("expires", &yesterday), ("max_uses", "0")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text(".problem[data-field=expires]").contains("future"));
    assert!(bad.text(".problem[data-field=max_uses]").contains("from 1"));
    assert!(bad.text(".problem[data-field=label]").contains("visible"));
    let bad = admin
        .post(
            &path,
            &[
                ("label", "Camp"),
                ("expires", &tomorrow),
                ("max_uses", "many"),
            ],
        )
        .await;
    assert!(bad
        .text(".problem[data-field=max_uses]")
        .contains("whole number"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM codes WHERE kind = 'event'").await,
        0
    );

    let issued = admin
        .post(
            &path,
            &[
                ("label", "NSS camp <b>CMD</b>"),
                ("expires", &tomorrow),
                ("max_uses", "2"),
            ],
        )
        .await;
    assert_eq!(issued.status, 303, "{}", issued.body);
    let page = admin.get(issued.location.as_deref().unwrap()).await;
    let code = page.text("#codes td.code");
    assert_eq!(page.text("#codes td.label"), "NSS camp <b>CMD</b>");
    assert!(!page.body.contains("<b>CMD"));
    assert_eq!(page.text("#codes td.uses"), "0 / 2");
    assert_eq!(page.text("#codes td.status"), "Active");
    app.join(&villager(1), Some(&code), app.clock.now()).await;
    let page = admin.get(&format!("/admin/recruiters/{id}")).await;
    assert_eq!(page.text("#codes td.uses"), "1 / 2");
    assert_eq!(page.text("#progress .progress-text"), "1 / 25");

    let expire = format!("/admin/recruiters/{id}/event-codes/{code}/expire");
    let evil = admin
        .post_from(&expire, &[], Some("http://evil.example"))
        .await;
    assert_eq!(evil.status, 403);
    let done = admin.post(&expire, &[]).await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/admin/recruiters/{id}").as_str())
    );
    let page = admin.get(&format!("/admin/recruiters/{id}")).await;
    assert_eq!(page.text("#codes td.status"), "Expired");
    assert_eq!(page.texts("#codes form").len(), 0, "nothing left to expire");
    assert!(
        app.try_join(&villager(2), Some(&code), app.clock.now())
            .await
            .is_err(),
        "an expired code credits nobody"
    );
    // Expiring again changes nothing and is not audited twice.
    assert_eq!(admin.post(&expire, &[]).await.status, 303);
    let audited = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'event_code.expire'",
    )
    .await;
    assert_eq!(audited, 1);
    // Another recruiter's code is not this one's to expire.
    let (other, _) = add(&admin, &[("name", "Other"), ("kind", "ngo")]).await;
    let page = admin
        .post(
            &format!("/admin/recruiters/{other}/event-codes/{code}/expire"),
            &[],
        )
        .await;
    assert_eq!(page.status, 404);
}

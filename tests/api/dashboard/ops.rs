//! The audit log, the CSV downloads, the API tokens and what the overview adds (messages, the
//! officers behind their quota; an officer's own code, quota and villages), for both roles.

use mitan::access::Role;
use mitan::clock::Clock as _;
use mitan::outbox::OutboundKind;
use mitan::store::NewAuditEntry;
use serde_json::json;

use crate::admin::{officer as police, thana, village};
use crate::helpers::{raw_sql, spawn_app, villager, TestApp, RECRUITER_NUMBERS};

const SCRIPT: &str = "<script>alert(1)</script>";

/// A bad form: what is wrong, the fields sent, the field named.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

async fn tokens_and_creations(app: &TestApp) -> (usize, usize) {
    let tokens = app.state.store.tokens().await.unwrap().len();
    let created = app
        .state
        .store
        .audit_entries_of(Some("token.create"), 1000, None)
        .await
        .unwrap()
        .len();
    (tokens, created)
}

#[tokio::test]
async fn the_audit_log_shows_who_did_what_newest_first_by_action_and_never_a_number() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let me = app.api_get("/api/v1/me", &token).await.json();
    // A recruiter with a phone: the browser scans every page for that number in any form.
    let (id, _) = app
        .add_recruiter(
            &token,
            json!({"name": "SI Verma", "kind": "police", "phone": RECRUITER_NUMBERS[0]}),
        )
        .await;
    app.state
        .store
        .append_audit(&NewAuditEntry {
            at: app.clock.now(),
            actor: &format!("token:99:{SCRIPT}"),
            action: "tip.update",
            target: Some("tip:1"),
            detail: Some(SCRIPT),
        })
        .await
        .unwrap();
    let admin = app.signed_in("desk", Role::Admin, None).await;

    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let actions = page.texts("#audit tbody td.action");
    // Newest first: the sign-in, then the entry above, then the recruiter.
    assert_eq!(actions[..3], ["login", "tip.update", "recruiter.create"]);
    assert_eq!(
        page.texts("#audit tbody td.who")[1],
        format!("{SCRIPT} (token 99)")
    );
    assert_eq!(page.texts("#audit tbody td.detail")[1], SCRIPT);
    assert!(!page.body.contains(SCRIPT), "escaped: {}", page.body);
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);
    assert!(page
        .texts("#audit-action option")
        .contains(&"recruiter.create".to_string()));

    let only = admin.get("/admin/audit?action=recruiter.create").await;
    assert_eq!(only.status, 200);
    assert_eq!(only.texts("#audit tbody td.action"), ["recruiter.create"]);
    assert_eq!(
        only.text("#audit tbody td.who"),
        format!("test desk (token {})", me["token_id"])
    );
    assert_eq!(
        only.text("#audit tbody td.target"),
        format!("recruiter:{id}")
    );
    assert_eq!(only.text("#audit tbody td.detail"), "police");
    // The time is the campaign's (IST), day first.
    let time = only.text("#audit tbody td.time");
    assert_eq!(time.len(), "01-12-2026 10:00:00".len(), "{time}");
    assert!(only.texts("#audit-older").is_empty(), "one page");
    let none = admin.get("/admin/audit?action=nothing.like.this").await;
    assert_eq!(none.texts("#audit tbody td.action"), Vec::<String>::new());
}

#[tokio::test]
async fn the_audit_log_pages_back_through_older_entries() {
    let app = spawn_app().await;
    for n in 0..60 {
        app.state
            .store
            .append_audit(&NewAuditEntry {
                at: chrono::Utc::now(),
                actor: "cli",
                action: "code.burst",
                target: Some(&format!("code:{n}")),
                detail: None,
            })
            .await
            .unwrap();
    }
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let first = admin.get("/admin/audit?action=code.burst").await;
    let targets = first.texts("#audit tbody td.target");
    assert_eq!(targets.len(), 50);
    assert_eq!(targets[0], "code:59");
    let older = first.text("#audit-older");
    assert!(!older.is_empty());
    let href = first
        .body
        .split("id=\"audit-older\" href=\"")
        .nth(1)
        .unwrap();
    let href = href.split('"').next().unwrap().replace("&#38;", "&");
    let second = admin.get(&href).await;
    assert_eq!(second.status, 200, "{href}");
    let rest = second.texts("#audit tbody td.target");
    assert_eq!(rest.len(), 10, "{href}");
    assert_eq!(rest[0], "code:9");
    assert_eq!(rest[9], "code:0");
    assert!(second
        .texts("#audit tbody td.action")
        .iter()
        .all(|a| a == "code.burst"));
}

#[tokio::test]
async fn officers_are_refused_the_audit_log_the_downloads_and_the_tokens() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (recruiter, _) = police(&app, &token, "SI Verma", None).await;
    let thana = app.signed_in("thana", Role::Officer, Some(recruiter)).await;
    for path in [
        "/admin/audit",
        "/admin/exports",
        "/admin/exports/areas.csv",
        "/admin/exports/recruiters.csv",
        "/admin/tokens",
    ] {
        let refused = thana.get(path).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(refused.body.contains("admins"), "{path}: {}", refused.body);
    }
    let before = tokens_and_creations(&app).await;
    let refused = thana
        .post("/admin/tokens", &[("name", "mine"), ("role", "admin")])
        .await;
    assert_eq!(refused.status, 403);
    let refused = thana.post("/admin/tokens/1/revoke", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(tokens_and_creations(&app).await, before);
    assert!(app.api_get("/api/v1/me", &token).await.status == 200);
    let nav = thana.get("/admin").await.texts("nav a");
    for hidden in ["Audit log", "Exports", "API tokens"] {
        assert!(!nav.contains(&hidden.to_string()), "{nav:?}");
    }
    // Without a session: to the sign-in page.
    let stranger = app.browser().get("/admin/exports/areas.csv").await;
    assert_eq!(stranger.status, 303);
    assert_eq!(stranger.location.as_deref(), Some("/admin/login"));
}

#[tokio::test]
async fn admins_download_the_apis_csv_exports_with_their_session_each_audited() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let koni = thana(&app, &token, "Koni").await;
    let (verma, code) = police(&app, &token, "SI Verma", Some(koni)).await;
    for n in 0..6 {
        app.join(&villager(n), Some(&code), app.clock.now()).await;
    }
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let page = admin.get("/admin/exports").await;
    assert_eq!(page.status, 200);
    let links: Vec<String> = scraper::Html::parse_document(&page.body)
        .select(&scraper::Selector::parse("#exports a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        ["/admin/exports/areas.csv", "/admin/exports/recruiters.csv"]
    );

    let recruiters = admin.get("/admin/exports/recruiters.csv").await;
    assert_eq!(recruiters.status, 200, "{}", recruiters.body);
    assert_eq!(
        recruiters.headers["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        recruiters.headers["content-disposition"],
        "attachment; filename=\"recruiters.csv\""
    );
    let mut lines = recruiters.body.lines();
    assert_eq!(
        lines.next(),
        Some("recruiter_id,kind,name,area_id,recruited_by,quota,quota_percent,people,active,opted_out,erased")
    );
    let verma_line = recruiters
        .body
        .lines()
        .find(|l| l.starts_with(&format!("{verma},police,SI Verma,{koni},")))
        .unwrap_or_else(|| panic!("{}", recruiters.body));
    assert!(verma_line.ends_with(",25,24,6,6,0,0"), "{verma_line}");
    // The same bytes as the API's export.
    let api = app.api_get("/api/v1/exports/recruiters.csv", &token).await;
    assert_eq!(api.text, recruiters.body);

    let areas = admin.get("/admin/exports/areas.csv").await;
    assert_eq!(areas.status, 200);
    assert_eq!(
        areas.headers["content-disposition"],
        "attachment; filename=\"areas.csv\""
    );
    assert_eq!(
        areas.body.lines().next(),
        Some("area_id,kind,name,parent_id,recruiters,people,active,opted_out,erased")
    );
    let koni_line = areas.body.lines().find(|l| l.contains(",Koni,")).unwrap();
    assert!(koni_line.ends_with(",7,6,6,0,0"), "{koni_line}");

    let downloads = app
        .state
        .store
        .audit_entries_of(Some("export.csv"), 10, None)
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = downloads
        .iter()
        .map(|e| (e.actor.as_str(), e.target.as_deref().unwrap()))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[0].0.starts_with("user:") && seen[0].0.ends_with(":desk"),
        "{seen:?}"
    );
    assert_eq!(seen[0].1, "export:areas");
    assert!(
        seen[1].0.starts_with("token:"),
        "the API's own download: {seen:?}"
    );
    assert_eq!(seen[2].1, "export:recruiters");
    assert_eq!(seen[2].0, seen[0].0);
}

/// The token a creation page shows.
fn shown_token(token: String) -> String {
    assert!(token.starts_with("mitan_"), "{token}");
    token
}

#[tokio::test]
async fn a_token_made_on_the_page_is_shown_once_works_and_stops_when_revoked() {
    let app = spawn_app().await;
    let setup = app.admin_token().await;
    let (verma, _) = police(&app, &setup, "SI Verma", None).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let empty = admin.get("/admin/tokens").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.texts("#tokens tbody td.name"), ["test desk"]);

    let verma_text = verma.to_string();
    let created = admin
        .post(
            "/admin/tokens",
            &[
                ("name", SCRIPT),
                ("role", "officer"),
                ("recruiter", &verma_text),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.text("#new-token-name"), SCRIPT);
    assert!(!created.body.contains(SCRIPT), "escaped");
    let secret = shown_token(created.text("#new-token"));

    let me = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    assert_eq!(me["role"], "officer");
    assert_eq!(me["recruiter_id"], verma);
    assert_eq!(me["name"], SCRIPT);

    // Never again: not on the list, not in the audit log, not in the database.
    let list = admin.get("/admin/tokens").await;
    assert!(!list.body.contains(&secret));
    assert!(!list.body.contains(SCRIPT), "escaped: {}", list.body);
    assert_eq!(list.texts("#tokens tbody td.name"), [SCRIPT, "test desk"]);
    assert_eq!(list.texts("#tokens tbody td.role")[0], "Officer");
    let audit = admin.get("/admin/audit").await;
    assert!(!audit.body.contains(&secret));
    let id = me["token_id"].as_i64().unwrap();
    let creation = app
        .state
        .store
        .audit_entries_of(Some("token.create"), 1, None)
        .await
        .unwrap();
    assert_eq!(
        creation[0].target.as_deref(),
        Some(format!("token:{id}").as_str())
    );
    assert!(creation[0].actor.ends_with(":desk"), "{:?}", creation[0]);
    assert_eq!(creation[0].detail.as_deref(), Some("role officer"));

    // A revoke from another site is refused, and the token still works.
    let path = format!("/admin/tokens/{id}/revoke");
    let forged = admin
        .post_from(&path, &[], Some("http://evil.example"))
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.api_get("/api/v1/me", &secret).await.status, 200);

    let revoked = admin.post(&path, &[]).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(revoked.location.as_deref(), Some("/admin/tokens"));
    assert_eq!(app.api_get("/api/v1/me", &secret).await.status, 401);
    let list = admin.get("/admin/tokens").await;
    assert_ne!(list.text(&format!("#token-{id} td.revoked")), "Works");
    assert!(
        list.texts(&format!("#token-{id} form")).is_empty(),
        "no revoke button"
    );
    let revocations = app
        .state
        .store
        .audit_entries_of(Some("token.revoke"), 10, None)
        .await
        .unwrap();
    assert_eq!(revocations.len(), 1);
    // Revoking again changes nothing and is not logged again; an unknown token is 404.
    assert_eq!(admin.post(&path, &[]).await.status, 303);
    assert_eq!(
        app.state
            .store
            .audit_entries_of(Some("token.revoke"), 10, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin.post("/admin/tokens/9999/revoke", &[]).await.status,
        404
    );

    // An admin token, made the same way, sees everything.
    let made = admin
        .post(
            "/admin/tokens",
            &[
                ("name", "Cyber cell laptop"),
                ("role", "admin"),
                ("recruiter", ""),
            ],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let laptop = shown_token(made.text("#new-token"));
    let unused = admin.get("/admin/tokens").await;
    assert_eq!(
        unused.texts("#tokens tbody td.name")[0],
        "Cyber cell laptop"
    );
    assert_eq!(unused.texts("#tokens tbody td.last-used")[0], "Never");
    let me = app.api_get("/api/v1/me", &laptop).await.json();
    assert_eq!(me["role"], "admin");
    let used = admin.get("/admin/tokens").await;
    let last = &used.texts("#tokens tbody td.last-used")[0];
    assert_eq!(last.len(), "01-12-2026 10:00".len(), "{last}");
}

#[tokio::test]
async fn a_bad_token_form_names_its_problem_and_makes_nothing() {
    let app = spawn_app().await;
    let setup = app.admin_token().await;
    let (verma, _) = police(&app, &setup, "SI Verma", None).await;
    let verma = verma.to_string();
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let long = "x".repeat(101);
    let huge = "x".repeat(5000);
    let cases: Vec<Case> = vec![
        (
            "empty name",
            vec![("name", "  "), ("role", "admin")],
            "name",
        ),
        (
            "long name",
            vec![("name", &long), ("role", "admin")],
            "name",
        ),
        (
            "huge name",
            vec![("name", &huge), ("role", "admin")],
            "name",
        ),
        (
            "a number",
            vec![("name", "SI 98123 45678"), ("role", "admin")],
            "name",
        ),
        (
            "duplicate",
            vec![("name", "TEST DESK"), ("role", "admin")],
            "name",
        ),
        (
            "officer alone",
            vec![("name", "SI Verma"), ("role", "officer"), ("recruiter", "")],
            "recruiter",
        ),
        (
            "unknown role",
            vec![("name", "SI Verma"), ("role", "superuser")],
            "role",
        ),
        ("no role", vec![("name", "SI Verma")], "role"),
        (
            "admin bound",
            vec![("name", "Desk"), ("role", "admin"), ("recruiter", &verma)],
            "recruiter",
        ),
        (
            "no such recruiter",
            vec![
                ("name", "SI Sahu"),
                ("role", "officer"),
                ("recruiter", "9999"),
            ],
            "recruiter",
        ),
        (
            "not an id",
            vec![
                ("name", "SI Sahu"),
                ("role", "officer"),
                ("recruiter", "twelve"),
            ],
            "recruiter",
        ),
    ];
    let before = tokens_and_creations(&app).await;
    for (case, form, field) in cases {
        let page = admin.post("/admin/tokens", &form).await;
        assert_eq!(page.status, 422, "{case}: {}", page.body);
        let problem = page.text(&format!("#problem-{field}"));
        assert!(!problem.is_empty(), "{case}");
        assert!(page.texts("#new-token").is_empty(), "{case}");
        assert_eq!(
            tokens_and_creations(&app).await,
            before,
            "{case}: nothing made"
        );
    }
    // The form keeps what was typed, escaped.
    let page = admin
        .post("/admin/tokens", &[("name", SCRIPT), ("role", "officer")])
        .await;
    assert_eq!(page.status, 422);
    assert!(!page.body.contains(SCRIPT));
    let kept: Vec<String> = scraper::Html::parse_document(&page.body)
        .select(&scraper::Selector::parse("#new-token-form input[name=name]").unwrap())
        .map(|i| i.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(kept, [SCRIPT]);

    // From another site: refused before anything is looked at.
    let forged = admin
        .post_from(
            "/admin/tokens",
            &[("name", "Stolen"), ("role", "admin")],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(tokens_and_creations(&app).await, before);
}

#[tokio::test]
async fn admins_see_messages_of_the_week_and_the_officers_furthest_from_their_quota() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (busy, busy_code) = police(&app, &token, "SI Busy", None).await;
    let (idle, _) = police(&app, &token, SCRIPT, None).await;
    let (some, some_code) = police(&app, &token, "SI Some", None).await;
    let now = app.clock.now();
    for n in 0..3 {
        app.join(&villager(n), Some(&busy_code), now).await;
    }
    app.join(&villager(3), Some(&some_code), now).await;
    // Three messages leave; one is delivered; one left ten days ago.
    let mut ids = Vec::new();
    for n in 10..13 {
        ids.push(
            app.queue("console", &villager(n), OutboundKind::Bulk, "Tip", None)
                .await,
        );
    }
    app.deliver().await;
    raw_sql(
        &app.db,
        &format!(
            "UPDATE outbox SET status = 'delivered' WHERE id = {}",
            ids[0]
        ),
    )
    .await
    .unwrap();
    let old = (now - chrono::Duration::days(10)).timestamp_millis();
    raw_sql(
        &app.db,
        &format!("UPDATE outbox SET sent_at = {old} WHERE id = {}", ids[2]),
    )
    .await
    .unwrap();

    let admin = app.signed_in("desk", Role::Admin, None).await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#messages-sent"), "2");
    assert_eq!(page.text("#messages-delivered"), "1");
    assert_eq!(page.text("#joins-today"), "4");
    let names = page.texts("#behind tbody td:first-child");
    assert_eq!(
        names,
        [SCRIPT, "SI Some", "SI Busy"],
        "fewest first; no mitan listed"
    );
    assert_eq!(
        page.texts("#behind tbody td.num"),
        ["0 / 25", "1 / 25", "3 / 25"]
    );
    assert!(!page.body.contains(SCRIPT), "escaped");
    let links: Vec<String> = scraper::Html::parse_document(&page.body)
        .select(&scraper::Selector::parse("#behind a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        [idle, some, busy].map(|id| format!("/admin/recruiters/{id}"))
    );
    assert!(page.texts("#own-code").is_empty());
}

/// A police officer in a thana (`officer`: thana, name, recruits of their own) with an NCC
/// cadet in a new village of that thana under them (`cadets`: village, the cadet's recruits),
/// every join today; the officer's id and code, and the cadet's code.
async fn subtree(
    app: &TestApp,
    token: &str,
    villagers: &mut std::ops::RangeFrom<u32>,
    (thana_name, name, own): (&str, &str, usize),
    (village_name, recruits): (&str, usize),
) -> (i64, String, String) {
    let now = app.clock.now();
    let area = thana(app, token, thana_name).await;
    let (id, code) = police(app, token, name, Some(area)).await;
    let place = village(app, token, thana_name, village_name).await;
    let (_, cadet_code) = app
        .add_recruiter(
            token,
            json!({"name": format!("Cadet of {village_name}"), "kind": "ncc", "area": place, "recruited_by": id}),
        )
        .await;
    for n in villagers.by_ref().take(own) {
        app.join(&villager(n), Some(&code), now).await;
    }
    for n in villagers.by_ref().take(recruits) {
        app.join(&villager(n), Some(&cadet_code), now).await;
    }
    (id, code, cadet_code)
}

#[tokio::test]
async fn an_officer_sees_only_their_own_code_quota_and_villages_with_small_counts_hidden() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // Officer A in a thana, with three recruits of their own and an NCC cadet in a village
    // who recruited two; officer B elsewhere, with one of their own and a village of seven.
    let mut villagers = 0..;
    let (a, a_code, _) = subtree(
        &app,
        &token,
        &mut villagers,
        ("Koni", "SI Verma", 3),
        ("Chorbhatti", 2),
    )
    .await;
    let (_, b_code, far_code) = subtree(
        &app,
        &token,
        &mut villagers,
        ("Sipat", "SI Other", 1),
        ("Farvillage", 7),
    )
    .await;

    let officer = app.signed_in("verma", Role::Officer, Some(a)).await;
    let page = officer.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.text("#own-code"), a_code);
    assert_eq!(page.text("#own-quota"), "3 / 25");
    assert_eq!(page.texts("#villages tbody td"), ["Chorbhatti", "<5"]);
    // Five joined today in A's subtree, and A is not in a village: the exact count.
    assert_eq!(page.text("#joins-today"), "5");
    assert_eq!(page.text("#active-mitans"), "5");
    // Nothing of B's subtree, nothing of the admins' part.
    for theirs in [
        b_code.as_str(),
        far_code.as_str(),
        "SI Other",
        "Farvillage",
        "Cadet Far",
    ] {
        assert!(!page.body.contains(theirs), "{theirs}: {}", page.body);
    }
    assert!(page.texts("#behind").is_empty());
    assert!(page.texts("#messages-sent").is_empty());
}

#[tokio::test]
async fn an_officer_in_a_village_sees_small_joins_as_under_five_not_a_made_up_number() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let now = app.clock.now();
    let chorbhatti = village(&app, &token, "Koni", "Chorbhatti").await;
    let (c, c_code) = police(&app, &token, "SI Village", Some(chorbhatti)).await;
    for n in 0..2 {
        app.join(&villager(n), Some(&c_code), now).await;
    }
    let officer = app.signed_in("village", Role::Officer, Some(c)).await;
    let page = officer.get("/admin").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#joins-today"), "<5");
    assert_eq!(page.text("#joins-week"), "<5");
    assert_eq!(page.text("#own-quota"), "<5 / 25");
    assert_eq!(page.text("#active-mitans"), "<5");
    assert_eq!(page.texts("#villages tbody td"), ["Chorbhatti", "<5"]);

    // Seven more: the exact count is shown again.
    for n in 2..9 {
        app.join(&villager(n), Some(&c_code), now).await;
    }
    let page = officer.get("/admin").await;
    assert_eq!(page.text("#joins-today"), "9");
    // The other six days of the week are hidden (none is told from a few), so is their sum.
    assert_eq!(page.text("#joins-week"), "9 + <5");
    assert_eq!(page.text("#own-quota"), "9 / 25");
}

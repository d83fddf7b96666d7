//! `/admin/broadcasts`: scheduling through a dry run, the live progress fragment while the
//! dispatcher sends to a fake aggregator, pause, resume and cancel; admins only.

use figment::providers::Serialized;
use mitan::access::Role;
use serde_json::json;

use crate::broadcasts::ist;
use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{
    count, generic_request, officer, spawn_app_with, villager, TestApp, GENERIC_SECRET,
};

/// Due in the test's future (the suite starts on 2026-11-28), in Bilaspur time as typed.
const DUE: &str = "2026-12-02T11:00";

/// The app sending through `fake` on the generic channel, the planner run by the test.
async fn app_through(fake: &FakeAggregator) -> TestApp {
    let url = fake.url.clone();
    spawn_app_with(move |f| {
        f.merge(Serialized::default("broadcasts.planner", false))
            .merge(Serialized::default("outbound.default_channel", "generic"))
            .merge(Serialized::default("channels.generic.base_url", url))
            // The clock moves days ahead to the due time; the session outlives it.
            .merge(Serialized::default("dashboard.session_hours", 24 * 30))
    })
    .await
}

async fn accepting() -> FakeAggregator {
    FakeAggregator::start(Canned::json(200, json!({"message_id": "agg-{request}"}))).await
}

async fn villagers(app: &TestApp, n: u32) {
    for i in 0..n {
        app.join(&villager(i), None, app.clock_now()).await;
    }
}

async fn first_tip(app: &TestApp) -> mitan::tips::StoredTip {
    app.state.store.tips().await.unwrap().remove(0)
}

async fn broadcasts(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM broadcasts").await
}

/// Schedules a broadcast of the first tip through the form `$admin` posts, confirmed; its id.
macro_rules! scheduled {
    ($app:expr, $admin:expr) => {{
        let tip = first_tip(&$app).await.id.to_string();
        let created = $admin
            .post(
                "/admin/broadcasts",
                &[("tip_id", tip.as_str()), ("send_at", DUE), ("confirm", "1")],
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        id_in(&created.location.unwrap())
    }};
}

fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/broadcasts/")
        .parse()
        .unwrap()
}

/// What the progress shows, in order: planned, sent, failed, remaining, delivered, suppressed.
macro_rules! figures {
    ($page:expr) => {
        [
            "#bc-planned",
            "#bc-sent",
            "#bc-failed",
            "#bc-remaining",
            "#bc-delivered",
            "#bc-suppressed",
        ]
        .map(|s| $page.text(s))
    };
}

#[tokio::test]
async fn the_form_shows_the_dry_run_first_and_only_confirm_schedules_it() {
    let fake = accepting().await;
    let app = app_through(&fake).await;
    villagers(&app, 4).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let form = admin.get("/admin/broadcasts/new").await;
    assert_eq!(form.status, 200);
    assert!(form.texts("select[name=tip_id] option").len() > 1);
    assert_eq!(
        form.texts("input[name=send_at][type=datetime-local]").len(),
        1
    );
    assert_eq!(form.texts("input[name=cron]").len(), 1);
    assert_eq!(form.texts("textarea[name=text-en]").len(), 1);
    assert_eq!(
        form.texts("#segment input[name=language][value=hi]").len(),
        1
    );

    let tip = first_tip(&app).await;
    let parts = tip
        .texts
        .iter()
        .find(|t| t.key.tag() == "hi")
        .unwrap()
        .cost
        .parts;
    let id = tip.id.to_string();
    let estimate = admin
        .post(
            "/admin/broadcasts",
            &[("tip_id", &id), ("send_at", DUE), ("language", "hi")],
        )
        .await;
    assert_eq!(estimate.status, 200, "{}", estimate.body);
    assert_eq!(estimate.text("#dry-recipients"), "4");
    assert_eq!(estimate.text("#dry-messages"), "4");
    assert_eq!(estimate.text("#dry-parts"), (4 * parts).to_string());
    assert!(estimate.body.contains("02-12-2026 11:00"), "due in IST");
    assert_eq!(broadcasts(&app).await, 0, "a dry run schedules nothing");
    let english = admin
        .post(
            "/admin/broadcasts",
            &[("tip_id", &id), ("send_at", DUE), ("language", "en")],
        )
        .await;
    assert_eq!(english.text("#dry-recipients"), "0");
    // Joined on or after a day, in Bilaspur time: everyone joined on the 28th.
    for (day, recipients) in [("2026-11-28", "4"), ("2026-11-29", "0")] {
        let joined = admin
            .post(
                "/admin/broadcasts",
                &[("tip_id", &id), ("send_at", DUE), ("joined_after", day)],
            )
            .await;
        assert_eq!(joined.text("#dry-recipients"), recipients, "{day}");
    }

    // "Confirm" carries the same fields.
    let doc = scraper::Html::parse_document(&estimate.body);
    let hidden = scraper::Selector::parse("form#confirm input[type=hidden]").unwrap();
    let fields: Vec<(String, String)> = doc
        .select(&hidden)
        .map(|i| {
            let v = i.value();
            (
                v.attr("name").unwrap().into(),
                v.attr("value").unwrap().into(),
            )
        })
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("tip_id", id.as_str()),
            ("send_at", DUE),
            ("language", "hi"),
            ("confirm", "1")
        ]
    );
    let back = admin
        .post(
            "/admin/broadcasts",
            &[("tip_id", &id), ("send_at", DUE), ("edit", "1")],
        )
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(back.texts("select[name=tip_id] option[selected]").len(), 1);
    assert!(back.body.contains(&format!("value=\"{DUE}\"")));
    assert_eq!(broadcasts(&app).await, 0);

    let created = admin.post("/admin/broadcasts", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.unwrap();
    let id = id_in(&location);
    let record = app.state.store.broadcast(id).await.unwrap().unwrap();
    assert_eq!(record.send_at, Some(ist(2026, 12, 2, 11, 0)));
    assert_eq!(record.segment.languages.len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'broadcast.create'"
        )
        .await,
        1
    );
    let list = admin.get("/admin/broadcasts").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.texts("#broadcasts tbody tr").len(), 1);
    assert_eq!(list.text("#broadcasts .bc-status"), "Scheduled");
    assert_eq!(list.text("#broadcasts .bc-segment"), "Hindi");
    let page = admin.get(&location).await;
    assert_eq!(page.text("#bc-schedule"), "Once, 02-12-2026 11:00");

    // A text carried in hidden fields stays text, and arrives as typed.
    let sly = "\"><script>alert(1)</script> Never share an OTP. Call 1930.";
    let estimate = admin
        .post("/admin/broadcasts", &[("text-en", sly), ("send_at", DUE)])
        .await;
    assert_eq!(estimate.status, 200, "{}", estimate.body);
    assert!(
        !estimate.body.contains("<script>alert"),
        "{}",
        estimate.body
    );
    let doc = scraper::Html::parse_document(&estimate.body);
    let carried = scraper::Selector::parse("form#confirm input[name=text-en]").unwrap();
    let carried = doc.select(&carried).next().unwrap().value().attr("value");
    assert_eq!(carried, Some(sly));

    // Custom texts, one per language, go the same way.
    let custom = admin
        .post(
            "/admin/broadcasts",
            &[
                ("text-en", "Never share an OTP. Cheated? Call 1930."),
                ("cron", "0 11 * * WED#1"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(custom.status, 303, "{}", custom.body);
    let page = admin.get(&custom.location.unwrap()).await;
    assert_eq!(page.text("#bc-content"), "Own text: English");
    assert_eq!(page.text("#bc-schedule"), "Recurring: 0 11 * * WED#1");
}

#[tokio::test]
async fn the_progress_fragment_counts_up_as_the_dispatcher_sends_and_stops_polling_when_done() {
    let fake = accepting().await;
    // The first send is refused for good, with a reason.
    fake.then(Canned::json(
        400,
        json!({"error": "rejected by the scrubber"}),
    ));
    let app = app_through(&fake).await;
    villagers(&app, 3).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let id = scheduled!(app, admin);
    let path = format!("/admin/broadcasts/{id}");
    let fragment_path = format!("{path}/progress");

    let page = admin.get(&path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#bc-status"), "Scheduled");
    assert_eq!(page.text("#bc-planned"), "0");
    let doc = scraper::Html::parse_document(&page.body);
    let section = scraper::Selector::parse("#bc-progress").unwrap();
    let polled = doc.select(&section).next().unwrap().value();
    assert_eq!(polled.attr("hx-get"), Some(fragment_path.as_str()));
    assert_eq!(polled.attr("hx-trigger"), Some("every 2s"));
    assert_eq!(polled.attr("hx-swap"), Some("outerHTML"));

    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    let planned = admin.get(&fragment_path).await;
    assert_eq!(planned.status, 200);
    assert!(planned.texts("header").is_empty(), "a fragment, not a page");
    assert_eq!(figures!(planned), ["3", "0", "0", "3", "0", "0"]);
    assert_eq!(planned.text("#bc-status"), "Sending");

    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(fake.requests().len(), 3);
    let sent = admin.get(&fragment_path).await;
    assert_eq!(sent.status, 286, "done: htmx stops polling");
    assert_eq!(figures!(sent), ["3", "2", "1", "0", "0", "0"]);
    assert_eq!(sent.text("#bc-status"), "Done");
    assert!(
        sent.text("#bc-failures .bc-reason")
            .contains("rejected by the scrubber"),
        "{}",
        sent.body
    );
    assert!(!sent.body.contains("hx-trigger"), "{}", sent.body);

    // A delivery report moves "delivered" up.
    let report = generic_request(
        &app,
        "/webhooks/generic/delivery",
        &json!({"message_id": "agg-2", "status": "delivered"}),
        Some(GENERIC_SECRET),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(report.status(), 200);
    let delivered = admin.get(&fragment_path).await;
    assert_eq!(delivered.text("#bc-delivered"), "1");
    let page = admin.get(&path).await;
    assert_eq!(page.text("#bc-sent"), "2");
    assert_eq!(page.text("#bc-delivered"), "1");
    assert!(
        !page.body.contains("hx-trigger=\"every"),
        "no polling once done"
    );
    assert!(page.texts("#bc-pause, #bc-resume, #bc-cancel").is_empty());
    assert_eq!(
        admin.get("/admin/broadcasts/999999/progress").await.status,
        404
    );
}

#[tokio::test]
async fn pause_resume_and_cancel_act_and_refused_changes_are_said_not_failed() {
    let fake = accepting().await;
    let app = app_through(&fake).await;
    villagers(&app, 3).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let id = scheduled!(app, admin);
    let path = format!("/admin/broadcasts/{id}");
    let page = admin.get(&path).await;
    assert_eq!(page.texts("#bc-pause").len(), 1);
    assert_eq!(page.texts("#bc-cancel").len(), 1);
    assert!(page.texts("#bc-resume").is_empty());

    let refused = admin.post(&format!("{path}/resume"), &[]).await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.text("#bc-notice"),
        "Only a paused broadcast can be resumed."
    );
    assert_eq!(refused.text("#bc-status"), "Scheduled");

    let paused = admin.post(&format!("{path}/pause"), &[]).await;
    assert_eq!(paused.status, 303);
    assert_eq!(paused.location.as_deref(), Some(path.as_str()));
    let page = admin.get(&path).await;
    assert_eq!(page.text("#bc-status"), "Paused");
    assert_eq!(page.texts("#bc-resume").len(), 1);
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    assert_eq!(
        admin.get(&path).await.text("#bc-planned"),
        "0",
        "paused: not planned"
    );
    assert_eq!(admin.post(&format!("{path}/pause"), &[]).await.status, 409);

    assert_eq!(admin.post(&format!("{path}/resume"), &[]).await.status, 303);
    app.plan_all().await;
    assert_eq!(admin.get(&path).await.text("#bc-planned"), "3");

    assert_eq!(admin.post(&format!("{path}/cancel"), &[]).await.status, 303);
    let fragment = admin.get(&format!("{path}/progress")).await;
    assert_eq!(fragment.status, 286);
    assert_eq!(fragment.text("#bc-status"), "Cancelled");
    app.dispatcher().run_until_idle().await.unwrap();
    assert!(fake.requests().is_empty(), "nothing sent once cancelled");
    let again = admin.post(&format!("{path}/cancel"), &[]).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.text("#bc-notice"),
        "This broadcast is already cancelled."
    );
    assert_eq!(
        admin
            .post("/admin/broadcasts/999999/pause", &[])
            .await
            .status,
        404
    );
    for action in ["pause", "resume", "cancel"] {
        let sql = format!("SELECT COUNT(*) FROM audit_log WHERE action = 'broadcast.{action}'");
        assert_eq!(count(&app, &sql).await, 1, "{action}");
    }
}

/// A form posted, where its problem shows, and what the problem says.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn bad_input_is_refused_beside_its_field_and_nothing_is_written() {
    let fake = accepting().await;
    let app = app_through(&fake).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let tips = count(&app, "SELECT COUNT(*) FROM tips").await;
    let tip = first_tip(&app).await.id.to_string();
    let long = "Never share an OTP. Call 1930. ".repeat(20);
    let cases: &[Case] = &[
        (&[("send_at", DUE)], "#problem-tip_id", "exactly one"),
        (
            &[("tip_id", &tip), ("drip", "1"), ("send_at", DUE)],
            "#problem-tip_id",
            "exactly one",
        ),
        (
            &[("tip_id", &tip), ("tip_id", &tip), ("send_at", DUE)],
            "#problem-tip_id",
            "given twice",
        ),
        (
            &[("drip", "1"), ("cron", "61 * * * *")],
            "#problem-cron",
            "",
        ),
        (
            &[("drip", "1"), ("send_at", "2020-01-01T10:00")],
            "#problem-send_at",
            "in the past",
        ),
        (
            &[("drip", "1"), ("send_at", "tomorrow")],
            "#problem-send_at",
            "date and time",
        ),
        (
            &[("drip", "1"), ("send_at", DUE), ("cron", "0 11 * * *")],
            "#problem-send_at",
            "exactly one",
        ),
        (&[("drip", "1")], "#problem-send_at", "exactly one"),
        (
            &[("tip_id", "999999"), ("send_at", DUE)],
            "#problem-tip_id",
            "no such tip",
        ),
        (
            &[("tip_id", "first"), ("send_at", DUE)],
            "#problem-tip_id",
            "no such tip",
        ),
        (
            &[("text-en", long.as_str()), ("send_at", DUE)],
            "#problem-en",
            "SMS parts",
        ),
        (
            &[("text-en", "See bit.ly/x"), ("send_at", DUE)],
            "#problem-en",
            "bit.ly",
        ),
        (
            &[("drip", "1"), ("send_at", DUE), ("area", "999999")],
            "#problem-segment",
            "no area",
        ),
        (
            &[("drip", "1"), ("send_at", DUE), ("language", "xx")],
            "#problem-segment",
            "unknown language",
        ),
        (
            &[("drip", "1"), ("send_at", DUE), ("joined_after", "soon")],
            "#problem-segment",
            "must be a date",
        ),
    ];
    for (form, selector, expected) in cases {
        for confirm in [false, true] {
            let mut form = form.to_vec();
            if confirm {
                form.push(("confirm", "1"));
            }
            let refused = admin.post("/admin/broadcasts", &form).await;
            assert_eq!(refused.status, 422, "{form:?}: {}", refused.body);
            let problems = refused.texts(&format!("{selector} li"));
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{form:?}: {problems:?}\n{}",
                refused.body
            );
        }
    }
    assert_eq!(broadcasts(&app).await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tips").await, tips);
}

#[tokio::test]
async fn officers_and_other_origins_are_refused() {
    let fake = accepting().await;
    let app = app_through(&fake).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let id = scheduled!(app, admin);
    let tip = first_tip(&app).await.id.to_string();
    let form: &[(&str, &str)] = &[("tip_id", &tip), ("send_at", DUE), ("confirm", "1")];
    let evil = Some("http://evil.example");
    assert_eq!(
        admin
            .post_from("/admin/broadcasts", form, evil)
            .await
            .status,
        403
    );
    let pause = format!("/admin/broadcasts/{id}/pause");
    assert_eq!(admin.post_from(&pause, &[], evil).await.status, 403);

    let (recruiter, _) = officer(&app, None).await;
    let thana = app.signed_in("thana", Role::Officer, Some(recruiter)).await;
    for path in [
        "/admin/broadcasts".to_string(),
        "/admin/broadcasts/new".to_string(),
        format!("/admin/broadcasts/{id}"),
        format!("/admin/broadcasts/{id}/progress"),
    ] {
        assert_eq!(thana.get(&path).await.status, 403, "{path}");
    }
    assert_eq!(thana.post("/admin/broadcasts", form).await.status, 403);
    assert_eq!(thana.post(&pause, &[]).await.status, 403);
    assert_eq!(broadcasts(&app).await, 1);
    assert_eq!(
        admin
            .get(&format!("/admin/broadcasts/{id}"))
            .await
            .text("#bc-status"),
        "Scheduled"
    );
}

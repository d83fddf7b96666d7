//! Tips and broadcasts through the admin API, planned with the clock under the test's control.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use mitan::broadcasts::ContentPolicy;
use mitan::planner::{try_plan_one, PlanStep};
use mitan::tips::import::{plan, Format};
use serde_json::json;

use figment::providers::Serialized;

use crate::helpers::{msisdn, spawn_app_with, villager, TestApp};

/// A Bilaspur wall-clock time (IST, UTC+05:30).
pub(crate) fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Kolkata
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The app without its background planner: the test runs the planner's steps itself.
async fn spawn_app() -> TestApp {
    spawn_app_with(|figment| figment.merge(Serialized::default("broadcasts.planner", false))).await
}

/// The shipped library in the store; returns the ids of its first tips in order.
async fn seed_tips(app: &TestApp) -> Vec<i64> {
    let seed = include_str!("../../config/tips.json");
    let plan = plan(seed, Format::Json, &ContentPolicy::default()).unwrap();
    let mut ids = Vec::new();
    for (tip, _) in &plan.tips {
        ids.push(
            app.state
                .store
                .save_tip(tip, app.clock_now())
                .await
                .unwrap(),
        );
    }
    ids
}

/// An app with the shipped tips, `people` villagers, and a broadcast of the first tip to all of
/// them due at `due`: the app, an admin token, the tip ids and the broadcast id.
async fn one_tip_broadcast(people: u32, due: DateTime<Utc>) -> (TestApp, String, Vec<i64>, i64) {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, people).await;
    let body = json!({"tip_id": tips[0], "send_at": due.to_rfc3339()});
    let id = app.broadcast(&token, body).await;
    (app, token, tips, id)
}

async fn villagers(app: &TestApp, count: u32) {
    for n in 0..count {
        app.join(&villager(n), None, app.clock_now()).await;
    }
}

/// Both instances run their planner at once until neither has anything to do.
async fn plan_side_by_side(states: &[std::sync::Arc<mitan::http::AppState>]) {
    crate::helpers::join_all(states.iter().map(|state| async move {
        loop {
            let now = mitan::clock::Clock::now(&*state.clock);
            if try_plan_one(&state.planning(), now).await.unwrap() == PlanStep::Idle {
                break;
            }
        }
    }))
    .await;
}

impl TestApp {
    /// A second instance: the same settings, clock and database, its own pools, planner and
    /// senders.
    async fn second_instance(&self) -> std::sync::Arc<mitan::http::AppState> {
        mitan::app::Application::build_with_clock(
            (*self.state.settings).clone(),
            std::sync::Arc::new(self.clock.clone()),
        )
        .await
        .unwrap()
        .state()
    }

    pub(crate) fn clock_now(&self) -> DateTime<Utc> {
        use mitan::clock::Clock as _;
        self.clock.now()
    }

    /// Runs the planner's step until it has nothing to do, as the background loop would.
    pub(crate) async fn plan_all(&self) -> usize {
        let mut steps = 0;
        loop {
            let step = try_plan_one(&self.state.planning(), self.clock_now())
                .await
                .unwrap();
            if step == PlanStep::Idle {
                return steps;
            }
            steps += 1;
            assert!(steps < 1000, "the planner never goes idle");
        }
    }

    async fn broadcast(&self, token: &str, body: serde_json::Value) -> i64 {
        let response = self.api_post("/api/v1/broadcasts", token, body).await;
        assert_eq!(response.status, 201, "{}", response.text);
        response.json()["id"].as_i64().unwrap()
    }

    /// `POST /broadcasts/{id}/{verb}` (pause, resume, cancel).
    async fn act(&self, token: &str, id: i64, verb: &str) -> crate::helpers::ApiResponse {
        let path = format!("/api/v1/broadcasts/{id}/{verb}");
        self.api_post(&path, token, json!({})).await
    }

    async fn planned(&self, token: &str, id: i64) -> i64 {
        self.broadcast_state(token, id).await["counts"]["planned"]
            .as_i64()
            .unwrap()
    }

    async fn broadcast_state(&self, token: &str, id: i64) -> serde_json::Value {
        let response = self
            .api_get(&format!("/api/v1/broadcasts/{id}"), token)
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()
    }
}

#[tokio::test]
async fn an_admin_adds_a_tip_and_sees_what_each_text_costs() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/tips",
            &token,
            json!({
                "category": "otp_pin_sharing",
                "texts": {
                    "hi": "बैंक कभी OTP नहीं मांगता। ठगी हो तो 1930 पर कॉल करें।",
                    "en": "Your bank never asks for an OTP. Cheated? Call 1930.",
                    "hi-Latn": "Bank kabhi OTP nahi maangta. Thagi ho to 1930 par call karein."
                },
                "template_ids": {"en": "1107160000000012345"}
            }),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    let tip = response.json();
    assert!(tip["id"].as_i64().unwrap() > 0);
    let texts = tip["texts"].as_array().unwrap();
    let hindi = &texts[0];
    assert_eq!(hindi["key"], "hi");
    assert_eq!(hindi["encoding"], "ucs2");
    let english = &texts[1];
    assert_eq!(
        (english["encoding"].as_str(), english["parts"].as_i64()),
        (Some("gsm7"), Some(1))
    );
    assert_eq!(english["template_id"], "1107160000000012345");
}

#[tokio::test]
async fn a_text_key_given_twice_in_any_case_or_unknown_is_refused_by_name() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let library = app.state.store.tips().await.unwrap();
    // Raw JSON: a JSON map would keep only one of two "en" members.
    let post = |path: &str, body: &'static str| {
        app.client
            .request(
                if path == "/api/v1/tips" {
                    reqwest::Method::POST
                } else {
                    reqwest::Method::PATCH
                },
                app.url(path),
            )
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let fields = |answer: serde_json::Value| -> Vec<String> {
        let mut fields: Vec<String> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        fields.sort();
        fields
    };
    for (path, body, named) in [
        (
            "/api/v1/tips",
            r#"{"category": "qr_code", "texts": {"en": "Call 1930.", "EN": "Call 112."}}"#,
            vec!["texts.EN"],
        ),
        (
            "/api/v1/tips",
            r#"{"category": "qr_code", "texts": {"en": "Call 1930.", "en": "Call 112."}}"#,
            vec!["texts.en"],
        ),
        (
            "/api/v1/tips",
            r#"{"category": "qr_code", "texts": {"en": "Call 1930.", "fr": "Appelez 1930."},
                "template_ids": {"EN": "1107160000000012345", "en": "1107160000000054321",
                                 "hne": "1107160000000099999"}}"#,
            vec!["template_ids.en", "template_ids.hne", "texts.fr"],
        ),
        (
            "/api/v1/tips/1",
            r#"{"texts": {"hi-latn": "Call 1930.", "hi-Latn": "Call 112."}}"#,
            vec!["texts.hi-Latn"],
        ),
    ] {
        let answer = post(path, body).await.unwrap();
        assert_eq!(answer.status(), 422, "{body}");
        assert_eq!(fields(answer.json().await.unwrap()), named, "{body}");
    }
    let after = app.state.store.tips().await.unwrap();
    assert_eq!(after.len(), library.len(), "nothing saved");
    assert_eq!(after[0].texts, library[0].texts, "tip 1 unchanged");
    // A key in another case is the same key, once.
    let created = post(
        "/api/v1/tips",
        r#"{"category": "qr_code", "texts": {"EN": "Call 1930."},
            "template_ids": {"en": "1107160000000012345"}}"#,
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let tip: serde_json::Value = created.json().await.unwrap();
    assert_eq!(tip["texts"][0]["key"], "en");
    assert_eq!(tip["texts"][0]["template_id"], "1107160000000012345");
}

#[tokio::test]
async fn a_tip_with_a_stranger_s_number_or_link_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let library = app.state.store.tips().await.unwrap().len();
    let response = app
        .api_post(
            "/api/v1/tips",
            &token,
            json!({
                "category": "lottery_kbc",
                "texts": {
                    "en": "Prize waiting! Call 140 or visit www.kbc-lottery.in",
                    "hi-Latn": "Inaam ke liye *401# dial karein"
                }
            }),
        )
        .await;
    assert_eq!(response.status, 422, "{}", response.text);
    let body = response.json();
    let errors = body["errors"].as_array().unwrap();
    let said = |field: &str, fragment: &str| {
        errors
            .iter()
            .any(|e| e["field"] == field && e["detail"].as_str().unwrap().contains(fragment))
    };
    assert!(said("texts.en", "140"), "{errors:#?}");
    assert!(said("texts.en", "www.kbc-lottery.in"), "{errors:#?}");
    assert!(said("texts.hi-Latn", "*401#"), "{errors:#?}");
    assert_eq!(
        app.state.store.tips().await.unwrap().len(),
        library,
        "nothing saved"
    );
}

#[tokio::test]
async fn a_broadcast_is_planned_once_per_person_when_due_and_not_before() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 12).await;
    let id = app
        .broadcast(
            &token,
            json!({"tip_id": tips[0], "segment": {}, "send_at": "2026-12-02T11:00:00+05:30"}),
        )
        .await;
    let state = app.broadcast_state(&token, id).await;
    assert_eq!(state["status"], "scheduled");
    assert_eq!(state["next_due_at"], "2026-12-02T05:30:00Z");

    app.plan_all().await;
    assert_eq!(app.planned(&token, id).await, 0);

    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    let state = app.broadcast_state(&token, id).await;
    assert_eq!(state["counts"]["planned"], 12, "{state:#}");
    assert_eq!(state["counts"]["remaining"], 12);
    assert_eq!(state["status"], "sending");
    assert_eq!(state["next_due_at"], serde_json::Value::Null);
    assert_eq!(state["runs"], 1);

    // Planning again, by this or another instance, adds nobody twice.
    app.clock.advance(Duration::hours(1));
    app.plan_all().await;
    assert_eq!(app.planned(&token, id).await, 12);
}

#[tokio::test]
async fn the_frequency_cap_skips_a_third_tip_in_one_week() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 5).await;
    let mut ids = Vec::new();
    for (day, tip) in [(1, tips[0]), (3, tips[1]), (5, tips[2]), (9, tips[3])] {
        let send_at = ist(2026, 12, day, 11, 0).to_rfc3339();
        ids.push(
            app.broadcast(&token, json!({"tip_id": tip, "send_at": send_at}))
                .await,
        );
    }
    for day in [1, 3, 5, 9] {
        app.clock.set(ist(2026, 12, day, 11, 0));
        app.plan_all().await;
    }
    let planned: Vec<(i64, i64)> = {
        let mut out = Vec::new();
        for id in &ids {
            let counts = &app.broadcast_state(&token, *id).await["counts"];
            out.push((
                counts["planned"].as_i64().unwrap(),
                counts["suppressed"].as_i64().unwrap(),
            ));
        }
        out
    };
    // 1 and 3 December: sent. 5 December: two in the week already. 9 December: the tip of the
    // 1st is now more than 7 days back, so one more fits.
    assert_eq!(planned, [(5, 0), (5, 0), (0, 5), (5, 0)]);
    let third = app.broadcast_state(&token, ids[2]).await;
    assert_eq!(third["counts"]["suppressed"], 5);
}

#[tokio::test]
async fn a_drip_brings_each_person_the_next_tip_they_have_not_seen() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 4).await;
    let first = app
        .broadcast(
            &token,
            json!({"drip": true, "send_at": ist(2026, 12, 1, 11, 0).to_rfc3339()}),
        )
        .await;
    let second = app
        .broadcast(
            &token,
            json!({"drip": true, "send_at": ist(2026, 12, 8, 11, 0).to_rfc3339()}),
        )
        .await;
    app.clock.set(ist(2026, 12, 1, 11, 0));
    app.plan_all().await;
    app.clock.set(ist(2026, 12, 8, 11, 0));
    app.plan_all().await;
    let store = &app.state.store;
    assert_eq!(
        store.planned_tips(first).await.unwrap(),
        [(Some(tips[0]), 4)]
    );
    assert_eq!(
        store.planned_tips(second).await.unwrap(),
        [(Some(tips[1]), 4)]
    );
}

#[tokio::test]
async fn a_dry_run_counts_recipients_parts_and_cost_and_queues_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 7).await;
    let body = json!({"tip_id": tips[0], "segment": {}, "send_at": "2026-12-02T11:00:00+05:30"});
    let response = app
        .api_post("/api/v1/broadcasts/dry-run", &token, body)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let estimate = response.json();
    // Everyone joined in Hindi (Devanagari): tip-01 costs two UCS-2 parts.
    assert_eq!(estimate["recipients"], 7);
    assert_eq!(estimate["messages"], 7);
    assert_eq!(estimate["parts"], 14);
    assert_eq!(estimate["estimated_cost"], 2.1);
    let english_only = json!({
        "tip_id": tips[0], "segment": {"languages": ["en"]}, "send_at": "2026-12-02T11:00:00+05:30"
    });
    let response = app
        .api_post("/api/v1/broadcasts/dry-run", &token, english_only)
        .await;
    assert_eq!(response.json()["recipients"], 0);
    app.clock.set(ist(2026, 12, 2, 11, 0));
    assert_eq!(app.plan_all().await, 0, "a dry run leaves nothing to plan");
}

#[tokio::test]
async fn a_paused_broadcast_waits_a_resumed_one_goes_and_a_cancelled_one_never_does() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 3).await;
    let send_at = ist(2026, 12, 2, 11, 0).to_rfc3339();
    let paused = app
        .broadcast(&token, json!({"tip_id": tips[0], "send_at": send_at}))
        .await;
    let cancelled = app
        .broadcast(&token, json!({"tip_id": tips[1], "send_at": send_at}))
        .await;
    let pause = app.act(&token, paused, "pause").await;
    assert_eq!(pause.status, 200, "{}", pause.text);
    assert_eq!(pause.json()["status"], "paused");
    let cancel = app.act(&token, cancelled, "cancel").await;
    assert_eq!(cancel.json()["status"], "cancelled");

    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    assert_eq!(app.planned(&token, paused).await, 0);
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 0);

    let resume = app.act(&token, paused, "resume").await;
    assert_eq!(resume.status, 200);
    app.plan_all().await;
    assert_eq!(app.planned(&token, paused).await, 3);
    // Paused again once planned: its queued messages wait.
    assert_eq!(app.act(&token, paused, "pause").await.status, 200);
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 0);
    assert_eq!(app.act(&token, paused, "resume").await.status, 200);
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 3);

    let again = app.act(&token, cancelled, "resume").await;
    assert_eq!(again.status, 409, "{}", again.text);
    let state = app.broadcast_state(&token, cancelled).await;
    assert_eq!(
        (
            state["status"].as_str(),
            state["counts"]["planned"].as_i64()
        ),
        (Some("cancelled"), Some(0))
    );
}

#[tokio::test]
async fn people_who_opt_out_or_are_erased_between_planning_and_sending_get_nothing() {
    let (app, token, _, id) = one_tip_broadcast(4, ist(2026, 12, 2, 11, 0)).await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    let index_of = |n| app.state.vault.blind_index(&msisdn(&villager(n)));
    let store = &app.state.store;
    assert!(store.opt_out(&index_of(2), app.clock_now()).await.unwrap());
    let erased = store.person_by_index(&index_of(3)).await.unwrap().unwrap();
    assert!(store
        .erase_person(erased.id, app.clock_now())
        .await
        .unwrap());
    // Withdrawn at once, before any sender looks at them.
    let counts = &app.broadcast_state(&token, id).await["counts"];
    assert_eq!(
        (counts["suppressed"].as_i64(), counts["remaining"].as_i64()),
        (Some(2), Some(2))
    );

    app.dispatcher().run_until_idle().await.unwrap();
    let counts = &app.broadcast_state(&token, id).await["counts"];
    assert_eq!(counts["planned"], 4);
    assert_eq!(counts["sent"], 2);
    assert_eq!(counts["suppressed"], 2);
    assert_eq!(counts["remaining"], 0);
    let sent = app.state.console.all();
    assert_eq!(sent.len(), 2);
    assert!(sent
        .iter()
        .all(|m| m.to != villager(2) && m.to != villager(3)));
    assert!(sent[0].text.contains("1930"), "{}", sent[0].text);
}

#[tokio::test]
async fn a_planned_run_sends_the_text_it_was_planned_with_and_keeps_one_copy_of_it() {
    let (app, token, tips, id) = one_tip_broadcast(5, ist(2026, 12, 2, 11, 0)).await;
    let hindi = |tip: &serde_json::Value| {
        let texts = tip["texts"].as_array().unwrap();
        let text = texts.iter().find(|t| t["key"] == "hi").unwrap();
        text["text"].as_str().unwrap().to_string()
    };
    let path = format!("/api/v1/tips/{}", tips[0]);
    let tip = app.api_get(&path, &token).await.json();
    let planned_text = hindi(&tip);
    let texts = tip["texts"].as_array().unwrap().len() as i64;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    // Five messages; one copy of each of the tip's texts for the run, not one per message.
    let copies = "SELECT COUNT(*) FROM outbox_texts";
    assert_eq!(crate::helpers::count(&app, copies).await, texts);
    let own = "SELECT COUNT(*) FROM outbox WHERE body IS NULL AND text_id IS NOT NULL";
    assert_eq!(crate::helpers::count(&app, own).await, 5);

    // The admin rewrites the tip between planning and sending.
    let rewritten = "मितान: बैंक कभी OTP नहीं मांगता। ठगी हो तो 1930 पर कॉल करें।";
    let patched = app
        .api_patch(&path, &token, json!({"texts": {"hi": rewritten}}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(hindi(&patched.json()), rewritten);
    app.dispatcher().run_until_idle().await.unwrap();
    let sent = app.state.console.all();
    assert_eq!(sent.len(), 5);
    assert!(sent.iter().all(|m| m.text == planned_text), "{sent:?}");
    assert_eq!(app.broadcast_state(&token, id).await["counts"]["sent"], 5);

    // The next broadcast of the tip is planned with the new text.
    let again = json!({"tip_id": tips[0], "send_at": ist(2026, 12, 3, 11, 0).to_rfc3339()});
    app.broadcast(&token, again).await;
    app.clock.set(ist(2026, 12, 3, 11, 0));
    app.plan_all().await;
    app.dispatcher().run_until_idle().await.unwrap();
    let sent = app.state.console.all();
    assert_eq!(sent.len(), 10);
    assert!(sent[5..].iter().all(|m| m.text == rewritten), "{sent:?}");
    assert_eq!(crate::helpers::count(&app, copies).await, 2 * texts);
}

#[tokio::test]
async fn a_broadcast_due_at_night_leaves_at_ten_the_next_morning_and_expires_after_its_validity() {
    let (app, token, tips, id) = one_tip_broadcast(3, ist(2026, 12, 2, 21, 0)).await;
    app.clock.set(ist(2026, 12, 2, 21, 0));
    app.plan_all().await;
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 0, "nothing leaves at night");
    app.clock.set(ist(2026, 12, 3, 9, 59));
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 0);
    app.clock.set(ist(2026, 12, 3, 10, 0));
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(app.state.console.all().len(), 3);
    let counts = &app.broadcast_state(&token, id).await["counts"];
    assert_eq!(
        (counts["sent"].as_i64(), counts["remaining"].as_i64()),
        (Some(3), Some(0))
    );

    // Due at 11:00, but nothing could send until the next day after 11:00: expired, not late.
    let late = app
        .broadcast(
            &token,
            json!({"tip_id": tips[1], "send_at": ist(2026, 12, 3, 11, 0).to_rfc3339()}),
        )
        .await;
    app.clock.set(ist(2026, 12, 3, 11, 0));
    app.plan_all().await;
    app.clock.set(ist(2026, 12, 4, 11, 0));
    app.dispatcher().run_until_idle().await.unwrap();
    let counts = &app.broadcast_state(&token, late).await["counts"];
    assert_eq!(
        (counts["expired"].as_i64(), counts["sent"].as_i64()),
        (Some(3), Some(0))
    );
}

#[tokio::test]
async fn a_monthly_rule_comes_due_on_the_first_wednesday_in_bilaspur_time() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 2).await;
    let id = app
        .broadcast(&token, json!({"tip_id": tips[0], "cron": "0 11 * * WED#1"}))
        .await;
    assert_eq!(
        app.broadcast_state(&token, id).await["next_due_at"],
        "2026-12-02T05:30:00Z"
    );
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    let state = app.broadcast_state(&token, id).await;
    assert_eq!(state["runs"], 1);
    assert_eq!(state["counts"]["planned"], 2);
    assert_eq!(state["next_due_at"], "2027-01-06T05:30:00Z");
    let bad = app
        .api_post(
            "/api/v1/broadcasts",
            &token,
            json!({"tip_id": tips[0], "cron": "every wednesday"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
}

#[tokio::test]
async fn planning_cut_off_mid_way_resumes_without_gaps_or_repeats() {
    let (app, token, tips, id) = one_tip_broadcast(12, ist(2026, 12, 2, 11, 0)).await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    let cap = app.state.settings.campaign.frequency_cap();
    let now = app.clock_now();
    assert_eq!(
        try_plan_one(&app.state.planning(), now).await.unwrap(),
        PlanStep::Opened(id)
    );
    // One batch of 5, then the process dies: a new connection takes over.
    let first = app
        .state
        .store
        .plan_batch(cap, 5, "console", None, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.rows, first.finished), (5, false));
    let restarted = crate::helpers::open_store(&app.db.url).await;
    // As if the cursor's move had been lost with the crash: the batch is planned again.
    crate::helpers::raw_sql(&app.db, "UPDATE broadcast_runs SET cursor = 0")
        .await
        .unwrap();
    let mut rows = 0;
    while let Some(batch) = restarted
        .plan_batch(cap, 5, "console", None, now)
        .await
        .unwrap()
    {
        rows += batch.rows;
        if batch.finished {
            break;
        }
    }
    assert_eq!(rows, 7, "the five planned before are not planned again");
    assert_eq!(app.planned(&token, id).await, 12);
    assert_eq!(
        app.state.store.planned_tips(id).await.unwrap(),
        [(Some(tips[0]), 12)]
    );
}

#[tokio::test]
async fn custom_texts_go_to_each_person_in_their_language_and_cancel_withdraws_what_is_queued() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    villagers(&app, 3).await;
    let body = json!({
        "texts": {
            "hi": "साइबर जागरूकता दिवस: ठगी हो तो 1930 पर कॉल करें।",
            "en": "Cyber Jaagrookta Diwas: cheated? Call 1930."
        },
        "send_at": ist(2026, 12, 2, 11, 0).to_rfc3339()
    });
    let id = app.broadcast(&token, body).await;
    let cancelled = app
        .broadcast(
            &token,
            json!({"texts": {"hi": "कल ठगी से बचें। 1930"}, "send_at": ist(2026, 12, 2, 11, 0).to_rfc3339()}),
        )
        .await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    assert_eq!(app.act(&token, cancelled, "cancel").await.status, 200);
    app.dispatcher().run_until_idle().await.unwrap();
    let sent = app.state.console.all();
    assert_eq!(sent.len(), 3, "only the broadcast not cancelled");
    assert!(sent.iter().all(|m| m.text.starts_with("साइबर जागरूकता")));
    let state = app.broadcast_state(&token, id).await;
    assert_eq!(state["content"], "custom");
    let counts = &app.broadcast_state(&token, cancelled).await["counts"];
    assert_eq!(
        (counts["suppressed"].as_i64(), counts["sent"].as_i64()),
        (Some(3), Some(0))
    );
}

#[tokio::test]
async fn a_stored_segment_the_code_cannot_read_stops_planning_instead_of_reaching_everyone() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 4).await;
    let due = ist(2026, 12, 2, 11, 0);
    let body =
        json!({"tip_id": tips[0], "segment": {"languages": ["en"]}, "send_at": due.to_rfc3339()});
    let id = app.broadcast(&token, body).await;
    // A language this version does not know (a newer version wrote it, or someone by hand):
    // dropping it would leave a segment of every language.
    crate::helpers::raw_sql(
        &app.db,
        r#"UPDATE broadcasts SET segment = '{"areas":[],"languages":["xx"],"recruiter_kinds":[]}'"#,
    )
    .await
    .unwrap();
    app.clock.set(due);
    let planned = try_plan_one(&app.state.planning(), due).await;
    let err = planned.expect_err("planning cannot read the segment");
    assert!(
        format!("{err:#}").contains(r#"unknown language "xx""#),
        "{err:#}"
    );
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM outbox").await,
        0
    );
    let shown = app
        .api_get(&format!("/api/v1/broadcasts/{id}"), &token)
        .await;
    assert_eq!(shown.status, 500, "{}", shown.text);
}

#[tokio::test]
async fn a_broadcast_counts_its_failures_by_reason_and_no_reason_holds_a_number() {
    use crate::fake::{Canned, FakeAggregator};
    // The aggregator refuses the first two sends for the account, and the rest naming the
    // recipient's number, as real ones do.
    let fake = FakeAggregator::start(Canned::json(
        400,
        json!({"error": "rejected", "detail": "the number {to} is not on the DLT scrub list"}),
    ))
    .await;
    let suspended = Canned::json(403, json!({"error": "account suspended"}));
    fake.then(suspended.clone()).then(suspended);
    let url = fake.url.clone();
    let app = spawn_app_with(move |figment| {
        figment
            .merge(Serialized::default("broadcasts.planner", false))
            .merge(Serialized::default("outbound.default_channel", "generic"))
            .merge(Serialized::default("channels.generic.base_url", url))
    })
    .await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 5).await;
    let due = ist(2026, 12, 2, 11, 0);
    let id = app
        .broadcast(
            &token,
            json!({"tip_id": tips[0], "send_at": due.to_rfc3339()}),
        )
        .await;
    app.clock.set(due);
    app.plan_all().await;
    app.dispatcher().run_until_idle().await.unwrap();

    let counts = &app.broadcast_state(&token, id).await["counts"];
    assert_eq!(counts["failed"], 5, "{counts}");
    assert_eq!(
        counts["failures"],
        json!([
            {
                "reason": r#"HTTP 400: {"detail":"the number … is not on the DLT scrub list","error":"rejected"}"#,
                "count": 3
            },
            {"reason": r#"HTTP 403: {"error":"account suspended"}"#, "count": 2}
        ]),
        "{counts}"
    );
    // `broadcast_state` scanned the answer for numbers; nor does the database keep one.
    let dump = crate::helpers::dump_database(&app.db).await;
    for n in 0..5 {
        for form in crate::helpers::number_forms(&villager(n)) {
            assert!(
                !crate::helpers::contains_bytes(&dump, form.as_bytes()),
                "{form} is stored"
            );
        }
    }
}

#[tokio::test]
async fn two_instances_on_one_database_plan_and_send_a_broadcast_once_to_each_person() {
    let app = spawn_app_with(|figment| {
        figment
            .merge(Serialized::default("broadcasts.planner", false))
            .merge(Serialized::default("broadcasts.plan_batch", 7))
            .merge(Serialized::default("channels.console.tps", 1000))
    })
    .await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 40).await;
    let id = app
        .broadcast(
            &token,
            json!({"tip_id": tips[0], "send_at": ist(2026, 12, 2, 11, 0).to_rfc3339()}),
        )
        .await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    let other = app.second_instance().await;
    let states = [app.state.clone(), other.clone()];
    plan_side_by_side(&states).await;
    let senders: Vec<_> = states
        .iter()
        .flat_map(|state| (0..2).map(|_| mitan::dispatcher::Dispatcher::new(state.dispatch())))
        .collect();
    crate::helpers::join_all(senders.iter().map(|d| d.run_until_idle())).await;

    let mut recipients: Vec<String> = app
        .state
        .console
        .all()
        .into_iter()
        .chain(other.console.all())
        .map(|m| m.to)
        .collect();
    assert_eq!(recipients.len(), 40);
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 40, "someone got the broadcast twice");
    let counts = &app.broadcast_state(&token, id).await["counts"];
    assert_eq!(
        (counts["planned"].as_i64(), counts["sent"].as_i64()),
        (Some(40), Some(40))
    );
    other.store.close().await;
}

#[tokio::test]
async fn two_instances_planning_two_broadcasts_at_once_keep_the_frequency_cap() {
    let app = spawn_app_with(|figment| {
        figment
            .merge(Serialized::default("broadcasts.planner", false))
            .merge(Serialized::default("broadcasts.plan_batch", 3))
            .merge(Serialized::default("campaign.max_tips_per_week", 1))
    })
    .await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    villagers(&app, 30).await;
    let send_at = ist(2026, 12, 2, 11, 0).to_rfc3339();
    let first = app
        .broadcast(&token, json!({"tip_id": tips[0], "send_at": send_at}))
        .await;
    let second = app
        .broadcast(&token, json!({"tip_id": tips[1], "send_at": send_at}))
        .await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    let other = app.second_instance().await;
    plan_side_by_side(&[app.state.clone(), other.clone()]).await;

    // Each person gets one of the two tips, never both: the cap is one a week.
    let mut queued = 0;
    let mut capped = 0;
    for id in [first, second] {
        let plan = app.state.store.plan_counts(id).await.unwrap();
        queued += plan.queued;
        capped += plan.capped;
    }
    assert_eq!((queued, capped), (30, 30));
    app.dispatcher().run_until_idle().await.unwrap();
    let mut recipients: Vec<String> = app.state.console.all().into_iter().map(|m| m.to).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30, "everyone got exactly one tip");
    assert_eq!(app.state.console.all().len(), 30);
    other.store.close().await;
}

#[tokio::test]
async fn broadcasts_are_listed_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let tips = seed_tips(&app).await;
    let send_at = ist(2026, 12, 2, 11, 0).to_rfc3339();
    let older = app
        .broadcast(&token, json!({"tip_id": tips[0], "send_at": send_at}))
        .await;
    let newer = app
        .broadcast(&token, json!({"drip": true, "cron": "0 11 * * WED#1"}))
        .await;
    assert_eq!(app.act(&token, older, "pause").await.status, 200);

    let first = app.api_get("/api/v1/broadcasts?limit=1", &token).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = first.json();
    assert_eq!(first["items"][0]["id"], newer);
    assert_eq!(first["items"][0]["content"], "drip");
    assert_eq!(first["items"][0]["status"], "scheduled");
    let cursor = first["next_before"].as_i64().expect("a next page");
    let second = app
        .api_get(
            &format!("/api/v1/broadcasts?limit=1&before={cursor}"),
            &token,
        )
        .await
        .json();
    assert_eq!(second["items"][0]["id"], older);
    assert_eq!(second["items"][0]["status"], "paused");
    assert_eq!(second["items"][0]["counts"]["planned"], 0);

    let all = app.api_get("/api/v1/broadcasts", &token).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(all["next_before"].is_null());
    for bad in ["limit=0", "limit=201", "before=x", "colour=red"] {
        let response = app
            .api_get(&format!("/api/v1/broadcasts?{bad}"), &token)
            .await;
        assert!(
            (400..500).contains(&response.status),
            "{bad}: {} {}",
            response.status,
            response.text
        );
    }
}

#[tokio::test]
async fn each_person_gets_the_text_in_their_language_and_script_or_its_nearest_fallback() {
    use mitan::enrollment::{Language, Script};
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let people = [
        (Language::Hindi, Script::Native),
        (Language::Chhattisgarhi, Script::Native),
        (Language::English, Script::Native),
        (Language::Hindi, Script::Roman),
        (Language::Chhattisgarhi, Script::Roman),
    ];
    for (n, (language, script)) in people.iter().enumerate() {
        let number = villager(n as u32);
        app.join(&number, None, app.clock_now()).await;
        let index = app.state.vault.blind_index(&msisdn(&number));
        assert!(app
            .state
            .store
            .set_language(&index, *language, *script)
            .await
            .unwrap());
    }
    let send_at = ist(2026, 12, 2, 11, 0).to_rfc3339();
    let texts = json!({
        "hi": "हिंदी: ठगी हो तो 1930 पर कॉल करें।",
        "en": "English: cheated? Call 1930.",
        "hi-Latn": "Roman: thagi ho to 1930 par call karein."
    });
    let id = app
        .broadcast(&token, json!({"texts": texts, "send_at": send_at}))
        .await;
    // A text in English only: Hindi and Chhattisgarhi readers in Devanagari cannot read it.
    let english_only = app
        .broadcast(
            &token,
            json!({"texts": {"en": "Only English: call 1930."}, "send_at": send_at}),
        )
        .await;
    app.clock.set(ist(2026, 12, 2, 11, 0));
    app.plan_all().await;
    app.dispatcher().run_until_idle().await.unwrap();
    let got = |n: u32| app.inbox(&villager(n));
    assert_eq!(got(0)[0], "हिंदी: ठगी हो तो 1930 पर कॉल करें।");
    assert_eq!(
        got(1)[0],
        "हिंदी: ठगी हो तो 1930 पर कॉल करें।",
        "Chhattisgarhi falls back to Hindi"
    );
    assert_eq!(got(2)[0], "English: cheated? Call 1930.");
    assert_eq!(got(3)[0], "Roman: thagi ho to 1930 par call karein.");
    assert_eq!(
        got(4)[0],
        "Roman: thagi ho to 1930 par call karein.",
        "to Roman Hindi"
    );
    assert_eq!(app.planned(&token, id).await, 5);
    let counts = &app.broadcast_state(&token, english_only).await["counts"];
    assert_eq!(
        (counts["sent"].as_i64(), counts["suppressed"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(got(0).len(), 1);
    assert_eq!(got(3).last().unwrap(), "Only English: call 1930.");
}

#[tokio::test]
async fn an_admin_retires_a_tip_and_rewrites_a_text_and_villagers_see_the_change() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let library = app.state.store.tips().await.unwrap();
    let first = library[0].id;
    let active = |app: &TestApp| app.state.tips.current().len();
    assert_eq!(active(&app), 24);

    let retired = app
        .api_patch(
            &format!("/api/v1/tips/{first}"),
            &token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(retired.status, 200, "{}", retired.text);
    assert_eq!(retired.json()["active"], false);
    assert_eq!(active(&app), 23, "today's tip no longer shows it");

    let second = library[1].id;
    let rewritten = app
        .api_patch(
            &format!("/api/v1/tips/{second}"),
            &token,
            json!({"texts": {"en": "Mitan: a bank never asks for your OTP. Call 1930."}, "order": 99}),
        )
        .await;
    assert_eq!(rewritten.status, 200, "{}", rewritten.text);
    let tip = rewritten.json();
    assert_eq!(tip["order"], 99);
    let english = tip["texts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "en")
        .unwrap();
    assert_eq!(
        english["text"],
        "Mitan: a bank never asks for your OTP. Call 1930."
    );
    assert_eq!(
        (english["encoding"].as_str(), english["parts"].as_i64()),
        (Some("gsm7"), Some(1))
    );
    assert_eq!(
        tip["texts"].as_array().unwrap().len(),
        4,
        "the other texts stay"
    );

    for (body, field) in [
        (
            json!({"texts": {"en": "Win Rs 5000! Call 9876543210 now"}}),
            "texts.en",
        ),
        (json!({"category": "Not A Category"}), "category"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let refused = app
            .api_patch(&format!("/api/v1/tips/{second}"), &token, body.clone())
            .await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert!(refused.text.contains(field), "{body}: {}", refused.text);
    }
    let unchanged = app.state.store.tip(second).await.unwrap().unwrap();
    assert_eq!(unchanged.order, 99, "a refused change writes nothing");

    // A template id alone is registered for the tip's stored text of its key, which stays.
    let registered = app
        .api_patch(
            &format!("/api/v1/tips/{second}"),
            &token,
            json!({"template_ids": {"en": "1107160000000099999"}}),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    let texts = registered.json()["texts"].as_array().unwrap().clone();
    let english = texts.iter().find(|t| t["key"] == "en").unwrap();
    assert_eq!(english["template_id"], "1107160000000099999");
    assert_eq!(
        english["text"],
        "Mitan: a bank never asks for your OTP. Call 1930."
    );
    assert_eq!(texts.len(), 4, "the other texts stay");
    // A template id for a key the tip has no text of is refused by name.
    let fresh = app
        .api_post(
            "/api/v1/tips",
            &token,
            json!({"category": "upi_pin_scam", "texts": {"hi": "पिन किसी को न बताएं। 1930"}}),
        )
        .await;
    assert_eq!(fresh.status, 201, "{}", fresh.text);
    let fresh = fresh.json()["id"].as_i64().unwrap();
    let refused = app
        .api_patch(
            &format!("/api/v1/tips/{fresh}"),
            &token,
            json!({"template_ids": {"en": "1107160000000099999"}}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("template_ids.en"), "{}", refused.text);
    assert!(
        refused.text.contains("no text with this key"),
        "{}",
        refused.text
    );
    let missing = app
        .api_patch("/api/v1/tips/999999", &token, json!({"active": true}))
        .await;
    assert_eq!(missing.status, 404);
}

//! SMS keywords and missed calls, as villagers and officers send them, through the console
//! channel; replies are read from what the dispatcher sent.

use chrono::Duration;
use mitan::clock::Clock as _;
use mitan::enrollment::Language;
use mitan::enrollment::PersonStatus;
use mitan::outbox::Outcome;
use mitan::outbox::{OutboundKind, OutboxStatus};

use crate::helpers::{
    contains_bytes, count, dump_database, join_all, message_id, msisdn, officer, spawn_app,
    spawn_app_with, NEIGHBOUR, OFFICER, VILLAGER,
};
use figment::providers::Serialized;

#[tokio::test]
async fn join_with_a_code_then_yes_makes_a_member_credited_to_the_officer() {
    let app = spawn_app().await;
    let (officer_id, code) = officer(&app, None).await;

    let notice = app.text(VILLAGER, &format!("JOIN {code}")).await;
    assert_eq!(notice.len(), 1, "{notice:?}");
    assert!(
        notice[0].contains("police never see your number"),
        "{notice:?}"
    );
    assert!(notice[0].contains("Reply YES"), "{notice:?}");
    assert!(
        app.person(VILLAGER).await.is_none(),
        "stored before consent"
    );

    let welcome = app.text(VILLAGER, "yes").await;
    assert_eq!(welcome.len(), 1, "{welcome:?}");
    assert!(
        welcome[0].starts_with("Welcome to Cyber Mitan! Your code is "),
        "{welcome:?}"
    );
    let member = app.person(VILLAGER).await.expect("a member");
    assert_eq!(member.status, PersonStatus::Active);
    assert_eq!(member.consent_channel, "sms");
    assert_eq!(member.recruited_by, Some(officer_id));
    assert!(welcome[0].contains(member.own_code.as_deref().unwrap()));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sms_pending_consents").await,
        0
    );
}

#[tokio::test]
async fn keywords_work_in_any_case_script_and_with_stray_punctuation() {
    let app = spawn_app().await;
    let journeys = [
        (VILLAGER, " judo!! ", "HAAN ji", "Cyber Mitan mein swagat"),
        (NEIGHBOUR, "जुड़ें", "हाँ", "साइबर मितान में स्वागत"),
        (OFFICER, "'Join.'", "*yes*", "Welcome to Cyber Mitan"),
    ];
    for (number, join, yes, welcome) in journeys {
        let notice = app.text(number, join).await;
        assert_eq!(notice.len(), 1, "{join}: {notice:?}");
        let answer = app.text(number, yes).await;
        assert!(answer[0].contains(welcome), "{yes}: {answer:?}");
        assert_eq!(
            app.person(number).await.unwrap().status,
            PersonStatus::Active
        );
    }
    let hindi = app.person(NEIGHBOUR).await.unwrap();
    assert_eq!(hindi.language, Language::Hindi);
}

#[tokio::test]
async fn a_bare_yes_gets_short_help_and_joins_nobody() {
    let app = spawn_app().await;
    let answer = app.text(VILLAGER, "YES").await;
    assert_eq!(answer.len(), 1);
    assert!(answer[0].contains("HELP"), "{answer:?}");
    assert!(app.person(VILLAGER).await.is_none());
}

#[tokio::test]
async fn nothing_is_kept_of_a_villager_who_never_says_yes() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    let index = app.state.vault.blind_index(&msisdn(VILLAGER));
    let dump = dump_database(&app.db).await;
    assert!(
        !contains_bytes(&dump, index.as_bytes()),
        "blind index stored before consent"
    );
    assert!(!contains_bytes(&dump, b"9876543210"));

    app.clock.advance(Duration::hours(49));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sms_pending_consents").await,
        0
    );
    // The notice was delivered and reported: the outbox keeps only the hint.
    let notice = &app.outbox().await[0];
    let id = notice.provider_message_id.clone().unwrap();
    app.client
        .post(app.url("/webhooks/console/delivery"))
        .form(&[("id", id.as_str()), ("status", "Success")])
        .send()
        .await
        .unwrap();
    let notice = &app.outbox().await[0];
    assert_eq!(notice.status, OutboxStatus::Delivered);
    assert!(!notice.sealed);
    assert_eq!(notice.hint, "10");
    // And a late YES joins nobody.
    let late = app.text(VILLAGER, "YES").await;
    assert!(late[0].contains("HELP"), "{late:?}");
    assert!(app.person(VILLAGER).await.is_none());
}

#[tokio::test]
async fn stop_stops_everything_still_queued_and_is_confirmed_once() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    app.text(VILLAGER, "YES").await;
    let sent_before = app.inbox(VILLAGER).len();
    // Two messages are waiting (a tip and a broadcast) when STOP arrives.
    app.sms(VILLAGER, "TIP").await;
    let member = app.person(VILLAGER).await.unwrap();
    let tip = "Weekly tip: never share your OTP.";
    app.queue(
        "console",
        VILLAGER,
        OutboundKind::Bulk,
        tip,
        Some(member.id),
    )
    .await;
    app.sms(VILLAGER, "Stop").await;
    app.sms(VILLAGER, "STOP").await;
    let outcomes = app.deliver().await;

    let received = app.inbox(VILLAGER)[sent_before..].to_vec();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].contains("no more SMS"), "{received:?}");
    assert_eq!(outcomes, [Outcome::Sent]);
    assert_eq!(
        app.person(VILLAGER).await.unwrap().status,
        PersonStatus::OptedOut
    );
    let suppressed = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.status == OutboxStatus::Suppressed)
        .count();
    assert_eq!(suppressed, 2);
}

#[tokio::test]
async fn stop_in_the_middle_of_a_ussd_registration_ends_it() {
    let app = spawn_app().await;
    let mut handset = app.handset(VILLAGER);
    handset.dial().await;
    handset.press("3").await; // English
    handset.press("1").await.says("or 0 to skip"); // Join: asks for a code
    handset.press("0").await.says("We keep only"); // the notice
    app.text(VILLAGER, "STOP").await;

    assert_eq!(count(&app, "SELECT COUNT(*) FROM ussd_sessions").await, 0);
    // The next dial starts afresh: no offer to continue the registration.
    let screen = app.handset(VILLAGER).dial().await;
    assert!(!screen.text.contains("did not finish"), "{}", screen.text);
    assert!(app.person(VILLAGER).await.is_none());
    // A late hop of the stopped session (the villager pressed on) continues nothing: it starts
    // at the first screen, with no trace of the notice it had reached.
    handset.press("1").await.says("1 हिंदी Hindi");
    assert!(app.person(VILLAGER).await.is_none());
}

#[tokio::test]
async fn fifty_copies_of_one_webhook_have_one_effect_and_one_reply() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    let id = message_id();
    join_all((0..50).map(|_| app.sms_on("console", VILLAGER, "YES", &id))).await;
    let outcomes = app.deliver().await;
    assert_eq!(outcomes, [Outcome::Sent]);
    assert_eq!(app.inbox(VILLAGER).len(), 2, "notice and one welcome");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, 1);
    // A later retry of the JOIN's webhook is recognised too.
    app.sms_on("console", VILLAGER, "YES", &id).await;
    assert!(app.deliver().await.is_empty());
}

#[tokio::test]
async fn an_aggregator_retrying_a_join_never_uses_up_the_villagers_next_message() {
    let app = spawn_app().await;
    // The aggregator sends the same JOIN twelve times (more than `sms.inbound_per_minute`).
    let join = message_id();
    for _ in 0..12 {
        app.sms_on("console", VILLAGER, "JOIN", &join).await;
    }
    // The villager's real answer, a new message, still counts.
    app.sms_on("console", VILLAGER, "YES", &message_id()).await;
    app.deliver().await;
    let inbox = app.inbox(VILLAGER);
    assert_eq!(inbox.len(), 2, "one notice, one welcome: {inbox:?}");
    assert_eq!(
        app.person(VILLAGER).await.map(|p| p.status),
        Some(PersonStatus::Active)
    );
}

#[tokio::test]
async fn fifty_concurrent_copies_of_join_then_of_yes_make_one_member_and_two_replies() {
    let app = spawn_app().await;
    let (join, yes) = (message_id(), message_id());
    join_all((0..50).map(|_| app.sms_on("console", VILLAGER, "JOIN", &join))).await;
    join_all((0..50).map(|_| app.sms_on("console", VILLAGER, "YES", &yes))).await;
    app.deliver().await;
    let inbox = app.inbox(VILLAGER);
    assert_eq!(inbox.len(), 2, "one notice, one welcome: {inbox:?}");
    assert!(inbox[1].contains("code"), "{inbox:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, 1);
}

#[tokio::test]
async fn over_the_flood_limit_a_consent_or_a_stop_still_goes_through() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("sms.inbound_per_minute", 2))).await;
    app.text(VILLAGER, "JOIN").await;
    for _ in 0..3 {
        app.sms(VILLAGER, "what is this").await;
    }
    // Over the limit now; the villager's YES is their consent and is never dropped.
    app.sms(VILLAGER, "हाँ").await;
    app.deliver().await;
    assert_eq!(
        app.person(VILLAGER).await.map(|p| p.status),
        Some(PersonStatus::Active)
    );
    // Nor is a STOP.
    app.sms(VILLAGER, "STOP").await;
    app.deliver().await;
    assert_eq!(
        app.person(VILLAGER).await.map(|p| p.status),
        Some(PersonStatus::OptedOut)
    );
    assert!(
        app.last_sms(VILLAGER).contains("START"),
        "the stop is confirmed"
    );
}

#[tokio::test]
async fn an_empty_sms_is_acknowledged_without_a_paid_reply() {
    let app = spawn_app().await;
    for body in ["", "   ", "\n"] {
        let response = app.sms(VILLAGER, body).await;
        assert_eq!(response.status(), 200);
    }
    app.deliver().await;
    assert!(app.inbox(VILLAGER).is_empty(), "{:?}", app.inbox(VILLAGER));
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn unknown_messages_get_a_few_short_helps_a_day_and_robots_get_none() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.sms(VILLAGER, "hello, who is this?").await;
    }
    app.deliver().await;
    let answers = app.inbox(VILLAGER);
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert!(answers.iter().all(|a| a.contains("HELP")));

    // A short code and an alphanumeric sender are never answered (no auto-reply loops).
    for sender in ["56767", "AD-HDFCBK", "VM-AIRTEL"] {
        let response = app.sms(sender, "Your OTP is 1234").await;
        assert_eq!(response.status(), 200);
    }
    assert!(app.deliver().await.is_empty());
    assert_eq!(app.outbox().await.len(), 3);
}

#[tokio::test]
async fn a_flood_from_one_number_is_acknowledged_but_not_processed() {
    // A console channel of this test's own: the metrics are the process's, shared by every test.
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("sms.inbound_per_minute", 3))
            .merge(Serialized::default("channels.flood.kind", "console"))
    })
    .await;
    for _ in 0..6 {
        let response = app.sms_on("flood", VILLAGER, "HELP", &message_id()).await;
        assert_eq!(response.status(), 200);
    }
    app.deliver().await;
    assert_eq!(app.inbox(VILLAGER).len(), 3);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"sms_inbound_total{channel="flood",outcome="limited"} 3"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn help_tip_and_language_answer_in_the_members_language() {
    let app = spawn_app().await;
    app.text(VILLAGER, "जुड़ें").await;
    app.text(VILLAGER, "हां").await;
    let help = app.text(VILLAGER, "MADAD").await;
    assert!(help[0].contains("1930"), "{help:?}");
    assert!(help[0].contains("साइबर मितान"), "{help:?}");
    let tip = app.text(VILLAGER, "tip").await;
    assert!(tip[0].starts_with("सुझाव:"), "{tip:?}");
    let switched = app.text(VILLAGER, "LANG EN").await;
    assert!(switched[0].contains("English"), "{switched:?}");
    assert_eq!(
        app.person(VILLAGER).await.unwrap().language,
        Language::English
    );
    let tip = app.text(VILLAGER, "TIP").await;
    assert!(tip[0].starts_with("Cyber Mitan tip:"), "{tip:?}");
}

#[tokio::test]
async fn delete_erases_the_number_and_confirms() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    app.text(VILLAGER, "YES").await;
    let erased = app.text(VILLAGER, "DELETE").await;
    assert!(erased[0].contains("erased"), "{erased:?}");
    assert!(app.person(VILLAGER).await.is_none());
    assert_eq!(
        app.state
            .store
            .count_people(PersonStatus::Erased)
            .await
            .unwrap(),
        1
    );
    assert!(app.is_suppressed(VILLAGER).await);
}

#[tokio::test]
async fn an_officer_sees_counts_and_codes_and_invites_without_learning_anything() {
    let app = spawn_app().await;
    let (_, code) = officer(&app, Some(OFFICER)).await;
    let status = app.text(OFFICER, "STATUS").await;
    assert_eq!(
        status,
        [format!(
            "Cyber Mitan: 0 of 25 recruits so far. Your code: {code}."
        )]
    );
    let mine = app.text(OFFICER, "code").await;
    assert!(mine[0].contains(&format!("JOIN {code}")), "{mine:?}");

    let invited = app.text(OFFICER, "INVITE 98765 43210").await;
    assert_eq!(invited, ["Invited."]);
    let invitation = app.inbox(VILLAGER);
    assert_eq!(invitation.len(), 1);
    assert!(
        invitation[0].contains("volunteer asked us to invite you"),
        "{invitation:?}"
    );
    assert!(app.person(VILLAGER).await.is_none());

    // Invited twice: the officer hears the same, the villager nothing more.
    assert_eq!(app.text(OFFICER, "INVITE 09876543210").await, ["Invited."]);
    assert_eq!(app.inbox(VILLAGER).len(), 1);

    app.text(VILLAGER, "haan").await;
    let status = app.text(OFFICER, "STATUS").await;
    assert!(status[0].contains("1 of 25"), "{status:?}");

    // Someone who opted out is never invited.
    app.text(NEIGHBOUR, "STOP").await;
    let before = app.inbox(NEIGHBOUR).len();
    assert_eq!(app.text(OFFICER, "INVITE 7000012345").await, ["Invited."]);
    assert_eq!(app.inbox(NEIGHBOUR).len(), before);

    // Nobody else can use officer commands.
    let stranger = app.text("+919000000001", "INVITE 9876543210").await;
    assert!(stranger[0].contains("HELP"), "{stranger:?}");
}

#[tokio::test]
async fn invitations_are_limited_per_officer() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("sms.invites_per_hour", 2))).await;
    officer(&app, Some(OFFICER)).await;
    for number in ["9000000001", "9000000002", "9000000003"] {
        app.sms(OFFICER, &format!("INVITE {number}")).await;
    }
    app.deliver().await;
    assert_eq!(app.inbox(OFFICER).len(), 2);
    assert!(app.inbox("9000000003").is_empty());
}

#[tokio::test]
async fn a_missed_call_asks_for_yes_and_one_to_the_optout_number_stops() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "channels.console.optin_number",
            "08047192000",
        ))
        .merge(Serialized::default(
            "channels.console.optout_number",
            "08047192001",
        ))
    })
    .await;
    let response = app.missed_call(VILLAGER, "+918047192000").await;
    assert_eq!(response.status(), 200);
    app.deliver().await;
    assert!(app.last_sms(VILLAGER).contains("Reply YES"));
    assert!(
        app.person(VILLAGER).await.is_none(),
        "a missed call is not consent"
    );
    app.text(VILLAGER, "YES").await;
    assert_eq!(
        app.person(VILLAGER).await.unwrap().status,
        PersonStatus::Active
    );

    app.missed_call(VILLAGER, "08047192001").await;
    app.deliver().await;
    assert!(app.last_sms(VILLAGER).contains("no more SMS"));
    assert_eq!(
        app.person(VILLAGER).await.unwrap().status,
        PersonStatus::OptedOut
    );
}

#[test]
fn simulate_sends_an_sms_and_shows_the_replies() {
    let mitan = crate::helpers::Binary::serve(tempfile::tempdir().unwrap(), &[]);
    let shown =
        crate::helpers::simulate(&mitan, &["--sms", "--phone", VILLAGER], "JOIN\nhaan\nq\n");
    assert!(shown.contains("Reply YES"), "{shown}");
    assert!(shown.contains("│ Welcome to Cyber"), "{shown}");
}

#[tokio::test]
async fn stopping_in_the_ussd_menu_also_stops_what_sms_had_queued() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    app.text(VILLAGER, "YES").await;
    let before = app.inbox(VILLAGER).len();
    app.sms(VILLAGER, "TIP").await; // queued, not yet sent
    let mut handset = app.handset(VILLAGER);
    handset.dial().await.says("2 Stop tips");
    assert!(handset.press("2").await.end);
    assert!(app.deliver().await.is_empty());
    assert_eq!(app.inbox(VILLAGER).len(), before);
    let tip = app.outbox().await.pop().unwrap();
    assert_eq!(tip.status, OutboxStatus::Suppressed);
}

#[tokio::test]
async fn an_erasure_from_anywhere_stops_what_was_queued_for_the_person() {
    let app = spawn_app().await;
    app.text(VILLAGER, "JOIN").await;
    app.text(VILLAGER, "YES").await;
    let before = app.inbox(VILLAGER).len();
    app.sms(VILLAGER, "TIP").await; // queued, not yet sent
    let member = app.person(VILLAGER).await.unwrap();
    // An admin erases the person (as DELETE /api/v1/people/{id} does).
    assert!(app
        .state
        .store
        .erase_person(member.id, app.clock.now())
        .await
        .unwrap());
    assert!(app.deliver().await.is_empty());
    assert_eq!(app.inbox(VILLAGER).len(), before);
    let tip = app.outbox().await.pop().unwrap();
    assert_eq!(tip.status, OutboxStatus::Suppressed);
    assert!(!tip.sealed);
}

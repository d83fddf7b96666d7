//! Whole USSD journeys through the HTTP endpoint, as a villager's handset makes them.

use chrono::Duration;
use mitan::clock::Clock as _;
use mitan::enrollment::PersonStatus;
use mitan::enrollment::{Language, OptInCode, Script};
use mitan::store::NewEventCode;
use serde_json::json;

use crate::helpers::{
    contains_bytes, dump_database, generic_request, msisdn, number_forms, officer, spawn_app,
    TestApp, GENERIC_SECRET, NEIGHBOUR, VILLAGER,
};

/// What each language's screens say, by the fragments a person would recognise.
struct Words {
    press: &'static str,
    language: Language,
    join: &'static str,
    code: &'static str,
    stored: &'static str,
    police: &'static str,
    consent: &'static str,
    joined: &'static str,
    declined: &'static str,
    stopped: &'static str,
    erased: &'static str,
    mistyped: &'static str,
    unknown: &'static str,
    resume: &'static str,
}

const LANGUAGES: [Words; 3] = [
    Words {
        press: "1",
        language: Language::Hindi,
        join: "1 जुड़ें",
        code: "0 दबाएं",
        stored: "हम रखेंगे",
        police: "पुलिस को नहीं दिखेगा",
        consent: "18 साल",
        joined: "जुड़ गए",
        declined: "कुछ भी सेव नहीं हुआ",
        stopped: "बंद हो गया",
        erased: "नंबर मिटा दिया गया",
        mistyped: "कोड में गलती",
        unknown: "किसी का नहीं",
        resume: "अधूरा",
    },
    Words {
        press: "2",
        language: Language::Chhattisgarhi,
        join: "1 जुड़व",
        code: "0 दबावव",
        stored: "हमन रखबो",
        police: "पुलिस ल नइ दिखय",
        consent: "18 बछर",
        joined: "जुड़ गेव",
        declined: "कुछु सेव नइ होइस",
        stopped: "बंद होगे",
        erased: "नंबर मिटा दे गिस",
        mistyped: "कोड म गलती",
        unknown: "काकरो नो हे",
        resume: "अधूरा",
    },
    Words {
        press: "3",
        language: Language::English,
        join: "1 Join",
        code: "or 0 to skip",
        stored: "We keep only",
        police: "NOT shown to police",
        consent: "18 or older",
        joined: "Done! Your mitan code is",
        declined: "Nothing was saved",
        stopped: "Stopped.",
        erased: "Your number is erased",
        mistyped: "typing mistake",
        unknown: "No one has that code",
        resume: "did not finish joining",
    },
];

/// Walks from the dial to the consent screen, checking every screen.
async fn to_consent(phone: &mut crate::helpers::Handset<'_>, words: &Words, code: Option<&str>) {
    phone.dial().await.says("1 हिंदी Hindi").says("3 English");
    phone.press(words.press).await.says(words.join);
    phone.press("1").await.says(words.code);
    phone.press(code.unwrap_or("0")).await.says(words.stored);
    phone.press("1").await.says(words.police);
    phone.press("1").await.says(words.consent);
}

#[tokio::test]
async fn a_villager_joins_without_a_code_in_each_language() {
    let app = spawn_app().await;
    for (n, words) in LANGUAGES.iter().enumerate() {
        let number = format!("+91987654321{n}");
        let mut phone = app.handset(&number);
        to_consent(&mut phone, words, None).await;
        let done = phone.press("1").await;
        assert!(done.end, "{done:?}");
        done.says(words.joined);

        let joined = app.person(&number).await.expect("stored after consent");
        assert_eq!(joined.status, PersonStatus::Active);
        assert_eq!(joined.language, words.language);
        assert_eq!(joined.recruited_by, None);
        assert_eq!(joined.consent_channel, "ussd:africastalking");
        assert_eq!(
            joined.consent_version,
            app.state
                .texts
                .consent_version(words.language, Script::Native)
        );
        let own_code = joined.own_code.expect("a code of their own");
        done.says(&own_code);
        assert!(OptInCode::parse(&own_code).is_ok());
    }
}

#[tokio::test]
async fn a_code_from_an_officer_credits_the_officer() {
    let app = spawn_app().await;
    let (officer_id, code) = officer(&app, None).await;
    for (n, words) in LANGUAGES.iter().enumerate() {
        let number = format!("+91700001234{n}");
        let mut phone = app.handset(&number);
        to_consent(&mut phone, words, Some(code.as_str())).await;
        phone.press("1").await.says(words.joined);
        assert_eq!(
            app.person(&number).await.unwrap().recruited_by,
            Some(officer_id)
        );
    }
}

#[tokio::test]
async fn declining_leaves_no_trace_of_the_number() {
    let app = spawn_app().await;
    for words in &LANGUAGES {
        let mut phone = app.handset(VILLAGER);
        to_consent(&mut phone, words, None).await;
        let declined = phone.press("2").await;
        assert!(declined.end);
        declined.says(words.declined);
    }
    assert!(app.person(VILLAGER).await.is_none());
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert_no_trace(&app, VILLAGER).await;
}

#[tokio::test]
async fn abandoning_before_consent_leaves_no_trace_once_the_resume_window_passes() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    phone.press("1").await;
    phone.press("0").await.says("We keep only");
    phone.hang_up().await;
    assert!(app.person(VILLAGER).await.is_none());
    // Within the window, the only thing kept is a separately keyed resume tag, never the
    // number or its blind index.
    assert_no_number_or_index(&app, VILLAGER).await;

    app.clock.advance(Duration::seconds(601));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert_no_trace(&app, VILLAGER).await;
}

#[tokio::test]
async fn a_dropped_join_is_offered_again_and_can_be_continued() {
    let app = spawn_app().await;
    for words in &LANGUAGES {
        let number = "+919425012399";
        let mut phone = app.handset(number);
        to_consent(&mut phone, words, None).await;
        phone.hang_up().await;

        app.clock.advance(Duration::seconds(200));
        phone.dial().await.says(words.resume);
        phone.press("1").await.says(words.consent);
        phone.press("1").await.says(words.joined);
        assert!(app.person(number).await.is_some());
        // Joined: the next dial offers nothing to resume.
        let menu = phone.dial().await;
        assert!(!menu.text.contains(words.resume), "{}", menu.text);
        let erase = app
            .state
            .store
            .erase_person(app.person(number).await.unwrap().id, app.clock.now())
            .await
            .unwrap();
        assert!(erase);
    }
}

#[tokio::test]
async fn a_dropped_join_can_be_started_over_and_is_forgotten_after_the_window() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    to_consent(&mut phone, &LANGUAGES[2], None).await;
    phone.hang_up().await;
    phone.dial().await.says("did not finish joining");
    phone.press("2").await.says("3 English");
    phone.hang_up().await;

    let mut late = app.handset(NEIGHBOUR);
    to_consent(&mut late, &LANGUAGES[2], None).await;
    late.hang_up().await;
    app.clock.advance(Duration::seconds(601));
    late.dial().await.says("1 हिंदी Hindi");
}

#[tokio::test]
async fn a_mistyped_or_unknown_code_is_refused_with_a_retry_and_never_credited() {
    let app = spawn_app().await;
    let (_, code) = officer(&app, None).await;
    let mut typo = code.as_str().as_bytes().to_vec();
    typo[1] = if typo[1] == b'0' { b'1' } else { b'0' };
    let typo = String::from_utf8(typo).unwrap();
    let unknown = loop {
        let candidate = OptInCode::generate(6);
        if candidate != code {
            break candidate;
        }
    };
    for (n, words) in LANGUAGES.iter().enumerate() {
        let number = format!("+91987650000{n}");
        let mut phone = app.handset(&number);
        phone.dial().await;
        phone.press(words.press).await;
        phone.press("1").await.says(words.code);
        phone.press(&typo).await.says(words.mistyped);
        phone.press(unknown.as_str()).await.says(words.unknown);
        phone.press("0").await.says(words.stored);
        phone.press("1").await;
        phone.press("1").await;
        phone.press("1").await.says(words.joined);
        assert_eq!(app.person(&number).await.unwrap().recruited_by, None);
    }
}

#[tokio::test]
async fn an_expired_event_code_is_refused() {
    let app = spawn_app().await;
    let (officer_id, _) = officer(&app, None).await;
    let camp = app
        .state
        .store
        .create_event_code(&NewEventCode {
            recruiter_id: officer_id,
            label: "NSS camp",
            expires_at: Some(app.clock.now() - Duration::hours(1)),
            max_uses: None,
            code_length: 6,
            at: app.clock.now() - Duration::days(2),
        })
        .await
        .unwrap();
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    phone.press("1").await;
    phone.press(camp.as_str()).await.says("expired");
}

#[tokio::test]
async fn a_member_stops_tips_from_the_menu_in_their_language() {
    let app = spawn_app().await;
    for (n, words) in LANGUAGES.iter().enumerate() {
        let number = format!("+91987654300{n}");
        let mut phone = app.handset(&number);
        to_consent(&mut phone, words, None).await;
        phone.press("1").await.says(words.joined);

        // Known now: no language question, the member menu (no "join"), in their language.
        let menu = phone.dial().await;
        assert!(!menu.text.contains(words.join), "{}", menu.text);
        assert!(!menu.text.contains("3 English"), "{}", menu.text);
        let stopped = phone.press("2").await;
        assert!(stopped.end);
        stopped.says(words.stopped);
        assert!(app.is_suppressed(&number).await);
        assert_eq!(
            app.person(&number).await.unwrap().status,
            PersonStatus::OptedOut
        );

        // Coming back means consenting again, without a code.
        phone.dial().await.says(words.join);
        phone.press("1").await.says(words.stored);
        phone.press("1").await;
        phone.press("1").await.says(words.consent);
        phone.press("1").await;
        assert_eq!(
            app.person(&number).await.unwrap().status,
            PersonStatus::Active
        );
    }
}

#[tokio::test]
async fn a_stopped_number_is_erased_within_the_promised_30_days() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    to_consent(&mut phone, &LANGUAGES[2], None).await;
    phone.press("1").await;
    phone.dial().await;
    phone.press("2").await.says("deleted within 30 days");

    app.clock.advance(Duration::days(29));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert_eq!(
        app.person(VILLAGER).await.unwrap().status,
        PersonStatus::OptedOut
    );

    app.clock.advance(Duration::days(2));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert!(app.person(VILLAGER).await.is_none());
    assert_no_number(&app, VILLAGER).await;
    assert_eq!(
        app.state
            .store
            .count_people(PersonStatus::Erased)
            .await
            .unwrap(),
        1,
        "the anonymous row stays for the counts"
    );
}

#[tokio::test]
async fn a_member_sees_their_data_masked_and_erases_it() {
    let app = spawn_app().await;
    for (n, words) in LANGUAGES.iter().enumerate() {
        let number = format!("+91987654310{n}");
        let mut phone = app.handset(&number);
        to_consent(&mut phone, words, None).await;
        phone.press("1").await;

        phone.dial().await;
        let data = phone.press("5").await;
        data.says(&format!("+91******0{n}")).says("28-11-2026");
        for form in number_forms(&number) {
            assert!(!data.text.contains(&form), "{}", data.text);
        }
        phone.press("1").await.says("2 ");
        let erased = phone.press("1").await;
        assert!(erased.end);
        erased.says(words.erased);
        assert!(app.person(&number).await.is_none());
        mitan::housekeeping::tidy(&app.state.housekeeping())
            .await
            .unwrap();
        assert_no_number(&app, &number).await;
        // Only the keyed hash stays, on the suppression list, so the number is never messaged.
        assert!(app.is_suppressed(&number).await);
    }
}

#[tokio::test]
async fn todays_tip_and_fraud_help_are_one_press_away() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    phone
        .press("3")
        .await
        .says("1930")
        .says("cybercrime.gov.in")
        .says("112");
    phone.press("0").await.says("1 Join");
    let tip = phone.press("2").await;
    tip.says("0 Back");

    // A Hindi tip runs over several screens: 98 pages on, 0 goes back.
    let mut hindi = app.handset(NEIGHBOUR);
    hindi.dial().await;
    hindi.press("1").await;
    let first = hindi.press("2").await;
    first.says("98 ");
    let second = hindi.press("98").await;
    assert_ne!(first.text, second.text);
    assert_eq!(hindi.press("0").await.text, first.text);
}

#[tokio::test]
async fn a_tip_an_admin_adds_is_today_s_tip_on_its_day() {
    use chrono::Datelike as _;
    let app = spawn_app().await;
    let library = app.state.store.tips().await.unwrap();
    assert_eq!(
        library.len(),
        24,
        "a new database starts with the shipped library"
    );
    let token = app.admin_token().await;
    let added = app
        .api_post(
            "/api/v1/tips",
            &token,
            json!({"category": "upi_collect", "order": 0,
                   "texts": {"en": "Mitan says: a UPI PIN is only for paying. Cheated? Call 1930."}}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    // The library is read in order: the new tip (order 0) comes first, 25 tips in all, so it is
    // the tip of every day whose day number is a multiple of 25 (noon in Bilaspur is the same
    // date in UTC).
    let mut day = app.clock.now();
    while (day.date_naive().num_days_from_ce() % 25) != 0 {
        day += Duration::days(1);
    }
    app.clock.set(day);
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    phone.press("2").await.says("a UPI PIN is only for paying");
    // The next day brings the next tip of the library.
    app.clock.advance(Duration::days(1));
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    let next = phone.press("2").await;
    assert!(!next.text.contains("UPI PIN is only"), "{}", next.text);
}

#[tokio::test]
async fn invalid_input_reshows_the_screen_and_the_third_ends_politely() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    let long = "7".repeat(500);
    for input in ["9", "1*2", "😀", long.as_str(), "<script>alert(1)</script>"] {
        let mut fresh = app.handset(VILLAGER);
        fresh.dial().await;
        fresh.press("3").await;
        let again = fresh.press(input).await;
        assert!(!again.end, "{input:?}");
        again.says("Please choose").says("1 Join");
    }
    phone.press("9").await.says("Please choose");
    phone.press("x").await.says("Please choose");
    let over = phone.press("8").await;
    assert!(over.end);
    over.says("Too many wrong entries");
}

#[tokio::test]
async fn a_retried_hop_gets_the_same_screen_and_does_not_advance() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    let code_screen = phone.press("1").await;
    let retried = phone.resend().await;
    assert_eq!(retried.text, code_screen.text);
    phone.press("0").await.says("We keep only");
}

#[tokio::test]
async fn a_star_typed_inside_an_answer_is_one_input() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await;
    phone.press("1").await;
    // "48*29" is one (wrong) answer, not two hops.
    phone.press("48*29").await.says("typing mistake");
    phone.press("0").await.says("We keep only");
}

#[tokio::test]
async fn an_unusable_phone_number_gets_an_end_screen() {
    let app = spawn_app().await;
    for bad in ["", "abc", "+91 12345", "+999123456789"] {
        let reply = app.handset(bad).send().await;
        assert!(reply.end, "{bad:?}");
        reply.says("cannot be used");
    }
}

#[tokio::test]
async fn a_hop_for_an_unknown_session_starts_from_the_first_screen() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.press("3").await.says("1 Join");
    phone.press("1").await.says("or 0 to skip");
}

#[tokio::test]
async fn missing_fields_are_named_and_unknown_channels_are_404() {
    let app = spawn_app().await;
    let post = |path: &str, form: Vec<(&'static str, &'static str)>| {
        app.client.post(app.url(path)).form(&form).send()
    };
    let response = post(
        "/webhooks/africastalking/ussd",
        vec![("sessionId", "a"), ("text", "")],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("phoneNumber"));
    let response = post(
        "/webhooks/nowhere/ussd",
        vec![("sessionId", "a"), ("phoneNumber", VILLAGER), ("text", "")],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 404);
    let huge = "1".repeat(70_000);
    let response = app
        .client
        .post(app.url("/webhooks/africastalking/ussd"))
        .form(&[
            ("sessionId", "a"),
            ("phoneNumber", VILLAGER),
            ("text", &huge),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn when_the_database_is_down_the_reply_is_still_a_polite_end_screen() {
    let app = spawn_app().await;
    app.state.store.close().await;
    let reply = app.handset(VILLAGER).send().await;
    assert!(reply.end);
    reply.says("Service busy");
}

#[tokio::test]
async fn the_end_notice_clears_a_finished_session() {
    let app = spawn_app().await;
    let mut phone = app.handset(VILLAGER);
    phone.dial().await;
    phone.press("3").await.says("1 Join");
    assert!(phone.stored_session().await.is_some());
    phone.hang_up().await;
    assert!(phone.stored_session().await.is_none());
}

/// A generic-dialect USSD hop, signed with `secret` if given.
fn signed_post(
    app: &TestApp,
    body: serde_json::Value,
    secret: Option<&str>,
) -> reqwest::RequestBuilder {
    generic_request(app, "/webhooks/generic/ussd", &body, secret)
}

#[tokio::test]
async fn the_generic_channel_serves_signed_json_and_refuses_the_rest() {
    let app = spawn_app().await;
    let hop = |input: &str, seq: u64| json!({"session_id": "relay-1", "phone": VILLAGER, "service_code": "*384*25#", "input": input, "hop": seq});
    let mut replies = vec![];
    for (seq, input) in ["", "3", "1", "0", "1", "1", "1"].iter().enumerate() {
        let response = signed_post(&app, hop(input, seq as u64 + 1), Some(GENERIC_SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let reply: serde_json::Value = response.json().await.unwrap();
        replies.push(reply);
    }
    assert_eq!(replies[0]["action"], "continue");
    assert!(replies[1]["text"].as_str().unwrap().contains("1 Join"));
    assert_eq!(replies[6]["action"], "end");
    assert!(replies[6]["text"].as_str().unwrap().contains("Done!"));
    assert!(app.person(VILLAGER).await.is_some());

    let unsigned = signed_post(&app, hop("", 1), None).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let forged = signed_post(&app, hop("", 1), Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let missing = signed_post(
        &app,
        json!({"session_id": "x", "phone": VILLAGER}),
        Some(GENERIC_SECRET),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), 400);
    assert!(missing.text().await.unwrap().contains("input"));
}

#[tokio::test]
async fn a_generic_retry_with_the_same_hop_number_is_answered_again_without_advancing() {
    let app = spawn_app().await;
    let hop = |input: &str, seq: u64| json!({"session_id": "relay-2", "phone": VILLAGER, "input": input, "hop": seq});
    for (seq, input) in [(1, ""), (2, "3"), (3, "1")] {
        signed_post(&app, hop(input, seq), Some(GENERIC_SECRET))
            .send()
            .await
            .unwrap();
    }
    let again: serde_json::Value = signed_post(&app, hop("1", 3), Some(GENERIC_SECRET))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        again["text"].as_str().unwrap().contains("or 0 to skip"),
        "{again}"
    );
}

/// No form of the number, not even a 7-digit run of it, is anywhere in the database.
async fn assert_no_number(app: &TestApp, phone: &str) {
    let dump = dump_database(&app.db).await;
    for form in number_forms(phone) {
        let run = &form[form.len() - 7..];
        assert!(!contains_bytes(&dump, run.as_bytes()), "{run} is stored");
    }
}

/// Neither the number (any form) nor its blind index is anywhere in the database.
async fn assert_no_number_or_index(app: &TestApp, phone: &str) {
    assert_no_number(app, phone).await;
    let dump = dump_database(&app.db).await;
    let index = app.state.vault.blind_index(&msisdn(phone));
    assert!(
        !contains_bytes(&dump, index.as_bytes()),
        "the blind index is stored"
    );
}

/// Nothing derived from the number, not even the resume tag, is in the database.
async fn assert_no_trace(app: &TestApp, phone: &str) {
    assert_no_number_or_index(app, phone).await;
    let dump = dump_database(&app.db).await;
    let tag = app.state.vault.resume_tag(&msisdn(phone));
    assert!(!contains_bytes(&dump, &tag), "the resume tag is stored");
}

#[tokio::test]
async fn forty_villagers_joining_at_once_each_see_their_own_screens_and_join_once() {
    // Their session writes share transactions (group commit on SQLite): no hop may see another's
    // screen, lose its session or be answered before its session is written.
    let app = spawn_app().await;
    let english = &LANGUAGES[2];
    let numbers: Vec<String> = (0..40).map(|n| format!("+9170000{n:05}")).collect();
    crate::helpers::join_all(numbers.iter().map(|number| {
        let app = &app;
        async move {
            let mut phone = app.handset(number);
            to_consent(&mut phone, english, None).await;
            let done = phone.press("1").await;
            assert!(done.end, "{done:?}");
            done.says(english.joined);
        }
    }))
    .await;
    let mut codes = Vec::new();
    for number in &numbers {
        let joined = app.person(number).await.expect("joined");
        assert_eq!(joined.status, PersonStatus::Active);
        codes.push(joined.own_code.expect("a code"));
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 40, "every villager has a code of their own");
    assert_eq!(
        crate::helpers::count(
            &app,
            "SELECT COUNT(*) FROM ussd_sessions WHERE NOT ended OR resume_tag IS NOT NULL"
        )
        .await,
        0,
        "every session is finished, keeping only its final screen for retries"
    );
    app.clock.advance(Duration::seconds(
        app.state.settings.ussd.session_timeout_secs as i64 + 1,
    ));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM ussd_sessions").await,
        0,
        "and once the session would have timed out, that goes too"
    );
}

/// One Africa's Talking hop as the aggregator posts it; the raw answer, byte for byte.
async fn raw_hop(app: &TestApp, session: &str, path: &str) -> String {
    let url = app.url("/webhooks/africastalking/ussd");
    crate::helpers::africastalking_hop(&app.client, &url, session, VILLAGER, path).await
}

const JOIN_PATHS: [&str; 7] = crate::helpers::ENGLISH_JOIN;

#[tokio::test]
async fn a_retried_final_hop_gets_the_same_end_screen_and_joins_nobody_twice() {
    let app = spawn_app().await;
    let mut last = String::new();
    for path in JOIN_PATHS {
        last = raw_hop(&app, "ATUid_final", path).await;
    }
    assert!(last.starts_with("END Done!"), "{last}");
    let retried = raw_hop(&app, "ATUid_final", JOIN_PATHS[6]).await;
    assert_eq!(retried, last, "the retry of the hop that ended the session");
    // An earlier hop repeated after the end changes nothing either.
    assert_eq!(raw_hop(&app, "ATUid_final", JOIN_PATHS[5]).await, last);
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM people").await,
        1
    );
}

#[tokio::test]
async fn fifty_concurrent_copies_of_each_hop_get_identical_answers_and_one_join() {
    let app = spawn_app().await;
    for path in JOIN_PATHS {
        let answers = std::sync::Mutex::new(Vec::new());
        crate::helpers::join_all((0..50).map(|_| async {
            let answer = raw_hop(&app, "ATUid_fifty", path).await;
            answers.lock().unwrap().push(answer);
        }))
        .await;
        let answers = answers.into_inner().unwrap();
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "hop {path:?} answered differently: {:?}",
            answers.iter().collect::<std::collections::BTreeSet<_>>()
        );
    }
    let done = raw_hop(&app, "ATUid_fifty", JOIN_PATHS[6]).await;
    assert!(done.starts_with("END Done!"), "{done}");
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM people").await,
        1
    );
}

#[tokio::test]
async fn a_generic_retry_of_any_hop_gets_the_same_reply_byte_for_byte() {
    let app = spawn_app().await;
    let hop = |input: &str, seq: u64| json!({"session_id": "relay-3", "phone": VILLAGER, "input": input, "hop": seq});
    let send = |body: serde_json::Value| async {
        let response = signed_post(&app, body, Some(GENERIC_SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    };
    for (seq, input) in ["", "3", "1", "0", "1", "1", "1"].iter().enumerate() {
        let seq = seq as u64 + 1;
        let first = send(hop(input, seq)).await;
        let answers = std::sync::Mutex::new(Vec::new());
        crate::helpers::join_all((0..20).map(|_| async {
            let answer = send(hop(input, seq)).await;
            answers.lock().unwrap().push(answer);
        }))
        .await;
        for again in answers.into_inner().unwrap() {
            assert_eq!(again, first, "a retry of hop {seq}");
        }
    }
    let last = send(hop("1", 7)).await;
    assert!(last.contains(r#""action":"end""#), "{last}");
    assert!(last.contains("Done!"), "{last}");
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM people").await,
        1
    );
}

//! Fraud-number reports: villagers report the number that called or wrote to them, by SMS
//! (`REPORT`, `शिकायत`) or USSD; admins see a number once three different people reported it,
//! marked unverified, with a CSV for Chakshu; officers see none; nothing names a reporter.

use mitan::clock::Clock as _;

use crate::helpers::{
    assert_no_number_in, dump_database, number_forms, spawn_app, villager, OnFile, TestApp,
};

/// The number villagers report: no test number, so it may appear where reporters may not.
const SUSPECT: &str = "+919888812345";

async fn reports(app: &TestApp, token: &str) -> serde_json::Value {
    let answer = app.api_get("/api/v1/fraud-reports", token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

/// A whole USSD report from a new caller in English: the screens, the last one `END`.
async fn report_by_ussd(app: &TestApp, phone: &str, how: &str, what: &str, number: &str) -> String {
    let mut handset = app.handset(phone);
    handset.dial().await.says("English");
    handset.press("3").await.says("6 Report fraud number");
    handset.press("6").await.says("How did it reach you?");
    handset.press(how).await.says("What was it about?");
    handset.press(what).await.says("Type the number");
    let last = handset.press(number).await;
    assert!(last.end, "{last:?}");
    // The aggregator retries the last hop: the same screen, nothing counted twice.
    assert_eq!(handset.resend().await.text, last.text);
    last.text
}

#[tokio::test]
async fn a_number_three_villagers_report_reaches_admins_unverified_and_no_reporter_is_kept() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (first, second, third) = (villager(1), villager(2), villager(3));

    let thanks = app.text(&first, "REPORT 98888 12345 call bank").await;
    assert_eq!(thanks.len(), 1, "{thanks:?}");
    assert!(
        thanks[0].contains("thank you") && thanks[0].contains("1930"),
        "{thanks:?}"
    );
    // One reporter is one vote, however often and however they write the number.
    let again = app.text(&first, "report +91-98888-12345 whatsapp").await;
    assert_eq!(again, thanks, "a second report is answered alike");
    let seen = reports(&app, &admin).await;
    assert_eq!(
        (&seen["numbers_reported"], &seen["reports"]),
        (&1.into(), &1.into()),
        "{seen}"
    );
    assert_eq!(
        seen["numbers"],
        serde_json::json!([]),
        "one reporter shows nothing"
    );

    let screen = report_by_ussd(&app, &second, "1", "2", "09888812345").await;
    assert!(screen.starts_with("Thank you"), "{screen}");
    assert!(screen.contains("1930"), "{screen}");
    assert_eq!(
        reports(&app, &admin).await["numbers"],
        serde_json::json!([])
    );

    let hindi = app.text(&third, "शिकायत ९८८८८१२३४५").await;
    assert!(
        hindi[0].contains("धन्यवाद") && hindi[0].contains("1930"),
        "{hindi:?}"
    );

    let seen = reports(&app, &admin).await;
    let today = app
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive()
        .to_string();
    assert_eq!(
        seen["numbers"],
        serde_json::json!([{
            "number": SUSPECT,
            "country_code": "91",
            "national_number": "9888812345",
            "reporters": 3,
            "first_day": today,
            "last_day": today,
            "media": {"call": 2},
            "kinds": {"bank": 1, "prize": 1},
            "status": "unverified",
        }]),
        "{seen}"
    );
    assert_eq!(seen["reports"], 3);

    let csv = app
        .client
        .get(app.url("/api/v1/exports/fraud-reports.csv"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "country_code,national_number,reporters,first_day,last_day,media,kinds,status",
            &format!("91,9888812345,3,{today},{today},call 2,bank 1; prize 1,unverified"),
        ]
    );

    // Officers see no reports, by API or page; admins see the page, and every read is audited.
    let (officer_id, _) = crate::helpers::officer(&app, None).await;
    let officer = app.officer_token(officer_id).await;
    for path in ["/api/v1/fraud-reports", "/api/v1/exports/fraud-reports.csv"] {
        assert_eq!(app.api_get(path, &officer).await.status, 403, "{path}");
        assert_eq!(app.api_get(path, "not-a-token").await.status, 401, "{path}");
    }
    let si = app
        .signed_in("si", mitan::access::Role::Officer, Some(officer_id))
        .await;
    assert_eq!(si.get("/admin/reports").await.status, 403);
    assert_eq!(si.get("/admin/reports/fraud-reports.csv").await.status, 403);
    let desk = app
        .signed_in("desk", mitan::access::Role::Admin, None)
        .await;
    let page = desk.get("/admin/reports").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.texts("#reports td.number"), [SUSPECT]);
    assert_eq!(page.texts("#reports td.status"), ["unverified"]);
    assert_no_number_in(&page.body, "the reports page");
    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    let reads = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "fraud-reports.read")
        .count();
    assert_eq!(reads, 4, "{audit}");

    // The store holds the number sealed and no reporter at all.
    let dump = dump_database(&app.db).await;
    let text = String::from_utf8_lossy(&dump);
    assert_no_number_in(&text, "the database");
    for form in number_forms(SUSPECT) {
        assert!(!text.contains(&form), "the database holds {form}");
    }
    let votes = crate::helpers::count(&app, "SELECT COUNT(*) FROM fraud_votes").await;
    assert_eq!(votes, 3);
}

#[tokio::test]
async fn reports_without_a_mobile_number_or_past_the_days_cap_count_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let sender = villager(6);
    for text in [
        "REPORT",
        "REPORT 12345",
        "REPORT 1800 180 1111",
        "REPORT call bank",
    ] {
        let answer = app.text(&sender, text).await;
        assert_eq!(answer.len(), 1, "{text}: {answer:?}");
        assert!(
            answer[0].starts_with("Send REPORT and the 10-digit"),
            "{text}: {answer:?}"
        );
    }
    // Their own number: thanked, not counted.
    let own = app.text(&sender, &format!("REPORT {sender}")).await;
    assert!(own[0].contains("thank you"), "{own:?}");
    assert_eq!(reports(&app, &admin).await["reports"], 0);
    // Those were the day's five: a sixth REPORT, even a good one, is not answered or counted.
    assert_eq!(
        app.text(&sender, "REPORT 98888 12345").await,
        Vec::<String>::new()
    );
    assert_eq!(reports(&app, &admin).await["reports"], 0);

    // Five reports a day from one number count; more are acknowledged and dropped unanswered.
    let sender = villager(4);
    for n in 0..7 {
        let answer = app.text(&sender, &format!("REPORT 98888 1230{n}")).await;
        assert_eq!(answer.len(), usize::from(n < 5), "report {n}: {answer:?}");
    }
    let seen = reports(&app, &admin).await;
    assert_eq!(
        (&seen["numbers_reported"], &seen["reports"]),
        (&5.into(), &5.into()),
        "{seen}"
    );

    // By USSD, what cannot be a number is asked again and the third mistake ends the session.
    let mut handset = app.handset(&villager(5));
    handset.dial().await;
    for input in ["3", "6", "3", "5"] {
        handset.press(input).await;
    }
    handset.press("12345").await.says("not a mobile number");
    handset
        .press("+91 12345 67890")
        .await
        .says("not a mobile number");
    let ended = handset.press("hello").await;
    assert!(ended.end && ended.text.contains("Too many"), "{ended:?}");
    assert_eq!(reports(&app, &admin).await["reports"], 5);
}

#[tokio::test]
async fn reports_are_forgotten_after_the_window_and_may_then_be_made_again() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for n in 1..=3 {
        app.text(&villager(n), "REPORT 9888812345").await;
    }
    assert_eq!(reports(&app, &admin).await["numbers"][0]["reporters"], 3);
    app.clock.advance(chrono::Duration::days(31));
    mitan::housekeeping::tidy(&app.state.housekeeping())
        .await
        .unwrap();
    let seen = reports(&app, &admin).await;
    assert_eq!(seen["reports"], 0, "{seen}");
    assert_eq!(seen["numbers"], serde_json::json!([]));
    for table in ["fraud_numbers", "fraud_reports", "fraud_votes"] {
        let left = crate::helpers::count(&app, &format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(left, 0, "{table}");
    }
    // The vote was forgotten with the report: the same villager counts again.
    app.text(&villager(1), "REPORT 9888812345").await;
    assert_eq!(reports(&app, &admin).await["reports"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_reporter_and_no_reported_number_reaches_the_log_or_the_database_file() {
    let mut service = OnFile::start();
    let mitan = &service.mitan;
    mitan
        .sms(&villager(1), "REPORT 98888 12345 whatsapp lottery")
        .await;
    mitan.sms(&villager(2), "शिकायत 9888812345").await;
    let client = reqwest::Client::new();
    let hop = mitan.url("/webhooks/africastalking/ussd");
    let mut last = String::new();
    for path in ["", "3", "3*6", "3*6*1", "3*6*1*4", "3*6*1*4*9888812345"] {
        last =
            crate::helpers::africastalking_hop(&client, &hop, "ATUid_r1", &villager(3), path).await;
    }
    assert!(last.starts_with("END Thank you"), "{last}");
    // The replies were sent (the console channel logs what it sends, masked).
    assert!(crate::scams::sent_to(mitan, &villager(1), 1).await[0].contains("thank you"));
    assert!(crate::scams::sent_to(mitan, &villager(2), 1).await[0].contains("धन्यवाद"));

    let (log, stored) = service.stop();
    let stored = String::from_utf8_lossy(&stored).to_string();
    assert_no_number_in(&log, "the log");
    assert_no_number_in(&stored, "the database file");
    for form in number_forms(SUSPECT) {
        assert!(!log.contains(&form), "the log holds {form}");
        assert!(!stored.contains(&form), "the database file holds {form}");
    }
}

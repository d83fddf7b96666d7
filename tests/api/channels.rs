//! Each kind of channel end to end over real HTTP: its inbound webhook, the reply sent through
//! its send API to a fake aggregator, and its delivery report.

use std::time::Duration as StdDuration;

use base64::Engine as _;
use figment::providers::Serialized;
use figment::Figment;
use mitan::outbox::OutboxStatus;
use mitan::outbox::Outcome;
use mitan::providers::{generic, twilio};
use serde_json::json;

use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{
    generic_request, message_id, spawn_app_with, twilio_signature, TestApp, GENERIC_SECRET,
    VILLAGER,
};

const TWILIO_TOKEN: &str = "twilio-test-token";

/// The app with channel `name` sending to `fake`, with these `channels.<name>.…` settings.
async fn configured(fake: &FakeAggregator, name: &str, settings: &[(&str, &str)]) -> TestApp {
    let mut values = vec![(format!("channels.{name}.base_url"), fake.url.clone())];
    for (key, value) in settings {
        values.push((format!("channels.{name}.{key}"), value.to_string()));
    }
    spawn_app_with(move |f: Figment| {
        values.into_iter().fold(f, |f, (key, value)| {
            f.merge(Serialized::default(&key, value))
        })
    })
    .await
}

async fn status_of_last(app: &TestApp) -> OutboxStatus {
    app.outbox().await.last().unwrap().status
}

fn at_recipient(message_id: &str, status_code: u16) -> serde_json::Value {
    json!({"SMSMessageData": {
        "Message": "Sent to 1/1 Total Cost: INR 0.25 Message parts: 1",
        "Recipients": [{"cost": "INR 0.25", "messageId": message_id, "number": VILLAGER,
                         "status": "Success", "statusCode": status_code}]}})
}

async fn africastalking(fake: &FakeAggregator) -> TestApp {
    configured(
        fake,
        "africastalking",
        &[("username", "sandbox"), ("api_key", "at-key")],
    )
    .await
}

#[tokio::test]
async fn africastalking_replies_through_its_api_and_reads_its_delivery_reports() {
    let fake = FakeAggregator::start(Canned::json(201, at_recipient("ATXid_1", 101))).await;
    let app = africastalking(&fake).await;
    app.sms_on("africastalking", VILLAGER, "HELP", &message_id())
        .await;
    assert_eq!(app.deliver().await, [Outcome::Sent]);

    let sent = &fake.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/version1/messaging");
    assert_eq!(sent.header("apikey").as_deref(), Some("at-key"));
    assert_eq!(sent.field("username").as_deref(), Some("sandbox"));
    assert_eq!(sent.field("to").as_deref(), Some(VILLAGER));
    assert!(sent.field("message").unwrap().contains("DELETE"));
    let message = &app.outbox().await[0];
    assert_eq!(message.provider_message_id.as_deref(), Some("ATXid_1"));

    let report = app
        .client
        .post(app.url("/webhooks/africastalking/delivery"))
        .form(&[
            ("id", "ATXid_1"),
            ("status", "Success"),
            ("phoneNumber", VILLAGER),
            ("networkCode", "40445"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Delivered);
}

#[tokio::test]
async fn africastalking_201_without_recipients_is_a_failure_and_a_blacklisted_number_is_suppressed()
{
    let no_recipients = json!({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}});
    let fake = FakeAggregator::start(Canned::json(201, no_recipients)).await;
    let app = africastalking(&fake).await;
    app.sms_on("africastalking", VILLAGER, "HELP", &message_id())
        .await;
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    let failed = &app.outbox().await[0];
    assert!(failed
        .last_error
        .as_deref()
        .unwrap()
        .contains("InvalidSenderId"));
    assert!(!app.is_suppressed(VILLAGER).await);

    fake.then(Canned::json(201, at_recipient("ATXid_2", 406)));
    app.sms_on("africastalking", VILLAGER, "TIP", &message_id())
        .await;
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    assert!(app.is_suppressed(VILLAGER).await);
}

async fn twilio_app(fake: &FakeAggregator) -> TestApp {
    configured(
        fake,
        "twilio",
        &[
            ("account_sid", "AC123"),
            ("auth_token", TWILIO_TOKEN),
            ("from", "+15005550006"),
        ],
    )
    .await
}

/// Posts a Twilio webhook, signed as Twilio would (or with `signature` instead).
async fn twilio_post(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    signature: Option<&str>,
) -> reqwest::Response {
    let good = twilio_signature(TWILIO_TOKEN, path, fields);
    app.client
        .post(app.url(path))
        .header(twilio::SIGNATURE_HEADER, signature.unwrap_or(&good))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn twilio_sms(body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MessageSid", format!("SM{:032x}", rand::random::<u128>())),
        ("AccountSid", "AC123".into()),
        ("From", VILLAGER.into()),
        ("To", "+15005550006".into()),
        ("Body", body.into()),
        ("NumMedia", "0".into()),
        ("ToCity", String::new()),
        ("ApiVersion", "2010-04-01".into()),
    ]
}

#[tokio::test]
async fn twilio_webhooks_need_a_valid_signature_and_are_answered_with_twiml() {
    let fake = FakeAggregator::start(Canned::json(201, json!({"sid": "SM1"}))).await;
    let app = twilio_app(&fake).await;
    let sms = twilio_sms("HELP");
    let fields: Vec<(&str, &str)> = sms.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let unsigned = app
        .client
        .post(app.url("/webhooks/twilio/sms"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let forged = twilio_post(
        &app,
        "/webhooks/twilio/sms",
        &fields,
        Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    )
    .await;
    assert_eq!(forged.status(), 403);
    let mut tampered = fields.clone();
    tampered[4] = ("Body", "STOP");
    let good = twilio_signature(TWILIO_TOKEN, "/webhooks/twilio/sms", &fields);
    let replayed = twilio_post(&app, "/webhooks/twilio/sms", &tampered, Some(&good)).await;
    assert_eq!(replayed.status(), 403);
    assert!(app.outbox().await.is_empty());

    let answered = twilio_post(&app, "/webhooks/twilio/sms", &fields, None).await;
    assert_eq!(answered.status(), 200);
    assert!(answered.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    assert_eq!(
        answered.text().await.unwrap(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
    );
    assert_eq!(app.deliver().await, [Outcome::Sent]);
}

#[tokio::test]
async fn twilio_sends_with_basic_auth_retries_20429_and_reads_status_callbacks() {
    let fake = FakeAggregator::start(Canned::json(
        201,
        json!({"sid": "SM42", "status": "queued"}),
    ))
    .await;
    fake.then(Canned::json(
        429,
        json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
    ));
    let app = twilio_app(&fake).await;
    let sms = twilio_sms("TIP");
    let fields: Vec<(&str, &str)> = sms.iter().map(|(k, v)| (*k, v.as_str())).collect();
    twilio_post(&app, "/webhooks/twilio/sms", &fields, None).await;

    assert_eq!(app.deliver().await, [Outcome::Retrying]);
    app.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    let sent = &fake.requests()[1];
    assert_eq!(sent.path, "/2010-04-01/Accounts/AC123/Messages.json");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("AC123:{TWILIO_TOKEN}"));
    assert_eq!(sent.header("authorization"), Some(format!("Basic {auth}")));
    assert_eq!(sent.field("To").as_deref(), Some(VILLAGER));
    assert_eq!(sent.field("From").as_deref(), Some("+15005550006"));
    assert_eq!(
        sent.field("StatusCallback").as_deref(),
        Some("http://127.0.0.1:8080/webhooks/twilio/delivery")
    );
    assert_eq!(app.outbox().await[0].attempts, 2);

    let callback = [
        ("MessageSid", "SM42"),
        ("MessageStatus", "delivered"),
        ("AccountSid", "AC123"),
        ("ApiVersion", "2010-04-01"),
    ];
    let response = twilio_post(&app, "/webhooks/twilio/delivery", &callback, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Delivered);
}

#[tokio::test]
async fn twilio_21610_fails_the_message_and_suppresses_the_number() {
    let fake = FakeAggregator::start(Canned::json(
        400,
        json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
    ))
    .await;
    let app = twilio_app(&fake).await;
    let sms = twilio_sms("HELP");
    let fields: Vec<(&str, &str)> = sms.iter().map(|(k, v)| (*k, v.as_str())).collect();
    twilio_post(&app, "/webhooks/twilio/sms", &fields, None).await;
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    assert!(app.is_suppressed(VILLAGER).await);
}

/// The app behind a proxy that serves it under a path (`https://example.org/mitan`, the proxy
/// stripping `/mitan` before it forwards): `server.public_url` holds the prefix.
async fn twilio_app_at(fake: &FakeAggregator, public_url: &str) -> TestApp {
    let values = [
        ("server.public_url", public_url.to_string()),
        ("channels.twilio.base_url", fake.url.clone()),
        ("channels.twilio.account_sid", "AC123".into()),
        ("channels.twilio.auth_token", TWILIO_TOKEN.into()),
        ("channels.twilio.from", "+15005550006".into()),
    ];
    spawn_app_with(move |f: Figment| {
        values.into_iter().fold(f, |f, (key, value)| {
            f.merge(Serialized::default(key, value))
        })
    })
    .await
}

/// Posts a Twilio form to `path` as mitan sees it, signed over `signed_url` (what Twilio
/// requested on the public side of the proxy).
async fn twilio_post_signed_over(
    app: &TestApp,
    path: &str,
    signed_url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    app.client
        .post(app.url(path))
        .header(
            twilio::SIGNATURE_HEADER,
            twilio::signature(TWILIO_TOKEN, signed_url, &pairs),
        )
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn twilio_signs_the_public_url_with_its_path_prefix_and_nothing_else() {
    for public_url in ["https://example.org/mitan", "https://example.org/mitan/"] {
        let fake = FakeAggregator::start(Canned::json(201, json!({"sid": "SM{request}"}))).await;
        let app = twilio_app_at(&fake, public_url).await;
        let post = |signed_url: &'static str, sms: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let fields: Vec<(&str, &str)> = sms.iter().map(|(k, v)| (*k, v.as_str())).collect();
                twilio_post_signed_over(app, "/webhooks/twilio/sms", signed_url, &fields)
                    .await
                    .status()
            }
        };
        // Signed over anything but the public address with its prefix: refused, nothing queued.
        for wrong in [
            "https://example.org/webhooks/twilio/sms",
            "https://example.org/mitan//webhooks/twilio/sms",
            "http://127.0.0.1:8080/webhooks/twilio/sms",
            "https://example.org/mitanwebhooks/twilio/sms",
        ] {
            assert_eq!(
                post(wrong, twilio_sms("HELP")).await,
                403,
                "{public_url}: {wrong}"
            );
        }
        assert!(app.outbox().await.is_empty(), "{public_url}");
        // Signed over public_url + the route mitan sees (Twilio may add the default port).
        let right = "https://example.org/mitan/webhooks/twilio/sms";
        assert_eq!(post(right, twilio_sms("HELP")).await, 200, "{public_url}");
        let with_port = "https://example.org:443/mitan/webhooks/twilio/sms";
        assert_eq!(
            post(with_port, twilio_sms("TIP")).await,
            200,
            "{public_url}"
        );

        // The status callback mitan gives Twilio keeps the prefix (and no `//`), and a report
        // signed over it is taken.
        assert_eq!(app.deliver().await, [Outcome::Sent, Outcome::Sent]);
        let callback = "https://example.org/mitan/webhooks/twilio/delivery";
        for sent in fake.requests() {
            assert_eq!(sent.field("StatusCallback").as_deref(), Some(callback));
        }
        let report = [("MessageSid", "SM1"), ("MessageStatus", "delivered")];
        let taken = twilio_post_signed_over(&app, "/webhooks/twilio/delivery", callback, &report);
        assert_eq!(taken.await.status(), 200, "{public_url}");
        let delivered = app
            .outbox()
            .await
            .iter()
            .filter(|m| m.status == OutboxStatus::Delivered)
            .count();
        assert_eq!(delivered, 1, "{public_url}");
    }
}

async fn exotel_app(fake: &FakeAggregator) -> TestApp {
    configured(
        fake,
        "exotel",
        &[
            ("account_sid", "cybermitan1"),
            ("api_key", "exo-key"),
            ("api_token", "exo-token"),
            ("entity_id", "1101000000000012345"),
            ("header", "CYBMTN"),
            ("template_id", "1107000000000054321"),
            ("optout_number", "08047192001"),
        ],
    )
    .await
}

#[tokio::test]
async fn exotel_missed_calls_get_the_notice_sent_with_the_dlt_fields_on_every_send() {
    let fake = FakeAggregator::start(Canned::json(
        200,
        json!({"SMSMessage": {"Sid": "exo-1", "Status": "queued"}}),
    ))
    .await;
    let app = exotel_app(&fake).await;
    let call = app
        .get(
            "/webhooks/exotel/missed-call?CallSid=c1&CallFrom=09876543210&CallTo=08047192000\
               &Direction=incoming&CallType=call-attempt&digits=%22%22",
        )
        .await;
    assert_eq!(call.status(), 200);
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/Accounts/cybermitan1/Sms/send.json");
    assert_eq!(sent.field("From").as_deref(), Some("CYBMTN"));
    assert_eq!(sent.field("To").as_deref(), Some(VILLAGER));
    assert_eq!(
        sent.field("DltEntityId").as_deref(),
        Some("1101000000000012345")
    );
    assert_eq!(
        sent.field("DltTemplateId").as_deref(),
        Some("1107000000000054321")
    );
    assert_eq!(sent.field("EncodingType").as_deref(), Some("plain"));
    assert!(sent.field("Body").unwrap().contains("Reply YES"));

    // The same call reported again does nothing twice.
    app.get("/webhooks/exotel/missed-call?CallSid=c1&CallFrom=09876543210&CallTo=08047192000")
        .await;
    assert!(app.deliver().await.is_empty());

    let report = app
        .client
        .post(app.url("/webhooks/exotel/delivery"))
        .form(&[
            ("SmsSid", "exo-1"),
            ("To", VILLAGER),
            ("Status", "failed_dnd"),
            ("DetailedStatus", "FAILED_DND"),
            ("DetailedStatusCode", "20700"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Failed);
    assert!(app.is_suppressed(VILLAGER).await);
}

#[tokio::test]
async fn exotel_inbound_sms_and_the_optout_missed_call_number() {
    let fake = FakeAggregator::start(Canned::json(
        200,
        json!({"SMSMessage": {"Sid": "exo-2", "Status": "queued"}}),
    ))
    .await;
    let app = exotel_app(&fake).await;
    let sms = app
        .client
        .post(app.url("/webhooks/exotel/sms"))
        .form(&[
            ("SmsSid", "in-1"),
            ("From", "09876543210"),
            ("To", "CYBMTN"),
            ("Body", "जुड़ें"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sms.status(), 200);
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    fake.then(Canned::json(
        200,
        json!({"SMSMessage": {"Sid": "exo-3", "Status": "queued"}}),
    ));
    app.get("/webhooks/exotel/missed-call?CallSid=c2&CallFrom=09876543210&CallTo=08047192001")
        .await;
    app.deliver().await;
    assert!(app.is_suppressed(VILLAGER).await);
    let stopped = fake.requests().last().unwrap().field("Body").unwrap();
    assert!(stopped.contains("SMS नहीं आएंगे"), "{stopped}");
    assert_eq!(
        fake.requests()
            .last()
            .unwrap()
            .field("EncodingType")
            .as_deref(),
        Some("unicode")
    );
}

async fn kannel_app(fake: &FakeAggregator) -> TestApp {
    configured(
        fake,
        "kannel",
        &[
            ("username", "mitan"),
            ("password", "kannel-secret"),
            ("entity_id", "1101000000000012345"),
            ("template_id", "1107000000000054321"),
            ("header", "CYBMTN"),
        ],
    )
    .await
}

#[tokio::test]
async fn kannel_takes_messages_by_get_and_reports_delivery_by_our_own_id() {
    let fake = FakeAggregator::start(Canned::new(202, "0: Accepted for delivery")).await;
    let app = kannel_app(&fake).await;
    let mo = app
        .get("/webhooks/kannel/sms?sender=%2B919876543210&message=madad&id=k-1&to=56767&ts=1")
        .await;
    assert_eq!(mo.status(), 200);
    assert_eq!(
        mo.text().await.unwrap(),
        "",
        "Kannel would send a body back as an SMS"
    );
    assert_eq!(app.deliver().await, [Outcome::Sent]);

    let sent = &fake.requests()[0];
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.path, "/cgi-bin/sendsms");
    assert_eq!(sent.field("username").as_deref(), Some("mitan"));
    assert_eq!(sent.field("password").as_deref(), Some("kannel-secret"));
    assert_eq!(sent.field("from").as_deref(), Some("CYBMTN"));
    assert_eq!(sent.field("to").as_deref(), Some(VILLAGER));
    assert_eq!(sent.field("coding").as_deref(), Some("0"));
    let meta = sent.field("meta-data").unwrap();
    assert!(
        meta.starts_with("?smpp?") && meta.contains("PE_ID=1101000000000012345"),
        "{meta}"
    );
    assert!(meta.contains("TEMPLATE_ID=1107000000000054321"), "{meta}");
    let id = app.outbox().await[0].id;
    let dlr_url = sent.field("dlr-url").unwrap();
    assert_eq!(
        dlr_url,
        format!("http://127.0.0.1:8080/webhooks/kannel/delivery?id={id}&status=%d")
    );

    let queued = app
        .get(&format!("/webhooks/kannel/delivery?id={id}&status=8"))
        .await;
    assert_eq!(queued.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Sent);
    app.get(&format!("/webhooks/kannel/delivery?id={id}&status=1"))
        .await;
    assert_eq!(status_of_last(&app).await, OutboxStatus::Delivered);
}

#[tokio::test]
async fn kannel_refusals_and_server_errors() {
    let fake = FakeAggregator::start(Canned::new(503, "Service unavailable")).await;
    let app = kannel_app(&fake).await;
    app.get("/webhooks/kannel/sms?sender=9876543210&message=HELP&id=k-2")
        .await;
    assert_eq!(app.deliver().await, [Outcome::Retrying]);
    fake.then(Canned::new(403, "Authorization failed for sendsms"));
    app.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(app.deliver().await, [Outcome::Failed]);
}

async fn generic_app(fake: &FakeAggregator) -> TestApp {
    configured(fake, "generic", &[("header", "CYBMTN")]).await
}

async fn generic_post(app: &TestApp, path: &str, body: serde_json::Value) -> reqwest::Response {
    generic_request(app, path, &body, Some(GENERIC_SECRET))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn generic_json_in_and_out_is_signed_both_ways() {
    let fake = FakeAggregator::start(Canned::json(202, json!({"message_id": "g-1"}))).await;
    let app = generic_app(&fake).await;
    let unsigned = app
        .client
        .post(app.url("/webhooks/generic/sms"))
        .json(&json!({"message_id": "m1", "from": VILLAGER, "text": "HELP"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    let accepted = generic_post(
        &app,
        "/webhooks/generic/sms",
        json!({"message_id": "m1", "from": VILLAGER, "to": "56767", "text": "जुड़ें"}),
    )
    .await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(
        accepted.json::<serde_json::Value>().await.unwrap()["status"],
        "accepted"
    );
    assert_eq!(app.deliver().await, [Outcome::Sent]);

    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/messages");
    let signature = generic::sign(GENERIC_SECRET, sent.body.as_bytes());
    assert_eq!(sent.header(generic::SIGNATURE_HEADER), Some(signature));
    let body = sent.json();
    assert_eq!(body["to"], VILLAGER);
    assert_eq!(body["encoding"], "ucs2");
    assert!(body["parts"].as_u64().unwrap() >= 2);
    assert_eq!(body["dlt"]["header"], "CYBMTN");

    let report = generic_post(
        &app,
        "/webhooks/generic/delivery",
        json!({"message_id": "g-1", "status": "delivered"}),
    )
    .await;
    assert_eq!(report.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Delivered);
}

#[tokio::test]
async fn a_generic_send_whose_answer_was_lost_is_settled_by_a_report_naming_mitan_s_id() {
    let fake = FakeAggregator::start(
        Canned::json(202, json!({"message_id": "g-lost"})).after(StdDuration::from_secs(3)),
    )
    .await;
    let app = spawn_app_with({
        let url = fake.url.clone();
        move |f: Figment| {
            f.merge(Serialized::default("channels.generic.base_url", url))
                .merge(Serialized::default("outbound.send_timeout_secs", 1))
        }
    })
    .await;
    generic_post(
        &app,
        "/webhooks/generic/sms",
        json!({"message_id": "m9", "from": VILLAGER, "to": "56767", "text": "HELP"}),
    )
    .await;
    assert_eq!(app.deliver().await, [Outcome::Unknown]);
    let id = fake.requests()[0].json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The aggregator's own id never reached mitan; its report names the message by mitan's.
    let unmatched = generic_post(
        &app,
        "/webhooks/generic/delivery",
        json!({"message_id": "g-lost", "status": "delivered"}),
    )
    .await;
    assert_eq!(unmatched.status(), 200);
    assert_eq!(status_of_last(&app).await, OutboxStatus::Unknown);
    for bad in [json!("x1"), json!(7)] {
        let refused = generic_post(
            &app,
            "/webhooks/generic/delivery",
            json!({"message_id": "g-lost", "id": bad, "status": "delivered"}),
        )
        .await;
        assert_eq!(refused.status(), 400, "{bad}");
    }
    let report = generic_post(
        &app,
        "/webhooks/generic/delivery",
        json!({"message_id": "g-lost", "id": id, "status": "delivered"}),
    )
    .await;
    assert_eq!(report.status(), 200);
    let settled = app.outbox().await.pop().unwrap();
    assert_eq!(settled.status, OutboxStatus::Delivered);
    assert!(!settled.sealed, "a final state keeps only the hint");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn generic_opted_out_refusals_suppress_and_missed_calls_arrive_as_json() {
    let fake = FakeAggregator::start(Canned::json(422, json!({"error": "opted_out"}))).await;
    let app = generic_app(&fake).await;
    let call = generic_post(
        &app,
        "/webhooks/generic/missed-call",
        json!({"call_id": "call-1", "from": VILLAGER, "to": "08047192000"}),
    )
    .await;
    assert_eq!(call.status(), 200);
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    assert!(app.is_suppressed(VILLAGER).await);
}

#[tokio::test]
async fn a_channel_without_credentials_fails_its_sends_without_blaming_the_number() {
    let app = spawn_app_with(|f| f).await;
    app.sms_on("africastalking", VILLAGER, "HELP", &message_id())
        .await;
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    let failed = &app.outbox().await[0];
    assert!(failed
        .last_error
        .as_deref()
        .unwrap()
        .contains("not configured"));
    assert!(!app.is_suppressed(VILLAGER).await);
}

#[tokio::test]
async fn an_inbound_sms_without_its_text_field_is_400_on_every_kind_and_an_empty_text_is_taken() {
    let fake = FakeAggregator::start(Canned::new(500, "unused")).await;
    let app = configured(&fake, "twilio", &[("auth_token", TWILIO_TOKEN)]).await;
    let form = |path: &str, fields: Vec<(&'static str, &'static str)>| {
        app.client.post(app.url(path)).form(&fields).send()
    };
    let generic = |body: serde_json::Value| generic_post(&app, "/webhooks/generic/sms", body);
    let from = ("from", VILLAGER);

    for (with_text, status) in [(false, 400), (true, 200)] {
        let text = |name: &'static str| with_text.then_some((name, ""));
        let at: Vec<_> = [Some(from), Some(("id", "at-1")), text("text")]
            .into_iter()
            .flatten()
            .collect();
        for channel in ["africastalking", "console"] {
            let answer = form(&format!("/webhooks/{channel}/sms"), at.clone())
                .await
                .unwrap();
            assert_eq!(answer.status(), status, "{channel} text given: {with_text}");
        }
        let exotel: Vec<_> = [
            Some(("From", VILLAGER)),
            Some(("SmsSid", "ex-1")),
            text("Body"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let answer = form("/webhooks/exotel/sms", exotel).await.unwrap();
        assert_eq!(answer.status(), status, "exotel text given: {with_text}");
        let kannel: Vec<_> = [
            Some(("sender", VILLAGER)),
            Some(("id", "k-1")),
            text("message"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let answer = form("/webhooks/kannel/sms", kannel).await.unwrap();
        assert_eq!(answer.status(), status, "kannel text given: {with_text}");
        let twilio_fields: Vec<_> = [
            Some(("From", VILLAGER)),
            Some(("MessageSid", "SM1")),
            text("Body"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let answer = twilio_post(&app, "/webhooks/twilio/sms", &twilio_fields, None).await;
        assert_eq!(answer.status(), status, "twilio text given: {with_text}");
        let mut body = json!({"message_id": "g-1", "from": VILLAGER});
        if with_text {
            body["text"] = json!("");
        }
        let answer = generic(body).await;
        assert_eq!(answer.status(), status, "generic text given: {with_text}");
        if !with_text {
            assert!(
                app.outbox().await.is_empty(),
                "a refused message did something"
            );
        }
    }
    // A JSON `null` is no text either.
    let null = generic(json!({"message_id": "g-2", "from": VILLAGER, "text": null})).await;
    assert_eq!(null.status(), 400);
}

//! Aggregators retry, sometimes many copies at once: 50 concurrent copies of every kind of
//! webhook, on every kind of channel, get identical answers and have exactly one effect.

use figment::providers::Serialized;
use mitan::outbox::OutboxStatus;
use mitan::providers::twilio;
use serde_json::json;

use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{
    generic_request, join_all, spawn_app_with, twilio_signature, villager, TestApp, CHANNEL_KINDS,
    GENERIC_SECRET,
};

const COPIES: usize = 50;
const TWILIO_TOKEN: &str = "twilio-retry-token";

/// Every kind of channel, each sending to a fake of its own that accepts sends as that kind's
/// API does (the fakes stop when this is dropped).
struct Channels {
    app: TestApp,
    _fakes: Vec<FakeAggregator>,
}

async fn every_channel() -> Channels {
    let at = json!({"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
        {"messageId": "ATXid_r", "number": "+910000000000", "status": "Success", "statusCode": 101}]}});
    let fakes = vec![
        ("africastalking", Canned::json(201, at)),
        (
            "twilio",
            Canned::json(201, json!({"sid": "SMr", "status": "queued"})),
        ),
        (
            "exotel",
            Canned::json(
                200,
                json!({"SMSMessage": {"Sid": "exo-r", "Status": "queued"}}),
            ),
        ),
        ("kannel", Canned::new(202, "0: Accepted for delivery")),
        ("generic", Canned::json(202, json!({"message_id": "g-r"}))),
    ];
    let mut settings = vec![
        ("channels.africastalking.username", "sandbox".to_string()),
        ("channels.africastalking.api_key", "at-key".into()),
        ("channels.twilio.account_sid", "AC123".into()),
        ("channels.twilio.auth_token", TWILIO_TOKEN.into()),
        ("channels.twilio.from", "+15005550006".into()),
        ("channels.exotel.account_sid", "cybermitan1".into()),
        ("channels.exotel.api_key", "exo-key".into()),
        ("channels.exotel.api_token", "exo-token".into()),
        ("channels.exotel.entity_id", "1101000000000012345".into()),
        ("channels.exotel.header", "CYBMTN".into()),
        ("channels.exotel.template_id", "1107000000000054321".into()),
        ("channels.kannel.username", "mitan".into()),
        ("channels.kannel.password", "kannel-secret".into()),
        ("channels.kannel.header", "CYBMTN".into()),
    ];
    let mut started = Vec::new();
    for (name, canned) in fakes {
        let fake = FakeAggregator::start(canned).await;
        settings.push((base_url_key(name), fake.url.clone()));
        started.push(fake);
    }
    let app = spawn_app_with(move |figment| {
        settings.into_iter().fold(figment, |f, (key, value)| {
            f.merge(Serialized::default(key, value))
        })
    })
    .await;
    Channels {
        app,
        _fakes: started,
    }
}

fn base_url_key(name: &str) -> &'static str {
    match name {
        "africastalking" => "channels.africastalking.base_url",
        "twilio" => "channels.twilio.base_url",
        "exotel" => "channels.exotel.base_url",
        "kannel" => "channels.kannel.base_url",
        _ => "channels.generic.base_url",
    }
}

/// One webhook as its aggregator sends it; every copy is built the same.
#[derive(Clone)]
enum Hook {
    Form(&'static str, Vec<(String, String)>),
    Query(String),
    Twilio(&'static str, Vec<(String, String)>),
    Generic(&'static str, serde_json::Value),
}

impl Hook {
    fn form(path: &'static str, fields: &[(&str, &str)]) -> Self {
        Hook::Form(path, owned(fields))
    }

    fn twilio(path: &'static str, fields: &[(&str, &str)]) -> Self {
        Hook::Twilio(path, owned(fields))
    }

    async fn send(&self, app: &TestApp) -> (u16, String) {
        let request = match self {
            Hook::Form(path, fields) => app.client.post(app.url(path)).form(fields),
            Hook::Query(path_and_query) => app.client.get(app.url(path_and_query)),
            Hook::Twilio(path, fields) => {
                let signature = twilio_signature(TWILIO_TOKEN, path, fields);
                app.client
                    .post(app.url(path))
                    .header(twilio::SIGNATURE_HEADER, signature)
                    .form(fields)
            }
            Hook::Generic(path, body) => generic_request(app, path, body, Some(GENERIC_SECRET)),
        };
        let response = request.send().await.expect("webhook");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Sends `COPIES` copies at once; fails unless every answer is the same success. The answer.
    async fn copies(&self, app: &TestApp, what: &str) -> String {
        let answers = std::sync::Mutex::new(Vec::new());
        join_all((0..COPIES).map(|_| async {
            let answer = self.send(app).await;
            answers.lock().unwrap().push(answer);
        }))
        .await;
        let answers = answers.into_inner().unwrap();
        let first = answers[0].clone();
        assert!((200..300).contains(&first.0), "{what}: {first:?}");
        assert!(
            answers.iter().all(|a| *a == first),
            "{what}: copies were answered differently: {:?}",
            answers.iter().collect::<std::collections::BTreeSet<_>>()
        );
        first.1
    }
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An inbound SMS saying `text` from `from` with aggregator id `id`, per channel kind.
fn sms(channel: &str, from: &str, text: &str, id: &str) -> Hook {
    match channel {
        "africastalking" | "console" => Hook::Form(
            if channel == "console" {
                "/webhooks/console/sms"
            } else {
                "/webhooks/africastalking/sms"
            },
            owned(&[("from", from), ("to", "56767"), ("text", text), ("id", id)]),
        ),
        "twilio" => Hook::twilio(
            "/webhooks/twilio/sms",
            &[
                ("MessageSid", id),
                ("From", from),
                ("To", "+15005550006"),
                ("Body", text),
            ],
        ),
        "exotel" => Hook::form(
            "/webhooks/exotel/sms",
            &[
                ("SmsSid", id),
                ("From", from),
                ("To", "CYBMTN"),
                ("Body", text),
            ],
        ),
        "kannel" => Hook::Query(format!(
            "/webhooks/kannel/sms?sender={}&message={text}&id={id}&to=56767",
            from.replace('+', "%2B")
        )),
        _ => Hook::Generic(
            "/webhooks/generic/sms",
            json!({"message_id": id, "from": from, "to": "56767", "text": text}),
        ),
    }
}

/// A missed call from `from` with call id `id`, per channel kind (Kannel carries no calls).
fn missed_call(channel: &str, from: &str, id: &str) -> Hook {
    match channel {
        "africastalking" => Hook::form(
            "/webhooks/africastalking/missed-call",
            &[
                ("sessionId", id),
                ("callerNumber", from),
                ("destinationNumber", "08047192000"),
                ("isActive", "0"),
            ],
        ),
        "twilio" => Hook::twilio(
            "/webhooks/twilio/missed-call",
            &[("CallSid", id), ("From", from), ("To", "+15005550006")],
        ),
        "exotel" => Hook::Query(format!(
            "/webhooks/exotel/missed-call?CallSid={id}&CallFrom={}&CallTo=08047192000",
            from.replace('+', "%2B")
        )),
        _ => Hook::Generic(
            "/webhooks/generic/missed-call",
            json!({"call_id": id, "from": from, "to": "08047192000"}),
        ),
    }
}

/// A "delivered" report for the message the aggregator calls `provider_id` (Kannel: mitan's
/// own id `mitan_id`).
fn delivered(channel: &str, provider_id: &str, mitan_id: i64) -> Hook {
    match channel {
        "africastalking" => Hook::form(
            "/webhooks/africastalking/delivery",
            &[("id", provider_id), ("status", "Success")],
        ),
        "twilio" => Hook::twilio(
            "/webhooks/twilio/delivery",
            &[("MessageSid", provider_id), ("MessageStatus", "delivered")],
        ),
        "exotel" => Hook::form(
            "/webhooks/exotel/delivery",
            &[("SmsSid", provider_id), ("Status", "sent")],
        ),
        "kannel" => Hook::Query(format!("/webhooks/kannel/delivery?id={mitan_id}&status=1")),
        _ => Hook::Generic(
            "/webhooks/generic/delivery",
            json!({"message_id": provider_id, "status": "delivered"}),
        ),
    }
}

async fn outbox_rows(app: &TestApp) -> usize {
    app.outbox().await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_copies_of_an_inbound_sms_on_every_kind_of_channel_have_one_effect() {
    let channels = every_channel().await;
    let app = &channels.app;
    for (n, channel) in CHANNEL_KINDS.iter().enumerate() {
        let from = villager(n as u32);
        let before = outbox_rows(app).await;
        sms(channel, &from, "JOIN", &format!("in-{channel}"))
            .copies(app, &format!("{channel} JOIN"))
            .await;
        assert_eq!(
            outbox_rows(app).await,
            before + 1,
            "{channel}: one notice for fifty copies"
        );
        // The villager's YES, fifty times too, makes one member with one welcome.
        sms(channel, &from, "YES", &format!("yes-{channel}"))
            .copies(app, &format!("{channel} YES"))
            .await;
        assert_eq!(outbox_rows(app).await, before + 2, "{channel}: one welcome");
    }
    assert_eq!(
        crate::helpers::count(app, "SELECT COUNT(*) FROM people").await,
        CHANNEL_KINDS.len() as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_copies_of_a_missed_call_on_every_kind_that_carries_calls_have_one_effect() {
    let channels = every_channel().await;
    let app = &channels.app;
    for (n, channel) in ["africastalking", "twilio", "exotel", "generic"]
        .iter()
        .enumerate()
    {
        let before = outbox_rows(app).await;
        missed_call(
            channel,
            &villager(10 + n as u32),
            &format!("call-{channel}"),
        )
        .copies(app, &format!("{channel} missed call"))
        .await;
        assert_eq!(
            outbox_rows(app).await,
            before + 1,
            "{channel}: one notice for fifty copies of the call"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_copies_of_a_delivery_report_on_every_kind_settle_the_message_once() {
    let channels = every_channel().await;
    let app = &channels.app;
    let provider_ids = [
        ("africastalking", "ATXid_r"),
        ("twilio", "SMr"),
        ("exotel", "exo-r"),
        ("kannel", ""),
        ("generic", "g-r"),
    ];
    for (n, (channel, provider_id)) in provider_ids.iter().enumerate() {
        // A reply leaves through the channel its message came in on.
        sms(
            channel,
            &villager(20 + n as u32),
            "HELP",
            &format!("help-{channel}"),
        )
        .send(app)
        .await;
        app.deliver().await;
        let message = app.outbox().await.pop().unwrap();
        assert_eq!(message.channel, *channel);
        assert_eq!(message.status, OutboxStatus::Sent, "{channel}: {message:?}");
        delivered(channel, provider_id, message.id)
            .copies(app, &format!("{channel} delivery report"))
            .await;
        let settled = app.outbox().await.pop().unwrap();
        assert_eq!(settled.id, message.id);
        assert_eq!(settled.status, OutboxStatus::Delivered, "{channel}");
        assert!(
            !settled.sealed,
            "{channel}: a final state keeps only the hint"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_copies_of_the_end_of_a_ussd_session_are_answered_alike() {
    let channels = every_channel().await;
    let app = &channels.app;
    let mut phone = app.handset(&villager(30));
    phone.dial().await;
    phone.press("3").await;
    let end = Hook::form(
        "/webhooks/africastalking/ussd/end",
        &[
            ("sessionId", &phone.session),
            ("phoneNumber", &villager(30)),
            ("status", "Incomplete"),
        ],
    );
    end.copies(app, "USSD end").await;
    assert!(phone.stored_session().await.is_none());
}

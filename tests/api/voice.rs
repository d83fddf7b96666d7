//! Tips by phone call, end to end over real HTTP: a missed call or a broadcast places a call at
//! a fake Exotel or Twilio, the test plays the provider (fetching the call flow, pressing keys,
//! fetching the recordings, reporting how the call ended), and the store and the outbox show
//! what a villager would notice.

use std::path::Path;

use figment::providers::Serialized;
use figment::Figment;
use mitan::outbox::{OutboundKind, OutboxStatus, Outcome};
use mitan::providers::twilio;
use mitan::tips::audio::{tone_wav, Prompt, Recording};
use serde_json::json;

use crate::broadcasts::ist;
use crate::fake::{Canned, FakeAggregator, Recorded};
use crate::helpers::{
    dump_database, holds_test_number, spawn_app_with, twilio_signature, TestApp, VILLAGER,
};

/// The ExoPhone (and Twilio number) calls come from, and the number a missed call to asks for
/// a call back.
const VOICE_NUMBER: &str = "+918047192000";
const TWILIO_TOKEN: &str = "twilio-voice-token";

/// Exotel's answer to a call request: the call's Sid (`call-1`, `call-2`, …).
fn exotel_connected() -> Canned {
    Canned::json(
        200,
        json!({"Call": {"Sid": "call-{request}", "Status": "in-progress"}}),
    )
}

fn twilio_created() -> Canned {
    Canned::json(201, json!({"sid": "CA{request}", "status": "queued"}))
}

/// The app with voice on channel `kind` ("exotel" or "twilio") calling through `fake`, without
/// its background planner.
async fn voice_app(fake: &FakeAggregator, kind: &str) -> TestApp {
    let mut values = vec![
        ("voice.channel".to_string(), kind.to_string()),
        (format!("channels.{kind}.base_url"), fake.url.clone()),
        (format!("channels.{kind}.account_sid"), "ACME".to_string()),
        (
            format!("channels.{kind}.voice_number"),
            VOICE_NUMBER.to_string(),
        ),
    ];
    match kind {
        "exotel" => {
            values.push(("channels.exotel.api_key".into(), "key".into()));
            values.push(("channels.exotel.api_token".into(), "token".into()));
        }
        _ => {
            values.push(("channels.twilio.auth_token".into(), TWILIO_TOKEN.into()));
            values.push(("channels.twilio.from".into(), VOICE_NUMBER.into()));
        }
    }
    let app = spawn_app_with(move |f: Figment| {
        values
            .into_iter()
            .fold(f, |f, (key, value)| {
                f.merge(Serialized::default(&key, value))
            })
            .merge(Serialized::default("broadcasts.planner", false))
    })
    .await;
    app.clock.set(ist(2026, 11, 28, 12, 0));
    app
}

/// Hindi recordings of every active tip (each its own length, so they tell apart) and of every
/// prompt, in the app's recordings folder; the app reads them again.
async fn record_hindi(app: &TestApp) -> Vec<String> {
    let dir = app.db.dir.path().join("audio");
    let mut names = Vec::new();
    for (n, tip) in app.state.store.tips().await.unwrap().iter().enumerate() {
        let name = tip.name();
        put(&dir, &Recording::Tip(name.clone()), 400 + 10 * n as u32);
        names.push(name);
    }
    for prompt in Prompt::ALL {
        put(&dir, &Recording::Prompt(prompt), 300);
    }
    app.state.audio.refresh();
    names
}

fn put(dir: &Path, recording: &Recording, millis: u32) {
    let path = dir.join(recording.path(mitan::enrollment::Language::Hindi));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, tone_wav(millis)).unwrap();
}

/// A URL the service gave the provider (on its public origin), on the test's listener.
fn local(app: &TestApp, url: &str) -> String {
    let path = url.splitn(4, '/').nth(3).unwrap_or_default();
    app.url(&format!("/{path}"))
}

/// The path and query of a URL the service gave the provider.
fn path_of(url: &str) -> String {
    format!("/{}", url.splitn(4, '/').nth(3).unwrap_or_default())
}

fn unescape(xml: &str) -> String {
    xml.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The call flow's answer: the recordings it plays, in order, and where the pressed key goes.
#[derive(Debug)]
struct Flow {
    plays: Vec<String>,
    action: Option<String>,
    xml: String,
}

fn read_flow(xml: &str) -> Flow {
    let plays = xml
        .split("<Play>")
        .skip(1)
        .map(|rest| unescape(rest.split("</Play>").next().unwrap()))
        .collect();
    let action = xml
        .split(" action=\"")
        .nth(1)
        .map(|rest| unescape(rest.split('"').next().unwrap()));
    Flow {
        plays,
        action,
        xml: xml.to_string(),
    }
}

/// Exotel fetching the flow: GET with its own fields, or (after a key) a POST of `digits`.
async fn exotel_flow(app: &TestApp, url: &str, digits: Option<&str>) -> Flow {
    let request = match digits {
        None => app
            .client
            .get(format!("{}&CallSid=call-1&CallFrom=x", local(app, url))),
        Some(key) => app
            .client
            .post(local(app, url))
            .form(&[("CallSid", "call-1"), ("digits", &format!("\"{key}\""))]),
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/xml"
    );
    read_flow(&response.text().await.unwrap())
}

/// The call request the fake received last, and its fields.
fn last_call(fake: &FakeAggregator) -> Recorded {
    fake.requests().last().cloned().expect("a call request")
}

/// The tip a recording URL plays (`…/voice/audio/<tip>/hi.wav`).
fn tip_played(url: &str) -> String {
    url.rsplit('/').nth(1).unwrap().to_string()
}

async fn a_member_who_chose_voice(app: &TestApp) {
    app.join(VILLAGER, None, app.clock_now()).await;
    let reply = app.text(VILLAGER, "VOICE").await;
    assert!(
        reply.last().unwrap().contains("8047192000"),
        "the reply names the number calls come from: {reply:?}"
    );
    assert!(app.person(VILLAGER).await.unwrap().voice);
}

/// Exotel with recordings in Hindi, and a member who chose calls (their reply sent).
async fn exotel_with_a_voice_member() -> (FakeAggregator, TestApp) {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    record_hindi(&app).await;
    a_member_who_chose_voice(&app).await;
    app.deliver().await;
    (fake, app)
}

/// The broadcast call in the outbox (the last, if more than one).
async fn call_row(app: &TestApp) -> mitan::store::OutboxEntry {
    app.outbox()
        .await
        .into_iter()
        .rfind(|m| m.kind == OutboundKind::Call)
        .expect("a broadcast call")
}

async fn exotel_missed_call(app: &TestApp, sid: &str, to: &str) {
    let response = app
        .client
        .get(app.url(&format!(
            "/webhooks/exotel/missed-call?CallSid={sid}&CallFrom={}&CallTo={}",
            VILLAGER.replace('+', "%2B"),
            to.replace('+', "%2B")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_member_s_missed_call_is_answered_by_a_call_that_plays_tips_until_they_press_9() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    let tips = record_hindi(&app).await;
    a_member_who_chose_voice(&app).await;
    let before = fake.requests().len();

    exotel_missed_call(&app, "missed-1", "+918047100001").await;
    // Exotel retries the webhook: still one call.
    exotel_missed_call(&app, "missed-1", "+918047100001").await;
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    assert_eq!(fake.requests().len(), before + 1, "one call request");
    let call = last_call(&fake);
    assert_eq!(call.path, "/v1/Accounts/ACME/Calls/connect.json");
    assert_eq!(call.field("From").as_deref(), Some(VILLAGER));
    assert_eq!(call.field("CallerId").as_deref(), Some(VOICE_NUMBER));
    let flow_url = call.field("Url").unwrap();
    let status_url = call.field("StatusCallback").unwrap();
    assert!(
        flow_url.contains("/webhooks/exotel/voice?call="),
        "{flow_url}"
    );

    // Answered: today's tip, then the menu, inside a Gather of one key.
    let first = exotel_flow(&app, &flow_url, None).await;
    assert!(
        first.xml.contains("<Gather numDigits=\"1\""),
        "{}",
        first.xml
    );
    assert_eq!(first.plays.len(), 3, "{first:?}");
    let today = tip_played(&first.plays[0]);
    assert!(tips.contains(&today));
    assert!(first.plays[1].ends_with("/voice/audio/prompts/menu/hi.wav"));
    assert!(first.plays[2].ends_with("/voice/audio/prompts/goodbye/hi.wav"));

    // The recording is a WAV the provider can play, served with ranges.
    let audio = app
        .client
        .get(local(&app, &first.plays[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), 200);
    assert_eq!(
        audio.headers()["content-type"].to_str().unwrap(),
        "audio/wav"
    );
    let bytes = audio.bytes().await.unwrap();
    let wav = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!((wav.spec().sample_rate, wav.spec().channels), (8000, 1));
    let part = app
        .client
        .get(local(&app, &first.plays[0]))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    for missing in [
        "/voice/audio/../mitan.db",
        "/voice/audio/tip-01/fr.wav",
        "/voice/audio/x",
    ] {
        let response = app.client.get(app.url(missing)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }

    // 1: the same tip again; 2: the next one.
    let again = exotel_flow(&app, first.action.as_ref().unwrap(), Some("1")).await;
    assert_eq!(tip_played(&again.plays[0]), today);
    let next = exotel_flow(&app, first.action.as_ref().unwrap(), Some("2")).await;
    let next_tip = tip_played(&next.plays[0]);
    assert_ne!(next_tip, today);
    let at = tips.iter().position(|t| *t == today).unwrap();
    assert_eq!(next_tip, tips[(at + 1) % tips.len()]);

    // A forged key or another channel's name finds no call.
    let forged = flow_url.replace("key=", "key=0");
    let response = app.client.get(local(&app, &forged)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let elsewhere = flow_url.replace("/webhooks/exotel/", "/webhooks/twilio/");
    let response = app
        .client
        .get(local(&app, &elsewhere))
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 200);

    // 9: stopped, as by SMS STOP; a retried fetch gets the same answer.
    let stopped = exotel_flow(&app, next.action.as_ref().unwrap(), Some("9")).await;
    assert_eq!(stopped.action, None);
    assert!(stopped.plays[0].ends_with("/prompts/stopped/hi.wav"));
    let retried = exotel_flow(&app, next.action.as_ref().unwrap(), Some("9")).await;
    assert_eq!(retried.plays, stopped.plays);
    assert_eq!(
        app.person(VILLAGER).await.unwrap().status,
        mitan::enrollment::PersonStatus::OptedOut
    );
    assert!(app.is_suppressed(VILLAGER).await);

    // The call ended: delivered, and the number is no longer held for it.
    let ended = app
        .client
        .post(local(&app, &status_url))
        .form(&[("CallSid", "call-1"), ("Status", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let row = app.outbox().await.into_iter().last().unwrap();
    assert_eq!(
        (row.kind, row.status),
        (OutboundKind::CallBack, OutboxStatus::Delivered)
    );
    assert!(!row.sealed);

    let dump = dump_database(&app.db).await;
    assert!(!holds_test_number(&String::from_utf8_lossy(&dump)));
}

#[tokio::test]
async fn a_stranger_s_missed_call_on_the_voice_number_asks_consent_and_1_joins_them() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    record_hindi(&app).await;

    exotel_missed_call(&app, "missed-s", VOICE_NUMBER).await;
    assert!(
        app.person(VILLAGER).await.is_none(),
        "nothing stored before consent"
    );
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    let flow_url = last_call(&fake).field("Url").unwrap();
    let notice = exotel_flow(&app, &flow_url, None).await;
    assert_eq!(notice.plays.len(), 2, "{notice:?}");
    assert!(notice.plays[0].ends_with("/prompts/consent/hi.wav"));

    // Any other key, or none: nothing stored.
    let no = exotel_flow(&app, notice.action.as_ref().unwrap(), Some("2")).await;
    assert_eq!(no.action, None);
    assert!(app.person(VILLAGER).await.is_none());

    // 1: joined, with tips by call, the consent naming the recording heard; then a tip.
    let yes = exotel_flow(&app, notice.action.as_ref().unwrap(), Some("1")).await;
    assert!(yes.plays[0].ends_with("/prompts/joined/hi.wav"), "{yes:?}");
    assert!(yes.plays[1].contains("/voice/audio/"));
    let person = app.person(VILLAGER).await.expect("joined");
    assert!(person.voice);
    assert_eq!(person.consent_channel, "voice:exotel");
    let consent = app
        .state
        .audio
        .current()
        .prompt(Prompt::Consent, mitan::enrollment::Language::Hindi)
        .unwrap()
        .sha256
        .clone();
    assert_eq!(person.consent_version, format!("voice-{}", &consent[..16]));
    // Pressed again (a retried fetch): still one person, the same answer.
    let again = exotel_flow(&app, notice.action.as_ref().unwrap(), Some("1")).await;
    assert_eq!(again.plays, yes.plays);

    // Without a recording of the notice, a stranger's missed call is answered by SMS as before.
    std::fs::remove_file(app.db.dir.path().join("audio/prompts/consent/hi.wav")).unwrap();
    app.state.audio.refresh();
    let neighbour = crate::helpers::NEIGHBOUR;
    let response = app
        .client
        .get(app.url(&format!(
            "/webhooks/exotel/missed-call?CallSid=missed-n&CallFrom={}&CallTo={}",
            neighbour.replace('+', "%2B"),
            VOICE_NUMBER.replace('+', "%2B")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let row = app.outbox().await.into_iter().last().unwrap();
    assert_eq!(row.kind, OutboundKind::Reply);
}

/// An admin's broadcast of the first tip, due at `due`.
async fn broadcast_first_tip(app: &TestApp, due: chrono::DateTime<chrono::Utc>) -> i64 {
    let token = app.admin_token().await;
    let tip = app.state.store.tips().await.unwrap()[0].id;
    let response = app
        .api_post(
            "/api/v1/broadcasts",
            &token,
            json!({"tip_id": tip, "send_at": due.to_rfc3339()}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    app.plan_all().await;
    tip
}

async fn report_status(app: &TestApp, status_url: &str, sid: &str, status: &str) {
    let response = app
        .client
        .post(local(app, status_url))
        .form(&[("CallSid", sid), ("Status", status)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_busy_call_is_tried_once_more_inside_the_sending_window_and_never_outside_it() {
    let (fake, app) = exotel_with_a_voice_member().await;
    let sms_member = crate::helpers::NEIGHBOUR;
    app.join(sms_member, None, app.clock_now()).await;

    // Due at 18:00: the voice member gets a call, the other an SMS.
    app.clock.set(ist(2026, 11, 28, 18, 0));
    broadcast_first_tip(&app, ist(2026, 11, 28, 18, 0)).await;
    let kinds: Vec<OutboundKind> = app.outbox().await.iter().map(|m| m.kind).collect();
    assert!(kinds.contains(&OutboundKind::Call) && kinds.contains(&OutboundKind::Bulk));
    let before = fake.requests().len();
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 1, "one call placed");
    assert!(
        app.inbox(sms_member).last().is_some(),
        "the SMS member got an SMS"
    );
    let call = last_call(&fake);
    let status_url = call.field("StatusCallback").unwrap();
    let sid = format!("call-{}", fake.requests().len());

    // Busy at 18:00: queued again for 18:30, inside the window (which closes at 19:00).
    report_status(&app, &status_url, &sid, "busy").await;
    // Exotel retries its callback: nothing moves twice.
    report_status(&app, &status_url, &sid, "busy").await;
    let row = call_row(&app).await;
    assert_eq!((row.status, row.attempts), (OutboxStatus::Queued, 1));
    app.clock.set(ist(2026, 11, 28, 18, 29));
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 1, "not before its time");
    app.clock.set(ist(2026, 11, 28, 18, 30));
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 2, "tried once more");
    let second = format!("call-{}", fake.requests().len());

    // No answer the second time: given up, never a third call.
    report_status(&app, &status_url, &second, "no-answer").await;
    let row = call_row(&app).await;
    assert_eq!(row.status, OutboxStatus::Failed);
    assert_eq!(row.last_error.as_deref(), Some("no answer"));
    app.clock.set(ist(2026, 11, 28, 19, 30));
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 2);
}

#[tokio::test]
async fn a_call_that_rings_busy_near_closing_waits_for_the_window_to_open_again() {
    let (fake, app) = exotel_with_a_voice_member().await;
    app.clock.set(ist(2026, 11, 28, 18, 45));
    broadcast_first_tip(&app, ist(2026, 11, 28, 18, 45)).await;
    let before = fake.requests().len();
    app.deliver().await;
    let status_url = last_call(&fake).field("StatusCallback").unwrap();
    let sid = format!("call-{}", fake.requests().len());
    report_status(&app, &status_url, &sid, "busy").await;
    // 19:15 is after the window closed at 19:00: nothing is placed at night.
    app.clock.set(ist(2026, 11, 28, 19, 15));
    app.deliver().await;
    app.clock.set(ist(2026, 11, 28, 23, 0));
    app.deliver().await;
    assert_eq!(
        fake.requests().len(),
        before + 1,
        "no call outside the window"
    );
    // The next morning at ten, inside the tip's 24 hours of validity: placed once more.
    app.clock.set(ist(2026, 11, 29, 10, 0));
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 2);
}

#[tokio::test]
async fn a_stop_between_planning_and_calling_wins_and_a_tip_without_a_recording_is_skipped() {
    let (fake, app) = exotel_with_a_voice_member().await;
    app.clock.set(ist(2026, 11, 28, 15, 0));
    broadcast_first_tip(&app, ist(2026, 11, 28, 15, 0)).await;
    let before = fake.requests().len();
    app.text(VILLAGER, "STOP").await;
    app.deliver().await;
    assert_eq!(fake.requests().len(), before, "no call after STOP");
    let row = call_row(&app).await;
    assert_eq!(row.status, OutboxStatus::Suppressed);

    // Another member, whose tip has no recording: no call, the reason kept and counted.
    let other = crate::helpers::NEIGHBOUR;
    app.join(other, None, app.clock_now()).await;
    app.text(other, "VOICE").await;
    let first = app.state.store.tips().await.unwrap()[0].clone();
    let name = first.name();
    std::fs::remove_file(app.db.dir.path().join(format!("audio/{name}/hi.wav"))).unwrap();
    app.state.audio.refresh();
    app.clock.set(ist(2026, 12, 5, 15, 0));
    broadcast_first_tip(&app, ist(2026, 12, 5, 15, 0)).await;
    app.deliver().await;
    assert_eq!(fake.requests().len(), before, "nothing to play: no call");
    let row = call_row(&app).await;
    assert_eq!(row.status, OutboxStatus::Failed);
    assert_eq!(
        row.last_error.as_deref(),
        Some(format!("skipped: tip {} has no recording in hi", first.id).as_str())
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("voice_calls_skipped_total{reason=\"no_recording\"}")),
        "{metrics}"
    );
}

#[tokio::test]
async fn twilio_calls_are_placed_with_calls_json_and_their_flow_and_callbacks_must_be_signed() {
    let fake = FakeAggregator::start(twilio_created()).await;
    let app = voice_app(&fake, "twilio").await;
    record_hindi(&app).await;
    a_member_who_chose_voice(&app).await;
    app.deliver().await;
    let before = fake.requests().len();
    // A Twilio missed call: the incoming-call webhook, signed.
    let fields = [
        ("CallSid", "CA-missed"),
        ("From", VILLAGER),
        ("To", VOICE_NUMBER),
        ("CallStatus", "ringing"),
    ];
    let path = "/webhooks/twilio/missed-call";
    let response = app
        .client
        .post(app.url(path))
        .header(
            twilio::SIGNATURE_HEADER,
            twilio_signature(TWILIO_TOKEN, path, &fields),
        )
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.deliver().await;
    assert_eq!(fake.requests().len(), before + 1);
    let call = last_call(&fake);
    assert_eq!(call.path, "/2010-04-01/Accounts/ACME/Calls.json");
    assert_eq!(call.field("To").as_deref(), Some(VILLAGER));
    assert_eq!(call.field("From").as_deref(), Some(VOICE_NUMBER));
    let flow_url = call.field("Url").unwrap();
    let status_url = call.field("StatusCallback").unwrap();

    let post_signed = |url: String, fields: Vec<(&'static str, String)>, signed: bool| {
        let app = &app;
        async move {
            let path = path_of(&url);
            let mut request = app.client.post(local(app, &url)).form(&fields);
            if signed {
                request = request.header(
                    twilio::SIGNATURE_HEADER,
                    twilio_signature(TWILIO_TOKEN, &path, &fields),
                );
            }
            request.send().await.unwrap()
        }
    };
    let unsigned = post_signed(flow_url.clone(), vec![("CallSid", "CA1".into())], false).await;
    assert_eq!(unsigned.status(), 403);
    let flow = post_signed(flow_url.clone(), vec![("CallSid", "CA1".into())], true).await;
    assert_eq!(flow.status(), 200);
    assert!(flow.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    let first = read_flow(&flow.text().await.unwrap());
    let next = post_signed(
        first.action.clone().unwrap(),
        vec![("CallSid", "CA1".into()), ("Digits", "2".into())],
        true,
    )
    .await;
    let next = read_flow(&next.text().await.unwrap());
    assert_ne!(tip_played(&next.plays[0]), tip_played(&first.plays[0]));

    let sid = format!("CA{}", fake.requests().len());
    let forged = post_signed(
        status_url.clone(),
        vec![("CallSid", sid.clone()), ("CallStatus", "completed".into())],
        false,
    )
    .await;
    assert_eq!(forged.status(), 403);
    let ended = post_signed(
        status_url,
        vec![("CallSid", sid), ("CallStatus", "completed".into())],
        true,
    )
    .await;
    assert_eq!(ended.status(), 200);
    let row = app.outbox().await.into_iter().last().unwrap();
    assert_eq!(row.status, OutboxStatus::Delivered);
}

#[tokio::test]
async fn sms_back_brings_tips_by_sms_and_voice_without_a_voice_channel_is_declined() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    a_member_who_chose_voice(&app).await;
    // The member joined in Hindi, and is answered in Hindi.
    let reply = app.text(VILLAGER, "SMS").await;
    assert!(reply.last().unwrap().contains("फिर से SMS पर"), "{reply:?}");
    assert!(!app.person(VILLAGER).await.unwrap().voice);

    let plain = crate::helpers::spawn_app().await;
    plain.join(VILLAGER, None, plain.clock_now()).await;
    let reply = plain.text(VILLAGER, "VOICE").await;
    assert!(reply.last().unwrap().contains("उपलब्ध नहीं"), "{reply:?}");
    assert!(!plain.person(VILLAGER).await.unwrap().voice);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_number_reaches_the_log_or_the_database_file_from_a_missed_call_to_a_stop_by_keypad() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let audio = tempfile::tempdir().unwrap();
    // The shipped library's tips are tip-01 … tip-24.
    for n in 1..=24 {
        put(audio.path(), &Recording::Tip(format!("tip-{n:02}")), 300);
    }
    for prompt in Prompt::ALL {
        put(audio.path(), &Recording::Prompt(prompt), 300);
    }
    let audio_dir = audio.path().to_str().unwrap().to_string();
    let mut service = crate::helpers::OnFile::start_with(&[
        ("MITAN__VOICE__CHANNEL", "exotel"),
        ("MITAN__VOICE__AUDIO_DIR", &audio_dir),
        ("MITAN__CHANNELS__EXOTEL__BASE_URL", &fake.url),
        ("MITAN__CHANNELS__EXOTEL__ACCOUNT_SID", "ACME"),
        ("MITAN__CHANNELS__EXOTEL__API_KEY", "key"),
        ("MITAN__CHANNELS__EXOTEL__API_TOKEN", "token"),
        ("MITAN__CHANNELS__EXOTEL__VOICE_NUMBER", VOICE_NUMBER),
    ]);
    let mitan = &service.mitan;
    let client = reqwest::Client::new();
    let on_mitan = |url: &str| mitan.url(&path_of(url));
    let missed = client
        .get(mitan.url(&format!(
            "/webhooks/exotel/missed-call?CallSid=m-1&CallFrom={}&CallTo={}",
            VILLAGER.replace('+', "%2B"),
            VOICE_NUMBER.replace('+', "%2B")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(missed.status(), 200);
    // The service's own dispatcher places the call.
    let call = crate::helpers::wait_for(
        "the call request",
        std::time::Duration::from_secs(20),
        || async {
            fake.requests()
                .into_iter()
                .find(|r| r.path.ends_with("/Calls/connect.json"))
        },
    )
    .await;
    let flow_url = call.field("Url").unwrap();
    let fetch = |url: String, key: Option<&'static str>| {
        let client = &client;
        async move {
            let request = match key {
                None => client.get(format!("{url}&CallSid=call-1")),
                Some(key) => client
                    .post(url)
                    .form(&[("CallSid", "call-1"), ("digits", key)]),
            };
            read_flow(&request.send().await.unwrap().text().await.unwrap())
        }
    };
    let notice = fetch(on_mitan(&flow_url), None).await;
    let joined = fetch(on_mitan(notice.action.as_ref().unwrap()), Some("1")).await;
    assert!(
        joined.plays[0].ends_with("/prompts/joined/hi.wav"),
        "{joined:?}"
    );
    let stopped = fetch(on_mitan(joined.action.as_ref().unwrap()), Some("9")).await;
    assert!(
        stopped.plays[0].ends_with("/prompts/stopped/hi.wav"),
        "{stopped:?}"
    );
    let ended = client
        .post(on_mitan(&call.field("StatusCallback").unwrap()))
        .form(&[("CallSid", "call-1"), ("Status", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);

    let (log, stored) = service.stop();
    assert!(log.contains("joined by keypad"), "{log}");
    assert!(log.contains("stopped by keypad"), "{log}");
    crate::helpers::assert_no_number_in(&log, "the log");
    crate::helpers::assert_no_number_in(&String::from_utf8_lossy(&stored), "the database file");
}

/// Hostile and broken requests to the call webhooks, against a real placed call (its own id and
/// key most of the time, so the flow's domain is reached): a precise 4xx or the flow's own
/// answer, never a 5xx, never a number.
#[tokio::test]
async fn the_call_webhooks_answer_hostile_requests_with_a_4xx_or_their_flow_and_never_a_number() {
    use rand::{Rng as _, SeedableRng as _};
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    record_hindi(&app).await;
    a_member_who_chose_voice(&app).await;
    exotel_missed_call(&app, "missed-h", "+918047100001").await;
    app.deliver().await;
    let call = last_call(&fake);
    let flow = path_of(&call.field("Url").unwrap());
    let (id, key) = {
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(flow.split('?').nth(1).unwrap()).unwrap();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).unwrap().1.clone();
        (get("call"), get("key"))
    };
    let values = [
        "1".to_string(),
        "\"2\"".into(),
        "9".into(),
        "".into(),
        "x".repeat(5000),
        "\0".into(),
        VILLAGER.into(),
        "-1".into(),
        "99999999999999999999".into(),
        "तीन".into(),
        "<Response/>".into(),
        "completed".into(),
        "busy".into(),
        "%00".into(),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261201);
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..400 {
        let pick = |rng: &mut rand::rngs::StdRng| values[rng.gen_range(0..values.len())].clone();
        let route = if rng.gen_bool(0.5) {
            "voice"
        } else {
            "voice/status"
        };
        let mut query = vec![];
        if rng.gen_bool(0.9) {
            query.push((
                "call",
                if rng.gen_bool(0.8) {
                    id.clone()
                } else {
                    pick(&mut rng)
                },
            ));
        }
        if rng.gen_bool(0.9) {
            query.push((
                "key",
                if rng.gen_bool(0.8) {
                    key.clone()
                } else {
                    pick(&mut rng)
                },
            ));
        }
        if rng.gen_bool(0.5) {
            query.push((
                "at",
                ["start", "consent", "tip", "nope"][rng.gen_range(0..4)].into(),
            ));
        }
        if rng.gen_bool(0.5) {
            query.push(("tip", pick(&mut rng)));
        }
        let mut form = vec![];
        for name in ["CallSid", "digits", "Digits", "Status", "CallStatus"] {
            if rng.gen_bool(0.5) {
                form.push((name, pick(&mut rng)));
            }
        }
        if rng.gen_bool(0.1) {
            form.push(("digits", pick(&mut rng)));
        }
        let url = format!(
            "{}?{}",
            app.url(&format!("/webhooks/exotel/{route}")),
            serde_urlencoded::to_string(&query).unwrap()
        );
        let response = app.client.post(url).form(&form).send().await.unwrap();
        let code = response.status().as_u16();
        let body = response.text().await.unwrap();
        *by_status.entry(code).or_default() += 1;
        assert!(code < 500, "{code} for {query:?} {form:?}: {body}");
        assert!(!holds_test_number(&body), "a number in {body}");
        if code == 200 && route == "voice" {
            assert!(
                body.starts_with("<?xml") && body.ends_with("</Response>"),
                "{body}"
            );
        }
    }
    eprintln!("call webhooks fuzz: {by_status:?}");
    assert!(
        by_status.get(&200).copied().unwrap_or(0) >= 20,
        "{by_status:?}"
    );
    assert!(
        by_status.keys().any(|code| (400..500).contains(code)),
        "{by_status:?}"
    );
}

#[tokio::test]
async fn the_tips_page_shows_which_languages_have_a_recording_and_which_are_placeholders() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    let names = record_hindi(&app).await;
    let dir = app.db.dir.path().join("audio");
    std::fs::write(dir.join(format!("{}/hi.placeholder", names[0])), b"").unwrap();
    put(&dir, &Recording::Tip(names[1].clone()), 500);
    let english = dir.join(format!("{}/en.wav", names[1]));
    std::fs::write(&english, tone_wav(500)).unwrap();
    // A file in the wrong format is left out, and so not shown.
    std::fs::write(dir.join(format!("{}/hne.wav", names[1])), b"RIFF not a wav").unwrap();
    app.state.audio.refresh();
    let admin = app
        .signed_in("cyber-cell", mitan::access::Role::Admin, None)
        .await;
    let page = admin.get("/admin/tips").await;
    assert_eq!(page.status, 200);
    let row = |name: &str| {
        let at = page.body.find(&format!(">{name}</a>")).unwrap();
        let end = page.body[at..].find("</tr>").unwrap();
        page.body[at..at + end].to_string()
    };
    assert!(
        row(&names[0]).contains("hi (placeholder)"),
        "{}",
        row(&names[0])
    );
    let second = row(&names[1]);
    assert!(second.contains(">hi, en<"), "{second}");
    assert!(!second.contains("hne"), "{second}");
}

/// `mitan voice synth` with Debian's espeak-ng and sox (installed by `.ci/run`): every tip and
/// prompt spoken in every language into files the service accepts, each marked a placeholder;
/// a real recording is never replaced; without the programs, one clear line.
#[tokio::test(flavor = "multi_thread")]
async fn voice_synth_speaks_placeholders_the_service_accepts_and_leaves_real_recordings_alone() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("audio");
    let real = audio.join("tip-01/hi.wav");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, tone_wav(700)).unwrap();
    let key = crate::helpers::random_master_key();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("mitan.db").display()
    );
    let audio_dir = audio.to_str().unwrap().to_string();
    let env = [
        ("MITAN__DATABASE__URL", database.as_str()),
        ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
        ("MITAN__VOICE__AUDIO_DIR", audio_dir.as_str()),
    ];
    let run = crate::helpers::run_binary(dir.path(), &env, &["voice", "synth"]);
    assert!(run.status.success(), "{}", run.output);
    // 24 tips and 5 prompts in 3 languages, one of them a real recording already.
    assert!(
        run.output.contains("86 placeholder(s) written"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("1 real recording(s) left alone"),
        "{}",
        run.output
    );
    assert_eq!(std::fs::read(&real).unwrap(), tone_wav(700));
    let library = mitan::tips::audio::AudioLibrary::read(&audio, None);
    assert!(library.problems.is_empty(), "{:?}", library.problems);
    assert_eq!(library.files().len(), 87);
    let hne = library
        .tip("tip-02", mitan::enrollment::Language::Chhattisgarhi)
        .unwrap();
    assert!(hne.placeholder && hne.millis > 1000, "{hne:?}");
    assert!(
        !library
            .tip("tip-01", mitan::enrollment::Language::Hindi)
            .unwrap()
            .placeholder
    );
    let check = crate::helpers::run_binary(dir.path(), &env, &["voice", "check"]);
    assert!(check.output.contains("tip-02/hne.wav"), "{}", check.output);
    assert!(check.output.contains("PLACEHOLDER"), "{}", check.output);

    let bare = [("PATH", "/nonexistent"), env[0], env[1], env[2]];
    let run = crate::helpers::run_binary(dir.path(), &bare, &["voice", "synth"]);
    assert!(!run.status.success());
    assert!(
        crate::helpers::the_error_line(&run.output).contains("needs espeak-ng and sox"),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn a_member_chooses_calls_in_the_ussd_menu_and_sms_again_the_same_way() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = voice_app(&fake, "exotel").await;
    app.join(VILLAGER, None, app.clock_now()).await;
    let hop = app.url("/webhooks/console/ussd");
    let menu =
        crate::helpers::africastalking_hop(&app.client, &hop, "ATUid_v1", VILLAGER, "").await;
    assert!(menu.contains("7 कॉल पर सुझाव"), "{menu}");
    let done =
        crate::helpers::africastalking_hop(&app.client, &hop, "ATUid_v1", VILLAGER, "7").await;
    assert!(done.starts_with("END ठीक है, अब सुझाव कॉल पर आएंगे"), "{done}");
    assert!(app.person(VILLAGER).await.unwrap().voice);
    let menu =
        crate::helpers::africastalking_hop(&app.client, &hop, "ATUid_v2", VILLAGER, "").await;
    assert!(menu.contains("7 SMS पर सुझाव"), "{menu}");
    crate::helpers::africastalking_hop(&app.client, &hop, "ATUid_v2", VILLAGER, "7").await;
    assert!(!app.person(VILLAGER).await.unwrap().voice);

    // Where no calls can be placed, the menu has no seventh line.
    let plain = crate::helpers::spawn_app().await;
    plain.join(VILLAGER, None, plain.clock_now()).await;
    let hop = plain.url("/webhooks/console/ussd");
    let menu =
        crate::helpers::africastalking_hop(&plain.client, &hop, "ATUid_v3", VILLAGER, "").await;
    assert!(!menu.contains("\n7 "), "{menu}");
}

#[tokio::test]
async fn a_call_request_that_got_no_answer_is_never_placed_again_and_its_callback_settles_it() {
    let fake = FakeAggregator::start(exotel_connected()).await;
    let app = spawn_app_with(|f: Figment| {
        [
            ("voice.channel", "exotel"),
            ("channels.exotel.account_sid", "ACME"),
            ("channels.exotel.api_key", "key"),
            ("channels.exotel.api_token", "token"),
            ("channels.exotel.voice_number", VOICE_NUMBER),
        ]
        .into_iter()
        .fold(f, |f, (key, value)| {
            f.merge(Serialized::default(key, value))
        })
        .merge(Serialized::default(
            "channels.exotel.base_url",
            fake.url.clone(),
        ))
        .merge(Serialized::default("outbound.send_timeout_secs", 1))
    })
    .await;
    record_hindi(&app).await;
    a_member_who_chose_voice(&app).await;
    fake.then(exotel_connected().after(std::time::Duration::from_secs(3)));
    exotel_missed_call(&app, "missed-t", "+918047100001").await;
    assert_eq!(app.deliver().await, [Outcome::Unknown]);
    let row = app.outbox().await.into_iter().last().unwrap();
    assert_eq!(
        (row.kind, row.status),
        (OutboundKind::CallBack, OutboxStatus::Unknown)
    );
    assert!(app.deliver().await.is_empty(), "not placed twice");
    // Exotel did place it: its callback names the call by mitan's URL and key.
    let status_url = last_call(&fake).field("StatusCallback").unwrap();
    let ended = app
        .client
        .post(local(&app, &status_url))
        .form(&[("CallSid", "call-late"), ("Status", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let row = app.outbox().await.into_iter().last().unwrap();
    assert_eq!(row.status, OutboxStatus::Delivered);
}

#[test]
fn a_voice_channel_that_cannot_place_calls_stops_the_start_naming_what_to_set() {
    let cases = [
        (
            vec![("MITAN__VOICE__CHANNEL", "nowhere")],
            "voice.channel: no enabled channel is named \"nowhere\"",
        ),
        (
            vec![("MITAN__VOICE__CHANNEL", "africastalking")],
            "voice.channel: channel \"africastalking\" is of a kind that cannot place calls",
        ),
        (
            vec![
                ("MITAN__VOICE__CHANNEL", "exotel"),
                ("MITAN__CHANNELS__EXOTEL__ACCOUNT_SID", "ACME"),
            ],
            "voice.channel: channel \"exotel\" cannot place calls: set channels.exotel.api_key, \
             channels.exotel.api_token, channels.exotel.voice_number",
        ),
    ];
    for (env, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let run = crate::helpers::run_binary(dir.path(), &env, &["serve"]);
        assert!(!run.status.success(), "{}", run.output);
        let error = crate::helpers::the_error_line(&run.output);
        assert!(error.contains(expected), "{error}");
    }
}

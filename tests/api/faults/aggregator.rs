//! A broadcast to 200 people through an aggregator that answers 30% of sends with 503 and
//! takes 10% without ever answering, sent by the app's own dispatcher workers: nobody gets
//! the tip twice, a send that got no answer is never made again, a 503 is retried as the
//! outbox allows, nobody is lost, and the aggregator never sees more than `tps + burst` sends
//! in any second.

use std::collections::BTreeMap;
use std::time::Duration;

use figment::providers::Serialized;
use mitan::clock::Clock as _;
use mitan::outbox::OutboxStatus;
use serde_json::json;

use crate::fake::{Canned, FakeAggregator, Faults, Recorded};
use crate::helpers::{masked, spawn_app_with, wait_for, TestApp};

const PEOPLE: u32 = 200;
const TPS: u32 = 20;
const BURST: u32 = 5;
const MAX_ATTEMPTS: u32 = 3;
const FAIL: f64 = 0.30;
const HANG: f64 = 0.10;
/// A request the fake holds longer than this never got an answer (it holds them an hour).
const HUNG: Duration = Duration::from_secs(60);

/// The `n`th recipient: a valid Indian mobile number of its own.
fn recipient(n: u32) -> String {
    format!("+91987651{n:04}")
}

/// The sends the aggregator saw, each with mitan's message id and the recipient.
fn sends(fake: &FakeAggregator) -> Vec<(i64, String, Recorded)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path == "/messages")
        .map(|r| {
            let body = r.json();
            let id = body["id"].as_str().unwrap().parse().unwrap();
            let to = body["to"].as_str().unwrap().to_string();
            (id, to, r)
        })
        .collect()
}

/// The most sends the aggregator received within any one second (from its receive times).
fn most_in_one_second(sends: &[(i64, String, Recorded)]) -> usize {
    let mut times: Vec<_> = sends.iter().map(|(_, _, r)| r.at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn app_sending_through(fake: &FakeAggregator) -> TestApp {
    let url = fake.url.clone();
    spawn_app_with(move |f| {
        f.merge(Serialized::default("channels.generic.base_url", url))
            .merge(Serialized::default("channels.generic.tps", TPS))
            .merge(Serialized::default("channels.generic.burst", BURST))
            .merge(Serialized::default("outbound.default_channel", "generic"))
            // The app's own dispatcher loops, several at once, and its planner.
            .merge(Serialized::default("outbound.workers", 4))
            .merge(Serialized::default("broadcasts.planner", true))
            .merge(Serialized::default("outbound.send_timeout_secs", 1))
            .merge(Serialized::default("outbound.max_attempts", MAX_ATTEMPTS))
            .merge(Serialized::default("outbound.backoff_base_secs", 2))
            .merge(Serialized::default("outbound.backoff_max_secs", 8))
            // Far longer than the clock is moved: no claim lapses under a send in flight.
            .merge(Serialized::default("outbound.lease_secs", 3600))
            .merge(Serialized::default("campaign.send_window", "00:00-24:00"))
    })
    .await
}

/// Moves the clock past every retry's backoff once nothing is in flight and nothing is due:
/// the only thing left is waiting out a backoff; wakes the workers while anything is due.
/// `true` once every message is in a final state.
async fn settled_or_moved_on(app: &TestApp) -> bool {
    let outbox = app.outbox().await;
    let now = app.clock.now();
    let waiting: Vec<_> = outbox
        .iter()
        .filter(|m| matches!(m.status, OutboxStatus::Queued | OutboxStatus::Sending))
        .collect();
    if outbox.len() == PEOPLE as usize && waiting.is_empty() {
        return true;
    }
    let in_flight = waiting.iter().any(|m| m.status == OutboxStatus::Sending);
    let due_now = waiting.iter().any(|m| m.next_attempt_at <= now);
    if !in_flight && !due_now {
        if let Some(last) = waiting.iter().map(|m| m.next_attempt_at).max() {
            app.clock.set(last);
        }
    }
    // A worker that went idle just before the clock moved sleeps until woken.
    app.state.outbox_wake.notify_waiters();
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_through_a_failing_and_hanging_aggregator_reaches_everyone_at_most_once_within_its_rate(
) {
    let started = std::time::Instant::now();
    let accepted = Canned::json(200, json!({"message_id": "agg-{request}"}));
    let faults = Faults {
        fail: FAIL,
        hang: HANG,
        seed: 1930,
    };
    let fake = FakeAggregator::struggling(accepted, faults).await;
    let app = app_sending_through(&fake).await;
    let admin = app.admin_token().await;
    for n in 0..PEOPLE {
        app.join(&recipient(n), None, app.clock.now()).await;
    }
    let tips = app.api_get("/api/v1/tips", &admin).await.json();
    let tip = tips.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let body = json!({"tip_id": tip, "segment": {}, "send_at": app.clock.now().to_rfc3339()});
    let created = app.api_post("/api/v1/broadcasts", &admin, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_i64().unwrap();
    app.state.planner_wake.notify_waiters();
    let prepared = started.elapsed();

    wait_for(
        "every message to be sent, failed or unknown",
        Duration::from_secs(90),
        || {
            let app = &app;
            async move { settled_or_moved_on(app).await.then_some(()) }
        },
    )
    .await;
    let sent_in = started.elapsed() - prepared;

    // What the aggregator saw, per message and per recipient, in order.
    let sends = sends(&fake);
    let mut per_message: BTreeMap<i64, Vec<&Recorded>> = BTreeMap::new();
    let mut per_recipient: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (message, to, request) in &sends {
        per_message.entry(*message).or_default().push(request);
        per_recipient.entry(to.as_str()).or_default().push(*message);
    }
    let took = |r: &Recorded| r.status == 200 && r.delay < HUNG;
    let hung = |r: &Recorded| r.delay >= HUNG;
    for (to, messages) in &per_recipient {
        for message in messages {
            assert_eq!(
                *message,
                messages[0],
                "{}: two messages were sent",
                masked(to)
            );
        }
        let taken = per_message[&messages[0]].iter().filter(|r| took(r)).count();
        assert!(taken <= 1, "{} received the tip {taken} times", masked(to));
    }
    assert_eq!(
        per_recipient.len(),
        PEOPLE as usize,
        "someone was never tried"
    );

    // Each message's requests: 503s (each one retried, up to the attempts allowed), then at
    // most one that was taken or got no answer, and nothing after it.
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), PEOPLE as usize);
    let (mut sent, mut failed, mut unknown) = (0u32, 0u32, 0u32);
    for message in &outbox {
        let requests = &per_message[&message.id];
        let (last, before) = requests.split_last().unwrap();
        assert!(
            before.iter().all(|r| r.status == 503 && !hung(r)),
            "message {}: sent again after an answer or a hang: {:?}",
            message.id,
            requests
                .iter()
                .map(|r| (r.status, r.delay))
                .collect::<Vec<_>>()
        );
        assert!(
            requests.len() <= MAX_ATTEMPTS as usize,
            "message {}",
            message.id
        );
        assert_eq!(
            message.attempts as usize,
            requests.len(),
            "message {}",
            message.id
        );
        let expected = if hung(last) {
            unknown += 1;
            OutboxStatus::Unknown
        } else if took(last) {
            sent += 1;
            OutboxStatus::Sent
        } else {
            assert_eq!(
                requests.len(),
                MAX_ATTEMPTS as usize,
                "a 503 given up early"
            );
            failed += 1;
            OutboxStatus::Failed
        };
        assert_eq!(message.status, expected, "message {}", message.id);
    }
    assert_eq!(sent + failed + unknown, PEOPLE, "lost messages");

    let state = app
        .api_get(&format!("/api/v1/broadcasts/{id}"), &admin)
        .await
        .json();
    let counts = &state["counts"];
    assert_eq!(counts["planned"], PEOPLE, "{state:#}");
    assert_eq!(counts["remaining"], 0, "{state:#}");
    assert_eq!(
        (
            counts["sent"].as_u64(),
            counts["failed"].as_u64(),
            counts["unknown"].as_u64()
        ),
        (Some(sent.into()), Some(failed.into()), Some(unknown.into())),
        "{state:#}"
    );

    let busiest = most_in_one_second(&sends);
    let refused = sends.iter().filter(|(_, _, r)| r.status == 503).count();
    let hangs = sends.iter().filter(|(_, _, r)| hung(r)).count();
    eprintln!(
        "aggregator faults: {PEOPLE} planned, {} sends ({refused} answered 503, {hangs} never \
         answered); {sent} sent, {failed} failed after {MAX_ATTEMPTS} attempts, {unknown} \
         unknown; 0 lost, 0 sent twice; at most {busiest} sends in one second (tps {TPS} + \
         burst {BURST}); prepared in {prepared:?}, sent in {sent_in:?}",
        sends.len()
    );
    assert!(
        busiest <= (TPS + BURST) as usize,
        "{busiest} sends within one second"
    );
    assert!(
        refused > 0 && hangs > 0 && failed > 0,
        "the faults happened"
    );
}

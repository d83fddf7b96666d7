//! The outbox and its dispatcher against a fake aggregator: retries with backoff, timeouts,
//! permanent failures, priorities, crashes mid-send, late delivery reports, message costs.

use std::time::Duration as StdDuration;

use chrono::Duration;
use figment::providers::Serialized;
use figment::Figment;
use mitan::clock::Clock as _;
use mitan::encoding::Encoding;
use mitan::outbox::Outcome;
use mitan::outbox::{OutboundKind, OutboxStatus};
use mitan::store::SendRecord;
use serde_json::json;

use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{message_id, msisdn, spawn_app_with, TestApp, NEIGHBOUR, VILLAGER};

fn accepted(id: &str) -> Canned {
    Canned::json(
        201,
        json!({"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
            {"messageId": id, "number": VILLAGER, "status": "Success", "statusCode": 101,
             "cost": "INR 0.25"}]}}),
    )
}

/// The app with its `africastalking` channel pointed at `fake`, and `extra` settings.
async fn app_with(fake: &FakeAggregator, extra: &[(&str, i64)]) -> TestApp {
    let url = fake.url.clone();
    let extra: Vec<(String, i64)> = extra.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    spawn_app_with(move |f: Figment| {
        let mut f = f
            .merge(Serialized::default("channels.africastalking.base_url", url))
            .merge(Serialized::default(
                "channels.africastalking.username",
                "sandbox",
            ))
            .merge(Serialized::default("channels.africastalking.api_key", "k"))
            .merge(Serialized::default(
                "outbound.default_channel",
                "africastalking",
            ));
        for (key, value) in extra {
            f = f.merge(Serialized::default(&key, value));
        }
        f
    })
    .await
}

/// Queues a message on `africastalking` the way a broadcast would (or a reply), outside any
/// webhook.
async fn queue(app: &TestApp, number: &str, kind: OutboundKind, text: &str) -> i64 {
    app.queue("africastalking", number, kind, text, None).await
}

#[tokio::test]
async fn a_struggling_aggregator_is_retried_with_growing_pauses_until_it_takes_the_message() {
    let fake = FakeAggregator::start(accepted("ATXid_ok")).await;
    fake.then(Canned::new(503, "Service Unavailable"))
        .then(Canned::new(429, "Too Many Requests"))
        .then(Canned::new(500, "Internal Server Error"));
    let app = app_with(&fake, &[("outbound.backoff_base_secs", 10)]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;

    let mut pauses = Vec::new();
    for _ in 0..3 {
        assert_eq!(app.deliver().await, [Outcome::Retrying]);
        // Not due again at once: the next attempt waits.
        assert!(app.deliver().await.is_empty());
        let next = app.outbox().await[0].next_attempt_at;
        pauses.push((next - app.clock.now()).num_seconds());
        app.clock.set(next);
    }
    assert_eq!(app.deliver().await, [Outcome::Sent]);
    assert!((5..=10).contains(&pauses[0]), "{pauses:?}");
    assert!((10..=20).contains(&pauses[1]), "{pauses:?}");
    assert!((20..=40).contains(&pauses[2]), "{pauses:?}");
    let sent = &app.outbox().await[0];
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.attempts, 4);
    assert_eq!(sent.provider_message_id.as_deref(), Some("ATXid_ok"));
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn a_send_the_aggregator_never_answers_is_unknown_and_never_sent_again() {
    let fake = FakeAggregator::start(accepted("ATXid_late")).await;
    fake.then(accepted("ATXid_too_slow").after(StdDuration::from_secs(3)));
    let app = app_with(&fake, &[("outbound.send_timeout_secs", 1)]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    // The request went out; the answer did not come back in time: it may have been taken.
    assert_eq!(app.deliver().await, [Outcome::Unknown]);
    let unknown = &app.outbox().await[0];
    assert_eq!(unknown.status, OutboxStatus::Unknown);
    assert_eq!(unknown.last_error.as_deref(), Some("timed out"));
    assert!(unknown.sealed, "kept for the delivery report");
    app.clock.advance(Duration::hours(1));
    assert!(app.deliver().await.is_empty(), "never sent a second time");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn an_aggregator_that_cannot_be_reached_is_tried_again() {
    // A port nothing listens on: the request never left, so trying again is safe.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(move |f: Figment| {
        f.merge(Serialized::default("channels.africastalking.base_url", url))
            .merge(Serialized::default(
                "channels.africastalking.username",
                "sandbox",
            ))
            .merge(Serialized::default("channels.africastalking.api_key", "k"))
    })
    .await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    assert_eq!(app.deliver().await, [Outcome::Retrying]);
    let waiting = &app.outbox().await[0];
    assert_eq!(
        (waiting.status, waiting.last_error.as_deref()),
        (OutboxStatus::Queued, Some("could not connect"))
    );
}

#[tokio::test]
async fn transient_failures_are_given_up_after_the_configured_attempts() {
    let fake = FakeAggregator::start(Canned::new(502, "Bad Gateway")).await;
    let app = app_with(&fake, &[("outbound.max_attempts", 2)]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    assert_eq!(app.deliver().await, [Outcome::Retrying]);
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    let failed = &app.outbox().await[0];
    assert_eq!(failed.status, OutboxStatus::Failed);
    assert!(!failed.sealed, "a failed message keeps only the hint");
    assert!(failed
        .last_error
        .as_deref()
        .unwrap()
        .contains("gave up after 2"));
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_and_the_number_is_never_messaged_again() {
    let fake = FakeAggregator::start(Canned::json(
        201,
        json!({"SMSMessageData": {"Message": "Sent to 0/1", "Recipients": [
            {"messageId": "None", "number": VILLAGER, "status": "DoNotDisturbRejection",
             "statusCode": 409, "cost": "0"}]}}),
    ))
    .await;
    let app = app_with(&fake, &[]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    assert_eq!(app.deliver().await, [Outcome::Failed]);
    queue(&app, VILLAGER, OutboundKind::Bulk, "Weekly tip.").await;
    assert_eq!(app.deliver().await, [Outcome::Suppressed]);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn replies_go_ahead_of_bulk_sends() {
    let fake = FakeAggregator::start(accepted("x")).await;
    for n in 0..4 {
        fake.then(accepted(&format!("ATXid_{n}")));
    }
    let app = app_with(&fake, &[]).await;
    queue(&app, VILLAGER, OutboundKind::Bulk, "Broadcast one").await;
    queue(&app, NEIGHBOUR, OutboundKind::Bulk, "Broadcast two").await;
    app.sms_on("africastalking", NEIGHBOUR, "HELP", &message_id())
        .await;
    app.deliver().await;
    let order: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.field("message").unwrap())
        .collect();
    assert!(order[0].contains("SMS JOIN"), "{order:?}");
    assert_eq!(order[1..], ["Broadcast one", "Broadcast two"]);
}

#[tokio::test]
async fn an_opt_out_between_queueing_and_sending_wins() {
    let fake = FakeAggregator::start(accepted("x")).await;
    let app = app_with(&fake, &[]).await;
    queue(&app, VILLAGER, OutboundKind::Bulk, "Weekly tip.").await;
    // The villager stops by USSD (not SMS) after the broadcast was planned.
    let index = app.state.vault.blind_index(&msisdn(VILLAGER));
    app.state
        .store
        .opt_out(&index, app.clock.now())
        .await
        .unwrap();
    assert_eq!(app.deliver().await, [Outcome::Suppressed]);
    assert!(fake.requests().is_empty());
    let stopped = &app.outbox().await[0];
    assert_eq!(stopped.status, OutboxStatus::Suppressed);
    assert!(!stopped.sealed);
}

#[tokio::test]
async fn a_send_cut_short_by_a_crash_is_never_sent_again_and_settles_by_delivery_report() {
    let fake = FakeAggregator::start(accepted("x")).await;
    let app = app_with(&fake, &[("outbound.lease_secs", 60)]).await;
    let id = queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    // Another instance claims the message and goes silent mid-send.
    let now = app.clock.now();
    let claimed = app
        .state
        .store
        .claim_due(
            "crashed-instance",
            now,
            now + Duration::seconds(60),
            10,
            true,
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(app.deliver().await.is_empty(), "claimed by someone else");
    app.clock.advance(Duration::seconds(61));
    assert!(app.deliver().await.is_empty());
    assert_eq!(app.outbox().await[0].status, OutboxStatus::Unknown);
    app.clock.advance(Duration::hours(2));
    assert!(
        app.deliver().await.is_empty(),
        "an unknown message is never resent"
    );
    assert!(fake.requests().is_empty());

    // It had in fact been sent: its sender records it late, and the report settles it.
    let late = SendRecord::Sent {
        provider_id: "ATXid_crash",
    };
    assert!(app
        .state
        .store
        .record_send(id, "crashed-instance", &late, app.clock.now())
        .await
        .unwrap());
    app.client
        .post(app.url("/webhooks/africastalking/delivery"))
        .form(&[("id", "ATXid_crash"), ("status", "Success")])
        .send()
        .await
        .unwrap();
    assert_eq!(app.outbox().await[0].status, OutboxStatus::Delivered);
}

#[tokio::test]
async fn late_and_out_of_order_reports_never_move_a_message_back() {
    let fake = FakeAggregator::start(accepted("ATXid_1")).await;
    let app = app_with(&fake, &[]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    app.deliver().await;
    let report = |status: &'static str| {
        app.client
            .post(app.url("/webhooks/africastalking/delivery"))
            .form(&[("id", "ATXid_1"), ("status", status)])
            .send()
    };
    for (status, expected) in [
        ("Buffered", OutboxStatus::Sent),
        ("Success", OutboxStatus::Delivered),
        ("Sent", OutboxStatus::Delivered),
        ("Failed", OutboxStatus::Delivered),
    ] {
        assert_eq!(report(status).await.unwrap().status(), 200);
        assert_eq!(app.outbox().await[0].status, expected, "after {status}");
    }
    let unknown = app
        .client
        .post(app.url("/webhooks/africastalking/delivery"))
        .form(&[("id", "ATXid_never_sent"), ("status", "Success")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
    let garbled = app
        .client
        .post(app.url("/webhooks/africastalking/delivery"))
        .form(&[("id", "ATXid_1"), ("status", "Exploded")])
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);
}

#[tokio::test]
async fn every_message_records_its_encoding_and_parts_for_cost_reports() {
    let fake = FakeAggregator::start(accepted("x")).await;
    let app = app_with(&fake, &[]).await;
    queue(
        &app,
        VILLAGER,
        OutboundKind::Bulk,
        "Don’t share your OTP – ever.",
    )
    .await;
    let hindi = "ठगी हुई? तुरंत 1930 पर कॉल करें। ".repeat(3);
    queue(&app, VILLAGER, OutboundKind::Bulk, &hindi).await;
    let long_english = "Never share an OTP, PIN or CVV with anyone. ".repeat(5);
    queue(&app, VILLAGER, OutboundKind::Bulk, &long_english).await;
    let messages = app.outbox().await;
    assert_eq!(messages[0].body, "Don't share your OTP - ever.");
    assert_eq!(
        (messages[0].encoding, messages[0].parts),
        (Encoding::Gsm7, 1)
    );
    assert_eq!(messages[1].encoding, Encoding::Ucs2);
    assert_eq!(messages[1].parts, 2);
    assert_eq!(
        (messages[2].encoding, messages[2].parts),
        (Encoding::Gsm7, 2)
    );
}

#[tokio::test]
async fn a_reply_still_unsent_after_its_time_to_live_is_dropped() {
    let fake = FakeAggregator::start(Canned::new(503, "down")).await;
    let app = app_with(&fake, &[("outbound.reply_ttl_secs", 600)]).await;
    queue(&app, VILLAGER, OutboundKind::Reply, "Never share your OTP.").await;
    assert_eq!(app.deliver().await, [Outcome::Retrying]);
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.deliver().await, [Outcome::Expired]);
    assert_eq!(app.outbox().await[0].status, OutboxStatus::Expired);
}

#[tokio::test]
async fn several_instances_sending_at_once_send_each_message_exactly_once() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("channels.console.tps", 1000))).await;
    let numbers: Vec<String> = (0..24).map(|n| format!("+9198765{n:05}")).collect();
    for number in &numbers {
        let tip = "Never share your OTP.";
        app.queue("console", number, OutboundKind::Bulk, tip, None)
            .await;
    }
    let instances: Vec<_> = (0..4).map(|_| app.dispatcher()).collect();
    crate::helpers::join_all(instances.iter().map(|d| d.run_until_idle())).await;

    let sent = app.state.console.all();
    assert_eq!(sent.len(), numbers.len());
    let mut recipients: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(
        recipients.len(),
        numbers.len(),
        "someone got a message twice"
    );
    assert!(app
        .outbox()
        .await
        .iter()
        .all(|m| m.status == OutboxStatus::Sent && m.attempts == 1));
}

#[tokio::test]
async fn claims_of_several_messages_at_once_hand_each_message_to_one_claimer_only() {
    let app = spawn_app_with(|f| f).await;
    for n in 0..30 {
        let number = format!("+9198765{n:05}");
        app.queue("console", &number, OutboundKind::Bulk, "A tip.", None)
            .await;
    }
    let now = app.clock.now();
    let claimers = (0..6).map(|n| {
        let store = app.state.store.clone();
        tokio::spawn(async move {
            let owner = format!("claimer-{n}");
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .claim_due(&owner, now, now + Duration::seconds(60), 4, true)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                assert!(claimed.len() <= 4);
                mine.extend(claimed.into_iter().map(|message| message.id));
            }
        })
    });
    let mut claimed = Vec::new();
    for claimer in claimers.collect::<Vec<_>>() {
        claimed.extend(claimer.await.unwrap());
    }
    claimed.sort();
    let all: Vec<i64> = app.outbox().await.iter().map(|m| m.id).collect();
    assert_eq!(claimed, all, "every message claimed, none twice");
    assert!(app
        .outbox()
        .await
        .iter()
        .all(|m| m.status == OutboxStatus::Sending && m.attempts == 1));
}

#[tokio::test]
async fn the_workers_of_one_instance_share_claims_and_records_and_send_each_message_once() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("channels.console.tps", 1000))).await;
    let numbers: Vec<String> = (0..40).map(|n| format!("+9198765{n:05}")).collect();
    for number in &numbers {
        app.queue("console", number, OutboundKind::Bulk, "A tip.", None)
            .await;
    }
    // One of them stopped after the broadcast was planned: the check with its batch finds it.
    let stopped = app.state.vault.blind_index(&msisdn(&numbers[7]));
    app.state
        .store
        .opt_out(&stopped, app.clock.now())
        .await
        .unwrap();
    let dispatcher = app.dispatcher();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let worker = dispatcher.clone();
            tokio::spawn(async move { worker.run_until_idle().await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for worker in workers {
        outcomes.extend(worker.await.unwrap().unwrap());
    }
    assert_eq!(outcomes.len(), numbers.len());
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Suppressed)
            .count(),
        1
    );
    let sent = app.state.console.all();
    let mut recipients: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), numbers.len() - 1, "someone got it twice");
    assert!(!recipients.contains(&numbers[7].as_str()));
    let outbox = app.outbox().await;
    assert!(outbox.iter().all(|m| m.attempts == 1));
    assert_eq!(
        outbox
            .iter()
            .filter(|m| m.status == OutboxStatus::Sent)
            .count(),
        numbers.len() - 1
    );
}

#[tokio::test]
async fn sends_recorded_together_each_get_their_own_record() {
    let app = spawn_app_with(|f| f).await;
    for n in 0..4 {
        let number = format!("+9198765{n:05}");
        app.queue("console", &number, OutboundKind::Bulk, "A tip.", None)
            .await;
    }
    let store = &app.state.store;
    let now = app.clock.now();
    let claimed = store
        .claim_due("me", now, now + Duration::seconds(60), 4, true)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    let retry_at = now + Duration::seconds(30);
    let records = [
        (ids[2], SendRecord::Sent { provider_id: "p-2" }),
        (
            ids[0],
            SendRecord::Retry {
                at: retry_at,
                error: "busy",
            },
        ),
        (ids[3], SendRecord::Sent { provider_id: "p-3" }),
        (ids[1], SendRecord::Sent { provider_id: "p-1" }),
    ];
    let results = store.record_sends("me", &records, now).await;
    assert!(results.iter().all(|r| matches!(r, Ok(true))), "{results:?}");
    let outbox = app.outbox().await;
    let provider = |id: i64| {
        let entry = outbox.iter().find(|m| m.id == id).unwrap();
        (entry.status, entry.provider_message_id.clone())
    };
    for (n, id) in ids.iter().enumerate().skip(1) {
        let expected = (OutboxStatus::Sent, Some(format!("p-{n}")));
        assert_eq!(provider(*id), expected, "each its own aggregator id");
    }
    assert_eq!(provider(ids[0]), (OutboxStatus::Queued, None));
    assert_eq!(outbox[0].next_attempt_at, retry_at);
}

#[tokio::test]
async fn a_record_that_fails_among_others_costs_the_others_nothing() {
    let app = spawn_app_with(|f| f).await;
    for n in 0..5 {
        let number = format!("+9198765{n:05}");
        app.queue("console", &number, OutboundKind::Bulk, "A tip.", None)
            .await;
    }
    let store = &app.state.store;
    let now = app.clock.now();
    let lease = now + Duration::seconds(60);
    let mine: Vec<i64> = store
        .claim_due("me", now, lease, 4, true)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    let theirs = store.claim_due("them", now, lease, 1, true).await.unwrap()[0].id;
    let taken = SendRecord::Sent {
        provider_id: "taken",
    };
    assert!(store.record_send(mine[0], "me", &taken, now).await.unwrap());
    let failed = SendRecord::Failed {
        error: "refused",
        suppress: None,
    };
    let records = [
        (
            mine[1],
            SendRecord::Sent {
                provider_id: "fine",
            },
        ),
        // The aggregator gave an id another message has: this update fails.
        (mine[2], taken.clone()),
        (mine[3], failed),
        // Not this worker's claim: nothing changes.
        (
            theirs,
            SendRecord::Sent {
                provider_id: "not-mine",
            },
        ),
    ];
    let results = store.record_sends("me", &records, now).await;
    assert!(matches!(results[0], Ok(true)), "{results:?}");
    assert!(
        matches!(results[1], Err(mitan::store::StoreError::Duplicate)),
        "{results:?}"
    );
    assert!(matches!(results[2], Ok(true)), "{results:?}");
    assert!(matches!(results[3], Ok(false)), "{results:?}");
    let outbox = app.outbox().await;
    let status = |id: i64| outbox.iter().find(|m| m.id == id).unwrap().status;
    assert_eq!(status(mine[1]), OutboxStatus::Sent);
    assert_eq!(status(mine[2]), OutboxStatus::Sending, "still to record");
    assert_eq!(status(mine[3]), OutboxStatus::Failed);
    assert_eq!(status(theirs), OutboxStatus::Sending);
}

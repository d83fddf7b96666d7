//! One rate for every instance (issue 19): two instances on one PostgreSQL database, each with
//! its own dispatcher workers, send a broadcast through one channel and together keep to its
//! `tps` and `burst`; when one stops, the other carries the whole rate. Their pacing reads a
//! clock the test moves (the aggregators stamp each send with it), one token's worth at a time,
//! and only once every send the limit allows by then has arrived: the counts per second are
//! exact, whatever the machine's speed. PostgreSQL only: SQLite serves one instance.

use std::sync::Arc;

use chrono::Duration;
use figment::providers::Serialized;
use mitan::clock::ManualClock;
use mitan::dispatcher::Dispatcher;
use mitan::outbox::{OutboundKind, OutboxStatus};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::fake::{Canned, FakeAggregator, Recorded};
use crate::helpers::{spawn_app_with, wait_for, TestDatabase};

const TPS: i64 = 20;
const BURST: i64 = 3;
/// What the instances share of the burst: 10 ms of the rate (at least one message) less, so
/// that arrivals at the aggregator stay within `tps + burst` even when a send is slow.
const SHARED_BURST: i64 = BURST - 1;
const MESSAGES: i64 = 80;
/// Workers per instance, each with a message in hand while it waits for a token.
const WORKERS: usize = 2;

/// The `n`th recipient: a valid Indian mobile number of its own.
fn recipient(n: i64) -> String {
    format!("+91987652{n:04}")
}

fn sends(fake: &FakeAggregator) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path == "/messages")
        .collect()
}

/// Milliseconds from `start` of every send both aggregators saw, and of each instance's.
fn stamps(fakes: &[&FakeAggregator], start: chrono::DateTime<chrono::Utc>) -> Vec<Vec<i64>> {
    fakes
        .iter()
        .map(|fake| {
            sends(fake)
                .iter()
                .map(|r| (r.stamped.expect("stamped") - start).num_milliseconds())
                .collect()
        })
        .collect()
}

/// The most sends within any one second `[t, t + 1000)` ms.
fn busiest_second(times: &[i64]) -> usize {
    times
        .iter()
        .map(|t| times.iter().filter(|u| (*t..t + 1000).contains(*u)).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn two_instances_on_postgres_keep_to_one_rate_and_one_carries_it_when_the_other_stops() {
    if !TestDatabase::fresh().await.is_postgres() {
        eprintln!("PostgreSQL only: runs when TEST_DATABASE_URL is set (as .ci/run does)");
        return;
    }
    let pacing = ManualClock::new(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let start = mitan::clock::Clock::now(&pacing);
    let answer = Canned::json(200, json!({"message_id": "m-{request}"}));
    // Each instance sends to an aggregator of its own, so the test knows who sent what.
    let first = FakeAggregator::stamping(answer.clone(), pacing.clone()).await;
    let second = FakeAggregator::stamping(answer, pacing.clone()).await;
    let url = first.url.clone();
    let app = spawn_app_with(move |f| {
        f.merge(Serialized::default("channels.generic.base_url", url))
            .merge(Serialized::default("channels.generic.tps", TPS))
            .merge(Serialized::default("channels.generic.burst", BURST))
            .merge(Serialized::default("outbound.default_channel", "generic"))
            .merge(Serialized::default("outbound.workers", 0))
            .merge(Serialized::default("outbound.lease_secs", 3600))
            .merge(Serialized::default("campaign.send_window", "00:00-24:00"))
    })
    .await;
    let mut settings = (*app.state.settings).clone();
    settings
        .channels
        .get_mut("generic")
        .expect("the generic channel")
        .provider = match &settings.channels["generic"].provider {
        mitan::providers::ProviderSettings::Generic(generic) => {
            mitan::providers::ProviderSettings::Generic(
                mitan::providers::generic::GenericSettings {
                    base_url: Some(second.url.parse().unwrap()),
                    ..generic.clone()
                },
            )
        }
        other => panic!("not generic: {other:?}"),
    };
    let other = mitan::app::Application::build_with_clock(settings, Arc::new(app.clock.clone()))
        .await
        .unwrap()
        .state();
    for n in 0..MESSAGES {
        let tip = "Never share your OTP.";
        app.queue("generic", &recipient(n), OutboundKind::Bulk, tip, None)
            .await;
    }

    let (stop_first, stop_second) = (CancellationToken::new(), CancellationToken::new());
    let workers = |state: &mitan::http::AppState, stop: &CancellationToken| {
        let dispatcher = Dispatcher::pacing_by(state.dispatch(), Arc::new(pacing.clone()));
        (0..WORKERS)
            .map(|_| tokio::spawn(dispatcher.clone().run_until(stop.clone())))
            .collect::<Vec<_>>()
    };
    let mut first_workers = workers(&app.state, &stop_first);
    let second_workers = workers(&other, &stop_second);

    // The pacing clock moves one token's worth (50 ms) at a time, once every send the limit
    // allows by then has arrived: the burst at the start, then one a step.
    let step = 1000 / TPS;
    let arrived = || (sends(&first).len() + sends(&second).len()) as i64;
    let mut stopped_at = None;
    for n in 0.. {
        let due = (SHARED_BURST + n).min(MESSAGES);
        wait_for(
            "the sends the rate allows",
            std::time::Duration::from_secs(30),
            || {
                let arrived = arrived();
                async move { (arrived >= due).then_some(()) }
            },
        )
        .await;
        assert_eq!(arrived(), due, "more sends than the shared limit allows");
        if due == MESSAGES {
            break;
        }
        // Halfway, the first instance stops: its workers finish the message each holds.
        if due == MESSAGES / 2 {
            stop_first.cancel();
        }
        if stop_first.is_cancelled()
            && stopped_at.is_none()
            && first_workers.iter().all(|w| w.is_finished())
        {
            for worker in first_workers.drain(..) {
                worker.await.unwrap();
            }
            stopped_at = Some(n * step);
        }
        pacing.advance(Duration::milliseconds(step));
    }
    stop_second.cancel();
    for worker in second_workers {
        worker.await.unwrap();
    }

    let [both, by_first, by_second] = {
        let each = stamps(&[&first, &second], start);
        let mut both: Vec<i64> = each.concat();
        both.sort();
        [both, each[0].clone(), each[1].clone()]
    };
    // Together within tps + burst in every second, a message under it; the burst's second is
    // the busiest.
    assert_eq!(busiest_second(&both), (SHARED_BURST + TPS - 1) as usize);
    assert!(!by_first.is_empty() && !by_second.is_empty(), "both sent");
    // Once the first had stopped, the second sent everything, at the whole rate.
    let stopped_at = stopped_at.expect("the first instance stopped");
    assert!(by_first.iter().all(|t| *t <= stopped_at));
    let alone: Vec<i64> = by_second
        .iter()
        .copied()
        .filter(|t| *t > stopped_at)
        .collect();
    assert!(alone.len() as i64 > TPS, "{} sent alone", alone.len());
    let window = alone[0]..alone[0] + 1000;
    let in_a_second = alone.iter().filter(|t| window.contains(t)).count();
    assert_eq!(
        in_a_second as i64, TPS,
        "the second instance alone, in a second"
    );
    // Every message went once, to its own recipient.
    let mut recipients: Vec<String> = sends(&first)
        .iter()
        .chain(sends(&second).iter())
        .map(|r| r.json()["to"].as_str().unwrap().to_string())
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len() as i64, MESSAGES, "someone got it twice");
    assert!(app
        .outbox()
        .await
        .iter()
        .all(|m| m.status == OutboxStatus::Sent && m.attempts == 1));
    other.store.close().await;
}

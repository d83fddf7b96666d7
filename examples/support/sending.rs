//! What the dispatch benchmarks share: a fake aggregator, a broadcast of one tip to everyone
//! planned with the planner's own store calls, and the one-second windows of what the
//! aggregator saw.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Json;

use chrono::Utc;
use mitan::broadcasts::{Content, Segment};
use mitan::config::Settings;
use mitan::store::{NewBroadcast, Store};

/// What the fake aggregator saw: arrival times and recipients, in order of arrival.
#[derive(Default)]
pub struct Arrivals {
    pub at: Vec<Instant>,
    pub to: Vec<String>,
}

/// A fake aggregator on 127.0.0.1 speaking the `generic` kind: answers each send at once with a
/// message id and records when it arrived and to whom. Its origin, and what it saw.
pub async fn fake_aggregator() -> anyhow::Result<(String, Arc<Mutex<Arrivals>>)> {
    let arrivals = Arc::new(Mutex::new(Arrivals::default()));
    let aggregator = {
        let arrivals = arrivals.clone();
        axum::Router::new().route(
            "/messages",
            post(move |Json(body): Json<serde_json::Value>| {
                let arrivals = arrivals.clone();
                async move {
                    let mut seen = arrivals.lock().unwrap();
                    seen.at.push(Instant::now());
                    seen.to
                        .push(body["to"].as_str().unwrap_or_default().to_string());
                    let id = seen.at.len();
                    Json(serde_json::json!({"message_id": format!("bench-{id}")}))
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, aggregator).await });
    Ok((fake, arrivals))
}

/// Plans the library's first tip to every member, due now, for `channel`.
pub async fn plan_first_tip_to_everyone(
    store: &Store,
    settings: &Settings,
    channel: &str,
) -> anyhow::Result<()> {
    let tip = store.tips().await?[0].id;
    let now = Utc::now();
    let broadcast = store
        .create_broadcast(&NewBroadcast {
            segment: &Segment::default(),
            content: &Content::Tip(tip),
            custom_tip: None,
            send_at: Some(now),
            cron: None,
            first_due: now,
            created_by: "bench",
            at: now,
        })
        .await?;
    let campaign = &settings.campaign;
    store
        .open_run(broadcast, now, campaign.send_rules().timing(now), None, now)
        .await?;
    while let Some(batch) = store
        .plan_batch(campaign.frequency_cap(), 5000, channel, None, now)
        .await?
    {
        if batch.finished {
            break;
        }
    }
    Ok(())
}

/// Each one-second window starting at an arrival (`offsets`, in order): its start and how many
/// arrivals it holds.
pub fn windows(offsets: &[Duration]) -> Vec<(Duration, usize)> {
    let second = Duration::from_secs(1);
    let mut windows = Vec::with_capacity(offsets.len());
    let mut tail = 0;
    for (head, start) in offsets.iter().enumerate() {
        tail = tail.max(head);
        while tail < offsets.len() && offsets[tail] < *start + second {
            tail += 1;
        }
        windows.push((*start, tail - head));
    }
    windows
}

/// Arrivals in each whole second `[s, s + 1)` of the first `seconds`.
pub fn per_second(offsets: &[Duration], seconds: u64) -> Vec<usize> {
    (0..seconds)
        .map(|s| {
            let (from, to) = (Duration::from_secs(s), Duration::from_secs(s + 1));
            offsets.iter().filter(|o| (from..to).contains(*o)).count()
        })
        .collect()
}

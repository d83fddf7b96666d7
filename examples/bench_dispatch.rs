//! Dispatch benchmark: how close the dispatcher keeps to a channel's rate while it sends a
//! broadcast to a fake aggregator (the target: 500 messages/s for 60 s, achieved rate
//! within 2% of 500, and no one-second window above 500 plus the configured burst).
//!
//!     cargo run --release --example bench_dispatch -- [TPS] [SECONDS] [WORKERS]
//!
//! Defaults: 500 messages/s, 60 s, 16 dispatcher workers. Makes a fresh SQLite
//! database in a temporary folder and starts a fake aggregator on 127.0.0.1 that speaks the
//! `generic` kind (answers each send at once with a message id and records when it arrived).
//! Fills `people` with enough synthetic members (real sealed test numbers) to keep the dispatcher
//! busy past SECONDS, plans a broadcast of one tip to all of them with the planner's own store
//! calls, then starts one instance's `Dispatcher` with WORKERS workers and measures at the
//! aggregator. Exits non-zero if a target is missed or a message arrived twice. (SQLite serves
//! one instance; several instances sharing a rate on PostgreSQL are `bench_shared_rate`'s.)

use std::collections::HashSet;
use std::time::{Duration, Instant};

use figment::providers::Serialized;
#[path = "support/sending.rs"]
mod sending;

use mitan::app::Application;
use mitan::config::Settings;
use mitan::dispatcher::Dispatcher;
use mitan::privacy::Msisdn;
use sqlx::Connection as _;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut next = |default: u64| -> anyhow::Result<u64> {
        Ok(args.next().map_or(Ok(default), |a| a.parse())?)
    };
    let tps = next(500)?;
    let seconds = next(60)?;
    let workers = next(16)?;
    let instances = 1;
    // Enough to keep every sender busy past the measured span, and not much more.
    let people = tps * (seconds + 5);

    let (fake, arrivals) = sending::fake_aggregator().await?;

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let settings = Settings::from_figment(
        Settings::figment(None)?
            .merge(Serialized::default("database.url", &url))
            .merge(Serialized::default("server.bind", "127.0.0.1:0"))
            .merge(Serialized::default(
                "security.master_key_file",
                dir.path().join("master.key"),
            ))
            .merge(Serialized::default("log.filter", "warn"))
            .merge(Serialized::default("campaign.send_window", "00:00-24:00"))
            .merge(Serialized::default("channels.bench.kind", "generic"))
            .merge(Serialized::default("channels.bench.base_url", &fake))
            .merge(Serialized::default("channels.bench.secret", "bench"))
            .merge(Serialized::default("channels.bench.tps", tps))
            .merge(Serialized::default("outbound.default_channel", "bench"))
            .merge(Serialized::default("outbound.workers", workers))
            .merge(Serialized::default("broadcasts.planner", false)),
    )?;
    let burst = settings.channels["bench"]
        .burst
        .map_or(tps / 10, u64::from)
        .max(1);
    let mut states = Vec::new();
    for _ in 0..instances {
        states.push(Application::build(settings.clone()).await?.state());
    }
    let state = states[0].clone();

    let started = Instant::now();
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let mut tx = conn.begin().await?;
    for n in 0..people {
        let number = Msisdn::parse(
            &format!("+91{}", 9_100_000_000 + n),
            phonenumber::country::Id::IN,
        )?;
        let sealed = state.vault.seal(&number);
        sqlx::query(
            "INSERT INTO people (phone_index, phone_ciphertext, phone_key_id, phone_hint, \
             language, script, status, consent_channel, consent_version, consented_at, \
             created_at) VALUES ($1, $2, $3, $4, 'en', 'native', 'active', 'bench', 'bench', 0, 0)",
        )
        .bind(sealed.index.as_bytes())
        .bind(&sealed.ciphertext)
        .bind(&sealed.key_id)
        .bind(&sealed.hint)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    conn.close().await?;

    sending::plan_first_tip_to_everyone(&state.store, &settings, "bench").await?;
    println!(
        "{people} members sealed and planned in {:.1} s; sending at tps {tps} (burst {burst}) \
         with {instances} instance(s) of {workers} workers",
        started.elapsed().as_secs_f64()
    );

    let shutdown = CancellationToken::new();
    let mut running = Vec::new();
    for state in &states {
        let dispatcher = Dispatcher::new(state.dispatch());
        for _ in 0..workers {
            running.push(tokio::spawn(dispatcher.clone().run_until(shutdown.clone())));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    loop {
        let span_over = {
            let seen = arrivals.lock().unwrap();
            seen.at
                .first()
                .is_some_and(|first| first.elapsed() > Duration::from_secs(seconds + 1))
        };
        if span_over || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    for worker in running {
        worker.await?;
    }

    let seen = std::mem::take(&mut *arrivals.lock().unwrap());
    let first = *seen
        .at
        .first()
        .ok_or_else(|| anyhow::anyhow!("nothing arrived"))?;
    let offsets: Vec<Duration> = seen.at.iter().map(|at| *at - first).collect();
    let span = Duration::from_secs(seconds);
    let in_span = offsets.iter().filter(|o| **o < span).count();
    let achieved = in_span as f64 / seconds as f64;
    // The busiest one-second window, starting at any arrival.
    let busiest = sending::windows(&offsets)
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let per_second = sending::per_second(&offsets, seconds);
    let distinct: HashSet<&String> = seen.to.iter().collect();
    let deviation = (achieved - tps as f64).abs() / tps as f64 * 100.0;
    println!(
        "{in_span} messages in the first {seconds} s: {achieved:.1}/s ({deviation:.2}% from {tps}); \
         busiest one-second window {busiest} (limit {}); seconds ranged {}..{}; {} sent in all, \
         {} recipients, {} twice",
        tps + burst,
        per_second.iter().min().unwrap_or(&0),
        per_second.iter().max().unwrap_or(&0),
        seen.to.len(),
        distinct.len(),
        seen.to.len() - distinct.len(),
    );
    anyhow::ensure!(deviation <= 2.0, "the achieved rate is more than 2% off");
    anyhow::ensure!(
        busiest as u64 <= tps + burst,
        "a second held more than tps + burst"
    );
    anyhow::ensure!(
        distinct.len() == seen.to.len(),
        "a number got the broadcast twice"
    );
    for state in states {
        state.store.close().await;
    }
    Ok(())
}

//! One rate across PostgreSQL instances (issue 19): two real `mitan serve` processes on one
//! PostgreSQL database send a broadcast to a fake aggregator on loopback through one channel,
//! and together must keep to its rate; one is killed (SIGKILL) part-way and the other must carry
//! the whole rate.
//!
//!     cargo build --release --bin mitan --example bench_shared_rate
//!     target/release/examples/bench_shared_rate postgres://USER:PASS@127.0.0.1:5432/DB \
//!         [TPS] [SECONDS] [KILL_AT] [WORKERS]
//!
//! Defaults: 2,000 messages/s, 60 s, one instance killed 30 s after the first arrival (0: none
//! killed), 32 dispatcher workers per instance. The URL names a database the role may connect
//! to; the program makes a fresh database beside it (`mitan_bench_<pid>`, so the role needs
//! CREATEDB) and drops it at the end. The binary is `target/release/mitan` beside this
//! example, or `$MITAN_BIN`.
//!
//! It starts a fake aggregator on 127.0.0.1 that speaks the `generic` kind (answers each send at
//! once with a message id and records when it arrived and to whom), fills `people` with
//! `TPS × (SECONDS + 10)` synthetic members (real sealed test numbers), plans a broadcast of one
//! tip to all of them with the planner's own store calls, then starts the two instances with
//! one configuration file (`channels.bench.tps` = TPS, the default burst of a tenth) and
//! measures at the aggregator, from the first arrival: messages in SECONDS, the busiest
//! one-second window starting at any arrival, every recipient counted for duplicates, and
//! after the kill how long until every one-second window holds at least 0.98 × TPS again. It
//! exits non-zero when a target is missed: achieved ≥ 0.98 × TPS, no window above TPS + burst,
//! no message twice, the rate carried within 5 s of the kill.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use figment::providers::Serialized;
#[path = "support/sending.rs"]
mod sending;

use mitan::app::Application;
use mitan::config::Settings;
use mitan::privacy::Msisdn;
use sqlx::{Connection as _, Executor as _};

/// Members inserted per statement.
const ROWS_PER_INSERT: u64 = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let admin_url = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: bench_shared_rate postgres://… [TPS] [SECONDS] [KILL_AT] [WORKERS]")
    })?;
    let mut next = |default: u64| -> anyhow::Result<u64> {
        Ok(args.next().map_or(Ok(default), |a| a.parse())?)
    };
    let tps = next(2000)?;
    let seconds = next(60)?;
    let kill_at = next(30)?;
    let workers = next(32)?;
    let burst = (tps / 10).max(1);
    let people = tps * (seconds + 10);
    let binary = match std::env::var_os("MITAN_BIN") {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .map(|release| release.join("mitan"))
            .ok_or_else(|| anyhow::anyhow!("cannot find target/release/mitan"))?,
    };
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: cargo build --release --bin mitan",
        binary.display()
    );

    let (fake, arrivals) = sending::fake_aggregator().await?;

    // A fresh database beside the one named.
    let name = format!("mitan_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a URL ending in /DATABASE"))?;
    let url = format!("{base}/{name}");

    let dir = tempfile::tempdir()?;
    let key_file = dir.path().join("master.key");
    let config = format!(
        "[server]\nbind = \"127.0.0.1:0\"\n\
         [database]\nurl = \"{url}\"\nmax_connections = {connections}\n\
         [security]\nmaster_key_file = \"{key}\"\n\
         [log]\nfilter = \"warn\"\n\
         [campaign]\nsend_window = \"00:00-24:00\"\n\
         [broadcasts]\nplanner = false\n\
         [outbound]\ndefault_channel = \"bench\"\nworkers = {workers}\n\
         [channels.bench]\nkind = \"generic\"\nbase_url = \"{fake}\"\nsecret = \"bench\"\n\
         tps = {tps}\n",
        connections = workers + 4,
        key = key_file.display(),
    );
    let config_file = dir.path().join("bench.toml");
    std::fs::write(&config_file, &config)?;
    let settings = Settings::from_figment(
        Settings::figment(Some(&config_file))?
            .merge(Serialized::default("database.max_connections", 4)),
    )?;

    // Migrate, make the master key, fill and plan, with the service's own code.
    let started = Instant::now();
    let state = Application::build(settings.clone()).await?.state();
    let mut conn = sqlx::PgConnection::connect(&url).await?;
    let mut tx = conn.begin().await?;
    for chunk in (0..people)
        .collect::<Vec<_>>()
        .chunks(ROWS_PER_INSERT as usize)
    {
        let mut sql = String::from(
            "INSERT INTO people (phone_index, phone_ciphertext, phone_key_id, phone_hint, \
             language, script, status, consent_channel, consent_version, consented_at, \
             created_at) VALUES ",
        );
        for (row, _) in chunk.iter().enumerate() {
            let at = row * 4;
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, 'en', 'native', 'active', 'bench', 'bench', 0, 0)",
                at + 1,
                at + 2,
                at + 3,
                at + 4
            ));
        }
        let mut query = sqlx::query(&sql);
        for n in chunk {
            let number = Msisdn::parse(
                &format!("+91{}", 9_100_000_000 + n),
                phonenumber::country::Id::IN,
            )?;
            let sealed = state.vault.seal(&number);
            query = query
                .bind(sealed.index.as_bytes().to_vec())
                .bind(sealed.ciphertext)
                .bind(sealed.key_id)
                .bind(sealed.hint);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    sending::plan_first_tip_to_everyone(&state.store, &settings, "bench").await?;
    state.store.close().await;
    conn.execute("VACUUM ANALYZE").await?;
    println!(
        "{people} members sealed and planned in {:.1} s; two instances of {workers} workers \
         sending at tps {tps} (burst {burst}){}",
        started.elapsed().as_secs_f64(),
        if kill_at > 0 {
            format!(", one killed {kill_at} s after the first arrival")
        } else {
            String::new()
        }
    );

    let start = |n: usize| -> anyhow::Result<tokio::process::Child> {
        let log = std::fs::File::create(dir.path().join(format!("instance-{n}.log")))?;
        Ok(tokio::process::Command::new(&binary)
            .arg("--config")
            .arg(&config_file)
            .arg("serve")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?)
    };
    let mut doomed = start(1)?;
    let mut survivor = start(2)?;

    let deadline = Instant::now() + Duration::from_secs(seconds + 60);
    let first = loop {
        if let Some(first) = arrivals.lock().unwrap().at.first() {
            break *first;
        }
        anyhow::ensure!(Instant::now() < deadline, "nothing arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut killed = None;
    while first.elapsed() < Duration::from_secs(seconds + 1) {
        if kill_at > 0 && killed.is_none() && first.elapsed() >= Duration::from_secs(kill_at) {
            doomed.start_kill()?;
            killed = Some(Instant::now() - first);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if killed.is_none() {
        stop(&doomed).await?;
    }
    stop(&survivor).await?;
    doomed.wait().await?;
    survivor.wait().await?;

    let seen = std::mem::take(&mut *arrivals.lock().unwrap());
    let offsets: Vec<Duration> = seen.at.iter().map(|at| *at - first).collect();
    let second = Duration::from_secs(1);
    let span = Duration::from_secs(seconds);
    let in_span = offsets.iter().filter(|o| **o < span).count();
    let achieved = in_span as f64 / seconds as f64;
    let windows = sending::windows(&offsets);
    let (busiest_at, busiest) = windows
        .iter()
        .max_by_key(|(_, n)| *n)
        .copied()
        .unwrap_or_default();
    let per_second = sending::per_second(&offsets, seconds);
    let mut times: HashMap<&str, usize> = HashMap::new();
    for to in &seen.to {
        *times.entry(to).or_default() += 1;
    }
    let twice = times.values().filter(|n| **n > 1).count();
    let floor = (tps as f64 * 0.98).ceil() as usize;
    println!(
        "{in_span} messages in the first {seconds} s: {achieved:.1}/s ({:.3} × {tps}); busiest \
         one-second window {busiest} from {:.3} s (limit {}); {} sent in all to {} recipients, {twice} \
         recipients more than once",
        achieved / tps as f64,
        busiest_at.as_secs_f64(),
        tps + burst,
        seen.to.len(),
        times.len(),
    );
    println!("per second: {per_second:?}");
    let mut recovered = None;
    if let Some(kill) = killed {
        // The first one-second window starting at or after the kill that holds 0.98 × TPS:
        // the survivor carries the whole rate from its end at the latest.
        let back = windows
            .iter()
            .find(|(start, n)| *start >= kill && *n >= floor)
            .map_or(span, |(start, _)| *start + second - kill);
        let after: usize = offsets
            .iter()
            .filter(|o| **o >= kill + Duration::from_secs(5) && **o < span)
            .count();
        let carried = after as f64 / (span - kill - Duration::from_secs(5)).as_secs_f64();
        println!(
            "killed at {:.3} s; the first one-second window after it holding ≥ {floor} ends \
             {:.3} s after the kill; from 5 s after it to the end: {carried:.1}/s",
            kill.as_secs_f64(),
            back.as_secs_f64(),
        );
        recovered = Some(back);
    }
    let mut db = sqlx::PgConnection::connect(&url).await?;
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(&mut db)
            .await?;
    println!("outbox after the run: {statuses:?}");
    db.close().await?;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await?;

    anyhow::ensure!(
        achieved >= tps as f64 * 0.98,
        "the achieved rate is below 0.98 × tps"
    );
    anyhow::ensure!(
        busiest as u64 <= tps + burst,
        "a second held more than tps + burst"
    );
    anyhow::ensure!(twice == 0, "a number got the broadcast twice");
    if let Some(back) = recovered {
        anyhow::ensure!(
            back <= Duration::from_secs(5),
            "the survivor did not carry the whole rate within 5 s"
        );
    }
    Ok(())
}

/// SIGTERM, as systemd stops the service.
async fn stop(child: &tokio::process::Child) -> anyhow::Result<()> {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on our own child's pid, with a valid signal.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    }
    Ok(())
}

//! Planning benchmark: how long the planner takes to turn one due broadcast to N people into
//! recipient rows on SQLite (the target: 1,000,000 people in under 30 s on 2 cores).
//!
//!     cargo run --release --example bench_plan -- [PEOPLE] [tip|drip]
//!
//! Makes a fresh database in a temporary folder, fills `people` with PEOPLE synthetic active
//! people (random bytes stand in for sealed numbers: nothing here is a real number), imports the
//! shipped tip library, schedules one broadcast to everyone due now, and times the planner's
//! steps until it is idle. Prints the rows per second and checks every person was planned once.

use std::time::Instant;

use chrono::Utc;
use figment::providers::Serialized;
use mitan::broadcasts::{Content, ContentPolicy, Segment};
use mitan::config::Settings;
use mitan::store::{NewBroadcast, Store};
use mitan::tips::import::{plan, Format};
use sqlx::Connection as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let people: i64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let drip = args.next().as_deref() == Some("drip");
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let settings = Settings::from_figment(
        Settings::figment(None)?.merge(Serialized::default("database.url", &url)),
    )?;
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;

    let started = Instant::now();
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO people (phone_index, phone_ciphertext, phone_key_id, phone_hint, language, \
         script, status, consent_channel, consent_version, consented_at, created_at) \
         SELECT randomblob(32), randomblob(48), 'bench', '00', \
         CASE i % 3 WHEN 0 THEN 'hi' WHEN 1 THEN 'hne' ELSE 'en' END, \
         CASE WHEN i % 5 = 0 THEN 'roman' ELSE 'native' END, 'active', 'bench', 'bench', 0, 0 \
         FROM n",
    )
    .bind(people)
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    println!(
        "{people} people made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let library = plan(
        include_str!("../config/tips.json"),
        Format::Json,
        &ContentPolicy::default(),
    )
    .map_err(anyhow::Error::msg)?;
    let mut first_tip = 0;
    for (tip, _) in &library.tips {
        let id = store.save_tip(tip, Utc::now()).await?;
        first_tip = if first_tip == 0 { id } else { first_tip };
    }
    let content = if drip {
        Content::Drip
    } else {
        Content::Tip(first_tip)
    };
    let campaign = &settings.campaign;
    let batch = i64::from(settings.broadcasts.plan_batch);
    // Two occurrences a day apart: the second finds everyone's first tip (the cap's count and,
    // for a drip, the seen tip) already there, as every run after the first does.
    for day in 0..2 {
        let due = Utc::now() + chrono::Duration::days(day);
        let id = store
            .create_broadcast(&NewBroadcast {
                segment: &Segment::default(),
                content: &content,
                custom_tip: None,
                send_at: Some(due),
                cron: None,
                first_due: due,
                created_by: "bench",
                at: due,
            })
            .await?;
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        store
            .open_run(id, due, campaign.send_rules().timing(due), None, due)
            .await?;
        let mut batches = 0;
        while let Some(planned) = store
            .plan_batch(campaign.frequency_cap(), batch, "console", None, due)
            .await?
        {
            batches += 1;
            if planned.finished {
                break;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = match (cpu_before, cpu_seconds()) {
            (Some(before), Some(after)) => format!(", {:.1} s of CPU", after - before),
            _ => String::new(),
        };
        let counts = store.plan_counts(id).await?;
        let all = counts.queued + counts.capped + counts.seen_all;
        println!(
            "run {}: planned {all} people ({} queued, {} capped) in {batches} batches of \
             {batch}: {seconds:.1} s{cpu}, {:.0} people/s ({})",
            day + 1,
            counts.queued,
            counts.capped,
            people as f64 / seconds,
            if drip { "drip" } else { "one tip" },
        );
        anyhow::ensure!(all == people, "every person is planned exactly once");
    }
    Ok(())
}

/// The CPU time every thread of this process has had so far (Linux: `/proc/self/task/*/schedstat`,
/// in nanoseconds), steadier than the wall time on a shared machine; `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let mut nanos: u64 = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        nanos += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(nanos as f64 / 1e9)
}

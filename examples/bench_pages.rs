//! The dashboard's pages under a campaign of 100,000 people: how long each page takes to answer,
//! signed in as an admin, one request at a time.
//!
//!     cargo run --release --example bench_pages -- [--database URL] [--people 100000]
//!         [--requests 200]
//!
//! Without `--database` the campaign is an embedded SQLite database in a temporary folder; with
//! a PostgreSQL URL it must name an empty database (the example migrates it and fills it). It
//! makes a district (beside the configured one) of 10 thanas and 100 villages, 40 officers, and PEOPLE joins spread over the
//! last 30 days: a fifth through officers' codes, the rest through the codes of people who joined
//! before them (a cascade several generations deep), each through the store as a USSD join does.
//! Then it starts the service, signs in on the login form, and asks each page REQUESTS times
//! after a warm-up, printing one Markdown table row per page: p50, p99 and the slowest, in
//! milliseconds. Any answer but 200 stops it. On PostgreSQL it runs `VACUUM ANALYZE` after
//! filling, as autovacuum would within a minute of such a load.

use std::time::Instant;

use anyhow::{ensure, Context as _};
use clap::Parser;
use figment::providers::Serialized;
use hdrhistogram::Histogram;
use mitan::access::{hash_password, Role};
use mitan::app::Application;
use mitan::enrollment::{
    AreaKind, Consent, JoinRequest, Language, OptInCode, RecruiterKind, Script,
};
use mitan::privacy::{Msisdn, Vault};
use mitan::store::{NewRecruiter, NewUser, Store};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(about = "Time the dashboard's pages over a large campaign")]
struct Args {
    /// The database (default: SQLite in a temporary folder).
    #[arg(long)]
    database: Option<String>,
    /// People who join before the pages are timed.
    #[arg(long, default_value_t = 100_000)]
    people: u64,
    /// Timed requests per page.
    #[arg(long, default_value_t = 200)]
    requests: u64,
}

/// Joins in flight at once while the campaign is filled.
const AT_ONCE: usize = 16;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args.database.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let settings = mitan::config::Settings::from_figment(
        mitan::config::Settings::figment(None)?
            .merge(Serialized::default("server.bind", "127.0.0.1:0"))
            .merge(Serialized::default("database.url", &url))
            .merge(Serialized::default(
                "security.master_key_file",
                dir.path().join("master.key"),
            ))
            .merge(Serialized::default("outbound.workers", 0)),
    )?;
    let app = Application::build(settings).await?;
    let state = app.state();
    let base = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until(shutdown.clone()));

    let started = Instant::now();
    let officer = fill(&state.store, &state.vault, args.people).await?;
    eprintln!(
        "{} people joined in {:.1} s",
        args.people,
        started.elapsed().as_secs_f64()
    );
    if url.starts_with("postgres") {
        // What autovacuum does within a minute of a bulk load: statistics for the planner and
        // a visibility map for index-only scans.
        let pool = sqlx::PgPool::connect(&url).await?;
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
        pool.close().await;
    }

    let password = "bench-pages-password";
    state
        .store
        .create_user(&NewUser {
            username: "bench",
            role: Role::Admin,
            recruiter_id: None,
            password_hash: &hash_password(password),
            at: chrono::Utc::now(),
        })
        .await?;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client
        .post(format!("{base}/admin/login"))
        .header("origin", &base)
        .form(&[("username", "bench"), ("password", password)])
        .send()
        .await?;
    ensure!(login.status() == 303, "sign-in answered {}", login.status());

    let pages = [
        ("overview", "/admin".to_string()),
        ("people", "/admin/people".to_string()),
        (
            "people, stopped",
            "/admin/people?status=opted_out".to_string(),
        ),
        ("recruiters", "/admin/recruiters".to_string()),
        ("a recruiter", format!("/admin/recruiters/{officer}")),
        ("tips", "/admin/tips".to_string()),
        ("broadcasts", "/admin/broadcasts".to_string()),
        ("audit log", "/admin/audit".to_string()),
        ("tokens", "/admin/tokens".to_string()),
    ];
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("| page | {backend} p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|");
    for (name, path) in &pages {
        let mut times = Histogram::<u64>::new(3)?;
        for round in 0..(args.requests + 10) {
            let sent = Instant::now();
            let answer = client.get(format!("{base}{path}")).send().await?;
            let status = answer.status();
            let body = answer.bytes().await?;
            ensure!(status == 200, "{path} answered {status}");
            ensure!(!body.is_empty(), "{path} answered nothing");
            if round >= 10 {
                times.record(sent.elapsed().as_micros() as u64)?;
            }
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            ms(times.value_at_quantile(0.5)),
            ms(times.value_at_quantile(0.99)),
            ms(times.max())
        );
    }
    shutdown.cancel();
    server.await??;
    Ok(())
}

/// Areas, officers and `people` joins; the id of the officer whose cascade is deepest.
async fn fill(store: &Store, vault: &Vault, people: u64) -> anyhow::Result<i64> {
    let now = chrono::Utc::now();
    let district = store
        .create_area(AreaKind::District, "Bench district", None)
        .await?;
    let mut villages = Vec::new();
    for t in 0..10 {
        let thana = store
            .create_area(AreaKind::Thana, &format!("Thana {t}"), Some(district))
            .await?;
        for v in 0..10 {
            villages.push(
                store
                    .create_area(AreaKind::Village, &format!("Gaon {t}-{v}"), Some(thana))
                    .await?,
            );
        }
    }
    let mut codes: Vec<OptInCode> = Vec::new();
    let mut officers = Vec::new();
    for n in 0..40 {
        let (id, code) = store
            .create_recruiter(&NewRecruiter {
                kind: RecruiterKind::Police,
                name: &format!("SI {n}"),
                area_id: Some(villages[n % villages.len()]),
                phone: None,
                quota: 25,
                recruited_by: None,
                code_length: 6,
                at: now,
            })
            .await?;
        officers.push(id);
        codes.push(code);
    }
    let mut next = 0u64;
    while next < people {
        let batch: Vec<u64> = (next..(next + AT_ONCE as u64).min(people)).collect();
        next += batch.len() as u64;
        let mut joins = tokio::task::JoinSet::new();
        for &n in &batch {
            // A fifth through an officer, the rest through someone who joined before.
            let code = if n % 5 == 0 || codes.len() <= 40 {
                codes[(n as usize / 5) % 40].clone()
            } else {
                codes[40 + (n as usize * 7919) % (codes.len() - 40)].clone()
            };
            let phone = Msisdn::parse(&format!("+9160{n:08}"), phonenumber::country::Id::IN)
                .expect("a number");
            let at = now - chrono::Duration::minutes(((people - n) * 43_200 / people) as i64);
            let request = JoinRequest {
                phone: vault.seal(&phone),
                consent: Consent {
                    channel: "bench".into(),
                    language: [Language::Hindi, Language::Chhattisgarhi, Language::English]
                        [(n % 3) as usize],
                    script: Script::Native,
                    version: "bench".into(),
                    at,
                },
                code: Some(code),
                quota: 25,
                code_length: 6,
            };
            let store = store.clone();
            joins.spawn(async move { store.join(&request).await });
        }
        while let Some(outcome) = joins.join_next().await {
            let outcome = outcome?.context("a join")?;
            codes.push(outcome.own_code().clone());
        }
    }
    Ok(officers[0])
}

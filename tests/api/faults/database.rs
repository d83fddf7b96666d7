//! Faults of the database: writes start failing (a full disk) and work again, or the server goes
//! away and comes back. The service says so on `/readyz`, logs the cause once, keeps answering
//! villagers with well-formed screens, and carries on by itself once the database takes writes
//! again, without a restart.

use std::time::Duration;

use crate::helpers::{random_master_key, villager, wait_for, Binary};

/// What a villager sees when a hop could not be served.
const BUSY: &str = "Service busy";

/// The log of one episode of failing writes: one error line when it starts (naming `cause`,
/// one of the words given), one line when it ends, and no other error line.
fn assert_one_episode(log: &str, causes: &[&str]) {
    let starts: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("the database takes no writes:"))
        .collect();
    assert_eq!(starts.len(), 1, "one line when the episode starts:\n{log}");
    assert!(
        causes.iter().any(|cause| starts[0].contains(cause)),
        "the line names the cause: {}",
        starts[0]
    );
    assert_eq!(
        log.matches("the database takes writes again").count(),
        1,
        "one line when it ends:\n{log}"
    );
    let errors = log.lines().filter(|l| l.contains(r#""level":"ERROR""#));
    assert_eq!(
        errors.count(),
        1,
        "nothing else is logged as an error per request:\n{log}"
    );
}

fn joined(screens: &[String]) -> bool {
    screens
        .last()
        .is_some_and(|s| s.contains("Your mitan code is"))
}

async fn readiness(mitan: &Binary) -> u16 {
    reqwest::get(mitan.url("/readyz"))
        .await
        .expect("GET /readyz")
        .status()
        .as_u16()
}

/// Limits the size of any file `pid` writes (`ulimit -f`, set from outside): a write that would
/// grow a file past `bytes` fails as on a full disk. No root needed, unlike a small tmpfs.
fn limit_file_size(pid: u32, bytes: u64) {
    rlimit::prlimit(
        pid as i32,
        rlimit::Resource::FSIZE,
        Some((bytes, rlimit::INFINITY)),
        None,
    )
    .expect("prlimit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_disk_fills_and_frees_sqlite_takes_writes_again_without_a_restart() {
    let workdir = tempfile::tempdir().unwrap();
    let file = workdir.path().join("mitan.db");
    let url = format!("sqlite://{}", file.display());
    let key = random_master_key();
    let mitan = Binary::serve(
        workdir,
        &[
            ("MITAN__DATABASE__URL", &url),
            ("MITAN__SECURITY__MASTER_KEY", &key),
        ],
    );
    assert!(mitan.port.is_some(), "{}", mitan.output());
    assert_eq!(readiness(&mitan).await, 200);
    assert!(joined(&mitan.join_by_ussd(&villager(1), "before").await));

    // The disk is full: no file may grow any more (the write-ahead log grows with every commit).
    let wal = std::fs::metadata(file.with_extension("db-wal"))
        .unwrap()
        .len();
    limit_file_size(mitan.pid(), wal);
    let refused = mitan.join_by_ussd(&villager(2), "while-full").await;
    assert!(
        refused.last().unwrap().starts_with("END ") && refused.last().unwrap().contains(BUSY),
        "a villager is told the service is busy, not left hanging: {refused:?}"
    );
    wait_for(
        "/readyz to say the database takes no writes",
        Duration::from_secs(10),
        || async { (readiness(&mitan).await == 503).then_some(()) },
    )
    .await;

    // Space comes back: mitan takes writes again by itself, and says so.
    limit_file_size(mitan.pid(), rlimit::INFINITY);
    let freed = std::time::Instant::now();
    wait_for("/readyz to recover", Duration::from_secs(10), || async {
        (readiness(&mitan).await == 200).then_some(())
    })
    .await;
    println!(
        "SQLite: ready again {:?} after space came back",
        freed.elapsed()
    );
    let again = mitan.join_by_ussd(&villager(2), "after").await;
    assert!(
        joined(&again),
        "the villager who was refused joins once space is back: {again:?}"
    );
    assert!(joined(&mitan.join_by_ussd(&villager(3), "later").await));

    let log = mitan.output();
    assert!(
        !log.contains("non-zero transaction depth"),
        "a connection was reused in a broken transaction:\n{log}"
    );
    assert_one_episode(&log, &["disk is full", "disk I/O error"]);
}

/// A TCP relay in front of the PostgreSQL server: closing it is the server stopping (every
/// connection dropped, new ones refused), opening it again on the same port is the server back.
/// The suite's other tests share the real server, so it is not stopped itself.
struct Gate {
    port: u16,
    upstream: String,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl Gate {
    async fn open_to(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut gate = Self {
            port,
            upstream,
            relay: None,
        };
        gate.relay = Some(tokio::spawn(relay(listener, gate.upstream.clone())));
        gate
    }

    /// The server stops: connections are cut and new ones refused.
    fn close(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
    }

    /// The server is back, on the same port.
    async fn open(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.relay = Some(tokio::spawn(relay(listener, self.upstream.clone())));
    }
}

/// Relays every connection to `upstream` until aborted; aborting drops every connection too.
async fn relay(listener: tokio::net::TcpListener, upstream: String) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((mut inbound, _)) = listener.accept().await {
        let upstream = upstream.clone();
        connections.spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_postgresql_server_stops_and_starts_again_mitan_carries_on_by_itself() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("PostgreSQL only: runs when TEST_DATABASE_URL is set (as .ci/run does)");
        return;
    };
    let db = crate::helpers::TestDatabase::postgres(&admin_url).await;
    let mut url = url::Url::parse(&db.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let mut gate = Gate::open_to(upstream).await;
    url.set_port(Some(gate.port)).unwrap();
    let key = random_master_key();
    let mitan = Binary::serve(
        tempfile::tempdir().unwrap(),
        &[
            ("MITAN__DATABASE__URL", url.as_str()),
            ("MITAN__SECURITY__MASTER_KEY", &key),
            ("MITAN__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ],
    );
    assert!(mitan.port.is_some(), "{}", mitan.output());
    assert!(joined(&mitan.join_by_ussd(&villager(1), "before").await));

    gate.close();
    let refused = mitan.join_by_ussd(&villager(2), "while-down").await;
    assert_eq!(refused.len(), 1, "the dial itself is answered: {refused:?}");
    assert!(
        refused[0].starts_with("END ") && refused[0].contains(BUSY),
        "{refused:?}"
    );
    wait_for(
        "/readyz to say the database is down",
        Duration::from_secs(10),
        || async { (readiness(&mitan).await == 503).then_some(()) },
    )
    .await;
    // Down long enough for the write probe (once a second) to meet the outage: /readyz can
    // notice sooner, on a connection that fails at once.
    wait_for(
        "the log to say the database takes no writes",
        Duration::from_secs(10),
        || async {
            mitan
                .output()
                .contains("the database takes no writes:")
                .then_some(())
        },
    )
    .await;

    gate.open().await;
    let back = std::time::Instant::now();
    wait_for("/readyz to recover", Duration::from_secs(15), || async {
        (readiness(&mitan).await == 200).then_some(())
    })
    .await;
    println!(
        "PostgreSQL: ready again {:?} after the server came back",
        back.elapsed()
    );
    assert!(joined(&mitan.join_by_ussd(&villager(2), "after").await));

    assert_one_episode(
        &mitan.output(),
        // A connection that breaks, or none to be had.
        &[
            "pool timed out",
            "connect",
            "Connection",
            "communicating with database",
        ],
    );
}

//! A broadcast survives a real `kill -9` of the service mid-send: after a restart on the same
//! database sending resumes, nobody gets the tip twice, and a message that was in flight at the
//! kill (it may or may not have reached the aggregator) is marked `unknown`, never sent again.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::time::{Duration, Instant};

use mitan::enrollment::{Consent, JoinRequest, Language, Script};
use mitan::outbox::{OutboundKind, OutboxStatus};
use mitan::privacy::{MasterKey, Vault};
use serde_json::{json, Value};

use crate::fake::{Canned, FakeAggregator, Recorded};
use crate::helpers::{
    africastalking_hop, assert_no_number_in, masked, msisdn, open_store, person_in,
    random_master_key, run_binary, try_africastalking_hop, villager, wait_for, Binary,
    TestDatabase, ENGLISH_JOIN, GENERIC_SECRET,
};

/// Everyone who joined, each a different villager number.
const PEOPLE: u32 = 90;
/// Sends the aggregator answers before it takes one and never answers it.
const ANSWERED_BEFORE_THE_HANG: usize = 12;
/// The kill comes once this many sends reached the aggregator: about a third.
const RECEIVED_BEFORE_THE_KILL: usize = PEOPLE as usize / 3;

/// The sends the aggregator received, in order: mitan's message id and the number.
fn sends(fake: &FakeAggregator) -> Vec<(i64, String)> {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/messages")
        .map(|r: &Recorded| {
            let body = r.json();
            let id = body["id"].as_str().expect("a message id").parse().unwrap();
            (id, body["to"].as_str().expect("a recipient").to_string())
        })
        .collect()
}

/// Runs the real binary to completion; fails the test unless it succeeds. Its output.
fn cli(env: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let run = run_binary(dir.path(), env, args);
    assert!(run.status.success(), "mitan {args:?}: {}", run.output);
    run.output
}

/// `GET /api/v1/broadcasts/{id}` from a running mitan.
async fn broadcast_state(mitan: &Binary, token: &str, id: i64) -> Value {
    let response = reqwest::Client::new()
        .get(mitan.url(&format!("/api/v1/broadcasts/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET the broadcast");
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_no_number_in(&text, "the broadcast's state");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_killed_mid_send_resumes_after_a_restart_and_sends_nobody_anything_twice() {
    let started = Instant::now();
    let db = TestDatabase::fresh().await;
    let key = random_master_key();
    let fake_ok = Canned::json(200, json!({"message_id": "agg-{request}"}));
    let fake = FakeAggregator::start(fake_ok.clone()).await;
    for _ in 0..ANSWERED_BEFORE_THE_HANG {
        fake.then(fake_ok.clone());
    }
    // The aggregator takes the next send and never answers: it is in flight at the kill.
    fake.then(fake_ok.after(Duration::from_secs(3600)));

    let env = [
        ("MITAN__DATABASE__URL", db.url.as_str()),
        ("MITAN__DATABASE__MAX_CONNECTIONS", "4"),
        ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
        ("MITAN__CHANNELS__GENERIC__BASE_URL", fake.url.as_str()),
        ("MITAN__CHANNELS__GENERIC__SECRET", GENERIC_SECRET),
        ("MITAN__CHANNELS__GENERIC__TPS", "20"),
        ("MITAN__OUTBOUND__DEFAULT_CHANNEL", "generic"),
        // Two senders: while one waits on the hanging send, the other goes on, so the kill
        // lands wherever it happens to be (claiming, waiting on the rate, sending, recording).
        ("MITAN__OUTBOUND__WORKERS", "2"),
        ("MITAN__OUTBOUND__LEASE_SECS", "2"),
        // Far longer than the test: the hanging send is still in flight when the kill comes.
        ("MITAN__OUTBOUND__SEND_TIMEOUT_SECS", "600"),
        ("MITAN__CAMPAIGN__SEND_WINDOW", "00:00-24:00"),
        ("MITAN__BROADCASTS__PLANNER", "true"),
    ];

    // The database: migrated, the shipped tips, an admin token, and everyone joined.
    cli(&env, &["migrate"]);
    let tips_file = format!("{}/config/tips.json", env!("CARGO_MANIFEST_DIR"));
    let imported = cli(&env, &["tips", "import", &tips_file]);
    assert!(imported.contains("imported 24 tips"), "{imported}");
    let created = cli(
        &env,
        &["token", "create", "--role", "admin", "--name", "crash test"],
    );
    // The token is the last line on standard output (logs may follow it on standard error).
    let token = created
        .lines()
        .find(|line| line.starts_with("mitan_"))
        .expect("a token printed");
    let store = open_store(&db.url).await;
    let tip = store
        .tips()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug.as_deref() == Some("tip-01"))
        .expect("tip-01 imported")
        .id;
    let vault = Vault::new(&MasterKey::from_base64(&key).unwrap());
    let joined: BTreeSet<String> = (0..PEOPLE).map(villager).collect();
    for number in &joined {
        store
            .join(&JoinRequest {
                phone: vault.seal(&msisdn(number)),
                consent: Consent {
                    channel: "generic".into(),
                    language: Language::Hindi,
                    script: Script::Native,
                    version: "test".into(),
                    at: chrono::Utc::now(),
                },
                code: None,
                quota: 25,
                code_length: 6,
            })
            .await
            .expect("join");
    }
    store.close().await;
    let prepared = started.elapsed();

    // The service, and a broadcast of one tip to everyone, due now.
    let mut first =
        tokio::task::block_in_place(|| Binary::serve(tempfile::tempdir().unwrap(), &env));
    assert!(first.port.is_some(), "{}", first.output());
    let response = reqwest::Client::new()
        .post(first.url("/api/v1/broadcasts"))
        .bearer_auth(token)
        .json(&json!({"tip_id": tip, "segment": {}, "send_at": chrono::Utc::now().to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let broadcast: Value = response.json().await.unwrap();
    let id = broadcast["id"].as_i64().unwrap();

    // Once a third of the sends reached the aggregator, one of them unanswered: kill -9.
    let received = wait_for(
        "a third of the sends to reach the aggregator",
        Duration::from_secs(60),
        || {
            let fake = &fake;
            async move {
                let received = sends(fake);
                (received.len() >= RECEIVED_BEFORE_THE_KILL).then_some(received)
            }
        },
    )
    .await;
    first.signal("KILL");
    // The send the aggregator took and never answered.
    let hung = received[ANSWERED_BEFORE_THE_HANG].clone();
    let status = tokio::task::block_in_place(|| first.wait_exit(Duration::from_secs(10)))
        .expect("the killed process exits");
    assert_eq!(status.signal(), Some(9), "{status:?}");
    let received_before_the_kill = sends(&fake).len();
    let killed_at = started.elapsed();

    // A new process on the same database finishes the broadcast.
    let second = tokio::task::block_in_place(|| Binary::serve(tempfile::tempdir().unwrap(), &env));
    assert!(second.port.is_some(), "{}", second.output());
    let state = wait_for(
        "the broadcast to finish after the restart",
        Duration::from_secs(120),
        || {
            let (second, token) = (&second, token);
            async move {
                let state = broadcast_state(second, token, id).await;
                (state["status"] == "done").then_some(state)
            }
        },
    )
    .await;
    let finished_at = started.elapsed();

    let received = sends(&fake);
    assert!(
        received.len() > received_before_the_kill,
        "nothing was sent after the restart"
    );
    // Nothing sent twice: no message, and no number.
    let mut per_number: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_message: BTreeMap<i64, usize> = BTreeMap::new();
    for (message, number) in &received {
        *per_number.entry(number.as_str()).or_default() += 1;
        *per_message.entry(*message).or_default() += 1;
    }
    let twice: Vec<String> = per_number
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(number, n)| format!("{} ×{n}", masked(number)))
        .collect();
    assert!(
        twice.is_empty(),
        "numbers that got the tip twice: {twice:?}"
    );
    assert!(per_message.values().all(|n| *n == 1), "{per_message:?}");
    let strangers = per_number
        .keys()
        .filter(|number| !joined.contains(**number))
        .count();
    assert_eq!(strangers, 0, "sends to numbers that never joined");

    let counts = &state["counts"];
    let count = |name: &str| counts[name].as_i64().unwrap();
    assert_eq!(count("planned"), i64::from(PEOPLE), "{state:#}");
    assert_eq!(count("remaining"), 0, "{state:#}");
    // `sent` includes `delivered`.
    assert_eq!(
        count("sent") + count("unknown"),
        count("planned"),
        "{state:#}"
    );
    for none in ["failed", "suppressed", "expired"] {
        assert_eq!(count(none), 0, "{none}: {state:#}");
    }
    assert!(
        count("unknown") >= 1,
        "the send in flight is unknown: {state:#}"
    );

    // Every message is sent (and the aggregator has it) or unknown (it has it at most once).
    let store = open_store(&db.url).await;
    let messages = store.outbox_entries().await.unwrap();
    store.close().await;
    assert_eq!(messages.len(), PEOPLE as usize);
    let mut unknown_unreceived_hints = Vec::new();
    for message in &messages {
        assert_eq!(message.kind, OutboundKind::Bulk);
        let sent_to = received
            .iter()
            .find(|(id, _)| *id == message.id)
            .map(|(_, number)| number);
        if let Some(number) = sent_to {
            assert!(number.ends_with(&message.hint), "message {}", message.id);
        }
        match (message.status, sent_to) {
            (OutboxStatus::Sent | OutboxStatus::Delivered, Some(_)) => {}
            (OutboxStatus::Unknown, Some(_)) => {}
            (OutboxStatus::Unknown, None) => unknown_unreceived_hints.push(message.hint.clone()),
            (status, _) => panic!(
                "message {} is {status:?}, received: {}",
                message.id,
                sent_to.is_some()
            ),
        }
    }
    let status_of = |id: i64| messages.iter().find(|m| m.id == id).unwrap().status;
    assert_eq!(
        status_of(hung.0),
        OutboxStatus::Unknown,
        "the send in flight at the kill is settled as unknown, not sent again"
    );
    let unknown = messages
        .iter()
        .filter(|m| m.status == OutboxStatus::Unknown)
        .count();
    assert_eq!(unknown as i64, count("unknown"));
    // Everyone got the tip, except the recipients of unknown messages the aggregator never saw.
    let mut missing_hints: Vec<String> = joined
        .iter()
        .filter(|number| !per_number.contains_key(number.as_str()))
        .map(|number| number[number.len() - 2..].to_string())
        .collect();
    missing_hints.sort();
    unknown_unreceived_hints.sort();
    assert_eq!(missing_hints, unknown_unreceived_hints);

    let log = second.output();
    assert!(log.contains("now unknown"), "{log}");
    assert_no_number_in(&log, "the restarted service's log");
    assert_no_number_in(&first.output(), "the killed service's log");
    eprintln!(
        "crash test: prepared in {prepared:?}, killed at {killed_at:?} after {received_before_the_kill} \
         sends, finished at {finished_at:?}; {} sends in all, {unknown} unknown",
        received.len()
    );
}

/// Villagers pressing "I agree" together when the service is killed.
const JOINING_AT_THE_KILL: u32 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_a_burst_of_joins_loses_no_acknowledged_join_and_leaves_none_half_made() {
    let db = TestDatabase::fresh().await;
    let key = random_master_key();
    let env = [
        ("MITAN__DATABASE__URL", db.url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
    ];
    let first = Binary::serve(tempfile::tempdir().unwrap(), &env);
    let client = reqwest::Client::new();
    let url = first.url("/webhooks/africastalking/ussd");
    let phones: Vec<String> = (0..JOINING_AT_THE_KILL).map(villager).collect();
    for phone in &phones {
        for path in &ENGLISH_JOIN[..6] {
            africastalking_hop(&client, &url, &format!("kill-{phone}"), phone, path).await;
        }
    }
    // Everyone agrees at once; kill -9 lands once the first of them is answered.
    let (answered, first_answer) = tokio::sync::mpsc::unbounded_channel::<()>();
    let agrees: Vec<_> = phones
        .iter()
        .map(|phone| {
            let (client, url, answered) = (client.clone(), url.clone(), answered.clone());
            let (session, phone) = (format!("kill-{phone}"), phone.clone());
            tokio::spawn(async move {
                let agree = ENGLISH_JOIN[6];
                let text = try_africastalking_hop(&client, &url, &session, &phone, agree).await?;
                let _ = answered.send(());
                Some(text)
            })
        })
        .collect();
    let mut first_answer = first_answer;
    first_answer.recv().await.expect("one join answered");
    first.signal("KILL");
    let mut told_done = BTreeMap::new();
    for (agree, phone) in agrees.into_iter().zip(&phones) {
        if let Some(text) = agree.await.unwrap() {
            if let Some(code) = text
                .strip_prefix("END Done! Your mitan code is ")
                .and_then(|rest| rest.split(':').next())
            {
                told_done.insert(phone.clone(), code.to_string());
            }
        }
    }
    drop(first);
    assert!(!told_done.is_empty());

    // After the kill: everyone told "Done!" is a member with the code they were shown, and
    // everyone stored is a whole member (a code of their own); nobody is half-joined.
    let store = open_store(&db.url).await;
    let vault = Vault::new(&MasterKey::from_base64(&key).unwrap());
    let mut stored = BTreeSet::new();
    for phone in &phones {
        match (person_in(&store, &vault, phone).await, told_done.get(phone)) {
            (Some(person), told) => {
                stored.insert(phone.clone());
                let code = person.own_code.expect("a member has a code of their own");
                if let Some(told) = told {
                    assert_eq!(&code, told, "{} got another code", masked(phone));
                }
            }
            (None, Some(_)) => panic!("{} was told \"Done!\" but is not stored", masked(phone)),
            (None, None) => {}
        }
    }
    store.close().await;

    // Restarted, the service knows those it stored (whose answer the kill took) as members, and
    // takes the others' joins.
    let second = Binary::serve(tempfile::tempdir().unwrap(), &env);
    let url = second.url("/webhooks/africastalking/ussd");
    for phone in &stored {
        let menu = africastalking_hop(&client, &url, &format!("menu-{phone}"), phone, "").await;
        assert!(
            menu.contains("Today's tip") || menu.contains("टिप"),
            "{menu}"
        );
    }
    for phone in phones.iter().filter(|p| !stored.contains(*p)) {
        let screens = second.join_by_ussd(phone, &format!("again-{phone}")).await;
        let last = screens.last().expect("a screen");
        assert!(
            last.contains("code is"),
            "{} cannot join after the restart: {last}",
            masked(phone)
        );
    }
    println!(
        "kill -9 mid-burst: {JOINING_AT_THE_KILL} agreeing, {} told Done!, {} stored, 0 lost, 0 half-made",
        told_done.len(),
        stored.len()
    );
    assert_no_number_in(&second.output(), "the log after the restart");
}

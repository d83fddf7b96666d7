//! The real binary: start-up, configuration errors, signals, restarts.

use std::time::Duration;

use mitan::enrollment::PersonStatus;
use mitan::enrollment::{Consent, JoinRequest, Language, Script};
use mitan::privacy::{MasterKey, Vault};

use crate::helpers::{
    africastalking_hop, msisdn, open_store, person_in, random_master_key, run_binary,
    the_error_line, try_africastalking_hop, Binary, ENGLISH_JOIN, VILLAGER,
};

fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A start-up failure: non-zero exit, and exactly one line that says what to fix.
fn assert_fails_with(env: &[(&str, &str)], args: &[&str], expected: &str) {
    let dir = workdir();
    let run = run_binary(dir.path(), env, args);
    assert!(!run.status.success(), "started anyway: {}", run.output);
    assert!(
        the_error_line(&run.output).contains(expected),
        "{}",
        run.output
    );
    assert!(!run.output.contains("panicked"), "{}", run.output);
    assert!(!run.output.contains("backtrace"), "{}", run.output);
}

#[test]
fn sigterm_stops_the_service_cleanly_with_exit_code_zero() {
    let mut mitan = Binary::serve(workdir(), &[]);
    let response = reqwest::blocking::get(mitan.url("/healthz")).unwrap();
    assert_eq!(response.status(), 200);
    mitan.signal("TERM");
    let status = mitan
        .wait_exit(Duration::from_secs(5))
        .expect("exited within 5 s");
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        mitan.output()
    );
    assert!(mitan.output().contains("\"stopped\""), "{}", mitan.output());
}

#[test]
fn ctrl_c_stops_the_service_cleanly_too() {
    let mut mitan = Binary::serve(workdir(), &[]);
    mitan.signal("INT");
    let status = mitan.wait_exit(Duration::from_secs(5)).expect("exited");
    assert!(status.success(), "{}", mitan.output());
}

#[tokio::test]
async fn data_and_the_development_key_survive_a_restart() {
    let dir = workdir();
    let mitan = Binary::serve(dir, &[]);
    assert!(mitan.output().contains("GENERATED A NEW MASTER KEY"));
    let key_path = mitan.workdir.path().join("data/master.key");
    let key = std::fs::read_to_string(&key_path).expect("key file written to data/");
    let db_url = format!(
        "sqlite://{}",
        mitan.workdir.path().join("data/mitan.db").display()
    );

    // Someone joins while the first process runs.
    let vault = Vault::new(&MasterKey::from_base64(&key).unwrap());
    let sealed = vault.seal(&msisdn(VILLAGER));
    let store = open_store(&db_url).await;
    store
        .join(&JoinRequest {
            phone: sealed,
            consent: Consent {
                channel: "console".into(),
                language: Language::Chhattisgarhi,
                script: Script::Native,
                version: "v1".into(),
                at: chrono::Utc::now(),
            },
            code: None,
            quota: 25,
            code_length: 6,
        })
        .await
        .unwrap();
    store.close().await;

    let mut first = mitan;
    first.signal("TERM");
    assert!(first.wait_exit(Duration::from_secs(5)).unwrap().success());

    let dir = std::mem::replace(&mut first.workdir, workdir());
    let second = Binary::serve(dir, &[]);
    assert!(second.port.is_some(), "{}", second.output());
    assert!(
        !second.output().contains("GENERATED"),
        "{}",
        second.output()
    );
    assert_eq!(
        reqwest::get(second.url("/readyz")).await.unwrap().status(),
        200
    );
    let store = open_store(&db_url).await;
    let found = person_in(&store, &vault, VILLAGER)
        .await
        .expect("still there after a restart");
    assert_eq!(found.language, Language::Chhattisgarhi);
    assert_eq!(found.status, PersonStatus::Active);
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let dir = workdir();
    let run = run_binary(dir.path(), &[], &["migrate"]);
    assert!(run.status.success(), "{}", run.output);
    assert!(
        run.output.contains("migrations applied (sqlite)"),
        "{}",
        run.output
    );
    assert!(dir.path().join("data/mitan.db").exists());
}

#[test]
fn a_bad_value_names_its_key() {
    assert_fails_with(
        &[("MITAN__SERVER__BIND", "not-an-address")],
        &["serve"],
        "server.bind",
    );
}

#[test]
fn an_unknown_key_is_refused() {
    assert_fails_with(
        &[("MITAN__SERVER__BND", "127.0.0.1:1")],
        &["serve"],
        "unknown key \"bnd\"",
    );
}

#[test]
fn a_missing_config_file_is_named() {
    assert_fails_with(&[], &["--config", "nowhere.toml"], "--config nowhere.toml");
}

#[test]
fn a_malformed_master_key_is_refused() {
    assert_fails_with(
        &[("MITAN__SECURITY__MASTER_KEY", "dG9vIHNob3J0")],
        &["serve"],
        "security.master_key: must be base64 of exactly 32 bytes",
    );
}

#[test]
fn production_settings_refuse_to_start_without_a_master_key() {
    assert_fails_with(
        &[("MITAN__SECURITY__REQUIRE_MASTER_KEY", "true")],
        &["serve"],
        "security.master_key: required",
    );
}

#[test]
fn an_unreachable_database_is_reported() {
    assert_fails_with(
        &[
            ("DATABASE_URL", "postgres://mitan:secret@127.0.0.1:9/mitan"),
            ("MITAN__DATABASE__CONNECT_TIMEOUT_SECS", "2"),
        ],
        &["serve"],
        "database: cannot connect to postgres://mitan:***@127.0.0.1:9/mitan",
    );
}

#[test]
fn an_unwritable_data_folder_is_reported() {
    let dir = workdir();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let url = format!("sqlite://{}/data/mitan.db", blocker.display());
    assert_fails_with(
        &[
            ("DATABASE_URL", url.as_str()),
            ("MITAN__SECURITY__MASTER_KEY", &random_master_key()),
        ],
        &["serve"],
        "database: cannot create the data folder",
    );
}

#[test]
fn a_default_channel_that_cannot_send_refuses_to_start() {
    let key = random_master_key();
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut env = vec![("MITAN__SECURITY__MASTER_KEY", key.as_str())];
        env.extend_from_slice(extra);
        env
    };
    // A channel that does not exist, or was switched off.
    assert_fails_with(
        &with(&[("MITAN__OUTBOUND__DEFAULT_CHANNEL", "sms-gateway")]),
        &["serve"],
        "outbound.default_channel: no enabled channel is named \"sms-gateway\"",
    );
    assert_fails_with(
        &with(&[("MITAN__CHANNELS__CONSOLE__ENABLED", "false")]),
        &["serve"],
        "outbound.default_channel: no enabled channel is named \"console\"",
    );
    // A channel whose kind needs credentials it was not given: each missing key is named.
    assert_fails_with(
        &with(&[
            ("MITAN__OUTBOUND__DEFAULT_CHANNEL", "twilio"),
            ("MITAN__CHANNELS__TWILIO__ACCOUNT_SID", "AC0123"),
        ]),
        &["serve"],
        "outbound.default_channel: channel \"twilio\" cannot send: set \
         channels.twilio.auth_token, channels.twilio.from",
    );
}

#[test]
fn each_enabled_channel_that_cannot_send_is_named_at_start() {
    let mut mitan = Binary::serve(
        workdir(),
        &[
            ("MITAN__CHANNELS__KANNEL__BASE_URL", "http://127.0.0.1:9"),
            ("MITAN__CHANNELS__KANNEL__USERNAME", "mitan"),
        ],
    );
    assert!(mitan.port.is_some(), "{}", mitan.output());
    mitan.signal("TERM");
    mitan.wait_exit(Duration::from_secs(5));
    let warnings = mitan.lines_with("cannot send until");
    let named = |channel: &str, keys: &str| {
        warnings
            .iter()
            .any(|w| w.contains(&format!("\"channel\":\"{channel}\"")) && w.contains(keys))
    };
    assert!(
        named(
            "africastalking",
            "channels.africastalking.username, channels.africastalking.api_key"
        ),
        "{warnings:#?}"
    );
    assert!(named("kannel", "channels.kannel.password"), "{warnings:#?}");
    assert!(
        !named("kannel", "channels.kannel.username"),
        "{warnings:#?}"
    );
    assert!(
        named("generic", "channels.generic.base_url"),
        "{warnings:#?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("\"console\"")),
        "{warnings:#?}"
    );
    assert_eq!(warnings.len(), 5, "one line per channel: {warnings:#?}");
}

#[test]
fn a_port_in_use_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    assert_fails_with(
        &[("MITAN__SERVER__BIND", addr.as_str())],
        &["serve"],
        &format!("server.bind: cannot listen on {addr}"),
    );
}

#[test]
fn simulate_is_a_feature_phone_in_the_terminal() {
    let mitan = Binary::serve(workdir(), &[]);
    // English, Join, no code, Next, Next, I agree; then quit.
    let shown = crate::helpers::simulate(
        &mitan,
        &["--phone", "+919876543210"],
        "3\n1\n0\n1\n1\n1\nq\n",
    );
    assert!(shown.contains("│ 3 English"), "{shown}");
    assert!(shown.contains("│ 1 Join"), "{shown}");
    assert!(shown.contains("Done! Your mitan code is"), "{shown}");
    assert!(shown.contains("(session over)"), "{shown}");
}

#[test]
fn simulate_says_clearly_when_mitan_is_not_running() {
    let dir = workdir();
    let run = run_binary(
        dir.path(),
        &[],
        &[
            "simulate",
            "--phone",
            "+919876543210",
            "--url",
            "http://127.0.0.1:9",
        ],
    );
    assert!(!run.status.success());
    assert!(
        run.output.contains("is `mitan serve` running?"),
        "{}",
        run.output
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_joins_loses_no_acknowledged_join() {
    let key = random_master_key();
    let mut mitan = Binary::serve(workdir(), &[("MITAN__SECURITY__MASTER_KEY", key.as_str())]);
    let client = reqwest::Client::new();
    let url = mitan.url("/webhooks/africastalking/ussd");
    let phones: Vec<String> = (0..24).map(|n| format!("+9170000{n:05}")).collect();
    for (n, phone) in phones.iter().enumerate() {
        for path in &ENGLISH_JOIN[..6] {
            africastalking_hop(&client, &url, &format!("S{n}"), phone, path).await;
        }
    }
    // Every villager presses "I agree" at once; SIGTERM arrives once the first is answered.
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let first_tx = std::sync::Mutex::new(Some(first_tx));
    let first_tx = std::sync::Arc::new(first_tx);
    let mut joins = Vec::new();
    for (n, phone) in phones.iter().enumerate() {
        let (client, url, phone, first_tx) =
            (client.clone(), url.clone(), phone.clone(), first_tx.clone());
        joins.push(tokio::spawn(async move {
            let agree = ENGLISH_JOIN[6];
            let reply =
                try_africastalking_hop(&client, &url, &format!("S{n}"), &phone, agree).await;
            if let Some(tx) = first_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            reply
        }));
    }
    first_rx.await.unwrap();
    mitan.signal("TERM");
    let mut acknowledged = Vec::new();
    for (join, phone) in joins.into_iter().zip(&phones) {
        if let Some(reply) = join.await.unwrap() {
            if reply.starts_with("END Done!") {
                acknowledged.push(phone.clone());
            }
        }
    }
    let status = tokio::task::spawn_blocking(move || {
        let status = mitan.wait_exit(Duration::from_secs(5));
        (status, mitan)
    })
    .await
    .unwrap();
    let (status, mitan) = status;
    assert!(
        status.expect("exited within 5 s").success(),
        "{}",
        mitan.output()
    );
    assert!(!acknowledged.is_empty());

    let db_url = format!(
        "sqlite://{}",
        mitan.workdir.path().join("data/mitan.db").display()
    );
    let store = open_store(&db_url).await;
    let vault = Vault::new(&MasterKey::from_base64(&key).unwrap());
    for phone in &acknowledged {
        assert!(
            person_in(&store, &vault, phone).await.is_some(),
            "{phone} was told \"Done!\" but is not stored"
        );
    }
}

#[test]
fn outbound_instances_still_set_is_named_at_start_and_changes_nothing() {
    // Each instance used to keep to 1 / instances of every rate; instances on PostgreSQL now
    // share one limit, so the setting is read no more: the start warns, once, and goes on.
    let mut mitan = Binary::serve(workdir(), &[("MITAN__OUTBOUND__INSTANCES", "2")]);
    assert!(mitan.port.is_some(), "{}", mitan.output());
    mitan.signal("TERM");
    mitan.wait_exit(Duration::from_secs(5));
    let warnings = mitan.lines_with("outbound.instances is no longer read");
    assert_eq!(warnings.len(), 1, "{}", mitan.output());
    assert!(
        warnings[0].contains("MITAN__OUTBOUND__INSTANCES"),
        "{warnings:?}"
    );
}

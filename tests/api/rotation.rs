//! Key rotation, `mitan keys rotate`: 10,000 people re-sealed under a new key in batches, an
//! interrupted rotation resumed, a service on the new key serving everyone meanwhile (members,
//! an officer, a pending consent, a dropped join, a suppressed number), and the old key refused.

use std::collections::HashSet;
use std::ops::ControlFlow;

use figment::providers::Serialized;
use mitan::app::Application;
use mitan::config::Settings;
use mitan::enrollment::{Consent, JoinRequest, Language, Script};
use mitan::privacy::{MasterKey, Vault};
use mitan::rotation::{rotate, RotateError};

use crate::helpers::{
    count, msisdn, officer, open_store, raw_blobs, run_binary, spawn_app_on, spawn_app_with,
    test_figment, villager, Binary, TestApp, TestDatabase, ENGLISH_JOIN, NEIGHBOUR, OFFICER,
    VILLAGER,
};

const PEOPLE: u32 = 10_000;

/// The `n`th of the many people of these tests.
fn person(n: u32) -> String {
    format!("+9161{n:08}")
}

fn key(base64: &str) -> MasterKey {
    MasterKey::from_base64(base64).unwrap()
}

fn with_key(key: &str) -> impl FnOnce(figment::Figment) -> figment::Figment {
    let key = key.to_string();
    move |f| f.merge(Serialized::default("security.master_key", key))
}

/// `PEOPLE` joins, 32 at a time, as the USSD menu makes them.
async fn join_many(app: &TestApp) {
    let mut next = 0;
    while next < PEOPLE {
        let mut joins = tokio::task::JoinSet::new();
        for n in next..(next + 32).min(PEOPLE) {
            let (store, sealed) = (
                app.state.store.clone(),
                app.state.vault.seal(&msisdn(&person(n))),
            );
            joins.spawn(async move {
                store
                    .join(&JoinRequest {
                        phone: sealed,
                        consent: Consent {
                            channel: "console".into(),
                            language: Language::English,
                            script: Script::Native,
                            version: "test".into(),
                            at: chrono::Utc::now(),
                        },
                        code: None,
                        quota: 25,
                        code_length: 6,
                    })
                    .await
            });
        }
        while let Some(joined) = joins.join_next().await {
            joined.unwrap().expect("a join");
        }
        next = (next + 32).min(PEOPLE);
    }
}

async fn sealed_under(app: &TestApp, key_id: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT (SELECT COUNT(*) FROM people WHERE phone_key_id = '{key_id}') \
             + (SELECT COUNT(*) FROM recruiters WHERE phone_key_id = '{key_id}') \
             + (SELECT COUNT(*) FROM outbox WHERE phone_key_id = '{key_id}') \
             + (SELECT COUNT(*) FROM fraud_numbers WHERE phone_key_id = '{key_id}')"
        ),
    )
    .await
}

/// Why the service would not start on `db` with `key`.
async fn refusal(db: &TestDatabase, key: &str) -> String {
    let settings = Settings::from_figment(with_key(key)(test_figment(db))).unwrap();
    match Application::build(settings).await {
        Ok(_) => panic!("the service started"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn ten_thousand_people_move_to_a_new_key_in_batches_and_the_service_serves_them_throughout() {
    let (old_key, new_key) = (
        crate::helpers::random_master_key(),
        crate::helpers::random_master_key(),
    );
    let (old_id, new_id) = (
        Vault::new(&key(&old_key)).key_id().to_string(),
        Vault::new(&key(&new_key)).key_id().to_string(),
    );
    let mut before = spawn_app_with(with_key(&old_key)).await;
    join_many(&before).await;
    officer(&before, Some(OFFICER)).await;
    // Kept only as keyed hashes: a number that stopped without ever joining, a pending JOIN (and
    // the notice queued to it), and a join dropped half-way.
    before.text(NEIGHBOUR, "STOP").await;
    before.sms(VILLAGER, "JOIN").await;
    let mut dropped = before.handset("+919425012300");
    dropped.dial().await;
    for input in &ENGLISH_JOIN[1..6] {
        dropped.press(input.rsplit('*').next().unwrap()).await;
    }
    dropped.hang_up().await;
    // Two fraud numbers reported: one reported again during the rotation, one only after it.
    for reporter in [villager(1), villager(2)] {
        before.text(&reporter, &format!("REPORT {SUSPECT}")).await;
    }
    before
        .text(&villager(4), &format!("REPORT {OTHER_SUSPECT}"))
        .await;
    let total = sealed_under(&before, &old_id).await;
    assert!(
        total > i64::from(PEOPLE),
        "people, the officer and the queued notice: {total}"
    );

    // Stopped after three batches of 500, as a rotation killed half-way would be; run from a
    // process of its own, as an operator would.
    let operator = open_store(&before.db.url).await;
    let interrupted = rotate(
        &operator,
        &key(&old_key),
        &key(&new_key),
        500,
        &mut |done: u64, _total: u64| {
            if done >= 1_500 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .await;
    assert!(
        matches!(interrupted, Err(RotateError::Interrupted)),
        "{interrupted:?}"
    );
    operator.close().await;
    assert_eq!(sealed_under(&before, &old_id).await, total - 1_500);
    // The service on the old key noticed, and stopped itself rather than look numbers up with it.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), before.ended())
        .await
        .expect("the old service stops by itself");
    assert!(
        ended
            .as_ref()
            .is_err_and(|err| err.to_string().contains("the database's key was rotated")),
        "{ended:?}"
    );
    let db = before.into_database().await;
    assert!(refusal(&db, &old_key)
        .await
        .contains("was retired by `mitan keys rotate`"));

    // On the new key, with most numbers still sealed under the old one, everyone is served.
    let during = spawn_app_on(db, with_key(&new_key)).await;
    let last = person(PEOPLE - 1);
    let mut member = during.handset(&last);
    let menu = member.dial().await;
    assert!(
        !menu.text.contains("3 English"),
        "a member, not a newcomer: {}",
        menu.text
    );
    assert_eq!(
        during
            .person(&last)
            .await
            .expect("found under the new key")
            .status,
        mitan::enrollment::PersonStatus::Active
    );
    let status = during.text(OFFICER, "STATUS").await;
    assert!(
        status[0].starts_with("Cyber Mitan: 0 of 25"),
        "the officer is known: {status:?}"
    );
    during.text(VILLAGER, "YES").await;
    assert!(
        during.person(VILLAGER).await.is_some(),
        "the pending JOIN was found and kept"
    );
    let invited_before = during.inbox(NEIGHBOUR).len();
    during.text(OFFICER, "INVITE 7000012345").await;
    assert_eq!(
        during.inbox(NEIGHBOUR).len(),
        invited_before,
        "a number that stopped stays stopped"
    );
    // A vote cast under the old key still counts once; a new reporter makes three, and the
    // number is shown to admins.
    during
        .text(&villager(1), &format!("REPORT {SUSPECT}"))
        .await;
    during
        .text(&villager(3), &format!("REPORT {SUSPECT}"))
        .await;
    let admin = during.admin_token().await;
    let reports = during.api_get("/api/v1/fraud-reports", &admin).await.json();
    assert_eq!(reports["reports"], 4, "{reports}");
    assert_eq!(reports["numbers"][0]["number"], SUSPECT, "{reports}");
    assert_eq!(reports["numbers"][0]["reporters"], 3, "{reports}");
    let mut resumed = during.handset("+919425012300");
    resumed.dial().await.says("did not finish joining");
    resumed.press("1").await.says("agree");
    resumed.press("1").await;
    assert!(
        during.person("+919425012300").await.is_some(),
        "the dropped join went on"
    );

    // The same command resumes where it stopped (run with the old configuration), and finishes.
    let dir = tempfile::tempdir().unwrap();
    let new_file = dir.path().join("new.key");
    std::fs::write(&new_file, &new_key).unwrap();
    let env = [
        ("MITAN__DATABASE__URL", during.db.url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY", old_key.as_str()),
    ];
    let new_file_arg = new_file.display().to_string();
    let resumed_run = run_binary(
        dir.path(),
        &env,
        &["keys", "rotate", "--new-key-file", &new_file_arg],
    );
    assert!(resumed_run.status.success(), "{}", resumed_run.output);
    assert!(
        resumed_run
            .output
            .contains(&format!("rotation from key {old_id} to key {new_id}")),
        "{}",
        resumed_run.output
    );
    assert!(!resumed_run.output.contains(&new_key) && !resumed_run.output.contains(&old_key));

    // Nothing is sealed under the old key; the new key alone opens every number and finds
    // every person; no index of the old key is left.
    assert_eq!(sealed_under(&during, &old_id).await, 0);
    assert_eq!(
        count(
            &during,
            "SELECT COUNT(*) FROM retired_keys WHERE master IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &during,
            "SELECT COUNT(*) FROM sealing_key WHERE rotating_from IS NULL"
        )
        .await,
        1
    );
    let plain = Vault::new(&key(&new_key));
    let ciphertexts = raw_blobs(
        &during.db,
        "SELECT phone_ciphertext FROM people WHERE phone_ciphertext IS NOT NULL",
    )
    .await
    .unwrap();
    assert!(ciphertexts.len() > PEOPLE as usize);
    let opened: HashSet<String> = ciphertexts
        .iter()
        .map(|c| {
            plain
                .open(c, &new_id)
                .expect("opens with the new key alone")
                .e164()
                .to_string()
        })
        .collect();
    let indexes: HashSet<Vec<u8>> = raw_blobs(
        &during.db,
        "SELECT phone_index FROM people WHERE phone_index IS NOT NULL",
    )
    .await
    .unwrap()
    .into_iter()
    .collect();
    let old = Vault::new(&key(&old_key));
    for n in 0..PEOPLE {
        let number = msisdn(&person(n));
        assert!(opened.contains(number.e164()), "person {n} opens");
        assert!(
            indexes.contains(plain.blind_index(&number).as_bytes()),
            "person {n} is found"
        );
        assert!(
            !indexes.contains(old.blind_index(&number).as_bytes()),
            "person {n}: old index gone"
        );
    }
    // Still served, and the old key still refused, now that the rotation is over.
    let db = during.into_database().await;
    assert!(refusal(&db, &old_key).await.contains("was retired"));
    let after = spawn_app_on(db, with_key(&new_key)).await;
    let menu = after.handset(&person(7)).dial().await;
    assert!(!menu.text.contains("3 English"), "a member: {}", menu.text);
    let status = after.text(OFFICER, "STATUS").await;
    assert!(status[0].starts_with("Cyber Mitan: 0 of 25"), "{status:?}");
    after.text(OFFICER, "INVITE 7000012345").await;
    assert_eq!(
        after.inbox(NEIGHBOUR).len(),
        0,
        "the stop outlives the old key"
    );
    // Both reported numbers open with the new key alone, and a vote from before the rotation
    // still counts once.
    let reported = raw_blobs(&after.db, "SELECT phone_ciphertext FROM fraud_numbers")
        .await
        .unwrap();
    let mut opened: Vec<String> = reported
        .iter()
        .map(|c| plain.open(c, &new_id).unwrap().e164().to_string())
        .collect();
    opened.sort();
    assert_eq!(opened, [SUSPECT, OTHER_SUSPECT]);
    after
        .text(&villager(4), &format!("REPORT {OTHER_SUSPECT}"))
        .await;
    let admin = after.admin_token().await;
    let reports = after.api_get("/api/v1/fraud-reports", &admin).await.json();
    assert_eq!(
        (&reports["numbers_reported"], &reports["reports"]),
        (&2.into(), &4.into()),
        "{reports}"
    );
}

/// Numbers villagers report during the rotation test.
const SUSPECT: &str = "+919888812345";
const OTHER_SUSPECT: &str = "+919888812346";

#[tokio::test]
async fn a_running_service_stops_when_the_rotation_begins_and_starts_again_on_the_new_key() {
    let db = TestDatabase::fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let (old_file, new_file) = (dir.path().join("old.key"), dir.path().join("new.key"));
    let (old_arg, new_arg) = (
        old_file.display().to_string(),
        new_file.display().to_string(),
    );
    let url = db.url.clone();
    let made = run_binary(dir.path(), &[], &["keys", "new", &old_arg]);
    assert!(made.status.success(), "{}", made.output);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&old_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a key file only its owner reads: {mode:o}");
    }
    assert!(
        !run_binary(dir.path(), &[], &["keys", "new", &old_arg])
            .status
            .success(),
        "never overwritten"
    );
    run_binary(dir.path(), &[], &["keys", "new", &new_arg]);

    let old_env = [
        ("MITAN__DATABASE__URL", url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY_FILE", old_arg.as_str()),
        ("MITAN__OUTBOUND__WORKERS", "0"),
    ];
    let new_env = [
        ("MITAN__DATABASE__URL", url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY_FILE", new_arg.as_str()),
        ("MITAN__OUTBOUND__WORKERS", "0"),
    ];
    let mut service = Binary::serve(tempfile::tempdir().unwrap(), &old_env);
    service.sms(VILLAGER, "JOIN").await;
    service.sms(VILLAGER, "YES").await;

    let same = run_binary(
        dir.path(),
        &old_env,
        &["keys", "rotate", "--new-key-file", &old_arg],
    );
    assert!(!same.status.success());
    assert!(same.output.contains("nothing to rotate"), "{}", same.output);
    let rotated = run_binary(
        dir.path(),
        &old_env,
        &["keys", "rotate", "--new-key-file", &new_arg],
    );
    assert!(rotated.status.success(), "{}", rotated.output);
    assert!(
        rotated.output.contains("rotated from key"),
        "{}",
        rotated.output
    );

    let status = service
        .wait_exit(std::time::Duration::from_secs(20))
        .expect("the old service stops by itself");
    assert!(
        !status.success(),
        "stopped as a failure, for a supervisor to see"
    );
    assert!(
        service.output().contains("the database's key was rotated"),
        "{}",
        service.output()
    );

    let refused = run_binary(dir.path(), &old_env, &["serve"]);
    assert!(!refused.status.success());
    assert!(
        refused
            .output
            .contains("was retired by `mitan keys rotate`"),
        "{}",
        refused.output
    );

    let service = Binary::serve(tempfile::tempdir().unwrap(), &new_env);
    let ready = reqwest::get(service.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    // The member is known on the new key: their STOP opts them out.
    service.sms(VILLAGER, "STOP").await;
    let store = crate::helpers::open_store(&url).await;
    let vault = Vault::new(&mitan::privacy::read_key_file(&new_file).unwrap());
    let member = crate::helpers::person_in(&store, &vault, VILLAGER)
        .await
        .expect("found under the new key");
    assert_eq!(member.status, mitan::enrollment::PersonStatus::OptedOut);
    drop(db);
}

//! The master key is checked at start: a database sealed with one key refuses another, and a
//! missing key file is never replaced by a new key while the database holds numbers.

use figment::providers::Serialized;
use mitan::app::Application;
use mitan::config::Settings;

use crate::helpers::{
    count, person_in, raw_sql, run_binary, spawn_app_with, test_figment, villager, TestApp,
    TestDatabase,
};

/// The service's settings on `db`, with `configure` applied.
fn settings(
    db: &TestDatabase,
    configure: impl FnOnce(figment::Figment) -> figment::Figment,
) -> Settings {
    Settings::from_figment(configure(test_figment(db))).expect("test settings")
}

/// Why the service would not start, as its one error line.
async fn refusal(settings: Settings) -> String {
    match Application::build(settings).await {
        Ok(_) => panic!("the service started"),
        Err(err) => err.to_string(),
    }
}

/// An app whose key is `key`, on its own database, with one villager joined.
async fn sealed_with(key: &str) -> TestApp {
    let key = key.to_string();
    let app =
        spawn_app_with(move |f| f.merge(Serialized::default("security.master_key", key))).await;
    app.join(&villager(0), None, chrono::Utc::now()).await;
    app
}

#[tokio::test]
async fn another_key_is_refused_and_the_same_key_starts() {
    let key = crate::helpers::random_master_key();
    let app = sealed_with(&key).await;
    // test_figment gives every app a fresh random key.
    let err = refusal(settings(&app.db, |f| f)).await;
    assert!(
        err.starts_with("security.master_key: this key (id "),
        "{err}"
    );
    assert!(err.contains(app.state.vault.key_id()), "{err}");
    assert!(!err.contains(&key), "the key itself is never shown: {err}");
    // Nothing was written by the refused start: the one villager, the one key.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sealing_key").await, 1);

    let again = Application::build(settings(&app.db, |f| {
        f.merge(Serialized::default("security.master_key", key))
    }))
    .await
    .expect("the same key starts");
    let state = again.state();
    assert!(
        person_in(&state.store, &state.vault, &villager(0))
            .await
            .is_some(),
        "and finds the villager by their number"
    );
}

#[tokio::test]
async fn a_database_from_before_the_record_is_checked_by_the_ids_beside_its_numbers() {
    let app = sealed_with(&crate::helpers::random_master_key()).await;
    raw_sql(&app.db, "DELETE FROM sealing_key").await.unwrap();
    let err = refusal(settings(&app.db, |f| f)).await;
    assert!(
        err.contains("is not the one this database's numbers are sealed with"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_key_file_is_an_error_never_a_new_key() {
    let db = TestDatabase::fresh().await;
    let file = db.dir.path().join("master.key");
    let from_file = |f: figment::Figment| {
        f.merge(Serialized::default("security.master_key", None::<String>))
            .merge(Serialized::default("security.master_key_file", &file))
    };
    // A development start on an empty database makes the key file.
    let first = Application::build(settings(&db, from_file))
        .await
        .expect("first start");
    assert!(file.exists());
    drop(first);
    std::fs::remove_file(&file).unwrap();
    let err = refusal(settings(&db, from_file)).await;
    assert!(
        err.contains("does not exist, but the database holds numbers"),
        "{err}"
    );
    assert!(!file.exists(), "no new key was written");
}

#[tokio::test]
async fn a_backup_made_while_the_service_runs_restores_only_under_its_key() {
    let key = crate::helpers::random_master_key();
    let app = sealed_with(&key).await;
    for n in 1..3 {
        app.join(&villager(n), None, chrono::Utc::now()).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("mitan-backup.db");
    let backup_arg = backup.display().to_string();
    let env = [
        ("MITAN__DATABASE__URL", app.db.url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
    ];
    let made = run_binary(dir.path(), &env, &["backup", &backup_arg]);
    if app.db.is_postgres() {
        assert!(!made.status.success());
        assert!(made.output.contains("pg_dump"), "{}", made.output);
        return;
    }
    assert!(made.status.success(), "{}", made.output);
    assert!(made.output.contains("backed up to"), "{}", made.output);
    let again = run_binary(dir.path(), &env, &["backup", &backup_arg]);
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let restored = dir.path().join("restored.db");
    let restored_url = format!("sqlite://{}?mode=rwc", restored.display());
    let other_key = crate::helpers::random_master_key();
    let wrong = run_binary(
        dir.path(),
        &[
            ("MITAN__DATABASE__URL", restored_url.as_str()),
            ("MITAN__SECURITY__MASTER_KEY", other_key.as_str()),
        ],
        &["restore", &backup_arg],
    );
    assert!(!wrong.status.success());
    assert!(wrong.output.contains("is not the one"), "{}", wrong.output);
    assert!(!restored.exists(), "nothing restored under another key");
    assert!(
        !dir.path().join("restored.restoring").exists(),
        "and nothing left behind"
    );

    let into = [
        ("MITAN__DATABASE__URL", restored_url.as_str()),
        ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
    ];
    let done = run_binary(dir.path(), &into, &["restore", &backup_arg]);
    assert!(done.status.success(), "{}", done.output);
    let twice = run_binary(dir.path(), &into, &["restore", &backup_arg]);
    assert!(
        !twice.status.success(),
        "a database in place is never overwritten"
    );
    assert!(
        twice.output.contains("move it away first"),
        "{}",
        twice.output
    );

    let started = Application::build(settings(&app.db, |f| {
        f.merge(Serialized::default("database.url", restored_url.clone()))
            .merge(Serialized::default("security.master_key", key.clone()))
    }))
    .await
    .expect("the restored database starts under its key");
    let state = started.state();
    for n in 0..3 {
        assert!(
            person_in(&state.store, &state.vault, &villager(n))
                .await
                .is_some(),
            "villager {n} is in the backup"
        );
    }
}

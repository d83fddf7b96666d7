//! The master key is checked at start: a database sealed with one key refuses another, and a
//! missing key file is never replaced by a new key while the database holds numbers.

use figment::providers::Serialized;
use mitan::app::Application;
use mitan::config::Settings;

use crate::helpers::{
    count, person_in, raw_sql, spawn_app_with, test_figment, villager, TestApp, TestDatabase,
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

//! The store suite: every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::future::Future;
use std::sync::Arc;

use chrono::{Duration, TimeZone as _, Utc};
use mitan::privacy::{MasterKey, Msisdn, Vault};
use mitan::store::{NewAuditEntry, NewPerson, PersonStatus, Store, StoreError};

use crate::helpers::{number_forms, open_store, raw_sql, TestDatabase, TEST_NUMBERS};

async fn backends() -> Vec<TestDatabase> {
    let mut dbs = vec![TestDatabase::sqlite()];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        dbs.push(TestDatabase::postgres(&url).await);
    }
    dbs
}

/// Runs `test` once per backend, each on a fresh, migrated database.
async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(Store, Arc<TestDatabase>) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in backends().await {
        let db = Arc::new(db); // kept here too, so the files outlive the test body
        let store = open_store(&db.url).await;
        store.migrate().await.expect("migrate");
        test(store, db.clone()).await;
    }
}

fn phone(s: &str) -> Msisdn {
    Msisdn::parse(s, phonenumber::country::Id::IN).unwrap()
}

fn noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 6, 30, 0).unwrap()
}

fn person<'a>(sealed: &'a mitan::privacy::SealedPhone) -> NewPerson<'a> {
    NewPerson {
        phone: sealed,
        language: "hi",
        consent_channel: "africastalking",
        consent_version: "c0ffee",
        consented_at: noon(),
    }
}

#[tokio::test]
async fn a_consenting_person_is_found_again_by_their_number_in_any_form() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let sealed = vault.seal(&phone("+919876543210"));
        let id = store.insert_person(&person(&sealed)).await.unwrap();

        let found = store
            .person_by_index(&vault.blind_index(&phone("098765 43210")))
            .await
            .unwrap()
            .expect("found by another spelling of the number");
        assert_eq!(found.id, id);
        assert_eq!(found.status, PersonStatus::Active);
        assert_eq!(found.language, "hi");
        assert_eq!(found.consent_channel, "africastalking");
        assert_eq!(found.consent_version, "c0ffee");
        assert_eq!(found.consented_at, noon());
        let stored = found.phone.expect("sealed phone");
        assert_eq!(stored.hint, "10");
        assert_eq!(
            vault.open(&stored.ciphertext, &stored.key_id).unwrap(),
            phone("+919876543210")
        );
        let stranger = vault.blind_index(&phone("+919876543211"));
        assert!(store.person_by_index(&stranger).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn the_same_number_cannot_be_stored_twice() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        store
            .insert_person(&person(&vault.seal(&phone("+919876543210"))))
            .await
            .unwrap();
        let again = store
            .insert_person(&person(&vault.seal(&phone("9876543210"))))
            .await;
        assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
        assert_eq!(store.count_people(PersonStatus::Active).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn erasure_removes_the_number_for_good_and_keeps_the_count() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let number = phone("+919876543210");
        let id = store
            .insert_person(&person(&vault.seal(&number)))
            .await
            .unwrap();
        assert!(store
            .erase_person(id, noon() + Duration::days(1))
            .await
            .unwrap());
        assert!(
            !store.erase_person(id, noon()).await.unwrap(),
            "erased twice"
        );

        let erased = store
            .person(id)
            .await
            .unwrap()
            .expect("row kept for counts");
        assert_eq!(erased.status, PersonStatus::Erased);
        assert!(erased.phone.is_none());
        assert!(store
            .person_by_index(&vault.blind_index(&number))
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.count_people(PersonStatus::Erased).await.unwrap(), 1);
        // The number may join again later, as a new person.
        store
            .insert_person(&person(&vault.seal(&number)))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn migrations_can_run_again_without_harm() {
    on_every_backend(|store, _db| async move {
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(store.readiness().await, mitan::store::Readiness::Ready);
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_keeps_every_entry_and_refuses_rewrites() {
    on_every_backend(|store, db| async move {
        for n in 0..5 {
            let target = format!("person:{n}");
            store
                .append_audit(&NewAuditEntry {
                    at: noon() + Duration::minutes(n),
                    actor: "token:ops",
                    action: "person.erase",
                    target: Some(&target),
                    detail: None,
                })
                .await
                .unwrap();
        }
        let newest = store.audit_entries(2, None).await.unwrap();
        assert_eq!(newest.len(), 2);
        assert_eq!(newest[0].target.as_deref(), Some("person:4"));
        assert_eq!(newest[0].at, noon() + Duration::minutes(4));
        let older = store.audit_entries(10, Some(newest[1].id)).await.unwrap();
        assert_eq!(older.len(), 3);
        assert_eq!(older[0].target.as_deref(), Some("person:2"));

        let update = raw_sql(&db, "UPDATE audit_log SET actor = 'someone else'").await;
        assert!(update.is_err(), "UPDATE was allowed");
        let delete = raw_sql(&db, "DELETE FROM audit_log").await;
        assert!(delete.is_err(), "DELETE was allowed");
        assert_eq!(store.audit_entries(100, None).await.unwrap().len(), 5);
        assert!(store
            .audit_entries(100, None)
            .await
            .unwrap()
            .iter()
            .all(|entry| entry.actor == "token:ops"));
    })
    .await;
}

#[tokio::test]
async fn a_stored_number_leaves_no_run_of_its_digits_in_the_database() {
    on_every_backend(|store, db| async move {
        let vault = Vault::new(&MasterKey::generate());
        for number in TEST_NUMBERS {
            store
                .insert_person(&person(&vault.seal(&phone(number))))
                .await
                .unwrap();
        }
        store.close().await;
        let dump = dump_database(&db).await;
        assert!(dump.len() > 1000, "nothing was dumped");
        for number in TEST_NUMBERS {
            for form in number_forms(number) {
                // Any 7-digit run of the number would already identify it.
                let run = &form[form.len() - 7..];
                assert!(
                    !dump.windows(run.len()).any(|w| w == run.as_bytes()),
                    "{run} found in the database"
                );
            }
        }
    })
    .await;
}

/// Everything the database holds: the SQLite files byte for byte (what `sqlite3 .dump` reads),
/// or every PostgreSQL row of every table as text, binary columns included.
async fn dump_database(db: &TestDatabase) -> Vec<u8> {
    if !db.is_postgres() {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(db.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("mitan.db") {
                bytes.extend(std::fs::read(&path).unwrap());
            }
        }
        return bytes;
    }
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut dump = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM \"{table}\" t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        dump.extend(rows.join("\n").into_bytes());
    }
    dump
}

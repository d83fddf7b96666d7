//! The store suite: every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::future::Future;
use std::sync::Arc;

use chrono::{Duration, TimeZone as _, Utc};
use mitan::enrollment::PersonStatus;
use mitan::enrollment::{
    CodeRefusal, Consent, JoinOutcome, JoinRequest, Language, OptInCode, RecruiterKind, Script,
};
use mitan::privacy::{MasterKey, SealedPhone, Vault};
use mitan::store::{JoinError, NewAuditEntry, NewEventCode, NewRecruiter, Store};

use crate::helpers::{
    dump_database, msisdn, number_forms, open_store, raw_sql, TestDatabase, TEST_NUMBERS,
};

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

fn noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 6, 30, 0).unwrap()
}

fn join(sealed: SealedPhone, code: Option<&OptInCode>) -> JoinRequest {
    JoinRequest {
        phone: sealed,
        consent: Consent {
            channel: "africastalking".into(),
            language: Language::Hindi,
            script: Script::Native,
            version: "c0ffee".into(),
            at: noon(),
        },
        code: code.cloned(),
        quota: 25,
        code_length: 6,
    }
}

fn officer(name: &str) -> NewRecruiter<'_> {
    NewRecruiter {
        kind: RecruiterKind::Police,
        name,
        area_id: None,
        phone: None,
        quota: 25,
        recruited_by: None,
        code_length: 6,
        at: noon(),
    }
}

#[tokio::test]
async fn a_consenting_person_is_found_again_by_their_number_in_any_form() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let sealed = vault.seal(&msisdn("+919876543210"));
        let joined = store.join(&join(sealed, None)).await.unwrap();
        let id = joined.person_id();

        let found = store
            .person_by_index(&vault.blind_index(&msisdn("098765 43210")))
            .await
            .unwrap()
            .expect("found by another spelling of the number");
        assert_eq!(found.id, id);
        assert_eq!(found.status, PersonStatus::Active);
        assert_eq!(found.language, Language::Hindi);
        assert_eq!(found.own_code.as_deref(), Some(joined.own_code().as_str()));
        assert_eq!(found.recruited_by, None);
        assert_eq!(found.consent_channel, "africastalking");
        assert_eq!(found.consent_version, "c0ffee");
        assert_eq!(found.consented_at, noon());
        let stored = found.phone.expect("sealed phone");
        assert_eq!(stored.hint, "10");
        assert_eq!(
            vault.open(&stored.ciphertext, &stored.key_id).unwrap(),
            msisdn("+919876543210")
        );
        let stranger = vault.blind_index(&msisdn("+919876543211"));
        assert!(store.person_by_index(&stranger).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn joining_twice_changes_nothing_and_keeps_the_first_code() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let first = store
            .join(&join(vault.seal(&msisdn("+919876543210")), None))
            .await
            .unwrap();
        let again = store
            .join(&join(vault.seal(&msisdn("9876543210")), None))
            .await
            .unwrap();
        assert_eq!(
            again,
            JoinOutcome::AlreadyMember {
                person_id: first.person_id(),
                own_code: first.own_code().clone()
            }
        );
        assert_eq!(store.count_people(PersonStatus::Active).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_code_credits_its_owner_and_the_new_mitan_gets_a_code_of_their_own() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let (officer_id, officer_code) =
            store.create_recruiter(&officer("SI Verma")).await.unwrap();
        let first = store
            .join(&join(
                vault.seal(&msisdn("+919876543210")),
                Some(&officer_code),
            ))
            .await
            .unwrap();
        let JoinOutcome::Joined {
            credited_to,
            own_code,
            person_id,
        } = first.clone()
        else {
            panic!("{first:?}")
        };
        assert_eq!(credited_to, Some(officer_id));
        assert_ne!(own_code, officer_code);
        assert_eq!(
            store.person(person_id).await.unwrap().unwrap().recruited_by,
            Some(officer_id)
        );

        // The new mitan's code works in turn: the cascade.
        let second = store
            .join(&join(vault.seal(&msisdn("+917000012345")), Some(&own_code)))
            .await
            .unwrap();
        assert!(matches!(
            second,
            JoinOutcome::Joined {
                credited_to: Some(_),
                ..
            }
        ));
        assert_ne!(second.own_code(), &own_code);
    })
    .await;
}

#[tokio::test]
async fn codes_that_cannot_be_credited_are_refused_and_nothing_is_stored() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let (officer_id, _) = store.create_recruiter(&officer("SI Verma")).await.unwrap();
        let nobodys = loop {
            let code = OptInCode::generate(6);
            if store
                .join(&join(vault.seal(&msisdn("+919425012399")), Some(&code)))
                .await
                .is_err()
            {
                break code;
            }
        };
        let refused = store
            .join(&join(vault.seal(&msisdn("+919876543210")), Some(&nobodys)))
            .await;
        assert!(
            matches!(refused, Err(JoinError::Code(CodeRefusal::Unknown))),
            "{refused:?}"
        );

        let expired = store
            .create_event_code(&NewEventCode {
                recruiter_id: officer_id,
                label: "NSS camp, CMD College",
                expires_at: Some(noon() - Duration::hours(1)),
                max_uses: None,
                code_length: 6,
                at: noon() - Duration::days(1),
            })
            .await
            .unwrap();
        let refused = store
            .join(&join(vault.seal(&msisdn("+919876543210")), Some(&expired)))
            .await;
        assert!(
            matches!(refused, Err(JoinError::Code(CodeRefusal::Expired))),
            "{refused:?}"
        );

        let once = store
            .create_event_code(&NewEventCode {
                recruiter_id: officer_id,
                label: "one seat",
                expires_at: Some(noon() + Duration::days(1)),
                max_uses: Some(1),
                code_length: 6,
                at: noon(),
            })
            .await
            .unwrap();
        let used = store
            .join(&join(vault.seal(&msisdn("+919876543210")), Some(&once)))
            .await
            .unwrap();
        assert!(
            matches!(used, JoinOutcome::Joined { credited_to: Some(id), .. } if id == officer_id)
        );
        let refused = store
            .join(&join(vault.seal(&msisdn("+917000012345")), Some(&once)))
            .await;
        assert!(
            matches!(refused, Err(JoinError::Code(CodeRefusal::UsedUp))),
            "{refused:?}"
        );

        // Nothing of the refused numbers was stored.
        assert!(store
            .person_by_index(&vault.blind_index(&msisdn("+917000012345")))
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.count_people(PersonStatus::Active).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_recruiter_cannot_credit_themselves() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let officer_phone = vault.seal(&msisdn("+919425012399"));
        let (_, code) = store
            .create_recruiter(&NewRecruiter {
                phone: Some(&officer_phone),
                ..officer("SI Verma")
            })
            .await
            .unwrap();
        let refused = store
            .join(&join(vault.seal(&msisdn("+919425012399")), Some(&code)))
            .await;
        assert!(
            matches!(refused, Err(JoinError::Code(CodeRefusal::OwnNumber))),
            "{refused:?}"
        );

        let mitan = store
            .join(&join(vault.seal(&msisdn("+919876543210")), None))
            .await
            .unwrap();
        let refused = store
            .join(&join(
                vault.seal(&msisdn("+919876543210")),
                Some(mitan.own_code()),
            ))
            .await
            .unwrap();
        assert!(matches!(refused, JoinOutcome::AlreadyMember { .. }));
    })
    .await;
}

#[tokio::test]
async fn opting_out_suppresses_the_number_until_the_person_joins_again() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let number = msisdn("+919876543210");
        let first = store.join(&join(vault.seal(&number), None)).await.unwrap();
        let index = vault.blind_index(&number);
        assert!(store.opt_out(&index, noon()).await.unwrap());
        assert!(
            !store.opt_out(&index, noon()).await.unwrap(),
            "second STOP changes nothing"
        );
        assert!(store.is_suppressed(&index).await.unwrap());
        assert_eq!(
            store.person_by_index(&index).await.unwrap().unwrap().status,
            PersonStatus::OptedOut
        );

        let back = store.join(&join(vault.seal(&number), None)).await.unwrap();
        assert_eq!(
            back,
            JoinOutcome::Rejoined {
                person_id: first.person_id(),
                own_code: first.own_code().clone()
            }
        );
        assert!(!store.is_suppressed(&index).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn erasure_removes_the_number_for_good_and_keeps_the_count() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let number = msisdn("+919876543210");
        let id = store
            .join(&join(vault.seal(&number), None))
            .await
            .unwrap()
            .person_id();
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
        assert!(store
            .is_suppressed(&vault.blind_index(&number))
            .await
            .unwrap());
        // The number may join again later, as a new person.
        let again = store.join(&join(vault.seal(&number), None)).await.unwrap();
        assert!(matches!(again, JoinOutcome::Joined { .. }));
        assert_ne!(again.person_id(), id);
        assert!(!store
            .is_suppressed(&vault.blind_index(&number))
            .await
            .unwrap());
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
                .join(&join(vault.seal(&msisdn(number)), None))
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

/// Grants at manual times, per taker, from two stores (two instances' pools) on one database.
struct Grants(Vec<(i64, usize)>);

impl Grants {
    /// The most tokens granted within any one second (`[t, t + 1000)` ms, `t` any grant's time).
    fn busiest_second(&self) -> usize {
        self.0
            .iter()
            .map(|(start, _)| {
                self.0
                    .iter()
                    .filter(|(at, _)| (*start..start + 1000).contains(at))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    fn by(&self, taker: usize, from: i64, to: i64) -> usize {
        self.0
            .iter()
            .filter(|(at, who)| *who == taker && (from..to).contains(at))
            .count()
    }
}

#[tokio::test]
async fn instances_on_one_database_share_a_channel_s_rate_and_one_carries_it_alone() {
    use mitan::store::SharedRate;
    on_every_backend(|store, db| async move {
        let other = open_store(&db.url).await;
        let takers = [&store, &other];
        let rate = SharedRate {
            per_second: 10,
            burst: 3,
        };
        let start = noon();
        let at = |ms: i64| start + Duration::milliseconds(ms);
        let mut grants = Grants(Vec::new());
        // Both instances ask every 10 ms for two tokens each, for five seconds, taking turns
        // at asking first.
        for ms in (0..5000).step_by(10) {
            let order = if (ms / 100) % 2 == 0 { [0, 1] } else { [1, 0] };
            for who in order {
                let taker = takers[who];
                let taken = taker.take_tokens("bulk", 2, rate, at(ms)).await.unwrap();
                for _ in 0..taken.granted {
                    grants.0.push((ms, who));
                }
            }
        }
        // The burst at once, then ten a second between them: 3 + 49 by 4.99 s; the busiest
        // second is the burst's and the nine after it, within tps + burst = 13. Both got tokens.
        assert_eq!(grants.0.len(), 3 + 49);
        assert_eq!(grants.busiest_second(), 12);
        assert!(grants.by(0, 0, 5000) > 10 && grants.by(1, 0, 5000) > 10);
        // The first stops; the second alone gets the whole rate, from the very next token.
        for ms in (5000..8000).step_by(10) {
            let taken = other.take_tokens("bulk", 2, rate, at(ms)).await.unwrap();
            for _ in 0..taken.granted {
                grants.0.push((ms, 1));
            }
        }
        for second in 5..8 {
            assert_eq!(grants.by(1, second * 1000, (second + 1) * 1000), 10);
        }
        assert!(grants.busiest_second() <= 13);

        // When none is left, the wait says when the next is due; an earlier clock adds nothing.
        assert_eq!(
            other
                .take_tokens("bulk", 1, rate, at(8000))
                .await
                .unwrap()
                .granted,
            1
        );
        let empty = other.take_tokens("bulk", 1, rate, at(8000)).await.unwrap();
        assert_eq!(empty.granted, 0);
        assert_eq!(empty.wait, std::time::Duration::from_millis(100));
        let behind = store.take_tokens("bulk", 1, rate, at(7000)).await.unwrap();
        assert_eq!(behind.granted, 0, "a lagging clock refilled the bucket");
        let due = at(8000) + Duration::from_std(empty.wait).unwrap();
        assert_eq!(
            store
                .take_tokens("bulk", 1, rate, due)
                .await
                .unwrap()
                .granted,
            1
        );
        // A quiet spell fills the bucket to the burst, no more; channels have buckets apart.
        let later = store
            .take_tokens("bulk", 10, rate, at(60_000))
            .await
            .unwrap();
        assert_eq!(later.granted, 3);
        let reply = store
            .take_tokens("reply", 10, rate, at(60_000))
            .await
            .unwrap();
        assert_eq!(reply.granted, 3);
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn takes_at_once_from_two_instances_never_grant_one_token_twice() {
    use mitan::store::SharedRate;
    on_every_backend(|store, db| async move {
        let other = open_store(&db.url).await;
        let rate = SharedRate {
            per_second: 100,
            burst: 7,
        };
        let granted = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let takes = (0..40).map(|n| {
            let (taker, granted) = (if n % 2 == 0 { &store } else { &other }, granted.clone());
            async move {
                let taken = taker.take_tokens("bulk", 1, rate, noon()).await.unwrap();
                granted.fetch_add(taken.granted, std::sync::atomic::Ordering::Relaxed);
            }
        });
        crate::helpers::join_all(takes).await;
        assert_eq!(granted.load(std::sync::atomic::Ordering::Relaxed), 7);
        other.close().await;
    })
    .await;
}

/// On SQLite, joins and the session writes of USSD hops are committed together, a batch at a
/// time: many at once must each get their own answer, a refused code must fail no other join,
/// and a number joining twice at once is one member.
#[tokio::test]
async fn joins_at_once_each_get_their_own_answer_and_one_refused_code_fails_no_other() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let (officer_id, officer_code) =
            store.create_recruiter(&officer("SI Verma")).await.unwrap();
        // Seven digits: no code of this store (six digits) can be it.
        let unknown = OptInCode::generate(7);
        let mut joins = tokio::task::JoinSet::new();
        for n in 0..36_u32 {
            // 0-11 through the officer's code, 12-23 without a code, 24-29 with an unknown
            // code, 30-35 the numbers of 0-5 again.
            let number = format!("+9198765{:05}", n % 30);
            let code = match n {
                0..12 | 30.. => Some(officer_code.clone()),
                24..30 => Some(unknown.clone()),
                _ => None,
            };
            let request = join(vault.seal(&msisdn(&number)), code.as_ref());
            let store = store.clone();
            joins.spawn(async move { (n, store.join(&request).await) });
        }
        let mut answers: Vec<_> = joins.join_all().await;
        answers.sort_by_key(|(n, _)| *n);
        let mut own_codes = std::collections::HashSet::new();
        let mut members = std::collections::HashMap::new();
        for (n, answer) in answers {
            match (n, answer) {
                (24..30, Err(JoinError::Code(CodeRefusal::Unknown))) => {}
                (24..30, other) => panic!("join {n} with an unknown code: {other:?}"),
                (_, Ok(outcome)) => {
                    let person = match &outcome {
                        JoinOutcome::Joined { person_id, .. }
                        | JoinOutcome::AlreadyMember { person_id, .. } => *person_id,
                        other => panic!("join {n}: {other:?}"),
                    };
                    let number = n % 30;
                    let previous = members.insert(number, (person, outcome.own_code().clone()));
                    match previous {
                        // The same number twice at once: one member, one code.
                        Some(first) => assert_eq!(first, (person, outcome.own_code().clone())),
                        None => assert!(own_codes.insert(outcome.own_code().clone())),
                    }
                }
                (_, Err(err)) => panic!("join {n}: {err:?}"),
            }
        }
        assert_eq!(
            members.len(),
            24,
            "every number but the refused ones is one member"
        );
        for (number, (person, _)) in &members {
            let record = store.person(*person).await.unwrap().expect("stored");
            let credited = (0..12).contains(number);
            assert_eq!(
                record.recruited_by,
                credited.then_some(officer_id),
                "{number}"
            );
        }
        for n in 24..30 {
            let number = msisdn(&format!("+9198765{n:05}"));
            assert!(
                store
                    .person_by_index(&vault.blind_index(&number))
                    .await
                    .unwrap()
                    .is_none(),
                "a refused join stores nothing"
            );
        }
    })
    .await;
}

/// The reads of USSD hops are answered a batch at a time on SQLite: many at once must each find
/// their own session (or none), and each dial its own caller.
#[tokio::test]
async fn hops_read_at_once_each_find_their_own_session_and_caller() {
    on_every_backend(|store, _db| async move {
        let vault = Vault::new(&MasterKey::generate());
        let now = noon();
        for n in 0..20 {
            let state = format!("{{\"n\":{n}}}");
            let reply = format!("screen {n}");
            let expires_at = if n == 7 {
                now
            } else {
                now + Duration::minutes(3)
            };
            store
                .save_ussd_session(&mitan::store::UssdSessionWrite {
                    channel: "at",
                    session_id: &format!("s{n}"),
                    state: &state,
                    last_input: Some("1"),
                    last_reply: &reply,
                    resume_tag: None,
                    ended: n == 3,
                    expires_at,
                    resume_until: None,
                })
                .await
                .unwrap();
        }
        let mut members = Vec::new();
        for n in 0..5 {
            let phone = vault.seal(&msisdn(&format!("+9170000{n:05}")));
            members.push(
                store
                    .join(&join(phone, None))
                    .await
                    .unwrap()
                    .own_code()
                    .clone(),
            );
        }
        let mut reads = tokio::task::JoinSet::new();
        for n in 0..25 {
            let store = store.clone();
            reads.spawn(async move {
                let found = store
                    .ussd_session("at", &format!("s{n}"), now)
                    .await
                    .unwrap();
                (n, found)
            });
        }
        for (n, found) in reads.join_all().await {
            match (n, found) {
                // Expired, or never saved.
                (7 | 20.., None) => {}
                (7 | 20.., Some(found)) => panic!("session s{n}: {found:?}"),
                (_, Some(found)) => {
                    assert_eq!(found.state, format!("{{\"n\":{n}}}"));
                    assert_eq!(found.last_reply, format!("screen {n}"));
                    assert_eq!(found.ended, n == 3);
                }
                (_, None) => panic!("session s{n} was saved and is live"),
            }
        }
        let mut dials = tokio::task::JoinSet::new();
        for n in 0..10 {
            let store = store.clone();
            let number = msisdn(&format!("+9170000{n:05}"));
            let index = vault.blind_index(&number);
            let tag = vault.resume_tag(&number);
            dials.spawn(async move {
                let found = store
                    .dial_lookup(&index, &tag, "at", &format!("d{n}"), now)
                    .await
                    .unwrap();
                (n, found)
            });
        }
        for (n, found) in dials.join_all().await {
            match (n, found.caller) {
                (0..5, Some(caller)) => {
                    assert_eq!(caller.own_code.as_deref(), Some(members[n].as_str()));
                    assert_eq!(caller.status, PersonStatus::Active);
                }
                (5.., None) => {}
                (n, caller) => panic!("dial {n}: {caller:?}"),
            }
        }
    })
    .await;
}

/// A USSD session write as most tests need it: live for three minutes from `now`.
fn session_write<'a>(
    session_id: &'a str,
    state: &'a str,
    reply: &'a str,
    resume_tag: Option<&'a [u8]>,
    now: chrono::DateTime<Utc>,
) -> mitan::store::UssdSessionWrite<'a> {
    mitan::store::UssdSessionWrite {
        channel: "at",
        session_id,
        state,
        last_input: Some("1"),
        last_reply: reply,
        resume_tag,
        ended: false,
        expires_at: now + Duration::minutes(3),
        resume_until: resume_tag.map(|_| now + Duration::minutes(10)),
    }
}

/// On SQLite the writes of hops in flight together are committed as one batch, deletions first:
/// each hop must still find what it wrote in its own order (a session that ended keeps its
/// final screen while the caller's dropped session goes), and no hop undo another's.
#[tokio::test]
async fn hops_written_at_once_each_keep_what_they_wrote_in_their_own_order() {
    on_every_backend(|store, _db| async move {
        let now = noon();
        let tags: Vec<[u8; 32]> = (0..12u8).map(|n| [n; 32]).collect();
        for (n, tag) in tags.iter().enumerate() {
            let dropped = format!("d{n}");
            let write = session_write(&dropped, "{}", "dropped", Some(tag), now);
            store.save_ussd_session(&write).await.unwrap();
            let ending = format!("e{n}");
            let write = session_write(&ending, "{}", "to end", None, now);
            store.save_ussd_session(&write).await.unwrap();
        }
        let mut writes = tokio::task::JoinSet::new();
        for (n, tag) in tags.into_iter().enumerate() {
            let finishing = store.clone();
            writes.spawn(async move {
                let (id, reply) = (format!("s{n}"), format!("bye {n}"));
                let write = mitan::store::UssdSessionWrite {
                    ended: true,
                    ..session_write(&id, "null", &reply, None, now)
                };
                finishing
                    .finish_ussd_session(&write, Some(&tag))
                    .await
                    .unwrap();
            });
            let saving = store.clone();
            writes.spawn(async move {
                let (id, reply) = (format!("l{n}"), format!("live {n}"));
                let write = session_write(&id, "{}", &reply, None, now);
                saving.save_ussd_session(&write).await.unwrap();
            });
            let ending = store.clone();
            writes.spawn(async move {
                ending
                    .end_ussd_session("at", &format!("e{n}"))
                    .await
                    .unwrap();
            });
        }
        writes.join_all().await;
        for n in 0..12 {
            let find = |prefix: &str| {
                let (store, id) = (store.clone(), format!("{prefix}{n}"));
                async move { store.ussd_session("at", &id, now).await }
            };
            assert_eq!(
                find("d").await.unwrap(),
                None,
                "the dropped session d{n} went"
            );
            assert_eq!(
                find("e").await.unwrap(),
                None,
                "the ended session e{n} went"
            );
            let finished = find("s").await.unwrap().expect("the final screen stays");
            assert!(finished.ended);
            assert_eq!(finished.last_reply, format!("bye {n}"));
            let live = find("l").await.unwrap().expect("the live session stays");
            assert_eq!(live.last_reply, format!("live {n}"));
        }
    })
    .await;
}

//! Anti-gaming: bursts of joins through one code are flagged; a number is credited once; a
//! recruiter cannot recruit their own number.

use chrono::Duration;
use figment::providers::Serialized;
use mitan::enrollment::{CodeRefusal, JoinOutcome};
use serde_json::json;

use super::{figures, morning, officer};
use crate::helpers::{spawn_app, spawn_app_with, villager, RECRUITER_NUMBERS};

#[tokio::test]
async fn a_burst_of_joins_through_one_code_is_flagged_in_the_stats_and_the_audit_log() {
    let app =
        spawn_app_with(|f| f.merge(Serialized::default("campaign.burst_threshold_per_hour", 3)))
            .await;
    let admin = app.admin_token().await;
    let (steady, steady_code) = officer(&app, &admin, "SI Verma", None).await;
    let (busy, busy_code) = officer(&app, &admin, "ASI Sahu", None).await;
    // Three joins spread over three hours: no burst.
    for n in 0..3 {
        app.join(
            &villager(n),
            Some(&steady_code),
            morning() + Duration::minutes(70 * i64::from(n)),
        )
        .await;
    }
    // Four joins within twenty minutes: one burst, flagged once.
    for n in 10..14 {
        app.join(
            &villager(n),
            Some(&busy_code),
            morning() + Duration::minutes(5 * i64::from(n - 10)),
        )
        .await;
    }

    let stats = app.api_get("/api/v1/stats", &admin).await.json();
    assert_eq!(stats["burst_threshold_per_hour"], 3);
    let bursts = stats["bursts"].as_array().unwrap();
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    assert_eq!(bursts[0]["recruiter_id"], busy);
    assert_eq!(bursts[0]["code"], busy_code.as_str());
    assert_eq!(bursts[0]["joins"], 3);

    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    let flagged: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "code.burst")
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["actor"], "system");
    assert_eq!(flagged[0]["target"], format!("recruiter:{busy}"));

    // The joins still count; the steady officer's officer sees no burst of others.
    assert_eq!(figures(&app, &admin, busy).await["direct"]["total"], 4);
    let token = app.officer_token(steady).await;
    let theirs = app.api_get("/api/v1/stats", &token).await.json();
    assert!(theirs["bursts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_number_is_credited_once_even_after_erasing_and_joining_again() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, code) = officer(&app, &admin, "SI Verma", None).await;
    let first = app.join(&villager(1), Some(&code), morning()).await;
    let erased = app
        .api_delete(&format!("/api/v1/people/{}", first.person_id()), &admin)
        .await;
    assert_eq!(erased.status, 204);
    let again = app
        .join(&villager(1), Some(&code), morning() + Duration::days(1))
        .await;
    assert!(
        matches!(
            again,
            JoinOutcome::Joined {
                credited_to: None,
                ..
            }
        ),
        "{again:?}"
    );
    assert_eq!(figures(&app, &admin, id).await["direct"]["total"], 1);

    // Joining twice while a member credits nothing either.
    let twice = app.join(&villager(1), Some(&code), morning()).await;
    assert!(matches!(twice, JoinOutcome::AlreadyMember { .. }));
    assert_eq!(figures(&app, &admin, id).await["direct"]["total"], 1);
}

#[tokio::test]
async fn a_recruiter_added_with_a_phone_cannot_recruit_their_own_number() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, code) = app
        .add_recruiter(
            &admin,
            json!({"name": "SI Verma", "kind": "police", "phone": RECRUITER_NUMBERS[1]}),
        )
        .await;
    // The same phone, written the way the officer would type it.
    let refused = app.try_join("08871234567", Some(&code), morning()).await;
    assert!(
        matches!(
            refused,
            Err(mitan::store::JoinError::Code(CodeRefusal::OwnNumber))
        ),
        "{refused:?}"
    );
    assert_eq!(figures(&app, &admin, id).await["direct"]["total"], 0);
}
